"""EARS C1, C2 and C3 (CDC Early Aberration Reporting System; R ``surveillance::earsC``).

For a point ``t`` and a baseline of ``baseline`` points (7 by default):

* **C1** compares the count with the mean and standard deviation of ``t-7 .. t-1``;
* **C2** does the same with a 2-point guard band, baseline ``t-9 .. t-3``;
* **C3** adds up the C2 excesses of ``t``, ``t-1`` and ``t-2``:
  ``C3_t = sum_{i=0..2} max(0, C2_{t-i} - 1)``.

With ``z = qnorm(1 - alpha)`` and ``sigma = max(sd, min_sigma)``:

* C1/C2: ``expected = mean``, ``upperbound = mean + z * sigma`` (as R),
  ``score = (count - mean) / (z * sigma)``, ``pvalue = P(N(0,1) > (count - mean) / sigma)``;
* C3: ``alarm = C3_t > z``; ``score = C3_t / z``; ``upperbound`` is the count above which
  ``C3_t > z``, i.e. ``mean + sigma * (1 + z - lag)`` with ``lag`` the two previous
  excesses; ``pvalue = P(N(0,1) > C3_t)`` (nominal, as the threshold is).

Departures from R, on purpose:

* **C3 bound.** R 1.20.3 computes the C3 bound as ``count + sigma * (z - lag)`` (clipped
  at 0), which contains today's count itself: the alarm then depends only on the two
  previous days and a spike today can never raise a C3 alarm. We use the published
  statistic above. ``r_compatible=True`` reproduces R's bound and alarms exactly, including
  R's missing bound where a zero-variance baseline gives ``0/0`` (status ``fit_failed``).
  When the two previous days alone exceed ``z`` every count alarms; the bound is then
  reported as 0 (so a count of 0 alarms although it is not above the bound: the one
  exception to ``alarm == count > upperbound``).
* **Zero variance.** With ``min_sigma=0`` and a constant baseline R divides by zero; we
  read ``C2`` as ``+inf``/``0``/``-inf`` for a count above/at/below the mean, which gives
  the same C1/C2 bounds and alarms as R.
* **Missing values.** R returns no bound when any baseline value is missing. We judge a
  point when its baseline window lies inside the series and holds at least
  ``max(3, ceil(baseline / 2))`` non-missing values (R's minimum baseline is 3); otherwise
  the status is ``insufficient_baseline``. In C3 a previous day that cannot be judged adds
  no excess.

``percent=true`` judges ``100 * count / total`` (see ``inputs``); ``monitor_last`` judges only
the last points, computed from the few points before them that their windows need.

All series are computed at once: loops run over the ``baseline`` lags, never over series.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from ..panel import Panel
from .inputs import monitor_param, monitor_start, percent_param, values
from .params import Bool, Float, Int, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

REFERENCE = "Hutwagner et al. (2003), CDC EARS; R surveillance::earsC"
GUARD = {"ears_c1": 0, "ears_c2": 2, "ears_c3": 2}


def _common_params(name: str) -> tuple:
    return (
        Int("baseline", 7, "number of past points in the baseline window", low=3),
        Probability("alpha", 0.001, "one-sided level; the threshold uses the normal quantile qnorm(1 - alpha)"),
        Float("min_sigma", 0.0, "floor on the baseline standard deviation (avoids zero-width thresholds "
              "on sparse data)", low=0.0, aliases=("minSigma",)),
        percent_param(),
        monitor_param(),
    )


def baseline_stats(counts: np.ndarray, baseline: int, guard: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample sd and number of non-missing values of ``counts[:, t-guard-baseline : t-guard]``.

    NaN where the window starts before the series. Two passes (mean, then squared
    deviations) rather than running sums of squares, which lose precision on large counts.
    """
    n, T = counts.shape
    total = np.zeros((n, T))
    used = np.zeros((n, T))
    lags = range(guard + 1, guard + baseline + 1)
    for lag in lags:
        if lag >= T:
            continue
        window = counts[:, : T - lag]
        present = ~np.isnan(window)
        total[:, lag:] += np.where(present, window, 0.0)
        used[:, lag:] += present
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / used
    squares = np.zeros((n, T))
    for lag in lags:
        if lag >= T:
            continue
        deviation = counts[:, : T - lag] - mean[:, lag:]
        squares[:, lag:] += np.where(np.isnan(deviation), 0.0, deviation * deviation)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(squares / (used - 1))
    outside = np.arange(T) < guard + baseline  # the window would start before the series
    for a in (mean, sd):
        a[:, outside] = np.nan
    used[:, outside] = 0
    return mean, sd, used


