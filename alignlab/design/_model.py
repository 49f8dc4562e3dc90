"""The generative model a plan simulates from: a fitted Dawid-Skene model's confusion matrices and prevalence.

Only the public attributes of the fitted model are read (``confusion_``, ``prevalence_``, ``raters_``), so the
plan follows whatever definition of reliability the annotator module uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlab._array.agreement_kernels import alpha_distance
from alignlab._params import DataError, InvalidParameterError
from alignlab.data.judgments import Judgments, load_judgments

__all__ = ["RaterModel", "rater_model_from_fit", "posterior_worlds", "item_scores", "metric_draws", "agreement_draws"]


@dataclass(frozen=True)
class RaterModel:
    """``theta[r, k, l] = P(rater r says label l | true class k)`` and the class prevalence ``pi``."""

    rater_ids: np.ndarray
    vendors: np.ndarray
    theta: np.ndarray
    prevalence: np.ndarray
    labels: tuple[Any, ...]
    values: np.ndarray

    @property
    def n_raters(self) -> int:
        return len(self.rater_ids)

    @property
    def accuracy(self) -> np.ndarray:
        """P(rater r is right) = sum_k pi_k theta[r, k, k]."""
        idx = np.arange(len(self.labels))
        return self.theta[:, idx, idx] @ self.prevalence

    def variance_components(self) -> tuple[float, float]:
        """(sigma_b^2, sigma_w^2) of one rating's numeric value for a rater drawn uniformly from the pool.

        sigma_b^2 = Var_k(mu_k) with mu_k = mean_r E[y | k, r]; sigma_w^2 = E_k[mean_r Var(y | k, r) +
        Var_r E[y | k, r]] (the rater's own noise plus the between-rater spread, as raters are assigned at
        random to items).
        """
        v = self.values
        m = self.theta @ v  # (R, K)
        s2 = self.theta @ (v**2) - m**2
        mu = m.mean(axis=0)
        pi = self.prevalence
        sigma_b2 = float(pi @ mu**2 - (pi @ mu) ** 2)
        sigma_w2 = float(pi @ (s2.mean(axis=0) + m.var(axis=0)))
        return sigma_b2, sigma_w2

    def simulate(self, slots: np.ndarray, n_sims: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """True classes ``(S, n)`` and label codes ``(S, n, width)`` (-1 in empty slots), vectorised."""
        n, width = slots.shape
        cum_pi = np.cumsum(self.prevalence)
        z = np.minimum((rng.random((n_sims, n))[..., None] > cum_pi[None, None, :]).sum(-1), len(cum_pi) - 1)
        cum_theta = np.cumsum(self.theta, axis=-1)  # (R, K, K)
        codes = np.full((n_sims, n, width), -1, dtype=np.int64)
        K = len(self.labels)
        for t in range(width):  # a handful of slots
            present = slots[:, t] >= 0
            r = slots[present, t]
            probs = cum_theta[r[None, :], z[:, present]]  # (S, n_present, K)
            u = rng.random(probs.shape[:2])
            codes[:, present, t] = np.minimum((u[..., None] > probs).sum(-1), K - 1)
        return z, codes


def rater_model_from_fit(model: Any, judgments: Judgments, raters: list[Any]) -> RaterModel:
    """Read theta and pi from a fitted categorical annotator model's public tables."""
    labels = tuple(judgments.scale.labels)
    K = len(labels)
    conf = model.confusion_
    missing = [c for c in ("rater_id", "true_label", "label", "prob") if c not in conf.columns]
    if missing or "prevalence" not in model.prevalence_.columns:
        raise InvalidParameterError(f"model= must be a fitted categorical annotator model (DawidSkene, OneCoin, MACE, GLAD) "
                         f"whose confusion_ has rater_id, true_label, label, prob and whose prevalence_ has "
                         f"prevalence; this one lacks {missing or ['prevalence']}.")
    key = pd.MultiIndex.from_product([list(raters), list(labels), list(labels)],
                                     names=["rater_id", "true_label", "label"])
    prob = conf.set_index(["rater_id", "true_label", "label"])["prob"].reindex(key).to_numpy(dtype=float)
    if np.isnan(prob).any():  # pragma: no cover - the model reports every rater and label
        raise DataError("The fitted model's confusion_ lacks some rater/label rows; refit on the pilot.")
    theta = prob.reshape(len(raters), K, K)
    theta = theta / theta.sum(axis=-1, keepdims=True)
    prev = model.prevalence_.set_index("label")["prevalence"].reindex(list(labels)).to_numpy(dtype=float)
    prev = prev / prev.sum()
    info = model.raters_.set_index("rater_id")
    if "vendor" in info.columns and info["vendor"].notna().any():
        vendors = info["vendor"].reindex(list(raters)).fillna("(no vendor)").astype(str).to_numpy(dtype=object)
    else:
        vendors = np.full(len(raters), "(all raters)", dtype=object)
    values = judgments.scale.numeric_levels().astype(float)
    return RaterModel(rater_ids=np.asarray(raters, dtype=object), vendors=vendors, theta=theta, prevalence=prev,
                      labels=labels, values=values)


