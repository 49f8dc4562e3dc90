"""Numpy kernels of :mod:`alignlab.compare`: per-segment moments under resampling weights, cluster-robust
variances, Mann-Kendall, CUSUM and the
normal-mixture confidence sequence.

Everything a version comparison reports (each (metric, rater, segment) difference, its effect size and
ratio, the mix-shift decomposition, the gap between methods) is a function of a few weighted sums per
segment level: ``sum w``, ``sum w*y`` and ``sum w*y**2`` for each system, and ``sum w*y_b*y_c`` for
paired units. :func:`level_moments` computes those sums for every resample of a batch with one dense
matrix product per level (units sorted by level), so one pass of the shared engine's resampling weights
(:func:`alignlab._array.bootstrap.resample_weights`, clustered or not) serves every statistic at once.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "LevelLayout",
    "level_moments",
    "cluster_sum_squares",
    "mann_kendall",
    "cusum_statistic",
    "normal_mixture_radius",
]


class LevelLayout:
    """Units sorted by their level of one segment column, with the block boundaries.

    Parameters
    ----------
    codes : array of int, shape (n_units,)
        Level code 0..L-1 of each unit (every unit has one).
    n_levels : int
    """

    def __init__(self, codes: np.ndarray, n_levels: int) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        self.order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=n_levels)
        self.bounds = np.concatenate([[0], np.cumsum(counts)])
        self.n_levels = int(n_levels)


def level_moments(weights_sorted: np.ndarray, columns_sorted: np.ndarray, layout: LevelLayout) -> np.ndarray:
    """Weighted column sums per level: ``out[b, l, k] = sum_{u in level l} w[b, u] * columns[u, k]``.

    Both ``weights_sorted`` (``(b, n)``) and ``columns_sorted`` (``(n, K)``) are already in
    ``layout.order``. One BLAS product per level; memory ``b * L * K``.
    """
    # (L, b, K) so that each level's product writes a contiguous block: matmul into a strided ``out``
    # leaves BLAS for numpy's slow loop (measured 25x slower on 100k units)
    out = np.empty((layout.n_levels, weights_sorted.shape[0], columns_sorted.shape[1]))
    for level in range(layout.n_levels):  # loop over levels (<= a few hundred), never over units
        start, stop = layout.bounds[level], layout.bounds[level + 1]
        if stop > start:
            np.matmul(weights_sorted[:, start:stop], columns_sorted[start:stop], out=out[level])
        else:
            out[level] = 0.0
    return out.transpose(1, 0, 2)


def cluster_sum_squares(influence: np.ndarray, clusters: np.ndarray) -> tuple[float, int]:
    """``sum_g (sum_{i in g} influence_i)**2`` and the number of clusters present.

    The meat of the CR sandwich variance of a mean or a difference of means written as
    ``sum_i influence_i`` (Liang & Zeger 1986; Cameron & Miller 2015). ``clusters`` are non-negative
    integer codes.
    """
    clusters = np.asarray(clusters, dtype=np.int64)
    sums = np.bincount(clusters, weights=influence)
    present = np.bincount(clusters) > 0
    return float(np.sum(sums[present] ** 2)), int(present.sum())


def mann_kendall(x: np.ndarray) -> tuple[float, float, float]:
    """Mann-Kendall ``S``, its variance with the tie correction, and the two-sided p-value.

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var S = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18`` over tie
    groups ``t``; ``Z = (S - sign(S)) / sqrt(Var S)`` (continuity-corrected), p from the normal
    (Mann 1945; Kendall 1975; Hipel & McLeod 1994, eq. 23.30). ``O(n^2)`` memory is fine here: a run
    history has at most a few thousand runs; computed in blocks to bound memory.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    s = 0.0
    block = max(1, 4_000_000 // max(n, 1))
    for start in range(0, n, block):  # rows of the sign matrix in blocks; not a loop over single values
        rows = x[start:start + block]
        signs = np.sign(x[None, :] - rows[:, None])
        idx = np.arange(start, start + rows.size)[:, None]
        s += float(np.sum(np.where(np.arange(n)[None, :] > idx, signs, 0.0)))
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18.0
    if var <= 0:
        return s, float(var), float("nan")
    z = (s - np.sign(s)) / np.sqrt(var)
    return s, float(var), float(2 * stats.norm.sf(abs(z)))


def cusum_statistic(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised CUSUM of each row of ``x`` (shape (B, T)): max over split points and the argmax.

    ``C_k = |sum_{t<=k} (x_t - mean)| / sqrt(k (T - k) / T)`` for ``k = 1..T-1`` — the two-sample
    z-numerator of "before k" vs "after k" up to the common scale (Csorgo & Horvath 1997, sec. 1.4).
    Returns ``(max_k C_k / sd, argmax k)``; dividing by the series' SD makes it scale-free.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    t = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    partial = np.cumsum(centred, axis=1)[:, :-1]
    k = np.arange(1, t)
    scaled = np.abs(partial) / np.sqrt(k * (t - k) / t)
    sd = x.std(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = scaled.max(axis=1) / sd
    return np.where(sd > 0, stat, 0.0), scaled.argmax(axis=1) + 1


def normal_mixture_radius(precision_sum: np.ndarray, alpha: float, rho: float) -> np.ndarray:
    """Half-width of the two-sided normal-mixture confidence sequence for a precision-weighted mean.

    For independent ``x_i ~ N(mu_i, s_i^2)``, ``S_t = sum_i (x_i - mu_i) / s_i^2`` is a Gaussian martingale
    with variance ``V_t = sum_i 1 / s_i^2``. Mixing the exponential supermartingale over ``lambda ~ N(0,
    rho)`` and applying Ville's inequality gives, uniformly over t with probability >= 1 - alpha,
    ``|S_t| <= sqrt((1 + rho V_t) / rho * log((1 + rho V_t) / alpha^2))`` (Robbins 1970; Howard, Ramdas,
    McAuliffe & Sekhon 2021, eq. 14). Dividing by ``V_t`` gives the radius around the weighted mean.
    """
    v = np.asarray(precision_sum, dtype=float)
    return np.sqrt((1 + rho * v) / rho * np.log((1 + rho * v) / alpha**2)) / v
