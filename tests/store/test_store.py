from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from surveillance.errors import DatabaseBusy, UnknownName
from surveillance.ingest.pipeline import ingest_file
from surveillance.store import open_store
from surveillance.store.migrate import available_migrations, migrate, schema_version
from surveillance.store.counts import read_counts, read_panel
from surveillance.store.runs import job_run, recent_runs
from surveillance.store.snapshot import open_snapshot, refresh_snapshot

from ..conftest import write_csv

ROWS = """date,unit,syndrome,age_group,count,total
2026-11-01,F320102001,fever,0-4,3,30
2026-11-01,F320102001,fever,65+,2,20
2026-11-01,F320102002,fever,0-4,1,10
2026-11-01,F320103001,fever,0-4,5,50
2026-11-02,F320102001,fever,0-4,4,31
2026-11-03,F320103001,ili,15-64,7,70
"""


def test_migrations_apply_once_and_are_recorded(store):
    versions = [v for v, _, _ in available_migrations()]
    assert schema_version(store.con) == max(versions)
    assert migrate(store.con) == []  # re-running on every start is a no-op
    recorded = store.con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [v for (v,) in recorded] == versions


def test_reopening_an_existing_database_keeps_its_data(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    path = store.path
    store.close()
    with open_store(path) as again:
        assert again.con.execute("SELECT count(*) FROM observations").fetchone()[0] == 6


def test_a_database_held_by_another_process_is_a_clear_error(tmp_path):
    path = tmp_path / "held.duckdb"
    open_store(path).close()
    import subprocess, sys, textwrap
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy, match="held by another process"):
            open_store(path)
    finally:
        holder.kill()
        holder.wait()


