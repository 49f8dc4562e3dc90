"""How the workflows call the compute modules: one place that picks the model and runs public calls.

The workflows never re-derive a statistic that another family owns. Every piece of evidence comes
from a public function of :mod:`alignlab.agreement`, :mod:`alignlab.alignment`,
:mod:`alignlab.annotators` or :mod:`alignlab.slices`, called through :func:`attempt`, which turns
"this data does not support that statistic" (a ``ValueError`` from the callee, e.g. fewer than three
humans for the alternative annotator test) into a note in the result instead of a failure of the
whole workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from alignlab._params import AlignlabError, DataError
from alignlab.data import Judgments, load_judgments

__all__ = ["COMPARE_MAX_JUDGMENTS", "attempt", "choose_joint_model", "fit_joint_model", "numeric_view", "numeric_values"]


def attempt(notes: list[str], what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)``; on a data limitation record why in ``notes`` and return None.

    A data limitation is an alignlab error (``DataError``, ``InvalidParameterError`` ...: the callee says what
    the data lack) or a singular system; any other exception is a bug and propagates.
    """
    try:
        return func(*args, **kwargs)
    except (AlignlabError, np.linalg.LinAlgError) as exc:
        notes.append(f"{what}: not computed ({exc})")
        return None


def numeric_values(judgments: Judgments) -> np.ndarray:
    """A number per judgment on which means make sense (pairwise: P(A preferred), A=1, tie=0.5, B=0).

    The same convention as :func:`alignlab.alignment.correlate`; unordered categorical labels raise.
    """
    scale = judgments.scale
    if scale.kind == "pairwise":
        lookup = {"A": 1.0, "B": 0.0, "tie": 0.5}
        return np.array([lookup.get(str(label), np.nan) for label in scale.labels])[judgments.label_codes]
    if scale.kind == "categorical":
        raise DataError(
            "unordered categorical labels have no numeric meaning; this needs an ordered scale "
            "(binary, ordinal, continuous or pairwise)"
        )
    return judgments.values


def numeric_view(judgments: Judgments) -> Judgments:
    """A pairwise table as an ordinal one (B < tie < A, coded 0, 0.5, 1) so continuous models apply."""
    if judgments.scale.kind != "pairwise":
        return judgments
    from alignlab.data import Scale

    frame = judgments.frame.drop(columns=["source_row"]).copy()
    frame["value"] = numeric_values(judgments)
    if "gold" in frame.columns:
        lookup = {"A": 1.0, "B": 0.0, "tie": 0.5}
        frame["gold"] = frame["gold"].map(lookup)
    return load_judgments(frame, scale=Scale.ordinal([0.0, 0.5, 1.0]), segments=list(judgments.segments))


#: up to this many judgments the workflows fit the model :func:`alignlab.annotators.compare_models`
#: recommends (3 item folds); above it, the default ``DawidSkene()`` (data-chosen prior), whose prior
#: selection alone scores a 30,000-judgment subset. Measured cost of the comparison on the bundled
#: datasets in docs/annotators.md ("Which model do the workflows fit?").
COMPARE_MAX_JUDGMENTS = 20_000
#: item folds of the workflows' model comparison (compare_models' own default is 5)
COMPARE_FOLDS = 3
#: below this many items a 3-fold held-out comparison is too noisy to choose a model: the default is fitted
COMPARE_MIN_ITEMS = 50


def choose_joint_model(judgments: Judgments, *, random_state: Any = 0) -> tuple[Any | None, str, str]:
    """Which categorical annotator model the workflows fit: ``(unfitted template or None, name, why)``.

    Binary, categorical and pairwise labels, at least :data:`COMPARE_MIN_ITEMS` items and up to
    :data:`COMPARE_MAX_JUDGMENTS` judgments:
    :func:`alignlab.annotators.compare_models` with :data:`COMPARE_FOLDS` item folds, and its
    recommended model (largest held-out label log-likelihood among the fits that neither collapsed nor
    lost the labels' meaning; gold, when the table has it, overrides with a paired interval that
    excludes 0). Larger tables: the default ``DawidSkene()`` (no comparison, to keep the workflows
    fast). Ordinal and continuous scores: ``None`` (the continuous rater model, which compare_models
    does not cover).
    """
    from alignlab.annotators import DawidSkene, compare_models

    kind = judgments.scale.kind
    if kind not in ("binary", "categorical", "pairwise"):
        return None, "", ("ordinal and continuous scores use the continuous rater model (compare_models compares "
                          "the categorical models only)")
    if len(judgments) > COMPARE_MAX_JUDGMENTS:
        return DawidSkene(), "DawidSkene", (
            f"the default DawidSkene (prior chosen by held-out label log-likelihood): {len(judgments):,} judgments "
            f"is above the {COMPARE_MAX_JUDGMENTS:,} up to which the workflows run compare_models")
    if judgments.n_items < COMPARE_MIN_ITEMS:
        return DawidSkene(), "DawidSkene", (
            f"the default DawidSkene (prior chosen by held-out label log-likelihood): {judgments.n_items} items are "
            f"too few for the workflows' {COMPARE_FOLDS}-fold model comparison (needs {COMPARE_MIN_ITEMS})")
    try:
        comparison = compare_models(judgments, cv=COMPARE_FOLDS, random_state=random_state)
    except ValueError as exc:  # e.g. fewer items than folds: the default model still fits
        return DawidSkene(), "DawidSkene", (f"the default DawidSkene (prior chosen by held-out label "
                                            f"log-likelihood): compare_models could not run ({exc})")
    template = comparison.best_model()
    reason = f"recommended by compare_models ({COMPARE_FOLDS} item folds): {comparison.reason}"
    if comparison.warnings:
        reason += " " + " ".join(comparison.warnings)
    return template, comparison.recommended, reason


