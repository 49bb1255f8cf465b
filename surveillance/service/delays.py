"""Delay-aware newest days in the detect job.

A day judged the morning after it is known only in part: late reports and partial reports that are
corrected days later (``surveillance.nowcast`` for the method). With ``detection.delay.adjust`` the
job learns, per county (pooled over its units, syndromes and age groups; per syndrome with
``by_syndrome``), the share ``q(d)`` of a day's final count known ``d`` days after it and how much
that share varies from day to day (``tau(d)``), from the revisions of the ``training_days`` before
the judged day as known then.

**Count detectors** judge their expectation scaled to what is usually known by then: a day's count
``x`` known after ``d`` days is compared with ``q·expected``, and its threshold is
``q·expected + m·(threshold - expected)``, where ``m = sqrt(q^2 + tau^2 (1 + level^2 / sd^2))``
(``nowcast.margin_scale``) is how much wider what is known spreads than the final count (the
series' ``level`` and ``sd`` from its settled days). The chain ladder's plain nowcast would use
``m = q``; but delay comes in whole reports (a hospital late is a tenth of a county gone), and
judging ``x / q`` as if exact raised, on the daily suite, more false alarms than it recovered.
The job does this without touching the detectors: it runs each detector on the effective counts
``level + (x - q·level) / m`` (the final count's mean and spread when nothing is happening) and maps
its expectation and threshold back by the same linear map, so score, p-value and alarm are the
detector's own and the result keeps its one shape (``surveillance.detectors.result``). The signal
shows the count as known against the scaled expectation and threshold: like with like.

**Ratio detectors** are left as they are: a share of all visits (``percent``) and a county's share
of its region's cases (``regional_excess``) lose the same fraction above and below the line when
the delay is the same everywhere. Space-time scans are left as they are too (the permutation scan
conditions on each day's total, so a uniform delay cancels; the Poisson scan is not adjusted).

Every signal (any detector) on a day of which less than ``provisional_below`` is usually known is
marked ``provisional``; such days are judged again as their data arrive (``recheck_days``).
Facility-level series take their county's delay; city and province series their own triangle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .. import nowcast
from ..config import DelayConfig, DetectorSpec
from ..detectors.result import DetectionResult
from ..panel import Panel, to_weekly
from ..store.delays import arrivals_by_delay

RATIO_DETECTORS = frozenset({"regional_excess"})  # a share of the region's cases: a uniform delay cancels


def adjusts(spec: DetectorSpec, detector) -> bool:
    """Whether ``spec`` judges counts, so that its newest days are judged against scaled expectations."""
    return detector.kind == "temporal" and not spec.percent and spec.name not in RATIO_DETECTORS


@dataclass(frozen=True)
class Judged:
    """What a detector judges instead of the counts as known: ``panel`` of effective counts
    ``offset + counts / scale`` (arrays of its shape), and each point's ``share`` known."""

    panel: Panel
    offset: np.ndarray
    scale: np.ndarray
    share: np.ndarray


