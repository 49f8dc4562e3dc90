"""Divergence targets: per item (or per judgment) differences between two evaluation methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._params import (
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.data import Judgments, item_consensus
from alignlab.slices._find import META_KEY

__all__ = ["divergence", "suggest_pair"]


def _label(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    return "+".join(map(str, spec))


def _aggregate_rates(judgments: Judgments, spec: Any) -> pd.DataFrame | None:
    """Per-item online rate (successes / trials) when ``spec`` names an aggregate signal or method."""
    agg = judgments.aggregates
    if agg is None or not isinstance(spec, str):
        return None
    sel = agg[(agg["rater_id"].astype(str) == spec) | (agg["method"].astype(str) == spec)]
    if sel.empty:
        return None
    grouped = sel.groupby("item_id", sort=True)[["successes", "trials"]].sum()
    return pd.DataFrame({"item_id": grouped.index, "value": (grouped["successes"] / grouped["trials"]).to_numpy(),
                         "weight": 1.0})


def _item_values(judgments: Judgments, raters: list[Any], numeric: bool) -> pd.DataFrame:
    """One row per item judged by ``raters``: mean numeric value or majority label, mean row weight."""
    sub = judgments.subset(raters=raters)
    cons = item_consensus(sub, None, kind="mean" if numeric else "majority", random_state=0)
    w = np.bincount(sub.item_codes, weights=sub.frame["weight"].to_numpy(dtype=float), minlength=sub.n_items)
    n = np.bincount(sub.item_codes, minlength=sub.n_items)
    return pd.DataFrame({"item_id": cons["item_id"], "value": cons["consensus"].to_numpy(), "weight": w / n})


def _loo_consensus(judgments: Judgments, b_ids: list[Any], rows: np.ndarray, numeric: bool,
                   rng: np.random.Generator) -> np.ndarray:
    """Consensus of ``b_ids`` on each row's item, leaving the row's own judgment out when it is one of them."""
    frame = judgments.frame
    is_b = frame["rater_id"].isin(b_ids).to_numpy()
    codes = judgments.item_codes
    n_items = judgments.n_items
    own = is_b[rows]
    if numeric:
        v = judgments.values
        total = np.bincount(codes[is_b], weights=v[is_b], minlength=n_items)
        count = np.bincount(codes[is_b], minlength=n_items).astype(float)
        num = total[codes[rows]] - np.where(own, v[rows], 0.0)
        den = count[codes[rows]] - own
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)
    k = judgments.scale.n_categories
    labels = judgments.label_codes
    counts = np.bincount(codes[is_b] * k + labels[is_b], minlength=n_items * k).reshape(n_items, k)
    per_row = counts[codes[rows]].astype(float)
    per_row[np.flatnonzero(own), labels[rows][own]] -= 1
    empty = per_row.sum(axis=1) == 0
    top = per_row.max(axis=1, keepdims=True)
    is_top = (per_row == top) & (per_row > 0)
    noise = rng.random(per_row.shape) * is_top  # seeded random tie-break among the tied maxima
    winner = np.argmax(noise + is_top * 2.0, axis=1).astype(float)
    winner[empty] = np.nan
    return winner


_PARAMS = {
    "judgments": [Judgments],
    "raters": ["str-or-list"],
    "reference": ["str-or-list", None],
    "kind": [Options(("signed", "absolute", "disagree"))],
    "level": [Options(("item", "judgment"))],
    "consensus": [pd.DataFrame, None],
    "tolerance": [Interval("real", 0, None)],
    "higher_is_better": ["boolean", None],
    "random_state": RANDOM_STATE,
}


@validate_params(_PARAMS)
def divergence(
    judgments: Judgments,
    raters: str | Sequence[str] = "llm_judge",
    reference: str | Sequence[str] | None = "human",
    *,
    kind: Literal["signed", "absolute", "disagree"] = "signed",
    level: Literal["item", "judgment"] = "item",
    consensus: pd.DataFrame | None = None,
    tolerance: float = 0.0,
    higher_is_better: bool | None = True,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Per-item (or per-judgment) divergence of method ``a`` from ``b``, ready for :func:`find_slices`.

    Parameters
    ----------
    judgments : Judgments
    raters : str or list, default "llm_judge"
        A method name, rater id or list (:meth:`Judgments.resolve_raters`), or an online signal in
        ``judgments.aggregates`` (its per-item rate successes / trials is used).
    reference : str or list or None, default "human"
        The reference: a method/rater(s) whose per-item consensus
        (:func:`alignlab.data.item_consensus`: mean on ordered scales, majority on categorical ones),
        ``"gold"`` for the gold column, or an online signal. ``None`` with ``consensus=``.
    kind : {"signed", "absolute", "disagree"}
        ``signed``: a − b (keeps the direction: positive means a rates higher, "too lenient" when
        ``higher_is_better``); ``absolute``: |a − b|; ``disagree``: 1 when a's label differs from b's
        (discrete scales) or when |a − b| > ``tolerance`` (continuous scales).
    level : {"item", "judgment"}
        ``item``: one row per item (a's raters averaged, or their majority label); ``judgment``: one
        row per judgment of a's raters, against b's consensus — leaving the judgment itself out when
        the rater is also one of b's (rater error against the other raters).
    consensus : DataFrame, optional
        Per-item reference instead of ``b``'s consensus: ``item_id`` and ``consensus`` columns
        (e.g. the ``items_`` of an annotator model).
    tolerance : float, default 0
        For ``kind="disagree"`` on continuous scales.
    higher_is_better : bool or None, default True
        Orientation of the scale, for the words of the explanations ("too lenient"/"too harsh"; MQM
        penalties: False). ``None`` when unknown: the sentences say "scores higher/lower".
    random_state : int or Generator, default 0
        Breaks majority ties (seeded).

    Returns
    -------
    pandas.DataFrame
        ``item_id`` (and ``rater_id`` at judgment level), ``a_value``, ``b_value``, ``divergence``,
        ``weight`` and the segment columns (``system``, the table's segments, and at judgment level
        ``rater_id``/``vendor``). ``attrs["alignlab.slices"]`` tells :func:`find_slices` the target,
        the segments and how to word the sentences.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.slices import divergence
    >>> j = alignlab.load_judgments({"item": [1, 1, 2, 2], "rater": ["h", "j", "h", "j"],
    ...                              "method": ["human", "llm_judge"] * 2, "value": [3.0, 4.0, 2.0, 2.0],
    ...                              "topic": ["a", "a", "b", "b"]}, scale="continuous")
    >>> divergence(j)[["item_id", "a_value", "b_value", "divergence", "topic"]]
       item_id  a_value  b_value  divergence topic
    0        1      4.0      3.0         1.0     a
    1        2      2.0      2.0         0.0     b
    """
    rng = check_random_state(random_state)
    scale = judgments.scale
    if kind in ("signed", "absolute") and scale.kind in ("categorical", "pairwise"):
        raise DataError(f"kind={kind!r} needs an ordered scale (ordinal, binary or continuous); this table is "
                         f"{scale.kind}. Use kind='disagree'.")
    numeric = kind != "disagree" or not scale.is_discrete
    if reference is None and consensus is None:
        raise DataError("Give b= (a method, rater id or 'gold') or consensus= (a per-item frame).")
    b_label = "consensus" if consensus is not None and reference is None else _label(reference)
    if consensus is not None:
        missing = [c for c in ("item_id", "consensus") if c not in consensus.columns]
        if missing:
            raise DataError(f"consensus= needs columns 'item_id' and 'consensus'; missing {missing}.")
    if reference == "gold" and not judgments.has("gold"):
        raise InvalidParameterError("b='gold' but the table has no gold column; load it with gold=... or use b='human'.")

    a_online = _aggregate_rates(judgments, raters)
    a_ids = [] if a_online is not None else judgments.resolve_raters(raters, argument="raters")
    b_online = _aggregate_rates(judgments, reference) if consensus is None and reference != "gold" else None
    b_ids: list[Any] = []
    if consensus is None and reference != "gold" and b_online is None:
        b_ids = judgments.resolve_raters(reference, argument="reference")

    info = judgments.item_info
    item_cols = [c for c in ("system", "system_a", "system_b", *judgments.segments) if c in info.columns]
    if level == "item" or a_online is not None:
        if level == "judgment":
            raise InvalidParameterError("level='judgment' needs judgment rows for a; an online signal has per-item rates only.")
        left = a_online if a_online is not None else _item_values(judgments, a_ids, numeric)
        if consensus is not None:
            right = consensus[["item_id", "consensus"]].rename(columns={"consensus": "value"})
        elif reference == "gold":
            g = judgments.frame.groupby("item_id", sort=True)["gold"].first()
            right = pd.DataFrame({"item_id": g.index, "value": g.to_numpy()})
        elif b_online is not None:
            right = b_online[["item_id", "value"]]
        else:
            right = _item_values(judgments, b_ids, numeric)[["item_id", "value"]]
        out = left.rename(columns={"value": "a_value"}).merge(
            right.rename(columns={"value": "b_value"}), on="item_id", how="inner")
        out = out.merge(info[["item_id", *item_cols]], on="item_id", how="left")
        segments = list(item_cols)
        unit = "item"
        if numeric and scale.is_discrete and reference == "gold":
            out["b_value"] = scale.numeric_levels()[scale.encode(out["b_value"])]
    else:
        rows = np.flatnonzero(judgments.frame["rater_id"].isin(a_ids).to_numpy())
        frame = judgments.frame.iloc[rows]
        a_val = judgments.values[rows] if numeric else judgments.label_codes[rows].astype(float)
        if consensus is not None:
            ref = consensus.set_index("item_id")["consensus"]
            b_val = frame["item_id"].map(ref).to_numpy(dtype=float, na_value=np.nan) if numeric else \
                pd.Series(scale.encode(frame["item_id"].map(ref).to_numpy()), dtype=float).to_numpy()
        elif reference == "gold":
            gold = frame["gold"]
            if scale.is_discrete:
                codes = scale.encode(gold).astype(float)
                codes[codes < 0] = np.nan
                b_val = np.where(np.isnan(codes), np.nan,
                                 scale.numeric_levels()[np.maximum(codes, 0).astype(int)]) if numeric else codes
            else:
                b_val = gold.to_numpy(dtype=float, na_value=np.nan)
        else:
            b_val = _loo_consensus(judgments, b_ids, rows, numeric, rng)
        if not numeric:
            labels = np.array(scale.labels, dtype=object)
            a_out = labels[a_val.astype(int)]
            b_out = np.where(np.isnan(b_val), None, labels[np.nan_to_num(b_val, nan=0).astype(int)])
        else:
            a_out, b_out = a_val, b_val
        out = pd.DataFrame({"item_id": frame["item_id"].to_numpy(), "rater_id": frame["rater_id"].to_numpy(),
                            "a_value": a_out, "b_value": b_out, "weight": frame["weight"].to_numpy(dtype=float)})
        out["_b_code"] = b_val
        rater_cols = [c for c in ("vendor",) if c in frame.columns]
        for c in rater_cols + [c for c in item_cols if c in frame.columns]:
            out[c] = frame[c].to_numpy()
        out = out[~np.isnan(b_val)].reset_index(drop=True)
        segments = ["rater_id", *rater_cols, *item_cols]
        unit = "judgment"

    if numeric:
        a_num = pd.to_numeric(out["a_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        b_num = pd.to_numeric(out["b_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        diff = a_num - b_num
        target = {"signed": diff, "absolute": np.abs(diff),
                  "disagree": (np.abs(diff) > tolerance).astype(float)}[kind]
        target = np.where(np.isnan(diff), np.nan, target)
    else:
        a_lab = out["a_value"].astype(object).to_numpy()
        b_lab = out["b_value"].astype(object).to_numpy()
        target = np.array([x != y for x, y in zip(a_lab, b_lab, strict=True)], dtype=float)
        target[pd.isna(out["b_value"]).to_numpy()] = np.nan
    out = out.drop(columns=["_b_code"], errors="ignore")
    out["divergence"] = target
    out = out[~np.isnan(target)].reset_index(drop=True)
    if out.empty:
        raise DataError(f"No {'items' if level == 'item' else 'judgments'} have both {_label(raters)!r} and "
                         f"{b_label!r}; check a= and b= (methods: {list(judgments.methods)}).")
    ordered = ["item_id", *(["rater_id"] if "rater_id" in out.columns else []), "a_value", "b_value", "divergence",
               "weight"]
    out = out[ordered + [c for c in out.columns if c not in ordered]]
    weighted = bool((out["weight"] != 1.0).any())
    a_label = _label(raters)
    if level == "judgment" and consensus is None and set(a_ids) & set(b_ids):
        a_label, b_label = "the rater", "the other raters"  # leave-one-out: rater error against the others
    elif level == "judgment" and reference == "gold":
        a_label = "the rater"
    out.attrs[META_KEY] = {
        "target": "divergence",
        "kind": kind,
        "a_label": a_label,
        "b_label": b_label,
        "segments": [s for s in segments if s in out.columns and out[s].nunique(dropna=False) >= 2],
        "unit": unit,
        "higher_is_better": higher_is_better,
        "weights": "weight" if weighted else None,
    }
    return out


def suggest_pair(judgments: Judgments) -> dict[str, Any] | None:
    """Which divergence to explain by default (report section, CLI without ``--a``/``--b``).

    The ``llm_judge`` method against the human consensus when both exist; else the second most
    common method against the most common one; else, with one method and several raters per item,
    each rater against the other raters (``level="judgment"``). ``None`` when nothing applies.
    The scale's orientation is unknown, so ``higher_is_better`` is ``None`` (neutral wording).

    Examples
    --------
    >>> import alignlab
    >>> suggest_pair(alignlab.datasets.load("hanna"))["raters"]
    'llm_judge'
    """
    kind = "disagree" if judgments.scale.kind in ("categorical", "pairwise") else "signed"
    counts = judgments.frame["method"].value_counts()
    methods = [str(m) for m in counts.index]
    base = {"kind": kind, "higher_is_better": None}
    if "llm_judge" in methods and "human" in methods:
        return {"raters": "llm_judge", "reference": "human", "level": "item", **base}
    if len(methods) >= 2:
        return {"raters": methods[1], "reference": methods[0], "level": "item", **base}
    if methods and (judgments.item_info["n_raters"] >= 2).any():
        return {"raters": methods[0], "reference": methods[0], "level": "judgment", **base}
    return None
