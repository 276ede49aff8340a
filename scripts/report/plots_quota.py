"""plots_quota.py — the cgroup quota experiment (claim 308, issues 3 and 9):
a 1 ms ticker's tail latency beside CPU-bound goroutines under CPU quotas,
for each GOMAXPROCS choice, with the cgroup's throttling counts.

Entries: NAMES (first with quota entries wins; harness/benchmarks.json runs
QuotaTicker), params `quota` (CPUs, e.g. 0.5; null = no quota, shown as the
top row), `procs` and `procs_mode` ("default": the runtime chose). Metrics:
p50/p99/max lateness (p99_late_ns or p99_ns, or the lateness_ns
distribution), and the cgroup's nr_periods, nr_throttled (per repetition).
"""
from __future__ import annotations

import math

import numpy as np

import figures as F
from dists import pct
from runs import Run

SECTION = "CPU quotas (claim 308)"

# Benchmarks tried in order; failing those, any benchmark run under a quota
# that reports a p99 is used.
NAMES = ["QuotaTicker", "QuotaLatency", "TimerSaturated", "TimerLateness"]
RULE_PARAMS = ("procs_rule", "gomaxprocs_rule")
DIST = "lateness_ns"


def no_quota(q) -> bool:
    return q in (None, "none", 0, "0", 0.0)


def quota_entries(run: Run, with_unlimited: bool = False):
    """quota_entries returns (name, entries run under a CPU quota), and with
    with_unlimited the same benchmark's entries without a quota too."""
    def usable(e):
        return not no_quota(e.param("quota")) and pct(e, "p99", dist_key=DIST) is not None

    def pick(name):
        ents = [e for e in run.select(name) if pct(e, "p99", dist_key=DIST) is not None]
        if not any(usable(e) for e in ents):
            return []
        return ents if with_unlimited else [e for e in ents if usable(e)]
    for n in NAMES:
        ents = pick(n)
        if ents:
            return n, ents
    for e in run.entries:
        if usable(e):
            return e.name, pick(e.name)
    return None, []


def quota_of(e) -> float:
    """quota_of: the quota in CPUs; no quota sorts first as 0."""
    return 0.0 if no_quota(e.param("quota")) else float(e.param("quota"))


def is_default(e) -> bool:
    return str(e.param("procs_mode", "")) == "default" or e.param("procs") in (0, "0", "default", None)


def rules_of(e, ncpu: int | None) -> list[str]:
    """rules_of: which GOMAXPROCS choices of the grid this entry is (host,
    floor, ceil of the quota, or the runtime's default)."""
    for k in RULE_PARAMS:
        if k in e.params:
            return [str(e.params[k])]
    if is_default(e):
        return ["default"]
    out = []
    try:
        p, q = int(float(e.param("procs"))), float(e.param("quota"))
    except (TypeError, ValueError):
        p, q = e.param("procs"), None
        return ["host"] if ncpu and p is not None and str(p) == str(ncpu) else out
    if ncpu and p == ncpu:
        out.append("host")
    if p == max(1, math.floor(q)):
        out.append("floor")
    if p == max(1, math.ceil(q)):
        out.append("ceil")
    return out


def column(e) -> str:
    """column: the GOMAXPROCS value, or "default" for the runtime's own."""
    if is_default(e) and not any(k in e.params for k in RULE_PARAMS):
        return "default"
    return f"GOMAXPROCS={e.param('procs')}"


def _col_key(c: str):
    if c == "default":
        return (1, 0.0)
    try:
        return (0, float(c.split("=", 1)[1]))
    except (IndexError, ValueError):
        return (0, 1e9)


def throttle_text(e) -> str:
    nt = e.metric_median("nr_throttled")
    npd = e.metric_median("nr_periods")
    if nt is None:
        return "throttled: –"
    if npd:
        return f"thr {nt:.0f}/{npd:.0f}"
    return f"thr {nt:.0f}"


def quota_grid(run: Run, outdir: str):
    name, ents = quota_entries(run, with_unlimited=True)
    if not ents:
        return F.Skipped("quota_grid", "Quota tail-latency grid with throttling counts",
                         f"{'/'.join(NAMES)} with params quota and procs")
    impls = F.impl_sort({e.impl for e in ents})
    quotas = sorted({quota_of(e) for e in ents})
    cols = sorted({column(e) for e in ents}, key=_col_key)
    fig, axes = F.new_figure(ncols=len(impls), width=max(6, 1.5 * len(cols) * len(impls) + 1.5),
                             height=1.2 + 0.9 * len(quotas) + 1.3)
    vals = [pct(e, "p99", dist_key=DIST) for e in ents]
    pos = [v for v in vals if v]
    vmin = math.log10(min(pos) / 1e6) if pos else -2
    vmax = math.log10(max(pos) / 1e6) if pos else 2
    if vmax - vmin < 0.5:
        vmin -= 0.25
        vmax += 0.25
    im = None
    for ax, impl in zip(axes[0], impls):
        grid = np.full((len(quotas), len(cols)), np.nan)
        for e in ents:
            if e.impl != impl:
                continue
            r, c = quotas.index(quota_of(e)), cols.index(column(e))
            p99 = pct(e, "p99", dist_key=DIST)
            p50 = pct(e, "p50", dist_key=DIST)
            if p99:
                grid[r, c] = math.log10(p99 / 1e6)
            rules = "/".join(rules_of(e, run.num_cpus)) or "–"
            txt = f"{rules} (P={e.param('procs')})\n" + (f"p50 {p50 / 1e6:.3g} ms\n" if p50 else "")
            txt += f"p99 {p99 / 1e6:.3g} ms" if p99 else "p99 –"
            ax.text(c, r, f"{txt}\n{throttle_text(e)}", ha="center", va="center", fontsize=6)
        im = ax.imshow(grid, cmap="RdYlGn_r", vmin=vmin, vmax=vmax, aspect="auto")
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels(cols, fontsize=7)
        ax.set_yticks(range(len(quotas)))
        ax.set_yticklabels([f"quota {q:g} CPU" if q else "no quota" for q in quotas], fontsize=7)
        ax.set_title(f"{impl}: 1 ms ticker lateness ({F.n_label([e for e in ents if e.impl == impl])})",
                     fontsize=9)
    if im is not None:
        cb = fig.colorbar(im, ax=list(axes[0]), shrink=0.8)
        cb.set_label("log10 p99 lateness (ms)", fontsize=7)
    fig.suptitle("")
    text = F.footer(run, ents, "cells = median over repetitions of each percentile; thr = throttled/total CFS "
                                "periods; host/floor/ceil = GOMAXPROCS at the host's CPUs / floor / ceil of the quota")
    fig.text(0.01, 0.005, text, fontsize=6.5, ha="left", va="bottom", wrap=True)
    fig.suptitle(f"CPU quota × GOMAXPROCS: ticker tail latency and throttling ({name})", fontsize=11)
    file = "quota_grid.png"
    import os
    import matplotlib.pyplot as plt
    fig.savefig(os.path.join(outdir, file), dpi=F.DPI)
    plt.close(fig)
    return F.Figure("quota_grid", f"CPU quota × GOMAXPROCS tail latency ({name})", file, text)


PLOTS = [quota_grid]
