"""figures.py — what every plot in the report shares.

Every figure states its machine, run id, repetitions and spread in a footer
drawn into the PNG itself, and every legend label carries its sample count
("gort (n=5)"). Bars and points show the median; error bars span min..max
over the repetitions unless a caption says otherwise.

A plot function returns a `Figure` (written PNG) or a `Skipped` (the data it
needs is not in this run: the report lists it as "not measured in this run").
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from runs import Entry, Run  # noqa: E402

DPI = 90
SPREAD_MINMAX = "bars = median, error bars = min–max over repetitions"

IMPL_COLORS = {
    "gort": "#1f77b4", "go": "#2ca02c", "os": "#d62728", "boost": "#7f7f7f",
    "glibc": "#ff7f0e", "tcmalloc": "#9467bd", "jemalloc": "#8c564b",
    "mimalloc": "#e377c2", "boehm": "#bcbd22", "std": "#17becf",
}
IMPL_ORDER = ["gort", "go", "os", "std", "boost", "glibc", "tcmalloc", "jemalloc", "mimalloc", "boehm"]


@dataclass
class Figure:
    key: str
    title: str
    file: str        # PNG file name inside the output directory
    caption: str


@dataclass
class Skipped:
    key: str
    title: str
    needs: str       # which benchmark entries would have produced it


def color(impl: str) -> str:
    return IMPL_COLORS.get(impl, "#333333")


def impl_rank(impl: str) -> tuple[int, str]:
    return (IMPL_ORDER.index(impl) if impl in IMPL_ORDER else 99, impl)


def impl_sort(impls) -> list[str]:
    return sorted(impls, key=impl_rank)


def n_label(entries) -> str:
    ns = sorted({e.n for e in entries if e is not None})
    if not ns:
        return "n=0"
    return f"n={ns[0]}" if len(ns) == 1 else f"n={ns[0]}–{ns[-1]}"


def series_label(name: str, entries) -> str:
    return f"{name} ({n_label(entries)})"


def footer(run: Run, entries, spread: str) -> str:
    return (f"machine: {run.machine} · run: {run.run_id} · "
            f"repetitions: {n_label(entries)} · {spread}")


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 7.5, height: float = 4.2):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    return fig, axes


def layout(fig, left: float = 0.8, right: float = 0.25, top: float = 0.65, bottom: float = 0.95,
           wspace: float = 0.3, hspace: float = 0.55):
    """layout sets fixed margins in inches (tight_layout costs seconds per
    figure on a loaded machine): room for the title on top and the footer
    and tick labels below."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=min(0.45, left / w), right=1 - right / w, top=1 - top / h,
                        bottom=min(0.45, bottom / h), wspace=wspace, hspace=hspace)


def finish(fig, run: Run, entries, outdir: str, key: str, title: str,
           spread: str = SPREAD_MINMAX, note: str = "", margins: dict | None = None) -> Figure:
    """finish writes the footer, saves KEY.png into outdir, returns the Figure.
    margins: layout() overrides in inches (e.g. left=2.2 for long labels)."""
    entries = [e for e in entries if e is not None]
    fig.suptitle(title, fontsize=11)
    text = footer(run, entries, spread)
    fig.text(0.01, 0.005, text, fontsize=6.5, ha="left", va="bottom", wrap=True)
    layout(fig, **(margins or {}))
    file = f"{key}.png"
    fig.savefig(os.path.join(outdir, file), dpi=DPI)
    plt.close(fig)
    cap = text + (f". {note}" if note else "")
    return Figure(key=key, title=title, file=file, caption=cap)


def errbar(e: Entry, scale: float = 1.0) -> tuple[float, float, float]:
    """errbar returns (median, below, above) for matplotlib's yerr."""
    m = e.median * scale
    return m, m - e.lo * scale, e.hi * scale - m


def grouped_bars(ax, groups: list[str], series: dict[str, list[Entry | None]],
                 scale: float = 1.0, log: bool | None = None, ylabel: str = ""):
    """grouped_bars draws one bar per (group, impl) at the median with min..max
    whiskers; missing entries leave a gap. The legend names each impl with its
    sample count."""
    impls = impl_sort(series.keys())
    k = max(1, len(impls))
    width = 0.8 / k
    x = np.arange(len(groups))
    allv = []
    for i, impl in enumerate(impls):
        ents = series[impl]
        xs, ms, lo, hi = [], [], [], []
        for g, e in enumerate(ents):
            if e is None:
                continue
            m, b, a = errbar(e, scale)
            xs.append(x[g] - 0.4 + width * (i + 0.5))
            ms.append(m)
            lo.append(b)
            hi.append(a)
            allv.extend([e.lo * scale, e.hi * scale])
        if not xs:
            continue
        ax.bar(xs, ms, width=width * 0.95, color=color(impl),
               label=series_label(impl, [e for e in ents if e is not None]),
               yerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.8})
    ax.set_xticks(x)
    ax.set_xticklabels(groups, rotation=20 if len(groups) > 3 else 0, ha="right" if len(groups) > 3 else "center",
                       fontsize=8)
    pos = [v for v in allv if v > 0]
    if log is None:
        log = bool(pos) and max(pos) / min(pos) > 50
    if log and pos:
        ax.set_yscale("log")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)


