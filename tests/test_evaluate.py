"""Evaluation suites, metrics and the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import lognorm

from surveillance.errors import SurveillanceError, UnknownName
from surveillance.evaluation import (evaluate, evaluate_to_report, false_positive_rate, per_series,
                                     probability_of_detection, sensitivity, specificity, summarise, timeliness,
                                     weekly_scenarios)
from surveillance.evaluation.metrics import alarms_per_year
from surveillance.evaluation.suites import (BASELINE_OUTBREAK_WEEKS, WEEKLY_CURRENT, WEEKLY_LENGTH, simulate_weekly,
                                            spread_cases, weekly_baseline, weekly_mean)


# --- weekly generator ---------------------------------------------------------------------------
def test_weekly_scenarios_are_the_42_of_noufaily():
    scenarios = weekly_scenarios()
    assert len(scenarios) == 42
    assert [s.id for s in scenarios] == list(range(1, 43))
    first = scenarios[0].params
    assert (first["theta"], first["phi"], first["beta"], first["harmonics"]) == (0.1, 1.5, 0.0, 0)
    with_trend = [s for s in scenarios if s.params["trend"]]
    assert len(with_trend) == 21 and all(s.params["beta"] > 0 for s in with_trend)
    assert {s.params["harmonics"] for s in scenarios} == {0, 1, 2}


def test_weekly_mean_formula():
    p = {"theta": 1.5, "beta": 0.003, "gamma1": 0.2, "gamma2": -0.4, "harmonics": 2}
    t = np.array([1.0, 13.0, 300.0])
    by_hand = np.exp(1.5 + 0.003 * t + sum(0.2 * np.cos(2 * np.pi * j * t / 52) - 0.4 * np.sin(2 * np.pi * j * t / 52)
                                           for j in (1, 2)))
    np.testing.assert_allclose(weekly_mean(p, t), by_hand)


@pytest.mark.parametrize("set_index", [0, 2, 3])  # phi 1.5, 1 (Poisson) and 5
def test_weekly_baseline_mean_and_variance(set_index):
    scenario = [s for s in weekly_scenarios() if s.params["parameter_set"] == set_index + 1
                and s.params["trend"] and s.params["harmonics"] == 1][0]
    p = scenario.params
    x = weekly_baseline(p, 20_000, np.random.default_rng(5), n_time=60)
    mu = weekly_mean(p, np.arange(1, 61))
    # per-week mean and variance over 20,000 replicates: within a few standard errors
    np.testing.assert_allclose(x.mean(axis=0), mu, rtol=0.05, atol=0.02)
    ratio = x.var(axis=0, ddof=1) / mu
    assert np.median(ratio) == pytest.approx(p["phi"], rel=0.05)


def test_spread_cases_lognormal_offsets_and_truncation():
    rng = np.random.default_rng(2)
    out = spread_cases(np.array([10_000]), np.array([0]), np.array([5]),
                       lambda n: np.floor(rng.lognormal(0, 0.5, n)).astype(np.int64), 40, 1)
    assert out.sum() == 10_000 and out[0, :5].sum() == 0
    shares = out[0, 5:9] / 10_000
    cdf = lognorm(0.5).cdf(np.arange(1, 5))  # P(floor(X) <= j - 1), X ~ lognormal(0, 0.5)
    np.testing.assert_allclose(shares, np.diff(np.r_[0, cdf]), atol=0.015)
    cut = spread_cases(np.array([50]), np.array([0]), np.array([39]), lambda n: np.full(n, 2), 40, 1)
    assert cut.sum() == 0  # beyond the last point: lost


def test_weekly_outbreaks_land_in_the_stated_weeks_with_the_stated_size():
    scenario = weekly_scenarios()[9]  # set 2: small counts, so outbreaks are visible as counts
    reps = 4000
    sim = simulate_weekly(scenario, reps, np.random.default_rng(11))
    assert sim.panel.shape == (reps, WEEKLY_LENGTH) and sim.panel.freq == "weekly"
    assert sim.n_current == WEEKLY_CURRENT
    # current outbreaks start in the last 49 weeks (0-based 575..623)
    assert sim.start.min() >= WEEKLY_LENGTH - WEEKLY_CURRENT and sim.start.max() <= WEEKLY_LENGTH - 1
    has = sim.current_cases.sum(axis=1) > 0
    first = np.argmax(sim.current_cases > 0, axis=1)
    assert np.all(first[has] >= sim.start[has])
    # earlier outbreaks start in weeks 313-575 (1-based)
    lo, hi = BASELINE_OUTBREAK_WEEKS
    other_first = np.argmax(sim.other_cases > 0, axis=1)
    assert other_first[sim.other_cases.sum(axis=1) > 0].min() >= lo - 1
    assert sim.other_cases[:, : lo - 1].sum() == 0
    assert np.all(sim.other_cases[:, hi + 10:].sum(axis=1) == 0)
    # size ~ Poisson(k * sd at the start) before truncation: compare mean with enough room left
    p = scenario.params
    early = sim.start <= WEEKLY_LENGTH - 10  # cases rarely spill 9 weeks
    expect = sim.k * np.sqrt(p["phi"] * weekly_mean(p, sim.start + 1))
    for k in (1, 5, 10):
        pick = early & (sim.k == k)
        assert sim.size[pick].mean() == pytest.approx(expect[pick].mean(), rel=0.08)
    assert np.all(sim.k == 1 + np.arange(reps) % 10)
    # the panel is the sum of baseline and outbreaks: counts are whole and at least the cases
    assert np.all(sim.panel.counts >= sim.current_cases + sim.other_cases)


def test_weekly_simulation_is_reproducible():
    s = weekly_scenarios()[0]
    a = simulate_weekly(s, 5, np.random.default_rng(3))
    b = simulate_weekly(s, 5, np.random.default_rng(3))
    np.testing.assert_array_equal(a.panel.counts, b.panel.counts)


# --- metrics --------------------------------------------------------------------------------------
def _hand_made():
    # 2 series x 6 points; series 0: outbreak at points 2-4, alarms at 1 and 3;
    # series 1: outbreak at point 5 only, another outbreak's cases at 0, alarms at 0 and 4.
    alarm = np.array([[0, 1, 0, 1, 0, 0], [1, 0, 0, 0, 1, 0]], dtype=bool)
    current = np.array([[0, 0, 3, 2, 1, 0], [0, 0, 0, 0, 0, 4]], dtype=float)
    other = np.array([[0, 0, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0]], dtype=float)
    return alarm, current, other


def test_metrics_on_hand_made_arrays():
    alarm, current, other = _hand_made()
    # non-outbreak points: series 0 -> 0,1,5 (3), series 1 -> 1,2,3,4 (4); false alarms: s0 at 1, s1 at 4
    assert false_positive_rate(alarm, current, other) == pytest.approx(2 / 7)
    assert specificity(alarm, current, other) == pytest.approx(5 / 7)
    assert probability_of_detection(alarm, current, other) == pytest.approx(1 / 2)
    assert sensitivity(alarm, current, other) == pytest.approx(1 / 4)
    # s0: first alarm in outbreak at 3, start 2, length 3 -> 1/3; s1 undetected -> 1
    assert timeliness(alarm, current, other) == pytest.approx((1 / 3 + 1) / 2)
    assert alarms_per_year(alarm, points_per_year=6) == pytest.approx(4 / 2)
    rows = per_series(alarm, current, other)
    assert rows["delay_sum"].tolist() == [1.0, 0.0]
    assert summarise(rows)["delay"].iloc[0] == pytest.approx(1.0)


def test_metrics_edge_cases():
    alarm = np.zeros((2, 4), dtype=bool)
    current = np.zeros((2, 4))
    # no outbreak at all: POD undefined, FPR 0
    assert np.isnan(probability_of_detection(alarm, current))
    assert false_positive_rate(alarm, current) == 0
    # an alarm right at the outbreak start: timeliness 0, without other: every quiet point counts
    alarm[0, 1] = True
    current[0, 1:3] = 1
    assert timeliness(alarm[:1], current[:1]) == 0.0
    assert false_positive_rate(alarm, current) == 0.0


def test_summarise_by_group_pools_counts():
    alarm, current, other = _hand_made()
    rows = per_series(alarm, current, other)
    rows["group"] = ["a", "b"]
    out = summarise(rows, ["group"])
    assert out["pod"].tolist() == [1.0, 0.0]
    assert out["fpr"].tolist() == pytest.approx([1 / 3, 1 / 4])


# --- end to end ---------------------------------------------------------------------------------
def test_evaluate_weekly_end_to_end_writes_html_and_csvs(tmp_path):
    out = tmp_path / "report.html"
    result = evaluate_to_report("weekly", "farrington_flexible,bayes,ears_c3", 10, 7, out,
                                params={"bayes": {"w": 4}}, scenarios=[3, 40])
    ev = result["evaluation"]
    assert result["html"] == out and out.exists()
    text = out.read_text()
    assert "POD against FPR" in text and "plotly" in text.lower()
    folder = tmp_path / "report_files"
    for name in ("overall", "by_scenario", "by_size", "calibration", "fig_pod_vs_fpr", "fig_pod_by_size",
                 "fig_timeliness_by_size", "fig_calibration", "scenarios"):
        assert (folder / f"{name}.csv").exists()
    overall = pd.read_csv(folder / "overall.csv")
    assert list(overall["method"]) == ["farrington_flexible", "bayes", "ears_c3"]
    assert set(pd.read_csv(folder / "by_scenario.csv")["scenario"]) == {3, 40}
    assert ev.params["bayes"]["w"] == 4 and ev.params["bayes"]["alpha"] == 0.01
    assert ev.params["farrington_flexible"]["monitor_last"] == WEEKLY_CURRENT
    assert len(ev.counts) == 3 * 2 * 10
    assert ((overall["fpr"] >= 0) & (overall["fpr"] <= 1)).all()
    assert set(ev.by_size["k"]) == set(range(1, 11))
    calib = pd.read_csv(folder / "calibration.csv")
    assert (calib["alpha"] == 0.01).all()


def test_evaluate_is_deterministic_and_common_params_apply():
    a = evaluate("weekly", ["bayes"], reps=5, seed=2, scenarios=[1], params={"alpha": 0.05})
    b = evaluate("weekly", ["bayes"], reps=5, seed=2, scenarios=[1], params={"alpha": 0.05})
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.params["bayes"]["alpha"] == 0.05


def test_evaluate_daily_end_to_end(tmp_path):
    result = evaluate_to_report("daily", "ears_c2,regression", 6, 1, tmp_path / "d.html", scenarios=[1, 8])
    ev = result["evaluation"]
    assert (tmp_path / "d_files" / "by_size.csv").exists()
    assert set(ev.by_scenario["name"]) == {"fever, spike", "hfmd, epidemic"}
    assert ev.counts["outbreaks"].sum() > 0
    assert ev.overall["judged_share"].between(0.5, 1).all()


def test_evaluate_rejects_bad_input():
    with pytest.raises(UnknownName):
        evaluate("monthly", "bayes", reps=2)
    with pytest.raises(UnknownName):
        evaluate("weekly", "nope", reps=2)
    with pytest.raises(UnknownName):
        evaluate("weekly", "bayes", reps=2, scenarios=[99])
    with pytest.raises(SurveillanceError):
        evaluate("weekly", "regression", reps=2, scenarios=[1])  # a daily detector on weekly data
    with pytest.raises(SurveillanceError):
        evaluate("weekly", "bayes", reps=2, scenarios=[1], params={"ears_c1": {"alpha": 0.1}})


# --- tuning to a target alarm rate --------------------------------------------------------------
def _result(pvalue, score=None, alpha=True, status=None):
    from surveillance.detectors import DetectionResult

    pvalue = np.asarray(pvalue, dtype=float)
    score = np.zeros_like(pvalue) if score is None else np.asarray(score, dtype=float)
    status = np.zeros(pvalue.shape, dtype=np.uint8) if status is None else np.asarray(status, dtype=np.uint8)
    params = {"alpha": 0.01} if alpha else {"h": 5.0}
    zeros = np.zeros_like(pvalue)
    return DetectionResult("hand", params, zeros, zeros + 1, score, pvalue, score > 1, status)


def test_tuned_threshold_lets_through_the_target_share_of_history():
    from surveillance.evaluation.tuning import threshold_as_alpha, tune_thresholds, tuned_alarms

    # 10 history points per series + 2 current; target 2 alarms per 10 points (share 0.2)
    p = np.array([[0.5, 0.2, 0.04, 0.3, 0.01, 0.9, 0.6, 0.7, 0.8, 0.05, 0.03, 0.02],
                  [0.5] * 10 + [0.4, 0.6]])
    result = _result(p)
    th = tune_thresholds(result, slice(0, 10), target_per_year=2, points_per_year=10, min_points=5)
    # series 0: the two smallest p-values (0.01, 0.04) may alarm; the threshold is the third, 0.05
    assert threshold_as_alpha(result, th)[0] == pytest.approx(0.05)
    alarm = tuned_alarms(result, th)
    assert alarm[0, :10].sum() == 2 and alarm[0, 10:].tolist() == [True, True]
    # series 1: all ties at 0.5, so nothing in its history may alarm; 0.4 in the current period does
    assert alarm[1, :10].sum() == 0 and alarm[1, 10:].tolist() == [True, False]


def test_tuning_by_group_pools_and_short_history_falls_back_to_the_pool():
    from surveillance.evaluation.tuning import threshold_as_alpha, tune_thresholds

    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.01, np.nan, np.nan, np.nan]])
    status = np.where(np.isnan(p), 1, 0)
    result = _result(np.nan_to_num(p, nan=1.0), status=status)
    # pooled over all 9 judged points, share 0.25: floor(2.25) = 2 may alarm (0.01, 0.1) -> alpha 0.2
    th = tune_thresholds(result, slice(None), 1, 4, groups=["g"] * 3)
    assert threshold_as_alpha(result, th) == pytest.approx([0.2] * 3)
    # per series (4 points, one may alarm) with min_points 3: series 2 (one judged point) takes the pool's
    th = tune_thresholds(result, slice(None), 1, 4, min_points=3)
    assert threshold_as_alpha(result, th) == pytest.approx([0.2, 0.6, 0.2])


def test_tuning_on_the_score_for_detectors_without_alpha():
    from surveillance.evaluation.tuning import threshold_as_alpha, tune_thresholds, tuned_alarms

    score = np.array([[0.1, 2.0, 0.5, 0.7, 3.0]])
    result = _result(np.full((1, 5), 0.5), score=score, alpha=False)
    th = tune_thresholds(result, slice(0, 4), 1, 4, min_points=1)  # one of four may alarm
    assert th[0] == pytest.approx(0.7) and np.isnan(threshold_as_alpha(result, th)[0])
    assert tuned_alarms(result, th).tolist() == [[False, True, False, False, True]]


def test_tuning_rejects_impossible_targets():
    from surveillance.evaluation.tuning import tune_thresholds

    result = _result(np.full((1, 4), 0.5))
    with pytest.raises(SurveillanceError, match="above 0"):
        tune_thresholds(result, slice(None), 0, 52)
    with pytest.raises(SurveillanceError, match="every point"):
        tune_thresholds(result, slice(None), 60, 52)


def test_evaluate_at_a_target_rate_keeps_the_history_rate_and_reports_alpha():
    ev = evaluate("weekly", "farrington_flexible,cusum", reps=20, seed=4, scenarios=[20],
                  target_per_year=2.0, tune_by="series")
    assert ev.params["farrington_flexible"]["monitor_last"] == WEEKLY_CURRENT + 104
    assert set(ev.thresholds["method"]) == {"farrington_flexible", "cusum"}
    ff = ev.thresholds[ev.thresholds["method"] == "farrington_flexible"]
    assert ff["alpha"].between(0, 1).all()
    assert ev.thresholds.loc[ev.thresholds["method"] == "cusum", "alpha"].isna().all()
    # about 2 alarms per series-year in the current period too (outbreaks add a few)
    rate = ev.tuned_overall.set_index("method")["alarms_per_year"]
    assert (rate > 0.5).all() and (rate < 8).all()
    assert len(ev.tuned_by_size) == 2 * 10
    with pytest.raises(SurveillanceError, match="tune_by"):
        evaluate("weekly", "bayes", reps=2, scenarios=[1], target_per_year=1, tune_by="county")


@pytest.mark.slow
# --- the command --------------------------------------------------------------------------------
def test_evaluate_command_writes_the_report_and_prints_the_tables(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "weekly.html"
    done = subprocess.run([sys.executable, "-m", "jobs.cli", "evaluate", "--suite", "weekly",
                           "--methods", "farrington_flexible,ears_c2", "--reps", "8", "--scenario", "12",
                           "--param", "alpha=0.05", "--param", "farrington_flexible.b=3", "--target-rate", "4",
                           "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 scenarios x 8 replicates" in done.stdout and "at 4 alarms per series-year" in done.stdout
    assert "Detection at 4 alarms per series-year" in out.read_text()
    thresholds = pd.read_csv(tmp_path / "weekly_files" / "thresholds.csv")
    assert len(thresholds) == 2 * 8
    calib = pd.read_csv(tmp_path / "weekly_files" / "calibration.csv").set_index("method")
    assert calib.loc["farrington_flexible", "alpha"] == 0.05  # the common parameter reached both methods
    refused = subprocess.run([sys.executable, "-m", "jobs.cli", "evaluate", "--suite", "weekly",
                              "--methods", "bayes", "--param", "bayes.w=oops", "-o", str(out)],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "bayes: parameter 'w'" in refused.stderr
