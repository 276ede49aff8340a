"""plots_lang.py — language runtime figures (issue 7): maps, slices,
interfaces and types, defer/panic/recover.

NAMES maps each figure to its benchmark names; every parameter set and
implementation found is shown (gort, go, std/C++ baselines).
"""
from __future__ import annotations

import figures as F
from runs import Run

SECTION = "Maps, slices, interfaces, defer/panic"

NAMES = {
    "maps": ["MapInsertInt64", "MapLookupHitInt64", "MapLookupMissInt64", "MapDeleteInt64", "MapIterateInt64",
             "MapInsertString16", "MapLookupString16"],
    "flood": ["MapFlooding", "StdUnorderedFlooding"],            # claim 310: colliding keys
    "worst": ["MapWorstInsert", "StdUnorderedWorstInsert"],      # metric WORST_METRIC
    "slices": ["AppendInt64", "AppendInt64Grow", "MakeZeroed"],  # params elems, bytes
    "memory": ["ValueOnStack", "ValueOnHeapGC", "ValueMalloc"],  # claim 314
    "iface": ["InterfaceCall", "VirtualCall", "DirectCall", "StdFunctionCall", "TypeAssertHit",
              "TypeAssertMiss", "ReflectFieldRead", "DirectFieldRead"],
    "receivers": ["PassByValue", "PassByPointer"],               # params bytes
    "defer": ["DeferCall", "PlainCall", "PanicRecover", "CppThrowCatch"],
}
WORST_METRIC = "max_insert_ns"   # the one insert that paid for a growth step


def maps(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "maps", "Maps: insert, lookup, delete, iterate", NAMES["maps"])


def map_growth(run: Run, outdir: str):
    """Worst single insert (from its metric) and the flooding contrast."""
    key, title = "map_growth", "Maps: worst single insert during growth; hash flooding contrast"
    found = []
    for name in NAMES["worst"]:
        for e in run.select(name):
            w = e.as_metric(WORST_METRIC, "ns (worst insert)")
            if w is not None:
                found.append((f"{name} {F.params_label(e.params)} worst".strip(), w))
    for label, name, params in F.auto_groups(run, NAMES["flood"]):
        for e in run.select(name, **params):
            found.append((label, e))
    if not found:
        return F.Skipped(key, title, ", ".join(NAMES["worst"] + NAMES["flood"]) + f" (metric {WORST_METRIC})")
    return F.found_figure(run, outdir, key, title, found, log=True)


def slices(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "slices", "Slices: append with/without grow; zeroing by size",
                          NAMES["slices"] + NAMES["memory"], log=True)


def interfaces(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "interfaces",
                          "Interfaces and reflection: dispatch, assertions, field reads", NAMES["iface"])


def receivers(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "receivers", "Value vs pointer receivers by struct size",
                          NAMES["receivers"])


def defer_panic(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "defer_panic", "defer, panic+recover vs C++ throw/catch",
                          NAMES["defer"], log=True)


PLOTS = [maps, map_growth, slices, interfaces, receivers, defer_panic]
