"""Result types of the three workflows: a decision with its evidence, as tidy tables.

Each result is a frozen dataclass deriving from :class:`alignlab.results.TableResult` (``to_frame()``
returns its main table) with ``summary()`` (the decision-ready paragraph of :func:`metric_summary`
plus the evidence) and ``to_html(path)`` (the one-page report, built by :mod:`alignlab.report`).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alignlab.results import TableResult, format_estimate

__all__ = ["JudgeValidation", "VendorAudit", "TrustWeights", "VERDICTS"]

#: the three verdicts of :func:`validate_judge`
VERDICTS = ("replace", "assist", "do_not_use")

EVIDENCE_COLUMNS = ("evidence", "subject", "estimate", "ci_low", "ci_high", "ci_method", "n", "detail")


def _write_html(result: Any, path: str | Path, sections: list[str], option: str, title: str) -> Path:
    """Render ``result`` through the report engine (its sections read the result from the options).

    The report layer sits above the compute modules (tests/test_architecture.py): it is imported here
    at call time only, the way Display objects import matplotlib, so importing alignlab.workflows never
    pulls in the presentation code and the report keeps rendering result objects only.
    """
    report = importlib.import_module("alignlab.report")
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    page, _ = report.build_report(
        result.judgments, None, sections=sections, options={option: result},
        random_state=result.random_state if isinstance(result.random_state, int) else None,
        title=title, call=result.call, strict=True,
    )
    target.write_text(page, encoding="utf-8")
    return target


def _model_lines(result: Any) -> tuple[str, ...]:
    """The sentence saying which joint annotator model the workflow fitted and why (``model_choice``)."""
    choice = getattr(result, "model_choice", "")
    return (f"Annotator model: {choice}",) if choice else ()


@dataclass(frozen=True, kw_only=True)
class JudgeValidation(TableResult):
    """Can this LLM judge replace the humans, assist them, or not be used? With the evidence.

    Attributes
    ----------
    verdict : {"replace", "assist", "do_not_use"}
    harmful : bool
        True when the judge is worse than chance (reliability below 0 with probability >= 0.95, or an
        item-level correlation with the humans wholly below 0); the verdict is then ``"do_not_use"``.
    rule : str
        The decision rule, in words.
    reasons : tuple of str
        Why this verdict: the rule's conditions with the numbers that met or failed them.
    judge, second_judge : str
    humans : tuple
        Rater ids of the human reference.
    epsilon : float
        Margin of the alternative annotator test.
    table : DataFrame
        The evidence, one row each: ``evidence, subject, estimate, ci_low, ci_high, ci_method, n,
        detail`` (``to_frame()``).
    alt_test, ceiling, item_correlation, system_correlation, biases, calibration, comparison : result or None
        The results of the alignment functions that produced the evidence (None when the data did not
        support them; ``notes`` says why).
    leniency : DataFrame
        The leniency rows of the bias probes: mean signed difference judge minus humans, overall and
        per segment (positive = the judge rates higher).
    segments : DataFrame
        Segments where the judge diverges most from the humans (from :func:`alignlab.slices.find_slices`).
    reliability : DataFrame
        The judge's and the humans' posterior reliability from the joint annotator model (``raters_`` rows):
        for discrete labels the kappa with the latent truth (0 = chance, below 0 = worse than chance),
        with ``adversarial_prob`` = P(reliability < 0).
    comparison_conclusion : str
        Whether ``judge`` tracks the humans ``"better"`` or ``"worse"`` than ``second_judge`` (PERM-BOTH,
        one-sided, 0.05), or ``"no significant difference"`` ("" without a second judge).
    notes : tuple of str
        Evidence that could not be computed and why.
    """

    verdict: str
    rule: str
    reasons: tuple[str, ...]
    harmful: bool = False
    judge: str
    humans: tuple[Any, ...]
    epsilon: float
    n_items: int = 0
    second_judge: str | None = None
    alt_test: Any = field(default=None, repr=False)
    ceiling: Any = field(default=None, repr=False)
    item_correlation: Any = field(default=None, repr=False)
    system_correlation: Any = field(default=None, repr=False)
    biases: Any = field(default=None, repr=False)
    calibration: Any = field(default=None, repr=False)
    comparison: Any = field(default=None, repr=False)
    comparison_conclusion: str = ""
    leniency: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reliability: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: accuracy against gold (or, without gold, the human majority), abstentions and presentation-order
    #: statistics of the judge (and of the humans against gold): a JudgeAccuracyResult, or None
    accuracy: Any = field(default=None, repr=False)
    model: str = ""
    model_choice: str = ""
    notes: tuple[str, ...] = ()
    judgments: Any = field(default=None, repr=False, compare=False)
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def status(self) -> str:
        """Traffic light: ``pass`` (replace), ``warn`` (assist), ``fail`` (do not use)."""
        return {"replace": "pass", "assist": "warn"}.get(self.verdict, "fail")

    def evidence(self, name: str) -> pd.DataFrame:
        """The evidence rows called ``name`` (e.g. ``"judge_agreement"``, ``"item_correlation"``)."""
        return self.table[self.table["evidence"] == name].reset_index(drop=True)

    def summary(self) -> str:
        from alignlab.workflows.summary import metric_summary

        lines = [metric_summary(self), "", f"Rule: {self.rule}", "Reasons:"]
        lines += [f"  - {r}" for r in self.reasons]
        lines += ["", "Evidence:"]
        for row in self.table.itertuples(index=False):
            number = format_estimate(row.estimate, row.ci_low, row.ci_high, self.confidence_level)
            lines.append(f"  {row.evidence} [{row.subject}]: {number}" + (f"  ({row.detail})" if row.detail else ""))
        lines += [*_model_lines(self), *(f"note: {n}" for n in self.notes)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page report (decision first, then the evidence); returns the file written."""
        return _write_html(self, path, ["data", "decision"], "workflows.judge_validation",
                           f"Can {self.judge} replace the humans?")


