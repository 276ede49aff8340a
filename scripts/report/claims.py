"""claims.py — the claims table: seed claims 301–320, each with the figures
this run measured and a verdict computed from them by a rule in code.

Verdicts: "holds", "holds with a different number" (the detail says which),
"does not hold", "not measured". The claims are statements about Go's
runtime, so a rule judges the Go runtime's figures where the run has them and
libgort's (the same mechanism, reimplemented) otherwise; the detail names the
runtime judged and gives the other one's verdict when it differs.

Every rule names the benchmark entries it reads (READS below and in the
table). Benchmark names live in B so they are easy to adjust.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import plots_quota
import plots_sched
from dists import pct
from runs import Entry, Run
from stats import fmt_bytes, fmt_ns

HOLDS = "holds"
DIFFERENT = "holds with a different number"
NOT = "does not hold"
UNMEASURED = "not measured"

# Benchmark names the rules read (keep in step with the plot modules). A list
# holds aliases, tried in order.
B = {
    "fanout": "FanOut", "gosched": "GoschedPingPong", "futex_same": "FutexPingPongSameCore",
    "futex_cross": "FutexPingPongCrossCore", "churn": "GCChurn", "rms": "ReadMemStats",
    "metrics_read": "MetricsRead", "parked": "ParkedGoroutineMemory", "parked_thread": "ParkedThreadMemory",
    "on_stack": "ValueOnStack", "on_heap": "ValueOnHeapGC", "malloc": "ValueMalloc",
    "select_default": "ChanSelectDefault", "pingpong": "ChanPingPong",
    "quota": "QuotaTicker (or any run under a quota)", "alloc": ["MallocFast", "Alloc", "AllocFast"],
    "refill": ["MCacheRefill", "AllocRefill"], "span": ["SpanAlloc", "AllocSpan"], "frag": "Fragmentation", "flood": "MapFlooding", "std_flood": "StdUnorderedFlooding",
    "map_insert": "MapInsertInt64", "append": "AppendInt64", "append_grow": "AppendInt64Grow",
    "zero": "MakeZeroed", "litmus": "MemoryModelLitmus", "methodset": "MethodSetCheck",
    "by_value": "PassByValue", "by_pointer": "PassByPointer", "panic": "PanicRecover",
    "throw": "CppThrowCatch", "reflect": "ReflectFieldRead", "direct_field": "DirectFieldRead",
    "identity": "TypeIdentityCheck", "iface": "InterfaceCall", "virtual": "VirtualCall", "direct": "DirectCall",
    "mutex": "MutexUncontended", "std_mutex": "StdMutexUncontended",
}
SIZE_PARAMS = ("bytes", "size")
PHASE_STEMS = {"sweep termination": "sweep_term", "mark termination": "mark_term"}
PHASE_DISTS = {"sweep_term": "pause_sweep_term_ns", "mark_term": "pause_mark_term_ns"}
RUNTIMES = ("go", "gort")   # judged in this order


@dataclass
class ClaimResult:
    number: int
    summary: str
    reads: list
    figures: dict = field(default_factory=dict)   # column ("gort", "go", "os") -> text
    verdict: str = UNMEASURED
    detail: str = ""

    @property
    def verdict_text(self) -> str:
        return self.verdict


RULES = {}


def rule(number: int, summary: str, reads: list):
    """rule registers the verdict function of a claim."""
    def deco(fn):
        RULES[number] = (summary, ["/".join(B[r]) if isinstance(B[r], list) else B[r] for r in reads], fn)
        return fn
    return deco


def med(run: Run, key: str, impl: str | None, **params) -> Entry | None:
    """med: the entry of benchmark B[key] (first alias present) for impl."""
    return run.first_of(B[key], impl, **params)


def any_impl(run: Run, key: str, prefer=("std", "os", "gort")) -> Entry | None:
    """any_impl: a baseline benchmark's entry, whatever impl the run gave it."""
    for impl in prefer:
        e = med(run, key, impl)
        if e is not None:
            return e
    return med(run, key, None)


