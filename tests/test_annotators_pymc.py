"""PyMC engine of the categorical annotator models: sampler settings, EM starting points, ADVI.

Expected numbers are marked *reference* (EM on the same data, a seeded simulation's truth) or
*regression* (measured here).
"""

from __future__ import annotations

import numpy as np
import pytest

from alignlab._params import InvalidParameterError
from alignlab.annotators import GLAD, MACE, DawidSkene, OneCoin
from alignlab.annotators._sampling import ADVI_WARNING
from tests.test_annotators import simulate


def test_categorical_sampler_defaults_and_user_override():
    settings = DawidSkene(engine="pymc")._sampler_settings()
    # the categorical defaults: EM-initialised chains, short warm-up, low-rank mass matrix
    assert (settings["draws"], settings["tune"], settings["target_accept"], settings["mass_matrix"]) == (
        1500, 500, 0.8, "low_rank")
    mine = OneCoin(engine="pymc", sampler={"tune": 800, "mass_matrix": "diag"})._sampler_settings()
    assert (mine["tune"], mine["mass_matrix"], mine["draws"]) == (800, "diag", 1500)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inference": "vi"}, r"The 'inference' parameter of DawidSkene must be one of 'nuts', 'advi'"),
        ({"sampler": {"mass_matrix": "dense"}}, r"sampler\['mass_matrix'\].*must be one of 'diag', 'low_rank'"),
        ({"sampler": {"init": "em"}}, r"unknown key 'init'"),
    ],
)
def test_bad_pymc_settings_raise_clear_errors(kwargs, message):
    j, _, _, _ = simulate(n_items=30, n_raters=4, per_item=3, seed=1, spammers=())
    with pytest.raises(InvalidParameterError, match=message):
        DawidSkene(engine="pymc", **kwargs).fit(j)


@pytest.mark.parametrize(("model_class", "kwargs"), [(DawidSkene, {"pooling": ()}), (DawidSkene, {}),
                                                    (OneCoin, {}), (MACE, {}), (GLAD, {})])
def test_em_start_is_a_finite_point_of_the_pymc_model(model_class, kwargs):
    """The EM solution maps onto every free variable of the PyMC model with a finite log density."""
    j, _, _, _ = simulate(n_items=80, n_raters=6, per_item=4, seed=2)
    model = model_class(engine="pymc", random_state=0, **kwargs)
    model.random_state_, model.warnings_ = np.random.default_rng(0), []  # what fit() sets before the engine
    model._prepare(j)
    pymc_model, _ = model._pymc_build(model._design_)
    start = model._em_start(model._design_)
    free = {v.name for v in pymc_model.free_RVs}
    # every start value names a free variable (a typo would be silently ignored by the samplers)
    assert set(start) <= free
    point = pymc_model.initial_point()
    transformed = {pymc_model.rvs_to_values[v].name: v for v in pymc_model.free_RVs}
    for value_name, rv in transformed.items():
        if rv.name in start:
            transform = pymc_model.rvs_to_transforms[rv]
            value = np.asarray(start[rv.name], dtype=float)
            point[value_name] = transform.forward(value, *rv.owner.inputs).eval() if transform else value
    logp = pymc_model.compile_logp()
    assert np.isfinite(logp(point))
    # the start is the EM solution (up to the 1e-3 floor on probabilities): its logp beats the prior centre's
    assert logp(point) > logp(pymc_model.initial_point())


def test_advi_close_to_em_and_warns():
    j, truth, _, true_rel = simulate(n_items=300, n_raters=8, per_item=5, seed=5)
    em = OneCoin(ci_method="none", random_state=0).fit(j)
    vi = OneCoin(engine="pymc", inference="advi", random_state=0, sampler={"draws": 300}).fit(j)
    assert ADVI_WARNING in vi.warnings_
    assert vi.ci_method_.startswith("posterior-quantile(advi")
    assert vi.idata_.posterior["accuracy"].shape[:2] == (1, 300)
    # reference: the EM (MAP) solution on the same data; ~190 judgments per rater, so posterior mean ~ MAP
    np.testing.assert_allclose(vi.raters_["competence"], em.raters_["competence"], atol=0.03)
    assert (vi.predict() == em.predict()).mean() >= 0.99
    assert np.corrcoef(vi.raters_["reliability"], true_rel)[0, 1] >= 0.9  # seeded truth
    # the ELBO-plateau stop ends well before the iteration cap (regression: ~6,000 iterations)
    assert vi.convergence_["n_iterations"].item() < 20_000


@pytest.mark.slow
@pytest.mark.parametrize(("model_class", "kwargs", "atol"), [
    # (OneCoin: the spammer's MAP reliability sits at the boundary, 0.006, its posterior mean at 0.04)
    (DawidSkene, {"pooling": ()}, 0.05), (OneCoin, {}, 0.045), (MACE, {}, 0.04),
    # the EM engine's hierarchical DS is empirical Bayes (fixed pooling_strength) where PyMC learns the
    # pooling scale, and GLAD's EM is a joint MAP over item difficulties: different estimands, so no
    # point-wise tolerance against EM (measured max differences 0.09 and 0.15, regression)
    (DawidSkene, {}, None), (GLAD, {}, None)])
