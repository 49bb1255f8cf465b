"""Where each region stands in its season: has the epidemic started, and how intense is it?

Seasons run over ISO weeks (Monday to Sunday, the weeks of a weekly panel) from a start
week to the week before it a year later: week 40 to week 39 for influenza-like illness in
the northern hemisphere (season "2024/2025"), week 1 to week 52/53 for hand, foot and mouth
disease, which in China peaks from April to July (season "2025"). ``start_week`` is a
parameter.

For the current season, with the thresholds of ``mem.mem_model`` from the seasons before it:

* the **level** of a week is *baseline* at or below the epidemic threshold, else *low*,
  *medium*, *high* or *very high* by the intensity thresholds it exceeds (``mem``'s
  intensity levels);
* the epidemic **starts** in the first week above the epidemic threshold and **ends** in the
  first week after both the start and the season's peak so far that is below the
  post-epidemic threshold (``mem::memsurveillance``); one epidemic a season, as ``mem`` assumes;
* ``season_events`` lists the season's start and each week its level rose above every level
  reached before in the epidemic: what the service emails, once each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from epiweeks import Week, Year

from ..detectors.inputs import values
from ..errors import SurveillanceError
from ..panel import Panel
from .mem import MemModel, mem_model

ILI_START_WEEK = 40
HFMD_START_WEEK = 1
LEVELS = ("baseline", "low", "medium", "high", "very_high")
PHASES = ("pre_epidemic", "epidemic", "post_epidemic")


def season_of(dates, start_week: int = ILI_START_WEEK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(season, week_of_season, iso_week)`` of each date: the ISO year in which its season starts,
    the 0-based week within the season, and the ISO week number."""
    if not 1 <= int(start_week) <= 52:
        raise SurveillanceError(f"season: start_week must be 1-52, got {start_week}")
    dates = pd.DatetimeIndex(dates)
    mondays = dates - pd.to_timedelta(dates.day_of_week, unit="D")
    season = np.zeros(len(dates), dtype=int)
    week_of_season = np.zeros(len(dates), dtype=int)
    iso_week = np.zeros(len(dates), dtype=int)
    starts: dict[int, pd.Timestamp] = {}
    for i, monday in enumerate(mondays):
        week = Week.fromdate(monday.date(), system="iso")
        year = week.year if week.week >= start_week else week.year - 1
        if year not in starts:
            starts[year] = pd.Timestamp(Week(year, start_week, system="iso").startdate())
        season[i], iso_week[i] = year, week.week
        week_of_season[i] = (monday - starts[year]).days // 7
    return season, week_of_season, iso_week


def season_length(season: int, start_week: int = ILI_START_WEEK) -> int:
    """Weeks from ``start_week`` of ``season`` to the same week a year later: 52 or 53."""
    first = Week(season, start_week, system="iso").startdate()
    nxt = Week(season + 1, min(start_week, Year(season + 1, system="iso").totalweeks()), system="iso").startdate()
    return (nxt - first).days // 7


def season_label(season: int, start_week: int = ILI_START_WEEK) -> str:
    return str(season) if start_week == 1 else f"{season}/{season + 1}"