def size_of(e: Entry) -> float | None:
    for k in SIZE_PARAMS:
        if e.param(k) is not None:
            return float(e.param(k))
    return None


def judge(res: ClaimResult, per_impl):
    """judge applies per_impl(impl) -> (verdict, detail) | None to Go then
    gort and fills the result: Go's verdict when measured, else gort's."""
    got = {}
    for impl in RUNTIMES:
        v = per_impl(impl)
        if v is not None:
            got[impl] = v
    if not got:
        res.verdict = UNMEASURED
        res.detail = "the figures this rule compares are not all in this run"
        return res
    first = next(i for i in RUNTIMES if i in got)
    res.verdict, d = got[first]
    name = {"go": "Go", "gort": "gort"}
    parts = [f"judged on {name[first]}: {d}" if d else f"judged on {name[first]}"]
    for other in RUNTIMES:
        if other != first and other in got:
            ov, od = got[other]
            parts.append(f"{name[other]}: {ov}" + (f" ({od})" if od and ov != UNMEASURED else ""))
    res.detail = "; ".join(parts)
    return res


def ratio_verdict(r: float, hold: float, weak: float) -> str:
    """HOLDS at r >= hold, DIFFERENT at weak <= r < hold, else NOT."""
    if r >= hold:
        return HOLDS
    if r >= weak:
        return DIFFERENT
    return NOT


# --- 301 ---------------------------------------------------------------------
@rule(301, "An M:N scheduler with per-P queues and work stealing keeps every core busy (and preempts long runners).",
      ["fanout"])
def c301(run: Run, res: ClaimResult):
    ncpu = run.num_cpus or 0

    def per(impl):
        e1 = med(run, "fanout", impl, procs=1)
        ek = med(run, "fanout", impl, procs=ncpu)
        if e1 is None or ek is None or ncpu < 2:
            return None
        s = e1.median / ek.median
        if ek.unit.endswith("_per_s"):
            s = 1 / s
        # Share of the extra cores put to work: 1 = linear, 0 = no speedup at all.
        eff = (s - 1) / (ncpu - 1)
        res.figures[impl] = f"fan-out speedup {s:.2f}× on {ncpu} Ps"
        v = ratio_verdict(eff, 0.8, 0.4)
        return v, f"speedup {s:.2f}× at GOMAXPROCS={ncpu}" + (
            "" if v == HOLDS else f": {eff:.0%} of the extra cores used (claim: all cores busy)")
    return judge(res, per)


# --- 302 ---------------------------------------------------------------------
@rule(302, "A goroutine switch (~200 ns) is ~10× cheaper than an OS-thread switch (1–2 µs).",
      ["gosched", "futex_same", "futex_cross"])
def c302(run: Run, res: ClaimResult):
    os_same = med(run, "futex_same", "os")
    os_cross = med(run, "futex_cross", "os")
    if os_same is not None or os_cross is not None:
        res.figures["os"] = ", ".join(
            f"{w} {fmt_ns(e.median)}" for w, e in (("same core", os_same), ("cross core", os_cross)) if e is not None)

    def per(impl):
        g = med(run, "gosched", impl, procs=1) or med(run, "gosched", impl)
        if g is None:
            return None
        res.figures[impl] = f"switch {fmt_ns(g.median)}"
        if os_same is None:
            return None
        r = os_same.median / g.median
        in_range = 100 <= g.median <= 400 and 500 <= os_same.median <= 4000
        if r < 5:
            return NOT, f"thread/goroutine = {r:.1f}× (< 5×)"
        nums = f"{fmt_ns(g.median)} vs {fmt_ns(os_same.median)} same-core = {r:.0f}×"
        return (HOLDS, nums) if in_range else (DIFFERENT, f"{nums} (claim: ~200 ns vs 1–2 µs)")
    return judge(res, per)


