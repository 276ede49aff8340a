"""plots_mem.py — allocator figures (issue 5): tiers by size class beside Go
and the C allocators, multi-P scaling, producer/consumer and fragmentation.

TIERS maps each allocator tier to benchmark names (first match wins); each
entry has params `size` (bytes) and optionally `kind` (noscan/scan). C
allocator baselines are entries of the fast-path name with impl glibc,
tcmalloc, jemalloc or mimalloc (a malloc+free pair per op).
"""
from __future__ import annotations

import figures as F
from runs import Run

SECTION = "Allocator"

TIERS = [
    ("mcache fast path", ["MallocFast", "Alloc", "AllocFast"]),
    ("mcentral refill", ["MCacheRefill", "AllocRefill"]),
    ("mheap span", ["SpanAlloc", "AllocSpan"]),
    ("large objects", ["LargeAlloc", "AllocLarge"]),
]
SIZE_PARAMS = ("size", "bytes")
KIND_PARAMS = ("kind", "scan")
NAMES = {
    "scaling": ["MultiP", "AllocParallel"],  # params procs
    "other": ["Larson", "Fragmentation"],   # ns/op; RSS / live (unit "ratio")
}


def size_label(b: float) -> str:
    if b >= 1 << 20:
        return f"{b / (1 << 20):g}M"
    if b >= 1024:
        return f"{b / 1024:g}K"
    return f"{b:g}"


def kind_of(e) -> str:
    for k in KIND_PARAMS:
        if k in e.params:
            v = str(e.params[k]).lower()
            if k == "scan":
                return "scan" if v in ("1", "true", "scan", "yes") else "noscan"
            return v
    return ""


def size_of(e) -> float | None:
    for k in SIZE_PARAMS:
        if e.param(k) is not None:
            return float(e.param(k))
    return None


def tier_entries(run: Run, names):
    for n in names:
        ents = [e for e in run.select(n) if size_of(e) is not None]
        if ents:
            return n, ents
    return None, []


def alloc_tiers(run: Run, outdir: str):
    panels = []
    for title, names in TIERS:
        name, ents = tier_entries(run, names)
        if ents:
            panels.append((title, name, ents))
    if not panels:
        return F.Skipped("alloc_tiers", "Allocator tiers by size class",
                         "; ".join("/".join(n) + "/<size>" for _, n in TIERS))
    ncols = min(2, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    fig, axes = F.new_figure(ncols=ncols, nrows=nrows, width=5.2 * ncols, height=3.6 * nrows)
    allents = []
    for idx, (title, name, ents) in enumerate(panels):
        ax = axes[idx // ncols][idx % ncols]
        series = {}
        for e in ents:
            series.setdefault((e.impl, kind_of(e)), []).append(e)
        for (impl, kind), es in sorted(series.items(), key=lambda kv: (F.impl_rank(kv[0][0]), kv[0][1])):
            es.sort(key=size_of)
            xs = [size_of(e) for e in es]
            label = impl + (f" {kind}" if kind else "")
            F.line_with_range(ax, xs, es, label, F.color(impl), ls="--" if kind == "scan" else "-")
        ax.set_xscale("log", base=2)
        ticks = sorted({size_of(e) for e in ents})
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(t) for t in ticks], fontsize=7)
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_xlabel("object size (bytes)")
        ax.set_ylabel(ents[0].unit)
        ax.set_title(f"{title} ({name})", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
        allents += ents
    for idx in range(len(panels), nrows * ncols):
        axes[idx // ncols][idx % ncols].axis("off")
    return F.finish(fig, run, allents, outdir, "alloc_tiers",
                    "Allocator tiers by size class: gort vs Go vs C allocators",
                    spread="points = median, error bars = min–max over repetitions")


def alloc_other(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "alloc_scaling_frag",
                          "Allocator: multi-P scaling, producer/consumer, fragmentation",
                          NAMES["scaling"] + NAMES["other"])


PLOTS = [alloc_tiers, alloc_other]
