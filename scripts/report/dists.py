"""dists.py — latency distributions from benchmark metrics.

A metric that holds a distribution (every timer lateness, every GC pause) is
a list per repetition, or a list of lists (one per repetition). Where a
benchmark only reports percentiles, they are metrics named `p50_ns`,
`p99_ns`, `p999_ns`, `max_ns` (or `p99_late_ns`, `max_late_ns` as QuotaTicker
names them), optionally with a prefix: `mark_term_p99_ns`.
"""
from __future__ import annotations

import re

import numpy as np

from runs import Entry

# pNN_ns, pNN_late_ns (QuotaTicker), STEM_pNN_ns (GC phases).
_PCT = re.compile(r"^(?:(?P<stem>.+)_)?p(?P<d>\d+)(?:_(?P<post>late|lateness))?_ns$")
LATENESS_POSTS = ("", "_late", "_lateness")


def distribution(e: Entry, key: str) -> np.ndarray | None:
    """distribution returns every value of a list metric, all reps together."""
    reps = e.metric_reps(key)
    if not reps:
        return None
    v = np.concatenate(reps)
    return v if v.size else None


def quantile_of(digits: str) -> float:
    if digits == "100":
        return 1.0
    return float("0." + digits)


def percentiles(e: Entry, stem: str = "") -> list[tuple[float, float]]:
    """percentiles returns [(q, value_ns)] from pNN_ns (and max_ns) metrics,
    the median over repetitions of each, sorted by q."""
    out = []
    for k in e.metrics:
        m = _PCT.match(k)
        if not m or (m.group("stem") or "") != stem:
            continue
        v = e.metric_median(k)
        if v is not None:
            out.append((quantile_of(m.group("d")), v))
    for mk in ([f"{stem}_max_ns"] if stem else [f"max{p}_ns" for p in LATENESS_POSTS]):
        v = e.metric_median(mk)
        if v is not None:
            out.append((1.0, v))
            break
    return sorted(out)


def pct(e: Entry, q: str, stem: str = "", dist_key: str | None = None) -> float | None:
    """pct returns one percentile (q like "p99" or "max"): from the metric when
    reported, else computed from the distribution metric."""
    keys = [f"{stem}_{q}_ns"] if stem else [f"{q}{p}_ns" for p in LATENESS_POSTS]
    for key in keys:
        v = e.metric_median(key)
        if v is not None:
            return v
    if dist_key:
        d = distribution(e, dist_key)
        if d is not None:
            if q == "max":
                return float(d.max())
            return float(np.quantile(d, quantile_of(q[1:])))
    return None


def plot_cdf(ax, e: Entry, dist_key: str, label: str, c: str, ls: str = "-", stem: str = "",
             scale: float = 1e-3) -> bool:
    """plot_cdf draws an empirical CDF (or the reported percentiles joined as a
    step line). Returns False when the entry has neither."""
    d = distribution(e, dist_key)
    if d is not None:
        d = np.sort(d) * scale
        y = np.arange(1, d.size + 1) / d.size
        ax.step(d, y, where="post", color=c, ls=ls, label=f"{label} (n={e.n} reps, {d.size} samples)")
        return True
    ps = percentiles(e, stem)
    if ps:
        qs = [q for q, _ in ps]
        vs = [v * scale for _, v in ps]
        ax.plot(vs, qs, color=c, ls=ls, marker="o", ms=3,
                label=f"{label} (n={e.n} reps, percentiles only)")
        return True
    return False
