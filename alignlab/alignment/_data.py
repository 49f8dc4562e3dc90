"""From a Judgments table to aligned per-item scores of two methods (or a method and the human consensus)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlab._params import DataError, InvalidParameterError
from alignlab.data.judgments import Judgments

Spec = str | Sequence[str]


_PAIRWISE_NUMBER = {"A": 1.0, "B": 0.0, "tie": 0.5}


def label_numbers(scale: Any) -> np.ndarray:
    """The number of each label code: pairwise A = 1, tie = 0.5, B = 0 (the probability that A is
    preferred); otherwise the scale's numeric levels."""
    if scale.kind == "pairwise":
        return np.array([_PAIRWISE_NUMBER[label] for label in scale.labels])
    return scale.numeric_levels()


def numeric_values(judgments: Judgments) -> np.ndarray:
    """A number per judgment row on which means and correlations make sense.

    Pairwise preferences become the probability that ``A`` (``system_a``'s output) is preferred:
    A = 1, tie = 0.5, B = 0. Binary, ordinal and continuous scales use their numeric levels.
    Categorical (unordered) labels have no numeric meaning and raise.
    """
    if judgments.scale.kind == "pairwise":
        return label_numbers(judgments.scale)[judgments.label_codes]
    if judgments.scale.kind == "categorical":
        raise InvalidParameterError(
            "The judgments use an unordered categorical scale, on which correlations and means are not "
            "defined. Use method_matrix (chance-corrected agreement) or alt_test(..., metric='accuracy'), "
            "or load the table with an ordinal scale if the labels are ordered."
        )
    return judgments.values


def resolve(judgments: Judgments, spec: Spec, argument: str) -> list[Any]:
    return judgments.resolve_raters(spec, argument=argument)


def per_item_scores(judgments: Judgments, raters: list[Any], *, label: str) -> pd.Series:
    """Mean numeric judgment per item over ``raters`` (a single rater's value when one is named)."""
    mask = judgments.frame["rater_id"].isin(raters).to_numpy()
    if not mask.any():
        raise InvalidParameterError(f"{label} has no judgments in this table.")
    values = numeric_values(judgments)[mask]
    codes = judgments.item_codes[mask]
    total = np.bincount(codes, weights=values, minlength=judgments.n_items)
    count = np.bincount(codes, minlength=judgments.n_items)
    rated = count > 0
    return pd.Series(total[rated] / count[rated], index=judgments.items[rated], name=label)


def consensus_scores(judgments: Judgments, humans: Spec, consensus: pd.DataFrame | None) -> pd.Series:
    """Per-item human reference: a given consensus frame, or the mean of the humans' numeric values."""
    if consensus is None:
        return per_item_scores(judgments, resolve(judgments, humans, "humans"), label="humans")
    if not isinstance(consensus, pd.DataFrame) or "item_id" not in consensus.columns:
        raise InvalidParameterError(
            "The 'consensus' argument must be a DataFrame with an 'item_id' column and a numeric "
            "'consensus', 'mean', 'estimate' or 'posterior_mean' column (e.g. an annotator model's items_)."
        )
    for column in ("consensus", "posterior_mean", "estimate", "mean"):
        if column in consensus.columns and pd.api.types.is_numeric_dtype(consensus[column]):
            return pd.Series(consensus[column].to_numpy(dtype=float), index=consensus["item_id"], name="humans")
    raise DataError(
        "The 'consensus' frame has no numeric 'consensus', 'posterior_mean', 'estimate' or 'mean' column; "
        f"its columns are {list(consensus.columns)}."
    )


@dataclass(frozen=True)
class Paired:
    """Items scored by both sides, with their system and (optional) group codes."""

    item_id: np.ndarray
    a: np.ndarray
    b: np.ndarray
    system: np.ndarray | None  # codes 0..S-1
    systems: pd.Index | None
    group: np.ndarray | None  # codes 0..G-1 (the input shared across systems)
    groups: pd.Index | None

    @property
    def n(self) -> int:
        return len(self.a)


def side_scores(judgments: Judgments, spec: Spec, *, argument: str, consensus: pd.DataFrame | None = None,
                human_default: bool = False) -> tuple[pd.Series, list[Any]]:
    """Per-item scores of one side; ``consensus`` replaces the humans' mean when this side is humans."""
    raters = resolve(judgments, spec, argument)
    if human_default and consensus is not None:
        return consensus_scores(judgments, spec, consensus), raters
    return per_item_scores(judgments, raters, label=str(spec)), raters


def pair_up(judgments: Judgments, a: pd.Series, b: pd.Series, *, group: str | None = None) -> Paired:
    """Align two per-item score series on their common items, attaching system and group codes."""
    common = a.index.intersection(b.index)
    if len(common) < 3:
        raise DataError(
            f"Only {len(common)} items are scored by both sides; correlations need at least 3. Check that "
            "the two methods rated the same item ids."
        )
    info = judgments.item_info.set_index("item_id")
    system = systems = None
    if "system" in info.columns:
        codes, systems = pd.factorize(info.loc[common, "system"], sort=True)
        if (codes < 0).any():
            raise DataError("Some items have no 'system'; give every item a system or drop them.")
        system = codes.astype(np.int64)
    group_codes = groups = None
    if group is not None:
        if group not in judgments.frame.columns:
            raise InvalidParameterError(
                f"The 'group' argument names column {group!r}, which is not in the table; columns are "
                f"{list(judgments.frame.columns)}. Pass the column holding the input (prompt, source segment) "
                "shared by the systems' outputs."
            )
        first = judgments.frame.drop_duplicates("item_id").set_index("item_id")[group]
        gcodes, groups = pd.factorize(first.loc[common], sort=True)
        group_codes = gcodes.astype(np.int64)
    return Paired(
        item_id=np.asarray(common),
        a=a.loc[common].to_numpy(dtype=float),
        b=b.loc[common].to_numpy(dtype=float),
        system=system,
        systems=None if systems is None else pd.Index(systems),
        group=group_codes,
        groups=None if groups is None else pd.Index(groups),
    )


def has_weights(judgments: Judgments) -> bool:
    """Whether the table's ``weight`` column holds anything other than 1."""
    return "weight" in judgments.frame.columns and bool((judgments.frame["weight"].to_numpy(dtype=float) != 1.0).any())


def item_weights(judgments: Judgments, item_ids: Any) -> np.ndarray | None:
    """Per-item weight for item-level statistics: the mean weight of the item's judgments (all raters).

    None when every weight is 1 (the unweighted code path). An item weight multiplies the item's bootstrap
    multiplicity, so an integer weight k is the same as the item repeated k times.
    """
    if not has_weights(judgments):
        return None
    weights = judgments.frame["weight"].to_numpy(dtype=float)
    total = np.bincount(judgments.item_codes, weights=weights, minlength=judgments.n_items)
    count = np.bincount(judgments.item_codes, minlength=judgments.n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = pd.Series(total / count, index=judgments.items)
    return mean.loc[item_ids].to_numpy(dtype=float)


def weights_ignored(judgments: Judgments, function: str, why: str) -> str | None:
    """Warn (never silently) that ``function`` ignores the table's non-unit ``weight`` column, and why.

    Returns the message for the result's ``warnings`` (None when all weights are 1).
    """
    if not has_weights(judgments):
        return None
    message = f"{function} ignored the 'weight' column: {why}"
    warnings.warn(message, UserWarning, stacklevel=3)
    return message
