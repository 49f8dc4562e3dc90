"""Weighted rank-correlation kernels for the bootstrap engine (unit weights, shape ``(b, n)``).

A bootstrap resample of a rank statistic needs the data re-ranked per resample. Written as functions of
unit multiplicities ``w`` the sort happens **once**: the order of the values never changes, only how many
copies of each unit a resample holds, so

* Spearman: the mid-rank of a tie group is ``(weight before the group) + (weight of the group + 1) / 2``,
  a cumulative sum over the (fixed) sorted tie groups; then a weighted Pearson of the ranks.
* Kendall: ``S = C - D`` is counted by a wavelet tree over the bits of the y codes (Kendall's pairs are
  split by the first bit at which their y codes differ). Units are sorted once by (x ascending, y
  descending); at tree level ``l`` they are stably ordered by the top ``l`` bits of y (a fixed
  permutation of the previous level), so units sharing those bits form contiguous segments in x order.
  A pair first split at level ``l`` is concordant when the earlier unit has bit 0, discordant when it has
  bit 1, so ``S_l = sum_{k: bit 1} w_k (2 P_k + w_k - T_s)`` with ``P_k`` the weight before ``k`` in its
  segment and ``T_s`` the segment's weight: one gather, one cumulative sum and one dot product per level,
  ``O(b n log n)`` in contiguous numpy passes, no BLAS. The segment terms depend only on per-y-code
  weights and are summed up the tree. Sorting x ties by descending y makes every pair tied in x (and not
  in y) count as discordant, which ``n1 - n3`` adds back. Integer multiplicities (bootstrap counts,
  jackknife 0/1) run in int32 (exact: partial dot products are summed in int64 every 256 units), other
  weights in float64. Rows are processed a few at a time so the working arrays stay in the L2 cache.

Copies of one unit are tied in both x and y, which is what the pair counts with multiplicities give.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "KendallKernel",
    "parallel_rows",
    "dense_codes",
    "weighted_pearson",
    "weighted_spearman",
    "SpearmanKernel",
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


def weighted_spearman(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spearman's rho under multiplicities ``w``: Pearson of the re-ranked data (ties get mid-ranks)."""
    return SpearmanKernel(x, y)(np.atleast_2d(np.asarray(w, dtype=float)))


def _small_integers(w: np.ndarray, total: np.ndarray) -> bool:
    """Whether ``w`` holds non-negative integers small enough for int16 weights and int32 sums."""
    return (np.array_equal(w, np.floor(w)) and not (w < 0).any() and float(w.max(initial=0.0)) < 2**15
            and float(total.max(initial=0.0)) < 2**31)


