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
    "maps": ["MapInsert", "MapLookupHit", "MapLookupMiss", "MapDelete", "MapIterate",
             "MapInsertString", "MapLookupString"],
    "map_growth": ["MapGrowWorstInsert", "MapFlood"],
    "slices": ["Append", "Zero"],
    "memory": ["StackVsHeap"],
    "iface": ["IfaceCall", "VirtualCall", "DirectCall", "StdFunctionCall", "TypeAssertHit",
              "TypeAssertMiss", "ReflectFieldRead", "DirectFieldRead"],
    "receivers": ["PassByValue", "PassByPointer"],
    "defer": ["Defer", "PlainCall", "PanicRecover", "ThrowCatch"],
}


def maps(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "maps", "Maps: insert, lookup, delete, iterate", NAMES["maps"])


def map_growth(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "map_growth",
                          "Maps: worst single insert during growth; hash flooding contrast",
                          NAMES["map_growth"], log=True)


def slices(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "slices", "Slices: append with/without grow; zeroing by size",
                          NAMES["slices"] + NAMES["memory"])


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
