"""Display objects: ``XDisplay.from_result(result).plot(ax=None)``; matplotlib is imported lazily.

Compute modules never import this package (a test enforces it). Every Display follows the
scikit-learn pattern: ``from_result`` (or ``from_frame``) builds it from a computed result, ``plot``
draws on a given or new matplotlib Axes and returns the Display, whose ``figure_``/``ax_`` hold the
drawing; ``to_svg`` renders a figure for the HTML report.
"""

from alignlab.plot._base import Display, new_axes, to_svg
from alignlab.plot.agreement import AgreementHeatmapDisplay, AgreementIntervalsDisplay
from alignlab.plot.alignment import BiasDisplay, MethodMatrixDisplay, ReliabilityDisplay
from alignlab.plot.annotators import ConfusionMatrixDisplay, RaterForestDisplay
from alignlab.plot.counts import CountsDisplay
from alignlab.plot.design import TradeoffDisplay
from alignlab.plot.sampling import ShiftDisplay
from alignlab.plot.slices import SlicesDisplay
from alignlab.plot.workflows import ForestDisplay

__all__ = [
    "AgreementHeatmapDisplay",
    "AgreementIntervalsDisplay",
    "BiasDisplay",
    "ConfusionMatrixDisplay",
    "CountsDisplay",
    "Display",
    "ForestDisplay",
    "MethodMatrixDisplay",
    "RaterForestDisplay",
    "ReliabilityDisplay",
    "ShiftDisplay",
    "SlicesDisplay",
    "TradeoffDisplay",
    "new_axes",
    "to_svg",
]
