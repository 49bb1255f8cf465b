"""Reporting delay: how much of a day's final count is known d days after it, and the nowcast of the
final count of the newest days.

The revision history is a *reporting triangle*: per stratum (a county pooled over its units and
syndromes, or one syndrome of it), one row per data day and one column per delay ``d = 0..D`` holding
the count that arrived ``d`` days after the day (the newest revision received by the end of day
``date + d`` minus the one before). Cells a day cannot have yet (``date + d`` after ``as_of``) are
NaN: the lower right triangle.

**Delay distribution (chain ladder).** As ``baselinenowcast::estimate_delay`` (Wolffram et al.
2023), vectorised over strata: negative counts (corrections downward) are passed back to shorter
delays; for each delay ``c`` the multiplicative development factor
``g_c = 1 + sum(count at c) / max(sum(cumulative count through c - 1), 1)`` over the rows that have
column ``c``; the share of the final count known after ``d`` days is
``q(d) = 1 / (g_{d+1} ... g_D)``, which equals the cumulative sum of the package's delay pmf (the
column sums of the triangle filled in by the same factors grow by exactly ``g_c``). One extension:
a row on which nothing at all had arrived by delay ``c - 1`` (``known`` false: the store had no
report of the stratum's day yet) is left out of ``g_c``. For a county of many units this changes
nothing; for a county reporting as one unit a late day is *missing*, not low, so its delay must be
learnt from the days that had arrived.

**Nowcast.** The final count of a day known ``x`` after ``d`` days is ``x / q(d)``. Its uncertainty
is that of the part not yet reported: with a flat prior on the final count ``N`` and ``x ~
Binomial(N, q)``, ``N - x ~ NegativeBinomial(size = x + 1, prob = q)`` (whose mean ``(x + 1) / q - 1``
is the expected total baselinenowcast's ``apply_delay`` fills in). Delay comes in whole reports,
though (a unit late, a report partial), so the share known varies from day to day far more than
that: ``known_spread`` measures it (``tau(d)``) on the triangle's complete rows, and ``nowcast(...,
spread=tau)`` widens the interval by it.

**Judging counts known in part.** For a series of level ``L`` and spread ``sd``, a count ``x`` of
which a share ``f`` (mean ``q``, spread ``tau``) is known has the spread of the final count times
``m = sqrt(q^2 + tau^2 (1 + L^2 / sd^2))`` (``margin_scale``); ``effective_counts`` gives
``L + (x - q L) / m``, which has the final count's mean and spread when nothing is happening, for a
detector to judge (``surveillance.service.delays``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

MIN_TRAINING_CASES = 100  # a stratum with fewer cases in its triangle borrows the pooled delay of all strata
LEVEL_DAYS = 28  # settled days (older than the longest delay) that give a series' level and spread


@dataclass(frozen=True)
class Triangle:
    """Reporting triangles of several strata: ``counts[n_strata, n_days, D + 1]`` (NaN: not yet possible),
    ``known`` (same shape: something of the stratum's day had arrived by that delay), the ``strata`` keys
    (one row per stratum) and the data ``dates`` of the rows."""

    counts: np.ndarray
    known: np.ndarray
    strata: pd.DataFrame
    dates: pd.DatetimeIndex

    @property
    def max_delay(self) -> int:
        return self.counts.shape[2] - 1


def build_triangle(increments: pd.DataFrame, strata: list[str], *, start, as_of, max_delay: int) -> Triangle:
    """The triangles of a long table ``*strata, date, delay, count`` (count arrived at that delay; a row
    means a report arrived, even of zero), for the data days ``start..as_of``; delays beyond
    ``max_delay`` count at ``max_delay``."""
    dates = pd.date_range(pd.Timestamp(start), pd.Timestamp(as_of), freq="D")
    frame = increments[pd.to_datetime(increments["date"]).between(dates[0], dates[-1])]
    keys = frame[strata].drop_duplicates().sort_values(strata).reset_index(drop=True)
    n_delays = max_delay + 1
    counts = np.zeros((len(keys), len(dates), n_delays))
    arrived = np.zeros_like(counts, dtype=bool)
    if len(frame):
        s = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(frame[strata]))
        t = dates.get_indexer(pd.to_datetime(frame["date"]))
        d = np.clip(frame["delay"].to_numpy(int), 0, max_delay)
        np.add.at(counts, (s, t, d), frame["count"].to_numpy(float))
        arrived[s, t, d] = True
    known = np.logical_or.accumulate(arrived, axis=2)
    possible = (dates[-1] - dates).days.to_numpy()[:, None] >= np.arange(n_delays)[None, :]
    counts[:, ~possible] = np.nan
    return Triangle(counts=counts, known=known & possible[None], strata=keys, dates=dates)


def pass_negatives_back(counts: np.ndarray) -> np.ndarray:
    """A negative count (a correction downward) taken from the counts of shorter delays of the same row,
    longest delay first, as baselinenowcast's ``.handle_neg_vals``; NaN cells stay NaN."""
    out = np.nan_to_num(counts, nan=0.0).copy()
    carry = np.zeros(out.shape[:-1])
    for d in range(out.shape[-1] - 1, -1, -1):
        value = out[..., d] + carry
        carry = np.minimum(value, 0.0)
        out[..., d] = np.maximum(value, 0.0)
    out[np.isnan(counts)] = np.nan
    return out


def development_factors(counts: np.ndarray, known: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(numerator, denominator)`` of each stratum's factors ``g_c = 1 + num / max(den, 1)``, shape
    ``[n_strata, D]`` for ``c = 1..D``: the count arrived at ``c`` and the cumulative count through
    ``c - 1``, summed over the rows that have column ``c`` (and had something known at ``c - 1``)."""
    clean = pass_negatives_back(counts)
    usable = ~np.isnan(clean)
    if known is not None:
        usable &= known
    cumulative = np.cumsum(np.nan_to_num(clean), axis=2)
    rows = usable[..., 1:] & usable[..., :-1]
    numerator = np.where(rows, np.nan_to_num(clean[..., 1:]), 0.0).sum(axis=1)
    denominator = np.where(rows, cumulative[..., :-1], 0.0).sum(axis=1)
    return numerator, denominator


def share_known(counts: np.ndarray, known: np.ndarray | None = None,
                min_cases: float = MIN_TRAINING_CASES) -> np.ndarray:
    """``q[n_strata, D + 1]``: the share of a day's final count known ``d`` days after it (``q[:, D] = 1``),
    by the chain ladder of the module notes. Strata with fewer than ``min_cases`` cases take the factors
    of all strata pooled."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 2:
        return share_known(counts[None], None if known is None else np.asarray(known)[None], min_cases)[0]
    numerator, denominator = development_factors(counts, known)
    small = np.nansum(np.maximum(counts, 0), axis=(1, 2)) < min_cases
    if small.any():
        numerator[small] = numerator.sum(axis=0)
        denominator[small] = denominator.sum(axis=0)
    growth = 1.0 + numerator / np.maximum(denominator, 1.0)
    to_final = np.cumprod(growth[:, ::-1], axis=1)[:, ::-1]  # g_{d+1} ... g_D for d = 0..D-1
    return np.concatenate([1.0 / to_final, np.ones((counts.shape[0], 1))], axis=1)


def known_spread(counts: np.ndarray, known: np.ndarray | None = None, min_cases: float = MIN_TRAINING_CASES,
                 share: np.ndarray | None = None) -> np.ndarray:
    """``tau[n_strata, D + 1]``: the root mean square, over the triangle's complete rows, of a day's share
    known after ``d`` days around the chain ladder's ``share`` (0 at ``D``). Delay comes in whole reports
    (a unit late, a report partial), so the share known varies from day to day far more than case by case
    delay would make it; strata with fewer than ``min_cases`` cases take the spread of all strata."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 2:
        return known_spread(counts[None], None if known is None else np.asarray(known)[None], min_cases,
                            None if share is None else np.asarray(share)[None])[0]
    share = share_known(counts, known, min_cases) if share is None else share
    clean = pass_negatives_back(counts)
    cumulative = np.cumsum(np.nan_to_num(clean), axis=2)
    final = cumulative[..., -1:]
    usable = ~np.isnan(clean[..., -1:]) & (final > 0)
    usable = usable & (np.ones_like(clean, dtype=bool) if known is None else known)
    with np.errstate(invalid="ignore", divide="ignore"):
        squares = np.where(usable, (cumulative / final - share[:, None, :]) ** 2, 0.0)
    total, rows = squares.sum(axis=1), usable.sum(axis=1)
    small = np.nansum(np.maximum(counts, 0), axis=(1, 2)) < min_cases
    if small.any():
        total[small], rows[small] = total.sum(axis=0), rows.sum(axis=0)
    return np.sqrt(total / np.maximum(rows, 1))


def margin_scale(share, spread, level, sd) -> np.ndarray:
    """How much wider what is known after ``d`` days spreads than the final count, relative to it:
    ``m = sqrt(q^2 + tau^2 (1 + level^2 / sd^2))`` for a count of mean ``level`` and standard deviation
    ``sd`` of which a share ``f`` (mean ``q``, spread ``tau``, independent of the count) is known."""
    share, spread, level, sd = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (share, spread, level, sd)))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(sd > 0, (level / sd) ** 2, 0.0)
    return np.sqrt(share ** 2 + spread ** 2 * (1.0 + np.nan_to_num(ratio)))


def settled_level(counts: np.ndarray, settled: np.ndarray, days: int = LEVEL_DAYS) -> tuple[np.ndarray, np.ndarray]:
    """Each series' (row's) mean and standard deviation, at least Poisson's, over its last ``days`` settled
    points (``settled``: bool over the columns, the points old enough to be final)."""
    values = np.asarray(counts, dtype=float)[:, np.flatnonzero(settled)[-days:]]
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a series without settled points: NaN
        mean = np.nanmean(values, axis=1) if values.shape[1] else np.full(len(values), np.nan)
        sd = np.nanstd(values, axis=1, ddof=1) if values.shape[1] > 1 else np.full(len(values), np.nan)
    return mean, np.fmax(sd, np.sqrt(np.maximum(mean, 0)))


def effective_counts(counts, share, spread, level, sd) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(effective, offset, scale)``: counts known in part turned into ``offset + counts / scale`` with
    ``scale`` = :func:`margin_scale` and ``offset = level (1 - share / scale)``, which has the final count's
    mean and spread when nothing is happening (a series of ``level`` and ``sd``, broadcast against the
    counts). Without a level the plain nowcast ``counts / share``; a share of 1 leaves the count as it is."""
    counts = np.asarray(counts, dtype=float)
    share = np.broadcast_to(np.asarray(share, dtype=float), counts.shape)
    scale = margin_scale(share, spread, level, sd)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, share)
    offset = np.nan_to_num(np.broadcast_to(np.asarray(level, dtype=float), counts.shape) * (1.0 - share / scale))
    return offset + counts / scale, offset, scale


