// bench_output_test.cc — parsing Google Benchmark JSON and Go's benchmark
// text, naming/params, the Go/GBench writers, and registry validation.
#include "gortbench/bench_output.h"

#include <gtest/gtest.h>

#include "gortbench/registry.h"

namespace gb = gortbench;
using nlohmann::json;

namespace {

TEST(BenchOutputTest, SplitNames) {
  json p;
  int procs = 0;
  EXPECT_EQ(gb::split_bench_name("Alloc/size:64/impl:mimalloc/real_time", false, &p, &procs), "Alloc");
  EXPECT_EQ(p["size"], 64);
  EXPECT_EQ(p["impl"], "mimalloc");
  EXPECT_FALSE(p.contains("real_time"));
  EXPECT_EQ(gb::split_bench_name("BenchmarkChanPingPong/cap=0-8", true, &p, &procs), "ChanPingPong");
  EXPECT_EQ(procs, 8);
  EXPECT_EQ(p["cap"], 0);
  EXPECT_EQ(gb::split_bench_name("BenchmarkSkynet", true, &p, &procs), "Skynet");
  EXPECT_EQ(procs, 0);
}

TEST(BenchOutputTest, ParsesGbenchJson) {
  const char* text = R"({"context": {"host_name": "h"}, "benchmarks": [
    {"name": "Foo/n:8/impl:os", "run_name": "Foo/n:8/impl:os", "run_type": "iteration",
     "iterations": 1000, "real_time": 2.5, "cpu_time": 2.4, "time_unit": "us", "p99_ns": 7.0},
    {"name": "Foo_mean", "run_type": "aggregate", "real_time": 1, "time_unit": "ns"},
    {"name": "Bad", "run_type": "iteration", "error_occurred": true, "error_message": "boom"}]})";
  std::vector<gb::Sample> s;
  std::vector<std::string> errors;
  json ctx;
  ASSERT_TRUE(gb::parse_gbench_json(text, &s, &errors, &ctx));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "Foo");
  EXPECT_EQ(s[0].impl, "os");
  EXPECT_DOUBLE_EQ(s[0].ns_per_op, 2500.0);
  EXPECT_EQ(s[0].params["n"], 8);
  EXPECT_DOUBLE_EQ(s[0].metrics["p99_ns"].get<double>(), 7.0);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "Bad: boom");
  EXPECT_EQ(ctx["host_name"], "h");
  EXPECT_FALSE(gb::parse_gbench_json("not json", &s, &errors, nullptr));
}

TEST(BenchOutputTest, ParsesGoText) {
  const char* text =
      "goos: linux\n"
      "BenchmarkQuotaTicker/spinners=2-2         \t     100\t   1234567 ns/op\t  99 p99_late_ns\t 16 B/op\t 1 allocs/op\n"
      "BenchmarkOne \t 5 \t 10.5 ns/op\n"
      "PASS\n";
  auto s = gb::parse_go_bench(text);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "QuotaTicker");
  EXPECT_EQ(s[0].impl, "go");
  EXPECT_EQ(s[0].params["procs"], 2);
  EXPECT_EQ(s[0].params["spinners"], 2);
  EXPECT_DOUBLE_EQ(s[0].ns_per_op, 1234567);
  EXPECT_DOUBLE_EQ(s[0].metrics["p99_late_ns"].get<double>(), 99);
  EXPECT_DOUBLE_EQ(s[0].metrics["bytes_per_op"].get<double>(), 16);
  EXPECT_EQ(s[1].params["procs"], 1);  // Go omits -1
}

