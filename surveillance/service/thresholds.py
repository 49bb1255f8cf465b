"""Learning the alarm budget's level from history, and keeping it learnt.

Before a day is judged, the detect job looks up the level learnt for it (``store.thresholds``); when
there is none, or the last is older than ``detection.budget.relearn_days``, it learns one
(:func:`learn_thresholds`): every configured daily temporal detector is run once over the
``history_days`` before the day, with the data as known on the day (so a backfill learns only from
what was known then), the families' smallest q-value of each day is taken
(``alerts.budget.family_minimum_q``; a day the service judged counts as it judged it then, on the data
first known), the days of alerts closed as confirmed outbreaks are left out, and
``alerts.budget.learn_level`` sets, per family level, where that history would have raised the
budgeted number of alerts, and red where it would have raised ``red_share`` of them. Weekly detectors and the scans are judged at the nominal level.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Callable

import numpy as np
import pandas as pd

from ..alerts.budget import DAYS_PER_QUARTER, family_level, family_minimum_q, learn_level
from ..config import Config
from ..detectors import detect, get
from ..store.alerts import confirmed_cells, judged_points
from ..store.counts import county_of_units
from ..store.thresholds import THRESHOLD_COLUMNS, save_thresholds, thresholds_for

log = logging.getLogger(__name__)


def _first_judged(con, since: date, until: date, judged: pd.DataFrame | None) -> pd.DataFrame:
    """The points judged between ``since`` and ``until`` as first judged: the stored ones, and those a
    running backfill judged but has not stored yet (``judged``, columns of ``judged_points``)."""
    stored = judged_points(con, since, until)
    if judged is None or not len(judged):
        return stored
    dates = pd.to_datetime(judged["date"])
    within = ((dates >= pd.Timestamp(since)) & (dates <= pd.Timestamp(until))).to_numpy()
    recent = judged if within.all() else judged[within]
    stored["date"] = pd.to_datetime(stored["date"])
    # a point stored and judged again by the backfill counts as stored (first judged); only the days both
    # hold are compared, point by point (a year of a backfill's points is millions of rows)
    again = pd.to_datetime(recent["date"]).isin(stored["date"].unique()).to_numpy()
    if again.any():
        key = ["detector", "region", "syndrome", "age_group", "date"]
        twice = recent[again].assign(date=pd.to_datetime(recent.loc[again, "date"]))
        seen = pd.MultiIndex.from_frame(twice[key]).isin(pd.MultiIndex.from_frame(stored[key]))
        again[again] = seen
    if len(stored):
        both = pd.concat([stored, recent[~again]], ignore_index=True)
        both["date"] = pd.to_datetime(both["date"])
        return both
    return recent.reset_index(drop=True).assign(date=pd.to_datetime(recent["date"]).to_numpy())


def _history_q(con, config: Config, day: date, judged: pd.DataFrame | None = None, reader=None) -> pd.DataFrame:
    """``family, level, date, q``: each family's smallest q-value on each day of the history before ``day``
    (``judged``: points a running backfill judged, not stored yet)."""
    from .detect import DayJudge  # the detect job's panels and measures, judged over a year at once

    n = config.detection.budget.history_days
    judge = DayJudge(con, config, day - timedelta(days=1), as_of=day, reader=reader)
    county_of = county_of_units(con)
    judged = _first_judged(con, day - timedelta(days=n), day - timedelta(days=1), judged)
    pvalues, families, levels = [], [], []
    dates = None
    for spec in config.detection.detectors:
        detector = get(spec.name)
        if detector.kind == "spatial" or spec.freq != "daily":
            continue
        longer = spec.model_copy(update={"history_days": spec.history + n})
        for level in spec.levels:
            panel = judge.panel(longer, level)
            if panel is None or panel.shape[1] < n:
                continue
            first = judged[(judged["detector"] == spec.id) & (judged["level"] == level)]
            # only the days judged at none of their points are judged again (the others count as judged)
            rerun_days = ~panel.dates[-n:].isin(pd.to_datetime(first["date"]).unique())
            rerun = np.full((panel.shape[0], n), np.nan)
            if rerun_days.any():
                run_panel, params, _ = judge.measured(longer, detector, panel, dict(spec.params))
                try:
                    result = detect(spec.name, run_panel, points=panel.shape[1] - n + np.flatnonzero(rerun_days),
                                    bounds=False, **params)
                except Exception:  # the detect job reports a failing detector; the others still teach the level
                    log.exception("detector %s failed while learning the alarm budget", spec.id)
                    continue
                ok = result.status[:, -n:] == 0  # ok points only, as the detect job's signals
                rerun = np.where(ok, result.pvalue[:, -n:], np.nan)
            pvalues.append(_as_first_judged(rerun, panel.keys, panel.dates[-n:], first))
            regions = panel.keys["region"].astype(str)
            families.append(np.array([county_of(r) if level == "facility" else r for r in regions], dtype=object))
            levels.append(np.full(len(regions), family_level(level), dtype=object))
            dates = panel.dates[-n:]
    if not pvalues:
        return pd.DataFrame(columns=["family", "level", "date", "q"])
    family = np.concatenate(families)
    days = family_minimum_q(np.vstack(pvalues), family)
    days["date"] = dates[days["point"].to_numpy()]
    days["level"] = pd.Series(dict(zip(family, np.concatenate(levels)))).reindex(days["family"]).to_numpy()
    return days.drop(columns="point")


def _as_first_judged(pvalues: np.ndarray, keys: pd.DataFrame, dates: pd.DatetimeIndex, stored: pd.DataFrame):
    """The history's p-values, with each day the service judged taken as it judged it then (first-known
    data: a neighbour's partial report and all) instead of as the data read now would judge it."""
    if not len(stored):
        return pvalues
    out = pvalues.copy()
    days = dates.get_indexer(pd.to_datetime(stored["date"]))
    out[:, np.unique(days[days >= 0])] = np.nan
    rows = _rows_of(keys, stored)
    hit = (rows >= 0) & (days >= 0)
    out[rows[hit], days[hit]] = stored["pvalue"].to_numpy(dtype=float)[hit]
    return out


