"""runs.py — load and validate run directories (docs/results-schema.md, schema_version 1).

A run directory holds run.json: a machine `context` and a list of benchmark
entries. This module turns it into `Run` and `Entry` objects the plot modules
query by benchmark name, implementation and parameters.

Malformed input raises `InputError` with one line that names the file and the
problem; report.py turns it into exit status 2. Missing optional parts
(metrics, counters, params, whole subsystems) are not errors: a partial run is
normal while the subsystems are being built, and the plots skip what is absent.

Names: an entry's `name` may carry parameters (`Alloc/size:16`, Go's
`BenchmarkAlloc/size=16-8`). `base_name` strips them; matching is then exact
and case-sensitive. Parameters found in the name are merged under the entry's
own `params` (which win).
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, replace

import numpy as np

SCHEMA_VERSION = 1


class InputError(Exception):
    """Malformed or partial input: one clear line, exit status 2."""


_GO_PROCS_SUFFIX = re.compile(r"-\d+$")
# Google Benchmark's decorations of a name: not parameters.
_DECORATIONS = ("real_time", "process_time", "manual_time", "min_time:", "min_warmup_time:",
                "iterations:", "repeats:")


def split_name(name: str) -> tuple[str, dict]:
    """split_name returns (base name, params parsed from the name)."""
    parts = name.split("/")
    base = parts[0]
    if base.startswith("Benchmark") and len(base) > len("Benchmark"):
        base = base[len("Benchmark"):]
    params: dict = {}
    for i, p in enumerate(parts[1:]):
        if i == len(parts) - 2:
            p = _GO_PROCS_SUFFIX.sub("", p)
        if p.startswith(_DECORATIONS):
            continue
        if ":" in p:
            k, v = p.split(":", 1)
        elif "=" in p:
            k, v = p.split("=", 1)
        else:
            k, v = f"arg{i}", p
        params[k] = _parse_scalar(v)
    if len(parts) == 1:
        base = _GO_PROCS_SUFFIX.sub("", base)
    return base, params


def _parse_scalar(v):
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            pass
        try:
            return float(v)
        except ValueError:
            return v
    return v


def same_value(a, b) -> bool:
    """same_value compares parameter values loosely: 16 == "16" == 16.0."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return math.isclose(float(a), float(b))
    except (TypeError, ValueError):
        return str(a).lower() == str(b).lower()


@dataclass
class Entry:
    """Entry is one benchmark × implementation × parameter set of a run."""
    name: str
    impl: str
    params: dict
    unit: str
    samples: np.ndarray
    subsystem: str | None = None
    claim: int | None = None
    metrics: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    raw_name: str = ""
    series: list = field(default_factory=list)   # per repetition: parse_gc_trace's object or None

    def cycles(self, measured: bool = True) -> list[list[dict]]:
        """cycles returns the GC cycles of each repetition that has a series
        (docs/results-schema.md, "series"): only the measured ones unless
        measured=False. Repetitions without a series are left out."""
        out = []
        for s in self.series:
            if not isinstance(s, dict) or not isinstance(s.get("cycles"), list):
                continue
            out.append([c for c in s["cycles"] if isinstance(c, dict) and (c.get("measured", True) or not measured)])
        return out

    def cycle_values(self, key: str, measured: bool = True) -> np.ndarray | None:
        """cycle_values returns one field of every (measured) cycle of every
        repetition, cycles lacking it left out; None when there is none."""
        v = [float(c[key]) for rep in self.cycles(measured) for c in rep
             if isinstance(c.get(key), (int, float)) and not isinstance(c.get(key), bool)]
        return np.array(v, dtype=float) if v else None

    @property
    def n(self) -> int:
        return int(self.samples.size)

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def lo(self) -> float:
        return float(self.samples.min())

    @property
    def hi(self) -> float:
        return float(self.samples.max())

    def param(self, key, default=None):
        return self.params.get(key, default)

    def metric(self, key) -> np.ndarray | None:
        """metric returns the per-repetition values of a scalar metric, or None."""
        v = self.metrics.get(key)
        if v is None:
            return None
        if isinstance(v, (int, float)):
            return np.array([float(v)])
        flat = _flatten(v)
        return np.array(flat, dtype=float) if flat else None

    def metric_median(self, key) -> float | None:
        v = self.metric(key)
        return None if v is None else float(np.median(v))

    def as_metric(self, key: str, unit: str) -> "Entry | None":
        """as_metric returns a copy whose samples are a metric's per-repetition
        values (e.g. rss_per_g_bytes of a benchmark timed in ns/op), or None."""
        v = self.metric(key)
        if v is None:
            return None
        return replace(self, samples=v, unit=unit)

    def metric_reps(self, key) -> list[np.ndarray] | None:
        """metric_reps returns a list-valued metric per repetition (e.g. every
        GC pause of each repetition), or None."""
        v = self.metrics.get(key)
        if not isinstance(v, list) or not v:
            return None
        if all(isinstance(x, list) for x in v):
            return [np.array(_flatten(x), dtype=float) for x in v]
        return [np.array(_flatten(v), dtype=float)]


