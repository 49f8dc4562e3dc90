"""Weighted rank-correlation kernels for the bootstrap engine (unit weights, shape ``(b, n)``).

A bootstrap resample of a rank statistic needs the data re-ranked per resample. Written as functions of
unit multiplicities ``w`` the sort happens **once**: the order of the values never changes, only how many
copies of each unit a resample holds, so

* Spearman: the mid-rank of a tie group is ``(weight before the group) + (weight of the group + 1) / 2``,
  a cumulative sum over the (fixed) sorted tie groups; then a weighted Pearson of the ranks.
* Kendall: the numerator ``S = C - D`` is the quadratic form ``1/2 w' K w`` with ``K_ij = sign(dx) sign(dy)``.
  Units are cut into blocks of consecutive distinct values (a tie group is never split) in x and in y.
  Pairs in different x-blocks *and* different y-blocks have ``K`` fixed by the block order, so they are
  counted from a small 2-D block histogram with 2-D cumulative sums; pairs sharing an x-block, and pairs
  sharing a y-block but not an x-block, are exact small dense quadratic forms (one matrix product per
  block). A block that is a single tie group contributes nothing, so discrete scores (1-5 ratings) reduce
  to the contingency-table case. Cost per resample is ``O(n sqrt(n))`` flops in BLAS, memory ``O(b n)``.

Copies of one unit are tied in both x and y, which is what the pair counts with multiplicities give.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "KendallKernel",
    "parallel_rows",
    "dense_codes",
    "weighted_pearson",
    "weighted_spearman",
    "weighted_midranks",
]


def parallel_rows(func, w: np.ndarray) -> np.ndarray:
    """``func(w)`` with the rows of ``w`` split over up to 4 threads (numpy releases the GIL); large
    inputs only. Rows are independent resamples, so the result is identical to ``func(w)``."""
    workers = min(os.cpu_count() or 1, 4, w.shape[0])
    if workers < 2 or w.size < 1_000_000:
        return func(w)
    with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
        return np.concatenate(list(pool.map(func, np.array_split(w, workers))))


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes 0..G-1 of the distinct values in increasing order, and G."""
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64), len(uniques)


def weighted_pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson correlation of ``x`` and ``y`` (arrays ``(n,)`` or ``(b, n)``) under weights ``w`` ``(b, n)``."""
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * x).sum(axis=1) / total
        my = (w * y).sum(axis=1) / total
        dx = x - mx[:, None]
        dy = y - my[:, None]
        sxy = (w * dx * dy).sum(axis=1)
        sxx = (w * dx * dx).sum(axis=1)
        syy = (w * dy * dy).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    return np.clip(r, -1.0, 1.0)


def weighted_midranks(codes: np.ndarray, n_groups: int, w: np.ndarray) -> np.ndarray:
    """Mid-ranks (1-based, ties averaged) of the units under multiplicities ``w`` ``(b, n)``."""
    b = w.shape[0]
    flat = (codes[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_groups).ravel()
    group_weight = np.bincount(flat, weights=w.ravel(), minlength=b * n_groups).reshape(b, n_groups)
    before = np.cumsum(group_weight, axis=1) - group_weight
    mid = before + (group_weight + 1.0) / 2.0
    return np.take_along_axis(mid, np.broadcast_to(codes, w.shape), axis=1)


def weighted_spearman(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spearman's rho under multiplicities ``w``: Pearson of the re-ranked data (ties get mid-ranks)."""
    cx, gx = dense_codes(x)
    cy, gy = dense_codes(y)
    return weighted_pearson(weighted_midranks(cx, gx, w), weighted_midranks(cy, gy, w), w)


def _blocks(codes: np.ndarray, n_groups: int, target: int) -> np.ndarray:
    """Block id per tie group: consecutive groups merged while the block holds <= ``target`` units;
    a tie group larger than ``target`` is a block of its own. Returns the block of each group."""
    sizes = np.bincount(codes, minlength=n_groups)
    block = np.empty(n_groups, dtype=np.int64)
    current, filled = 0, 0
    # a loop over distinct values (not rows); cheap next to the per-resample work
    for g, size in enumerate(sizes.tolist()):
        if filled and filled + size > target:
            current += 1
            filled = 0
        block[g] = current
        filled += size
    return block


