"""alignlab: how far to trust human raters, LLM judges and online signals.

The entry point is the judgments table: :func:`load_judgments` validates one long table (one row per
judgment) into a :class:`Judgments` object that every module consumes.
"""

from importlib.metadata import PackageNotFoundError, version

from alignlab import datasets
from alignlab._params import AlignlabError, DataError, InvalidParameterError
from alignlab.data import Judgments, JudgmentsValidationError, Scale, load_judgments

try:
    __version__ = version("alignlab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "AlignlabError",
    "DataError",
    "InvalidParameterError",
    "Judgments",
    "JudgmentsValidationError",
    "Scale",
    "__version__",
    "datasets",
    "load_judgments",
]
