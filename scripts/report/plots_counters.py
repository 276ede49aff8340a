"""plots_counters.py — hardware/software counters per operation (issue 3).

Reads each entry's `counters` object ({event: {"per_op_samples": [one per
repetition], "per_op": median, "multiplexed": b}}; a lone "per_op" also works)
and derives IPC where both `instructions` and `cycles` were counted. When the
machine had no hardware counters (context.counters.hardware == false) the
section says so, with the reason the run recorded.
"""
from __future__ import annotations

import figures as F
import numpy as np

from runs import Run

SECTION = "Counters per operation"

# Events shown, in order of preference (at most MAX_PANELS panels).
EVENTS = ["IPC", "cycles", "instructions", "cache-misses", "branch-misses",
          "PERF_COUNT_HW_CACHE_L1D:READ:MISS", "context-switches", "cpu-migrations",
          "page-faults", "task-clock"]
MAX_PANELS = 4
MAX_BENCHES = 10


def per_op_values(e, event: str):
    """per_op_values: the event's per-op values (one per repetition when the
    run stored a list, else one), or None."""
    if event == "IPC":
        i, c = per_op_values(e, "instructions"), per_op_values(e, "cycles")
        if i is None or c is None or i.size != c.size or not np.all(c > 0):
            return None
        return i / c
    c = e.counters.get(event)
    if isinstance(c, dict):
        v = c.get("per_op_samples") if isinstance(c.get("per_op_samples"), list) else c.get("per_op")
    else:
        v = c
    if isinstance(v, list):
        v = [x for x in v if isinstance(x, (int, float)) and not isinstance(x, bool)]
        return np.array(v, dtype=float) if v else None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return np.array([float(v)])
    return None


def per_op(e, event: str) -> float | None:
    v = per_op_values(e, event)
    return None if v is None else float(np.median(v))


def notes(run: Run) -> list[str]:
    out = []
    hw = run.hardware_counters
    c = run.context.get("counters") or {}
    if hw is False:
        why = c.get("hardware_reason") or "no reason recorded"
        out.append(f"This machine had no hardware counters ({why}); only software events are shown.")
    elif hw is None:
        out.append("The run does not say whether hardware counters were available (context.counters).")
    mux = sorted({f"{e.name}/{e.impl}" for e in run.entries for v in e.counters.values()
                  if isinstance(v, dict) and v.get("multiplexed")})
    if mux:
        out.append("Multiplexed (scaled) counter values: " + ", ".join(mux[:10]) + ("…" if len(mux) > 10 else ""))
    return out


def counters_per_op(run: Run, outdir: str):
    ents = [e for e in run.entries if e.counters]
    if not ents:
        return F.Skipped("counters", "Counters per operation", "entries with a 'counters' object")
    events = [ev for ev in EVENTS if any(per_op(e, ev) is not None for e in ents)][:MAX_PANELS]
    if not events:
        return F.Skipped("counters", "Counters per operation", f"counters among {', '.join(EVENTS)}")
    labels = []
    for e in ents:
        lb = f"{e.name} {F.params_label(e.params)}".strip()
        if lb not in labels:
            labels.append(lb)
    labels = labels[:MAX_BENCHES]
    impls = F.impl_sort({e.impl for e in ents})
    fig, axes = F.new_figure(ncols=len(events), width=max(6, 3.6 * len(events)), height=4.2)
    for ax, ev in zip(axes[0], events):
        width = 0.8 / len(impls)
        for i, impl in enumerate(impls):
            xs, ys, lo, hi = [], [], [], []
            for g, lb in enumerate(labels):
                e = next((x for x in ents if x.impl == impl and f"{x.name} {F.params_label(x.params)}".strip() == lb), None)
                v = per_op_values(e, ev) if e is not None else None
                if v is not None:
                    m = float(np.median(v))
                    xs.append(g - 0.4 + width * (i + 0.5))
                    ys.append(m)
                    lo.append(m - v.min())
                    hi.append(v.max() - m)
            if xs:
                n = F.n_label([x for x in ents if x.impl == impl])
                ax.bar(xs, ys, width=width * 0.95, color=F.color(impl), label=f"{impl} ({n})",
                       yerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.8})
        ax.set_xticks(np.arange(len(labels)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=6)
        ax.set_title(ev + (" (instructions / cycles)" if ev == "IPC" else " per op"), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=6)
    hw = run.hardware_counters
    note = "" if hw else "No hardware counters on this machine: software events only"
    return F.finish(fig, run, ents, outdir, "counters", "Counters per operation",
                    spread="bars = per-op value summed over all Ms, scaled for multiplexing; median and min–max "
                           "over repetitions where the run stored one value per repetition",
                    note=note, margins={"bottom": 1.8})


PLOTS = [counters_per_op]
