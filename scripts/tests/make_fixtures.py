#!/usr/bin/python3
"""make_fixtures.py — writes the committed fixture run directories under
scripts/tests/fixtures/ (deterministic: re-running gives the same files).

  vm2/20261127T120000Z    full run, 2-CPU VM, no hardware counters (every plot has data)
  big16/20261127T130000Z  a 16-CPU machine, a subset of the benchmarks (cross-CPU)
  partial/20261127T140000Z  only some scheduler benchmarks (plots skipped, claims "not measured")
  malformed/20261127T150000Z  run.json cut off mid-write

The figures are invented around the scale figures in the issues; they are
test data, not measurements.
"""
from __future__ import annotations

import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")


def sig(x: float, d: int = 4) -> float:
    return float(f"{x:.{d}g}")


class Gen:
    def __init__(self, seed: int, speed: float = 1.0):
        self.rng = np.random.default_rng(seed)
        self.speed = speed
        self.entries = []

    def samples(self, median, n=5, spread=0.03):
        return [sig(median * (1 + spread * self.rng.standard_normal())) for _ in range(n)]

    def add(self, name, impl, subsystem, median, params=None, claim=None, unit="ns/op", n=5, spread=0.03,
            metrics=None, counters=None, scale=True):
        m = median * (self.speed if scale and unit.startswith("ns") else 1.0)
        s = self.samples(m, n, spread)
        self.entries.append({
            "name": name, "subsystem": subsystem, "impl": impl, "claim": claim,
            "params": {"pin": "none", "quota": None, **(params or {})},
            "unit": unit, "samples": s, "median": sig(float(np.median(s))),
            "metrics": metrics or {}, "counters": counters or {}, "raw": [],
        })

    def dist(self, center, n_reps=5, per_rep=30, sigma=0.5):
        return [[sig(v, 3) for v in center * np.exp(sigma * self.rng.standard_normal(per_rep))] for _ in range(n_reps)]


def context(host, cpu, ncpu, hw):
    return {
        "host": host, "cpu_model": cpu, "num_cpus": ncpu, "topology_xml": "<topology/>",
        "packages": 1, "cores": ncpu, "pus": ncpu, "numa_nodes": 1,
        "caches": [{"level": 1, "type": "data", "size": 32768, "line": 64, "shared_by": 1}],
        "kernel": "6.1.0-28-amd64", "governor": "performance" if hw else None, "smt": False, "turbo": None,
        "aslr": 2, "perf_event_paranoid": 2,
        "cgroup": {"version": 2, "chain": [{"path": "/", "quota_us": -1, "period_us": 100000}], "quota_cpus": None},
        "affinity_cpus": ncpu, "gomaxprocs_default": ncpu,
        "counters": ({"hardware": True, "available": ["cycles", "instructions", "cache-misses", "task-clock"],
                      "unavailable": {}} if hw else
                     {"hardware": False, "hardware_reason": "PMU not virtualized (perf_event_open: ENOENT)",
                      "available": ["task-clock", "context-switches", "cpu-migrations", "page-faults"],
                      "unavailable": {"cycles": "ENOENT"}}),
        "compiler": "g++ 12.2.0", "cxx_flags": "-O2 -fno-omit-frame-pointer", "build_type": "Release",
        "git_commit": "0123456789abcdef", "git_dirty": False, "go_version": "go1.23.5",
        "load_avg_before": [0.1, 0.2, 0.3],
    }


