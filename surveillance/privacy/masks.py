"""Which daily counts a reader without exact counts may not see, read from the store.

One mask per syndrome and day, worked out over the whole table of that day (every region and unit,
everything together, every age group: :class:`~surveillance.privacy.cells.CountCells`), whoever asks
and whatever page, email or API answer it is for. So a count is hidden in every place it appears, and
its complementary cells are the same everywhere: a reader cannot subtract one page's figures from
another's. Days never share a relation, so any set of days can be worked out at once and each day is
remembered on its own until the next batch arrives or the regions change.

Anything else shown is computed from these cells: a figure computed from a hidden cell (a sum over
days or regions, a mean, a ratio, a percentage) is withheld, so what a reader sees is a function of the
cells shown, and the cells shown are protected by the day's complementary suppression.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..config import PrivacyConfig
from ..store.counts import read_counts
from ..store.operations import data_version
from ..store.reference import hierarchy, reference_version
from ..vocabulary import AGE_GROUPS, ALL_AGES, suppressed_label, suppression_note, withheld_label
from .cells import CountCells
from .suppress import primary, suppress_columns

_REMEMBERED_DAYS = 20_000  # syndrome-days kept (each: the numbers of its hidden cells)
_RUN_GAP_DAYS = 7  # days this far apart are read in separate queries rather than one long range


def _day(value) -> date:
    return pd.Timestamp(value).date()


class DayMask:
    """The hidden cells of one syndrome on some days; :meth:`hides` looks cells up."""

    def __init__(self, cells: CountCells, days: Sequence[date], hidden: dict[date, np.ndarray], min_cell: int):
        self.cells = cells
        self.min_cell = min_cell
        self._column = {d: i for i, d in enumerate(days)}
        self._dense = np.zeros((len(cells), len(days)), dtype=bool)
        for d, ids in hidden.items():
            if d in self._column:
                self._dense[ids, self._column[d]] = True

    def hides(self, regions, age_groups, dates, values=None) -> np.ndarray:
        """Whether each (region or unit, age group, day) is hidden: a hidden cell of the day's table, or
        (``values``, e.g. counts as an alert judged them) a count from 1 to ``min_cell - 1``. A region the
        table does not know, or a day it was not asked for, is judged by its value alone."""
        regions = list(regions)
        ages = list(age_groups) if not isinstance(age_groups, str) else [age_groups] * len(regions)
        cell = self.cells.cells(regions, ages)
        column = np.array([self._column.get(_day(d), -1) for d in dates], dtype=np.int64)
        known = (cell >= 0) & (column >= 0)
        out = np.zeros(len(regions), dtype=bool)
        out[known] = self._dense[cell[known], column[known]]
        if values is not None:
            out |= primary(np.asarray(values, dtype=float), self.min_cell)
        return out


class SmallCells:
    """The small-cell rule of one service (``[privacy]``): who reads exact counts, and the daily masks of
    everyone else, remembered per syndrome and day. Thread-safe; one per service."""

    def __init__(self, settings: PrivacyConfig | None = None, age_groups: Iterable[str] = AGE_GROUPS):
        self.settings = settings or PrivacyConfig()
        self.age_groups = tuple(dict.fromkeys([ALL_AGES, *age_groups]))
        self._lock = threading.Lock()
        self._version = None
        self._cells: CountCells | None = None
        self._hidden: "OrderedDict[tuple[str, date], np.ndarray]" = OrderedDict()

    @property
    def min_cell(self) -> int:
        return self.settings.min_cell

    def exact_for(self, role: str | None) -> bool:
        """Whether ``role`` reads exact counts (everyone does with ``min_cell = 1``)."""
        return self.min_cell <= 1 or role in self.settings.exact_roles

    def marks(self, lang: str | None) -> tuple[str, str, str]:
        """The mark of a hidden count, of a withheld figure, and what they mean, in ``lang``."""
        return (suppressed_label(self.min_cell, lang), withheld_label(lang), suppression_note(self.min_cell, lang))

    def _current(self, con) -> CountCells:
        version = (data_version(con), reference_version(con))
        with self._lock:
            if version != self._version or self._cells is None:
                self._cells = CountCells(hierarchy(con), self.age_groups)
                self._hidden.clear()
                self._version = version
            return self._cells

    def mask(self, con, syndrome: str, days: Iterable) -> DayMask:
        """The hidden cells of ``syndrome`` on ``days`` (worked out for the days not remembered)."""
        cells = self._current(con)
        days = sorted({_day(d) for d in days})
        with self._lock:
            found = {d: self._hidden[(syndrome, d)] for d in days if (syndrome, d) in self._hidden}
        missing = [d for d in days if d not in found]
        for run in _runs(missing):
            found.update(self._work_out(con, cells, syndrome, run))
        return DayMask(cells, days, found, self.min_cell)

    def _work_out(self, con, cells: CountCells, syndrome: str, days: list[date]) -> dict[date, np.ndarray]:
        counts = read_counts(con, level="facility", syndromes=[syndrome], age_groups=list(self.age_groups),
                             start=days[0], end=days[-1])
        counts = counts.rename(columns={"region": "unit"})
        hidden = suppress_columns(cells.table(counts, days), cells.relations, self.min_cell)
        out = {d: np.flatnonzero(hidden[:, i]) for i, d in enumerate(days)}
        with self._lock:
            if self._cells is cells:  # not a table of regions replaced meanwhile
                for d, ids in out.items():
                    self._hidden[(syndrome, d)] = ids
                while len(self._hidden) > _REMEMBERED_DAYS:
                    self._hidden.popitem(last=False)
        return out


def _runs(days: list[date]) -> list[list[date]]:
    """Sorted days cut where they are more than a week apart, each run read in one query."""
    runs: list[list[date]] = []
    for d in days:
        if runs and d - runs[-1][-1] <= timedelta(days=_RUN_GAP_DAYS):
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs
