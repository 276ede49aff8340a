"""plots_gc.py — garbage collector figures (issue 6): pause histograms and
CDFs per STW phase, pause vs live heap, heap vs goal over time, GC CPU
fraction, gort vs Go vs Boehm; write barrier and stats-read costs.

Metric conventions read here (per repetition; list metrics are a list of
lists, one inner list per repetition):
  PHASES[phase]            every STW pause of that phase (ns); Boehm: "pause_ns"
  <stem>_p50_ns/_p99_ns/_max_ns   percentiles when the full list is not stored
                           (stems sweep_term, mark_term; Boehm's stop pauses
                           have no stem: p50_ns, p99_ns, max_ns)
  gc_cpu_fraction          scalar per repetition
  GCGoalSweep (param gogc): peak_heap_per_goal, goal_per_live, cycles

Every GC cycle: with GODEBUG=gctrace=1 (harness/benchmarks.json sets it for
GCChurn, GCBench, BinaryTrees and their Boehm baselines) the harness keeps
each repetition's cycles in the entry's `series` (docs/results-schema.md):
per cycle the sweep- and mark-termination stop-the-world times, heap before
/ after, live and goal, from gctrace (gort and Go) or the Boehm baseline's own
lines (one stop per collection, heap in use, no goal or live count). Only the
measured cycles are plotted (Google Benchmark's calibration runs and the
set-up before a measured window are not). The pause histograms and CDFs, pause
vs live heap and heap vs goal over time use them; runs without series fall
back to the metrics above (percentiles for the pauses; the per-cycle plots are
then "not measured").
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
CPU_FRACTION = "gc_cpu_fraction"
NAMES = {
    "wall": ["BinaryTrees", "GCBench"],
    "costs": ["WriteBarrier", "ReadMemStats", "MetricsRead"],
}


def _stem(metric: str) -> str:
    return metric[len("pause_"):-len("_ns")] if metric.startswith("pause_") and metric != "pause_ns" else ""


# series fields (ms) per phase; "stop per cycle" sums a cycle's STW phases
# (gort, Go) or is Boehm's one stop.
SERIES_PHASES = {
    "sweep termination": ("sweep_term_stw_ms",),
    "mark termination": ("mark_term_stw_ms",),
    "stop per cycle": ("sweep_term_stw_ms", "mark_term_stw_ms", "stop_ms"),
}


def series_pauses(e, phase: str) -> np.ndarray | None:
    """series_pauses: every measured cycle's pause of that phase (ns), from
    the entry's series; None without one."""
    keys = SERIES_PHASES[phase]
    v = []
    for rep in e.cycles():
        for c in rep:
            xs = [c.get(k) for k in keys if isinstance(c.get(k), (int, float)) and not isinstance(c.get(k), bool)]
            if xs:
                v.append(sum(xs) * 1e6)
    return np.array(v, dtype=float) if v else None


def series_reps(e) -> int:
    return len([r for r in e.cycles() if r])


def has_series(e) -> bool:
    return any(series_pauses(e, ph) is not None for ph in SERIES_PHASES)


def has_pauses(e) -> bool:
    """has_pauses: the entry has a series of GC cycles, every pause of some
    phase, or its percentiles (Boehm's stop pauses: p50_ns/p99_ns/max_ns
    without a stem)."""
    return has_series(e) or any(distribution(e, m) is not None or percentiles(e, _stem(m))
                                for m in PHASES.values())


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
                         f"{'/'.join(PAUSE_BENCHES)} with a series (GODEBUG=gctrace=1) or metrics "
                         f"{', '.join(PHASES.values())}")
    if any(has_series(e) for e in ents):
        return _gc_pauses_series(run, outdir, name, ents)
    return _gc_pauses_metrics(run, outdir, name, ents)


def _pause_label(e, d) -> str:
    return f"{e.impl} (n={series_reps(e)} reps, {d.size} pauses)"


