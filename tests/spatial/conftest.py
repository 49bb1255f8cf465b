"""Small synthetic inputs for the scan tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_regions(n: int, seed: int, *, box=(30.0, 31.0, 117.0, 118.5)):
    rng = np.random.default_rng(seed)
    lat = rng.uniform(box[0], box[1], n)
    lon = rng.uniform(box[2], box[3], n)
    return lat, lon


def with_cluster(n=80, T=30, *, rr=3.0, days=3, size=4, mean=5.0, seed=0, centre=0):
    """Poisson(mean) counts with rate x ``rr`` in ``centre`` and its ``size - 1`` nearest
    neighbours over the last ``days`` days. Returns (counts, lat, lon, cluster regions)."""
    lat, lon = random_regions(n, seed)
    from surveillance.regions import haversine_km
    d = haversine_km(lat[centre], lon[centre], lat, lon)
    d[centre] = -1
    cluster = np.argsort(d, kind="stable")[:size]
    rate = np.full((n, T), mean)
    rate[np.ix_(cluster, np.arange(T - days, T))] *= rr
    counts = np.random.default_rng(seed + 1).poisson(rate).astype(float)
    return counts, lat, lon, set(cluster.tolist())


def dates(T: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-03-01", periods=T, freq="D")
