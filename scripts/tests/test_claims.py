"""The claims table follows the data: each rule's verdict on the fixture, and
the verdict flipping when a figure it reads is changed."""
from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest

import claims
from claims import DIFFERENT, HOLDS, NOT, UNMEASURED
from conftest import PARTIAL, VM2
from runs import load_run

VERDICTS = {HOLDS, DIFFERENT, NOT, UNMEASURED}

EXPECTED_VM2 = {
    301: HOLDS, 302: DIFFERENT, 303: HOLDS, 304: DIFFERENT, 305: HOLDS, 306: HOLDS, 307: HOLDS, 308: HOLDS,
    309: DIFFERENT, 310: HOLDS, 311: DIFFERENT, 312: HOLDS, 313: HOLDS, 314: HOLDS, 315: UNMEASURED,
    316: HOLDS, 317: HOLDS, 318: HOLDS, 319: UNMEASURED, 320: HOLDS,
}


@pytest.fixture
def run(vm2_run):
    return copy.deepcopy(vm2_run)


def verdict(run, n):
    return next(r for r in claims.evaluate(run) if r.number == n)


def set_samples(run, name, impl, value, **params):
    ents = run.select(name, impl, **params)
    assert ents, (name, impl, params)
    for e in ents:
        e.samples = np.full(e.n, float(value))


def set_metric(run, name, impl, key, value, **params):
    ents = run.select(name, impl, **params)
    assert ents, (name, impl, params)
    for e in ents:
        e.metrics[key] = value


def test_every_claim_has_a_rule_reads_and_a_verdict(vm2_run):
    res = claims.evaluate(vm2_run)
    assert [r.number for r in res] == list(range(301, 321))
    for r in res:
        assert r.verdict in VERDICTS
        assert r.reads, r.number
        assert r.summary and "\n" not in r.summary
        assert r.detail, r.number


def test_verdicts_on_the_fixture(vm2_run):
    got = {r.number: r.verdict for r in claims.evaluate(vm2_run)}
    assert got == EXPECTED_VM2


def test_partial_run_is_not_measured():
    res = claims.evaluate(load_run(PARTIAL))
    assert {r.verdict for r in res} == {UNMEASURED}
    r302 = next(r for r in res if r.number == 302)
    assert r302.figures["gort"].startswith("switch ")   # the figure it has is still shown


def test_302_reports_measured_numbers_and_flips(run):
    r = verdict(run, 302)
    assert "ns" in r.figures["gort"] and "same core" in r.figures["os"]
    assert "(claim: ~200 ns vs 1–2 µs)" in r.detail
    set_samples(run, "FutexPingPongSameCore", "os", 100)
    assert verdict(run, 302).verdict == NOT
    set_samples(run, "FutexPingPongSameCore", "os", 1500)
    set_samples(run, "GoschedPingPong", "go", 200)
    assert verdict(run, 302).verdict == HOLDS


def test_303_pause_over_a_millisecond(run):
    e = run.one("GCChurn", "go")
    mk = e.metrics["pause_mark_term_ns"]
    mk[0][0] = 2.0e6                                  # one 2 ms pause: p99 still sub-ms
    assert verdict(run, 303).verdict == DIFFERENT
    e.metrics["pause_mark_term_ns"] = [[v * 20 for v in rep] for rep in mk]
    assert verdict(run, 303).verdict == NOT


def test_304_readmemstats(run):
    set_samples(run, "ReadMemStats", "go", 600)          # only ~2x a metrics read
    assert verdict(run, 304).verdict == NOT
    set_samples(run, "ReadMemStats", "go", 300e3)        # 3% of a CPU at one call per 10 ms
    assert verdict(run, 304).verdict == HOLDS


def test_305_memory_per_goroutine(run):
    set_metric(run, "ParkedGoroutineMemory", "go", "rss_per_g_bytes", [5000] * 5)
    assert verdict(run, 305).verdict == DIFFERENT
    set_metric(run, "ParkedGoroutineMemory", "go", "rss_per_g_bytes", [9000] * 5)
    assert verdict(run, 305).verdict == NOT


def test_301_fanout(run):
    set_samples(run, "FanOut", "go", run.one("FanOut", "go", procs=1).median, procs=2)
    r = verdict(run, 301)
    assert r.verdict == NOT and "gort: holds" in r.detail


def quota_host_cells(run):
    host = [e for e in run.select("QuotaTicker", "go") if e.param("quota") and e.param("procs") == 2
            and e.param("procs_mode") == "set"]
    assert len(host) == 3
    return host


def test_308_quota(run):
    host = quota_host_cells(run)
    for e in host:
        e.metrics["p99_late_ns"] = [1e5] * 5            # GOMAXPROCS=host no worse than quota-sized
    assert verdict(run, 308).verdict == NOT
    best = {0.5: 28e6, 1.0: 0.79e6, 1.5: 0.8e6}
    for e in host:
        e.metrics["p99_late_ns"] = [1.3 * best[e.param("quota")]] * 5   # hurts, but only 1.3x
    r = verdict(run, 308)
    assert r.verdict == DIFFERENT and "1.3×" in r.detail


