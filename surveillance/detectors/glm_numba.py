"""The compiled engine of ``glm.fit_quasipoisson``: R's ``glm.fit`` iterations, one series at a time.

Each (series, reference vector) row runs its own IRLS in a ``prange`` loop, so rows leave as
soon as they converge, with no array of the whole batch to carry. The arithmetic is that of
``glm._fit_numpy``, operation for operation.

Most of the time goes to one ``exp`` and one ``log`` per row and iteration (the fitted mean and
the deviance). The start costs two more logarithms per row, and does not depend on the prior
weights: ``IrlsStart`` keeps it from the first fit so that the reweighted refit of the same
responses reads it back.
"""

from __future__ import annotations

import numpy as np

from .glm import IrlsStart, LevelDesign, QuasiPoissonFit

_KERNEL = None
_RESIDUALS = None


def _numba_kernel():
    """The compiled per-series IRLS, built on first use (numba is imported only then)."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _build_kernel()
    return _KERNEL


def anscombe_residuals_numba(fit: QuasiPoissonFit, y, design: LevelDesign, phi):
    """``glm.anscombe_residuals`` (with the hat values), element for element the same arithmetic,
    in one parallel pass instead of a dozen temporary arrays."""
    global _RESIDUALS
    if _RESIDUALS is None:
        _RESIDUALS = _build_residuals()
    with np.errstate(invalid="ignore", divide="ignore"):
        # numpy's cube root and power, whose vectorised versions can round differently from libm's
        cbrt_squared = np.cbrt(y) ** 2
        mu_power = fit.mu ** (-1.0 / 6.0)
    out = np.empty(fit.mu.shape)
    schur = fit.schur if fit.trend else np.zeros(len(fit.mu))
    _RESIDUALS(np.ascontiguousarray(cbrt_squared), mu_power, fit.mu, fit.working_weights, fit.sum_w, fit.sum_wt, schur,
               design.level.astype(np.int64), design.time.astype(np.float64), bool(fit.trend),
               np.asarray(phi, dtype=float), out)
    return out


def _build_residuals():
    from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
    from numba import njit, prange

    # error_model="numpy": a zero weight divides to inf or nan, as in the numpy reference.
    @njit(parallel=True, cache=True, fastmath=False, error_model="numpy")
    def residuals(cbrt_squared, mu_power, mu, w, sum_w, sum_wt, schur, level, time, trend, phi, out):
        n, m = mu.shape
        for r in prange(n):
            for i in range(m):
                d = sum_w[r, level[i]]
                h = w[r, i] / d
                if trend:
                    dt = time[i] - sum_wt[r, level[i]] / d
                    h = h + w[r, i] * (dt * dt) / schur[r]
                if not w[r, i] > 0:
                    h = 0.0
                raw = 1.5 * (cbrt_squared[r, i] * mu_power[r, i] - np.sqrt(mu[r, i]))
                out[r, i] = raw / np.sqrt(phi[r] * (1.0 - h))

    return residuals


def _build_kernel():
    from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
    from numba import njit, prange

    @njit(parallel=True, cache=True, fastmath=False)
    def irls(y, prior, level, time, n_levels, trend, maxit, epsilon, start, reuse_start,
             out_mu, out_w, out_coef, out_slope, out_sw, out_swt, out_schur, out_conv, out_iter,
             out_pearson, out_nobs, out_rank):
        n, m = y.shape
        start_eta, start_z, start_term = start[0], start[1], start[2]
        for r in prange(n):
            mu = np.empty(m)
            eta = np.empty(m)
            w = np.zeros(m)
            sw = np.zeros(n_levels)
            swz = np.zeros(n_levels)
            swt = np.zeros(n_levels)
            swtt = np.zeros(n_levels)
            swtz = np.zeros(n_levels)
            coef = np.zeros(n_levels)
            present = np.zeros(n_levels, dtype=np.bool_)
            dev_old = 0.0
            for i in range(m):
                mu[i] = y[r, i] + 0.1
                if not reuse_start:
                    start_eta[r, i] = np.log(mu[i])
                eta[i] = start_eta[r, i]
                if prior[r, i] > 0:
                    present[level[i]] = True
                    if not reuse_start:
                        start_term[r, i] = (y[r, i] * np.log(y[r, i] / mu[i]) - (y[r, i] - mu[i])
                                            if y[r, i] > 0 else mu[i])
                        start_z[r, i] = eta[i] + (y[r, i] - mu[i]) / mu[i]
                    dev_old += 2.0 * prior[r, i] * start_term[r, i]
            slope = 0.0
            schur = np.nan
            converged = False
            iteration = 0
            for iteration in range(1, maxit + 1):
                sw[:] = 0.0
                swz[:] = 0.0
                swt[:] = 0.0
                swtt[:] = 0.0
                swtz[:] = 0.0
                for i in range(m):
                    if prior[r, i] > 0:
                        wi = prior[r, i] * mu[i]
                        zi = start_z[r, i] if iteration == 1 else eta[i] + (y[r, i] - mu[i]) / mu[i]
                        w[i] = wi
                        l = level[i]
                        sw[l] += wi
                        swz[l] += wi * zi
                        if trend:
                            ti = time[i]
                            swt[l] += wi * ti
                            swtt[l] += wi * ti * ti
                            swtz[l] += wi * ti * zi
                    else:
                        w[i] = 0.0
                if trend:
                    schur = 0.0
                    cross = 0.0
                    for l in range(n_levels):
                        if present[l]:
                            schur += swtt[l] - swt[l] * swt[l] / sw[l]
                            cross += swtz[l] - swt[l] * swz[l] / sw[l]
                    slope = cross / schur
                for l in range(n_levels):
                    coef[l] = (swz[l] - slope * swt[l]) / sw[l] if present[l] else 0.0
                dev = 0.0
                finite = True
                for i in range(m):
                    eta[i] = coef[level[i]] + slope * time[i]
                    mu[i] = np.exp(eta[i])
                    if prior[r, i] > 0:
                        if not np.isfinite(mu[i]):
                            finite = False
                        dev += 2.0 * prior[r, i] * (y[r, i] * np.log(y[r, i] / mu[i]) - (y[r, i] - mu[i])
                                                    if y[r, i] > 0 else mu[i])
                if not np.isfinite(dev):
                    finite = False
                if not finite:
                    break
                if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
                    converged = True
                    break
                dev_old = dev
            pearson = 0.0
            n_obs = 0
            for i in range(m):
                if prior[r, i] > 0:
                    n_obs += 1
                    if w[i] > 0:
                        resid = (y[r, i] - mu[i]) / mu[i]
                        pearson += w[i] * resid * resid
            rank = 1 if trend else 0
            for l in range(n_levels):
                if present[l]:
                    rank += 1
            out_pearson[r] = pearson
            out_nobs[r] = n_obs
            out_rank[r] = rank
            out_mu[r, :] = mu
            out_w[r, :] = w
            out_coef[r, :] = coef
            out_slope[r] = slope
            out_sw[r, :] = sw
            out_swt[r, :] = swt
            out_schur[r] = schur if trend else np.nan
            out_conv[r] = converged
            out_iter[r] = iteration

    return irls


def fit_numba(y, prior, design: LevelDesign, trend: bool, maxit: int, epsilon: float,
              start: IrlsStart | None = None) -> QuasiPoissonFit:
    n, m = y.shape
    L = design.n_levels
    prior = np.ascontiguousarray(np.where(prior > 0, prior, 0.0))
    y = np.ascontiguousarray(np.where(prior > 0, y, 0.0))
    if start is None:
        start = IrlsStart(n, m)
    if start.values.shape != (3, n, m):
        raise ValueError(f"the IRLS start is for {start.values.shape[1:]} rows, not {(n, m)}")
    # A refit may only leave out rows (prior 0) that its first fit had: the start is read
    # only where the prior is positive, and there the responses are the same.
    reuse = start.filled
    out_mu, out_w = np.empty((n, m)), np.empty((n, m))
    out_coef, out_sw, out_swt = np.empty((n, L)), np.empty((n, L)), np.empty((n, L))
    out_slope, out_schur = np.empty(n), np.empty(n)
    out_conv, out_iter = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64)
    pearson, n_obs, rank = np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    _numba_kernel()(y, prior, design.level.astype(np.int64), design.time.astype(np.float64), L, bool(trend),
                    maxit, epsilon, start.values, reuse, out_mu, out_w, out_coef, out_slope, out_sw, out_swt,
                    out_schur, out_conv, out_iter, pearson, n_obs, rank)
    start.filled = True
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.where(n_obs > rank, pearson / (n_obs - rank), np.nan)
    return QuasiPoissonFit(
        trend=trend, converged=out_conv, iterations=out_iter, level_coef=out_coef, slope=out_slope,
        mu=out_mu, working_weights=out_w, sum_w=out_sw, sum_wt=out_swt, schur=out_schur,
        rank=rank, n_obs=n_obs, dispersion=dispersion,
    )