TEST(BenchOutputTest, WritesGoTextAndGbenchJson) {
  json run = {{"run_id", "h/1"},
              {"context", {{"host", "h"}, {"cpu_model", "C"}}},
              {"benchmarks",
               {{{"name", "Foo"}, {"impl", "gort"}, {"params", {{"procs", 4}, {"pin", "none"}, {"size", 64}}},
                 {"samples", {10.0, 11.0}}, {"iterations", {100, 100}},
                 {"metrics", {{"p99_ns", {5.0, 6.0}}}}, {"raw", {json::object(), json::object()}}}}}};
  std::string t = gb::go_bench_text(run);
  EXPECT_NE(t.find("impl: gort\n"), std::string::npos) << t;
  EXPECT_NE(t.find("BenchmarkFoo/size=64-4 \t100\t10 ns/op\t5 p99_ns"), std::string::npos) << t;
  // Re-reading our own Go text gives back the samples.
  auto back = gb::parse_go_bench(t);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_DOUBLE_EQ(back[1].ns_per_op, 11.0);
  json g = gb::gbench_json(run);
  ASSERT_EQ(g["benchmarks"].size(), 2u);
  EXPECT_EQ(g["benchmarks"][1]["real_time"], 11.0);
  EXPECT_EQ(g["benchmarks"][1]["repetition_index"], 1);
}

