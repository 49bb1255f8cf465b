"""The Bayes system (R ``surveillance::bayes`` / ``algo.bayes``; Riebler 2004).

Reference values for point ``t``: with ``act_y`` the ``w`` points before ``t`` in the
current year, and for each of ``b`` years back the window ``t - i*period ± w``. With a
Poisson count whose mean has the non-informative prior, the predictive distribution of
the current count is negative binomial with ``size = sum + 1/2`` and
``prob = n / (n + 1)`` (``sum``, ``n``: sum and number of non-missing reference values).

* ``upperbound``: its ``1 - alpha`` quantile (R's ``qnbinom``);
* ``expected``: its mean, ``(sum + 1/2) / n``;
* ``pvalue``: ``P(Y >= count)`` under it;
* ``alarm = count > upperbound`` (R's rule), i.e. ``score > 1`` with the shared score.

Reference points are found by position, as R does (``bayes`` ignores dates);
``period`` defaults to 52 for weekly panels. As R, missing reference values are left out;
a point with no reference value at all is ``insufficient_baseline`` (R would return the
quantile of a degenerate distribution). ``monitor_last`` judges only the last points.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import nbinom

from ..panel import Panel
from .params import Bool, Int, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

REFERENCE = "Riebler (2004); R surveillance::bayes"


def reference_offsets(b: int, w: int, act_y: bool, period: int) -> np.ndarray:
    """Positions of the reference values relative to the current point (all negative)."""
    parts = [np.arange(-w, 0)] if act_y else []
    parts += [np.arange(-i * period - w, -i * period + w + 1) for i in range(1, b + 1)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=int)


def run_bayes(panel: Panel, params: dict) -> DetectionResult:
    name = "bayes"
    counts = np.asarray(panel.counts, dtype=float)
    n, T = counts.shape
    period = params["period"] or (52 if panel.freq == "weekly" else 365)
    resolved = dict(params, period=period)
    offsets = reference_offsets(params["b"], params["w"], params["act_y"], period)
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    expected = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    pvalue = np.full((n, T), np.nan)
    first = -offsets.min() if len(offsets) else T
    start = first if params["monitor_last"] is None else max(first, T - params["monitor_last"])
    if params["monitor_last"] is not None:
        status[:, : max(0, T - params["monitor_last"])] = Status.NOT_MONITORED
    if start < T and len(offsets):
        times = np.arange(start, T)
        ref = counts[:, times[:, None] + offsets[None, :]]  # [n, len(times), len(offsets)]
        used = np.sum(~np.isnan(ref), axis=2)
        total = np.nansum(ref, axis=2)
        size = total + 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            prob = used / (used + 1.0)
            expected[:, times] = size / used
            upper[:, times] = nbinom.ppf(1 - params["alpha"], size, prob)
            pvalue[:, times] = nbinom.sf(counts[:, times] - 1, size, prob)
        status[:, times] = np.where(used > 0, Status.OK, Status.INSUFFICIENT_BASELINE)
    return assemble(name, resolved, counts, expected=expected, upperbound=upper, pvalue=pvalue, status=status)


BAYES = register(Detector(
    name="bayes",
    run=run_bayes,
    frequency="weekly",
    schema=ParamSchema("bayes", (
        Int("b", 0, "number of years back for the reference windows", low=0),
        Int("w", 6, "half-width of the reference windows (and the current-year window with act_y)", low=0),
        Bool("act_y", True, "also use the w points before the current one", aliases=("actY",)),
        Probability("alpha", 0.05, "one-sided level of the threshold"),
        Int("period", None, "points per year (none: 52 for weekly panels)", low=2, nullable=True),
        Int("monitor_last", None, "judge only the last this many points (none: all)", low=1, nullable=True),
    )),
    reference=REFERENCE,
    summary="negative binomial predictive quantile from the same weeks of past years",
))
