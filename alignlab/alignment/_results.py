"""Result types of the alignment family."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from alignlab.results import EstimateResult, TableResult, format_estimate

__all__ = [
    "AltTestResult",
    "BiasResult",
    "CalibrationResult",
    "CompareJudgesResult",
    "CorrelationResult",
    "HumanCeilingResult",
    "LabelBudgetResult",
    "MethodMatrixResult",
    "OnlineAlignmentResult",
    "PPIResult",
    "RoganGladenResult",
]


@dataclass(frozen=True, kw_only=True)
class CorrelationResult(EstimateResult):
    """A correlation between two methods at one level (``item``, ``item_grouped`` or ``system``).

    Extra attributes: ``a``, ``b`` (what was compared), ``level``, ``n_systems``, ``n_groups``,
    ``epsilon`` (the tie threshold of ``acc_eq``; NaN otherwise), ``p_value`` (scipy's test of no
    association where one exists, else NaN).
    """

    statistic: ClassVar[str] = "correlation"

    a: str = ""
    b: str = ""
    level: str = "item"
    n_systems: int = 0
    n_groups: int = 0
    epsilon: float = math.nan
    p_value: float = math.nan


@dataclass(frozen=True, kw_only=True)
class CompareJudgesResult(TableResult):
    """Judges ranked by their correlation with the humans, with significance clusters.

    ``table``: one row per judge (``judge``, ``estimate``, ``ci_low``, ``ci_high``, ``cluster``, ``rank``);
    ``pairs``: one row per ordered pair (``better``, ``worse``, ``delta``, ``p_value`` (PERM-BOTH, one-sided,
    ``better`` > ``worse``), ``p_value_williams`` (Pearson only)).
    """

    pairs: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    statistic: str = ""
    level: str = "item"
    n_permutations: int = 0

    def __str__(self) -> str:
        with pd.option_context("display.width", 120, "display.precision", 3):
            return f"{self.method}\n{self.table}\n\npairs:\n{self.pairs}"


@dataclass(frozen=True, kw_only=True)
class HumanCeilingResult(EstimateResult):
    """Judge-vs-human agreement (``estimate``) next to human-vs-human agreement (``ceiling``)."""

    statistic: ClassVar[str] = "human_agreement"

    ceiling: float = math.nan
    ceiling_low: float = math.nan
    ceiling_high: float = math.nan
    gap: float = math.nan
    gap_low: float = math.nan
    gap_high: float = math.nan
    judge: str = ""
    per_rater: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def __str__(self) -> str:
        return (
            f"{self.method}: judge {format_estimate(self.estimate, self.ci_low, self.ci_high, self.confidence_level)}"
            f"\n  human ceiling {format_estimate(self.ceiling, self.ceiling_low, self.ceiling_high, self.confidence_level)}"
            f"\n  judge - ceiling {format_estimate(self.gap, self.gap_low, self.gap_high, self.confidence_level)}"
            f"\n  interval: {self.ci_method}; n_items={self.n_items}, n_raters={self.n_raters}"
        )


@dataclass(frozen=True, kw_only=True)
class AltTestResult(EstimateResult):
    """The alternative annotator test: ``estimate`` is the winning rate omega."""

    statistic: ClassVar[str] = "winning_rate"

    passed: bool = False
    winning_rate: float = math.nan
    advantage_probability: float = math.nan
    epsilon: float = 0.2
    q: float = 0.05
    judge: str = ""
    per_annotator: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else "not passed"
        return (
            f"alt-test for {self.judge!r}: {verdict} (winning rate {self.winning_rate:.3f}, needs >= 0.5; "
            f"epsilon={self.epsilon:g}, q={self.q:g})\n  advantage probability "
            f"{format_estimate(self.advantage_probability, self.ci_low, self.ci_high, self.confidence_level)}"
            f"\n  {self.n_raters} annotators, {self.n_items} items"
        )


@dataclass(frozen=True, kw_only=True)
class CalibrationResult(EstimateResult):
    """Calibration of a judge's probabilities against binary human labels; ``estimate`` is the ECE."""

    statistic: ClassVar[str] = "ece"

    variant: str = "positive-class"
    binning: str = "equal-width"
    n_bins: int = 15
    metrics: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    bins: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    judge: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per calibration metric (ECE, debiased l2, MCE, Brier and its decomposition)."""
        return self.metrics.copy()

    def __str__(self) -> str:
        lines = [f"calibration of {self.judge!r} ({self.variant}, {self.n_bins} {self.binning} bins, n={self.n_items})"]
        for row in self.metrics.itertuples(index=False):
            lines.append(f"  {row.metric}: {format_estimate(row.estimate, row.ci_low, row.ci_high, self.confidence_level)}")
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class BiasResult(TableResult):
    """Judge bias probes: ``to_frame()`` has one row per bias (``bias``, ``estimate``, ``ci_low``,
    ``ci_high``, ``n``, ``expected`` (the unbiased value), ``ci_method``, ``detail``)."""

    judge: str = ""


@dataclass(frozen=True, kw_only=True)
class OnlineAlignmentResult(TableResult):
    """Correlation of each method with an online rate; ``table`` one row per (method, level)."""

    signal: str = ""
    best_method: str = ""


@dataclass(frozen=True, kw_only=True)
class PPIResult(EstimateResult):
    """A prediction-powered estimate; ``lam`` is the power-tuning weight (0 classical, 1 PPI).

    For an A/B ``contrast`` the estimate is ``target(A) - target(B)``; ``lam_b`` is system B's lambda when
    the two systems are independent (NaN when paired: one lambda for the per-input differences).
    """

    statistic: ClassVar[str] = "ppi"

    lam: float = 1.0
    n_labelled: int = 0
    n_unlabelled: int = 0
    classical_estimate: float = math.nan
    classical_ci_low: float = math.nan
    classical_ci_high: float = math.nan
    effective_n: float = math.nan
    target: str = "mean"
    contrast: str = ""  # "A - B" for an A/B difference
    lam_b: float = math.nan  # lambda of system B (independent-systems contrast)


@dataclass(frozen=True, kw_only=True)
class RoganGladenResult(EstimateResult):
    """Prevalence corrected for a binary judge's sensitivity and specificity."""

    statistic: ClassVar[str] = "prevalence"

    apparent: float = math.nan
    sensitivity: float = math.nan
    specificity: float = math.nan
    n_calibration: int = 0


@dataclass(frozen=True, kw_only=True)
class LabelBudgetResult(TableResult):
    """Label-budget plan: ``table`` one row per candidate split with its interval half-width and cost."""

    recommended: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MethodMatrixResult(TableResult):
    """Every method pair's agreement and correlation: ``table`` tidy, one row per (pair, statistic)."""

    methods: tuple[str, ...] = ()
