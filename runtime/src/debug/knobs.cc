// knobs.cc — see knobs.h. The table below is the only list of knobs.
#include "debug/knobs.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "debug/fatal.h"

namespace gort::debug {

namespace {

bool parse_int(const std::string& s, long lo, long hi, long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& s, bool* out) {
  if (s == "1") return *out = true, true;
  if (s == "0") return *out = false, true;
  return false;
}

// GODEBUG entries: name, kind, setter, default text.
struct DebugKnob {
  const char* name;
  const char* want;  // what a valid value looks like
  const char* dflt;
  bool (*set)(const std::string& v, Knobs* k);
};

const DebugKnob kDebugKnobs[] = {
    {"schedtrace", "milliseconds >= 0", "0",
     [](const std::string& v, Knobs* k) {
       long x;
       return parse_int(v, 0, 3600000, &x) && (k->schedtrace_ms = static_cast<int>(x), true);
     }},
    {"scheddetail", "0 or 1", "0", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->scheddetail); }},
    {"asyncpreemptoff", "0 or 1", "0",
     [](const std::string& v, Knobs* k) { return parse_bool(v, &k->asyncpreemptoff); }},
    {"timerpreempt", "0 or 1", "1", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->timerpreempt); }},
    {"gctrace", "0 or 1", "0", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->gctrace); }},
    {"gccheckmark", "0 or 1", "0", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->gccheckmark); }},
    {"gcstoptheworld", "0 or 1", "0",
     [](const std::string& v, Knobs* k) { return parse_bool(v, &k->gcstoptheworld); }},
    {"gcpoison", "0 or 1", "0", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->gcpoison); }},
    {"gccheckptr", "0 or 1", "0", [](const std::string& v, Knobs* k) { return parse_bool(v, &k->gccheckptr); }},
};

std::string bad(const char* var, const std::string& val, const char* want, const char* dflt) {
  return std::string("gort: invalid ") + var + "=\"" + val + "\": want " + want + " (default: " + dflt + ")";
}

Knobs g_knobs;
bool g_loaded = false;

}  // namespace

bool parse_bytes(const std::string& s, std::int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || !(v >= 0) || std::isinf(v)) return false;
  std::string suf(end);
  double mul = 0;
  static const struct {
    const char* s;
    double m;
  } kSuf[] = {{"", 1},           {"B", 1},
              {"KiB", 1024.0},   {"MiB", 1024.0 * 1024},
              {"GiB", 1024.0 * 1024 * 1024}, {"TiB", 1024.0 * 1024 * 1024 * 1024},
              {"KB", 1e3},       {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}};
  for (const auto& x : kSuf) {
    if (suf == x.s) mul = x.m;
  }
  if (mul == 0) return false;
  double b = v * mul;
  if (b > 9.2e18) return false;
  *out = static_cast<std::int64_t>(b);
  return true;
}

bool parse_knobs(const Getenv& getenv, Knobs* out, std::string* error) {
  Knobs k;
  if (const char* v = getenv("GOMAXPROCS"); v != nullptr && *v != '\0') {
    long x;
    if (!parse_int(v, 1, 1 << 20, &x)) {
      *error = bad("GOMAXPROCS", v, "an integer >= 1", "the number of CPUs this process may use");
      return false;
    }
    k.gomaxprocs = static_cast<int>(x);
  }
  if (const char* v = getenv("GOGC"); v != nullptr && *v != '\0') {
    long x;
    if (std::strcmp(v, "off") == 0) {
      k.gogc = -1;
    } else if (parse_int(v, 0, 1 << 30, &x)) {
      k.gogc = static_cast<int>(x);
    } else {
      *error = bad("GOGC", v, "a percentage >= 0 or \"off\"", "100");
      return false;
    }
  }
  if (const char* v = getenv("GOMEMLIMIT"); v != nullptr && *v != '\0') {
    std::int64_t b;
    if (std::strcmp(v, "off") == 0) {
      k.gomemlimit = -1;
    } else if (parse_bytes(v, &b)) {
      k.gomemlimit = b;
    } else {
      *error = bad("GOMEMLIMIT", v, "bytes with an optional B/KiB/MiB/GiB/TiB suffix, or \"off\"", "off");
      return false;
    }
  }
  if (const char* v = getenv("GORTSTACK"); v != nullptr && *v != '\0') {
    std::int64_t b;
    if (!parse_bytes(v, &b) || b < 16 * 1024 || b > (std::int64_t{1} << 32)) {
      *error = bad("GORTSTACK", v, "a size between 16KiB and 4GiB", "256KiB");
      return false;
    }
    k.stack_size = static_cast<std::size_t>(b);
  }
  if (const char* v = getenv("GODEBUG"); v != nullptr && *v != '\0') {
    std::string all(v);
    std::size_t pos = 0;
    while (pos <= all.size()) {
      std::size_t comma = all.find(',', pos);
      if (comma == std::string::npos) comma = all.size();
      std::string item = all.substr(pos, comma - pos);
      pos = comma + 1;
      if (item.empty()) continue;
      std::size_t eq = item.find('=');
      std::string name = item.substr(0, eq);
      bool known = false;
      for (const DebugKnob& d : kDebugKnobs) {
        if (name != d.name) continue;
        known = true;
        std::string val = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (!d.set(val, &k)) {
          *error = bad(("GODEBUG " + name).c_str(), val, d.want, d.dflt);
          return false;
        }
      }
      // Unknown GODEBUG names are ignored, as Go does: they may be meant for
      // the real Go runtime of a twin benchmark sharing the environment.
      (void)known;
    }
  }
  *out = k;
  return true;
}

const Knobs& reload_knobs() {
  std::string err;
  if (!parse_knobs([](const char* n) { return std::getenv(n); }, &g_knobs, &err)) {
    write_stderr(err.c_str());
    write_stderr("\n");
    std::exit(2);
  }
  g_loaded = true;
  return g_knobs;
}

const Knobs& knobs() {
  if (!g_loaded) return reload_knobs();
  return g_knobs;
}

}  // namespace gort::debug
