#!/usr/bin/python3
"""report.py — the gort-bench report: plots, the claims table, cross-CPU page.

Usage:
  /usr/bin/python3 scripts/report/report.py RUN_DIR [RUN_DIR...] [--out DIR] [--baseline RUN_DIR] [--merge]

Reads each RUN_DIR/run.json (docs/results-schema.md). The first run is the one
reported on (context, plots, claims); with several runs, a cross-CPU page
compares every run against the baseline (default: the first run).
Writes into --out (default: FIRST_RUN/report/): report.md, report.html (every
PNG embedded, so the file stands alone), the PNG plots, and with several runs
crosscpu.md / crosscpu.html. With --merge, the runs of one machine are first
pooled into one (runs.merge_runs). Prints the path of report.html.

Exit status: 0 written; 2 malformed or partial input (one line on stderr).
A plot whose data the run does not have is listed as "not measured in this run".
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runs import InputError, Run, load_run, merge_runs  # noqa: E402  (numpy only: bad input fails fast)
from writers import H, Img, P, Table, UL, to_html, to_markdown, write_atomic  # noqa: E402

# Report sections in order; each module has SECTION, PLOTS and optionally
# notes(run). Imported on first use: matplotlib costs seconds to import.
MODULE_NAMES = ["plots_sched", "plots_chan", "plots_mem", "plots_gc", "plots_quota", "plots_counters", "plots_lang"]


def modules():
    import importlib
    return [importlib.import_module(n) for n in MODULE_NAMES]


def __getattr__(name):  # report.MODULES, for tests and callers
    if name == "MODULES":
        return modules()
    raise AttributeError(name)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_args(argv):
    ap = _Parser(prog="report.py", description="gort-bench report: plots, claims table, cross-CPU comparison")
    ap.add_argument("runs", nargs="+", metavar="RUN_DIR")
    ap.add_argument("--out", metavar="DIR", help="output directory (default: FIRST_RUN/report)")
    ap.add_argument("--baseline", metavar="RUN_DIR", help="baseline of the cross-CPU comparison (default: first run)")
    ap.add_argument("--merge", action="store_true",
                    help="pool the runs of each machine (host, CPU model) into one reported run "
                         "(a suite run in steps); the first run given wins where two measured the same entry")
    return ap.parse_args(argv)


def context_rows(run: Run) -> list[list[str]]:
    c = run.context
    cg = c.get("cgroup") or {}
    cnt = c.get("counters") or {}

    def g(k):
        v = c.get(k)
        return "–" if v is None else str(v)
    hw = cnt.get("hardware")
    rows = [
        ["run", run.run_id], ["suite", str(run.suite or "–")], ["host", run.host], ["CPU", run.cpu_model],
        ["CPUs / cores / PUs", f"{g('num_cpus')} / {g('cores')} / {g('pus')}"],
        ["packages / NUMA nodes", f"{g('packages')} / {g('numa_nodes')}"],
        ["kernel", g("kernel")], ["governor", g("governor")], ["SMT", g("smt")], ["turbo", g("turbo")],
        ["cgroup", f"v{cg.get('version', '?')}, quota {cg.get('quota_cpus') if cg.get('quota_cpus') is not None else 'none'}"],
        ["GOMAXPROCS default", g("gomaxprocs_default")],
        ["hardware counters", "–" if hw is None else ("yes" if hw else f"no ({cnt.get('hardware_reason', 'no reason recorded')})")],
        ["compiler / build", f"{g('compiler')} / {g('build_type')}"], ["Go", g("go_version")],
        ["git commit", g("git_commit") + (" (dirty)" if c.get("git_dirty") else "")],
        ["load average before", g("load_avg_before")],
    ]
    return rows


def build(runs: list[Run], base: Run, outdir: str):
    import claims
    import crosscpu
    import figures as F
    run = runs[0]
    blocks = [H(1, f"gort-bench report — {run.machine}"),
              P(f"Run {run.run_id}, repetitions {run.reps}, {len(run.entries)} benchmark entries. "
                "Every plot shows the median and the spread over repetitions and names its sample count."
                + (" The plots and claims are this run's; the other runs given ("
                   + ", ".join(r.run_id for r in runs[1:]) + ") appear in the cross-CPU comparison."
                   if len(runs) > 1 else ""))]
    bt = str(run.context.get("build_type") or "")
    if (bt and bt.lower() not in ("release", "relwithdebinfo", "bench")) or run.context.get("debug_build"):
        blocks.append(P(f"WARNING: this run used a {bt or 'debug'} build; its figures are not representative."))
    blocks += [H(2, "Machine"), Table(["context", "value"], context_rows(run))]

    results = claims.evaluate(run)
    counts = {v: sum(r.verdict == v for r in results) for v in (claims.HOLDS, claims.DIFFERENT, claims.NOT, claims.UNMEASURED)}
    blocks += [H(2, "Claims 301–320", "claims"),
               P("Verdicts are computed from this run's figures by the rules in scripts/report/claims.py "
                 "(one per claim, naming the benchmarks it reads). Claims are about Go's runtime: the rule judges "
                 "Go's figures where measured, libgort's otherwise. "
                 + ", ".join(f"{n} {v}" for v, n in counts.items()) + "."),
               Table(claims.TABLE_HEADERS, claims.table_rows(results))]
    blocks += crosscpu.impl_blocks(run, "gort", "go")

    skipped_all = []
    for mod in modules():
        blocks.append(H(2, mod.SECTION))
        notes = mod.notes(run) if hasattr(mod, "notes") else []
        for n in notes:
            blocks.append(P(n))
        skipped = []
        for fn in mod.PLOTS:
            try:
                res = fn(run, outdir)
            except Exception as e:  # a plot must never take the report down
                traceback.print_exc(file=sys.stderr)
                print(f"report: warning: plot {fn.__name__} failed: {e}", file=sys.stderr)
                res = F.Skipped(fn.__name__, fn.__name__, f"could not be drawn ({type(e).__name__}: {e})")
            if isinstance(res, F.Figure):
                blocks.append(Img(res.file, res.title, res.caption))
            else:
                skipped.append(res)
        if skipped:
            blocks.append(P("Not measured in this run:"))
            blocks.append(UL([f"{s.title} — needs {s.needs}" for s in skipped]))
            skipped_all += skipped
    if len(runs) > 1:
        cc = crosscpu.blocks(runs, base, outdir)
        blocks += cc
        page = [H(1, "gort-bench cross-CPU comparison")] + cc
        write_atomic(os.path.join(outdir, "crosscpu.md"), to_markdown(page))
        write_atomic(os.path.join(outdir, "crosscpu.html"), to_html(page, "gort-bench cross-CPU comparison", outdir))
    blocks += [H(2, "Not measured in this run"),
               UL([f"{s.title} — needs {s.needs}" for s in skipped_all]) if skipped_all
               else P("Every plot had data.")]
    blocks += entries_table(run)
    return blocks, results


def entries_table(run: Run) -> list:
    """entries_table: every entry of the run with its median and spread, so
    nothing measured is hidden even when no plot knows its name yet."""
    from stats import fmt_value, median_ci
    rows = []
    for e in run.entries:
        ci = median_ci(e.samples)
        pl = ", ".join(f"{k}={v}" for k, v in e.params.items() if v is not None and k != "pin")
        rows.append([e.name, e.impl, pl, str(e.n), fmt_value(e.median, e.unit),
                     f"{fmt_value(e.lo, e.unit)} – {fmt_value(e.hi, e.unit)}",
                     "–" if ci is None else f"{fmt_value(ci[0], e.unit)} – {fmt_value(ci[1], e.unit)}",
                     ", ".join(sorted(e.metrics))[:80]])
    return [H(2, "All benchmark entries", "entries"),
            P("Median, min–max over repetitions, and the 95% confidence interval of the median from order "
              "statistics (needs n ≥ 6). Metrics lists the per-repetition metrics each entry carries."),
            Table(["benchmark", "impl", "params", "n", "median", "min – max", "95% CI of median", "metrics"], rows)]


def main(argv=None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        runs = [load_run(p) for p in args.runs]
        if args.merge:
            runs = merge_runs(runs)
        base = runs[0]
        if args.baseline:
            b = load_run(args.baseline)
            match = [r for r in runs if os.path.realpath(r.path) == os.path.realpath(b.path)]
            if match:
                base = match[0]
            else:
                runs.append(b)
                base = b
    except UsageError as e:
        print(f"report: {e} (usage: report.py RUN_DIR [RUN_DIR...] [--out DIR] [--baseline RUN_DIR] [--merge])", file=sys.stderr)
        return 2
    except InputError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    outdir = args.out or os.path.join(runs[0].path, "report")
    try:
        os.makedirs(outdir, exist_ok=True)
        if not os.access(outdir, os.W_OK):
            raise OSError("not writable")
    except OSError as e:
        print(f"report: {outdir}: cannot write the report ({e})", file=sys.stderr)
        return 2
    blocks, _ = build(runs, base, outdir)
    title = f"gort-bench report — {runs[0].run_id}"
    write_atomic(os.path.join(outdir, "report.md"), to_markdown(blocks))
    write_atomic(os.path.join(outdir, "report.html"), to_html(blocks, title, outdir))
    print(os.path.join(outdir, "report.html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
