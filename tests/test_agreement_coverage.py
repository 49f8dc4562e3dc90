"""Interval coverage by seeded simulation with known truth (n = 200 items).

Truth is the population value of each coefficient under the generating model (closed form, see
``_truth``). Slow tier: 1,000 replications, coverage within 93-97% for a nominal 95% interval. The
fast tier runs 100 replications (40 for the bootstrap) and accepts 87-99.5% (about 3.5 Monte Carlo SE), which
still catches intervals that are badly too narrow or too wide.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab import agreement as ag

N_ITEMS = 200
# latent classes (prevalence) and each rater's confusion P(label | class): three categories
PREVALENCE = np.array([0.5, 0.3, 0.2])
CONFUSION = np.array([[0.80, 0.15, 0.05],
                      [0.15, 0.75, 0.10],
                      [0.05, 0.15, 0.80]])


def _truth() -> dict[str, float]:
    """Population values for raters labelling independently given the class (any r >= 2).

    p_a = sum_z P(z) sum_k P(k|z)^2 (two distinct raters agree), pi_k = sum_z P(z) P(k|z);
    Fleiss kappa = alpha (nominal, large-n limit) = (p_a - sum pi^2) / (1 - sum pi^2);
    AC1 = (p_a - p_e) / (1 - p_e), p_e = sum pi (1 - pi) / (K - 1).
    """
    pa = float(PREVALENCE @ (CONFUSION**2).sum(axis=1))
    pi = PREVALENCE @ CONFUSION
    pe_fleiss = float((pi**2).sum())
    pe_gwet = float((pi * (1 - pi)).sum() / (len(pi) - 1))
    return {"kappa": (pa - pe_fleiss) / (1 - pe_fleiss), "ac1": (pa - pe_gwet) / (1 - pe_gwet)}


def _labels(rng: np.random.Generator, n_raters: int) -> alignlab.Judgments:
    z = rng.choice(3, size=N_ITEMS, p=PREVALENCE)
    cumulative = CONFUSION.cumsum(axis=1)[z]  # items x 3
    u = rng.random((N_ITEMS, n_raters, 1))
    labels = (u > cumulative[:, None, :]).sum(axis=2)
    frame = pd.DataFrame({"item_id": np.repeat(np.arange(N_ITEMS), n_raters),
                          "rater_id": np.tile([f"r{j}" for j in range(n_raters)], N_ITEMS),
                          "value": labels.ravel()})
    # 15% missing judgments (keeps at least the design's unequal-raters case exercised)
    if n_raters > 2:
        frame = frame[rng.random(len(frame)) > 0.15]
    return _judgments(frame, alignlab.Scale.categorical([0, 1, 2]))


def _judgments(frame: pd.DataFrame, scale: alignlab.Scale) -> alignlab.Judgments:
    """Simulated rows are valid by construction: skip load_judgments' validation (10x faster)."""
    return alignlab.Judgments(frame.assign(method="human", weight=1.0), scale)


def _scores(rng: np.random.Generator) -> alignlab.Judgments:
    """y = t_i + b_j + e_ij, var(t) = 1, var(b) = 0.25, var(e) = 1, 4 raters: ICC(2,1) = 1/2.25."""
    t = rng.normal(size=(N_ITEMS, 1))
    b = rng.normal(scale=0.5, size=(1, 4))
    y = t + b + rng.normal(size=(N_ITEMS, 4))
    frame = pd.DataFrame(y).rename_axis("item_id").reset_index().melt(
        id_vars="item_id", var_name="rater_id", value_name="value")
    return _judgments(frame, alignlab.Scale.continuous())


def _coverage(make: Callable[[np.random.Generator], alignlab.Judgments],
              statistic: Callable[[alignlab.Judgments, np.random.Generator], ag.AgreementResult],
              truth: float, n_reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = []
    for _ in range(n_reps):
        result = statistic(make(rng), rng)
        hits.append(result.ci_low <= truth <= result.ci_high)
    return float(np.mean(hits))


TRUTH = _truth()
CASES = {
    # name: (data maker, statistic, truth)
    "cohen_kappa analytic": (lambda rng: _labels(rng, 2), lambda j, rng: ag.cohen_kappa(j), TRUTH["kappa"]),
    "fleiss_kappa analytic": (lambda rng: _labels(rng, 4), lambda j, rng: ag.fleiss_kappa(j), TRUTH["kappa"]),
    "gwet_ac1 analytic": (lambda rng: _labels(rng, 4), lambda j, rng: ag.gwet_ac(j), TRUTH["ac1"]),
    "alpha nominal bootstrap-bca": (lambda rng: _labels(rng, 4), lambda j, rng: ag.krippendorff_alpha(
        j, n_resamples=400, random_state=rng), TRUTH["kappa"]),
    "icc2 analytic": (_scores, lambda j, rng: ag.icc(j, form="ICC2"), 1 / 2.25),
}


FAST_CASES = ["fleiss_kappa analytic", "alpha nominal bootstrap-bca", "icc2 analytic"]


@pytest.mark.parametrize("name", FAST_CASES)
def test_coverage_fast_tier(name: str) -> None:
    make, statistic, truth = CASES[name]
    n_reps = 40 if "bootstrap" in name else 100
    coverage = _coverage(make, statistic, truth, n_reps, seed=11)
    low = 0.85 if "bootstrap" in name else 0.87
    assert low <= coverage <= 0.995, f"{name}: coverage {coverage:.3f} over {n_reps} replications"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_coverage_slow_tier(name: str) -> None:
    make, statistic, truth = CASES[name]
    coverage = _coverage(make, statistic, truth, 1000, seed=2024)
    print(f"coverage[{name}] = {coverage:.3f}")  # shown with -s; figures quoted in docs/agreement.md
    assert 0.93 <= coverage <= 0.97, f"{name}: coverage {coverage:.3f} over 1000 replications"
