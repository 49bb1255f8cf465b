"""Delay-aware newest days in the detect job (surveillance.service.delays): a county whose reports first
arrive at 80% and are completed three days later is judged against expectations scaled to 80% on its
newest days, which are marked provisional and judged again as their data arrive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from surveillance.config import parse_config
from surveillance.detectors import detect, get
from surveillance.ingest.pipeline import ingest_file
from surveillance.panel import Panel
from surveillance import nowcast
from surveillance.service.delays import DelayShares, Judged, adjusts, scaled
from surveillance.service.detect import days_to_judge, judge_day, run_detection
from surveillance.store.alerts import days_to_recheck

from .conftest import write_csv

HEADER = "date,unit,syndrome,age_group,count,total\n"
FIRST_DAY, JUDGED = date(2026, 9, 1), date(2026, 11, 20)
OUTBREAK = 130  # the judged day's final count in 320102; 104 of it arrives the morning after


def _usual(day: date) -> int:
    return 90 if day.toordinal() % 2 else 110


@pytest.fixture
def delayed(store, ctx, tmp_path):
    """320102's hospital sends 80% of each day the morning after and the rest three days after the day;
    320103's hospital sends each day whole the morning after."""
    days = [FIRST_DAY + timedelta(days=k) for k in range((JUDGED - FIRST_DAY).days + 1)]
    deliveries: dict[date, list[str]] = {}
    for day in days:
        count = OUTBREAK if day == JUDGED else _usual(day)
        deliveries.setdefault(day + timedelta(days=1), []).append(
            f"{day},F320102001,fever,all,{int(0.8 * count)},1000\n{day},F320103001,fever,all,{_usual(day)},1000\n")
        deliveries.setdefault(day + timedelta(days=3), []).append(f"{day},F320102001,fever,all,{count},1000\n")
    for delivered, rows in sorted(deliveries.items()):
        path = write_csv(tmp_path / f"visits_{delivered}.csv", HEADER + "".join(rows))
        ingest_file(store, path, ctx, received_at=datetime.combine(delivered, datetime.min.time()) + timedelta(hours=6))
    return store


def _config(tmp_path, adjust: bool = True):
    return parse_config({
        "syndromes": ["fever"],
        "detection": {"detectors": [{"name": "ears_c2", "levels": ["county"], "history_days": 40}],
                      "budget": {"noise_alerts_per_quarter": 0}, "delay": {"adjust": adjust}},
    }, tmp_path)


def _judged(store, config) -> dict[str, dict]:
    signals = judge_day(store.con, config, JUDGED, JUDGED + timedelta(days=1), quality_checks=False)["signals"]
    return {row["region"]: row for row in signals.to_dict("records")}


def test_the_newest_day_is_judged_against_the_share_known_and_marked_provisional(delayed, tmp_path):
    config = _config(tmp_path)
    shares = DelayShares(delayed.con, config.detection.delay, JUDGED + timedelta(days=1), lambda code: code)
    q = shares.estimates("county")
    # 320102: 80% known one and two days after a day, all after three; 320103: all the morning after.
    assert q.loc["320102", ["q1", "q2", "q3"]].tolist() == pytest.approx([0.8, 0.8, 1.0], abs=0.002)
    assert q.loc["320103", ["q1", "q2", "q3"]].tolist() == pytest.approx([1.0, 1.0, 1.0])

    adjusted, plain = _judged(delayed, config), _judged(delayed, _config(tmp_path, adjust=False))
    # The outbreak day as known the morning after: 104 of 130. Against the usual 100 it is nothing ...
    assert plain["320102"]["observed"] == adjusted["320102"]["observed"] == 104
    assert plain["320102"]["expected"] == pytest.approx(100, abs=2) and plain["320102"]["severity"] == "none"
    # ... against the 80 usually known by then (the nowcast 130 against 100) it is red.
    assert adjusted["320102"]["expected"] == pytest.approx(0.8 * plain["320102"]["expected"], rel=0.01)
    assert adjusted["320102"]["upperbound"] == pytest.approx(0.8 * plain["320102"]["upperbound"], rel=0.01)
    assert adjusted["320102"]["severity"] == "red" and adjusted["320102"]["provisional"]
    assert not plain["320102"]["provisional"]
    # A county whose data arrive whole is judged as before and is not provisional.
    for column in ("observed", "expected", "upperbound", "pvalue", "severity"):
        assert adjusted["320103"][column] == plain["320103"][column]
    assert not adjusted["320103"]["provisional"]


