"""Display base class and SVG export. matplotlib is imported lazily, inside functions."""

from __future__ import annotations

import io
import re
from typing import Any

__all__ = ["Display", "to_svg", "new_axes"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax: Any = None, *, figsize: tuple[float, float] = (7.0, 3.6)) -> tuple[Any, Any]:
    """``(figure, ax)``: the given axes, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def to_svg(figure: Any, *, close: bool = True) -> str:
    """Inline, deterministic SVG of a matplotlib figure (no XML header, no date, fixed ids).

    matplotlib XML-escapes every text it writes, so user strings in labels are safe in HTML.
    """
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "alignlab", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    if close:
        _pyplot().close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # fixed width/height attributes make the SVG overflow narrow screens; CSS sizes it instead
    return re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)


class Display:
    """Base of alignlab's Display objects (scikit-learn's pattern).

    ``XDisplay.from_result(result)`` stores what to draw; ``.plot(ax=None)`` draws and keeps
    ``figure_`` and ``ax_``; ``.to_svg()`` returns the drawing as inline SVG. Plot code never
    recomputes a statistic.
    """

    figure_: Any
    ax_: Any

    def plot(self, ax: Any = None, **kwargs: Any) -> Display:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_svg(self) -> str:
        if not hasattr(self, "figure_"):
            self.plot()
        return to_svg(self.figure_)
