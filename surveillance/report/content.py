"""What a weekly report says, gathered from the store: the figures of every section as tables.

The situation (trend labels, season status, forecasts, response indicators) comes from
:mod:`surveillance.service.situation`; the week's counts and their small-cell suppression from
:mod:`.headline`; alerts, data quality and the county shapes from the store. Rendering
(:mod:`.render`) only formats what is gathered here.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from epiweeks import Week

from .. import quality
from ..config import Config
from ..errors import UnknownName
from ..regions import Hierarchy
from ..service import situation
from ..store import counts
from ..store.reference import county_boundaries, regions_table, units_table
from ..store.reports import alert_events_between, quarantined_between
from .headline import VISITS, Areas, comparison, hidden_cells, week_counts
from .numbers import week_code

SEASON_SYNDROMES = ("ili", "hfmd")
FORECAST_WEEKS = 2
RESPONSE_WEEKS = 4  # the response indicators of the week and of the last four weeks
ALERT_ACTIONS = ("opened", "escalated", "ended", "closed", "reopened")


@dataclass
class ReportContent:
    """Every section's figures for one region, week and reader (exact counts or small ones suppressed)."""

    region: str | None
    week: Week
    language: str
    exact: bool
    min_cell: int
    classification: str
    names: dict[str, str]
    areas: Areas
    syndromes: list[str]
    created_at: datetime
    last_day: object  # the newest day with data up to the week's end
    headline: pd.DataFrame  # region, syndrome (and "visits"): counts, shares, changes, hidden marks
    trends: pd.DataFrame  # region, syndrome, label
    counties: pd.DataFrame  # the maps: region (county), syndrome, percent_this, hidden_this
    shapes: dict[str, str] = field(default_factory=dict)  # county code -> GeoJSON geometry text
    seasons: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per episode with its week's actions
    response: pd.DataFrame = field(default_factory=pd.DataFrame)  # period, indicators
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)  # region, completeness, timeliness, silent
    silent_units: list[str] = field(default_factory=list)
    quarantined: int = 0
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def week_code(self) -> str:
        return week_code(self.week)

    def name(self, code: str | None) -> str:
        if code is None:
            return ""
        return self.names.get(code, code)

    def summary(self) -> dict:
        """The headline figures of the report's region, for the email's body and the stored row."""
        top = self.headline[self.headline["region"].isna()] if self.region is None else \
            self.headline[self.headline["region"] == self.region]
        figures = {}
        for row in top.to_dict("records"):
            figures[row["syndrome"]] = {k: (None if isinstance(v, float) and np.isnan(v) else v)
                                        for k, v in row.items() if k.startswith(("count_", "percent_", "ratio_", "hidden_"))}
        labels = self.trends[self.trends["region"] == self.region] if len(self.trends) else self.trends
        for row in labels.to_dict("records"):
            figures.setdefault(row["syndrome"], {})["trend"] = row["label"]
        return {"region": self.region, "week": self.week_code, "language": self.language, "exact": self.exact,
                "figures": figures}


def hierarchy_of(con) -> Hierarchy:
    return Hierarchy(regions_table(con), units_table(con))


def gather(store, config: Config, *, region: str | None, week: Week, language: str = "en",
           exact: bool = False, now: datetime | None = None) -> ReportContent:
    """The report's figures for ``region`` (None: every region) and the ISO ``week``."""
    monday, sunday = week.startdate(), week.enddate()
    syndromes = list(config.syndromes)
    min_cell = 1 if exact else config.privacy.min_cell
    with closing(store.cursor()) as con:
        tree = hierarchy_of(con)
        region = report_region(tree, region)
        areas = Areas.of(tree, region)
        frame = week_counts(con, areas, week, syndromes)
        hidden = hidden_cells(frame, tree, areas, min_cell)
        headline = comparison(frame, hidden, areas.rows)
        counties = comparison(frame, hidden, areas.counties)
        wanted = set(areas.counties)
        shapes = {c: g for c, g in county_boundaries(con).items() if c in wanted}
        last_day = counts.date_range(con, within=region)[1]
        if last_day is not None and last_day > sunday:
            last_day = sunday
        quality_rows, silent, quarantined = _quality(con, config, areas, tree, monday, sunday)
        alerts = _alerts(con, tree, region, monday, sunday)
    # the situation of the region and the regions below it (a county's units: too few counts for seasons
    # and forecasts of their own; the headline still lists them)
    coded = [c for c in areas.rows if c is not None and (c == region or tree.level_of(c) != "facility")]
    trend = situation.trend_labels(store, regions=coded, day=sunday) if coded else pd.DataFrame(
        columns=["region", "syndrome", "label"])
    seasons = situation.season_statuses(store, regions=coded, week=week,
                                        syndromes=[s for s in SEASON_SYNDROMES if s in syndromes]) \
        if coded else pd.DataFrame()
    forecasts = situation.region_forecasts(store, regions=coded, week=week, horizons=FORECAST_WEEKS) \
        if coded else pd.DataFrame()
    if len(forecasts):
        order = {code: i for i, code in enumerate(coded)}
        forecasts = forecasts[forecasts["shown"].eq(True)].assign(
            _area=lambda f: f["region"].map(order), _syndrome=lambda f: f["syndrome"].map(
                {s: i for i, s in enumerate(syndromes)})).sort_values(["_area", "_syndrome", "horizon"])
        forecasts = forecasts.drop(columns=["_area", "_syndrome"]).reset_index(drop=True)
    return ReportContent(
        region=region, week=week, language=language, exact=exact, min_cell=config.privacy.min_cell,
        classification=config.audit.classification, names=tree.names(language), areas=areas, syndromes=syndromes,
        created_at=now or datetime.now(), last_day=last_day, headline=headline, trends=trend,
        counties=counties, shapes=shapes, seasons=seasons, alerts=alerts,
        response=_response(store, region, monday, sunday, now), quality=quality_rows, silent_units=silent,
        quarantined=quarantined, forecasts=forecasts)


