"""A brute-force space-time scan: every cylinder summed from scratch, for checking the fast one."""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0088
TIE_KM = 1e-9


def great_circle_km(lat, lon) -> np.ndarray:
    lat, lon = np.radians(lat), np.radians(lon)
    n = len(lat)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a = (math.sin((lat[j] - lat[i]) / 2) ** 2
                 + math.cos(lat[i]) * math.cos(lat[j]) * math.sin((lon[j] - lon[i]) / 2) ** 2)
            d[i, j] = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
    return d


def statistic(c: float, m: float, total: float, method: str) -> float:
    if method == "permutation":
        value = c * math.log(c / m)
        if total - c > 0:
            value += (total - c) * math.log((total - c) / (total - m))
        return value
    return c * math.log(c / m) + m - c


def cylinders(counts, lat, lon, *, method="permutation", expected=None, weight=None, max_share=0.5, max_days=7,
              max_radius_km=None, max_regions=None, min_cases=2, window_counts=None):
    """Every cylinder as ``(centre, size, days, regions, observed, expected, llr)``; llr 0 when
    the cylinder has no excess (or fewer than ``min_cases``). ``window_counts`` replaces the
    counts summed in the cylinders (a replicate), keeping the expected ones of ``counts``."""
    counts = np.asarray(counts, dtype=float)
    n, T = counts.shape
    if method == "permutation":
        N, Cd, C = counts.sum(1), counts.sum(0), counts.sum()
        E = np.outer(N, Cd) / C
        weight = N if weight is None else weight
    else:
        E = np.asarray(expected, dtype=float)
        C = counts.sum()
        weight = E.sum(1) if weight is None else weight
    X = counts if window_counts is None else np.asarray(window_counts, dtype=float)
    D = great_circle_km(lat, lon)
    limit = max_share * np.sum(weight) * (1 + 1e-12)
    out = []
    for i in range(n):
        others = sorted((j for j in range(n) if j != i), key=lambda j: (D[i, j], j))
        order = [i] + others
        dist = [0.0] + [D[i, j] for j in others]
        for k in range(1, n + 1):
            zone = order[:k]
            if sum(weight[j] for j in zone) > limit:
                break
            if max_radius_km is not None and dist[k - 1] > max_radius_km:
                break
            if max_regions is not None and k > max_regions:
                break
            if k < n and dist[k] - dist[k - 1] <= TIE_KM:
                continue  # not a circle: the next region is as far as the last
            for w in range(1, min(max_days, T) + 1):
                c = float(X[zone, T - w:].sum())
                m = float(E[zone, T - w:].sum())
                value = statistic(c, m, C, method) if (c > m and m > 0 and c >= min_cases) else 0.0
                out.append((i, k, w, tuple(zone), c, m, value))
    return out
