"""metric_summary: the decision-ready paragraph at the top of every workflow report."""

from __future__ import annotations

from typing import Any

from alignlab._params import InvalidParameterError

__all__ = ["metric_summary"]


def metric_summary(result: Any) -> str:
    """One decision-ready paragraph: what was measured, the number with its interval, what it means, what to do.

    Every workflow result (and every :class:`alignlab.results.EstimateResult`) writes its own paragraph,
    ``result.paragraph()``; this function is the same call for code that handles results generically.

    Parameters
    ----------
    result : JudgeValidation, VendorAudit, TrustWeights, EstimateResult or any result with ``paragraph()``

    Returns
    -------
    str

    Examples
    --------
    >>> from alignlab.results import EstimateResult
    >>> from alignlab.workflows import metric_summary
    >>> metric_summary(EstimateResult(estimate=0.71, ci_low=0.65, ci_high=0.77, method="krippendorff_alpha",
    ...                               ci_method="bootstrap-bca(items, 1000)", n_items=200))
    'krippendorff_alpha on 200 items: 0.710 (95% CI 0.650 to 0.770), interval by bootstrap-bca(items, 1000).'
    """
    paragraph = getattr(result, "paragraph", None)
    if not callable(paragraph):
        raise InvalidParameterError(
            "metric_summary expects a result with a paragraph() (JudgeValidation, VendorAudit, TrustWeights, "
            f"EstimateResult ...); got {type(result).__name__}.")
    return paragraph()
