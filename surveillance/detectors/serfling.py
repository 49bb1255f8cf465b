"""Serfling seasonal regression for weekly series (Serfling 1963; CDC Rnssp ``alert_serfling``).

A linear model with a time trend and one pair of annual Fourier terms,

    y_t = b0 + b1 t + b2 cos(2 pi t / period) + b3 sin(2 pi t / period),   period = 52.18,

is fitted by ordinary least squares to the *baseline*: the first ``fit_points`` points of
each series (default 3 years; at least 2 years, as Rnssp requires) without the epidemic
weeks. Which weeks are epidemic (``exclude``):

* ``season`` (default, as Rnssp and the original method): weeks from October to May, the
  influenza season of the northern hemisphere; the model is fitted on June-September;
* ``percentile``: weeks whose count is above the ``exclude_percentile``-th percentile of the
  series' baseline counts (for syndromes with other seasons, or the southern hemisphere);
* ``none``: every baseline week.

The upper bound is the upper limit of the one-sided ``1 - alpha`` prediction interval
(Rnssp: the upper end of a two-sided 90% interval, i.e. ``alpha = 0.05``):
``expected + q * sqrt(s^2 + se_fit^2)``, with ``q`` the t quantile with ``n - 4`` degrees of
freedom, as R's ``predict.lm(interval = "prediction")``. ``pvalue`` is the matching
t-test p-value; ``alarm = count > upperbound``. Like Rnssp, every point of the series is
judged, the baseline weeks too (in-sample).

Differences from Rnssp: the baseline is given as a number of points (``fit_points``) rather
than an end date; missing values are left out of the fit (Rnssp requires complete weeks);
a series with fewer than 5 usable baseline points gets ``insufficient_baseline``
everywhere, where Rnssp would stop with an error. ``percent=true`` fits the percentages.

All series are fitted at once: the design is shared, so the normal equations of every
series come from one matrix product with its mask of usable points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtr
from scipy.stats import t as student_t

from ..panel import Panel
from .inputs import percent_param, quiet_empty_slices, values
from .params import Choice, Float, Int, ParamSchema, Probability
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

REFERENCE = "Serfling (1963) Public Health Rep 78:494-506; CDC Rnssp alert_serfling"


def design(T: int, period: float) -> np.ndarray:
    """Rows ``[1, t, cos, sin]`` for t = 1..T (Rnssp's ``obs``)."""
    t = np.arange(1, T + 1, dtype=float)
    return np.column_stack([np.ones(T), t, np.cos(2 * np.pi * t / period), np.sin(2 * np.pi * t / period)])


def run_serfling(panel: Panel, params: dict) -> DetectionResult:
    y = values("serfling", panel, params["percent"])
    n, T = y.shape
    period = params["period"] or 52.18
    points_per_year = int(round(period))
    fit_points = params["fit_points"] or 3 * points_per_year
    resolved = dict(params, period=period, fit_points=fit_points)
    expected = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    pvalue = np.full((n, T), np.nan)
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    fit_points = min(fit_points, T)
    if n == 0 or T == 0 or fit_points < 2 * points_per_year:
        return assemble("serfling", resolved, y, expected=expected, upperbound=upper, pvalue=pvalue, status=status)

    X = design(T, period)
    usable = np.zeros((n, T), dtype=bool)
    usable[:, :fit_points] = ~np.isnan(y[:, :fit_points])
    if params["exclude"] == "season":
        month = np.asarray(pd.DatetimeIndex(panel.dates).month)
        usable[:, (month >= 10) | (month <= 5)] = False
    elif params["exclude"] == "percentile":
        with quiet_empty_slices():
            cut = np.nanpercentile(np.where(usable, y, np.nan), params["exclude_percentile"], axis=1)
        usable &= ~(y > cut[:, None])
    w = usable.astype(float)
    yz = np.where(usable, y, 0.0)
    xtx = np.einsum("nt,ti,tj->nij", w, X, X)
    # einsum rather than a matrix product: BLAS may sum a row differently depending on its
    # position in the batch, and a series' result must not depend on the others.
    xty = np.einsum("nt,ti->ni", yz, X)
    n_obs = usable.sum(axis=1)
    df = n_obs - 4
    fittable = df >= 1
    # Rank check relative to the scale of the design (a baseline without spread in time or
    # season cannot be fitted).
    cond = np.full(n, np.inf)
    cond[fittable] = np.linalg.cond(xtx[fittable])
    fittable &= cond < 1e12
    if fittable.any():
        inv = np.linalg.inv(xtx[fittable])
        beta = np.einsum("nij,nj->ni", inv, xty[fittable])
        fit = np.einsum("ni,ti->nt", beta, X)  # [m, T]
        resid = np.where(usable[fittable], y[fittable] - fit, 0.0)
        s2 = np.sum(resid * resid, axis=1) / df[fittable]
        lev = np.einsum("ti,nij,tj->nt", X, inv, X)
        se = np.sqrt(s2[:, None] * (1.0 + lev))
        q = student_t.isf(params["alpha"], df[fittable]).astype(float)
        rows = np.flatnonzero(fittable)
        expected[rows] = fit
        upper[rows] = fit + q[:, None] * se
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = (y[rows] - fit) / se
        diff = y[rows] - fit
        tstat = np.where(se > 0, tstat, np.where(diff > 0, np.inf, np.where(diff < 0, -np.inf, 0.0)))
        p = stdtr(np.repeat(df[fittable][:, None], T, axis=1).astype(float), -tstat)
        pvalue[rows] = np.where(np.isnan(y[rows]), np.nan, np.where((se == 0) & (diff == 0), 1.0, p))
        status[rows] = Status.OK
    return assemble("serfling", resolved, y, expected=expected, upperbound=upper, pvalue=pvalue, status=status)


SERFLING = register(Detector(
    name="serfling",
    run=run_serfling,
    frequency="weekly",
    schema=ParamSchema("serfling", (
        Int("fit_points", None, "points at the start of each series fitted as the baseline (none: 3 years; at "
            "least 2 years are needed)", low=2, nullable=True),
        Choice("exclude", "season", "epidemic weeks left out of the baseline: 'season' (October-May, as Rnssp), "
               "'percentile' (counts above exclude_percentile) or 'none'", ("season", "percentile", "none")),
        Float("exclude_percentile", 75.0, "with exclude='percentile': baseline counts above this percentile are "
              "left out", low=1.0, high=99.0),
        Probability("alpha", 0.05, "one-sided level of the prediction bound (Rnssp: 0.05, the upper end of a "
                    "90% interval)"),
        Float("period", None, "points per year of the Fourier terms (none: 52.18 weeks)", low=2.0, nullable=True),
        percent_param(),
    )),
    reference=REFERENCE,
    summary="OLS with trend and annual sine/cosine on non-epidemic baseline weeks; prediction bound",
))
