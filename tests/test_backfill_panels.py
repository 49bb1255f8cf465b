"""A backfill reads each panel's settled days once: the panels, and so the signals, are those of reading
every judged day as of the morning after it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from surveillance.service import detect
from surveillance.service.detect import run_detection
from surveillance.service.panels import PanelReader
from surveillance.store.counts import read_panel

from .test_thresholds import END, _setup, demo_folder  # noqa: F401  (demo_folder: the fixture)

SYNDROMES = ["fever", "ili", "diarrhoea"]


def test_the_shared_reads_give_read_panels_panels(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    con = store.cursor()
    reader = PanelReader(con, settled_until=END, settled_as_of=END + timedelta(days=1), fresh_days=5)
    for k in range(0, 30, 7):
        day = END - timedelta(days=29 - k)
        for level, ages in (("facility", ["0-4", "65+"]), ("county", None)):
            args = dict(level=level, syndromes=SYNDROMES, age_groups=ages, start=day - timedelta(days=40), end=day,
                        as_of=day + timedelta(days=1))
            got, want = reader.read(**args), read_panel(con, **args)
            pd.testing.assert_frame_equal(got.keys, want.keys)
            assert got.dates.equals(want.dates) and got.attrs == want.attrs
            np.testing.assert_array_equal(got.counts, want.counts)
            np.testing.assert_array_equal(got.totals, want.totals)


def test_a_late_revision_of_an_old_day_falls_back_to_the_full_read(demo_folder, tmp_path):
    config, store = _setup(demo_folder, tmp_path / "d")
    con = store.cursor()
    day = END - timedelta(days=10)
    old = day - timedelta(days=20)
    with store.transaction() as cur:  # a revision of an old day arriving after the judged day
        cur.execute("""INSERT INTO observations SELECT * REPLACE (count + 50 AS count, revision + 1 AS revision,
                       received_at + INTERVAL 30 DAY AS received_at)
                       FROM observations WHERE date = ? AND syndrome = 'fever' LIMIT 1""", [old])
    reader = PanelReader(con, settled_until=END, settled_as_of=END + timedelta(days=1), fresh_days=5)
    args = dict(level="county", syndromes=["fever"], age_groups=None, start=day - timedelta(days=40), end=day,
                as_of=day + timedelta(days=1))
    np.testing.assert_array_equal(reader.read(**args).counts, read_panel(con, **args).counts)
    settled = read_panel(con, **{**args, "as_of": END + timedelta(days=1)}).counts
    assert not np.array_equal(settled, read_panel(con, **args).counts)  # the revision is in the settled view


def test_a_backfill_gives_the_signals_of_judging_day_by_day(demo_folder, tmp_path, monkeypatch):
    since, until = END - timedelta(days=6), END
    signals = []
    for target, shared in (("a", True), ("b", False)):
        config, store = _setup(demo_folder, tmp_path / target, learn=False)
        if not shared:  # every panel read whole, as of its day
            monkeypatch.setattr(detect, "PanelReader", lambda con, **_: PanelReader(con))
        run_detection(store, config, until + timedelta(days=1), since=since, until=until)
        signals.append(store.cursor().execute(
            "SELECT detector, region, syndrome, age_group, date, observed, expected, pvalue, severity FROM signals "
            "ORDER BY ALL").df())
    pd.testing.assert_frame_equal(signals[0], signals[1])
    assert len(signals[0]) > 1000
