"""Parameter validation, result base types and the bootstrap engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignlab._array.bootstrap import bootstrap, jackknife_weights, resample_weights
from alignlab._params import Interval, InvalidParameterError, Options, check_random_state, validate_params
from alignlab.results import EstimateResult, TableResult, format_estimate, results_to_frame


@validate_params({
    "confidence_level": [Interval("real", 0, 1, closed="neither")],
    "n_resamples": [Interval("integral", 1, None)],
    "method": [Options(("a", "b"))],
    "random_state": ["random_state"],
    "raters": ["str-or-list", None],
})
def krippendorff_alpha(*, confidence_level=0.95, n_resamples=10, method="a", random_state=None, raters=None):
    return confidence_level


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence_level": 1.5},
         "The 'confidence_level' parameter of krippendorff_alpha must be a float in (0, 1). Got 1.5 instead."),
        ({"confidence_level": True}, "must be a float in (0, 1). Got True instead."),
        ({"confidence_level": float("nan")}, "Got nan instead."),
        ({"n_resamples": 0}, "must be an int in [1, inf). Got 0 instead."),
        ({"n_resamples": 2.5}, "must be an int in [1, inf). Got 2.5 instead."),
        ({"method": "c"}, "must be one of 'a', 'b'. Got 'c' instead."),
        ({"random_state": -1}, "must be None, a non-negative int or a numpy.random.Generator"),
        ({"raters": 3}, "must be a str or a list of str or None. Got 3 instead."),
    ],
)
def test_validate_params_message_form(kwargs, message) -> None:
    with pytest.raises(InvalidParameterError) as info:
        krippendorff_alpha(**kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TypeError)


def test_validate_params_accepts_valid() -> None:
    assert krippendorff_alpha(confidence_level=0.9, n_resamples=np.int64(5), random_state=np.random.default_rng(1),
                              raters=["a"]) == 0.9


def test_check_random_state() -> None:
    a = check_random_state(3).random()
    b = check_random_state(3).random()
    assert a == b
    g = np.random.default_rng(0)
    assert check_random_state(g) is g


def test_estimate_result_frame_and_str() -> None:
    r = EstimateResult(estimate=0.5, ci_low=0.4, ci_high=0.6, method="m", ci_method="analytic", n_items=10,
                       n_raters=2, warnings=["small n"])
    frame = r.to_frame()
    assert list(frame.columns)[:4] == ["statistic", "estimate", "ci_low", "ci_high"]
    assert frame.loc[0, "warnings"] == "small n"
    assert "0.500 (95% CI 0.400 to 0.600)" in str(r)
    assert "<strong>m</strong>" in r._repr_html_()
    with pytest.raises(AttributeError):
        r.estimate = 1.0  # type: ignore[misc]
    both = results_to_frame({"x": r, "y": r})
    assert both["name"].tolist() == ["x", "y"]
    assert format_estimate(math.nan, math.nan, math.nan, 0.95) == "n/a"


def test_table_result() -> None:
    t = TableResult(table=pd.DataFrame({"a": [1, 2]}), method="tbl")
    assert t.to_frame().equals(pd.DataFrame({"a": [1, 2]}))
    assert "tbl" in str(t)


def test_resample_weights_are_multinomial_counts() -> None:
    rng = np.random.default_rng(0)
    batches = list(resample_weights(50, 120, rng, batch_size=40))
    assert [b.shape for b in batches] == [(40, 50)] * 3
    assert all((b.sum(axis=1) == 50).all() for b in batches)


def test_clustered_weights_are_constant_within_cluster() -> None:
    clusters = np.repeat(np.arange(10), 3)
    (w,) = list(resample_weights(30, 5, np.random.default_rng(1), clusters=clusters))
    assert (w.reshape(5, 10, 3).std(axis=2) == 0).all()
    assert (w.sum(axis=1) == 30).all()


def test_jackknife_deletes_each_unit_once() -> None:
    rows = np.concatenate([w for w, _ in jackknife_weights(7)])
    np.testing.assert_array_equal(rows, 1 - np.eye(7))


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_bootstrap_matches_scipy_on_the_mean(method) -> None:
    # reference: scipy.stats.bootstrap (same formulas; resamples differ, so compare within MC error)
    x = np.random.default_rng(0).exponential(size=400)
    ours = bootstrap(lambda w: (w @ x) / w.sum(axis=1), len(x), n_resamples=5000, method=method, random_state=1)
    ref = stats.bootstrap((x,), np.mean, n_resamples=5000, method=method, random_state=1)
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.01)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.01)
    assert ours.standard_error == pytest.approx(ref.standard_error, rel=0.05)
    assert ours.ci_method == f"bootstrap-{method}(items, 5000)"


def test_bootstrap_coverage_of_a_mean() -> None:
    # simulation with known truth: 95% percentile intervals of an exponential mean (n=200) cover 1.0
    rng = np.random.default_rng(7)
    hits = 0
    n_sims = 300
    for _ in range(n_sims):
        x = rng.exponential(size=200)
        out = bootstrap(lambda w, x=x: (w @ x) / w.sum(axis=1), 200, n_resamples=400, method="percentile",
                        random_state=rng)
        hits += out.low <= 1.0 <= out.high
    assert 0.91 <= hits / n_sims <= 0.98


def test_bootstrap_degenerate_replicates_counted() -> None:
    x = np.array([0.0] * 9 + [1.0])

    def stat(w):
        m = (w @ x) / w.sum(axis=1)
        return np.where(m == 0, np.nan, m)

    out = bootstrap(stat, 10, n_resamples=500, method="percentile", random_state=0)
    assert out.n_failed > 0
    assert out.n_failed == int(np.isnan(out.distribution).sum())
