"""Every ArviZ call of alignlab lives here (one place to change for the ArviZ 1.x API).

Functions take and return InferenceData / numpy / pandas; the models never import ArviZ themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "draws",
    "hdi",
    "diagnostics",
    "diagnostic_warnings",
    "from_draws",
    "idata_to_arrays",
    "idata_from_arrays",
]


def _az() -> Any:
    import arviz as az

    return az


def draws(idata: Any, name: str) -> np.ndarray:
    """Posterior draws of ``name`` with chains and draws stacked first: ``(n_samples, *shape)``."""
    values = np.asarray(idata.posterior[name].values)
    return values.reshape(-1, *values.shape[2:])


def hdi(samples: np.ndarray, level: float) -> np.ndarray:
    """Highest-density interval along axis 0 of ``samples``: array ``(*shape, 2)``."""
    samples = np.asarray(samples, dtype=float)
    flat = samples.reshape(samples.shape[0], -1)
    out = np.asarray(_az().hdi(flat[None, :, :], hdi_prob=level))  # (1 chain, draws, params) -> (params, 2)
    return out.reshape(*samples.shape[1:], 2)


def diagnostics(idata: Any, var_names: list[str] | None = None) -> dict[str, float]:
    """``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail`` over ``var_names`` and ``n_divergent``."""
    az = _az()
    posterior = idata.posterior
    names = [v for v in (var_names or list(posterior.data_vars)) if v in posterior.data_vars]
    n_chains = int(posterior.sizes.get("chain", 1))
    max_r_hat = float("nan")
    if n_chains > 1 and names:
        rhat = az.rhat(idata, var_names=names)
        max_r_hat = float(np.nanmax([np.nanmax(np.asarray(rhat[v].values)) for v in names]))
    ess_bulk = az.ess(idata, var_names=names, method="bulk")
    ess_tail = az.ess(idata, var_names=names, method="tail")
    min_bulk = float(np.nanmin([np.nanmin(np.asarray(ess_bulk[v].values)) for v in names])) if names else np.nan
    min_tail = float(np.nanmin([np.nanmin(np.asarray(ess_tail[v].values)) for v in names])) if names else np.nan
    n_divergent = 0
    stats = getattr(idata, "sample_stats", None)
    if stats is not None:
        for key in ("diverging", "divergences"):
            if key in stats:
                n_divergent = int(np.asarray(stats[key].values).sum())
                break
    return {"max_r_hat": max_r_hat, "min_ess_bulk": min_bulk, "min_ess_tail": min_tail,
            "n_divergent": n_divergent, "n_chains": n_chains,
            "n_draws": int(posterior.sizes.get("draw", 0))}


def diagnostic_warnings(diag: dict[str, float], *, r_hat_max: float = 1.01, ess_min: float = 400) -> list[str]:
    """Plain-language warnings for r-hat above ``r_hat_max``, low ESS and divergences."""
    warnings: list[str] = []
    if np.isfinite(diag["max_r_hat"]) and diag["max_r_hat"] > r_hat_max:
        warnings.append(f"MCMC did not converge: max r-hat {diag['max_r_hat']:.3f} > {r_hat_max} "
                        "(run more tune/draws via sampler={'tune': ..., 'draws': ...}).")
    if diag["n_chains"] < 2:
        warnings.append("r-hat needs at least 2 chains; convergence was not checked (sampler={'chains': 2}).")
    low = min(diag["min_ess_bulk"], diag["min_ess_tail"])
    threshold = min(ess_min, 100 * diag["n_chains"])
    if np.isfinite(low) and low < threshold:
        warnings.append(f"low effective sample size: min ESS {low:.0f} < {threshold:.0f}; intervals are "
                        "imprecise (increase sampler draws).")
    if diag["n_divergent"] > 0:
        warnings.append(f"{diag['n_divergent']} divergent transitions: the posterior may be biased "
                        "(raise sampler target_accept, e.g. 0.95).")
    return warnings


def from_draws(posterior: dict[str, np.ndarray], *, coords: dict[str, Any] | None = None,
               dims: dict[str, list[str]] | None = None) -> Any:
    """InferenceData from ``{name: (chain, draw, *shape)}`` arrays (e.g. bootstrap replicates of EM)."""
    return _az().from_dict(posterior=posterior, coords=coords, dims=dims)


def idata_to_arrays(idata: Any) -> dict[str, np.ndarray]:
    """Flatten the posterior and sample_stats groups into ``{"group/name": array}`` (for saving)."""
    out: dict[str, np.ndarray] = {}
    for group in ("posterior", "sample_stats"):
        if hasattr(idata, group):
            data = getattr(idata, group)
            for name in data.data_vars:
                values = np.asarray(data[name].values)
                if values.dtype.kind in "biuf":
                    out[f"{group}/{name}"] = values
    return out


def idata_from_arrays(arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`idata_to_arrays` (coordinates are default integer ranges)."""
    groups: dict[str, dict[str, np.ndarray]] = {"posterior": {}, "sample_stats": {}}
    for key, values in arrays.items():
        group, name = key.split("/", 1)
        groups[group][name] = values
    return _az().from_dict(posterior=groups["posterior"], sample_stats=groups["sample_stats"] or None)


def summary(idata: Any, var_names: list[str] | None = None) -> pd.DataFrame:
    """ArviZ's summary table (mean, sd, hdi, ess, r_hat) of ``var_names``."""
    return _az().summary(idata, var_names=var_names)