def posterior_worlds(rm: RaterModel, model: Any, judgments: Judgments, n_worlds: int,
                     rng: np.random.Generator) -> list[RaterModel]:
    """Plausible parameter sets around the fit: each confusion row ~ Dirichlet(theta_row (n_row + K)), the
    prevalence ~ Dirichlet(pi (n_items + K)), with n_row the row's expected count in the pilot.

    The mean of every draw is the fitted (pooled) estimate and its spread shrinks as 1/n like the posterior
    of a row seen n times (a conjugate approximation; the exact hierarchical posterior is the PyMC engine's).
    """
    labels = list(rm.labels)
    K = len(labels)
    key = pd.MultiIndex.from_product([list(rm.rater_ids), labels, labels], names=["rater_id", "true_label", "label"])
    conf = model.confusion_.set_index(["rater_id", "true_label", "label"])
    if "count" in conf.columns:
        counts = conf["count"].reindex(key).fillna(0.0).to_numpy(float).reshape(rm.n_raters, K, K)
    else:  # no expected counts: spread each rater's judgments over its rows by the prevalence
        per_rater = judgments.rater_info.set_index("rater_id")["n_judgments"].reindex(list(rm.rater_ids))
        counts = (per_rater.fillna(0).to_numpy(float)[:, None, None] * rm.prevalence[None, :, None]
                  * rm.theta)
    n_row = counts.sum(-1, keepdims=True)
    alpha = np.maximum(rm.theta * (n_row + K), 1e-3)
    n_items = float(model.prevalence_["expected_count"].sum()) if "expected_count" in model.prevalence_ else \
        float(judgments.n_items)
    alpha_pi = np.maximum(rm.prevalence * (n_items + K), 1e-3)
    worlds = []
    for _ in range(n_worlds):  # a few dozen draws
        g = rng.gamma(alpha)
        theta = g / g.sum(-1, keepdims=True)
        gp = rng.gamma(alpha_pi)
        worlds.append(RaterModel(rater_ids=rm.rater_ids, vendors=rm.vendors, theta=theta, prevalence=gp / gp.sum(),
                                 labels=rm.labels, values=rm.values))
    return worlds


def item_scores(codes: np.ndarray, values: np.ndarray, target: str, positive_code: int) -> np.ndarray:
    """Per-item consensus score ``(S, n)``: mean numeric value (``mean``) or majority is positive
    (``pass_rate``: 1, 0.5 on a tie, 0)."""
    present = codes >= 0
    count = present.sum(-1)
    if target == "mean":
        total = np.where(present, values[np.maximum(codes, 0)], 0.0).sum(-1)
        return total / count
    share = (present & (codes == positive_code)).sum(-1) / count
    return np.where(share > 0.5, 1.0, np.where(share == 0.5, 0.5, 0.0))


def metric_draws(scores: np.ndarray, z_value: float) -> tuple[np.ndarray, np.ndarray]:
    """Estimate (mean of item scores) and the normal interval's half-width z sd/sqrt(n), per simulation."""
    n = scores.shape[1]
    estimate = scores.mean(axis=1)
    half = z_value * scores.std(axis=1, ddof=1) / math.sqrt(n)
    return estimate, half


def _long_frame(slots: np.ndarray, codes: np.ndarray, labels: tuple[Any, ...], rater_ids: np.ndarray) -> pd.DataFrame:
    present = slots >= 0
    items, cols = np.nonzero(present)
    return pd.DataFrame({"item_id": items, "rater_id": rater_ids[slots[items, cols]],
                         "value": np.asarray(labels, dtype=object)[codes[items, cols]]})


