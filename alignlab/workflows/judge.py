"""validate_judge: can an LLM judge replace the humans, assist them, or not be used?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alignlab._array.bootstrap import bootstrap
from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    check_random_state,
    validate_params,
)
from alignlab.alignment import alt_test, calibration, compare_judges, correlate, human_ceiling, judge_biases
from alignlab.alignment.judges import compare_judge_configs, judge_accuracy
from alignlab.annotators._reliability import ADVERSARIAL_PROB
from alignlab.data import Judgments
from alignlab.slices import divergence, find_slices
from alignlab.workflows._compose import attempt, fit_joint_model, numeric_values, rater_table
from alignlab.workflows._results import EVIDENCE_COLUMNS, JudgeValidation

__all__ = ["validate_judge", "judge_rule"]


def judge_rule(epsilon: float, min_system_tau: float, confidence_level: float, max_leniency: float = 0.2, *,
               max_order_flip: float = 0.2, min_accuracy: float = 0.8) -> str:
    """The decision rule of :func:`validate_judge`, in words."""
    return _human_rule(epsilon, min_system_tau, confidence_level, max_leniency) + " " + (
        "Against gold (no humans, or fewer than 3): replace when the judge's accuracy against gold "
        f"(abstentions count as wrong) has its {confidence_level:.0%} interval's lower bound at or above the bar "
        f"(the humans' mean accuracy against gold minus epsilon = {epsilon:g} when humans have gold, else "
        f"{min_accuracy:g}); assist when its Cohen's kappa with gold has the interval above 0; do_not_use "
        "otherwise, and always when harmful (kappa with gold wholly below 0: it agrees with gold less often "
        "than chance). With both presentation orders (order/pair_id columns): a judge whose preference changes "
        f"with the order on more than {max_order_flip:g} of the pairs (upper interval bound) cannot replace."
    )


def _human_rule(epsilon: float, min_system_tau: float, confidence_level: float, max_leniency: float) -> str:
    return (
        f"replace: the alternative annotator test passes (winning rate >= 0.5 at epsilon = {epsilon:g}, "
        f"Benjamini-Yekutieli over the humans), the judge is not systematically more lenient or severe than the "
        f"humans (mean signed difference within {max_leniency:g} SD of the human item scores, or its "
        f"{confidence_level:.0%} interval covering 0) and, when the data has systems, it ranks them like the "
        f"humans (system-level Kendall tau >= {min_system_tau:g} with its interval above 0); "
        "assist: otherwise, when the judge carries signal about the human judgments (item-level Kendall tau "
        "with the human consensus, or for unordered labels the judge's posterior reliability, with its interval "
        "above 0) - use it with a trust weight and prediction-powered (PPI) estimates; do_not_use: otherwise, "
        "and always when the judge is harmful: it agrees with the truth less often than chance (the joint "
        f"model's probability that its reliability, the kappa with the latent truth, is below 0 reaches "
        f"{ADVERSARIAL_PROB:g}, or its item-level Kendall tau with the humans has its interval below 0)."
    )


def _one_rater(judgments: Judgments, spec: str, argument: str) -> str:
    ids = judgments.resolve_raters(spec, argument=argument)
    if len(ids) != 1:
        raise InvalidParameterError(
            f"The {argument!r} argument {spec!r} names {len(ids)} raters ({', '.join(map(str, ids[:6]))}); "
            f"pass one rater id, e.g. {argument}={str(ids[0])!r}."
        )
    return ids[0]


def _row(evidence: str, subject: Any, estimate: float, low: float = math.nan, high: float = math.nan,
         ci_method: str = "", n: float = math.nan, detail: str = "") -> dict[str, Any]:
    return {"evidence": evidence, "subject": str(subject), "estimate": float(estimate), "ci_low": float(low),
            "ci_high": float(high), "ci_method": ci_method, "n": float(n), "detail": detail}


def _expected(value: Any) -> str:
    try:
        return f"unbiased value {float(value):.3g}"
    except (TypeError, ValueError):
        return "" if value is None else f"unbiased value {value}"


def _slice_rows(result: Any) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame(columns=["predicate", "size", "effect", "ci_low", "ci_high", "q_value", "sentence"])
    frame = result.slices
    keep = [c for c in ("predicate", "size", "mean_in", "mean_out", "effect", "ci_low", "ci_high", "q_value",
                        "sentence") if c in frame.columns]
    return frame[keep].reset_index(drop=True)


def _comparison_conclusion(comparison: Any, judge: str, second: str, alpha: float = 0.05) -> str:
    if comparison is None:
        return ""
    pairs = comparison.pairs
    if pairs.empty:
        return "no significant difference"
    # the conclusion is about ``judge`` (the one validated) relative to ``second`` (e.g. the one in use)
    better = pairs[(pairs["better"].astype(str) == judge) & (pairs["worse"].astype(str) == second)]
    worse = pairs[(pairs["better"].astype(str) == second) & (pairs["worse"].astype(str) == judge)]
    if len(better) and float(better["p_value"].iloc[0]) <= alpha:
        return "better"
    if len(worse) and float(worse["p_value"].iloc[0]) <= alpha:
        return "worse"
    return "no significant difference"


@validate_params({
    "judgments": [Judgments],
    "raters": [str],
    "reference": ["str-or-list", None],
    "epsilon": [Interval("real", 0, 1)],
    "second_judge": [str, None],
    "min_system_tau": [Interval("real", -1, 1)],
    "max_leniency": [Interval("real", 0, None)],
    "max_order_flip": [Interval("real", 0, 1)],
    "min_accuracy": [Interval("real", 0, 1)],
    "find_segments": ["boolean"],
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
})
def validate_judge(
    judgments: Judgments,
    *,
    raters: str,
    reference: str | Sequence[str] | None = None,
    epsilon: float = 0.15,
    second_judge: str | None = None,
    min_system_tau: float = 0.6,
    max_leniency: float = 0.2,
    max_order_flip: float = 0.2,
    min_accuracy: float = 0.8,
    find_segments: bool = True,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> JudgeValidation:
    """Decide whether an LLM judge can replace human raters, assist them, or should not be used.

    Parameters
    ----------
    judgments : Judgments
        Judgments of the judge and the humans on shared items (any scale; pairwise preferences count
        as P(A preferred) for correlations).
    raters : str
        The judge's rater id (or a method with a single rater).
    reference : "gold", str or list of str, optional
        The reference: a method name or rater ids of the humans, or ``"gold"`` (the table's gold column).
        Default: the method ``"human"`` when the table has it, else ``"gold"``. With humans and gold both
        present, both are reported (the judge's and the humans' accuracy against gold beside the human
        evidence); gold decides the verdict when there are fewer than 3 humans.
    epsilon : float, default 0.15
        Margin of the alternative annotator test (Calderon et al. 2025 suggest 0.2 for experts,
        0.15 for skilled annotators, 0.1 for crowd workers).
    second_judge : str, optional
        A second judge (e.g. the one you use today): is ``judge`` significantly better or worse at
        tracking the humans (PERM-BOTH permutation test on item-level correlation)?
    min_system_tau : float, default 0.6
        System-level Kendall tau with the humans required to *replace* them, when the data has systems.
    max_leniency : float, default 0.2
        Largest leniency (mean signed difference judge - humans, in standard deviations of the humans'
        per-item scores: 0.2 is a small effect) compatible with *replace*, unless its interval covers 0.
        The alternative annotator test scores agreement item by item and can pass a judge that shifts
        every score by a constant; a metric computed from such a judge would be biased.
    max_order_flip : float, default 0.2
        With an ``order`` column (both presentation orders of each ``pair_id``): the largest share of
        pairs whose preference changes with the order (order inconsistency) compatible with *replace*;
        the upper bound of its interval must not exceed it.
    min_accuracy : float, default 0.8
        Gold reference without humans: the accuracy against gold (abstentions wrong) whose interval's
        lower bound a judge must reach to *replace*. With humans who have gold, the bar is instead their
        mean accuracy against gold minus ``epsilon``.
    find_segments : bool, default True
        Search the segment columns for where the judge diverges most from the humans.
    confidence_level : float, default 0.95
    n_resamples : int, default 1000
        Bootstrap resamples of every interval.
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    JudgeValidation
        ``verdict`` (``"replace"``, ``"assist"`` or ``"do_not_use"``), ``rule``, ``reasons`` and the
        evidence (``to_frame()``).

    Notes
    -----
    Evidence and the functions that compute it: judge-vs-human agreement beside the human ceiling
    (:func:`alignlab.alignment.human_ceiling`), the alternative annotator test
    (:func:`alignlab.alignment.alt_test`, Calderon, Reichart & Dror 2025), item- and system-level
    Kendall tau (:func:`alignlab.alignment.correlate`), biases and leniency
    (:func:`alignlab.alignment.judge_biases`, with the length probes when the table has ``len_a``/``len_b``
    or ``length`` columns), calibration for binary labels (:func:`alignlab.alignment.calibration`), failing segments
    (:func:`alignlab.slices.find_slices`), the joint annotator model's posterior reliability
    (hierarchical Dawid-Skene or the continuous rater model, EM engines) and, for a second judge,
    :func:`alignlab.alignment.compare_judges`. See :func:`judge_rule` for the decision rule.

    Examples
    --------
    >>> from alignlab.workflows import validate_judge
    >>> from alignlab.workflows.simulate import simulate_judge_study
    >>> j = simulate_judge_study(n_items=120, n_systems=0, random_state=0)
    >>> validate_judge(j, raters="useless", find_segments=False, n_resamples=200, random_state=0).verdict
    'do_not_use'
    """
    rng = check_random_state(random_state)
    judge_id = _one_rater(judgments, raters, "raters")
    has_gold = _has_gold(judgments)
    gold_only = isinstance(reference, str) and reference == "gold"
    if gold_only and not has_gold:
        raise DataError("reference='gold' but the table has no gold labels; pass gold='<column>' to load_judgments "
                        "or name the human raters with reference=.")
    if reference is None and "human" not in set(judgments.methods):
        if not has_gold:
            raise DataError("The table has neither raters of method 'human' nor gold labels to validate the judge "
                            "against; name the reference raters with reference= or add a gold column.")
        gold_only = True
    if gold_only:
        human_ids: list[Any] = []
    else:
        human_ids = [h for h in judgments.resolve_raters("human" if reference is None else reference,
                                                         argument="reference") if h != judge_id]
        if not human_ids:
            raise InvalidParameterError(f"The 'reference' argument {reference!r} names no rater other than the judge {judge_id!r}.")
    second_id = _one_rater(judgments, second_judge, "second_judge") if second_judge is not None else None
    if second_id == judge_id:
        raise DataError("The 'second_judge' must differ from the 'judge'.")
    frame = judgments.frame
    judged = set(frame.loc[frame["rater_id"] == judge_id, "item_id"])
    if gold_only:
        gold_items = set(frame.loc[frame["gold"].notna(), "item_id"]) if "gold" in frame.columns else set()
        judged_all = judged | set(judgments.abstentions.loc[judgments.abstentions["rater_id"] == judge_id, "item_id"])
        if "gold" in judgments.abstentions.columns:
            gold_items |= set(judgments.abstentions.loc[judgments.abstentions["gold"].notna(), "item_id"])
        if len(judged_all & gold_items) < 10:
            raise DataError(f"The judge {judge_id!r} judged {len(judged_all & gold_items)} items with a gold label; "
                            "validating a judge against gold needs at least 10.")
    shared = judged & set(frame.loc[frame["rater_id"].isin(human_ids), "item_id"])
    if human_ids and len(shared) < 10:
        raise DataError(
            f"The judge {judge_id!r} and the humans share {len(shared)} items; validating a judge needs at least "
            "10 items judged by both. Check that the judge rated the same item ids as the humans."
        )
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    seed = int(rng.integers(0, 2**31 - 1))
    common = {"confidence_level": confidence_level, "random_state": seed}

    humans = bool(human_ids)  # the human evidence needs humans; gold-only validations skip it
    if not humans:
        notes.append("no human raters: the judge is validated against gold only (accuracy, kappa with gold).")
    ceiling = attempt(notes, "human ceiling", human_ceiling, judgments, raters=judge_id,
                      reference=human_ids, n_resamples=n_resamples, **common) if humans else None
    if ceiling is not None:
        rows.append(_row("judge_agreement", judge_id, ceiling.estimate, ceiling.ci_low, ceiling.ci_high,
                         ceiling.ci_method, ceiling.n_items, ceiling.method))
        rows.append(_row("human_ceiling", "humans", ceiling.ceiling, ceiling.ceiling_low, ceiling.ceiling_high,
                         ceiling.ci_method, ceiling.n_items, "each human against the other humans"))
        rows.append(_row("agreement_gap", judge_id, ceiling.gap, ceiling.gap_low, ceiling.gap_high,
                         ceiling.ci_method, ceiling.n_items, "judge minus ceiling"))
    alt = None
    if not humans:
        pass
    elif len(human_ids) >= 3:
        alt = attempt(notes, "alternative annotator test", alt_test, judgments, raters=judge_id,
                      reference=human_ids, epsilon=epsilon, n_resamples=n_resamples, **common)
    else:
        notes.append(f"alternative annotator test: needs at least 3 humans per item; {len(human_ids)} given, "
                     "so the judge cannot be shown to replace them.")
    if alt is not None:
        rows.append(_row("winning_rate", judge_id, alt.winning_rate, detail=f"passed={alt.passed}, epsilon={epsilon:g}",
                         n=alt.n_raters))
        rows.append(_row("advantage_probability", judge_id, alt.advantage_probability, alt.ci_low, alt.ci_high,
                         alt.ci_method, alt.n_items))

    ordered = judgments.scale.kind != "categorical"
    item_corr = system_corr = None
    if ordered and humans:
        item_corr = attempt(notes, "item-level correlation", correlate, judgments, raters=judge_id,
                            reference=human_ids, level="item", statistic="kendall_b", n_resamples=n_resamples, **common)
        if item_corr is not None:
            rows.append(_row("item_correlation", judge_id, item_corr.estimate, item_corr.ci_low, item_corr.ci_high,
                             item_corr.ci_method, item_corr.n_items, "Kendall tau-b with the human consensus"))
        if judgments.has("system"):
            system_corr = attempt(notes, "system-level correlation", correlate, judgments,
                                  raters=judge_id, reference=human_ids, level="system", statistic="kendall_b",
                                  n_resamples=n_resamples, **common)
            if system_corr is not None:
                rows.append(_row("system_correlation", judge_id, system_corr.estimate, system_corr.ci_low,
                                 system_corr.ci_high, system_corr.ci_method, system_corr.n_systems,
                                 "Kendall tau-b of per-system means"))
    elif not ordered:
        notes.append("correlations: not defined for unordered categorical labels; the joint model's "
                     "reliability decides whether the judge carries signal.")

    bias_options: dict[str, Any] = {}
    columns = set(judgments.frame.columns)
    if judgments.scale.kind == "pairwise" and {"len_a", "len_b"} <= columns:
        bias_options = {"length_a": "len_a", "length_b": "len_b"}
    elif "length" in columns:
        bias_options = {"length": "length"}
    if judgments.scale.kind == "pairwise" and {"order", "pair_id"} <= columns:  # both presentation orders
        bias_options["swap"] = "pair_id"
    biases = attempt(notes, "judge biases", judge_biases, judgments, raters=judge_id, reference=human_ids,
                     confidence_level=confidence_level, **bias_options) if humans else None
    leniency = pd.DataFrame()
    if biases is not None:
        bias_frame = biases.to_frame()
        leniency = bias_frame[bias_frame["bias"].astype(str).str.startswith("leniency")].reset_index(drop=True)
        for rec in bias_frame.to_dict(orient="records"):
            rows.append(_row("bias", rec.get("bias", ""), rec.get("estimate", math.nan), rec.get("ci_low", math.nan),
                             rec.get("ci_high", math.nan), str(rec.get("ci_method", "")), rec.get("n", math.nan),
                             _expected(rec.get("expected"))))
    difference = _mean_difference(judgments, judge_id, human_ids, confidence_level=confidence_level,
                                  n_resamples=n_resamples, seed=seed, notes=notes) if humans else None
    if difference is not None:
        rows.append(_row("mean_difference", judge_id, difference["estimate"], difference["ci_low"],
                         difference["ci_high"], difference["ci_method"], difference["n"],
                         "judge minus human consensus per item (positive = more lenient)"))
    calibration_result = None
    if judgments.scale.kind == "binary" and humans:
        calibration_result = attempt(notes, "calibration", calibration, judgments, raters=judge_id,
                              reference=human_ids, n_resamples=n_resamples, **common)
        if calibration_result is not None:
            rows.append(_row("calibration_ece", judge_id, calibration_result.estimate, calibration_result.ci_low,
                             calibration_result.ci_high, calibration_result.ci_method, calibration_result.n_items,
                             calibration_result.variant))

    slices_result = None
    if find_segments and judgments.segments and humans:
        kind = "disagree" if judgments.scale.kind in ("binary", "categorical", "pairwise") else "absolute"
        div = attempt(notes, "failing segments", divergence, judgments, raters=judge_id, reference=human_ids, kind=kind)
        if div is not None:
            slices_result = attempt(notes, "failing segments", find_slices, div, depth=2, top_k=5,
                                    n_permutations=min(n_resamples, 1000), confidence_level=confidence_level,
                                    random_state=seed)
    elif find_segments and humans:
        notes.append("failing segments: the table has no segment columns.")
    segments = _slice_rows(slices_result)
    for rec in segments.head(5).to_dict(orient="records"):
        rows.append(_row("failing_segment", rec["predicate"], rec["effect"], rec.get("ci_low", math.nan),
                         rec.get("ci_high", math.nan), "find_slices (FCR-adjusted)", rec.get("size", math.nan),
                         f"q = {rec.get('q_value', math.nan):.3g}"))

    # gold, abstentions and both presentation orders (alignlab.alignment.judges) ----------------------
    gold_accuracy = order_stats = None
    discrete = judgments.scale.is_discrete
    gold_humans = [h for h in (human_ids or _method_raters(judgments, "human")) if h != judge_id]
    if has_gold and discrete:
        who = [judge_id] + ([second_id] if second_id is not None else []) + gold_humans
        gold_accuracy = attempt(notes, "accuracy against gold", judge_accuracy, judgments, raters=who,
                                reference="gold", n_resamples=n_resamples, **common)
        if gold_accuracy is not None:
            rows.extend(_accuracy_rows(gold_accuracy, "gold_", judge_id, gold_humans))
    if gold_accuracy is None and humans and discrete and judgments.has("order"):
        order_stats = attempt(notes, "presentation order", judge_accuracy, judgments, raters=[judge_id],
                              reference=human_ids, n_resamples=n_resamples, **common)
        if order_stats is not None:
            rows.extend(_accuracy_rows(order_stats, "majority_", judge_id))
    accuracy = gold_accuracy if gold_accuracy is not None else order_stats

    reliability = pd.DataFrame()
    model_name = model_choice = ""
    try:
        model, model_name = fit_joint_model(judgments, confidence_level=confidence_level, random_state=seed)
        model_choice = getattr(model, "model_choice_", "")
        raters = rater_table(model)
        wanted = [judge_id, *human_ids] + ([second_id] if second_id is not None else [])
        reliability = raters[raters["rater_id"].isin(wanted)].reset_index(drop=True)
        for rec in reliability.to_dict(orient="records"):
            rows.append(_row("reliability", rec["rater_id"], rec["reliability"], rec["reliability_low"],
                             rec["reliability_high"], "posterior interval (EM)", rec.get("n", math.nan), model_name))
            if has_gold and not pd.isna(rec.get("accuracy", math.nan)):  # model-smoothed beside the raw accuracy
                rows.append(_row("model_accuracy", rec["rater_id"], rec["accuracy"], rec.get("accuracy_low", math.nan),
                                 rec.get("accuracy_high", math.nan), "posterior interval (EM)", rec.get("n", math.nan),
                                 f"{model_name}: P(label = latent truth), answered items"))
    except ValueError as exc:
        notes.append(f"joint annotator model: not fitted ({exc})")

    comparison = None
    conclusion = ""
    if second_id is not None:
        if has_gold and discrete and (not humans or not ordered):
            paired = attempt(notes, "second judge", compare_judge_configs, judgments, raters=[judge_id, second_id],
                             reference="gold", by="all", n_resamples=n_resamples, **common)
            if paired is not None:
                rec = paired.pairs.iloc[0]
                sign = 1.0 if rec["rater_1"] == judge_id else -1.0
                diff = sign * float(rec["difference"])
                low, high = sorted((sign * float(rec["ci_low"]), sign * float(rec["ci_high"])))
                rows.append(_row("judge_comparison", f"{judge_id} - {second_id}", diff, low, high, rec["test"],
                                 rec["n"], f"accuracy against gold; p = {rec['p_value']:.3g}"))
                conclusion = ("no significant difference" if not rec["p_value"] <= 0.05
                              else ("better" if diff > 0 else "worse"))
        elif ordered and humans:
            comparison = attempt(notes, "second judge", compare_judges, judgments,
                                 raters=[judge_id, second_id], reference=human_ids, statistic="kendall_b",
                                 n_permutations=max(10, min(n_resamples, 1000)), n_resamples=n_resamples, **common)
            conclusion = _comparison_conclusion(comparison, judge_id, second_id)
        else:
            notes.append("second judge: compare_judges needs an ordered scale, or gold labels.")
        if comparison is not None:
            for rec in comparison.pairs.to_dict(orient="records"):
                rows.append(_row("judge_comparison", f"{rec['better']} > {rec['worse']}", rec.get("delta", math.nan),
                                 detail=f"p = {rec.get('p_value', math.nan):.3g} (PERM-BOTH, one-sided)"))

    if gold_accuracy is not None and len(human_ids) < 3:  # gold decides when the humans cannot
        verdict, reasons, harmful = _decide_gold(gold_accuracy, judge_id, gold_humans, reliability,
                                                 min_accuracy=min_accuracy, epsilon=epsilon)
    else:
        verdict, reasons, harmful = _decide(alt=alt, system_corr=system_corr, item_corr=item_corr,
                                            reliability=reliability, judge=judge_id,
                                            has_system=judgments.has("system"), n_humans=len(human_ids),
                                            min_system_tau=min_system_tau, epsilon=epsilon,
                                            leniency=_standardised_leniency(judgments, difference, human_ids),
                                            max_leniency=max_leniency)
        gold_harm = _gold_harm(gold_accuracy, judge_id)
        if gold_harm and not harmful:
            verdict, reasons, harmful = "do_not_use", [gold_harm], True
    verdict, reasons = _order_condition(verdict, list(reasons), accuracy, judge_id, max_order_flip)
    table = pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
    return JudgeValidation(
        table=table, method=f"validate_judge({judge_id!s} vs "
        f"{'gold' if not human_ids else str(len(human_ids)) + ' humans'}{' and gold' if human_ids and has_gold else ''})",
        confidence_level=confidence_level, verdict=verdict, harmful=harmful,
        rule=judge_rule(epsilon, min_system_tau, confidence_level, max_leniency, max_order_flip=max_order_flip,
                        min_accuracy=min_accuracy),
        reasons=tuple(reasons), judge=str(judge_id), humans=tuple(human_ids), epsilon=epsilon,
        n_items=int(judgments.subset(raters=[judge_id]).n_items), second_judge=second_id, alt_test=alt,
        ceiling=ceiling, item_correlation=item_corr, system_correlation=system_corr, biases=biases,
        calibration=calibration_result, comparison=comparison, comparison_conclusion=conclusion, leniency=leniency,
        segments=segments, reliability=reliability, accuracy=accuracy, model=model_name, model_choice=model_choice, notes=tuple(notes), data=judgments.summary(), data_hash=judgments.data_hash,
        random_state=random_state, warnings=tuple(notes),
    )


def _mean_difference(judgments: Judgments, judge: str, human_ids: list[Any], *, confidence_level: float,
                     n_resamples: int, seed: int, notes: list[str]) -> dict[str, Any] | None:
    """Mean signed difference judge - human consensus over items, with a percentile bootstrap interval.

    The per-item differences come from :func:`alignlab.slices.divergence` (``kind="signed"``); their mean is
    bootstrapped over items with the shared engine. Ordered scales only (binary, ordinal, continuous):
    for binary labels this is the difference in pass rates, the signed counterpart of the
    ``P(judge pass | human fail)`` leniency probe.
    """
    if judgments.scale.kind in ("categorical", "pairwise"):
        return None
    div = attempt(notes, "mean difference", divergence, judgments, raters=judge, reference=human_ids, kind="signed")
    if div is None:
        return None
    values = div["divergence"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 3:
        return None

    def mean(w: np.ndarray) -> np.ndarray:
        return (w @ values) / w.sum(axis=1)

    boot = bootstrap(mean, values.size, n_resamples=n_resamples, confidence_level=confidence_level,
                     method="percentile", random_state=seed)
    return {"estimate": float(values.mean()), "ci_low": boot.low, "ci_high": boot.high,
            "ci_method": boot.ci_method, "n": int(values.size)}


def _standardised_leniency(judgments: Judgments, row: dict[str, Any] | None, human_ids: list[Any]) -> dict[str, float] | None:
    """The mean signed difference in SDs of the humans' per-item mean scores."""
    if row is None:
        return None
    try:
        values = numeric_values(judgments)
    except ValueError:
        return None
    is_human = judgments.frame["rater_id"].isin(human_ids).to_numpy()
    codes = judgments.item_codes[is_human]
    count = np.bincount(codes, minlength=judgments.n_items)
    total = np.bincount(codes, weights=values[is_human], minlength=judgments.n_items)
    item_means = total[count > 0] / count[count > 0]
    sd = float(np.std(item_means, ddof=1)) if item_means.size > 1 else math.nan
    if not sd > 0:
        return None
    return {"estimate": float(row["estimate"]), "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]),
            "sd": sd}


def _decide(*, alt: Any, system_corr: Any, item_corr: Any, reliability: pd.DataFrame, judge: str, has_system: bool,
            n_humans: int, min_system_tau: float, epsilon: float, leniency: dict[str, float] | None = None,
            max_leniency: float = 0.2) -> tuple[str, list[str], bool]:
    reasons: list[str] = []
    harmful = _harm(reliability, judge, item_corr)
    if harmful:
        return "do_not_use", [harmful], True
    alt_passed = bool(alt is not None and alt.passed)
    if alt is None:
        reasons.append(f"alternative annotator test not available ({n_humans} humans; it needs at least 3 "
                       "per item), so replacing the humans cannot be justified")
    else:
        reasons.append(f"alternative annotator test {'passed' if alt_passed else 'failed'}: the judge is at least as "
                       f"good as {alt.winning_rate:.0%} of the humans (needs 50%) at epsilon = {epsilon:g}")
    system_ok = True
    if has_system:
        if system_corr is None or math.isnan(system_corr.estimate):
            system_ok = False
            reasons.append("system-level ranking could not be checked")
        else:
            system_ok = bool(system_corr.estimate >= min_system_tau and system_corr.ci_low > 0)
            reasons.append(f"system-level Kendall tau {system_corr.estimate:.2f} "
                           f"({system_corr.ci_low:.2f} to {system_corr.ci_high:.2f}) "
                           f"{'meets' if system_ok else 'misses'} the bar of {min_system_tau:g} with the interval above 0")
    level_ok = True
    if leniency is not None:
        shift = leniency["estimate"] / leniency["sd"]
        covers_zero = leniency["ci_low"] <= 0 <= leniency["ci_high"]
        level_ok = bool(abs(shift) <= max_leniency or covers_zero)
        direction = "more lenient" if shift > 0 else "more severe"
        reasons.append(f"the judge scores {direction} than the humans by {abs(leniency['estimate']):.3g} "
                       f"({abs(shift):.2f} SD of the human item scores; interval {leniency['ci_low']:.3g} to "
                       f"{leniency['ci_high']:.3g}): {'within' if level_ok else 'beyond'} the {max_leniency:g} SD "
                       "allowed to replace the humans")
    if alt_passed and system_ok and level_ok:
        return "replace", reasons, False
    signal = False
    if item_corr is not None and not math.isnan(item_corr.ci_low):
        signal = bool(item_corr.ci_low > 0)
        reasons.append(f"item-level Kendall tau with the humans {item_corr.estimate:.2f} "
                       f"({item_corr.ci_low:.2f} to {item_corr.ci_high:.2f}): "
                       f"{'signal' if signal else 'no reliable signal'} about the human judgments")
    elif not reliability.empty and judge in set(reliability["rater_id"]):
        rec = reliability.set_index("rater_id").loc[judge]
        signal = bool(rec["reliability_low"] > 0)
        reasons.append(f"posterior reliability {rec['reliability']:.2f} ({rec['reliability_low']:.2f} to "
                       f"{rec['reliability_high']:.2f}): {'signal' if signal else 'no reliable signal'}")
    else:
        reasons.append("no evidence of signal about the human judgments could be computed")
    return ("assist" if signal else "do_not_use"), reasons, False


def _harm(reliability: pd.DataFrame, judge: str, item_corr: Any) -> str:
    """Why the judge is harmful (worse than chance), or "" when it is not."""
    if not reliability.empty and judge in set(reliability["rater_id"]):
        rec = reliability.set_index("rater_id").loc[judge]
        below = rec.get("adversarial_prob", math.nan)
        below = float(below) if below is not None and not pd.isna(below) else math.nan
        worse = below >= ADVERSARIAL_PROB if not math.isnan(below) else bool(rec["reliability_high"] < 0)
        if worse:
            chance = f"; probability {below:.2f} that it is below 0" if not math.isnan(below) else ""
            return (f"harmful: the judge agrees with the truth less often than chance - posterior reliability "
                    f"{rec['reliability']:.2f} ({rec['reliability_low']:.2f} to {rec['reliability_high']:.2f}; 0 = "
                    f"chance{chance}); it systematically prefers the wrong answer, so do not use it (flipping its "
                    "labels is a separate, explicit decision)")
    if item_corr is not None and not math.isnan(item_corr.ci_high) and item_corr.ci_high < 0:
        return (f"harmful: item-level Kendall tau with the humans {item_corr.estimate:.2f} "
                f"({item_corr.ci_low:.2f} to {item_corr.ci_high:.2f}) is below 0: the judge ranks the items "
                "against the humans, so do not use it")
    return ""


def _has_gold(judgments: Judgments) -> bool:
    for table in (judgments.frame, judgments.abstentions):
        if "gold" in table.columns and table["gold"].notna().any():
            return True
    return False


def _method_raters(judgments: Judgments, method: str) -> list[Any]:
    info = judgments.rater_info
    return info.loc[info["method"] == method, "rater_id"].tolist()


_UNPREFIXED = ("abstention_rate", "position_consistency", "order_inconsistency", "first_position_rate")


def _accuracy_rows(result: Any, prefix: str, judge: Any, humans: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Evidence rows from a :class:`~alignlab.alignment.judges.JudgeAccuracyResult`: every statistic of the
    judges, and the accuracies of the ``humans`` (``human_gold_accuracy``, ``human_gold_accuracy_answered``)."""
    out = []
    human_set = {str(h) for h in humans}
    for rec in result.table.to_dict(orient="records"):
        statistic = rec["statistic"]
        if str(rec["rater_id"]) in human_set:
            if statistic not in ("accuracy", "accuracy_answered"):
                continue
            name = "human_" + prefix + statistic
        else:
            name = statistic if statistic in _UNPREFIXED else prefix + statistic
        out.append(_row(name, rec["rater_id"], rec["estimate"], rec["ci_low"], rec["ci_high"], rec["ci_method"],
                        rec["n"], rec["detail"]))
    return out


def _stat(result: Any, rater: Any, statistic: str) -> dict[str, Any] | None:
    if result is None:
        return None
    t = result.table
    hit = t[(t["rater_id"].astype(str) == str(rater)) & (t["statistic"] == statistic)]
    return None if hit.empty else hit.iloc[0].to_dict()


def _gold_harm(result: Any, judge: Any) -> str:
    kappa = _stat(result, judge, "kappa")
    if kappa is None or not kappa["ci_high"] < 0:
        return ""
    acc = _stat(result, judge, "accuracy")
    chance = _stat(result, judge, "chance_rate")
    return (f"harmful: the judge agrees with gold less often than chance - Cohen's kappa with gold "
            f"{kappa['estimate']:.2f} ({kappa['ci_low']:.2f} to {kappa['ci_high']:.2f}), accuracy "
            f"{acc['estimate']:.3f} against {chance['estimate']:.3f} expected by chance; it systematically "
            "prefers the wrong answer, so do not use it (flipping its labels is a separate, explicit decision)")


def _decide_gold(result: Any, judge: Any, humans: list[Any], reliability: pd.DataFrame, *, min_accuracy: float,
                 epsilon: float) -> tuple[str, list[str], bool]:
    harm = _gold_harm(result, judge) or _harm(reliability, judge, None)
    if harm:
        return "do_not_use", [harm], True
    reasons: list[str] = []
    acc = _stat(result, judge, "accuracy")
    answered = _stat(result, judge, "accuracy_answered")
    abstained = _stat(result, judge, "abstention_rate")
    human_acc = [r["estimate"] for h in humans if (r := _stat(result, h, "accuracy")) is not None]
    if human_acc:
        bar = float(np.mean(human_acc)) - epsilon
        source = f"the humans' mean accuracy against gold {np.mean(human_acc):.3f} minus epsilon = {epsilon:g}"
    else:
        bar, source = min_accuracy, "min_accuracy (no human has gold-labelled items)"
    if acc is None:
        return "do_not_use", ["no accuracy against gold could be computed"], False
    passes = bool(acc["ci_low"] >= bar)
    reasons.append(f"accuracy against gold {acc['estimate']:.3f} ({acc['ci_low']:.3f} to {acc['ci_high']:.3f}; "
                   f"abstentions as wrong, {abstained['estimate']:.1%} abstained; {answered['estimate']:.3f} on the "
                   f"answered items): its lower bound {'reaches' if passes else 'misses'} the bar {bar:.3f} "
                   f"({source})")
    if passes:
        return "replace", reasons, False
    kappa = _stat(result, judge, "kappa")
    signal = bool(kappa is not None and kappa["ci_low"] > 0)
    if kappa is not None:
        reasons.append(f"Cohen's kappa with gold {kappa['estimate']:.2f} ({kappa['ci_low']:.2f} to "
                       f"{kappa['ci_high']:.2f}): {'signal' if signal else 'no reliable signal'} about the gold answers")
    return ("assist" if signal else "do_not_use"), reasons, False


def _order_condition(verdict: str, reasons: list[str], result: Any, judge: Any,
                     max_order_flip: float) -> tuple[str, list[str]]:
    """A judge whose preference changes with the presentation order too often cannot replace."""
    row = _stat(result, judge, "order_inconsistency")
    if row is None or math.isnan(row["estimate"]):
        return verdict, reasons
    ok = bool(row["ci_high"] <= max_order_flip)
    reasons.append(f"order inconsistency {row['estimate']:.1%} ({row['ci_low']:.1%} to {row['ci_high']:.1%}) of "
                   f"{row['n']:.0f} pairs judged in both orders: {'within' if ok else 'above'} the "
                   f"{max_order_flip:.0%} allowed to replace")
    if verdict == "replace" and not ok:
        verdict = "assist"
        reasons.append("position-biased: the verdict depends on which output is shown first, so the judge cannot "
                       "replace the reference (assist at most; average both orders)")
    return verdict, reasons
