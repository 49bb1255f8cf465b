"""Quasi-Poisson GLMs (log link) fitted for many series at once.

The Farrington family fits, at every time point, one small GLM per series on the same
design: a factor (the seasonal levels) plus, optionally, a linear time trend. Only the
responses and the prior weights differ between series. That design has a structure we
exploit: written with one coefficient per level (cell means) and a slope, the weighted
normal equations form an "arrow" matrix, diagonal except for the slope's row and column,
which a Schur complement solves in O(rows) per series. Each IRLS iteration is therefore a
few array operations over ``[n_series, n_rows]`` plus one grouped sum (a matrix product
with the level indicator), for all series together.

The iteration reproduces R's ``glm.fit`` step for step, so that results agree with R's
``glm(..., family = quasipoisson)`` to rounding, including where R stops early:

* start from ``mu = y + 0.1``; working weights ``prior * mu``; working response
  ``eta + (y - mu) / mu``;
* stop when ``|dev - dev_old| / (|dev| + 0.1) < epsilon`` (1e-8), at most ``maxit`` (25)
  iterations; a series that has not met the criterion by then is *not converged* (R then
  drops the trend, and gives no result if that fails too);
* the reported working weights, covariance, hat values and dispersion are those of the last
  iteration, i.e. computed with the weights from before its final update, as R does;
* dispersion is Pearson's ``sum(w * ((y - mu) / mu)^2) / (n - rank)``.

Each series iterates until its own convergence; converged series leave the working set, so
a few slow series do not make all the others iterate.

The parametrisation differs from R's treatment contrasts, but the fitted values,
predictions, their standard errors and the trend's test are invariant to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

MAXIT = 25
EPSILON = 1e-8


@dataclass(frozen=True)
class LevelDesign:
    """Rows of the design shared by all series: each row's level (0..n_levels-1) and time.

    ``time`` should be centred at the prediction point, so that the prediction for level
    ``l`` is just that level's coefficient.
    """

    level: np.ndarray  # int [m]
    time: np.ndarray  # float [m]
    n_levels: int

    def indicator(self) -> np.ndarray:
        g = np.zeros((len(self.level), self.n_levels))
        g[np.arange(len(self.level)), self.level] = 1.0
        return g


@dataclass
class QuasiPoissonFit:
    """Fits of one design for ``n`` series. Arrays are per series (``[n]``), per series and
    level (``[n, L]``) or per series and row (``[n, m]``)."""

    trend: bool
    converged: np.ndarray  # bool [n]
    iterations: np.ndarray  # int [n]
    level_coef: np.ndarray  # [n, L]; 0 for levels without data
    slope: np.ndarray  # [n]; 0 without trend
    mu: np.ndarray  # fitted means [n, m]
    working_weights: np.ndarray  # [n, m], of the last iteration
    sum_w: np.ndarray  # per-level sums of the working weights [n, L]
    sum_wt: np.ndarray  # per-level sums of weight * time [n, L]
    schur: np.ndarray  # slope's Schur complement [n] (information about the slope); nan without trend
    rank: np.ndarray  # int [n]
    n_obs: np.ndarray  # int [n]: rows with positive prior weight
    dispersion: np.ndarray  # Pearson estimate [n]; nan where n_obs <= rank

    @property
    def df_residual(self) -> np.ndarray:
        return self.n_obs - self.rank

    def level_variance(self, level: int) -> np.ndarray:
        """Unscaled variance of a level's coefficient (the prediction at time 0)."""
        d = self.sum_w[:, level]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = 1.0 / d
            if self.trend:
                c = self.sum_wt[:, level]
                v = v + (c / d) ** 2 / self.schur
        return v

    def slope_pvalue(self) -> np.ndarray:
        """Two-sided p-value of the slope, t test with the Pearson dispersion (R's summary.glm)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(self.dispersion / self.schur)
            tval = self.slope / se
        df = self.df_residual.astype(float)
        p = 2.0 * student_t.sf(np.abs(tval), np.where(df > 0, df, np.nan))
        return p

    def hat_values(self, design: LevelDesign) -> np.ndarray:
        """Diagonal of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2, per series and row."""
        d = self.sum_w[:, design.level]
        with np.errstate(divide="ignore", invalid="ignore"):
            h = self.working_weights / d
            if self.trend:
                tbar = self.sum_wt[:, design.level] / d
                h = h + self.working_weights * (design.time[None, :] - tbar) ** 2 / self.schur[:, None]
        return np.where(self.working_weights > 0, h, 0.0)


class IrlsStart:
    """What an IRLS fit computes from the responses alone before its weights matter, per series
    and row: ``eta = log(y + 0.1)`` (R's start), the first working response and the first
    deviance term. The reweighted refit of the same responses starts identically, so it reads
    them instead of computing the logarithms again (the same numbers, half the start's cost)."""

    def __init__(self, n: int, m: int):
        self.values = np.empty((3, n, m))
        self.filled = False


def _deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu) - (y - mu), mu)
    return 2.0 * np.sum(prior * term, axis=1)


