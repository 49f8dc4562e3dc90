"""Per-slice statistics from sums: means inside/outside, Welch and exact tests, effect sizes.

Every function works on arrays of sums (count, sum w, sum w*y, sum w*y**2, sum w**2), one entry per
slice, so the statistics of hundreds of thousands of slices cost a few vector operations.
Weighted variances use the Kish effective size ``n_eff = (sum w)**2 / sum w**2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["GroupSums", "RowSums", "welch", "binomial_exact", "permutation_pvalues", "standardized_effect"]


@dataclass(frozen=True)
class GroupSums:
    """Sums describing one group of rows per slice (arrays of equal length)."""

    count: np.ndarray
    weight: np.ndarray
    target: np.ndarray
    target_sq: np.ndarray
    weight_sq: np.ndarray

    def __sub__(self, other: GroupSums) -> GroupSums:
        return GroupSums(self.count - other.count, self.weight - other.weight, self.target - other.target,
                         self.target_sq - other.target_sq, self.weight_sq - other.weight_sq)

    def take(self, index: np.ndarray) -> GroupSums:
        return GroupSums(self.count[index], self.weight[index], self.target[index], self.target_sq[index],
                         self.weight_sq[index])

    @classmethod
    def full(cls, totals: dict[str, float], size: int) -> GroupSums:
        return cls(*(np.full(size, totals[k], dtype=float)
                     for k in ("count", "weight", "target", "target_sq", "weight_sq")))

    @classmethod
    def of_rows(cls, y: np.ndarray, w: np.ndarray | None, mask: np.ndarray) -> GroupSums:
        yy = y[mask]
        ww = np.ones_like(yy) if w is None else w[mask]
        return cls(np.array([float(mask.sum())]), np.array([ww.sum()]), np.array([(ww * yy).sum()]),
                   np.array([(ww * yy * yy).sum()]), np.array([(ww * ww).sum()]))

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.target / self.weight

    @property
    def n_eff(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.weight**2 / self.weight_sq

    @property
    def variance(self) -> np.ndarray:
        """Weighted variance with the effective-size correction n_eff / (n_eff - 1)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.maximum(self.target_sq / self.weight - self.mean**2, 0.0)
            neff = self.n_eff
            return raw * neff / (neff - 1.0)


class RowSums:
    """Group sums of arbitrary row masks: one ``(N, 5)`` matrix of 1, w, w*y, w*y**2, w**2, so a
    mask costs one gather-and-sum (or one matrix-vector product) and its complement a subtraction."""

    def __init__(self, y: np.ndarray, w: np.ndarray | None) -> None:
        weights = np.ones_like(y) if w is None else w
        wy = weights * y
        self.matrix = np.column_stack([np.ones_like(y), weights, wy, wy * y, weights * weights])
        self.total = self.matrix.sum(axis=0)

    def _group(self, sums: np.ndarray) -> GroupSums:
        return GroupSums(*(np.array([v]) for v in sums))

    def of(self, mask: np.ndarray) -> GroupSums:
        rows = np.flatnonzero(mask)
        if rows.size * 8 < mask.size:
            sums = self.matrix[rows].sum(axis=0)
        else:
            sums = mask.astype(float) @ self.matrix
        return self._group(sums)

    def outside(self, mask: np.ndarray) -> GroupSums:
        inside = self.of(mask)
        return self._group(self.total) - inside


@dataclass(frozen=True)
class WelchOutcome:
    difference: np.ndarray
    standard_error: np.ndarray
    df: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray


def welch(inside: GroupSums, outside: GroupSums) -> WelchOutcome:
    """Welch's unequal-variance t test of mean(inside) - mean(outside) (two-sided).

    Reference: Welch 1947, Biometrika; matches ``scipy.stats.ttest_ind(equal_var=False)`` without
    weights (a test checks it).
    """
    diff = inside.mean - outside.mean
    with np.errstate(invalid="ignore", divide="ignore"):
        a = inside.variance / inside.n_eff
        b = outside.variance / outside.n_eff
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (inside.n_eff - 1.0) + b**2 / (outside.n_eff - 1.0))
        t = diff / se
    df = np.where(np.isfinite(df), df, 1.0)
    p = 2.0 * stats.t.sf(np.abs(t), df)
    # zero variance on both sides: any difference is certain, none is no evidence
    degenerate = ~(se > 0)
    p = np.where(degenerate, np.where(np.abs(diff) > 0, 0.0, 1.0), p)
    t = np.where(degenerate, np.where(diff > 0, np.inf, np.where(diff < 0, -np.inf, 0.0)), t)
    p = np.where(np.isfinite(diff), p, np.nan)
    return WelchOutcome(diff, se, df, t, np.clip(p, 0.0, 1.0))


