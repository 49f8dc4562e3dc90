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

from alignlab.data import Judgments, load_judgments

__all__ = ["attempt", "fit_joint_model", "numeric_view", "numeric_values"]


def attempt(notes: list[str], what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)``; on a data limitation record why in ``notes`` and return None."""
    try:
        return func(*args, **kwargs)
    except (ValueError, np.linalg.LinAlgError) as exc:
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
        raise ValueError(
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


def fit_joint_model(
    judgments: Judgments,
    *,
    confidence_level: float,
    random_state: Any,
    n_resamples: int = 200,
) -> tuple[Any, str]:
    """Fit the annotator model that suits the scale; returns ``(fitted model, model name)``.

    Discrete labels (binary, categorical, pairwise) use hierarchical Dawid-Skene (raters pooled by
    method and vendor); ordinal and continuous scores use the continuous rater model (bias, scale, noise,
    hierarchical by method and vendor). Both are the fast EM engines with the same ``raters_`` frame.
    """
    from alignlab import annotators

    kind = judgments.scale.kind
    if kind in ("binary", "categorical", "pairwise"):
        model_cls = getattr(annotators, "DawidSkene", None)
        if model_cls is None:
            from alignlab.annotators.categorical import DawidSkene as model_cls  # noqa: N813
        model = model_cls(ci_method="conditional", confidence_level=confidence_level, n_resamples=n_resamples,
                          random_state=random_state)
        return model.fit(judgments), "hierarchical Dawid-Skene (EM)"
    model_cls = getattr(annotators, "ContinuousRaters", None)
    if model_cls is None:  # pragma: no cover - the continuous model ships with annotators
        from alignlab.annotators.continuous import ContinuousRaters as model_cls  # noqa: N813
    # scale="rater": each rater's slope on the latent quality is estimated, so a rater whose scores ignore
    # the items (a spammer) gets reliability near 0; with the slope fixed at 1 pure noise would still
    # read as reliability tau^2 / (2 tau^2 + noise) ~ 0.3
    model = model_cls(scale="rater", confidence_level=confidence_level, random_state=random_state)
    return model.fit(judgments), "continuous rater model (EM, rater bias and scale, hierarchical by method and vendor)"


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
