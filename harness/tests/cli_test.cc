// cli_test.cc — gort-bench as a user meets it: every bad-input path (exit
// status 2, one line on stderr, no run directory left), smoke runs on the
// real registry and on a fake benchmark binary, the schema of run.json,
// quota runs leaving no cgroup, and Ctrl-C leaving nothing behind.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gortbench/child_process.h"
#include "gortbench/quota_cgroup.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gort-cli-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    out_ = dir_ + "/results";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // cli runs gort-bench with args; fills out/err; returns the exit status.
  int cli(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr,
          std::vector<std::pair<std::string, std::string>> env = {}) {
    gortbench::ChildSpec c;
    c.argv = {GORT_BENCH_CLI};
    for (auto& a : args) c.argv.push_back(a);
    c.stdout_path = dir_ + "/stdout";
    c.stderr_path = dir_ + "/stderr";
    c.env = std::move(env);
    c.timeout_s = 300;
    gortbench::ChildResult r = gortbench::run_child(c);
    if (out) *out = slurp(c.stdout_path);
    if (err) *err = slurp(c.stderr_path);
    return r.started && !r.term_signal ? r.exit_code : -1;
  }

  // run_dirs lists run directories (and temporaries) under out_.
  std::vector<std::string> run_dirs() {
    std::vector<std::string> v;
    if (!fs::exists(out_)) return v;
    for (auto& host : fs::directory_iterator(out_))
      for (auto& d : fs::directory_iterator(host.path())) v.push_back(d.path().string());
    return v;
  }

  std::string write_registry(json entries) {
    // A braced list of one json collapses to that json: re-wrap it.
    if (entries.is_object()) entries = json::array({entries});
    json doc = json::object();
    doc["benchmarks"] = entries;
    std::string p = dir_ + "/registry.json";
    std::ofstream(p) << doc.dump();
    return p;
  }

  json fake_entry(const std::string& name, json extra = json::object()) {
    json e = {{"name", name}, {"subsystem", "fake"}, {"binary", "gort_bench_fake"}, {"min_time", "0.01"}};
    for (auto& [k, v] : extra.items()) e[k] = v;
    return e;
  }

  void expect_bad(std::vector<std::string> args, const std::string& needle,
                  std::vector<std::pair<std::string, std::string>> env = {}) {
    std::string out, err;
    int st = cli(args, &out, &err, env);
    std::string what;
    for (auto& a : args) what += a + " ";
    EXPECT_EQ(st, 2) << what << "\n" << err;
    EXPECT_EQ(count_lines(err), 1) << what << "\n" << err;
    EXPECT_NE(err.find(needle), std::string::npos) << what << "\n" << err;
    EXPECT_TRUE(run_dirs().empty()) << what;
  }

  std::string dir_, out_;
};