def line_with_range(ax, xs, entries: list[Entry], label: str, c: str, scale: float = 1.0,
                    marker: str = "o", ls: str = "-", values=None):
    """line_with_range plots medians joined by a line with min..max error bars."""
    ms = [e.median * scale for e in entries] if values is None else values
    lo = [m - e.lo * scale for m, e in zip(ms, entries)] if values is None else None
    hi = [e.hi * scale - m for m, e in zip(ms, entries)] if values is None else None
    ax.errorbar(xs, ms, yerr=None if lo is None else [lo, hi], label=series_label(label, entries),
                color=c, marker=marker, ls=ls, capsize=2, ms=4)


def unit_scale(unit: str, values) -> tuple[float, str]:
    """unit_scale picks a readable unit for ns-based values."""
    if not unit.lower().startswith("ns"):
        return 1.0, unit
    rest = unit[2:]
    pos = [v for v in values if v > 0]
    m = min(pos) if pos else 0   # the smallest value must stay readable
    if m >= 5e8:
        return 1e-9, "s" + rest
    if m >= 5e5:
        return 1e-6, "ms" + rest
    if m >= 5e2:
        return 1e-3, "µs" + rest
    return 1.0, unit


def bar_figure(run: Run, outdir: str, key: str, title: str, groups: list[tuple[str, str, dict]],
               impls: list[str] | None = None, log: bool | None = None, note: str = ""):
    """bar_figure: a grouped bar chart of benchmarks (label, name, params) per
    impl, one panel per unit. Returns a Figure, or None when nothing matched."""
    found: list[tuple[str, Entry]] = []
    for label, name, params in groups:
        for e in run.select(name, **params):
            if impls is None or e.impl in impls:
                found.append((label, e))
    if not found:
        return None
    return found_figure(run, outdir, key, title, found, log=log, note=note)


def found_figure(run: Run, outdir: str, key: str, title: str, found: list, log: bool | None = None,
                 note: str = ""):
    """found_figure: grouped bars of (label, entry) pairs, one panel per unit."""
    units = []
    for _, e in found:
        if e.unit not in units:
            units.append(e.unit)
    ngroups = len({label for label, _ in found})
    fig, axes = new_figure(ncols=len(units), width=max(6.5, 4.2 * len(units), 0.85 * ngroups + 2.5))
    for ax, unit in zip(axes[0], units):
        labels = []
        for label, e in found:
            if e.unit == unit and label not in labels:
                labels.append(label)
        ents = [e for _, e in found if e.unit == unit]
        impl_set = impl_sort({e.impl for e in ents})
        series = {}
        for impl in impl_set:
            series[impl] = [next((e for lb, e in found if lb == label and e.impl == impl and e.unit == unit), None)
                            for label in labels]
        scale, ulabel = unit_scale(unit, [e.hi for e in ents])
        grouped_bars(ax, labels, series, scale=scale, log=log, ylabel=ulabel)
    rotated = ngroups > 3  # grouped_bars rotates the labels of more than 3 groups
    return finish(fig, run, [e for _, e in found], outdir, key, title, note=note,
                  margins={"bottom": 1.7, "left": 1.6} if rotated else None)


_QUIET_PARAMS = {"pin": "none", "quota": None}


def params_label(params: dict) -> str:
    """params_label: "procs=2 size=64", leaving out default pin/quota."""
    parts = []
    default_procs = str(params.get("procs_mode", "")) == "default"
    for k, v in params.items():
        if k in _QUIET_PARAMS and (v == _QUIET_PARAMS[k] or v is None):
            continue
        if k == "procs_mode" or (k == "procs" and default_procs):
            continue  # the runtime's own GOMAXPROCS is the normal case
        parts.append(f"{k}={v}")
    return " ".join(parts)


def auto_groups(run: Run, names: list[str]) -> list[tuple[str, str, dict]]:
    """auto_groups: one (label, name, params) per distinct parameter set of
    each named benchmark present in the run, in the order names are given."""
    out = []
    for name in names:
        seen = []
        for e in run.select(name):
            key = tuple(sorted((k, str(v)) for k, v in e.params.items()))
            if key in seen:
                continue
            seen.append(key)
            pl = params_label(e.params)
            out.append((f"{name} {pl}".strip(), name, dict(e.params)))
    return out


def bars_or_skip(run: Run, outdir: str, key: str, title: str, names: list[str], **kw):
    """bars_or_skip: a bar_figure over auto_groups of names, or Skipped."""
    groups = auto_groups(run, names)
    fig = bar_figure(run, outdir, key, title, groups, **kw) if groups else None
    return fig if fig is not None else Skipped(key, title, ", ".join(names))
