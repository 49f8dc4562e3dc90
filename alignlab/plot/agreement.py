"""Agreement displays: the rater x rater heatmap and interval (forest) plots of agreement tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["AgreementHeatmapDisplay", "AgreementIntervalsDisplay"]


class AgreementHeatmapDisplay(Display):
    """Rater x rater heatmap of a pairwise agreement table.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square frame of estimates (NaN diagonal), as :meth:`AgreementTable.matrix`.
    methods : mapping, optional
        Rater -> method, shown as a coloured tick label.
    statistic : str
        Name shown in the colour bar.

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.plot.agreement import AgreementHeatmapDisplay
    >>> m = pd.DataFrame([[float("nan"), 0.6], [0.6, float("nan")]], index=["a", "b"], columns=["a", "b"])
    >>> AgreementHeatmapDisplay(m).plot().ax_.get_title(loc="left")
    'Pairwise agreement'
    """

    def __init__(self, matrix: pd.DataFrame, *, methods: dict[Any, str] | None = None,
                 statistic: str = "agreement") -> None:
        self.matrix = matrix
        self.methods = methods or {}
        self.statistic = statistic

    @classmethod
    def from_result(cls, result: Any) -> AgreementHeatmapDisplay:
        """From :func:`alignlab.agreement.pairwise`."""
        table = result.to_frame()
        methods = dict(zip(table["rater_a"], table["method_a"], strict=True))
        methods.update(dict(zip(table["rater_b"], table["method_b"], strict=True)))
        return cls(result.matrix(), methods=methods, statistic=result.statistic)

    def plot(self, ax: Any = None, *, annotate: bool | None = None, **kwargs: Any) -> AgreementHeatmapDisplay:
        n = len(self.matrix)
        size = min(9.0, max(5.0, 0.45 * n + 2.5))
        fig, ax = new_axes(ax, figsize=(size + 1.0, size))
        values = self.matrix.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        low = min(0.0, float(finite.min())) if finite.size else 0.0
        image = ax.imshow(values, cmap=kwargs.pop("cmap", "viridis"), vmin=low, vmax=1.0, **kwargs)
        labels = [_short(r) for r in self.matrix.index]
        ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(n), labels, fontsize=7)
        palette = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025"]
        kinds = sorted({str(v) for v in self.methods.values()})
        colour = {k: palette[i % len(palette)] for i, k in enumerate(kinds)}
        for tick_set in (ax.get_xticklabels(), ax.get_yticklabels()):
            for label, rater in zip(tick_set, self.matrix.index, strict=True):
                if rater in self.methods:
                    label.set_color(colour[str(self.methods[rater])])
        if annotate if annotate is not None else n <= 12:
            for i in range(n):
                for j in range(n):
                    if np.isfinite(values[i, j]):
                        ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7,
                                color="white" if values[i, j] < (low + 1.0) / 2 else "black")
        fig.colorbar(image, ax=ax, shrink=0.8, label=self.statistic)
        ax.set_title("Pairwise agreement", fontsize=10, loc="left")
        self.figure_, self.ax_ = fig, ax
        return self


class AgreementIntervalsDisplay(Display):
    """Point estimates with intervals, one row per label (leave-one-out, by group, summary).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``label``, ``estimate``, ``ci_low``, ``ci_high`` and optionally ``group``.
    reference : float, optional
        A vertical reference line (e.g. overall alpha).
    """

    def __init__(self, frame: pd.DataFrame, *, reference: float | None = None, xlabel: str = "agreement",
                 title: str | None = None) -> None:
        self.frame = frame
        self.reference = reference
        self.xlabel = xlabel
        self.title = title

    @classmethod
    def from_result(cls, result: Any, *, label: str | None = None) -> AgreementIntervalsDisplay:
        """From an :class:`~alignlab.agreement.AgreementTable` (``leave_one_out``, ``by_group``, ``summary``)."""
        table = result.to_frame()
        column = label or next(c for c in ("rater_id", "group", "statistic") if c in table.columns)
        frame = pd.DataFrame({"label": table[column].astype(str), "estimate": table["estimate"],
                              "ci_low": table["ci_low"], "ci_high": table["ci_high"]})
        if "method_of_rater" in table:
            frame["group"] = table["method_of_rater"].astype(str)
        reference = float(table["alpha_all"].iloc[0]) if "alpha_all" in table and len(table) else None
        return cls(frame, reference=reference, xlabel=result.statistic, title=result.method)

    def plot(self, ax: Any = None, **kwargs: Any) -> AgreementIntervalsDisplay:
        frame = self.frame.iloc[::-1].reset_index(drop=True)
        fig, ax = new_axes(ax, figsize=(7.0, min(10.0, max(2.0, 0.3 * len(frame) + 1.0))))
        y = np.arange(len(frame))
        groups = frame["group"] if "group" in frame else pd.Series("all", index=frame.index)
        palette = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025"]
        colour = {g: palette[i % len(palette)] for i, g in enumerate(sorted(groups.unique()))}
        for g, c in colour.items():
            mask = (groups == g).to_numpy()
            err = np.vstack([frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]])[:, mask]
            ax.errorbar(frame["estimate"][mask], y[mask], xerr=np.nan_to_num(err), fmt="o", color=c, ms=4,
                        capsize=2, label=g, **kwargs)
        if self.reference is not None and np.isfinite(self.reference):
            ax.axvline(self.reference, color="#5b6475", lw=1, ls="--")
        ax.set_yticks(y, [_short(v) for v in frame["label"]], fontsize=8)
        ax.set_xlabel(self.xlabel)
        if len(colour) > 1:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self


def _short(label: Any, width: int = 24) -> str:
    """Long rater ids would squeeze the axes to nothing: cut them (the tables keep the full id)."""
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"
