"""Data quality: completeness, timeliness and feed outages.

A rise in counts means little when half the clinics have not reported yet, and a dip means
nothing when a feed has fallen silent. These checks say how far the data can be trusted on
each day, so that signals on incomplete data are marked as such, and outages reach the
administrators as data-quality alerts instead of passing as quiet days.

The rules (thresholds from ``QualityConfig``):

* **Completeness** of a region on a day: of the units that *usually report* (reported on at
  least ``usual_share`` of the ``usual_window_days`` days before that day), the share that
  reported. A region with no usual reporters has completeness NaN (nothing expected, nothing
  missing).
* **Timeliness** of a region on a day: the share of the day's final count (all syndromes) that
  had arrived by the end of the next day, from the stored revisions.
* **Outages** (findings, not exceptions):
  ``unit_silent``: a unit that reports daily (on at least ``daily_share`` of the window's days)
  sent nothing for the last ``silent_days`` days; ``feed_silent``: a feed that delivered a good
  batch on at least ``daily_share`` of the window's days delivered none for ``silent_days`` days;
  ``visits_drop``: a county's or the province's visits on the newest day fell below
  ``visits_drop`` times the median of the same weekday over the four weeks before (not on a public
  holiday of ``holiday_country``, when clinics close and a drop is the calendar, not an outage).
* **Which outages are alerts**: every silent unit is a finding (the quality page lists them), but a
  county's silent units become an alert only when together they usually bring at least
  ``silent_alert_share`` of the county's visits (:func:`material_silences`): a village clinic's day off
  the network does not change what the county's counts say; a hospital's silence does.

The pure functions take tables and return tables; :func:`check_day` and :func:`completeness_at` read
what they need through the store's API.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .detectors.inputs import holiday_mask
from .notes import joined, note
from .store import counts, operations

FINDING_COLUMNS = ["kind", "level", "region", "date", "severity", "detail", "value", "usual"]


# --- pure checks ---------------------------------------------------------------------------


def _reporting_matrix(unit_days: pd.DataFrame, units: list[str], start, end) -> tuple[np.ndarray, pd.DatetimeIndex]:
    grid = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    matrix = np.zeros((len(units), len(grid)), dtype=bool)
    if len(unit_days):
        u = pd.Index(units).get_indexer(unit_days["unit"])
        t = grid.get_indexer(pd.to_datetime(unit_days["date"]))
        ok = (u >= 0) & (t >= 0)
        matrix[u[ok], t[ok]] = True
    return matrix, grid


def _trailing_share(matrix: np.ndarray, window: int) -> np.ndarray:
    """Share of the ``window`` days *before* each day on which a unit reported (NaN without history)."""
    n_units, n_days = matrix.shape
    csum = np.concatenate([np.zeros((n_units, 1)), np.cumsum(matrix, axis=1)], axis=1)
    idx = np.arange(n_days)
    lo = np.maximum(idx - window, 0)
    days = (idx - lo).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (csum[:, idx] - csum[:, lo]) / days
    share[:, days == 0] = np.nan
    return share


def completeness(
    unit_days: pd.DataFrame,
    unit_regions: pd.DataFrame,
    level: str,
    start,
    end,
    *,
    window_days: int = 28,
    usual_share: float = 0.5,
) -> pd.DataFrame:
    """``region, date, units_usual, units_reporting, completeness`` for every day in ``[start, end]``.

    ``unit_days`` (``unit, date``) must reach back ``window_days`` before ``start``.
    """
    units = unit_regions["unit"].astype(str).tolist()
    first = pd.Timestamp(start) - pd.Timedelta(days=window_days)
    matrix, grid = _reporting_matrix(unit_days, units, first, end)
    usual = _trailing_share(matrix, window_days) >= usual_share  # NaN (no history) -> False
    keep = grid >= pd.Timestamp(start)
    usual, reported, days = usual[:, keep], matrix[:, keep], grid[keep]
    regions = unit_regions[level].astype(object).to_numpy()
    valid = pd.notna(regions)
    codes, names = pd.factorize(regions[valid], sort=True)
    n_usual = np.zeros((len(names), len(days)))
    n_reporting = np.zeros((len(names), len(days)))
    np.add.at(n_usual, codes, usual[valid])
    np.add.at(n_reporting, codes, (usual & reported)[valid])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_usual > 0, n_reporting / n_usual, np.nan)
    return pd.DataFrame({
        "region": np.repeat(np.asarray(names, dtype=object), len(days)),
        "date": np.tile(days.values, len(names)),
        "units_usual": n_usual.ravel().astype(int),
        "units_reporting": n_reporting.ravel().astype(int),
        "completeness": share.ravel(),
    })


def silent_units(
    unit_days: pd.DataFrame, unit_regions: pd.DataFrame, day, *, window_days: int = 28, daily_share: float = 0.9,
    silent_days: int = 2,
) -> pd.DataFrame:
    """Findings ``unit_silent``: daily reporters with no data on the last ``silent_days`` days up to ``day``."""
    units = unit_regions["unit"].astype(str).tolist()
    day = pd.Timestamp(day)
    first = day - pd.Timedelta(days=window_days + silent_days - 1)
    matrix, grid = _reporting_matrix(unit_days, units, first, day)
    before, recent = matrix[:, :window_days], matrix[:, window_days:]
    share = before.mean(axis=1) if before.shape[1] else np.zeros(len(units))
    hit = (share >= daily_share) & ~recent.any(axis=1)
    rows = [{
        "kind": "unit_silent", "level": "facility", "region": units[i], "date": day, "severity": "yellow",
        "detail": note("unit_silent", n=silent_days, share=f"{share[i]:.0%}", window=window_days),
        "value": 0.0, "usual": float(share[i]),
    } for i in np.flatnonzero(hit)]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def silent_feeds(feed_days: pd.DataFrame, feeds: list[str], today, *, window_days: int = 28,
                 daily_share: float = 0.9, silent_days: int = 2) -> pd.DataFrame:
    """Findings ``feed_silent``: feeds that deliver daily but delivered nothing for ``silent_days`` days.

    The window ends ``silent_days`` days before ``today`` (a feed is not late before its day is over).
    """
    today = pd.Timestamp(today)
    rows = []
    for feed in feeds:
        days = set(pd.to_datetime(feed_days.loc[feed_days["feed"] == feed, "date"]))
        recent = [today - pd.Timedelta(days=k) for k in range(1, silent_days + 1)]
        window = [today - pd.Timedelta(days=k) for k in range(silent_days + 1, silent_days + 1 + window_days)]
        share = sum(d in days for d in window) / window_days
        if share >= daily_share and not any(d in days for d in recent):
            rows.append({"kind": "feed_silent", "level": "feed", "region": feed, "date": today - pd.Timedelta(days=1),
                         "severity": "red",
                         "detail": joined([note("feed_silent", feed=feed, n=silent_days),
                                           note("feed_usual", share=f"{share:.0%}", window=window_days)]),
                         "value": 0.0, "usual": share})
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def visits_drops(visits: pd.DataFrame, day, *, level: str, drop: float = 0.5, weeks: int = 4) -> pd.DataFrame:
    """Findings ``visits_drop``: regions whose visits on ``day`` fell below ``drop`` x the median of
    the same weekday over the ``weeks`` weeks before (at least two of them with data).

    ``visits``: ``region, date, visits`` (a region without a row on ``day`` had no visits).
    """
    day = pd.Timestamp(day)
    same_days = pd.DatetimeIndex([day - pd.Timedelta(weeks=k) for k in range(1, weeks + 1)])
    dates = pd.to_datetime(visits["date"])
    wanted = dates.isin(same_days.append(pd.DatetimeIndex([day])))
    table = visits[wanted.to_numpy()].assign(date=dates[wanted]).pivot_table(
        index="region", columns="date", values="visits", aggfunc="sum")
    past = table.reindex(columns=same_days).to_numpy(dtype=float)
    reported = np.isfinite(past) & (past > 0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a region without two such days is not judged
        usual = np.nanmedian(np.where(reported, past, np.nan), axis=1)
    now = table.reindex(columns=[day]).to_numpy(dtype=float)[:, 0] if len(table) else np.zeros(0)
    now = np.where(np.isfinite(now), now, 0.0)
    rows = [{"kind": "visits_drop", "level": level, "region": str(table.index[i]), "date": day, "severity": "red",
             "detail": note("visits_drop", now=f"{now[i]:,.0f}", usual=f"{usual[i]:,.0f}",
                            share=f"{now[i] / usual[i]:.0%}"),
             "value": float(now[i]), "usual": float(usual[i])}
            for i in np.flatnonzero((reported.sum(axis=1) >= 2) & (now < drop * usual))]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def material_silences(findings: pd.DataFrame, unit_days: pd.DataFrame, unit_regions: pd.DataFrame, day, *,
                      window_days: int, min_share: float) -> pd.DataFrame:
    """The ``unit_silent`` findings of counties whose silent units together usually bring at least
    ``min_share`` of the county's visits (over the ``window_days`` before the silence); other findings
    pass as they are. Each kept finding's detail says how much of the county is silent."""
    silent = findings["kind"] == "unit_silent"
    if not silent.any() or min_share <= 0:
        return findings
    day = pd.Timestamp(day)
    start = day - pd.Timedelta(days=window_days + 28)
    recent = unit_days[(pd.to_datetime(unit_days["date"]) >= start)
                       & (pd.to_datetime(unit_days["date"]) < day - pd.Timedelta(days=1))]
    usual = recent.groupby("unit")["visits"].sum()
    county_of = unit_regions.set_index("unit")["county"]
    county_usual = usual.groupby(county_of.reindex(usual.index).to_numpy()).sum()
    part = findings[silent].copy()
    part["county"] = county_of.reindex(part["region"].astype(str)).to_numpy()
    part["unit_usual"] = usual.reindex(part["region"].astype(str)).fillna(0.0).to_numpy()
    share = part.groupby("county")["unit_usual"].transform("sum") / \
        county_usual.reindex(part["county"]).replace(0, np.nan).to_numpy()
    part["detail"] = [joined([d, note("county_share", share=f"{s:.0%}")])
                      for d, s in zip(part["detail"], share.fillna(0.0))]
    kept = part[share.fillna(0.0).to_numpy() >= min_share]
    return pd.concat([findings[~silent], kept[FINDING_COLUMNS]], ignore_index=True)


