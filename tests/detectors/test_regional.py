"""The regional-excess detector on hand-checked cases: the share test's figures, a region-wide rise
that raises nothing, a local excess that does, and the points it refuses to judge."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveillance.detectors import detect
from surveillance.detectors.result import Status
from surveillance.panel import panel_from_long

DAYS = 40


def _panel(series: dict[str, np.ndarray]):
    dates = pd.date_range("2026-01-01", periods=len(next(iter(series.values()))))
    rows = [(d, name, "fever", "all", v, 10 * v) for name, values in series.items() for d, v in zip(dates, values)]
    long = pd.DataFrame(rows, columns=["date", "region", "syndrome", "age_group", "count", "total"])
    return panel_from_long(long, ["region", "syndrome", "age_group"])


def test_the_figures_are_the_share_tests():
    a = np.full(DAYS, 10.0)
    b = np.full(DAYS, 90.0)
    a[-1] = 20.0
    result = detect("regional_excess", _panel({"A": a, "B": b}), monitor_last=1)
    # A's usual share over the 28 baseline days before the guard: 280 of 2800 cases (+1/2, +1)
    def share(_window):
        own = 10.0 * 28
        return (own + 0.5) / (own + 9 * own + 1.0)
    # the pooled overdispersion is 0 (the counts are exactly at their share but for the last day), so the
    # negative binomial's extra variance is the share's own uncertainty: 1 / (baseline cases + 1/2)
    def negative_binomial_tail(x, mu, baseline_cases):
        size = baseline_cases + 0.5
        return stats.nbinom.sf(x - 1, size, size / (size + mu))

    tails = []
    for w in (1, 3, 7):
        x, rest, s = 20.0 + 10.0 * (w - 1), 90.0 * w, share(w)
        baseline_cases = 10.0 * 28
        tails.append(max(stats.binom.sf(x - 1, x + rest, s), negative_binomial_tail(x, rest * s / (1 - s), baseline_cases)))
    assert result.pvalue[0, -1] == pytest.approx(min(1.0, 3 * min(tails)), rel=1e-9)
    expected = 90.0 * share(1) / (1 - share(1))
    assert result.expected[0, -1] == pytest.approx(expected, rel=1e-12)
    size = 280.5
    assert result.upperbound[0, -1] == stats.nbinom.ppf(0.95, size, size / (size + expected))
    assert result.alarm[0, -1] and not result.alarm[1, -1]
    assert result.pvalue[0, -1] < 0.05 and result.pvalue[1, -1] == 1.0  # B fell below its share: no excess


def test_a_region_wide_rise_is_not_a_local_excess_but_a_local_one_is():
    rng = np.random.default_rng(7)
    wave = 20 * (1 + np.sin(np.arange(70) / 9))  # every county rises and falls together
    series = {f"C{i}": rng.poisson(wave * (1 + i / 10)).astype(float) for i in range(10)}
    quiet = detect("regional_excess", _panel(series), monitor_last=30)
    assert np.nanmin(quiet.pvalue) > 0.001
    series["C3"][-3:] += 25  # three days of 25 more cases in one county
    loud = detect("regional_excess", _panel(series), monitor_last=3)
    assert loud.pvalue[3, -1] < 1e-3 and np.delete(loud.pvalue[:, -1], 3).min() > 0.01


def test_too_few_cases_or_too_short_a_baseline_are_not_judged_unusual():
    a = np.full(DAYS, 0.0)
    b = np.full(DAYS, 50.0)
    a[-1] = 2.0  # from 0 to 2: below min_cases
    result = detect("regional_excess", _panel({"A": a, "B": b}), monitor_last=1)
    assert result.pvalue[0, -1] == 1.0
    short = detect("regional_excess", _panel({"A": a[-20:], "B": b[-20:]}), monitor_last=1)
    assert short.status[0, -1] == Status.INSUFFICIENT_BASELINE and np.isnan(short.pvalue[0, -1])
    gap = a.copy()
    gap[-1] = np.nan
    missing = detect("regional_excess", _panel({"A": gap, "B": b}), monitor_last=1)
    assert missing.status[0, -1] == Status.MISSING


def test_series_are_compared_within_their_syndrome_and_age_group():
    dates = pd.date_range("2026-01-01", periods=DAYS)
    rows = []
    for syndrome, level in (("fever", 100.0), ("ili", 10.0)):
        for region in ("A", "B"):
            for d in dates:
                rows.append((d, region, syndrome, "all", level, 1000.0))
    long = pd.DataFrame(rows, columns=["date", "region", "syndrome", "age_group", "count", "total"])
    panel = panel_from_long(long, ["region", "syndrome", "age_group"])
    result = detect("regional_excess", panel, monitor_last=1)
    # each series has exactly half of its own syndrome's cases: nothing unusual, expected = the other's count
    keys = panel.keys.reset_index(drop=True)
    for i, row in keys.iterrows():
        assert result.expected[i, -1] == pytest.approx(100.0 if row["syndrome"] == "fever" else 10.0, rel=0.01)
    assert (result.pvalue[:, -1] == 1.0).all()


def test_a_silent_neighbour_does_not_make_the_others_look_high():
    a, b, hospital = np.full(DAYS, 10.0), np.full(DAYS, 10.0), np.full(DAYS, 80.0)
    hospital[-3:] = np.nan  # the hospital sends nothing for three days: its cases are missing from the rest
    result = detect("regional_excess", _panel({"A": a, "B": b, "H": hospital}), monitor_last=3)
    # on the silent days A is judged against B alone, whose usual rate is A's: A is expected at B's count
    assert result.expected[0, -1] == pytest.approx(10.0, rel=1e-12)
    assert (result.pvalue[:2, -3:] == 1.0).all()
    assert result.status[2, -1] == Status.MISSING


def _facilities(last_days: dict[str, float]):
    """Two counties X and Y of two facilities each, 10 cases a day; ``last_days``: a facility's count on the
    last three days."""
    dates = pd.date_range("2026-01-01", periods=DAYS)
    rows = []
    for unit in ("X1", "X2", "Y1", "Y2"):
        for k, d in enumerate(dates):
            count = last_days.get(unit, 10.0) if k >= DAYS - 3 else 10.0
            rows.append((d, unit, "fever", "all", count, 100.0))
    long = pd.DataFrame(rows, columns=["date", "region", "syndrome", "age_group", "count", "total"])
    panel = panel_from_long(long, ["region", "syndrome", "age_group"])
    panel.keys["parent"] = panel.keys["region"].str[0]  # the facility's county
    return panel


def test_facilities_are_compared_within_their_county():
    county_wide = detect("regional_excess", _facilities({"X1": 30.0, "X2": 30.0}), monitor_last=1)
    assert (county_wide.pvalue[:, -1] == 1.0).all()  # all of X rose: each keeps its share of X
    without_parent = _facilities({"X1": 30.0, "X2": 30.0})
    del without_parent.keys["parent"]
    assert detect("regional_excess", without_parent, monitor_last=1).pvalue[:2, -1].max() < 1e-3
    one_clinic = detect("regional_excess", _facilities({"X1": 30.0}), monitor_last=1)
    assert one_clinic.pvalue[0, -1] < 1e-3 and one_clinic.pvalue[1:, -1].min() == 1.0


def test_the_upper_quantile_is_scipys_negative_binomial_quantile():
    from scipy import stats

    from surveillance.detectors.regional import _upper_quantile

    rng = np.random.default_rng(7)
    n = 20_000
    typical = (1.0 / (rng.uniform(0, 0.3, n) + 1.0 / (rng.gamma(2, 40, n) + 0.5)), rng.gamma(1, 4, n))
    extreme = (np.exp(rng.uniform(-4, 8, n)), np.exp(rng.uniform(-8, 9, n)))
    for size, mu in (typical, extreme):
        mu = np.where(rng.random(n) < 0.1, 0.0, mu)
        mu[:5] = [np.nan, 0.0, 1e-12, 1e6, 3.0]
        for q in (0.5, 0.95, 0.999):
            want = stats.nbinom.ppf(q, size, size / (size + mu))
            np.testing.assert_array_equal(_upper_quantile(q, size, mu), want)


def _expected_in_window_by_arrays(w, ends, own, known, rate, eligible, groups, n_groups):
    """The expectation within the region written with whole arrays: the reference of the compiled loop."""
    mu, rest, share, days = (np.zeros_like(rate) for _ in range(4))
    for k in range(w):
        d = np.clip(ends - k, 0, None)
        present = known[:, d] & eligible & (ends - k >= 0)[None, :]
        own_day = np.where(present, own[:, d], 0.0)
        rate_day = np.where(present, rate, 0.0)
        r_sum, q_sum = np.zeros((n_groups, len(ends))), np.zeros((n_groups, len(ends)))
        np.add.at(r_sum, groups, own_day)
        np.add.at(q_sum, groups, rate_day)
        r_day, q_day = r_sum[groups] - own_day, q_sum[groups] - rate_day
        counted = present & (q_day > 0)
        mu += np.where(counted, r_day * rate / np.maximum(q_day, 1e-12), 0.0)
        rest += np.where(counted, r_day, 0.0)
        share += np.where(counted, rate / (rate + np.maximum(q_day, 1e-12)), 0.0)
        days += counted
    return mu, rest, np.where(days > 0, share / np.maximum(days, 1.0), 1.0)


def test_the_compiled_expectation_is_the_array_formulas():
    from surveillance.detectors.regional_kernels import expected_in_window

    rng = np.random.default_rng(11)
    n, T = 60, 50
    own = rng.poisson(rng.gamma(1.0, 4.0, (n, 1)), (n, T)).astype(float)
    known = rng.random((n, T)) > 0.15
    own[~known] = 0.0
    groups = rng.integers(0, 7, n)
    ends = np.arange(20, T)
    rate = rng.gamma(1.0, 3.0, (n, len(ends)))
    eligible = rng.random((n, len(ends))) > 0.1
    for w in (1, 3, 7, 25):
        got = expected_in_window(w, ends, own, known, rate, eligible, groups, 7)
        want = _expected_in_window_by_arrays(w, ends, own, known, rate, eligible, groups, 7)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_a_province_judged_alone_is_judged_as_within_the_country():
    """With a ``pool`` key (the detect job's province) the overdispersion is pooled per province, so one
    province's panel (a Dask worker's) gives its series exactly the figures of the country's panel."""
    rng = np.random.default_rng(5)
    dates = pd.date_range("2026-01-01", periods=DAYS)
    rows = []
    for province, spread in (("P1", 0.05), ("P2", 0.6)):  # one province far more overdispersed
        for county in ("C1", "C2"):
            for k in range(4):
                level = rng.gamma(2.0, 5.0)
                counts = rng.poisson(level * rng.gamma(1 / spread, spread, DAYS))
                rows += [(d, f"{province}{county}F{k}", f"{province}{county}", province, "fever", "all", c, 50)
                         for d, c in zip(dates, counts)]
    long = pd.DataFrame(rows, columns=["date", "region", "parent", "pool", "syndrome", "age_group", "count", "total"])
    country = panel_from_long(long, ["region", "parent", "pool", "syndrome", "age_group"])
    together = detect("regional_excess", country, monitor_last=5)
    for province in ("P1", "P2"):
        alone_panel = panel_from_long(long[long["pool"] == province], ["region", "parent", "pool", "syndrome", "age_group"])
        alone = detect("regional_excess", alone_panel, monitor_last=5)
        rows_in = (country.keys["pool"] == province).to_numpy()
        for name in ("pvalue", "expected", "upperbound"):
            np.testing.assert_array_equal(getattr(alone, name), getattr(together, name)[rows_in])
    unpooled = detect("regional_excess", replace(country, keys=country.keys.drop(columns="pool")), monitor_last=5)
    assert not np.array_equal(unpooled.pvalue, together.pvalue, equal_nan=True)  # pooled apart: it matters here


