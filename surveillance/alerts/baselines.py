"""Confirmed outbreaks left out of later baselines (as Farrington down-weights past outbreaks, and as
users of every system ask): once an alert is closed as a confirmed outbreak, the days of its evidence
are missing, not cases, in the panels that later judgements compare with.

A facility's outbreak counted in its county's series too, and a single age group's in the all-ages
series: those cells are left out as well. The judged day itself is never masked (an outbreak that goes
on after its alert was closed alerts again)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel import Panel
from ..vocabulary import ALL_AGES


def confirmed_mask(panel: Panel, cells: pd.DataFrame, before, county_of=lambda code: code) -> np.ndarray:
    """Boolean (series x dates): the panel's cells of confirmed outbreaks (``cells``: ``region, syndrome,
    age_group, date``) on dates before ``before``."""
    mask = np.zeros(panel.counts.shape, dtype=bool)
    if not len(cells) or not panel.counts.size:
        return mask
    cells = cells[pd.to_datetime(cells["date"]) < pd.Timestamp(before)]
    places = pd.concat([cells, cells.assign(region=cells["region"].map(county_of))])
    places = pd.concat([places, places.assign(age_group=ALL_AGES)]).drop_duplicates()
    keys = panel.keys.reset_index(drop=True)
    series = pd.MultiIndex.from_frame(keys[["region", "syndrome", "age_group"]].astype(str))
    rows = series.get_indexer(pd.MultiIndex.from_frame(places[["region", "syndrome", "age_group"]].astype(str)))
    columns = panel.dates.get_indexer(pd.to_datetime(places["date"]))
    hit = (rows >= 0) & (columns >= 0)
    mask[rows[hit], columns[hit]] = True
    return mask


def without_confirmed(panel: Panel, cells: pd.DataFrame, before, county_of=lambda code: code) -> Panel:
    """``panel`` with the cells of :func:`confirmed_mask` missing (counts and totals)."""
    mask = confirmed_mask(panel, cells, before, county_of)
    if not mask.any():
        return panel
    counts = np.where(mask, np.nan, panel.counts)
    totals = None if panel.totals is None else np.where(mask, np.nan, panel.totals)
    return Panel(counts=counts, dates=panel.dates, keys=panel.keys, totals=totals, freq=panel.freq,
                 attrs=dict(panel.attrs))
