"""plots_gc.py — garbage collector figures (issue 6): pause histograms and
CDFs per STW phase, pause vs live heap, heap vs goal over time, GC CPU
fraction, gort vs Go vs Boehm; write barrier and stats-read costs.

Metric conventions read here (per repetition; list metrics are a list of
lists, one inner list per repetition):
  PHASES[phase]            every STW pause of that phase (ns); Boehm: "pause_ns"
  <stem>_p50_ns/_p99_ns/_max_ns   percentiles when the full list is not stored
                           (stems sweep_term, mark_term; Boehm's stop pauses
                           have no stem: p50_ns, p99_ns, max_ns)
  cycle_t_s, cycle_heap_bytes, cycle_goal_bytes, cycle_live_bytes, cycle_pause_ns
                           one value per GC cycle (aligned lists)
  gc_cpu_fraction          scalar per repetition
  GCGoalSweep (param gogc): peak_heap_per_goal, goal_per_live, cycles

The harness stores one number per metric per repetition (Google Benchmark
counters, Go's ReportMetric): benches/gc_bench.cc, its Go twin and the Boehm
baseline therefore report pause percentiles, not every pause, and no per-cycle
lists; the plots that need lists (pause vs live heap, heap vs goal over time)
are "not measured" for such runs, and the CDF joins the percentiles.
"""
from __future__ import annotations

import numpy as np

import figures as F
from dists import distribution, percentiles, plot_cdf
from runs import Run

SECTION = "Garbage collector"

PAUSE_BENCHES = ["GCChurn", "GCBench", "BinaryTrees"]   # first with pause data is plotted
PHASES = {
    "sweep termination": "pause_sweep_term_ns",
    "mark termination": "pause_mark_term_ns",
    "stop (Boehm)": "pause_ns",
}
CYCLE = {"t": "cycle_t_s", "heap": "cycle_heap_bytes", "goal": "cycle_goal_bytes",
         "live": "cycle_live_bytes", "pause": "cycle_pause_ns"}
CPU_FRACTION = "gc_cpu_fraction"
NAMES = {
    "wall": ["BinaryTrees", "GCBench"],
    "costs": ["WriteBarrier", "ReadMemStats", "MetricsRead"],
}


def _stem(metric: str) -> str:
    return metric[len("pause_"):-len("_ns")] if metric.startswith("pause_") and metric != "pause_ns" else ""


def has_pauses(e) -> bool:
    """has_pauses: the entry has every pause of some phase, or its percentiles
    (Boehm's stop pauses: p50_ns/p99_ns/max_ns without a stem)."""
    return any(distribution(e, m) is not None or percentiles(e, _stem(m)) for m in PHASES.values())


def pause_bench(run: Run):
    for name in PAUSE_BENCHES:
        ents = [e for e in run.select(name) if has_pauses(e)]
        if ents:
            return name, ents
    return None, []


PCT_MARKERS = (("p50", "o"), ("p99", "s"), ("max", "^"))


def percentile_panel(ax, ents):
    """percentile_panel: when no entry stored every pause, one column per
    runtime × phase with its p50, p99 and max (medians over repetitions;
    a vertical line spans each one's min–max over repetitions)."""
    cols = []
    for e in sorted(ents, key=lambda x: F.impl_rank(x.impl)):
        for phase, m in PHASES.items():
            stem = _stem(m)
            keys = {q: (f"{stem}_{q}_ns" if stem else f"{q}_ns") for q, _ in PCT_MARKERS}
            if any(e.metric(k) is not None for k in keys.values()):
                cols.append((e, phase, keys))
    seen = set()
    for x, (e, phase, keys) in enumerate(cols):
        for q, mk in PCT_MARKERS:
            v = e.metric(keys[q])
            if v is None:
                continue
            v = v / 1e3
            label = q if q not in seen else None
            seen.add(q)
            ax.vlines(x, v.min(), v.max(), color=F.color(e.impl), lw=1)
            ax.scatter([x], [float(np.median(v))], marker=mk, color=F.color(e.impl), s=22, zorder=3,
                       label=label)
    ax.set_xticks(range(len(cols)))
    short = {"sweep termination": "sweep term.", "mark termination": "mark term.", "stop (Boehm)": "stop"}
    ax.set_xticklabels([f"{e.impl}\n{short.get(phase, phase)}\nn={e.n}" for e, phase, _ in cols], fontsize=6.5)
    ax.set_yscale("log")
    ax.set_ylabel("STW pause (µs, log)")
    ax.set_title("p50 / p99 / max per phase (no per-pause data stored)", fontsize=9)
    if cols:
        ax.legend(fontsize=6)