# --- 303 ---------------------------------------------------------------------
def phase_pauses(e: Entry) -> dict:
    out = {}
    for phase, stem in PHASE_STEMS.items():
        p99 = pct(e, "p99", stem, PHASE_DISTS[stem])
        mx = pct(e, "max", stem, PHASE_DISTS[stem])
        if p99 is not None or mx is not None:
            out[phase] = (p99, mx)
    return out


def pause_text(pp: dict) -> str:
    return "; ".join(f"{ph}: p99 {fmt_ns(a)}, max {fmt_ns(b)}" for ph, (a, b) in pp.items())


@rule(303, "A concurrent tri-color mark-sweep GC with a write barrier keeps STW pauses sub-millisecond.", ["churn"])
def c303(run: Run, res: ClaimResult):
    boehm = med(run, "churn", "boehm")
    if boehm is not None:
        mx = pct(boehm, "max", dist_key="pause_ns")
        if mx is not None:
            res.figures["os"] = f"Boehm max stop {fmt_ns(mx)}"

    def per(impl):
        e = med(run, "churn", impl)
        if e is None:
            return None
        pp = phase_pauses(e)
        if not pp:
            return None
        res.figures[impl] = pause_text(pp)
        mx = max((b if b is not None else a) for a, b in pp.values())
        p99 = max((a if a is not None else b) for a, b in pp.values())
        if mx < 1e6:
            return HOLDS, f"max STW pause {fmt_ns(mx)}"
        if p99 < 1e6:
            return DIFFERENT, f"p99 {fmt_ns(p99)} but max {fmt_ns(mx)} (≥ 1 ms)"
        return NOT, f"p99 STW pause {fmt_ns(p99)} (≥ 1 ms)"
    return judge(res, per)


# --- 304 ---------------------------------------------------------------------
@rule(304, "GC has two short STW phases (sweep and mark termination); ReadMemStats stops the world, so frequent calls hurt.",
      ["churn", "rms", "metrics_read"])
def c304(run: Run, res: ClaimResult):
    def per(impl):
        e = med(run, "churn", impl)
        rms, mr = med(run, "rms", impl), med(run, "metrics_read", impl)
        parts, verdicts = [], []
        figs = []
        if e is not None:
            pp = phase_pauses(e)
            if pp:
                short = all((b if b is not None else a) < 1e6 for a, b in pp.values())
                figs.append(f"{len(pp)} STW phases timed")
                verdicts.append(HOLDS if len(pp) == 2 and short else NOT)
                parts.append(f"{len(pp)} timed STW phases, " + ("each < 1 ms" if short else "one ≥ 1 ms"))
        if rms is not None and mr is not None:
            r = rms.median / mr.median
            cost = rms.median / 10e6
            figs.append(f"ReadMemStats {fmt_ns(rms.median)} vs metrics {fmt_ns(mr.median)}")
            if r < 10:
                verdicts.append(NOT)
                parts.append(f"ReadMemStats only {r:.1f}× a lock-free read")
            elif cost < 0.01:
                verdicts.append(DIFFERENT)
                parts.append(f"ReadMemStats {r:.0f}× a lock-free read, but one call every 10 ms costs {cost:.2%} of a CPU")
            else:
                verdicts.append(HOLDS)
                parts.append(f"ReadMemStats every 10 ms costs {cost:.1%} of a CPU")
        if not verdicts:
            return None
        res.figures[impl] = "; ".join(figs)
        v = NOT if NOT in verdicts else DIFFERENT if DIFFERENT in verdicts else HOLDS
        return v, "; ".join(parts)
    return judge(res, per)


# --- 305 ---------------------------------------------------------------------
@rule(305, "A goroutine starts with a 2 KB stack that grows on demand, far lighter than an OS thread.",
      ["parked", "parked_thread"])
