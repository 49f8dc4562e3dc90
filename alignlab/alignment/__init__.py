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
from alignlab.alignment.correlation import correlate
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
    "compare_judges",
    "correlate",
    "williams_test",
]
