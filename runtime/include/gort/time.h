// gort/time.h — monotonic time and sleeping (Go's time.Sleep, runtime nanotime).
#pragma once

#include <chrono>
#include <cstdint>

namespace gort {

// nanotime returns CLOCK_MONOTONIC in nanoseconds.
std::int64_t nanotime();

// sleep parks the current goroutine for at least d. d <= 0 returns at once
// (after a preemption check), as time.Sleep does.
void sleep_ns(std::int64_t ns);
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  sleep_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace gort
