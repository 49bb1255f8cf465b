"""Which past points a Farrington fit uses: the reference design and the same point in past years.

Ports of R ``surveillance``'s ``blocks()``, ``algo.farrington.data.glm`` and
``algo.farrington.referencetimepoints`` (1.20.3); see ``farrington`` for the method.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .glm import LevelDesign


def _r_seq(a: int, b: int) -> range:
    """R's ``a:b``, which counts down when ``a > b``."""
    return range(a, b + 1) if a <= b else range(a, b - 1, -1)


def reference_design(w: int, n_periods: int, years_back: tuple[int, ...], past_weeks_excluded: int):
    """Reference points relative to the current point, their levels and the window level.

    ``years_back[i-1]`` is how many points lie between the current point and its
    counterpart ``i`` years back. A port of R's ``blocks()`` and
    ``algo.farrington.data.glm`` (including how ``a:b`` counts down when a gap is shorter
    than the number of blocks, which happens with monthly data and ``n_periods=10``).
    Returns ``(offsets, LevelDesign, window_level)``, ``offsets < 0`` being positions
    relative to the current point.
    """
    p = n_periods
    now = max(years_back) + w + 1  # 1-based, as in R
    factors = np.full(now + 1, np.nan)  # index 0 unused
    reference_weeks = [now] + [now - d for d in years_back]
    factors[now - w: now + 1] = p
    for i in range(1, len(reference_weeks)):
        ref_week = reference_weeks[i]
        factors[ref_week - w: ref_week + w + 1] = p
        if p != 1:
            gap = reference_weeks[i - 1] - 2 * w - 1 - ref_week
            if gap < p - (2 * w + 1):
                raise ValueError("too many periods")
            length, rest = divmod(gap, p - 1)
            lengths = np.full(p - 1, length)
            lengths[:rest] += 1
            bounds = np.concatenate([[0], np.cumsum(lengths)])
            for j in range(1, p):
                start = ref_week + w + 1 + bounds[j - 1]
                stop = ref_week + w + 1 + bounds[j] - 1
                factors[list(_r_seq(start, stop))] = j
    factors[max(now - past_weeks_excluded, 1): now + 1] = np.nan
    positions = np.flatnonzero(~np.isnan(factors[1:])) + 1
    values = factors[positions]
    levels, codes = np.unique(values, return_inverse=True)
    window = int(np.flatnonzero(levels == p)[0]) if (levels == p).any() else -1
    offsets = positions - now
    design = LevelDesign(level=codes.astype(int), time=offsets.astype(float), n_levels=len(levels))
    return offsets, design, window


def years_back_by_position(T: int, b: int, period: int) -> np.ndarray:
    """``[T, b]``: point ``t`` is compared with ``t - i * period`` (R without dates)."""
    return np.tile(np.arange(1, b + 1) * period, (T, 1))


def years_back_by_calendar(dates: pd.DatetimeIndex, b: int, period: int) -> np.ndarray:
    """``[T, b]``: distance (in points) to the same date ``i`` years earlier, as R finds it
    for ``sts`` objects with dates: the same calendar day (29 February becoming 1 March),
    moved for weekly data to the nearest day of the same weekday. -1 where that date is
    not in the panel."""
    T = len(dates)
    out = np.full((T, b), -1, dtype=int)
    if T == 0:
        return out
    position = pd.Series(np.arange(T), index=dates.normalize())
    for i in range(1, b + 1):
        year = dates.year - i
        month, day = dates.month, dates.day
        leap_day = (month == 2) & (day == 29) & ~(((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0))
        month = np.where(leap_day, 3, month)
        day = np.where(leap_day, 1, day)
        ref = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
        if period == 52:
            shift = (dates.day_of_week.to_numpy() - ref.dt.day_of_week.to_numpy()) % 7
            shift = np.where(shift > 3, shift - 7, shift)
            ref = ref + pd.to_timedelta(shift, unit="D")
        found = position.reindex(pd.DatetimeIndex(ref)).to_numpy()
        ok = ~np.isnan(found)
        out[ok, i - 1] = np.arange(T)[ok] - found[ok].astype(int)
    return out
