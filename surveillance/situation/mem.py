"""The Moving Epidemic Method (Vega et al. 2013; R package ``mem``) for many regions at once.

From each region's past seasons of weekly rates (one epidemic wave a season):

1. **Timing** (``mem::memtiming``, ``i.method = 2``). For every length ``s`` of weeks, the
   largest sum of ``s`` consecutive weeks as a percentage of the season's sum: the maximum
   accumulated rate percentage (MAP) curve, 0 % at ``s = 0``. The curve is smoothed (``mem``'s
   ``suavizado(y, 1)``: a local linear Gaussian-kernel regression with bandwidth 1, as
   ``sm::sm.regression``, negative values set to 0). The epidemic lasts the last ``s`` before
   the smoothed curve first rises by less than ``delta`` (2.8 percentage points) in a week,
   at least one week, and is the window of ``s`` weeks that gave the curve its value (the
   first such window).
2. **Epidemic threshold** (``mem::memmodel`` defaults). The ``n_max`` highest pre-epidemic
   values of each season, ``n_max = max(1, round(30 / seasons))``, pooled over the seasons
   (the 10 most recent), give the threshold as the upper limit of the one-sided 95 % point
   interval of their arithmetic mean (``i.type.threshold = 5``): ``mean + z(0.95) * sd``.
   The post-epidemic threshold comes the same way from the values after the epidemic.
3. **Intensity thresholds** (``i.type.intensity = 6``). The ``n_max`` highest epidemic values of
   each season, on the log scale (``log(x + 1)`` when any is 0, as ``mem`` does), give the
   medium, high and very high thresholds as ``exp(mean + z(level) * sd)`` at levels 40 %,
   90 % and 97.5 %.

Where this differs from ``mem``, and why:

* missing weeks inside a season (between its first and last reported week) are filled by
  linear interpolation; ``mem`` fills them from a kernel regression whose bandwidth it selects
  by cross-validation (``fill.missing``). As in ``mem``, the filled values are then used as data;
* a season takes part only when at least ``min_weeks_share`` (75 %) of its weeks were
  reported and its sum is positive; ``mem`` drops only seasons that sum to 0, and a season cut
  by the start of the data would otherwise put its epidemic in the wrong place;
* the first maximal window is found to a relative tolerance of 1e-9, so that sums equal on
  paper are ties as in ``mem``'s direct sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import SurveillanceError

DELTA = 2.8  # mem's i.param for i.method = 2: percentage points per week
MAX_SEASONS = 10  # mem's i.seasons
THRESHOLD_LEVEL = 0.95  # mem's i.level.threshold
INTENSITY_LEVELS = (0.40, 0.90, 0.975)  # mem's i.level.intensity: medium, high, very high
MIN_WEEKS_SHARE = 0.75
SMOOTHING_BANDWIDTH = 1.0  # suavizado(y, 1)


@dataclass(frozen=True)
class Timing:
    """Each curve's epidemic: first and last week (0-based, inclusive), its length and share."""

    start: np.ndarray  # int [k]; -1 where the curve has no data
    end: np.ndarray  # int [k]
    length: np.ndarray  # int [k]
    percent: np.ndarray  # MAP value at the optimum: the epidemic's share of the season's sum


@dataclass(frozen=True)
class MemModel:
    """Thresholds per region (``[n]``; intensity ``[n, 3]``) and what they were made from."""

    epidemic_threshold: np.ndarray
    post_threshold: np.ndarray
    intensity: np.ndarray  # medium, high, very high
    n_seasons: np.ndarray  # int [n]: seasons used
    n_max: np.ndarray  # int [n]: values taken per season
    used: np.ndarray  # bool [n, S]: which seasons were used
    timing: Timing  # per region and season, arrays [n, S]
    levels: tuple = INTENSITY_LEVELS

    @property
    def thresholds(self) -> np.ndarray:
        """``[n, 4]``: epidemic, medium, high, very high (``mem::memintensity``)."""
        return np.column_stack([self.epidemic_threshold, self.intensity])


