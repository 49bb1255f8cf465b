"""The detect job's panels, read once per backfill instead of once per judged day.

A backfill judges each day with the data known the morning after it, and reading the panel's whole
history as of each day dominated its time. Only a day's last few days change between as-of views:
reports and revisions arrive within days. So :class:`PanelReader` reads each panel once as known now
over the whole backfill ("settled"), and for each judged day reads as of that day only its last
``fresh_days``; the older part comes from the settled read, after the store confirms that nothing of
those days arrived after the day was judged (else the whole panel is read as of the day, as before).
The panel is the one ``read_panel`` gives, series for series and value for value.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..panel import Panel
from ..store.counts import arrived_later, county_of_units, read_panel
from ..store.reference import hierarchy


class PanelReader:
    """``read_panel`` for the detect job; with ``settled_until`` (a backfill), the settled reads are shared.
    Also the reference the panels are keyed by (hierarchy, unit counties), read once for all judged days."""

    def __init__(self, con, *, settled_until: date | None = None, settled_as_of: date | None = None,
                 fresh_days: int = 14):
        self.con, self.settled_until, self.settled_as_of, self.fresh_days = con, settled_until, settled_as_of, fresh_days
        self._settled: dict = {}
        self._tree = None
        self._county_of = None

    @property
    def tree(self):
        """The stored hierarchy (None without regions), read once per reader."""
        if self._tree is None:
            self._tree = hierarchy(self.con) or False
        return self._tree or None

    @property
    def county_of(self):
        """The store's unit-to-county map, read once per reader."""
        if self._county_of is None:
            self._county_of = county_of_units(self.con)
        return self._county_of

    def read(self, *, level: str, syndromes: list[str], age_groups, start: date, end: date, as_of: date) -> Panel:
        fresh_start = end - timedelta(days=self.fresh_days - 1)
        if (self.settled_until is None or fresh_start <= start or end > self.settled_until
                or arrived_later(self.con, start, fresh_start - timedelta(days=1), as_of)):
            return read_panel(self.con, level=level, syndromes=syndromes, age_groups=age_groups, start=start,
                              end=end, as_of=as_of)
        settled = self._settled_panel(level, syndromes, age_groups, start)
        if settled is None:
            return read_panel(self.con, level=level, syndromes=syndromes, age_groups=age_groups, start=start,
                              end=end, as_of=as_of)
        fresh = read_panel(self.con, level=level, syndromes=syndromes, age_groups=age_groups, start=fresh_start,
                           end=end, as_of=as_of)
        return _join(settled, fresh, start, fresh_start, end, level=level, as_of=as_of)

    def _settled_panel(self, level, syndromes, age_groups, start) -> Panel | None:
        key = (level, tuple(syndromes), None if age_groups is None else tuple(age_groups))
        panel = self._settled.get(key)
        if panel is None or pd.Timestamp(start) < panel.dates[0]:
            # read from a little earlier than asked, so that the next days' reads are covered
            panel = read_panel(self.con, level=level, syndromes=syndromes, age_groups=age_groups, start=start,
                               end=self.settled_until, as_of=self.settled_as_of)
            self._settled[key] = panel
        return panel if panel.shape[1] else None


def _join(settled: Panel, fresh: Panel, start, fresh_start, end, *, level: str, as_of) -> Panel:
    """The settled panel's days ``[start, fresh_start)`` and the fresh one's ``[fresh_start, end]``, over the
    series that have data in the window (in ``read_panel``'s order)."""
    dates = pd.date_range(start, end)
    old = settled.dates.get_indexer(pd.date_range(start, fresh_start - timedelta(days=1)))
    keys = pd.concat([settled.keys, fresh.keys], ignore_index=True).drop_duplicates()
    index = pd.MultiIndex.from_frame(keys.astype(str)).sort_values()
    keys = index.to_frame(index=False)
    counts = np.full((len(keys), len(dates)), np.nan)
    totals = np.full((len(keys), len(dates)), np.nan)
    rows = index.get_indexer(pd.MultiIndex.from_frame(settled.keys.astype(str)))
    counts[rows, : len(old)] = settled.counts[:, old]
    if settled.totals is not None:
        totals[rows, : len(old)] = settled.totals[:, old]
    rows = index.get_indexer(pd.MultiIndex.from_frame(fresh.keys.astype(str)))
    where = dates.get_indexer(fresh.dates)
    counts[np.ix_(rows, where)] = fresh.counts
    if fresh.totals is not None:
        totals[np.ix_(rows, where)] = fresh.totals
    present = ~np.isnan(counts).all(axis=1)
    return Panel(counts=counts[present], dates=dates, keys=keys[present].reset_index(drop=True),
                 totals=totals[present], freq="daily",
                 attrs={"level": level, "as_of": str(pd.Timestamp(as_of).date())})
