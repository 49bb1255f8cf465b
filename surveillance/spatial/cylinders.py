"""Statistics of space-time cylinders and their largest value over the zones of a scan.

A cylinder is a zone (``zones.Zones``) times a window of the last ``w`` days. The functions
walk each centre's regions nearest first, adding each region's window sums to running
totals, so one pass over a centre's list gives every cylinder around it: O(zones x windows)
per table, no per-cylinder re-summing. ``S``, ``B`` and ``total`` are as in ``kernels``.

``kind`` selects the statistic of a cylinder with ``c`` cases where ``m`` are expected
(only cylinders with ``c > m`` and ``c >= min_cases`` count):

* ``PERMUTATION`` (Kulldorff 2005): the Poisson generalised likelihood ratio with the total
  fixed, ``c log(c/m) + (C - c) log((C - c)/(C - m))``;
* ``POISSON`` (Neill 2005, expectation-based): ``c log(c/m) + m - c``.

Both are at most ``K (c - m)^2 / m`` (``K = C/(C - m)`` and ``1``; from ``log x <= x - 1``),
which costs no logarithm: a replicate's maximum only needs the logarithm where that bound
beats the best value so far, which after the first few zones is rare.
"""

from __future__ import annotations

import math

import numpy as np
from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
from numba import njit, prange

PERMUTATION = 0
POISSON = 1


@njit(cache=True, inline="always")
def llr(c, m, total, kind):
    """The statistic of one cylinder with ``c > m > 0`` (see the module notes)."""
    if kind == PERMUTATION:
        out = c * math.log(c / m)
        rest = total - c
        if rest > 0.0:
            out += rest * math.log(rest / (total - m))
        return out
    return c * math.log(c / m) + m - c


LANES = 8  # windows are scanned in blocks of this many (padded), which the compiler vectorises


