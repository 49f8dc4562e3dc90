"""BradleyTerry: system scores from A/B/tie judgments with per-rater reliability (noisy Bradley–Terry)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import special

from alignlab._array.annotators_continuous_ordinal import GRID, ordinal_map
from alignlab._params import MODEL_N_RESAMPLES, DataError, Interval, InvalidParameterError, Options
from alignlab.annotators import _reliability
from alignlab.annotators._base import AnnotatorModel, empty_rater_frame
from alignlab.annotators._continuous_common import (
    group_summary,
    history_priors,
    rater_groups,
    z_value,
)
from alignlab.annotators._sampling import draw_posterior
from alignlab.annotators.ordinal import thinned
from alignlab.data import Judgments

__all__ = ["BradleyTerry"]

#: code of each pairwise label on the ordered latent-preference scale (B < tie < A)
_ORDER = {"B": 0, "tie": 1, "A": 2}


class BradleyTerry(AnnotatorModel):
    """System quality from pairwise A/B/tie judgments, with per-rater reliability and position bias.

    Every item compares the outputs of ``system_a`` and ``system_b``. Its latent preference for the
    first output is ``D_i ~ N(theta_a - theta_b, 1)``: the Bradley–Terry system scores ``theta`` plus an
    item-level deviation (some prompts favour the weaker system). Rater ``j`` says B, tie or A by an
    ordered logit on ``D_i``: ``P(y <= B) = F(d_j(-h + s_j - D_i))``, ``P(y <= tie) = F(d_j(h + s_j -
    D_i))``: ``h`` is the tie band (ties in the spirit of Rao–Kupper / Davidson), ``s_j`` the rater's
    position bias (negative = prefers the first output) and ``d_j`` its discrimination. A rater with
    ``d_j`` near 0 answers at random (a spammer) and gets reliability near 0.

    ``reliability`` is the one every discrete model reports (:mod:`alignlab.annotators._reliability`):
    the kappa of the rater's label with the item's latent class (A when ``D_i > h``, B when ``D_i <
    -h``, tie in between, as in ``proba_``) from the confusion matrix the model implies over the
    items' preference distribution, with linear weights on B < tie < A: a tie given for a clear
    preference, or a preference given for a tie, earns half credit, the opposite preference none, and
    every class counts by its prevalence (rare ties do not dominate). Position bias lowers it.
    ``spammer_prob`` = P(|reliability| < 0.2). The discrimination is positive, so the model cannot
    describe a judge worse than chance (one that prefers the wrong output): such a judge is fitted
    as a spammer; :class:`~alignlab.annotators.DawidSkene` reports its negative reliability. EM
    intervals: quantiles over ``n_resamples`` draws of position bias and log-discrimination from the
    normal approximation of the observed information.

    Parameters
    ----------
    engine : {"em", "pymc"}
        ``"em"``: marginal MAP (item preferences integrated out on a grid), intervals from the observed
        information. ``"pymc"``: full posterior.
    inference : {"nuts", "advi"}
        PyMC engine only: NUTS, or mean-field ADVI for very large inputs (faster, intervals too narrow).
    prior_scale : float
        Prior sd of the system scores (units of the item-level preference sd).
    rater_priors : DataFrame, optional
        Rater history: ``rater_id, position_bias, position_bias_sd`` (e.g. an earlier fit's
        ``raters_[["rater_id", "position_bias", "position_bias_se"]]``) replaces the group prior of the
        latent position bias for those raters; conventions under "Rater history" in
        :mod:`alignlab.annotators`.
    confidence_level, n_resamples, sampler, random_state
        As in every annotator model (EM engine: ``n_resamples`` draws of the rater parameters give
        the reliability interval).

    Attributes
    ----------
    systems_ : DataFrame
        ``system, score, score_low, score_high, score_se, n_comparisons, win_rate`` (raw share of wins,
        ties counting one half) sorted by score. Scores are centred (mean 0); the difference of two
        scores is the latent log-odds-like preference between the systems.
    raters_ : DataFrame
        ``rater_id, method, vendor, n, bias, bias_low, bias_high, reliability, reliability_low,
        reliability_high, spammer_prob`` then ``adversarial_prob``, ``informativeness`` (+ interval),
        ``position_bias`` (latent, with ``position_bias_se``),
        ``discrimination`` and their intervals. ``bias`` is the position bias in probability units: P(A) - P(B) for two equally good
        outputs (0 = no preference for either position).
    items_ : DataFrame
        ``item_id, n, system_a, system_b, preference, preference_sd, preference_low, preference_high``.

    Notes
    -----
    Bradley & Terry (1952); ties: Rao & Kupper (1967), Davidson (1970). The rater layer follows the
    ordinal rater model (:class:`OrdinalRaters`) with the item quality replaced by the pairwise
    preference. System-score intervals come from the empirical observed information of the item-level
    scores (EM) or posterior quantiles (PyMC).

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import BradleyTerry
    >>> judgments = alignlab.datasets.load("pandalm")
    >>> model = BradleyTerry().fit(judgments)
    >>> model.systems_["system"].iloc[0]
    'llama-7b'
    """

    _model_name: ClassVar[str] = "noisy Bradley-Terry model"
    _supported_scales: ClassVar[tuple[str, ...]] = ("pairwise",)
    _minimum_data: ClassVar[dict[str, int]] = {"items": 2}  # comparisons judged once still rank the systems
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "inference": [Options(("nuts", "advi"))],
        "prior_scale": [Interval("real", 0, None, closed="neither")],
        "rater_priors": [pd.DataFrame, None],
    }
    _state_attributes: ClassVar[tuple[str, ...]] = ("raters_", "items_", "systems_", "groups_", "proba_", "idata_")

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        prior_scale: float = 5.0,
        rater_priors: pd.DataFrame | None = None,
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, confidence_level=confidence_level, n_resamples=n_resamples,
                         sampler=sampler, random_state=random_state)
        self.inference = inference
        self.prior_scale = prior_scale
        self.rater_priors = rater_priors

    def _check_data(self, judgments: Judgments) -> None:
        super()._check_data(judgments)
        missing = [c for c in ("system_a", "system_b") if not judgments.has(c)]
        if missing:
            raise InvalidParameterError(
                f"BradleyTerry needs the columns 'system_a' and 'system_b' (which systems each item compares); "
                f"missing {missing}. Pass system_a=..., system_b=... to load_judgments."
            )
        info = judgments.item_info
        if (info["system_a"].astype(str) == info["system_b"].astype(str)).any():
            bad = info.loc[info["system_a"].astype(str) == info["system_b"].astype(str), "item_id"].head(3).tolist()
            raise DataError(f"BradleyTerry: items {bad} compare a system with itself (system_a == system_b); "
                             "drop them or fix the system columns.")

    def _design(self, judgments: Judgments) -> tuple[sp.csr_matrix, pd.Index, np.ndarray, np.ndarray]:
        info = judgments.item_info
        a = info["system_a"].astype(str).to_numpy()
        b = info["system_b"].astype(str).to_numpy()
        systems = pd.Index(np.unique(np.concatenate([a, b])), name="system")
        ia, ib = systems.get_indexer(a), systems.get_indexer(b)
        n = len(info)
        rows = np.concatenate([np.arange(n), np.arange(n)])
        design = sp.csr_matrix((np.r_[np.ones(n), -np.ones(n)], (rows, np.r_[ia, ib])), shape=(n, len(systems)))
        return design, systems, ia, ib

    def _labels(self, judgments: Judgments) -> np.ndarray:
        labels = np.array([_ORDER[str(v)] for v in judgments.scale.labels])
        return labels[judgments.label_codes]

    def _systems_frame(self, judgments: Judgments, systems: pd.Index, ia: np.ndarray, ib: np.ndarray,
                       score: np.ndarray, low: np.ndarray, high: np.ndarray, se: np.ndarray) -> pd.DataFrame:
        codes = self._labels(judgments)
        item = judgments.item_codes
        win_a = codes / 2.0  # A = 1, tie = 0.5, B = 0
        k = len(systems)
        wins = np.bincount(ia[item], win_a, k) + np.bincount(ib[item], 1 - win_a, k)
        n = np.bincount(ia[item], minlength=k) + np.bincount(ib[item], minlength=k)
        frame = pd.DataFrame({"system": systems.to_numpy(), "score": score, "score_low": low, "score_high": high,
                              "score_se": se, "n_comparisons": n, "win_rate": wins / np.maximum(n, 1)})
        return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    def _history(self, judgments: Judgments) -> dict[str, np.ndarray]:
        return history_priors(self.rater_priors, judgments.raters, ("position_bias", "position_bias_sd"),
                              type(self).__name__)

    # ------------------------------------------------------------------------------------------
    def _fit_em(self, judgments: Judgments) -> None:
        design, systems, ia, ib = self._design(judgments)
        group, _ = rater_groups(judgments.rater_info)
        priors = self._history(judgments)
        fit = ordinal_map(
            judgments.item_codes, judgments.rater_codes, self._labels(judgments), n_items=judgments.n_items,
            n_raters=judgments.n_raters, n_categories=3, group=group,
            weight=judgments.frame["weight"].to_numpy(dtype=float), link="logit", design=design,
            prior_severity_mean=priors["position_bias"], prior_severity_sd=priors["position_bias_sd"],
        )
        if not fit.converged:
            self.warnings_.append(f"the optimiser stopped after {fit.n_iter} iterations without converging.")
        self.n_iter_ = fit.n_iter  # L-BFGS iterations over all empirical-Bayes rounds (as ContinuousRaters)
        level = self.interval_level_
        z = z_value(level)
        se = np.sqrt(np.maximum(np.diag(fit.theta_cov), 0.0))
        self.systems_ = self._systems_frame(judgments, systems, ia, ib, fit.theta, fit.theta - z * se,
                                            fit.theta + z * se, se)
        sev, sev_se = fit.severity, fit.severity_se
        ld, ld_se = fit.log_discrimination, fit.log_discrimination_se
        post = fit.item_posterior
        rater_draws = _reliability.normal_draws(sev, sev_se, ld, ld_se, fit.thresholds, self.n_resamples,
                                                self.random_state_)
        rater_point = {"thresholds": fit.thresholds, "severity": sev[None], "discrimination": np.exp(ld)[None]}
        self._finish(judgments, fit.thresholds, sev, sev - z * sev_se, sev + z * sev_se, np.exp(ld),
                     np.exp(ld - z * ld_se), np.exp(ld + z * ld_se), rater_draws, GRID, post.mean(axis=0),
                     rater_point=rater_point)
        mean = post @ GRID
        sd = np.sqrt(np.maximum(post @ GRID**2 - mean**2, 0.0))
        cdf = np.cumsum(post, axis=1)
        alpha = (1 - level) / 2
        low = GRID[np.minimum(np.argmax(cdf >= alpha, axis=1), len(GRID) - 1)]
        high = GRID[np.minimum(np.argmax(cdf >= 1 - alpha, axis=1), len(GRID) - 1)]
        h = 0.5 * (fit.thresholds[1] - fit.thresholds[0])
        proba = np.stack([post @ (GRID > h), post @ (GRID < -h), post @ ((GRID >= -h) & (GRID <= h))], axis=1)
        self._set_items(judgments, mean, sd, low, high, proba)
        self.ci_method_ = "observed-information(em)"
        self.tie_band_ = float(h)

    def _finish(self, judgments: Judgments, thresholds: np.ndarray, sev: np.ndarray, sev_low: np.ndarray,
                sev_high: np.ndarray, disc: np.ndarray, disc_low: np.ndarray, disc_high: np.ndarray,
                rater_draws: dict[str, np.ndarray], nodes: np.ndarray, node_weight: np.ndarray,
                rater_point: dict[str, np.ndarray] | None = None) -> None:
        level = self.interval_level_

        def position_bias(s: np.ndarray) -> np.ndarray:  # P(A) - P(B) at zero preference
            p_b = special.expit(disc * (thresholds[0] + s))
            p_a = 1.0 - special.expit(disc * (thresholds[1] + s))
            return p_a - p_b

        bias = position_bias(sev)
        b1, b2 = position_bias(sev_low), position_bias(sev_high)
        frame = empty_rater_frame(judgments)
        frame["bias"] = bias
        frame["bias_low"] = np.minimum(b1, b2)
        frame["bias_high"] = np.maximum(b1, b2)
        # labels coded B = 0, tie = 1, A = 2 (the order of the latent preference): weights on 0, 1/2, 1
        summary = _reliability.latent_columns(nodes, node_weight, _reliability.linear_weights(np.array([0, 0.5, 1])),
                                              "logit", level, rater_draws, rater_point)
        for column in ("reliability", "reliability_low", "reliability_high", "spammer_prob", "adversarial_prob",
                       "informativeness", "informativeness_low", "informativeness_high"):
            frame[column] = summary[column]
        frame["position_bias"], frame["position_bias_low"], frame["position_bias_high"] = sev, sev_low, sev_high
        frame["position_bias_se"] = (sev_high - sev_low) / (2 * z_value(level))
        frame["discrimination"], frame["discrimination_low"], frame["discrimination_high"] = disc, disc_low, disc_high
        self.raters_ = frame
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        raters = frame.copy()
        zz = 2 * z_value(level)
        raters["bias_se"] = (frame["bias_high"] - frame["bias_low"]) / zz
        raters["reliability_se"] = (frame["reliability_high"] - frame["reliability_low"]) / zz
        self.groups_ = group_summary(raters, ("bias", "reliability"), ("bias_se", "reliability_se"), level)

    def _set_items(self, judgments: Judgments, mean: np.ndarray, sd: np.ndarray, low: np.ndarray, high: np.ndarray,
                   proba: np.ndarray) -> None:
        info = judgments.item_info
        self.items_ = pd.DataFrame({
            "item_id": judgments.items, "n": info["n_judgments"].to_numpy(),
            "system_a": info["system_a"].to_numpy(), "system_b": info["system_b"].to_numpy(),
            "preference": mean, "preference_sd": sd, "preference_low": low, "preference_high": high,
        })
        self.proba_ = pd.DataFrame(proba, index=pd.Index(judgments.items, name="item_id"), columns=["A", "B", "tie"])

    # ------------------------------------------------------------------------------------------
    def _fit_pymc(self, judgments: Judgments) -> None:
        import pymc as pm
        import pytensor.tensor as pt

        from alignlab.annotators import _arviz
        from alignlab.annotators._sampling import posterior_interval

        design, systems, ia, ib = self._design(judgments)
        group, _ = rater_groups(judgments.rater_info)
        n_g, n_r, n_i, k = int(group.max()) + 1, judgments.n_raters, judgments.n_items, len(systems)
        item, rater, label = judgments.item_codes, judgments.rater_codes, self._labels(judgments)
        weight = judgments.frame["weight"].to_numpy(dtype=float)
        priors = self._history(judgments)
        has_hist = np.isfinite(priors["position_bias"]) & np.isfinite(priors["position_bias_sd"])
        with pm.Model() as model:
            raw_theta = pm.Normal("raw_score", 0.0, float(self.prior_scale), shape=k)
            theta = pm.Deterministic("score", raw_theta - pt.mean(raw_theta))
            z_item = pm.Normal("z_item", 0.0, 1.0, shape=n_i)
            pref = pm.Deterministic("preference", theta[ia] - theta[ib] + z_item)
            half_band = pm.HalfNormal("tie_band", 2.0)
            group_pos = pm.Normal("group_position_bias", 0.0, 1.0, shape=n_g)
            pos_sd = pm.HalfNormal("position_bias_sd", 1.0)
            z_pos = pm.Normal("z_position", 0.0, 1.0, shape=n_r)
            pos = pm.Deterministic("position_bias", pt.switch(
                has_hist, np.nan_to_num(priors["position_bias"]) + np.nan_to_num(priors["position_bias_sd"], nan=1.0) * z_pos,
                group_pos[group] + pos_sd * z_pos))
            group_ld = pm.Normal("group_log_discrimination", 0.0, 1.0, shape=n_g)
            ld_sd = pm.HalfNormal("log_discrimination_sd", 0.5)
            z_d = pm.Normal("z_discrimination", 0.0, 1.0, shape=n_r)
            disc = pm.Deterministic("discrimination", pt.exp(group_ld[group] + ld_sd * z_d))
            ext = pt.stack([pt.as_tensor(-30.0), -half_band, half_band, pt.as_tensor(30.0)])
            base = pos[rater] - pref[item]
            hi = pm.math.sigmoid(disc[rater] * (ext[label + 1] + base))
            lo = pm.math.sigmoid(disc[rater] * (ext[label] + base))
            pm.Potential("labels", pt.sum(weight * pt.log(pt.clip(hi - lo, 1e-12, 1.0))))
        keep = ["score", "preference", "tie_band", "position_bias", "discrimination"]
        outcome = draw_posterior(model, self._sampler_settings(), inference=self.inference, random_state=self.random_state_, var_names=keep,
                               check_names=["score", "position_bias", "discrimination"])
        self.idata_ = outcome.idata
        self.warnings_.extend(outcome.warnings)
        self.sampler_ = outcome.sampler
        level = self.interval_level_
        theta_d = _arviz.draws(outcome.idata, "score")
        lo, hi = posterior_interval(theta_d, level)
        self.systems_ = self._systems_frame(judgments, systems, ia, ib, theta_d.mean(0), lo, hi, theta_d.std(0))
        pos_d = _arviz.draws(outcome.idata, "position_bias")
        disc_d = _arviz.draws(outcome.idata, "discrimination")
        h = float(_arviz.draws(outcome.idata, "tie_band").mean())
        s_lo, s_hi = posterior_interval(pos_d, level)
        d_lo, d_hi = posterior_interval(disc_d, level)
        pref_d = _arviz.draws(outcome.idata, "preference")
        keep_draws = thinned(len(pos_d))
        band_d = _arviz.draws(outcome.idata, "tie_band")[keep_draws]
        rater_draws = {"thresholds": np.stack([-band_d, band_d], axis=1), "severity": pos_d[keep_draws],
                       "discrimination": disc_d[keep_draws]}
        # the items' preference distribution: quantiles of the pooled posterior draws
        nodes = np.quantile(pref_d[keep_draws].ravel(), np.linspace(0.005, 0.995, 101))
        self._finish(judgments, np.array([-h, h]), pos_d.mean(0), s_lo, s_hi, np.exp(np.log(disc_d).mean(0)),
                     d_lo, d_hi, rater_draws, nodes, np.full(101, 1 / 101))
        p_lo, p_hi = posterior_interval(pref_d, level)
        proba = np.stack([(pref_d > h).mean(0), (pref_d < -h).mean(0), (np.abs(pref_d) <= h).mean(0)], axis=1)
        self._set_items(judgments, pref_d.mean(0), pref_d.std(0), p_lo, p_hi, proba)
        self.ci_method_ = f"posterior-quantile({outcome.sampler})"
        self.tie_band_ = h