def _rows_of(keys: pd.DataFrame, points: pd.DataFrame) -> np.ndarray:
    """The row of ``keys`` (region, syndrome, age group) of each of ``points`` (-1: none); the series of the
    points, few, are looked up once each instead of every point."""
    columns = ["region", "syndrome", "age_group"]
    codes = np.zeros(len(points), dtype=np.int64)
    for column in columns:
        code, unique = pd.factorize(points[column].astype(str))
        codes = codes * max(len(unique), 1) + code
    series, first = np.unique(codes, return_index=True)
    wanted = pd.MultiIndex.from_frame(points[columns].iloc[first].astype(str))
    found = pd.MultiIndex.from_frame(keys[columns].astype(str)).get_indexer(wanted)
    return found[np.searchsorted(series, codes)]


def _without_confirmed(con, days: pd.DataFrame, gap_days: int) -> pd.DataFrame:
    """``days`` less the family-days within ``gap_days`` of a confirmed outbreak's evidence."""
    if days.empty:
        return days
    confirmed = confirmed_cells(con, days["date"].min().date() - timedelta(days=gap_days),
                                days["date"].max().date())[["region", "date"]].drop_duplicates()
    if confirmed.empty:
        return days
    county_of = county_of_units(con)
    near = set()
    for region, when in zip(confirmed["region"], pd.to_datetime(confirmed["date"])):
        for k in range(-gap_days, gap_days + 1):
            near.add((county_of(region), when + pd.Timedelta(days=k)))
    keep = [(f, d) not in near for f, d in zip(days["family"], days["date"])]
    return days[np.array(keep, dtype=bool)]


def learn_thresholds(con, config: Config, day: date, judged: pd.DataFrame | None = None,
                     reader=None) -> pd.DataFrame:
    """The levels learnt for judging ``day`` from the history before it (rows of ``THRESHOLD_COLUMNS``;
    ``judged``: points a running backfill judged, not stored yet, taken as first judged; ``reader``: the
    detect job's panel reader, whose revisions it shares)."""
    budget = config.detection.budget
    gap = config.alerts.quiet_days
    days = _without_confirmed(con, _history_q(con, config, day, judged, reader), gap)
    nominal = budget.noise_alerts_per_quarter / DAYS_PER_QUARTER
    rows = []
    for level, part in days.groupby("level"):
        level_q, onsets = learn_level(part, noise_per_quarter=budget.noise_alerts_per_quarter, gap_days=gap)
        red_q, _ = learn_level(part, noise_per_quarter=budget.noise_alerts_per_quarter * budget.red_share,
                               gap_days=gap)
        rows.append({"learnt_for": day, "level": level, "history_from": part["date"].min().date(),
                     "history_to": part["date"].max().date(), "families": int(part["family"].nunique()),
                     "q_nominal": nominal, "q_learnt": min(level_q, nominal), "onsets": onsets,
                     "q_red_learnt": min(red_q, level_q, nominal * budget.red_share)})
    return pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)


def learning_due(con, config: Config, day: date) -> bool:
    """Whether judging ``day`` first learns the alarm levels (none stored, or older than ``relearn_days``)."""
    budget = config.detection.budget
    if not budget.learn or budget.noise_alerts_per_quarter <= 0:
        return False
    stored = thresholds_for(con, day)
    return not (len(stored) and abs((day - pd.Timestamp(stored["learnt_for"].iloc[0]).date()).days) < budget.relearn_days)


def thresholds_for_day(store, config: Config, day: date,
                       judged: Callable[[], pd.DataFrame] | None = None, reader=None) -> dict[str, tuple[float, float]]:
    """``{family level: (learnt yellow level, learnt red level)}`` for judging ``day``: the stored learning,
    or a new one (stored) when there is none or it is older than ``relearn_days``. Empty when learning is
    off. ``judged`` gives the points a running backfill judged and has not stored yet: a backfill learns
    from its own first judgements as daily operation does from the stored ones."""
    budget = config.detection.budget
    if not budget.learn or budget.noise_alerts_per_quarter <= 0:
        return {}
    con = store.cursor()
    stored = thresholds_for(con, day)
    if learning_due(con, config, day):
        learnt = learn_thresholds(con, config, day, judged() if judged else None, reader)
        if len(learnt):
            with store.transaction() as cur:
                save_thresholds(cur, learnt, datetime.now())
            log.info("alarm budget learnt for %s: %s", day,
                     ", ".join(f"{r.level} q<={r.q_learnt:.2g} ({r.onsets} alerts in the history)"
                               for r in learnt.itertuples()))
            stored = learnt
    red = stored["q_red_learnt"].astype(float).fillna(stored["q_learnt"].astype(float) * budget.red_share)
    return {level: (float(q), float(r)) for level, q, r in zip(stored["level"], stored["q_learnt"], red)}
