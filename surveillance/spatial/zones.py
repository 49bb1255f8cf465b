"""Circular zones: each region with its nearest neighbours, as bases of scan cylinders.

A zone is a circle around a centre region: the centre and every region whose centroid
lies within some radius of it, nearest first. Distances are great-circle distances
between centroids (``regions.haversine_km``). Regions at exactly the same distance
from the centre enter together, as a circle would take them: a zone never holds one of
two equidistant regions without the other (SaTScan's convention). The centre comes first
even when another region shares its coordinates.

Zones grow until the next circle would break a limit:

* ``max_share``: the zone's share of ``weight`` (cases over the study period for the
  permutation scan, population or expected cases for the Poisson scan), at most
  ``max_share`` of the total;
* ``max_radius_km``: the distance from the centre to its farthest member;
* ``max_regions``: the number of regions (the centre and its k - 1 nearest
  neighbours: R ``scanstatistics``' k-nearest-neighbour zones).

The zones are stored flat (one row per centre and size): ``members[offsets[i]:offsets[i+1]]``
are centre ``i``'s regions nearest first, and the first ``j + 1`` of them form a zone
when ``circle[offsets[i] + j]``. Different centres can give the same set of regions;
``unique`` keeps the first (lowest centre index) so that the Monte Carlo replicates scan
each distinct zone once.
"""

from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np
from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
from numba import njit, prange

from ..regions import EARTH_RADIUS_KM

# Zone identity by two independent 64-bit sums of random keys: equal sets give equal
# hashes; different sets collide with probability ~2**-128 per pair.
_HASH_SEED = 20050201
# Distances closer than this (1 micrometre) are ties: such regions enter a zone together.
TIE_KM = 1e-9


@dataclass(frozen=True)
class Zones:
    offsets: np.ndarray  # int64 [n_centres + 1]
    members: np.ndarray  # int32 [n_rows]: each centre's regions, nearest first
    distance_km: np.ndarray  # float64 [n_rows]: distance of each member from its centre
    circle: np.ndarray  # bool [n_rows]: the members up to this one form a zone
    unique: np.ndarray  # bool [n_rows]: a zone not already formed by an earlier centre

    @property
    def n_centres(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_zones(self) -> int:
        """The number of distinct zones."""
        return int(self.unique.sum())

    def zone(self, centre: int, size: int) -> np.ndarray:
        """The region indices of centre ``centre``'s zone of ``size`` regions, nearest first."""
        start = self.offsets[centre]
        return self.members[start:start + size]

    def radius_km(self, centre: int, size: int) -> float:
        return float(self.distance_km[self.offsets[centre] + size - 1])


def build_zones(
    lat,
    lon,
    weight,
    *,
    max_share: float = 0.5,
    max_radius_km: float | None = None,
    max_regions: int | None = None,
) -> Zones:
    """Every circular zone around every region within the limits (see the module notes).

    ``weight`` is what ``max_share`` is measured in (non-negative, one per region). A centre
    whose own circle already breaks a limit has no zone.
    """
    lat = np.radians(np.asarray(lat, dtype=float))
    lon = np.radians(np.asarray(lon, dtype=float))
    weight = np.asarray(weight, dtype=float)
    n = len(lat)
    if not (len(lon) == n == len(weight)):
        raise ValueError("lat, lon and weight must have one value per region")
    limit = max_share * weight.sum() * (1 + 1e-12)
    radius = np.inf if max_radius_km is None else float(max_radius_km)
    k_max = n if max_regions is None else min(int(max_regions), n)
    length = _lengths(lat, lon, weight, limit, radius, k_max)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(length, out=offsets[1:])
    rng = np.random.default_rng(_HASH_SEED)
    keys = rng.integers(0, 2**63, size=(2, n), dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
    members, distance, circle, h1, h2 = _fill(lat, lon, offsets, keys[0], keys[1])
    unique = circle.copy()
    rows = np.flatnonzero(circle)
    if len(rows):
        size = np.arange(len(members)) - np.repeat(offsets[:-1], length) + 1
        order = rows[np.argsort(h1[rows], kind="stable")]  # equal hashes keep row (= centre) order
        _mark_repeats(order, h1, h2, size, unique)
    return Zones(offsets=offsets, members=members, distance_km=distance, circle=circle, unique=unique)


@njit(cache=True, inline="always")
def _distances(lat, lon, i, out):
    """Great-circle km from region ``i`` to every region (as ``regions.haversine_km``)."""
    for j in range(len(lat)):
        a = math.sin((lat[j] - lat[i]) / 2) ** 2 + math.cos(lat[i]) * math.cos(lat[j]) * math.sin(
            (lon[j] - lon[i]) / 2) ** 2
        out[j] = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
    out[i] = -1.0  # the centre first, even among co-located regions


@njit(cache=True, inline="always")
def _breaks(dist, j):
    """Whether the first ``j + 1`` regions in distance order form a circle."""
    return j + 1 == len(dist) or dist[j + 1] - max(dist[j], 0.0) > TIE_KM


@njit(cache=True, parallel=True)
def _lengths(lat, lon, weight, limit, radius, k_max):
    n = len(lat)
    length = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        d = np.empty(n)
        _distances(lat, lon, i, d)
        order = np.argsort(d, kind="mergesort")  # stable: ties by region index
        dist = d[order]
        cum = 0.0
        for j in range(min(n, k_max)):
            cum += weight[order[j]]
            if cum > limit or dist[j] > radius:
                break
            if _breaks(dist, j):
                length[i] = j + 1
    return length


@njit(cache=True, parallel=True)
def _fill(lat, lon, offsets, key1, key2):
    n = len(lat)
    rows = offsets[n]
    members = np.empty(rows, dtype=np.int32)
    distance = np.empty(rows)
    circle = np.zeros(rows, dtype=np.bool_)
    h1 = np.empty(rows, dtype=np.uint64)
    h2 = np.empty(rows, dtype=np.uint64)
    for i in prange(n):
        size = offsets[i + 1] - offsets[i]
        if size == 0:
            continue
        d = np.empty(n)
        _distances(lat, lon, i, d)
        order = np.argsort(d, kind="mergesort")
        dist = d[order]
        a = np.uint64(0)
        b = np.uint64(0)
        for j in range(size):
            row = offsets[i] + j
            r = order[j]
            members[row] = r
            distance[row] = max(dist[j], 0.0)
            circle[row] = _breaks(dist, j)
            a += key1[r]
            b += key2[r]
            h1[row] = a
            h2[row] = b
    return members, distance, circle, h1, h2


@njit(cache=True)
def _mark_repeats(order, h1, h2, size, unique):
    """Rows sorted by hash, equal hashes in row order: unmark all but the first of each zone."""
    first = order[0]
    for k in range(1, len(order)):
        row = order[k]
        if h1[row] == h1[first] and h2[row] == h2[first] and size[row] == size[first]:
            unique[row] = False
        elif h1[row] != h1[first]:
            first = row