# --- everything for one day ----------------------------------------------------------------


def visits_by_region(unit_days: pd.DataFrame, unit_regions: pd.DataFrame, level: str) -> pd.DataFrame:
    """``region, date, visits``: the units' visits summed per region of ``level`` and day."""
    region_of = unit_regions.drop_duplicates("unit").set_index("unit")[level]
    region = unit_days["unit"].map(region_of)
    known = region.notna().to_numpy()
    regions, names = pd.factorize(region[known], sort=True)
    days, dates = pd.factorize(pd.DatetimeIndex(unit_days["date"].to_numpy()[known]), sort=True)
    cell = regions * len(dates) + days  # sorted cells: what a groupby over region and date gives, faster
    cells = np.flatnonzero(np.bincount(cell, minlength=len(names) * len(dates)))
    visits = np.bincount(cell, weights=unit_days["visits"].to_numpy(dtype=float)[known],
                         minlength=len(names) * len(dates))[cells].astype(float)
    return pd.DataFrame({"region": names.take(cells // max(len(dates), 1)),
                         "date": dates.take(cells % max(len(dates), 1)), "visits": visits})


def _unit_days(con, start, end, *, as_of, history=None) -> pd.DataFrame:
    """``counts.unit_days``, from ``history`` (the revisions a detect run read) when it holds those days."""
    if history is not None and as_of is not None and history.covers(start=start, end=end):
        return history.unit_days(start, end, as_of=as_of)
    return counts.unit_days(con, start, end, as_of=as_of)


def check_day(con, quality, day, *, today=None, as_of=None, feeds: list[str] = (),
              history=None) -> dict[str, pd.DataFrame]:
    """The data-quality tables of one data day, as known on ``as_of``: ``completeness`` (county level,
    with timeliness and visits) and ``findings`` (outages). ``history``: the revisions read already
    (``store.history.CountHistory``), used where it holds the days needed."""
    day = pd.Timestamp(day)
    window = quality.usual_window_days
    unit_days = _unit_days(con, day - pd.Timedelta(days=window + 28), day, as_of=as_of, history=history)
    unit_regions = counts.unit_regions(con)
    county = completeness(unit_days, unit_regions, "county", day, day, window_days=window,
                          usual_share=quality.usual_share)
    visits = visits_by_region(unit_days, unit_regions, "county")
    county = county.merge(visits, on=["region", "date"], how="left")
    county = county.merge(counts.timeliness(con, day, day), on=["region", "date"], how="left")
    silences = silent_units(unit_days, unit_regions, day, window_days=window, daily_share=quality.daily_share,
                            silent_days=quality.silent_days)
    findings = [material_silences(silences, unit_days, unit_regions, day, window_days=window,
                                  min_share=quality.silent_alert_share)]
    holiday = quality.holiday_country and holiday_mask([day], quality.holiday_country)[0]
    if not holiday:
        findings += [visits_drops(visits, day, level="county", drop=quality.visits_drop),
                     visits_drops(visits_by_region(unit_days, unit_regions, "province"), day, level="province",
                                  drop=quality.visits_drop)]
    if feeds:
        findings.append(feed_silences(con, quality, today if today is not None else day + pd.Timedelta(days=1),
                                      feeds))
    findings = [f for f in findings if len(f)]
    found = pd.concat(findings, ignore_index=True) if findings else pd.DataFrame(columns=FINDING_COLUMNS)
    return {"completeness": county, "findings": found}


def feed_silences(con, quality, today, feeds: list[str]) -> pd.DataFrame:
    """Findings ``feed_silent`` of ``feeds`` as of ``today``, from the store's batches. The check is of the
    whole store, not of a region: a job that judges regions apart runs it once."""
    today = pd.Timestamp(today)
    window = quality.usual_window_days
    feed_days = operations.feed_days(con, today - pd.Timedelta(days=window + quality.silent_days + 1), today)
    return silent_feeds(feed_days, list(feeds), today, window_days=window, daily_share=quality.daily_share,
                        silent_days=quality.silent_days)


def completeness_at(con, quality, level: str, start, end, *, as_of=None, within=None,
                    history=None) -> pd.DataFrame:
    """Completeness of every region at ``level`` (below ``within``) on the days ``[start, end]``, as known
    on ``as_of`` (``history``: as for :func:`check_day`)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    first = start - pd.Timedelta(days=quality.usual_window_days)
    unit_days = (_unit_days(con, first, end, as_of=as_of, history=history) if within is None
                 else counts.unit_days(con, first, end, as_of=as_of, within=within))
    return completeness(unit_days, counts.unit_regions(con, within=within), level, start, end,
                        window_days=quality.usual_window_days, usual_share=quality.usual_share)