def _standardised(counts: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """(count - mean) / sigma, with the sign of the difference where sigma is 0."""
    diff = counts - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        z = diff / sigma
    zero = sigma == 0
    z[zero] = np.where(diff[zero] > 0, np.inf, np.where(diff[zero] < 0, -np.inf, 0.0))
    return z


def _shift(a: np.ndarray, lag: int, fill=np.nan) -> np.ndarray:
    out = np.full_like(a, fill)
    if lag < a.shape[1]:
        out[:, lag:] = a[:, : a.shape[1] - lag]
    return out


def run_ears(name: str, panel: Panel, params: dict) -> DetectionResult:
    counts = values(name, panel, params["percent"])
    n, T = counts.shape
    start = monitor_start(T, params["monitor_last"])
    if start == 0:
        return _run_ears(name, counts, params)
    # The last points need only the windows before them: C3's two previous C2 values,
    # each with its guard and baseline.
    lo = max(0, start - (GUARD[name] + params["baseline"] + 2))
    tail = _run_ears(name, counts[:, lo:], params)
    out = {}
    for field in ("expected", "upperbound", "score", "pvalue"):
        full = np.full((n, T), np.nan)
        full[:, start:] = getattr(tail, field)[:, start - lo:]
        out[field] = full
    status = np.full((n, T), Status.NOT_MONITORED, dtype=np.uint8)
    status[:, start:] = tail.status[:, start - lo:]
    return assemble(name, params, counts, expected=out["expected"], upperbound=out["upperbound"],
                    pvalue=out["pvalue"], status=status, score=out["score"])


def _run_ears(name: str, counts: np.ndarray, params: dict) -> DetectionResult:
    baseline, alpha, min_sigma = params["baseline"], params["alpha"], params["min_sigma"]
    z = norm.isf(alpha)
    guard = GUARD[name]
    mean, sd, used = baseline_stats(counts, baseline, guard)
    sigma = np.maximum(sd, min_sigma)  # NaN where there is no baseline
    enough = used >= max(3, math.ceil(baseline / 2))
    status = np.where(enough, Status.OK, Status.INSUFFICIENT_BASELINE).astype(np.uint8)
    c2 = _standardised(counts, mean, sigma)

    if name in ("ears_c1", "ears_c2"):
        upper = mean + z * sigma
        with np.errstate(invalid="ignore"):
            pvalue = norm.sf(c2)
        return assemble(name, params, counts, expected=mean, upperbound=upper, pvalue=pvalue, status=status)

    # C3: today's C2 excess plus those of the two previous points.
    judged_c2 = enough & ~np.isnan(counts)
    excess = np.where(judged_c2, np.fmax(c2 - 1.0, 0.0), 0.0)
    lag = _shift(excess, 1, 0.0) + _shift(excess, 2, 0.0)
    status[:, : guard + baseline + 2] = Status.INSUFFICIENT_BASELINE  # t-2 must have a window too
    c3 = excess + lag
    with np.errstate(invalid="ignore"):
        pvalue = norm.sf(c3)

    if params["r_compatible"]:
        # R's formula, NaN semantics included: its own C2 (no sign convention for 0/0),
        # pmax propagating NaN, and today's count inside the bound.
        with np.errstate(invalid="ignore", divide="ignore"):
            c2_r = (counts - mean) / sigma
        excess_r = np.maximum(c2_r - 1.0, 0.0)
        lag_r = _shift(excess_r, 1) + _shift(excess_r, 2)
        with np.errstate(invalid="ignore"):
            upper = np.maximum(counts + sigma * (z - lag_r), 0.0)
        status[(status == Status.OK) & np.isnan(upper) & ~np.isnan(counts)] = Status.FIT_FAILED
        return assemble(name, params, counts, expected=mean, upperbound=upper, pvalue=pvalue, status=status)

    with np.errstate(invalid="ignore"):
        upper = np.where(lag > z, 0.0, mean + sigma * (1.0 + z - lag))
    score = c3 / z
    return assemble(name, params, counts, expected=mean, upperbound=upper, pvalue=pvalue, status=status,
                    score=score)


def _make(name: str, method: str, summary: str, extra: tuple = ()) -> Detector:
    schema = ParamSchema(name, _common_params(name) + extra)
    return register(Detector(
        name=name,
        run=lambda panel, params, _name=name: run_ears(_name, panel, params),
        frequency="any",
        schema=schema,
        reference=f"{REFERENCE} (method {method})",
        summary=summary,
    ))


EARS_C1 = _make("ears_c1", "C1", "mean + z*sd of the previous `baseline` points")
EARS_C2 = _make("ears_c2", "C2", "as C1 with a 2-point guard band between baseline and today")
EARS_C3 = _make("ears_c3", "C3", "sum of today's and the two previous C2 excesses over 1", extra=(
    Bool("r_compatible", False, "reproduce R 1.20.3's C3 bound (count + sigma*(z - lag)), which ignores "
         "today's count; see the module notes"),
))
