"""The Dask engine's merge of the provinces' judgements of a day, and how far back a worker reads."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from surveillance.alerts.signals import SIGNAL_COLUMNS
from surveillance.config import Config, DetectionConfig, DetectorSpec
from surveillance.engine.merge import merge_day
from surveillance.engine.province import history_start, worker_config
from surveillance.feed_settings import FolderFeed

DAY = date(2026, 11, 19)
CONFIG = Config(detection=DetectionConfig(detectors=[
    DetectorSpec(name="ears_c2", label="first", levels=["county", "city"]),
    DetectorSpec(name="ears_c2", label="second", age_groups=["all", "0-4"]),
]))


def _signals(rows: list[tuple]) -> pd.DataFrame:
    """Signals of ``(detector, method, level, region, syndrome, age_group)``, the other columns plain."""
    frame = pd.DataFrame(rows, columns=["detector", "method", "level", "region", "syndrome", "age_group"])
    for column in SIGNAL_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[SIGNAL_COLUMNS]


def _judged(rows, failures=()) -> dict:
    return {"signals": _signals(rows), "completeness": None, "findings": pd.DataFrame(), "failures": list(failures)}


def _keys(frame: pd.DataFrame) -> list[tuple]:
    return list(frame[["detector", "level", "region", "age_group"]].itertuples(index=False, name=None))


def test_the_provinces_signals_come_back_in_the_in_process_order():
    north = _judged([("first", "ears_c2", "county", "110101", "fever", "all"),
                     ("first", "ears_c2", "city", "110100", "fever", "all"),
                     ("second", "ears_c2", "county", "110101", "fever", "all"),
                     ("second", "ears_c2", "county", "110101", "fever", "0-4"),
                     ("quality", "visits_drop", "province", "110000", "visits_drop", "all")])
    south = _judged([("first", "ears_c2", "county", "120101", "fever", "all"),
                     ("first", "ears_c2", "city", "120100", "fever", "all"),
                     ("second", "ears_c2", "county", "120101", "fever", "all"),
                     ("second", "ears_c2", "county", "120101", "fever", "0-4"),
                     ("quality", "unit_silent", "facility", "120101", "unit_silent", "all")])
    merged = merge_day([("110000", north), ("120000", south)], CONFIG, None, DAY)
    assert _keys(merged["signals"]) == [
        ("first", "county", "110101", "all"), ("first", "county", "120101", "all"),  # level by level
        ("first", "city", "110100", "all"), ("first", "city", "120100", "all"),
        ("second", "county", "110101", "all"), ("second", "county", "120101", "all"),  # all ages first
        ("second", "county", "110101", "0-4"), ("second", "county", "120101", "0-4"),
        ("quality", "facility", "120101", "all"), ("quality", "province", "110000", "all"),  # silences, then drops
    ]
    assert merged["failures"] == []


def test_a_detector_failed_in_one_province_is_failed_for_the_day():
    north = _judged([("first", "ears_c2", "county", "110101", "fever", "all"),
                     ("second", "ears_c2", "county", "110101", "fever", "all")])
    south = _judged([("first", "ears_c2", "county", "120101", "fever", "all")],
                    [{"detector": "second", "day": str(DAY), "error": "ValueError: no data"}])
    merged = merge_day([("110000", north), ("120000", south)], CONFIG, None, DAY)
    assert set(merged["signals"]["detector"]) == {"first"}
    assert merged["failures"] == [{"detector": "second", "day": str(DAY), "error": "province 120000: ValueError: no data"}]


def test_the_feed_findings_are_added_once_after_the_provinces():
    feed = pd.DataFrame([{"kind": "feed_silent", "level": "feed", "region": "clinics", "date": pd.Timestamp(DAY),
                          "severity": "red", "detail": "silent", "value": 0.0, "usual": 1.0}])
    parts = [(p, _judged([("first", "ears_c2", "county", p[:2] + "0101", "fever", "all")])) for p in ("110000", "120000")]
    merged = merge_day(parts, CONFIG, feed, DAY + timedelta(days=1))
    quality = merged["signals"][merged["signals"]["detector"] == "quality"]
    assert list(quality["region"]) == ["clinics"] and list(merged["findings"]["kind"]) == ["feed_silent"]
    assert _keys(merged["signals"])[-1] == ("quality", "feed", "clinics", "all")


def test_a_worker_reads_back_as_far_as_the_longest_history_needs():
    plan = [(DAY - timedelta(days=k), DAY + timedelta(days=1)) for k in range(3)]
    # the second detector's 120 days are the longest; the delay training (56 + 7 days) reaches less far
    assert history_start(CONFIG, plan) == DAY - timedelta(days=2 + 120 + 7)
    weekly = Config(detection=DetectionConfig(detectors=[DetectorSpec(name="ears_c2", freq="weekly")]))
    assert history_start(weekly, plan) == DAY - timedelta(days=2 + 6 * 366 + 7)
    short = Config(detection=DetectionConfig(detectors=[DetectorSpec(name="ears_c2", history_days=10)]))
    assert history_start(short, plan) == DAY + timedelta(days=1) - timedelta(days=56 + 7 + 7)


def test_workers_judge_without_the_feeds():
    config = Config(feeds=[FolderFeed(name="clinics", kind="folder", path="drop")])
    assert worker_config(config).feeds == [] and config.feeds
