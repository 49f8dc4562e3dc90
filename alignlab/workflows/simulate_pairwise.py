"""A seeded pairwise judge study the way judge papers run one: gold answers, both presentation orders,
abstentions and several judge configurations (model x prompt strategy), with known truth.

Every comparison ``p`` has a gold winner (``A`` or ``B`` in the original order, equally likely). Each
comparison is shown twice, ``original`` and ``swapped`` (A and B exchanged; the swapped item's gold is
exchanged too). A judge configuration with parameters ``(accuracy, position, abstain)`` answers each
comparison once - it prefers the gold winner with probability ``accuracy``, the other output otherwise, in
both presentations (its content judgment does not depend on the order) - and then, per presentation, it
abstains with probability ``abstain`` (value ``"invalid"``) or, with probability ``position``, picks the
first position (``"A"``) whatever the content. A judge with ``position = 0`` is position-consistent; its
order inconsistency is ``position * (1 - position / 2)`` on non-abstained pairs. Hence its published-convention
accuracy is ``(1 - abstain) * (position / 2 + (1 - position) * accuracy)``, its abstention rate ``abstain``
and, for ``accuracy < 0.5``, it is *inverted* (below chance). Humans are configurations with
``method="human"`` and no abstention or position bias.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alignlab._params import Interval, check_random_state, validate_params
from alignlab.data import Judgments, load_judgments

__all__ = ["simulate_pairwise_judge_study", "expected_accuracy"]

DEFAULT_JUDGES: dict[str, dict[str, Any]] = {
    "strong/cot": {"accuracy": 0.85, "position": 0.0, "abstain": 0.02},
    "strong/plain": {"accuracy": 0.75, "position": 0.05, "abstain": 0.0},
    "biased/cot": {"accuracy": 0.8, "position": 0.5, "abstain": 0.0},
    "biased/plain": {"accuracy": 0.8, "position": 0.6, "abstain": 0.0},
    "inverted/cot": {"accuracy": 0.25, "position": 0.0, "abstain": 0.0},
    "inverted/plain": {"accuracy": 0.3, "position": 0.0, "abstain": 0.0},
    "abstainer/cot": {"accuracy": 0.85, "position": 0.0, "abstain": 0.2},
    "abstainer/plain": {"accuracy": 0.8, "position": 0.0, "abstain": 0.1},
}


def expected_accuracy(spec: Mapping[str, float]) -> float:
    """Published-convention accuracy (abstentions wrong) of a configuration on balanced gold."""
    position, abstain = float(spec.get("position", 0.0)), float(spec.get("abstain", 0.0))
    return (1 - abstain) * (position / 2 + (1 - position) * float(spec["accuracy"]))


@validate_params({
    "n_pairs": [Interval("integral", 2, None)],
    "judges": [Mapping, None],
    "n_humans": [Interval("integral", 0, None)],
    "human_accuracy": [Interval("real", 0, 1)],
    "gold_fraction": [Interval("real", 0, 1)],
    "random_state": ["random_state"],
})
def simulate_pairwise_judge_study(
    n_pairs: int = 300,
    *,
    judges: Mapping[str, Mapping[str, float]] | None = None,
    n_humans: int = 0,
    human_accuracy: float = 0.85,
    gold_fraction: float = 1.0,
    random_state: int | np.random.Generator | None = None,
) -> Judgments:
    """Simulate a pairwise judge study with gold, both orders, abstentions and configurations.

    Parameters
    ----------
    n_pairs : int
        Comparisons (each shown in both orders: ``2 * n_pairs`` items).
    judges : mapping, optional
        ``rater_id -> {"accuracy", "position", "abstain"}``; ids ``model/strategy`` give the
        ``judge_model`` and ``strategy`` columns. Default :data:`DEFAULT_JUDGES` (a strong, a position-biased,
        an inverted and an abstaining model, two strategies each).
    n_humans, human_accuracy : int, float
        Human raters (``method="human"``) judging every presentation.
    gold_fraction : float
        Share of comparisons with a gold label (the others have none).
    random_state : int or Generator, optional

    Returns
    -------
    Judgments
        Loaded with ``abstain=["invalid"]``; columns ``pair_id``, ``order``, ``gold``, ``strategy``,
        ``judge_model``.

    Examples
    --------
    >>> j = simulate_pairwise_judge_study(50, random_state=0)
    >>> sorted(set(j.frame["order"]))
    ['original', 'swapped']
    """
    rng = check_random_state(random_state)
    specs = dict(DEFAULT_JUDGES if judges is None else judges)
    winner = rng.integers(0, 2, n_pairs)  # 0: A wins in the original order, 1: B
    has_gold = rng.random(n_pairs) < gold_fraction
    pair = np.repeat(np.arange(n_pairs), 2)
    order = np.tile(np.array([0, 1]), n_pairs)
    item_winner = np.where(order == 1, 1 - winner[pair], winner[pair])  # gold in the presentation's order
    labels = np.array(["A", "B"], dtype=object)
    gold = np.where(has_gold[pair], labels[item_winner], None)
    n_items = 2 * n_pairs
    parts = []
    raters: list[tuple[str, str, dict[str, float]]] = [
        (rid, "llm_judge", {k: float(v) for k, v in spec.items()}) for rid, spec in specs.items()]
    raters += [(f"human_{h + 1}", "human", {"accuracy": human_accuracy}) for h in range(n_humans)]
    for rid, method, spec in raters:
        correct = np.repeat(rng.random(n_pairs) < spec["accuracy"], 2)  # one content judgment per comparison
        verdict = np.where(correct, item_winner, 1 - item_winner)
        verdict = np.where(rng.random(n_items) < spec.get("position", 0.0), 0, verdict)
        value = labels[verdict].astype(object)
        value[rng.random(n_items) < spec.get("abstain", 0.0)] = "invalid"
        model, _, strategy = rid.rpartition("/") if "/" in rid else (rid, "", "")
        parts.append(pd.DataFrame({
            "item_id": [f"p{p}-{'swapped' if o else 'original'}" for p, o in zip(pair, order, strict=True)],
            "pair_id": [f"p{p}" for p in pair], "order": np.where(order == 1, "swapped", "original"),
            "rater_id": rid, "method": method, "value": value, "gold": gold,
            "judge_model": model if method == "llm_judge" else "human",
            "strategy": strategy if method == "llm_judge" else "human",
        }))
    table = pd.concat(parts, ignore_index=True)
    return load_judgments(table, scale="pairwise", abstain=["invalid"], segments=[])