def _flatten(v) -> list:
    out = []
    if isinstance(v, list):
        for x in v:
            out.extend(_flatten(x))
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        if math.isfinite(v):
            out.append(float(v))
    return out


@dataclass
class Run:
    """Run is one run directory: its context and its entries."""
    path: str
    run_id: str
    context: dict
    entries: list[Entry]
    suite: str | None = None

    @property
    def host(self) -> str:
        return str(self.context.get("host") or "unknown-host")

    @property
    def cpu_model(self) -> str:
        return str(self.context.get("cpu_model") or "unknown CPU")

    @property
    def num_cpus(self) -> int | None:
        v = self.context.get("num_cpus")
        return int(v) if isinstance(v, (int, float)) else None

    @property
    def machine(self) -> str:
        n = self.num_cpus
        cpus = f", {n} CPUs" if n else ""
        return f"{self.host} ({self.cpu_model}{cpus})"

    @property
    def machine_key(self) -> tuple[str, str]:
        return (self.host, self.cpu_model)

    def select(self, name: str, impl: str | None = None, **params) -> list[Entry]:
        """select returns the entries with this base name (and impl, params)."""
        out = []
        for e in self.entries:
            if e.name != name:
                continue
            if impl is not None and e.impl != impl:
                continue
            if any(not same_value(e.params.get(k), v) for k, v in params.items()):
                continue
            out.append(e)
        return out

    def one(self, name: str, impl: str | None = None, **params) -> Entry | None:
        """one returns the first matching entry, or None."""
        m = self.select(name, impl, **params)
        return m[0] if m else None

    def first_of(self, names, impl=None, **params) -> Entry | None:
        """first_of tries each alias of a benchmark name in turn."""
        for n in ([names] if isinstance(names, str) else names):
            e = self.one(n, impl, **params)
            if e is not None:
                return e
        return None

    def impls(self, name: str) -> list[str]:
        seen = []
        for e in self.entries:
            if e.name == name and e.impl not in seen:
                seen.append(e.impl)
        return seen

    def has(self, name: str) -> bool:
        return any(e.name == name for e in self.entries)

    @property
    def hardware_counters(self) -> bool | None:
        c = self.context.get("counters")
        if isinstance(c, dict) and "hardware" in c:
            return bool(c["hardware"])
        return None

    @property
    def reps(self) -> str:
        ns = sorted({e.n for e in self.entries})
        if not ns:
            return "n=0"
        return f"n={ns[0]}" if len(ns) == 1 else f"n={ns[0]}–{ns[-1]}"


def entry_key(e: Entry) -> tuple:
    """entry_key: what makes two entries the same measurement (benchmark,
    implementation, parameters)."""
    return (e.name, e.impl, tuple(sorted((k, str(v)) for k, v in e.params.items())))


