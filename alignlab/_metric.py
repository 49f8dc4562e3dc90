"""What a metric measures: the one definition shared by the metrics framework and version comparison.

:class:`Metric` is used by :mod:`alignlab.metrics` (a feature's north star, diagnostics and guardrails,
computed per run) and by :func:`alignlab.compare.compare_versions` (the same metric compared between two
versions), so a metric is written once and read the same way by both. It lives below both families.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Metric", "Population", "STATISTICS", "COMBINES", "plain"]

#: what a metric measures per item, before averaging over items
STATISTICS = {
    "mean": "mean score (the per-item mean of the sources' numeric values)",
    "pass_rate": "share of items whose score passes the threshold (>= threshold, or <= with pass_if='<=')",
    "win_rate": "pairwise preferences: share of comparisons won (tie = 1/2), against `baseline` when given",
    "label_rate": "share of judgments equal to `label` (e.g. a refusal rate)",
}
#: how the sources are combined into one number
COMBINES = {
    "human": "the human panel alone",
    "judge": "the judge(s) alone (graded by validate_judge against the humans named)",
    "ppi": "judge on every item, corrected by the human labels (PPI++, alignlab.alignment.ppi)",
    "trust_weighted": "every source weighted by its reliability (alignlab.workflows.trust_weights), PPI-corrected",
}


@dataclass(frozen=True)
class Population:
    """Weight the metric to production traffic (:func:`alignlab.sampling.reweight`).

    Attributes
    ----------
    production : str
        A path to the production table (CSV/Parquet/JSONL; relative to the spec file) or a key of the
        ``production=`` mapping given to :func:`~alignlab.metrics.compute`.
    segments : tuple of str
        The segment columns whose mix is matched.
    method : {"poststratify", "rake", "ipw"}
    weights : str, optional
        Column of the production table counting requests per row (one row per segment level).
    """

    production: str
    segments: tuple[str, ...]
    method: str = "poststratify"
    weights: str | None = None


@dataclass(frozen=True)
class Metric:
    """One number of a feature: what is measured, from which sources, combined how.

    Attributes
    ----------
    name : str
    statistic : {"mean", "pass_rate", "win_rate", "label_rate"}
        See :data:`STATISTICS`.
    combine : {"human", "judge", "ppi", "trust_weighted"}
        See :data:`COMBINES`.
    humans, judges, online : tuple of str
        The sources: rater ids or method names (resolved with ``Judgments.resolve_raters``). ``online``
        signals stored as judgment rows count with the judges (graded the same way); per-item online
        aggregates (successes/trials) enter through ``combine="trust_weighted"``.
    threshold : float, optional
        The passing score of ``pass_rate`` (binary scales: the positive label when omitted).
    pass_if : {">=", "<="}
        Direction of the threshold.
    label : str, optional
        The label counted by ``label_rate``.
    baseline : str, optional
        ``win_rate`` against this system (items comparing it with another system; the other side's
        wins are counted). Without it, the win rate of ``system_a``.
    higher_is_better : bool
        Direction of improvement (False for error rates, MQM penalties, refusal rates ...).
    target : float, optional
        The value the team aims for.
    min_change : float, optional
        The minimum meaningful change: smaller differences are never called better or worse.
    segments : tuple of str
        Item-level columns to break the metric down by (one row per level).
    where : mapping
        Keep only items whose column equals the value (or one of a list of values).
    population : Population, optional
        Weight to production traffic.
    """

    name: str
    statistic: str = "mean"
    combine: str = "human"
    humans: tuple[str, ...] = ()
    judges: tuple[str, ...] = ()
    online: tuple[str, ...] = ()
    threshold: float | None = None
    pass_if: str = ">="
    label: str | None = None
    baseline: str | None = None
    higher_is_better: bool = True
    target: float | None = None
    min_change: float | None = None
    segments: tuple[str, ...] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    population: Population | None = None
    description: str = ""

    def __post_init__(self) -> None:
        for name in ("humans", "judges", "online", "segments"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.where, dict):
            object.__setattr__(self, "where", dict(self.where))

    def __hash__(self) -> int:  # ``where`` is a dict; hash the canonical form
        return hash(json.dumps(plain(self), sort_keys=True, default=str))

    @property
    def sources(self) -> tuple[str, ...]:
        """The non-human sources (judges then online signals)."""
        return self.judges + self.online


def plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if f.name != "name" and value == default and f.name not in ("north_star", "features"):
                continue  # defaults are left out: the canonical form is the shortest
            out[f.name] = plain(value)
        return out
    if isinstance(obj, tuple | list):
        return [plain(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    return obj


