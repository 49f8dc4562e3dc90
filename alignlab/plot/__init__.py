"""Display objects: ``XDisplay.from_result(result).plot(ax=None)``; matplotlib is imported lazily.

Compute modules never import this package (a test enforces it).
"""

from alignlab.plot._base import Display, new_axes, to_svg
from alignlab.plot.counts import CountsDisplay

__all__ = ["CountsDisplay", "Display", "new_axes", "to_svg"]
