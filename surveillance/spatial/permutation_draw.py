"""The permuted case dates of one replicate of the permutation scan.

Replicates shuffle the case dates: a partial Fisher-Yates shuffle of the cases' locations
draws, without replacement, the cases of the newest day, then of the day before, and so on
for the ``W`` days any window can reach (days further back never enter a cylinder). Each
replicate has its own random stream (SplitMix64 seeded from the seed and the replicate
number) and the shuffle is undone after it, so the answer depends on the seed only, not on
the number of threads. Where the study period has too many cases to copy per thread, a
Fenwick tree over the regions' remaining cases draws the same sample (a different stream of
the same exact distribution).
"""

from __future__ import annotations

import numpy as np
from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1) << np.uint64(32)


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True)
def replicate_state(seed, replicate):
    """The first state of replicate ``replicate``'s stream (seed and replicate: non-negative)."""
    return _mix(_mix(np.uint64(seed) + _GOLDEN) ^ _mix(np.uint64(replicate) * _GOLDEN + _MIX1))


@njit(cache=True, inline="always")
def _below(state, n):
    """A uniform integer in [0, n) (n < 2**32), exactly (Lemire's method); returns (state, value)."""
    bound = np.uint64(n)
    state = state + _GOLDEN
    product = (_mix(state) >> _S32) * bound
    low = product & _LOW32
    if low < bound:
        threshold = (_TWO32 - bound) % bound
        while low < threshold:
            state = state + _GOLDEN
            product = (_mix(state) >> _S32) * bound
            low = product & _LOW32
    return state, np.int64(product >> _S32)


@njit(cache=True)
def shuffle_draw(work, swaps, day_cases, drawn, state, S):
    """Draw the cases of the newest days by a partial Fisher-Yates shuffle of ``work`` (the
    cases' regions); per-day counts go to ``S`` (zeroed here). Undo with ``shuffle_undo``."""
    n_cases = len(work)
    for k in range(drawn):
        state, j = _below(state, n_cases - k)
        j += k
        swaps[k] = j
        t = work[k]
        work[k] = work[j]
        work[j] = t
    S[:, :] = 0.0
    k = 0
    for w in range(len(day_cases)):
        for _ in range(day_cases[w]):
            S[work[k], w] += 1.0
            k += 1
    return state


@njit(cache=True)
def shuffle_undo(work, swaps, drawn):
    for k in range(drawn - 1, -1, -1):
        j = swaps[k]
        t = work[k]
        work[k] = work[j]
        work[j] = t


@njit(cache=True)
def tree_build(values):
    n = len(values)
    tree = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        tree[i + 1] += values[i]
        parent = (i + 1) + ((i + 1) & -(i + 1))
        if parent <= n:
            tree[parent] += tree[i + 1]
    return tree


@njit(cache=True, inline="always")
def _tree_take(tree, target, top_bit):
    """The index whose cumulative range holds ``target`` (0-based); removes one from it."""
    n = len(tree) - 1
    pos = 0
    step = top_bit
    while step > 0:
        nxt = pos + step
        if nxt <= n and tree[nxt] <= target:
            pos = nxt
            target -= tree[nxt]
        step >>= 1
    i = pos + 1
    while i <= n:
        tree[i] -= 1
        i += i & -i
    return pos


@njit(cache=True)
def highest_bit(n):
    """The largest power of two not above ``n``: the first step of a Fenwick tree search."""
    top = 1
    while top * 2 <= n:
        top *= 2
    return top


@njit(cache=True)
def tree_draw(tree, fresh, day_cases, n_cases, top_bit, state, S):
    """The same draw from a Fenwick tree of the regions' remaining cases (restored from ``fresh``)."""
    tree[:] = fresh
    S[:, :] = 0.0
    left = n_cases
    for w in range(len(day_cases)):
        for _ in range(day_cases[w]):
            state, u = _below(state, left)
            r = _tree_take(tree, u, top_bit)
            S[r, w] += 1.0
            left -= 1
    return state