def report_region(tree: Hierarchy, region: str | None) -> str | None:
    """The region a report covers: ``region``, or for None (every region) the one province when there is
    only one (its report is every region's)."""
    if region is None:
        provinces = tree.regions_at("province")["code"].tolist()
        return provinces[0] if len(provinces) == 1 else None
    if region not in tree:
        raise UnknownName(f"unknown region {region!r}")
    return region


def _within(tree: Hierarchy, region: str | None, code) -> bool:
    if region is None:
        return True
    return isinstance(code, str) and code in tree and region in tree.lineage(code)


def _alerts(con, tree: Hierarchy, region: str | None, monday, sunday) -> pd.DataFrame:
    """One row per episode with an event in the week: the episode and what happened to it in the week."""
    events = alert_events_between(con, monday, sunday)
    columns = ["episode_id", "kind", "region", "syndrome", "severity", "opened_on", "state", "outcome", "actions"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    events = events[[_within(tree, region, r) for r in events["region"]]].copy()
    closed = (events["action"].isin(["transition", "reopened"])) & (events["to_state"] == "closed")
    events["what"] = np.where(closed, "closed", events["action"])
    events = events[events["what"].isin(ALERT_ACTIONS)]
    if events.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for episode_id, group in events.groupby("episode_id", sort=True):
        last = group.iloc[-1]
        rows.append({"episode_id": int(episode_id), "kind": last["kind"], "region": last["region"],
                     "syndrome": last["syndrome"], "severity": last["severity"], "opened_on": last["opened_on"],
                     "state": last["state"], "outcome": last["outcome"],
                     "actions": list(dict.fromkeys(group["what"]))})
    return pd.DataFrame(rows, columns=columns)


def _response(store, region, monday, sunday, now) -> pd.DataFrame:
    periods = {"period_week": monday, "period_4w": monday - timedelta(weeks=RESPONSE_WEEKS - 1)}
    rows = []
    for key, since in periods.items():
        table = situation.region_indicators(store, region=region, since=since, until=sunday, by=(),
                                            as_of=now or datetime.now())
        row = table.iloc[0].to_dict() if len(table) else {"alerts": 0}
        rows.append({"period": key, **row})
    return pd.DataFrame(rows)


def _quality(con, config: Config, areas: Areas, tree: Hierarchy, monday, sunday):
    """Per area: mean completeness and timeliness over the week, silent units at its end; the silent
    units' codes; rows quarantined in the week."""
    top, rows = areas.top, []
    unit_days = counts.unit_days(con, pd.Timestamp(monday) - pd.Timedelta(days=config.quality.usual_window_days
                                                                            + config.quality.silent_days), sunday,
                                 within=top)
    unit_regions = counts.unit_regions(con, within=top)
    silences = quality.silent_units(unit_days, unit_regions, sunday, window_days=config.quality.usual_window_days,
                                    daily_share=config.quality.daily_share, silent_days=config.quality.silent_days)
    silent = sorted(silences["region"].astype(str))
    by_level: dict[str, pd.DataFrame] = {}
    for code in areas.rows:
        level = "province" if code is None else tree.level_of(code)
        if level not in by_level:
            done = quality.completeness_at(con, config.quality, level, monday, sunday, within=top)
            on_time = counts.timeliness(con, monday, sunday, level=level)
            by_level[level] = (done.groupby("region")["completeness"].mean().to_frame()
                               .join(on_time.groupby("region")["timeliness"].mean(), how="left"))
        table = by_level[level]
        if code is None:
            value = {"completeness": table["completeness"].mean(), "timeliness": table["timeliness"].mean()}
            mine = silent
        else:
            value = table.loc[code].to_dict() if code in table.index else {}
            mine = [u for u in silent if code in tree.lineage(u)]
        rows.append({"region": code, "completeness": value.get("completeness", np.nan),
                     "timeliness": value.get("timeliness", np.nan), "silent": len(mine)})
    return pd.DataFrame(rows), silent, quarantined_between(con, monday, sunday, within=top)


__all__ = ["ReportContent", "gather", "VISITS"]