def test_308_no_oversubscription_penalty(run):
    at2 = run.one("FanOut", "go", procs=2).median
    for p in (4, 8, 16, 32):
        set_samples(run, "FanOut", "go", at2, procs=p)
    r = verdict(run, 308)
    assert r.verdict == DIFFERENT and "costs < 5% here" in r.detail


def test_309_tiers(run):
    run.entries = [e for e in run.entries if not (e.name == "Alloc" and e.impl == "go")]
    assert verdict(run, 309).verdict == HOLDS          # judged on gort's three tiers
    set_samples(run, "AllocRefill", "gort", 1.0)
    assert verdict(run, 309).verdict == NOT


def test_310_flooding(run):
    r = verdict(run, 310)
    assert "std::unordered_map" in r.figures["os"] and "slower under the same keys" in r.detail
    set_samples(run, "MapFlooding", "go", 20000)
    assert verdict(run, 310).verdict == NOT


def test_311_growth_rule(run):
    set_metric(run, "AppendInt64", "go", "reallocs", [42] * 5)
    assert verdict(run, 311).verdict == HOLDS
    set_samples(run, "AppendInt64", "go", 100)
    assert verdict(run, 311).verdict == NOT


def test_311_claimed_rule():
    assert claims.claimed_reallocs(1 << 20) == 42
    assert claims.claimed_reallocs(1024) == 10


def test_312_zeroing_bandwidth(run):
    set_samples(run, "MakeZeroed", "go", (1 << 20) / 2.0, bytes=1 << 20)   # 2 GB/s
    assert verdict(run, 312).verdict == DIFFERENT


def test_313_litmus(run):
    set_metric(run, "MemoryModelLitmus", "gort", "violations", [0, 3, 0, 0, 0])
    assert verdict(run, 313).verdict == NOT


def test_313_without_litmus_is_not_measured(run):
    run.entries = [e for e in run.entries if e.name != "MemoryModelLitmus"]
    r = verdict(run, 313)
    assert r.verdict == UNMEASURED and "TSan" in r.detail


def test_314_and_306_stack_vs_heap(run):
    r306 = verdict(run, 306)
    assert "ValueMalloc" in r306.figures["gort"] and "ValueOnHeapGC" in r306.figures["go"]
    set_samples(run, "ValueOnStack", "go", 10)
    assert verdict(run, 314).verdict == NOT
    assert verdict(run, 306).verdict == NOT


def test_315_conformance_entry(run):
    e = copy.deepcopy(run.one("PlainCall", "go"))
    e.name, e.metrics = "MethodSetCheck", {"failures": [0]}
    run.entries.append(e)
    assert verdict(run, 315).verdict == HOLDS
    e.metrics = {"failures": [2]}
    assert verdict(run, 315).verdict == NOT


def test_316_receivers(run):
    set_samples(run, "PassByValue", "go", 0.7, bytes=4096)
    assert verdict(run, 316).verdict == NOT


def test_317_panic(run):
    set_metric(run, "PanicRecover", "go", "recovered", [0] * 5)
    assert verdict(run, 317).verdict == NOT


def test_318_reflection(run):
    set_samples(run, "ReflectFieldRead", "go", 0.7)
    assert verdict(run, 318).verdict == NOT


def test_320_interface_words(run):
    set_metric(run, "InterfaceCall", "go", "iface_bytes", [16] * 5)
    assert verdict(run, 320).verdict == HOLDS
    set_metric(run, "InterfaceCall", "go", "iface_bytes", [24] * 5)
    assert verdict(run, 320).verdict == NOT


def test_flip_through_the_run_file(tmp_path):
    """Edit run.json itself: the verdict read back from disk flips."""
    d = tmp_path / "run"
    shutil.copytree(VM2, d)
    before = verdict(load_run(str(d)), 302).verdict
    doc = json.loads((d / "run.json").read_text())
    for b in doc["benchmarks"]:
        if b["name"] == "FutexPingPongSameCore":
            b["samples"] = [40.0] * len(b["samples"])
    (d / "run.json").write_text(json.dumps(doc))
    after = verdict(load_run(str(d)), 302).verdict
    assert (before, after) == (DIFFERENT, NOT)


def test_random_subsets_never_crash(vm2_run):
    """Partial and degenerate runs: every rule still answers with a verdict."""
    import random
    rng = random.Random(3)
    for _ in range(40):
        run = copy.deepcopy(vm2_run)
        run.entries = [e for e in run.entries if rng.random() < 0.5]
        for e in run.entries:
            e.samples = e.samples[:1] if rng.random() < 0.5 else e.samples
            if rng.random() < 0.05:
                e.samples = np.zeros(e.n)
            for k in list(e.metrics):
                if rng.random() < 0.1:
                    e.metrics[k] = [None] * 5
        for r in claims.evaluate(run):
            assert r.verdict in VERDICTS
            if r.detail.startswith("could not evaluate"):
                assert "divides by is 0" in r.detail, r.detail


def test_zero_figure_is_not_measured(run):
    set_samples(run, "GoschedPingPong", "go", 0, procs=1)
    set_samples(run, "GoschedPingPong", "gort", 0, procs=1)
    r = verdict(run, 302)
    assert r.verdict == UNMEASURED and "is 0" in r.detail