def gc_pauses(run: Run, outdir: str):
    name, ents = pause_bench(run)
    if not ents:
        return F.Skipped("gc_pauses", "GC pause histograms and CDFs per phase",
                         f"{'/'.join(PAUSE_BENCHES)} with metrics {', '.join(PHASES.values())}")
    fig, axes = F.new_figure(ncols=2, width=10, height=4)
    hax, cax = axes[0]
    styles = ["-", "--", ":"]
    used = []
    alld = []
    for e in ents:
        for d_i, (phase, m) in enumerate(PHASES.items()):
            d = distribution(e, m)
            if d is not None:
                alld.append(d)
    bins = None
    if alld:
        allv = np.concatenate(alld) / 1e3
        lo, hi = max(allv.min(), 1e-3), max(allv.max(), 1e-2)
        bins = np.logspace(np.log10(lo * 0.9), np.log10(hi * 1.1), 30)
    for e in sorted(ents, key=lambda x: F.impl_rank(x.impl)):
        for d_i, (phase, m) in enumerate(PHASES.items()):
            label = f"{e.impl} {phase}"
            d = distribution(e, m)
            if d is not None and bins is not None:
                hax.hist(d / 1e3, bins=bins, histtype="step", color=F.color(e.impl), ls=styles[d_i % 3],
                         label=f"{label} (n={e.n} reps, {d.size} pauses)")
            if plot_cdf(cax, e, m, label, F.color(e.impl), ls=styles[d_i % 3], stem=_stem(m)):
                if e not in used:
                    used.append(e)
    if alld:
        hax.set_xscale("log")
        hax.set_xlabel("STW pause (µs, log)")
        hax.set_ylabel("pauses")
        hax.set_title("histogram", fontsize=9)
        hax.legend(fontsize=6)
    else:
        percentile_panel(hax, ents)
    hax.grid(alpha=0.3)
    cax.set_xscale("log")
    cax.set_xlabel("STW pause (µs, log)")
    cax.grid(alpha=0.3)
    cax.legend(fontsize=6)
    cax.set_ylabel("CDF")
    cax.set_title("CDF", fontsize=9)
    return F.finish(fig, run, used, outdir, "gc_pauses", f"GC stop-the-world pauses per phase ({name})",
                    spread="every pause of every repetition (or reported percentiles)")


def _cycles(e, key):
    reps = e.metric_reps(CYCLE[key])
    return reps


def gc_pause_vs_heap(run: Run, outdir: str):
    ents = [e for n in PAUSE_BENCHES for e in run.select(n)
            if e.metric_reps(CYCLE["pause"]) and e.metric_reps(CYCLE["live"])]
    if not ents:
        return F.Skipped("gc_pause_vs_heap", "GC pause vs live heap",
                         f"{'/'.join(PAUSE_BENCHES)} with {CYCLE['pause']} and {CYCLE['live']}")
    fig, axes = F.new_figure(width=7, height=4)
    ax = axes[0][0]
    for e in ents:
        ps, ls = _cycles(e, "pause"), _cycles(e, "live")
        p = np.concatenate([a[:min(len(a), len(b))] for a, b in zip(ps, ls)])
        lv = np.concatenate([b[:min(len(a), len(b))] for a, b in zip(ps, ls)])
        ax.scatter(lv / 2**20, p / 1e3, s=10, alpha=0.6, color=F.color(e.impl),
                   label=f"{e.impl} {e.name} (n={e.n} reps, {p.size} cycles)")
    ax.set_xlabel("live heap at the cycle (MiB)")
    ax.set_ylabel("total STW pause of the cycle (µs)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return F.finish(fig, run, ents, outdir, "gc_pause_vs_heap", "GC pause vs live heap",
                    spread="one point per GC cycle of every repetition: the spread is the scatter")


def gc_heap_goal(run: Run, outdir: str):
    ents = [e for n in PAUSE_BENCHES for e in run.select(n)
            if e.metric_reps(CYCLE["t"]) and e.metric_reps(CYCLE["heap"])]
    if not ents:
        return F.Skipped("gc_heap_goal", "Heap vs goal over time",
                         f"{'/'.join(PAUSE_BENCHES)} with {CYCLE['t']}, {CYCLE['heap']}, {CYCLE['goal']}")
    fig, axes = F.new_figure(width=8, height=4)
    ax = axes[0][0]
    for e in ents:
        ts, hs = _cycles(e, "t"), _cycles(e, "heap")
        for t, h in list(zip(ts, hs))[1:]:
            k = min(len(t), len(h))
            ax.plot(t[:k], h[:k] / 2**20, color=F.color(e.impl), alpha=0.25, lw=0.8)
        t, h = ts[0], hs[0]
        k = min(len(t), len(h))
        ax.plot(t[:k], h[:k] / 2**20, color=F.color(e.impl), marker=".",
                label=f"{e.impl} heap (rep 1 bold, all {len(hs)} of n={e.n} faint)")
        g = _cycles(e, "goal")
        if g:
            k2 = min(len(t), len(g[0]))
            ax.step(t[:k2], g[0][:k2] / 2**20, where="post", color=F.color(e.impl), ls="--",
                    label=f"{e.impl} goal")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MiB")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return F.finish(fig, run, ents, outdir, "gc_heap_goal", "Heap size vs the pacer's goal over time",
                    spread="one point per GC cycle; first repetition bold, the others faint show the spread")


