"""CUSUM and GLR detectors for Poisson and negative binomial counts against a fitted seasonal
baseline (Höhle & Paul 2008; R ``surveillance::glrnb``).

**In-control mean.** As R's ``algo.glrnb``, the first ``fit_points`` points of each series
(default 2 years) are the baseline: a log-linear model with an intercept,
``harmonics`` pairs of annual sine/cosine terms (R's ``S``, default 1), optionally a linear
trend (``trend``) and, for daily data, day-of-week terms (``day_of_week``), fitted by
Poisson maximum likelihood (IRLS, all series at once; missing values left out). Its
prediction ``mu0`` is the in-control mean of every later point, which is monitored. The
negative binomial dispersion ``alpha`` (variance ``mu + alpha mu^2``) is ``dispersion``
when given, otherwise the moment estimate ``max(0, sum((y - mu)^2 - mu) / sum(mu^2))`` from
the baseline (R fits it by maximum likelihood with ``glm.nb``); ``distribution='poisson'``
sets it to 0.

**CUSUM** (``cusum``): the likelihood-ratio CUSUM for a known increase of the mean by the
factor ``ratio`` (R's ``glrnb`` with ``theta = log(ratio)``)::

    S_t = max(0, S_{t-1} + kappa y_t - (y_t + 1/alpha) log((1 + alpha mu0 e^kappa) / (1 + alpha mu0)))

(Poisson: ``kappa y_t - mu0 (e^kappa - 1)``), ``kappa = log(ratio)``.

**GLR** (``glrnb``): the generalized likelihood ratio for an unknown increase
``kappa >= 0`` that started at any point ``k`` of the last ``window`` points (R's ``M``)::

    GLR_t = max_k sup_{kappa >= 0} sum_{i=k..t} [kappa y_i - (y_i + 1/alpha) log((1 + alpha mu0_i e^kappa) / (1 + alpha mu0_i))]

with ``kappa`` found by Newton's method as R does (closed form for Poisson).

**Alarm and reset.** The point is an alarm when the statistic exceeds ``h`` (R's
``c.ARL``, default 5); the statistic then restarts from 0 at the next point, as R restarts
the chart after an alarm. ``score = statistic / h``, so ``alarm = score > 1``;
``expected = mu0``; ``upperbound`` is the count that would have made the statistic reach
``h`` at that point given the points before it (R's ``ret = "cases"``, here exact and not
rounded to a whole count), so ``alarm = count > upperbound`` as well; ``pvalue`` is the
upper tail ``P(Y >= count)`` of the in-control distribution of the single point (the
charts themselves have no p-value).

Points of the baseline are ``insufficient_baseline``; a missing count leaves the statistic
unchanged. Differences from R, on purpose: the dispersion's moment estimate above; the GLR
alarms when the statistic exceeds ``h`` (R: reaches it); the GLR window defaults to 52
points (R's default ``M = -1`` looks back to the last alarm, which costs time quadratic in
the series length); missing values are allowed. No ``percent`` flag: a percentage is not a
count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import nbinom, poisson

from ..panel import Panel
from .params import Bool, Choice, Float, Int, ParamSchema
from .registry import Detector, register
from .result import DetectionResult, Status, assemble

REFERENCE = "Höhle & Paul (2008) Comput Stat Data Anal 52:4357-4368; R surveillance::glrnb"

_OK = np.uint8(Status.OK)
_MISSING = np.uint8(Status.MISSING)


# -- the in-control model -------------------------------------------------------------
def baseline_design(dates: pd.DatetimeIndex, freq: str, harmonics: int, trend: bool, day_of_week: bool,
                    period: float) -> np.ndarray:
    T = len(dates)
    t = np.arange(T, dtype=float)
    cols = [np.ones(T)]
    if trend:
        cols.append((t - t.mean()) / max(T, 1))
    for s in range(1, harmonics + 1):
        cols += [np.cos(2 * np.pi * s * t / period), np.sin(2 * np.pi * s * t / period)]
    if freq == "daily" and day_of_week:
        dow = np.asarray(pd.DatetimeIndex(dates).day_of_week)
        cols += [(dow == d).astype(float) for d in range(1, 7)]
    return np.column_stack(cols)


def fit_poisson(y: np.ndarray, present: np.ndarray, X: np.ndarray, maxit: int = 50, epsilon: float = 1e-10):
    """Poisson log-linear fits of every row of ``y`` on the shared design ``X`` (rows where
    ``present``), by IRLS started as R's ``glm.fit``. Returns coefficients ``[n, p]`` and
    convergence ``[n]``."""
    n, m = y.shape
    p = X.shape[1]
    w0 = present.astype(float)
    yz = np.where(present, y, 0.0)
    mu = yz + 0.1
    eta = np.log(mu)
    beta = np.zeros((n, p))
    dev_old = np.full(n, np.inf)
    converged = np.zeros(n, dtype=bool)
    ridge = 1e-12 * np.eye(p)
    for _ in range(maxit):
        w = w0 * mu
        z = eta + (yz - mu) / mu
        A = np.einsum("nt,ti,tj->nij", w, X, X)
        b = np.einsum("nt,ti->ni", w * z, X)  # not BLAS: a row's result must not depend on its position
        scale = np.trace(A, axis1=1, axis2=2)[:, None, None]
        try:
            beta = np.linalg.solve(A, b[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a series whose baseline cannot identify every term
            beta = np.linalg.solve(A + scale * ridge, b[..., None])[..., 0]
        eta = np.clip(np.einsum("ni,ti->nt", beta, X), -50.0, 50.0)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(yz > 0, yz * np.log(yz / mu) - (yz - mu), mu)
        dev = 2.0 * np.sum(w0 * term, axis=1)
        converged = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < epsilon
        if converged.all():
            break
        dev_old = dev
    return beta, converged


def in_control(panel: Panel, params: dict):
    """``mu0 [n, T]``, the dispersion ``alpha [n]``, the fit range and which series have a fit."""
    y = np.asarray(panel.counts, dtype=float)
    n, T = y.shape
    daily = panel.freq == "daily"
    period = params["period"] or (365.25 if daily else 52.1775)
    fit_points = min(params["fit_points"] or 2 * int(round(period)), T)
    X = baseline_design(pd.DatetimeIndex(panel.dates), panel.freq, params["harmonics"], params["trend"],
                        params["day_of_week"], period)
    present = ~np.isnan(y[:, :fit_points])
    fittable = present.sum(axis=1) >= X.shape[1] + 2
    mu0 = np.full((n, T), np.nan)
    alpha = np.zeros(n)
    if fittable.any() and fit_points > 0:
        rows = np.flatnonzero(fittable)
        beta, conv = fit_poisson(y[rows, :fit_points], present[rows], X[:fit_points])
        fittable[rows[~conv]] = False
        mu0[rows] = np.exp(np.clip(np.einsum("ni,ti->nt", beta, X), -50.0, 50.0))
        if params["distribution"] == "nbinom":
            if params["dispersion"] is not None:
                alpha[:] = params["dispersion"]
            else:
                m = mu0[rows, :fit_points]
                d = np.where(present[rows], (y[rows, :fit_points] - m) ** 2 - m, 0.0)
                s = np.sum(np.where(present[rows], m * m, 0.0), axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    alpha[rows] = np.where(s > 0, np.maximum(d.sum(axis=1) / s, 0.0), 0.0)
    mu0[~fittable] = np.nan
    resolved = dict(params, period=period, fit_points=fit_points)
    return y, mu0, alpha, fit_points, fittable, resolved


# -- compiled charts --------------------------------------------------------------------
_KERNELS: dict = {}


def _kernels():
    if not _KERNELS:
        _KERNELS.update(_build())
    return _KERNELS


def _build():
    from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
    from numba import njit, prange

    @njit(parallel=True, cache=True)
    def lr_cusum(y, mu, alpha, kappa, h, start, out_stat, out_upper, out_status):
        n, T = y.shape
        ek = np.exp(kappa)
        for r in prange(n):
            a = alpha[r]
            s = 0.0
            for t in range(start, T):
                m = mu[r, t]
                if a > 0.0:
                    c = np.log((1.0 + a * m * ek) / (1.0 + a * m))
                    out_upper[r, t] = (h - s + c / a) / (kappa - c)
                else:
                    out_upper[r, t] = (h - s + m * (ek - 1.0)) / kappa
                x = y[r, t]
                if np.isnan(x):
                    out_status[r, t] = _MISSING
                    continue
                if a > 0.0:
                    z = kappa * x - (x + 1.0 / a) * c
                else:
                    z = kappa * x - m * (ek - 1.0)
                s = max(0.0, s + z)
                out_stat[r, t] = s
                out_status[r, t] = _OK
                if s > h:
                    s = 0.0  # restart after an alarm

    @njit(cache=True)
    def window_lr(y, mu, a, k, t, x, kappa0):
        """sup over kappa >= 0 of the log-likelihood ratio of points k..t (t's count set to
        ``x``): its value, the maximising kappa and d/dx of the value."""
        # Score at kappa = 0 decides whether the maximum is at the boundary.
        score0 = 0.0
        for i in range(k, t + 1):
            v = x if i == t else y[i]
            if np.isnan(v):
                continue
            score0 += (v - mu[i]) / (1.0 + a * mu[i])
        if score0 <= 0.0:
            return 0.0, 0.0, 0.0
        if a == 0.0:
            sy = 0.0
            sm = 0.0
            for i in range(k, t + 1):
                v = x if i == t else y[i]
                if np.isnan(v):
                    continue
                sy += v
                sm += mu[i]
            kappa = np.log(sy / sm)
            return sy * kappa - sm * (np.exp(kappa) - 1.0), kappa, kappa
        kappa = kappa0 if kappa0 > 0.0 else 0.5
        for _ in range(100):
            ek = np.exp(kappa)
            sc = 0.0
            fi = 0.0
            for i in range(k, t + 1):
                v = x if i == t else y[i]
                if np.isnan(v):
                    continue
                den = 1.0 + a * ek * mu[i]
                sc += (v - ek * mu[i]) / den
                fi += mu[i] * (a * v + 1.0) / (den * den)
            fi *= ek
            step = sc / fi
            if not np.isfinite(step):
                break
            new = kappa + step
            if new < 0.0:
                new = 0.5 * kappa  # stay in the region where the maximum lies (kappa > 0)
            if new > 30.0:
                new = 30.0
            done = abs(new - kappa) < 1e-12
            kappa = new
            if done:
                break
        ek = np.exp(kappa)
        value = 0.0
        for i in range(k, t + 1):
            v = x if i == t else y[i]
            if np.isnan(v):
                continue
            value += kappa * v - (v + 1.0 / a) * np.log((1.0 + a * mu[i] * ek) / (1.0 + a * mu[i]))
        slope = kappa - np.log((1.0 + a * mu[t] * ek) / (1.0 + a * mu[t]))
        return value, kappa, slope

    @njit(cache=True)
    def glr(y, mu, a, low, t, x):
        best = 0.0
        slope = 0.0
        kappa = 0.5
        for k in range(low, t + 1):
            value, kap, sl = window_lr(y, mu, a, k, t, x, kappa)
            if kap > 0.0:
                kappa = kap
            if value > best:
                best = value
                slope = sl
        return best, slope

    @njit(parallel=True, cache=True)
    def glr_chart(y, mu, alpha, h, M, start, out_stat, out_upper, out_status):
        n, T = y.shape
        for r in prange(n):
            a = alpha[r]
            restart = start
            for t in range(start, T):
                low = max(restart, t - M) if M >= 0 else restart
                # The count that makes the statistic reach h: Newton's method from above on
                # the convex, non-decreasing GLR as a function of this point's count.
                x = max(mu[r, t], 1.0)
                g, d = glr(y[r], mu[r], a, low, t, x)
                grow = 0
                while g <= h and grow < 200:
                    x = 2.0 * x + 1.0
                    g, d = glr(y[r], mu[r], a, low, t, x)
                    grow += 1
                for _ in range(100):
                    if d <= 0.0:
                        break
                    step = (g - h) / d
                    x -= step
                    g, d = glr(y[r], mu[r], a, low, t, x)
                    if abs(step) <= 1e-10 * max(1.0, x):
                        break
                out_upper[r, t] = x
                v = y[r, t]
                if np.isnan(v):
                    out_status[r, t] = _MISSING
                    continue
                g, d = glr(y[r], mu[r], a, low, t, v)
                out_stat[r, t] = g
                out_status[r, t] = _OK
                if g > h:
                    restart = t + 1

    return {"cusum": lr_cusum, "glr": glr_chart}


def _run(name: str, panel: Panel, params: dict) -> DetectionResult:
    y, mu0, alpha, fit_points, fittable, resolved = in_control(panel, params)
    n, T = y.shape
    stat = np.full((n, T), np.nan)
    upper = np.full((n, T), np.nan)
    status = np.full((n, T), Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
    rows = np.flatnonzero(fittable)
    if len(rows) and fit_points < T:
        yy, mm, aa = (np.ascontiguousarray(v[rows]) for v in (y, mu0, alpha))
        st, up = np.full(yy.shape, np.nan), np.full(yy.shape, np.nan)
        ss = np.full(yy.shape, Status.INSUFFICIENT_BASELINE, dtype=np.uint8)
        h = params["h"]
        if name == "cusum":
            _kernels()["cusum"](yy, mm, aa, float(np.log(params["ratio"])), h, fit_points, st, up, ss)
        else:
            window = -1 if params["window"] is None else params["window"]
            _kernels()["glr"](yy, mm, aa, h, window, fit_points, st, up, ss)
        stat[rows], upper[rows], status[rows] = st, up, ss
    judged = status == Status.OK
    pvalue = np.full((n, T), np.nan)
    if judged.any():
        r, c = np.nonzero(judged)
        m, a, v = mu0[r, c], alpha[r], y[r, c]
        p = poisson.sf(v - 1, m)
        nb = a > 0
        size = 1.0 / a[nb]
        p[nb] = nbinom.sf(v[nb] - 1, size, size / (size + m[nb]))
        pvalue[r, c] = p
    score = stat / params["h"]
    return assemble(name, resolved, y, expected=mu0, upperbound=upper, pvalue=pvalue, status=status, score=score)


def _schema(name: str, extra: tuple) -> ParamSchema:
    return ParamSchema(name, (
        Float("h", 5.0, "alarm threshold of the statistic (R's c.ARL)", low=0.0, low_open=True, aliases=("c_ARL",)),
        Choice("distribution", "nbinom", "count distribution: 'nbinom' or 'poisson'", ("nbinom", "poisson")),
        Float("dispersion", None, "negative binomial dispersion alpha (variance mu + alpha mu^2; none: estimated "
              "from the baseline)", low=0.0, nullable=True, aliases=("alpha",)),
        Int("fit_points", None, "points at the start of each series that form the baseline (none: 2 years)", low=2,
            nullable=True),
        Int("harmonics", 1, "pairs of annual sine/cosine terms in the baseline model (R's S)", low=0, aliases=("S",)),
        Bool("trend", False, "add a linear trend to the baseline model"),
        Bool("day_of_week", True, "day-of-week terms in the baseline model (daily data only)"),
        Float("period", None, "points per year of the seasonal terms (none: 52.1775 weekly, 365.25 daily)", low=2.0,
              nullable=True),
    ) + extra)


CUSUM = register(Detector(
    name="cusum",
    run=lambda panel, params: _run("cusum", panel, params),
    frequency="any",
    schema=_schema("cusum", (
        Float("ratio", 2.0, "increase of the mean to detect, as a rate ratio (R's theta = log(ratio))", low=1.0,
              low_open=True),
    )),
    reference=REFERENCE + " (theta given: likelihood-ratio CUSUM)",
    summary="Poisson/negative binomial likelihood-ratio CUSUM against a seasonal baseline fit",
))

GLRNB = register(Detector(
    name="glrnb",
    run=lambda panel, params: _run("glrnb", panel, params),
    frequency="any",
    schema=_schema("glrnb", (
        Int("window", 52, "look back at most this many points for the start of a change (R's M; none: back "
            "to the last alarm)", low=0, nullable=True, aliases=("M",)),
    )),
    reference=REFERENCE,
    summary="negative binomial GLR detector for an unknown increase against a seasonal baseline fit",
))
