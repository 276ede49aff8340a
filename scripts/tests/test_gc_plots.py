"""The GC figures and claims 303/304 on entries shaped as the harness writes
them for benches/gc_bench.cc, its Go twin and the Boehm baseline: one number
per metric per repetition (pause percentiles per phase), Boehm's stop pauses
as p50_ns/p99_ns/max_ns; with and without the per-repetition `series` of GC
cycles (gctrace) beside them."""
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


def test_per_cycle_plots_skip_without_series(tmp_path):
    run = make_run(tmp_path)
    assert isinstance(plots_gc.gc_heap_goal(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_pause_vs_heap(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_cpu(run, str(tmp_path)), F.Figure)


def cycle(i, sw, mk, live, measured=True):
    return {"gc": i, "t_s": 0.1 * i, "sweep_term_stw_ms": sw, "mark_ms": 5.0, "mark_term_stw_ms": mk,
            "heap_before_mb": 2 * live - 1, "heap_after_mb": 2 * live + 1, "live_mb": live, "goal_mb": 2 * live,
            "procs": 2, "forced": False, "run": 1, "measured": measured}


def with_series(run_dir, boehm_series=True):
    doc = json.loads((run_dir / "run.json").read_text())
    for e in doc["benchmarks"]:
        if e["name"] != "GCChurn":
            continue
        if e["impl"] in ("gort", "go"):
            f = 1 if e["impl"] == "gort" else 3
            e["series"] = [{"source": "gctrace", "runs": 1, "windowed": True,
                            "cycles": [cycle(0, 9.0, 9.0, 1, measured=False)] +      # set-up: left out
                                      [cycle(i, 0.02 * f * (1 + i % 3), 0.03 * f, 16 + i % 2) for i in range(1, 9)]}
                           for _ in range(3)]
        elif boehm_series:
            e["series"] = [{"source": "boehm", "runs": 1, "windowed": True,
                            "cycles": [{"gc": i, "t_s": 0.2 * i, "stop_ms": 2.0 + 0.1 * i, "heap_before_mb": 40.0,
                                        "heap_after_mb": 20.0, "live_mb": None, "goal_mb": None,
                                        "heap_size_mb": 64.0, "run": 1, "measured": True} for i in range(1, 6)]},
                           None, None]
    (run_dir / "run.json").write_text(json.dumps(doc))
    return load_run(str(run_dir))


def test_series_pauses_and_per_cycle_plots(tmp_path):
    make_run(tmp_path)
    run = with_series(tmp_path / "run")
    gort = run.one("GCChurn", "gort")
    assert len(gort.cycles()) == 3 and all(len(r) == 8 for r in gort.cycles())   # unmeasured cycle left out
    d = plots_gc.series_pauses(gort, "sweep termination")
    assert d.size == 24 and d.max() == 0.06e6
    tot = plots_gc.series_pauses(gort, "stop per cycle")
    assert abs(tot.min() - (0.02 + 0.03) * 1e6) < 1e-6
    boehm = run.one("GCChurn", "boehm")
    assert plots_gc.series_pauses(boehm, "sweep termination") is None
    assert plots_gc.series_pauses(boehm, "stop per cycle").size == 5 and plots_gc.series_reps(boehm) == 1
    for fn in (plots_gc.gc_pauses, plots_gc.gc_pause_vs_heap, plots_gc.gc_heap_goal):
        fig = fn(run, str(tmp_path))
        assert isinstance(fig, F.Figure), fn.__name__
        assert os.path.getsize(tmp_path / fig.file) > 5000
        assert "run: vm/20261127T170000Z" in fig.caption and "repetitions: n=3" in fig.caption


def test_partial_series_does_not_crash(tmp_path):
    # Go and gort with series, Boehm without: Boehm falls back to its percentiles.
    make_run(tmp_path)
    run = with_series(tmp_path / "run", boehm_series=False)
    for fn in (plots_gc.gc_pauses, plots_gc.gc_pause_vs_heap, plots_gc.gc_heap_goal):
        assert isinstance(fn(run, str(tmp_path)), F.Figure), fn.__name__


def test_series_of_nulls_is_not_measured(tmp_path):
    make_run(tmp_path)
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    for e in doc["benchmarks"]:
        e["series"] = [None, None, None]
    (tmp_path / "run" / "run.json").write_text(json.dumps(doc))
    run = load_run(str(tmp_path / "run"))
    assert isinstance(plots_gc.gc_heap_goal(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_pause_vs_heap(run, str(tmp_path)), F.Skipped)
    assert isinstance(plots_gc.gc_pauses(run, str(tmp_path)), F.Figure)   # percentiles


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
