"""Representativeness audits, reweighting to production, and sampling design for data collection.

- :func:`audit_representativeness` — how far the evaluation mix is from production traffic: per-segment
  shifts with intervals, coverage gaps, size-free global effects, the worst-case bias bound and the
  design effect of correcting it.
- :func:`reweight` / :func:`reweighted_metric` — post-stratification, raking or IPW weights that make
  the evaluation data look like production, and the production-weighted metric with its interval.
- :func:`plan_sample` / :func:`sample_size_difference` — how many items to annotate, in which
  segments, for a target precision or power.
"""

from alignlab.sampling.audit import RepresentativenessResult, audit_representativeness
from alignlab.sampling.design import (
    SamplePlan,
    SampleSizeResult,
    expected_half_width,
    plan_sample,
    sample_size_difference,
    segment_sample_size,
)
from alignlab.sampling.reweight import ReweightedMetricResult, ReweightResult, reweight, reweighted_metric

__all__ = [
    "SamplePlan",
    "SampleSizeResult",
    "expected_half_width",
    "plan_sample",
    "sample_size_difference",
    "segment_sample_size",
    "RepresentativenessResult",
    "ReweightResult",
    "ReweightedMetricResult",
    "audit_representativeness",
    "reweight",
    "reweighted_metric",
]
