// main.cc — the gort-bench command line: topology, list, run, compare, report,
// build-go-twins.
//
// Parsing is CLI11's; every parse error (unknown flag or subcommand, bad
// value, missing argument) is one line on stderr and exit status 2. The
// subcommands live in libgortbench-cli (runner, compare, machine_context,
// registry); this file only wires options to them.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "gortbench/build_info.h"
#include "gortbench/compare.h"
#include "gortbench/machine_context.h"
#include "gortbench/registry.h"
#include "gortbench/runner.h"

namespace fs = std::filesystem;
using namespace gortbench;

namespace {

int topology_command(bool as_json) {
  ContextOptions o;
  o.topology_xml = as_json;
  nlohmann::json ctx = machine_context(o);
  if (as_json) std::printf("%s\n", ctx.dump(1).c_str());
  else std::printf("%s", render_topology(ctx).c_str());
  return 0;
}

int list_command(const std::string& filter, const std::string& registry_opt, const std::string& bench_dir_opt,
                 const std::string& go_twins) {
  std::regex re;
  try {
    re = std::regex(filter.empty() ? ".*" : filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "gort-bench list: --filter '%s': not a valid regular expression (%s)\n", filter.c_str(), e.what());
    return 2;
  }
  std::string src = build_info::kSourceDir;
  std::string registry = registry_opt.empty() ? src + "/harness/benchmarks.json" : registry_opt;
  std::string bench_dir = bench_dir_opt.empty() ? std::string(build_info::kBinaryDir) + "/benches" : bench_dir_opt;
  std::vector<BenchSpec> specs;
  std::string err;
  if (!load_registry(registry, &specs, &err)) {
    std::fprintf(stderr, "gort-bench list: %s\n", err.c_str());
    return 2;
  }
  std::printf("%-28s %-8s %-6s %-26s %-12s %-8s %s\n", "benchmark", "subsys", "claim", "impls", "suites", "go twin",
              "c++ binary");
  int shown = 0;
  for (const auto& s : specs) {
    if (!std::regex_search(s.name, re)) continue;
    shown++;
    std::string impls, suites;
    for (const auto& i : s.impls) impls += (impls.empty() ? "" : ",") + i;
    for (const auto& i : s.suites) suites += (suites.empty() ? "" : ",") + i;
    std::string go = !s.has_go() ? "no"
                     : !go_twins.empty() ? (::access((go_twins + "/" + go_twin_file_name(s.go_dir)).c_str(), X_OK) == 0 ? "yes" : "missing")
                     : (fs::exists(src + "/" + s.go_dir) ? "yes" : "planned");
    std::string bin = !s.has_cxx() ? "-" : s.binary + (::access((bench_dir + "/" + s.binary).c_str(), X_OK) == 0 ? "" : " (not built)");
    std::printf("%-28s %-8s %-6s %-26s %-12s %-8s %s\n", s.name.c_str(), s.subsystem.c_str(),
                s.claim ? std::to_string(*s.claim).c_str() : "-", impls.c_str(), suites.c_str(), go.c_str(), bin.c_str());
  }
  if (shown == 0 && !filter.empty()) {
    std::fprintf(stderr, "gort-bench list: --filter '%s' matches no benchmark\n", filter.c_str());
    return 2;
  }
  return 0;
}

int report_command(const std::vector<std::string>& dirs) {
  std::string src = build_info::kSourceDir;
  std::string script = src + "/scripts/report/report.py";
  if (::access(script.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "gort-bench report: no %s here (report from a checkout of the repository)\n", script.c_str());
    return 2;
  }
  for (const auto& d : dirs) {
    if (!fs::exists(fs::path(d) / "run.json")) {
      std::fprintf(stderr, "gort-bench report: %s is not a run directory (no run.json)\n", d.c_str());
      return 2;
    }
  }
  std::vector<std::string> args = {"/usr/bin/python3", script};
  for (const auto& d : dirs) args.push_back(d);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execv(argv[0], argv.data());
  std::fprintf(stderr, "gort-bench report: cannot run /usr/bin/python3: %s\n", std::strerror(errno));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // The paths a bundle's run wrapper fills in may be given again after it:
  // the last one counts.
  constexpr CLI::MultiOptionPolicy kLast = CLI::MultiOptionPolicy::TakeLast;
  CLI::App app{"gort-bench: benchmark and characterize libgort against Go and OS threads"};
  app.require_subcommand(1);

  bool topo_json = false;
  auto* topo = app.add_subcommand("topology", "machine shape, limits, counters, settings");
  topo->add_flag("--json", topo_json, "print the context as JSON");

  std::string list_filter, registry, bench_dir;
  auto* list = app.add_subcommand("list", "benchmarks in the registry");
  list->add_option("--filter", list_filter, "regular expression on benchmark names");
  list->add_option("--registry", registry, "registry file (default harness/benchmarks.json)")->multi_option_policy(kLast);
  list->add_option("--bench-dir", bench_dir, "where the gort_bench_* binaries are")->multi_option_policy(kLast);
  std::string list_go_twins;
  list->add_option("--go-twins", list_go_twins, "prebuilt Go twins (see run --go-twins)")->multi_option_policy(kLast);

  RunOptions ro;
  bool go_flag = false, no_go_flag = false;
  auto* run = app.add_subcommand("run", "run benchmarks and write a run directory");
  run->add_option("--suite", ro.suite, "quick (default) or full");
  run->add_option("--filter", ro.filter, "regular expression on benchmark names");
  run->add_option("--procs", ro.procs, "GOMAXPROCS list: integers and default|host|floor|ceil (of the quota)");
  run->add_option("--pin", ro.pin, "none|compact|scatter|per-core");
  run->add_option("--counters", ro.counters, "event list, 'default' or 'none'");
  run->add_option("--quota", ro.quota, "CPU quota list in CPUs, e.g. none,0.5,1,1.5");
  run->add_option("--reps", ro.reps, "repetitions (quick 6, full 10)");
  run->add_flag("--go", go_flag, "require the Go twins");
  run->add_flag("--no-go", no_go_flag, "skip the Go twins");
  run->add_option("--out", ro.out, "results root (default results/)");
  run->add_flag("--dry-run", ro.dry_run, "print the plan, run nothing");
  run->add_option("--timeout", ro.timeout_s, "seconds per benchmark process");
  run->add_option("--registry", ro.registry, "registry file (default harness/benchmarks.json)")->multi_option_policy(kLast);
  run->add_option("--bench-dir", ro.bench_dir, "where the gort_bench_* binaries are")->multi_option_policy(kLast);
  run->add_option("--go-twins", ro.go_twins, "prebuilt Go twin test binaries and go-version.txt (build-go-twins); no Go toolchain needed")
      ->multi_option_policy(kLast);
  run->add_option("--bundle-manifest", ro.bundle_manifest, "a bundle's manifest.json: git commit and build recorded from it")
      ->multi_option_policy(kLast);
  run->add_flag("--quiet", ro.quiet, "no progress lines");

  CompareOptions co;
  auto* cmp = app.add_subcommand("compare", "compare two runs, or two impls inside one run");
  cmp->add_option("RUN_A", co.run_a, "run directory")->required();
  cmp->add_option("RUN_B", co.run_b, "run directory");
  cmp->add_option("--format", co.format, "text|json|go");
  cmp->add_option("--impl", co.impl, "with --vs: compare this impl ...");
  cmp->add_option("--vs", co.vs, "... against this one, inside RUN_A");

  std::string twins_dir, twins_registry;
  auto* twins = app.add_subcommand("build-go-twins", "compile every Go twin into DIR for run --go-twins");
  twins->add_option("DIR", twins_dir, "output directory")->required();
  twins->add_option("--registry", twins_registry, "registry file (default harness/benchmarks.json)");

  std::vector<std::string> report_dirs;
  auto* rep = app.add_subcommand("report", "render plots and the report of run directories");
  rep->add_option("RUN_DIR", report_dirs, "run directories")->required();

  if (argc > 1 && argv[1][0] != '-') {
    std::string sub = argv[1];
    if (sub != "topology" && sub != "list" && sub != "run" && sub != "compare" && sub != "report" &&
        sub != "build-go-twins") {
      std::fprintf(stderr,
                   "gort-bench: unknown subcommand '%s' (expected topology, list, run, compare, report or "
                   "build-go-twins)\n",
                   sub.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "gort-bench: %s (see gort-bench --help)\n", msg.c_str());
    return 2;
  }
  if (go_flag && no_go_flag) {
    std::fprintf(stderr, "gort-bench run: --go and --no-go contradict each other\n");
    return 2;
  }
  if (*topo) return topology_command(topo_json);
  if (*list) return list_command(list_filter, registry, bench_dir, list_go_twins);
  if (*twins) return build_go_twins_command(twins_dir, twins_registry);
  if (*run) {
    ro.go = go_flag ? 1 : (no_go_flag ? 0 : -1);
    for (int i = 0; i < argc; i++) ro.argv.push_back(argv[i]);
    return run_command(ro);
  }
  if (*cmp) return compare_command(co);
  if (*rep) return report_command(report_dirs);
  return 2;
}
