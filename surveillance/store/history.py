"""Every revision of a span of counts, read once, and the panel of any day as known on any day from it.

A backfill judges each day with the data known the morning after it; a live run judges the last week
with the data known now. Reading each of those views from the database costs a query and a pivot per
judged day and level. :class:`CountHistory` reads every revision of the span once and keeps, per count
(unit, syndrome, age group, day), its newest revision ("final") and the chain of earlier ones. The
view as known on ``as_of`` is the final one except where the final revision arrived after ``as_of``:
there the newest revision received by then (or nothing), found by walking back the chain. Revisions
arrive within days, so those cells are few. Sums up the hierarchy are a sparse matrix product.

:meth:`CountHistory.panel` gives what :func:`surveillance.store.counts.read_panel` gives (series for
series, value for value, in its order) for any window and as-of day inside the span read; the rule of
"latest revision as of a day" stays the one of ``counts._known``: a revision is known on ``as_of`` when
it was received before the end of that day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

from ..panel import Panel
from ..vocabulary import ALL_AGES
from .counts import _check_level, _filters, unit_regions

EPOCH = np.datetime64("1970-01-01", "D")


def _days(value) -> int:
    return int((np.datetime64(pd.Timestamp(value).date(), "D") - EPOCH).astype(int))


class CountHistory:
    """Every revision of the counts of ``[start, end]`` (of ``syndromes``; None: all), read in one query."""

    def __init__(self, con, *, start: date, end: date, syndromes=None):
        self.start, self.end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        self.syndromes = None if syndromes is None else frozenset(syndromes)
        self._first = _days(self.start)
        self.n_days = _days(self.end) - self._first + 1
        params: list = []
        filters = _filters(params, start=start, end=end, syndromes=None if syndromes is None else sorted(syndromes))
        names = {}
        for column in ("unit", "syndrome", "age_group"):
            names[column] = np.array(sorted(r[0] for r in con.execute(
                f"SELECT DISTINCT {column} FROM observations WHERE true {filters}", params).fetchall()), dtype=object)
        self.units, self.syndrome_names, self.age_names = names["unit"], names["syndrome"], names["age_group"]
        for column, values in names.items():
            con.register(f"history_{column}", pd.DataFrame({column: values, "code": np.arange(len(values))}))
        try:
            rows = con.execute(f"""
                SELECT u.code AS u, s.code AS s, a.code AS a, (o.date - ?::DATE)::BIGINT AS day, o.revision,
                       o.count::DOUBLE AS count, coalesce(o.total::DOUBLE, 'NaN'::DOUBLE) AS total,
                       (CAST(o.received_at AS DATE) - DATE '1970-01-01')::BIGINT AS known
                FROM (SELECT * FROM observations WHERE true {filters}) o
                JOIN history_unit u ON u.unit = o.unit
                JOIN history_syndrome s ON s.syndrome = o.syndrome
                JOIN history_age_group a ON a.age_group = o.age_group""", [self.start, *params]).fetchnumpy()
        finally:
            for column in names:
                con.unregister(f"history_{column}")
        rows = {k: np.asarray(v) for k, v in rows.items()}
        # ordered by count and revision (one integer key sorts faster here than the database's ORDER BY)
        n_syndromes, n_ages = len(self.syndrome_names), len(self.age_names)
        revisions = int(rows["revision"].max()) + 1 if len(rows["revision"]) else 1
        order = np.argsort((((rows["u"].astype(np.int64) * n_syndromes + rows["s"]) * n_ages + rows["a"])
                            * self.n_days + rows["day"]) * revisions + rows["revision"])
        self._index({k: v[order] for k, v in rows.items()})
        self._regions = unit_regions(con)
        self._levels: dict = {}
        self._row_region: dict = {}
        self._by_day = None
        self._unit_ages = None
        self._last_unit_days = None

    def _index(self, rows: dict) -> None:
        n_syndromes, n_ages = len(self.syndrome_names), len(self.age_names)
        combo = (rows["u"].astype(np.int64) * n_syndromes + rows["s"]) * n_ages + rows["a"]
        keys, key = np.unique(combo, return_inverse=True)
        self.key_unit = keys // (n_syndromes * n_ages)
        self.key_syndrome = (keys // n_ages) % n_syndromes
        self.key_age = keys % n_ages
        cell = key.astype(np.int64) * self.n_days + rows["day"]
        # rows come ordered by cell and revision: a cell's last row is its newest revision
        newest = np.r_[cell[1:] != cell[:-1], True] if len(cell) else np.zeros(0, dtype=bool)
        shape = (len(keys), self.n_days)
        self.final = np.full(shape, np.nan)
        self.final_total = np.full(shape, np.nan)
        self.final_known = np.full(shape, np.iinfo(np.int64).min)
        self.final_row = np.full(shape, -1, dtype=np.int64)
        at = np.unravel_index(cell[newest], shape)
        self.final[at], self.final_total[at] = rows["count"][newest], rows["total"][newest]
        self.final_known[at], self.final_row[at] = rows["known"][newest], np.flatnonzero(newest)
        previous = np.arange(len(cell)) - 1  # each row's previous revision of the same cell (-1: none)
        if len(cell):
            previous[np.r_[True, cell[1:] != cell[:-1]]] = -1
        self.row_count, self.row_total, self.row_known, self.row_previous = \
            rows["count"], rows["total"], rows["known"], previous
        self.row_key, self.row_day = key, rows["day"]
        has_previous = previous >= 0
        self._in_order = bool((rows["known"][has_previous] >= rows["known"][previous[has_previous]]).all())

    def covers(self, *, start, end, syndromes=None) -> bool:
        """Whether a read of ``syndromes`` (None: all) over ``[start, end]`` lies inside what was read."""
        inside = self.start <= pd.Timestamp(start).date() and pd.Timestamp(end).date() <= self.end
        return inside and (self.syndromes is None or (syndromes is not None and set(syndromes) <= self.syndromes))

    def _as_of(self, columns: slice, as_of) -> tuple[np.ndarray, np.ndarray]:
        """Counts and totals of the days ``columns`` as known at the end of ``as_of`` (NaN: not known)."""
        count, total = self.final[:, columns].copy(), self.final_total[:, columns].copy()
        cutoff = _days(as_of)
        late = self.final_known[:, columns] > cutoff
        if late.any():
            cells = np.nonzero(late)
            row = self.row_previous[self.final_row[:, columns][cells]]
            while True:  # from the newest revision back to the newest one received by then
                too_new = row >= 0
                too_new[too_new] = self.row_known[row[too_new]] > cutoff
                if not too_new.any():
                    break
                row[too_new] = self.row_previous[row[too_new]]
            found = row >= 0
            count[cells] = np.where(found, self.row_count[np.maximum(row, 0)], np.nan)
            total[cells] = np.where(found, self.row_total[np.maximum(row, 0)], np.nan)
        return count, total

    # --- sums up the hierarchy -----------------------------------------------------------------------

    def _series(self, level: str, syndromes: tuple, age_groups: tuple | None):
        """The keys ``level``'s series sum, the summing matrix and the series' keys (in ``read_panel``'s order)."""
        wanted = (level, syndromes, age_groups)
        if wanted not in self._levels:
            names, unit_region = self._unit_regions(level)
            region = unit_region[self.key_unit]
            keep = np.isin(self.syndrome_names[self.key_syndrome], list(syndromes)) & (region >= 0)
            if age_groups is not None:
                keep &= np.isin(self.age_names[self.key_age], list(age_groups))
            rows = np.flatnonzero(keep)
            frame = pd.DataFrame({
                "region": names[region[rows]].astype(str),
                "syndrome": self.syndrome_names[self.key_syndrome[rows]],
                "age_group": self.age_names[self.key_age[rows]] if age_groups is not None else ALL_AGES})
            index = pd.MultiIndex.from_frame(frame.astype(str))
            series, uniques = pd.factorize(index, sort=True)
            keys = uniques.to_frame(index=False, name=["region", "syndrome", "age_group"])
            summing = sparse.csr_matrix((np.ones(len(rows)), (series, np.arange(len(rows)))),
                                        shape=(len(keys), len(rows)))
            self._levels[wanted] = (rows, summing, keys)
        return self._levels[wanted]

    def panel(self, *, level: str, syndromes, age_groups, start, end, as_of) -> Panel:
        """The panel :func:`~surveillance.store.counts.read_panel` reads with the same arguments."""
        _check_level(level)
        if not self.covers(start=start, end=end, syndromes=syndromes):
            raise ValueError(f"{start}..{end} of {syndromes} lies outside the history read ({self.start}..{self.end})")
        rows, summing, keys = self._series(level, tuple(sorted(syndromes)),
                                           None if age_groups is None else tuple(sorted(age_groups)))
        columns = slice(_days(start) - self._first, _days(end) - self._first + 1)
        count, total = self._as_of(columns, as_of)
        count, total = count[rows], total[rows]
        known, total_known = ~np.isnan(count), ~np.isnan(total)
        counts = summing @ np.where(known, count, 0.0)
        totals = summing @ np.where(total_known, total, 0.0)
        counted = (summing @ known.astype(float)) > 0
        counts[~counted] = np.nan
        totals[(summing @ total_known.astype(float)) == 0] = np.nan
        present = counted.any(axis=1)
        return Panel(counts=counts[present], dates=pd.date_range(start, end), totals=totals[present],
                     keys=keys[present].reset_index(drop=True), freq="daily",
                     attrs={"level": level, "as_of": str(pd.Timestamp(as_of).date())})

    # --- per unit and day; arrivals by delay ---------------------------------------------------------

    def unit_days(self, start, end, *, as_of) -> pd.DataFrame:
        """What :func:`~surveillance.store.counts.unit_days` gives (without ``within``): ``unit, date,
        visits`` per unit and day with data as known on ``as_of``; visits are the largest total over the
        unit's syndrome rows (or the sum of its counts without totals), summed over its age groups. The last
        table is kept: a narrower window as of the same day (the detect job asks for two) is a slice of it."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        kept = self._last_unit_days
        if kept is not None and kept[0] == as_of and kept[1] <= start and end <= kept[2]:
            dates = kept[3]["date"]
            return kept[3][((dates >= start) & (dates <= end)).to_numpy()].reset_index(drop=True)
        frame = self._unit_days(start, end, as_of)
        self._last_unit_days = (as_of, start, end, frame)
        return frame.copy(deep=False)

    def _unit_days(self, start, end, as_of) -> pd.DataFrame:
        columns = slice(_days(start) - self._first, _days(end) - self._first + 1)
        count, total = self._as_of(columns, as_of)
        if self._unit_ages is None:  # the keys grouped by unit and age group, and those groups by unit
            ages = self.key_unit * len(self.age_names) + self.key_age
            order = np.argsort(ages, kind="stable")
            groups, starts = np.unique(ages[order], return_index=True)
            units, unit_starts = np.unique(groups // len(self.age_names), return_index=True)
            self._unit_ages = order, starts, units, unit_starts
        order, starts, units, unit_starts = self._unit_ages
        if not len(order):
            return pd.DataFrame({"unit": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[us]"),
                                 "visits": pd.Series(dtype=float)})
        count, total = count[order], total[order]
        largest = np.fmax.reduceat(total, starts, axis=0)  # NaN only where no syndrome row had a total
        summed = np.add.reduceat(np.nan_to_num(count), starts, axis=0)
        reported = np.logical_or.reduceat(~np.isnan(count), starts, axis=0)
        visits = np.where(np.isnan(largest), summed, largest)
        per_unit = np.add.reduceat(np.where(reported, visits, 0.0), unit_starts, axis=0)
        any_report = np.logical_or.reduceat(reported, unit_starts, axis=0)
        rows, days = np.nonzero(any_report)
        dates = pd.date_range(start, end)
        return pd.DataFrame({"unit": self.units[units[rows]].astype(object),
                             "date": dates[days].astype("datetime64[us]"), "visits": per_unit[rows, days]})

    def _unit_regions(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """The region codes of ``level`` (sorted) and each unit's index among them (-1: none)."""
        region_of = dict(zip(self._regions["unit"], self._regions[level]))
        regions = [region_of.get(u) for u in self.units]
        regions = [str(r) if isinstance(r, str) or (r is not None and r == r) else None for r in regions]
        names = np.array(sorted({r for r in regions if r is not None}), dtype=object)
        position = {name: k for k, name in enumerate(names)}
        return names, np.array([position.get(r, -1) if r is not None else -1 for r in regions], dtype=np.int64)

    def _row_regions(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """The region codes of ``level`` and each revision row's index among them (-1: none), kept."""
        if level not in self._row_region:
            names, unit_region = self._unit_regions(level)
            self._row_region[level] = (names, unit_region[self.key_unit[self.row_key]])
        return self._row_region[level]

    def _rows_by_day(self) -> dict:
        """The revision rows in day order (a window of days is one slice), with what the arrivals need of each:
        day, day received, change from the revision before, days after its day (at least 0), syndrome;
        each level's region is added when first asked for. Made once."""
        if self._by_day is None:
            rows = np.argsort(self.row_day, kind="stable")
            previous = self.row_previous[rows]
            known = self.row_known[rows]
            day = self.row_day[rows]
            self._by_day = {
                "rows": rows, "day": day, "known": known,
                "change": self.row_count[rows] - np.where(previous >= 0, self.row_count[np.maximum(previous, 0)], 0.0),
                "delay": np.maximum(known - (self._first + day), 0),
                "syndrome": self.key_syndrome[self.row_key[rows]], "region": {}}
        return self._by_day

    def arrivals_by_delay(self, *, level: str, start, end, as_of, max_delay: int,
                          by_syndrome: bool = False) -> pd.DataFrame | None:
        """What :func:`~surveillance.store.delays.arrivals_by_delay` gives, or None when the revisions of a
        count were not received in the order of their numbers (then a revision's predecessor as known on
        ``as_of`` is not the one before it, and the store's query is the judge)."""
        _check_level(level)
        if not self._in_order:
            return None
        first, last, cutoff = _days(start) - self._first, _days(end) - self._first, _days(as_of)
        names, row_region = self._row_regions(level)
        by_day = self._rows_by_day()
        lo, hi = np.searchsorted(by_day["day"], first), np.searchsorted(by_day["day"], last, "right")
        if level not in by_day["region"]:
            by_day["region"][level] = row_region[by_day["rows"]]
        region = by_day["region"][level][lo:hi]
        keep = (by_day["known"][lo:hi] <= cutoff) & (region >= 0)
        region, day, change = region[keep], by_day["day"][lo:hi][keep], by_day["change"][lo:hi][keep]
        delay = np.minimum(by_day["delay"][lo:hi][keep], int(max_delay))
        syndrome = by_day["syndrome"][lo:hi][keep] if by_syndrome else np.zeros(len(day), dtype=np.int64)
        n_syndromes, n_days, n_delays = len(self.syndrome_names), last - first + 1, int(max_delay) + 1
        code = ((region * n_syndromes + syndrome) * n_days + (day - first)) * n_delays + delay
        cells = len(names) * n_syndromes * n_days * n_delays
        if cells <= 4 * len(code) + 1_000_000:  # few cells: counted in place instead of sorted
            codes = np.flatnonzero(np.bincount(code, minlength=cells))  # sorted: region, syndrome, date, delay
            count = np.bincount(code, weights=change, minlength=cells)[codes]
        else:
            codes, group = np.unique(code, return_inverse=True)
            count = np.bincount(group, weights=change, minlength=len(codes))
        frame = pd.DataFrame({"region": names[codes // (n_delays * n_days * n_syndromes)].astype(object)})
        if by_syndrome:
            frame["syndrome"] = self.syndrome_names[(codes // (n_delays * n_days)) % n_syndromes]
        frame["date"] = (np.datetime64(self.start, "D") + first + (codes // n_delays) % n_days).astype("datetime64[us]")
        frame["delay"] = (codes % n_delays).astype(np.int64)
        frame["count"] = count
        return frame
