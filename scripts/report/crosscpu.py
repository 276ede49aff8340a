"""crosscpu.py — compare runs (normally from different machines) against a
baseline run: per benchmark × implementation × parameter set, the ratio of
medians with a 95% bootstrap confidence interval, a Mann–Whitney U p-value,
the geomean per machine, and a plot.

The ratio is a *time* ratio, run / baseline: below 1 the run is faster than
the baseline. Entries whose unit is higher-is-better (`_per_s`, `/s`) are
inverted so the meaning stays the same.
"""
from __future__ import annotations

from dataclasses import dataclass

import figures as F
from runs import Entry, Run
from stats import geomean, mann_whitney_p, ratio_ci
from writers import H, Img, P, Table, UL

MAX_PLOT_ROWS = 40


@dataclass
class Ratio:
    label: str
    run: Run
    ratio: float
    lo: float
    hi: float
    p: float | None
    n_run: int
    n_base: int

    @property
    def significant(self) -> bool:
        return not (self.lo <= 1 <= self.hi) and (self.p is None or self.p < 0.05)


def key(e: Entry):
    """key: what must match across machines. A GOMAXPROCS the runtime chose
    itself (procs_mode default) differs between machines by design: it
    matches as "default"."""
    p = dict(e.params)
    if str(p.get("procs_mode", "")) == "default":
        p["procs"] = "default"
    return (e.name, e.impl, tuple(sorted((k, str(v)) for k, v in p.items())))


def label(e: Entry) -> str:
    pl = F.params_label(e.params)
    return f"{e.name} [{e.impl}]" + (f" {pl}" if pl else "")


def higher_better(e: Entry) -> bool:
    return e.unit.endswith("_per_s") or e.unit.endswith("/s")


def compare(base: Run, other: Run) -> list[Ratio]:
    """compare returns one Ratio per entry present in both runs."""
    idx = {key(e): e for e in base.entries}
    out = []
    for e in other.entries:
        b = idx.get(key(e))
        if b is None or b.unit != e.unit:
            continue
        if not (b.median > 0 and e.median > 0):
            continue  # a zero figure has no ratio
        if higher_better(e):
            r, lo, hi = ratio_ci(b.samples, e.samples)
        else:
            r, lo, hi = ratio_ci(e.samples, b.samples)
        out.append(Ratio(label(e), other, r, lo, hi, mann_whitney_p(e.samples, b.samples), e.n, b.n))
    return out


def plot(base: Run, results: dict, outdir: str):
    """plot draws every ratio with its CI, one colour per compared run."""
    labels = []
    for rs in results.values():
        for r in rs:
            if r.label not in labels:
                labels.append(r.label)
    labels = labels[:MAX_PLOT_ROWS]
    if not labels:
        return None
    fig, axes = F.new_figure(width=8, height=1.5 + 0.28 * len(labels))
    ax = axes[0][0]
    k = len(results)
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    allents = []
    for j, (run_id, rs) in enumerate(results.items()):
        if not rs:
            continue  # nothing in common with the baseline: no points, no legend entry
        ys, xs, lo, hi = [], [], [], []
        n_run = sorted({r.n_run for r in rs})
        for r in rs:
            if r.label not in labels:
                continue
            ys.append(labels.index(r.label) + (j - (k - 1) / 2) * 0.25)
            xs.append(r.ratio)
            lo.append(r.ratio - r.lo)
            hi.append(r.hi - r.ratio)
        run = rs[0].run if rs else None
        name = run.machine if run else run_id
        nl = f"n={n_run[0]}" if len(n_run) == 1 else f"n={n_run[0]}–{n_run[-1]}"
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", ms=4, capsize=2, color=palette[j % len(palette)],
                    label=f"{name}, run {run_id} ({nl})")
        if run:
            allents += run.entries
    ax.axvline(1.0, color="#777777", lw=0.8)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(f"time ratio vs baseline {base.machine} (log; < 1 = faster)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return F.finish(fig, base, base.entries + allents, outdir, "crosscpu",
                    "Cross-CPU comparison: ratio of medians vs the baseline run",
                    spread="points = ratio of medians, bars = 95% bootstrap CI",
                    margins={"left": 2.6, "top": 0.9})


