// sysmem.cc — mmap/mprotect/madvise behind the allocator. See sysmem.h.
#include "mem/sysmem.h"

#include <sys/mman.h>

#include <cerrno>

#include "debug/fatal.h"

namespace gort::mem::sys {

void* reserve(std::size_t bytes, std::size_t align) {
  // Over-reserve by `align` and trim both ends to get an aligned range.
  const std::size_t span = bytes + align;
  void* p = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto raw = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t base = (raw + align - 1) & ~(std::uintptr_t{align} - 1);
  if (base > raw) ::munmap(p, base - raw);
  const std::uintptr_t end = base + bytes;
  if (raw + span > end) ::munmap(reinterpret_cast<void*>(end), raw + span - end);
  return reinterpret_cast<void*>(base);
}

void commit(void* p, std::size_t bytes) {
  if (::mprotect(p, bytes, PROT_READ | PROT_WRITE) != 0) {
    debug::fatalf("runtime: out of memory: cannot commit %zu bytes (errno %d)", bytes, errno);
  }
}

void release(void* p, std::size_t bytes) {
  // MADV_DONTNEED (not MADV_FREE): RSS falls at once and the pages are
  // guaranteed to read as zero, which lets the heap skip zeroing them.
  ::madvise(p, bytes, MADV_DONTNEED);
}

void unmap(void* p, std::size_t bytes) { ::munmap(p, bytes); }

void* alloc_metadata(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) debug::fatalf("runtime: out of memory: cannot map %zu bytes of metadata", bytes);
  return p;
}

}  // namespace gort::mem::sys