def delay_pmf(counts: np.ndarray, known: np.ndarray | None = None, min_cases: float = 0) -> np.ndarray:
    """The share of the final count arriving at each delay (baselinenowcast's ``estimate_delay``)."""
    q = share_known(counts, known, min_cases)
    return np.diff(q, prepend=0.0, axis=-1)


def estimate(triangle: Triangle, min_cases: float = MIN_TRAINING_CASES) -> pd.DataFrame:
    """``q0..qD`` (the share known after each delay) and ``s0..sD`` (its spread, :func:`known_spread`), one
    row per stratum, indexed by the strata keys."""
    q = share_known(triangle.counts, triangle.known, min_cases)
    tau = known_spread(triangle.counts, triangle.known, min_cases, share=q)
    index = (pd.Index(triangle.strata.iloc[:, 0]) if triangle.strata.shape[1] == 1
             else pd.MultiIndex.from_frame(triangle.strata))
    columns = [f"q{d}" for d in range(q.shape[1])] + [f"s{d}" for d in range(q.shape[1])]
    return pd.DataFrame(np.concatenate([q, tau], axis=1), index=index, columns=columns)


def shares_for(estimates: pd.DataFrame, strata, delays, what: str = "q") -> np.ndarray:
    """``[n_series, n_time]``: the share known (``what="q"``; its spread: ``"s"``) of each point, from each
    series' stratum key (``strata``, as in ``estimates``' index) and each point's days since its data day
    (``delays``, ``[n_time]`` or ``[n_series, n_time]``). At or beyond the triangle's last delay (final)
    and for strata without an estimate: share 1, spread 0."""
    q = estimates[[c for c in estimates.columns if c[0] == what and c[1:].isdigit()]].to_numpy(float)
    last = q.shape[1] - 1
    row = estimates.index.get_indexer(list(strata))
    delays = np.broadcast_to(np.asarray(delays, dtype=int), (len(row), np.shape(delays)[-1]))
    out = np.full(delays.shape, 1.0 if what == "q" else 0.0)
    pick = (row[:, None] >= 0) & (delays >= 0) & (delays < last)
    rows = np.broadcast_to(row[:, None], delays.shape)
    out[pick] = q[rows[pick], delays[pick]]
    return out