def c305(run: Run, res: ClaimResult):
    th = med(run, "parked_thread", "os")
    th = plots_sched.memory_view(th) if th is not None else None
    if th is not None:
        res.figures["os"] = f"{fmt_bytes(th.median)} RSS per parked thread"

    def per(impl):
        e = med(run, "parked", impl)
        e = plots_sched.memory_view(e) if e is not None else None
        if e is None:
            return None
        res.figures[impl] = f"{fmt_bytes(e.median)} RSS per parked goroutine"
        if th is not None and e.median >= th.median:
            return NOT, f"{fmt_bytes(e.median)} per goroutine ≥ {fmt_bytes(th.median)} per thread"
        if e.median <= 4096:
            return HOLDS, f"{fmt_bytes(e.median)} per parked goroutine"
        return DIFFERENT, f"{fmt_bytes(e.median)} per parked goroutine (claim: 2 KB stack)"
    return judge(res, per)


# --- 306 / 314 ------------------------------------------------------------------
@rule(306, "A new stack frame is just SP -= framesize: essentially free compared to malloc.",
      ["on_stack", "malloc"])
def c306(run: Run, res: ClaimResult):
    m = any_impl(run, "malloc")

    def per(impl):
        s = med(run, "on_stack", impl)
        h = m if impl == "gort" else None   # malloc is a C++ figure; Go has no malloc
        if s is None:
            return None
        if h is None:
            h = med(run, "on_heap", impl)
        if h is None:
            return None
        r = h.median / s.median
        res.figures[impl] = f"stack {fmt_ns(s.median)} vs {h.name} {fmt_ns(h.median)}"
        return ratio_verdict(r, 10, 2), f"{h.name} = {r:.1f}× a stack value"
    if m is not None:
        res.figures["os"] = f"malloc+free {fmt_ns(m.median)}"
    return judge(res, per)


# --- 307 ---------------------------------------------------------------------
@rule(307, "A blocked channel op parks the goroutine; select with default returns at once without parking.",
      ["select_default", "pingpong"])
def c307(run: Run, res: ClaimResult):
    def per(impl):
        sd = med(run, "select_default", impl)
        pp = med(run, "pingpong", impl, procs=1) or med(run, "pingpong", impl)
        if sd is None:
            return None
        res.figures[impl] = f"select-default {fmt_ns(sd.median)}" + (f", parked hand-off {fmt_ns(pp.median)}" if pp else "")
        if pp is None:
            return None
        r = pp.median / sd.median
        return ratio_verdict(r, 3, 1.5), f"a parking hand-off costs {r:.1f}× a non-blocking select"
    return judge(res, per)


# --- 308 ---------------------------------------------------------------------
def quota_rows(run: Run, impl: str):
    """quota_rows: {quota: [(rules, procs, p99_ns)]} from the quota experiment."""
    name, ents = plots_quota.quota_entries(run)
    out = {}
    for e in ents:
        if e.impl != impl:
            continue
        p99 = pct(e, "p99", dist_key=plots_quota.DIST)
        out.setdefault(float(e.param("quota")), []).append(
            (plots_quota.rules_of(e, run.num_cpus), e.param("procs"), p99))
    return out


@rule(308, "GOMAXPROCS above the CPUs (or above a container's quota) hurts; GOMAXPROCS should follow the quota.",
      ["fanout", "quota"])
