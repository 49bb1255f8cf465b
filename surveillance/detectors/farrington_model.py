"""The Farrington model at one point: the fit with R's trend selection, and the threshold.

Ports of R ``surveillance``'s ``algo.farrington.fitGLM.flexible``, ``algo.farrington.glm``
and its two threshold functions (1.20.3), for batches of reference vectors fitted together;
see ``farrington`` for the method and the departures from R.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.stats import nbinom, norm, poisson

from .glm import IrlsStart, fit_quasipoisson, outlier_weights
from .glm_numba import anscombe_residuals_numba


def fit_glm(y, present, design, trend, params):
    """R's ``algo.farrington.fitGLM.flexible``: fit, then optionally reweight and refit."""
    start = IrlsStart(*y.shape)  # the refit's start is the first fit's: the same responses
    first = fit_quasipoisson(y, present.astype(float), design, trend, start=start)
    fit = first
    if params["reweight"]:
        phi = np.maximum(first.dispersion, 1.0)
        s = anscombe_residuals_numba(first, y, design, phi)
        omega = outlier_weights(s, present, params["reweight_threshold"])
        fit = fit_quasipoisson(y, omega, design, trend, start=start)
        phi = np.maximum(fit.dispersion, 1.0)
        if params["r_compatible"]:
            # R stores the prior weights over the fit's working weights
            # (``model$weights <- omega``), so summary.glm and predict.glm estimate the
            # dispersion as sum(omega * working_residual^2) / df instead of Pearson's.
            with np.errstate(divide="ignore", invalid="ignore"):
                resid = np.where(present, (y - fit.mu) / fit.mu, 0.0)
                r_dispersion = np.sum(omega * resid * resid, axis=1) / fit.df_residual
            r_dispersion = np.where(fit.df_residual > 0, r_dispersion, np.nan)
            fit = replace(fit, dispersion=r_dispersion)
        return fit, phi, first.converged
    return fit, np.maximum(fit.dispersion, 1.0), first.converged


def _subset(fit, rows):
    return fit.__class__(**{k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in fit.__dict__.items()})


def predict(y, present, design, window, params):
    """Prediction at the current point for a batch of reference vectors: eta, its unscaled
    variance, the raw dispersion, phi and convergence, after R's trend selection."""
    n = y.shape[0]
    keep_trend = np.zeros(n, dtype=bool)
    if params["trend"]:
        fit_t, phi_t, conv_t = fit_glm(y, present, design, True, params)
        with np.errstate(over="ignore"):
            mu_t = np.exp(fit_t.level_coef[:, window])
        biggest = np.max(np.where(present, y, -np.inf), axis=1)
        keep_trend = (conv_t & (params["b"] >= 3) & (fit_t.slope_pvalue() < params["trend_p_threshold"])
                      & (mu_t <= biggest))
    eta = np.full(n, np.nan)
    var = np.full(n, np.nan)
    dispersion = np.full(n, np.nan)
    phi = np.full(n, np.nan)
    converged = np.zeros(n, dtype=bool)
    has_window = np.zeros(n, dtype=bool)
    enough = np.zeros(n, dtype=bool)

    def take(rows, fit, phi_fit, conv):
        eta[rows] = fit.level_coef[:, window]
        var[rows] = fit.level_variance(window)
        dispersion[rows] = fit.dispersion
        phi[rows] = phi_fit
        converged[rows] = conv
        has_window[rows] = fit.sum_w[:, window] > 0
        enough[rows] = fit.n_obs > fit.rank

    if keep_trend.any():
        rows = np.flatnonzero(keep_trend)
        take(rows, _subset(fit_t, rows), phi_t[rows], conv_t[rows])
    rows = np.flatnonzero(~keep_trend)
    if len(rows):
        fit_0, phi_0, conv_0 = fit_glm(y[rows], present[rows], design, False, params)
        take(rows, fit_0, phi_0, conv_0)
    return eta, var, dispersion, phi, converged, has_window & enough


def thresholds(y, eta, var, dispersion, phi, params):
    """Expected count, upper bound and p-value from the prediction on the link scale."""
    alpha = params["alpha"]
    z = norm.isf(alpha)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        se_link = np.sqrt(dispersion * var)  # R's predict.glm uses the raw dispersion here
        mu = np.exp(eta)
        if params["threshold"] == "delta":
            se_mu = se_link * mu
            tau = phi + se_mu ** 2 / mu
            exponent = {"2/3": 2.0 / 3.0, "1/2": 0.5, "none": 1.0}[params["power_transform"]]
            if exponent == 1.0:
                se = np.sqrt(mu * tau)
            elif exponent == 0.5:
                se = np.sqrt(tau / 4.0)
            else:
                se = np.sqrt(4.0 / 9.0 * mu ** (1.0 / 3.0) * tau)
            upper = (mu ** exponent + z * se) ** (1.0 / exponent)
            pvalue = norm.sf(y ** exponent, loc=mu ** exponent, scale=se)
        else:
            mean = mu if params["threshold"] == "nbplugin" else np.exp(eta + z * se_link)
            upper, pvalue = quasi_poisson_threshold(y, mean, phi, alpha)
    return mu, upper, pvalue


def quasi_poisson_threshold(y, mean, phi, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper ``1 - alpha`` quantile and ``P(Y >= y)`` of a count with mean ``mean`` and variance
    ``phi * mean``: negative binomial where ``phi > 1``, Poisson otherwise; NaN where either is NaN."""
    y, mean, phi = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, mean, phi)))
    upper = np.full(mean.shape, np.nan)
    pvalue = np.full(mean.shape, np.nan)
    finite = np.isfinite(mean) & np.isfinite(phi)
    over = finite & (phi > 1)
    size = mean[over] / (phi[over] - 1.0)
    upper[over] = nbinom.ppf(1 - alpha, size, 1.0 / phi[over])
    pvalue[over] = nbinom.sf(y[over] - 1, size, 1.0 / phi[over])
    plain = finite & ~(phi > 1)
    upper[plain] = poisson.ppf(1 - alpha, mean[plain])
    pvalue[plain] = poisson.sf(y[plain] - 1, mean[plain])
    return upper, pvalue