def _gc_pauses_series(run: Run, outdir: str, name: str, ents):
    """One column per phase, histogram above, CDF below, every measured
    pause of every repetition; an entry without a series shows its
    reported percentiles in the CDF."""
    fig, axes = F.new_figure(ncols=3, nrows=2, width=14, height=7.5)
    used = []
    ents = sorted(ents, key=lambda x: F.impl_rank(x.impl))
    for col, phase in enumerate(SERIES_PHASES):
        hax, cax = axes[0][col], axes[1][col]
        ds = [(e, series_pauses(e, phase)) for e in ents]
        ds = [(e, d) for e, d in ds if d is not None]
        if ds:
            allv = np.concatenate([d for _, d in ds]) / 1e3
            pos = allv[allv > 0]
            lo = max(pos.min() if pos.size else 1e-3, 1e-3)
            hi = max(allv.max(), lo * 10)
            bins = np.logspace(np.log10(lo * 0.9), np.log10(hi * 1.1), 30)
            for e, d in ds:
                v = np.clip(d / 1e3, bins[0], None)   # 0 (below the trace's resolution) in the first bin
                hax.hist(v, bins=bins, histtype="step", color=F.color(e.impl), lw=1.3, label=_pause_label(e, d))
                x = np.sort(v)
                cax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=F.color(e.impl),
                         label=_pause_label(e, d))
                for q, ls in ((0.5, ":"), (0.99, "--")):
                    cax.axvline(float(np.quantile(x, q)), color=F.color(e.impl), ls=ls, lw=0.6)
                if e not in used:
                    used.append(e)
            hax.set_xscale("log")
            hax.legend(fontsize=6.5)
        else:
            hax.text(0.5, 0.5, "no pauses of this phase", ha="center", va="center", transform=hax.transAxes,
                     fontsize=8)
        if phase != "stop per cycle":
            metric = PHASES[phase]
            for e in ents:
                if has_series(e):
                    continue
                if plot_cdf(cax, e, metric, f"{e.impl} (no series)", F.color(e.impl), ls="--", stem=_stem(metric)):
                    if e not in used:
                        used.append(e)
        title = {"stop per cycle": "stop per cycle (gort/Go: sweep + mark term.; Boehm: its stop)"}.get(phase, phase)
        hax.set_title(title, fontsize=9)
        hax.set_ylabel("pauses")
        hax.grid(alpha=0.3)
        cax.set_xscale("log")
        cax.set_xlabel("STW pause (µs, log)")
        cax.set_ylabel("CDF (dotted: p50, dashed: p99)")
        cax.grid(alpha=0.3)
        if cax.get_legend_handles_labels()[0]:
            cax.legend(fontsize=6.5, loc="lower right")
    return F.finish(fig, run, used, outdir, "gc_pauses", f"GC stop-the-world pauses per phase ({name})",
                    spread="every pause of the measured GC cycles of every repetition (gctrace: gort 1 µs "
                           "resolution, Go two significant digits; 0 is drawn in the first bin)")


def _gc_pauses_metrics(run: Run, outdir: str, name: str, ents):
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


CHURN_BENCHES = ["GCChurn", "GCChurn256"]   # heap vs goal: the first with a series
BENCH_MARKERS = {"GCChurn": "o", "GCChurn256": "D", "GCBench": "s", "BinaryTrees": "^",
                 "BinaryTreesRange": "v"}


def _live_x(e):
    """_live_x: per measured cycle (live MiB, total STW µs, what x is). Boehm
    reports no live bytes: its x is the heap in use after the collection
    (unswept garbage included)."""
    xs, ys = [], []
    boehm = False
    for rep in e.cycles():
        for c in rep:
            stw = sum(c.get(k) or 0 for k in SERIES_PHASES["stop per cycle"])
            live = c.get("live_mb")
            if live is None and c.get("heap_after_mb") is not None:
                live, boehm = c["heap_after_mb"], True
            if live is None:
                continue
            xs.append(float(live))
            ys.append(stw * 1e3)
    return np.array(xs), np.array(ys), boehm


