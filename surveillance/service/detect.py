"""The detect job: read the data as known on each judged day, run the configured detectors,
check data quality, and turn the results into signals and alert episodes.

Which days are judged: the days after the last judged one up to the newest day with data
(at most yesterday); the first run judges ``detection.initial_days`` days. Days whose signals
were on incomplete data are judged again, with the data known now, for ``recheck_days``
days. ``since`` (a backfill) judges every day from ``since``. Each day ``d`` is judged with
the data known now; a backfill (``since``) judges each day ``d`` with the data as known at the
end of ``d + 1`` (the morning after, when the daily cycle runs), so history shows what would
have been raised then.

Every configured detector comes from the one registry (``surveillance.detectors``): a temporal
one judges each series of its levels, syndromes and age groups; a spatial one (a space-time
scan) judges the county series of each syndrome together (all ages, daily; ``levels``, ``freq``
and ``age_groups`` do not apply). Percent of visits: see ``DayJudge.measured``. The newest days,
whose data are still arriving, are judged delay-aware and marked provisional
(``detection.delay``; see ``surveillance.service.delays``).

A detector that fails on a day is logged and recorded, and the others go on: their signals
are stored and the episodes updated, then the job raises ``DetectorsFailed`` naming the
failed detector(s) and error, so that the job run is recorded as failed. The failed
detector's day is not judged again by the next run (the others judged it); a backfill
(``since``) does.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..alerts.signals import SIGNAL_COLUMNS, signals_from_clusters, signals_from_findings, signals_from_result
from ..alerts.apply import apply_signals
from ..alerts.baselines import without_confirmed
from ..alerts.budget import keep_budget
from ..config import Config, DetectorSpec, check_detectors
from ..detectors import detect, get
from ..detectors.inputs import values
from ..engine import judge_plan
from ..errors import SurveillanceError
from ..panel import Panel, to_weekly
from ..quality import check_day, completeness_at
from ..store import Store
from ..store.alerts import confirmed_cells, days_to_recheck, last_judged_day
from ..store.counts import county_of_units, date_range
from ..store.operations import save_quality
from ..store.reference import hierarchy, region_points
from .delays import DelayShares, adjusts, scaled
from .panels import PanelReader
from .thresholds import learning_due, thresholds_for_day

log = logging.getLogger(__name__)


def newest_data_day(con, as_of: date | None = None) -> date | None:
    """The newest day with data (received by the end of ``as_of``)."""
    return date_range(con, as_of=as_of)[1]


def days_to_judge(con, config: Config, today: date, since: date | None = None,
                  until: date | None = None) -> tuple[list[date], list[date]]:
    """``(days, rechecks)``: new days to judge, and earlier days to judge again (incomplete data)."""
    newest = newest_data_day(con, today)
    if newest is None:
        return [], []
    last = min(today - timedelta(days=1), newest) if until is None else until
    if since is not None:
        first = since
    else:
        judged = last_judged_day(con)
        first = judged + timedelta(days=1) if judged else last - timedelta(days=config.detection.initial_days - 1)
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    rechecks: list[date] = []
    if since is None and config.detection.recheck_days:
        lo = last - timedelta(days=config.detection.recheck_days)
        # Only days whose data changed since they were judged: the data "filled in".
        rechecks = days_to_recheck(con, lo, first, today)
    return days, rechecks


class DetectorsFailed(SurveillanceError):
    """Some configured detectors failed; the others' signals were stored and the episodes updated."""

    def __init__(self, failures: list[dict], summary: dict):
        first = failures[0]
        more = f" (and {len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
        super().__init__(f"detector {first['detector']} failed on {first['day']}: {first['error']}{more}")
        self.failures, self.summary = failures, summary


def _concat(panels: list[Panel]) -> Panel:
    if len(panels) == 1:
        return panels[0]
    totals = None if any(p.totals is None for p in panels) else np.vstack([p.totals for p in panels])
    return Panel(counts=np.vstack([p.counts for p in panels]), dates=panels[0].dates,
                 keys=pd.concat([p.keys for p in panels], ignore_index=True), totals=totals, freq=panels[0].freq,
                 attrs=dict(panels[0].attrs))