TEST(BenchOutputTest, ParsesGcTraceWithRunsAndWindow) {
  // A Google Benchmark calibration run, then the measured run with a window;
  // a Go line (two-significant-digit ms, forced) and other stderr noise.
  const char* text =
      "gort-bench run\n"
      "gc 1 @0.010s 3%: 0.012+1.5+0.020 ms clock, 0.024+0.10/1.2/0.30+0.040 ms cpu, 4->5->2 MB, 5 MB goal, "
      "0 MB stacks, 0 MB globals, 2 P\n"
      "some other line\n"
      "gort-bench run\n"
      "gc 2 @0.500s 4%: 0.031+12+0.045 ms clock, 0.062+1.0/9.0/2.0+0.090 ms cpu, 20->22->16 MB, 32 MB goal, "
      "0 MB stacks, 0 MB globals, 2 P (forced)\n"
      "gort-bench window begin\n"
      "gc 3 @0.900s 5%: 0.040+3.1+0.055 ms clock, 0.080+0.5/2.5/0.0+0.11 ms cpu, 32->33->16 MB, 32 MB goal, "
      "0 MB stacks, 0 MB globals, 2 P\n"
      "gort-bench window end\n";
  json s = gb::parse_gc_trace(text);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["source"], "gctrace");
  EXPECT_EQ(s["runs"], 2);
  EXPECT_EQ(s["windowed"], true);
  ASSERT_EQ(s["cycles"].size(), 3u);
  const json& a = s["cycles"][0];
  EXPECT_EQ(a["gc"], 1);
  EXPECT_DOUBLE_EQ(a["t_s"].get<double>(), 0.010);
  EXPECT_DOUBLE_EQ(a["sweep_term_stw_ms"].get<double>(), 0.012);
  EXPECT_DOUBLE_EQ(a["mark_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(a["mark_term_stw_ms"].get<double>(), 0.020);
  EXPECT_DOUBLE_EQ(a["mark_cpu_ms"].get<double>(), 0.10 + 1.2 + 0.30);
  EXPECT_EQ(a["heap_before_mb"], 4);
  EXPECT_EQ(a["heap_after_mb"], 5);
  EXPECT_EQ(a["live_mb"], 2);
  EXPECT_EQ(a["goal_mb"], 5);
  EXPECT_EQ(a["procs"], 2);
  EXPECT_EQ(a["forced"], false);
  EXPECT_EQ(a["run"], 1);
  EXPECT_EQ(a["measured"], false);  // calibration run
  EXPECT_EQ(s["cycles"][1]["forced"], true);
  EXPECT_EQ(s["cycles"][1]["measured"], false);  // measured run, before the window
  EXPECT_DOUBLE_EQ(s["cycles"][1]["mark_ms"].get<double>(), 12);
  EXPECT_EQ(s["cycles"][2]["measured"], true);
  EXPECT_EQ(s["cycles"][2]["in_window"], true);

  // No window markers: the last run is the measured one; no markers at all:
  // every cycle is.
  json t = gb::parse_gc_trace(
      "gc 7 @1.000s 1%: 0.010+1.0+0.010 ms clock, 0.02+0/1.0/0+0.02 ms cpu, 1->1->0 MB, 4 MB goal, 0 MB stacks, "
      "0 MB globals, 1 P\n");
  ASSERT_TRUE(t.is_object());
  EXPECT_EQ(t["runs"], 0);
  EXPECT_EQ(t["cycles"][0]["measured"], true);
  EXPECT_FALSE(t["cycles"][0].contains("in_window"));

  // The Boehm baseline's own line; Boehm's GC_PRINT_STATS "In-use heap" line
  // before it gives the live heap of that collection only.
  json b = gb::parse_gc_trace(
      "gort-bench run\ngort-bench window begin\n"
      "boehm gc 12 @0.250s: 3.500 ms stop, 40.000->16.250 MB in use, 64.000 MB heap\n"
      "World-stopped marking took 3 ms 481234 ns (2 ms in average)\n"
      "In-use heap: 50% (20480 KiB pointers + 1024 KiB other)\n"
      "boehm gc 13 @0.500s: 3.000 ms stop, 40.000->40.000 MB in use, 64.000 MB heap\n");
  ASSERT_TRUE(b.is_object());
  EXPECT_EQ(b["source"], "boehm");
  const json& c = b["cycles"][0];
  EXPECT_DOUBLE_EQ(c["stop_ms"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(c["heap_before_mb"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(c["heap_after_mb"].get<double>(), 16.25);
  EXPECT_TRUE(c["live_mb"].is_null());
  EXPECT_DOUBLE_EQ(b["cycles"][1]["live_mb"].get<double>(), 21.0);
  EXPECT_DOUBLE_EQ(c["heap_size_mb"].get<double>(), 64);
  EXPECT_TRUE(c["goal_mb"].is_null());
  EXPECT_EQ(c["measured"], true);

  EXPECT_TRUE(gb::parse_gc_trace("gc 1 @ nonsense\nhello\n").is_null());
  EXPECT_TRUE(gb::parse_gc_trace("").is_null());
}

TEST(RegistryTest, ValidEntryWithDefaults) {
  json doc = {{"benchmarks", {{{"name", "Foo"}, {"subsystem", "chan"}, {"binary", "gort_bench_chan"}}}}};
  std::vector<gb::BenchSpec> specs;
  std::string err;
  ASSERT_TRUE(gb::parse_registry(doc, "r", &specs, &err)) << err;
  EXPECT_EQ(specs[0].filter, "^Foo(/|$)");
  EXPECT_EQ(specs[0].go_bench, "^BenchmarkFoo$");
  EXPECT_TRUE(specs[0].in_suite("quick"));
  EXPECT_FALSE(specs[0].claim.has_value());
}

TEST(RegistryTest, BadEntriesNameTheProblem) {
  struct Case {
    json entry;
    const char* needle;
  } cases[] = {
      {{{"name", "A"}, {"subsystem", "x"}, {"binary", "b"}, {"binray", "typo"}}, "unknown key \"binray\""},
      {{{"name", "A"}, {"subsystem", "x"}}, "needs a \"binary\" or a \"go_dir\""},
      {{{"subsystem", "x"}, {"binary", "b"}}, "benchmarks[0]"},
      {{{"name", "A"}, {"subsystem", "x"}, {"binary", "b"}, {"suites", {"nightly"}}}, "suite \"nightly\""},
      {{{"name", "A"}, {"subsystem", "x"}, {"binary", "b"}, {"full_procs", {0}}}, "full_procs item 0"},
  };
  for (const auto& c : cases) {
    std::vector<gb::BenchSpec> specs;
    std::string err;
    EXPECT_FALSE(gb::parse_registry(json{{"benchmarks", {c.entry}}}, "r", &specs, &err));
    EXPECT_NE(err.find(c.needle), std::string::npos) << err;
  }
  std::vector<gb::BenchSpec> specs;
  std::string err;
  json dup = {{"benchmarks", {{{"name", "A"}, {"subsystem", "x"}, {"binary", "b"}},
                              {{"name", "A"}, {"subsystem", "x"}, {"binary", "b"}}}}};
  EXPECT_FALSE(gb::parse_registry(dup, "r", &specs, &err));
  EXPECT_NE(err.find("duplicate"), std::string::npos);
}

TEST(RegistryTest, TheCheckedInRegistryLoads) {
  std::vector<gb::BenchSpec> specs;
  std::string err;
  ASSERT_TRUE(gb::load_registry(GORT_REGISTRY, &specs, &err)) << err;
  EXPECT_FALSE(specs.empty());
}

}  // namespace