def c308(run: Run, res: ClaimResult):
    ncpu = run.num_cpus or 0

    def per(impl):
        figs, parts, verdicts = [], [], []
        fan = [e for e in select(run, "fanout", impl) if e.param("procs") is not None]
        at_n = next((e for e in fan if float(e.param("procs")) == ncpu), None)
        over = [e for e in fan if float(e.param("procs")) > ncpu]
        if at_n is not None and over:
            top = max(over, key=lambda e: float(e.param("procs")))
            pen = top.median / at_n.median - 1
            if top.unit.endswith("_per_s"):
                pen = at_n.median / top.median - 1
            figs.append(f"GOMAXPROCS {top.param('procs')} vs {ncpu}: {pen:+.1%} time")
            over_v = HOLDS if pen >= 0.05 else NOT
            parts.append(f"oversubscription {pen:+.1%}")
            verdicts.append(("over", over_v))
        rows = quota_rows(run, impl)
        if rows:
            q_ok = []
            for q, cells in sorted(rows.items()):
                host = next((c for c in cells if "host" in c[0]), None)
                aware = [c for c in cells if ("floor" in c[0] or "ceil" in c[0]) and "host" not in c[0]]
                if host is None or not aware:
                    continue
                best = min(aware, key=lambda c: c[2])
                q_ok.append(host[2] / best[2])
                figs.append(f"quota {q:g}: p99 {fmt_ns(host[2])} at {host[1]} Ps vs {fmt_ns(best[2])} at {best[1]}")
            if q_ok:
                # "Hurts": p99 at GOMAXPROCS=host CPUs ≥ 1.5× the best quota-sized setting, at every quota.
                worst = min(q_ok)
                qv = HOLDS if worst >= 1.5 else DIFFERENT if worst > 1.1 else NOT
                verdicts.append(("quota", qv))
                parts.append(f"quota-sized GOMAXPROCS cuts the ticker's p99 by {worst:.1f}× or more at every quota"
                             if qv != NOT else f"quota-sized GOMAXPROCS gains only {worst:.2f}× at some quota")
        if not verdicts:
            return None
        res.figures[impl] = "; ".join(figs)
        d = dict(verdicts)
        if "quota" in d:
            if d["quota"] in (NOT, DIFFERENT):
                v = d["quota"]
            elif d.get("over") == NOT:
                v = DIFFERENT
                parts.append("GOMAXPROCS above the CPU count costs < 5% here")
            else:
                v = HOLDS
        else:
            v = d["over"]
        return v, "; ".join(parts)
    return judge(res, per)


# --- 309 ---------------------------------------------------------------------
def select(run: Run, key: str, impl: str | None, **params) -> list[Entry]:
    """select: every entry of benchmark B[key] (first alias present) for impl."""
    for name in ([B[key]] if isinstance(B[key], str) else B[key]):
        ents = run.select(name, impl, **params)
        if ents:
            return ents
    return []


def alloc_at(run: Run, key: str, impl: str, size: int = 64):
    ents = select(run, key, impl)
    if not ents:
        return None
    ents.sort(key=lambda e: abs((size_of(e) or size) - size))
    return ents[0]


@rule(309, "A TCMalloc-style allocator (size-class spans; mcache → mcentral → mheap) makes small allocations near free and limits fragmentation.",
      ["alloc", "refill", "span", "frag"])
def c309(run: Run, res: ClaimResult):
    glibc = alloc_at(run, "alloc", "glibc")
    if glibc is not None:
        res.figures["os"] = f"glibc malloc+free {fmt_ns(glibc.median)} ({glibc.param('size')} B)"

    def per(impl):
        fast = alloc_at(run, "alloc", impl)
        if fast is None:
            return None
        refill, span, frag = alloc_at(run, "refill", impl), alloc_at(run, "span", impl), med(run, "frag", impl)
        if frag is not None:
            # Fragmentation's figure is a metric (RSS / live), not its ns/op.
            frag = frag.as_metric("rss_per_live", "ratio") or frag.as_metric("retained_per_live", "ratio")
        figs = [f"mcache {fmt_ns(fast.median)} ({fast.param('size')} B)"]
        if refill:
            figs.append(f"mcentral refill {fmt_ns(refill.median)}")
        if span:
            figs.append(f"mheap span {fmt_ns(span.median)}")
        if frag:
            figs.append(f"fragmentation {frag.median:.2f}")
        res.figures[impl] = ", ".join(figs)
        slower = [t for t in (refill, span) if t is not None and t.median <= fast.median]
        if slower:
            return NOT, "the mcache fast path is not cheaper than the tiers below it"
        if frag is not None and frag.median > 1.2:
            return DIFFERENT, f"tiers ordered, but RSS/live = {frag.median:.2f} (> 1.2)"
        if refill is None and span is None and glibc is not None and fast.median > glibc.median:
            return DIFFERENT, f"fast path {fmt_ns(fast.median)} vs glibc {fmt_ns(glibc.median)}"
        return HOLDS, "fast path cheapest of the tiers" + (f", RSS/live {frag.median:.2f}" if frag else "")
    return judge(res, per)


