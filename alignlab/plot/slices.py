"""Reported slices: effect with its interval (left) and share of all divergence (right)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["SlicesDisplay"]


def _shorten(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class SlicesDisplay(Display):
    """Forest plot of slice effects with intervals and bars of their share of all divergence.

    Parameters
    ----------
    slices : pandas.DataFrame
        ``predicate``, ``effect``, ``ci_low``, ``ci_high``, ``share_of_divergence`` (the ``.slices``
        frame of :class:`alignlab.slices.SliceResult`).
    target : str
        Axis label of the effect.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"predicate": ["lang == 'ja'"], "effect": [0.8], "ci_low": [0.6], "ci_high": [1.0],
    ...                       "share_of_divergence": [0.31]})
    >>> display = SlicesDisplay(frame).plot()
    >>> len(display.axes_)
    2
    """

    def __init__(self, slices: pd.DataFrame, *, target: str = "target", title: str | None = None) -> None:
        self.slices = slices
        self.target = target
        self.title = title

    @classmethod
    def from_result(cls, result: Any, *, top: int = 10) -> SlicesDisplay:
        """From :func:`alignlab.slices.find_slices`' result (its first ``top`` slices)."""
        return cls(result.slices.head(top), target=f"difference in mean {result.target} (inside − outside)",
                   title=f"Slices where {result.target} differs ({result.correction.upper()} {result.fdr:g})")

    def plot(self, ax: Any = None, **kwargs: Any) -> SlicesDisplay:
        """Draw; ``ax`` may be a pair of axes (effects, shares)."""
        frame = self.slices.iloc[::-1]
        labels = [_shorten(str(p)) for p in frame["predicate"]]
        y = np.arange(len(frame))
        height = max(2.2, 0.42 * len(frame) + 1.2)
        if ax is None:
            from alignlab.plot._base import _pyplot

            fig, axes = _pyplot().subplots(1, 2, figsize=(9.0, min(height, 9.0)), sharey=True, layout="constrained",
                                           gridspec_kw={"width_ratios": [2.2, 1.0]})
        elif isinstance(ax, list | tuple | np.ndarray):
            axes = list(ax)
            fig = axes[0].figure
        else:
            fig, single = new_axes(ax)
            axes = [single, single.twiny()]
        left, right = axes[0], axes[1]
        effect = frame["effect"].to_numpy(dtype=float)
        low = frame["ci_low"].to_numpy(dtype=float)
        high = frame["ci_high"].to_numpy(dtype=float)
        colours = np.where(effect >= 0, "#c5221f", "#1a73e8")
        left.errorbar(effect, y, xerr=[effect - low, high - effect], fmt="none", ecolor="#5b6475", capsize=3)
        left.scatter(effect, y, c=colours, zorder=3, **kwargs)
        left.axvline(0.0, color="#9aa0a6", lw=1, ls="--")
        left.set_yticks(y, labels, fontsize=8)
        left.set_xlabel(self.target, fontsize=9)
        right.barh(y, frame["share_of_divergence"].to_numpy(dtype=float), color="#e8710a")
        right.set_xlabel("share of all divergence", fontsize=9)
        right.xaxis.set_major_formatter(_percent())
        for a in (left, right):
            a.spines[["top", "right"]].set_visible(False)
        if self.title:
            left.set_title(self.title, fontsize=10, loc="left")
        self.figure_, self.ax_, self.axes_ = fig, left, (left, right)
        return self


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)