class SpearmanKernel:
    """Spearman's rho of fixed ``(x, y)`` for many weight vectors, from sorted-order cumulative sums.

    Units are sorted once by x and once by y. Per resample the mid-rank of a tie group is its cumulative
    weight minus ``(W_g - 1) / 2``; the ranks' weighted mean is ``(N + 1) / 2`` exactly, so rho needs only
    ``sum w r_x r_y`` (one gather of the x ranks into y order) and ``sum w r^2`` per axis (from the tie
    groups). Equal to scipy's ``spearmanr`` on the explicitly repeated data.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.n = len(x)
        self.order_x = np.argsort(x, kind="stable")
        self.order_y = np.argsort(y, kind="stable")
        self.x_ends, self.x_group = self._groups(x[self.order_x])
        self.y_ends, self.y_group = self._groups(y[self.order_y])
        position_in_x = np.empty(self.n, dtype=np.int64)
        position_in_x[self.order_x] = np.arange(self.n)
        self.x_to_y = position_in_x[self.order_y]  # x-sorted position of the unit at each y-sorted position

    def _groups(self, sorted_values: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        ends = _run_ends(sorted_values)
        if len(ends) == self.n:
            return None, None  # no ties: every unit is its own group
        return ends, np.cumsum(np.r_[0, sorted_values[1:] != sorted_values[:-1]])

    def __call__(self, w: np.ndarray) -> np.ndarray:
        rows = max(1, _CACHE_ELEMENTS // max(self.n, 1))
        return np.concatenate([self._rows(w[start:start + rows]) for start in range(0, w.shape[0], rows)])

    @staticmethod
    def _ranks(sorted_w: np.ndarray, cumulative: np.ndarray, ends: np.ndarray | None,
               group: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Mid-ranks per sorted position and ``sum w r^2`` per row."""
        if ends is None:
            mid = cumulative.astype(float)
            mid -= 0.5 * sorted_w
            mid += 0.5
            return mid, np.einsum("ij,ij,ij->i", sorted_w.astype(float), mid, mid)
        at_ends = cumulative[:, ends].astype(float)
        group_weight = at_ends.copy()
        group_weight[:, 1:] -= at_ends[:, :-1]
        group_mid = at_ends - 0.5 * (group_weight - 1.0)
        return np.take(group_mid, group, axis=1), np.einsum("ij,ij,ij->i", group_weight, group_mid, group_mid)

    def _rows(self, w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1)
        exact = _small_integers(w, total)
        wk = w.astype(np.int16) if exact else w
        cum_dtype = np.int32 if exact else float
        wx = np.take(wk, self.order_x, axis=1)
        wy = np.take(wk, self.order_y, axis=1)
        rank_x, square_x = self._ranks(wx, np.cumsum(wx, axis=1, dtype=cum_dtype), self.x_ends, self.x_group)
        rank_y, square_y = self._ranks(wy, np.cumsum(wy, axis=1, dtype=cum_dtype), self.y_ends, self.y_group)
        cross = np.einsum("ij,ij,ij->i", wy.astype(float), np.take(rank_x, self.x_to_y, axis=1), rank_y)
        mean_part = total * ((total + 1.0) / 2.0) ** 2  # N * mean^2, the ranks' mean being (N + 1) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (cross - mean_part) / np.sqrt((square_x - mean_part) * (square_y - mean_part))
        return np.clip(r, -1.0, 1.0)


_CHUNK = 256  # units per int32 partial dot product (exactness bound checked per batch)
_MAX_DELETED = 400  # 0/1 rows with at most this many zeros use the deletion formula (O(zeros^2) per row)
_CACHE_ELEMENTS = 1 << 18  # elements per working array (1 MB in int32): rows per pass = this // n


def _run_ends(keys: np.ndarray) -> np.ndarray:
    """Last position of each run of equal consecutive keys."""
    return np.flatnonzero(np.r_[keys[1:] != keys[:-1], True]) if len(keys) else np.zeros(0, dtype=np.int64)


