"""Vectorised (cluster) bootstrap on plain arrays: the one resampling engine of alignlab.

A statistic is written once as a function of **unit weights**: ``statistic(w)`` takes a
``(b, n_units)`` float array, each row the multiplicity of every unit (item) in one resample, and
returns ``b`` values. Weighted sums then replace index gathering, so a resample costs one matrix
product or a few ``bincount``s, clustered resampling (whole conversations, whole documents) is the
same code with cluster counts broadcast to their items, and the jackknife for BCa is the same
function called with leave-one-out weights.

Why not ``scipy.stats.bootstrap`` directly: it resamples observations by index (no clusters, no
weights form), and its BCa jackknife materialises ``n x (n - 1)`` arrays. The percentile and BCa
formulas below are the ones scipy uses (Efron & Tibshirani 1993, ch. 14); a test checks equality
with scipy on an unclustered mean.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special

from alignlab._params import DegenerateDataWarning, check_random_state
from alignlab._progress import report

__all__ = ["BootstrapOutcome", "MIN_RESAMPLING_UNITS", "bootstrap", "degenerate_message", "jackknife_weights",
           "normal_interval", "resample_weights"]

Statistic = Callable[[np.ndarray], np.ndarray]

# Upper bound on elements of one weights batch (float64): 2e6 elements = 16 MB. Kept under glibc's
# largest mmap threshold (32 MB) so the batch and the statistic's temporaries of the same shape are
# recycled from the heap instead of being mmapped and page-faulted afresh every batch: on the 2-core VM
# this halved the wall time of a 1,000-resample Spearman interval on 100k items (10.8 s -> 5.7 s)
# against 160 MB batches.
_MAX_BATCH_ELEMENTS = 2_000_000
# Above this many units the BCa acceleration uses a grouped (delete-a-group) jackknife.
_MAX_JACKKNIFE_UNITS = 1000
#: fewest resampling units (items, or clusters when clustered) of any bootstrap interval: with one unit
#: every resample is the sample itself and the "interval" has zero width. Estimators ask for more with
#: ``min_units=`` (their declared minimum data).
MIN_RESAMPLING_UNITS = 2
# an interval narrower than this (relative to max(1, |estimate|)) is zero-width: a degenerate resample
_ZERO_WIDTH = 1e-12


@dataclass(frozen=True)
class BootstrapOutcome:
    """Result of :func:`bootstrap`.

    ``ci_method`` is a label for result objects, e.g. ``"bootstrap-bca(items, 2000)"``.
    """

    low: float
    high: float
    standard_error: float
    distribution: np.ndarray
    ci_method: str
    n_failed: int
    #: why the interval is NaN when it is (too few units, degenerate resamples), as in result warnings
    warnings: tuple[str, ...] = ()


def _compact(clusters: np.ndarray) -> np.ndarray:
    """Cluster codes renumbered 0..C-1 over the clusters present: after units are dropped (pairing,
    complete cases) a code may be unused, and an empty cluster must not be drawn or deleted.
    Codes are small non-negative integers (the callers factorise): a presence table and a cumulative
    sum renumber them in O(n), where ``np.unique`` sorts; other values fall back to ``np.unique``."""
    codes = np.asarray(clusters).reshape(-1)
    if codes.size and np.issubdtype(codes.dtype, np.integer) and codes.min() >= 0 and codes.max() < 4 * codes.size + 1024:
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        return (np.cumsum(present, dtype=np.int64) - 1)[codes]
    return np.unique(codes, return_inverse=True)[1].astype(np.int64).reshape(-1)


def degenerate_message(n_units: int, min_units: int, unit_name: str) -> str:
    """The warning for data below a resampling minimum (shared by every interval of the library)."""
    shown = unit_name[:-1] if n_units == 1 and unit_name.endswith("s") else unit_name
    return (f"only {n_units} {shown} to resample, fewer than the {min_units} a bootstrap interval needs: "
            f"interval not computable (NaN); add {unit_name} before reading any uncertainty from this estimate")


def _warn(message: str) -> None:
    warnings.warn(message, DegenerateDataWarning, stacklevel=3)


def _batch_rows(n_resamples: int, n_units: int) -> int:
    return max(1, min(n_resamples, _MAX_BATCH_ELEMENTS // max(n_units, 1)))


def resample_weights(
    n_units: int,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    clusters: np.ndarray | None = None,
    batch_size: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``(b, n_units)`` multiplicity arrays, ``n_resamples`` rows in all.

    Parameters
    ----------
    clusters : array of int, optional
        Cluster code (0..C-1) of each unit: whole clusters are resampled and every unit of a drawn
        cluster gets the cluster's multiplicity.
    """
    if clusters is not None:
        clusters = _compact(clusters)
        n_draw = int(clusters.max()) + 1
    else:
        n_draw = n_units
    rows = batch_size or _batch_rows(n_resamples, max(n_units, n_draw))
    done = 0
    while done < n_resamples:
        b = min(rows, n_resamples - done)
        draws = rng.integers(0, n_draw, size=(b, n_draw))
        flat = (draws + (np.arange(b, dtype=np.int64) * n_draw)[:, None]).ravel()
        counts = np.bincount(flat, minlength=b * n_draw).reshape(b, n_draw).astype(float)
        yield counts if clusters is None else counts[:, clusters]
        done += b


