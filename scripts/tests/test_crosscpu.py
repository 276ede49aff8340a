"""Cross-CPU comparison: ratios of medians with confidence intervals, the
statistics underneath, and the page in the report."""
from __future__ import annotations

import os
import re

import numpy as np

import crosscpu
import stats
from conftest import BIG16, VM2
from runs import load_run


def test_ratios_vs_baseline():
    base, other = load_run(VM2), load_run(BIG16)
    rs = {r.label: r for r in crosscpu.compare(base, other)}
    # big16's fixture runs at 0.7x the time of vm2's for the same work.
    g = rs["GoschedPingPong [gort] procs=1"]
    assert 0.6 < g.ratio < 0.8 and g.lo <= g.ratio <= g.hi and g.hi < 1
    assert g.significant
    # FanOut at 16 Ps: 16 cores vs 2, far faster.
    f = rs["FanOut [gort] procs=16"]
    assert f.ratio < 0.15
    # Benchmarks only one machine has are not compared.
    assert not any(k.startswith("GCChurn") for k in rs)
    gm = stats.geomean([r.ratio for r in rs.values()])
    assert 0.2 < gm < 0.8


def test_ratio_is_a_time_ratio_for_throughput_units():
    base, other = load_run(VM2), load_run(BIG16)
    e_b = base.one("MapInsertInt64", "gort")
    e_o = other.one("MapInsertInt64", "gort")
    r_time = crosscpu.compare(base, other)
    plain = next(r for r in r_time if r.label.startswith("MapInsertInt64 [gort]")).ratio
    for e in (e_b, e_o):
        e.samples = 1e9 / e.samples
        e.unit = "ops_per_s"
    inv = next(r for r in crosscpu.compare(base, other) if r.label.startswith("MapInsertInt64 [gort]")).ratio
    assert abs(plain - inv) / plain < 0.05


def test_same_run_is_ratio_one_not_significant():
    base, again = load_run(VM2), load_run(VM2)
    base.entries = base.entries[:40]
    rs = crosscpu.compare(base, again)
    assert len(rs) == 40
    assert rs and all(abs(r.ratio - 1) < 1e-12 for r in rs)
    assert not any(r.significant for r in rs)


def test_median_ci_order_statistics():
    assert stats.median_ci([1, 2, 3, 4, 5]) is None            # n=5: no 95% interval
    assert stats.median_ci([1, 2, 3, 4, 5, 6]) == (1, 6)
    lo, hi = stats.median_ci(np.arange(100))
    assert lo < 49.5 < hi and hi - lo < 25


def test_ratio_ci_brackets_truth():
    rng = np.random.default_rng(7)
    a = 200 * (1 + 0.02 * rng.standard_normal(10))
    b = 100 * (1 + 0.02 * rng.standard_normal(10))
    r, lo, hi = stats.ratio_ci(a, b)
    assert lo < 2.0 < hi and lo < r < hi and hi - lo < 0.2
    assert stats.ratio_ci([3.0], [1.0, 1.0]) == (3.0, 3.0, 3.0)


def test_page_in_report(full_report):
    out, _, _ = full_report
    page = open(os.path.join(out, "crosscpu.md")).read()
    assert "Baseline: vm2 (Intel Xeon" in page
    assert "big16 (AMD EPYC 7543P 32-Core, 16 CPUs)" in page
    rows = [l for l in page.splitlines() if l.startswith("| GoschedPingPong [gort]")]
    assert rows and re.search(r"\| 0\.\d+ \| \[0\.\d+, 0\.\d+\] \|", rows[0])
    assert "fewer than 6 samples" in page
    assert "crosscpu.png" in page
    html = open(os.path.join(out, "crosscpu.html")).read()
    assert "data:image/png;base64," in html


def test_baseline_choice_reverses_the_ratio(tmp_path):
    from writers import to_markdown
    runs = [load_run(VM2), load_run(BIG16)]
    page = to_markdown(crosscpu.blocks(runs, runs[1], str(tmp_path)))
    assert "Baseline: big16" in page
    row = next(l for l in page.splitlines() if l.startswith("| GoschedPingPong [gort]"))
    assert float(row.split("|")[3]) > 1.2


def test_baseline_flag(tmp_path, monkeypatch):
    import report
    seen = {}

    def fake_build(runs, base, outdir):
        seen["base"] = base.run_id
        seen["runs"] = [r.run_id for r in runs]
        return [], []
    monkeypatch.setattr(report, "build", fake_build)
    assert report.main([VM2, BIG16, "--baseline", BIG16, "--out", str(tmp_path)]) == 0
    assert seen == {"base": "big16/20261127T130000Z",
                    "runs": ["vm2/20261127T120000Z", "big16/20261127T130000Z"]}


def test_zero_medians_are_left_out():
    base, other = load_run(VM2), load_run(BIG16)
    base.one("GoschedPingPong", "gort").samples = np.zeros(5)
    rs = crosscpu.compare(base, other)
    assert rs and not any(r.label.startswith("GoschedPingPong [gort]") for r in rs)
    assert all(np.isfinite([r.ratio, r.lo, r.hi]).all() for r in rs)


def test_machines_table(tmp_path):
    from writers import Table
    runs = [load_run(VM2), load_run(BIG16)]
    tables = [b for b in crosscpu.blocks(runs, runs[0], str(tmp_path)) if isinstance(b, Table)]
    machines = tables[0]
    assert machines.headers[:4] == ["run", "role", "host", "CPU"]
    assert [r[1] for r in machines.rows] == ["baseline", "compared"]
    assert machines.rows[1][3] == "AMD EPYC 7543P 32-Core" and machines.rows[1][4] == "16"
    assert machines.rows[0][8] == "no" and machines.rows[1][8] == "yes"


def test_same_machine_note(tmp_path):
    from writers import P
    runs = [load_run(VM2), load_run(VM2)]
    runs[1].run_id = "vm2/again"
    runs[0].entries = runs[0].entries[:10]
    texts = [b.text for b in crosscpu.blocks(runs, runs[0], str(tmp_path)) if isinstance(b, P)]
    assert any("ran on the baseline's own machine" in t for t in texts)


def test_gort_vs_go_side_by_side(vm2_run):
    rs = {r.label: r for r in crosscpu.impl_ratios(vm2_run)}
    g = rs["GoschedPingPong procs=1"]
    assert 0.45 < g.ratio < 0.75 and g.hi < 1 and g.significant
    assert "FutexPingPongSameCore" not in rs          # no Go twin
    assert rs["ChanPingPong procs=1"].ratio < 0.5


def test_side_by_side_section_in_report(full_report):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    assert "## gort vs go, side by side" in md
    assert re.search(r"\| GoschedPingPong procs=1 \| 0\.\d+ \| \[0\.\d+, 0\.\d+\] \|", md)
