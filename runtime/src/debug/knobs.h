// knobs.h — the one table of environment knobs, parsed once.
//
// Nothing else in gort calls getenv. The table (knobs.cc) names every
// variable, its type, default and meaning; `GODEBUG` is a comma-separated
// list of name=value pairs from the same table. A malformed value is a clear
// error naming the variable and its default, and exit status 2.
//
//   GOMAXPROCS   number of Ps (default: CPUs usable: affinity and cgroup quota)
//   GOGC         GC percent, or "off" (default 100)
//   GOMEMLIMIT   soft memory limit, with B/KiB/MiB/GiB/TiB suffix (default none)
//   GORTSTACK    goroutine stack reservation, with suffix (default 256KiB)
//   GODEBUG      schedtrace=MS, scheddetail=1, asyncpreemptoff=1,
//                timerpreempt=0, gctrace=1, gccheckmark=1, gcstoptheworld=1,
//                gcpoison=1, gccheckptr=1, sysmonoff=1 (tests only)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace gort::debug {

struct Knobs {
  int gomaxprocs = 0;            // 0: not set
  int gogc = 100;                // -1: off
  std::int64_t gomemlimit = -1;  // -1: none (bytes)
  std::size_t stack_size = 256 * 1024;

  // GODEBUG
  int schedtrace_ms = 0;
  bool scheddetail = false;
  bool asyncpreemptoff = false;
  bool timerpreempt = true;
  bool gctrace = false;
  bool gccheckmark = false;
  bool gcstoptheworld = false;
  bool gcpoison = false;
  bool gccheckptr = false;
};

// Getenv is the seam tests use to feed a fake environment.
using Getenv = std::function<const char*(const char*)>;

// parse_knobs reads every knob through getenv. On a malformed value it
// writes the message into *error (naming the variable, the value and the
// default) and returns false.
bool parse_knobs(const Getenv& getenv, Knobs* out, std::string* error);

// knobs returns the process's knobs, parsed from the real environment at the
// first call (run() calls it first); exits 2 on a malformed value.
const Knobs& knobs();
// reload_knobs re-reads the environment (run() does, so tests may change it).
const Knobs& reload_knobs();

// parse_bytes parses "123", "64KiB", "1.5GiB", "100MB"... into bytes.
bool parse_bytes(const std::string& s, std::int64_t* out);

}  // namespace gort::debug
