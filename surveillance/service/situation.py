"""The epidemic situation of regions, from the store: trend labels, season status, forecasts and
response indicators as tables for the reports, pages, command line and emails.

A region is a region code with its whole subtree summed (``store.counts.region_daily``); the
figures come from ``surveillance.situation`` unchanged. Weeks are ISO weeks (Monday to Sunday):
an ``epiweeks.Week`` is read by its year and number as an ISO week, and week labels are written
``2026-W49``.
"""

from __future__ import annotations

from contextlib import closing
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from epiweeks import Week

from ..evaluation.forecast import backtest_forecasts, forecast_skill
from ..panel import Panel, panel_from_long, to_weekly
from ..situation import forecast as forecasting
from ..situation import season, trends
from ..situation.indicators import response_indicators
from ..store.counts import region_daily
from ..store.situation import episodes_opened, events_of

SEASON_STARTS = {"ili": season.ILI_START_WEEK, "hfmd": season.HFMD_START_WEEK}
PAST_SEASONS = 10  # the Moving Epidemic Method's most recent seasons
MIN_SEASONS = 2  # mem needs two past seasons
BACKTEST_ORIGINS = 52  # a year of past weeks decides whether a series' forecast is shown
TREND_COLUMNS = ["region", "syndrome", "label", "slope", "pvalue", "percent", "reason"]
SEASON_COLUMNS = ["region", "syndrome", "season", "level", "phase", "percent", "epidemic_threshold", "post_threshold",
                  "medium", "high", "very_high", "started_week", "ended_week", "reported_week", "seasons_used",
                  "reason"]
EVENT_COLUMNS = ["region", "syndrome", "season", "event", "level", "week", "monday", "percent",
                 "epidemic_threshold", "medium_threshold", "high_threshold", "very_high_threshold"]
FORECAST_COLUMNS = ["region", "syndrome", "horizon", "week", "median", "lower50", "upper50", "lower90", "upper90",
                    "shown", "status", "relative_wis"]
BANDS = {"lower90": 0.05, "lower50": 0.25, "median": 0.5, "upper50": 0.75, "upper90": 0.95}


def iso_monday(week: Week) -> date:
    """The Monday of the ISO week with ``week``'s year and number."""
    return Week(int(week.year), int(week.week), system="iso").startdate()


def complete_week(day) -> Week:
    """The last ISO week that has ended by ``day`` (``day``'s own week when it is a Sunday)."""
    day = pd.Timestamp(day).date()
    return Week.fromdate(day - timedelta(days=(day.weekday() + 1) % 7), system="iso")


def week_label(day) -> str | None:
    """``2026-W49``: the ISO week holding ``day`` (None for a missing day)."""
    if day is None or pd.isna(day):
        return None
    week = Week.fromdate(pd.Timestamp(day).date(), system="iso")
    return f"{week.year}-W{week.week:02d}"


def _objects(values) -> pd.Series:
    """Text with None where missing (a text column would turn None into NaN)."""
    return pd.Series(list(values), dtype=object)


def _read(store, **query) -> pd.DataFrame:
    with closing(store.cursor()) as con:
        return region_daily(con, **query)


def _daily_panel(long: pd.DataFrame, start, end) -> Panel:
    return panel_from_long(long, ["region", "syndrome"], start=pd.Timestamp(start), end=pd.Timestamp(end))


# --- trends ---------------------------------------------------------------------------------------------


def trend_labels(store, *, regions: list[str], day: date, window: int = trends.WINDOW_DAYS,
                 syndromes=None) -> pd.DataFrame:
    """Per region and syndrome with data in the ``window`` days ending ``day``: the trend of its share of
    all visits (``label``: increasing, stable, decreasing or insufficient_data, Rnssp's rule), the slope
    of its log-odds per day, the p-value, the window's percent of visits and the label's ``reason``."""
    start = pd.Timestamp(day) - pd.Timedelta(days=window - 1)
    long = _read(store, regions=regions, syndromes=syndromes, start=start, end=day)
    if long.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    table = trends.trend_table(_daily_panel(long, start, day), window=window)
    return table.rename(columns={"trend": "label"})[TREND_COLUMNS]


