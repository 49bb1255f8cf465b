"""The alarm budget: Benjamini-Hochberg q-values per family and day, hand-checked, and the severities
they allow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from surveillance.alerts.budget import DAYS_PER_QUARTER, bh_qvalues, keep_budget


def test_bh_qvalues_by_hand_and_as_statsmodels():
    p = pd.Series([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*p/rank = 0.02, 0.02, 0.04, 0.04; running minimum from the top
    q = bh_qvalues(p, pd.Series(["a"] * 4))
    assert q.round(10).tolist() == [0.02, 0.04, 0.04, 0.02]
    rng = np.random.default_rng(3)
    many = pd.Series(rng.uniform(size=200) ** 3)
    families = pd.Series(rng.integers(0, 5, size=200))
    got = bh_qvalues(many, families)
    for family in range(5):
        members = families == family
        expected = multipletests(many[members], method="fdr_bh")[1]
        np.testing.assert_allclose(got[members].to_numpy(), expected, rtol=1e-12)


def test_missing_pvalues_are_not_tests():
    q = bh_qvalues(pd.Series([0.01, np.nan, 0.02]), pd.Series(["a", "a", "a"]))
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.02)


def _signal(region, level, p, severity, date="2026-11-20", detector="switch"):
    return {"detector": detector, "region": region, "level": level, "date": pd.Timestamp(date), "pvalue": p,
            "severity": severity, "regions": None}


def test_one_family_per_county_and_day_and_colours_capped_by_the_budget():
    budget = 1.0  # one noise alert per county per quarter: q <= 1/91.3 yellow, q <= 0.2/91.3 red
    q_yellow = budget / DAYS_PER_QUARTER
    signals = pd.DataFrame([
        _signal("320102", "county", 0.0001, "red"),      # family 320102 with its facility below
        _signal("F320102001", "facility", 0.004, "red"),  # 2 tests: q = 2 * 0.004 / 2 = 0.004: yellow at most
        _signal("320103", "county", 0.004, "red"),       # alone in its family: q = 0.004 -> yellow (red needs 0.0022)
        _signal("320103", "county", 0.004, "yellow", date="2026-11-21"),  # another day, another family
        _signal("320104", "county", 0.03, "yellow"),     # over the budget: none
        _signal("320104", "county", 0.0001, "none"),     # quiet by its own detector stays quiet
        _signal("quality:feed", "county", np.nan, "red", detector="quality"),  # data quality: untouched
    ])
    county = {"F320102001": "320102"}
    out = keep_budget(signals, noise_per_quarter=budget, red_share=0.2, county_of=lambda u: county.get(u, u))
    assert out["severity"].tolist() == ["red", "yellow", "yellow", "yellow", "none", "none", "red"]
    assert out.loc[1, "qvalue"] == pytest.approx(0.004) and out.loc[0, "qvalue"] == pytest.approx(0.0002)
    assert out.loc[2, "qvalue"] == pytest.approx(0.004) and out.loc[2, "qvalue"] > q_yellow * 0.2
    off = keep_budget(signals, noise_per_quarter=0, red_share=0.2, county_of=lambda u: u)
    assert off["severity"].tolist() == signals["severity"].tolist()


def test_noise_alone_stays_within_the_budget():
    """Under the complete null, at most about `budget` noisy days per family per quarter are coloured."""
    rng = np.random.default_rng(11)
    days, counties, series = 91 * 4, 10, 60
    rows = pd.DataFrame({
        "detector": "switch", "level": "county", "regions": None, "severity": "yellow",
        "region": np.repeat([f"C{c}" for c in range(counties)], days * series),
        "date": np.tile(np.repeat(pd.date_range("2026-01-01", periods=days), series), counties),
        "pvalue": rng.uniform(size=days * series * counties),
    })
    out = keep_budget(rows, noise_per_quarter=1.0, red_share=0.2, county_of=lambda u: u)
    coloured_days = out[out["severity"] != "none"].groupby(["region", "date"]).ngroups
    per_county_quarter = coloured_days / counties / 4
    assert per_county_quarter <= 2.0  # expected about 1 (BH's FWER under the complete null is q)
    unbudgeted = (rows["pvalue"] < 0.05).groupby([rows["region"], rows["date"]]).any().sum() / counties / 4
    assert unbudgeted > 80  # at p < 0.05 per series, nearly every day of the quarter has an alert


def test_family_minimum_q_by_hand():
    from surveillance.alerts.budget import family_minimum_q
    p = np.array([[0.01, 0.5], [0.04, np.nan], [0.03, 0.2], [0.005, 1.0], [0.2, 0.001]])
    families = np.array(["a", "a", "a", "a", "b"])
    got = family_minimum_q(p, families).set_index(["family", "point"])["q"]
    # a, point 0: as in the BH test above, the smallest q is 0.02; point 1: 3 tests, sorted 0.2, 0.5, 1.0 ->
    # 3*0.2/1 = 0.6; b: one test each
    assert got[("a", 0)] == pytest.approx(0.02) and got[("a", 1)] == pytest.approx(0.6)
    assert got[("b", 0)] == pytest.approx(0.2) and got[("b", 1)] == pytest.approx(0.001)


def _history(q_by_family: dict[str, list[float]]):
    rows = [(f, pd.Timestamp("2026-01-01") + pd.Timedelta(days=k), q)
            for f, qs in q_by_family.items() for k, q in enumerate(qs)]
    return pd.DataFrame(rows, columns=["family", "date", "q"])


def test_a_run_of_alarm_days_is_one_alert():
    from surveillance.alerts.budget import count_onsets
    days = _history({"a": [0.5, 0.001, 0.002, 0.5, 0.001] + [0.5] * 10 + [0.001],
                     "b": [0.5] * 16})
    assert count_onsets(days, 0.01, gap_days=7) == 2  # days 1-4 one run; day 15 a new one
    assert count_onsets(days, 0.01, gap_days=20) == 1
    assert count_onsets(days, 0.0001, gap_days=7) == 0


def test_the_learnt_level_keeps_the_budget_over_the_history():
    from surveillance.alerts.budget import learn_level
    # two families over 92 days (a little over a quarter): one alert per family per quarter allows 2.01
    quiet = [0.5] * 92
    a, b = list(quiet), list(quiet)
    a[10], a[40], a[70] = 1e-4, 1e-3, 1e-2  # three lone alarm days at three levels
    b[20] = 1e-5
    level, onsets = learn_level(_history({"a": a, "b": b}), noise_per_quarter=1.0, gap_days=7)
    # the largest level with at most two alerts: 1e-4 (a's 1e-4 and b's 1e-5)
    assert level == pytest.approx(1e-4) and onsets == 2
    strict, n = learn_level(_history({"a": a, "b": b}), noise_per_quarter=0.5, gap_days=7)
    assert strict == pytest.approx(1e-5) and n == 1


def test_keep_budget_uses_the_learnt_level_when_smaller():
    signals = pd.DataFrame([_signal("C1", "county", 0.001, "red"), _signal("C2", "county", 1e-5, "red")])
    nominal = keep_budget(signals, noise_per_quarter=1.0, red_share=0.2, county_of=lambda c: c)
    assert nominal["severity"].tolist() == ["red", "red"]  # q = p: both far below 1/91.3
    learnt = keep_budget(signals, noise_per_quarter=1.0, red_share=0.2, county_of=lambda c: c,
                         learnt={"county": (1e-4, 2e-5)})
    assert learnt["severity"].tolist() == ["none", "red"]  # 0.001 > 1e-4; 1e-5 <= 2e-5
    stricter_red = keep_budget(signals, noise_per_quarter=1.0, red_share=0.2, county_of=lambda c: c,
                               learnt={"county": (1e-4, 1e-6)})
    assert stricter_red["severity"].tolist() == ["none", "yellow"]  # red learnt on its own: 1e-5 > 1e-6
    looser = keep_budget(signals, noise_per_quarter=1.0, red_share=0.2, county_of=lambda c: c,
                         learnt={"county": (0.5, 0.5)})
    assert looser["severity"].tolist() == ["red", "red"]  # never looser than the nominal level