def blocks(runs: list[Run], base: Run, outdir: str) -> list:
    """blocks builds the comparison section (and writes its plot)."""
    others = [r for r in runs if r is not base]
    out = [H(2, "Cross-CPU comparison", "crosscpu"),
           P(f"Baseline: {base.machine}, run {base.run_id} ({base.reps}). Each row: median of the run ÷ median "
             f"of the baseline for the same benchmark, implementation and parameters, with a 95% percentile-"
             f"bootstrap confidence interval of the ratio of medians and a two-sided Mann–Whitney U p-value; "
             f"'~' marks a difference that is not significant (the CI contains 1 or p ≥ 0.05). "
             f"Higher-is-better units are inverted: < 1 always means faster than the baseline.")]
    def ctx(r, k):
        v = r.context.get(k)
        return "–" if v is None else str(v)
    out.append(Table(["run", "role", "host", "CPU", "CPUs", "kernel", "governor", "SMT", "hardware counters",
                      "Go", "repetitions"],
                     [[r.run_id, "baseline" if r is base else "compared", r.host, r.cpu_model, ctx(r, "num_cpus"),
                       ctx(r, "kernel"), ctx(r, "governor"), ctx(r, "smt"),
                       {True: "yes", False: "no", None: "–"}[r.hardware_counters], ctx(r, "go_version"), r.reps]
                      for r in [base] + others]))
    same = [r for r in others if r.machine_key == base.machine_key]
    if same:
        out.append(P("Note: " + ", ".join(r.run_id for r in same) + " ran on the baseline's own machine "
                     "(same host and CPU model): those rows compare runs, not CPUs."))
    results = {}
    summary = []
    for r in others:
        rs = compare(base, r)
        results[r.run_id] = rs
        g = geomean([x.ratio for x in rs])
        summary.append(f"{r.machine}, run {r.run_id}: {len(rs)} benchmarks in common, geomean time ratio "
                       + (f"{g:.3f}" if g else "–"))
    if not any(results.values()):
        out.append(P("No benchmark (same name, implementation and parameters) is common to these runs."))
        return out
    out.append(UL(summary))
    fig = plot(base, results, outdir)
    if fig is not None:
        out.append(Img(fig.file, fig.title, fig.caption))
    rows = []
    for run_id, rs in results.items():
        for x in rs:
            rows.append([x.label, f"{x.run.machine} ({run_id})", f"{x.ratio:.3f}", f"[{x.lo:.3f}, {x.hi:.3f}]",
                         "–" if x.p is None else f"{x.p:.3f}", "" if x.significant else "~",
                         f"{x.n_run} / {x.n_base}"])
    out.append(Table(["benchmark", "machine (run)", "ratio", "95% CI", "p (U test)", "", "n run / n baseline"], rows))
    warn = [x.label for rs in results.values() for x in rs if min(x.n_run, x.n_base) < 6]
    if warn:
        out.append(P(f"Warning: {len(warn)} rows have fewer than 6 samples on a side; their intervals are wide "
                     "and a difference may go undetected."))
    return out


def impl_ratios(run: Run, a: str = "gort", b: str = "go") -> list[Ratio]:
    """impl_ratios: within one run, impl a ÷ impl b for every benchmark and
    parameter set both have (time ratio: < 1 = a is faster), measured side by
    side on the same machine."""
    def k(e):
        p = {x: v for x, v in e.params.items() if x != "procs" or str(e.params.get("procs_mode", "")) != "default"}
        return (e.name, tuple(sorted((x, str(v)) for x, v in p.items())))
    bs = {k(e): e for e in run.entries if e.impl == b}
    out = []
    for e in run.entries:
        if e.impl != a:
            continue
        o = bs.get(k(e))
        if o is None or o.unit != e.unit or not (o.median > 0 and e.median > 0):
            continue
        if higher_better(e):
            r, lo, hi = ratio_ci(o.samples, e.samples)
        else:
            r, lo, hi = ratio_ci(e.samples, o.samples)
        pl = F.params_label(e.params)
        out.append(Ratio(f"{e.name}" + (f" {pl}" if pl else ""), run, r, lo, hi,
                         mann_whitney_p(e.samples, o.samples), e.n, o.n))
    return out


def impl_blocks(run: Run, a: str = "gort", b: str = "go") -> list:
    """impl_blocks: the side-by-side table of impl_ratios, or nothing."""
    rs = impl_ratios(run, a, b)
    if not rs:
        return []
    g = geomean([x.ratio for x in rs])
    rows = [[x.label, f"{x.ratio:.3f}", f"[{x.lo:.3f}, {x.hi:.3f}]", "–" if x.p is None else f"{x.p:.3f}",
             "" if x.significant else "~", f"{x.n_run} / {x.n_base}"] for x in rs]
    return [H(2, f"{a} vs {b}, side by side", f"{a}-vs-{b}"),
            P(f"Time ratio {a} ÷ {b} in this run (< 1: {a} is faster), with a 95% bootstrap CI of the ratio of "
              f"medians and a Mann–Whitney U p-value ('~' = not significant). Geomean over {len(rs)} benchmarks: "
              f"{g:.3f}."),
            Table(["benchmark", f"{a} / {b}", "95% CI", "p (U test)", "", f"n {a} / n {b}"], rows)]
