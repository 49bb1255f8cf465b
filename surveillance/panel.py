"""Long table <-> panel: the one place counts change shape.

Outside the detectors data is a long table (one row per series and date); inside they
are arrays ``counts[n_series, n_time]`` on a regular date grid, NaN where a series has
no value. ``keys`` says which series each row is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import SurveillanceError

FREQUENCIES = {"daily": "D", "weekly": "W-MON"}


@dataclass(frozen=True)
class Panel:
    counts: np.ndarray  # float64 [n_series, n_time]; NaN = missing
    dates: pd.DatetimeIndex  # n_time, regular: daily, or weekly on Mondays
    keys: pd.DataFrame  # n_series rows, one column per key part (e.g. region, syndrome)
    totals: np.ndarray | None = None  # all visits, same shape as counts
    freq: str = "daily"
    attrs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_series, n_time = self.counts.shape
        if len(self.dates) != n_time:
            raise ValueError(f"panel has {n_time} time points but {len(self.dates)} dates")
        if len(self.keys) != n_series:
            raise ValueError(f"panel has {n_series} series but {len(self.keys)} keys")
        if self.totals is not None and self.totals.shape != self.counts.shape:
            raise ValueError(f"totals shape {self.totals.shape} differs from counts {self.counts.shape}")
        if self.freq not in FREQUENCIES:
            raise ValueError(f"freq must be one of {', '.join(FREQUENCIES)}, not {self.freq!r}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape

    @property
    def key_columns(self) -> list[str]:
        return list(self.keys.columns)

    def select(self, mask: np.ndarray) -> "Panel":
        """The series where ``mask`` (boolean over series) is true."""
        return Panel(
            counts=self.counts[mask],
            dates=self.dates,
            keys=self.keys[mask].reset_index(drop=True),
            totals=None if self.totals is None else self.totals[mask],
            freq=self.freq,
            attrs=dict(self.attrs),
        )


def date_grid(start, end, freq: str = "daily") -> pd.DatetimeIndex:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if freq == "weekly":
        start = start - pd.Timedelta(days=start.day_of_week)
    return pd.date_range(start, end, freq=FREQUENCIES[freq])


def panel_from_long(
    long: pd.DataFrame,
    key_columns: list[str] | tuple[str, ...],
    *,
    freq: str = "daily",
    start=None,
    end=None,
    count_column: str = "count",
    total_column: str | None = "total",
    date_column: str = "date",
) -> Panel:
    """Pivot a long table into a panel.

    Dates not on the grid (a weekly panel expects Mondays) are an error, not silently
    moved; repeated (series, date) rows are summed, as aggregation up a hierarchy needs.
    """
    key_columns = list(key_columns)
    missing = [c for c in [*key_columns, date_column, count_column] if c not in long.columns]
    if missing:
        raise SurveillanceError(f"long table lacks column(s) {', '.join(missing)}")
    dates = pd.to_datetime(long[date_column]).dt.normalize()
    if start is None:
        start = dates.min() if len(dates) else end
    if end is None:
        end = dates.max() if len(dates) else start
    grid = date_grid(start, end, freq) if start is not None else pd.DatetimeIndex([])

    if len(long):
        keys_index = pd.MultiIndex.from_frame(long[key_columns].astype(str))
        series_codes, uniques = pd.factorize(keys_index, sort=True)
        keys = uniques.to_frame(index=False, name=key_columns)
    else:
        series_codes = np.zeros(0, dtype=np.int64)
        keys = pd.DataFrame({c: pd.Series(dtype=str) for c in key_columns})
    time_codes = grid.get_indexer(dates)
    outside = time_codes < 0
    if outside.any():
        in_range = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
        if (outside & np.asarray(in_range)).any():
            bad = dates[outside & np.asarray(in_range)].iloc[0]
            raise SurveillanceError(f"date {bad.date()} is not on the {freq} grid of the panel")
    keep = ~outside
    shape = (len(keys), len(grid))

    def scatter(values: pd.Series) -> np.ndarray:
        out = np.full(shape, np.nan)
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[keep]
        s, t = series_codes[keep], time_codes[keep]
        seen = ~np.isnan(v)
        filled = np.zeros(shape)
        present = np.zeros(shape, dtype=bool)
        np.add.at(filled, (s[seen], t[seen]), v[seen])
        present[s[seen], t[seen]] = True
        out[present] = filled[present]
        return out

    counts = scatter(long[count_column])
    totals = None
    if total_column is not None and total_column in long.columns:
        totals = scatter(long[total_column])
    return Panel(counts=counts, dates=grid, keys=keys, totals=totals, freq=freq)


def panel_to_long(panel: Panel, arrays: dict[str, np.ndarray] | None = None, *, dropna: bool = False) -> pd.DataFrame:
    """Flatten a panel (and arrays of its shape, e.g. a detector's results) to a long table."""
    n_series, n_time = panel.shape
    out = panel.keys.loc[np.repeat(np.arange(n_series), n_time)].reset_index(drop=True)
    out["date"] = np.tile(panel.dates.values, n_series)
    out["count"] = panel.counts.ravel()
    if panel.totals is not None:
        out["total"] = panel.totals.ravel()
    for name, values in (arrays or {}).items():
        values = np.asarray(values)
        if values.shape != panel.shape:
            raise ValueError(f"array {name!r} has shape {values.shape}, panel has {panel.shape}")
        out[name] = values.ravel()
    if dropna:
        out = out[~np.isnan(out["count"].to_numpy())].reset_index(drop=True)
    return out


def to_weekly(panel: Panel) -> Panel:
    """Sum a daily panel into ISO weeks starting Monday; a week with any missing day is missing."""
    if panel.freq == "weekly":
        return panel
    week_start = panel.dates - pd.to_timedelta(panel.dates.day_of_week, unit="D")
    grid = pd.DatetimeIndex(week_start.unique())
    codes = grid.get_indexer(week_start)

    def weekly(values: np.ndarray) -> np.ndarray:
        sums = np.zeros((values.shape[0], len(grid)))
        days = np.zeros(len(grid))
        missing = np.zeros((values.shape[0], len(grid)), dtype=bool)
        np.add.at(days, codes, 1)
        for j in range(len(grid)):
            block = values[:, codes == j]
            sums[:, j] = np.nansum(block, axis=1)
            missing[:, j] = np.isnan(block).any(axis=1)
        sums[:, days < 7] = np.nan  # partial weeks at the ends cannot be judged as weeks
        sums[missing] = np.nan
        return sums

    return Panel(
        counts=weekly(panel.counts),
        dates=grid,
        keys=panel.keys,
        totals=None if panel.totals is None else weekly(panel.totals),
        freq="weekly",
        attrs=dict(panel.attrs),
    )