TEST_F(CliTest, BadInputExitsTwoWithOneLine) {
  std::string reg = write_registry({fake_entry("FakeSpin")});
  expect_bad({}, "subcommand");
  expect_bad({"benchmark"}, "unknown subcommand 'benchmark'");
  expect_bad({"run", "--out", out_, "--colour"}, "--colour");
  expect_bad({"run", "--out", out_, "--suite", "weekly"}, "--suite 'weekly'");
  expect_bad({"run", "--out", out_, "--pin", "diagonal"}, "--pin 'diagonal'");
  expect_bad({"run", "--out", out_, "--procs", "1,,2"}, "--procs '1,,2'");
  expect_bad({"run", "--out", out_, "--procs", "0"}, "--procs '0'");
  expect_bad({"run", "--out", out_, "--quota", "half"}, "--quota 'half'");
  expect_bad({"run", "--out", out_, "--quota", "-1"}, "--quota");
  expect_bad({"run", "--out", out_, "--reps", "-3"}, "--reps");
  expect_bad({"run", "--out", out_, "--reps", "many"}, "many");
  expect_bad({"run", "--out", out_, "--counters", "cycles,,x"}, "--counters");
  expect_bad({"run", "--out", out_, "--filter", "(unclosed"}, "not a valid regular expression");
  expect_bad({"run", "--out", out_, "--filter", "NoSuchBenchmark"}, "matches no benchmark");
  expect_bad({"run", "--out", out_, "--go", "--no-go"}, "contradict");
  expect_bad({"run", "--out", out_, "--go", "--filter", "QuotaTicker"}, "no Go toolchain",
             {{"GORT_GO", "/nonexistent/go"}});
  expect_bad({"run", "--out", "/proc/gort-cannot-write", "--registry", reg}, "cannot write");
  expect_bad({"run", "--out", out_, "--registry", dir_ + "/missing.json"}, "cannot read");
  std::ofstream(dir_ + "/broken.json") << "{\"benchmarks\": [{\"name\": \"X\"";
  expect_bad({"run", "--out", out_, "--registry", dir_ + "/broken.json"}, "not valid JSON");
  expect_bad({"run", "--out", out_, "--registry", reg, "--go-twins", dir_ + "/no-twins"}, dir_ + "/no-twins");
  fs::create_directories(dir_ + "/twins-unversioned");
  expect_bad({"run", "--out", out_, "--registry", reg, "--go-twins", dir_ + "/twins-unversioned"}, "go-version.txt");
  expect_bad({"run", "--out", out_, "--registry", reg, "--bundle-manifest", dir_ + "/no-manifest.json"},
             "--bundle-manifest");
  expect_bad({"build-go-twins", dir_ + "/twins"}, "no working Go toolchain", {{"GORT_GO", "/nonexistent/go"}});
  expect_bad({"list", "--filter", "["}, "not a valid regular expression");
  expect_bad({"compare", dir_ + "/nope", dir_ + "/nope2"}, "no such run");
  expect_bad({"compare", dir_, "--format", "xml"}, "--format 'xml'");
  expect_bad({"compare", dir_, "--impl", "gort"}, "--impl and --vs");
  expect_bad({"report", dir_ + "/nope"}, "report");
}

