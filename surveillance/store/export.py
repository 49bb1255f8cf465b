"""The store as a Parquet dataset, for the detect job's workers on a Dask cluster (surveillance.engine).

``observations`` (every revision, with its ``received_at``) is hive-partitioned by province and month
of the data day: ``province=320000/month=2026-11/part-0.parquet``. A unit's "province" is the top of its
branch of the hierarchy (its province; the county itself when the county has no parent), so that every
region a worker judges has all its units in one partition key. Beside them, the small tables the judging
reads: ``regions``, ``units`` (with that key), ``region_neighbours``, and the alerts closed as confirmed
outbreaks with their evidence (left out of later baselines).

A re-export rewrites only the partitions whose rows changed: each partition's fingerprint (rows, newest
``received_at``, and a hash of its keys, revisions and counts) is kept in ``_export.json`` and compared.
Every file is written under a temporary name and renamed into place, so a worker reading meanwhile sees a
partition as it was or as it is, never half written. The small tables are rewritten every time.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

OBSERVATION_COLUMNS = ("date", "unit", "syndrome", "age_group", "count", "total", "revision", "source", "batch_id",
                       "received_at")
MANIFEST = "_export.json"
NO_PROVINCE = "none"  # observations of units the reference does not know (they are never judged)
# Each unit's partition key: the top region above it.
UNIT_PROVINCE = f"coalesce(ur.province, ur.city, ur.county, '{NO_PROVINCE}')"
SMALL_TABLES = {
    "regions": "SELECT * EXCLUDE (boundary_geojson) FROM regions ORDER BY code",
    "units": f"SELECT u.*, {UNIT_PROVINCE} AS province FROM units u JOIN unit_regions ur ON ur.unit = u.code"
             " ORDER BY u.code",
    "region_neighbours": "SELECT * FROM region_neighbours ORDER BY ALL",
    "alert_episodes": "SELECT * FROM alert_episodes WHERE outcome = 'confirmed_outbreak' AND kind = 'outbreak'"
                      " ORDER BY episode_id",
    "alert_evidence": "SELECT v.* FROM alert_evidence v JOIN alert_episodes e USING (episode_id)"
                      " WHERE e.outcome = 'confirmed_outbreak' AND e.kind = 'outbreak' ORDER BY ALL",
}
_PARTITIONED = f"""
    SELECT {', '.join('o.' + c for c in OBSERVATION_COLUMNS)}, {UNIT_PROVINCE} AS province,
           strftime(o.date, '%Y-%m') AS month
    FROM observations o LEFT JOIN unit_regions ur ON ur.unit = o.unit"""


def partition_path(province: str, month: str) -> str:
    """A partition's folder inside the dataset."""
    return f"province={province}/month={month}"


def fingerprints(con) -> dict[str, list]:
    """Per partition folder: ``[rows, newest received_at, hash of its rows]``, as the store holds them now."""
    rows = con.execute(f"""
        SELECT province, month, count(*), max(received_at)::VARCHAR,
               sum(hash(date, unit, syndrome, age_group, revision, count, total, received_at))::VARCHAR
        FROM ({_PARTITIONED}) GROUP BY province, month""").fetchall()
    return {partition_path(p, m): [n, newest, digest] for p, m, n, newest, digest in rows}


def export_dataset(con, folder: str | Path) -> dict:
    """Write (or bring up to date) the dataset at ``folder``. Returns ``written`` and ``removed`` (partition
    folders), ``kept`` (how many were up to date) and ``tables`` (the small tables written)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    before = _read_manifest(folder)
    cur = con.cursor()
    cur.begin()  # one snapshot of the store: a batch ingested meanwhile is in the next export, whole
    try:
        now = fingerprints(cur)
        changed = sorted(p for p, print_ in now.items()
                         if before.get(p) != print_ or not any((folder / p).glob("part-*.parquet")))
        on_disk = {p.relative_to(folder).as_posix() for p in folder.glob("province=*/month=*") if p.is_dir()}
        removed = sorted((set(before) | on_disk) - set(now))  # months or provinces the store no longer has
        if changed:
            _write_partitions(cur, folder, changed)
        for path in removed:
            shutil.rmtree(folder / path, ignore_errors=True)
        for name, sql in SMALL_TABLES.items():
            _copy_atomic(cur, sql, folder / f"{name}.parquet")
    finally:
        cur.rollback()  # it only read
        cur.close()
    _write_json_atomic(folder / MANIFEST, now)
    return {"written": changed, "removed": removed, "kept": len(now) - len(changed), "tables": sorted(SMALL_TABLES)}


def _write_partitions(con, folder: Path, partitions: list[str]) -> None:
    """The ``partitions`` in one pass over the store, into a staging folder, then each renamed into place."""
    staging = folder / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    wanted = pd.DataFrame([dict(part.split("=", 1) for part in p.split("/")) for p in partitions])
    con.register("export_partitions", wanted)
    try:
        con.execute(f"""
            COPY (SELECT * FROM ({_PARTITIONED}) x WHERE EXISTS (SELECT 1 FROM export_partitions w
                      WHERE w.province = x.province AND w.month = x.month)
                  ORDER BY date, unit, syndrome, age_group, revision)
            TO '{_sql_path(staging)}' (FORMAT parquet, PARTITION_BY (province, month))""")
    finally:
        con.unregister("export_partitions")
    try:
        for path in partitions:
            target = folder / path
            target.mkdir(parents=True, exist_ok=True)
            files = sorted((staging / path).glob("*.parquet"))
            for i, file in enumerate(files):
                os.replace(file, target / f"part-{i}.parquet")
            for stale in target.glob("part-*.parquet"):  # a partition that shrank to fewer files
                if int(stale.stem.split("-")[1]) >= len(files):
                    stale.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy_atomic(con, sql: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    con.execute(f"COPY ({sql}) TO '{_sql_path(tmp)}' (FORMAT parquet)")
    os.replace(tmp, path)


def _write_json_atomic(path: Path, value) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}  # no export yet (or a broken manifest): every partition is written


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal's content (COPY ... TO takes no parameter)."""
    return str(path).replace("'", "''")
