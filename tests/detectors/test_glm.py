"""The batched quasi-Poisson IRLS against statsmodels' GLM, one series at a time."""

import numpy as np
import pytest
import statsmodels.api as sm

from surveillance.detectors.glm import LevelDesign, anscombe_residuals, fit_quasipoisson, outlier_weights


def _design(rng, m=60, levels=4):
    level = rng.integers(0, levels, size=m)
    level[:levels] = np.arange(levels)  # every level present
    time = np.sort(rng.choice(np.arange(-300, 0), size=m, replace=False)).astype(float)
    return LevelDesign(level=level, time=time, n_levels=levels)


def _statsmodels(y, prior, design, trend):
    keep = prior > 0
    X = design.indicator()
    if trend:
        X = np.column_stack([X, design.time])
    X = X[keep]
    present = X.any(axis=0)
    X = X[:, present]
    model = sm.GLM(y[keep], X, family=sm.families.Poisson(), var_weights=prior[keep])
    return model.fit(scale="X2", use_t=True, tol=1e-12), X, keep


@pytest.mark.parametrize("trend", [False, True])
def test_batched_fit_matches_statsmodels(trend):
    rng = np.random.default_rng(1)
    design = _design(rng)
    n, m = 12, len(design.level)
    base = np.exp(1.0 + 0.5 * design.level + (0.003 * design.time if trend else 0.0))
    y = rng.negative_binomial(5, 5 / (5 + base), size=(n, m)).astype(float)
    prior = rng.uniform(0.5, 2.0, size=(n, m))
    prior[3, :10] = 0.0  # missing values in one series
    prior[5, design.level == 2] = 0.0  # a level without data
    # R's convergence criterion leaves the weights one step behind the fitted values
    # (a ~1e-6 effect on the dispersion); a tight criterion removes it for the comparison.
    fit = fit_quasipoisson(y, prior, design, trend, epsilon=1e-14, maxit=50)
    assert fit.converged.all()
    for i in range(n):
        res, X, keep = _statsmodels(y[i], prior[i], design, trend)
        np.testing.assert_allclose(fit.mu[i, keep], res.fittedvalues, rtol=1e-7)
        np.testing.assert_allclose(fit.dispersion[i], res.scale, rtol=1e-6)
        # the prediction at level 0, time 0: coefficient and its standard error
        x0 = np.zeros(X.shape[1]); x0[0] = 1.0
        se = np.sqrt(x0 @ res.cov_params() @ x0)
        np.testing.assert_allclose(np.sqrt(fit.dispersion[i] * fit.level_variance(0)[i]), se, rtol=1e-6)
        np.testing.assert_allclose(fit.level_coef[i, 0], res.params[0], rtol=1e-7, atol=1e-9)
        if trend:
            np.testing.assert_allclose(fit.slope[i], res.params[-1], rtol=1e-6)
            np.testing.assert_allclose(fit.slope_pvalue()[i], res.pvalues[-1], rtol=1e-5)
        hat = res.get_influence().hat_matrix_diag
        np.testing.assert_allclose(fit.hat_values(design)[i, keep], hat, rtol=1e-5, atol=1e-10)


def test_all_zero_series_stops_like_r():
    # R's glm.fit on all-zero counts: eta falls by 1 per iteration from log(0.1) until the
    # deviance change is below 1e-8 relative; with 35 rows that takes 24 iterations,
    # with 260 rows more than 25 (not converged).
    for m, converged, iterations in [(35, True, 24), (260, False, 25)]:
        design = LevelDesign(level=np.zeros(m, dtype=int), time=np.arange(-m, 0.0), n_levels=1)
        fit = fit_quasipoisson(np.zeros((1, m)), np.ones((1, m)), design, trend=False)
        assert fit.converged[0] == converged
        assert fit.iterations[0] == iterations
        np.testing.assert_allclose(fit.level_coef[0, 0], np.log(0.1) - iterations, rtol=1e-12)


def test_reweighting_gives_mean_one_weights():
    rng = np.random.default_rng(2)
    design = _design(rng, m=40, levels=2)
    y = rng.poisson(10, size=(3, 40)).astype(float)
    y[:, 5] = 80  # an outbreak in the baseline
    prior = np.ones_like(y)
    fit = fit_quasipoisson(y, prior, design, trend=False)
    s = anscombe_residuals(fit, y, design, np.maximum(fit.dispersion, 1))
    omega = outlier_weights(s, prior > 0, 1.0)
    np.testing.assert_allclose(omega.mean(axis=1), 1.0)
    assert (omega[:, 5] < omega.min(axis=1) + 1e-12).all()


@pytest.mark.parametrize("trend", [False, True])
def test_numba_and_numpy_engines_agree(trend):
    rng = np.random.default_rng(3)
    design = _design(rng, m=50, levels=3)
    y = rng.poisson(4, size=(20, 50)).astype(float)
    y[0] = 0.0  # the all-zero path
    prior = np.ones_like(y)
    prior[2, :5] = 0
    a = fit_quasipoisson(y, prior, design, trend, engine="numpy")
    b = fit_quasipoisson(y, prior, design, trend, engine="numba")
    np.testing.assert_array_equal(a.converged, b.converged)
    np.testing.assert_array_equal(a.iterations, b.iterations)
    np.testing.assert_allclose(a.mu, b.mu, rtol=1e-9)
    np.testing.assert_allclose(a.dispersion, b.dispersion, rtol=1e-9)
    np.testing.assert_array_equal(a.rank, b.rank)
    np.testing.assert_array_equal(a.n_obs, b.n_obs)


@pytest.mark.parametrize("trend", [False, True])
def test_a_refit_reading_the_first_fit_s_start_gives_the_same_numbers(trend):
    from surveillance.detectors.glm import IrlsStart

    rng = np.random.default_rng(5)
    design = _design(rng, m=50, levels=3)
    y = rng.poisson(4, size=(20, 50)).astype(float)
    present = np.ones_like(y)
    present[2, :5] = 0
    omega = rng.uniform(0.2, 1.5, size=y.shape) * present
    omega[4, 7] = 0.0  # a refit may leave out a row the first fit had
    start = IrlsStart(*y.shape)
    first = fit_quasipoisson(y, present, design, trend, start=start)
    assert start.filled
    shared = fit_quasipoisson(y, omega, design, trend, start=start)
    alone = fit_quasipoisson(y, omega, design, trend)
    for field in ("mu", "working_weights", "level_coef", "slope", "sum_w", "dispersion", "iterations", "converged"):
        np.testing.assert_array_equal(getattr(shared, field), getattr(alone, field))
    assert not np.array_equal(first.mu, shared.mu)  # the weights did change the fit
    with pytest.raises(ValueError, match="rows"):
        fit_quasipoisson(y[:5], omega[:5], design, trend, start=start)


@pytest.mark.parametrize("trend", [False, True])
def test_the_compiled_anscombe_residuals_are_the_reference_s_numbers(trend):
    from surveillance.detectors.glm_numba import anscombe_residuals_numba

    rng = np.random.default_rng(7)
    design = _design(rng, m=40, levels=3)
    y = rng.poisson(3, size=(15, 40)).astype(float)
    prior = np.ones_like(y)
    prior[1, :6] = 0.0  # rows without data: zero weight, zero hat value
    fit = fit_quasipoisson(y, prior, design, trend)
    phi = np.maximum(fit.dispersion, 1.0)
    np.testing.assert_array_equal(anscombe_residuals_numba(fit, y, design, phi), anscombe_residuals(fit, y, design, phi))
