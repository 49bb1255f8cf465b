"""Power, calibration and reproducibility of the two scans."""

from __future__ import annotations

import numpy as np
import pytest

from surveillance.errors import SurveillanceError, UnknownName
from surveillance.spatial import kernels, scan
from surveillance.spatial.params import SCHEMAS

from .conftest import dates, random_regions, with_cluster


@pytest.mark.parametrize("rr", [2.0, 3.0, 4.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injected_cluster_is_found_with_its_regions_and_days(rr, seed):
    counts, lat, lon, cluster = with_cluster(rr=rr, seed=seed, centre=seed * 7, days=3, size=4)
    result = scan(counts, lat, lon, dates=dates(30), params={"n_reps": 99, "seed": seed})
    mlc = result.most_likely
    assert set(map(int, mlc.regions)) == cluster
    assert mlc.n_days == 3
    assert (mlc.start_date, mlc.end_date) == (dates(30)[-3], dates(30)[-1])
    assert mlc.p_value == pytest.approx(0.01)
    assert mlc.observed > mlc.expected
    assert mlc.relative_risk > 1.3


def test_a_stronger_cluster_gets_a_larger_statistic_and_a_smaller_p_value():
    weak_counts, lat, lon, cluster = with_cluster(rr=1.6, seed=3)
    strong_counts, *_ = with_cluster(rr=3.0, seed=3)
    weak = scan(weak_counts, lat, lon, params={"n_reps": 999}).most_likely
    strong = scan(strong_counts, lat, lon, params={"n_reps": 999}).most_likely
    assert set(map(int, weak.regions)) == set(map(int, strong.regions)) == cluster
    assert strong.llr > weak.llr
    assert strong.p_value < weak.p_value
    assert strong.p_value == pytest.approx(0.001)
    assert strong.recurrence_interval_days == pytest.approx(1000)


def test_poisson_scan_finds_an_injected_cluster_against_its_baseline():
    n, T = 60, 28
    lat, lon = random_regions(n, 4)
    population = np.random.default_rng(5).uniform(2e4, 2e5, n)
    season = 1 + 0.3 * np.sin(np.arange(T) / 5)
    expected = population[:, None] * 5e-5 * season[None, :]  # differs by region and by day
    rate = expected.copy()
    _, _, _, cluster = with_cluster(n=n, T=T, seed=4)
    cluster = sorted(cluster)
    rate[np.ix_(cluster, np.arange(T - 2, T))] *= 3.0
    counts = np.random.default_rng(6).poisson(rate).astype(float)
    result = scan(counts, lat, lon, method="poisson", expected=expected, population=population,
                  params={"n_reps": 199})
    mlc = result.most_likely
    assert set(map(int, mlc.regions)) == set(cluster)
    assert mlc.n_days == 2
    assert mlc.p_value == pytest.approx(1 / 200)
    assert mlc.relative_risk == pytest.approx(mlc.observed / mlc.expected)


def _null_p_values(method: str, runs: int, reps: int) -> np.ndarray:
    n, T = 16, 10
    lat, lon = random_regions(n, 21)
    base = np.random.default_rng(22).poisson(3.0, (n, T))
    expected = np.full((n, T), 3.0)
    out = []
    for run in range(runs):
        if method == "permutation":
            # Counts permuted: the case dates of a fixed table shuffled among its cases.
            table = kernels.permutation_tables(base.sum(1).astype(np.int64), base.sum(0)[::-1].astype(np.int64),
                                               10_000 + run, np.arange(1), True)[0]
            counts = table[:, ::-1]
        else:
            counts = np.random.default_rng(10_000 + run).poisson(expected).astype(float)
        result = scan(counts, lat, lon, method=method, expected=expected,
                      params={"n_reps": reps, "seed": run, "max_days": 5})
        out.append(result.most_likely.p_value if result.most_likely else 1.0)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["permutation", "poisson"])
def test_without_a_cluster_five_percent_of_runs_have_p_at_most_five_percent(method):
    p = _null_p_values(method, runs=400, reps=99)
    share = np.mean(p <= 0.05)
    # 400 runs: standard error 0.011; the band is about 2.5 of them either side.
    assert 0.025 <= share <= 0.08, share
    assert 0.4 <= np.mean(p) <= 0.6  # roughly uniform, not only in the tail


def test_the_same_seed_gives_the_same_answer_and_another_seed_another():
    counts, lat, lon, _ = with_cluster(rr=1.5, seed=8)
    first = scan(counts, lat, lon, params={"n_reps": 199, "seed": 17})
    again = scan(counts, lat, lon, params={"n_reps": 199, "seed": 17})
    other = scan(counts, lat, lon, params={"n_reps": 199, "seed": 18})
    assert np.array_equal(first.replicate_maxima, again.replicate_maxima)
    assert first.to_dict() == again.to_dict()
    assert not np.array_equal(first.replicate_maxima, other.replicate_maxima)
    expected = np.full(counts.shape, counts.mean())
    a = scan(counts, lat, lon, method="poisson", expected=expected, params={"n_reps": 99, "seed": 3})
    b = scan(counts, lat, lon, method="poisson", expected=expected, params={"n_reps": 99, "seed": 3})
    assert np.array_equal(a.replicate_maxima, b.replicate_maxima)


def test_secondary_clusters_do_not_overlap_and_carry_their_own_p_values():
    counts, lat, lon, cluster = with_cluster(rr=3.0, seed=0)
    result = scan(counts, lat, lon, params={"n_reps": 99, "max_clusters": 5, "report_p": 1.0})
    assert 1 < len(result.clusters) <= 5
    seen: set = set()
    for rank, cluster in enumerate(result.clusters, start=1):
        assert cluster.rank == rank
        assert not seen & set(cluster.regions)
        seen |= set(cluster.regions)
        assert cluster.p_value == result.p_value(cluster.llr)
    llrs = [c.llr for c in result.clusters]
    assert llrs == sorted(llrs, reverse=True)
    only_significant = scan(counts, lat, lon, params={"n_reps": 99, "report_p": 0.05})
    assert len(only_significant.clusters) == 1


def test_no_replicates_no_p_values_and_limits_respected():
    counts, lat, lon, _ = with_cluster(rr=3.0, seed=1)
    result = scan(counts, lat, lon, params={"n_reps": 0, "max_regions": 3, "max_radius_km": 30.0, "max_days": 2})
    assert result.most_likely.p_value is None and result.most_likely.recurrence_interval_days is None
    for cluster in result.clusters:
        assert len(cluster.regions) <= 3 and cluster.radius_km <= 30.0 and cluster.n_days <= 2
    share = scan(counts, lat, lon, params={"n_reps": 0, "max_share": 0.05, "max_clusters": 100})
    index = {str(i): i for i in range(len(lat))}
    for cluster in share.clusters:
        assert counts[[index[r] for r in cluster.regions]].sum() <= 0.05 * counts.sum()


def test_study_period_is_the_last_study_days():
    counts, lat, lon, _ = with_cluster(rr=3.0, seed=2, T=30)
    short = scan(counts, lat, lon, dates=dates(30), params={"n_reps": 0, "study_days": 10})
    assert short.n_days == 10 and short.study_start == dates(30)[20]
    assert short.total_cases == counts[:, 20:].sum()


def test_bad_input_and_parameters_are_clear_errors():
    counts, lat, lon, _ = with_cluster(seed=0)
    with pytest.raises(UnknownName, match="unknown scan method 'kulldorff'"):
        scan(counts, lat, lon, method="kulldorff")
    with pytest.raises(SurveillanceError, match="permutation scan: parameter 'max_share' must be"):
        scan(counts, lat, lon, params={"max_share": "2"})
    with pytest.raises(UnknownName, match="unknown parameter 'reps'"):
        scan(counts, lat, lon, params={"reps": 9})
    with pytest.raises(SurveillanceError, match="needs expected counts"):
        scan(counts, lat, lon, method="poisson")
    with pytest.raises(SurveillanceError, match="whole-number counts"):
        scan(counts + 0.5, lat, lon)
    with pytest.raises(SurveillanceError, match="non-negative"):
        scan(-counts, lat, lon)
    assert SCHEMAS["permutation"].validate({"n_reps": "99", "max_radius_km": "none"})["max_radius_km"] is None


def test_nothing_to_find():
    lat, lon = random_regions(5, 0)
    result = scan(np.zeros((5, 7)), lat, lon, params={"n_reps": 9})
    assert result.clusters == () and result.most_likely is None
    assert result.to_dict()["clusters"] == []