def full(g: Gen, ncpu: int, hw: bool):
    sw = {"task-clock": {"per_op": 1.0, "multiplexed": False},
          "context-switches": {"per_op": 0.0, "multiplexed": False}}

    def ctr(ns, cs=0.0, ipc=1.5):
        tc = g.samples(ns * g.speed)
        c = {"task-clock": {"per_op_samples": tc, "per_op": sig(float(np.median(tc))), "multiplexed": False},
             "context-switches": {"per_op": cs, "multiplexed": False},
             "page-faults": {"per_op": 0.001, "multiplexed": False}}
        if hw:
            cyc = ns * 3.0
            c.update({"cycles": {"per_op": sig(cyc), "multiplexed": False},
                      "instructions": {"per_op": sig(cyc * ipc), "multiplexed": True},
                      "cache-misses": {"per_op": 0.02, "multiplexed": False}})
        return c
    del sw
    # --- scheduler (issue 2) ---
    g.add("GoschedPingPong", "gort", "sched", 30, {"procs": 1}, 302, counters=ctr(30, 0, 2.1))
    g.add("GoschedPingPong", "go", "sched", 52, {"procs": 1}, 302, counters=ctr(52, 0, 1.8))
    g.add("FutexPingPongSameCore", "os", "sched", 760, {}, 302, n=8, counters=ctr(760, 2, 0.6))
    g.add("FutexPingPongCrossCore", "os", "sched", 30000, {}, 302, spread=0.1)
    g.add("BoostContextJump", "boost", "sched", 3.6, {}, 302)
    g.add("SpawnJoin", "gort", "sched", 150, {}, 305)
    g.add("SpawnJoin", "go", "sched", 371, {}, 305)
    g.add("ThreadCreateJoin", "os", "sched", 33000, {}, 305)
    g.add("Skynet", "gort", "sched", 300e6, {"procs": ncpu}, None, spread=0.05)
    g.add("Skynet", "go", "sched", 684e6, {"procs": ncpu}, None, spread=0.05)
    g.add("ParkedGoroutineMemory", "gort", "sched", 300, {}, 305,
          metrics={"rss_per_g_bytes": g.samples(4400, spread=0.01)})
    g.add("ParkedGoroutineMemory", "go", "sched", 420, {}, 305,
          metrics={"rss_per_g_bytes": g.samples(2714, spread=0.01)})
    g.add("ParkedThreadMemory", "os", "sched", 30000, {}, 305,
          metrics={"rss_per_thread_bytes": g.samples(8600, spread=0.01)})
    for impl, eff in (("gort", 0.97), ("go", 0.93)):
        for p in (1, 2, 4, 8, 16, 32):
            used = min(p, ncpu)
            over = 1 + 0.01 * max(0, p - ncpu) / ncpu
            g.add("FanOut", impl, "sched", 1e6 / (1 + (used - 1) * eff) * over, {"procs": p}, 308, n=5)
    def lateness(center, dist):
        d = g.dist(center, per_rep=30, sigma=0.4)
        m = {"p50_ns": [sig(float(np.quantile(r, .5))) for r in d],
             "p99_ns": [sig(float(np.quantile(r, .99))) for r in d], "max_ns": [max(r) for r in d],
             "ticks": [1000] * 5}
        if dist:
            m["lateness_ns"] = d
        return sig(float(np.median(np.concatenate(d)))), m
    for impl, center in (("gort", 50e3), ("go", 93e3)):
        med_, m = lateness(center, impl == "gort")
        g.add("TimerLateness", impl, "timer", 1e6 + med_, {"procs": ncpu}, 301, metrics=m, scale=False)
    for n_, p in ((1, 2), (2, 2), (2, 1), (4, 2), (2, 0)):
        sat = n_ >= (p or ncpu)
        for impl, mech, center in (("gort", 1, 150e3 if sat else 60e3), ("gort", 0, 15e6 if sat else 60e3),
                                   ("go", None, 19e6 if sat else 93e3)):
            med_, m = lateness(center, impl == "gort")
            m["timerpreempt"] = [mech or 0] * 5
            params = {"n": n_, "procs": p or ncpu, "procs_mode": "set" if p else "default"}
            if mech is not None:
                params["timerpreempt"] = mech
            g.add("TimerSaturated", impl, "timer", 1e6 + med_, params, 301, metrics=m, scale=False)
    # --- quota grid (claim 308; issue 3): QuotaTicker, as harness/benchmarks.json runs it ---
    for q in (None, 0.5, 1.0, 1.5):
        floor_ = max(1, int(q or ncpu))
        ceil_ = int(np.ceil(q or ncpu))
        for impl in ("gort", "go"):
            settings = sorted({ncpu, floor_, ceil_}) if q else [ncpu]
            cells = [(p, "set") for p in settings] + [(ceil_ if impl == "gort" else ncpu, "default")]
            for p, mode in cells:
                busy = p / (q or ncpu)
                p50 = (1e5 if busy <= 1 else 20e6 * busy / 2) * (0.7 if impl == "gort" else 1)
                p99 = p50 * (1.4 if busy > 1 else 8)
                periods = 50
                m = {"p50_late_ns": g.samples(p50), "p99_late_ns": g.samples(p99), "max_late_ns": g.samples(p99 * 1.3),
                     "gomaxprocs": [p] * 5}
                if q:
                    m.update({"nr_periods": [periods] * 5, "nr_throttled": [min(periods, int(periods * busy / 2))] * 5,
                              "throttled_ns": [sig(1e6 * busy)] * 5})
                g.add("QuotaTicker", impl, "quota", 1e6 + p50,
                      {"spinners": 2, "procs": p, "procs_mode": mode, "quota": q}, 308, metrics=m, scale=False)
    # --- channels and sync (issue 4) ---
    for impl, f in (("gort", 0.3), ("go", 1.0)):
        g.add("ChanPingPong", impl, "chan", 120 * f, {"procs": 1}, 307)
        g.add("ChanPingPong", impl, "chan", 129 * f * 1.5, {"procs": 2}, 307)
        g.add("ChanBuffered", impl, "chan", 31.5 * f, {"pairs": 1, "procs": 1}, 307)
        g.add("ChanBuffered", impl, "chan", 80 * f, {"pairs": 4, "procs": 2}, 307)
        g.add("ChanSelect", impl, "chan", 90 * f, {"cases": 2}, 307)
        g.add("ChanSelect", impl, "chan", 140 * f, {"cases": 4}, 307)
        g.add("ChanSelectDefault", impl, "chan", 6 * f + 2, {}, 307)
        g.add("MutexUncontended", impl, "sync", 14 * f, {}, 313)
        g.add("MutexContended", impl, "sync", 60 * f, {"goroutines": 2}, 313)
        g.add("MutexContended", impl, "sync", 110 * f, {"goroutines": 8}, 313)
        g.add("WaitGroupAddDoneWait", impl, "sync", 40 * f, {}, None)
        g.add("WaitGroupJoin", impl, "sync", 300 * f, {"goroutines": 8}, None)
        g.add("ChanThreadRing", impl, "chan", 150 * f, {"procs": 1}, None, spread=0.05)
        g.add("ChanSkynet", impl, "chan", 700e6 * f, {"procs": ncpu}, None, spread=0.05)
    g.add("OsChanPingPong", "os", "chan", 2500, {}, None)
    g.add("OsChanBuffered", "os", "chan", 400, {}, None)
    g.add("StdMutexUncontended", "std", "sync", 18, {}, 313)
    for t in (2, 8):
        g.add("StdMutexContended", "std", "sync", 80 * t, {"threads": t}, 313)
    g.add("MemoryModelLitmus", "gort", "sync", 50, {"sync": 1}, 313, metrics={"violations": [0] * 5})
    # --- allocator (issue 5) ---
    sizes = (16, 32, 64, 128, 256, 512, 1024, 4096)
    for s in sizes:
        base = 5 + s / 40
        g.add("Alloc", "gort", "mem", base, {"size": s, "kind": "noscan"}, 309)
        g.add("Alloc", "gort", "mem", base * 1.2, {"size": s, "kind": "scan"}, 309)
        g.add("Alloc", "go", "mem", 13 + s / 5, {"size": s, "kind": "noscan"}, 309)
        for impl, k in (("glibc", 6.9), ("tcmalloc", 3.2), ("jemalloc", 4.0), ("mimalloc", 2.3)):
            g.add("Alloc", impl, "mem", k + s / 200, {"size": s}, 309)
    for s in (16, 64, 256, 1024):
        g.add("AllocRefill", "gort", "mem", 60 + s / 8, {"size": s}, 309)
    for s in (8192, 32768):
        g.add("AllocSpan", "gort", "mem", 400 + s / 64, {"size": s}, 309)
    for s in (65536, 1 << 20):
        g.add("AllocLarge", "gort", "mem", 2000 + s / 100, {"size": s}, 309)
        g.add("AllocLarge", "go", "mem", 3000 + s / 80, {"size": s}, 309)
    for p in (1, 2):
        g.add("AllocParallel", "gort", "mem", 10 / p * 1.05, {"procs": p}, 309)
    g.add("Larson", "gort", "mem", 40, {}, 309)
    g.add("Larson", "glibc", "mem", 55, {}, 309)
    g.add("Fragmentation", "gort", "mem", 1.12, {}, 309, unit="ratio", spread=0.01)
    g.add("Fragmentation", "glibc", "mem", 1.35, {}, 309, unit="ratio", spread=0.01)
    # --- GC (issue 6) ---
    # Per-cycle series (docs/results-schema.md, "series"): a few measured
    # cycles per repetition, from their own generator (the other figures stay).
    srng = np.random.default_rng(606)

    def gctrace_series(sw_ns, mk_ns, live_mb, n=6):
        cyc = [{"gc": 1, "t_s": 0.01, "sweep_term_stw_ms": 0.05, "mark_ms": 2.0, "mark_term_stw_ms": 0.05,
                "heap_before_mb": 4, "heap_after_mb": 4, "live_mb": 1, "goal_mb": 4, "procs": 2,
                "forced": True, "run": 1, "in_window": False, "measured": False}]   # set-up: not plotted
        for i in range(n):
            live = round(live_mb * (1 + 0.03 * srng.standard_normal()))
            cyc.append({"gc": i + 2, "t_s": sig(0.5 + 0.33 * i, 3),
                        "sweep_term_stw_ms": sig(sw_ns / 1e6 * np.exp(0.3 * srng.standard_normal()), 2),
                        "mark_ms": sig(20 * np.exp(0.2 * srng.standard_normal()), 2),
                        "mark_term_stw_ms": sig(mk_ns / 1e6 * np.exp(0.3 * srng.standard_normal()), 2),
                        "heap_before_mb": round(live * 1.9), "heap_after_mb": round(live * 2.02), "live_mb": live,
                        "goal_mb": 2 * live, "procs": 2, "forced": False, "run": 1, "in_window": True,
                        "measured": True})
        return {"source": "gctrace", "runs": 1, "windowed": True, "cycles": cyc}

    def boehm_series(n=6):
        cyc = []
        for i in range(n):
            before = round(300 * (1 + 0.05 * srng.standard_normal()), 1)
            cyc.append({"gc": i + 1, "t_s": sig(0.4 + 0.3 * i, 3),
                        "stop_ms": sig(3 * np.exp(0.4 * srng.standard_normal()), 3),
                        "heap_before_mb": before, "heap_after_mb": round(before * 0.9, 1), "live_mb": None,
                        "goal_mb": None, "heap_size_mb": 320.0, "forced": False, "run": 1, "in_window": True,
                        "measured": True})
        return {"source": "boehm", "runs": 1, "windowed": True, "cycles": cyc}

    for impl, sw_, mk_, frac in (("gort", 40e3, 60e3, 0.40), ("go", 120e3, 163e3, 0.54)):
        cycles = 15
        swd, mkd = g.dist(sw_, per_rep=cycles, sigma=0.3), g.dist(mk_, per_rep=cycles, sigma=0.3)
        g.add("GCChurn", impl, "gc", 5e9, {"procs": 2}, 303, spread=0.01,
              metrics={"pause_sweep_term_ns": swd, "pause_mark_term_ns": mkd,
                       "gc_cpu_fraction": g.samples(frac)}, scale=False)
        g.entries[-1]["series"] = [gctrace_series(sw_, mk_, 256) for _ in range(5)]
    g.add("GCChurn", "boehm", "gc", 5e9, {"procs": 2}, 303, spread=0.01,
          metrics={"pause_ns": g.dist(3e6, per_rep=15, sigma=0.4), "gc_cpu_fraction": g.samples(0.3)}, scale=False)
    g.entries[-1]["series"] = [boehm_series() for _ in range(4)] + [None]   # one repetition without a series
    for impl, f in (("gort", 0.8), ("go", 1.0), ("boehm", 0.6)):
        g.add("GCBench", impl, "gc", 442e6 * f, {}, 303, spread=0.03)
        g.add("BinaryTrees", impl, "gc", 900e6 * f, {"depth": 21}, 303, spread=0.03)
    for impl in ("gort", "go"):
        g.add("WriteBarrier", impl, "gc", 1.0, {"barrier": "off"}, 303)
        g.add("WriteBarrier", impl, "gc", 2.5 if impl == "gort" else 3.0, {"barrier": "on"}, 303)
        g.add("ReadMemStats", impl, "gc", 43e3, {"heap_mib": 256}, 304)
        g.add("MetricsRead", impl, "gc", 330, {"heap_mib": 256}, 304)
    # --- language (issue 7): the names of benches/lang_bench.cc ---
    keys = {"keys": 1 << 20}
    for impl, f in (("gort", 0.8), ("go", 1.0)):
        g.add("MapInsertInt64", impl, "lang", 160 * f, keys, 310)
        g.add("MapLookupHitInt64", impl, "lang", 33 * f, keys, 310)
        g.add("MapLookupMissInt64", impl, "lang", 28 * f, keys, 310)
        g.add("MapDeleteInt64", impl, "lang", 60 * f, keys, 310)
        g.add("MapIterateInt64", impl, "lang", 5 * f, keys, 310)
        g.add("MapInsertString16", impl, "lang", 477 * f, keys, 310)
        g.add("MapLookupString16", impl, "lang", 89 * f, keys, 310)
        g.add("MapWorstInsert", impl, "lang", 170 * f, keys, 310,
              metrics={"max_insert_ns": g.samples(5e3 * f, spread=0.1), "p999_insert_ns": g.samples(900 * f)})
        g.add("MapFlooding", impl, "lang", 190 * f, {"keys": 16384}, 310, metrics={"stride": [16411] * 5})
        g.add("AppendInt64", impl, "lang", 15.3 * f, {"elems": 1 << 20}, 311,
              metrics={"reallocs": [38] * 5, "bytes_copied": [16.7e6] * 5})
        g.add("AppendInt64Grow", impl, "lang", 4.0 * f, {"elems": 1 << 20}, 311,
              metrics={"reallocs": [1] * 5, "bytes_copied": [0] * 5})
        for s_ in (64, 1024, 65536, 1 << 20):
            g.add("MakeZeroed", impl, "lang", 8 + s_ / 30, {"bytes": s_}, 312)
        g.add("ValueOnStack", impl, "lang", 0.5, {}, 314)
        g.add("ValueOnHeapGC", impl, "lang", 15 * f, {}, 314)
        g.add("InterfaceCall", impl, "lang", 1.16 * f, {}, 320)
        g.add("DirectCall", impl, "lang", 0.56, {}, 320)
        g.add("TypeAssertHit", impl, "lang", 1.0 * f, {}, 320)
        g.add("TypeAssertMiss", impl, "lang", 1.2 * f, {}, 320)
        g.add("ReflectFieldRead", impl, "lang", 25 * f, {}, 318)
        g.add("DirectFieldRead", impl, "lang", 0.6, {}, 318)
        for s_ in (8, 64, 512, 4096):
            g.add("PassByValue", impl, "lang", 0.6 + s_ / 64, {"bytes": s_}, 316)
            g.add("PassByPointer", impl, "lang", 0.7, {"bytes": s_}, 316)
        g.add("DeferCall", impl, "lang", 2.6 * f, {}, 317)
        g.add("PlainCall", impl, "lang", 0.6, {}, 317)
        g.add("PanicRecover", impl, "lang", 87 * f, {}, 317, metrics={"recovered": [1] * 5})
    g.add("ValueMalloc", "std", "lang", 14, {}, 306)
    g.add("StdUnorderedWorstInsert", "std", "lang", 60, keys, 310,
          metrics={"max_insert_ns": g.samples(40e6, spread=0.1)})
    g.add("StdUnorderedFlooding", "std", "lang", 50000, {"keys": 16384}, 310, spread=0.1)
    g.add("VirtualCall", "std", "lang", 1.1, {}, 320)
    g.add("StdFunctionCall", "std", "lang", 1.5, {}, 320)
    g.add("CppThrowCatch", "std", "lang", 1200, {}, 317)

