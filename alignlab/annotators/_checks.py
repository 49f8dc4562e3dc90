"""Checks every discrete annotator model runs on its own fit, and the raw accuracy against gold.

- :func:`consensus_checks`: how often the model's consensus disagrees with majority vote and
  whether its class prevalence collapsed to a vertex of the simplex (one label for (almost) every
  item). Symmetric-error models (one-coin, GLAD) fitted to raters with a label bias reach such a
  vertex as their *maximum-likelihood* solution: predicting one class for every item lets each
  rater's accuracy equal its own label rate, which explains rater-to-rater differences in how often
  a label is used better than any informative solution can. A fit that does this is worse than
  majority vote and must say so.
- :func:`gold_accuracy`: each rater's share of judgments equal to the gold label on gold items,
  with a Wilson interval (statsmodels), next to the model-smoothed accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MV_DISAGREEMENT_WARN", "VERTEX_RATIO", "consensus_checks", "consensus_warnings", "gold_accuracy"]

#: a consensus that differs from majority vote on more than this share of items gets a warning
MV_DISAGREEMENT_WARN = 0.25
#: a class whose model share is below this fraction of its majority-vote share has "collapsed"
VERTEX_RATIO = 0.2
#: ... provided majority vote gives it to at least this share of the items
_VERTEX_MIN_SHARE = 0.05


def majority_shares(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item the set of top labels (boolean items x K) and the majority-vote class shares.

    Ties split an item evenly between its top labels; items without judgments are left out.
    """
    has = counts.sum(axis=1) > 0
    top = (counts == counts.max(axis=1, keepdims=True)) & has[:, None]
    weight = top / np.maximum(top.sum(axis=1, keepdims=True), 1)
    shares = weight[has].sum(axis=0) / max(int(has.sum()), 1)
    return top, shares


def consensus_checks(counts: np.ndarray, proba: np.ndarray, *, exclude: np.ndarray | None = None) -> dict[str, Any]:
    """Disagreement with majority vote and prevalence collapse of one discrete fit.

    Parameters
    ----------
    counts : (items, K) label counts per item.
    proba : (items, K) the model's posterior class probabilities.
    exclude : boolean (items,), optional
        Items left out of the comparison (gold-clamped items: their posterior is the gold label).

    Returns
    -------
    dict with ``disagreement`` (share of items whose consensus is not one of majority vote's top
    labels), ``mv_share`` and ``model_share`` (per class: majority vote's share of items, the
    model's share of consensus labels) and ``collapsed`` (classes whose model share fell below
    :data:`VERTEX_RATIO` x their majority-vote share, where that share is at least 5 %).
    """
    keep = counts.sum(axis=1) > 0
    if exclude is not None:
        keep &= ~exclude
    K = counts.shape[1]
    if not keep.any():
        return {"disagreement": 0.0, "mv_share": np.zeros(K), "model_share": np.zeros(K), "collapsed": []}
    top, mv_share = majority_shares(counts[keep])
    prediction = np.argmax(proba[keep], axis=1)
    disagreement = float(1.0 - top[np.arange(len(prediction)), prediction].mean())
    model_share = np.bincount(prediction, minlength=K) / len(prediction)
    collapsed = [k for k in range(K) if mv_share[k] >= _VERTEX_MIN_SHARE and model_share[k] < VERTEX_RATIO * mv_share[k]]
    return {"disagreement": disagreement, "mv_share": mv_share, "model_share": model_share, "collapsed": collapsed}


def consensus_warnings(name: str, checks: dict[str, Any], labels: list[Any]) -> list[str]:
    """Plain-language warnings for :func:`consensus_checks` (empty when the fit looks sound)."""
    out = []
    if checks["collapsed"]:
        parts = ", ".join(f"'{labels[k]}' on {checks['model_share'][k]:.1%} of items (majority vote: "
                          f"{checks['mv_share'][k]:.1%})" for k in checks["collapsed"])
        out.append(f"{name}'s consensus has collapsed toward one label: it predicts {parts}. A fit that gives "
                   "(almost) every item the same label is usually worse than majority vote; use DawidSkene, or "
                   "alignlab.annotators.compare_models to choose a model that fits these raters.")
    if checks["disagreement"] > MV_DISAGREEMENT_WARN:
        out.append(f"{name}'s consensus differs from majority vote on {checks['disagreement']:.0%} of items (more "
                   f"than {MV_DISAGREEMENT_WARN:.0%}); check the model against gold or with "
                   "alignlab.annotators.compare_models before trusting it.")
    return out


def gold_accuracy(judgments: Any, level: float) -> pd.DataFrame | None:
    """Per rater: raw accuracy against gold with a Wilson interval, and the number of gold judgments.

    ``None`` when the table has no gold column. Judgment weights are ignored (a count of
    judgments, as a binomial interval needs); raters without gold judgments get NaN.
    """
    if not judgments.has("gold"):
        return None
    # imported only with gold (statsmodels pulls in polars: ~0.3 s of a first fit without gold)
    from statsmodels.stats.proportion import proportion_confint

    gold = judgments.item_info["gold"]
    gold_codes = judgments.scale.encode(gold.where(gold.notna(), None))
    gold_codes = np.where(gold.notna().to_numpy(), gold_codes, -1)
    per_row = gold_codes[judgments.item_codes]
    on_gold = per_row >= 0
    J = judgments.n_raters
    n = np.bincount(judgments.rater_codes[on_gold], minlength=J).astype(float)
    correct = np.bincount(judgments.rater_codes[on_gold],
                          weights=(judgments.label_codes[on_gold] == per_row[on_gold]).astype(float), minlength=J)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
    low = np.full(J, np.nan)
    high = np.full(J, np.nan)
    has = n > 0
    if has.any():
        low[has], high[has] = proportion_confint(correct[has], n[has], alpha=1 - level, method="wilson")
    return pd.DataFrame({"accuracy_raw": raw, "accuracy_raw_low": low, "accuracy_raw_high": high, "n_gold": n})