# --- seasons --------------------------------------------------------------------------------------------


def _season_reason(row) -> str | None:
    if pd.isna(row["seasons_used"]):
        return "no data"
    if row["seasons_used"] < MIN_SEASONS:
        return (f"{int(row['seasons_used'])} past season(s) with 75% of their weeks reported; "
                f"the thresholds need {MIN_SEASONS}")
    if not isinstance(row["level"], str):
        return "no week of the current season reported yet"
    return None


def _seasons(store, regions: list[str], week: Week, syndromes):
    """Per syndrome: ``(syndrome, season label, status, events, percent)`` from ``season_situation`` on the
    weekly percent of visits up to ``week`` (``percent``: regions x Mondays; all but the label None without
    data)."""
    monday = pd.Timestamp(iso_monday(week))
    sunday = monday + pd.Timedelta(days=6)
    first = monday - pd.Timedelta(weeks=53 * (PAST_SEASONS + 1))
    first -= pd.Timedelta(days=first.day_of_week)
    long = _read(store, regions=regions, syndromes=list(syndromes), start=first, end=sunday)
    for syndrome in syndromes:
        start_week = SEASON_STARTS.get(syndrome, season.ILI_START_WEEK)
        current, _, _ = season.season_of([monday], start_week)
        label = season.season_label(int(current[0]), start_week)
        rows = long[long["syndrome"] == syndrome]
        if not len(rows):
            yield syndrome, label, None, None, None
            continue
        weekly = to_weekly(_daily_panel(rows, first, sunday))
        rates = season.weekly_percent(weekly)
        status, events = season.season_situation(rates, weekly.dates, weekly.keys, start_week=start_week,
                                                 as_of=monday)
        yield syndrome, label, status, events, pd.DataFrame(rates, index=weekly.keys["region"], columns=weekly.dates)


def season_statuses(store, *, regions: list[str], week: Week, syndromes=("ili", "hfmd")) -> pd.DataFrame:
    """Where each region's season of each syndrome stands in ``week``: the weekly percent of all visits
    against the Moving Epidemic Method's thresholds from the seasons before the current one. ``level``
    and ``percent`` are those of the last reported week up to ``week`` (``reported_week``); a region
    without enough past seasons (or without data) has no level and a ``reason``."""
    frames = []
    for syndrome, label, status, _, _ in _seasons(store, regions, week, syndromes):
        wanted = pd.DataFrame({"region": [str(r) for r in regions], "syndrome": syndrome})
        if status is not None:
            wanted = wanted.merge(status, on=["region", "syndrome"], how="left")
        wanted["season"] = label
        frames.append(wanted)
    out = pd.concat(frames, ignore_index=True).reindex(columns=[
        "region", "syndrome", "season", "level", "phase", "value", "epidemic_threshold", "post_threshold",
        "medium_threshold", "high_threshold", "very_high_threshold", "start_week", "end_week", "week",
        "seasons_used"])
    out = out.rename(columns={"value": "percent", "medium_threshold": "medium", "high_threshold": "high",
                              "very_high_threshold": "very_high"})
    for column in ("level", "phase"):
        out[column] = _objects(v if isinstance(v, str) else None for v in out[column])
    for column, source in (("started_week", "start_week"), ("ended_week", "end_week"), ("reported_week", "week")):
        out[column] = _objects(week_label(v) for v in out[source])
    out["reason"] = _objects(_season_reason(row) for _, row in out.iterrows())
    return out[SEASON_COLUMNS]


