// session.cc — the per-process pinning and counter session; see session.h.
//
// Lock: SessionState::mu guards `ms` and `skipped`; the M hooks take it once
// per M start/exit. Counter reads at teardown happen with mu held, after
// gort::run() returned (no M is starting then).
#include "gortbench/session.h"

#include <hwloc.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gort/runtime.h"
#include "gortbench/atomic_file.h"
#include "gortbench/counters.h"
#include "gortbench/pinning.h"

namespace gortbench {

namespace {

// MRecord is what the session knows about one M.
struct MRecord {
  int m_id = -1;
  long tid = 0;
  int pu_planned = -1;
  int pu_seen = -1;
  std::string bind_error;
  std::unique_ptr<CounterGroup> group;
  std::vector<CounterValue> values;  // filled when the M exits or at teardown
  bool exited = false;
};

}  // namespace

struct SessionState {
  PinPolicy pin = PinPolicy::kNone;
  std::vector<std::string> requested;  // --gort_counters as given
  std::vector<std::string> events;     // the ones that open here (+ fallback)
  std::map<std::string, std::string> unavailable;  // name -> reason
  bool fallback = false;
  std::string out_path;
  hwloc_topology_t topo = nullptr;
  std::vector<unsigned> plan;
  int slots = 0;
  std::mutex mu;
  std::vector<std::unique_ptr<MRecord>> ms;  // guarded by mu
};

namespace {

std::atomic<SessionState*> g_session{nullptr};

[[noreturn]] void bad_flag(const std::string& msg) {
  std::fprintf(stderr, "gortbench: %s\n", msg.c_str());
  std::exit(2);
}

void m_start(int m_id, void*) {
  SessionState* s = g_session.load(std::memory_order_acquire);
  if (s == nullptr) return;
  auto rec = std::make_unique<MRecord>();
  rec->m_id = m_id;
  rec->tid = static_cast<long>(::syscall(SYS_gettid));
  if (!s->plan.empty()) {
    unsigned pu = s->plan[static_cast<size_t>(m_id < 0 ? 0 : m_id) % s->plan.size()];
    rec->pu_planned = static_cast<int>(pu);
    rec->pu_seen = bind_current_thread(s->topo, pu, &rec->bind_error);
  }
  if (!s->events.empty()) {
    rec->group = std::make_unique<CounterGroup>();
    std::vector<EventProbe> skipped;
    if (rec->group->open(s->events, &skipped)) rec->group->start();
    std::lock_guard<std::mutex> g(s->mu);
    for (auto& p : skipped) s->unavailable.emplace(p.name, p.reason);
  }
  std::lock_guard<std::mutex> g(s->mu);
  s->ms.push_back(std::move(rec));
}

void m_exit(int m_id, void*) {
  SessionState* s = g_session.load(std::memory_order_acquire);
  if (s == nullptr) return;
  long tid = static_cast<long>(::syscall(SYS_gettid));
  std::lock_guard<std::mutex> g(s->mu);
  for (auto& r : s->ms) {
    if (r->tid == tid && !r->exited) {
      if (r->group) {
        r->group->stop();
        r->values = r->group->read();
        r->group->close();
      }
      r->exited = true;
    }
  }
}

void resolve_events(SessionState* s) {
  bool any_hw_requested = false, any_hw_ok = false;
  for (const auto& name : s->requested) {
    EventProbe p = probe_event(name);
    if (p.hardware || !p.ok) any_hw_requested = any_hw_requested || p.hardware || !p.ok;
    if (p.ok) {
      s->events.push_back(name);
      if (p.hardware) any_hw_ok = true;
    } else {
      s->unavailable[name] = p.reason;
    }
  }
  // Software fallback: when no hardware event of the request opens here,
  // count the software events instead so the run still has per-M figures.
  if (any_hw_requested && !any_hw_ok) {
    for (const auto& name : software_events()) {
      bool have = false;
      for (const auto& e : s->events) have = have || e == name;
      if (!have && probe_event(name).ok) {
        s->events.push_back(name);
        s->fallback = true;
      }
    }
  }
}

nlohmann::json to_json(const std::vector<CounterValue>& vs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& v : vs) {
    j[v.name] = {{"raw", v.raw},           {"scaled", v.scaled},
                 {"time_enabled", v.time_enabled}, {"time_running", v.time_running},
                 {"counted", v.counted},   {"multiplexed", v.multiplexed}};
  }
  return j;
}

}  // namespace

