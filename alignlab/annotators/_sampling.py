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

__all__ = ["SamplingOutcome", "sample_model", "nutpie_available"]


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
) -> SamplingOutcome:
    """Draw from ``model`` (a ``pymc.Model``) with the validated ``settings``.

    Parameters
    ----------
    settings : mapping
        Output of :func:`alignlab.annotators._base.validate_sampler`: ``chains``, ``draws``, ``tune``,
        ``target_accept``, ``backend`` ("auto", "nutpie", "pymc"), ``cores``, ``progressbar``.
    var_names : list of str, optional
        Variables to keep (deterministics included); default all.
    check_names : list of str, optional
        Variables whose r-hat/ESS are checked (default ``var_names``).
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
                                                 var_names=var_names)
            idata = nutpie.sample(
                compiled, draws=int(settings["draws"]), tune=int(settings["tune"]), chains=int(settings["chains"]),
                cores=int(settings["cores"]), seed=seed, progress_bar=bool(settings["progressbar"]),
                target_accept=float(settings["target_accept"]), save_warmup=False,
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
                compute_convergence_checks=False,
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


def posterior_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed posterior interval along axis 0 (what ``ci_method='posterior-quantile'`` means)."""
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return low, high
