"""The operational evaluation's figures on a hand-counted case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveillance.evaluation.province import match_alerts, pooled_figures, workload_figures

OUTBREAKS = pd.DataFrame([
    # an ILI school cluster across two counties, 10-19 November
    {"outbreak_id": "OB1", "syndrome": "ili", "counties": "320102,320103", "start": "2026-11-10", "end": "2026-11-19"},
    # diarrhoea in one county, 1-5 November, never alerted
    {"outbreak_id": "OB2", "syndrome": "diarrhoea", "counties": "320104", "start": "2026-11-01", "end": "2026-11-05"},
])


def _episode(i, kind, region, syndrome, opened, last, severity="yellow", regions=None):
    return {"episode_id": i, "kind": kind, "region": region, "regions": regions or f'["{region}"]',
            "syndrome": syndrome, "opened_on": opened, "last_signal_on": last, "notify_severity": severity}


EPISODES = pd.DataFrame([
    _episode(1, "outbreak", "320103", "fever", "2026-11-12", "2026-11-14", "red"),  # OB1: related syndrome
    _episode(2, "outbreak", "F320102001", "ari", "2026-11-11", "2026-11-11"),       # OB1: a facility in it
    _episode(3, "outbreak", "320103", "ili", "2026-11-21", "2026-11-22"),           # after OB1 ended: no
    _episode(4, "outbreak", "320105", "ili", "2026-11-12", "2026-11-12"),           # elsewhere: no
    _episode(5, "cluster", "320106", "diarrhoea", "2026-11-03", "2026-11-04", "red",
             regions='["320106", "320104"]'),                                        # OB2 through its regions
    _episode(6, "data_quality", "F320102001", "unit_silent", "2026-11-08", "2026-11-09", "yellow"),
    _episode(7, "outbreak", "320102", "hfmd", "2026-10-01", "2026-10-02"),          # before the period
])
COUNTY = {"F320102001": "320102"}


def test_alerts_match_by_place_syndrome_group_and_days():
    pairs = match_alerts(EPISODES[EPISODES["kind"] != "data_quality"], OUTBREAKS, lambda c: COUNTY.get(c, c))
    assert sorted(map(tuple, pairs.values.tolist())) == [(1, "OB1"), (2, "OB1"), (5, "OB2")]


def test_workload_figures_by_hand():
    figures = workload_figures(EPISODES, OUTBREAKS, counties=10, start="2026-11-01", end="2026-11-28",
                               county_of=lambda c: COUNTY.get(c, c))
    # 4 weeks, 10 counties: 40 county-weeks; alerts 1-5 opened in the period
    assert figures["weeks"] == 4 and figures["alerts"] == 5
    assert figures["alerts_per_county_week"] == pytest.approx(5 / 40)
    assert figures["red_per_county_week"] == pytest.approx(2 / 40)
    assert figures["quality_per_county_week"] == pytest.approx(1 / 40)
    assert figures["emails_per_week"] == pytest.approx(5 / 4)
    assert figures["detected"] == 1.0  # both outbreaks
    assert figures["median_delay_days"] == pytest.approx(1.5)  # OB1: 11 Nov - 10 Nov = 1; OB2: 3 - 1 = 2
    assert figures["matched"] == pytest.approx(3 / 5)
    red_only = workload_figures(EPISODES, OUTBREAKS, counties=10, start="2026-11-01", end="2026-11-28",
                                min_severity="red")
    assert red_only["emails_per_week"] == pytest.approx(2 / 4)
    assert red_only["matched"] == pytest.approx(2 / 5)  # without the facility's county, alert 2 matches nothing


def test_pooled_figures_count_over_all_runs_not_the_mean_of_shares():
    one = workload_figures(EPISODES, OUTBREAKS, counties=10, start="2026-11-01", end="2026-11-28",
                           county_of=lambda c: COUNTY.get(c, c))
    # a second province: one outbreak, never alerted, and one alert from noise
    quiet = workload_figures(
        pd.DataFrame([_episode(9, "outbreak", "320199", "hfmd", "2026-11-20", "2026-11-20")]),
        pd.DataFrame([{"outbreak_id": "OB9", "syndrome": "ili", "counties": "320198",
                       "start": "2026-11-02", "end": "2026-11-06"}]),
        counties=5, start="2026-11-01", end="2026-11-28")
    pooled = pooled_figures([one, quiet])
    # 40 + 20 county-weeks; alerts 5 + 1; red 2 + 0; outbreaks 2 + 1, alerted 2 + 0; matches 3 + 0
    assert pooled["county_weeks"] == pytest.approx(60)
    assert pooled["alerts_per_county_week"] == pytest.approx(6 / 60)
    assert pooled["red_per_county_week"] == pytest.approx(2 / 60)
    assert pooled["detected"] == pytest.approx(2 / 3)
    assert pooled["delays_days"] == [1, 2] and pooled["median_delay_days"] == pytest.approx(1.5)
    assert pooled["matched"] == pytest.approx(3 / 6)  # not the mean of 3/5 and 0/1
    assert pooled["emails_per_week"] == pytest.approx(6 / 8)  # 6 emailed alerts over 8 province-weeks


def test_pooled_oracle_delays_are_over_all_outbreaks():
    one = workload_figures(EPISODES, OUTBREAKS, counties=10, start="2026-11-01", end="2026-11-28",
                           county_of=lambda c: COUNTY.get(c, c))
    pooled = pooled_figures([{**one, "oracle_delays_days": [0, 2]}, {**one, "oracle_delays_days": [5]}])
    assert pooled["oracle_delays_days"] == [0, 2, 5] and pooled["oracle_median_delay_days"] == 2
    assert np.isnan(pooled_figures([one])["oracle_median_delay_days"])  # a store's run has no oracle
