// heapbits.cc — writing the heap's pointer bitmap. See heapbits.h.
#include "mem/heapbits.h"

#include "gort/gc.h"

namespace gort::mem {

namespace {

// BitWriter writes consecutive bits starting at an address's bit, one
// bitmap word at a time (read-modify-write only at the partial ends).
class BitWriter {
 public:
  explicit BitWriter(std::uintptr_t a) : block_(a & ~std::uintptr_t{511}) { w_ = ptrbits_of(a, &bit_); }
  // put appends the low `n` (<= 64) bits of v.
  void put(std::uint64_t v, unsigned n) {
    while (n > 0) {
      if (w_ == nullptr) {
        unsigned b;
        w_ = ptrbits_of(block_, &b);
      }
      const unsigned room = 64 - bit_;
      const unsigned take = n < room ? n : room;
      const std::uint64_t mask = take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1);
      acc_ |= (v & mask) << bit_;
      accmask_ |= mask << bit_;
      bit_ += take;
      n -= take;
      v = take == 64 ? 0 : v >> take;
      if (bit_ == 64) flush_word();
    }
  }
  void finish() {
    if (accmask_ != 0) flush_word();
  }

 private:
  void flush_word() {
    std::atomic_ref<std::uint64_t> r(*w_);
    if (accmask_ == ~std::uint64_t{0}) {
      r.store(acc_, std::memory_order_relaxed);
    } else {
      r.store((r.load(std::memory_order_relaxed) & ~accmask_) | acc_, std::memory_order_relaxed);
    }
    // Next 512-byte block; an object may run into the next arena, whose
    // bitmap lives in that arena's record (looked up when next written: an
    // object ending at an arena's end may have no arena after it).
    block_ += 512;
    w_ = (block_ & (kArenaBytes - 1)) == 0 ? nullptr : w_ + 1;
    bit_ = 0;
    acc_ = 0;
    accmask_ = 0;
  }
  std::uintptr_t block_;  // address of the 512-byte block *w_ describes
  std::uint64_t* w_;
  unsigned bit_ = 0;
  std::uint64_t acc_ = 0, accmask_ = 0;
};

void put_run(BitWriter& bw, bool one, std::size_t nbits) {
  const std::uint64_t v = one ? ~std::uint64_t{0} : 0;
  for (; nbits >= 64; nbits -= 64) bw.put(v, 64);
  if (nbits > 0) bw.put(v, static_cast<unsigned>(nbits));
}

}  // namespace

void write_ptrbits(std::uintptr_t base, std::size_t slot_bytes, const gc::Layout* layout, std::size_t elem_size,
                   std::size_t n, bool conservative) {
  const std::size_t slot_words = slot_bytes / 8;
  BitWriter bw(base);
  std::size_t done = 0;
  if (layout != nullptr && layout->ptrwords != 0) {
    const std::size_t ew = elem_size / 8;
    for (std::size_t e = 0; e < n; e++) {
      std::size_t w = 0;
      for (; w + 64 <= layout->ptrwords; w += 64) bw.put(layout->mask[w / 64], 64);
      if (w < layout->ptrwords) bw.put(layout->mask[w / 64], static_cast<unsigned>(layout->ptrwords - w));
      put_run(bw, false, ew - layout->ptrwords);
    }
    done = ew * n;
  } else if (conservative) {
    done = elem_size * n / 8;
    put_run(bw, true, done);
  }
  if (done < slot_words) put_run(bw, false, slot_words - done);
  bw.finish();
}

}  // namespace gort::mem
