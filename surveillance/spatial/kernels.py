"""Compiled inner loops of the scan: cylinder statistics and Monte Carlo replicates.

Inputs per table:

* ``S[n_regions, W]``: cases of each region in the last ``w + 1`` days (column ``w``);
* ``B[n_regions, W]``: the expected counts, laid out the same way;
* ``total``: all cases of the study period (the permutation model's likelihood needs it).

``cylinders`` computes the statistic of every cylinder (a zone times a window of the last
days) and the largest over the zones; ``permutation_draw`` draws a replicate's permuted case
dates; this module runs the replicates, in parallel over chunks of them.

numba's cache (``cache=True``) recompiles a function when its own file changes, not when a
function it calls from another file does: after editing ``cylinders`` or
``permutation_draw``, delete ``__pycache__`` here (or touch this file) so that the
replicate loops are recompiled.
"""

from __future__ import annotations

from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
import numba
import numpy as np
from numba import njit, prange

# Besides what the loops below call, the names the scan and the tests read here (PERMUTATION,
# POISSON, padded, best_per_centre), as before the statistics and the draw had modules of their own.
from .cylinders import (LANES, PERMUTATION, POISSON, best_per_centre, llr, max_permutation,  # noqa: F401
                        max_poisson, padded, window_sums)
from .permutation_draw import (highest_bit, replicate_state, shuffle_draw, shuffle_undo,  # noqa: F401
                               tree_build, tree_draw)


@njit(cache=True, parallel=True)
def permutation_maxima(region_cases, day_cases, f, offsets, members, use, total, min_cases, seed, n_reps,
                       n_chunks, use_tree):
    """Replicate maxima of the permutation scan (``permutation_draw`` describes the draw).

    ``region_cases[r]``: cases of region ``r`` over the study period; ``day_cases[w]``: cases
    of the ``w``-th newest day, for the ``W`` newest days; ``f`` as in
    ``cylinders.max_permutation``.
    """
    n_regions = len(region_cases)
    N = region_cases.astype(np.float64)
    Wp = len(f)
    W = len(day_cases)
    drawn = 0
    for w in range(W):
        drawn += day_cases[w]
    n_cases = 0
    for r in range(n_regions):
        n_cases += region_cases[r]
    top_bit = highest_bit(n_regions)
    fresh = tree_build(region_cases)
    out = np.zeros(n_reps)
    for chunk in prange(n_chunks):
        if use_tree:
            work = np.zeros(1, dtype=np.int32)
            tree = fresh.copy()
        else:
            work = np.empty(n_cases, dtype=np.int32)
            k = 0
            for r in range(n_regions):
                for _ in range(region_cases[r]):
                    work[k] = r
                    k += 1
            tree = fresh[:1].copy()
        pristine = work.copy()
        swaps = np.empty(0 if use_tree else drawn, dtype=np.int64)
        S = np.zeros((n_regions, Wp))
        c = np.zeros(Wp)
        for b in range(chunk * n_reps // n_chunks, (chunk + 1) * n_reps // n_chunks):
            state = replicate_state(seed, b)
            if use_tree:
                tree_draw(tree, fresh, day_cases, n_cases, top_bit, state, S)
            else:
                shuffle_draw(work, swaps, day_cases, drawn, state, S)
            window_sums(S, W)
            out[b] = max_permutation(S, N, f, offsets, members, use, total, min_cases, c)
            if not use_tree:
                if 4 * drawn > n_cases:
                    work[:] = pristine  # a copy is cheaper than undoing most of the cases
                else:
                    shuffle_undo(work, swaps, drawn)
    return out


@njit(cache=True)
def permutation_tables(region_cases, day_cases, seed, replicates, use_tree):
    """The per-day tables ``[R, n_regions, W]`` (newest day first) that replicates
    ``replicates`` of ``permutation_maxima`` scan: for checking the draw."""
    n_regions = len(region_cases)
    W = len(day_cases)
    drawn = 0
    for w in range(W):
        drawn += day_cases[w]
    n_cases = 0
    for r in range(n_regions):
        n_cases += region_cases[r]
    work = np.empty(n_cases, dtype=np.int32)
    k = 0
    for r in range(n_regions):
        for _ in range(region_cases[r]):
            work[k] = r
            k += 1
    swaps = np.empty(drawn, dtype=np.int64)
    fresh = tree_build(region_cases)
    tree = fresh.copy()
    top_bit = highest_bit(n_regions)
    out = np.zeros((len(replicates), n_regions, W))
    for i in range(len(replicates)):
        state = replicate_state(seed, replicates[i])
        if use_tree:
            tree_draw(tree, fresh, day_cases, n_cases, top_bit, state, out[i])
        else:
            shuffle_draw(work, swaps, day_cases, drawn, state, out[i])
            shuffle_undo(work, swaps, drawn)
    return out


@njit(cache=True, parallel=True)
def table_maxima(tables, N, f, B, offsets, members, use, total, kind, min_cases):
    """Maxima over given replicate tables ``tables[R, n_regions, W]`` (per-day columns, newest
    first): permutation statistics with ``N, f`` or Poisson ones with ``B`` (both padded)."""
    R = tables.shape[0]
    W = tables.shape[2]
    Wp = len(f) if kind == PERMUTATION else B.shape[1]
    out = np.zeros(R)
    for b in prange(R):
        S = np.zeros((tables.shape[1], Wp))
        S[:, :W] = tables[b]
        window_sums(S, W)
        c = np.zeros(Wp)
        if kind == PERMUTATION:
            out[b] = max_permutation(S, N, f, offsets, members, use, total, min_cases, c)
        else:
            m = np.zeros(Wp)
            out[b] = max_poisson(S, B, offsets, members, use, min_cases, c, m)
    return out


def default_chunks(n_reps: int) -> int:
    return max(1, min(n_reps, 4 * numba.get_num_threads()))