def _group_weights(cumulative: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Weights of consecutive groups (float) from an inclusive cumulative sum at their last positions."""
    at_ends = cumulative[:, ends].astype(float)
    at_ends[:, 1:] -= at_ends[:, :-1].copy()
    return at_ends


def _tied(group_weight: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``sum_g W_g (W_g - 1) / 2``: pairs tied within groups of the given weights."""
    return (np.einsum("ij,ij->i", group_weight, group_weight) - total) / 2.0


class KendallKernel:
    """Pair counts of Kendall's tau for many weight vectors over the same ``(x, y)``.

    ``kernel(w)`` returns a dict of ``(b,)`` arrays: ``S`` (C - D), ``n0`` (all pairs), ``n1`` (tied in x),
    ``n2`` (tied in y), ``n3`` (tied in both), ``N`` (total weight), ``m`` (min number of distinct values
    present, for tau-c). :meth:`tau_b`, :meth:`tau_c` and :meth:`acc_eq` turn them into statistics.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.n = n = len(x)
        cx, gx = dense_codes(x)
        cy, gy = dense_codes(y)
        # S is symmetric in x and y: the tree runs over the bits of the axis with fewer distinct values
        self.swapped = gx < gy
        cu, gu, cv, gv = (cy, gy, cx, gx) if self.swapped else (cx, gx, cy, gy)
        self.gu, self.gv = gu, gv
        self.n_pad = n_pad = -(-max(n, 1) // _CHUNK) * _CHUNK
        order = np.lexsort((-cv, cu))  # u ascending, ties in u by v descending
        su, sv = cu[order], cv[order]
        self.u_ends = _run_ends(su)
        self.uv_ends = _run_ends(su * np.int64(gv) + sv)
        self.levels = int(np.ceil(np.log2(gv))) if gv > 1 else 0
        self.takes = [order]  # level 0: from the input order; level l: from level l - 1's order
        self.bits = []
        code = sv
        for level in range(self.levels):
            shift = self.levels - 1 - level
            bits = np.zeros(n_pad, dtype=np.int16)
            bits[:n] = (code >> shift) & 1
            self.bits.append(bits)
            if level < self.levels - 1:
                step = np.argsort(code >> shift, kind="stable")
                self.takes.append(step)
                code = code[step]
        self.guv = len(self.uv_ends)
        self.by_v = np.argsort(cv, kind="stable")
        self.v_ends = _run_ends(cv[self.by_v])
        self.popcount = np.zeros(n)  # number of 1 bits of each unit's v code (input order)
        for bit in range(self.levels):
            self.popcount += (cv >> bit) & 1
        self.x, self.y = x, y
        self.codes = {"x": (cx, gx), "y": (cy, gy), "xy": dense_codes(cx * np.int64(gy) + cy)}
        self._cu, self._cv = cu, cv
        self._deletion: dict[str, np.ndarray] | None = None

    def counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        w = np.atleast_2d(np.asarray(w, dtype=float))
        workers = min(os.cpu_count() or 1, 4, w.shape[0])
        if workers < 2 or w.size < 200_000:
            return self._counts(w)
        # rows are independent: split them over threads (numpy releases the GIL in these passes)
        chunks = np.array_split(w, workers)
        with threadpool_limits(1), ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(self._counts, chunks))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        # rows of 0/1 weights with few zeros (the BCa jackknife, the full sample) are the full-sample counts
        # minus the deleted units' pairs: O(zeros^2) per row instead of a pass over the tree
        deletion = (w.max(axis=1, initial=0.0) <= 1.0) & (w.min(axis=1, initial=1.0) >= 0.0)
        if deletion.any():
            candidates = np.flatnonzero(deletion)
            sub = w[candidates]
            ok = ((sub == 0.0) | (sub == 1.0)).all(axis=1) & ((sub == 0.0).sum(axis=1) <= _MAX_DELETED)
            deletion[candidates[~ok]] = False
        if not deletion.any():
            return self._tree_counts(w)
        out = {key: np.empty(w.shape[0]) for key in ("S", "n0", "n1", "n2", "n3", "N", "m")}
        for mask, func in ((deletion, self._deletion_counts), (~deletion, self._tree_counts)):
            if mask.any():
                for key, value in func(w[mask]).items():
                    out[key][mask] = value
        return out

    def _tree_counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        rows = max(1, _CACHE_ELEMENTS // self.n_pad)
        parts = [self._counts_rows(w[start:start + rows]) for start in range(0, w.shape[0], rows)]
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _deletion_terms(self) -> dict[str, np.ndarray]:
        """Full-sample counts and each unit's ``c_i = sum_j sign(x_i - x_j) sign(y_i - y_j)``, once.

        ``c_i`` comes from the same tree: at each level a unit with bit 1 is concordant with the bit-0
        units before it in its segment and discordant with those after it (bit 0: the reverse); pairs tied
        in u and not in v, counted as discordant by the u-then-descending-v order, are added back.
        """
        if self._deletion is not None:
            return self._deletion
        n = self.n
        full = {key: float(value[0]) for key, value in self._counts_rows(np.ones((1, n))).items()}
        c = np.zeros(n)
        perm = self.takes[0]
        for level in range(self.levels):
            if level:
                perm = perm[self.takes[level]]
            code = self._cv[perm]
            shift = self.levels - 1 - level
            bits = ((code >> shift) & 1).astype(float)
            segment = np.cumsum(np.r_[0, (code[1:] >> (shift + 1)) != (code[:-1] >> (shift + 1))])
            start = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])[segment]
            ones_before = np.cumsum(bits) - bits
            ones_before -= ones_before[start]
            position = np.arange(n) - start
            size = np.bincount(segment)[segment]
            ones_total = np.bincount(segment, weights=bits)[segment]
            zeros_before = position - ones_before
            ones_after = ones_total - ones_before - bits
            zeros_after = (size - ones_total) - zeros_before - (1.0 - bits)
            c[perm] += np.where(bits == 1.0, zeros_before - zeros_after, ones_after - ones_before)
        cu, _ = dense_codes(self._cu)
        cuv, _ = dense_codes(self._cu * np.int64(self.gv) + self._cv)
        c += np.bincount(cu)[cu] - np.bincount(cuv)[cuv]  # tied in u, not in v: counted -1, truly 0
        self._deletion = {"c": c, **{key: np.array(value) for key, value in full.items()}}
        return self._deletion

    def _deletion_counts(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """Counts for 0/1 rows from the full-sample counts: ``S = S_full - sum_{i deleted} c_i + S(deleted)``
        (pairs with both units deleted were subtracted twice); tie counts lose the deleted units' pairs."""
        terms = self._deletion_terms()
        b, n = w.shape[0], self.n
        rows, units = np.nonzero(w == 0.0)
        zeros = np.bincount(rows, minlength=b)
        total = n - zeros.astype(float)
        s = terms["S"] - np.bincount(rows, weights=terms["c"][units], minlength=b)
        # pairs among each row's deleted units, padded to (rows, most zeros)
        if len(units):
            first = np.r_[0, np.cumsum(zeros)[:-1]]
            slot = np.arange(len(units)) - first[rows]
            padded = np.full((b, int(zeros.max())), -1, dtype=np.int64)
            padded[rows, slot] = units
            for lo in range(0, b, 64):
                block = padded[lo:lo + 64]
                valid = block >= 0
                xs, ys = self.x[block], self.y[block]
                sign = np.sign(xs[:, :, None] - xs[:, None, :]) * np.sign(ys[:, :, None] - ys[:, None, :])
                sign *= valid[:, :, None] & valid[:, None, :]
                s[lo:lo + 64] += sign.sum(axis=(1, 2)) / 2.0
        tied, present = {}, {}
        for axis in ("x", "y", "xy"):
            codes, groups = self.codes[axis]
            size = np.bincount(codes, minlength=groups).astype(float)
            full_tied = float((size * (size - 1) / 2).sum())
            key, removed = np.unique(rows * np.int64(groups) + codes[units], return_counts=True)
            row, group = key // groups, key % groups
            left = size[group] - removed
            lost = size[group] * (size[group] - 1) / 2 - left * (left - 1) / 2
            tied[axis] = full_tied - np.bincount(row, weights=lost, minlength=b)
            present[axis] = groups - np.bincount(row, weights=(left == 0), minlength=b)
        m = np.minimum(present["x"], present["y"])
        return {"S": s, "n0": total * (total - 1) / 2, "n1": tied["x"], "n2": tied["y"], "n3": tied["xy"],
                "N": total, "m": m}

    @staticmethod
    def _dtypes(w: np.ndarray, total: np.ndarray) -> tuple[type, type]:
        """(weights, cumulative sums): int16/int32 for small integer multiplicities (half the memory
        traffic of the gathers; exact while the int32 partial dot products cannot overflow), int64 for
        other integers, float64 for non-integer weights."""
        if not np.array_equal(w, np.floor(w)) or (w < 0).any():
            return np.float64, np.float64
        largest = float(w.max(initial=0.0))
        if largest < 2**15 and largest * float(total.max(initial=0.0)) * _CHUNK < 2**31:
            return np.int16, np.int32
        return np.int64, np.int64

    def _counts_rows(self, w: np.ndarray) -> dict[str, np.ndarray]:
        b, n = w.shape[0], self.n
        total = w.sum(axis=1)
        dtype, cum_dtype = self._dtypes(w, total)
        exact = dtype is not np.float64
        wk = w.astype(dtype)
        level_w = [np.zeros((b, self.n_pad), dtype=dtype), np.zeros((b, self.n_pad), dtype=dtype)]
        bits = self.bits if dtype is np.int16 else [level_bits.astype(dtype) for level_bits in self.bits]
        cumulative = np.empty((b, self.n_pad), dtype=cum_dtype)
        ones = np.empty((b, self.n_pad), dtype=dtype)
        s = np.zeros(b, dtype=np.int64 if exact else float)
        np.take(wk, self.takes[0], axis=1, out=level_w[0][:, :n])
        np.cumsum(level_w[0], axis=1, dtype=cum_dtype, out=cumulative)
        # ties: a tie-free axis needs no group sums (its groups are the units)
        units_tied = (np.einsum("ij,ij->i", w, w) - total) / 2.0
        present = None
        if self.gu < n:  # u groups and (u, v) groups are contiguous in the level-0 order
            u_weight = _group_weights(cumulative, self.u_ends)
            n_u, present_u = _tied(u_weight, total), (u_weight > 0).sum(axis=1)
        else:
            present = present_u = (w > 0).sum(axis=1)
            n_u = units_tied
        n3 = _tied(_group_weights(cumulative, self.uv_ends), total) if self.guv < n else units_tied
        for level in range(self.levels):
            current = level_w[level % 2]
            if level:
                np.take(level_w[(level - 1) % 2][:, :n], self.takes[level], axis=1, out=current[:, :n])
                np.cumsum(current, axis=1, dtype=cum_dtype, out=cumulative)
            np.multiply(current, bits[level], out=ones)
            # sum over bit-1 units of w_k * (inclusive weight up to k); the rest of 2 P_k + w_k - T_s below
            if dtype is np.int16:  # partial sums of _CHUNK products fit in int32 (bound checked)
                dot = np.einsum("ijk,ijk->ij", ones.reshape(b, -1, _CHUNK),
                                cumulative.reshape(b, -1, _CHUNK)).sum(axis=1, dtype=np.int64)
            else:
                dot = np.einsum("ij,ij->i", ones, cumulative)
            s += 2 * dot
        # sum_k w_k^2 (number of 1 bits of v_k): the w_k^2 terms of the levels where k has bit 1
        squares = np.einsum("ij,ij,j->i", w, w, self.popcount)
        s -= np.rint(squares).astype(np.int64) if exact else squares
        # per-v-code weights: tied pairs in v and the segment terms, summed up the tree
        v_sorted = np.take(wk, self.by_v, axis=1)
        if self.gv < n:
            code_weight = np.cumsum(v_sorted, axis=1, dtype=np.int64 if exact else float)[:, self.v_ends]
            code_weight[:, 1:] -= code_weight[:, :-1].copy()
            n_v = _tied(code_weight.astype(float), total)
            present_v = (code_weight > 0).sum(axis=1)
        else:
            code_weight = v_sorted.astype(np.int64) if exact else v_sorted
            n_v = units_tied
            present_v = (w > 0).sum(axis=1) if present is None else present
        if self.levels:
            nodes = np.zeros((b, 1 << self.levels), dtype=code_weight.dtype)
            nodes[:, : code_weight.shape[1]] = code_weight
            for _ in range(self.levels):
                right = nodes[:, 1::2]
                parent = nodes[:, 0::2] + right
                both_ends = np.cumsum(parent, axis=1)  # exclusive start + inclusive end = 2 end - weight
                both_ends *= 2
                both_ends -= parent
                s -= np.einsum("ij,ij->i", right, both_ends)
                nodes = parent
        # ties in u were ordered by descending v: each such pair was counted as discordant
        s = s.astype(float) + (n_u - n3)
        m = np.minimum(present_u, present_v).astype(float)
        n1, n2 = (n_v, n_u) if self.swapped else (n_u, n_v)
        return {"S": s, "n0": total * (total - 1) / 2, "n1": n1, "n2": n2, "n3": n3, "N": total, "m": m}

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