def fit_quasipoisson(
    y: np.ndarray,
    prior: np.ndarray,
    design: LevelDesign,
    trend: bool,
    *,
    maxit: int = MAXIT,
    epsilon: float = EPSILON,
    engine: str = "auto",
    start: IrlsStart | None = None,
) -> QuasiPoissonFit:
    """Fit ``log mu = level coefficient (+ slope * time)`` for every row of ``y``.

    ``y``: responses ``[n, m]`` (values where ``prior == 0`` are ignored); ``prior``: prior
    weights ``[n, m]``, 0 for rows a series does not have (missing values).
    ``engine``: ``numba`` (compiled, one pass per series, parallel; ``auto`` means it) or
    ``numpy`` (array operations over all series, the reference the tests compare it with).
    Both compute the same iterations; they differ only by rounding.
    ``start`` (numba engine): R's starting values and what the first iteration derives from
    them, filled by the first fit given it and reused by later fits of the same ``y``.
    """
    if engine in ("auto", "numba"):
        from .glm_numba import fit_numba

        return fit_numba(y, prior, design, trend, maxit, epsilon, start)
    if engine == "numpy":
        return _fit_numpy(y, prior, design, trend, maxit, epsilon)
    raise ValueError(f"engine must be auto, numba or numpy, got {engine!r}")