def test_counts_aggregate_up_the_hierarchy(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    county = read_counts(store.con, level="county", syndromes=["fever"])
    day1 = county[county["date"] == "2026-11-01"].set_index("region")
    assert day1.loc["320102", "count"] == 6 and day1.loc["320102", "total"] == 60
    assert day1.loc["320103", "count"] == 5
    province = read_counts(store.con, level="province", syndromes=["fever"])
    assert province.set_index("date").loc["2026-11-01", "count"] == 11
    facility = read_counts(store.con, level="facility", syndromes=["fever"], age_groups=["0-4"])
    assert set(facility["region"]) == {"F320102001", "F320102002", "F320103001"}
    assert (facility["age_group"] == "0-4").all()


def test_panel_has_missing_days_as_nan_and_keys_per_series(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    panel = read_panel(store.con, level="county", start="2026-11-01", end="2026-11-04")
    assert panel.shape == (3, 4)  # (320102 fever), (320103 fever), (320103 ili)
    keys = panel.keys.apply(tuple, axis=1).tolist()
    assert keys == [("320102", "fever", "all"), ("320103", "fever", "all"), ("320103", "ili", "all")]
    np.testing.assert_array_equal(panel.counts[0], [6, 4, np.nan, np.nan])
    np.testing.assert_array_equal(panel.totals[0], [60, 31, np.nan, np.nan])


def test_panel_within_a_subtree_and_by_age(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    panel = read_panel(store.con, level="facility", within="320102", age_groups=["0-4", "65+"])
    assert set(panel.keys["region"]) == {"F320102001", "F320102002"}
    assert set(panel.keys["age_group"]) == {"0-4", "65+"}


def test_counts_within_several_regions_at_once(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    both = read_counts(store.con, level="facility", within=["F320102001", "320103"])
    assert set(both["region"]) == {"F320102001", "F320103001"}
    assert both.loc[both["region"] == "F320102001", "count"].sum() == 3 + 2 + 4
    as_of = read_counts(store.con, level="county", within=["320102"], as_of="2099-01-01")
    assert set(as_of["region"]) == {"320102"} and as_of["count"].sum() == 3 + 2 + 1 + 4
    with pytest.raises(ValueError, match="empty list"):
        read_counts(store.con, within=[])


def test_unknown_level_lists_the_valid_ones(store):
    with pytest.raises(UnknownName, match="valid levels: province, city, county, facility"):
        read_counts(store.con, level="district")


def test_as_of_reads_what_was_known_that_day(store, ctx, tmp_path):
    first = write_csv(tmp_path / "day1.csv", "date,unit,syndrome,count,total\n2026-11-01,F320102001,fever,3,30\n")
    late = write_csv(tmp_path / "day2.csv", "date,unit,syndrome,count,total\n"
                     "2026-11-01,F320102001,fever,9,40\n2026-11-02,F320102001,fever,4,41\n")
    ingest_file(store, first, ctx, received_at=datetime(2026, 11, 2, 6))
    ingest_file(store, late, ctx, received_at=datetime(2026, 11, 3, 6))
    then = read_counts(store.con, level="facility", as_of="2026-11-02")
    assert then[["date", "count"]].astype(str).values.tolist() == [["2026-11-01", "3.0"]]
    now = read_counts(store.con, level="facility")
    assert now["count"].tolist() == [9, 4]
    assert read_counts(store.con, level="facility", as_of="2026-11-01").empty


def test_job_runs_record_success_and_failure(store):
    with job_run(store, "ingest") as details:
        details["feeds"] = {"a": 1}
    with pytest.raises(RuntimeError):
        with job_run(store, "detect"):
            raise RuntimeError("detector exploded")
    runs = recent_runs(store.con)
    assert runs["status"].tolist() == ["failed", "ok"]
    assert runs["message"].tolist()[0] == "detector exploded"


def test_snapshot_is_a_readable_copy(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    target = refresh_snapshot(store, tmp_path / "snap" / "copy.duckdb")
    with open_store(target, read_only=True) as snap:
        assert snap.con.execute("SELECT count(*) FROM observations_latest").fetchone()[0] == 6
        assert snap.con.execute("SELECT count(*) FROM units").fetchone()[0] == 3
    refresh_snapshot(store, target)  # replacing an existing snapshot works too


def test_the_snapshot_holds_every_change_even_while_a_reader_keeps_a_transaction_open(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", ROWS), ctx)
    reader = store.cursor()
    reader.begin()  # a dashboard request in the middle of its reads: the checkpoint may not finish
    reader.execute("SELECT count(*) FROM observations").fetchone()
    with store.transaction() as cur:
        cur.execute("UPDATE observations SET count = count + 1000 WHERE unit = 'F320102001'")
    target = refresh_snapshot(store, tmp_path / "copy.duckdb")
    reader.rollback()
    with open_store(target, read_only=True) as snap:
        assert snap.con.execute("SELECT count(*) FROM observations WHERE count >= 1000").fetchone()[0] > 0
    with store.transaction() as cur:  # and with nothing in the way, the file copy holds the newest changes
        cur.execute("DELETE FROM observations WHERE unit = 'F320102001'")
    refresh_snapshot(store, target)
    with open_store(target, read_only=True) as snap:
        assert snap.con.execute("SELECT count(*) FROM observations WHERE unit = 'F320102001'").fetchone()[0] == 0
        assert snap.con.execute("SELECT count(*) FROM observations").fetchone()[0] > 0


def test_open_snapshot_names_what_is_missing(store, tmp_path):
    from types import SimpleNamespace

    from surveillance.errors import SurveillanceError

    def config(path):
        return SimpleNamespace(database=SimpleNamespace(snapshot_path=path))

    with pytest.raises(SurveillanceError, match="sets no database.snapshot_path"):
        open_snapshot(config(None))
    with pytest.raises(SurveillanceError, match="no snapshot at .*later.duckdb yet"):
        open_snapshot(config(tmp_path / "later.duckdb"))
    target = refresh_snapshot(store, tmp_path / "later.duckdb")
    with open_snapshot(config(target)) as snap:
        assert snap.con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0
