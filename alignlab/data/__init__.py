"""The canonical judgments table: schema, validation, loaders."""

from alignlab.data.consensus import item_consensus
from alignlab.data.errors import JudgmentsValidationError, MatrixTooLargeError
from alignlab.data.judgments import CANONICAL_COLUMNS, Judgments, JudgmentsSummary, load_judgments
from alignlab.data.scales import PAIRWISE_LABELS, Scale, infer_scale

__all__ = [
    "CANONICAL_COLUMNS",
    "PAIRWISE_LABELS",
    "Judgments",
    "JudgmentsSummary",
    "JudgmentsValidationError",
    "MatrixTooLargeError",
    "Scale",
    "infer_scale",
    "item_consensus",
    "load_judgments",
]