@pytest.mark.parametrize("whole", [True, False])
def test_the_tails_left_out_are_those_that_cannot_change_a_pvalue(monkeypatch, whole):
    """The detector evaluates a window's tails only where they can lower the point's p-value; with the
    full tails at every point (the formulas as documented) every p-value is exactly the same, for whole
    counts and for counts that are not (percentages)."""
    from scipy import special

    from surveillance.detectors import regional

    rng = np.random.default_rng(11)
    dates = pd.date_range("2026-01-01", periods=60)
    rows = []
    for county in ("C1", "C2", "C3"):
        for k in range(6):
            level = rng.gamma(2.0, 4.0)
            counts = rng.poisson(level * rng.gamma(4.0, 0.25, len(dates))).astype(float)
            counts[-rng.integers(1, 8):] += rng.poisson(level, 1)[0] * (k == 0)  # a local rise in some
            counts = counts if whole else counts * rng.uniform(0.9, 1.1, len(dates))
            rows += [(d, f"{county}F{k}", county, "fever", "all", c, 100) for d, c in zip(dates, counts)]
    long = pd.DataFrame(rows, columns=["date", "region", "parent", "syndrome", "age_group", "count", "total"])
    panel = panel_from_long(long, ["region", "parent", "syndrome", "age_group"])
    screened = detect("regional_excess", panel, monitor_last=20)

    def every_tail(x, rest, share, phi, baseline_cases, best):
        binomial = special.betainc(np.maximum(x, 1e-12), rest + 1.0, share)
        mu = rest * share / np.maximum(1.0 - share, 1e-12)
        size = regional._size(phi, baseline_cases)
        return np.maximum(binomial, stats.nbinom.sf(x - 1, size, size / (size + mu)))

    monkeypatch.setattr(regional, "_tail", every_tail)
    full = detect("regional_excess", panel, monitor_last=20)
    assert np.nanmin(full.pvalue) < 0.01 and (full.pvalue[~np.isnan(full.pvalue)] < 1).mean() > 0.1
    np.testing.assert_array_equal(screened.pvalue, full.pvalue)
