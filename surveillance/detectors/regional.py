"""Regional excess: is a series' share of its region's cases unusually high?

A winter influenza wave raises every county at once; a detector that compares each county with its
own recent past calls all of them unusual. This one compares each series with the *other* series of
its region (same syndrome and age group and, when the panel's keys have it, the same ``parent``:
the detect job compares a facility with the other facilities of its county and a county with the
other counties of its city): under the null the series keeps its usual share, so a rise that lifts
the whole region moves nothing and a local excess stands out.

For a judged point ``t`` and each window ``w`` of :data:`WINDOWS` (1, 3 and 7 points ending at
``t``):

* ``x`` = the series' cases in the window;
* every series' usual rate: cases per reported point over the ``baseline_days`` points that end
  ``guard_days`` before the window starts (at least ``min_baseline_days`` reported, else
  ``insufficient_baseline``, and such a series is left out of the others, whose usual rate it cannot
  tell);
* on each day of the window, the others that reported brought ``R_d`` cases at a summed usual rate
  ``Q_d``, so the series' usual share is ``s_d = rate / (rate + Q_d)`` (a silent facility takes its
  usual cases out of the comparison instead of making its neighbours look high); ``R`` and ``s`` are
  the window's sum and mean;
* two tails, the larger kept (the conservative one): the conditional binomial
  ``P(X >= x | X ~ Bin(x + R, s))``, exact when the region's counts are Poisson, and a negative
  binomial with the expectation ``mu = R s / (1 - s)`` and ``Var = mu + (phi + 1 / b) mu^2``: ``phi``
  the overdispersion pooled over the panel, or over each ``pool`` of its keys (the detect job pools
  each province) (moments of the daily counts around each series' overall share), applied to the window as a whole because a share drifts for days at a time, and ``1 / b``
  the uncertainty of the usual rate from its ``b`` baseline cases;
* a window with fewer than ``min_cases`` cases gives ``p = 1``.

The point's p-value is the smallest window p-value times the number of windows (Bonferroni,
at most 1). ``expected`` is the one-point expectation (what the series would count today at its
usual share of what the others reported today), ``upperbound`` its negative-binomial ``1 - alpha``
quantile; ``alarm`` is ``count > upperbound``. Points where the series reported nothing are
``missing``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from ..panel import Panel
from .inputs import monitor_param, monitor_start, quiet_empty_slices
from .params import Int, ParamSchema, Probability
from .regional_kernels import by_time, expected_in_window
from .registry import Detector, register
from .result import DetectionResult, Status, assemble, exceedance_score

WINDOWS = (1, 3, 7)
SEARCH_STEPS = 4  # steps from the approximate quantile before leaving a point to scipy's search
REFERENCE = ("conditional (binomial) test of a series' share of its region's cases, conditioning on the "
             "region's total as the Kulldorff scan does; negative-binomial tail with pooled overdispersion")


def _cumulative(a: np.ndarray) -> np.ndarray:
    """``c[:, k]`` = sum of ``a[:, :k]`` (a leading zero column, so window sums are differences)."""
    return np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)


def _between(c: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Per series and end point: the sum over positions ``[start, stop)`` (clipped to the panel)."""
    T = c.shape[1] - 1
    lo, hi = np.clip(start, 0, T), np.clip(stop, 0, T)
    return c[:, hi] - c[:, lo]


def _groups(panel: Panel) -> np.ndarray:
    """The region each series is compared within: same syndrome, age group and ``parent`` key (the
    detect job gives each series its parent region: a facility's county, a county's city)."""
    keys = panel.keys
    columns = [c for c in ("parent", "syndrome", "age_group") if c in keys.columns]
    group = np.zeros(len(keys), dtype=np.int64)
    for column in columns:  # the codes of each key combined (any numbering will do: groups are only summed over)
        codes, uniques = pd.factorize(keys[column].astype(str), sort=False)
        group = group * max(len(uniques), 1) + codes
    return pd.factorize(group)[0] if columns else group


def _overdispersion(own: np.ndarray, total: np.ndarray, known: np.ndarray) -> float:
    """``phi`` of ``Var = mu + phi mu^2``, by moments over every reported point, ``mu`` from each
    series' overall share of its region."""
    own_sum = np.where(known, own, 0.0).sum(axis=1)
    total_sum = np.where(known, total, 0.0).sum(axis=1)
    share = np.where(total_sum > 0, own_sum / np.maximum(total_sum, 1e-12), 0.0)
    mu = share[:, None] * total
    ok = known & (mu > 0)
    if not ok.any():
        return 0.0
    excess = ((own - mu) ** 2 - mu)[ok].sum()
    return float(max(0.0, excess / (mu[ok] ** 2).sum()))


