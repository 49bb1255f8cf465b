"""The reporting delay and nowcast (surveillance.nowcast) on triangles worked out by hand, and on
baselinenowcast's documented example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveillance import nowcast

NA = np.nan

# Rows are data days, columns delays 0, 1, 2; the newest day has only its delay 0 so far.
TINY = np.array([
    [6, 3, 1],    # cumulative 6, 9, 10
    [4, 4, 2],    # 4, 8, 10
    [5, 5, NA],   # 5, 10
    [8, NA, NA],  # 8
])


def test_chain_ladder_of_a_tiny_triangle_by_hand():
    # g1 = 1 + (3 + 4 + 5) / (6 + 4 + 5) = 1.8 over the rows that have delay 1;
    # g2 = 1 + (1 + 2) / (9 + 8) = 20/17 over the rows that have delay 2.
    q = nowcast.share_known(TINY, min_cases=0)
    assert q == pytest.approx([17 / 36, 17 / 20, 1.0])
    assert nowcast.delay_pmf(TINY) == pytest.approx([17 / 36, 17 / 20 - 17 / 36, 3 / 20])
    numerator, denominator = nowcast.development_factors(TINY[None])
    assert numerator.tolist() == [[12.0, 3.0]] and denominator.tolist() == [[15.0, 17.0]]
    # The newest day's 8 is 17/36 of its final count; the day before's 10 is 17/20 of it.
    assert nowcast.nowcast([8, 10], [17 / 36, 17 / 20]).mean == pytest.approx([8 * 36 / 17, 200 / 17])


def test_agrees_with_baselinenowcast_documented_example():
    # baselinenowcast::estimate_delay(triangle, max_delay = 3, n = 4) prints
    # 0.5029412 0.2514706 0.1455882 0.1000000 (reference/estimate_delay.md).
    triangle = np.array([
        [80, 50, 25, 10],
        [100, 50, 30, 20],
        [90, 45, 25, NA],
        [80, 40, NA, NA],
        [70, NA, NA, NA],
    ])
    pmf = nowcast.delay_pmf(triangle[-4:])
    assert pmf == pytest.approx([0.5029412, 0.2514706, 0.1455882, 0.1000000], abs=5e-8)


def test_vectorised_over_strata_with_pooling_of_small_ones():
    big, small = TINY * 10, TINY / 10  # the same delay; the small stratum has 3.8 cases
    q = nowcast.share_known(np.stack([big, small, 2 * big]), min_cases=100)
    assert q == pytest.approx(np.tile([17 / 36, 17 / 20, 1.0], (3, 1)))
    other = np.array([[10, 0, 0], [10, 0, 0], [10, 0, NA], [10, NA, NA]]) * 10  # all on the day itself
    q = nowcast.share_known(np.stack([TINY * 10, other]), min_cases=0)
    assert q[1] == pytest.approx([1.0, 1.0, 1.0]) and q[0] == pytest.approx([17 / 36, 17 / 20, 1.0])


def test_corrections_downward_are_taken_from_shorter_delays():
    rows = np.array([[10, 5, -3], [4, -6, 2], [7, NA, NA]])
    assert nowcast.pass_negatives_back(rows)[:2].tolist() == [[10, 2, 0], [0, 0, 2]]
    assert np.isnan(nowcast.pass_negatives_back(rows)[2, 1:]).all()


def test_days_on_which_nothing_had_arrived_are_left_out_of_the_factors():
    # A county reporting as one unit: on time (all at delay 1), late (all at delay 2), partial then revised.
    counts = np.array([[0, 10, 0], [0, 0, 10], [0, 8, 2]], dtype=float)
    known = np.array([[False, True, True], [False, False, True], [False, True, True]])
    # Of the days that had arrived by delay 1, 18 of 20 were known: q(1) = 0.9 (a late day is missing, not low).
    assert nowcast.share_known(counts, known, min_cases=0)[1] == pytest.approx(0.9)
    # Counting the late day as zero at delay 1, as a triangle without the mask does, gives 18 of 30.
    assert nowcast.share_known(counts, min_cases=0)[1] == pytest.approx(0.6)


def test_build_triangle_from_arrivals():
    arrivals = pd.DataFrame({
        "region": ["A", "A", "A", "A", "B"],
        "date": pd.to_datetime(["2026-11-01", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-02"]),
        "delay": [1, 9, 1, 0, 2],  # 9 is beyond the last delay: counted at 2
        "count": [5.0, 1.0, 7.0, 3.0, 4.0],
    })
    tri = nowcast.build_triangle(arrivals, ["region"], start="2026-11-01", as_of="2026-11-03", max_delay=2)
    assert tri.strata["region"].tolist() == ["A", "B"] and tri.max_delay == 2
    a, b = np.nan_to_num(tri.counts, nan=-1)
    assert a.tolist() == [[0, 5, 1], [0, 7, -1], [3, -1, -1]]  # -1: not possible yet on 3 November
    assert b.tolist() == [[0, 0, 0], [0, 0, -1], [0, -1, -1]]
    assert tri.known[0].tolist() == [[False, True, True], [False, True, False], [True, False, False]]
    assert not tri.known[1].any()  # B's 2 November arrived at delay 2, which it cannot have by 3 November


def test_shares_for_series_and_delays():
    estimates = pd.DataFrame([[0.5, 0.8, 1.0], [0.6, 0.9, 1.0]], index=pd.Index(["A", "B"]),
                             columns=["q0", "q1", "q2"])
    shares = nowcast.shares_for(estimates, ["B", "A", "Z"], [3, 2, 1, 0])
    assert shares.tolist() == [[1.0, 1.0, 0.9, 0.6], [1.0, 1.0, 0.8, 0.5], [1.0, 1.0, 1.0, 1.0]]


def test_nowcast_interval_by_hand_and_by_simulation():
    # Nothing known yet of a day half reported: the rest is geometric, P(0) = 1/2, P(<= 1) = 3/4.
    half = nowcast.nowcast([0.0], [0.5], level=0.5)
    assert half.mean.tolist() == [0.0] and half.lower.tolist() == [0.0] and half.upper.tolist() == [1.0]
    final = nowcast.nowcast([40.0, 12.0], [1.0, np.nan])
    assert final.mean.tolist() == final.lower.tolist() == final.upper.tolist() == [40.0, 12.0]
    # Poisson(50) final counts of which 80% arrived: the 90% interval holds the final count about 90% of the time.
    rng = np.random.default_rng(3)
    total = rng.poisson(50, 20000)
    known = rng.binomial(total, 0.8)
    cast = nowcast.nowcast(known, 0.8, level=0.9)
    covered = np.mean((cast.lower <= total) & (total <= cast.upper))
    assert 0.87 < covered < 0.95
    assert np.mean(cast.mean) == pytest.approx(50, rel=0.01)
    assert cast.lower[0] == known[0] + stats.nbinom.ppf(0.05, known[0] + 1, 0.8)


def test_spread_of_the_share_known_by_hand():
    # Complete rows: shares known (0.6, 0.9, 1) and (0.4, 0.8, 1) around the chain ladder's (17/36, 0.85, 1).
    tau = nowcast.known_spread(TINY, min_cases=0)
    expected0 = np.sqrt(((0.6 - 17 / 36) ** 2 + (0.4 - 17 / 36) ** 2) / 2)
    assert tau == pytest.approx([expected0, 0.05, 0.0])


def test_effective_counts_have_the_final_counts_mean_and_spread():
    # 80% known on average, 10 points either way from day to day; a series of level 100 and sd 20.
    m = nowcast.margin_scale(0.8, 0.1, 100.0, 20.0)
    assert m == pytest.approx(np.sqrt(0.64 + 0.01 * 26))
    effective, offset, scale = nowcast.effective_counts([80.0, 100.0], 0.8, 0.1, 100.0, 20.0)
    assert effective == pytest.approx([100.0, 100 + 20 / m]) and scale == pytest.approx([m, m])
    assert offset == pytest.approx([100 * (1 - 0.8 / m)] * 2)
    assert nowcast.effective_counts([80.0], 0.8, 0.0, np.nan, np.nan)[0] == pytest.approx([100.0])  # plain
    assert nowcast.effective_counts([80.0], 1.0, 0.0, 100.0, 20.0)[0] == pytest.approx([80.0])  # final
    rng = np.random.default_rng(5)
    final = rng.normal(100, 20, 50000)
    known = final * np.clip(rng.normal(0.8, 0.1, final.size), 0, 1)
    effective = nowcast.effective_counts(known, 0.8, 0.1, 100.0, 20.0)[0]
    assert effective.mean() == pytest.approx(100, abs=0.5) and effective.std() == pytest.approx(20, rel=0.02)
    assert (known / 0.8).std() == pytest.approx(20 * m / 0.8, rel=0.02)  # the plain nowcast spreads wider


def test_settled_level():
    counts = np.array([[1.0, 2, 3, 100], [np.nan, np.nan, np.nan, 5]])
    mean, sd = nowcast.settled_level(counts, np.array([True, True, True, False]), days=2)
    assert mean[0] == 2.5 and sd[0] == pytest.approx(np.sqrt(2.5))  # the spread is at least Poisson's
    assert np.isnan(mean[1])