_DISPLAY = {"DawidSkene": "hierarchical Dawid-Skene (EM)", "DawidSkene (flat)": "Dawid-Skene, flat prior (EM)",
            "OneCoin": "one-coin Dawid-Skene (EM)", "MACE": "MACE (EM)", "GLAD": "GLAD (EM)"}


def fit_joint_model(
    judgments: Judgments,
    *,
    confidence_level: float,
    random_state: Any,
    n_resamples: int = 200,
) -> tuple[Any, str]:
    """Fit the annotator model that suits the data; returns ``(fitted model, model name)``.

    Discrete labels (binary, categorical, pairwise): the model :func:`choose_joint_model` picks (the
    :func:`alignlab.annotators.compare_models` recommendation up to :data:`COMPARE_MAX_JUDGMENTS`
    judgments, the default ``DawidSkene()`` above), refitted on all the judgments with gold clamped
    where present and conditional intervals. Ordinal and continuous scores use the continuous rater
    model (bias, scale, noise, hierarchical by method and vendor). Both are the fast EM engines with
    the same ``raters_`` frame. Which model and why is in the fitted model's ``model_choice_``.
    """
    from alignlab import annotators

    kind = judgments.scale.kind
    if kind in ("binary", "categorical", "pairwise"):
        template, name, reason = choose_joint_model(judgments, random_state=random_state)
        settings = template.get_params()
        settings.update(ci_method="conditional", use_gold=True, confidence_level=confidence_level,
                        n_resamples=n_resamples, random_state=random_state)
        model = type(template)(**settings).fit(judgments)
        model.model_choice_ = f"{name}: {reason}"
        return model, _DISPLAY.get(name, f"{name} (EM)")
    model_cls = getattr(annotators, "ContinuousRaters", None)
    if model_cls is None:  # pragma: no cover - the continuous model ships with annotators
        from alignlab.annotators.continuous import ContinuousRaters as model_cls  # noqa: N813
    # scale="rater": each rater's slope on the latent quality is estimated, so a rater whose scores ignore
    # the items (a spammer) gets reliability near 0; with the slope fixed at 1 pure noise would still
    # read as reliability tau^2 / (2 tau^2 + noise) ~ 0.3
    model = model_cls(scale="rater", confidence_level=confidence_level, random_state=random_state)
    model = model.fit(judgments)
    model.model_choice_ = ("ContinuousRaters: ordinal and continuous scores use the continuous rater model "
                           "(compare_models compares the categorical models only)")
    return model, "continuous rater model (EM, rater bias and scale, hierarchical by method and vendor)"


def rater_table(model: Any) -> pd.DataFrame:
    """The fitted ``raters_`` frame with the columns every workflow reads, reliability signed.

    The discrete models' reliability is already signed (kappa with the latent truth, below 0 = worse
    than chance) and comes with ``adversarial_prob``. The continuous rater model's is a variance share,
    ``a^2 tau^2 / (a^2 tau^2 + sigma^2)``, the same for a rater whose scores run *against* the latent
    quality (negative scale ``a``): here it takes the sign of the scale (the signed squared correlation
    with the quality), the interval is mirrored when the whole scale interval is below 0 and spans
    ``[-high, high]`` when it covers 0, and ``adversarial_prob`` = P(scale < 0) from the scale's normal
    interval. So every workflow reads one signed number whatever the scale.
    """
    raters = model.raters_.copy()
    for column in ("bias", "bias_low", "bias_high", "spammer_prob", "adversarial_prob"):
        if column not in raters.columns:
            raters[column] = np.nan
    if raters["adversarial_prob"].isna().all() and {"scale", "scale_low", "scale_high"} <= set(raters.columns):
        from scipy import stats

        level = float(getattr(model, "interval_level_", 0.95))
        scale = raters["scale"].to_numpy(dtype=float)
        low, high = raters["scale_low"].to_numpy(dtype=float), raters["scale_high"].to_numpy(dtype=float)
        se = (high - low) / (2 * stats.norm.ppf(0.5 + level / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.where(se > 0, stats.norm.cdf(-scale / se), (scale < 0).astype(float))
        raters["adversarial_prob"] = np.where(np.isfinite(scale), below, np.nan)
        r = raters["reliability"].to_numpy(dtype=float)
        r_low, r_high = raters["reliability_low"].to_numpy(dtype=float), raters["reliability_high"].to_numpy(dtype=float)
        negative, crossing = high < 0, (low <= 0) & (high >= 0)
        raters["reliability"] = np.where(scale < 0, -r, r)
        raters["reliability_low"] = np.where(negative, -r_high, np.where(crossing, -r_high, r_low))
        raters["reliability_high"] = np.where(negative, -r_low, r_high)
    return raters