@dataclass(frozen=True)
class Nowcast:
    """The final count expected (``mean = observed / share``) with a ``level`` interval from the part
    not yet reported (arrays of the inputs' shape)."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float


def nowcast(observed, share, level: float = 0.9, spread=None) -> Nowcast:
    """The nowcast of final counts from counts ``observed`` when ``share`` of the final count is known
    (see the module notes); a share of 1 (or missing) gives the count itself. With ``spread`` (the day to
    day spread of the share known, :func:`known_spread`) the interval also holds the error of dividing by
    the usual share when whole reports are missing: normal, with that error's variance
    ``(mean * spread / share)^2`` added to the negative binomial's."""
    x = np.asarray(observed, dtype=float)
    q = np.broadcast_to(np.asarray(share, dtype=float), x.shape)
    partial = np.isfinite(q) & (q > 0) & (q < 1) & np.isfinite(x)
    mean, lower, upper = x.copy(), x.copy(), x.copy()
    if partial.any():
        size, prob = np.maximum(x[partial], 0) + 1.0, q[partial]
        tail = (1.0 - level) / 2.0
        mean[partial] = x[partial] / prob
        if spread is None:
            lower[partial] = x[partial] + stats.nbinom.ppf(tail, size, prob)
            upper[partial] = x[partial] + stats.nbinom.ppf(1.0 - tail, size, prob)
        else:
            tau = np.broadcast_to(np.asarray(spread, dtype=float), x.shape)[partial]
            sd = np.sqrt(stats.nbinom.var(size, prob) + (mean[partial] * tau / prob) ** 2)
            z = stats.norm.ppf(1.0 - tail)
            lower[partial] = np.maximum(mean[partial] - z * sd, x[partial])
            upper[partial] = mean[partial] + z * sd
    return Nowcast(mean=mean, lower=lower, upper=upper, level=level)
