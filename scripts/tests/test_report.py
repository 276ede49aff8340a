"""report.py end to end on the fixture runs: every plot with data is drawn,
figures state their context, partial runs are reported as such, malformed
input exits 2 with one clear line."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import MALFORMED, PARTIAL, PYTHON, REPORT_PY, VM2

import report  # noqa: E402  (conftest puts scripts/report on sys.path)


def all_plot_keys():
    """The figure key each plot function writes (its PNG is KEY.png)."""
    keys = []
    for mod in report.MODULES:
        for fn in mod.PLOTS:
            keys.append(fn)
    return keys


def test_report_succeeds_and_prints_path(full_report):
    out, rc, stdout = full_report
    assert rc == 0
    assert stdout.strip() == os.path.join(out, "report.html")
    for f in ("report.md", "report.html", "crosscpu.md", "crosscpu.html", "crosscpu.png"):
        assert os.path.getsize(os.path.join(out, f)) > 0, f


def test_every_plot_with_data_is_produced(full_report):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    pngs = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    # One figure per plot function (vm2 has data for all of them) + the cross-CPU plot.
    assert len(pngs) == len(all_plot_keys()) + 1
    for p in pngs:
        assert os.path.getsize(os.path.join(out, p)) > 5000, p
    expected = {"switch_cost", "spawn_skynet_memory", "gomaxprocs_scaling", "timer_lateness", "chan_handoff",
                "select", "sync", "threadring_skynet", "alloc_tiers", "alloc_scaling_frag", "gc_pauses",
                "gc_pause_vs_heap", "gc_heap_goal", "gc_cpu", "gc_goal_sweep", "gc_costs", "quota_grid", "counters", "maps",
                "map_growth", "slices", "interfaces", "receivers", "defer_panic", "crosscpu"}
    assert {os.path.splitext(p)[0] for p in pngs} == expected
    assert "Every plot had data." in md
    assert "could not be drawn" not in md


def test_figures_state_machine_run_reps_and_spread(full_report):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    captions = re.findall(r"!\[[^\]]*\]\([^)]+\)\n\n\*([^\n]+)\*", md)
    assert captions
    for c in captions:
        assert "machine: vm2 (Intel Xeon" in c, c
        assert "run: vm2/20261127T120000Z" in c, c
        assert re.search(r"repetitions: n=\d", c), c
        assert any(w in c for w in ("min–max", "CI", "every pause", "CDF", "percentile", "spread")), c


def test_no_counters_note(full_report):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    assert "This machine had no hardware counters (PMU not virtualized" in md


def test_html_is_self_contained(full_report):
    out, _, _ = full_report
    html = open(os.path.join(out, "report.html")).read()
    srcs = re.findall(r'src="([^"]*)"', html)
    md = open(os.path.join(out, "report.md")).read()
    assert len(srcs) == len(re.findall(r"!\[", md))
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "href=" not in html  # no external resources at all
    # The claims table is there, with one row per claim.
    for n in range(301, 321):
        assert f"<td>{n}</td>" in html


def test_claims_table_in_markdown(full_report):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    rows = [line for line in md.splitlines() if re.match(r"^\| 3[012]\d \|", line)]
    assert len(rows) == 20
    verdicts = ("| holds |", "| holds with a different number |", "| does not hold |", "| not measured |")
    for r in rows:
        assert any(v in r for v in verdicts), r


def test_partial_run_lists_what_is_not_measured(tmp_path):
    out = str(tmp_path / "out")
    rc = report.main([PARTIAL, "--out", out])
    assert rc == 0
    md = open(os.path.join(out, "report.md")).read()
    assert "switch_cost.png" in md            # GoschedPingPong is there
    assert "alloc_tiers.png" not in md        # the allocator is not
    section = md.split("## Not measured in this run")[1]
    for title in ("Allocator tiers by size class", "GC pause histograms", "Quota tail-latency grid",
                  "Counters per operation", "Timer lateness CDF"):
        assert title in section, title
    assert "| 309 |" in md and re.search(r"\| 309 \|.*\| not measured \|", md)
    assert "does not say whether hardware counters were available" in md


def test_default_out_dir_is_under_first_run(tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(PARTIAL, run)
    assert report.main([str(run)]) == 0
    assert capsys.readouterr().out.strip() == str(run / "report" / "report.html")
    assert (run / "report" / "report.md").exists()


def write_run(dirpath, doc=None, text=None):
    os.makedirs(dirpath, exist_ok=True)
    with open(os.path.join(dirpath, "run.json"), "w") as f:
        f.write(text if text is not None else json.dumps(doc))
    return str(dirpath)


def vm2_doc():
    with open(os.path.join(VM2, "run.json")) as f:
        return json.load(f)


def bad_inputs(tmp_path):
    doc = vm2_doc()
    cases = {}
    cases["cut off mid-write"] = (MALFORMED, "not valid JSON")
    cases["no run.json"] = (str(tmp_path / "empty"), "run.json: missing")
    os.makedirs(tmp_path / "empty")
    cases["no such dir"] = (str(tmp_path / "nope"), "not a run directory")
    d = dict(doc, schema_version=2)
    cases["schema 2"] = (write_run(tmp_path / "s2", d), "schema_version 2 is not supported")
    d = dict(doc, benchmarks=[])
    cases["no benchmarks"] = (write_run(tmp_path / "nb", d), "no benchmarks in this run")
    d = {k: v for k, v in doc.items() if k != "context"}
    cases["no context"] = (write_run(tmp_path / "nc", d), "no 'context' object")
    d = json.loads(json.dumps(doc))
    d["benchmarks"][3]["samples"] = []
    cases["empty samples"] = (write_run(tmp_path / "es", d), "no samples")
    d = json.loads(json.dumps(doc))
    d["benchmarks"][0]["samples"] = ["fast"]
    cases["text samples"] = (write_run(tmp_path / "ts", d), "samples are not numbers")
    d = json.loads(json.dumps(doc))
    del d["benchmarks"][1]["impl"]
    cases["no impl"] = (write_run(tmp_path / "ni", d), "no 'impl'")
    cases["array"] = (write_run(tmp_path / "arr", text="[1, 2]"), "top level is not a JSON object")
    return cases


def test_malformed_inputs_exit_2_with_one_line(tmp_path, capsys):
    for what, (path, msg) in bad_inputs(tmp_path).items():
        rc = report.main([path, "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert rc == 2, what
        lines = err.strip().splitlines()
        assert len(lines) == 1, (what, err)
        assert lines[0].startswith("report: ") and msg in lines[0], (what, err)
    assert not os.path.exists(tmp_path / "o" / "report.html")


def test_malformed_second_run_also_refused(tmp_path, capsys):
    assert report.main([VM2, MALFORMED, "--out", str(tmp_path / "o")]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_bad_usage_exit_2(capsys):
    assert report.main(["--frobnicate", VM2]) == 2
    assert report.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("report: ") for e in err)


def test_exit_status_from_the_command_line(tmp_path):
    r = subprocess.run([PYTHON, REPORT_PY, MALFORMED], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not valid JSON" in r.stderr
    assert "Traceback" not in r.stderr


def test_broken_plot_does_not_take_the_report_down(tmp_path, monkeypatch, capsys):
    import plots_chan

    def boom(run, outdir):
        raise RuntimeError("synthetic failure")
    monkeypatch.setattr(plots_chan, "PLOTS", [boom])
    assert report.main([PARTIAL, "--out", str(tmp_path)]) == 0
    md = open(tmp_path / "report.md").read()
    assert "could not be drawn (RuntimeError: synthetic failure)" in md
    capsys.readouterr()


@pytest.mark.parametrize("name,base,params", [
    ("GoschedPingPong/procs:1/real_time", "GoschedPingPong", {"procs": 1}),
    ("BenchmarkAlloc/size=16/kind=scan-8", "Alloc", {"size": 16, "kind": "scan"}),
    ("BenchmarkSkynet-2", "Skynet", {}),
    ("TimerSaturated/n:2/procs:0/manual_time", "TimerSaturated", {"n": 2, "procs": 0}),
    ("MapInsert", "MapInsert", {}),
    ("mapinsert", "mapinsert", {}),
])
def test_split_name(name, base, params):
    from runs import split_name
    assert split_name(name) == (base, params)


def test_names_match_case_sensitively(vm2_run):
    assert vm2_run.one("GoschedPingPong", "gort") is not None
    assert vm2_run.one("goschedpingpong", "gort") is None


def test_all_entries_table(full_report, vm2_run):
    out, _, _ = full_report
    md = open(os.path.join(out, "report.md")).read()
    table = md.split("## All benchmark entries")[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| benchmark")]
    assert len(rows) == len(vm2_run.entries)
    futex = next(r for r in rows if r.startswith("| FutexPingPongSameCore | os |"))
    assert "| 8 |" in futex and futex.count("ns –") == 2      # n=8: min–max and a 95% CI of the median
    gosched = next(r for r in rows if r.startswith("| GoschedPingPong | gort |"))
    assert gosched.split("|")[7].strip() == "–"               # n=5: no interval


def test_null_metric_values_are_skipped(tmp_path):
    """The harness pads a metric missing from a repetition with null."""
    doc = vm2_doc()
    for b in doc["benchmarks"]:
        if b["name"] == "ParkedGoroutineMemory" and b["impl"] == "go":
            b["metrics"]["rss_per_g_bytes"][1] = None
    from runs import load_run
    run = load_run(write_run(tmp_path / "r", doc))
    v = run.one("ParkedGoroutineMemory", "go").metric("rss_per_g_bytes")
    assert v.size == 4 and np_all_finite(v)


def np_all_finite(v):
    import numpy as np
    return bool(np.all(np.isfinite(v)))


def test_debug_build_is_labelled(tmp_path):
    doc = vm2_doc()
    doc["context"]["build_type"] = "Debug"
    doc["benchmarks"] = doc["benchmarks"][:3]
    out = tmp_path / "o"
    assert report.main([write_run(tmp_path / "r", doc), "--out", str(out)]) == 0
    assert "WARNING: this run used a Debug build" in (out / "report.md").read_text()


def test_unwritable_out_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert report.main([PARTIAL, "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the report" in err[0]


def _copy_run(src, dst, edit):
    """_copy_run writes a copy of the run at src into dst after edit(doc)."""
    os.makedirs(dst)
    doc = json.load(open(os.path.join(src, "run.json")))
    edit(doc)
    with open(os.path.join(dst, "run.json"), "w") as f:
        json.dump(doc, f)
    return str(dst)


def test_merge_pools_one_machines_runs_first_wins(tmp_path):
    from runs import load_run, merge_runs

    def step_b(doc):  # a second step on the same machine: one new benchmark, one re-measured
        doc["run_id"] = "vm2/B"
        first = dict(doc["benchmarks"][0])
        doc["benchmarks"] = [dict(first, samples=[99.0] * 5, median=99.0),
                             dict(first, name="ExtraOnlyInB", samples=[1.0] * 5, median=1.0)]

    def other_machine(doc):
        doc["run_id"] = "big/C"
        doc["context"]["host"] = "other"

    a = load_run(VM2)
    b = load_run(_copy_run(VM2, tmp_path / "b", step_b))
    c = load_run(_copy_run(VM2, tmp_path / "c", other_machine))
    merged = merge_runs([a, b, c])
    assert [m.run_id for m in merged] == [a.run_id + "+vm2/B", "big/C"]
    m = merged[0]
    assert len(m.entries) == len(a.entries) + 1
    assert m.context["merged_runs"] == [a.run_id, "vm2/B"]
    first = [e for e in m.entries if e.name == a.entries[0].name and e.impl == a.entries[0].impl
             and e.params == a.entries[0].params]
    assert len(first) == 1 and float(first[0].median) != 99.0   # the first run given wins
    assert any(e.name == "ExtraOnlyInB" for e in m.entries)
    assert len(merged[1].entries) == len(c.entries)             # another machine stays apart


def test_report_merge_reports_steps_as_one_run(tmp_path):
    def step_b(doc):
        doc["run_id"] = "vm2/B"
        doc["benchmarks"] = [dict(doc["benchmarks"][0], name="ExtraOnlyInB")]
    b = _copy_run(VM2, tmp_path / "b", step_b)
    out = str(tmp_path / "out")
    assert report.main([VM2, b, "--merge", "--out", out]) == 0
    md = open(os.path.join(out, "report.md")).read()
    assert "ExtraOnlyInB" in md
    assert not os.path.exists(os.path.join(out, "crosscpu.md"))  # one machine: nothing to compare


def test_cross_cpu_with_a_run_sharing_nothing(tmp_path):
    def disjoint(doc):  # another machine that measured none of the baseline's benchmarks
        doc["run_id"] = "other/D"
        doc["context"]["host"] = "other"
        for b in doc["benchmarks"]:
            b["name"] = "Only" + b["name"]
    d = _copy_run(VM2, tmp_path / "d", disjoint)
    out = str(tmp_path / "out")
    assert report.main([VM2, d, "--out", out]) == 0
    assert os.path.exists(os.path.join(out, "crosscpu.md"))