def padded(W: int) -> int:
    return -(-W // LANES) * LANES


@njit(cache=True, inline="always")
def _screen(cw, m, K, threshold, screen):
    """Fold one window into the screen: positive iff c > m and ``K (c - m)^2`` beats ``threshold * m``."""
    d = cw - m
    return max(screen, min(d, K * d * d - threshold * m))


@njit(cache=True, inline="always")
def _exact(cw, m, total, kind, min_cases, best):
    if cw > m and m > 0.0 and cw >= min_cases:
        value = llr(cw, m, total, kind)
        if value > best:
            return value
    return best


@njit(cache=True)
def _max_permutation8(S, N, f, offsets, members, use, total, min_cases):
    """``max_permutation`` for at most 8 windows, with the running sums in registers."""
    f0, f1, f2, f3, f4, f5, f6, f7 = f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
    best = 0.0
    for i in range(len(offsets) - 1):
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = 0.0
        nz = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            r = members[row]
            c0 += S[r, 0]
            c1 += S[r, 1]
            c2 += S[r, 2]
            c3 += S[r, 3]
            c4 += S[r, 4]
            c5 += S[r, 5]
            c6 += S[r, 6]
            c7 += S[r, 7]
            nz += N[r]
            if not use[row]:
                continue
            # Permutation bound: total (c - m)^2 / (m (total - m)); K = total, threshold * (total - m).
            t = best * (1.0 - 1e-9)
            m0, m1, m2, m3 = nz * f0, nz * f1, nz * f2, nz * f3
            m4, m5, m6, m7 = nz * f4, nz * f5, nz * f6, nz * f7
            screen = _screen(c0, m0, total, t * (total - m0), -1.0)
            screen = _screen(c1, m1, total, t * (total - m1), screen)
            screen = _screen(c2, m2, total, t * (total - m2), screen)
            screen = _screen(c3, m3, total, t * (total - m3), screen)
            screen = _screen(c4, m4, total, t * (total - m4), screen)
            screen = _screen(c5, m5, total, t * (total - m5), screen)
            screen = _screen(c6, m6, total, t * (total - m6), screen)
            screen = _screen(c7, m7, total, t * (total - m7), screen)
            if screen <= 0.0:
                continue
            best = _exact(c0, m0, total, PERMUTATION, min_cases, best)
            best = _exact(c1, m1, total, PERMUTATION, min_cases, best)
            best = _exact(c2, m2, total, PERMUTATION, min_cases, best)
            best = _exact(c3, m3, total, PERMUTATION, min_cases, best)
            best = _exact(c4, m4, total, PERMUTATION, min_cases, best)
            best = _exact(c5, m5, total, PERMUTATION, min_cases, best)
            best = _exact(c6, m6, total, PERMUTATION, min_cases, best)
            best = _exact(c7, m7, total, PERMUTATION, min_cases, best)
    return best


@njit(cache=True)
def _max_poisson8(S, B, offsets, members, use, min_cases):
    """``max_poisson`` for at most 8 windows, with the running sums in registers."""
    best = 0.0
    for i in range(len(offsets) - 1):
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = 0.0
        m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            r = members[row]
            c0 += S[r, 0]
            c1 += S[r, 1]
            c2 += S[r, 2]
            c3 += S[r, 3]
            c4 += S[r, 4]
            c5 += S[r, 5]
            c6 += S[r, 6]
            c7 += S[r, 7]
            m0 += B[r, 0]
            m1 += B[r, 1]
            m2 += B[r, 2]
            m3 += B[r, 3]
            m4 += B[r, 4]
            m5 += B[r, 5]
            m6 += B[r, 6]
            m7 += B[r, 7]
            if not use[row]:
                continue
            t = best * (1.0 - 1e-9)
            screen = _screen(c0, m0, 1.0, t, -1.0)
            screen = _screen(c1, m1, 1.0, t, screen)
            screen = _screen(c2, m2, 1.0, t, screen)
            screen = _screen(c3, m3, 1.0, t, screen)
            screen = _screen(c4, m4, 1.0, t, screen)
            screen = _screen(c5, m5, 1.0, t, screen)
            screen = _screen(c6, m6, 1.0, t, screen)
            screen = _screen(c7, m7, 1.0, t, screen)
            if screen <= 0.0:
                continue
            best = _exact(c0, m0, 0.0, POISSON, min_cases, best)
            best = _exact(c1, m1, 0.0, POISSON, min_cases, best)
            best = _exact(c2, m2, 0.0, POISSON, min_cases, best)
            best = _exact(c3, m3, 0.0, POISSON, min_cases, best)
            best = _exact(c4, m4, 0.0, POISSON, min_cases, best)
            best = _exact(c5, m5, 0.0, POISSON, min_cases, best)
            best = _exact(c6, m6, 0.0, POISSON, min_cases, best)
            best = _exact(c7, m7, 0.0, POISSON, min_cases, best)
    return best


@njit(cache=True)
def max_permutation(S, N, f, offsets, members, use, total, min_cases, c):
    """The largest permutation statistic over the cylinders of the zones flagged in ``use``.

    ``S[r, w]``: region ``r``'s cases in the last ``w + 1`` days, padded with zero columns to a
    multiple of ``LANES``; ``N[r]``: its cases over the study period; ``f[w]``: the share of all
    cases falling in the last ``w + 1`` days (padding: 1). Expected = ``N(zone) * f[w]``.
    """
    if S.shape[1] == LANES:
        return _max_permutation8(S, N, f, offsets, members, use, total, min_cases)
    n_blocks = S.shape[1] // LANES
    best = 0.0
    for i in range(len(offsets) - 1):
        c[:] = 0.0
        nz = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            r = members[row]
            for b in range(n_blocks):
                for lane in range(LANES):
                    c[b * LANES + lane] += S[r, b * LANES + lane]
            nz += N[r]
            if not use[row]:
                continue
            threshold = best * (1.0 - 1e-9)
            for b in range(n_blocks):
                # Branch-free screen: positive only if some window has c > m and a bound above the best.
                screen = -1.0
                for lane in range(LANES):
                    m = nz * f[b * LANES + lane]
                    d = c[b * LANES + lane] - m
                    screen = max(screen, min(d, total * d * d - threshold * m * (total - m)))
                if screen <= 0.0:
                    continue
                for lane in range(LANES):
                    w = b * LANES + lane
                    m = nz * f[w]
                    cw = c[w]
                    if cw > m and m > 0.0 and cw >= min_cases:
                        value = llr(cw, m, total, PERMUTATION)
                        if value > best:
                            best = value
    return best


@njit(cache=True)
def max_poisson(S, B, offsets, members, use, min_cases, c, m):
    """The largest expectation-based Poisson statistic; ``B`` like ``S`` (padding: 0)."""
    if S.shape[1] == LANES:
        return _max_poisson8(S, B, offsets, members, use, min_cases)
    n_blocks = S.shape[1] // LANES
    best = 0.0
    for i in range(len(offsets) - 1):
        c[:] = 0.0
        m[:] = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            r = members[row]
            for b in range(n_blocks):
                for lane in range(LANES):
                    c[b * LANES + lane] += S[r, b * LANES + lane]
                    m[b * LANES + lane] += B[r, b * LANES + lane]
            if not use[row]:
                continue
            threshold = best * (1.0 - 1e-9)
            for b in range(n_blocks):
                screen = -1.0
                for lane in range(LANES):
                    mw = m[b * LANES + lane]
                    d = c[b * LANES + lane] - mw
                    screen = max(screen, min(d, d * d - threshold * mw))
                if screen <= 0.0:
                    continue
                for lane in range(LANES):
                    w = b * LANES + lane
                    mw = m[w]
                    cw = c[w]
                    if cw > mw and mw > 0.0 and cw >= min_cases:
                        value = llr(cw, mw, 0.0, POISSON)
                        if value > best:
                            best = value
    return best


@njit(cache=True, parallel=True)
def best_per_centre(S, B, offsets, members, use, total, kind, min_cases):
    """For each centre, its best cylinder: ``(llr, size, window)``; llr 0 (size 0) if none."""
    n_centres = len(offsets) - 1
    W = S.shape[1]
    best = np.zeros(n_centres)
    best_size = np.zeros(n_centres, dtype=np.int64)
    best_window = np.zeros(n_centres, dtype=np.int64)
    for i in prange(n_centres):
        c = np.zeros(W)
        m = np.zeros(W)
        top = 0.0
        for row in range(offsets[i], offsets[i + 1]):
            r = members[row]
            for w in range(W):
                c[w] += S[r, w]
                m[w] += B[r, w]
            if not use[row]:
                continue
            for w in range(W):
                cw = c[w]
                mw = m[w]
                if cw - mw <= 0.0 or mw <= 0.0 or cw < min_cases:
                    continue
                value = llr(cw, mw, total, kind)
                if value > top:
                    top = value
                    best_size[i] = row - offsets[i] + 1
                    best_window[i] = w + 1
        best[i] = top
    return best, best_size, best_window


@njit(cache=True)
def window_sums(S, W):
    """Turn per-day columns (newest first) into sums over the last 1, 2, ... W days, in place."""
    for r in range(S.shape[0]):
        for w in range(1, W):
            S[r, w] += S[r, w - 1]