def agreement_value(frame: pd.DataFrame, scale: Any, statistic: str, level: str) -> float:
    """The agreement statistic on one table, computed by alignlab.agreement (no interval)."""
    from alignlab import agreement

    jj = load_judgments(frame, scale=scale)
    if statistic == "krippendorff_alpha":
        return float(agreement.krippendorff_alpha(jj, level=level, ci_method="none").estimate)
    return float(agreement.fleiss_kappa(jj, ci_method="none").estimate)


def _delta(values: np.ndarray, level: str, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's difference function delta^2_ck for each of S simulations, ``(S, K, K)``: the agreement
    module's :func:`~alignlab._array.agreement_kernels.alpha_distance` (ordinal: on the ranks of the labels,
    from each simulation's marginals ``(S, K)``)."""
    order = np.argsort(values, kind="stable")
    back = np.argsort(order)
    ranked = alpha_distance(level, np.asarray(values, float)[order],
                            marginals[:, order] if level == "ordinal" else None)
    return np.broadcast_to(ranked[..., back[:, None], back[None, :]], (marginals.shape[0], len(values), len(values)))


def agreement_from_counts(counts: np.ndarray, statistic: str, level: str, values: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha or Fleiss' kappa from item x label counts ``(S, n, K)``, vectorised over S.

    alpha = 1 - (N - 1) sum_u sum_ck n_uc n_uk delta_ck / (m_u - 1) / sum_ck n_c n_k delta_ck over pairable
    items (Krippendorff 2018, ch. 12); Fleiss' kappa (P_o - P_e)/(1 - P_e) with P_o the mean of
    sum_c n_uc (n_uc - 1)/(m_u (m_u - 1)) and P_e = sum_c p_c^2 (Fleiss 1971). The tests check both
    against :mod:`alignlab.agreement`, and every plan checks its first simulated data set against it.
    """
    counts = counts.astype(float)
    m = counts.sum(-1)
    pairable = m >= 2
    counts = np.where(pairable[..., None], counts, 0.0)
    m = np.where(pairable, m, 0.0)
    if statistic == "fleiss_kappa":
        with np.errstate(divide="ignore", invalid="ignore"):
            agree = np.where(pairable, (counts * (counts - 1)).sum(-1) / (m * (m - 1)), 0.0)
        p_o = agree.sum(-1) / pairable.sum(-1)
        p = counts.sum(1) / m.sum(-1, keepdims=True)
        p_e = (p**2).sum(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (p_o - p_e) / (1 - p_e)
    marg = counts.sum(1)  # (S, K)
    big_n = marg.sum(-1)
    delta = _delta(values, level, marg)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(pairable, 1.0 / (m - 1), 0.0)
        observed = np.einsum("sn,snc,sck,snk->s", w, counts, delta, counts)
        expected = np.einsum("sc,sck,sk->s", marg, delta, marg)
        return 1.0 - (big_n - 1) * observed / expected


def agreement_draws(model: RaterModel, slots: np.ndarray, codes: np.ndarray, scale: Any, statistic: str,
                    level: str) -> np.ndarray:
    """The agreement statistic on each simulated data set (items with at least two raters).

    Vectorised over simulations (:func:`agreement_from_counts`); the first data set is recomputed by
    :mod:`alignlab.agreement` and must agree to 1e-8.
    """
    paired = (slots >= 0).sum(axis=1) >= 2
    sub_slots, sub_codes = slots[paired], codes[:, paired]
    K = len(model.labels)
    S, n, width = sub_codes.shape
    flat = (np.arange(S * n)[:, None] * K + np.where(sub_codes >= 0, sub_codes, 0).reshape(S * n, width))
    weights = (sub_codes >= 0).reshape(S * n, width).astype(float)
    counts = np.bincount(flat.ravel(), weights=weights.ravel(), minlength=S * n * K).reshape(S, n, K)
    out = agreement_from_counts(counts, statistic, level, model.values)
    reference = agreement_value(_long_frame(sub_slots, sub_codes[0], model.labels, model.rater_ids), scale,
                                statistic, level)
    if np.isfinite(reference) and not abs(reference - out[0]) <= 1e-8 * max(1.0, abs(reference)):
        raise RuntimeError(f"internal check failed: vectorised {statistic} {out[0]!r} != alignlab.agreement "
                           f"{reference!r}")  # pragma: no cover
    return out
