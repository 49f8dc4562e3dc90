"""Progress reports from long computations reach an installed listener (CLI progress bars)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alignlab._array.bootstrap import bootstrap
from alignlab._progress import listening, progress_hook
from alignlab.slices import find_slices


def _collect():
    seen: list[tuple[str, int, int]] = []
    return seen, lambda task, done, total: seen.append((task, done, total))


def test_bootstrap_reports_every_batch_up_to_the_total() -> None:
    seen, callback = _collect()
    x = np.random.default_rng(0).normal(size=300_000)  # 6 resamples per 16 MB batch -> several batches
    with progress_hook(callback):
        assert listening()
        bootstrap(lambda w: w @ x / w.sum(axis=1), x.size, n_resamples=20, method="percentile", random_state=0)
    assert not listening()
    done = [d for task, d, total in seen if task == "bootstrap" and total == 20]
    assert len(done) > 1 and done == sorted(done) and done[-1] == 20


def test_slice_search_reports_each_feature_set() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({f"f{k}": rng.integers(0, 3, 2_000).astype(str) for k in range(4)})
    frame["error"] = rng.normal(size=2_000)
    seen, callback = _collect()
    with progress_hook(callback):
        find_slices(frame, "error", depth=2, n_permutations=50, random_state=0)
    sets = [(d, t) for task, d, t in seen if task == "slice search"]
    # 4 singles + 6 pairs = 10 feature sets, reported 1..10
    assert sets[-1] == (10, 10) and [d for d, _ in sets] == sorted(d for d, _ in sets)


def test_no_listener_no_reports_and_nesting_restores() -> None:
    outer, cb_outer = _collect()
    inner, cb_inner = _collect()
    x = np.arange(50.0)
    with progress_hook(cb_outer):
        with progress_hook(cb_inner):
            bootstrap(lambda w: w @ x / w.sum(axis=1), 50, n_resamples=10, method="percentile", random_state=0)
        bootstrap(lambda w: w @ x / w.sum(axis=1), 50, n_resamples=10, method="percentile", random_state=0)
    assert inner and outer and len(inner) == len(outer)