def test_a_provisional_day_is_judged_again_when_its_data_arrive(delayed, tmp_path):
    config = _config(tmp_path)
    run_detection(delayed, config, JUDGED + timedelta(days=1), since=JUDGED, until=JUDGED)
    stored = delayed.con.execute("SELECT region, provisional, severity FROM signals ORDER BY region").fetchall()
    assert stored == [("320102", True, "red"), ("320103", False, "none")]
    episode = delayed.con.execute("SELECT provisional, severity FROM alert_episodes").fetchall()
    evidence = delayed.con.execute("SELECT provisional FROM alert_evidence").fetchall()
    assert episode == [(True, "red")] and evidence == [(True,)]
    # By 24 November the rest of 20 November has arrived (on the 23rd): the day is judged again.
    assert days_to_recheck(delayed.con, date(2026, 11, 17), date(2026, 11, 21), date(2026, 11, 24)) == [JUDGED]
    days, rechecks = days_to_judge(delayed.con, config, date(2026, 11, 24))
    assert days == [] and rechecks == [JUDGED]
    summary = run_detection(delayed, config, date(2026, 11, 24))
    assert summary["rechecked"] == [str(JUDGED)]
    final = delayed.con.execute("SELECT observed, provisional, severity FROM signals WHERE region = '320102'"
                                " AND as_of = DATE '2026-11-24'").fetchall()
    assert final == [(130.0, False, "red")]  # the final count, no longer provisional
    assert delayed.con.execute("SELECT provisional FROM alert_episodes").fetchall() == [(False,)]


def test_ratio_detectors_are_left_as_they_are():
    config = parse_config({"detection": {"detectors": [
        {"name": "ears_c2"}, {"name": "ears_c2", "percent": True}, {"name": "regional_excess"},
        {"name": "spacetime_permutation"}]}}, None)
    assert [adjusts(spec, get(spec.name)) for spec in config.detection.detectors] == [True, False, False, False]


def test_mapping_back_keeps_the_result_shape_and_the_judgement():
    counts = np.array([[100, 90, 110, 100, 95, 105, 100, 90, 110, 100, 80.0]])
    share, spread = np.ones_like(counts), np.zeros_like(counts)
    share[0, -1], spread[0, -1] = 0.8, 0.1
    effective, offset, scale = nowcast.effective_counts(counts, share, spread, 100.0, 20.0)
    dates = pd.date_range("2026-11-01", periods=11)
    judged = Judged(Panel(counts=effective, dates=dates, keys=pd.DataFrame({"region": ["A"]})), offset, scale, share)
    result = detect("ears_c1", judged.panel)
    out = scaled(result, judged)
    assert out.shape == result.shape and out.detector == result.detector
    # The newest day: expectation 0.8 of the detector's (less the margin's shift), threshold margin x 0.949.
    m = np.sqrt(0.8 ** 2 + 0.1 ** 2 * (1 + 25))
    assert scale[0, -1] == pytest.approx(m) and scale[0, :-1].tolist() == [1.0] * 10
    assert out.expected[0, -1] == pytest.approx(m * result.expected[0, -1] - (m - 0.8) * 100)
    margin = out.upperbound[0, -1] - out.expected[0, -1]
    assert margin == pytest.approx(m * (result.upperbound[0, -1] - result.expected[0, -1]))
    assert out.expected[0, 7:-1].tolist() == pytest.approx(result.expected[0, 7:-1].tolist())
    judged_ok = ~np.isnan(result.pvalue)
    assert (out.pvalue == result.pvalue)[judged_ok].all() and (out.alarm == result.alarm).all()
    assert (counts > out.upperbound)[0, 7:].tolist() == result.alarm[0, 7:].tolist()