def binomial_exact(count: np.ndarray, positives: np.ndarray, rate: float) -> np.ndarray:
    """Two-sided exact binomial test of ``positives`` out of ``count`` against ``rate`` (doubled tail).

    Testing a slice against the overall rate is exact and conservative under random assignment of
    the target to rows (the hypergeometric count is less dispersed than the binomial one). The doubled
    smaller tail matches ``scipy.stats.binomtest(...).pvalue`` up to its likelihood-based two-sided
    rule; it is the rule the lattice's optimistic bound assumes.
    """
    rate = min(max(rate, 1e-300), 1.0 - 1e-16)
    count = np.asarray(count, dtype=float)
    positives = np.asarray(positives, dtype=float)
    # Only the smaller tail is needed: at or above ceil(n p) the count is >= the median, so the lower
    # tail is >= 1/2 and the doubled p-value is min(1, 2 * upper); at or below floor(n p), symmetrically.
    high = positives >= np.ceil(count * rate)
    out = np.empty(count.shape)
    out[high] = stats.binom.sf(positives[high] - 1, count[high], rate)
    out[~high] = stats.binom.cdf(positives[~high], count[~high], rate)
    return np.minimum(1.0, 2.0 * out)


def _random_sequences(n_rows: int, size: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_resamples, size)`` row indices, each row a uniformly random ordered sample without
    replacement, so that its first k entries are a random k-subset for every k <= size."""
    size = min(size, n_rows)
    # few collisions expected (probability ~ k**2 / 2N per row): draw and redraw; else sort random keys
    if size * size > n_rows and n_rows * n_resamples <= 20_000_000:
        keys = rng.random((n_resamples, n_rows))
        part = np.argpartition(keys, size - 1, axis=1)[:, :size] if size < n_rows else \
            np.broadcast_to(np.arange(n_rows), (n_resamples, n_rows))
        order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
        return np.take_along_axis(part, order, axis=1)
    draws = rng.integers(0, n_rows, size=(n_resamples, size))
    while True:  # redraw the (rare, k**2 / 2N) rows with a repeated index
        ordered = np.sort(draws, axis=1)
        bad = (np.diff(ordered, axis=1) == 0).any(axis=1)
        if not bad.any():
            return draws
        draws[bad] = rng.integers(0, n_rows, size=(int(bad.sum()), size))


def permutation_pvalues(
    sizes: np.ndarray,
    differences: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    *,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Permutation p-values of mean(slice) - mean(rest) for slices of the given row ``sizes``.

    Under the null the slice is a random set of its size, so the null distribution depends only on
    the size: ``n_resamples`` random orderings of rows serve every size at once (the first k rows of
    each ordering are a random k-subset; cumulative sums give every k). p = (1 + #{|D*| >= |D|}) /
    (1 + B) (Phipson & Smyth 2010).
    """
    weights = np.ones_like(y) if w is None else w
    wy = weights * y
    total_w, total_wy = weights.sum(), wy.sum()
    k_max = int(sizes.max())
    idx = _random_sequences(len(y), k_max, n_resamples, rng)
    cum_w = np.cumsum(weights[idx], axis=1)
    cum_wy = np.cumsum(wy[idx], axis=1)
    out = np.empty(len(sizes))
    for size in np.unique(sizes):
        s_w, s_wy = cum_w[:, size - 1], cum_wy[:, size - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            null = s_wy / s_w - (total_wy - s_wy) / (total_w - s_w)
        null = np.sort(np.abs(null[np.isfinite(null)]))
        sel = sizes == size
        observed = np.abs(differences[sel])
        tol = 1e-12 * np.maximum(1.0, observed)
        exceed = null.size - np.searchsorted(null, observed - tol, side="left")
        out[sel] = (1.0 + exceed) / (1.0 + null.size)
    return out


def standardized_effect(inside: GroupSums, outside: GroupSums, z: float | np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cohen's d (pooled SD) with the Hedges-Olkin normal interval ``d +- z * se_d``.

    se_d = sqrt(1/n1 + 1/n2 + d**2 / (2 (n1 + n2))) with Kish effective sizes (Hedges & Olkin 1985).
    """
    n1, n2 = inside.n_eff, outside.n_eff
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.sqrt(((n1 - 1) * inside.variance + (n2 - 1) * outside.variance) / (n1 + n2 - 2))
        d = (inside.mean - outside.mean) / pooled
        se = np.sqrt(1 / n1 + 1 / n2 + d**2 / (2 * (n1 + n2)))
        # no spread on either side: d is +-inf (or undefined) and has no interval
        finite = np.isfinite(d)
        return d, np.where(finite, d - z * se, np.nan), np.where(finite, d + z * se, np.nan)
