"""The fast scan against a brute-force one that sums every cylinder from scratch."""

from __future__ import annotations

import numpy as np
import pytest

from surveillance.spatial import build_zones, kernels, scan

from .brute import cylinders
from .conftest import random_regions

scan_impl = __import__("surveillance.spatial.scan", fromlist=["scan"])


def _case(seed, n=14, T=10, mean=3.0):
    lat, lon = random_regions(n, seed)
    counts = np.random.default_rng(seed + 100).poisson(mean, (n, T)).astype(float)
    return counts, lat, lon


def _tied_case():
    """A lattice (equal east-west distances), two co-located regions, and uneven counts."""
    lat = np.array([30.0, 30.0, 30.0, 30.1, 30.1, 30.1, 30.2, 30.2, 30.2, 30.1, 30.05])
    lon = np.array([117.0, 117.1, 117.2, 117.0, 117.1, 117.2, 117.0, 117.1, 117.2, 117.1, 117.15])
    counts = np.random.default_rng(5).poisson(4.0, (len(lat), 8)).astype(float)
    counts[4, -2:] += 9
    return counts, lat, lon


CASES = [_case(1), _case(2, n=9, T=6), _case(3, n=20, T=12, mean=1.5), _tied_case()]
LIMITS = [dict(), dict(max_share=0.3), dict(max_radius_km=40.0), dict(max_regions=4), dict(max_days=3)]


def _params(limits):
    return {"max_days": limits.get("max_days", 7), "max_share": limits.get("max_share", 0.5),
            "max_radius_km": limits.get("max_radius_km"), "max_regions": limits.get("max_regions")}


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("limits", LIMITS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "defaults")
def test_zones_are_the_circles_within_the_limits(case, limits):
    counts, lat, lon = CASES[case]
    p = _params(limits)
    brute = {(i, k) for i, k, *_ in cylinders(counts, lat, lon, **p)}
    zones = build_zones(lat, lon, counts.sum(1), max_share=p["max_share"], max_radius_km=p["max_radius_km"],
                        max_regions=p["max_regions"])
    ours = set()
    for i in range(zones.n_centres):
        for j in range(zones.offsets[i + 1] - zones.offsets[i]):
            if zones.circle[zones.offsets[i] + j]:
                ours.add((i, j + 1))
    assert ours == brute
    # Deduplication keeps exactly one copy of every distinct set of regions.
    distinct = {frozenset(zones.zone(i, k).tolist()) for i, k in ours}
    assert zones.n_zones == len(distinct)


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("method", ["permutation", "poisson"])
@pytest.mark.parametrize("limits", LIMITS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "defaults")
def test_most_likely_cluster_and_every_centre_agree_with_brute_force(case, method, limits):
    counts, lat, lon = CASES[case]
    expected = np.full(counts.shape, counts.mean()) * np.linspace(0.8, 1.2, counts.shape[0])[:, None]
    p = _params(limits)
    cyl = cylinders(counts, lat, lon, method=method, expected=expected, **p)
    result = scan(counts, lat, lon, method=method, expected=expected, params={**p, "n_reps": 0, "max_clusters": 50})
    top = max(c[6] for c in cyl)
    best = [c for c in cyl if c[6] == top][0]  # first: lowest centre, smallest zone, shortest window
    mlc = result.most_likely
    assert mlc.llr == pytest.approx(top, rel=1e-12)
    assert set(map(int, mlc.regions)) == set(best[3])
    assert mlc.n_days == best[2]
    assert mlc.observed == best[4]
    assert mlc.expected == pytest.approx(best[5], rel=1e-12)
    # Every centre's best statistic (the candidates for secondary clusters), values included.
    for cluster in result.clusters:
        centre = int(cluster.centre)
        assert cluster.llr == pytest.approx(max(c[6] for c in cyl if c[0] == centre), rel=1e-12)
        assert cluster.llr == pytest.approx(
            [c for c in cyl if c[0] == centre and set(c[3]) == set(map(int, cluster.regions))
             and c[2] == cluster.n_days][0][6], rel=1e-12)
    # Secondary clusters share no region with a better one.
    seen = set()
    for cluster in result.clusters:
        assert not seen & set(cluster.regions)
        seen |= set(cluster.regions)


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("tree", [False, True], ids=["shuffle", "tree"])
def test_permutation_replicate_maxima_are_the_brute_force_maxima_of_their_tables(case, tree, monkeypatch):
    counts, lat, lon = CASES[case]
    W, reps, seed = 5, 12, 42
    if tree:
        monkeypatch.setattr(scan_impl, "SHUFFLE_MAX_CASES", 0)
    result = scan(counts, lat, lon, params={"max_days": W, "n_reps": reps, "seed": seed})
    region_cases = counts.sum(1).astype(np.int64)
    day_cases = counts.sum(0)[::-1][:W].astype(np.int64)
    tables = kernels.permutation_tables(region_cases, day_cases, seed, np.arange(reps), tree)
    T = counts.shape[1]
    for b in range(reps):
        table = np.zeros_like(counts)
        table[:, T - W:] = tables[b][:, ::-1]
        assert (table.sum(0)[T - W:] == counts.sum(0)[T - W:]).all()  # every day keeps its cases
        assert (table.sum(1) <= counts.sum(1)).all()
        brute = max(c[6] for c in cylinders(counts, lat, lon, max_days=W, window_counts=table))
        assert result.replicate_maxima[b] == pytest.approx(brute, rel=1e-12)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_poisson_replicate_maxima_are_the_brute_force_maxima_of_their_tables(case):
    counts, lat, lon = CASES[case]
    expected = np.full(counts.shape, 3.0)
    W, reps, seed = 4, 10, 9
    result = scan(counts, lat, lon, method="poisson", expected=expected,
                  params={"max_days": W, "n_reps": reps, "seed": seed})
    rate = expected[:, ::-1][:, :W]
    tables = np.random.default_rng(seed).poisson(rate, size=(reps, *rate.shape)).astype(float)
    T = counts.shape[1]
    for b in range(reps):
        table = np.zeros_like(counts)
        table[:, T - W:] = tables[b][:, ::-1]
        brute = max(c[6] for c in cylinders(counts, lat, lon, method="poisson", expected=expected, max_days=W,
                                             window_counts=table))
        assert result.replicate_maxima[b] == pytest.approx(brute, rel=1e-12)


