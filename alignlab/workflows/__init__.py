"""The three answers evaluation teams need, as decisions with their evidence.

- :func:`validate_judge`: can an LLM judge replace the humans, assist them, or not be used?
- :func:`audit_vendors`: which vendors and raters to trust, retrain or remove?
- :func:`trust_weights`: how much weight each judge, online signal and human panel deserves in one
  quality metric, and the corrected estimate those weights imply.
- :func:`metric_summary`: the decision-ready paragraph of any of these results.

Each composes the public functions of :mod:`alignlab.agreement`, :mod:`alignlab.alignment`,
:mod:`alignlab.annotators` and :mod:`alignlab.slices`; :mod:`alignlab.workflows.simulate` generates
seeded data with known answers.
"""

from alignlab.workflows._results import VERDICTS, JudgeValidation, TrustWeights, VendorAudit
from alignlab.workflows.judge import judge_rule, validate_judge
from alignlab.workflows.summary import metric_summary
from alignlab.workflows.vendors import audit_vendors
from alignlab.workflows.weights import trust_weights

__all__ = [
    "VERDICTS",
    "JudgeValidation",
    "TrustWeights",
    "VendorAudit",
    "audit_vendors",
    "judge_rule",
    "metric_summary",
    "trust_weights",
    "validate_judge",
]