# --- 310 ---------------------------------------------------------------------
@rule(310, "Maps are bucket hash tables (8 slots per bucket) with a seeded AES hash, so crafted keys cannot flood them.",
      ["flood", "std_flood", "map_insert"])
def c310(run: Run, res: ClaimResult):
    std = any_impl(run, "std_flood")
    if std is not None:
        res.figures["os"] = f"std::unordered_map, colliding keys {fmt_ns(std.median)}"

    def per(impl):
        fl = med(run, "flood", impl)
        base = med(run, "map_insert", impl)
        if fl is None or base is None:
            return None
        r = fl.median / base.median
        res.figures[impl] = f"colliding keys {fmt_ns(fl.median)} vs plain inserts {fmt_ns(base.median)}"
        v = HOLDS if r <= 3 else DIFFERENT if r <= 10 else NOT
        extra = f"; std::unordered_map {std.median / fl.median:.0f}× slower under the same keys" if std else ""
        return v, f"colliding/plain = {r:.2f}×{extra}"
    return judge(res, per)


# --- 311 ---------------------------------------------------------------------
def claimed_reallocs(n: int) -> int:
    """The claim's rule: double below 1024 elements, then grow by 1.25×."""
    c, k = 1, 0
    while c < n:
        c = c * 2 if c < 1024 else math.ceil(c * 1.25)
        k += 1
    return k


@rule(311, "append doubles capacity, then grows ~1.25× past 1024 elements: O(N) amortized.",
      ["append", "append_grow"])
def c311(run: Run, res: ClaimResult):
    def per(impl):
        plain = med(run, "append", impl)
        pre = med(run, "append_grow", impl)
        if plain is None:
            return None
        n = int(plain.param("elems", plain.param("n", 1 << 20)))
        figs = [f"{fmt_ns(plain.median)}/element"]
        if pre is not None:
            figs.append(f"with grow {fmt_ns(pre.median)}")
        re_ = plain.metric_median("reallocs")
        if re_ is not None:
            figs.append(f"{re_:.0f} reallocations")
        res.figures[impl] = ", ".join(figs)
        if pre is not None and plain.median > 4 * pre.median:
            return NOT, f"append without grow is {plain.median / pre.median:.1f}× slower (not amortized O(1))"
        if re_ is None:
            if pre is None:
                return None
            return HOLDS, f"amortized: {plain.median / pre.median:.2f}× the pre-grown append"
        m = claimed_reallocs(n)
        if abs(re_ - m) <= 2:
            return HOLDS, f"{re_:.0f} reallocations for {n} elements (rule: {m})"
        return DIFFERENT, f"{re_:.0f} reallocations for {n} elements; the claim's 2×/1.25× rule gives {m}"
    return judge(res, per)


# --- 312 ---------------------------------------------------------------------
@rule(312, "Allocated memory is always zeroed; SIMD zeroing makes that cheap but not free.", ["zero"])
def c312(run: Run, res: ClaimResult):
    def per(impl):
        ents = [e for e in select(run, "zero", impl) if size_of(e) is not None]
        if not ents:
            return None
        e = max(ents, key=size_of)
        gbs = size_of(e) / e.median
        res.figures[impl] = f"{fmt_bytes(size_of(e))} allocated and zeroed in {fmt_ns(e.median)} ({gbs:.1f} GB/s)"
        if gbs >= 8:
            return HOLDS, f"{gbs:.1f} GB/s"
        if gbs >= 1:
            return DIFFERENT, f"{gbs:.1f} GB/s (not SIMD-class)"
        return NOT, f"{gbs:.2f} GB/s"
    return judge(res, per)


# --- 313 ---------------------------------------------------------------------
@rule(313, "Channel ops and locks are happens-before edges; unsynchronized access is a data race.",
      ["litmus", "mutex", "std_mutex"])