Session::Session(int* argc, char** argv) : state_(std::make_unique<SessionState>()) {
  SessionState* s = state_.get();
  bool any = false;
  int w = 1;
  for (int r = 1; r < *argc; r++) {
    std::string a = argv[r];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      if (a.compare(0, n, flag) == 0 && a.size() > n && a[n] == '=') return argv[r] + n + 1;
      if (a == flag) bad_flag(std::string(flag) + " needs a value: " + flag + "=...");
      return nullptr;
    };
    if (const char* v = value("--gort_pin")) {
      if (!parse_pin_policy(v, &s->pin))
        bad_flag(std::string("--gort_pin: '") + v + "' is not one of none|compact|scatter|per-core");
      any = true;
    } else if (const char* v2 = value("--gort_counters")) {
      std::string list = v2;
      if (list == "default") {
        s->requested = default_hardware_events();
      } else if (list != "none" && !parse_event_list(list, &s->requested)) {
        bad_flag("--gort_counters: '" + list + "' is not a comma-separated list of event names");
      }
      any = true;
    } else if (const char* v3 = value("--gort_mmap_out")) {
      s->out_path = v3;
      if (s->out_path.empty()) bad_flag("--gort_mmap_out: empty file name");
      any = true;
    } else if (a.rfind("--gort_", 0) == 0) {
      bad_flag("unknown flag " + a + " (expected --gort_pin, --gort_counters, --gort_mmap_out)");
    } else {
      argv[w++] = argv[r];
    }
  }
  *argc = w;
  argv[w] = nullptr;
  if (!any) return;

  if (s->pin != PinPolicy::kNone) {
    hwloc_topology_init(&s->topo);
    hwloc_topology_set_io_types_filter(s->topo, HWLOC_TYPE_FILTER_KEEP_NONE);
    if (hwloc_topology_load(s->topo) != 0) bad_flag("hwloc cannot load this machine's topology");
    const char* gmp = std::getenv("GOMAXPROCS");
    s->slots = gmp ? std::atoi(gmp) : 0;
    if (s->slots <= 0)
      s->slots = hwloc_bitmap_weight(hwloc_topology_get_allowed_cpuset(s->topo));
    s->plan = plan_pins(s->topo, s->pin, s->slots);
  }
  resolve_events(s);
  SessionState* expected = nullptr;
  if (!g_session.compare_exchange_strong(expected, s)) bad_flag("a second gortbench::Session");
  gort::runtime::on_m_start(&m_start, nullptr);
  gort::runtime::on_m_exit(&m_exit, nullptr);
}

Session::~Session() {
  SessionState* s = state_.get();
  if (g_session.load() != s) return;  // nothing was asked
  g_session.store(nullptr, std::memory_order_release);
  nlohmann::json j;
  {
    std::lock_guard<std::mutex> g(s->mu);
    j["pin"] = to_string(s->pin);
    j["slots"] = s->slots;
    j["plan"] = s->plan;
    j["requested"] = s->requested;
    j["events"] = s->events;
    j["software_fallback"] = s->fallback;
    j["unavailable"] = s->unavailable;
    std::map<std::string, std::pair<double, bool>> totals;
    nlohmann::json ms = nlohmann::json::array();
    for (auto& r : s->ms) {
      if (!r->exited && r->group) {
        r->group->stop();
        r->values = r->group->read();
        r->group->close();
      }
      for (const auto& v : r->values) {
        auto& t = totals[v.name];
        t.first += v.scaled;
        t.second = t.second || v.multiplexed;
      }
      ms.push_back({{"m_id", r->m_id},
                    {"tid", r->tid},
                    {"pu_planned", r->pu_planned},
                    {"pu_seen", r->pu_seen},
                    {"bind_error", r->bind_error},
                    {"counters", to_json(r->values)}});
    }
    j["ms"] = ms;
    nlohmann::json tj = nlohmann::json::object();
    for (auto& [name, t] : totals) tj[name] = {{"scaled", t.first}, {"multiplexed", t.second}};
    j["totals"] = tj;
  }
  if (!s->out_path.empty()) {
    std::string err;
    if (!write_file_atomic(s->out_path, j.dump(1) + "\n", &err))
      std::fprintf(stderr, "gortbench: --gort_mmap_out: %s\n", err.c_str());
  }
  if (s->topo) hwloc_topology_destroy(s->topo);
}

}  // namespace gortbench
