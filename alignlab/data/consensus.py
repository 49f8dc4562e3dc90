"""Per-item consensus of a group of raters: majority vote or mean, vectorised.

This is the simple, model-free consensus used when no annotator model has been fitted. Modules that
compare a method with "the humans" accept either this or a model's posterior (``items_`` of an
annotator model) through their ``consensus=`` argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from alignlab._params import check_random_state
from alignlab.data.judgments import Judgments

__all__ = ["item_consensus"]


def item_consensus(
    judgments: Judgments,
    raters: str | Sequence[str] | None = "human",
    *,
    kind: Literal["auto", "majority", "mean", "median"] = "auto",
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Consensus of ``raters`` (a method name, rater id or list) on every item they judged.

    Parameters
    ----------
    raters : str or list, default "human"
        Whose judgments form the consensus (see :meth:`Judgments.resolve_raters`).
    kind : {"auto", "majority", "mean", "median"}
        ``auto`` is ``majority`` for categorical/pairwise/binary scales and ``mean`` for ordinal and
        continuous ones.
    random_state : int or Generator
        Breaks majority ties at random (seeded); the share of tied items is reported.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item_id``, ``n`` (judgments), ``consensus`` (label for majority, number
        for mean/median), ``mean`` (numeric mean of the values), ``sd``, ``agreement`` (share of the
        judgments equal to the majority label; discrete scales), ``tied`` (bool), and for binary
        scales ``positive_rate`` (share of the positive label).

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.data.consensus import item_consensus
    >>> j = alignlab.datasets.load("bluebird")
    >>> item_consensus(j)["consensus"].isin([0, 1]).all()
    np.True_
    """
    sub = judgments.subset(raters=raters) if raters is not None else judgments
    if kind == "auto":
        kind = "majority" if sub.scale.kind in ("categorical", "pairwise", "binary") else "mean"
    item_codes, items = sub.item_codes, sub.items
    n_items = len(items)
    weights = np.ones(len(sub))
    values = sub.values
    n = np.bincount(item_codes, minlength=n_items).astype(float)
    total = np.bincount(item_codes, weights=values * weights, minlength=n_items)
    mean = total / n
    sq = np.bincount(item_codes, weights=(values - mean[item_codes]) ** 2, minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(sq / (n - 1))
    out = pd.DataFrame({"item_id": items, "n": n.astype(np.int64), "mean": mean, "sd": sd})
    if sub.scale.is_discrete:
        counts = sub.counts()
        top = counts.max(axis=1, keepdims=True)
        is_top = counts == top
        tied = is_top.sum(axis=1) > 1
        rng = check_random_state(random_state)
        # random tie-break: add uniform noise only among the tied maxima
        noise = rng.random(counts.shape) * is_top
        winner = np.argmax(noise + is_top * 2.0, axis=1)
        out["agreement"] = top[:, 0] / n
        out["tied"] = tied
        labels = np.array(sub.scale.labels, dtype=object)
        if kind == "majority":
            out["consensus"] = labels[winner]
        if sub.scale.kind == "binary":
            out["positive_rate"] = counts[:, 1] / n
    else:
        out["agreement"] = np.nan
        out["tied"] = False
    if kind == "mean":
        out["consensus"] = mean
    elif kind == "median":
        frame = pd.DataFrame({"item": item_codes, "v": values})
        out["consensus"] = frame.groupby("item")["v"].median().reindex(range(n_items)).to_numpy()
    cols = ["item_id", "n", "consensus", "mean", "sd", "agreement", "tied"]
    cols += [c for c in out.columns if c not in cols]
    return out[cols]