def c313(run: Run, res: ClaimResult):
    for impl in ("gort", "go"):
        m = med(run, "mutex", impl)
        if m is not None:
            res.figures[impl] = f"lock+unlock (one edge) {fmt_ns(m.median)}"
    sm = any_impl(run, "std_mutex")
    if sm is not None:
        res.figures["os"] = f"std::mutex lock+unlock {fmt_ns(sm.median)}"

    def per(impl):
        e = med(run, "litmus", impl)
        if e is None:
            return None
        vs = e.metric("violations")
        if vs is None:
            return None
        v = float(vs.sum())   # any violation in any repetition counts
        res.figures[impl] = (res.figures.get(impl, "") + f"; {v:.0f} litmus violations").lstrip("; ")
        return (HOLDS, "0 violations of message passing with synchronization") if v == 0 else (
            NOT, f"{v:.0f} violations with synchronization")
    r = judge(res, per)
    if r.verdict == UNMEASURED:
        r.detail = "semantic claim: the TSan test runs check it; no litmus benchmark in this run"
    return r


# --- 314 ---------------------------------------------------------------------
@rule(314, "Escape analysis keeps non-escaping values on the stack (one SP adjustment) instead of the GC heap.",
      ["on_stack", "on_heap"])
def c314(run: Run, res: ClaimResult):
    def per(impl):
        s, h = med(run, "on_stack", impl), med(run, "on_heap", impl)
        if s is None or h is None:
            return None
        r = h.median / s.median
        res.figures[impl] = f"stack {fmt_ns(s.median)} vs GC heap {fmt_ns(h.median)}"
        v = ratio_verdict(r, 5, 2)
        if v == HOLDS and s.median > 2:
            return DIFFERENT, f"heap {r:.1f}× the stack, but a stack value costs {fmt_ns(s.median)} (not one instruction)"
        return v, f"GC allocation = {r:.1f}× a stack value"
    return judge(res, per)


# --- 315 / 319: static rules ------------------------------------------------------
def conformance(run: Run, res: ClaimResult, key: str, what: str):
    def per(impl):
        e = med(run, key, impl)
        if e is None:
            return None
        f = e.metric_median("failures")
        if f is None:
            return None
        res.figures[impl] = f"{f:.0f} rule failures"
        return (HOLDS, f"all {what} cases as Go") if f == 0 else (NOT, f"{f:.0f} cases differ")
    r = judge(res, per)
    if r.verdict == UNMEASURED:
        r.detail = f"static rule ({what}): the unit tests check it; no {B[key]} entry in this run"
    return r


@rule(315, "T's method set has value-receiver methods; *T's has both, so only *T satisfies pointer-receiver interfaces.",
      ["methodset"])
def c315(run: Run, res: ClaimResult):
    return conformance(run, res, "methodset", "method-set")


# --- 316 ---------------------------------------------------------------------
@rule(316, "A value receiver copies the whole struct (slow when large); a pointer receiver passes 8 bytes.",
      ["by_value", "by_pointer"])
def c316(run: Run, res: ClaimResult):
    def per(impl):
        vals = {size_of(e): e for e in select(run, "by_value", impl) if size_of(e) is not None}
        ptrs = {size_of(e): e for e in select(run, "by_pointer", impl) if size_of(e) is not None}
        common = sorted(set(vals) & set(ptrs))
        if not common:
            return None
        ratios = {s: vals[s].median / ptrs[s].median for s in common}
        big = common[-1]
        cross = next((s for s in common if ratios[s] >= 1.5), None)
        res.figures[impl] = f"{fmt_bytes(big)}: value {ratios[big]:.1f}× pointer" + (
            f"; copying costs from {fmt_bytes(cross)}" if cross else "")
        return ratio_verdict(ratios[big], 2, 1.2), f"by value = {ratios[big]:.1f}× by pointer at {fmt_bytes(big)}"
    return judge(res, per)