def smoothing_matrix(n_points: int, bandwidth: float = SMOOTHING_BANDWIDTH) -> np.ndarray:
    """Local linear Gaussian-kernel smoother at points 1..n (``sm::sm.weight``, ``poly.index = 1``):
    the smoothed curve is ``S @ y``."""
    x = np.arange(1, n_points + 1, dtype=float)
    d = x[None, :] - x[:, None]  # data point minus evaluation point
    w = np.exp(-0.5 * (d / bandwidth) ** 2)
    s0, s1, s2 = w.sum(1, keepdims=True), (w * d).sum(1, keepdims=True), (w * d * d).sum(1, keepdims=True)
    return w * (s2 - d * s1) / (s2 * s0 - s1 * s1)


def fill_inside(values: np.ndarray) -> np.ndarray:
    """Missing weeks between the first and last reported week, linearly interpolated (per row)."""
    frame = pd.DataFrame(np.asarray(values, dtype=float))
    return frame.interpolate(axis=1, limit_area="inside").to_numpy()


def map_curve(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(percent [k, W + 1], first_start [k, W + 1])``: for each length ``s`` (0..W) the largest sum of
    ``s`` consecutive weeks in percent of the season's sum, and where the first such window starts."""
    y = np.nan_to_num(np.asarray(values, dtype=float))
    k, W = y.shape
    cumulative = np.concatenate([np.zeros((k, 1)), np.cumsum(y, axis=1)], axis=1)
    total = cumulative[:, -1]
    percent = np.zeros((k, W + 1))
    start = np.zeros((k, W + 1), dtype=int)
    for s in range(1, W + 1):
        sums = cumulative[:, s:] - cumulative[:, :-s]  # windows starting at 0 .. W - s
        best = sums.max(axis=1)
        ties = sums >= best[:, None] - 1e-9 * np.maximum(np.abs(best[:, None]), 1e-300)
        start[:, s] = ties.argmax(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            percent[:, s] = np.where(total > 0, 100.0 * best / total, 0.0)
    return percent, start


def epidemic_timing(values: np.ndarray, delta: float = DELTA) -> Timing:
    """``mem::memtiming`` (``i.method = 2``) for every row of ``values`` ``[k, W]`` (one season a row,
    all of the same length ``W``)."""
    values = np.asarray(values, dtype=float)
    k, W = values.shape
    percent, first_start = map_curve(fill_inside(values))
    smoothed = np.maximum(percent @ smoothing_matrix(W + 1).T, 0.0)
    rise = np.diff(smoothed, axis=1)  # rise[:, s - 1]: from s - 1 weeks to s weeks
    below = rise < delta
    optimum = np.where(below.any(axis=1), np.maximum(below.argmax(axis=1), 1), W)  # min(s: rise < delta) - 1
    rows = np.arange(k)
    start = first_start[rows, optimum]
    empty = np.isnan(values).all(axis=1)
    return Timing(start=np.where(empty, -1, start), end=np.where(empty, -1, start + optimum - 1),
                  length=np.where(empty, 0, optimum), percent=np.where(empty, np.nan, percent[rows, optimum]))


def highest(values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` highest values of each row where ``mask``, descending, NaN-padded: ``[k, n]``."""
    chosen = np.where(mask & ~np.isnan(values), values, -np.inf)
    top = -np.sort(-chosen, axis=1)[:, :n]
    if top.shape[1] < n:
        top = np.pad(top, ((0, 0), (0, n - top.shape[1])), constant_values=-np.inf)
    return np.where(np.isinf(top), np.nan, top)


def point_interval_upper(values: np.ndarray, level: float) -> np.ndarray:
    """``mem``'s type 5, one tail: ``mean + z(level) * sd`` of each row's non-missing values."""
    z = norm.ppf(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = (~np.isnan(values)).sum(axis=1)
        mean = np.where(count > 0, np.nansum(values, axis=1) / np.maximum(count, 1), np.nan)
        var = np.nansum((values - mean[:, None]) ** 2, axis=1) / (count - 1)
    return np.where(count > 1, mean + z * np.sqrt(var), np.nan)


def geometric_interval_upper(values: np.ndarray, level: float) -> np.ndarray:
    """``mem``'s type 6, one tail: type 5 on the logs; on ``log(x + 1)``, minus 1, where a row has a 0."""
    has_zero = (values == 0).any(axis=1)
    shift = np.where(has_zero, 1.0, 0.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.exp(point_interval_upper(np.log(values + shift), level))
    return upper - shift[:, 0]


def mem_model(seasons: np.ndarray, lengths: np.ndarray | None = None, *, delta: float = DELTA,
              max_seasons: int = MAX_SEASONS, n_max: int | None = None, threshold_level: float = THRESHOLD_LEVEL,
              intensity_levels: tuple = INTENSITY_LEVELS, min_weeks_share: float = MIN_WEEKS_SHARE) -> MemModel:
    """Epidemic and intensity thresholds from past seasons ``[n_regions, n_seasons, n_weeks]`` (oldest
    season first, NaN = not reported). ``lengths`` ``[n_seasons]``: weeks in each season (52 or 53;
    default all columns). ``n_max``: pre-epidemic values per season (default ``mem``'s rule)."""
    seasons = np.asarray(seasons, dtype=float)
    if seasons.ndim != 3:
        raise SurveillanceError(f"MEM: seasons must be [regions, seasons, weeks], got shape {seasons.shape}")
    n, S, W = seasons.shape
    lengths = np.full(S, W) if lengths is None else np.asarray(lengths, dtype=int)
    if len(intensity_levels) != 3 or list(intensity_levels) != sorted(intensity_levels):
        raise SurveillanceError(f"MEM: three increasing intensity levels are needed, got {intensity_levels}")
    in_season = np.arange(W)[None, :] < lengths[:, None]  # [S, W]
    raw = np.where(in_season[None], seasons, np.nan)
    reported = (~np.isnan(raw)).sum(axis=2)
    values = fill_inside(raw.reshape(n * S, W)).reshape(n, S, W)
    usable = (reported >= min_weeks_share * lengths[None, :]) & (np.nansum(values, axis=2) > 0)
    recent = np.cumsum(usable[:, ::-1], axis=1)[:, ::-1] <= max_seasons
    used = usable & recent
    n_seasons = used.sum(axis=1)
    per_season = np.maximum(1, np.round(30.0 / np.maximum(n_seasons, 1))).astype(int) if n_max is None \
        else np.full(n, int(n_max))

    start = np.full((n, S), -1)
    end = np.full((n, S), -1)
    length = np.zeros((n, S), dtype=int)
    percent = np.full((n, S), np.nan)
    for L in np.unique(lengths):  # the smoother depends on the season's number of weeks
        cols = np.flatnonzero(lengths == L)
        timing = epidemic_timing(values[:, cols, :L].reshape(-1, L), delta)
        for name, target in (("start", start), ("end", end), ("length", length), ("percent", percent)):
            target[:, cols] = getattr(timing, name).reshape(n, len(cols))
    start = np.where(used, start, -1)
    end = np.where(used, end, -1)

    week = np.arange(W)[None, None, :]
    pre = week < start[..., None]
    epi = (week >= start[..., None]) & (week <= end[..., None])
    post = week > end[..., None]
    take = int(per_season.max(initial=1))
    keep = np.arange(take)[None, None, :] < per_season[:, None, None]

    def pooled(mask: np.ndarray) -> np.ndarray:
        top = highest(values.reshape(n * S, W), (mask & used[..., None]).reshape(n * S, W), take)
        return np.where(keep, top.reshape(n, S, take), np.nan).reshape(n, S * take)

    pre_values, post_values, epi_values = pooled(pre), pooled(post), pooled(epi)
    intensity = np.column_stack([geometric_interval_upper(epi_values, level) for level in intensity_levels])
    enough = n_seasons >= 2  # mem needs at least two seasons
    return MemModel(
        epidemic_threshold=np.where(enough, point_interval_upper(pre_values, threshold_level), np.nan),
        post_threshold=np.where(enough, point_interval_upper(post_values, threshold_level), np.nan),
        intensity=np.where(enough[:, None], intensity, np.nan),
        n_seasons=n_seasons, n_max=per_season, used=used,
        timing=Timing(start=start, end=end, length=np.where(used, length, 0), percent=np.where(used, percent, np.nan)),
        levels=tuple(intensity_levels),
    )