@dataclass
class _Quadratic:
    """Blocks of units whose pairs are counted exactly: padded members and their K matrices."""

    members: np.ndarray  # (n_blocks, m) unit index, -1 = padding
    kernel: np.ndarray  # (n_blocks, m, m) int8 K restricted to the block (0 on padding)


def _quadratic_blocks(units_by_block: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                      exclude: np.ndarray | None) -> _Quadratic | None:
    blocks = [u for u in units_by_block if len(u) > 1]
    if not blocks:
        return None
    m = max(len(u) for u in blocks)
    members = np.full((len(blocks), m), -1, dtype=np.int64)
    kernel = np.zeros((len(blocks), m, m), dtype=np.int8)
    for k, u in enumerate(blocks):  # one small dense block at a time keeps the temporaries O(m^2)
        members[k, : len(u)] = u
        block = np.sign(x[u][:, None] - x[u][None, :]) * np.sign(y[u][:, None] - y[u][None, :])
        if exclude is not None:  # drop pairs that share an ``exclude`` block (counted elsewhere)
            block *= exclude[u][:, None] != exclude[u][None, :]
        kernel[k, : len(u), : len(u)] = block
    return _Quadratic(members, kernel)


def _tied_pairs(codes: np.ndarray | None, n_groups: int, w: np.ndarray) -> np.ndarray:
    """``sum_g W_g (W_g - 1) / 2`` per row, ``W_g`` the weight of tie group g (``codes=None``: no ties)."""
    if codes is None:
        group_weight = w
    else:
        b = w.shape[0]
        flat = (codes[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_groups).ravel()
        group_weight = np.bincount(flat, weights=w.ravel(), minlength=b * n_groups).reshape(b, n_groups)
    return ((group_weight * group_weight).sum(axis=1) - w.sum(axis=1)) / 2.0


class KendallKernel:
    """Pair counts of Kendall's tau for many weight vectors over the same ``(x, y)``.

    ``kernel(w)`` returns a dict of ``(b,)`` arrays: ``S`` (C - D), ``n0`` (all pairs), ``n1`` (tied in x),
    ``n2`` (tied in y), ``n3`` (tied in both), ``N`` (total weight), ``m`` (min number of distinct values
    present, for tau-c). :meth:`tau_b`, :meth:`tau_c` and :meth:`acc_eq` turn them into statistics.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, block_size: int | None = None) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.n = n = len(x)
        self.cx, self.gx = dense_codes(x)
        self.cy, self.gy = dense_codes(y)
        self.cxy, self.gxy = dense_codes(self.cx * np.int64(self.gy) + self.cy)
        target = block_size or max(16, int(2.5 * np.sqrt(max(n, 1))))  # measured optimum 2-3 sqrt(n)
        bx = _blocks(self.cx, self.gx, target)[self.cx]
        by = _blocks(self.cy, self.gy, target)[self.cy]
        self.bx, self.by = bx, by
        self.n_bx, self.n_by = int(bx.max()) + 1 if n else 0, int(by.max()) + 1 if n else 0
        # multi-valued blocks only: a block that is one tie group has K = 0 inside
        order_x = np.argsort(bx, kind="stable")
        split_x = np.split(order_x, np.flatnonzero(np.diff(bx[order_x])) + 1) if n else []
        multi_x = [u for u in split_x if len(np.unique(self.cx[u])) > 1]
        order_y = np.argsort(by, kind="stable")
        split_y = np.split(order_y, np.flatnonzero(np.diff(by[order_y])) + 1) if n else []
        multi_y = [u for u in split_y if len(np.unique(self.cy[u])) > 1]
        self._same_x = _quadratic_blocks(multi_x, x, y, None)
        self._same_y = _quadratic_blocks(multi_y, x, y, bx)
        self._cell = bx * np.int64(self.n_by) + by

    def counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        w = np.atleast_2d(np.asarray(w, dtype=float))
        workers = min(os.cpu_count() or 1, 4, w.shape[0])
        if workers < 2 or w.size < 200_000:
            with threadpool_limits(1):
                return self._counts(w)
        # rows are independent: split them over threads (numpy and BLAS release the GIL); BLAS itself
        # single-threaded, since small multi-threaded products oversubscribe the cores
        chunks = np.array_split(w, workers)
        with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(self._counts, chunks))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        b = w.shape[0]
        total = w.sum(axis=1)
        # pairs among N units with multiplicities: copies of a unit are tied in x and y
        n0 = total * (total - 1) / 2
        n1 = _tied_pairs(None if self.gx == self.n else self.cx, self.gx, w)
        n2 = _tied_pairs(None if self.gy == self.n else self.cy, self.gy, w)
        n3 = _tied_pairs(None if self.gxy == self.n else self.cxy, self.gxy, w)
        present = w > 0
        m = np.minimum(self._distinct(self.cx, self.gx, present), self._distinct(self.cy, self.gy, present))
        # cross-block pairs from the 2-D block histogram
        size = self.n_bx * self.n_by
        flat = (self._cell[None, :] + np.arange(b, dtype=np.int64)[:, None] * size).ravel()
        hist = np.bincount(flat, weights=w.ravel(), minlength=b * size).reshape(b, self.n_bx, self.n_by)
        # suffix[p, q] = sum over p' > p; above = p' > p and q' > q; below = p' > p and q' < q
        suffix = np.cumsum(hist[:, ::-1, :], axis=1)[:, ::-1, :] - hist
        row_total = suffix.sum(axis=2, keepdims=True)
        at_or_below = np.cumsum(suffix, axis=2)
        below = at_or_below - suffix
        above = row_total - at_or_below
        s = (hist * (above - below)).sum(axis=(1, 2))
        for quad in (self._same_x, self._same_y):
            if quad is not None:
                s = s + _quadratic_sum(quad, w) / 2.0
        return {"S": s, "n0": n0, "n1": n1, "n2": n2, "n3": n3, "N": total, "m": m.astype(float)}

    def _distinct(self, codes: np.ndarray, n_groups: int, present: np.ndarray) -> np.ndarray:
        if n_groups == self.n:
            return present.sum(axis=1)
        b = present.shape[0]
        flat = (codes[None, :] + np.arange(b, dtype=np.int64)[:, None] * n_groups).ravel()
        hits = np.bincount(flat, weights=present.ravel(), minlength=b * n_groups).reshape(b, n_groups)
        return (hits > 0).sum(axis=1)

    @staticmethod
    def tau_b(c: dict[str, np.ndarray]) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return c["S"] / np.sqrt((c["n0"] - c["n1"]) * (c["n0"] - c["n2"]))

    @staticmethod
    def tau_c(c: dict[str, np.ndarray]) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 2.0 * c["S"] / (c["N"] ** 2 * (c["m"] - 1) / c["m"])
        return np.where(c["m"] > 1, out, np.nan)

    @staticmethod
    def acc_eq(c: dict[str, np.ndarray]) -> np.ndarray:
        """acc_23 = (C + T_xy) / tot with no tie threshold (Deutsch et al. 2023)."""
        untied = c["n0"] - c["n1"] - c["n2"] + c["n3"]
        concordant = (c["S"] + untied) / 2.0
        with np.errstate(invalid="ignore", divide="ignore"):
            return (concordant + c["n3"]) / c["n0"]


def _quadratic_sum(quad: _Quadratic, w: np.ndarray) -> np.ndarray:
    """``sum_blocks w_B' K_B w_B`` for every row of ``w`` (one matrix product per block)."""
    # float32 products are exact here (integer weights, K in {-1, 0, 1}, sums far below 2**24) and
    # twice as fast; the final dot product is accumulated in float64
    padded = np.concatenate([w, np.zeros((w.shape[0], 1))], axis=1).astype(np.float32)
    out = np.zeros(w.shape[0])
    members = np.where(quad.members >= 0, quad.members, w.shape[1])
    for k in range(members.shape[0]):
        wb = padded[:, members[k]]
        out += np.einsum("bi,bi->b", (wb @ quad.kernel[k].astype(np.float32)).astype(float), wb)
    return out
