"""Is judge A more aligned with the humans than judge B? PERM-BOTH, Williams' test, significance clusters."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse, stats
from threadpoolctl import threadpool_limits

from alignlab._array.alignment_rows import rows_statistic
from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.alignment._data import consensus_scores, per_item_scores, resolve, weights_ignored
from alignlab.alignment._results import CompareJudgesResult
from alignlab.alignment.correlation import correlate
from alignlab.data.judgments import Judgments

if TYPE_CHECKING:
    from alignlab.alignment.judges import JudgeConfigComparison

__all__ = ["compare_judges", "perm_both", "williams_test", "significance_clusters"]


def williams_test(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t for ``corr(M1, H) = r13`` vs ``corr(M2, H) = r23`` sharing H, ``r12 = corr(M1, M2)``.

    Returns ``(t, p)``, the one-sided p-value that r13 > r23 (df = n - 3). Graham & Baldwin 2014;
    Steiger 1980, Psychol. Bull. eq. 6.
    """
    k = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    denominator = 2 * k * (n - 1) / (n - 3) + ((r23 + r13) ** 2 / 4) * (1 - r12) ** 3
    t = (r13 - r23) * math.sqrt((n - 1) * (1 + r12)) / math.sqrt(denominator)
    return t, float(stats.t.sf(t, n - 3))


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / (sd if sd > 0 else 1.0)


