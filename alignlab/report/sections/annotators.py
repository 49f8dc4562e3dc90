"""Section "Raters": reliability and bias of every rater, per method and vendor, flagged spammers.

Reliability is the models' shared kappa of each rater's label with the latent truth
(:mod:`alignlab.annotators._reliability`): 0 = chance, 1 = perfect, below 0 = worse than chance.

Fits the annotator model that suits the scale with its fast EM engine (the PyMC engine is for
interactive use; a report must stay fast): Dawid–Skene for binary/categorical scales, and the
ordinal / continuous / pairwise models when :mod:`alignlab.annotators` exports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.data import Judgments
from alignlab.plot.annotators import ConfusionMatrixDisplay, RaterForestDisplay
from alignlab.report import html as h
from alignlab.report.core import ReportContext, SectionContent, register_section

# above this many judgments the report uses the conditional posterior instead of the bootstrap
_BOOTSTRAP_MAX_JUDGMENTS = 50_000
# up to this many judgments the report picks the categorical model with compare_models (3 item folds)
_COMPARE_MAX_JUDGMENTS = 100_000
_MODEL_FOR_SCALE = {"binary": "DawidSkene", "categorical": "DawidSkene", "ordinal": "OrdinalRaters",
                    "continuous": "ContinuousRaters", "pairwise": "BradleyTerry"}


def report_model(judgments: Judgments, *, random_state: int | None = 0) -> Any | None:
    """The fitted EM-engine model the report shows for this scale, or None when none applies."""
    from alignlab import annotators

    name = _MODEL_FOR_SCALE.get(judgments.scale.kind)
    model_class = getattr(annotators, name, None) if name else None
    if model_class is None or judgments.n_raters < 2:
        return None
    if name == "DawidSkene":
        ci_method = "bootstrap" if len(judgments) <= _BOOTSTRAP_MAX_JUDGMENTS else "conditional"
        model = model_class(engine="em", ci_method=ci_method, n_resamples=100, random_state=random_state)
        choice = None
        if len(judgments) <= _COMPARE_MAX_JUDGMENTS:
            choice = annotators.compare_models(judgments, cv=3, random_state=random_state)
            chosen = choice.fitted[choice.recommended]
            model = type(chosen)(**{**chosen.get_params(), "use_gold": True, "ci_method": ci_method,
                                    "n_resamples": 100, "random_state": random_state})
        model.fit(judgments)
        model.model_choice_ = choice  # shown by the section: which model and why
        return model
    else:
        model = model_class(engine="em", random_state=random_state)
    return model.fit(judgments)


def _rater_table(raters: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in ("rater_id", "method", "vendor", "n", "reliability", "reliability_low", "reliability_high",
                           "bias", "bias_low", "bias_high", "accuracy", "informativeness", "spammer_prob",
                           "adversarial_prob") if c in raters.columns]
    table = raters[columns].sort_values("reliability")
    if "vendor" in table and table["vendor"].isna().all():
        table = table.drop(columns="vendor")
    return table


@register_section("raters", title="Raters", order=40)
def raters_section(ctx: ReportContext) -> SectionContent | None:
    j = ctx.judgments
    if len(j) == 0 or j.n_raters < 2:
        return None
    model = ctx.cached("annotators.report_model", lambda: report_model(j, random_state=ctx.random_state))
    if model is None:
        return None
    raters = model.raters_
    level = getattr(model, "interval_level_", 0.95)
    adversarial_prob = raters["adversarial_prob"] if "adversarial_prob" in raters else pd.Series(0.0, raters.index)
    adversarial = raters[adversarial_prob >= 0.95].sort_values("reliability")
    flagged = raters[(raters["spammer_prob"] > 0.5) & (adversarial_prob < 0.95)].sort_values("spammer_prob",
                                                                                             ascending=False)
    worst = raters.sort_values("reliability").iloc[0]
    cards = h.metric_cards([
        ("model", type(model).__name__, f"engine em; intervals {getattr(model, 'ci_method_', '')[:40]}"),
        ("raters", f"{len(raters):,}", f"{int(raters['n'].sum()):,} judgments"),
        ("median reliability", h.fmt(float(raters["reliability"].median())), "0 = chance, 1 = perfect"),
        ("likely spammers", f"{len(flagged):,}", "spammer probability > 0.5"),
        ("worse than chance", f"{len(adversarial):,}", "P(reliability < 0) >= 0.95"),
        ("least reliable", str(worst["rater_id"]), f"reliability {h.fmt(float(worst['reliability']))}"),
    ])
    choice = getattr(model, "model_choice_", None)
    if choice is not None:
        parts_choice = [h.paragraph(f"Model: {choice.recommended}, chosen by alignlab.annotators.compare_models: "
                                    f"{choice.reason}"),
                        h.table(choice.to_frame().drop(columns=["warnings"], errors="ignore"),
                                caption="Annotator models compared (held-out label log-likelihood over 3 item folds; "
                                        "accuracy against gold where present, models fitted without it)")]
    elif j.scale.kind in ("binary", "categorical"):
        parts_choice = [h.paragraph(f"Model: {type(model).__name__} with its data-chosen prior (more than "
                                    f"{_COMPARE_MAX_JUDGMENTS:,} judgments: models not compared here; run "
                                    "alignlab.annotators.compare_models to compare them).")]
    else:
        parts_choice = []
    parts = [cards, *parts_choice, h.paragraph(
        f"Each rater's reliability and bias (systematic shift) from {type(model).__name__}, with {level:.0%} "
        f"intervals ({getattr(model, 'ci_method_', 'n/a')}). "
        + ("Reliability is the share of a rater's score variance that is item quality (0 = noise)."
           if j.scale.kind == "continuous" else
           "Reliability is Cohen's kappa of the rater's label with the latent truth, classes weighted by how "
           "often they occur (0 = labels independent of the truth, 1 = perfect, below 0 = worse than chance)"
           + ("; on this pairwise scale a tie given for a clear preference, or a preference given for a tie, "
              "counts half." if j.scale.kind == "pairwise" else ".")))]
    parts.append(h.figure(RaterForestDisplay.from_model(model).plot().to_svg(),
                          caption="Reliability per rater (most active 40), coloured by method"))
    if raters["bias"].notna().any() and raters["bias_low"].notna().any():
        parts.append(h.figure(RaterForestDisplay.from_model(model, quantity="bias").plot().to_svg(),
                              caption="Bias per rater (0 = none)"))
    groups = getattr(model, "groups_", None)
    if groups is not None and len(groups) > 1:
        parts.append(h.figure(RaterForestDisplay.from_groups(model).plot().to_svg(),
                              caption="Reliability per method and vendor (judgment-weighted means of the raters)"))
        parts.append(h.table(groups, caption="By method and vendor"))
    if len(adversarial):
        names = ", ".join(map(str, adversarial["rater_id"].head(10)))
        parts.append(h.callout(f"{len(adversarial)} rater(s) agree with the truth less often than chance "
                               f"(reliability below 0, e.g. swapped labels): {names}"
                               f"{' ...' if len(adversarial) > 10 else ''}. Do not use their labels as they are.",
                               kind="warn"))
    if len(flagged):
        names = ", ".join(map(str, flagged["rater_id"].head(10)))
        parts.append(h.callout(f"{len(flagged)} rater(s) look like spammers (labels nearly independent of the "
                               f"truth): {names}{' ...' if len(flagged) > 10 else ''}. Review or down-weight them.",
                               kind="warn"))
    if hasattr(model, "confusion_") and "confusion_" in vars(model):
        parts.append(h.figure(ConfusionMatrixDisplay.from_model(model).plot().to_svg(),
                              caption="Estimated P(label given | true class) of the least reliable raters"))
    parts.append(h.table(_rater_table(raters), caption="Raters, least reliable first", max_rows=60))
    bullets = [f"{type(model).__name__}: median rater reliability {h.fmt(float(raters['reliability'].median()))}; "
               f"least reliable rater {worst['rater_id']} ({h.fmt(float(worst['reliability']))})."]
    if choice is not None:
        bullets.append(f"Annotator model {choice.recommended} (compare_models: {choice.reason})")
    if len(flagged):
        bullets.append(f"{len(flagged)} likely spammer(s): {', '.join(map(str, flagged['rater_id'].head(5)))}.")
    if groups is not None and len(groups) > 1:
        by_method = groups[groups["level"] == "method"].sort_values("reliability")
        if len(by_method) > 1:
            low, high = by_method.iloc[0], by_method.iloc[-1]
            bullets.append(f"Most reliable method {high['group']} ({h.fmt(float(high['reliability']))}), least "
                           f"{low['group']} ({h.fmt(float(low['reliability']))}).")
    if len(adversarial):
        bullets.append(f"{len(adversarial)} rater(s) worse than chance: "
                       f"{', '.join(map(str, adversarial['rater_id'].head(5)))}.")
    status = "warn" if len(flagged) or len(adversarial) or np.any(raters["reliability"] < 0.2) else "pass"
    return SectionContent(body="\n".join(parts), bullets=tuple(bullets), status=status,
                          warnings=tuple(getattr(model, "warnings_", ()))
                          + (tuple(choice.warnings) if choice is not None else ()))
