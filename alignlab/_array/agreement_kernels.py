"""Agreement kernels on plain arrays: per-item sufficient statistics and weight-vector statistics.

Every coefficient is written as a function of **item weights** ``w`` (shape ``(b, n_items)``): a
per-item table of sufficient statistics ``S`` (shape ``(n_items, p)``) is built once, and one
resample costs ``w @ S`` plus O(p) arithmetic. The full-sample estimate is the same function at
``w = 1``, so estimate, bootstrap replicates and the BCa jackknife share one code path.

No pandas here; memory is linear in the number of judgments (no items x items, no values x values
and no raters^2 x items arrays).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "agreement_weights",
    "category_counts",
    "DiscreteAlphaStats",
    "IntervalAlphaStats",
    "GwetFamilyStats",
    "TwoRaterStats",
    "discrete_alpha_stats",
    "interval_alpha_stats",
    "gwet_family_stats",
    "two_rater_stats",
    "pairwise_alpha_distance",
]

WEIGHT_SCHEMES = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar")


def agreement_weights(scheme: str, levels: np.ndarray) -> np.ndarray:
    """Agreement weights ``w_kl`` in [0, 1] (1 on the diagonal) for numeric category ``levels``.

    The schemes are Gwet's (Handbook of Inter-Rater Reliability, 2014, ch. 3) and match irrCAC's
    ``Weights`` on the same (sorted, numeric) levels; ``linear``/``quadratic`` on levels 0..K-1 are
    Cohen's (1968) weights used by scikit-learn and statsmodels.
    """
    x = np.asarray(levels, dtype=float)
    k = x.size
    diff = x[:, None] - x[None, :]
    span = x.max() - x.min()
    if scheme == "identity":
        return np.eye(k)
    if scheme == "linear":
        return 1.0 - np.abs(diff) / span
    if scheme == "quadratic":
        return 1.0 - (diff / span) ** 2
    if scheme == "radical":
        return 1.0 - np.sqrt(np.abs(diff)) / np.sqrt(span)
    if scheme == "ordinal":
        idx = np.arange(k)
        nkl = np.abs(idx[:, None] - idx[None, :]) + 1.0
        raw = nkl * (nkl - 1) / 2
        return 1.0 - raw / raw.max()
    if scheme == "ratio":
        total = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(total != 0, (diff / total) ** 2, 0.0)
        return 1.0 - raw / ((x.max() - x.min()) / (x.max() + x.min())) ** 2
    if scheme == "circular":
        u = span + 1.0
        raw = np.sin(np.pi * diff / u) ** 2
        return 1.0 - raw / raw.max()
    if scheme == "bipolar":
        denom = (x[:, None] + x[None, :] - 2 * x.min()) * (2 * x.max() - x[:, None] - x[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(np.eye(k, dtype=bool), 0.0, diff**2 / denom)
        return 1.0 - raw / raw.max()
    raise ValueError(f"unknown weight scheme {scheme!r}; use one of {WEIGHT_SCHEMES}")


def category_counts(item_codes: np.ndarray, label_codes: np.ndarray, n_items: int, n_categories: int) -> np.ndarray:
    """Items x categories counts ``n_ik`` by one bincount."""
    flat = item_codes.astype(np.int64) * n_categories + label_codes
    return np.bincount(flat, minlength=n_items * n_categories).reshape(n_items, n_categories).astype(float)


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha, discrete values (coincidence matrix)
# --------------------------------------------------------------------------------------------------
def alpha_distance(level: str, levels: np.ndarray, marginals: np.ndarray | None = None) -> np.ndarray:
    """Squared distance ``delta^2_ck`` between values (Krippendorff 2018, ch. 12).

    ``marginals`` (the pairable counts ``n_c``) are needed for the ordinal metric; broadcasting over a
    leading batch axis is supported for them (shape ``(b, K)`` gives ``(b, K, K)``).
    """
    x = np.asarray(levels, dtype=float)
    if level == "nominal":
        return 1.0 - np.eye(x.size)
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        total = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total != 0, ((x[:, None] - x[None, :]) / total) ** 2, 0.0)
    if level == "ordinal":
        if marginals is None:
            raise ValueError("the ordinal metric needs the marginal counts")
        n = np.asarray(marginals, dtype=float)
        # delta_ck = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 = (r_k - r_c)^2 with mid-ranks r_c
        mid = np.cumsum(n, axis=-1) - n / 2.0
        return (mid[..., :, None] - mid[..., None, :]) ** 2
    raise ValueError(f"unknown level {level!r}")


@dataclass(frozen=True)
class DiscreteAlphaStats:
    """Per-item sufficient statistics of Krippendorff's alpha on K discrete values.

    ``pairable_counts`` holds ``n_uc`` of pairable units (m_u >= 2), zero rows elsewhere;
    ``observed`` the per-unit disagreement ``n_u' delta n_u / (m_u - 1)`` for fixed metrics, and
    ``coincidence`` (ordinal only) the per-unit coincidence contributions ``n_uc n_uk / (m_u - 1)``
    flattened to K^2 columns, because the ordinal metric depends on the (resampled) marginals.
    """

    level: str
    levels: np.ndarray
    pairable_counts: np.ndarray
    observed: np.ndarray | None
    coincidence: np.ndarray | None

    def statistic(self, w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        n_c = w @ self.pairable_counts  # (b, K)
        n = n_c.sum(axis=1)
        if self.level == "ordinal":
            k = self.levels.size
            o = (w @ self.coincidence).reshape(-1, k, k)
            delta = alpha_distance("ordinal", self.levels, n_c)
            d_o = np.einsum("bck,bck->b", o, delta)
        else:
            delta = alpha_distance(self.level, self.levels)
            d_o = w @ self.observed
        d_e = np.einsum("bc,ck,bk->b", n_c, delta, n_c) if self.level != "ordinal" else \
            np.einsum("bc,bck,bk->b", n_c, delta, n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - (n - 1.0) * d_o / d_e

    def disagreements(self) -> tuple[float, float]:
        """Observed and expected disagreement ``D_o``, ``D_e`` of the full sample."""
        n_c = self.pairable_counts.sum(axis=0)
        n = n_c.sum()
        if self.level == "ordinal":
            k = self.levels.size
            o = self.coincidence.sum(axis=0).reshape(k, k)
            delta = alpha_distance("ordinal", self.levels, n_c)
            d_o = float((o * delta).sum()) / n
        else:
            delta = alpha_distance(self.level, self.levels)
            d_o = float(self.observed.sum()) / n
        d_e = float(n_c @ delta @ n_c) / (n * (n - 1.0))
        return d_o, d_e


def discrete_alpha_stats(counts: np.ndarray, level: str, levels: np.ndarray) -> DiscreteAlphaStats:
    """Sufficient statistics from the items x values count matrix ``n_uc``."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    scale = np.where(pairable, 1.0 / np.where(pairable, m - 1.0, 1.0), 0.0)
    pairable_counts = counts * pairable[:, None]
    if level == "ordinal":
        k = counts.shape[1]
        coincidence = (counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(k)[None]) \
            * scale[:, None, None]
        return DiscreteAlphaStats(level, np.asarray(levels, float), pairable_counts, None,
                                  coincidence.reshape(len(counts), k * k))
    delta = alpha_distance(level, levels)
    observed = np.einsum("uc,ck,uk->u", counts, delta, counts) * scale
    return DiscreteAlphaStats(level, np.asarray(levels, float), pairable_counts, observed, None)


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha, interval level on any real values: sums of squares, no value x value matrix
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalAlphaStats:
    """Per-unit ``m_u``, ``sum_u`` (centred values) and ``SS_u`` of pairable units.

    alpha = 1 - (n - 1) sum_u [m_u SS_u / (m_u - 1)] / (n SS_tot), SS about the unit and grand means
    (Hayes & Krippendorff 2007; METHODS.md section 1). Values are centred on their global mean first
    so the weighted total sum of squares does not suffer from cancellation.
    """

    m: np.ndarray
    sums: np.ndarray
    ss: np.ndarray

    def statistic(self, w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        n = w @ self.m
        total = w @ self.sums
        with np.errstate(divide="ignore", invalid="ignore"):
            unit_mean = np.where(self.m > 0, self.sums / np.where(self.m > 0, self.m, 1.0), 0.0)
            grand = total / n
            # SS_tot = sum_u w_u [SS_u + m_u (mean_u - grand)^2]
            between = w @ (self.m * unit_mean**2) - 2 * grand * (w @ (self.m * unit_mean)) + grand**2 * n
            ss_tot = w @ self.ss + between
            within = w @ np.where(self.m >= 2, self.m * self.ss / np.where(self.m >= 2, self.m - 1.0, 1.0), 0.0)
            return 1.0 - (n - 1.0) * within / (n * ss_tot)

    def disagreements(self) -> tuple[float, float]:
        n = self.m.sum()
        unit_mean = np.where(self.m > 0, self.sums / np.where(self.m > 0, self.m, 1.0), 0.0)
        grand = self.sums.sum() / n
        ss_tot = float(self.ss.sum() + (self.m * (unit_mean - grand) ** 2).sum())
        within = float(np.where(self.m >= 2, self.m * self.ss / np.where(self.m >= 2, self.m - 1.0, 1.0), 0.0).sum())
        return 2.0 * within / n, 2.0 * ss_tot / (n - 1.0)


def interval_alpha_stats(item_codes: np.ndarray, values: np.ndarray, n_items: int) -> IntervalAlphaStats:
    m_all = np.bincount(item_codes, minlength=n_items).astype(float)
    pairable_row = m_all[item_codes] >= 2
    ic, v = item_codes[pairable_row], values[pairable_row]
    v = v - v.mean() if v.size else v
    m = np.bincount(ic, minlength=n_items).astype(float)
    sums = np.bincount(ic, weights=v, minlength=n_items)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(m > 0, sums / np.where(m > 0, m, 1.0), 0.0)
    ss = np.bincount(ic, weights=(v - mean[ic]) ** 2, minlength=n_items)
    return IntervalAlphaStats(m, sums, ss)


def pairwise_alpha_distance(level: str, values: np.ndarray, counts: np.ndarray, block: int = 2048) -> float:
    """``sum_{c,k} n_c n_k delta_ck`` over distinct values, in blocks (linear memory, quadratic time).

    Used for ratio (and ordinal) alpha on continuous data, where the metric is not a squared
    difference of a fixed transform of the values.
    """
    x = np.asarray(values, float)
    n = np.asarray(counts, float)
    if level == "ordinal":
        mid = np.cumsum(n) - n / 2.0
        # (r_k - r_c)^2 expands into sums: no pairs needed
        total = n.sum()
        return float(2.0 * (total * (n * mid**2).sum() - (n * mid).sum() ** 2))
    out = 0.0
    for start in range(0, x.size, block):
        xs, ns = x[start:start + block], n[start:start + block]
        tot = xs[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(tot != 0, ((xs[:, None] - x[None, :]) / tot) ** 2, 0.0)
        out += float(ns @ d @ n)
    return out


# --------------------------------------------------------------------------------------------------
# Fleiss / Gwet / Brennan-Prediger / percent agreement (the "Gwet family", irrCAC's raw-ratings CAC)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GwetFamilyStats:
    """Per-item statistics of the multi-rater chance-corrected coefficients (Gwet 2014, ch. 2-5).

    ``agree`` holds ``pa_i`` on items with ``r_i >= 2`` (0 elsewhere), ``pairable`` the indicator
    ``r_i >= 2`` and ``shares`` the classification shares ``n_ik / r_i``.
    """

    counts: np.ndarray
    r: np.ndarray
    agree: np.ndarray
    pairable: np.ndarray
    shares: np.ndarray
    weights: np.ndarray
    chance: str

    def _pe(self, pi: np.ndarray) -> np.ndarray:
        k = self.weights.shape[0]
        total_w = self.weights.sum()
        if self.chance == "fleiss":
            return np.einsum("bk,kl,bl->b", pi, self.weights, pi)
        if self.chance == "gwet":
            return total_w * (pi * (1.0 - pi)).sum(axis=1) / (k * (k - 1.0))
        if self.chance == "bp":
            return np.full(pi.shape[0], total_w / k**2)
        if self.chance == "none":
            return np.zeros(pi.shape[0])
        raise ValueError(self.chance)

    def components(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.atleast_2d(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            pa = (w @ self.agree) / (w @ self.pairable)
            pi = (w @ self.shares) / w.sum(axis=1)[:, None]
        return pa, self._pe(pi)

    def statistic(self, w: np.ndarray) -> np.ndarray:
        pa, pe = self.components(w)
        if self.chance == "none":
            return pa
        with np.errstate(divide="ignore", invalid="ignore"):
            return (pa - pe) / (1.0 - pe)

    def analytic_se(self) -> float:
        """Gwet's (2008, 2014) linearisation variance (finite-population factor 1), as irrCAC."""
        n = self.r.size
        ones = np.ones((1, n))
        pa, pe = (float(v[0]) for v in self.components(ones))
        n2 = self.pairable.sum()
        if self.chance == "none":
            # percent agreement: the mean of pa_i over items with r_i >= 2
            dev = (self.agree - pa * self.pairable) * (n / n2)
            return float(np.sqrt((dev**2).sum() / (n * (n - 1.0))))
        coef = (pa - pe) / (1.0 - pe)
        coef_i = (n / n2) * (self.agree - pe * self.pairable) / (1.0 - pe)
        pi = self.shares.mean(axis=0)
        k = self.weights.shape[0]
        if self.chance == "gwet":
            pe_i = self.weights.sum() / (k * (k - 1.0)) * (self.shares @ (1.0 - pi))
        elif self.chance == "fleiss":
            pi_w = (self.weights @ pi + self.weights.T @ pi) / 2.0
            pe_i = self.shares @ pi_w
        else:  # Brennan-Prediger: fixed chance agreement, no correction term
            pe_i = np.full(n, pe)
        coef_x = coef_i - 2.0 * (1.0 - coef) * (pe_i - pe) / (1.0 - pe)
        return float(np.sqrt(((coef_x - coef) ** 2).sum() / (n * (n - 1.0))))


def gwet_family_stats(counts: np.ndarray, weights: np.ndarray, chance: str) -> GwetFamilyStats:
    """Statistics from the items x categories counts (every item has at least one rating)."""
    r = counts.sum(axis=1)
    weighted = counts @ weights.T  # r*_ik = sum_l w_kl n_il
    sum_q = (counts * (weighted - 1.0)).sum(axis=1)
    pairable = (r >= 2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        agree = np.where(r >= 2, sum_q / np.where(r >= 2, r * (r - 1.0), 1.0), 0.0)
        shares = counts / r[:, None]
    return GwetFamilyStats(counts, r, agree, pairable, shares, weights, chance)


# --------------------------------------------------------------------------------------------------
# two raters: Cohen's kappa
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TwoRaterStats:
    """Per-item statistics of Cohen's (weighted) kappa: agreement weight of the pair and the two
    one-hot category indicators (2K + 1 columns)."""

    agreement: np.ndarray
    first: np.ndarray
    second: np.ndarray
    weights: np.ndarray

    def components(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.atleast_2d(w)
        total = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_o = (w @ self.agreement) / total
            row = (w @ self.first) / total[:, None]
            col = (w @ self.second) / total[:, None]
        p_e = np.einsum("bk,kl,bl->b", row, self.weights, col)
        return p_o, p_e

    def statistic(self, w: np.ndarray) -> np.ndarray:
        p_o, p_e = self.components(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (p_o - p_e) / (1.0 - p_e)

    def table(self) -> np.ndarray:
        return self.first.T @ self.second


def two_rater_stats(first: np.ndarray, second: np.ndarray, weights: np.ndarray) -> TwoRaterStats:
    k = weights.shape[0]
    eye = np.eye(k)
    return TwoRaterStats(weights[first, second], eye[first], eye[second], weights)


StatisticFn = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha on many distinct values (continuous scores): sparse item x value counts
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SparseAlphaStats:
    """Alpha for nominal, ordinal or ratio level on V distinct values without a V x V matrix.

    ``counts`` is a CSR items x values matrix of pairable units. Nominal uses
    ``D_e ∝ n^2 - sum n_c^2``; ordinal the mid-rank identity ``delta_ck = (r_k - r_c)^2`` (sums of
    powers of ranks, linear time); ratio sums the metric over distinct value pairs in blocks
    (quadratic time, linear memory). Replicates loop over weight rows (one sparse product each).
    """

    level: str
    levels: np.ndarray
    counts: object  # scipy.sparse.csr_matrix
    m: np.ndarray
    fixed_observed: np.ndarray | None

    def _one(self, w: np.ndarray) -> float:
        n_c = self.counts.T @ w
        n = n_c.sum()
        if self.level == "nominal":
            d_e = n * n - float(n_c @ n_c)
            d_o = float(w @ self.fixed_observed)
        elif self.level == "ordinal":
            mid = np.cumsum(n_c) - n_c / 2.0
            d_e = 2.0 * (n * float(n_c @ mid**2) - float(n_c @ mid) ** 2)
            s1 = self.counts @ mid
            s2 = self.counts @ mid**2
            with np.errstate(divide="ignore", invalid="ignore"):
                per_unit = np.where(self.m >= 2, 2.0 * (self.m * s2 - s1**2) / np.where(self.m >= 2, self.m - 1.0, 1.0),
                                    0.0)
            d_o = float(w @ per_unit)
        else:
            d_e = pairwise_alpha_distance(self.level, self.levels, n_c)
            d_o = float(w @ self.fixed_observed)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - (n - 1.0) * d_o / d_e if d_e > 0 else np.nan

    def statistic(self, w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        return np.array([self._one(row) for row in w])

    def disagreements(self) -> tuple[float, float]:
        ones = np.ones(self.counts.shape[0])
        n_c = np.asarray(self.counts.sum(axis=0)).ravel()
        n = n_c.sum()
        alpha = self._one(ones)
        if self.level == "nominal":
            d_e = (n * n - float(n_c @ n_c)) / (n * (n - 1.0))
        elif self.level == "ordinal":
            mid = np.cumsum(n_c) - n_c / 2.0
            d_e = 2.0 * (n * float(n_c @ mid**2) - float(n_c @ mid) ** 2) / (n * (n - 1.0))
        else:
            d_e = pairwise_alpha_distance(self.level, self.levels, n_c) / (n * (n - 1.0))
        return (1.0 - alpha) * d_e, d_e


def sparse_alpha_stats(item_codes: np.ndarray, value_codes: np.ndarray, levels: np.ndarray, n_items: int,
                       level: str) -> SparseAlphaStats:
    import scipy.sparse as sp

    m_all = np.bincount(item_codes, minlength=n_items).astype(float)
    keep = m_all[item_codes] >= 2
    ic, vc = item_codes[keep], value_codes[keep]
    counts = sp.csr_matrix((np.ones(ic.size), (ic, vc)), shape=(n_items, levels.size))
    counts.sum_duplicates()
    m = np.where(m_all >= 2, m_all, 0.0)
    fixed = None
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(m >= 2, 1.0 / np.where(m >= 2, m - 1.0, 1.0), 0.0)
    if level == "nominal":
        sq = np.asarray(counts.multiply(counts).sum(axis=1)).ravel()
        fixed = (m * m - sq) * inv
    elif level == "ratio":
        coo = counts.tocoo()
        order = np.lexsort((coo.col, coo.row))
        rows, cols, data = coo.row[order], coo.col[order], coo.data[order]
        lengths = np.bincount(rows, minlength=n_items)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        first = np.repeat(np.arange(rows.size), lengths[rows])
        offsets = np.arange(first.size) - np.repeat(np.cumsum(lengths[rows]) - lengths[rows], lengths[rows])
        second = starts[rows[first]] + offsets
        a, b = levels[cols[first]], levels[cols[second]]
        tot = a + b
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(tot != 0, ((a - b) / tot) ** 2, 0.0) * data[first] * data[second]
        fixed = np.bincount(rows[first], weights=d, minlength=n_items) * inv
    return SparseAlphaStats(level, np.asarray(levels, float), counts, m, fixed)


# --------------------------------------------------------------------------------------------------
# cross-group alpha: agreement between two groups of raters (e.g. LLM judges vs humans)
# --------------------------------------------------------------------------------------------------
def cross_group_coincidence(counts_a: np.ndarray, counts_b: np.ndarray) -> np.ndarray:
    """Per-unit coincidences of pairs that cross the groups, flattened to K^2 columns.

    A unit with ``a_u`` values from group A and ``b_u`` from group B contributes
    ``(a_u + b_u) / (2 a_u b_u) (n^A_uc n^B_uk + n^B_uc n^A_uk)``: symmetric, summing to ``m_u`` like
    Krippendorff's ``1/(m_u - 1)`` weighting, and equal to it for one value per group.
    """
    a = counts_a.sum(axis=1)
    b = counts_b.sum(axis=1)
    ok = (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(ok, (a + b) / np.where(ok, 2.0 * a * b, 1.0), 0.0)
    outer = counts_a[:, :, None] * counts_b[:, None, :]
    sym = (outer + outer.transpose(0, 2, 1)) * scale[:, None, None]
    return sym.reshape(len(a), -1)


@dataclass(frozen=True)
class CoincidenceAlphaStats:
    """Alpha from per-unit coincidence contributions (K^2 columns) for any level."""

    level: str
    levels: np.ndarray
    coincidence: np.ndarray

    def statistic(self, w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        k = self.levels.size
        o = (w @ self.coincidence).reshape(-1, k, k)
        n_c = o.sum(axis=2)
        n = n_c.sum(axis=1)
        if self.level == "ordinal":
            delta = alpha_distance("ordinal", self.levels, n_c)
            d_o = np.einsum("bck,bck->b", o, delta)
            d_e = np.einsum("bc,bck,bk->b", n_c, delta, n_c)
        else:
            delta = alpha_distance(self.level, self.levels)
            d_o = np.einsum("bck,ck->b", o, delta)
            d_e = np.einsum("bc,ck,bk->b", n_c, delta, n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - (n - 1.0) * d_o / d_e

    def disagreements(self) -> tuple[float, float]:
        alpha = float(self.statistic(np.ones((1, self.coincidence.shape[0])))[0])
        k = self.levels.size
        o = self.coincidence.sum(axis=0).reshape(k, k)
        n_c = o.sum(axis=1)
        n = n_c.sum()
        delta = alpha_distance(self.level, self.levels, n_c if self.level == "ordinal" else None)
        d_e = float(n_c @ delta @ n_c) / (n * (n - 1.0))
        return (1.0 - alpha) * d_e, d_e


@dataclass(frozen=True)
class CrossIntervalAlphaStats:
    """Cross-group interval alpha on real values from per-unit group sums (no value matrix).

    Cross pairs of unit u: ``sum_{i in A, j in B} (x_i - x_j)^2 = b SS_A + a SS_B + a b (mean_A - mean_B)^2``;
    D_o weights it by ``(a + b) / (a b)`` (both orders, times the coincidence scale); D_e uses each
    A value with weight ``(a + b) / (2a)`` and each B value with ``(a + b) / (2b)`` (the row sums of
    the cross coincidences).
    """

    observed: np.ndarray  # per unit: (a+b)/(ab) * cross sum of squares
    weight_sum: np.ndarray  # per unit: sum of value weights (= m_u on units with both groups)
    weighted_sum: np.ndarray  # per unit: sum of weight * x
    weighted_sq: np.ndarray  # per unit: sum of weight * x^2

    def statistic(self, w: np.ndarray) -> np.ndarray:
        w = np.atleast_2d(w)
        n = w @ self.weight_sum
        s1 = w @ self.weighted_sum
        s2 = w @ self.weighted_sq
        ss_tot = s2 - s1**2 / n
        with np.errstate(divide="ignore", invalid="ignore"):
            # D_o = sum o delta / n, D_e = 2 n SS_tot / (n (n - 1))
            return 1.0 - (n - 1.0) * (w @ self.observed) / (2.0 * n * ss_tot)

    def disagreements(self) -> tuple[float, float]:
        n = self.weight_sum.sum()
        ss_tot = self.weighted_sq.sum() - self.weighted_sum.sum() ** 2 / n
        return float(self.observed.sum()) / n, 2.0 * ss_tot / (n - 1.0)


def cross_interval_alpha_stats(item_codes: np.ndarray, values: np.ndarray, in_a: np.ndarray,
                               n_items: int) -> CrossIntervalAlphaStats:
    v = values - values.mean()
    out = {}
    for name, mask in (("a", in_a), ("b", ~in_a)):
        cnt = np.bincount(item_codes[mask], minlength=n_items).astype(float)
        tot = np.bincount(item_codes[mask], weights=v[mask], minlength=n_items)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(cnt > 0, tot / np.where(cnt > 0, cnt, 1.0), 0.0)
        ss = np.bincount(item_codes[mask], weights=(v[mask] - mean[item_codes[mask]]) ** 2, minlength=n_items)
        out[name] = (cnt, tot, mean, ss)
    a, tot_a, mean_a, ss_a = out["a"]
    b, tot_b, mean_b, ss_b = out["b"]
    ok = (a > 0) & (b > 0)
    safe_a, safe_b = np.where(ok, a, 1.0), np.where(ok, b, 1.0)
    cross = b * ss_a + a * ss_b + a * b * (mean_a - mean_b) ** 2
    observed = np.where(ok, (a + b) / (safe_a * safe_b) * cross, 0.0)
    wa = np.where(ok, (a + b) / (2 * safe_a), 0.0)
    wb = np.where(ok, (a + b) / (2 * safe_b), 0.0)
    sq_a = ss_a + a * mean_a**2
    sq_b = ss_b + b * mean_b**2
    return CrossIntervalAlphaStats(
        observed=observed,
        weight_sum=np.where(ok, a + b, 0.0),
        weighted_sum=wa * tot_a + wb * tot_b,
        weighted_sq=wa * sq_a + wb * sq_b,
    )
