"""stats.py — the statistics the report uses (benchstat's method where it applies).

- `median_ci`: a distribution-free 95% confidence interval of the median from
  order statistics (needs n >= 6, as benchstat).
- `ratio_ci`: the ratio of two medians with a percentile-bootstrap 95% CI
  (fixed seed: reports are reproducible).
- `geomean`.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as sstats

BOOTSTRAP_RESAMPLES = 2000
SEED = 20261127


def median_ci(x, conf: float = 0.95) -> tuple[float, float] | None:
    """median_ci returns (lo, hi) order statistics bracketing the median with
    at least `conf` coverage, or None when n is too small for any interval."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    alpha = (1 - conf) / 2
    best = None
    for j in range(0, n // 2):
        # P(true median < x[j]) = P(Binom(n, 1/2) <= j).
        if sstats.binom.cdf(j, n, 0.5) <= alpha:
            best = j
        else:
            break
    if best is None:
        return None
    return float(x[best]), float(x[n - 1 - best])


def ratio_ci(a, b, conf: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
             seed: int = SEED) -> tuple[float, float, float]:
    """ratio_ci returns (median(a)/median(b), lo, hi): a percentile-bootstrap
    CI of the ratio of medians. With one sample on either side the interval
    collapses to the point."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    point = float(np.median(a) / np.median(b))
    if a.size < 2 or b.size < 2:
        return point, point, point
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, a.size, size=(resamples, a.size))
    ib = rng.integers(0, b.size, size=(resamples, b.size))
    ma = np.median(a[ia], axis=1)
    mb = np.median(b[ib], axis=1)
    r = ma / mb
    lo, hi = np.quantile(r, [(1 - conf) / 2, 1 - (1 - conf) / 2])
    return point, float(lo), float(hi)


def mann_whitney_p(a, b) -> float | None:
    """mann_whitney_p returns the two-sided Mann-Whitney U p-value, or None."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size < 2 or b.size < 2:
        return None
    if np.all(a == a[0]) and np.all(b == b[0]) and a[0] == b[0]:
        return 1.0
    return float(sstats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def geomean(xs) -> float | None:
    xs = [x for x in xs if x is not None and x > 0 and math.isfinite(x)]
    if not xs:
        return None
    return float(math.exp(sum(math.log(x) for x in xs) / len(xs)))


def fmt_ns(ns: float | None) -> str:
    """fmt_ns prints a duration given in nanoseconds with a fitting unit."""
    if ns is None or not math.isfinite(ns):
        return "–"
    a = abs(ns)
    if a >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if a >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if a >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_bytes(b: float | None) -> str:
    if b is None or not math.isfinite(b):
        return "–"
    a = abs(b)
    if a >= 1 << 30:
        return f"{b / (1 << 30):.3g} GiB"
    if a >= 1 << 20:
        return f"{b / (1 << 20):.3g} MiB"
    if a >= 1 << 10:
        return f"{b / (1 << 10):.3g} KiB"
    return f"{b:.4g} B"


def fmt_value(v: float | None, unit: str) -> str:
    """fmt_value prints a value in its entry's unit."""
    if v is None:
        return "–"
    u = unit.lower()
    if u.startswith("ns"):
        return fmt_ns(v)
    if u in ("b", "bytes", "b/op", "bytes/op"):
        return fmt_bytes(v)
    return f"{v:.4g} {unit}"
