"""plots_sched.py — scheduler figures (issues 2 and 9): switch cost, spawn,
skynet, memory per parked goroutine, GOMAXPROCS scaling, timer lateness.

NAMES maps what each figure reads to the benchmark names in run.json; edit it
when the real benchmarks are named differently.
"""
from __future__ import annotations

import numpy as np

import figures as F
from dists import plot_cdf
from runs import Run

SECTION = "Scheduler and timers"

NAMES = {
    "gosched": "GoschedPingPong",            # gort, go: ns per switch at 1 P
    "futex_same": "FutexPingPongSameCore",   # os: futex hand-off, same core
    "futex_cross": "FutexPingPongCrossCore",  # os: futex hand-off, cross core
    "boost": "BoostContextJump",             # boost: the floor
    "spawn": "SpawnJoin",                    # gort, go: ns per goroutine
    "thread_create": "ThreadCreateJoin",     # os: ns per thread
    "skynet": "Skynet",                      # gort, go: ns per whole run (params procs)
    "parked_mem": "ParkedGoroutineMemory",   # gort, go: metric rss_per_g_bytes (ns/op = spawn time)
    "parked_thread_mem": "ParkedThreadMemory",  # os: metric rss_per_thread_bytes
    "fanout": "FanOut",                      # gort, go: params procs 1..32
    "timer_alone": "TimerLateness",          # gort, go: the 1 ms ticker alone
    "timer": "TimerSaturated",               # gort, go: params n, procs (0 = runtime default)
}
PARKED_METRICS = {"ParkedGoroutineMemory": "rss_per_g_bytes", "ParkedThreadMemory": "rss_per_thread_bytes"}
# Whether issue 9's timer mechanism was on (gort only): a param, else a metric.
TIMER_MECH_PARAMS = ("timerpreempt", "mech", "timer_mech")
TIMER_MECH_METRIC = "timerpreempt"
TIMER_DIST = "lateness_ns"                   # metric: every lateness, per rep (else pNN_ns)


def pick(run: Run, name: str, impl: str, prefer: dict | None = None):
    """pick returns the entry for (name, impl), preferring `prefer` params."""
    ents = run.select(name, impl)
    if not ents:
        return None
    if prefer:
        pref = run.select(name, impl, **prefer)
        if pref:
            return pref[0]
    return ents[0]


