"""Registry-driven common tests: every agreement statistic is listed once with its properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab import agreement as ag


@dataclass(frozen=True)
class Entry:
    function: Callable[..., ag.AgreementResult]
    kwargs: dict
    two_raters: bool = False
    label_invariant: bool = True  # nominal statistics: renaming categories changes nothing
    needs_numbers: bool = False


REGISTRY = {
    "percent_agreement": Entry(ag.percent_agreement, {}),
    "cohen_kappa": Entry(ag.cohen_kappa, {}, two_raters=True),
    "cohen_kappa_quadratic": Entry(ag.cohen_kappa, {"weights": "quadratic"}, two_raters=True, label_invariant=False),
    "scott_pi": Entry(ag.scott_pi, {}, two_raters=True),
    "fleiss_kappa": Entry(ag.fleiss_kappa, {}),
    "brennan_prediger": Entry(ag.brennan_prediger, {}),
    "gwet_ac1": Entry(ag.gwet_ac, {}),
    "gwet_ac2_linear": Entry(ag.gwet_ac, {"weights": "linear"}, label_invariant=False),
    "alpha_nominal": Entry(ag.krippendorff_alpha, {"level": "nominal"}),
    "alpha_ordinal": Entry(ag.krippendorff_alpha, {"level": "ordinal"}, label_invariant=False),
    "alpha_interval": Entry(ag.krippendorff_alpha, {"level": "interval"}, label_invariant=False),
    "icc2": Entry(ag.icc, {"form": "ICC2"}, label_invariant=False, needs_numbers=True),
    "kendall_w": Entry(ag.kendall_w, {}, label_invariant=False, needs_numbers=True),
}


def _frame(seed: int = 0, n_raters: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 5, size=80)
    rows = []
    for j in range(n_raters):
        value = np.where(rng.random(80) < 0.7, truth, rng.integers(1, 5, size=80))
        rows.append(pd.DataFrame({"item_id": np.arange(80), "rater_id": f"r{j}", "value": value}))
    frame = pd.concat(rows, ignore_index=True)
    if n_raters > 2:
        frame = frame[rng.random(len(frame)) > 0.1]
    return frame


def _run(entry: Entry, frame: pd.DataFrame, scale: object) -> ag.AgreementResult:
    j = alignlab.load_judgments(frame, scale=scale, segments=[])
    return entry.function(j, ci_method="none", **entry.kwargs)


def _case(name: str) -> tuple[Entry, pd.DataFrame]:
    entry = REGISTRY[name]
    frame = _frame(n_raters=2 if entry.two_raters else 4)
    if entry.needs_numbers:  # complete design for ICC/W
        frame = _frame(n_raters=4)
        frame = frame.groupby("item_id").filter(lambda g: len(g) == 4)
    return entry, frame


ORDINAL = alignlab.Scale.ordinal([1, 2, 3, 4])


@pytest.mark.parametrize("name", list(REGISTRY))
def test_invariant_to_row_order_and_rater_names(name: str) -> None:
    entry, frame = _case(name)
    base = _run(entry, frame, ORDINAL)
    shuffled = frame.sample(frac=1.0, random_state=1)
    renamed = shuffled.assign(rater_id=shuffled["rater_id"].map(lambda r: f"zz_{r[::-1]}"),
                              item_id=shuffled["item_id"].map(lambda i: f"item-{i}"))
    assert _run(entry, renamed, ORDINAL).estimate == pytest.approx(base.estimate, abs=1e-12)
    assert np.isfinite(base.estimate)
    assert base.to_frame().columns[0] == "statistic"


@pytest.mark.parametrize("name", [n for n, e in REGISTRY.items() if e.label_invariant])
def test_nominal_statistics_ignore_category_names(name: str) -> None:
    entry, frame = _case(name)
    base = _run(entry, frame, ORDINAL)
    permuted = frame.assign(value=frame["value"].map({1: "d", 2: "a", 3: "c", 4: "b"}))
    got = _run(entry, permuted, alignlab.Scale.categorical(["a", "b", "c", "d"]))
    assert got.estimate == pytest.approx(base.estimate, abs=1e-12)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_perfect_agreement_gives_one(name: str) -> None:
    entry = REGISTRY[name]
    n_raters = 2 if entry.two_raters else 3
    values = np.tile(np.arange(1, 5), 10)
    frame = pd.DataFrame({"item_id": np.repeat(np.arange(40), n_raters),
                          "rater_id": np.tile([f"r{j}" for j in range(n_raters)], 40),
                          "value": np.repeat(values, n_raters)})
    result = _run(entry, frame, ORDINAL)
    assert result.estimate == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_interval_brackets_estimate(name: str) -> None:
    entry, frame = _case(name)
    j = alignlab.load_judgments(frame, scale=ORDINAL, segments=[])
    method = "percentile"
    result = entry.function(j, ci_method=method, n_resamples=200, random_state=0, **entry.kwargs)
    assert result.ci_low <= result.estimate <= result.ci_high
    assert result.ci_method.startswith("bootstrap-percentile(items")
    assert result.confidence_level == 0.95