def subset(g: Gen, ncpu: int):
    """The benchmarks the 16-CPU fixture has (same names and params as vm2's)."""
    g.add("GoschedPingPong", "gort", "sched", 30, {"procs": 1}, 302)
    g.add("GoschedPingPong", "go", "sched", 52, {"procs": 1}, 302)
    g.add("FutexPingPongSameCore", "os", "sched", 760, {}, 302)
    g.add("FutexPingPongCrossCore", "os", "sched", 30000, {}, 302, spread=0.1)
    g.add("SpawnJoin", "gort", "sched", 150, {}, 305)
    g.add("SpawnJoin", "go", "sched", 371, {}, 305)
    for impl, eff in (("gort", 0.95), ("go", 0.9)):
        for p in (1, 2, 4, 8, 16, 32):
            used = min(p, ncpu)
            g.add("FanOut", impl, "sched", 1e6 / (1 + (used - 1) * eff) * (1.08 if p > ncpu else 1), {"procs": p}, 308)
    for impl, f in (("gort", 0.3), ("go", 1.0)):
        g.add("ChanPingPong", impl, "chan", 120 * f, {"procs": 1}, 307)
        g.add("ChanSelectDefault", impl, "chan", 6 * f + 2, {}, 307)
    for s in (16, 64, 256, 1024):
        g.add("Alloc", "gort", "mem", 5 + s / 40, {"size": s, "kind": "noscan"}, 309)
        g.add("Alloc", "go", "mem", 13 + s / 5, {"size": s, "kind": "noscan"}, 309)
    g.add("MapInsertInt64", "gort", "lang", 128, {"keys": 1 << 20}, 310)
    g.add("MapInsertInt64", "go", "lang", 160, {"keys": 1 << 20}, 310)