def jackknife_weights(n_units: int, clusters: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(weights, n_groups)`` for the delete-one (or delete-a-group) jackknife.

    Units (or clusters) are split into at most 1,000 groups; each row of ``weights`` deletes one group.
    """
    if clusters is None:
        groups = np.arange(n_units)
    else:
        groups = _compact(clusters)
    n_groups = int(groups.max()) + 1
    if n_groups > _MAX_JACKKNIFE_UNITS:
        groups = groups % _MAX_JACKKNIFE_UNITS  # deterministic, balanced grouping
        n_groups = _MAX_JACKKNIFE_UNITS
    rows = _batch_rows(n_groups, n_units)
    for start in range(0, n_groups, rows):
        stop = min(n_groups, start + rows)
        w = np.ones((stop - start, n_units))
        w[groups[None, :] == np.arange(start, stop)[:, None]] = 0.0
        yield w, n_groups


def bootstrap(
    statistic: Statistic,
    n_units: int,
    *,
    estimate: float | None = None,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    method: str = "bca",
    random_state: int | np.random.Generator | None = None,
    clusters: np.ndarray | None = None,
    unit_name: str = "items",
    min_units: int = MIN_RESAMPLING_UNITS,
) -> BootstrapOutcome:
    """Bootstrap interval of ``statistic`` over units (items), optionally clustered.

    Parameters
    ----------
    statistic : callable
        ``statistic(w) -> (b,)`` for unit weights ``w`` of shape ``(b, n_units)``. With all-ones
        weights it must return the full-sample estimate.
    method : {"bca", "percentile", "basic"}
    clusters : array of int, optional
        Cluster code per unit; clusters are resampled whole.
    min_units : int
        The estimator's minimum number of resampling units (clusters when clustered); below it the
        interval is NaN, with a :class:`~alignlab._params.DegenerateDataWarning`.

    Returns
    -------
    BootstrapOutcome
        Replicates that come out NaN (degenerate resamples, e.g. one category only) are dropped and
        counted in ``n_failed``. The interval is NaN, with the reason in ``warnings`` (and a
        ``DegenerateDataWarning``), when there are fewer than ``min_units`` units, when more than half
        of the replicates fail, or when it would have zero width (every resample gives the same value:
        a degenerate resample is never reported as an interval).
    """
    rng = check_random_state(random_state)
    label = f"bootstrap-{method}({unit_name}{', clustered' if clusters is not None else ''}, {n_resamples})"
    n_draw = n_units if clusters is None else int(_compact(clusters).max(initial=-1)) + 1
    if n_draw < max(int(min_units), MIN_RESAMPLING_UNITS):
        message = degenerate_message(n_draw, max(int(min_units), MIN_RESAMPLING_UNITS),
                                     "clusters" if clusters is not None else unit_name)
        _warn(message)
        return BootstrapOutcome(np.nan, np.nan, np.nan, np.empty(0), label, 0, (message,))
    if estimate is None:
        estimate = float(statistic(np.ones((1, n_units)))[0])
    parts = []
    for w in resample_weights(n_units, n_resamples, rng, clusters=clusters):
        parts.append(np.asarray(statistic(w), dtype=float))
        report("bootstrap", sum(p.size for p in parts), n_resamples)
    theta = np.concatenate(parts)
    failed = ~np.isfinite(theta)
    n_failed = int(failed.sum())
    if not np.isfinite(estimate):
        return BootstrapOutcome(np.nan, np.nan, np.nan, theta, label, n_failed)
    if n_failed > n_resamples / 2:
        message = (f"{n_failed} of {n_resamples} bootstrap resamples gave no value (e.g. one category only): "
                   "interval not computable (NaN); the data are too few or too uniform for this statistic")
        _warn(message)
        return BootstrapOutcome(np.nan, np.nan, np.nan, theta, label, n_failed, (message,))
    good = theta[~failed]
    alpha = (1.0 - confidence_level) / 2.0
    se = float(np.std(good, ddof=1)) if good.size > 1 else np.nan
    if method == "percentile":
        low, high = np.quantile(good, [alpha, 1 - alpha])
    elif method == "basic":
        q_low, q_high = np.quantile(good, [alpha, 1 - alpha])
        low, high = 2 * estimate - q_high, 2 * estimate - q_low
    elif method == "bca":
        low, high = _bca(statistic, n_units, estimate, good, alpha, clusters)
    else:
        raise ValueError(f"unknown bootstrap method {method!r}; use 'bca', 'percentile' or 'basic'")
    if not float(high) - float(low) > _ZERO_WIDTH * max(1.0, abs(float(estimate))):
        share = float(np.mean(good == estimate)) if good.size else 0.0
        message = (f"the bootstrap interval has zero width ({share:.0%} of {good.size} resamples equal the "
                   f"estimate {float(estimate):.4g}): a degenerate resample, not certainty; interval not computable (NaN)")
        _warn(message)
        return BootstrapOutcome(np.nan, np.nan, se, theta, label, n_failed, (message,))
    return BootstrapOutcome(float(low), float(high), se, theta, label, n_failed)


def _bca(
    statistic: Statistic,
    n_units: int,
    estimate: float,
    theta: np.ndarray,
    alpha: float,
    clusters: np.ndarray | None,
) -> tuple[float, float]:
    # bias correction: share of replicates below the estimate (ties count half, as in scipy)
    prop_less = (np.sum(theta < estimate) + 0.5 * np.sum(theta == estimate)) / theta.size
    z0 = special.ndtri(prop_less)
    jack = np.concatenate([np.asarray(statistic(w), dtype=float) for w, _ in jackknife_weights(n_units, clusters)])
    jack = jack[np.isfinite(jack)]
    if jack.size >= 2:
        diffs = jack.mean() - jack
        denom = 6.0 * np.sum(diffs**2) ** 1.5
        acceleration = np.sum(diffs**3) / denom if denom > 0 else 0.0
    else:  # no usable leave-one-out values: no acceleration (bias-corrected percentile)
        acceleration = 0.0
    if not np.isfinite(z0):
        # every replicate on one side of the estimate: BCa is undefined; fall back to percentile
        return tuple(np.quantile(theta, [alpha, 1 - alpha]))  # type: ignore[return-value]
    z = special.ndtri([alpha, 1 - alpha])
    adjusted = special.ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
    adjusted = np.clip(np.nan_to_num(adjusted, nan=0.5), 0.0, 1.0)
    return tuple(np.quantile(theta, adjusted))  # type: ignore[return-value]


def normal_interval(estimate: float, standard_error: float, confidence_level: float) -> tuple[float, float]:
    """Wald interval ``estimate ± z * se``."""
    z = special.ndtri(0.5 + confidence_level / 2)  # the normal quantile (scipy.stats.norm.ppf)
    return estimate - z * standard_error, estimate + z * standard_error
