"""The GC figures and claims 303/304 on entries shaped as the harness writes
them for benches/gc_bench.cc, its Go twin and the Boehm baseline: one number
per metric per repetition (pause percentiles per phase, no per-pause or
per-cycle lists), Boehm's stop pauses as p50_ns/p99_ns/max_ns."""
from __future__ import annotations

import json
import os

import claims
import figures as F
import plots_gc
from claims import DIFFERENT, HOLDS, NOT
from runs import load_run


def entry(name, impl, samples, params=None, metrics=None, claim=303):
    return {"name": name, "subsystem": "gc", "impl": impl, "claim": claim,
            "params": {"pin": "none", "quota": None, **(params or {})}, "unit": "ns/op",
            "samples": samples, "metrics": {k: list(v) for k, v in (metrics or {}).items()}}


def churn_metrics(sw, mk, reps=3):
    m = {}
    for stem, base in (("sweep_term", sw), ("mark_term", mk)):
        m[f"{stem}_p50_ns"] = [base] * reps
        m[f"{stem}_p99_ns"] = [base * 2] * reps
        m[f"{stem}_max_ns"] = [base * 3] * reps
    m["cycles"] = [12] * reps
    m["gc_cpu_fraction"] = [0.3, 0.32, 0.31]
    m["assist_share"] = [0.5] * reps
    return m


def make_run(tmp_path, mark_term_ns=40e3, with_sweep=True):
    ents = [
        entry("GCChurn", "gort", [700, 710, 705], {"live_mib": 16, "procs": 2}, churn_metrics(30e3, mark_term_ns)),
        entry("GCChurn", "go", [750, 760, 755], {"live_mib": 16, "procs": 2}, churn_metrics(100e3, mark_term_ns)),
        entry("GCChurn", "boehm", [900, 910, 905], {"live_mib": 16, "procs": 2},
              {"p50_ns": [20e6] * 3, "p99_ns": [30e6] * 3, "max_ns": [31e6] * 3, "cycles": [40] * 3,
               "gc_cpu_fraction": [0.5] * 3}),
        entry("ReadMemStats", "gort", [40e3, 41e3, 42e3], {"heap_mib": 256}, claim=304),
        entry("MetricsRead", "gort", [300, 310, 305], {"heap_mib": 256}, claim=304),
        entry("WriteBarrier", "gort", [1.1, 1.2, 1.1], {"barrier": "off"}),
        entry("WriteBarrier", "gort", [9.0, 9.5, 9.2], {"barrier": "on"},
              {"rounds_in_mark": [0.99] * 3}),
    ]
    if with_sweep:
        for impl in ("gort", "go"):
            for g in (25, 100, 400):
                ents.append(entry("GCGoalSweep", impl, [800, 810, 805], {"gogc": g, "procs": 2},
                                  {"peak_heap_per_goal": [1.01, 1.02, 1.0], "goal_per_live": [1 + g / 100] * 3,
                                   "cycles": [64 * 25 / g] * 3}))
    doc = {"schema_version": 1, "run_id": "vm/20261127T170000Z", "suite": "quick",
           "context": {"host": "vm", "cpu_model": "AMD EPYC", "num_cpus": 2}, "benchmarks": ents}
    d = tmp_path / "run"
    os.makedirs(d, exist_ok=True)
    (d / "run.json").write_text(json.dumps(doc))
    return load_run(str(d))


def test_pause_figure_uses_percentiles_and_boehm(tmp_path):
    run = make_run(tmp_path)
    name, ents = plots_gc.pause_bench(run)
    assert name == "GCChurn"
    assert {e.impl for e in ents} == {"gort", "go", "boehm"}
    fig = plots_gc.gc_pauses(run, str(tmp_path))
    assert isinstance(fig, F.Figure)
    assert os.path.getsize(tmp_path / fig.file) > 5000


def test_goal_sweep_figure(tmp_path):
    fig = plots_gc.gc_goal_sweep(make_run(tmp_path), str(tmp_path))
    assert isinstance(fig, F.Figure) and fig.key == "gc_goal_sweep"
    assert os.path.getsize(tmp_path / fig.file) > 5000


def test_goal_sweep_skipped_without_data(tmp_path):
    res = plots_gc.gc_goal_sweep(make_run(tmp_path, with_sweep=False), str(tmp_path))
    assert isinstance(res, F.Skipped) and "GCGoalSweep" in res.needs


def test_per_cycle_plots_skip_without_lists(tmp_path):
    run = make_run(tmp_path)
    assert isinstance(plots_gc.gc_heap_goal(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_pause_vs_heap(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_cpu(run, str(tmp_path)), F.Figure)


def verdict(run, n):
    return next(r for r in claims.evaluate(run) if r.number == n)


def test_303_304_from_percentile_metrics(tmp_path):
    run = make_run(tmp_path)
    r = verdict(run, 303)
    assert r.verdict == HOLDS                              # max 300 µs (Go's sweep termination)
    assert "Boehm max stop 31" in r.figures["os"]
    assert "mark termination: p99 80" in r.figures["gort"]
    r = verdict(run, 304)
    assert "2 STW phases timed" in r.figures["gort"]
    run = make_run(tmp_path, mark_term_ns=400e3)           # p99 800 µs, max 1.2 ms
    assert verdict(run, 303).verdict == DIFFERENT
    run = make_run(tmp_path, mark_term_ns=600e3)           # p99 1.2 ms
    assert verdict(run, 303).verdict == NOT