def gc_cpu(run: Run, outdir: str):
    groups = []
    for n in PAUSE_BENCHES:
        for e in run.select(n):
            if e.metric(CPU_FRACTION) is not None and n not in groups:
                groups.append(n)
    walls = F.auto_groups(run, NAMES["wall"])
    if not groups and not walls:
        return F.Skipped("gc_cpu", "GC CPU fraction and GC benchmark wall time",
                         f"metric {CPU_FRACTION}; {', '.join(NAMES['wall'])}")
    ncols = (1 if groups else 0) + (1 if walls else 0)
    fig, axes = F.new_figure(ncols=ncols, width=5 * ncols + 1)
    used = []
    col = 0
    if groups:
        ax = axes[0][col]
        col += 1
        impls = F.impl_sort({e.impl for n in groups for e in run.select(n) if e.metric(CPU_FRACTION) is not None})
        width = 0.8 / len(impls)
        for i, impl in enumerate(impls):
            for g, n in enumerate(groups):
                e = next((x for x in run.select(n, impl) if x.metric(CPU_FRACTION) is not None), None)
                if e is None:
                    continue
                v = e.metric(CPU_FRACTION)
                m = float(np.median(v))
                ax.bar(g - 0.4 + width * (i + 0.5), m, width=width * 0.95, color=F.color(impl),
                       yerr=[[m - v.min()], [v.max() - m]], capsize=2,
                       label=f"{impl} (n={v.size})")
                used.append(e)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups, fontsize=8)
        ax.set_ylabel("GC CPU fraction")
        ax.set_title("GC CPU fraction", fontsize=9)
        h, l = ax.get_legend_handles_labels()
        uniq = dict(zip(l, h))
        ax.legend(uniq.values(), uniq.keys(), fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    if walls:
        ax = axes[0][col]
        ents = [e for _, n, p in walls for e in run.select(n, **p)]
        labels = [lb for lb, _, _ in walls]
        series = {impl: [next((e for e in run.select(n, impl, **p)), None) for _, n, p in walls]
                  for impl in F.impl_sort({e.impl for e in ents})}
        scale, ul = F.unit_scale(ents[0].unit, [e.hi for e in ents])
        F.grouped_bars(ax, labels, series, scale=scale, ylabel=ul)
        ax.set_title("wall time (gort vs Go vs Boehm)", fontsize=9)
        used += ents
    return F.finish(fig, run, used, outdir, "gc_cpu", "GC CPU fraction and GC benchmarks' wall time")


GOAL_SWEEP = "GCGoalSweep"


def gc_goal_sweep(run: Run, outdir: str):
    """Heap goal vs GOGC: measured peak heap / goal (the pacer's overshoot),
    goal / live (ideal 1 + GOGC/100) and cycles, per runtime."""
    ents = [e for e in run.select(GOAL_SWEEP)
            if e.param("gogc") is not None and e.metric("peak_heap_per_goal") is not None]
    if not ents:
        return F.Skipped("gc_goal_sweep", "Heap goal vs GOGC",
                         f"{GOAL_SWEEP} with param gogc and metrics peak_heap_per_goal, goal_per_live, cycles")
    fig, axes = F.new_figure(ncols=3, width=13, height=4)
    panels = [("peak_heap_per_goal", "peak heap / goal"), ("goal_per_live", "goal / live heap"),
              ("cycles", "GC cycles")]
    gogcs = sorted({float(e.param("gogc")) for e in ents})
    for ax, (key, label) in zip(axes[0], panels):
        for impl in F.impl_sort({e.impl for e in ents}):
            pts = sorted(((float(e.param("gogc")), e.metric(key)) for e in ents
                          if e.impl == impl and e.metric(key) is not None), key=lambda p: p[0])
            if not pts:
                continue
            xs = [x for x, _ in pts]
            med = np.array([float(np.median(v)) for _, v in pts])
            lo = med - np.array([v.min() for _, v in pts])
            hi = np.array([v.max() for _, v in pts]) - med
            n = max(v.size for _, v in pts)
            ax.errorbar(xs, med, yerr=[lo, hi], color=F.color(impl), marker="o", capsize=3,
                        label=f"{impl} (n={n})")
        if key == "goal_per_live":
            ax.plot(gogcs, [1 + g / 100 for g in gogcs], color="#999999", ls="--", label="1 + GOGC/100")
        if key == "peak_heap_per_goal":
            ax.axhline(1.0, color="#999999", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_xticks(gogcs)
        ax.set_xticklabels([f"{g:g}" for g in gogcs])
        ax.set_xlabel("GOGC")
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return F.finish(fig, run, ents, outdir, "gc_goal_sweep", "Heap goal vs GOGC (fixed live heap)",
                    spread="points = median, error bars = min–max over repetitions")


def gc_costs(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "gc_costs", "Write barrier per pointer store; ReadMemStats vs metrics read",
                          NAMES["costs"])


PLOTS = [gc_pauses, gc_pause_vs_heap, gc_heap_goal, gc_cpu, gc_goal_sweep, gc_costs]
