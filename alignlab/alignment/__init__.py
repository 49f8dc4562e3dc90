"""Comparing evaluation methods: correlation, significance, human ceiling, calibration, judge biases,
online signals and corrected (prediction-powered) estimates."""

from alignlab.alignment._results import (
    AltTestResult,
    BiasResult,
    CalibrationResult,
    CompareJudgesResult,
    CorrelationResult,
    HumanCeilingResult,
    LabelBudgetResult,
    MethodMatrixResult,
    OnlineAlignmentResult,
    PPIResult,
    RoganGladenResult,
)
from alignlab.alignment.ceiling import alt_test, human_ceiling
from alignlab.alignment.correlation import correlate
from alignlab.alignment.ppi import label_budget, ppi_arrays, ppi_estimate, ppi_mean, rogan_gladen
from alignlab.alignment.significance import compare_judges, williams_test

__all__ = [
    "AltTestResult",
    "BiasResult",
    "CalibrationResult",
    "CompareJudgesResult",
    "CorrelationResult",
    "HumanCeilingResult",
    "LabelBudgetResult",
    "MethodMatrixResult",
    "OnlineAlignmentResult",
    "PPIResult",
    "RoganGladenResult",
    "alt_test",
    "compare_judges",
    "human_ceiling",
    "correlate",
    "label_budget",
    "ppi_arrays",
    "ppi_estimate",
    "ppi_mean",
    "rogan_gladen",
    "williams_test",
]
