"""Displays of annotator models: a forest plot of rater reliability/bias and confusion-matrix heatmaps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["RaterForestDisplay", "ConfusionMatrixDisplay"]

_PALETTE = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#12b5cb", "#9aa0a6"]


class RaterForestDisplay(Display):
    """Forest plot: one row per rater (or group), the estimate and its interval, coloured by method.

    Parameters
    ----------
    table : DataFrame
        Columns ``label``, ``estimate``, ``low``, ``high`` and optionally ``group`` (colour) and
        ``flagged`` (drawn with a red cross, e.g. likely spammers).
    xlabel : str
    """

    def __init__(self, table: pd.DataFrame, *, xlabel: str = "reliability", title: str | None = None,
                 reference: float | None = None) -> None:
        self.table = table
        self.xlabel = xlabel
        self.title = title
        self.reference = reference

    @classmethod
    def from_model(cls, model: Any, *, quantity: str = "reliability", top: int = 40) -> RaterForestDisplay:
        """From a fitted annotator model's ``raters_`` (the ``top`` raters with most judgments)."""
        raters = model.raters_.sort_values("n", ascending=False).head(top)
        raters = raters.sort_values(quantity)
        table = pd.DataFrame({
            "label": raters["rater_id"].astype(str).to_numpy(),
            "estimate": raters[quantity].to_numpy(dtype=float),
            "low": raters[f"{quantity}_low"].to_numpy(dtype=float),
            "high": raters[f"{quantity}_high"].to_numpy(dtype=float),
            "group": raters["method"].astype(str).to_numpy(),
            "flagged": (raters["spammer_prob"] > 0.5).to_numpy(),
        })
        level = getattr(model, "interval_level_", 0.95)
        title = f"Rater {quantity} ({level:.0%} intervals; x = likely spammer)"
        # 0 is "no bias" for bias and "chance" for reliability (the kappa with the latent truth)
        return cls(table, xlabel=quantity, title=title, reference=0.0 if quantity in ("bias", "reliability") else None)

    @classmethod
    def from_groups(cls, model: Any, *, quantity: str = "reliability") -> RaterForestDisplay:
        """Per-method and per-vendor summaries (``groups_``)."""
        groups = model.groups_
        table = pd.DataFrame({
            "label": (groups["level"] + ": " + groups["group"].astype(str)).to_numpy(),
            "estimate": groups[quantity].to_numpy(dtype=float),
            "low": groups[f"{quantity}_low"].to_numpy(dtype=float),
            "high": groups[f"{quantity}_high"].to_numpy(dtype=float),
            "group": groups["level"].to_numpy(),
        })
        return cls(table, xlabel=quantity, title=f"{quantity.capitalize()} by method and vendor")

    def plot(self, ax: Any = None, **kwargs: Any) -> RaterForestDisplay:
        table = self.table.reset_index(drop=True)
        height = max(2.0, 0.25 * len(table) + 1.2)
        fig, ax = new_axes(ax, figsize=(7.0, min(height, 12.0)))
        groups = table["group"].astype(str) if "group" in table else pd.Series("all", index=table.index)
        colours = {g: _PALETTE[i % len(_PALETTE)] for i, g in enumerate(sorted(groups.unique()))}
        y = np.arange(len(table))
        for g, colour in colours.items():
            sel = (groups == g).to_numpy()
            # hlines rather than errorbar: a percentile interval need not contain the point estimate
            ax.hlines(y[sel], table["low"].to_numpy(dtype=float)[sel], table["high"].to_numpy(dtype=float)[sel],
                      color=colour, lw=1.2)
            ax.plot(table["estimate"].to_numpy(dtype=float)[sel], y[sel], "o", color=colour, ms=4, label=g, **kwargs)
        if "flagged" in table and table["flagged"].any():
            sel = table["flagged"].to_numpy(dtype=bool)
            ax.plot(table["estimate"].to_numpy()[sel], y[sel], "x", color="#c5221f", ms=9, mew=2)
        if self.reference is not None:
            ax.axvline(self.reference, color="#9aa0a6", lw=1, ls="--")
        ax.set_yticks(y, table["label"].tolist(), fontsize=7)
        ax.set_xlabel(self.xlabel)
        if len(colours) > 1:
            ax.legend(frameon=False, fontsize=8, loc="lower right")
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self


class ConfusionMatrixDisplay(Display):
    """Heatmaps of ``P(label | true class)`` for a few raters (e.g. the least reliable ones).

    Parameters
    ----------
    confusion : DataFrame
        ``rater_id, true_label, label, prob`` (a model's ``confusion_``), restricted to the raters to draw.
    """

    def __init__(self, confusion: pd.DataFrame, *, raters: list[Any], title: str | None = None) -> None:
        self.confusion = confusion
        self.raters = raters
        self.title = title

    @classmethod
    def from_model(cls, model: Any, *, n_raters: int = 4, min_judgments: int = 5) -> ConfusionMatrixDisplay:
        """The ``n_raters`` least reliable raters with at least ``min_judgments`` judgments."""
        raters = model.raters_[model.raters_["n"] >= min_judgments].sort_values("reliability").head(n_raters)
        chosen = raters["rater_id"].tolist()
        confusion = model.confusion_[model.confusion_["rater_id"].isin(chosen)]
        return cls(confusion, raters=chosen, title="Confusion matrices of the least reliable raters")

    def plot(self, ax: Any = None, **kwargs: Any) -> ConfusionMatrixDisplay:
        from alignlab.plot._base import _pyplot

        n = max(1, len(self.raters))
        if ax is None:
            fig, axes = _pyplot().subplots(1, n, figsize=(2.6 * n + 0.6, 2.9), layout="constrained", squeeze=False)
            axes = list(axes[0])
        else:
            fig, axes = ax.figure, [ax] if n == 1 else list(ax)
        labels = list(pd.unique(self.confusion["true_label"]))
        for axis, rater in zip(axes, self.raters, strict=False):
            sub = self.confusion[self.confusion["rater_id"] == rater]
            matrix = sub.pivot_table(index="true_label", columns="label", values="prob", sort=False)
            matrix = matrix.reindex(index=labels, columns=labels)
            image = axis.imshow(matrix.to_numpy(dtype=float), vmin=0, vmax=1, cmap="Blues", **kwargs)
            for (r, c), value in np.ndenumerate(matrix.to_numpy(dtype=float)):
                axis.text(c, r, f"{value:.2f}", ha="center", va="center", fontsize=7,
                          color="white" if value > 0.6 else "#1d2330")
            axis.set_xticks(range(len(labels)), [str(v) for v in labels], fontsize=7, rotation=45)
            axis.set_yticks(range(len(labels)), [str(v) for v in labels], fontsize=7)
            axis.set_xlabel("label given", fontsize=8)
            axis.set_ylabel("true class", fontsize=8)
            axis.set_title(str(rater), fontsize=9)
        if self.title:
            fig.suptitle(self.title, fontsize=10, x=0.02, ha="left")
        self.figure_, self.ax_ = fig, axes
        self.image_ = image if self.raters else None
        return self
