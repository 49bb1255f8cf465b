"""Scans of long tables and of CSV files (``surveillance scan-file``).

COUNTS: ``region,date,count[,expected][,syndrome][,age_group]``, one row per region and day
(and syndrome and age group when those columns are there: each combination is scanned on
its own). A region-day without a row has no cases (and nothing expected).
REGIONS: ``region,lat,lon[,population]``, the centroid of every region in degrees.

The study period is the last ``study_days`` days ending on the newest date in COUNTS, or on
``end_date`` when given (a backtest: "what would the scan have said that day?"); rows after
it are ignored. Errors name the file, the row (1-based, the header is row 1) and the field.
The JSON output is written to a temporary name and renamed, so it is never half-written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import FileRejected, SurveillanceError, UnknownName
from ..detectors.files import read_csv_table, write_atomically
from .params import METHODS, SCHEMAS
from .result import ScanResult
from .scan import scan

GROUP_COLUMNS = ("syndrome", "age_group")


def scan_table(
    counts: pd.DataFrame,
    regions: pd.DataFrame,
    method: str = "permutation",
    params: Mapping[str, Any] | None = None,
    *,
    end_date=None,
) -> list[ScanResult]:
    """Scan a long table of daily counts, once per syndrome x age group present.

    ``counts`` has ``region, date, count`` (and ``expected`` for the poisson method, and
    optionally ``syndrome``, ``age_group``); ``regions`` has ``region, lat, lon`` (and
    optionally ``population``). Regions in ``counts`` must all be in ``regions``.
    """
    return _scan_frames(counts, regions, method, params, end_date, "counts", "regions")


def scan_file(
    counts_path: str | os.PathLike,
    regions_path: str | os.PathLike,
    output_path: str | os.PathLike,
    method: str,
    params: Mapping[str, str] | None = None,
) -> dict:
    """Scan the COUNTS CSV with the REGIONS CSV and write the clusters to ``output_path`` (JSON).

    ``params`` are strings as from the command line (``--param key=value``), checked against
    ``params.SCHEMAS[method]``; ``end_date=YYYY-MM-DD`` is accepted besides them. Returns the
    document written.
    """
    counts_path, regions_path, output_path = Path(counts_path), Path(regions_path), Path(output_path)
    if method not in METHODS:
        raise UnknownName(f"unknown scan method {method!r}; valid methods: {', '.join(METHODS)}")
    params = dict(params or {})
    end_date = params.pop("end_date", None)
    if end_date is not None:
        end = pd.to_datetime(str(end_date).strip(), errors="coerce", format="ISO8601")
        if pd.isna(end):
            raise SurveillanceError(f"{method} scan: parameter 'end_date' must be a date YYYY-MM-DD, got {end_date}")
        end_date = end
    validated = SCHEMAS[method].validate(params)  # before reading files: a typo fails fast
    counts = _read(counts_path, ("region", "date", "count"), "region,date,count[,expected]")
    regions = _read(regions_path, ("region", "lat", "lon"), "region,lat,lon[,population]")
    results = _scan_frames(counts, regions, method, validated, end_date, str(counts_path), str(regions_path))
    document = {
        "method": method,
        "parameters": dict(validated),
        "counts_file": str(counts_path),
        "regions_file": str(regions_path),
        "end_date": None if end_date is None else end_date.strftime("%Y-%m-%d"),
        "scans": [],
        "clusters": [],
    }
    for result in results:
        summary = result.to_dict()
        clusters = summary.pop("clusters")
        summary["n_clusters"] = len(clusters)
        document["scans"].append(summary)
        document["clusters"].extend(clusters)
    _write_json(document, output_path)
    return document


# --- reading and checking --------------------------------------------------------------


def _read(path: Path, required: tuple[str, ...], shape: str) -> pd.DataFrame:
    return read_csv_table(path, required, shape)


def _row(i: int) -> int:
    return i + 2  # 1-based with the header as row 1


def _text(table: pd.DataFrame, column: str) -> pd.Series:
    return table[column].astype(str).str.strip()


def _numbers(name: str, table: pd.DataFrame, column: str, *, low=None, high=None, whole=False,
             allow_empty=False) -> np.ndarray:
    text = _text(table, column)
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) if not allow_empty else (text != "") & ~np.isfinite(values)
    what = "a number"
    if low is not None:
        bad |= values < low
        what = "a non-negative number" if low == 0 else f"a number >= {low}"
    if high is not None:
        bad |= values > high
        what = f"a number in [{low}, {high}]"
    if whole:
        bad |= np.isfinite(values) & (values != np.round(values))
        what = "a whole non-negative number"
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = table[column].iloc[i]
        raise FileRejected(f"{name}: row {_row(i)}, field '{column}': "
                           f"{'empty' if str(shown).strip() == '' else repr(shown)} is not {what}")
    return values


def _check_ids(name: str, table: pd.DataFrame, column: str) -> pd.Series:
    ids = _text(table, column)
    empty = ids == ""
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise FileRejected(f"{name}: row {_row(i)}, field '{column}': empty")
    return ids


def _parse_regions(regions: pd.DataFrame, name: str):
    regions = regions.reset_index(drop=True).copy()
    regions.columns = [str(c).strip().lower() for c in regions.columns]
    missing = [c for c in ("region", "lat", "lon") if c not in regions.columns]
    if missing:
        raise FileRejected(f"{name}: missing column(s) {', '.join(missing)}; expected region,lat,lon[,population]")
    if len(regions) == 0:
        raise FileRejected(f"{name}: no regions")
    ids = _check_ids(name, regions, "region")
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise FileRejected(f"{name}: row {_row(i)}: region {ids.iloc[i]!r} appears more than once")
    lat = _numbers(name, regions, "lat", low=-90, high=90)
    lon = _numbers(name, regions, "lon", low=-180, high=180)
    population = None
    if "population" in regions.columns:
        population = _numbers(name, regions, "population", low=0)
    return ids.to_numpy(dtype=object), lat, lon, population


def _scan_frames(counts, regions, method, params, end_date, counts_name, regions_name) -> list[ScanResult]:
    if method not in METHODS:
        raise UnknownName(f"unknown scan method {method!r}; valid methods: {', '.join(METHODS)}")
    p = SCHEMAS[method].validate(params)
    region_ids, lat, lon, population = _parse_regions(regions, regions_name)
    counts = counts.reset_index(drop=True).copy()
    counts.columns = [str(c).strip().lower() for c in counts.columns]
    missing = [c for c in ("region", "date", "count") if c not in counts.columns]
    if missing:
        raise FileRejected(f"{counts_name}: missing column(s) {', '.join(missing)}; "
                           f"expected region,date,count[,expected]")
    if method == "poisson" and "expected" not in counts.columns:
        raise FileRejected(f"{counts_name}: the poisson scan needs an 'expected' column (a baseline: e.g. a "
                           f"temporal detector's expected counts)")
    if len(counts) == 0:
        raise FileRejected(f"{counts_name}: no rows")
    ids = _check_ids(counts_name, counts, "region")
    position = pd.Index(region_ids).get_indexer(ids)
    unknown = position < 0
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise FileRejected(f"{counts_name}: row {_row(i)}, field 'region': {ids.iloc[i]!r} is not in {regions_name}")
    dates = pd.to_datetime(_text(counts, "date"), errors="coerce", format="ISO8601")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna())[0])
        raise FileRejected(f"{counts_name}: row {_row(i)}, field 'date': {counts['date'].iloc[i]!r} is not a date "
                           f"(expected YYYY-MM-DD)")
    dates = dates.dt.normalize()
    values = _numbers(counts_name, counts, "count", low=0, whole=True)
    expected = _numbers(counts_name, counts, "expected", low=0, allow_empty=True) if method == "poisson" else None
    group_columns = [c for c in GROUP_COLUMNS if c in counts.columns]
    groups = (counts[group_columns].astype(str).apply(lambda s: s.str.strip())
              if group_columns else pd.DataFrame(index=counts.index))
    keys = pd.concat([ids.rename("_region"), dates.rename("_date"), groups], axis=1)
    dup = keys.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        extra = "".join(f", {c} {groups[c].iloc[i]!r}" for c in group_columns)
        raise FileRejected(f"{counts_name}: row {_row(i)}: region {ids.iloc[i]!r} has date "
                           f"{dates.iloc[i].date()}{extra} more than once")

    end = pd.Timestamp(end_date).normalize() if end_date is not None else dates.max()
    start = max(end - pd.Timedelta(days=p["study_days"] - 1), dates.min())
    if start > end:
        raise SurveillanceError(f"{counts_name}: no rows on or before the end date {end.date()}")
    grid = pd.date_range(start, end, freq="D")
    inside = ((dates >= grid[0]) & (dates <= end)).to_numpy()
    if not inside.any():
        raise SurveillanceError(f"{counts_name}: no rows in the study period {grid[0].date()} to {end.date()}")
    day = (dates - grid[0]).dt.days.to_numpy()
    if group_columns:
        labels = groups.loc[inside].drop_duplicates().sort_values(group_columns).to_numpy().tolist()
    else:
        labels = [[]]
    results = []
    for label in labels:
        rows = inside.copy()
        for column, value in zip(group_columns, label):
            rows &= (groups[column] == value).to_numpy()
        table = np.zeros((len(region_ids), len(grid)))
        table[position[rows], day[rows]] = values[rows]
        baseline = None
        if expected is not None:
            if np.isnan(expected[rows]).any():
                i = int(np.flatnonzero(rows & np.isnan(expected))[0])
                raise FileRejected(f"{counts_name}: row {_row(i)}, field 'expected': empty")
            baseline = np.zeros_like(table)
            baseline[position[rows], day[rows]] = expected[rows]
        results.append(scan(table, lat, lon, method=method, expected=baseline, population=population, dates=grid,
                            regions=region_ids, params=p, group=dict(zip(group_columns, label))))
    return results


def _write_json(document: dict, path: Path) -> None:
    def write(handle) -> None:
        json.dump(document, handle, indent=2, default=_json_default)
        handle.write("\n")

    write_atomically(path, write)


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.strftime("%Y-%m-%d")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
