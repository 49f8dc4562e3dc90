"""Judges validated the way judge papers do: accuracy against gold (or the human majority), abstentions,
both presentation orders and paired comparisons of judge configurations (model x prompt strategy).

Definitions (docs/workflows.md, "Judges against gold"):

- **Units.** One unit is one item (for pairwise studies with an ``order`` column: one *presentation*
  of a comparison). A judge's unit is *covered* when the unit has a reference label and the judge gave
  a verdict or abstained (``Judgments.abstentions``).
- **Accuracy, published convention** (``accuracy``): correct verdicts / covered units - an abstention
  counts as wrong (as judge papers report, e.g. JudgeBench). **Accuracy on answered units**
  (``accuracy_answered``): correct / (covered - abstentions). Both are reported.
- **Abstention rate**: abstentions / covered units.
- **Cohen's kappa with the reference** on the answered units (sklearn's ``cohen_kappa_score``
  definition, unweighted). ``kappa < 0`` is exactly "agrees with the reference less often than a
  rater with the judge's own label frequencies would by chance" (``p_o < p_e``): a judge whose kappa
  interval lies below 0 is **harmful**.
- **Presentation order.** The two presentations of one comparison share a ``pair_id``; ``order`` is
  ``original`` or ``swapped``; values and gold are in each presentation's own order. A swapped verdict
  is mapped back to the original order by exchanging A and B (``tie`` stays ``tie``; an abstention
  stays an abstention). *Position consistency*: among pairs judged (not abstained) in both orders, the
  share whose original verdict equals the mapped-back swapped verdict; *order inconsistency* is
  ``1 - position consistency`` (the share whose preference changes with the order: a position flip A/A
  or B/B, or a tie in one order only). *First-position rate*: P(verdict A | verdict A or B) over all
  presentations (0.5 for a judge without position bias on a balanced design). *Order-averaged accuracy*:
  the mean of the published-convention accuracies on the original and on the swapped presentations.
- **Intervals.** Proportions over units: Wilson (or Clopper-Pearson); where units are clustered (the two
  presentations of one ``pair_id``) the count is replaced by the effective sample size ``n / deff``
  with the design effect ``deff = max(1, var_cluster / var_binomial)`` from the cluster-robust (ratio
  estimator) variance, the Korn & Graubard (1998) construction. Proportions over pairs: Wilson. Kappa and
  order-averaged accuracy: percentile bootstrap over clusters (``alignlab._array.bootstrap``).
- **Paired comparisons of configurations** (correctness on the same units, published convention unless
  ``abstentions="exclude"``): exact McNemar (statsmodels) with Newcombe's (1998, method 10) interval for
  the paired difference; with clustered units, the clustered McNemar of Durkalski et al. (2003) with a
  cluster-robust normal interval. Benjamini-Hochberg across the pairs (statsmodels ``multipletests``).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    CONFIDENCE_LEVEL,
    DEFAULT_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    DegenerateDataWarning,
    Interval,
    Options,
    check_random_state,
    ci_method_constraint,
    validate_params,
)
from alignlab.data.judgments import Judgments
from alignlab.results import Summary, TableResult

__all__ = ["JudgeAccuracyResult", "JudgeConfigComparison", "judge_accuracy", "compare_judge_configs",
           "newcombe_paired_interval", "clustered_mcnemar", "unswap_pairwise", "flip_labels"]

ABSTAIN = -2  # code of an abstention in the unit x rater code matrix (-1: not judged)
_COLUMNS = ["rater_id", "statistic", "estimate", "ci_low", "ci_high", "ci_method", "n", "detail"]


# --------------------------------------------------------------------------------------------------
# small kernels (public for tests and for judge_biases)
# --------------------------------------------------------------------------------------------------
def unswap_pairwise(codes: np.ndarray, labels: Sequence[Any]) -> np.ndarray:
    """Pairwise label codes of swapped presentations mapped back to the original order: A <-> B, tie and
    negative codes (not judged, abstained) unchanged."""
    codes = np.asarray(codes)
    out = codes.copy()
    a, b = list(labels).index("A"), list(labels).index("B")
    out[codes == a] = b
    out[codes == b] = a
    return out


def newcombe_paired_interval(b: float, c: float, a: float, d: float, confidence_level: float = 0.95,
                             ) -> tuple[float, float, float]:
    """Difference ``p1 - p2`` of paired proportions and Newcombe's (1998, Stat. Med. 17:2635, method 10)
    score interval from the paired 2x2 table: ``a`` both correct, ``b`` only the first, ``c`` only the
    second, ``d`` neither. statsmodels has no paired square-and-add interval; the Wilson bounds are its
    ``proportion_confint``.

    >>> [round(x, 4) for x in newcombe_paired_interval(12, 2, 36, 0)]  # Newcombe 1998, example (a)
    [0.2, 0.0569, 0.3404]
    """
    n = a + b + c + d
    if n == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = (a + b) / n, (a + c) / n
    alpha = 1 - confidence_level
    l1, u1 = proportion_confint(a + b, n, alpha=alpha, method="wilson")
    l2, u2 = proportion_confint(a + c, n, alpha=alpha, method="wilson")
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = corrected / math.sqrt(margins) if margins > 0 else 0.0
    diff = p1 - p2
    low = diff - math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    high = diff + math.sqrt(max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    return float(diff), float(max(low, -1.0)), float(min(high, 1.0))


def clustered_mcnemar(x1: np.ndarray, x2: np.ndarray, clusters: np.ndarray) -> float:
    """Two-sided p-value of the clustered McNemar test (Durkalski et al. 2003, Stat. Med. 22:2417):
    ``(sum_k d_k)^2 / sum_k d_k^2 ~ chi2(1)`` with ``d_k`` the per-cluster sum of ``x1 - x2``."""
    d = np.bincount(clusters, weights=np.asarray(x1, float) - np.asarray(x2, float))
    denominator = float((d * d).sum())
    if denominator == 0:
        return 1.0
    return float(stats.chi2.sf(float(d.sum()) ** 2 / denominator, 1))


def _proportion(num: np.ndarray, den: np.ndarray, clusters: np.ndarray | None, level: float,
                method: str) -> tuple[float, float, float, str]:
    """Ratio ``sum(num) / sum(den)`` with a Wilson / Clopper-Pearson interval, on the effective sample
    size when ``clusters`` groups the units (design effect from the cluster-robust ratio variance)."""
    total = float(den.sum())
    if total == 0:
        return math.nan, math.nan, math.nan, "none"
    p = float(num.sum()) / total
    n_eff, label = total, method
    if clusters is not None:
        keep = den > 0
        nc = np.bincount(clusters[keep], weights=num[keep])
        dc = np.bincount(clusters[keep], weights=den[keep])
        present = dc > 0
        n_clusters = int(present.sum())
        if n_clusters >= 2 and 0 < p < 1:
            resid = nc[present] - p * dc[present]
            var_cluster = n_clusters / (n_clusters - 1) * float((resid**2).sum()) / total**2
            deff = max(1.0, var_cluster / (p * (1 - p) / total))
            n_eff = total / deff
        label = f"{method}(effective n, clustered by pair_id)"
    sm = "beta" if method == "clopper-pearson" else "wilson"
    low, high = proportion_confint(p * n_eff, n_eff, alpha=1 - level, method=sm)
    return p, float(low), float(high), label


def _boot(statistic: Any, n: int, clusters: np.ndarray | None, level: float, n_resamples: int, seed: int,
          notes: list[str], what: str) -> tuple[float, float, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        out = bootstrap(statistic, n, n_resamples=n_resamples, confidence_level=level, method="percentile",
                        random_state=seed, clusters=clusters, unit_name="pairs" if clusters is not None else "items")
    notes.extend(f"{what}: {w}" for w in out.warnings)
    return out.low, out.high, out.ci_method


# --------------------------------------------------------------------------------------------------
# the unit x rater codes and the reference
# --------------------------------------------------------------------------------------------------
@dataclass
class _Units:
    ids: pd.Index
    codes: np.ndarray  # (units, raters): label code, -1 not judged, ABSTAIN
    raters: list[Any]
    reference: np.ndarray  # label code per unit, -1 none
    reference_name: str
    pair: np.ndarray | None  # cluster code per unit (pair_id), or None
    order: np.ndarray | None  # 0 original, 1 swapped, -1 unknown
    notes: list[str] = field(default_factory=list)


def _item_column(judgments: Judgments, column: str, ids: pd.Index) -> pd.Series:
    parts = [judgments.frame[["item_id", column]]] if column in judgments.frame.columns else []
    if len(judgments.abstentions) and column in judgments.abstentions.columns:
        parts.append(judgments.abstentions[["item_id", column]])
    if not parts:
        return pd.Series([None] * len(ids), index=ids, dtype=object)
    table = pd.concat(parts, ignore_index=True)
    table = table[table[column].notna()].drop_duplicates("item_id")
    return table.set_index("item_id")[column].reindex(ids)


def _units(judgments: Judgments, raters: list[Any], reference: str | Sequence[str] | None) -> _Units:
    scale = judgments.scale
    if not scale.is_discrete:
        raise DataError("Accuracy against a reference needs discrete labels (binary, categorical, ordinal or "
                        f"pairwise); the table's scale is {scale.describe()}. Use correlate for scores.")
    frame, absent = judgments.frame, judgments.abstentions
    ids = pd.Index(pd.unique(pd.concat([frame["item_id"], absent["item_id"]], ignore_index=True)))
    unit_of = pd.Series(np.arange(len(ids)), index=ids)
    codes = np.full((len(ids), len(raters)), -1, dtype=np.int64)
    rater_index = {r: k for k, r in enumerate(raters)}
    mask = frame["rater_id"].isin(raters).to_numpy()
    rows_u = unit_of.loc[frame.loc[mask, "item_id"]].to_numpy(np.int64)
    rows_r = frame.loc[mask, "rater_id"].map(rater_index).to_numpy(np.int64)
    codes[rows_u, rows_r] = judgments.label_codes[mask]  # repeated judgments (keep_all): the last one
    amask = absent["rater_id"].isin(raters).to_numpy() if len(absent) else np.zeros(0, dtype=bool)
    if amask.any():
        codes[unit_of.loc[absent.loc[amask, "item_id"]].to_numpy(np.int64),
              absent.loc[amask, "rater_id"].map(rater_index).to_numpy(np.int64)] = ABSTAIN
    notes: list[str] = []
    use_gold = reference is None and "gold" in frame.columns or (isinstance(reference, str) and reference == "gold")
    if use_gold:
        if "gold" not in frame.columns and "gold" not in absent.columns:
            raise DataError("reference='gold' but the table has no gold column; pass gold='<column>' to "
                            "load_judgments, or name the human reference raters.")
        gold = _item_column(judgments, "gold", ids)
        ref = np.where(gold.notna().to_numpy(), scale.encode(gold.where(gold.notna(), None)), -1)
        name = "gold"
    else:
        spec = "human" if reference is None else reference
        humans = [h for h in judgments.resolve_raters(spec, argument="reference") if h not in set(raters)]
        if not humans:
            raise DataError(f"The reference {spec!r} names no rater besides the judges; pass reference='gold' "
                            "(with a gold column) or the human raters.")
        hmask = frame["rater_id"].isin(humans).to_numpy()
        k = scale.n_categories
        counts = np.zeros((len(ids), k))
        np.add.at(counts, (unit_of.loc[frame.loc[hmask, "item_id"]].to_numpy(), judgments.label_codes[hmask]), 1.0)
        top = counts.max(axis=1)
        unique_top = (counts == top[:, None]).sum(axis=1) == 1
        ref = np.where((top > 0) & unique_top, counts.argmax(axis=1), -1)
        n_tied = int(((top > 0) & ~unique_top).sum())
        if n_tied:
            notes.append(f"{n_tied} items without a strict human majority have no reference label (excluded)")
        name = f"human majority ({len(humans)} raters)"
    pair = order = None
    if "pair_id" in frame.columns and "pair_id" not in judgments.segments:
        pid = _item_column(judgments, "pair_id", ids)
        known = pid.notna().to_numpy()
        pair_codes = pd.factorize(pid.where(known, None))[0]
        # units without a pair_id are their own cluster
        pair_codes = np.where(known, pair_codes, pair_codes.max(initial=-1) + 1 + np.arange(len(ids)))
        pair = pd.factorize(pair_codes)[0].astype(np.int64)
    if "order" in frame.columns and "order" not in judgments.segments:
        o = _item_column(judgments, "order", ids)
        order = np.select([o.to_numpy() == "original", o.to_numpy() == "swapped"], [0, 1], -1)
    return _Units(ids, codes, list(raters), ref.astype(np.int64), name, pair, order, notes)


def _clustered(pair: np.ndarray | None, used: np.ndarray) -> np.ndarray | None:
    """Cluster codes of the used units when some cluster holds two of them, else None."""
    if pair is None or not used.any():
        return None
    c = pair[used]
    return pd.factorize(c)[0].astype(np.int64) if np.bincount(c).max() > 1 else None


def _kappa_from_weights(onehot: np.ndarray, k: int) -> Any:
    def statistic(w: np.ndarray) -> np.ndarray:
        cm = (w @ onehot).reshape(w.shape[0], k, k)
        n = cm.sum(axis=(1, 2))
        po = np.trace(cm, axis1=1, axis2=2) / n
        pe = (cm.sum(axis=2) * cm.sum(axis=1)).sum(axis=1) / n**2
        with np.errstate(invalid="ignore", divide="ignore"):
            return (po - pe) / (1 - pe)
    return statistic


# --------------------------------------------------------------------------------------------------
# judge_accuracy
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class JudgeAccuracyResult(TableResult):
    """Each judge's accuracy against the reference, abstentions, kappa and order statistics.

    ``table`` (long, tidy): one row per (``rater_id``, ``statistic``) with ``estimate``, ``ci_low``,
    ``ci_high``, ``ci_method``, ``n`` and ``detail``. Statistics: ``accuracy`` (abstentions count as
    wrong), ``accuracy_answered`` (abstentions excluded), ``abstention_rate``, ``kappa``, ``chance_rate``
    (agreement expected by chance, the kappa's ``p_e``) and, with an ``order`` column,
    ``position_consistency``, ``order_inconsistency``, ``first_position_rate``, ``order_averaged_accuracy``.
    ``harmful``: the judges whose kappa interval with the reference lies below 0.
    """

    reference: str = ""
    harmful: tuple[str, ...] = ()

    def wide(self) -> pd.DataFrame:
        """One row per judge, one column per statistic (estimates) plus ``<statistic>_low/_high``."""
        t = self.table
        est = t.pivot(index="rater_id", columns="statistic", values="estimate")
        low = t.pivot(index="rater_id", columns="statistic", values="ci_low").add_suffix("_low")
        high = t.pivot(index="rater_id", columns="statistic", values="ci_high").add_suffix("_high")
        out = pd.concat([est, low, high], axis=1)
        out["harmful"] = [str(r) in set(self.harmful) for r in out.index]
        return out.reset_index()

    def value(self, rater: Any, statistic: str) -> pd.Series:
        """The row of one judge and statistic."""
        t = self.table
        return t[(t["rater_id"].astype(str) == str(rater)) & (t["statistic"] == statistic)].iloc[0]

    def summary(self) -> Summary:
        lines = []
        for rater in pd.unique(self.table["rater_id"]):
            acc = self.value(rater, "accuracy")
            text = (f"{rater}: accuracy against {self.reference} {acc['estimate']:.3f} "
                    f"({acc['ci_low']:.3f} to {acc['ci_high']:.3f}, abstentions as wrong, n = {acc['n']:.0f})")
            if str(rater) in set(self.harmful):
                text += " - HARMFUL: agrees with the reference less often than chance"
            lines.append(text)
        return Summary(self.method, lines=tuple(lines), tables=(("per judge", self.wide()),), warnings=self.warnings)


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list", None],
    "ci_method": ci_method_constraint("auto", "wilson", "clopper-pearson"),
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def judge_accuracy(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] | None = None,
    ci_method: str = "auto",
    confidence_level: float = 0.95,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
) -> JudgeAccuracyResult:
    """Each judge's accuracy against gold (or the human majority), with abstentions and order statistics.

    Parameters
    ----------
    judgments : Judgments
        Discrete labels; ``gold`` on all or some items; optionally ``order``/``pair_id`` (both
        presentation orders) and abstentions (``load_judgments(..., abstain=[...])``).
    raters : str or list of str
        The judges (rater ids or method names).
    reference : "gold", str or list of str, optional
        ``"gold"``: the gold column; rater ids or a method name: their majority label per item (items
        without a strict majority have no reference, counted in the warnings). Default: gold when the
        table has a gold column, else the method ``"human"``.
    ci_method : {"auto", "wilson", "clopper-pearson"}
        Interval of the proportions ("auto" = Wilson); clustered units use the effective sample size.
    confidence_level, n_resamples, random_state
        The kappa and order-averaged accuracy intervals are percentile bootstraps over clusters.

    Returns
    -------
    JudgeAccuracyResult

    Examples
    --------
    >>> import pandas as pd, alignlab
    >>> t = pd.DataFrame({"item_id": list(range(40)) * 2, "rater_id": ["j"] * 40 + ["k"] * 40,
    ...                   "value": (["A", "B"] * 20) + (["A"] * 40), "gold": ["A", "B"] * 40})
    >>> res = judge_accuracy(alignlab.load_judgments(t, scale="pairwise"), raters=["j", "k"])
    >>> round(float(res.value("k", "accuracy")["estimate"]), 2)
    0.5
    """
    rng = check_random_state(random_state)
    judges = judgments.resolve_raters(raters, argument="raters")
    units = _units(judgments, judges, reference)
    method = "wilson" if ci_method == "auto" else ci_method
    level = confidence_level
    k = judgments.scale.n_categories
    rows: list[dict[str, Any]] = []
    notes = list(units.notes)
    harmful: list[str] = []
    has_ref = units.reference >= 0
    for j, rater in enumerate(judges):
        seed = int(rng.integers(0, 2**31 - 1))
        code = units.codes[:, j]
        used = has_ref & (code != -1)
        n = int(used.sum())
        if n == 0:
            notes.append(f"{rater}: no unit with a reference label judged; skipped")
            continue
        c, r = code[used], units.reference[used]
        clusters = _clustered(units.pair, used)
        correct = (c == r).astype(float)
        abstained = (c == ABSTAIN).astype(float)
        ones = np.ones(n)
        answered = 1.0 - abstained

        def add(statistic: str, est: float, low: float, high: float, how: str, count: float, detail: str,
                rater: Any = rater) -> None:
            rows.append({"rater_id": rater, "statistic": statistic, "estimate": est, "ci_low": low, "ci_high": high,
                         "ci_method": how, "n": float(count), "detail": detail})

        p, lo, hi, how = _proportion(correct, ones, clusters, level, method)
        add("accuracy", p, lo, hi, how, n, f"correct / covered units against {units.reference_name}; "
            f"abstentions ({int(abstained.sum())}) count as wrong")
        p, lo, hi, how = _proportion(correct, answered, clusters, level, method)
        add("accuracy_answered", p, lo, hi, how, answered.sum(), "correct / answered units (abstentions excluded)")
        p, lo, hi, how = _proportion(abstained, ones, clusters, level, method)
        add("abstention_rate", p, lo, hi, how, n, "abstentions / covered units")
        keep = answered > 0
        if keep.sum() >= 2:
            onehot = np.zeros((int(keep.sum()), k * k))
            onehot[np.arange(int(keep.sum())), r[keep] * k + c[keep]] = 1.0
            stat = _kappa_from_weights(onehot, k)
            kappa = float(stat(np.ones((1, onehot.shape[0])))[0])
            kc = _clustered(units.pair, _mask_sub(used, keep))
            low, high, how = _boot(stat, onehot.shape[0], kc, level, n_resamples, seed, notes, f"{rater} kappa")
            cm = onehot.sum(axis=0).reshape(k, k)
            pe = float((cm.sum(axis=1) * cm.sum(axis=0)).sum() / cm.sum() ** 2)
            add("kappa", kappa, low, high, how, keep.sum(), "Cohen's kappa with the reference on answered units")
            add("chance_rate", pe, math.nan, math.nan, "none", keep.sum(),
                "agreement expected by chance from the two label distributions (kappa's p_e)")
            if not math.isnan(high) and high < 0:
                harmful.append(str(rater))
        if units.order is not None and units.pair is not None:
            rows.extend(_order_rows(units, j, rater, judgments.scale.labels, level, method, n_resamples, seed, notes))
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return JudgeAccuracyResult(table=table, method=f"judge_accuracy(against {units.reference_name})",
                               confidence_level=confidence_level, warnings=tuple(notes),
                               reference=units.reference_name, harmful=tuple(harmful))


def _mask_sub(used: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The mask over all units of the used units where ``keep`` (a mask over the used units) holds."""
    out = np.zeros_like(used)
    out[np.flatnonzero(used)[keep]] = True
    return out


def _order_rows(units: _Units, j: int, rater: Any, labels: Sequence[Any], level: float, method: str,
                n_resamples: int, seed: int, notes: list[str]) -> list[dict[str, Any]]:
    assert units.order is not None and units.pair is not None
    code = units.codes[:, j]
    judged = code != -1
    rows: list[dict[str, Any]] = []

    def add(statistic: str, est: float, low: float, high: float, how: str, count: float, detail: str) -> None:
        rows.append({"rater_id": rater, "statistic": statistic, "estimate": est, "ci_low": low, "ci_high": high,
                     "ci_method": how, "n": float(count), "detail": detail})

    # pairs judged in both orders: original code and the swapped code mapped back
    sel = judged & (units.order >= 0)
    frame = pd.DataFrame({"pair": units.pair[sel], "order": units.order[sel], "code": code[sel]})
    wide = frame.pivot_table(index="pair", columns="order", values="code", aggfunc="last")
    if 0 in wide.columns and 1 in wide.columns:
        both = wide.dropna()
        first = both[0].to_numpy(np.int64)
        second = unswap_pairwise(both[1].to_numpy(np.int64), labels)
        valid = (first != ABSTAIN) & (second != ABSTAIN)
        n_abstained = int((~valid).sum())
        same = (first == second)[valid].astype(float)
        if same.size:
            p, lo, hi, how = _proportion(same, np.ones(same.size), None, level, method)
            detail = (f"pairs judged in both orders whose verdicts agree after mapping the swapped one back (A<->B); "
                      f"{n_abstained} pairs with an abstention excluded")
            rows.append({"rater_id": rater, "statistic": "position_consistency", "estimate": p, "ci_low": lo,
                         "ci_high": hi, "ci_method": how, "n": float(same.size), "detail": detail})
            add("order_inconsistency", 1 - p, max(0.0, 1 - hi), min(1.0, 1 - lo), how, same.size,
                "share of pairs whose preference changes with the presentation order (1 - position consistency)")
    a_code = list(labels).index("A") if "A" in labels else -9
    b_code = list(labels).index("B") if "B" in labels else -9
    decisive = judged & ((code == a_code) | (code == b_code))
    if decisive.any():
        clusters = _clustered(units.pair, decisive)
        p, lo, hi, how = _proportion((code[decisive] == a_code).astype(float), np.ones(int(decisive.sum())),
                                     clusters, level, method)
        add("first_position_rate", p, lo, hi, how, decisive.sum(),
            "P(verdict A | verdict A or B) over the presentations; 0.5 without position bias on a balanced design")
    used = judged & (units.reference >= 0) & (units.order >= 0)
    if used.any() and len(np.unique(units.order[used])) == 2:
        correct = (code[used] == units.reference[used]).astype(float)
        is_swapped = (units.order[used] == 1).astype(float)
        is_orig = 1.0 - is_swapped
        clusters = _clustered(units.pair, used)

        def averaged(w: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return 0.5 * ((w @ (correct * is_orig)) / (w @ is_orig) + (w @ (correct * is_swapped)) / (w @ is_swapped))

        est = float(averaged(np.ones((1, correct.size)))[0])
        low, high, how = _boot(averaged, correct.size, clusters, level, n_resamples, seed, notes,
                               f"{rater} order-averaged accuracy")
        add("order_averaged_accuracy", est, low, high, how, correct.size,
            "mean of the accuracies (abstentions wrong) on the original and on the swapped presentations")
    return rows


# --------------------------------------------------------------------------------------------------
# paired comparisons of judge configurations
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class JudgeConfigComparison(TableResult):
    """Judge configurations ranked by accuracy, with paired comparisons on the same units.

    ``table``: one row per configuration (``rater_id``, ``judge_model``, ``strategy``, ``accuracy``,
    ``ci_low``, ``ci_high``, ``n``, ``rank`` overall, ``rank_in_model`` among the model's strategies);
    ``pairs``: one row per compared pair (``rater_1``, ``rater_2``, ``comparison`` - "strategy within
    <model>", "model within <strategy>" or "judges" -, ``n``, ``only_1_correct``, ``only_2_correct``,
    ``difference`` = accuracy_1 - accuracy_2 with its paired ``ci_low``/``ci_high``, ``p_value``,
    ``q_value`` (Benjamini-Hochberg across the pairs), ``test``); ``accuracy``: the
    :class:`JudgeAccuracyResult` of every configuration.
    """

    pairs: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    accuracy: JudgeAccuracyResult | None = field(repr=False, default=None)
    reference: str = ""
    abstentions: str = "wrong"
    alpha: float = 0.05

    def summary(self) -> Summary:
        lines = [f"{len(self.table)} judge configurations against {self.reference}; abstentions "
                 f"{'count as wrong' if self.abstentions == 'wrong' else 'excluded'} in the paired comparisons."]
        top = self.table.sort_values("rank").head(1)
        if len(top):
            rec = top.iloc[0]
            lines.append(f"Most accurate: {rec['rater_id']} {rec['accuracy']:.3f} ({rec['ci_low']:.3f} to "
                         f"{rec['ci_high']:.3f}).")
        significant = self.pairs[self.pairs["q_value"] <= self.alpha] if len(self.pairs) else self.pairs
        for rec in significant.to_dict(orient="records"):
            flip = rec["difference"] < 0
            better, worse = (rec["rater_2"], rec["rater_1"]) if flip else (rec["rater_1"], rec["rater_2"])
            low, high = (-rec["ci_high"], -rec["ci_low"]) if flip else (rec["ci_low"], rec["ci_high"])
            lines.append(f"{better} beats {worse} ({rec['comparison']}): difference {abs(rec['difference']):.3f} "
                         f"(paired interval {low:.3f} to {high:.3f}), q = {rec['q_value']:.3g}.")
        if len(self.pairs) and significant.empty:
            lines.append(f"No paired difference is significant at q <= {self.alpha:g} (BH).")
        tables = (("configurations", self.table), ("paired comparisons", self.pairs))
        return Summary(self.method, lines=tuple(lines), tables=tables, warnings=self.warnings)

    def __str__(self) -> str:
        with pd.option_context("display.width", 140, "display.precision", 3, "display.max_columns", 20):
            return f"{self.method}\n{self.table}\n\npairs:\n{self.pairs}"


def _configuration(judgments: Judgments, raters: list[Any]) -> pd.DataFrame:
    """rater_id -> judge_model, strategy: the rater attribute columns, else the ``model/strategy`` id
    convention (the part after the last ``/`` is the strategy when the table has no strategy column)."""
    info = judgments.rater_info.set_index("rater_id")
    out = pd.DataFrame({"rater_id": raters})
    ids = out["rater_id"].astype(str)
    if "strategy" in info.columns:
        out["strategy"] = info.loc[raters, "strategy"].astype(str).to_numpy()
    else:
        out["strategy"] = ids.str.rpartition("/")[2].where(ids.str.contains("/"), "")
    if "judge_model" in info.columns:
        out["judge_model"] = info.loc[raters, "judge_model"].astype(str).to_numpy()
    else:  # the id with a trailing "/<strategy>" (or ":<strategy>") removed
        model = [i[: -len(s) - 1] if s and i.endswith(s) and i[-len(s) - 1] in "/:" else i
                 for i, s in zip(ids, out["strategy"], strict=True)]
        out["judge_model"] = model
    return out


@validate_params({
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list", None],
    "by": [Options(("strategy", "judge_model", "all")), None],
    "abstentions": [Options(("wrong", "exclude"))],
    "alpha": [Interval("real", 0, 1, closed="neither")],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def compare_judge_configs(
    judgments: Judgments,
    *,
    raters: str | Sequence[str],
    reference: str | Sequence[str] | None = None,
    by: Literal["strategy", "judge_model", "all"] | None = "strategy",
    abstentions: Literal["wrong", "exclude"] = "wrong",
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    random_state: int | np.random.Generator | None = None,
) -> JudgeConfigComparison:
    """Rank judge configurations (model x prompt strategy) by accuracy with paired tests on the same units.

    Parameters
    ----------
    raters : str or list of str
        The configurations (rater ids or a method name such as ``"llm_judge"``).
    reference : "gold", str or list, optional
        As :func:`judge_accuracy` (gold when present, else the human majority).
    by : {"strategy", "judge_model", "all"} or None
        Which pairs are compared: ``"strategy"`` - every two strategies of one model and every two models
        with one strategy (models and strategies from the ``judge_model``/``strategy`` columns, or rater ids
        ``model/strategy``); ``"judge_model"`` - only models within a strategy; ``"all"`` or None - every pair.
    abstentions : {"wrong", "exclude"}
        Correctness in the paired tests: an abstention is wrong (published convention), or units where
        either configuration abstained are excluded (their number is in ``pairs.n_excluded``).
    alpha : float
        Level of the Benjamini-Hochberg decisions in ``summary()``.

    Returns
    -------
    JudgeConfigComparison
    """
    rng = check_random_state(random_state)
    judges = judgments.resolve_raters(raters, argument="raters")
    if len(judges) < 2:
        raise DataError(f"compare_judge_configs needs at least two judge configurations; {len(judges)} given.")
    seed = int(rng.integers(0, 2**31 - 1))
    acc = judge_accuracy(judgments, raters=judges, reference=reference, confidence_level=confidence_level,
                         n_resamples=n_resamples, random_state=seed)
    units = _units(judgments, judges, reference)
    config = _configuration(judgments, judges)
    wide = acc.wide().set_index("rater_id")
    table = config.copy()
    for name, col in (("accuracy", "accuracy"), ("ci_low", "accuracy_low"), ("ci_high", "accuracy_high"),
                      ("accuracy_answered", "accuracy_answered"), ("abstention_rate", "abstention_rate")):
        table[name] = wide[col].reindex(table["rater_id"]).to_numpy() if col in wide.columns else math.nan
    n_rows = acc.table[acc.table["statistic"] == "accuracy"].set_index("rater_id")["n"]
    table["n"] = n_rows.reindex(table["rater_id"]).to_numpy()
    table["rank"] = table["accuracy"].rank(ascending=False, method="min")
    table["rank_in_model"] = table.groupby("judge_model")["accuracy"].rank(ascending=False, method="min")
    table = table.sort_values(["rank", "rater_id"]).reset_index(drop=True)

    pairs_list: list[tuple[int, int, str]] = []
    for a, b in itertools.combinations(range(len(judges)), 2):
        ca, cb = config.iloc[a], config.iloc[b]
        if by in ("strategy",) and ca["judge_model"] == cb["judge_model"] and ca["strategy"] != cb["strategy"]:
            pairs_list.append((a, b, f"strategy within {ca['judge_model']}"))
        elif by in ("strategy", "judge_model") and ca["strategy"] == cb["strategy"] and \
                ca["judge_model"] != cb["judge_model"]:
            pairs_list.append((a, b, f"model within {ca['strategy'] or 'one strategy'}"))
        elif by in (None, "all"):
            pairs_list.append((a, b, "judges"))
    if not pairs_list:
        raise DataError(f"No pair of configurations to compare with by={by!r}: the raters share no model "
                        "(different strategies) and no strategy (different models). Add judge_model/strategy "
                        "columns, name raters 'model/strategy', or pass by='all'.")
    records = []
    has_ref = units.reference >= 0
    for a, b, what in pairs_list:
        ca, cb = units.codes[:, a], units.codes[:, b]
        used = has_ref & (ca != -1) & (cb != -1)
        n_excluded = 0
        if abstentions == "exclude":
            either = used & ((ca == ABSTAIN) | (cb == ABSTAIN))
            n_excluded = int(either.sum())
            used &= ~either
        x1 = (ca[used] == units.reference[used]).astype(float)
        x2 = (cb[used] == units.reference[used]).astype(float)
        n = int(used.sum())
        only1, only2 = float((x1 * (1 - x2)).sum()), float(((1 - x1) * x2).sum())
        both, neither = float((x1 * x2).sum()), float(((1 - x1) * (1 - x2)).sum())
        clusters = _clustered(units.pair, used)
        if n == 0:
            diff = low = high = p = math.nan
            test = "none"
        elif clusters is None:
            p = float(mcnemar([[both, only1], [only2, neither]], exact=True).pvalue)
            diff, low, high = newcombe_paired_interval(only1, only2, both, neither, confidence_level)
            test = "McNemar exact; Newcombe (1998) paired interval"
        else:
            p = clustered_mcnemar(x1, x2, clusters)
            d = np.bincount(clusters, weights=x1 - x2)
            m = np.bincount(clusters).astype(float)
            diff = float(d.sum() / n)
            n_cl = d.size
            se = math.sqrt(n_cl / (n_cl - 1) * float(((d - diff * m) ** 2).sum())) / n if n_cl > 1 else math.nan
            z = stats.norm.ppf(0.5 + confidence_level / 2)
            low, high = max(diff - z * se, -1.0), min(diff + z * se, 1.0)
            test = "clustered McNemar (Durkalski 2003); cluster-robust normal interval"
        records.append({"rater_1": judges[a], "rater_2": judges[b], "comparison": what, "n": n,
                        "n_excluded": n_excluded, "only_1_correct": only1, "only_2_correct": only2,
                        "difference": diff, "ci_low": low, "ci_high": high, "p_value": p, "test": test})
    pairs = pd.DataFrame(records)
    finite = pairs["p_value"].notna().to_numpy()
    q = np.full(len(pairs), np.nan)
    if finite.any():
        q[finite] = multipletests(pairs.loc[finite, "p_value"].to_numpy(float), method="fdr_bh")[1]
    pairs["q_value"] = q
    pairs = pairs[["rater_1", "rater_2", "comparison", "n", "n_excluded", "only_1_correct", "only_2_correct",
                   "difference", "ci_low", "ci_high", "p_value", "q_value", "test"]]
    return JudgeConfigComparison(
        table=table, pairs=pairs, accuracy=acc, reference=acc.reference, abstentions=abstentions, alpha=alpha,
        method=f"compare_judges(by={by!r}, against {acc.reference})", confidence_level=confidence_level,
        warnings=acc.warnings,
    )


def flip_labels(judgments: Judgments, raters: Sequence[Any]) -> Judgments:
    """The table with the labels of ``raters`` mirrored - the explicit decision to use an inverted judge.

    Pairwise: A <-> B (tie stays); binary and ordinal: the level order reversed (``k -> K - 1 - k``).
    Unordered categorical labels with more than two classes have no mirror and raise a DataError.
    Abstentions stay abstentions.
    """
    scale = judgments.scale
    k = scale.n_categories
    if scale.kind == "pairwise":
        def mirror(codes: np.ndarray) -> np.ndarray:
            return unswap_pairwise(codes, scale.labels)
    elif scale.kind in ("binary", "ordinal") or (scale.kind == "categorical" and k == 2):
        def mirror(codes: np.ndarray) -> np.ndarray:
            return k - 1 - codes
    else:
        raise DataError(f"Labels on a {scale.describe()} scale have no mirror image; an inverted rater cannot be "
                        "flipped. Leave it at weight 0.")
    frame = judgments.frame.copy()
    mask = frame["rater_id"].isin(list(raters)).to_numpy()
    codes = judgments.label_codes.copy()
    codes[mask] = mirror(codes[mask])
    labels = np.array(scale.labels, dtype=object)
    frame["value"] = pd.Series(labels[codes], index=frame.index, dtype=object)
    notes = (*judgments.notes, f"labels of {', '.join(map(str, raters))} mirrored (flip_labels)")
    return Judgments(frame, scale, segments=judgments.segments, aggregates=judgments.aggregates,
                     exclusions=judgments.exclusions, notes=notes, abstentions=judgments.abstentions)