@pytest.mark.parametrize("tree", [False, True], ids=["shuffle", "tree"])
def test_shuffled_case_dates_have_the_permutation_expectation(tree):
    counts, _, _ = _case(7, n=6, T=5, mean=4.0)
    region_cases = counts.sum(1).astype(np.int64)
    day_cases = counts.sum(0)[::-1].astype(np.int64)
    tables = kernels.permutation_tables(region_cases, day_cases, 3, np.arange(4000), tree)
    assert (tables.sum(axis=1) == day_cases).all()
    assert (tables.sum(axis=2) == region_cases).all()  # all days drawn: every region keeps its cases
    expected = np.outer(region_cases, day_cases) / region_cases.sum()
    sd = np.sqrt(expected / 4000)
    assert np.abs(tables.mean(axis=0) - expected).max() < 5 * sd.max()


def test_replicates_do_not_depend_on_how_they_are_split_across_threads():
    counts, lat, lon = _case(11, n=30, T=12)
    result = scan(counts, lat, lon, params={"n_reps": 50, "seed": 4})
    zones = build_zones(lat, lon, counts.sum(1))
    W = 7
    f = np.ones(kernels.padded(W))
    f[:W] = np.cumsum(counts.sum(0)[::-1][:W]) / counts.sum()
    runs = [kernels.permutation_maxima(counts.sum(1).astype(np.int64), counts.sum(0)[::-1][:W].astype(np.int64),
                                       f, zones.offsets, zones.members, zones.unique, counts.sum(), 2.0, 4, 50,
                                       chunks, False) for chunks in (1, 3, 50)]
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    np.testing.assert_allclose(runs[0], result.replicate_maxima, rtol=1e-12)


def test_more_than_eight_windows_use_the_same_statistics():
    counts, lat, lon = _case(12, n=12, T=20)
    cyl = cylinders(counts, lat, lon, max_days=20)
    result = scan(counts, lat, lon, params={"max_days": 20, "n_reps": 0})
    assert result.most_likely.llr == pytest.approx(max(c[6] for c in cyl), rel=1e-12)
