"""Inter-rater agreement: every coefficient on one judgments table, each with an interval.

Coefficients: :func:`percent_agreement`, :func:`cohen_kappa`, :func:`scott_pi`, :func:`fleiss_kappa`,
:func:`brennan_prediger`, :func:`gwet_ac`, :func:`krippendorff_alpha`, :func:`icc`, :func:`kendall_w`.
Structure of agreement: :func:`pairwise`, :func:`leave_one_out`, :func:`by_group`, and
:func:`summary` (the right statistics for the scale in one table).

Intervals (``ci_method``): ``"analytic"`` (Gwet's variance for the kappa family and AC1/AC2, the
Fleiss-Cohen-Everitt SE for Cohen's kappa, F-based for ICC), ``"bca"`` and
``"percentile"`` (item bootstrap, optionally clustered with ``clusters=``) and ``"none"``.
"""

from alignlab.agreement._core import AgreementResult, AgreementTable
from alignlab.agreement.coefficients import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from alignlab.agreement.icc import ICC_FORMS, icc, kendall_w
from alignlab.agreement.structure import by_group, leave_one_out, pairwise, summary

__all__ = [
    "AgreementResult",
    "AgreementTable",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "icc",
    "kendall_w",
    "ICC_FORMS",
    "krippendorff_alpha",
    "percent_agreement",
    "scott_pi",
    "pairwise",
    "leave_one_out",
    "by_group",
    "summary",
]
