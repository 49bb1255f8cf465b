"""Small-cell suppression of a table of counts, or of many tables of the same shape at once.

A table is a set of cells and the relations between them: a relation says that one cell (a total) is
the sum of others (its parts), such as a county and its facilities, or a region's all ages and its age
groups. Which cells to suppress:

* **primary**: counts from 1 to ``min_cell - 1``. A zero is shown: that nobody came says nothing about
  anyone, and hiding zeros would hide most cells of a sparse table (a rare syndrome in one facility and
  age group) without protecting a person;
* **complementary**: a relation with exactly one suppressed cell gives it away (the total minus the
  parts shown, or the parts summed), so one more of its cells is suppressed: the smallest positive part,
  else a zero part, else the total (totals are what officials read first; a part costs less). A new
  suppression can leave another relation with exactly one, so this is repeated until no relation has one.

A cell without data (NaN: nothing reported) is never suppressed nor chosen: it is known to add nothing.
Tables are the columns of ``values`` (e.g. one per day): they share the relations, never each other's cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Added to a candidate's value so that positive parts come first, then zero parts, then the total.
_ZERO_PART = 1e12
_TOTAL = 2e12


@dataclass(frozen=True)
class Relations:
    """Relations between the cells of a table: ``matrix`` (relations x cells, a 1 for each member) and
    ``members`` (relations x widest relation: cell indices, the total first, ``-1`` after the last part)."""

    matrix: sparse.csr_matrix
    members: np.ndarray

    @classmethod
    def build(cls, relations: Iterable[tuple[int, Sequence[int]]], n_cells: int) -> "Relations":
        """From ``(total, parts)`` pairs of cell indices; a relation without a part other than its total
        says nothing and is left out."""
        rows: list[list[int]] = []
        for total, parts in relations:
            parts = [p for p in dict.fromkeys(parts) if p != total]
            if parts:
                rows.append([total, *parts])
        width = max((len(r) for r in rows), default=1)
        members = np.full((len(rows), width), -1, dtype=np.int64)
        for i, row in enumerate(rows):
            members[i, :len(row)] = row
        r, k = np.nonzero(members >= 0)
        matrix = sparse.csr_matrix((np.ones(len(r), dtype=np.int32), (r, members[r, k])),
                                   shape=(len(rows), n_cells))
        return cls(matrix=matrix, members=members)


def primary(values: np.ndarray, min_cell: int) -> np.ndarray:
    """The counts too small to show: from 1 to ``min_cell - 1`` (NaN and zero are shown)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= 1) & (values < min_cell)


def suppress_columns(values: np.ndarray, relations: Relations, min_cell: int) -> np.ndarray:
    """Which cells of each table (column of ``values``, cells x tables) to suppress: primary, then
    complementary until no relation has exactly one suppressed cell. Returns a boolean array like ``values``."""
    values = np.asarray(values, dtype=float)
    one_table = values.ndim == 1
    if one_table:
        values = values[:, None]
    hidden = primary(values, min_cell)
    members = relations.members
    if members.size and hidden.any():
        known = np.isfinite(values)
        cost = np.where(known, np.where(values > 0, values, _ZERO_PART), np.inf)
        padding = members < 0
        cells = np.where(padding, 0, members)
        total_penalty = np.zeros(members.shape)
        total_penalty[:, 0] = _TOTAL
        while True:
            counts = relations.matrix @ hidden.astype(np.int32)
            rel, table = np.nonzero(counts == 1)
            if not len(rel):
                break
            candidates = cells[rel]  # pairs x width
            at = table[:, None]
            choice = cost[candidates, at] + total_penalty[rel]
            choice[padding[rel] | hidden[candidates, at]] = np.inf
            best = np.argmin(choice, axis=1)
            pair = np.arange(len(rel))
            found = np.isfinite(choice[pair, best])
            chosen, where = candidates[pair, best][found], table[found]
            fresh = ~hidden[chosen, where]
            if not fresh.any():
                break  # the relations left with one have nothing else to suppress (their other cells lack data)
            hidden[chosen[fresh], where[fresh]] = True
    return hidden[:, 0] if one_table else hidden


def suppress(cells: Mapping[Hashable, float | None], relations: Iterable[tuple[Hashable, Sequence[Hashable]]],
             min_cell: int = 5) -> set:
    """The cells of one table to suppress. ``cells``: key -> count (None or NaN: no data); ``relations``:
    ``(total, parts)`` by key, e.g. ``("county", ["clinic A", "clinic B"])``."""
    keys = list(cells)
    index = {key: i for i, key in enumerate(keys)}
    try:
        pairs = [(index[total], [index[p] for p in parts]) for total, parts in relations]
    except KeyError as exc:
        raise ValueError(f"a relation names {exc.args[0]!r}, which is not a cell of the table") from None
    values = np.array([np.nan if cells[k] is None else float(cells[k]) for k in keys])
    hidden = suppress_columns(values, Relations.build(pairs, len(keys)), min_cell)
    return {key for key, h in zip(keys, hidden) if h}