TEST_F(CliTest, KernelRefusedQuotaIsBadInput) {
  int v = 0;
  std::string base = gortbench::QuotaCgroup::base_dir(&v);
  if (base.empty() || ::access(base.c_str(), W_OK) != 0) GTEST_SKIP() << "cgroups not writable here";
  std::string reg = write_registry({fake_entry("FakeSpin")});
  // 0.005 CPUs = 500 us per 100 ms period: under the kernel's 1 ms minimum.
  expect_bad({"run", "--out", out_, "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR, "--quota", "0.005"},
             "refuses");
}

TEST_F(CliTest, TopologyAndList) {
  std::string out, err;
  ASSERT_EQ(cli({"topology"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("GOMAXPROCS"), std::string::npos);
  EXPECT_NE(out.find("counters"), std::string::npos);
  ASSERT_EQ(cli({"topology", "--json"}, &out, &err), 0) << err;
  json t = json::parse(out);
  EXPECT_GE(t["pus"].get<int>(), 1);
  EXPECT_GE(t["gomaxprocs_default"].get<int>(), 1);
  EXPECT_TRUE(t["counters"]["available"].is_array());
  EXPECT_TRUE(t["cgroup"]["chain"].is_array());
  ASSERT_EQ(cli({"list"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("QuotaTicker"), std::string::npos);
  EXPECT_NE(out.find("308"), std::string::npos);
}

// check_schema asserts what docs/results-schema.md promises of run.json.
void check_schema(const json& r) {
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["schema_version"], 1);
  for (const char* k : {"run_id", "suite", "started_utc", "finished_utc"}) EXPECT_TRUE(r[k].is_string()) << k;
  EXPECT_TRUE(r["argv"].is_array());
  const json& c = r["context"];
  for (const char* k : {"host", "cpu_model", "kernel", "compiler", "build_type"}) EXPECT_TRUE(c[k].is_string()) << k;
  for (const char* k : {"num_cpus", "pus", "cores", "affinity_cpus", "gomaxprocs_default"})
    EXPECT_TRUE(c[k].is_number_integer()) << k;
  EXPECT_TRUE(c["caches"].is_array());
  EXPECT_TRUE(c["cgroup"]["chain"].is_array());
  EXPECT_TRUE(c["counters"]["hardware"].is_boolean());
  EXPECT_TRUE(c["counters"]["available"].is_array());
  EXPECT_TRUE(c["counters"]["unavailable"].is_object());
  EXPECT_TRUE(c["topology_xml"].is_string());
  EXPECT_TRUE(c.contains("git_commit"));
  EXPECT_TRUE(c.contains("go_version"));
  EXPECT_TRUE(r["benchmarks"].is_array());
  EXPECT_TRUE(r["skipped"].is_array());
  EXPECT_TRUE(r["failures"].is_array());
  for (const auto& e : r["benchmarks"]) {
    for (const char* k : {"name", "subsystem", "impl", "unit"}) EXPECT_TRUE(e[k].is_string()) << k;
    EXPECT_TRUE(e["claim"].is_null() || e["claim"].is_number_integer());
    EXPECT_TRUE(e["params"].is_object());
    for (const char* k : {"pin", "quota", "procs", "procs_mode"}) EXPECT_TRUE(e["params"].contains(k)) << k;
    EXPECT_TRUE(e["samples"].is_array());
    EXPECT_FALSE(e["samples"].empty());
    EXPECT_TRUE(e["median"].is_number());
    EXPECT_TRUE(e["metrics"].is_object());
    for (const auto& [k, v] : e["metrics"].items()) EXPECT_EQ(v.size(), e["samples"].size()) << k;
    EXPECT_TRUE(e["counters"].is_object());
    EXPECT_EQ(e["raw"].size(), e["samples"].size());
  }
}

TEST_F(CliTest, SmokeQuickRunWithoutBinaries) {
  std::string out, err;
  int st = cli({"run", "--suite", "quick", "--reps", "1", "--filter", "QuotaTicker", "--no-go", "--out", out_,
                "--bench-dir", dir_ + "/no-benches"},
               &out, &err);
  ASSERT_EQ(st, 0) << err;
  auto dirs = run_dirs();
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(dirs[0] + "\n", out.substr(out.rfind('\n', out.size() - 2) + 1)) << out;
  json r = json::parse(slurp(dirs[0] + "/run.json"));
  check_schema(r);
  EXPECT_TRUE(r["benchmarks"].empty());
  ASSERT_EQ(r["skipped"].size(), 2u);
  std::set<std::string> sides;
  for (const auto& s : r["skipped"]) {
    EXPECT_EQ(s["benchmark"], "QuotaTicker");
    EXPECT_FALSE(s["reason"].get<std::string>().empty());
    sides.insert(s["side"].get<std::string>());
  }
  EXPECT_EQ(sides, (std::set<std::string>{"c++", "go"}));
  EXPECT_TRUE(fs::exists(dirs[0] + "/go-bench.txt"));
  EXPECT_TRUE(json::parse(slurp(dirs[0] + "/gbench.json"))["benchmarks"].is_array());
}

TEST_F(CliTest, RunsFakeBinaryInterleavedWithCounters) {
  std::string reg = write_registry({fake_entry("FakeSpin", {{"claim", 301}})});
  std::string out, err;
  int st = cli({"run", "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR, "--reps", "3", "--procs", "default,1",
                "--counters", "default", "--out", out_},
               &out, &err);
  ASSERT_EQ(st, 0) << err;
  auto dirs = run_dirs();
  ASSERT_EQ(dirs.size(), 1u);
  json r = json::parse(slurp(dirs[0] + "/run.json"));
  check_schema(r);
  ASSERT_EQ(r["benchmarks"].size(), 2u);  // procs default and 1
  for (const auto& e : r["benchmarks"]) {
    EXPECT_EQ(e["name"], "FakeSpin");
    EXPECT_EQ(e["impl"], "os");
    EXPECT_EQ(e["claim"], 301);
    EXPECT_EQ(e["samples"].size(), 3u);
    EXPECT_EQ(e["params"]["arg0"], 64);
    EXPECT_EQ(e["metrics"]["spins_per_op"].size(), 3u);
  }
  EXPECT_NE(err.find("[6/6]"), std::string::npos) << err;  // progress
  // Compare a run with itself: nothing changes, so every row is "~".
  ASSERT_EQ(cli({"compare", dirs[0], dirs[0]}, &out, &err), 0) << err;
  EXPECT_NE(out.find("FakeSpin"), std::string::npos) << out;
  EXPECT_NE(out.find("~"), std::string::npos) << out;
  EXPECT_NE(out.find("under 6 samples"), std::string::npos) << out;
  ASSERT_EQ(cli({"compare", dirs[0], dirs[0], "--format", "json"}, &out, &err), 0) << err;
  json cj = json::parse(out);
  ASSERT_EQ(cj["rows"].size(), 2u);
  EXPECT_NEAR(cj["geomean_ratio"].get<double>(), 1.0, 1e-12);
  EXPECT_FALSE(cj["rows"][0]["significant"].get<bool>());
  ASSERT_EQ(cli({"compare", dirs[0], dirs[0], "--format", "go"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("BenchmarkFakeSpin"), std::string::npos) << out;
}

// A bundle's run: Go twins prebuilt elsewhere (here a script printing Go's
// benchmark format), no toolchain, git facts from the bundle's manifest.
TEST_F(CliTest, PrebuiltGoTwinsNeedNoToolchain) {
  std::string reg = write_registry({fake_entry("FakeSpin", {{"go_dir", "fake/go"}}),
                                    fake_entry("FakeCrash", {{"go_dir", "fake/absent"}})});
  std::string twins = dir_ + "/twins";
  fs::create_directories(twins);
  std::ofstream(twins + "/go-version.txt") << "go version go1.99.9 linux/amd64\n";
  std::string twin = twins + "/fake_go.test";  // go_twin_file_name("fake/go")
  std::ofstream(twin) << "#!/bin/sh\necho 'BenchmarkFakeSpin-2   1000   123.0 ns/op   0 B/op   0 allocs/op'\n";
  fs::permissions(twin, fs::perms::owner_all);
  std::string manifest = dir_ + "/manifest.json";
  std::ofstream(manifest) << R"({"kind": "gort-bench bundle", "commit": "0123abcd", "dirty": true})";
  std::string out, err;
  int st = cli({"run", "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR, "--go-twins", twins,
                "--bundle-manifest", manifest, "--reps", "1", "--out", out_},
               &out, &err, {{"GORT_GO", "/nonexistent/go"}});
  ASSERT_EQ(st, 0) << err;
  auto dirs = run_dirs();
  ASSERT_EQ(dirs.size(), 1u);
  json r = json::parse(slurp(dirs[0] + "/run.json"));
  check_schema(r);
  std::set<std::string> impls;
  for (const auto& e : r["benchmarks"]) impls.insert(e["impl"].get<std::string>() + ":" + e["name"].get<std::string>());
  EXPECT_TRUE(impls.count("go:FakeSpin")) << r["benchmarks"].dump();
  EXPECT_TRUE(impls.count("os:FakeSpin")) << r["benchmarks"].dump();
  EXPECT_EQ(r["context"]["go_version"], "go version go1.99.9 linux/amd64");
  EXPECT_EQ(r["context"]["git_commit"], "0123abcd");
  EXPECT_EQ(r["context"]["git_dirty"], true);
  EXPECT_EQ(r["context"]["bundle"]["kind"], "gort-bench bundle");
  // The twin absent from the directory is a skip naming it, not a failure.
  bool skipped = false;
  for (const auto& k : r["skipped"])
    if (k["benchmark"] == "FakeCrash" && k["side"] == "go")
      skipped = k["reason"].get<std::string>().find("fake_absent.test") != std::string::npos;
  EXPECT_TRUE(skipped) << r["skipped"].dump();
  ASSERT_EQ(cli({"list", "--registry", reg, "--go-twins", twins}, &out, &err), 0) << err;
  EXPECT_NE(out.find("missing"), std::string::npos) << out;
}

TEST_F(CliTest, CrashingBenchmarkIsRecordedNotFatal) {
  std::string reg = write_registry({fake_entry("FakeCrash", {{"env", {{"FAKE_CRASH", "1"}}}}),
                                    fake_entry("FakeSpin")});
  std::string out, err;
  int st = cli({"run", "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR, "--reps", "1", "--out", out_}, &out,
               &err);
  EXPECT_EQ(st, 1) << err;
  auto dirs = run_dirs();
  ASSERT_EQ(dirs.size(), 1u);
  json r = json::parse(slurp(dirs[0] + "/run.json"));
  ASSERT_EQ(r["failures"].size(), 1u);
  EXPECT_NE(r["failures"][0]["reason"].get<std::string>().find("signal 6"), std::string::npos) << r["failures"];
  EXPECT_EQ(r["benchmarks"].size(), 1u);
}

std::set<std::string> gort_cgroups() {
  std::set<std::string> s;
  int v = 0;
  std::string base = gortbench::QuotaCgroup::base_dir(&v);
  if (base.empty()) return s;
  for (auto& d : fs::directory_iterator(base))
    if (d.path().filename().string().rfind("gort-", 0) == 0) s.insert(d.path().string());
  return s;
}

TEST_F(CliTest, QuotaRunRecordsThrottlingAndRemovesCgroups) {
  int v = 0;
  std::string base = gortbench::QuotaCgroup::base_dir(&v);
  if (base.empty() || ::access(base.c_str(), W_OK) != 0) GTEST_SKIP() << "cgroups not writable here";
  auto before = gort_cgroups();
  // FakeSlow honours --benchmark_min_time: 0.3 s spans several 100 ms periods.
  std::string reg = write_registry({fake_entry("FakeSlow", {{"min_time", "0.3"}})});
  std::string out, err;
  int st = cli({"run", "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR, "--reps", "1", "--quota", "none,0.5",
                "--out", out_},
               &out, &err);
  ASSERT_EQ(st, 0) << err;
  json r = json::parse(slurp(run_dirs()[0] + "/run.json"));
  ASSERT_EQ(r["benchmarks"].size(), 2u);
  int with_quota = 0;
  for (const auto& e : r["benchmarks"]) {
    if (e["params"]["quota"].is_null()) {
      EXPECT_FALSE(e["metrics"].contains("nr_periods"));
      continue;
    }
    with_quota++;
    EXPECT_EQ(e["params"]["quota"], 0.5);
    EXPECT_GT(e["metrics"]["nr_periods"][0].get<long>(), 0);
    EXPECT_TRUE(e["metrics"]["throttled_ratio"][0].is_number());
  }
  EXPECT_EQ(with_quota, 1);
  for (const auto& c : gort_cgroups()) EXPECT_TRUE(before.count(c)) << "left behind: " << c;
}

TEST_F(CliTest, InterruptLeavesNoRunDirAndNoCgroup) {
  int v = 0;
  std::string base = gortbench::QuotaCgroup::base_dir(&v);
  bool cg = !base.empty() && ::access(base.c_str(), W_OK) == 0;
  auto before = gort_cgroups();
  std::string reg = write_registry({fake_entry("FakeSlow", {{"min_time", "30"}})});
  std::vector<std::string> args = {GORT_BENCH_CLI, "run", "--registry", reg, "--bench-dir", GORT_BENCH_FAKE_DIR,
                                   "--reps", "1", "--out", out_, "--quiet"};
  if (cg) {
    args.push_back("--quota");
    args.push_back("0.5");
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : args) a.push_back(s.data());
    a.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  // Wait until the benchmark process runs (its temp run dir exists), then Ctrl-C.
  for (int i = 0; i < 600 && run_dirs().empty(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGINT);
  int st = 0;
  ::waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 128 + SIGINT);
  EXPECT_TRUE(run_dirs().empty());
  for (const auto& c : gort_cgroups()) EXPECT_TRUE(before.count(c)) << "left behind: " << c;
}

}  // namespace