def _pooled_overdispersion(panel: Panel, own: np.ndarray, total: np.ndarray, known: np.ndarray):
    """``phi`` pooled over the panel, or per ``pool`` when its keys have one (the detect job pools each
    province's series: a province judged alone, as on a Dask worker, gets the same ``phi`` as within the
    country). Per series ``(n, 1)`` when pooled apart, else one number."""
    if "pool" not in panel.keys.columns:
        return _overdispersion(own, total, known)
    pool, pools = pd.factorize(panel.keys["pool"].astype(str))
    if len(pools) == 1:
        return _overdispersion(own, total, known)
    phi = np.array([_overdispersion(own[pool == k], total[pool == k], known[pool == k]) for k in range(len(pools))])
    return phi[pool][:, None]


def _at(phi, where: np.ndarray):
    """``phi`` at the points ``where`` (a boolean mask over series x points) when it is per series."""
    return phi if np.ndim(phi) == 0 else np.broadcast_to(phi, where.shape)[where]


def _size(phi: float, baseline_cases: np.ndarray) -> np.ndarray:
    """The negative binomial's size for ``Var = mu + (phi + 1 / (baseline cases + 1/2)) mu^2``."""
    return 1.0 / (phi + 1.0 / (baseline_cases + 0.5))


def _tail(x: np.ndarray, rest: np.ndarray, share: np.ndarray, phi, baseline_cases: np.ndarray,
          best: np.ndarray) -> np.ndarray:
    """The larger of the binomial and negative-binomial upper tails ``P(X >= x)`` (the binomial tail as
    the regularised incomplete beta function, which takes counts that are not whole numbers too), where
    it can lower the point's p-value: 1 where it cannot (below ``best``, the point's smallest tail so far,
    or at least ``1 / len(WINDOWS)``, which the Bonferroni product makes 1), so those points skip the
    special functions and every p-value stays exactly what the full tails give.

    The negative binomial's ``Var = mu + (phi + 1 / baseline cases) mu^2``: a series' share drifts for
    days at a time (so a window's excess variance grows with the square of its expectation, as for
    one point), and the usual share itself is known only as well as its baseline cases tell."""
    out = np.ones(len(x))
    # whole counts at least one below the binomial's mean: P(X >= x) >= 1/2 (the median is the mean
    # rounded down or up), so neither tail can matter
    whole = (x == np.floor(x)) & (rest == np.floor(rest))
    todo = np.flatnonzero(~(whole & (x + 1.0 <= (x + rest) * share)))
    binomial = special.betainc(np.maximum(x[todo], 1e-12), rest[todo] + 1.0, share[todo])
    # the negative binomial can only raise the binomial tail: only where that is still low enough to count
    low = (binomial * len(WINDOWS) < 1.0) & (binomial < best[todo])
    todo, binomial = todo[low], binomial[low]
    mu = rest[todo] * share[todo] / np.maximum(1.0 - share[todo], 1e-12)
    size = _size(phi if np.ndim(phi) == 0 else phi[todo], baseline_cases[todo])
    negative_binomial = stats.nbinom.sf(x[todo] - 1, size, size / (size + mu))
    out[todo] = np.maximum(binomial, negative_binomial)
    return out


