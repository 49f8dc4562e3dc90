"""Which annotator model fits these raters? Held-out label log-likelihood and accuracy against gold.

:func:`compare_models` fits every candidate model on the same judgments and scores it two ways:

- **held-out label log-likelihood** (item folds): the items are split into ``cv`` folds; each
  model is refitted with one fold's items weighted 0 and scored by the log-likelihood of the
  held-out items' labels with their class summed out, ``log sum_k pi_k prod_j P(y_ij | k)``. It
  measures how well the model predicts labels it has not seen, so it needs no gold and punishes
  both over-fitting (full confusion matrices from a handful of labels) and under-fitting
  (symmetric errors for raters with a label bias). Differences against the best model carry a
  paired standard error over items (``sqrt(n) sd(d_i)``: the folds are disjoint item sets);
- **accuracy against gold** (where a ``gold`` column exists): the models are fitted without the
  gold labels (``use_gold=False``) and their consensus compared with gold, with a Wilson interval
  (statsmodels); majority vote is listed beside them.

The recommended model has the largest held-out log-likelihood among the fits that did not
collapse (see :mod:`alignlab.annotators._checks`) and whose latent classes keep the labels'
meaning (:func:`classes_keep_labels`), unless gold shows another model more accurate
with a paired item-bootstrap interval that excludes 0: then that one, and ``reason`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from alignlab._array import annotators_em as em
from alignlab._params import (
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.annotators._base import coerce_judgments
from alignlab.annotators._checks import majority_shares
from alignlab.results import Summary, TableResult

__all__ = ["ModelComparison", "candidate_models", "classes_keep_labels", "compare_models"]

_MIN_GOLD_FOR_CHOICE = 30


def candidate_models(scale_kind: str, random_state: Any = 0) -> dict[str, Any]:
    """The models :func:`compare_models` tries for a scale (``models=None``), unfitted.

    Binary, categorical, ordinal and pairwise labels: Dawid–Skene with the data-chosen prior
    (the default), plain (flat, maximum-likelihood) Dawid–Skene, one-coin, MACE and GLAD; ordinal
    labels also OrdinalRaters (latent quality, severity, discrimination).
    """
    from alignlab.annotators import GLAD, MACE, DawidSkene, OneCoin, OrdinalRaters

    if scale_kind not in ("binary", "categorical", "ordinal", "pairwise"):
        raise DataError(f"compare_models compares the categorical annotator models (DawidSkene, OneCoin, MACE, "
                         f"GLAD); a {scale_kind} scale has one model here (ContinuousRaters): fit it directly.")
    common = {"ci_method": "none", "use_gold": False, "random_state": random_state}
    models: dict[str, Any] = {
        "DawidSkene": DawidSkene(**common),
        "DawidSkene (flat)": DawidSkene(prior="flat", **common),
        "OneCoin": OneCoin(**common),
        "MACE": MACE(**common),
        "GLAD": GLAD(**common),
    }
    if scale_kind == "ordinal":
        models["OrdinalRaters"] = OrdinalRaters(random_state=random_state)
    return models


def _without_gold(judgments: Any) -> Any:
    """The judgments with the gold column dropped (for models that always use gold when present)."""
    from alignlab.data import load_judgments

    if not judgments.has("gold"):
        return judgments
    return load_judgments(judgments.frame.drop(columns="gold"), scale=judgments.scale, segments=[])


def _ordinal_item_loglik(model: Any, train: Any, test: Any) -> np.ndarray:
    """Held-out log-likelihood of each ``test`` item's labels under an OrdinalRaters fitted on ``train``.

    ``log sum_q w_q prod_j P(y_ij | q)`` with the item quality on the model's own 41-node grid and
    ``w_q`` its N(0, 1) prior; raters absent from ``train`` get severity 0 and the typical
    (geometric-mean) discrimination.
    """
    from scipy.special import logsumexp
    from scipy.stats import norm

    from alignlab._array.annotators_continuous_ordinal import GRID
    from alignlab.annotators.ordinal import _cdf

    model.fit(train)
    raters = model.raters_.set_index("rater_id")
    severity = raters["severity"].reindex(test.raters).to_numpy(dtype=float)
    disc = raters["discrimination"].reindex(test.raters).to_numpy(dtype=float)
    severity = np.where(np.isfinite(severity), severity, 0.0)
    disc = np.where(np.isfinite(disc), disc, float(np.exp(np.log(raters["discrimination"]).mean())))
    cuts = np.concatenate([[-np.inf], model.thresholds_, [np.inf]])
    r, c = test.rater_codes, test.label_codes
    d, s = disc[r][:, None], severity[r][:, None]
    with np.errstate(invalid="ignore"):
        upper = np.where(np.isfinite(cuts[c + 1])[:, None], _cdf(d * (cuts[c + 1][:, None] + s - GRID[None, :]),
                                                                 model.link), 1.0)
        lower = np.where(np.isfinite(cuts[c])[:, None], _cdf(d * (cuts[c][:, None] + s - GRID[None, :]),
                                                             model.link), 0.0)
    log_p = np.log(np.maximum(upper - lower, 1e-300)) * test.frame["weight"].to_numpy(dtype=float)[:, None]
    per_item = np.zeros((test.n_items, len(GRID)))
    np.add.at(per_item, test.item_codes, log_p)  # (items x grid): few items per fold, memory items x 41
    log_w = norm.logpdf(GRID) - logsumexp(norm.logpdf(GRID))
    return logsumexp(per_item + log_w[None, :], axis=1)


@dataclass(frozen=True, kw_only=True)
class ModelComparison(TableResult):
    """Result of :func:`compare_models`: one row per model (``to_frame()``) and the recommendation.

    Columns: ``model, heldout_loglik, heldout_loglik_per_judgment, delta_vs_best, delta_se,
    accuracy, accuracy_low, accuracy_high, n_gold, mv_disagreement, collapsed, classes_keep_labels, warnings,
    recommended``. ``fitted`` holds the models fitted on all the judgments (without gold).
    """

    recommended: str = ""
    reason: str = ""
    cv: int = 5
    fitted: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def best_model(self) -> Any:
        """The recommended model, fitted on all the judgments (gold not used)."""
        return self.fitted[self.recommended]

    def summary(self) -> Summary:
        lines = (f"Recommended: {self.recommended} — {self.reason}",
                 f"Held-out label log-likelihood from {self.cv} item folds (higher is better); accuracy against "
                 f"gold with {self.confidence_level:.0%} Wilson intervals, models fitted without gold.")
        return Summary(self.method, lines=lines, tables=(("models", self.table),), warnings=self.warnings)


def classes_keep_labels(counts: np.ndarray, proba: np.ndarray) -> bool:
    """Whether every latent class k of a fit (holding > 1% of the expected judgments) is the label
    raters most often give to its items, pooled over raters: ``argmax_l sum_i P(k | i) n_il = k``.

    The likelihood cannot tell what a latent class means: a full confusion matrix can turn class k
    into "items raters disagree on" (DICES-350, medical-safety queries) and score well held out while
    its consensus falls below majority vote. :func:`compare_models` treats such a fit like a
    collapsed one (not recommended); ``DawidSkene(prior="auto")`` applies the same rule to its priors.
    """
    pooled = proba.T @ counts  # (latent class, label)
    rows = pooled.sum(axis=1) > 0.01 * pooled.sum()
    return bool((np.argmax(pooled, axis=1) == np.arange(len(pooled)))[rows].all())


def _item_folds(n_items: int, cv: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(n_items) % cv


def _cv_item_loglik(model: Any, judgments: Any, folds: np.ndarray, cv: int) -> np.ndarray:
    """Per item: the held-out log-likelihood of its labels under ``model`` refitted without its fold.

    The model must already be fitted on ``judgments`` (its data-chosen settings, e.g. DawidSkene's
    prior or a resolved prevalence, are kept for the refits).
    """
    kept = {k: model.__dict__[k] for k in ("_chosen_prior", "_resolved_prevalence") if k in model.__dict__}
    model._prepare(judgments)
    model.__dict__.update(kept)
    try:
        design = model._design_
        free = replace(design, gold=np.full(design.n_items, -1, dtype=np.int64))
        T0 = em.majority_posterior(design)
        out = np.zeros(design.n_items)
        for fold in range(cv):
            test = folds == fold
            params, _, _, _, _ = model._run(design, T0, None, (~test).astype(float), min(model.max_iter, 200),
                                            tol=max(model.tol, 1e-6))
            out[test] = model._item_log_marginal(free, params)[test]
    finally:
        for name in ("_design_", "_history_", "_rater_frame_"):
            model.__dict__.pop(name, None)
    return out


def _judgment_prob(model: Any, design: em.Design, params: dict[str, np.ndarray], T: np.ndarray) -> np.ndarray:
    """Per judgment: ``sum_k T[i, k] P(y_ij | k)``, the predictive probability of the label given the
    item's posterior from the other labels (GLAD: with the item's own difficulty)."""
    item, rater, label = design.item, design.rater, design.label
    if "gamma" in params:  # GLAD: P(y = k | k) = sigmoid(a_j exp(g_i)), errors uniform
        from scipy.special import expit

        right = expit(params["ability"][rater] * np.exp(params["gamma"][item]))
        t = T[item, label]
        return t * right + (1 - t) * (1 - right) / (design.n_classes - 1)
    theta = model._theta(params)  # (J, K true, K label)
    return np.einsum("nk,nk->n", T[item], theta[rater, :, label])


def _cv_label_loglik(model: Any, judgments: Any, folds: np.ndarray, cv: int) -> np.ndarray:
    """Per item: the summed log predictive probability of its held-out judgments (judgment folds).

    Each fold's judgments get weight 0; the model is refitted on the rest and every held-out label
    is scored by ``log sum_k P(k | the item's other labels) P(y | k)``, so item-level parameters
    (GLAD's difficulty) are used as estimated from the item's other labels.
    """
    kept = {k: model.__dict__[k] for k in ("_chosen_prior", "_resolved_prevalence") if k in model.__dict__}
    model._prepare(judgments)
    model.__dict__.update(kept)
    try:
        base = model._design_
        out = np.zeros(base.n_items)
        for fold in range(cv):
            test = folds == fold
            design = em.make_design(base.item, base.rater, base.label, base.weight * ~test, base.n_items,
                                    base.n_raters, base.n_classes, base.gold)
            params, T, _, _, _ = model._run(design, em.majority_posterior(design), None, None,
                                            min(model.max_iter, 200), tol=max(model.tol, 1e-6))
            p = _judgment_prob(model, design, params, T)[test]
            out += np.bincount(base.item[test], weights=base.weight[test] * np.log(np.maximum(p, 1e-300)),
                               minlength=base.n_items)
    finally:
        for name in ("_design_", "_history_", "_rater_frame_"):
            model.__dict__.pop(name, None)
    return out


def _paired_gold_gap(a: np.ndarray, b: np.ndarray, level: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """Accuracy difference a - b on the same gold items with a percentile item-bootstrap interval."""
    from alignlab._array.bootstrap import bootstrap

    diff = a.astype(float) - b.astype(float)
    if not diff.any():  # the same items right: no difference to resample (the bootstrap would be degenerate)
        return 0.0, 0.0, 0.0
    outcome = bootstrap(lambda w: (w @ diff) / w.sum(axis=1), len(diff), n_resamples=2000, method="percentile",
                        confidence_level=level, random_state=rng)
    return float(diff.mean()), float(outcome.low), float(outcome.high)


@validate_params({
    "models": [dict, list, tuple, None],
    "cv": [Interval("integral", 2, None)],
    "holdout": [Options(("items", "labels"))],
    "confidence_level": [Interval("real", 0, 1, closed="neither")],
    "random_state": RANDOM_STATE,
})
def compare_models(judgments: Any, models: dict[str, Any] | Sequence[Any] | None = None, *, cv: int = 5,
                   holdout: str = "items", confidence_level: float = 0.95, random_state: int | np.random.Generator | None = 0) -> ModelComparison:
    """Compare annotator models by held-out label log-likelihood and accuracy against gold.

    Parameters
    ----------
    judgments : Judgments, DataFrame or path
    models : dict of name -> unfitted model, list of models, or None
        ``None`` tries every categorical model that fits the scale (:func:`candidate_models`):
        DawidSkene (data-chosen prior), DawidSkene (flat), OneCoin, MACE, GLAD. Models are
        refitted with ``use_gold=False`` and ``ci_method="none"`` (gold is for evaluation only).
    cv : int, default 5
        Folds of the held-out log-likelihood.
    holdout : {"items", "labels"}, default "items"
        ``"items"``: whole items are held out and their labels scored with the class summed out
        (how well the model predicts new items). ``"labels"``: single judgments are held out and
        scored given the item's other labels, so item-level parameters count (GLAD's item
        difficulty, which item folds cannot use); OrdinalRaters is then left out.
    confidence_level : float
        Of the Wilson intervals on gold accuracy and the paired gold-accuracy comparison.
    random_state : int, Generator or None, default 0
        Fold assignment and MACE's restarts.

    Returns
    -------
    ModelComparison
        ``to_frame()``: one row per model; ``recommended`` / ``reason``; ``best_model()``.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import compare_models
    >>> result = compare_models(alignlab.datasets.load("bluebird"), cv=3)
    >>> result.recommended in result.to_frame()["model"].tolist()
    True
    """
    from statsmodels.stats.proportion import proportion_confint

    data = coerce_judgments(judgments, "compare_models")
    rng = check_random_state(random_state)
    if models is None:
        models = candidate_models(data.scale.kind, random_state=int(rng.integers(2**31)))
    elif not isinstance(models, dict):
        models = {type(m).__name__: m for m in models}
    if not models:
        raise InvalidParameterError("compare_models needs at least one model; pass models=None to try every one that fits.")
    folds = _item_folds(data.n_items, cv, rng)
    label_folds = rng.permutation(len(data)) % cv if holdout == "labels" else None
    if holdout == "labels":
        models = {n: m for n, m in models.items() if hasattr(m, "_run")}
        if not models:
            raise DataError("holdout='labels' compares the categorical models only (DawidSkene, OneCoin, MACE, GLAD).")
    has_gold = data.has("gold")
    gold_codes = None
    if has_gold:
        gold = data.item_info["gold"]
        gold_codes = np.where(gold.notna().to_numpy(), data.scale.encode(gold.where(gold.notna(), None)), -1)
        has_gold = bool((gold_codes >= 0).any())
    rows, fitted, correct, per_item = [], {}, {}, {}
    for name, template in models.items():
        settings = template.get_params()
        settings.update({k: v for k, v in (("use_gold", False), ("ci_method", "none")) if k in settings})
        model = type(template)(**settings)
        if "random_state" in model.get_params() and model.random_state is None:
            model.set_params(random_state=int(rng.integers(2**31)))
        if hasattr(model, "_run"):  # the categorical models: folds as item weights on one design
            model.fit(data)
            per_item[name] = (_cv_item_loglik(model, data, folds, cv) if label_folds is None
                              else _cv_label_loglik(model, data, label_folds, cv))
        else:  # OrdinalRaters: refit on the other folds' items, score the held-out items on the grid
            plain = _without_gold(data)
            per_item[name] = np.zeros(data.n_items)
            items = np.asarray(plain.items, dtype=object)
            for fold in range(cv):
                test = folds == fold
                scored = _ordinal_item_loglik(type(model)(**model.get_params()), plain.subset(items=list(items[~test])),
                                              plain.subset(items=list(items[test])))
                per_item[name][test] = scored
            model.fit(plain)
        fitted[name] = model
        conv = model.convergence_.iloc[0] if "convergence_" in vars(model) else pd.Series(dtype=object)
        row = {"model": name, "heldout_loglik": float(per_item[name].sum()),
               "heldout_loglik_per_judgment": float(per_item[name].sum() / len(data)),
               "mv_disagreement": float(conv.get("mv_disagreement", np.nan)), "collapsed": str(conv.get("collapsed", "")),
               "classes_keep_labels": (classes_keep_labels(data.counts(), model.proba_.to_numpy())
                                       if hasattr(model, "_run") else True),
               "warnings": " | ".join(model.warnings_)}
        if has_gold:
            pred = np.argmax(model.proba_.to_numpy(), axis=1)
            mask = gold_codes >= 0
            correct[name] = pred[mask] == gold_codes[mask]
        rows.append(row)
    table = pd.DataFrame(rows)
    best = int(np.argmax(table["heldout_loglik"].to_numpy()))
    best_name = table.loc[best, "model"]
    d = {name: per_item[best_name] - per_item[name] for name in per_item}
    table["delta_vs_best"] = [-float(d[n].sum()) for n in table["model"]]
    table["delta_se"] = [float(np.sqrt(len(d[n])) * d[n].std(ddof=1)) if len(d[n]) > 1 else np.nan
                         for n in table["model"]]
    if has_gold:
        mask = gold_codes >= 0
        n_gold = int(mask.sum())
        hits = np.array([correct[n].sum() for n in table["model"]], dtype=float)
        table["accuracy"] = hits / n_gold
        low, high = proportion_confint(hits, n_gold, alpha=1 - confidence_level, method="wilson")
        table["accuracy_low"], table["accuracy_high"] = low, high
        table["n_gold"] = n_gold
        top, _ = majority_shares(data.counts()[mask])
        mv_expected = float((top[np.arange(n_gold), gold_codes[mask]] / top.sum(axis=1)).sum())
        mv_low, mv_high = proportion_confint(mv_expected, n_gold, alpha=1 - confidence_level, method="wilson")
        table = pd.concat([table, pd.DataFrame([{"model": "majority vote", "accuracy": mv_expected / n_gold,
                                                 "accuracy_low": mv_low, "accuracy_high": mv_high,
                                                 "n_gold": n_gold}])], ignore_index=True)
    sound = table[(table["model"].isin(list(models))) & (table["collapsed"].fillna("") == "")
                  & (table["classes_keep_labels"].fillna(True).astype(bool))]
    pool = sound if len(sound) else table[table["model"].isin(list(models))]
    choice = pool.loc[pool["heldout_loglik"].idxmax(), "model"]
    unit = "item" if holdout == "items" else "judgment"
    reason = (f"largest held-out label log-likelihood ({pool['heldout_loglik'].max():.1f} over {cv} {unit} folds, "
              f"{pool['heldout_loglik_per_judgment'].max():.4f} per judgment)")
    runner = pool[pool["model"] != choice]
    if len(runner):
        second = runner.loc[runner["heldout_loglik"].idxmax()]
        gap = float(pool["heldout_loglik"].max() - second["heldout_loglik"])
        se = float(table.set_index("model").loc[second["model"], "delta_se"]) if choice == best_name else np.nan
        reason += f", {gap:.1f} above {second['model']}" + (f" (paired SE {se:.1f})" if np.isfinite(se) else "")
    warnings: list[str] = []
    if has_gold and int((gold_codes >= 0).sum()) >= _MIN_GOLD_FOR_CHOICE:
        acc = pool.set_index("model")["accuracy"]
        gold_best = acc.idxmax()
        if gold_best != choice and float(acc[gold_best]) > float(acc[choice]):
            gap, lo, hi = _paired_gold_gap(correct[gold_best], correct[choice], confidence_level, rng)
            if lo > 0:
                reason = (f"{gold_best} is more accurate against gold than {choice} (the held-out likelihood's choice) "
                          f"by {gap:+.4f} ({confidence_level:.0%} paired item-bootstrap interval {lo:+.4f} to "
                          f"{hi:+.4f}) on {int((gold_codes >= 0).sum())} gold items")
                choice = gold_best
        mv_acc = float(table.loc[table["model"] == "majority vote", "accuracy"].iloc[0])
        if float(acc[choice]) < mv_acc:
            warnings.append(f"the recommended model {choice} is less accurate against gold than majority vote "
                            f"({float(acc[choice]):.4f} vs {mv_acc:.4f}).")
    table["recommended"] = table["model"] == choice
    collapsed = sorted(table.loc[table["model"].isin(list(models)) & (table["collapsed"].fillna("") != ""), "model"])
    lost = sorted(set(models) - set(sound["model"]) - set(collapsed))
    if collapsed:
        warnings.append("collapsed fits (one label for almost every item) were not considered: "
                        + ", ".join(collapsed) + ".")
    if lost:
        warnings.append("fits whose latent classes lost the labels' meaning (some class is not the label raters "
                        "most often give its items) were not considered: " + ", ".join(lost) + ".")
    if not len(sound):
        warnings.append("every model collapsed or lost the labels' meaning; the recommendation is the best-scoring "
                        "fit and is unlikely to beat majority vote.")
    return ModelComparison(table=table, method="annotator model comparison (held-out label log-likelihood, item "
                           f"{cv}-fold by {holdout}; accuracy against gold, Wilson)", confidence_level=confidence_level,
                           warnings=tuple(warnings), recommended=str(choice), reason=reason + ".", cv=cv,
                           fitted=fitted)