class DelayShares:
    """The share known of each region's recent days as of ``as_of``, one chain ladder per level."""

    def __init__(self, con, settings: DelayConfig, as_of: date, county_of, history=None):
        self.con, self.settings, self.as_of, self.county_of = con, settings, as_of, county_of
        self.history = history  # the revisions the detect run read (store.history.CountHistory), if any
        self._estimates: dict[str, object] = {}

    def estimates(self, level: str):
        """``q0..qD`` and ``s0..sD`` per region (and syndrome) of ``level`` (a facility: its county's)."""
        level = "county" if level == "facility" else level
        if level not in self._estimates:
            s = self.settings
            start = self.as_of - timedelta(days=s.training_days - 1)
            strata = ["region", "syndrome"] if s.by_syndrome else ["region"]
            arrived = None
            if self.history is not None and self.history.covers(start=start, end=self.as_of):
                arrived = self.history.arrivals_by_delay(level=level, start=start, end=self.as_of, as_of=self.as_of,
                                                         max_delay=s.max_days, by_syndrome=s.by_syndrome)
            if arrived is None:
                arrived = arrivals_by_delay(self.con, level=level, start=start, end=self.as_of, as_of=self.as_of,
                                            max_delay=s.max_days, by_syndrome=s.by_syndrome)
            triangle = nowcast.build_triangle(arrived, strata, start=start, as_of=self.as_of, max_delay=s.max_days)
            self._estimates[level] = nowcast.estimate(triangle)
        return self._estimates[level]

    def _points(self, panel: Panel, level: str, what: str) -> np.ndarray:
        regions = panel.keys["region"].astype(str).to_numpy(dtype=object)
        if level == "facility":
            counties = {code: self.county_of(code) for code in pd.unique(regions)}
            regions = np.array([counties[code] for code in regions], dtype=object)
        strata = (list(zip(regions, panel.keys["syndrome"].astype(str).to_numpy(dtype=object)))
                  if self.settings.by_syndrome else list(regions))
        return nowcast.shares_for(self.estimates(level), strata, self.delays(panel), what)

    def delays(self, panel: Panel) -> np.ndarray:
        """Each date's days before ``as_of``."""
        return (np.datetime64(self.as_of, "D") - panel.dates.values.astype("datetime64[D]")).astype(int)

    def daily(self, panel: Panel, level: str) -> np.ndarray:
        """``[n_series, n_time]``: the share of each point's final count known by ``as_of``."""
        return self._points(panel, level, "q")

    def known_share(self, daily: Panel, level: str, weekly: bool) -> np.ndarray:
        """The share known of each point (``weekly``: of each week's final count) as of ``as_of``: what marks a
        point provisional, for the detectors that judge the counts as known (ratio detectors)."""
        share = self.daily(daily, level)
        return self._weekly_share(daily, share) if weekly else share

    def judged(self, daily: Panel, level: str, weekly: bool) -> Judged:
        """The effective counts a count detector judges (``weekly``: summed into weeks; see the module notes)."""
        share, spread = self.daily(daily, level), self._points(daily, level, "s")
        mean, sd = nowcast.settled_level(daily.counts, self.delays(daily) >= self.settings.max_days)
        effective, offset, scale = nowcast.effective_counts(daily.counts, share, spread, mean[:, None], sd[:, None])
        if not weekly:
            return Judged(replace(daily, counts=effective), offset, scale, share)
        week = _week(daily)
        known, divided, offset_w = week(daily.counts), week(daily.counts / scale), week(offset)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale_w = np.where(divided > 0, known / divided, 1.0)
        return Judged(replace(to_weekly(daily), counts=offset_w + known / scale_w), offset_w, scale_w,
                      self._weekly_share(daily, share))

    @staticmethod
    def _weekly_share(daily: Panel, share: np.ndarray) -> np.ndarray:
        week = _week(daily)
        known = week(daily.counts)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_w = np.where(known > 0, known / week(daily.counts / share), 1.0)
        return np.where(np.isfinite(share_w), share_w, 1.0)

    def provisional(self, share: np.ndarray) -> np.ndarray:
        return share < self.settings.provisional_below


def _week(daily: Panel):
    """Values of ``daily``'s shape summed into its weeks."""
    return lambda values: to_weekly(replace(daily, counts=values, totals=None)).counts


def scaled(result: DetectionResult, judged: Judged) -> DetectionResult:
    """``result`` on effective counts mapped back to the counts as known: expectation and threshold by the
    inverse of ``offset + counts / scale`` (the same shape; score, p-value and alarm unchanged)."""
    back = lambda values: judged.scale * (values - judged.offset)  # noqa: E731
    return replace(result, expected=back(result.expected), upperbound=back(result.upperbound))


def county_shares(con, settings: DelayConfig, as_of: date):
    """``q0..qD`` per county (and syndrome) as of ``as_of``: for pages that say which days are provisional."""
    return DelayShares(con, settings, as_of, county_of=lambda code: code).estimates("county")


def day_share(estimates, day: date, as_of: date, counties=None) -> float:
    """The share of ``day``'s final count usually known by ``as_of``, averaged over ``counties`` (all:
    None); 1 for a day old enough to be final or without an estimate."""
    delay = (as_of - day).days
    final = sum(1 for c in estimates.columns if c[0] == "q") - 1
    if delay < 0 or delay >= final:
        return 1.0
    shares = estimates[f"q{delay}"].groupby(level=0).mean()
    if counties is not None:
        shares = shares[shares.index.isin(list(counties))]
    return float(shares.mean()) if len(shares) else 1.0
