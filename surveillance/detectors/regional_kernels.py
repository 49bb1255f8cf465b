"""The compiled loop of the regional-excess detector: each series' expectation within its region's cases.

For every judged end point and each day of its window, the region's cases and summed usual rates are
added up over the series that reported (in series order, as a matrix product would), then each series
takes its share of the others'. Compiled on first use and cached (numba); ``regional`` documents the
method.
"""

from __future__ import annotations

import numpy as np

_KERNELS: dict = {}


def by_time(a: np.ndarray, dtype=None) -> np.ndarray:
    """A time-major copy: the loops run over the series of one day, so those lie side by side in memory."""
    return np.ascontiguousarray(np.asarray(a, dtype=dtype).T)


def expected_in_window(w: int, ends: np.ndarray, own: np.ndarray, known: np.ndarray, rate: np.ndarray,
                       eligible: np.ndarray, groups: np.ndarray, n_groups: int, *, time_major=None):
    """``(mu, rest, share)`` of :func:`surveillance.detectors.regional._expected_in_window`; ``time_major``:
    ``(by_time(own, float), by_time(known))`` made once for several windows."""
    if not _KERNELS:
        _KERNELS["expected"] = _build()
    shape = rate.shape[::-1]
    mu, rest, share, days = (np.zeros(shape) for _ in range(4))
    own_t, known_t = time_major or (by_time(own, float), by_time(known))
    _KERNELS["expected"](int(w), np.ascontiguousarray(ends, dtype=np.int64), own_t, known_t,
                         by_time(rate, float), by_time(eligible), np.ascontiguousarray(groups, dtype=np.int64),
                         int(n_groups), mu, rest, share, days)
    mu, rest, share, days = mu.T, rest.T, share.T, days.T
    return mu, rest, np.where(days > 0, share / np.maximum(days, 1.0), 1.0)  # alone: nothing to compare


def _build():
    from numba import njit, prange

    @njit(parallel=True, cache=True)
    def expected(w, ends, own, known, rate, eligible, groups, n_groups, mu, rest, share, days):
        """Arrays time-major: ``own[d, i]``, ``known[d, i]``, ``rate[e, i]``, ``eligible[e, i]``, outputs ``[e, i]``."""
        n_ends, n = rate.shape
        for e in prange(n_ends):
            cases = np.zeros(n_groups)
            rates = np.zeros(n_groups)
            for k in range(w):
                d = ends[e] - k
                if d < 0:
                    continue
                cases[:] = 0.0
                rates[:] = 0.0
                for i in range(n):
                    if known[d, i] and eligible[e, i]:
                        cases[groups[i]] += own[d, i]
                        rates[groups[i]] += rate[e, i]
                for i in range(n):
                    if known[d, i] and eligible[e, i]:
                        r_day = cases[groups[i]] - own[d, i]
                        q_day = rates[groups[i]] - rate[e, i]
                        if q_day > 0:
                            q = max(q_day, 1e-12)
                            mu[e, i] += r_day * rate[e, i] / q
                            rest[e, i] += r_day
                            share[e, i] += rate[e, i] / (rate[e, i] + q)
                            days[e, i] += 1.0

    return expected
