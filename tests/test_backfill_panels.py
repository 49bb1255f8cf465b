"""A detect run reads every revision once (``store.history.CountHistory``) and builds each judged day's
views from it: the panels, delays, data-quality tables, and so the signals, are those of reading every
judged day from the store as of its own as-of day."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from surveillance.service import detect
from surveillance.service.detect import run_detection
from surveillance.service.panels import PanelReader, StoreReader
from surveillance.store.counts import read_panel, unit_days
from surveillance.store.delays import arrivals_by_delay
from surveillance.store.history import CountHistory

from .test_thresholds import END, _setup, demo_folder  # noqa: F401  (demo_folder: the fixture)

SYNDROMES = ["fever", "ili", "diarrhoea"]


def _same_panel(got, want):
    pd.testing.assert_frame_equal(got.keys, want.keys)
    assert got.dates.equals(want.dates) and got.attrs == want.attrs
    np.testing.assert_array_equal(got.counts, want.counts)
    np.testing.assert_array_equal(got.totals, want.totals)


def test_the_history_gives_read_panels_panels(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    con = store.cursor()
    reader = PanelReader(con)
    for k in range(0, 30, 7):
        day = END - timedelta(days=29 - k)
        for level, ages in (("facility", ["0-4", "65+"]), ("facility", None), ("county", None), ("city", ["5-14"])):
            args = dict(level=level, syndromes=SYNDROMES, age_groups=ages, start=day - timedelta(days=40), end=day,
                        as_of=day + timedelta(days=1))
            _same_panel(reader.read(**args), read_panel(con, **args))


def test_the_history_gives_the_stores_unit_days_and_arrivals(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    con = store.cursor()
    history = CountHistory(con, start=END - timedelta(days=80), end=END)
    for day in (END - timedelta(days=20), END - timedelta(days=1)):
        window = dict(start=day - timedelta(days=40), end=day, as_of=day + timedelta(days=1))
        pd.testing.assert_frame_equal(history.unit_days(**window), unit_days(con, **window))
        for level, by_syndrome in (("county", False), ("county", True), ("province", False)):
            args = dict(level=level, start=day - timedelta(days=50), end=day + timedelta(days=1),
                        as_of=day + timedelta(days=1), max_delay=7, by_syndrome=by_syndrome)
            pd.testing.assert_frame_equal(history.arrivals_by_delay(**args), arrivals_by_delay(con, **args))


def test_a_late_revision_of_an_old_day_is_seen_only_from_its_arrival(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    con = store.cursor()
    day = END - timedelta(days=10)
    old = day - timedelta(days=20)
    with store.transaction() as cur:  # a revision of an old day arriving after the judged day
        cur.execute("""INSERT INTO observations SELECT * REPLACE (count + 50 AS count, revision + 1 AS revision,
                       received_at + INTERVAL 30 DAY AS received_at)
                       FROM observations WHERE date = ? AND syndrome = 'fever' LIMIT 1""", [old])
    reader = PanelReader(con)
    args = dict(level="county", syndromes=["fever"], age_groups=None, start=day - timedelta(days=40), end=day,
                as_of=day + timedelta(days=1))
    _same_panel(reader.read(**args), read_panel(con, **args))
    later = {**args, "as_of": END + timedelta(days=1)}
    _same_panel(reader.read(**later), read_panel(con, **later))
    assert not np.array_equal(reader.read(**later).counts, reader.read(**args).counts)


def test_revisions_received_out_of_their_order_leave_the_arrivals_to_the_store(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    with store.transaction() as cur:  # a second revision stamped as received before the first
        cur.execute("""INSERT INTO observations SELECT * REPLACE (count + 5 AS count, revision + 1 AS revision,
                       received_at - INTERVAL 3 DAY AS received_at)
                       FROM observations WHERE date = ? AND syndrome = 'ili' LIMIT 1""", [END - timedelta(days=5)])
    con = store.cursor()
    history = CountHistory(con, start=END - timedelta(days=30), end=END)
    assert history.arrivals_by_delay(level="county", start=END - timedelta(days=20), end=END, as_of=END,
                                     max_delay=7) is None
    args = dict(level="county", syndromes=["ili"], age_groups=None, start=END - timedelta(days=20), end=END)
    for as_of in (END - timedelta(days=4), END - timedelta(days=2), END):
        _same_panel(history.panel(**args, as_of=as_of), read_panel(con, **args, as_of=as_of))


def test_a_backfill_gives_the_signals_of_reading_every_day_from_the_store(demo_folder, tmp_path, monkeypatch):
    since, until = END - timedelta(days=6), END
    signals, quality = [], []
    for target, shared in (("a", True), ("b", False)):
        config, store = _setup(demo_folder, tmp_path / target)
        if not shared:
            monkeypatch.setattr(detect, "PanelReader", StoreReader)
        run_detection(store, config, until + timedelta(days=1), since=since, until=until)
        signals.append(store.cursor().execute(
            "SELECT detector, level, region, syndrome, age_group, date, observed, expected, upperbound, pvalue, "
            "severity, status, provisional FROM signals ORDER BY ALL").df())
        quality.append(store.cursor().execute("SELECT * FROM data_quality ORDER BY ALL").df())
    pd.testing.assert_frame_equal(signals[0], signals[1])
    pd.testing.assert_frame_equal(quality[0], quality[1])
    assert len(signals[0]) > 1000 and len(quality[0])
