"""The epidemic situation as the pages read it: trend labels, season status, forecasts and response
indicators (``surveillance.service.situation``) of regions the user's scope allows, remembered until
the next batch arrives (:func:`dashboards.data.cached`).

Which regions: a page's region and its children the user may open; for a user of every region, the
top of the hierarchy (the province when there is one) and its children. What a user without exact
counts reads: the labels (a trend, a season's level and start), not the figures computed from hidden
counts (a week's percent of visits, forecasts of visits).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from epiweeks import Week

from surveillance.service import situation

from . import data

SEASON_SYNDROMES = ("ili", "hfmd")
MAX_REGIONS = 40  # rows of a page's situation tables


def situation_regions(ctx, scope, region: str | None = None) -> list[str]:
    """The region (the scope's root by default) and the children of it the user may open."""
    base = scope.region(region)
    if base is None:
        tops = [c for c in ctx.regions.children(None) if scope.allows(c)]
        if len(tops) != 1:
            return tops[:MAX_REGIONS]
        base = tops[0]
    children = [c for c in ctx.regions.children(base) if scope.allows(c) and ctx.regions.level(c) is not None]
    return [base, *children][:MAX_REGIONS]


def _checked(scope, regions) -> list[str]:
    return [scope.region(r) for r in regions]  # OutOfScope for a region the user may not see


def trend_table(ctx, scope, regions: list[str], day) -> pd.DataFrame:
    regions = _checked(scope, regions)
    day = pd.Timestamp(day).date()
    cur = ctx.cursor()
    return data.cached(cur, ("situation-trends", tuple(regions), str(day)),
                       lambda: situation.trend_labels(ctx.store, regions=regions, day=day))


def season_table(ctx, scope, regions: list[str], week: Week) -> pd.DataFrame:
    regions = _checked(scope, regions)
    cur = ctx.cursor()
    table = data.cached(cur, ("situation-seasons", tuple(regions), str(week)),
                        lambda: situation.season_statuses(ctx.store, regions=regions, week=week,
                                                          syndromes=SEASON_SYNDROMES))
    if not scope.exact:
        table["percent"] = float("nan")
    return table


def forecast_table(ctx, scope, region: str, syndrome: str, week: Week) -> pd.DataFrame:
    """The forecasts of one region and syndrome; empty for a user without exact counts."""
    region = scope.region(region)
    if not scope.exact or region is None:
        return pd.DataFrame(columns=situation.FORECAST_COLUMNS)
    cur = ctx.cursor()
    return data.cached(cur, ("situation-forecast", region, syndrome, str(week)),
                       lambda: situation.region_forecasts(ctx.store, regions=[region], week=week,
                                                          syndromes=[syndrome]))


def weekly_visits(ctx, scope, region: str, syndrome: str, week: Week, weeks: int = 26) -> pd.DataFrame:
    """``week`` (its Monday) and ``count``: the region's whole weeks up to ``week``, for the forecast chart
    (NaN for a week holding a count hidden from this user)."""
    end = pd.Timestamp(situation.iso_monday(week)) + pd.Timedelta(days=6)
    start = end - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1)
    daily = data.scope_daily(ctx.cursor(), scope, syndrome, start, end, region=region)
    if daily.empty:
        return pd.DataFrame(columns=["week", "count"])
    daily = daily.assign(week=daily["date"] - pd.to_timedelta(daily["date"].dt.dayofweek, unit="D"))
    weekly = daily.groupby("week").agg(count=("count", "sum"), days=("count", "size"),
                                       hidden=("hidden", "any")).reset_index()
    weekly["count"] = weekly["count"].where(~weekly["hidden"].astype(bool))  # a week over a hidden day: not drawn
    return weekly[weekly["days"] == 7][["week", "count"]]


def indicators_table(ctx, scope, region: str | None, since: date, until: date, by=("detector", "syndrome"),
                     as_of: datetime | None = None) -> pd.DataFrame:
    """Response indicators of the alerts opened in ``[since, until]`` in the region's subtree (the user's)."""
    code = scope.region(region)
    return situation.region_indicators(ctx.store, region=code, since=since, until=until, by=by, as_of=as_of)
