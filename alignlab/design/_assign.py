"""Rater assignment: which rater rates which item, in an overlap design that keeps reliability identifiable.

The design is a *rotating cyclic* design. Raters are put in a random order; item ``i`` of a pass gets the
``k`` raters at positions ``i, i + 1, ..., i + k - 1`` (mod R) of that order, so consecutive items share
``k - 1`` raters, every rater rates ``k`` items per ``R`` items (equal load) and the pass links all raters in
one ring (a connected rater graph). After every ``R`` items the order is drawn afresh, so each rater meets new
partners at every pass (``2 (k - 1)`` new ones per pass) instead of a fixed clique. This is the cyclic
incomplete-block construction of John & Williams (1995, *Cyclic and Computer Generated Designs*, ch. 3),
re-randomised per pass; connectivity of the rater graph is what makes every rater's confusion matrix
identifiable relative to the others' (Dawid & Skene 1979) and is checked with
``scipy.sparse.csgraph.connected_components``.

With one rater per item (``k = 1``) an *overlap* subset of items gets a second rater, arranged the same way
(rings over the raters), and is made at least twice as large as the rater pool: two passes, so every rater
is paired with up to four others and the graph stays connected if a rater drops out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from alignlab._params import DataError

__all__ = ["Assignment", "cyclic_assignment", "rater_graph"]


@dataclass(frozen=True)
class Assignment:
    """Rater codes per item: ``slots[i, t]`` is the t-th rater of item i (-1 = no rater in that slot)."""

    slots: np.ndarray
    n_raters: int

    @property
    def n_items(self) -> int:
        return int(self.slots.shape[0])

    @property
    def raters_per_item(self) -> np.ndarray:
        return (self.slots >= 0).sum(axis=1)

    @property
    def n_judgments(self) -> int:
        return int((self.slots >= 0).sum())

    def load(self) -> np.ndarray:
        """Judgments per rater code."""
        codes = self.slots[self.slots >= 0]
        return np.bincount(codes, minlength=self.n_raters)

    def connectivity(self) -> dict[str, float]:
        """Components of the rater graph (raters linked when they share an item) and partners per rater."""
        graph = rater_graph(self.slots, self.n_raters)
        working = self.load() > 0
        sub = graph[working][:, working]
        n_comp = int(connected_components(sub, directed=False)[0]) if working.any() else 0
        partners = np.asarray((sub > 0).sum(axis=1)).ravel()
        return {"n_working_raters": int(working.sum()), "n_components": n_comp,
                "min_partners": int(partners.min()) if len(partners) else 0,
                "median_partners": float(np.median(partners)) if len(partners) else 0.0}


def rater_graph(slots: np.ndarray, n_raters: int) -> sparse.csr_matrix:
    """Symmetric rater x rater matrix counting the items two raters share (vectorised over slot pairs)."""
    rows, cols = [], []
    width = slots.shape[1]
    for a in range(width):  # slot pairs: at most k(k-1)/2 iterations
        for b in range(a + 1, width):
            both = (slots[:, a] >= 0) & (slots[:, b] >= 0)
            rows.append(slots[both, a])
            cols.append(slots[both, b])
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r = c = np.zeros(0, dtype=np.int64)
    upper = sparse.coo_matrix((np.ones(len(r)), (r, c)), shape=(n_raters, n_raters)).tocsr()
    return (upper + upper.T).tocsr()


def _ring(n_items: int, k: int, n_raters: int, rng: np.random.Generator) -> np.ndarray:
    """Cyclic windows of k consecutive raters, a fresh random order every R items."""
    n_passes = max(1, math.ceil(n_items / n_raters))
    orders = np.stack([rng.permutation(n_raters) for _ in range(n_passes)])  # (passes, R)
    i = np.arange(n_items)
    pass_of, pos = i // n_raters, i % n_raters
    offsets = (pos[:, None] + np.arange(k)[None, :]) % n_raters
    return orders[pass_of[:, None], offsets]


def cyclic_assignment(
    n_items: int, k: int, n_raters: int, *, overlap: float = 0.1, random_state: np.random.Generator,
) -> Assignment:
    """Rotating cyclic design of ``n_items`` x ``k`` raters from a pool of ``n_raters``.

    ``k = 1``: every item gets one rater (equal load) and ``max(ceil(overlap n), 2 R)`` items (at most n) a
    second one, in rings over the raters. Items are put in random order so the overlap subset is a simple
    random sample of the items.
    """
    rng = random_state
    if k > n_raters:
        raise DataError(f"{k} raters per item need at least {k} raters in the pool; the pilot has {n_raters}.")
    if k >= 2:
        slots = _ring(n_items, k, n_raters, rng)
    else:
        slots = np.full((n_items, 2), -1, dtype=np.int64)
        n_overlap = min(n_items, max(math.ceil(overlap * n_items), 2 * n_raters)) if n_raters >= 2 else 0
        if n_overlap:
            slots[:n_overlap] = _ring(n_overlap, 2, n_raters, rng)
        # single-rated items continue the load balance: raters with the fewest judgments first
        rest = n_items - n_overlap
        if rest:
            load = np.bincount(slots[:n_overlap].ravel()[slots[:n_overlap].ravel() >= 0], minlength=n_raters)
            order = np.argsort(load + rng.random(n_raters) * 0.5, kind="stable")
            reps = math.ceil(rest / n_raters) + 1
            sequence = np.concatenate([order] + [rng.permutation(n_raters) for _ in range(reps)])
            slots[n_overlap:, 0] = sequence[:rest]
        slots = slots[rng.permutation(n_items)]
    return Assignment(slots=np.asarray(slots, dtype=np.int64), n_raters=n_raters)