def _upper_quantile(q: float, size: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """The negative binomial's ``q`` quantile (size ``size``, mean ``mu``): the smallest ``k`` whose
    ``cdf(k) = I_p(size, k + 1) >= q``, searched from the Cornish-Fisher approximation with the
    regularised incomplete beta function (the cdf scipy's ``nbinom`` uses). The same integers as
    ``scipy.stats.nbinom.ppf`` (tests compare them), several times faster: most points need two cdf
    evaluations instead of a root search."""
    size, mu = np.broadcast_arrays(np.asarray(size, dtype=float), np.asarray(mu, dtype=float))
    out = np.full(size.shape, np.nan)
    valid = np.isfinite(size) & np.isfinite(mu) & (size > 0) & (mu >= 0)
    out[valid & (mu == 0)] = 0.0  # a point mass at 0
    todo = np.flatnonzero(valid & (mu > 0))
    if not len(todo):
        return out
    n, m = size.ravel()[todo], mu.ravel()[todo]
    p = n / (n + m)
    z = special.ndtri(q)
    skew = (2.0 - p) / np.sqrt(n * (1.0 - p))
    guess = m + np.sqrt(m / p) * (z + (z * z - 1.0) * skew / 6.0)
    k = np.maximum(np.ceil(guess - 0.5), 0.0)
    low = special.betainc(n, k + 1.0, p) < q  # cdf(k) < q: the quantile lies above k
    for _ in range(SEARCH_STEPS):
        if not low.any():
            break
        k[low] += 1.0
        low[low] = special.betainc(n[low], k[low] + 1.0, p[low]) < q
    high = ~low & (k > 0)  # cdf(k - 1) >= q: the quantile lies below k
    high[high] = special.betainc(n[high], k[high], p[high]) >= q
    for _ in range(SEARCH_STEPS):
        if not high.any():
            break
        k[high] -= 1.0
        high[high] = k[high] > 0
        high[high] = special.betainc(n[high], k[high], p[high]) >= q
    far = low | high  # the approximation was far off (extreme skew): scipy's own search
    k[far] = stats.nbinom.ppf(q, n[far], p[far])
    flat = out.ravel()
    flat[todo] = k
    return flat.reshape(size.shape)


def _group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group and column: the sum of ``values`` over the group's series (in the series' order)."""
    out = np.zeros((n_groups, values.shape[1]))
    if not len(groups):
        return out
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    out[ordered[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return out


def run_regional_excess(panel: Panel, params: dict, points: np.ndarray | None = None,
                        bounds: bool = True) -> DetectionResult:
    y = np.asarray(panel.counts, dtype=float)
    n, T = y.shape
    known = ~np.isnan(y)
    own = np.nan_to_num(y)
    groups = _groups(panel)
    n_groups = int(groups.max()) + 1 if n else 0
    phi = _pooled_overdispersion(panel, own, _group_sum(own, groups, n_groups)[groups], known)

    first = monitor_start(T, params["monitor_last"])
    ends = np.arange(first, T) if points is None else points[points >= first]  # judged points
    cum_own = _cumulative(np.where(known, own, 0.0))
    cum_known = _cumulative(known.astype(float))
    baseline, guard = params["baseline_days"], params["guard_days"]
    time_major = (by_time(own, float), by_time(known))

    shape = (n, len(ends))
    best = np.ones(shape)
    base_days_one = np.zeros(shape)
    expected = np.full(shape, np.nan)
    upper = np.full(shape, np.nan)
    with quiet_empty_slices():
        for w in WINDOWS:
            start = ends - w + 1
            x = _between(cum_own, start, ends + 1)
            b_stop = start - guard
            b_own = _between(cum_own, b_stop - baseline, b_stop)
            b_days = _between(cum_known, b_stop - baseline, b_stop)
            rate = (b_own + 0.5) / np.maximum(b_days, 1.0)
            eligible = b_days >= params["min_baseline_days"]
            mu, r, share = expected_in_window(w, ends, own, known, rate, eligible, groups, n_groups,
                                              time_major=time_major)
            judged = (x >= params["min_cases"]) & (b_days >= params["min_baseline_days"])
            p = np.ones(shape)  # the tails only where they count (most points of small series have few cases)
            p[judged] = _tail(x[judged], r[judged], share[judged], _at(phi, judged), b_own[judged], best[judged])
            best = np.minimum(best, p)
            if w == 1:
                base_days_one = b_days
                expected = mu
                if bounds:
                    upper = _upper_quantile(1.0 - params["alpha"], _size(phi, b_own), expected)
    pvalue_judged = np.minimum(1.0, best * len(WINDOWS))

    status = np.full((n, T), Status.NOT_MONITORED, dtype=np.uint8)
    judged_status = np.where(base_days_one >= params["min_baseline_days"], Status.OK, Status.INSUFFICIENT_BASELINE)
    status[:, ends] = judged_status
    full = {name: np.full((n, T), np.nan) for name in ("expected", "upperbound", "pvalue", "score")}
    if bounds:  # the score at the judged points only (elsewhere it has no bound)
        full["expected"][:, ends] = expected
        full["upperbound"][:, ends] = upper
        full["score"][:, ends] = exceedance_score(y[:, ends], expected, upper)
    full["pvalue"][:, ends] = pvalue_judged
    return assemble("regional_excess", params, y, expected=full["expected"], upperbound=full["upperbound"],
                    pvalue=full["pvalue"], status=status, score=full["score"])


REGIONAL_EXCESS = register(Detector(
    name="regional_excess",
    run=run_regional_excess,
    frequency="any",
    schema=ParamSchema("regional_excess", (
        Int("baseline_days", 28, "points of the baseline that gives the series' usual share", low=7),
        Int("guard_days", 7, "points left out between the baseline and the window (an outbreak's start)", low=0),
        Int("min_baseline_days", 14, "reported baseline points needed to judge", low=1),
        Int("min_cases", 3, "fewest cases in a window that can be unusual", low=1),
        Probability("alpha", 0.05, "tail probability of the one-point upper bound"),
        monitor_param(),
    )),
    reference=REFERENCE,
    judges_points=True,
    summary="a series' share of its region's cases against its usual share (local excess, not seasonal rises)",
))
