"""Does judging the newest days delay-aware bring detection on first-known data closer to detection on
final data? Measured on the daily suite's series (``suites``: the demo generator's counties with late
and partial reports, one outbreak per replicate).

Each current day ``t`` is judged as the detect job judges it, the morning after: the days before it
as known then (day ``t - k`` after ``k + 1`` days), three ways, with the same detector:

* **final**: every day's final count (the outbreak's cases added), the target;
* **first known**: the counts as known then (a late report missing, a partial one low; the outbreak's
  cases arrive with the same delay as the day's other visits);
* **chain ladder**: those counts divided by the share known after their delay (``surveillance.nowcast``,
  per county from the revisions of the ``training_days`` before the current period, as known then);
* **adjusted**: the detect job's judgement (``surveillance.service.delays``): the effective counts that
  scale the expectation by that share and the margin by how much what is known spreads.

For each way: POD, sensitivity, false positive rate (``metrics``), and for the last two their agreement
with the final judgement: the alarms on final data also raised, the alarms final data did not raise
(per final alarm), and the Jaccard index of the two alarm sets. The 90% nowcast interval's coverage of
the final count on the mornings after is reported beside.

The days judged are stacked as series (one per replicate and judged day, ``history_days`` long, grouped
by weekday so that a panel's dates hold every window's weekdays), so each detector runs 7 times per way
and scenario.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import nowcast
from ..detectors import Status, detect
from ..panel import Panel
from .metrics import per_series, summarise
from .run import method_params, parse_methods
from .suites import DAILY_CURRENT, DailyBaseline, select_scenarios, simulate_daily

WAYS = ("final", "first_known", "chain_ladder", "adjusted")
FINAL_AFTER = 14  # the demo generator's reports are final 13 days after their day at the latest


@dataclass(frozen=True)
class DelayEvaluation:
    """``table``: per method and way, the metrics and the agreement with final data; ``coverage``: share
    of first-known counts whose 90% nowcast interval held the final count; ``share_known``: the mean
    share of a day known the morning after, over the counties' triangles."""

    table: pd.DataFrame
    coverage: float
    share_known: float
    reps: int
    seed: int
    seconds: float


def training_shares(known: np.ndarray, first_current: int, training_days: int,
                    max_delay: int) -> tuple[np.ndarray, np.ndarray]:
    """``(q, tau)``, each ``[units, max_delay + 1]``: the share known after each delay and its spread, from
    the reporting triangles of the ``training_days`` before the day ``first_current``, as known on the day
    before it (``known``: :meth:`DailyBaseline.known_after` up to ``FINAL_AFTER``); what arrived after
    ``max_delay`` days (by then) counts at ``max_delay``, as the store's triangles count it."""
    rows = np.arange(first_current - training_days, first_current)
    age = rows[-1] - rows  # days from each row to the last one (the as-of day)
    grid = known[: max_delay + 1][:, :, rows].transpose(1, 2, 0).copy()  # [units, days, delay]
    grid[:, :, max_delay] = known[np.minimum(np.maximum(age, max_delay), FINAL_AFTER), :, rows].T
    arrived = ~np.isnan(grid)
    cumulative = np.nan_to_num(grid)
    counts = np.diff(cumulative, axis=2, prepend=0.0)
    possible = age[:, None] >= np.arange(max_delay + 1)[None, :]
    counts[:, ~possible] = np.nan
    q = nowcast.share_known(counts, arrived & possible[None])
    return q, nowcast.known_spread(counts, arrived & possible[None], share=q)


def as_judged(final: np.ndarray, known: np.ndarray, shares: np.ndarray, spreads: np.ndarray, days: np.ndarray,
              history: int) -> dict[str, np.ndarray]:
    """Each way's ``[len(days) * units, history]`` windows (day-major) ending on each of ``days``, as known
    the morning after it: the day ``k`` before it after ``k + 1`` days. ``known[d]`` is the counts known
    after ``d`` days (``d < FINAL_AFTER``), ``shares`` and ``spreads`` (``[units, D + 1]``) the share known
    after each delay and its spread."""
    index = days[:, None] - history + 1 + np.arange(history)[None, :]  # [n_days, history]
    delay = np.minimum(days[:, None] - index + 1, FINAL_AFTER)
    units = np.arange(final.shape[0])[:, None, None]
    first = np.concatenate([known, final[None]])[delay[None], units, index[None]]  # [units, n_days, history]
    beyond = np.ones((len(shares), FINAL_AFTER + 1 - shares.shape[1]))
    share = np.concatenate([shares, beyond], axis=1)[units, delay[None]]
    spread = np.concatenate([spreads, 0 * beyond], axis=1)[units, delay[None]]

    def rows(values: np.ndarray) -> np.ndarray:
        return values.transpose(1, 0, 2).reshape(-1, history)

    first_rows = rows(first)
    level, sd = nowcast.settled_level(first_rows, delay[0] >= shares.shape[1] - 1)
    adjusted = nowcast.effective_counts(first_rows, rows(share), rows(spread), level[:, None], sd[:, None])[0]
    return {"final": rows(final[units, index[None]]), "first_known": first_rows,
            "chain_ladder": first_rows / rows(share), "adjusted": adjusted}


