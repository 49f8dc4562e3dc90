"""Result types of the three workflows: a decision with its evidence, as tidy tables.

Each result is a frozen dataclass deriving from :class:`alignlab.results.TableResult`: ``to_frame()``
returns its main table, ``paragraph()`` the decision-ready paragraph (what was measured, the number with
its interval, what it means, what to do), ``summary()`` a :class:`alignlab.results.Summary` (the
paragraph, then the evidence tables) and ``to_html(path)`` the one-page report, rendered by
:func:`alignlab.report.write` from the result alone. A result keeps a summary of the data it was computed
on (counts, scale, exclusions, hash: ``data``), never the table itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alignlab.results import Summary, TableResult, format_estimate

__all__ = ["JudgeValidation", "VendorAudit", "TrustWeights", "VERDICTS"]

#: the three verdicts of :func:`validate_judge`
VERDICTS = ("replace", "assist", "do_not_use")

EVIDENCE_COLUMNS = ("evidence", "subject", "estimate", "ci_low", "ci_high", "ci_method", "n", "detail")


def _write_html(result: Any, path: str | Path) -> Path:
    """``alignlab.report.write(result, path)``: the report layer sits above the compute modules
    (tests/test_architecture.py), so it is imported at call time only, as Display objects import matplotlib."""
    from alignlab.report.write import write  # noqa: PLC0415 - presentation layer, imported on use

    return write(result, path)


def _ci(estimate: float, low: float, high: float, level: float) -> str:
    return format_estimate(estimate, low, high, level)


_ACTION = {
    "replace": ("Use the judge in place of the human raters for this task, and keep auditing it on a small "
                "random human-labelled sample so a drift would be caught."),
    "assist": ("Do not replace the humans: use the judge alongside them, with a trust weight "
               "(alignlab.workflows.trust_weights) and prediction-powered (PPI) estimates that a human-labelled "
               "sample corrects."),
    "do_not_use": ("Do not use this judge for this task: its judgments carry no reliable information about what "
                   "the humans think. Improve the prompt or the model and validate again."),
}


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
    data: Any = field(default=None, repr=False, compare=False)
    data_hash: str = ""
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def status(self) -> str:
        """Traffic light: ``pass`` (replace), ``warn`` (assist), ``fail`` (do not use)."""
        return {"replace": "pass", "assist": "warn"}.get(self.verdict, "fail")

    def evidence(self, name: str) -> pd.DataFrame:
        """The evidence rows called ``name`` (e.g. ``"judge_agreement"``, ``"item_correlation"``)."""
        return self.table[self.table["evidence"] == name].reset_index(drop=True)

    def paragraph(self) -> str:
        """The decision-ready paragraph: what was checked, the numbers with intervals, the verdict."""
        level = self.confidence_level
        parts = [f"We checked whether the LLM judge {self.judge!r} can stand in for {len(self.humans)} human "
                 f"rater{'s' if len(self.humans) != 1 else ''} on {self.n_items:,} items." if self.humans else
                 f"We checked the LLM judge {self.judge!r} against gold answers on {self.n_items:,} items."]
        agree = self.evidence("judge_agreement")
        ceiling = self.evidence("human_ceiling")
        corr = self.evidence("item_correlation")
        if len(agree) and len(ceiling):
            a, c = agree.iloc[0], ceiling.iloc[0]
            parts.append(f"Its agreement with the humans is {_ci(a.estimate, a.ci_low, a.ci_high, level)}, against a "
                         f"human-to-human ceiling of {_ci(c.estimate, c.ci_low, c.ci_high, level)}.")
        elif len(corr):
            r = corr.iloc[0]
            parts.append(f"Its item-level Kendall tau with the human consensus is {_ci(r.estimate, r.ci_low, r.ci_high, level)}.")
        gold = self.evidence("gold_accuracy")
        if len(gold):  # accuracy against gold (abstentions wrong), and the abstention rate when any
            g = gold.iloc[0]
            abstained = self.evidence("abstention_rate")
            extra = (f", {abstained.iloc[0].estimate:.1%} of its verdicts abstentions"
                     if len(abstained) and abstained.iloc[0].estimate > 0 else "")
            parts.append(f"Its accuracy against gold is {_ci(g.estimate, g.ci_low, g.ci_high, level)} (abstentions "
                         f"count as wrong{extra}).")
        if self.alt_test is not None:
            alt = self.alt_test
            parts.append(f"The alternative annotator test {'passed' if alt.passed else 'did not pass'}: the judge is at "
                         f"least as good as {alt.winning_rate:.0%} of the humans (50% needed).")
        if len(self.segments):
            worst = self.segments.iloc[0]
            parts.append(f"It diverges most from the humans where {worst['predicate']}.")
        verdict_text = {"replace": "can replace the humans", "assist": "can assist the humans but not replace them",
                        "do_not_use": "should not be used"}[self.verdict]
        if self.harmful:
            parts.append("Verdict: the judge is harmful - it agrees with the truth less often than chance "
                         "(it systematically prefers the wrong answer). Do not use it; its labels would pull any "
                         "combined estimate the wrong way.")
        else:
            parts.append(f"Verdict: the judge {verdict_text}. {_ACTION[self.verdict]}")
        if self.second_judge is not None and self.comparison_conclusion:
            parts.append(f"Compared with {self.second_judge!r}, the judge tracks the humans "
                         f"{'significantly better' if self.comparison_conclusion == 'better' else 'significantly worse' if self.comparison_conclusion == 'worse' else 'neither significantly better nor worse'}.")
        return " ".join(parts)

    def summary(self) -> Summary:
        lines = [self.paragraph(), f"Rule: {self.rule}", *(f"Reason: {r}" for r in self.reasons),
                 *_model_lines(self)]
        return Summary(f"Can {self.judge} replace the humans? {self.verdict}", lines=tuple(lines),
                       tables=(("Evidence", self.table),), warnings=self.notes)

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page report (decision first, then the evidence): ``alignlab.report.write``."""
        return _write_html(self, path)


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
    data: Any = field(default=None, repr=False, compare=False)
    data_hash: str = ""
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def status(self) -> str:
        removes = int((self.table["action"] == "remove").sum())
        return "fail" if removes else ("warn" if len(self.actions) else "pass")

    def paragraph(self) -> str:
        """The decision-ready paragraph: the worst vendor with its interval, the raters to act on."""
        level = self.confidence_level
        vendors = self.vendors
        table = self.table
        parts = [f"We audited {len(table):,} raters from {len(vendors):,} vendors on {self.n_items:,} items with "
                 f"the {self.model}."]
        if len(vendors):
            worst = vendors.sort_values("rank").iloc[0]
            best = vendors.sort_values("rank").iloc[-1]
            parts.append(f"The worst vendor is {worst['vendor']!s}: reliability "
                         f"{_ci(worst['reliability'], worst['reliability_low'], worst['reliability_high'], level)}, "
                         f"against {_ci(best['reliability'], best['reliability_low'], best['reliability_high'], level)} "
                         f"for the best, {best['vendor']!s}.")
            ranked = vendors.sort_values("rank")
            if len(ranked) >= 2:
                runner_up = ranked.iloc[1]
                if worst["reliability_high"] >= runner_up["reliability_low"]:
                    parts.append(f"Its interval overlaps that of {runner_up['vendor']!s} "
                                 f"({runner_up['reliability']:.3f}), so the two are not clearly separated.")
        n_spam = int(table["spammer"].sum()) if "spammer" in table.columns else 0
        if n_spam:
            parts.append(f"{n_spam} rater{'s are likely spammers' if n_spam != 1 else ' is likely a spammer'} (answers "
                         "unrelated to the items).")
        n_adv = int(table["adversarial"].sum()) if "adversarial" in table.columns else 0
        if n_adv:
            parts.append(f"{n_adv} rater{'s are' if n_adv != 1 else ' is'} adversarial: reliability below 0, agreeing "
                         "with the truth less often than chance (e.g. swapping labels).")
        if "quality_per_cost" in vendors.columns and vendors["quality_per_cost"].notna().any():
            top = vendors.sort_values("quality_per_cost", ascending=False).iloc[0]
            parts.append(f"Per unit of cost, {top['vendor']!s} delivers the most reliability.")
        removes = self.actions[self.actions["action"] == "remove"] if len(self.actions) else self.actions
        retrains = self.actions[self.actions["action"] == "retrain"] if len(self.actions) else self.actions
        todo = []
        if len(removes):
            todo.append(f"remove {', '.join(map(str, removes['rater_id'].head(5)))}")
        if len(retrains):
            todo.append(f"retrain {', '.join(map(str, retrains['rater_id'].head(5)))}")
        if todo:
            parts.append("What to do: " + "; ".join(todo) + ", and re-check the worst vendor's contract and "
                         "qualification tests.")
        else:
            parts.append("What to do: no rater needs action; keep monitoring with gold questions.")
        return " ".join(parts)

    def summary(self) -> Summary:
        tables = [("Vendors (rank 1 = worst)", self.vendors), ("Raters to act on", self.actions)]
        return Summary("Annotation vendor audit", lines=(self.paragraph(), *_model_lines(self)), tables=tuple(tables),
                       warnings=self.notes)

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page vendor audit report: ``alignlab.report.write``."""
        return _write_html(self, path)


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
    data: Any = field(default=None, repr=False, compare=False)
    data_hash: str = ""
    random_state: Any = field(default=None, repr=False, compare=False)
    call: str = ""

    @property
    def weights(self) -> pd.Series:
        """``weight`` indexed by source."""
        return self.table.set_index("source")["weight"]

    def paragraph(self) -> str:
        """The decision-ready paragraph: the weights with intervals and the corrected estimate."""
        level = self.confidence_level
        t = self.table.sort_values("weight", ascending=False)
        parts = [f"We weighted {len(t)} evaluation sources by how closely each tracks the latent item quality "
                 f"(inverse error variance from the {self.model})."]
        shown = ", ".join(f"{r.source} {r.weight:.2f} ({r.weight_low:.2f} to {r.weight_high:.2f})"
                          for r in t.head(4).itertuples(index=False))
        parts.append(f"Weights: {shown}.")
        est = self.estimate
        if est is not None and not math.isnan(est.estimate):
            if est.method.startswith("classical"):
                parts.append(f"Every item has human labels, so the {self.target} is the human panel's: "
                             f"{_ci(est.estimate, est.ci_low, est.ci_high, level)}.")
            else:
                parts.append(f"The weighted sources, corrected on the human-labelled items (PPI++), put the "
                             f"{self.target} at {_ci(est.estimate, est.ci_low, est.ci_high, level)}.")
        if self.by_segment is not None and "differs" in self.by_segment.columns and self.by_segment["differs"].any():
            rows = self.by_segment[self.by_segment["differs"]]
            parts.append(f"The weights differ by segment ({', '.join(sorted(set(map(str, rows['segment']))))}): use "
                         "per-segment weights there.")
        parts.append(f"What to do: combine the sources with these weights; lean on {t.iloc[0]['source']!s} and least "
                     f"on {t.iloc[-1]['source']!s}, and report the corrected estimate with its interval.")
        return " ".join(parts)

    def summary(self) -> Summary:
        lines = [self.paragraph()]
        if self.estimate is not None and not math.isnan(self.estimate.estimate):
            lines.append(f"Corrected {self.target}: " + format_estimate(
                self.estimate.estimate, self.estimate.ci_low, self.estimate.ci_high, self.confidence_level)
                + f" ({self.estimate.method}; {self.estimate.ci_method})")
        lines.extend(_model_lines(self))
        tables = [("Weights per source", self.table)]
        if self.by_segment is not None:
            tables.append(("Weights refitted within each segment", self.by_segment))
        return Summary("Metric trust weights", lines=tuple(lines), tables=tuple(tables), warnings=self.notes)

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_html(self, path: str | Path) -> Path:
        """Write the one-page trust-weights report: ``alignlab.report.write``."""
        return _write_html(self, path)
