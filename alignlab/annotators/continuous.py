"""ContinuousRaters: numeric scores with rater bias, scale and noise (Raykar et al. 2010)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special  # normal cdf by special.ndtr: importing scipy.stats costs ~0.5 s

from alignlab._array.annotators_continuous_em import continuous_em
from alignlab._params import MODEL_N_RESAMPLES, DataError, Interval, Options
from alignlab.annotators._base import AnnotatorModel, empty_rater_frame
from alignlab.annotators._continuous_common import (
    group_summary,
    history_priors,
    online_signals,
    rater_groups,
    z_value,
)
from alignlab.annotators._sampling import draw_posterior
from alignlab.data import Judgments

__all__ = ["ContinuousRaters"]

#: reliability below which a rater counts as a spammer (``spammer_prob`` = P(reliability < this))
SPAMMER_RELIABILITY = 0.1


class ContinuousRaters(AnnotatorModel):
    """Latent item quality with rater bias (additive), scale (multiplicative) and noise.

    ``y_ij = a_j T_i + b_j + e_ij``, ``e_ij ~ N(0, sigma_j^2)`` (or Student-t), ``T_i ~ N(mu, tau^2)``.
    Raters are grouped by ``method`` (and ``vendor``): biases are shrunk toward their group mean and
    noise variances toward their group's typical noise (hierarchical priors, estimated). Reliability
    is the share of a rater's variance that is signal, ``a_j^2 tau^2 / (a_j^2 tau^2 + sigma_j^2)``.

    Parameters
    ----------
    engine : {"em", "pymc"}
        ``"em"``: vectorised MAP/EM with empirical-Bayes hyperparameters, intervals from the observed
        information (seconds on millions of judgments). ``"pymc"``: full posterior (nutpie+JAX when
        installed), intervals are posterior quantiles.
    inference : {"nuts", "advi"}
        PyMC engine only: NUTS, or mean-field ADVI for very large inputs (faster, intervals too narrow).
    scale : {"fixed", "rater"}
        ``"fixed"`` keeps ``a_j = 1`` (bias and noise only); ``"rater"`` estimates every rater's scale
        (prior N(1, 0.5^2)); the raters' average scale is 1.
    noise : {"normal", "student_t"}
        Student-t noise (``noise_df`` degrees of freedom) down-weights outlying scores.
    noise_df : float
        Degrees of freedom of the Student-t noise.
    item_prior : {"normal", "flat"}
        ``"normal"`` shrinks item quality toward the population mean (the Bayes estimate);
        ``"flat"`` does not (the consensus is the bias-corrected, precision-weighted mean).
    noise_pooling : float
        Prior degrees of freedom of every rater's noise variance around its group's typical value:
        larger values pool noise estimates more strongly (useful with few judgments per rater).
    rater_priors : DataFrame, optional
        History: ``rater_id`` and any of ``bias``, ``bias_sd``, ``noise_sd``, ``noise_df`` (a rater's
        earlier bias estimate and its uncertainty, an earlier noise sd and how many judgments back
        it). Replaces the group prior for those raters. ``bias_se`` (an earlier fit's
        ``raters_``) is accepted as ``bias_sd``; conventions under "Rater history" in
        :mod:`alignlab.annotators`.
    confidence_level : float
        Level of every interval.
    n_resamples : int
        Unused by this model (kept for the common estimator signature).
    sampler : mapping, optional
        PyMC engine settings: ``chains``, ``draws``, ``tune``, ``target_accept``, ``backend``,
        ``cores``, ``progressbar``.
    random_state : int or Generator, optional

    Attributes
    ----------
    raters_ : DataFrame
        ``rater_id, method, vendor, n, bias, bias_low, bias_high, reliability, reliability_low,
        reliability_high, spammer_prob, bias_se, scale, scale_low, scale_high, noise_sd, noise_sd_low,
        noise_sd_high``. Bias is in the units of the scores, relative to the raters' average (or to
        the gold values when some items have gold).
    items_ : DataFrame
        ``item_id, n, quality, quality_sd, quality_low, quality_high`` (and ``gold``).
    groups_ : DataFrame
        Average bias and reliability per method and per vendor, with intervals.
    signals_ : DataFrame
        Online signals (``Judgments.aggregates``): ``signal, n_items, slope, intercept, reliability``
        on the logit scale (present when the table has aggregates).
    idata_ : arviz.InferenceData
        PyMC engine only.

    Notes
    -----
    Identification: without gold, ``mean_j b_j = 0`` and ``mean_j a_j = 1`` over the raters (online
    signals excluded), so bias reads "how much higher than the average rater". With gold items
    (a ``gold`` column), their quality is clamped to the gold value and bias is relative to gold.
    Online signals (per-item successes/trials) enter as a measurement of the same quality on the
    logit scale, with their own intercept, slope and extra noise: exactly binomial in the PyMC
    engine, through the empirical logit and its sampling variance in the EM engine.

    EM intervals: per-rater blocks of the empirical observed information (scores from the Fisher
    identity) plus the prior precision; item intervals are the Gaussian posterior given the
    estimated rater parameters. Raykar et al. (2010), *Learning from crowds*, JMLR 11.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.annotators import ContinuousRaters
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(50, 10, 200)
    >>> rows = [(i, f"r{j}", truth[i] + 4 * (j == 0) + rng.normal(0, 3))
    ...         for i in range(200) for j in range(4)]
    >>> frame = pd.DataFrame(rows, columns=["item_id", "rater_id", "value"])
    >>> model = ContinuousRaters(random_state=0).fit(frame)
    >>> bool(model.raters_.loc[0, "bias"] > 2.5)
    True
    """

    _model_name: ClassVar[str] = "continuous rater model"
    _supported_scales: ClassVar[tuple[str, ...]] = ("continuous", "ordinal", "binary")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "inference": [Options(("nuts", "advi"))],
        "scale": [Options(("fixed", "rater"))],
        "noise": [Options(("normal", "student_t"))],
        "noise_df": [Interval("real", 1, None, closed="both")],
        "item_prior": [Options(("normal", "flat"))],
        "noise_pooling": [Interval("real", 0, None, closed="both")],
        "rater_priors": [pd.DataFrame, None],
    }
    _state_attributes: ClassVar[tuple[str, ...]] = ("raters_", "items_", "groups_", "signals_", "idata_")

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        scale: str = "fixed",
        noise: str = "normal",
        noise_df: float = 10.0,
        item_prior: str = "normal",
        noise_pooling: float = 4.0,
        rater_priors: pd.DataFrame | None = None,
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, confidence_level=confidence_level, n_resamples=n_resamples,
                         sampler=sampler, random_state=random_state)
        self.inference = inference
        self.scale = scale
        self.noise = noise
        self.noise_df = noise_df
        self.item_prior = item_prior
        self.noise_pooling = noise_pooling
        self.rater_priors = rater_priors

    # ------------------------------------------------------------------------------------------
    def _arrays(self, judgments: Judgments) -> dict[str, Any]:
        info = judgments.rater_info
        group, group_names = rater_groups(info)
        y = judgments.values.astype(float)
        gold = None
        if judgments.has("gold"):
            gold_col = judgments.item_info["gold"]
            gold = pd.to_numeric(gold_col, errors="coerce").to_numpy(dtype=float)
        priors = history_priors(self.rater_priors, judgments.raters, ("bias", "bias_sd", "noise_sd", "noise_df"),
                                type(self).__name__)
        signals = online_signals(judgments)
        return {"group": group, "group_names": group_names, "y": y, "gold": gold, "priors": priors,
                "signals": signals}

    def _fit_em(self, judgments: Judgments) -> None:
        a = self._arrays(judgments)
        n_r = judgments.n_raters
        item, rater, y = judgments.item_codes, judgments.rater_codes, a["y"]
        weight = judgments.frame["weight"].to_numpy(dtype=float)
        extra = np.zeros(len(y))
        group = a["group"]
        est = np.full(n_r, self.scale == "rater")
        free = np.zeros(n_r, bool)
        priors = a["priors"]
        signals = a["signals"]
        signal_names: list[str] = []
        if signals is not None:
            codes, signal_names_idx = pd.factorize(signals["signal"], sort=True)
            signal_names = list(signal_names_idx)
            k = len(signal_names)
            item = np.concatenate([item, signals["item_code"].to_numpy()])
            rater = np.concatenate([rater, n_r + codes])
            y = np.concatenate([y, signals["logit"].to_numpy()])
            weight = np.concatenate([weight, np.ones(len(signals))])
            extra = np.concatenate([extra, signals["logit_var"].to_numpy()])
            group = np.concatenate([group, group.max() + 1 + np.arange(k)])
            est = np.concatenate([est, np.zeros(k, bool)])
            free = np.concatenate([free, np.ones(k, bool)])
            priors = {key: np.concatenate([v, np.full(k, np.nan)]) for key, v in priors.items()}
        fit = continuous_em(
            item, rater, y, n_items=judgments.n_items, n_raters=len(group), group=group, weight=weight,
            extra_var=extra, gold=a["gold"], estimate_scale=est, free_scale=free,
            noise_prior_df=float(self.noise_pooling),
            prior_bias_mean=priors["bias"], prior_bias_sd=priors["bias_sd"],
            prior_noise_sd=priors["noise_sd"], prior_noise_df=priors["noise_df"],
            robust_df=float(self.noise_df) if self.noise == "student_t" else None,
            flat_items=self.item_prior == "flat",
        )
        if not fit.converged:
            self.warnings_.append(f"EM stopped after {fit.n_iter} iterations without converging.")
        level = self.interval_level_
        z = z_value(level)
        r = slice(0, n_r)
        tau = fit.tau if self.item_prior == "normal" else float(np.std(fit.item_mean))
        signal_var = (fit.scale[r] * tau) ** 2
        noise_var = fit.noise_sd[r] ** 2
        logit_rel = np.log(signal_var) - np.log(noise_var)
        lv_se = fit.log_noise_var_se[r]
        frame = empty_rater_frame(judgments)
        frame["bias"] = fit.bias[r]
        frame["bias_low"] = fit.bias[r] - z * fit.bias_se[r]
        frame["bias_high"] = fit.bias[r] + z * fit.bias_se[r]
        frame["reliability"] = special.expit(logit_rel)
        frame["reliability_low"] = special.expit(logit_rel - z * lv_se)
        frame["reliability_high"] = special.expit(logit_rel + z * lv_se)
        frame["spammer_prob"] = special.ndtr((special.logit(SPAMMER_RELIABILITY) - logit_rel) / lv_se)
        frame["bias_se"] = fit.bias_se[r]
        frame["scale"] = fit.scale[r]
        frame["scale_low"] = fit.scale[r] - z * fit.scale_se[r]
        frame["scale_high"] = fit.scale[r] + z * fit.scale_se[r]
        frame["noise_sd"] = fit.noise_sd[r]
        frame["noise_sd_low"] = fit.noise_sd[r] * np.exp(-0.5 * z * lv_se)
        frame["noise_sd_high"] = fit.noise_sd[r] * np.exp(0.5 * z * lv_se)
        frame["reliability_se_logit"] = lv_se
        self.raters_ = frame
        self._set_items(judgments, fit.item_mean, fit.item_sd, a["gold"])
        self.ci_method_ = "observed-information(em)"
        self.mu_, self.tau_ = fit.mu, tau
        self.n_iter_ = fit.n_iter
        self._set_groups(level)
        if signals is not None:
            s = slice(n_r, None)
            self.signals_ = pd.DataFrame({
                "signal": signal_names,
                "n_items": np.bincount(rater[rater >= n_r] - n_r, minlength=len(signal_names)),
                "slope": fit.scale[s], "slope_se": fit.scale_se[s], "intercept": fit.bias[s],
                "extra_sd": fit.noise_sd[s],
                "reliability": special.expit(np.log((fit.scale[s] * tau) ** 2) - np.log(
                    fit.noise_sd[s] ** 2 + np.array([np.mean(signals.loc[signals["signal"] == n, "logit_var"])
                                                     for n in signal_names]))),
            })

    def _set_items(self, judgments: Judgments, mean: np.ndarray, sd: np.ndarray, gold: np.ndarray | None) -> None:
        z = z_value(self.interval_level_)
        items = pd.DataFrame({"item_id": judgments.items, "n": judgments.item_info["n_judgments"].to_numpy()})
        items["quality"] = mean
        items["quality_sd"] = sd
        items["quality_low"] = mean - z * sd
        items["quality_high"] = mean + z * sd
        if gold is not None:
            items["gold"] = gold
        self.items_ = items

    def _set_groups(self, level: float) -> None:
        raters = self.raters_.copy()
        raters["reliability_se"] = raters["reliability"] * (1 - raters["reliability"]) * raters["reliability_se_logit"]
        self.groups_ = group_summary(raters, ("bias", "reliability"), ("bias_se", "reliability_se"), level)

    # ------------------------------------------------------------------------------------------
    def _fit_pymc(self, judgments: Judgments) -> None:
        import pymc as pm
        import pytensor.tensor as pt

        from alignlab.annotators import _arviz
        from alignlab.annotators._sampling import posterior_interval

        a = self._arrays(judgments)
        settings = self._sampler_settings()
        item, rater, y = judgments.item_codes, judgments.rater_codes, a["y"]
        weight = judgments.frame["weight"].to_numpy(dtype=float)
        n_i, n_r = judgments.n_items, judgments.n_raters
        group = a["group"]
        n_g = int(group.max()) + 1
        y_mean, y_sd = float(np.mean(y)), float(np.std(y) + 1e-9)
        gold = a["gold"]
        gold_mask = np.isfinite(gold) if gold is not None else np.zeros(n_i, bool)
        priors = a["priors"]
        has_pb = np.isfinite(priors["bias"]) & np.isfinite(priors["bias_sd"])
        signals = a["signals"]
        with pm.Model() as model:
            mu = pm.Normal("mu", y_mean, 2 * y_sd)
            tau = pm.HalfNormal("tau", 2 * y_sd)
            z_item = pm.Normal("z_item", 0.0, 1.0, shape=n_i)
            spread = tau if self.item_prior == "normal" else 10 * y_sd
            quality = mu + spread * z_item
            if gold_mask.any():
                quality = pt.set_subtensor(quality[np.flatnonzero(gold_mask)], gold[gold_mask])
            quality = pm.Deterministic("quality", quality)
            group_bias = pm.Normal("group_bias", 0.0, y_sd, shape=n_g)
            bias_sd = pm.HalfNormal("bias_sd", y_sd)
            z_bias = pm.Normal("z_bias", 0.0, 1.0, shape=n_r)
            prior_mean = np.where(has_pb, np.nan_to_num(priors["bias"]), 0.0)
            prior_sd = np.where(has_pb, np.nan_to_num(priors["bias_sd"], nan=1.0), 1.0)
            raw_bias = pt.switch(has_pb, prior_mean + prior_sd * z_bias, group_bias[group] + bias_sd * z_bias)
            if not gold_mask.any():
                raw_bias = raw_bias - pt.mean(raw_bias)  # bias relative to the raters' average
            bias = pm.Deterministic("bias", raw_bias)
            group_log_sd = pm.Normal("group_log_noise_sd", np.log(y_sd / 2), 1.5, shape=n_g)
            log_sd_spread = pm.HalfNormal("log_noise_sd_spread", 1.0)
            z_noise = pm.Normal("z_noise", 0.0, 1.0, shape=n_r)
            noise_sd = pm.Deterministic("noise_sd", pt.exp(group_log_sd[group] + log_sd_spread * z_noise))
            if self.scale == "rater":
                z_scale = pm.Normal("z_scale", 0.0, 1.0, shape=n_r)
                raw_scale = 1.0 + 0.5 * z_scale
                scale = pm.Deterministic("scale", raw_scale / pt.mean(raw_scale) if not gold_mask.any() else raw_scale)
            else:
                scale = pt.ones(n_r)
            mean = scale[rater] * quality[item] + bias[rater]
            sd = noise_sd[rater] / np.sqrt(weight)
            if self.noise == "student_t":
                pm.StudentT("y", nu=float(self.noise_df), mu=mean, sigma=sd, observed=y)
            else:
                pm.Normal("y", mean, sd, observed=y)
            if signals is not None:
                codes, names = pd.factorize(signals["signal"], sort=True)
                k = len(names)
                slope = pm.Normal("signal_slope", 0.0, 2.0 / y_sd, shape=k)
                intercept = pm.Normal("signal_intercept", 0.0, 3.0, shape=k)
                extra_sd = pm.HalfNormal("signal_extra_sd", 1.0, shape=k)
                z_sig = pm.Normal("z_signal", 0.0, 1.0, shape=len(signals))
                centred = (quality[signals["item_code"].to_numpy()] - mu)
                logit_p = intercept[codes] + slope[codes] * centred + extra_sd[codes] * z_sig
                pm.Binomial("signal_obs", n=signals["trials"].to_numpy().astype(int), logit_p=logit_p,
                            observed=signals["successes"].to_numpy().astype(int))
            reliability_expr = (scale * tau) ** 2 / ((scale * tau) ** 2 + noise_sd**2) if self.item_prior == "normal" \
                else (scale * pt.std(quality)) ** 2 / ((scale * pt.std(quality)) ** 2 + noise_sd**2)
            pm.Deterministic("reliability", reliability_expr)
        keep = ["mu", "tau", "quality", "bias", "noise_sd", "reliability", "group_bias", "bias_sd"]
        if self.scale == "rater":
            keep.append("scale")
        outcome = draw_posterior(model, settings, inference=self.inference, random_state=self.random_state_, var_names=keep,
                               check_names=["mu", "tau", "bias", "noise_sd"])
        self.idata_ = outcome.idata
        self.warnings_.extend(outcome.warnings)
        self.sampler_ = outcome.sampler
        level = self.interval_level_
        frame = empty_rater_frame(judgments)
        bias_d = _arviz.draws(outcome.idata, "bias")
        rel_d = _arviz.draws(outcome.idata, "reliability")
        noise_d = _arviz.draws(outcome.idata, "noise_sd")
        scale_d = _arviz.draws(outcome.idata, "scale") if self.scale == "rater" else np.ones_like(bias_d)
        for name, d in (("bias", bias_d), ("reliability", rel_d)):
            lo, hi = posterior_interval(d, level)
            frame[name], frame[f"{name}_low"], frame[f"{name}_high"] = d.mean(0), lo, hi
        frame["spammer_prob"] = (rel_d < SPAMMER_RELIABILITY).mean(0)
        frame["bias_se"] = bias_d.std(0)
        for name, d in (("scale", scale_d), ("noise_sd", noise_d)):
            lo, hi = posterior_interval(d, level)
            frame[name], frame[f"{name}_low"], frame[f"{name}_high"] = d.mean(0), lo, hi
        logit_d = special.logit(np.clip(rel_d, 1e-12, 1 - 1e-12))
        frame["reliability_se_logit"] = logit_d.std(0)
        self.raters_ = frame
        q = _arviz.draws(outcome.idata, "quality")
        self._set_items(judgments, q.mean(0), q.std(0), gold)
        lo, hi = posterior_interval(q, level)
        self.items_["quality_low"], self.items_["quality_high"] = lo, hi
        self.ci_method_ = f"posterior-quantile({outcome.sampler})"
        self.mu_ = float(_arviz.draws(outcome.idata, "mu").mean())
        self.tau_ = float(_arviz.draws(outcome.idata, "tau").mean())
        raters = frame.copy()
        raters["reliability_se"] = rel_d.std(0)
        self.groups_ = group_summary(raters, ("bias", "reliability"), ("bias_se", "reliability_se"), level)

    # ------------------------------------------------------------------------------------------
    def predict(self) -> pd.Series:
        """Consensus quality per item (posterior mean), indexed by ``item_id``."""
        self._check_fitted("items_")
        return pd.Series(self.items_["quality"].to_numpy(), index=self.items_["item_id"], name="prediction")

    def predict_proba(self) -> pd.DataFrame:
        """Not defined for numeric scores: use :meth:`predict` and ``items_`` (mean and interval)."""
        raise DataError("ContinuousRaters predicts a numeric quality, not class probabilities: use predict() "
                         "or items_ (quality, quality_low, quality_high).")