def merge_runs(runs: list[Run]) -> list[Run]:
    """merge_runs pools the runs of each machine (host and CPU model) into one
    Run, in the order given: a suite run in steps (the quick suite, then a
    GOMAXPROCS sweep, then the long GC benchmarks) reported as one. An entry
    measured again by a later run of the same machine (same benchmark,
    implementation and parameters) is left out: the first run given wins.
    The merged run's id joins the ids with '+'; its context is the first's,
    with the ids it pooled under context['merged_runs']."""
    out: dict[tuple, Run] = {}
    for r in runs:
        m = out.get(r.machine_key)
        if m is None:
            ctx = dict(r.context)
            ctx["merged_runs"] = [r.run_id]
            out[r.machine_key] = Run(path=r.path, run_id=r.run_id, context=ctx, entries=list(r.entries), suite=r.suite)
            continue
        seen = {entry_key(e) for e in m.entries}
        m.entries += [e for e in r.entries if entry_key(e) not in seen]
        m.run_id += "+" + r.run_id
        m.context["merged_runs"].append(r.run_id)
        if r.suite and r.suite != m.suite:
            m.suite = f"{m.suite}+{r.suite}" if m.suite else r.suite
    return list(out.values())


def load_run(path: str) -> Run:
    """load_run reads and validates RUN_DIR/run.json (or a run.json path)."""
    if os.path.isdir(path):
        file = os.path.join(path, "run.json")
        rdir = path
    elif os.path.basename(path) == "run.json":
        file = path
        rdir = os.path.dirname(path) or "."
    else:
        raise InputError(f"{path}: not a run directory")
    if not os.path.exists(file):
        raise InputError(f"{file}: missing (not a run directory, or the run did not finish)")
    try:
        with open(file, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"{file}: not valid JSON (line {e.lineno}: {e.msg}); a half-written run?")
    except OSError as e:
        raise InputError(f"{file}: cannot read ({e.strerror})")
    if not isinstance(doc, dict):
        raise InputError(f"{file}: top level is not a JSON object")
    sv = doc.get("schema_version")
    if sv != SCHEMA_VERSION:
        raise InputError(f"{file}: schema_version {sv!r} is not supported (this report reads {SCHEMA_VERSION})")
    ctx = doc.get("context")
    if not isinstance(ctx, dict):
        raise InputError(f"{file}: no 'context' object (machine context is required)")
    benches = doc.get("benchmarks")
    if not isinstance(benches, list):
        raise InputError(f"{file}: no 'benchmarks' list")
    if not benches:
        raise InputError(f"{file}: no benchmarks in this run")
    entries = [_entry(file, i, b) for i, b in enumerate(benches)]
    run_id = str(doc.get("run_id") or os.path.relpath(rdir))
    return Run(path=rdir, run_id=run_id, context=ctx, entries=entries, suite=doc.get("suite"))


def _entry(file: str, i: int, b) -> Entry:
    where = f"{file}: benchmarks[{i}]"
    if not isinstance(b, dict):
        raise InputError(f"{where}: not an object")
    name = b.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: no 'name'")
    where = f"{file}: benchmark {name!r}"
    impl = b.get("impl")
    if not isinstance(impl, str) or not impl:
        raise InputError(f"{where}: no 'impl'")
    samples = b.get("samples")
    if not isinstance(samples, list) or not samples:
        raise InputError(f"{where} ({impl}): no samples")
    try:
        arr = np.array([float(s) for s in samples], dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{where} ({impl}): samples are not numbers")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{where} ({impl}): samples contain NaN or infinity")
    base, pparams = split_name(name)
    params = dict(pparams)
    p = b.get("params")
    if p is not None and not isinstance(p, dict):
        raise InputError(f"{where} ({impl}): 'params' is not an object")
    params.update({k: v for k, v in (p or {}).items()})
    metrics = b.get("metrics") or {}
    counters = b.get("counters") or {}
    if not isinstance(metrics, dict) or not isinstance(counters, dict):
        raise InputError(f"{where} ({impl}): 'metrics'/'counters' must be objects")
    claim = b.get("claim")
    series = b.get("series") or []
    if not isinstance(series, list):
        raise InputError(f"{where} ({impl}): 'series' is not a list (one object or null per repetition)")
    return Entry(name=base, impl=impl, params=params, unit=str(b.get("unit") or "ns/op"),
                 samples=arr, subsystem=b.get("subsystem"),
                 claim=claim if isinstance(claim, int) else None,
                 metrics=metrics, counters=counters, raw_name=name, series=series)