class DayJudge:
    """Judges one data day with the data known on ``as_of``; caches panels and completeness."""

    def __init__(self, con, config: Config, day: date, as_of: date, reader: PanelReader | None = None):
        self.con, self.config, self.day, self.as_of = con, config, day, as_of
        self.reader = reader or PanelReader(con)
        self._panels: dict = {}
        self._completeness: dict = {}
        self.county_of = self.reader.county_of
        delay = config.detection.delay
        self.delays = None
        if delay.adjust:  # days judged as of the same day (a live run's) share one estimate of the delays
            self.delays = self.reader.delay_shares.get(as_of)
            if self.delays is None:
                self.delays = self.reader.delay_shares[as_of] = DelayShares(con, delay, as_of, self.county_of,
                                                                           self.reader.history())

    def parents(self, regions: pd.Series) -> np.ndarray:
        """Each series' parent region (a facility's county): the region a share-of-region detector
        compares it within (``parent`` in the panel's keys)."""
        tree = self.reader.tree
        codes, unique = pd.factorize(regions.astype(str))  # a region's series share its parent
        parents = tree.parents(unique) if tree else [None] * len(unique)
        return np.array([p or "" for p in parents], dtype=object)[codes]

    def provinces(self, regions: pd.Series) -> np.ndarray:
        """Each series' province (itself for a province): what a detector pooling over series pools within,
        so that a province judged alone (one task of the Dask engine) is judged as within the country."""
        codes, unique = pd.factorize(regions.astype(str))
        return np.array([self.reader.province_of.get(code, "") for code in unique], dtype=object)[codes]

    def panel(self, spec: DetectorSpec, level: str) -> Panel | None:
        """The panel ``spec`` judges at ``level`` (weekly: summed into weeks)."""
        daily = self.daily_panel(spec, level)
        return to_weekly(daily) if daily is not None and spec.freq == "weekly" else daily

    def daily_panel(self, spec: DetectorSpec, level: str) -> Panel | None:
        syndromes = tuple(spec.syndromes or self.config.syndromes)
        key = (level, spec.history, syndromes, tuple(spec.age_groups))
        if key not in self._panels:
            start = self.day - timedelta(days=spec.history - 1)
            parts = []
            if "all" in spec.age_groups:
                parts.append(self.reader.read(level=level, syndromes=list(syndromes), age_groups=None, start=start,
                                              end=self.day, as_of=self.as_of))
            split = [a for a in spec.age_groups if a != "all"]
            if split:
                parts.append(self.reader.read(level=level, syndromes=list(syndromes), age_groups=split,
                                              start=start, end=self.day, as_of=self.as_of))
            parts = [p for p in parts if p.shape[0] and p.shape[1]]
            panel = _concat(parts) if parts else None
            if panel is not None:
                panel.keys["parent"] = self.parents(panel.keys["region"])
                panel.keys["pool"] = self.provinces(panel.keys["region"])
                # confirmed outbreaks are left out of what later days are compared with
                panel = without_confirmed(panel, confirmed_cells(self.con, start, self.day), self.day, self.county_of)
            self._panels[key] = panel
        return self._panels[key]

    def completeness(self, level: str, period: int) -> pd.DataFrame:
        key = (level, period)
        if key not in self._completeness:
            comp = completeness_at(self.con, self.config.quality, level, self.day - timedelta(days=period - 1),
                                   self.day, as_of=self.as_of, history=self.reader.history())
            if period > 1:
                comp = comp.groupby("region", as_index=False)["completeness"].mean()
                comp["date"] = pd.Timestamp(self.day)
            self._completeness[key] = comp
        return self._completeness[key]

    def run(self, spec: DetectorSpec, flagged: pd.DataFrame | None = None) -> pd.DataFrame:
        detector = get(spec.name)
        if detector.kind == "spatial":
            return self.run_scan(spec)
        if spec.freq == "weekly" and self.day.weekday() != 6:
            return pd.DataFrame(columns=SIGNAL_COLUMNS)  # weeks are judged on their last day (Sunday)
        out = []
        for level in spec.levels:
            daily = self.daily_panel(spec, level)
            panel = self.panel(spec, level)
            if panel is None or panel.shape[1] == 0:
                continue
            params = dict(spec.params)
            if "monitor_last" in detector.param_names:
                params.setdefault("monitor_last", 1)  # only the judged point is needed
            delayed, provisional = None, None
            if self.delays is not None:
                weekly = spec.freq == "weekly"
                if adjusts(spec, detector):
                    delayed = self.delays.judged(daily, level, weekly)
                    provisional = self.delays.provisional(delayed.share)
                else:
                    provisional = self.delays.provisional(self.delays.known_share(daily, level, weekly))
            run_panel, params, observed = self.measured(spec, detector, panel if delayed is None else delayed.panel,
                                                        params)
            result = detect(spec.name, run_panel, **params)
            if delayed is not None:
                result = scaled(result, delayed)
            period = 7 if spec.freq == "weekly" else 1
            out.append(signals_from_result(
                result, panel, level=level, severity_thresholds=self.config.detection.severity_for(spec),
                judged_dates=panel.dates[-1:], detector=spec.id, as_of=self.as_of,
                measure="percent" if spec.percent else "count", period_days=period,
                completeness=self.completeness(level, period), min_completeness=self.config.quality.min_completeness,
                flagged=flagged, observed=observed, provisional=provisional,
            ))
        out = [o for o in out if len(o)]
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)

    @staticmethod
    def measured(spec: DetectorSpec, detector, panel: Panel, params: dict) -> tuple[Panel, dict, np.ndarray | None]:
        """What ``detector`` judges: ``(panel, params, observed)``.

        Counts, or with ``percent`` the percent of all visits, ``100 * count / total``
        (``detectors.inputs.values``: points without visits are missing). A detector with a
        ``percent`` parameter gets ``percent=true``; one without it runs on a panel of the
        percentages. ``observed`` is what the signals show as observed (None: the counts).
        """
        if not spec.percent:
            return panel, params, None
        observed = values(spec.id, panel, percent=True)
        if "percent" in detector.param_names:
            return panel, {**params, "percent": True}, observed
        return replace(panel, counts=observed, totals=None), params, observed

    def run_scan(self, spec: DetectorSpec) -> pd.DataFrame:
        regions = region_points(self.con, "county").rename(columns={"code": "region"})
        out = []
        for syndrome in spec.syndromes or self.config.syndromes:
            plain = spec.model_copy(update={"syndromes": [syndrome], "age_groups": ["all"], "freq": "daily"})
            panel = self.panel(plain, "county")
            if panel is None or panel.shape[1] < 2:
                continue
            result = detect(spec.name, panel, regions=regions, **spec.params)
            provisional = ()
            if self.delays is not None:
                newest = self.delays.provisional(self.delays.daily(panel, "county"))[:, -1]
                provisional = set(panel.keys["region"].astype(str)[newest])
            out.append(signals_from_clusters(
                result, detector=spec.id, syndrome=syndrome, age_group="all", as_of=self.as_of,
                severity_thresholds=self.config.detection.severity_for(spec),
                completeness=self.completeness("county", 1),
                min_completeness=self.config.quality.min_completeness, provisional_regions=provisional))
        out = [o for o in out if len(o)]
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SIGNAL_COLUMNS)