def test_advi_point_estimates_close_to_em(model_class, kwargs, atol):
    j, _, _, true_rel = simulate(n_items=500, n_raters=10, per_item=5, seed=6)
    em = model_class(ci_method="none", random_state=0, **kwargs).fit(j)
    vi = model_class(engine="pymc", inference="advi", random_state=0, sampler={"draws": 300}, **kwargs).fit(j)
    if atol is not None:
        # reference: EM (the MAP of the same model) on the same data, 250 judgments per rater
        np.testing.assert_allclose(vi.raters_["reliability"], em.raters_["reliability"], atol=atol)
    assert (vi.predict() == em.predict()).mean() >= 0.98
    assert np.corrcoef(vi.raters_["reliability"], true_rel)[0, 1] >= 0.95  # seeded truth
    assert vi.raters_["spammer_prob"].iloc[0] > 0.5  # rater 0 is the simulated spammer


@pytest.mark.slow
def test_nuts_defaults_converge_on_a_mid_size_problem():
    """The categorical sampler defaults reach r-hat < 1.01 without divergences (2,000 judgments)."""
    j, truth, _, true_rel = simulate(n_items=400, n_raters=12, per_item=5, seed=7)
    model = DawidSkene(engine="pymc", pooling=(), random_state=0).fit(j)
    c = model.convergence_.iloc[0]
    assert c["max_r_hat"] < 1.01 and c["n_divergent"] == 0, c.to_dict()
    assert not any("r-hat" in w or "divergent" in w for w in model.warnings_)
    assert np.corrcoef(model.raters_["reliability"], true_rel)[0, 1] >= 0.95


# -- OrdinalRaters ----------------------------------------------------------------------------------
@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordinal_interval_probability_is_exact_in_both_tails(link):
    """log(F(b) - F(a)) of the PyMC ordinal likelihood against scipy's log-CDFs (reference)."""
    import pytensor.tensor as pt
    from scipy import special, stats

    from alignlab.annotators.ordinal import _log_interval_prob

    # tails as deep as float64 allows for both links (the normal CDF underflows below about -37)
    lo = np.array([-3.0, -30.0, 30.0, 8.0, -0.5, 0.2])
    hi = np.array([-1.0, -29.0, 31.0, 8.5, 0.5, 25.0])
    if link == "logit":
        log_f, log_sf = special.log_expit, lambda x: special.log_expit(-x)
    else:
        log_f, log_sf = stats.norm.logcdf, stats.norm.logsf
    # reference: the interval mass from whichever tail keeps precision, via logs (no cancellation)
    upper = lo + hi > 0
    a = np.where(upper, log_sf(lo), log_f(hi))
    b = np.where(upper, log_sf(hi), log_f(lo))
    expected = a + np.log1p(-np.exp(b - a))
    got = _log_interval_prob(pt.as_tensor(lo), pt.as_tensor(hi), link).eval()
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # the old clipped form lost the upper tail (F(31) - F(30) ~ 6e-14 in logit) to cancellation
    assert got[2] == pytest.approx(expected[2], rel=1e-9)


def test_ordinal_em_start_is_a_finite_point_of_the_pymc_model():
    import alignlab.annotators.ordinal as ordinal_module
    from alignlab.annotators import OrdinalRaters
    from tests.test_annotators_continuous_ordinal import simulate as simulate_ordinal

    frame, _ = simulate_ordinal(seed=3, n_items=120, n_raters=6, per_item=3)
    captured: dict = {}

    def capture(model, settings, **kwargs):
        captured.update(model=model, **kwargs)
        raise _Captured

    original = ordinal_module.draw_posterior
    ordinal_module.draw_posterior = capture
    try:
        with pytest.raises(_Captured):
            OrdinalRaters(engine="pymc", random_state=0).fit(frame)
    finally:
        ordinal_module.draw_posterior = original
    model, start = captured["model"], captured["initial_points"]
    assert set(start) <= {v.name for v in model.free_RVs}
    point = model.initial_point()
    for rv in model.free_RVs:
        if rv.name in start:
            transform = model.rvs_to_transforms[rv]
            value = np.asarray(start[rv.name], dtype=float)
            point[model.rvs_to_values[rv].name] = (transform.forward(value, *rv.owner.inputs).eval()
                                                   if transform else value)
    logp = model.compile_logp()
    assert np.isfinite(logp(point)) and logp(point) > logp(model.initial_point())


class _Captured(Exception):
    """Stops a fit once the PyMC model and its starting point are built."""


@pytest.mark.slow
def test_ordinal_advi_starts_at_em_and_agrees():
    from alignlab.annotators import OrdinalRaters
    from tests.test_annotators_continuous_ordinal import simulate as simulate_ordinal

    frame, truth = simulate_ordinal(seed=4, n_items=400, n_raters=8, per_item=4, spammer=False)
    em = OrdinalRaters().fit(frame)
    vi = OrdinalRaters(engine="pymc", inference="advi", sampler={"draws": 300}, random_state=0).fit(frame)
    assert ADVI_WARNING in vi.warnings_
    # reference: the EM marginal MAP of the same model; severities within 3 EM standard errors
    diff = np.abs(vi.raters_["severity"] - em.raters_["severity"])
    assert (diff < 3 * em.raters_["severity_se"]).all(), diff.max()
    assert np.corrcoef(vi.raters_["severity"], truth["severity"])[0, 1] >= 0.95  # seeded truth