# --- 317 ---------------------------------------------------------------------
@rule(317, "panic unwinds the stack running deferred calls; recover in a deferred call stops it.",
      ["panic", "throw"])
def c317(run: Run, res: ClaimResult):
    th = any_impl(run, "throw")
    if th is not None:
        res.figures["os"] = f"C++ throw/catch {fmt_ns(th.median)}"

    def per(impl):
        e = med(run, "panic", impl)
        if e is None:
            return None
        res.figures[impl] = f"panic+recover {fmt_ns(e.median)}"
        rec = e.metric_median("recovered")
        if rec is not None and rec <= 0:
            return NOT, "the benchmark recorded no recovered panic"
        return HOLDS, f"panics recovered, {fmt_ns(e.median)} per panic+recover"
    return judge(res, per)


# --- 318 ---------------------------------------------------------------------
@rule(318, "Reflection reads type metadata at run time: much slower than direct access.",
      ["reflect", "direct_field"])
def c318(run: Run, res: ClaimResult):
    def per(impl):
        r_, d = med(run, "reflect", impl), med(run, "direct_field", impl)
        if r_ is None or d is None:
            return None
        r = r_.median / d.median
        res.figures[impl] = f"reflective read {fmt_ns(r_.median)} vs direct {fmt_ns(d.median)}"
        return ratio_verdict(r, 5, 2), f"reflection {r:.1f}× a direct field read"
    return judge(res, per)


# --- 319 ---------------------------------------------------------------------
@rule(319, "A named type is distinct from its underlying type; identical unnamed composites are identical.",
      ["identity"])
def c319(run: Run, res: ClaimResult):
    return conformance(run, res, "identity", "type-identity")


# --- 320 ---------------------------------------------------------------------
@rule(320, "An interface value is two words (itab, data); a typed nil pointer in one is not nil.",
      ["iface", "virtual", "direct"])
def c320(run: Run, res: ClaimResult):
    virt = any_impl(run, "virtual")
    if virt is not None:
        res.figures["os"] = f"C++ virtual call {fmt_ns(virt.median)}"

    def per(impl):
        e = med(run, "iface", impl)
        if e is None:
            return None
        d = med(run, "direct", impl)
        words = e.metric_median("iface_bytes")
        res.figures[impl] = f"interface call {fmt_ns(e.median)}" + (f" vs direct {fmt_ns(d.median)}" if d else "") + (
            f"; value = {words:.0f} B" if words is not None else "")
        virt_ = virt   # C++'s virtual call: the vtable dispatch an itab call is compared with
        if words is not None:
            return (HOLDS, f"interface value {words:.0f} B = two words") if words == 16 else (
                NOT, f"interface value is {words:.0f} B")
        if virt_ is None:
            return None
        r = e.median / virt_.median
        v = HOLDS if r <= 1.5 else DIFFERENT
        return v, f"an itab call costs {r:.2f}× a vtable call (one indirect call through a table)"
    return judge(res, per)


def evaluate(run: Run) -> list[ClaimResult]:
    """evaluate applies every rule to a run, in claim order."""
    out = []
    for number in range(301, 321):
        summary, reads, fn = RULES[number]
        res = ClaimResult(number=number, summary=summary, reads=reads)
        try:
            fn(run, res)
        except ZeroDivisionError:
            res.verdict = UNMEASURED
            res.detail = "could not evaluate: a figure this rule divides by is 0 in this run"
        except (ValueError, TypeError, KeyError) as e:
            res.verdict = UNMEASURED
            res.detail = f"could not evaluate: {type(e).__name__}: {e}"
        out.append(res)
    return out


def table_rows(results: list[ClaimResult]) -> list[list[str]]:
    rows = []
    for r in results:
        rows.append([str(r.number), r.summary, r.figures.get("gort", "–"), r.figures.get("go", "–"),
                     r.figures.get("os", "–"), r.verdict, r.detail, ", ".join(r.reads)])
    return rows


TABLE_HEADERS = ["#", "claim", "gort", "Go", "OS threads / C / C++", "verdict", "why", "reads"]
