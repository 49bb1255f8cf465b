"""The detect job's panels, from the revisions read once per run instead of once per judged day.

A run judges several days (a backfill hundreds), each with the data as known on its own as-of day,
and learns its alarm levels from a year before them. Reading each of those views from the database
dominated the job's time; :class:`PanelReader` reads every revision of the days the run needs once
(:class:`surveillance.store.history.CountHistory`) and builds each view from it, series for series and
value for value the panel ``read_panel`` gives. A read outside what was read widens it (one more read).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..panel import Panel
from ..store.counts import county_of_units, read_panel
from ..store.history import CountHistory
from ..store.reference import hierarchy


class PanelReader:
    """``read_panel`` for the detect job, from one read of the revisions; also the reference the panels
    are keyed by (hierarchy, unit counties), read once for all judged days."""

    def __init__(self, con):
        self.con = con
        self._history: CountHistory | None = None
        self._tree = None
        self._county_of = None
        self._province_of = None
        self.delay_shares: dict = {}  # as-of day -> the delays' estimate (service.delays.DelayShares)

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

    @property
    def province_of(self) -> dict:
        """Region or unit code -> its province (empty without regions), read once per reader."""
        if self._province_of is None:
            tree = self.tree
            self._province_of = {} if tree is None else {
                **tree.region_to_level("province").to_dict(), **tree.unit_to_level("province").to_dict()}
        return self._province_of

    def cover(self, start: date, end: date) -> None:
        """Read every revision of ``[start, end]`` now (widening what was read), for the reads to come."""
        start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        if self._history is not None:
            if self._history.covers(start=start, end=end):
                return
            start, end = min(start, self._history.start), max(end, self._history.end)
        self._history = CountHistory(self.con, start=start, end=end)

    def span(self) -> tuple[date, date] | None:
        """The days whose revisions were read (None before the first read)."""
        return None if self._history is None else (self._history.start, self._history.end)

    def history(self) -> CountHistory | None:
        """The revisions read so far (None before the first read), for the job's other per-day views."""
        return self._history

    def read(self, *, level: str, syndromes: list[str], age_groups, start: date, end: date, as_of: date) -> Panel:
        self.cover(start, end)
        return self._history.panel(level=level, syndromes=syndromes, age_groups=age_groups, start=start, end=end,
                                   as_of=as_of)


class StoreReader(PanelReader):
    """Every view read from the store as of its day, nothing shared: how the detect job read before the
    revisions were read once; what tests and ``bench/jobs.py`` compare the shared reads with."""

    def cover(self, start, end):
        pass

    def history(self):
        return None

    def read(self, **args):
        return read_panel(self.con, **args)