def judge_day(con, config: Config, day: date, as_of: date, *, quality_checks: bool = True,
              reader: PanelReader | None = None) -> dict:
    """Signals and data quality of one data day. Returns ``signals``, ``completeness``, ``findings``
    and ``failures`` (one ``{detector, day, error}`` per detector that failed; the others still ran)."""
    reader = reader or PanelReader(con)
    quality = check_day(con, config.quality, day, today=as_of, as_of=as_of, history=reader.history(),
                        feeds=[f.name for f in config.feeds if f.enabled]) if quality_checks else None
    findings = quality["findings"] if quality is not None else pd.DataFrame(columns=["region", "date"])
    flagged = findings[findings["kind"] == "visits_drop"][["region", "date"]] if len(findings) else None
    if flagged is not None:
        flagged = _flag_below(con, flagged)
    judge = DayJudge(con, config, day, as_of, reader)
    parts, failures = [], []
    for spec in config.detection.detectors:
        try:
            parts.append(judge.run(spec, flagged))
        except Exception as exc:  # one broken detector must not stop the others; the job reports it
            log.exception("detector %s failed on %s", spec.id, day)
            failures.append({"detector": spec.id, "day": str(day), "error": _error_line(exc)})
    if quality is not None and len(findings):
        parts.append(signals_from_findings(findings, as_of=as_of))
    parts = [p for p in parts if len(p)]
    signals = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SIGNAL_COLUMNS)
    return {"signals": signals, "completeness": quality["completeness"] if quality is not None else None,
            "findings": findings, "failures": failures}


def judge_days(con, config: Config, plan: list[tuple[date, date]], *, reader: PanelReader | None = None,
               progress=None) -> list[dict]:
    """:func:`judge_day` for each ``(day, as_of)`` of ``plan``, in order. Judging a day needs nothing
    judged before it (the alarm budget is applied afterwards), so the days can be judged together."""
    out = []
    for day, as_of in plan:
        out.append(judge_day(con, config, day, as_of, reader=reader))
        if progress:
            progress(day, len(out[-1]["signals"]))
    return out


