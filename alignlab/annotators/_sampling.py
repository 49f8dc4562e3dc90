"""Sample a PyMC model: nutpie with its JAX backend when installed (the ``fast`` extra), else PyMC NUTS.

Measured on the issue's machine: a marginalised Dawid–Skene on 10k labels compiles in ~2 s and samples
in ~20 s with nutpie+JAX versus ~170 s with PyMC's default NUTS, so nutpie is preferred whenever it
imports. Diagnostics (r-hat, ESS, divergences) are computed by :mod:`._arviz` and returned as
plain-language warnings that the models store in ``warnings_``.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alignlab._params import check_random_state
from alignlab.annotators import _arviz

__all__ = ["SamplingOutcome", "sample_model", "fit_advi", "draw_posterior", "nutpie_available", "ADVI_ITERATIONS"]

#: maximum ADVI iterations (``inference="advi"``); a convergence check stops earlier (see :func:`fit_advi`)
ADVI_ITERATIONS = 20_000
ADVI_WARNING = ("inference='advi': a mean-field variational approximation; its intervals are usually too "
                "narrow (use inference='nuts' when the data are not too large).")


def nutpie_available() -> bool:
    """nutpie and JAX are both importable (the ``fast`` extra)."""
    return importlib.util.find_spec("nutpie") is not None and importlib.util.find_spec("jax") is not None


@dataclass
class SamplingOutcome:
    """The posterior and how it was obtained."""

    idata: Any
    sampler: str
    diagnostics: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    seconds: float = float("nan")


def _seed(random_state: Any) -> int:
    return int(check_random_state(random_state).integers(0, 2**31 - 1))


def sample_model(
    model: Any,
    settings: Mapping[str, Any],
    *,
    random_state: Any = None,
    var_names: list[str] | None = None,
    check_names: list[str] | None = None,
    initial_points: Mapping[str, np.ndarray] | None = None,
) -> SamplingOutcome:
    """Draw from ``model`` (a ``pymc.Model``) with the validated ``settings``.

    Parameters
    ----------
    settings : mapping
        Output of :func:`alignlab.annotators._base.validate_sampler`: ``chains``, ``draws``, ``tune``,
        ``target_accept``, ``backend`` ("auto", "nutpie", "pymc"), ``cores``, ``progressbar``,
        ``mass_matrix`` ("diag", or "low_rank" with nutpie).
    var_names : list of str, optional
        Variables to keep (deterministics included); default all.
    check_names : list of str, optional
        Variables whose r-hat/ESS are checked (default ``var_names``).
    initial_points : mapping, optional
        Starting values of free variables (constrained scale, e.g. the EM solution), jittered per chain
        as usual (PyMC's ``initvals`` / nutpie's ``initial_points``): warm-up starts near the mode
        instead of at the prior's centre, while the jitter keeps the chains apart for r-hat.
    """
    backend = settings["backend"]
    if backend == "auto":
        backend = "nutpie" if nutpie_available() else "pymc"
    if backend == "nutpie" and not nutpie_available():
        raise ImportError("sampler={'backend': 'nutpie'} needs nutpie and jax: pip install 'alignlab[fast]'.")
    seed = _seed(random_state)
    start = time.perf_counter()
    if backend == "nutpie":
        import nutpie

        with warnings.catch_warnings():
            # nutpie/JAX emit deprecation and "falling back" chatter that users cannot act on
            warnings.simplefilter("ignore")
            compiled = nutpie.compile_pymc_model(model, backend="jax", gradient_backend="jax",
                                                 var_names=var_names, initial_points=_initial(initial_points))
            idata = nutpie.sample(
                compiled, draws=int(settings["draws"]), tune=int(settings["tune"]), chains=int(settings["chains"]),
                cores=int(settings["cores"]), seed=seed, progress_bar=bool(settings["progressbar"]),
                target_accept=float(settings["target_accept"]), save_warmup=False,
                low_rank_modified_mass_matrix=settings.get("mass_matrix", "diag") == "low_rank",
            )
        label = "nutpie(jax)"
    else:
        import logging

        import pymc as pm

        pymc_logger = logging.getLogger("pymc")
        previous_level = pymc_logger.level
        pymc_logger.setLevel(logging.ERROR)  # keep PyMC's progress chatter out of user output
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = pm.sample(
                draws=int(settings["draws"]), tune=int(settings["tune"]), chains=int(settings["chains"]),
                cores=int(settings["cores"]), random_seed=seed, progressbar=bool(settings["progressbar"]),
                target_accept=float(settings["target_accept"]), model=model, var_names=var_names,
                compute_convergence_checks=False, initvals=_initial(initial_points),
            )
        pymc_logger.setLevel(previous_level)
        label = "pymc-nuts"
    seconds = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns on tiny test posteriors (few draws)
        diag = _arviz.diagnostics(idata, check_names or var_names)
    diag_warnings = _arviz.diagnostic_warnings(diag)
    return SamplingOutcome(idata=idata, sampler=label, diagnostics=diag, warnings=diag_warnings,
                           seconds=seconds)


def _initial(initial_points: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
    return None if not initial_points else {k: np.asarray(v, dtype=float) for k, v in initial_points.items()}


def fit_advi(
    model: Any,
    settings: Mapping[str, Any],
    *,
    random_state: Any = None,
    var_names: list[str] | None = None,
    initial_points: Mapping[str, np.ndarray] | None = None,
    n_iterations: int = ADVI_ITERATIONS,
) -> SamplingOutcome:
    """Mean-field ADVI (``pymc.fit``) for very large inputs; ``settings["draws"]`` draws of the approximation.

    Starts at ``initial_points`` when given (the EM solution: the means then only refine and the
    widths settle, starting at 0.1 on the unconstrained scale), and then stops when the negative
    ELBO no longer falls: the mean loss of the last :data:`_ADVI_WINDOW` iterations is not lower
    than the previous window's by more than twice its standard error (or after ``n_iterations``).
    Without a starting point it runs all ``n_iterations``: from the prior's centre the loss can
    creep down slowly enough to look flat over a window (measured: ContinuousRaters stopped far
    from the EM solution).
    There are no MCMC diagnostics; the outcome carries the warning that mean-field intervals are
    too narrow.
    """
    import logging

    import pymc as pm

    seed = _seed(random_state)
    start = time.perf_counter()
    logger = logging.getLogger("pymc")
    # PyTensor logs (and then skips) a failed elementwise-fusion rewrite of the ADVI graph
    # ("KeyError: mu"); the compiled function is correct, the traceback is noise to users
    rewrite_logger = logging.getLogger("pytensor.graph.rewriting.basic")
    level, rewrite_level = logger.level, rewrite_logger.level
    logger.setLevel(logging.ERROR)
    rewrite_logger.setLevel(logging.CRITICAL)
    try:
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyMC's ADVI progress and convergence chatter
            start_sigma = None
            if initial_points:
                start_sigma = {model.rvs_to_values[v].name: 0.1 for v in model.free_RVs}
            approx = pm.fit(n=int(n_iterations), method="advi", random_seed=seed, progressbar=False,
                            start=_initial(initial_points), start_sigma=start_sigma,
                            callbacks=[_elbo_plateau] if initial_points else [])
            idata = approx.sample(draws=int(settings["draws"]), random_seed=seed)
    finally:
        logger.setLevel(level)
        rewrite_logger.setLevel(rewrite_level)
    if var_names is not None:
        idata.posterior = idata.posterior[[v for v in var_names if v in idata.posterior]]
    n_done = len(approx.hist)
    return SamplingOutcome(idata=idata, sampler="advi", diagnostics={"n_iterations": float(n_done)},
                           warnings=[ADVI_WARNING], seconds=time.perf_counter() - start)


_ADVI_WINDOW = 500


def _elbo_plateau(approx: Any, losses: np.ndarray, i: int) -> None:
    """ADVI callback: stop (``StopIteration``) once the windowed mean loss stops falling significantly.

    PyMC's ``CheckParametersConvergence`` tracks parameter changes, which stochastic-gradient noise
    keeps above any useful tolerance; the loss plateau is the usual criterion (as in Stan's ADVI).
    """
    w = _ADVI_WINDOW
    if i % w or len(losses) < 2 * w:
        return
    recent, before = np.asarray(losses[-w:], dtype=float), np.asarray(losses[-2 * w:-w], dtype=float)
    if not (np.isfinite(recent).all() and np.isfinite(before).all()):
        return
    se = np.sqrt(recent.var() / w + before.var() / w)
    if before.mean() - recent.mean() < 2.0 * se:
        raise StopIteration(f"ELBO converged after {i} iterations")


def draw_posterior(
    model: Any,
    settings: Mapping[str, Any],
    *,
    inference: str,
    random_state: Any = None,
    var_names: list[str] | None = None,
    check_names: list[str] | None = None,
    initial_points: Mapping[str, np.ndarray] | None = None,
) -> SamplingOutcome:
    """NUTS (:func:`sample_model`) or mean-field ADVI (:func:`fit_advi`), as ``inference`` says."""
    if inference == "advi":
        return fit_advi(model, settings, random_state=random_state, var_names=var_names,
                        initial_points=initial_points)
    return sample_model(model, settings, random_state=random_state, var_names=var_names,
                        check_names=check_names, initial_points=initial_points)


def posterior_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed posterior interval along axis 0 (what ``ci_method='posterior-quantile'`` means)."""
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return low, high
