"""Quality as percentiles: where a value stands among a corpus's values, and each provider's smoothed mean.

Percentiles rather than raw values, so that the ranker's weights carry over to a site whose
quality scale differs (azure's 0 to about 120, another site's view counts); the corpus
statistics (:mod:`relate.engine.stats`) keep the sorted values they are read against.
"""
from __future__ import annotations

import math

import numpy as np


def percentiles(values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile (0..1) of each finite value among the finite ones; NaN stays NaN.

    Example:
        >>> percentiles(np.array([10.0, 20.0, np.nan, 20.0])).round(3).tolist()
        [0.167, 0.667, nan, 0.667]
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    if ok.sum() == 0:
        return out
    v = values[ok]
    order = np.sort(v)
    lo = np.searchsorted(order, v, side="left")
    hi = np.searchsorted(order, v, side="right")
    out[ok] = (lo + hi) / 2.0 / len(v)
    return out


def provider_means(providers: list[str | None], quality: np.ndarray, strength: float) -> dict[str, float]:
    """Smoothed mean quality per provider: ``(sum + strength * corpus_mean) / (n + strength)``.

    A provider with two articles stays near the corpus mean; one with two hundred is judged
    on its own record. Articles without quality do not count.

    Example:
        >>> q = np.array([100.0, 100.0, 0.0, 0.0, np.nan])
        >>> provider_means(["a", "a", "b", "b", "c"], q, strength=2)
        {'a': 75.0, 'b': 25.0}
    """
    quality = np.asarray(quality, dtype=np.float64)
    ok = np.isfinite(quality)
    if not ok.any():
        return {}
    mean = float(quality[ok].mean())
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for p, q in zip(providers, quality):
        if p and math.isfinite(q):
            sums[p] = sums.get(p, 0.0) + float(q)
            counts[p] = counts.get(p, 0) + 1
    return {p: (sums[p] + strength * mean) / (counts[p] + strength) for p in sums}
