"""The store's Parquet export for the Dask engine: its layout, incremental re-export, and a province read
back as an in-memory store equal to the store's rows of that province."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from surveillance.cli import app
from surveillance.store import open_store
from surveillance.store.dataset import dataset_provinces, open_province, province_files
from surveillance.store.export import MANIFEST, export_dataset, partition_path
from surveillance.synthetic.demo import build_demo

END = date(2026, 11, 20)
PART = re.compile(r"^province=(\d{6})/month=(\d{4}-\d{2})/part-0\.parquet$")


@pytest.fixture(scope="module")
def national_demo(tmp_path_factory) -> Path:
    """A small country of two provinces (two cities, twelve counties, one reporting unit each)."""
    folder = tmp_path_factory.mktemp("national") / "demo"
    build_demo(folder / "surveillance.duckdb", scale="national", days=60, end=END,
               geography_options={"n_counties": 12, "n_cities": 2})
    return folder


@pytest.fixture
def store(national_demo, tmp_path):
    shutil.copytree(national_demo, tmp_path / "demo")
    with open_store(tmp_path / "demo" / "surveillance.duckdb") as opened:
        yield opened


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each partition file (relative path) with its inode and modification time."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.glob("province=*/month=*/*")}


def test_observations_are_partitioned_by_province_and_month(store, tmp_path):
    folder = tmp_path / "export"
    summary = export_dataset(store.con, folder)
    files = sorted(_files(folder))
    assert files and all(PART.match(f) for f in files)
    months = {f"{d:%Y-%m}" for (d,) in store.con.execute("SELECT DISTINCT date FROM observations").fetchall()}
    provinces = {p for (p,) in store.con.execute("SELECT DISTINCT province FROM unit_regions").fetchall()}
    assert len(provinces) == 2
    assert {PART.match(f).groups() for f in files} == {(p, m) for p in provinces for m in months}
    assert sorted(summary["written"]) == sorted(f.rsplit("/", 1)[0] for f in files) and summary["kept"] == 0
    for table in ("regions", "units", "region_neighbours", "alert_episodes", "alert_evidence"):
        assert (folder / f"{table}.parquet").exists()
    assert dataset_provinces(folder) == sorted(provinces)
    rows = sum(len(pd.read_parquet(folder / f)) for f in files)
    assert rows == store.con.execute("SELECT count(*) FROM observations").fetchone()[0]  # every revision


def test_a_reexport_rewrites_only_the_partitions_that_changed(store, tmp_path):
    folder = tmp_path / "export"
    export_dataset(store.con, folder)
    before = _files(folder)
    unit, day, province = store.con.execute(
        "SELECT o.unit, max(o.date), ur.province FROM observations o JOIN unit_regions ur ON ur.unit = o.unit"
        " GROUP BY ALL ORDER BY o.unit LIMIT 1").fetchone()
    changed = partition_path(province, f"{day:%Y-%m}")
    # a late correction of one count: a new revision, received days later
    store.con.execute("""
        INSERT INTO observations SELECT date, unit, syndrome, age_group, count + 5, total, revision + 1, source,
               batch_id, received_at + INTERVAL 3 DAY
        FROM observations WHERE unit = ? AND date = ? AND syndrome = 'fever' ORDER BY revision DESC LIMIT 1""",
                      [unit, day])
    summary = export_dataset(store.con, folder)
    after = _files(folder)
    assert summary["written"] == [changed] and summary["kept"] == len(before) - 1
    assert {f for f in after if after[f] != before[f]} == {f"{changed}/part-0.parquet"}
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".staging")]
    rows = pd.read_parquet(folder / changed / "part-0.parquet")
    assert len(rows) == store.con.execute("SELECT count(*) FROM observations WHERE unit IN "
                                          "(SELECT unit FROM unit_regions WHERE province = ?)"
                                          " AND strftime(date, '%Y-%m') = ?", [province, f"{day:%Y-%m}"]).fetchone()[0]
    assert export_dataset(store.con, folder)["written"] == []  # nothing changed since


def test_a_partition_whose_file_went_missing_is_written_again(store, tmp_path):
    folder = tmp_path / "export"
    export_dataset(store.con, folder)
    lost = sorted(_files(folder))[0]
    (folder / lost).unlink()
    assert export_dataset(store.con, folder)["written"] == [lost.rsplit("/", 1)[0]]


def test_a_province_read_back_equals_the_stores_rows_of_that_province(store, tmp_path):
    folder = tmp_path / "export"
    export_dataset(store.con, folder)
    for province in dataset_provinces(folder):
        con = open_province(folder, province)
        stored = store.con.execute(
            "SELECT o.* FROM observations o JOIN unit_regions ur ON ur.unit = o.unit WHERE ur.province = ?"
            " ORDER BY ALL", [province]).df()
        read = con.execute("SELECT * FROM observations ORDER BY ALL").df()
        pd.testing.assert_frame_equal(read, stored)
        for view in ("unit_regions", "observations_latest"):
            mine = store.con.execute(f"SELECT v.* FROM {view} v JOIN unit_regions ur ON ur.unit = v.unit"
                                     " WHERE ur.province = ? ORDER BY ALL", [province]).df()
            pd.testing.assert_frame_equal(con.execute(f"SELECT * FROM {view} ORDER BY ALL").df(), mine)
        regions = store.con.execute("SELECT * EXCLUDE (boundary_geojson) FROM regions WHERE code = ?"
                                    " OR code LIKE ? ORDER BY code", [province, province[:2] + "%"]).df()
        pd.testing.assert_frame_equal(con.execute("SELECT * EXCLUDE (boundary_geojson) FROM regions"
                                                  " ORDER BY code").df(), regions)
        con.close()


def test_a_province_reads_only_the_months_asked_for(store, tmp_path):
    folder = tmp_path / "export"
    export_dataset(store.con, folder)
    province = dataset_provinces(folder)[0]
    since = date(2026, 11, 5)
    assert [Path(f).parent.name for f in province_files(folder, province, since)] == ["month=2026-11"]
    con = open_province(folder, province, since)
    first = con.execute("SELECT min(date) FROM observations").fetchone()[0]
    assert first == date(2026, 11, 1)


def test_export_parquet_command_writes_the_configured_dataset(national_demo, tmp_path):
    shutil.copytree(national_demo, tmp_path / "demo")
    config = tmp_path / "demo" / "surveillance.toml"
    result = CliRunner().invoke(app, ["export-parquet", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "surveillance.parquet" / MANIFEST).exists()
    assert "0 up to date" in result.output
    again = CliRunner().invoke(app, ["export-parquet", "--config", str(config), "--dataset",
                                     str(tmp_path / "elsewhere")])
    assert again.exit_code == 0 and (tmp_path / "elsewhere" / "units.parquet").exists()


def test_a_partition_the_store_no_longer_has_is_removed(store, tmp_path):
    folder = tmp_path / "export"
    export_dataset(store.con, folder)
    stale = folder / partition_path("120000", "2019-01")  # e.g. left by an export of another store
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"old")
    summary = export_dataset(store.con, folder)
    assert summary["removed"] == ["province=120000/month=2019-01"] and not stale.exists()
