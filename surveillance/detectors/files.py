"""``detect-file``: run one detector over a long CSV and write one result row per input row.

Input: a CSV with columns ``series,date,count[,total]`` (any order, other columns
ignored). Output: ``series,date,count,expected,upperbound,score,pvalue,alarm,status``,
one row per input row and in input order; a row whose count is empty gets status
``missing``.

The data frequency is ``daily`` or ``weekly``, or ``auto``: inferred from the spacing of
the dates (1 day apart → daily, multiples of 7 days → weekly). The date grid runs from
the earliest to the latest date of the file; dates a series lacks are missing values.

Errors name the file, the row (1-based, counting the header as row 1) and the field. The
output file is written to a temporary name and renamed, so it is never half-written.
"""

from __future__ import annotations

import math
import os
import tempfile
from functools import reduce
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import FileRejected, SurveillanceError
from ..panel import Panel
from .registry import detect

REQUIRED = ("series", "date", "count")
OUTPUT_COLUMNS = ("series", "date", "count", "expected", "upperbound", "score", "pvalue", "alarm", "status")
FREQ_STEP = {"daily": 1, "weekly": 7}


def detect_file(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    method: str,
    params: Mapping[str, str] | None = None,
    freq: str = "auto",
) -> pd.DataFrame:
    """Run detector ``method`` with ``params`` (strings as from the command line) over the
    long CSV at ``input_path`` and write the results to ``output_path``; returns them too."""
    input_path, output_path = Path(input_path), Path(output_path)
    if freq not in ("auto", *FREQ_STEP):
        raise SurveillanceError(f"freq must be one of auto, daily, weekly, not {freq!r}")
    table = read_csv_table(input_path, REQUIRED, "series,date,count[,total]")
    dates, counts, totals = _parse(table, input_path)
    freq = _infer_freq(input_path, table["series"], dates) if freq == "auto" else freq
    panel, row_series, row_time = _panel(input_path, table["series"], dates, counts, totals, freq)
    result = detect(method, panel, **dict(params or {}))

    labels = result.status_labels()
    out = pd.DataFrame({
        "series": table["series"].to_numpy(),
        "date": dates.dt.strftime("%Y-%m-%d").to_numpy(),
        "count": counts,
        "expected": result.expected[row_series, row_time],
        "upperbound": result.upperbound[row_series, row_time],
        "score": result.score[row_series, row_time],
        "pvalue": result.pvalue[row_series, row_time],
        "alarm": result.alarm[row_series, row_time],
        "status": labels[row_series, row_time],
    }, columns=list(OUTPUT_COLUMNS))
    _write_atomically(out, output_path)
    return out


def read_csv_table(path: Path, required: tuple[str, ...], shape: str) -> pd.DataFrame:
    """A CSV file as text columns with lower-case names, refused with one line when it cannot be read or
    lacks a column of ``required`` (``shape`` tells the expected columns)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise FileRejected(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FileRejected(f"{path}: not a readable CSV file ({exc.__class__.__name__}: {exc})") from None
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise FileRejected(f"{path}: missing column(s) {', '.join(missing)}; expected {shape}")
    return table


def write_atomically(path: Path, write: Callable, *, newline: str | None = None) -> None:
    """``write(handle)`` into a temporary file beside ``path``, then put it in place: a reader never sees
    half a file, and a failure leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline=newline) as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _row(i: int) -> int:
    return i + 2  # 1-based with the header as row 1


def _numbers(path: Path, table: pd.DataFrame, column: str) -> np.ndarray:
    text = table[column].str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    bad = (text != "") & ~np.isfinite(values)
    bad |= values < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FileRejected(f"{path}: row {_row(i)}, field '{column}': {table[column].iloc[i]!r} is not a "
                           f"non-negative number")
    return values


def _parse(table: pd.DataFrame, path: Path):
    if (table["series"].str.strip() == "").any():
        i = int(np.flatnonzero(table["series"].str.strip() == "")[0])
        raise FileRejected(f"{path}: row {_row(i)}, field 'series': empty")
    dates = pd.to_datetime(table["date"].str.strip(), errors="coerce", format="ISO8601")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna())[0])
        raise FileRejected(f"{path}: row {_row(i)}, field 'date': {table['date'].iloc[i]!r} is not a date "
                           f"(expected YYYY-MM-DD)")
    dates = dates.dt.normalize()
    counts = _numbers(path, table, "count")
    totals = _numbers(path, table, "total") if "total" in table.columns else None
    duplicated = pd.DataFrame({"s": table["series"], "d": dates}).duplicated()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        raise FileRejected(f"{path}: row {_row(i)}: series {table['series'].iloc[i]!r} has date "
                           f"{dates.iloc[i].date()} more than once")
    return dates, counts, totals


def _infer_freq(path: Path, series: pd.Series, dates: pd.Series) -> str:
    days = (dates - dates.min()).dt.days.to_numpy()
    frame = pd.DataFrame({"s": series.to_numpy(), "d": days}).sort_values(["s", "d"])
    steps = np.diff(frame["d"].to_numpy())[frame["s"].to_numpy()[1:] == frame["s"].to_numpy()[:-1]]
    steps = steps[steps > 0]
    if len(steps) == 0:
        # One date per series: any grid will do; a single date is judged the same either way.
        return "weekly" if len(np.unique(days % 7)) == 1 and len(np.unique(days)) > 1 else "daily"
    step = reduce(math.gcd, steps.tolist())
    if step == 1:
        return "daily"
    if step % 7 == 0 and len(np.unique(days % 7)) == 1:
        return "weekly"
    raise FileRejected(f"{path}: cannot tell the frequency from the dates (they are {step} days apart); "
                       f"give freq daily or weekly")


def _panel(path, series, dates, counts, totals, freq):
    step = FREQ_STEP[freq]
    start = dates.min()
    offset = (dates - start).dt.days.to_numpy()
    off_grid = offset % step != 0
    if off_grid.any():
        i = int(np.flatnonzero(off_grid)[0])
        raise FileRejected(f"{path}: row {_row(i)}, field 'date': {dates.iloc[i].date()} is not on the weekly "
                           f"grid starting {start.date()} (all dates of a weekly file share one weekday)")
    row_time = offset // step
    n_time = int(row_time.max()) + 1
    row_series, keys = pd.factorize(series, sort=True)
    grid = pd.DatetimeIndex(start + pd.to_timedelta(np.arange(n_time) * step, unit="D"))

    def scatter(values):
        out = np.full((len(keys), n_time), np.nan)
        out[row_series, row_time] = values
        return out

    panel = Panel(
        counts=scatter(counts),
        dates=grid,
        keys=pd.DataFrame({"series": np.asarray(keys, dtype=object)}),
        totals=None if totals is None else scatter(totals),
        freq=freq,
    )
    return panel, row_series, row_time


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    write_atomically(path, lambda handle: frame.to_csv(handle, index=False, float_format="%.10g"), newline="")
