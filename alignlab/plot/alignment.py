"""Displays of the alignment family: method-agreement heatmap, reliability diagram, bias forest plot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alignlab.plot._base import Display, new_axes

__all__ = ["BiasDisplay", "MethodMatrixDisplay", "ReliabilityDisplay"]


class MethodMatrixDisplay(Display):
    """Heatmap of one statistic (agreement or correlation) between every pair of methods.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Square frame (units x units), NaN where a pair has no value.
    statistic : str
    """

    def __init__(self, matrix: pd.DataFrame, *, statistic: str) -> None:
        self.matrix = matrix
        self.statistic = statistic

    @classmethod
    def from_result(cls, result: Any, *, statistic: str | None = None) -> MethodMatrixDisplay:
        """From :func:`alignlab.alignment.method_matrix`; ``statistic`` defaults to the agreement."""
        table = result.to_frame()
        if statistic is None:
            agreement = [s for s in table["statistic"].unique() if s.startswith(("cohen", "krippendorff"))]
            statistic = agreement[0] if agreement else str(table["statistic"].iloc[0])
        rows = table[table["statistic"] == statistic]
        units = list(result.methods)
        matrix = pd.DataFrame(np.nan, index=units, columns=units)
        for row in rows.itertuples(index=False):
            matrix.loc[row.unit_a, row.unit_b] = row.estimate
            matrix.loc[row.unit_b, row.unit_a] = row.estimate
        for unit in units:
            matrix.loc[unit, unit] = 1.0
        return cls(matrix, statistic=statistic)

    def plot(self, ax: Any = None, **kwargs: Any) -> MethodMatrixDisplay:
        k = len(self.matrix)
        # at least 4 x 3.5 inches: tick labels and the colour bar need room even for two methods
        fig, ax = new_axes(ax, figsize=(max(4.0, min(1.0 + 0.7 * k, 9.0)), max(3.5, min(0.8 + 0.6 * k, 8.0))))
        values = self.matrix.to_numpy(dtype=float)
        image = ax.imshow(values, vmin=-1 if np.nanmin(values) < 0 else 0, vmax=1, cmap="viridis", **kwargs)
        ax.set_xticks(range(k), [str(c) for c in self.matrix.columns], rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(k), [str(c) for c in self.matrix.index], fontsize=8)
        for i in range(k):
            for jdx in range(k):
                if np.isfinite(values[i, jdx]):
                    ax.text(jdx, i, f"{values[i, jdx]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if values[i, jdx] < 0.6 else "black")
        fig.colorbar(image, ax=ax, shrink=0.8, label=self.statistic)
        ax.set_title(f"Method agreement: {self.statistic}", fontsize=10, loc="left")
        self.figure_, self.ax_ = fig, ax
        return self


class ReliabilityDisplay(Display):
    """Reliability diagram: observed positive rate per bin (with its interval) against mean predicted
    probability, and the number of items per bin."""

    def __init__(self, bins: pd.DataFrame, *, title: str = "") -> None:
        self.bins = bins
        self.title = title

    @classmethod
    def from_result(cls, result: Any) -> ReliabilityDisplay:
        """From :func:`alignlab.alignment.calibration`."""
        return cls(result.bins, title=f"{result.judge}: {result.method}, ECE {result.estimate:.3f}")

    def plot(self, ax: Any = None, **kwargs: Any) -> ReliabilityDisplay:
        fig, ax = new_axes(ax, figsize=(5.5, 4.2))
        shown = self.bins[self.bins["n"] > 0]
        ax.plot([0, 1], [0, 1], color="#9aa0a6", linestyle="--", linewidth=1, label="perfect calibration")
        yerr = np.vstack([shown["observed_rate"] - shown["ci_low"], shown["ci_high"] - shown["observed_rate"]])
        ax.errorbar(shown["mean_predicted"], shown["observed_rate"], yerr=yerr, fmt="o-", color="#1a73e8",
                    capsize=3, markersize=4, label="observed rate (Wilson interval)", **kwargs)
        twin = ax.twinx()
        width = (shown["bin_high"] - shown["bin_low"]).to_numpy() * 0.9
        twin.bar(shown["bin_low"] + width / 2 / 0.9, shown["n"], width=width, color="#e8710a", alpha=0.15)
        twin.set_ylabel("items per bin", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed positive rate")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        self.figure_, self.ax_ = fig, ax
        return self


class BiasDisplay(Display):
    """Forest plot of bias estimates with their intervals and the value an unbiased judge would have."""

    def __init__(self, table: pd.DataFrame, *, title: str = "") -> None:
        self.table = table
        self.title = title

    @classmethod
    def from_result(cls, result: Any) -> BiasDisplay:
        """From :func:`alignlab.alignment.judge_biases`."""
        return cls(result.to_frame(), title=f"Judge biases: {result.judge}")

    def plot(self, ax: Any = None, **kwargs: Any) -> BiasDisplay:
        table = self.table.iloc[::-1].reset_index(drop=True)
        fig, ax = new_axes(ax, figsize=(6.5, max(2.0, 0.4 * len(table) + 1.0)))
        y = np.arange(len(table))
        err = np.vstack([table["estimate"] - table["ci_low"], table["ci_high"] - table["estimate"]])
        ax.errorbar(table["estimate"], y, xerr=np.nan_to_num(err), fmt="o", color="#1a73e8", capsize=3, **kwargs)
        expected = table["expected"].to_numpy(dtype=float)
        ok = np.isfinite(expected)
        ax.scatter(expected[ok], y[ok], marker="|", s=200, color="#d93025", label="unbiased value")
        ax.set_yticks(y, table["bias"].astype(str), fontsize=8)
        ax.legend(frameon=False, fontsize=8)
        if self.title:
            ax.set_title(self.title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        self.figure_, self.ax_ = fig, ax
        return self