def _error_line(exc: Exception) -> str:
    """One line for the job run: a user-facing error as it is, anything else with its type."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, SurveillanceError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _flag_below(con, flagged: pd.DataFrame) -> pd.DataFrame:
    """A visits drop in a province flags its cities and counties too."""
    tree = hierarchy(con)
    if tree is None:
        return flagged
    below = [(code, day) for region, day in zip(flagged["region"], flagged["date"])
             if region in tree for code in tree.descendants(region, include_units=False)]
    out = pd.concat([flagged, pd.DataFrame(below, columns=["region", "date"])], ignore_index=True)
    return out.drop_duplicates()


def _within_budget(con, config: Config, signals: pd.DataFrame, learnt: dict[str, float]) -> pd.DataFrame:
    """The alarm budget over every family's series of the judged day (surveillance.alerts.budget), at the
    levels learnt for it (surveillance.service.thresholds)."""
    budget = config.detection.budget
    if budget.noise_alerts_per_quarter <= 0 or not len(signals):
        return signals
    return keep_budget(signals, noise_per_quarter=budget.noise_alerts_per_quarter, red_share=budget.red_share,
                       county_of=county_of_units(con), learnt=learnt)


def _temporal_points(signals: pd.DataFrame) -> pd.DataFrame:
    """The judged points of temporal detectors (as ``store.alerts.judged_points`` reads them)."""
    if not len(signals):
        return signals
    keep = (signals["status"] == "ok") & signals["regions"].isna() & (signals["detector"] != "quality")
    return signals.loc[keep, ["detector", "level", "region", "syndrome", "age_group", "date", "pvalue"]]


def _days_before(config: Config) -> int:
    """How far before a judged day its judging reads: the detectors' histories, the delay training
    window, the data-quality checks' usual window."""
    return max([s.history for s in config.detection.detectors] + [config.detection.delay.training_days,
                config.quality.usual_window_days + 28]) + 1


def run_detection(store: Store, config: Config, today: date, *, since: date | None = None,
                  until: date | None = None, progress=None) -> dict:
    """Judge the due days (or ``since``..``until``), store signals and update episodes in one transaction.

    Raises ``DetectorsFailed`` after that transaction when some detectors failed (the summary,
    with ``failed``, is on the exception)."""
    check_detectors(config)
    con = store.cursor()
    days, rechecks = days_to_judge(con, config, today, since, until)
    if not days and not rechecks:
        return {"days": [], "signals": 0, "episodes_opened": 0, "episodes_escalated": 0, "episodes_ended": 0,
                "failed": []}
    all_signals, all_quality, failures = [], [], []
    judged_days = sorted(set(days) | set(rechecks))
    # every revision the judged days need, read once (surveillance.service.panels)
    plan = [(day, min(day + timedelta(days=1), today) if since is not None else today) for day in judged_days]
    reader = PanelReader(con)
    before = _days_before(config)
    if since is not None or learning_due(con, config, judged_days[0]):  # the learning reads a year before
        before += config.detection.budget.history_days
    reader.cover(judged_days[0] - timedelta(days=before), max(as_of for _, as_of in plan))
    first_judged: list[pd.DataFrame] = []  # what a backfill judged so far, for its budget's relearning

    def judged_so_far() -> pd.DataFrame:
        return pd.concat(first_judged, ignore_index=True) if first_judged else None

    judged_plan = judge_plan(con, config, plan, judge=judge_days, database=store.path, reader=reader,
                             progress=progress)  # in this process, or on a Dask cluster (engine.kind)
    for (day, as_of), judged in zip(plan, judged_plan):
        learnt = thresholds_for_day(store, config, day, judged_so_far if since is not None else None, reader=reader)
        all_signals.append(_within_budget(con, config, judged["signals"], learnt))
        if since is not None:
            first_judged.append(_temporal_points(judged["signals"]))
        failures.extend(judged["failures"])
        if judged["completeness"] is not None:
            all_quality.append((judged["completeness"], as_of))
    signals = pd.concat([s for s in all_signals if len(s)] or [pd.DataFrame(columns=SIGNAL_COLUMNS)],
                        ignore_index=True)
    last = max(days) if days else max(rechecks)
    if since is not None:
        notify_since = last
    else:
        notify_since = max(min(days) if days else last, last - timedelta(days=config.alerts.notify_within_days - 1))
    with store.transaction() as cur:
        for completeness, as_of in all_quality:
            save_quality(cur, completeness, as_of)
        summary = apply_signals(cur, signals, today=today, gap_days=config.alerts.gap_days,
                                quiet_days=config.alerts.quiet_days, notify_since=notify_since,
                                by_event=config.alerts.by_event)
    summary["days"] = [str(d) for d in sorted(set(days))]
    summary["rechecked"] = [str(d) for d in rechecks]
    summary["failed"] = failures
    if failures:
        raise DetectorsFailed(failures, summary)
    return summary