def by_season(values: np.ndarray, dates, start_week: int = ILI_START_WEEK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekly ``values [n, T]`` laid out as ``[n, seasons, 53]`` (NaN where there is no week).
    Returns the array, the seasons (start years) and each season's number of weeks."""
    values = np.asarray(values, dtype=float)
    season, week, _ = season_of(dates, start_week)
    seasons = np.unique(season)
    out = np.full((values.shape[0], len(seasons), 53), np.nan)
    out[:, np.searchsorted(seasons, season), week] = values
    lengths = np.array([season_length(int(s), start_week) for s in seasons], dtype=int)
    return out, seasons, lengths


@dataclass(frozen=True)
class SeasonStatus:
    """The current season of each region: per week ``[n, W]`` and per region ``[n]``."""

    level: np.ndarray  # int [n, W]: index into LEVELS; -1 where the week has no value
    started: np.ndarray  # bool [n]
    start_week: np.ndarray  # int [n]: week of season the epidemic started; -1 if not
    end_week: np.ndarray  # int [n]; -1 while it goes on (or never started)
    current_week: np.ndarray  # int [n]: the last week with a value; -1 if none
    current_level: np.ndarray  # int [n]; -1 when there is no value, or no model
    highest_level: np.ndarray  # int [n]: highest level since the start; -1 if not started
    phase: np.ndarray  # object [n]: one of PHASES; None without a model


def intensity_levels(values: np.ndarray, model: MemModel) -> np.ndarray:
    """Level of each value ``[n, W]`` against its region's thresholds; -1 where value or thresholds are missing."""
    values = np.asarray(values, dtype=float)
    thresholds = model.thresholds  # [n, 4]: epidemic, medium, high, very high
    level = np.zeros(values.shape, dtype=int)
    above = values > thresholds[:, 0:1]
    level[above] = 1
    for k in (1, 2, 3):
        level[above & (values > thresholds[:, k:k + 1])] = k + 1
    level[np.isnan(values) | np.isnan(thresholds).any(axis=1)[:, None]] = -1
    return level


def season_status(current: np.ndarray, model: MemModel) -> SeasonStatus:
    """Status of the current season's weekly values ``[n, W]`` (NaN for weeks not yet reported)."""
    current = np.asarray(current, dtype=float)
    n, W = current.shape
    level = intensity_levels(current, model)
    weeks = np.arange(W)[None, :]
    above = current > model.epidemic_threshold[:, None]
    started = above.any(axis=1)
    start = np.where(started, above.argmax(axis=1), -1)
    reported = ~np.isnan(current)
    peak = np.where(reported.any(axis=1), np.nanargmax(np.where(reported, current, -np.inf), axis=1), -1)
    search_from = np.maximum(start, peak)
    below_post = (current < model.post_threshold[:, None]) & (weeks > search_from[:, None]) & started[:, None]
    ended = below_post.any(axis=1)
    end = np.where(ended, below_post.argmax(axis=1), -1)
    current_week = np.where(reported.any(axis=1), W - 1 - reported[:, ::-1].argmax(axis=1), -1)
    rows = np.arange(n)
    current_level = np.where(current_week >= 0, level[rows, np.maximum(current_week, 0)], -1)
    during = started[:, None] & (weeks >= start[:, None]) & ((end[:, None] < 0) | (weeks < end[:, None]))
    highest = np.where(started, np.where(during, level, -1).max(axis=1, initial=-1), -1)
    has_model = ~np.isnan(model.thresholds).any(axis=1)
    phase = np.where(~started, PHASES[0], np.where(ended, PHASES[2], PHASES[1])).astype(object)
    phase[~has_model] = None
    return SeasonStatus(level=level, started=started & has_model, start_week=np.where(has_model, start, -1),
                        end_week=np.where(has_model, end, -1), current_week=current_week,
                        current_level=current_level, highest_level=np.where(has_model, highest, -1), phase=phase)


def season_events(status: SeasonStatus) -> pd.DataFrame:
    """``row, week_of_season, event, level``: the start of each region's epidemic (``started``, with
    that week's level) and each later week whose level rose above all before it (``intensity_rose``)."""
    rows, weeks, events, levels = [], [], [], []
    n, W = status.level.shape
    for r in np.flatnonzero(status.started):
        start = int(status.start_week[r])
        stop = int(status.end_week[r]) if status.end_week[r] >= 0 else W
        seen = int(status.level[r, start])
        rows.append(r), weeks.append(start), events.append("started"), levels.append(LEVELS[seen])
        for w in range(start + 1, stop):  # a loop over weeks of the regions that started: a handful
            if status.level[r, w] > seen:
                seen = int(status.level[r, w])
                rows.append(r), weeks.append(w), events.append("intensity_rose"), levels.append(LEVELS[seen])
    return pd.DataFrame({"row": np.array(rows, dtype=int), "week_of_season": np.array(weeks, dtype=int),
                         "event": events, "level": levels})


def weekly_percent(panel: Panel) -> np.ndarray:
    """Percent of all visits, per series and week, of a weekly panel with totals."""
    if panel.freq != "weekly":
        raise SurveillanceError(f"season: rates need a weekly panel, got {panel.freq}")
    return values("season", panel, percent=True)


def season_situation(rates: np.ndarray, dates, keys: pd.DataFrame | None = None, *,
                     start_week: int = ILI_START_WEEK, as_of=None, **mem_params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Thresholds from the seasons before the current one, and the current season's status.

    ``rates [n, T]`` weekly (Monday) values per region, ``dates`` their weeks; the current
    season is the one holding ``as_of`` (default: the last week). Returns ``(status, events)``:
    one row per region (its keys, the season, the last reported week, its value, thresholds,
    level, phase, start week...) and the season's events with the region's keys and week.
    """
    dates = pd.DatetimeIndex(dates)
    rates = np.asarray(rates, dtype=float)
    if rates.shape[1] != len(dates):
        raise SurveillanceError(f"season: {rates.shape[1]} weeks of rates but {len(dates)} dates")
    keys = pd.DataFrame({"row": np.arange(len(rates))}) if keys is None else keys.reset_index(drop=True)
    if as_of is not None:
        rates, dates = rates[:, dates <= pd.Timestamp(as_of)], dates[dates <= pd.Timestamp(as_of)]
    if not len(dates):
        raise SurveillanceError("season: no weeks up to the reporting date")
    table, seasons, lengths = by_season(rates, dates, start_week)
    model = mem_model(table[:, :-1], lengths[:-1], **mem_params)
    current_season = int(seasons[-1])
    current = table[:, -1, :lengths[-1]]
    status = season_status(current, model)
    first = pd.Timestamp(Week(current_season, start_week, system="iso").startdate())

    def week_date(week: np.ndarray) -> pd.Series:
        return pd.Series(np.where(week >= 0, first + pd.to_timedelta(7 * np.maximum(week, 0), unit="D"), pd.NaT),
                         dtype="datetime64[ns]")

    rows = np.arange(len(rates))
    out = keys.copy()
    out["season"] = season_label(current_season, start_week)
    out["week"] = week_date(status.current_week)
    out["value"] = np.where(status.current_week >= 0, current[rows, np.maximum(status.current_week, 0)], np.nan)
    out["epidemic_threshold"] = model.epidemic_threshold
    out["post_threshold"] = model.post_threshold
    for k, name in enumerate(("medium_threshold", "high_threshold", "very_high_threshold")):
        out[name] = model.intensity[:, k]
    out["level"] = [LEVELS[v] if v >= 0 else None for v in status.current_level]
    out["phase"] = status.phase
    out["started"] = status.started
    out["start_week"] = week_date(status.start_week)
    out["end_week"] = week_date(status.end_week)
    out["highest_level"] = [LEVELS[v] if v >= 0 else None for v in status.highest_level]
    out["seasons_used"] = model.n_seasons
    events = season_events(status)
    events = pd.concat([keys.iloc[events["row"]].reset_index(drop=True), events.drop(columns="row")], axis=1)
    events.insert(len(keys.columns), "season", season_label(current_season, start_week))
    events["week"] = week_date(events["week_of_season"].to_numpy())
    return out, events
