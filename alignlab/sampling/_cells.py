"""Joint segment cells: every later computation (shares, raking, IPW, classifier test) is cell-level.

With categorical (or binned) segments, a row is fully described by its joint cell, so a logistic
model fitted on the cells with the row counts as ``sample_weight`` has exactly the row-level
likelihood: IPW and the classifier two-sample test scale to any production size at the cost of a
few thousand cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from alignlab.sampling._inputs import JOINT_SEPARATOR, SegmentCodes


@dataclass
class Cells:
    codes: SegmentCodes
    eval_cell: np.ndarray  # cell of each eval row
    prod_cell: np.ndarray  # cell of each production row
    digits: np.ndarray  # (n_cells, n_columns): level code of each column
    eval_counts: np.ndarray
    prod_counts: np.ndarray

    @property
    def n_cells(self) -> int:
        return int(self.digits.shape[0])

    @property
    def n_eval(self) -> float:
        return float(self.eval_counts.sum())

    @property
    def n_prod(self) -> float:
        return float(self.prod_counts.sum())

    @cached_property
    def labels(self) -> list[str]:
        names = [np.asarray(levels, dtype=object) for levels in self.codes.levels]
        parts = [names[j][self.digits[:, j]] for j in range(self.digits.shape[1])]
        return [JOINT_SEPARATOR.join(map(str, row)) for row in zip(*parts, strict=True)]

    def level_counts(self, column_index: int) -> tuple[np.ndarray, np.ndarray]:
        """Eval and production counts per level of one column (from the cells)."""
        n_levels = len(self.codes.levels[column_index])
        d = self.digits[:, column_index]
        return (np.bincount(d, weights=self.eval_counts, minlength=n_levels),
                np.bincount(d, weights=self.prod_counts, minlength=n_levels))

    def design(self) -> sp.csr_matrix:
        """One-hot main effects of every column, one row per cell."""
        blocks = []
        for j, levels in enumerate(self.codes.levels):
            blocks.append(sp.csr_matrix((np.ones(self.n_cells), (np.arange(self.n_cells), self.digits[:, j])),
                                        shape=(self.n_cells, len(levels))))
        return sp.hstack(blocks, format="csr")


def build_cells(codes: SegmentCodes, prod_weights: np.ndarray | None, eval_weights: np.ndarray | None = None) -> Cells:
    e_cell, p_cell, digits = codes.joint()
    n_cells = digits.shape[0]
    eval_counts = np.bincount(e_cell, weights=eval_weights, minlength=n_cells).astype(float)
    prod_counts = np.bincount(p_cell, weights=prod_weights, minlength=n_cells).astype(float)
    return Cells(codes, e_cell, p_cell, digits, eval_counts, prod_counts)


# prior strength (in evaluation-sized rows) pulling a joint cell's P(production) towards the
# main-effects model; the cell's own counts dominate once it holds more rows than this
CELL_PRIOR_ROWS = 10.0


def _fit_predict(
    cells: Cells, eval_w: np.ndarray, prod_w: np.ndarray, regularization: float, *, interactions: bool
) -> np.ndarray:
    """P(production | cell) from a logistic main-effects model fitted on weighted cells, optionally
    refined per joint cell.

    The classes are re-weighted to equal total weight (the sum of the eval weights), so the penalty
    acts on an evaluation-sized problem whatever the production size; the returned probabilities are
    *balanced* odds, which is all IPW (normalised weights) and AUC (ranks) need. With
    ``interactions``, each joint cell's probability is the beta-binomial posterior mean
    (P_c + κ m_c)/(P_c + E_c + κ): its own (balanced) counts shrunk towards the main-effects
    prediction m_c with κ = ``CELL_PRIOR_ROWS`` — a hierarchical estimate that costs one pass, where
    one indicator per cell in the logistic model would cost a cubic Newton solve in the number of cells.
    """
    x = cells.design()
    total_e, total_p = eval_w.sum(), prod_w.sum()
    scale = total_e / total_p if total_p > 0 else 0.0
    keep_e, keep_p = eval_w > 0, prod_w > 0
    features = sp.vstack([x[keep_e], x[keep_p]], format="csr")
    y = np.concatenate([np.zeros(keep_e.sum()), np.ones(keep_p.sum())])
    w = np.concatenate([eval_w[keep_e], prod_w[keep_p] * scale])
    # Newton–Cholesky: a handful of exact Newton steps on the one-hot main effects; lbfgs needs ~70
    # iterations here and is 20x slower
    model = LogisticRegression(C=regularization, max_iter=200, tol=1e-10, solver="newton-cholesky")
    model.fit(features, y, sample_weight=w)
    main = model.predict_proba(x)[:, 1]
    if not interactions or len(cells.codes.levels) < 2:
        return main
    balanced_p = prod_w * scale
    return (balanced_p + CELL_PRIOR_ROWS * main) / (balanced_p + eval_w + CELL_PRIOR_ROWS)


def fitted_propensity(cells: Cells, *, interactions: bool, regularization: float) -> np.ndarray:
    """Balanced-odds P(production | cell) fitted on all rows (for IPW)."""
    return _fit_predict(cells, cells.eval_counts, cells.prod_counts, regularization, interactions=interactions)


def cross_validated_auc(
    cells: Cells, *, n_folds: int, regularization: float, rng: np.random.Generator
) -> float:
    """Out-of-fold AUC of "is production?" (Lopez-Paz & Oquab 2017), rows split at random into folds.

    Each cell's eval and production counts are split into ``n_folds`` parts by multinomial draws —
    the distribution of a random row-level fold assignment — so this is row-level k-fold CV computed
    on cells. Production counts are rounded to integers for the split (they are request counts).
    The classifier is the main-effects logistic model refined per joint cell (see ``_fit_predict``).
    """
    e = np.round(cells.eval_counts).astype(np.int64)
    p = np.round(cells.prod_counts).astype(np.int64)
    share = np.full(n_folds, 1.0 / n_folds)
    e_folds = rng.multinomial(e, share)  # (cells, folds)
    p_folds = rng.multinomial(p, share)
    scores, labels, weights = [], [], []
    for f in range(n_folds):
        prob = _fit_predict(cells, (e - e_folds[:, f]).astype(float), (p - p_folds[:, f]).astype(float),
                            regularization, interactions=True)
        scores += [prob, prob]
        labels += [np.zeros(cells.n_cells), np.ones(cells.n_cells)]
        weights += [e_folds[:, f].astype(float), p_folds[:, f].astype(float)]
    s, y, w = np.concatenate(scores), np.concatenate(labels), np.concatenate(weights)
    keep = w > 0
    return float(roc_auc_score(y[keep], s[keep], sample_weight=w[keep]))
