"""One province of the Parquet export (surveillance.store.export) as an in-memory store.

A worker of the detect job's Dask engine opens, for the province it judges, an in-memory DuckDB with the
store's schema, filled from that province's partitions (only the months from ``since``) and its part of
the small tables. The store's own functions and the detect job then run on it unchanged, and nothing on the
worker opens the database file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ..errors import SurveillanceError
from .export import OBSERVATION_COLUMNS, partition_path
from .migrate import migrate


def dataset_provinces(folder: str | Path) -> list[str]:
    """The partition keys of the units the export holds (a province each, usually), sorted."""
    path = _table(folder, "units")
    return [r[0] for r in duckdb.execute(
        "SELECT DISTINCT province FROM read_parquet(?) ORDER BY province", [path]).fetchall()]


def province_files(folder: str | Path, province: str, since: date | None = None) -> list[str]:
    """The observation files of ``province``'s months from ``since``'s month on (all for None), by month."""
    folder = Path(folder)
    first = None if since is None else f"{since:%Y-%m}"
    months = sorted(p for p in (folder / partition_path(province, "x")).parent.glob("month=*") if p.is_dir())
    return [str(f) for m in months if first is None or m.name.split("=", 1)[1] >= first
            for f in sorted(m.glob("part-*.parquet"))]


def open_province(folder: str | Path, province: str, since: date | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory store of ``province``: its region subtree, units, neighbour pairs, the confirmed outbreaks'
    evidence (all of it: a few rows), and its observations of the days from ``since``'s month on."""
    folder = Path(folder)
    con = duckdb.connect(":memory:")
    migrate(con)
    con.execute("""
        INSERT INTO regions BY NAME
        WITH RECURSIVE subtree(code) AS (
            SELECT ?::VARCHAR
            UNION SELECT r.code FROM read_parquet(?) r JOIN subtree s ON r.parent = s.code
        )
        SELECT r.* FROM read_parquet(?) r JOIN subtree USING (code)""",
                [province, _table(folder, "regions"), _table(folder, "regions")])
    con.execute("INSERT INTO units BY NAME SELECT * EXCLUDE (province) FROM read_parquet(?) WHERE province = ?",
                [_table(folder, "units"), province])
    for table in ("region_neighbours", "alert_episodes", "alert_evidence"):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [_table(folder, table)])
    files = province_files(folder, province, since)
    if files:
        columns = ", ".join(OBSERVATION_COLUMNS)
        con.execute(f"INSERT INTO observations ({columns}) SELECT {columns}"
                    " FROM read_parquet(?, hive_partitioning = false)", [files])
    return con


def _table(folder: str | Path, name: str) -> str:
    path = Path(folder) / f"{name}.parquet"
    if not path.exists():
        raise SurveillanceError(f"{path}: not found; export the store first (surveillance export-parquet)")
    return str(path)
