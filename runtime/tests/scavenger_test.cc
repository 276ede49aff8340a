// scavenger_test.cc — free pages go back to the OS: RSS falls after the heap
// shrinks, down to the retained target (heap goal + 10%), and released pages
// come back zeroed.
#include "mem/scavenger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "gort/mem.h"
#include "mem/mheap.h"

namespace gort::mem {
namespace {

std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t retained() {
  const Stats st = read_stats();
  return st.heap_sys - st.heap_released;
}

void fill_heap(std::size_t bytes) {
  for (std::size_t done = 0; done < bytes / 2; done += 2 << 20) {
    std::memset(alloc(2 << 20, false), 1, 2 << 20);
  }
  for (std::size_t done = 0; done < bytes / 2; done += 1024) std::memset(alloc(1024, true), 1, 1024);
}

TEST(Scavenger, RssFallsToRetainedTargetAfterHeapShrinks) {
  set_heap_goal(std::uint64_t{1} << 40);  // nothing released while filling
  constexpr std::size_t kHeap = 128 << 20;
  fill_heap(kHeap);
  const std::size_t rss_high = rss_bytes();
  const Stats before = read_stats();
  EXPECT_GE(before.heap_in_use, kHeap);
  release_all();  // the live heap drops to zero
  set_heap_goal(4 << 20);
  const std::size_t target = scavenger_retained_target();
  EXPECT_EQ(target, (4u << 20) + (4u << 20) / 10);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (retained() > target && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LE(retained(), target) << "the background scavenger did not reach its target";
  EXPECT_GE(retained() + (512 << 10), target) << "released more than needed";
  const std::size_t rss_low = rss_bytes();
  EXPECT_GE(rss_high, rss_low + kHeap * 3 / 4) << "RSS " << rss_high << " -> " << rss_low;
  EXPECT_GE(read_stats().scavenged_bytes - before.scavenged_bytes, kHeap * 3 / 4);
  const char* why = "";
  EXPECT_TRUE(g_heap.check(&why)) << why;
}

TEST(Scavenger, ReleasedPagesComeBackZeroed) {
  set_heap_goal(std::uint64_t{1} << 40);
  std::vector<unsigned char*> objs;
  for (int i = 0; i < 256; ++i) {
    auto* p = static_cast<unsigned char*>(alloc(4096, false));
    std::memset(p, 0xEE, 4096);
  }
  release_all();
  EXPECT_GT(scavenge(SIZE_MAX), 0u);
  EXPECT_EQ(read_stats().heap_released, read_stats().heap_idle);
  for (int i = 0; i < 256; ++i) {
    auto* p = static_cast<unsigned char*>(alloc(4096, false));
    for (int j = 0; j < 4096; ++j) ASSERT_EQ(p[j], 0) << "released page not zero";
  }
  release_all();
}

}  // namespace
}  // namespace gort::mem
