"""The table one day's counts of a syndrome make: every region and reporting unit, and everything
together (:data:`ROOT`), each in all ages and in every age group.

Its relations are the ones a reader can subtract along: a region is the sum of the regions or units
directly below it, everything together the sum of the provinces (for each age group and for all ages),
and each region's or unit's all ages the sum of its age groups. Each cell has a number: its place in
:attr:`CountCells.codes` times the number of age groups, plus its age group's place in
:attr:`CountCells.ages` (all ages first).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..vocabulary import ALL_AGES
from .suppress import Relations

ROOT = "*"  # every region together: what a user of every region reads as the totals


class CountCells:
    """The cells and relations of one day's table, for a :class:`~surveillance.regions.Hierarchy` (None:
    no regions yet, only :data:`ROOT`) and the configured age groups."""

    def __init__(self, hierarchy, age_groups: Sequence[str]):
        self.ages: tuple[str, ...] = (ALL_AGES, *[a for a in dict.fromkeys(age_groups) if a != ALL_AGES])
        regions = hierarchy.regions if hierarchy is not None else pd.DataFrame(columns=["code", "parent"])
        units = hierarchy.units if hierarchy is not None else pd.DataFrame(columns=["code", "county"])
        region_codes = [str(c) for c in regions["code"]]
        known = set(region_codes)
        # A county reporting as one unit carries the county's code: one cell, not two.
        unit_codes = [str(u) for u in units["code"] if str(u) not in known]
        self.codes: list[str] = [ROOT, *region_codes, *unit_codes]
        self.index: dict[str, int] = {code: i for i, code in enumerate(self.codes)}
        parent = {str(c): (str(p) if isinstance(p, str) and p else ROOT) for c, p in zip(regions["code"], regions["parent"])}
        parent.update({str(u): str(c) for u, c in zip(units["code"], units["county"]) if str(u) not in known})
        self._parent = parent
        children: dict[str, list[str]] = {}
        for code in self.codes[1:]:
            children.setdefault(parent[code], []).append(code)
        self._children = children
        # Each unit's own cell and those of every region above it, for summing its counts up the tree.
        self._chains: dict[str, list[int]] = {}
        for unit in dict.fromkeys(str(u) for u in units["code"]):
            chain, code = [], unit
            while code is not None:
                chain.append(self.index[code])
                code = parent.get(code) if code != ROOT else None
            self._chains[unit] = chain
        self.relations = Relations.build(self._relations(), len(self.codes) * len(self.ages))

    def __len__(self) -> int:
        return len(self.codes) * len(self.ages)

    def cell(self, code: str | None, age_group: str = ALL_AGES) -> int:
        """The number of the cell of ``code`` (None: :data:`ROOT`) in ``age_group``; -1 for an unknown one."""
        i = self.index.get(ROOT if code is None else code)
        if i is None or age_group not in self.ages:
            return -1
        return i * len(self.ages) + self.ages.index(age_group)

    def cells(self, codes, age_groups) -> np.ndarray:
        """:meth:`cell` of many (code, age group) pairs at once (None codes are :data:`ROOT`)."""
        age_of = {a: i for i, a in enumerate(self.ages)}
        n = len(self.ages)
        out = [(self.index.get(ROOT if c is None else c, -1), age_of.get(a, -1)) for c, a in zip(codes, age_groups)]
        return np.array([i * n + a if i >= 0 and a >= 0 else -1 for i, a in out], dtype=np.int64)

    def _relations(self):
        n = len(self.ages)
        for total, parts in self._children.items():
            t = self.index[total]
            for a in range(n):
                yield t * n + a, [self.index[p] * n + a for p in parts]
        if n > 1:
            for i in range(len(self.codes)):
                yield i * n, [i * n + a for a in range(1, n)]

    def table(self, counts: pd.DataFrame, days: Sequence) -> np.ndarray:
        """The counts of each cell on each of ``days``: cells x days, NaN where no unit below reported.
        ``counts``: ``date, unit, age_group, count`` of single units (age group ``all`` for a unit that does
        not report by age); units and age groups the table does not know are left out."""
        days = pd.DatetimeIndex(pd.to_datetime(list(days)))
        n_ages, n_days = len(self.ages), len(days)
        shape = len(self) * n_days
        if counts.empty or not n_days:
            return np.full((len(self), n_days), np.nan)
        day = days.get_indexer(pd.to_datetime(counts["date"]))
        age = _positions(counts["age_group"], self.ages)
        width = max((len(c) for c in self._chains.values()), default=1)
        # one row per known unit, and a last one of -1 for units the table does not know
        chains = np.array([c + [-1] * (width - len(c)) for c in self._chains.values()] + [[-1] * width],
                          dtype=np.int64).reshape(-1, width)
        up = chains[_positions(counts["unit"], list(self._chains))]
        value = counts["count"].to_numpy(dtype=float)
        keep = (day >= 0) & (age >= 0) & (up[:, 0] >= 0) & np.isfinite(value)
        day, age, up, value = day[keep], age[keep], up[keep], value[keep]
        sums, seen = np.zeros(shape), np.zeros(shape)
        for level in range(width):
            code = up[:, level]
            on = code >= 0
            # an age group's row counts in its own cell and in all ages; a row of all ages only there
            for cell, rows in ((code * n_ages, on), (code * n_ages + age, on & (age > 0))):
                flat = cell[rows] * n_days + day[rows]
                sums += np.bincount(flat, weights=value[rows], minlength=shape)
                seen += np.bincount(flat, minlength=shape)
        return np.where(seen > 0, sums, np.nan).reshape(len(self), n_days)


def _positions(values: pd.Series, known: Sequence[str]) -> np.ndarray:
    """The place of each value in ``known`` (-1 for others): the few distinct values looked up once."""
    codes, uniques = pd.factorize(values)
    places = pd.Index(list(known)).get_indexer(pd.Index(uniques).astype(str))
    return np.append(places, -1)[codes].astype(np.int64)  # a missing value (code -1) is the last: -1