def season_events(store, *, regions: list[str], week: Week, syndromes=("ili", "hfmd")) -> pd.DataFrame:
    """The current seasons' events up to ``week`` (``season.season_events``: the epidemic ``started``, or its
    level rose above every level before, ``intensity_rose``): ``region, syndrome, season, event, level,
    week`` (its label), ``monday`` and that week's ``percent`` of visits, with the region's thresholds,
    oldest first."""
    frames = []
    for syndrome, label, status, events, percent in _seasons(store, regions, week, syndromes):
        if events is None or not len(events):
            continue
        events = events.assign(percent=[percent.at[r, pd.Timestamp(m)] for r, m in zip(events["region"], events["week"])])
        thresholds = status[["region", "syndrome", "epidemic_threshold", "medium_threshold", "high_threshold",
                             "very_high_threshold"]]
        frames.append(events.merge(thresholds, on=["region", "syndrome"], how="left").assign(season=label))
    if not frames:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    out = pd.concat(frames, ignore_index=True).rename(columns={"week": "monday"})
    out["week"] = [week_label(v) for v in out["monday"]]
    return out.sort_values(["monday", "region", "syndrome"]).reset_index(drop=True)[EVENT_COLUMNS]


# --- forecasts ------------------------------------------------------------------------------------------


def region_forecasts(store, *, regions: list[str], week: Week, horizons: int = forecasting.HORIZONS,
                     syndromes=None) -> pd.DataFrame:
    """Weekly visits of each region and syndrome 1 to ``horizons`` weeks after ``week`` (the last week
    known): the median and the 50 % and 90 % intervals of the seasonal model, and ``shown``: whether the
    model beat the naive baseline on this series at this horizon over the last year's backtest
    (``forecast_skill``, relative WIS < 1). A series the model cannot forecast has NaN and its ``status``."""
    monday = pd.Timestamp(iso_monday(week))
    sunday = monday + pd.Timedelta(days=6)
    weeks = forecasting.HISTORY_WEEKS + BACKTEST_ORIGINS + horizons
    first = monday - pd.Timedelta(weeks=weeks)
    long = _read(store, regions=regions, syndromes=syndromes, start=first, end=sunday)
    if long.empty:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    weekly = to_weekly(_daily_panel(long, first, sunday))
    result = forecasting.forecast(weekly, horizons)
    table = result.to_frame(weekly.keys)
    names = {round(q, 6): name for name, q in BANDS.items()}
    table["band"] = [names.get(round(float(q), 6)) for q in table["quantile"]]
    out = table.pivot(index=["region", "syndrome", "horizon", "target_week", "status"], columns="band",
                      values="value").reset_index()
    out.columns.name = None
    backtest = backtest_forecasts(weekly, horizons=range(1, horizons + 1), origins=BACKTEST_ORIGINS)
    if len(backtest):
        skill = forecast_skill(backtest, by=("region", "syndrome", "horizon"))
        out = out.merge(skill[["region", "syndrome", "horizon", "relative_wis", "show"]],
                        on=["region", "syndrome", "horizon"], how="left")
    else:
        out["relative_wis"], out["show"] = np.nan, False
    out["shown"] = out["show"].eq(True) & (out["status"] == "ok")
    out["week"] = [week_label(v) for v in out["target_week"]]
    out["horizon"] = out["horizon"].astype(int)
    return out.sort_values(["region", "syndrome", "horizon"]).reset_index(drop=True)[FORECAST_COLUMNS]


# --- response indicators --------------------------------------------------------------------------------


def region_indicators(store, *, region: str | None, since: date, until: date, by=("detector", "syndrome"),
                      as_of: datetime | None = None) -> pd.DataFrame:
    """``response_indicators`` over the alerts opened from ``since`` to ``until`` (days, inclusive) in
    ``region``'s subtree (every alert for ``None``), grouped ``by``; ``as_of`` (default now) decides which
    unanswered alerts are still pending."""
    with closing(store.cursor()) as con:
        episodes = episodes_opened(con, region=region, since=since, until=until)
        events = events_of(con, episodes["episode_id"])
    as_of = as_of or datetime.now()
    # The period is the episodes' opening day (``opened_on``), already chosen by the store; the library's own
    # since/until would choose by the time the opening was recorded, later for a backfilled day.
    table = response_indicators(events, episodes, by=list(by), as_of=as_of)
    if table.empty:  # no alert: the columns all the same (one summary row's)
        columns = [*by, *response_indicators(events, episodes, by=(), as_of=as_of).columns]
        return pd.DataFrame(columns=columns)
    return table