def switch_cost(run: Run, outdir: str):
    rows = [
        ("goroutine switch (gort)", NAMES["gosched"], "gort"),
        ("goroutine switch (Go)", NAMES["gosched"], "go"),
        ("OS threads, same core", NAMES["futex_same"], "os"),
        ("OS threads, cross core", NAMES["futex_cross"], "os"),
        ("Boost.Context jump (floor)", NAMES["boost"], "boost"),
    ]
    found = [(lbl, pick(run, n, i, {"procs": 1})) for lbl, n, i in rows]
    found = [(lbl, e) for lbl, e in found if e is not None]
    if not found:
        return F.Skipped("switch_cost", "Switch cost", f"{NAMES['gosched']}, {NAMES['futex_same']}, ...")
    fig, axes = F.new_figure(height=3.6)
    ax = axes[0][0]
    y = np.arange(len(found))
    for i, (lbl, e) in enumerate(found):
        m, b, a = F.errbar(e)
        ax.barh(i, m, xerr=[[b], [a]], color=F.color(e.impl), capsize=3)
        ax.text(m * 1.15, i, f"{m:.3g} ns (n={e.n})", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels([lbl for lbl, _ in found], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ns per switch / hand-off (log scale)")
    ax.grid(axis="x", alpha=0.3)
    hi = max(e.hi for _, e in found)
    ax.set_xlim(right=hi * 8)
    return F.finish(fig, run, [e for _, e in found], outdir, "switch_cost",
                    "Switch cost: goroutines vs OS threads vs the Boost.Context floor", margins={"left": 1.9})


def spawn_skynet_memory(run: Run, outdir: str):
    panels = []
    for title, rows in [
        ("spawn + join, per unit", [(NAMES["spawn"], "gort"), (NAMES["spawn"], "go"),
                                    (NAMES["thread_create"], "os")]),
        ("skynet (1M goroutines)", [(NAMES["skynet"], "gort"), (NAMES["skynet"], "go")]),
        ("memory per parked unit", [(NAMES["parked_mem"], "gort"), (NAMES["parked_mem"], "go"),
                                    (NAMES["parked_thread_mem"], "os")]),
    ]:
        ents = [pick(run, n, i, {"procs": run.num_cpus} if n == NAMES["skynet"] else None) for n, i in rows]
        ents = [memory_view(e) for e in ents if e is not None]
        ents = [e for e in ents if e is not None]
        if ents:
            panels.append((title, ents))
    if not panels:
        return F.Skipped("spawn_skynet_memory", "Spawn, skynet and memory per goroutine",
                         f"{NAMES['spawn']}, {NAMES['skynet']}, {NAMES['parked_mem']}")
    fig, axes = F.new_figure(ncols=len(panels), width=3.4 * len(panels) + 1)
    allents = []
    for ax, (title, ents) in zip(axes[0], panels):
        scale, ulabel = F.unit_scale(ents[0].unit, [e.hi for e in ents])
        for i, e in enumerate(ents):
            m, b, a = F.errbar(e, scale)
            ax.bar(i, m, yerr=[[b], [a]], color=F.color(e.impl), capsize=3,
                   label=F.series_label(f"{e.impl} {e.name}", [e]))
        ax.set_xticks(range(len(ents)))
        ax.set_xticklabels([f"{e.impl}\n{F.params_label(e.params)}".strip() for e in ents], fontsize=7)
        if max(e.hi for e in ents) / max(1e-12, min(e.lo for e in ents)) > 50:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(ulabel)
        ax.legend(fontsize=6)
        ax.grid(axis="y", alpha=0.3)
        allents += ents
    return F.finish(fig, run, allents, outdir, "spawn_skynet_memory",
                    "Goroutine creation, skynet and memory per parked goroutine vs OS threads")


def memory_view(e):
    """memory_view: a parked-memory entry as bytes (its RSS metric), others as is."""
    key = PARKED_METRICS.get(e.name)
    if key is None or e.unit.lower() in ("b", "bytes"):
        return e
    return e.as_metric(key, "B")


def fanout_scaling(run: Run, outdir: str):
    name = NAMES["fanout"]
    impls = F.impl_sort(run.impls(name))
    if not impls:
        return F.Skipped("gomaxprocs_scaling", "GOMAXPROCS scaling (claim 308)", f"{name} with params procs")
    fig, axes = F.new_figure(width=7, height=4.2)
    ax = axes[0][0]
    allents = []
    maxp = 1
    for impl in impls:
        ents = sorted([e for e in run.select(name, impl) if e.param("procs") is not None and e.lo > 0],
                      key=lambda e: float(e.param("procs")))
        if not ents:
            continue
        base = ents[0]
        p0 = float(base.param("procs"))
        higher_better = base.unit.endswith("_per_s") or base.unit.endswith("/s")
        xs, ys, lo, hi = [], [], [], []
        for e in ents:
            p = float(e.param("procs"))
            if higher_better:
                s, s_lo, s_hi = e.median / base.median, e.lo / base.median, e.hi / base.median
            else:
                s, s_lo, s_hi = base.median / e.median, base.median / e.hi, base.median / e.lo
            xs.append(p)
            ys.append(s * p0)
            lo.append((s - s_lo) * p0)
            hi.append((s_hi - s) * p0)
            maxp = max(maxp, p)
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=2, color=F.color(impl),
                    label=F.series_label(impl, ents))
        allents += ents
    if not allents:
        import matplotlib.pyplot as plt
        plt.close(fig)
        return F.Skipped("gomaxprocs_scaling", "GOMAXPROCS scaling (claim 308)", f"{name} with params procs (> 0)")
    ncpu = run.num_cpus or maxp
    ideal_x = [1, maxp]
    ax.plot([1, ncpu, maxp], [1, ncpu, ncpu], ls="--", color="#999999", label=f"ideal (flat above {ncpu} CPUs)")
    ax.axvline(ncpu, color="#999999", lw=0.8, ls=":")
    ax.set_xscale("log", base=2)
    ticks = sorted({float(e.param("procs")) for e in allents})
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlim(ideal_x[0] * 0.8, maxp * 1.25)
    ax.set_xlabel("GOMAXPROCS")
    ax.set_ylabel("speedup over GOMAXPROCS=1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return F.finish(fig, run, allents, outdir, "gomaxprocs_scaling",
                    "CPU-bound fan-out: GOMAXPROCS scaling (claim 308)",
                    spread="points = median speedup, error bars from min–max over repetitions")


def mech_value(e) -> str | None:
    """mech_value: "on"/"off" for gort's timer mechanism, None for others."""
    if e.impl != "gort":
        return None
    for k in TIMER_MECH_PARAMS:
        if k in e.params:
            v = str(e.params[k]).lower()
            return "on" if v in ("1", "on", "true", "yes") else "off"
    m = e.metric_median(TIMER_MECH_METRIC)
    if m is not None:
        return "on" if m > 0 else "off"
    return None


def timer_config(e) -> tuple:
    """timer_config: (spinners, GOMAXPROCS, whether it was the runtime's default)."""
    default = str(e.param("procs_mode", "")) == "default" or e.param("procs") in (0, "0")
    return (e.param("n"), e.param("procs"), default)


def timer_lateness(run: Run, outdir: str):
    name = NAMES["timer"]
    no_quota = (None, "none", 0)
    ents = [e for e in run.select(name) if e.param("quota") in no_quota]
    alone = [e for e in run.select(NAMES["timer_alone"]) if e.param("quota") in no_quota]
    if not ents and not alone:
        return F.Skipped("timer_lateness", "Timer lateness CDF (issue 9)",
                         f"{name}/{NAMES['timer_alone']} (lateness metrics)")
    configs = []
    for e in alone:
        if ("alone",) not in configs:
            configs.append(("alone",))
    for e in ents:
        c = timer_config(e)
        if c not in configs:
            configs.append(c)
    configs = configs[:6]
    ncols = min(3, len(configs))
    nrows = (len(configs) + ncols - 1) // ncols
    fig, axes = F.new_figure(ncols=ncols, nrows=nrows, width=4.2 * ncols, height=3.3 * nrows)
    used = []
    for idx, cfg in enumerate(configs):
        ax = axes[idx // ncols][idx % ncols]
        for e in (alone if cfg == ("alone",) else ents):
            if cfg != ("alone",) and timer_config(e) != cfg:
                continue
            mv = mech_value(e)
            label = e.impl + (f", mechanism {mv}" if mv else "")
            ls = ":" if mv == "off" else "-"
            if plot_cdf(ax, e, TIMER_DIST, label, F.color(e.impl), ls=ls):
                used.append(e)
        ax.set_xscale("log")
        ax.set_xlabel("lateness of a 1 ms ticker (µs, log)")
        ax.set_ylabel("CDF")
        if cfg == ("alone",):
            ax.set_title("ticker alone", fontsize=9)
        else:
            n, p, default = cfg
            ps = (f"default ({p})" if p not in (None, 0, "0") else "default") if default else str(p)
            ax.set_title(f"{n} CPU-bound goroutines, GOMAXPROCS={ps}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    for idx in range(len(configs), nrows * ncols):
        axes[idx // ncols][idx % ncols].axis("off")
    if not used:
        import matplotlib.pyplot as plt
        plt.close(fig)
        return F.Skipped("timer_lateness", "Timer lateness CDF (issue 9)", f"{name}: {TIMER_DIST} or pNN_ns metrics")
    return F.finish(fig, run, used, outdir, "timer_lateness",
                    "Timer lateness under saturation, timer mechanism on and off (issue 9)",
                    spread="empirical CDF over all ticks of all repetitions (or reported percentiles)")


PLOTS = [switch_cost, spawn_skynet_memory, fanout_scaling, timer_lateness]