def _fit_numpy(y, prior, design, trend, maxit, epsilon) -> QuasiPoissonFit:
    n, m = y.shape
    L = design.n_levels
    G = design.indicator()
    t = design.time.astype(float)
    y = np.where(prior > 0, y, 0.0)
    prior = np.where(prior > 0, prior, 0.0)

    # Outputs for every series, filled as series converge (or run out of iterations).
    out_mu = np.empty((n, m))
    out_w = np.empty((n, m))
    out_coef = np.zeros((n, L))
    out_slope = np.zeros(n)
    out_sw = np.zeros((n, L))
    out_swt = np.zeros((n, L))
    out_schur = np.full(n, np.nan)
    out_conv = np.zeros(n, dtype=bool)
    out_iter = np.zeros(n, dtype=int)

    active = np.arange(n)
    ya, pa = y, prior
    mu = ya + 0.1
    eta = np.log(mu)
    dev_old = _deviance(ya, mu, pa)
    has_level = (pa > 0) @ G > 0  # [n, L]

    for iteration in range(1, maxit + 1):
        w = np.where(pa > 0, pa * mu, 0.0)
        with np.errstate(invalid="ignore"):
            z = np.where(pa > 0, eta + (ya - mu) / mu, 0.0)
        wz = w * z
        if trend:
            wt = w * t
            stacked = np.stack([w, wz, wt, wt * t, wt * z], axis=1)  # [n, 5, m]
            sums = stacked @ G  # [n, 5, L]
            sw, swz, swt, swtt, swtz = (sums[:, i] for i in range(5))
        else:
            sums = np.stack([w, wz], axis=1) @ G
            sw, swz = sums[:, 0], sums[:, 1]
            swt = np.zeros_like(sw)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_sw = np.where(has_level, 1.0 / sw, 0.0)
            if trend:
                schur = np.sum(np.where(has_level, swtt - swt * swt * inv_sw, 0.0), axis=1)
                cross = np.sum(np.where(has_level, swtz - swt * swz * inv_sw, 0.0), axis=1)
                slope = cross / schur
                coef = (swz - slope[:, None] * swt) * inv_sw
            else:
                schur = np.full(len(active), np.nan)
                slope = np.zeros(len(active))
                coef = swz * inv_sw
        eta = coef @ G.T + slope[:, None] * t
        mu = np.exp(eta)
        dev = _deviance(ya, mu, pa)
        with np.errstate(invalid="ignore"):
            done = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < epsilon
        broken = ~np.isfinite(dev) | ~np.all(np.isfinite(mu) | (pa == 0), axis=1)
        finish = done | broken | (iteration == maxit)
        if finish.any():
            idx = active[finish]
            out_mu[idx], out_w[idx] = mu[finish], w[finish]
            out_coef[idx], out_slope[idx] = coef[finish], slope[finish]
            out_sw[idx], out_swt[idx], out_schur[idx] = sw[finish], swt[finish], schur[finish]
            out_conv[idx] = done[finish] & ~broken[finish]
            out_iter[idx] = iteration
            keep = ~finish
            if not keep.any():
                break
            active = active[keep]
            ya, pa, mu, eta, dev, has_level = ya[keep], pa[keep], mu[keep], eta[keep], dev[keep], has_level[keep]
        dev_old = dev

    return _finish(y, prior, G, trend, out_conv, out_iter, out_coef, out_slope, out_mu, out_w, out_sw, out_swt,
                   out_schur)


def _finish(y, prior, G, trend, conv, iterations, coef, slope, mu, w, sw, swt, schur) -> QuasiPoissonFit:
    n_obs = np.sum(prior > 0, axis=1)
    has_level_all = (prior > 0) @ G > 0
    rank = has_level_all.sum(axis=1) + (1 if trend else 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = (y - mu) / mu
        pearson = np.sum(np.where(w > 0, w * resid * resid, 0.0), axis=1)
        dispersion = np.where(n_obs > rank, pearson / (n_obs - rank), np.nan)
    return QuasiPoissonFit(
        trend=trend, converged=conv, iterations=iterations, level_coef=coef, slope=slope,
        mu=mu, working_weights=w, sum_w=sw, sum_wt=swt, schur=schur,
        rank=rank, n_obs=n_obs, dispersion=dispersion,
    )


def anscombe_residuals(fit: QuasiPoissonFit, y: np.ndarray, design: LevelDesign, phi: np.ndarray) -> np.ndarray:
    """Standardised Anscombe residuals, as R surveillance's ``anscombe.residuals``."""
    mu = fit.mu
    h = fit.hat_values(design)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = 1.5 * (np.cbrt(y) ** 2 * mu ** (-1.0 / 6.0) - np.sqrt(mu))
        return raw / np.sqrt(phi[:, None] * (1.0 - h))


def outlier_weights(s: np.ndarray, present: np.ndarray, threshold: float) -> np.ndarray:
    """Farrington's reweighting: ``s^-2`` for residuals above the threshold, 1 otherwise, scaled
    so that the weights of each series average 1 (R's ``algo.farrington.assign.weights``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.where(s > threshold, 1.0 / (s * s), 1.0)
    raw = np.where(present, raw, 0.0)
    n = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = n / raw.sum(axis=1)
    return raw * gamma[:, None]