def _judge(method: str, rows: np.ndarray, dates: pd.DatetimeIndex, kw: dict) -> tuple[np.ndarray, np.ndarray]:
    """Alarm and judged flag of each window's last day."""
    panel = Panel(counts=rows, dates=dates, keys=pd.DataFrame({"row": np.arange(len(rows)).astype(str)}))
    result = detect(method, panel, **kw)
    return result.alarm[:, -1], result.status[:, -1] == Status.OK


def scenario_counts(baseline: DailyBaseline, syndrome: str, cases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(final, known)``: final counts with the outbreak's cases, and ``known[d]`` the same as known after
    ``d`` days: each report's known share of the day (partial or missing) applied to its cases too."""
    final = baseline.final(syndrome)
    known = baseline.known_after(syndrome, FINAL_AFTER - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(final > 0, known / final, np.where(np.isnan(known), np.nan, 1.0))
    final = final + cases
    return final, np.floor(final[None] * fraction)


def nowcast_coverage(baseline: DailyBaseline, syndrome: str, shares: np.ndarray, spreads: np.ndarray,
                     first: int) -> tuple[int, int]:
    """How many first-known counts of the days from ``first`` on (known the morning after) had their final
    count inside the 90% nowcast interval (with the spread of the share known), of how many."""
    final = baseline.final(syndrome)[:, first:]
    known = baseline.known_after(syndrome, FINAL_AFTER - 1)[1][:, first:]
    cast = nowcast.nowcast(known, shares[:, 1:2], level=0.9, spread=spreads[:, 1:2])
    seen = np.isfinite(known) & np.isfinite(final)
    inside = (cast.lower <= final) & (final <= cast.upper)
    return int(inside[seen].sum()), int(seen.sum())


def evaluate_delay(methods, reps: int = 100, seed: int = 1, scenarios=None, *, max_delay: int = 7,
                   training_days: int = 56, history_days: int = 90, units_per_county: int = 1,
                   params=None) -> DelayEvaluation:
    """Judge every current day of the daily suite's ``scenarios`` three ways (see the module notes), with
    counties reporting as one unit (the suite's) or of ``units_per_county`` facilities."""
    began = time.perf_counter()
    names = parse_methods(methods)
    chosen = select_scenarios("daily", scenarios)
    baseline = DailyBaseline(reps, seed, units_per_county)
    first = len(baseline.dates) - DAILY_CURRENT
    shares, spreads = training_shares(baseline.known_after(None, FINAL_AFTER), first, training_days, max_delay)
    counts, agreement, covered, seen = [], [], 0, 0
    for scenario in chosen:
        sim = simulate_daily(scenario, reps, np.random.default_rng([seed, scenario.id]), baseline)
        syndrome = scenario.params["syndrome"]
        final, known = scenario_counts(baseline, syndrome, sim.current_cases)
        inside, n = nowcast_coverage(baseline, syndrome, shares, spreads, first)
        covered, seen = covered + inside, seen + n
        alarms = {(m, w): np.zeros((reps, DAILY_CURRENT), dtype=bool) for m in names for w in WAYS}
        judged = {key: np.zeros_like(value) for key, value in alarms.items()}
        for weekday in range(7):  # windows ending on the same weekday share their panel's dates
            positions = np.flatnonzero(np.arange(DAILY_CURRENT) % 7 == weekday)
            days = first + positions
            dates = baseline.dates[days[0] - history_days + 1: days[0] + 1]
            ways = as_judged(final, known, shares, spreads, days, history_days)
            for method in names:
                kw = method_params(method, params, 1)
                for way, rows in ways.items():
                    alarm, ok = _judge(method, rows, dates, kw)
                    alarms[method, way][:, positions] = alarm.reshape(len(days), reps).T
                    judged[method, way][:, positions] = ok.reshape(len(days), reps).T
        for (method, way), alarm in alarms.items():
            frame = per_series(alarm, sim.current_cases[:, first:], judged=judged[method, way])
            counts.append(frame.assign(method=method, way=way, scenario=scenario.id, points_per_year=365.25))
            target = alarms[method, "final"]
            agreement.append({"method": method, "way": way, "both": int((alarm & target).sum()),
                              "extra": int((alarm & ~target).sum()), "final_alarms": int(target.sum()),
                              "either": int((alarm | target).sum())})
    table = summarise(pd.concat(counts, ignore_index=True), ["method", "way"])
    agree = pd.DataFrame(agreement).groupby(["method", "way"], as_index=False).sum()
    table = table.merge(agree, on=["method", "way"])
    with np.errstate(invalid="ignore", divide="ignore"):
        table["final_alarms_kept"] = table["both"] / table["final_alarms"]
        table["extra_per_final_alarm"] = table["extra"] / table["final_alarms"]
        table["jaccard"] = table["both"] / table["either"]
    order = {m: i for i, m in enumerate(names)} | {w: i for i, w in enumerate(WAYS)}
    table = table.sort_values(["method", "way"], key=lambda c: c.map(order)).reset_index(drop=True)
    return DelayEvaluation(table=table, coverage=covered / seen if seen else float("nan"),
                           share_known=float(np.mean(shares[:, 1])), reps=reps, seed=seed,
                           seconds=time.perf_counter() - began)
