"""Compiled loops of the ESSENCE detectors: the EWMA recursion and the adaptive regression.

Both run over every series of a panel in parallel (numba, compiled on first use and cached);
``essence`` prepares their inputs and tables and documents the algorithms.
"""

from __future__ import annotations

import numpy as np

from .result import Status

# Status codes inside the kernels (see result.Status).
_OK = np.uint8(Status.OK)
_MISSING = np.uint8(Status.MISSING)
_INSUFFICIENT = np.uint8(Status.INSUFFICIENT_BASELINE)
_NOT_MONITORED = np.uint8(Status.NOT_MONITORED)

_KERNELS: dict = {}


def kernels() -> dict:
    """``{"ewma": ..., "regression": ...}``, compiled on first use so that importing stays cheap."""
    if not _KERNELS:
        _KERNELS.update(_build_kernels())
    return _KERNELS


def _build_kernels():
    from .. import jit_cache  # noqa: F401  (a writable cache before the kernels are defined)
    from numba import njit, prange

    @njit(parallel=True, cache=True)
    def ewma(y, in_baseline, B, g, w1, w2, min_baseline, start, q, u99, corr1, corr2, floor1, floor2,
             const1, const2, out_expected, out_upper, out_stat, out_df, out_status):
        """EWMA for every series (rows of ``y``). Baseline sums are kept centred on the
        series' first value and updated as the window slides; the terms of sigma that
        depend only on the baseline length come from tables."""
        n, T = y.shape
        for r in prange(n):
            centre = np.nan
            for t in range(T):
                if not np.isnan(y[r, t]):
                    centre = y[r, t]
                    break
            z1 = np.nan
            z2 = np.nan
            s1 = 0.0
            s2 = 0.0
            cnt = 0
            for t in range(T):
                # Slide the window t-g-B .. t-g-1 (values that are present and not excluded).
                enter = t - g - 1
                if enter >= 0 and in_baseline[enter] and not np.isnan(y[r, enter]):
                    d = y[r, enter] - centre
                    s1 += d
                    s2 += d * d
                    cnt += 1
                leave = t - g - B - 1
                if leave >= 0 and in_baseline[leave] and not np.isnan(y[r, leave]):
                    d = y[r, leave] - centre
                    s1 -= d
                    s2 -= d * d
                    cnt -= 1
                yt = y[r, t]
                status = _INSUFFICIENT
                if np.isnan(yt):
                    status = _MISSING
                elif np.isnan(z1):
                    z1 = yt
                    z2 = yt
                elif cnt < min_baseline:
                    z1 = w1 * yt + (1.0 - w1) * z1
                    z2 = w2 * yt + (1.0 - w2) * z2
                else:
                    L = cnt
                    df = L - 1
                    dmean = s1 / L
                    var = (s2 - s1 * dmean) / df
                    sd = np.sqrt(var) if var > 0.0 else 0.0
                    mean = centre + dmean
                    sig1 = max(floor1[df], sd * corr1[L] + const1[df])
                    sig2 = max(floor2[df], sd * corr2[L] + const2[df])
                    if t >= start:
                        up1 = (mean + q[df] * sig1 - (1.0 - w1) * z1) / w1
                        up2 = (mean + q[df] * sig2 - (1.0 - w2) * z2) / w2
                    z1 = w1 * yt + (1.0 - w1) * z1
                    z2 = w2 * yt + (1.0 - w2) * z2
                    st1 = (z1 - mean) / sig1
                    st2 = (z2 - mean) / sig2
                    if t >= start:
                        status = _OK
                        out_expected[r, t] = mean
                        out_upper[r, t] = min(up1, up2)
                        out_stat[r, t] = max(st1, st2)
                        out_df[r, t] = df
                    lim = u99[df]
                    if abs(st1) > lim:
                        z1 = mean + np.sign(st1) * lim * sig1
                    if abs(st2) > lim:
                        z2 = mean + np.sign(st2) * lim * sig2
                if t < start:
                    status = _NOT_MONITORED
                out_status[r, t] = status

    @njit(parallel=True, cache=True)
    def regression(y, hol, use_hol, B, g, min_baseline, start, q, u95,
                   out_expected, out_upper, out_stat, out_df, out_r2, out_status):
        """Adaptive regression at every target ``t >= start`` of every series.

        Seen from the target, baseline lag ``j`` (g+1..g+B) has weekday group ``j % 7``
        (0 = the target's weekday) and time ``x = -j``; the model is a mean per weekday
        group, a common slope in time and, with ``use_hol``, a holiday effect. One pass
        collects per-group sums (values centred on the window's first value), from which
        the within-group normal equations, the residual sum of squares and the
        prediction's leverage follow."""
        n, T = y.shape
        for r in prange(n):
            cnt = np.zeros(7)
            sx = np.zeros(7)
            sxx = np.zeros(7)
            sy = np.zeros(7)
            sxy = np.zeros(7)
            syy = np.zeros(7)
            sh = np.zeros(7)
            shx = np.zeros(7)
            shy = np.zeros(7)
            for t in range(T):
                if t < start:
                    out_status[r, t] = _NOT_MONITORED
                    continue
                yt = y[r, t]
                if np.isnan(yt):
                    out_status[r, t] = _MISSING
                    continue
                out_status[r, t] = _INSUFFICIENT
                cnt[:] = 0.0
                sx[:] = 0.0
                sxx[:] = 0.0
                sy[:] = 0.0
                sxy[:] = 0.0
                syy[:] = 0.0
                sh[:] = 0.0
                shx[:] = 0.0
                shy[:] = 0.0
                n_obs = 0
                centre = np.nan
                grp = g % 7
                for j in range(g + 1, g + B + 1):
                    grp += 1
                    if grp == 7:
                        grp = 0
                    i = t - j
                    if i < 0:
                        break
                    v = y[r, i]
                    if np.isnan(v):
                        continue
                    if n_obs == 0:
                        centre = v
                    v -= centre
                    x = -float(j)
                    cnt[grp] += 1.0
                    sx[grp] += x
                    sxx[grp] += x * x
                    sy[grp] += v
                    sxy[grp] += x * v
                    syy[grp] += v * v
                    if use_hol and hol[i]:
                        sh[grp] += 1.0
                        shx[grp] += x
                        shy[grp] += v
                    n_obs += 1
                if n_obs < min_baseline or cnt[0] == 0.0:
                    continue
                groups = 0
                stt = 0.0
                sty = 0.0
                syy_w = 0.0
                shh = 0.0
                sth = 0.0
                shy_w = 0.0
                total = 0.0
                total2 = 0.0
                for k in range(7):
                    c = cnt[k]
                    if c > 0.0:
                        groups += 1
                        total += sy[k]
                        total2 += syy[k]
                        stt += sxx[k] - sx[k] * sx[k] / c
                        sty += sxy[k] - sx[k] * sy[k] / c
                        syy_w += syy[k] - sy[k] * sy[k] / c
                        if use_hol:
                            shh += sh[k] - sh[k] * sh[k] / c
                            sth += shx[k] - sh[k] * sx[k] / c
                            shy_w += shy[k] - sh[k] * sy[k] / c
                rank = groups
                slope = 0.0
                beta_h = 0.0
                with_h = False
                det = 0.0
                if stt > 0.0:
                    rank += 1
                    det = stt * shh - sth * sth
                    if use_hol and shh > 1e-9 and det > 1e-10 * stt * shh:
                        with_h = True
                        rank += 1
                        slope = (shh * sty - sth * shy_w) / det
                        beta_h = (stt * shy_w - sth * sty) / det
                    else:
                        slope = sty / stt
                df = n_obs - rank
                if df < 1:
                    continue
                rss = syy_w - slope * sty - beta_h * shy_w
                if rss < 0.0:
                    rss = 0.0
                tss = total2 - total * total / n_obs
                c0 = cnt[0]
                x_t = 0.0 - sx[0] / c0
                x_h = ((1.0 if hol[t] else 0.0) - sh[0] / c0) if with_h else 0.0
                pred = centre + sy[0] / c0 + slope * x_t + beta_h * x_h
                if with_h:
                    lev = 1.0 / c0 + (shh * x_t * x_t - 2.0 * sth * x_t * x_h + stt * x_h * x_h) / det
                elif stt > 0.0:
                    lev = 1.0 / c0 + x_t * x_t / stt
                else:
                    lev = 1.0 / c0
                mse = rss / df
                sigma = max(np.sqrt(mse * (1.0 + lev)), 0.01 / u95[df])
                expected = max(0.0, pred)
                out_expected[r, t] = expected
                out_upper[r, t] = expected + q[df] * sigma
                out_stat[r, t] = (yt - expected) / sigma
                out_df[r, t] = df
                if tss > 1e-12 * total2:
                    out_r2[r, t] = 1.0 - (rss / tss) * (n_obs - 1) / df
                else:
                    out_r2[r, t] = 0.0
                out_status[r, t] = _OK

    return {"ewma": ewma, "regression": regression}
