"""The week's counts of the report's areas: visits and each syndrome this week, the week before and the
same ISO week a year earlier, with the small counts a reader without exact counts may not see.

The areas are the report's region, the regions (or, for a county, the units) directly below it, and the
counties of the maps. Small counts are suppressed on the week's table as the dashboard suppresses a day's
(:func:`surveillance.privacy.suppress`): counts from 1 to ``min_cell - 1``, and the counts that would give
one away by subtraction along the hierarchy (a region is the sum of the areas below it), for every
syndrome and week; a share or a change computed from a hidden count is withheld too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from epiweeks import Week

from ..privacy import ROOT, suppress
from ..regions import Hierarchy
from ..store import counts
from ..vocabulary import PANEL_LEVELS
from .numbers import same_week_last_year, week_before

VISITS = "visits"  # the measure of all visits, beside the syndromes
WEEKS = ("this", "last", "last_year")


@dataclass(frozen=True)
class Areas:
    """Where the report looks: its region (None: every region), the areas directly below, the counties."""

    top: str | None
    children: list[str]
    counties: list[str]
    levels: list[str]  # the levels read, the top's first

    @classmethod
    def of(cls, hierarchy: Hierarchy, region: str | None) -> "Areas":
        if region is None:
            provinces = hierarchy.regions_at("province")["code"].tolist()
            counties = hierarchy.regions_at("county")["code"].tolist()
            return cls(None, sorted(provinces), sorted(counties), ["province", "city", "county"])
        level = hierarchy.level_of(region)
        below = PANEL_LEVELS[PANEL_LEVELS.index(level):]
        levels = below if level == "county" else [lv for lv in below if lv != "facility"]
        counties = [region] if level == "county" else [c for c in hierarchy.descendants(region, include_units=False)
                                                       if hierarchy.level_of(c) == "county"]
        return cls(region, hierarchy.children(region), sorted(counties), levels)

    @property
    def rows(self) -> list[str | None]:
        """The areas of the report's tables: the region first, then the ones below it."""
        return [self.top, *self.children]


def week_counts(con, areas: Areas, week: Week, syndromes: list[str]) -> pd.DataFrame:
    """``region, syndrome, week, count, total`` summed over each week's days, for every area at every level
    read (``region`` None: every region together) and the weeks ``this``, ``last`` and ``last_year``;
    syndrome :data:`VISITS` holds all visits."""
    weeks = {"this": week, "last": week_before(week), "last_year": same_week_last_year(week)}
    parts = []
    for name, w in weeks.items():
        for level in areas.levels:
            long = counts.read_counts(con, level=level, syndromes=syndromes, start=w.startdate(), end=w.enddate(),
                                      within=areas.top)
            if long.empty:
                continue
            per = long.groupby(["region", "syndrome"], as_index=False)[["count", "total"]].sum(min_count=1)
            parts.append(per.assign(week=name))
    if not parts:
        return pd.DataFrame(columns=["region", "syndrome", "week", "count", "total"])
    frame = pd.concat(parts, ignore_index=True)
    if areas.top is None:  # every region together: the provinces summed
        provinces = frame[frame["region"].isin(areas.children)]
        frame = pd.concat([frame, provinces.groupby(["syndrome", "week"], as_index=False)[["count", "total"]]
                          .sum(min_count=1).assign(region=None)], ignore_index=True)
    visits = (frame.groupby(["region", "week"], as_index=False, dropna=False)["total"].max()
              .assign(syndrome=VISITS, count=lambda f: f["total"]))
    return pd.concat([frame, visits], ignore_index=True)[["region", "syndrome", "week", "count", "total"]]


def hidden_cells(frame: pd.DataFrame, hierarchy: Hierarchy, areas: Areas, min_cell: int) -> pd.Series:
    """For each row of :func:`week_counts`: whether its count is not shown to a reader without exact counts."""
    hidden = pd.Series(False, index=frame.index)
    if min_cell <= 1 or frame.empty:
        return hidden
    key = frame["region"].where(frame["region"].notna(), ROOT)
    codes = set(key)
    relations = []
    for code in codes:
        below = areas.children if code == ROOT else (hierarchy.children(code) if code in hierarchy else [])
        parts = [c for c in below if c in codes]
        if parts and len(parts) == len(below):
            relations.append((code, parts))
    for (_, _), group in frame.assign(key=key).groupby(["syndrome", "week"]):
        cells = dict(zip(group["key"], group["count"].astype(float)))
        gone = suppress(cells, relations, min_cell=min_cell)
        hidden.loc[group.index[group["key"].isin(gone)]] = True
    return hidden


def comparison(frame: pd.DataFrame, hidden: pd.Series, regions: list[str | None]) -> pd.DataFrame:
    """One row per area of ``regions`` and measure: ``count_*``, ``percent_*`` (of all visits), ``hidden_*``
    for each week, and the changes ``ratio_last_week`` and ``ratio_last_year`` of the counts (NaN where a
    count is hidden or missing, with ``withheld_*`` set when it is hidden)."""
    frame = frame.assign(hidden=hidden.to_numpy(), key=frame["region"].fillna(ROOT))
    wanted = [ROOT if r is None else r for r in regions]
    frame = frame[frame["key"].isin(wanted)]
    rows = []
    for (key, syndrome), group in frame.groupby(["key", "syndrome"], sort=False):
        row = {"region": None if key == ROOT else key, "syndrome": syndrome}
        by_week = group.set_index("week")
        for w in WEEKS:
            present = w in by_week.index
            c = float(by_week.at[w, "count"]) if present else np.nan
            t = float(by_week.at[w, "total"]) if present else np.nan
            gone = bool(by_week.at[w, "hidden"]) if present else False
            row[f"count_{w}"] = np.nan if gone else c
            row[f"hidden_{w}"] = gone
            row[f"percent_{w}"] = np.nan if gone or not t or np.isnan(t) else 100.0 * c / t
        for w, column in (("last", "ratio_last_week"), ("last_year", "ratio_last_year")):
            before, now = row[f"count_{w}"], row["count_this"]
            row[column] = now / before if before and not np.isnan(before) and not np.isnan(now) else np.nan
            row[f"withheld_{column}"] = row["hidden_this"] or row[f"hidden_{w}"]
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = {k: i for i, k in enumerate(wanted)}
    out["_order"] = out["region"].fillna(ROOT).map(order)
    return out.sort_values(["_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
