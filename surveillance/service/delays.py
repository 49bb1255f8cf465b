"""Delay-aware newest days in the detect job.

A day judged the morning after it is known only in part: late reports and partial reports that are
corrected days later (``surveillance.nowcast`` for the method). With ``detection.delay.adjust`` the
job learns, per county (pooled over its units, syndromes and age groups; per syndrome with
``by_syndrome``), the share ``q(d)`` of a day's final count known ``d`` days after it, from the
revisions of the ``training_days`` before the judged day as known then.

**Count detectors** then judge the nowcast ``count / q(d)`` of every day of their panel (a weekly
series the sum of its days' nowcasts) and the signal shows the count as known against the
detector's expectation and threshold scaled by the same share: ``count > q·threshold`` exactly when
``count / q > threshold``, so the alarm, score and p-value are the detector's own on the nowcast,
and the figures compare like with like (what has arrived against what usually has by then). This
was chosen over judging a nowcast interval because it keeps every detector's own distribution and
result shape (``surveillance.detectors.result``): the job only rescales inputs and outputs. The
nowcast's own uncertainty (the part not yet reported, ``surveillance.nowcast.nowcast``) is not in
the p-value; at the shares the demo has the morning after (about 0.92) it adds a tenth of the
Poisson variance.

**Ratio detectors** are left as they are: a share of all visits (``percent``) and a county's share
of its region's cases (``regional_excess``) lose the same fraction above and below the line when
the delay is the same everywhere. Space-time scans are left as they are too (the permutation scan
conditions on each day's total, so a uniform delay cancels; the Poisson scan is not adjusted).

Every signal (any detector) on a day of which less than ``provisional_below`` is usually known is
marked ``provisional``; such days are judged again as their data arrive (``recheck_days``).
Facility-level series take their county's delay; city and province series their own triangle.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from .. import nowcast
from ..config import DelayConfig, DetectorSpec
from ..detectors.result import DetectionResult
from ..panel import Panel, to_weekly
from ..store.delays import arrivals_by_delay

RATIO_DETECTORS = frozenset({"regional_excess"})  # a share of the region's cases: a uniform delay cancels


def adjusts(spec: DetectorSpec, detector) -> bool:
    """Whether ``spec`` judges counts, so that its newest days are judged against scaled expectations."""
    return detector.kind == "temporal" and not spec.percent and spec.name not in RATIO_DETECTORS


class DelayShares:
    """The share known of each region's recent days as of ``as_of``, one chain ladder per level."""

    def __init__(self, con, settings: DelayConfig, as_of: date, county_of):
        self.con, self.settings, self.as_of, self.county_of = con, settings, as_of, county_of
        self._estimates: dict[str, object] = {}

    def estimates(self, level: str):
        """``q0..qD`` per region (and syndrome) of ``level`` (a facility: its county's)."""
        level = "county" if level == "facility" else level
        if level not in self._estimates:
            s = self.settings
            start = self.as_of - timedelta(days=s.training_days - 1)
            strata = ["region", "syndrome"] if s.by_syndrome else ["region"]
            arrived = arrivals_by_delay(self.con, level=level, start=start, end=self.as_of, as_of=self.as_of,
                                        max_delay=s.max_days, by_syndrome=s.by_syndrome)
            triangle = nowcast.build_triangle(arrived, strata, start=start, as_of=self.as_of, max_delay=s.max_days)
            self._estimates[level] = nowcast.estimate(triangle)
        return self._estimates[level]

    def daily(self, panel: Panel, level: str) -> np.ndarray:
        """``[n_series, n_time]``: the share of each point's final count known by ``as_of``."""
        regions = panel.keys["region"].astype(str)
        if level == "facility":
            regions = regions.map(self.county_of)
        strata = (list(zip(regions, panel.keys["syndrome"].astype(str))) if self.settings.by_syndrome
                  else list(regions))
        delays = (np.datetime64(self.as_of, "D") - panel.dates.values.astype("datetime64[D]")).astype(int)
        return nowcast.shares_for(self.estimates(level), strata, delays)

    def judged(self, daily: Panel, level: str, weekly: bool) -> tuple[Panel, np.ndarray]:
        """``(nowcast, share)`` of a daily panel, as the detector will see it (``weekly``: summed into weeks):
        the nowcast panel and each point's share known (a week: its count as known over its nowcast)."""
        share = self.daily(daily, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            counts = np.where(share > 0, daily.counts / share, daily.counts)
        projected = replace(daily, counts=counts)
        if not weekly:
            return projected, share
        known, projected = to_weekly(daily), to_weekly(projected)
        with np.errstate(divide="ignore", invalid="ignore"):
            week_share = np.where(projected.counts > 0, known.counts / projected.counts, 1.0)
        return projected, np.where(np.isfinite(week_share), week_share, 1.0)

    def provisional(self, share: np.ndarray) -> np.ndarray:
        return share < self.settings.provisional_below


def scaled(result: DetectionResult, share: np.ndarray) -> DetectionResult:
    """``result`` with its expectation and threshold scaled to the share known (the same shape, the
    detector's own score, p-value and alarm: they were judged on the nowcast)."""
    return replace(result, expected=result.expected * share, upperbound=result.upperbound * share)


def county_shares(con, settings: DelayConfig, as_of: date):
    """``q0..qD`` per county (and syndrome) as of ``as_of``: for pages that say which days are provisional."""
    return DelayShares(con, settings, as_of, county_of=lambda code: code).estimates("county")


def day_share(estimates, day: date, as_of: date, counties=None) -> float:
    """The share of ``day``'s final count usually known by ``as_of``, averaged over ``counties`` (all:
    None); 1 for a day old enough to be final or without an estimate."""
    delay = (as_of - day).days
    column = f"q{delay}"
    if delay < 0 or column not in estimates.columns or column == estimates.columns[-1]:
        return 1.0
    shares = estimates[column].groupby(level=0).mean()
    if counties is not None:
        shares = shares[shares.index.isin(list(counties))]
    return float(shares.mean()) if len(shares) else 1.0
