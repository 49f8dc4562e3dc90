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
from alignlab.alignment.biases import judge_biases
from alignlab.alignment.calibration import Recalibrator, calibration, recalibrate, scale_mapping
from alignlab.alignment.ceiling import alt_test, human_ceiling
from alignlab.alignment.correlation import correlate
from alignlab.alignment.matrix import method_matrix
from alignlab.alignment.online import online_alignment
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
    "Recalibrator",
    "alt_test",
    "calibration",
    "compare_judges",
    "human_ceiling",
    "correlate",
    "judge_biases",
    "label_budget",
    "method_matrix",
    "online_alignment",
    "ppi_arrays",
    "ppi_estimate",
    "ppi_mean",
    "recalibrate",
    "rogan_gladen",
    "scale_mapping",
    "williams_test",
]