def gc_pause_vs_heap(run: Run, outdir: str):
    names = PAUSE_BENCHES + ["GCChurn256", "BinaryTreesRange"]
    ents = [e for n in names for e in run.select(n) if any(e.cycles())]
    ents = [e for e in ents if _live_x(e)[0].size]
    if not ents:
        return F.Skipped("gc_pause_vs_heap", "GC pause vs live heap",
                         f"{'/'.join(names)} with a series of GC cycles (GODEBUG=gctrace=1)")
    fig, axes = F.new_figure(width=9, height=5)
    ax = axes[0][0]
    allx = []
    for e in sorted(ents, key=lambda x: (F.impl_rank(x.impl), x.name)):
        x, y, boehm = _live_x(e)
        allx.append(x)
        size = ", ".join(f"{k}={v}" for k, v in e.params.items()
                         if k not in ("pin", "quota", "procs", "procs_mode", "procs_rule") and v is not None)
        what = " [x: in use after, no live count]" if boehm else ""
        ax.scatter(np.maximum(x, 0.5), np.maximum(y, 0.5), s=12, alpha=0.55, color=F.color(e.impl),
                   marker=BENCH_MARKERS.get(e.name, "o"),
                   label=f"{e.impl} {e.name}{' ' + size if size else ''} (n={series_reps(e)} reps, "
                         f"{x.size} cycles){what}")
    allx = np.concatenate(allx)
    if allx.size and allx.max() / max(allx.min(), 0.5) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("live heap marked by the cycle (MiB; gctrace's whole MB)")
    ax.set_ylabel("STW time of the cycle (µs, log; sum of its pauses)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5)
    return F.finish(fig, run, ents, outdir, "gc_pause_vs_heap", "GC pause vs live heap (every measured cycle)",
                    spread="one point per measured GC cycle of every repetition: the spread is the scatter; "
                           "values below 0.5 are drawn at 0.5")


def gc_heap_goal(run: Run, outdir: str):
    name = next((n for n in CHURN_BENCHES
                 if any(any(e.cycles()) for e in run.select(n))), None)
    if name is None:
        return F.Skipped("gc_heap_goal", "Heap vs goal over time",
                         f"{'/'.join(CHURN_BENCHES)} with a series of GC cycles (GODEBUG=gctrace=1)")
    ents = [e for e in run.select(name) if any(e.cycles())]
    ents = sorted(ents, key=lambda x: F.impl_rank(x.impl))
    fig, axes = F.new_figure(ncols=len(ents), width=4.6 * len(ents) + 0.6, height=4.5)
    for ax, e in zip(axes[0], ents):
        reps = e.cycles()
        k = next(i for i, r in enumerate(reps) if r)
        cyc = reps[k]
        t0 = cyc[0].get("t_s") or 0.0
        t = np.array([(c.get("t_s") or 0.0) - t0 for c in cyc])

        def col(key):
            return np.array([np.nan if c.get(key) is None else float(c[key]) for c in cyc])

        c = F.color(e.impl)
        ax.plot(t, col("heap_before_mb"), color=c, marker="o", ms=3, lw=0.8, label="heap at cycle start")
        ax.plot(t, col("heap_after_mb"), color=c, marker="^", ms=3, lw=0.8, alpha=0.6,
                label="heap at mark end" if e.impl != "boehm" else "in use after the collection")
        goal = col("goal_mb")
        if np.isfinite(goal).any():
            ax.step(t, goal, where="post", color="#444444", ls="--", lw=1, label="goal")
        live = col("live_mb")
        if np.isfinite(live).any():
            ax.plot(t, live, color="#888888", ls=":", lw=1, label="live (marked)")
        hs = col("heap_size_mb")
        if np.isfinite(hs).any():
            ax.plot(t, hs, color="#444444", ls="-.", lw=1, label="heap size (no goal in Boehm)")
        ax.set_title(f"{e.impl} {name}: rep {k + 1} of n={e.n}, {len(cyc)} cycles", fontsize=9)
        ax.set_xlabel("time since the first measured cycle (s)")
        ax.set_ylabel("MiB")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5)
    return F.finish(fig, run, ents, outdir, "gc_heap_goal", f"Heap vs the pacer's goal over time ({name})",
                    spread="one repetition per implementation, one point per measured GC cycle; the spread over "
                           "repetitions is not shown here (gctrace MB: whole MiB)")


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