class _Generic:
    """Any statistic(x (b, n), h (n,)) -> (b,), evaluated on the permuted metric arrays."""

    def __init__(self, func: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.func = func

    def deltas(self, z1: np.ndarray, z2: np.ndarray, h: np.ndarray, swap: np.ndarray) -> np.ndarray:
        return self.func(np.where(swap, z1, z2), h) - self.func(np.where(swap, z2, z1), h)


def _row_group_sums(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-row sums by group of a ``(b, n)`` array: ``(b, n_groups)`` by one bincount."""
    b = values.shape[0]
    flat = (group[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_groups).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=b * n_groups).reshape(b, n_groups)


class _GroupPearson:
    """Mean over groups of the within-group Pearson r (one group = item level), linear in the swap mask.

    Swapping a cell's two metric scores changes every group sum by ``swap * (z2 - z1)`` terms, so the
    permuted sums are a few grouped sums per permutation batch instead of re-computed correlations.
    """

    def __init__(self, group: np.ndarray, n_groups: int) -> None:
        self.group, self.n_groups = group, n_groups

    def _sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.group, weights=values, minlength=self.n_groups)

    def deltas(self, z1: np.ndarray, z2: np.ndarray, h: np.ndarray, swap: np.ndarray) -> np.ndarray:
        n = self._sums(np.ones_like(h))
        h1, h2 = self._sums(h), self._sums(h * h)
        d, e = z2 - z1, z2 * z2 - z1 * z1
        if self.n_groups == 1:  # item level: plain dot products
            u, v, w = (swap @ d)[:, None], (swap @ e)[:, None], (swap @ (d * h))[:, None]
        else:
            sw = swap.astype(float)
            u = _row_group_sums(sw * d, self.group, self.n_groups)
            v = _row_group_sums(sw * e, self.group, self.n_groups)
            w = _row_group_sums(sw * (d * h), self.group, self.n_groups)

        def mean_r(s: np.ndarray, q: np.ndarray, p: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                r = (n * p - s * h1) / np.sqrt((n * q - s * s) * (n * h2 - h1 * h1))
            return np.nanmean(np.where(n >= 2, r, np.nan), axis=1)

        r1 = mean_r(self._sums(z1) + u, self._sums(z1 * z1) + v, self._sums(z1 * h) + w)
        r2 = mean_r(self._sums(z2) - u, self._sums(z2 * z2) - v, self._sums(z2 * h) - w)
        return r2 - r1


class _SystemMeans:
    """Any statistic between per-system means; the permuted means are linear in the swap mask."""

    def __init__(self, system: np.ndarray, n_sys: int, statistic: str) -> None:
        self.system, self.n_sys = system, n_sys
        self.count = np.bincount(system, minlength=n_sys).astype(float)
        self.statistic = statistic

    def deltas(self, z1: np.ndarray, z2: np.ndarray, h: np.ndarray, swap: np.ndarray) -> np.ndarray:
        u = _row_group_sums(swap.astype(float) * (z2 - z1), self.system, self.n_sys)
        base1 = np.bincount(self.system, weights=z1, minlength=self.n_sys)
        base2 = np.bincount(self.system, weights=z2, minlength=self.n_sys)
        m1, m2 = (base1 + u) / self.count, (base2 - u) / self.count
        hs = (np.bincount(self.system, weights=h, minlength=self.n_sys) / self.count)[None]
        return rows_statistic(m2, hs, self.statistic) - rows_statistic(m1, hs, self.statistic)


class _GroupedPairs:
    """Item-grouped pair statistics (kendall_b, acc_eq with epsilon = 0, pairwise_accuracy) for all
    permutations at once.

    Within an input (group), the sign of a pair of cells (c, d) of the permuted metric 1 depends only on
    the two cells' swap bits: ``f(s_c, s_d)`` takes one of four precomputed values, so any per-pair
    quantity ``q`` (``sign_x * sign_y`` for S, ``|sign_x|`` for the untied metric pairs, ``sign_x ==
    sign_y`` for acc_eq) is the polynomial ``a + b s_c + c s_d + e s_c s_d``. Summed over a group's pairs
    it is ``A_g + lin . s + s' D_g s``: the linear part is one sparse product per permutation batch and
    the quadratic part one small batched matrix product (systems x systems per group). Metric 2 is metric
    1 with every swap bit flipped, ``Q(1 - s)``, which reuses the same products. All counts are small
    integers, exact in float32.
    """

    def __init__(self, statistic: str, system: np.ndarray, group: np.ndarray, n_sys: int, n_groups: int) -> None:
        self.statistic = statistic
        self.system, self.group = system, group
        self.n_sys, self.n_groups = n_sys, n_groups
        self.cell = np.full((n_groups, n_sys), -1, dtype=np.int64)
        self.cell[group, system] = np.arange(len(group))
        # permutations per batch: keep the (groups, batch, systems) float32 arrays to ~32 MB
        self.batch = max(1, min(1000, 8_000_000 // max(n_groups * n_sys * 2, 1)))

    def _quantities(self, z1: np.ndarray, z2: np.ndarray, h: np.ndarray) -> tuple:
        iu, ju = np.triu_indices(self.n_sys, 1)
        ci, cj = self.cell[:, iu], self.cell[:, ju]  # (groups, pairs)
        hd = np.full((self.n_groups, self.n_sys), np.nan)
        hd[self.group, self.system] = h
        valid = (ci >= 0) & (cj >= 0) & np.isfinite(hd[:, iu]) & np.isfinite(hd[:, ju])
        sy = np.where(valid, np.sign(np.nan_to_num(hd[:, iu] - hd[:, ju])), 0.0)
        ci_, cj_ = np.where(valid, ci, 0), np.where(valid, cj, 0)
        # f[s_c, s_d]: sign of metric 1's difference when cell c holds z2 (s_c = 1) or z1 (s_c = 0)
        values = (z1, z2)
        f = {(a, b): np.where(valid, np.sign(values[a][ci_] - values[b][cj_]), 0.0) for a in (0, 1) for b in (0, 1)}
        if self.statistic == "kendall_b":
            per_pair = [{k: v * sy for k, v in f.items()}, {k: np.abs(v) for k, v in f.items()}]
        else:  # acc_eq (epsilon 0) and pairwise accuracy: correct when the signs agree (ties with ties)
            per_pair = [{k: ((v == sy) & valid).astype(float) for k, v in f.items()}]
        forms = []
        n_cells = len(self.group)
        for q in per_pair:
            a = q[0, 0]
            b_ = q[1, 0] - a
            c_ = q[0, 1] - a
            e = q[1, 1] - q[1, 0] - q[0, 1] + a
            constant = a.sum(axis=1)
            linear = (np.bincount(ci_[valid], weights=b_[valid], minlength=n_cells)
                      + np.bincount(cj_[valid], weights=c_[valid], minlength=n_cells))
            quad = np.zeros((self.n_groups, self.n_sys, self.n_sys))
            quad[:, iu, ju] = e
            forms.append((constant, linear, quad))
        sy_count = (sy != 0).sum(axis=1).astype(float)
        n_pairs = valid.sum(axis=1).astype(float)
        # everything that does not depend on the permutations, computed once per perm_both call
        quad_all = np.concatenate([quad for _, _, quad in forms], axis=2).astype(np.float32)  # (groups, sys, k*sys)
        fixed = [(constant, linear, (quad.sum(axis=2) + quad.sum(axis=1))[self.group, self.system],
                  constant + np.bincount(self.group, weights=linear, minlength=self.n_groups) + quad.sum(axis=(1, 2)))
                 for constant, linear, quad in forms]  # (D + D') 1 at each cell; Q(1) per group
        member = sparse.csr_array((np.ones(n_cells), (np.arange(n_cells), self.group)),
                                  shape=(n_cells, self.n_groups))
        return fixed, quad_all, member, sy_count, n_pairs

    def deltas(self, z1: np.ndarray, z2: np.ndarray, h: np.ndarray, swap: np.ndarray) -> np.ndarray:
        key = (id(z1), id(z2), id(h))
        if getattr(self, "_key", None) != key:  # perm_both passes the same arrays for every batch
            self._key, self._cached = key, self._quantities(z1, z2, h)
        fixed, quad_all, member, sy_count, n_pairs = self._cached
        b = swap.shape[0]
        s = swap.astype(np.float32)
        dense = np.zeros((self.n_groups, b, self.n_sys), dtype=np.float32)
        dense[self.group, :, self.system] = s.T
        products = np.matmul(dense, quad_all)  # (groups, b, k*sys)
        s_float = s.T.astype(float)
        results = []
        for index, (constant, linear, flip, total) in enumerate(fixed):
            part = products[:, :, index * self.n_sys:(index + 1) * self.n_sys]
            s_quad_s = np.einsum("gbk,gbk->bg", part, dense, dtype=float)
            lin_s = (member.T @ (s_float * linear[:, None])).T  # (b, groups)
            flip_s = (member.T @ (s_float * flip[:, None])).T
            q1 = constant + lin_s + s_quad_s
            q2 = total - lin_s - flip_s + s_quad_s  # metric 2: Q(1 - s)
            results.append((q1, q2))
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.statistic == "kendall_b":
                (s1, s2), (n1, n2) = results
                t1, t2 = s1 / np.sqrt(n1 * sy_count), s2 / np.sqrt(n2 * sy_count)
            else:
                (c1, c2), = results
                t1 = np.where(n_pairs > 0, c1 / n_pairs, np.nan)
                t2 = np.where(n_pairs > 0, c2 / n_pairs, np.nan)
            return _nanmean_rows(t2) - _nanmean_rows(t1)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean of the finite entries of each row (NaN when none), without numpy's empty-slice warning."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, values, 0.0).sum(axis=1) / count


def perm_both(
    m1: np.ndarray, m2: np.ndarray, human: np.ndarray, statistic: Any,
    *, n_permutations: int, rng: np.random.Generator, batch: int | None = None,
) -> tuple[float, float]:
    """PERM-BOTH (Deutsch, Dror & Roth 2021): p-value that ``statistic(m2, H) > statistic(m1, H)``.

    ``m1``, ``m2``, ``human`` are 1-D arrays over the common (system, item) cells; each metric is z-scored
    and, per permutation, every cell's two metric scores are swapped with probability 1/2.
    ``statistic`` is ``statistic(x (b, n), h (n,)) -> (b,)`` or one of the swap-linear evaluators built by
    ``_cell_statistic``. Returns ``(delta, p)`` with ``p = (1 + #{delta* >= delta}) / (1 + B)``.
    """
    evaluator = statistic if hasattr(statistic, "deltas") else _Generic(statistic)
    z1, z2 = _zscore(m1), _zscore(m2)
    if batch is None:  # keep a batch of permuted arrays (and their pair arrays) to a few hundred MB
        batch = getattr(evaluator, "batch", max(1, min(100, 1_000_000 // max(z1.size, 1))))
    with threadpool_limits(1):  # small products: multi-threaded BLAS only oversubscribes
        observed = float(evaluator.deltas(z1, z2, human, np.zeros((1, z1.size), dtype=bool))[0])
        exceed = 0
        done = 0
        while done < n_permutations:
            size = min(batch, n_permutations - done)
            swap = rng.random((size, z1.size)) < 0.5
            delta = evaluator.deltas(z1, z2, human, swap)
            exceed += int((delta >= observed - 1e-12).sum())
            done += size
    return observed, (1 + exceed) / (1 + n_permutations)


def significance_clusters(scores: pd.Series, better_p: Callable[[Any, Any], float], alpha: float = 0.05) -> pd.Series:
    """Rank clusters as mt-metrics-eval: sorted by score, a new cluster opens at metric i when any member of
    the current cluster beats it at ``p <= alpha``. Returns the cluster number (1 = best) per name."""
    order = scores.sort_values(ascending=False).index
    cluster: dict[Any, int] = {}
    current: list[Any] = []
    rank = 1
    for name in order:
        if current and any(better_p(member, name) <= alpha for member in current):
            rank += 1
            current = []
        current.append(name)
        cluster[name] = rank
    return pd.Series(cluster, name="cluster").reindex(scores.index)


def _cell_statistic(level: str, statistic: str, system: np.ndarray | None, group: np.ndarray | None,
                    n_sys: int, n_groups: int, n_cells: int) -> Any:
    """The PERM-BOTH evaluator of ``statistic`` at ``level`` on the common cells."""
    if level == "system":
        return _SystemMeans(system, n_sys, statistic)
    if statistic == "pearson":
        if level == "item":
            return _GroupPearson(np.zeros(n_cells, dtype=np.int64), 1)
        return _GroupPearson(group, n_groups)
    if level == "item":
        def item_stat(x: np.ndarray, h: np.ndarray) -> np.ndarray:
            if statistic == "spearman":
                return rows_statistic(stats.rankdata(x, axis=1), np.broadcast_to(stats.rankdata(h), x.shape),
                                      "pearson")
            if statistic in ("kendall_b", "kendall_c"):  # O(n log n) per permutation in scipy
                return np.array([stats.kendalltau(row, h, variant=statistic[-1]).statistic for row in x])
            raise InvalidParameterError("PERM-BOTH at level='item' supports pearson, spearman, kendall_b and kendall_c.")
        return _Generic(item_stat)

    if statistic in ("kendall_b", "acc_eq", "pairwise_accuracy"):
        return _GroupedPairs(statistic, system, group, n_sys, n_groups)
    return _grouped_generic(statistic, system, group, n_sys, n_groups)


def _grouped_generic(statistic: str, system: np.ndarray, group: np.ndarray, n_sys: int, n_groups: int) -> _Generic:
    """Item-grouped statistic re-computed on every permuted array (any statistic; the reference path)."""

    def grouped_stat(x: np.ndarray, h: np.ndarray) -> np.ndarray:
        dense = np.full((x.shape[0], n_groups, n_sys), np.nan)
        dense[:, group, system] = x
        hd = np.full((n_groups, n_sys), np.nan)
        hd[group, system] = h
        return _nanmean_rows(rows_statistic(dense, hd[None], statistic))
    return _Generic(grouped_stat)


@validate_params({
    "judgments": [Judgments],
    "raters": [list, tuple],
    "reference": ["str-or-list"],
    "by": [Options(("strategy", "judge_model", "all")), None],
    "level": [Options(("item", "item_grouped", "system"))],
    "statistic": [Options(("pearson", "spearman", "kendall_b", "kendall_c", "acc_eq", "pairwise_accuracy"))],
    "group": [str, None],
    "consensus": [pd.DataFrame, None],
    "alpha": [Interval("real", 0, 1, closed="neither")],
    "n_permutations": [Interval("integral", 10, None)],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def compare_judges(
    judgments: Judgments,
    *,
    raters: Sequence[str],
    reference: str | Sequence[str] = "human",
    by: Literal["strategy", "judge_model", "all"] | None = None,
    level: Literal["item", "item_grouped", "system"] = "item",
    statistic: Literal["pearson", "spearman", "kendall_b", "kendall_c", "acc_eq", "pairwise_accuracy"] = "pearson",
    group: str | None = None,
    consensus: pd.DataFrame | None = None,
    alpha: float = 0.05,
    n_permutations: int = 1000,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> CompareJudgesResult | JudgeConfigComparison:
    """Rank judges by their correlation with the humans, with PERM-BOTH tests and significance clusters.

    Parameters
    ----------
    raters : list of str
        Rater ids or method names, one entry per judge (a method name averages its raters).
    reference : str or list of str, default "human"
        The reference (a method name or rater ids), averaged per item; or ``consensus``; or ``"gold"``.
    by : {"strategy", "judge_model", "all"}, optional
        Compare judge *configurations* by accuracy against gold (or the human majority) with paired
        McNemar tests on the same items, Benjamini-Hochberg across the pairs:
        :func:`alignlab.alignment.judges.compare_judge_configs` (``"strategy"``: strategies within a
        model and models within a strategy). ``reference="gold"`` without ``by`` compares every pair. With
        ``by``, the default reference is gold when the table has a gold column, else the human majority.
    level, statistic, group
        As :func:`correlate`. ``acc_eq`` uses epsilon = 0 here: each metric would keep its own calibrated
        epsilon, which the swap test does not preserve.
    alpha : float
        Significance level of the clusters.
    n_permutations : int
        PERM-BOTH permutations per judge pair.

    Returns
    -------
    CompareJudgesResult
        ``table``: one row per judge with its correlation, bootstrap interval, cluster and rank;
        ``pairs``: PERM-BOTH p-value (one-sided, better > worse) and, for Pearson at item level,
        Williams' test.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.alignment import compare_judges
    >>> j = alignlab.datasets.load("hanna").subset(items=[f"{i}:Coherence" for i in range(400)])
    >>> res = compare_judges(j, raters=["ChatGPT", "Llama-13B"], n_permutations=200, n_resamples=200,
    ...                      random_state=0)
    >>> list(res.table.columns)[:4]
    ['judge', 'estimate', 'ci_low', 'ci_high']
    """
    if by is not None or (isinstance(reference, str) and reference == "gold"):
        from alignlab.alignment.judges import compare_judge_configs

        # the default reference "human" means: gold when the table has it, else the human majority
        chosen = None if isinstance(reference, str) and reference == "human" else reference
        return compare_judge_configs(judgments, raters=list(raters), reference=chosen, by=by or "all", alpha=alpha,
                                     confidence_level=confidence_level, n_resamples=n_resamples,
                                     random_state=random_state)
    rng = check_random_state(random_state)
    if len(raters) < 2:
        raise DataError("compare_judges needs at least two judges; use correlate for one.")
    names = [str(x) for x in raters]
    scores = {name: per_item_scores(judgments, resolve(judgments, spec, "raters"), label=name) for name, spec in zip(names, raters,
                                                                                                    strict=True)}
    human = consensus_scores(judgments, reference, consensus)
    common = human.index
    for s in scores.values():
        common = common.intersection(s.index)
    if len(common) < 3:
        raise DataError(f"Only {len(common)} items are scored by every judge and the humans; need at least 3.")
    sub = judgments.subset(items=list(common))
    info = sub.item_info.set_index("item_id").loc[common]
    system = group_codes = None
    n_sys = n_groups = 0
    if level in ("system", "item_grouped"):
        if "system" not in info.columns:
            raise InvalidParameterError(f"level={level!r} needs a 'system' column.")
        codes, uniq = pd.factorize(info["system"], sort=True)
        system, n_sys = codes.astype(np.int64), len(uniq)
    if level == "item_grouped":
        if group is None or group not in sub.frame.columns:
            raise InvalidParameterError("level='item_grouped' needs group=COLUMN naming the shared input.")
        first = sub.frame.drop_duplicates("item_id").set_index("item_id")[group].loc[common]
        gcodes, guniq = pd.factorize(first, sort=True)
        group_codes, n_groups = gcodes.astype(np.int64), len(guniq)
    h = human.loc[common].to_numpy(dtype=float)
    values = {name: s.loc[common].to_numpy(dtype=float) for name, s in scores.items()}
    cell_stat = _cell_statistic(level, statistic, system, group_codes, n_sys, n_groups, len(common))

    rows = []
    for name, spec in zip(names, raters, strict=True):
        r = correlate(sub, raters=spec, reference=reference, level=level, statistic=statistic, group=group, consensus=consensus,
                      epsilon=0.0 if statistic == "acc_eq" else None, confidence_level=confidence_level,
                      n_resamples=n_resamples, random_state=rng,
                      ci_method="percentile" if level != "item" else "bca")
        rows.append({"judge": name, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "ci_method": r.ci_method})
    table = pd.DataFrame(rows)
    p_better: dict[tuple[str, str], float] = {}
    pair_rows = []
    corr = {name: float(rows_statistic(values[name], h, "pearson")) for name in names}
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            est = table.set_index("judge")["estimate"]
            better, worse = (first, second) if est[first] >= est[second] else (second, first)
            delta, p = perm_both(values[worse], values[better], h, cell_stat, n_permutations=n_permutations, rng=rng)
            p_better[(better, worse)] = p
            p_better[(worse, better)] = 1.0
            p_w = math.nan
            if statistic == "pearson" and level == "item" and len(common) > 3:
                r12 = float(rows_statistic(values[better], values[worse], "pearson"))
                _, p_w = williams_test(r12, corr[better], corr[worse], len(common))
            pair_rows.append({"better": better, "worse": worse, "delta": delta, "p_value": p,
                              "p_value_williams": p_w})
    est = table.set_index("judge")["estimate"]
    clusters = significance_clusters(est, lambda x, y: p_better.get((x, y), 1.0), alpha)
    table["cluster"] = clusters.to_numpy()
    table["rank"] = est.rank(ascending=False, method="min").to_numpy().astype(int)
    table = table.sort_values(["cluster", "estimate"], ascending=[True, False]).reset_index(drop=True)
    ignored = weights_ignored(judgments, "compare_judges", "PERM-BOTH swaps judges' scores cell by cell, an unweighted "
                              "permutation test (the table's correlations follow correlate's weighting)")
    return CompareJudgesResult(
        warnings=() if ignored is None else (ignored,),
        table=table[["judge", "estimate", "ci_low", "ci_high", "cluster", "rank", "ci_method"]],
        pairs=pd.DataFrame(pair_rows), statistic=statistic, level=level, n_permutations=n_permutations,
        method=f"compare_judges[{statistic}, {level}; PERM-BOTH {n_permutations}]",
        confidence_level=confidence_level,
    )
