"""Data collection design: what to annotate next, with how many raters, and how much gold.

- :func:`plan_annotation` — from a pilot, the trade-off between items and raters per item for a metric's
  and an agreement statistic's interval width, the gold needed per vendor, and the cheapest design meeting
  the targets within a budget, simulated from the fitted annotator model (:class:`DataCollectionPlan`,
  with a JSON/CSV spec of the exact sample and rater assignment).
- :func:`plan_active_sample` / :func:`active_ppi_estimate` — which items go to humans when an LLM judge
  rates everything (active / stratified prediction-powered sampling, Zrnic & Candès 2024), and the
  design-unbiased estimate from the labels that come back.
- Closed forms: :func:`design_effect`, :func:`clustered_mean_variance`, :func:`gold_sample_size`.
"""

from alignlab.design.active import (
    ActivePPIResult,
    ActiveSamplePlan,
    active_ppi_estimate,
    inclusion_probabilities,
    plan_active_sample,
    systematic_pps,
)
from alignlab.design.annotation import (
    DataCollectionPlan,
    clustered_mean_variance,
    design_effect,
    gold_sample_size,
    plan_annotation,
    simulate_design,
)

__all__ = [
    "ActivePPIResult",
    "ActiveSamplePlan",
    "active_ppi_estimate",
    "inclusion_probabilities",
    "plan_active_sample",
    "DataCollectionPlan",
    "clustered_mean_variance",
    "design_effect",
    "gold_sample_size",
    "plan_annotation",
    "simulate_design",
    "systematic_pps",
]