@dataclass(frozen=True, kw_only=True)
class VendorAudit(TableResult):
    """Per rater and per vendor quality, with the raters to retrain or remove.

    Attributes
    ----------
    table : DataFrame
        One row per rater (``to_frame()``): ``rater_id, vendor, method, n, reliability,
        reliability_low, reliability_high, bias, bias_low, bias_high, spammer_prob, spammer,
        adversarial_prob, adversarial, agreement, agreement_low, agreement_high`` and, when available, ``gold_accuracy`` (+ interval,
        ``gold_n``), ``drift_change`` (+ interval, ``drift_p_value``), ``cost_per_judgment``,
        ``quality_per_cost``; then ``rank`` (1 = worst) and ``action``.
    vendors : DataFrame
        One row per vendor: ``vendor, n_raters, n, reliability`` and ``bias`` (+ intervals, from the
        model's vendor level), ``agreement``, ``spammer_share``, ``adversarial_share``, ``gold_accuracy``,
        ``cost_per_judgment``, ``quality_per_cost``, ``rank`` (1 = worst).
    actions : DataFrame
        Raters to ``remove`` or ``retrain``, worst first, with the ``reason`` (``adversarial``,
        ``spammer``, ``below the median rater``, ``drift``) and the evidence for each.
    drift : DataFrame or None
        Agreement with the model consensus by vendor and period, when ``timestamp`` is present.
    drift_tests : DataFrame or None
        Per vendor: the change from the first to the last period with its interval and p-value.
    worst_vendor : str
    """

    vendor_column: str
    vendors: pd.DataFrame = field(repr=False)
    actions: pd.DataFrame = field(repr=False)
    worst_vendor: str = ""
    drift: pd.DataFrame | None = field(default=None, repr=False)
    drift_tests: pd.DataFrame | None = field(default=None, repr=False)
    model: str = ""
    model_choice: str = ""
    n_items: int = 0
    notes: tuple[str, ...] = ()
    judgments: Any = field(default=None, repr=False, compare=False)
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def status(self) -> str:
        removes = int((self.table["action"] == "remove").sum())
        return "fail" if removes else ("warn" if len(self.actions) else "pass")

    def summary(self) -> str:
        from alignlab.workflows.summary import metric_summary

        cols = [c for c in ("vendor", "n_raters", "reliability", "reliability_low", "reliability_high",
                            "agreement", "spammer_share", "adversarial_share", "gold_accuracy", "quality_per_cost",
                            "rank")
                if c in self.vendors.columns]
        with pd.option_context("display.width", 140, "display.precision", 3, "display.max_columns", 20):
            vendors = self.vendors[cols].to_string(index=False)
            actions = self.actions.to_string(index=False) if len(self.actions) else "none"
        lines = [metric_summary(self), "", "Vendors (rank 1 = worst):", vendors, "", "Raters to act on:", actions]
        lines += [*_model_lines(self), *(f"note: {n}" for n in self.notes)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page vendor audit report; returns the file written."""
        return _write_html(self, path, ["data", "decision", "vendors"], "workflows.vendor_audit",
                           "Annotation vendor audit")


@dataclass(frozen=True, kw_only=True)
class TrustWeights(TableResult):
    """A weight per evaluation source for one combined quality metric, and the estimate it implies.

    Attributes
    ----------
    table : DataFrame
        One row per source (``to_frame()``): ``source`` (a judge or online signal's rater id, or a
        human panel's method), ``kind`` (``rater``, ``signal`` for per-item online aggregates
        (successes/trials), or ``panel``), ``method``, ``n_raters``, ``n``,
        ``reliability`` (+ interval), ``precision`` (inverse error variance relative to the latent
        quality's variance, ``r / (1 - r)``) and ``weight`` (+ ``weight_low``, ``weight_high``),
        summing to 1.
    estimate : EstimateResult or None
        The prediction-powered estimate of ``target`` (human-scale mean) that the weighted combination
        of the non-human sources implies, with its interval.
    by_segment : DataFrame or None
        Weights refitted within each level of a segment column, with ``differs`` when a source's
        reliability interval in the segment misses its overall estimate and its weight moves by more
        than 0.05.
    target : str
    """

    target: str
    estimate: Any = field(default=None, repr=False)
    by_segment: pd.DataFrame | None = field(default=None, repr=False)
    model: str = ""
    model_choice: str = ""
    n_items: int = 0
    notes: tuple[str, ...] = ()
    judgments: Any = field(default=None, repr=False, compare=False)
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def weights(self) -> pd.Series:
        """``weight`` indexed by source."""
        return self.table.set_index("source")["weight"]

    def summary(self) -> str:
        from alignlab.workflows.summary import metric_summary

        cols = ["source", "kind", "method", "reliability", "reliability_low", "reliability_high", "weight",
                "weight_low", "weight_high"]
        with pd.option_context("display.width", 140, "display.precision", 3):
            body = self.table[cols].to_string(index=False)
        lines = [metric_summary(self), "", body]
        if self.estimate is not None and not math.isnan(self.estimate.estimate):
            lines.append(f"\nCorrected {self.target}: " + format_estimate(
                self.estimate.estimate, self.estimate.ci_low, self.estimate.ci_high, self.confidence_level)
                + f" ({self.estimate.method}; {self.estimate.ci_method})")
        lines += [*_model_lines(self), *(f"note: {n}" for n in self.notes)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page trust-weights report; returns the file written."""
        return _write_html(self, path, ["data", "decision", "trust_weights"], "workflows.trust_weights",
                           "Metric trust weights")