def goal_sweep(entries: list):
    """GCGoalSweep (issue 6), appended to vm2 with its own generator so that
    the values drawn for every other fixture entry stay as they were."""
    g = Gen(4)
    for impl, over in (("gort", 1.03), ("go", 0.99)):
        for gogc in (25, 50, 100, 200, 400):
            g.add("GCGoalSweep", impl, "gc", 750, {"gogc": gogc, "procs": 2}, 303, scale=False,
                  metrics={"peak_heap_per_goal": g.samples(over, spread=0.01),
                           "goal_per_live": g.samples(1 + gogc / 100, spread=0.01),
                           "cycles": [round(v) for v in g.samples(1024 / (64 * gogc / 100), spread=0.02)],
                           "gc_cpu_fraction": g.samples(0.3 * 100 / gogc, spread=0.05)})
    entries.extend(g.entries)


def write(rel: str, doc, cut: int | None = None):
    d = os.path.join(FIX, rel)
    os.makedirs(d, exist_ok=True)
    text = json.dumps(doc, indent=None, separators=(",", ":"))
    if cut is not None:
        text = text[:cut]
    with open(os.path.join(d, "run.json"), "w") as f:
        f.write(text + ("\n" if cut is None else ""))


def run_doc(run_id, ctx, entries, suite="quick"):
    return {"schema_version": 1, "run_id": run_id, "suite": suite,
            "started_utc": "2026-11-27T12:00:00Z", "finished_utc": "2026-11-27T12:09:00Z",
            "argv": ["gort-bench", "run"], "context": ctx, "benchmarks": entries}


def main():
    g = Gen(1)
    full(g, 2, hw=False)
    goal_sweep(g.entries)
    write("vm2/20261127T120000Z", run_doc("vm2/20261127T120000Z",
                                         context("vm2", "Intel Xeon (Cascadelake, virtual)", 2, False), g.entries))
    g16 = Gen(2, speed=0.7)
    subset(g16, 16)
    write("big16/20261127T130000Z", run_doc("big16/20261127T130000Z",
                                           context("big16", "AMD EPYC 7543P 32-Core", 16, True), g16.entries))
    gp = Gen(3)
    gp.add("GoschedPingPong", "gort", "sched", 30, {"procs": 1}, 302)
    gp.add("GoschedPingPong", "go", "sched", 52, {"procs": 1}, 302)
    gp.add("SpawnJoin", "gort", "sched", 150, {}, 305)
    ctx = context("vm2", "Intel Xeon (Cascadelake, virtual)", 2, False)
    del ctx["counters"]
    write("partial/20261127T140000Z", run_doc("vm2/20261127T140000Z", ctx, gp.entries))
    write("malformed/20261127T150000Z", run_doc("vm2/20261127T150000Z", ctx, gp.entries), cut=300)


if __name__ == "__main__":
    main()
