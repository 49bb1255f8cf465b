"""Detection on first-known data, judged delay-aware, comes closer to detection on final data
(surveillance.evaluation.delay) on a small case of the daily suite: counties of ten facilities."""

from __future__ import annotations

import numpy as np
import pytest

from surveillance.evaluation.delay import FINAL_AFTER, WAYS, as_judged, evaluate_delay


@pytest.fixture(scope="module")
def small():
    return evaluate_delay("ears_c2", reps=12, seed=1, scenarios=[1], units_per_county=10)


def test_the_adjusted_judgement_is_closer_to_the_final_one(small):
    rows = small.table.set_index("way")
    assert list(rows.index) == list(WAYS)
    final, first, adjusted = rows.loc["final"], rows.loc["first_known"], rows.loc["adjusted"]
    off = lambda way: abs(way["sensitivity"] - final["sensitivity"]) + abs(way["fpr"] - final["fpr"])  # noqa: E731
    assert off(adjusted) < off(first)
    assert abs(adjusted["fpr"] - final["fpr"]) < abs(first["fpr"] - final["fpr"])
    assert adjusted["final_alarms_kept"] > first["final_alarms_kept"]
    # The plain nowcast keeps as many final alarms but raises many more of its own.
    assert rows.loc["chain_ladder", "extra_per_final_alarm"] > adjusted["extra_per_final_alarm"]
    assert final["jaccard"] == 1.0 and final["extra"] == 0
    assert 0.85 < small.share_known < 0.97 and 0.8 < small.coverage < 0.97


def test_windows_are_known_as_the_morning_after_each_judged_day():
    # One county, a day's count known 60% after 1 day, 80% after 2, all after 3.
    n_days = 20
    final = np.full((1, n_days), 100.0)
    known = np.stack([final * f for f in [0, 0.6, 0.8] + [1.0] * (FINAL_AFTER - 3)])
    shares, spreads = np.array([[0.0, 0.6, 0.8, 1.0]]), np.zeros((1, 4))
    ways = as_judged(final, known, shares, spreads, np.array([9, 19]), history=5)
    assert ways["final"].tolist() == [[100.0] * 5] * 2
    assert ways["first_known"].tolist() == [[100, 100, 100, 80, 60]] * 2  # the judged day last
    assert ways["chain_ladder"] == pytest.approx(np.full((2, 5), 100.0))
    # No spread: the effective counts are the plain nowcast.
    assert ways["adjusted"] == pytest.approx(np.full((2, 5), 100.0))
