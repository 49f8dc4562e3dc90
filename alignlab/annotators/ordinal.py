"""OrdinalRaters: Likert-type labels with rater severity and discrimination (LTRM-style)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from alignlab._array.annotators_continuous_ordinal import GRID, ordinal_map
from alignlab._params import MODEL_N_RESAMPLES, Interval, Options
from alignlab.annotators import _reliability
from alignlab.annotators._base import AnnotatorModel, empty_rater_frame
from alignlab.annotators._checks import consensus_checks, consensus_warnings, gold_accuracy
from alignlab.annotators._continuous_common import (
    group_summary,
    history_priors,
    online_signals,
    rater_groups,
    z_value,
)
from alignlab.annotators._sampling import draw_posterior
from alignlab.data import Judgments

__all__ = ["OrdinalRaters"]

#: ``spammer_prob`` = P(|reliability| < this), as in the categorical models
SPAMMER_RELIABILITY = _reliability.SPAMMER_RELIABILITY
#: at most this many posterior draws enter the reliability of the PyMC engine
_MAX_RELIABILITY_DRAWS = 200


def _cdf(eta: np.ndarray, link: str) -> np.ndarray:
    return special.expit(eta) if link == "logit" else special.ndtr(eta)


def _expected_label(quality: np.ndarray, severity: np.ndarray, discrimination: np.ndarray,
                    thresholds: np.ndarray, levels: np.ndarray, link: str) -> np.ndarray:
    """E[label | quality] for raters (broadcast over the leading axes): sum_c level_c P(y = c)."""
    eta = discrimination[..., None] * (thresholds + severity[..., None] - quality[..., None])
    cum = np.concatenate([np.zeros(eta.shape[:-1] + (1,)), _cdf(eta, link), np.ones(eta.shape[:-1] + (1,))], axis=-1)
    return np.sum(np.diff(cum, axis=-1) * levels, axis=-1)


def _log_interval_prob(eta_lo: Any, eta_hi: Any, link: str) -> Any:
    """``log(F(eta_hi) - F(eta_lo))`` as a PyTensor expression, F the logistic or normal CDF, lo < hi.

    Reflected to ``F(-lo) - F(-hi)`` when the interval lies in the upper half (F is symmetric):
    both CDF values then sit near 0, where they carry full relative precision, instead of cancelling
    near 1. Three transcendental calls per judgment (the log-sigmoid/log1mexp form needs six and made
    each gradient ~70% slower under JAX, whose float64 exp/log dominate this model's cost); the
    floor only guards exact underflow.
    """
    import pytensor.tensor as pt

    def cdf(x: Any) -> Any:
        return pt.sigmoid(x) if link == "logit" else 0.5 * pt.erfc(-x / np.sqrt(2.0))

    upper = eta_lo + eta_hi > 0
    diff = pt.switch(upper, cdf(-eta_lo) - cdf(-eta_hi), cdf(eta_hi) - cdf(eta_lo))
    return pt.log(pt.maximum(diff, 1e-300))


def thinned(n_draws: int, limit: int = _MAX_RELIABILITY_DRAWS) -> np.ndarray:
    """Indices of at most ``limit`` evenly spaced draws."""
    return np.unique(np.linspace(0, n_draws - 1, min(n_draws, limit)).astype(int))


class OrdinalRaters(AnnotatorModel):
    """Ordinal (Likert) labels: latent item quality, rater severity and discrimination, thresholds.

    ``P(y_ij <= c) = F(d_j (lambda_c + s_j - T_i))`` with ``T_i ~ N(0, 1)``, ``F`` logistic (ordered
    logit) or normal (ordered probit). ``s_j`` is the rater's severity (positive = harsh: lower labels
    for the same quality), ``d_j > 0`` the discrimination (how sharply the rater separates quality;
    a rater with ``d_j`` near 0 labels at random). Raters are grouped by ``method`` (and ``vendor``);
    severities and log-discriminations are shrunk toward their group means.

    ``bias`` in :attr:`raters_` answers "rater 17 rates half a point higher than the pool": the
    expected label of the rater minus the expected label of a rater with the same discrimination and
    average severity, averaged over the items, **in the units of the label scale** (the numeric
    levels, e.g. 1..5).

    Parameters
    ----------
    engine : {"em", "pymc"}
        ``"em"``: marginal MAP (item quality integrated out on a grid), intervals from the observed
        information (seconds on a million judgments). ``"pymc"``: full posterior.
    inference : {"nuts", "advi"}
        PyMC engine only: NUTS, or mean-field ADVI for very large inputs (faster, intervals too narrow).
    link : {"logit", "probit"}
    gold_discrimination : float
        Gold labels (a ``gold`` column) enter as a judgment of an average-severity rater with this
        discrimination (4 = nearly certain).
    rater_priors : DataFrame, optional
        History: ``rater_id``, ``severity``, ``severity_sd`` (e.g. from an earlier fit's
        ``raters_``, whose ``severity_se`` is accepted as ``severity_sd``), replacing the group prior
        for those raters; conventions under "Rater history" in :mod:`alignlab.annotators`.
    reference : str or list, optional
        The raters whose scale the predictions are on (a method name, rater ids, or a list of
        either; resolved with ``Judgments.resolve_raters``): their severities average 0. Without
        gold, history or ``reference`` the severities average 0 over *all* raters, so
        ``predict()`` gives the category the average rater would give: when the whole pool is
        lenient by 0.7 levels, so is every prediction. ``prediction_scale_`` says which anchor a
        fit used; gold labels (a ``gold`` column) anchor the scale whenever present.
    confidence_level, n_resamples, sampler, random_state
        As in every annotator model (EM engine: ``n_resamples`` draws of the rater parameters give
        the reliability interval).

    Attributes
    ----------
    raters_ : DataFrame
        ``rater_id, method, vendor, n, bias, bias_low, bias_high, reliability, reliability_low,
        reliability_high, spammer_prob, adversarial_prob, informativeness (+ interval), severity,
        severity_low, severity_high, discrimination, discrimination_low, discrimination_high``.
    items_ : DataFrame
        ``item_id, n, quality, quality_sd, quality_low, quality_high, expected_label``.
    thresholds_ : numpy.ndarray
        ``lambda_1 < ... < lambda_{C-1}`` on the latent scale.
    groups_ : DataFrame
        Average bias and reliability per method and per vendor.

    Notes
    -----
    The LTRM of Anders & Batchelder (2015, Psychometrika) with threshold scale ``alpha_j = 1`` and
    item difficulty ``kappa_i = 1``: many-facet severity plus rater discrimination. Identification:
    ``T ~ N(0, 1)`` and the severities average 0 over the raters (without gold).

    Reliability is the one every discrete model reports (:mod:`alignlab.annotators._reliability`):
    the linearly weighted kappa of the rater's label with the item's latent class, taken from the
    confusion matrix the model implies. The latent class of an item is the category of its quality
    on the thresholds (the label a rater of zero severity gives without noise, the class of
    ``proba_``); ``P(label | class)`` averages the rater's ordered-logit probabilities over the
    items' quality distribution (the average item posterior; pooled posterior draws in the PyMC
    engine). A severe or lenient rater therefore loses reliability for its offset as well as for its
    noise. ``spammer_prob`` = P(|reliability| < 0.2). The discrimination is positive, so this model
    cannot describe a rater worse than chance: an inverted rater is fitted as a spammer (reliability
    near 0; fit :class:`~alignlab.annotators.DawidSkene` to see its sign). EM intervals: quantiles over
    ``n_resamples`` draws of severity and log-discrimination from the normal approximation of the
    observed information (thresholds fixed). Online signals (``Judgments.aggregates``) enter as
    binomial counts with ``logit p_i = c_k + e_k T_i`` (exact on the quadrature grid).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.annotators import OrdinalRaters
    >>> rng = np.random.default_rng(0)
    >>> quality = rng.normal(size=300)
    >>> shift = {"a": 0.0, "b": 0.0, "c": 1.0}  # rater c is lenient
    >>> rows = [(i, r, int(np.clip(np.round(3 + 1.2 * quality[i] + shift[r] + rng.normal(0, 0.5)), 1, 5)))
    ...         for i in range(300) for r in "abc"]
    >>> frame = pd.DataFrame(rows, columns=["item_id", "rater_id", "value"])
    >>> model = OrdinalRaters().fit(frame)
    >>> model.raters_.set_index("rater_id")["bias"].idxmax()
    'c'
    """

    _model_name: ClassVar[str] = "ordinal rater model"
    _supported_scales: ClassVar[tuple[str, ...]] = ("ordinal", "binary")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "inference": [Options(("nuts", "advi"))],
        "link": [Options(("logit", "probit"))],
        "gold_discrimination": [Interval("real", 0, None, closed="neither")],
        "rater_priors": [pd.DataFrame, None],
        "reference": [str, list, tuple, None],
    }
    _state_attributes: ClassVar[tuple[str, ...]] = ("raters_", "items_", "groups_", "proba_", "thresholds_",
                                                    "signals_", "idata_", "prediction_scale_")

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        link: str = "logit",
        gold_discrimination: float = 4.0,
        rater_priors: pd.DataFrame | None = None,
        reference: str | list[str] | None = None,
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, confidence_level=confidence_level, n_resamples=n_resamples,
                         sampler=sampler, random_state=random_state)
        self.inference = inference
        self.link = link
        self.gold_discrimination = gold_discrimination
        self.rater_priors = rater_priors
        self.reference = reference

    def _check_consensus(self, judgments: Judgments, inp: dict[str, Any]) -> None:
        """Warn when the predicted categories collapse or differ from majority vote on > 25% of items."""
        exclude = np.zeros(judgments.n_items, dtype=bool)
        if inp["gold_item"] is not None:
            exclude[inp["gold_item"]] = True
        checks = consensus_checks(judgments.counts(), self.proba_.to_numpy(), exclude=exclude)
        self.warnings_.extend(consensus_warnings(self._model_name, checks, list(judgments.scale.labels)))

    def _prediction_scale(self, inp: dict[str, Any]) -> str:
        """What the predicted categories (``predict()``, ``proba_``, the thresholds) are anchored to."""
        if inp["gold_item"] is not None and len(inp["gold_item"]):
            return (f"gold: the {len(inp['gold_item'])} gold labels enter as an average-severity rater, so the "
                    "thresholds and predicted categories are on the gold scale")
        priors = inp["priors"]
        if np.isfinite(priors["severity"]).any():
            return "rater history: the severities in rater_priors fix the location of the thresholds"
        if inp["anchor"] is not None:
            return (f"reference raters ({int(inp['anchor'].sum())} raters named by reference=): their severities "
                    "average 0, so predicted categories are the labels a typical reference rater would give")
        return ("the average rater's: without gold, history or reference= the severities average 0 over all raters, "
                "so if the whole pool is more lenient (harsh) than your reference scale every predicted category "
                "is shifted up (down); pass gold labels or reference= (a method or rater ids) to anchor it")

    # ------------------------------------------------------------------------------------------
    def _inputs(self, judgments: Judgments) -> dict[str, Any]:
        group, _ = rater_groups(judgments.rater_info)
        gold_item = gold_label = None
        if judgments.has("gold"):
            gold = judgments.item_info["gold"]
            codes = judgments.scale.encode(gold)
            known = codes >= 0
            gold_item, gold_label = np.flatnonzero(known), codes[known]
        priors = history_priors(self.rater_priors, judgments.raters, ("severity", "severity_sd"), type(self).__name__)
        signals = online_signals(judgments)
        sig = None
        names: list[str] = []
        if signals is not None:
            codes, uniq = pd.factorize(signals["signal"], sort=True)
            names = list(uniq)
            sig = {"item": signals["item_code"].to_numpy(), "signal": codes, "successes": signals["successes"].to_numpy(),
                   "trials": signals["trials"].to_numpy(), "n_signals": len(names)}
        anchor = None
        if self.reference is not None:
            ids = judgments.resolve_raters(self.reference, argument="reference")
            anchor = np.asarray(pd.Index(judgments.raters).isin(ids))
        return {"group": group, "gold_item": gold_item, "gold_label": gold_label, "priors": priors,
                "signals": sig, "signal_names": names, "anchor": anchor}

    def _map_fit(self, judgments: Judgments, inp: dict[str, Any]) -> Any:
        """The EM engine's marginal MAP (also the starting point of the PyMC chains)."""
        n_cat = judgments.scale.n_categories
        return ordinal_map(
            judgments.item_codes, judgments.rater_codes, judgments.label_codes, n_items=judgments.n_items,
            n_raters=judgments.n_raters, n_categories=n_cat, group=inp["group"],
            weight=judgments.frame["weight"].to_numpy(dtype=float), link=self.link, signals=inp["signals"],
            gold_item=inp["gold_item"], gold_label=inp["gold_label"],
            gold_discrimination=float(self.gold_discrimination),
            prior_severity_mean=inp["priors"]["severity"], prior_severity_sd=inp["priors"]["severity_sd"],
            anchor=inp["anchor"],
        )

    def _fit_em(self, judgments: Judgments) -> None:
        inp = self._inputs(judgments)
        fit = self._map_fit(judgments, inp)
        if not fit.converged:
            self.warnings_.append(f"the optimiser stopped after {fit.n_iter} iterations without converging.")
        self.n_iter_ = fit.n_iter  # L-BFGS iterations over all empirical-Bayes rounds (as ContinuousRaters)
        z = z_value(self.interval_level_)
        sev, sev_se = fit.severity, fit.severity_se
        ld, ld_se = fit.log_discrimination, fit.log_discrimination_se
        rater_draws = _reliability.normal_draws(sev, sev_se, ld, ld_se, fit.thresholds, self.n_resamples,
                                                self.random_state_)
        rater_point = {"thresholds": fit.thresholds, "severity": sev[None], "discrimination": np.exp(ld)[None]}
        self._finish(judgments, fit.thresholds, sev, sev - z * sev_se, sev + z * sev_se, sev_se,
                     np.exp(ld), np.exp(ld - z * ld_se), np.exp(ld + z * ld_se),
                     rater_draws, fit.item_posterior, rater_point=rater_point)
        self.ci_method_ = "observed-information(em)"
        self.prediction_scale_ = self._prediction_scale(inp)
        self._check_consensus(judgments, inp)
        if inp["signals"] is not None:
            self.signals_ = pd.DataFrame({
                "signal": inp["signal_names"], "intercept": fit.signal_intercept, "slope": fit.signal_slope,
                "slope_low": fit.signal_slope - z * fit.signal_slope_se,
                "slope_high": fit.signal_slope + z * fit.signal_slope_se,
            })

    def _finish(self, judgments: Judgments, thresholds: np.ndarray, sev: np.ndarray, sev_low: np.ndarray,
                sev_high: np.ndarray, sev_se: np.ndarray, disc: np.ndarray, disc_low: np.ndarray,
                disc_high: np.ndarray, rater_draws: dict[str, np.ndarray], posterior: np.ndarray | None,
                item_draws: np.ndarray | None = None, rater_point: dict[str, np.ndarray] | None = None) -> None:
        level = self.interval_level_
        levels = judgments.scale.numeric_levels()
        # population of item qualities (posterior mean per item) at which label-scale bias is averaged
        if posterior is not None:
            quality = posterior @ GRID
            quality_sd = np.sqrt(np.maximum(posterior @ GRID**2 - quality**2, 0.0))
            cdf = np.cumsum(posterior, axis=1)
            alpha = (1 - level) / 2
            q_low = GRID[np.minimum(np.argmax(cdf >= alpha, axis=1), len(GRID) - 1)]
            q_high = GRID[np.minimum(np.argmax(cdf >= 1 - alpha, axis=1), len(GRID) - 1)]
        else:
            quality, quality_sd = item_draws.mean(0), item_draws.std(0)
            q_low, q_high = np.quantile(item_draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        # the items' quality distribution on a small set of nodes (memory O(nodes x raters), not
        # O(items x raters)): the average item posterior (EM) or 101 quantiles of the item means (PyMC)
        if posterior is not None:
            nodes, node_weight = GRID, posterior.mean(axis=0)
        else:
            nodes, node_weight = np.quantile(quality, np.linspace(0.005, 0.995, 101)), np.full(101, 1 / 101)
        pop = nodes[:, None]

        def label_bias(s: np.ndarray) -> np.ndarray:
            own = _expected_label(pop, s[None, :], disc[None, :], thresholds, levels, self.link)
            pool = _expected_label(pop, np.zeros_like(s)[None, :], disc[None, :], thresholds, levels, self.link)
            return node_weight @ (own - pool)

        bias = label_bias(sev)
        b1, b2 = label_bias(sev_high), label_bias(sev_low)  # bias falls as severity rises
        frame = empty_rater_frame(judgments)
        frame["bias"] = bias
        frame["bias_low"] = np.minimum(b1, b2)
        frame["bias_high"] = np.maximum(b1, b2)
        # reliability from the implied confusion matrix over the items' quality distribution: the average
        # item posterior (EM) or quantiles of the pooled posterior draws (PyMC; item means are shrunk)
        if posterior is not None:
            rel_nodes, rel_weight = nodes, node_weight
        else:
            pooled = item_draws[thinned(len(item_draws))].ravel()
            rel_nodes, rel_weight = np.quantile(pooled, np.linspace(0.005, 0.995, 101)), np.full(101, 1 / 101)
        summary = _reliability.latent_columns(
            rel_nodes, rel_weight, _reliability.agreement_weights(judgments.scale), self.link, level, rater_draws,
            rater_point)
        for column in ("reliability", "reliability_low", "reliability_high", "spammer_prob", "adversarial_prob",
                       "informativeness", "informativeness_low", "informativeness_high"):
            frame[column] = summary[column]
        frame["severity"], frame["severity_low"], frame["severity_high"] = sev, sev_low, sev_high
        frame["discrimination"], frame["discrimination_low"], frame["discrimination_high"] = disc, disc_low, disc_high
        frame["bias_se"] = (frame["bias_high"] - frame["bias_low"]) / (2 * z_value(level))
        frame["severity_se"] = sev_se
        raw = gold_accuracy(judgments, level)  # raw share right on gold items (Wilson), beside the model's view
        if raw is not None:
            for column in raw.columns:
                frame[column] = raw[column].to_numpy()
        self.raters_ = frame
        typical_d = float(np.exp(np.mean(np.log(disc))))
        items = pd.DataFrame({"item_id": judgments.items, "n": judgments.item_info["n_judgments"].to_numpy()})
        items["quality"], items["quality_sd"] = quality, quality_sd
        items["quality_low"], items["quality_high"] = q_low, q_high
        items["expected_label"] = _expected_label(quality, np.zeros(1), np.array([typical_d]), thresholds, levels,
                                                  self.link)
        self.items_ = items
        ext = np.concatenate([[-np.inf], thresholds, [np.inf]])
        if posterior is not None:
            inside = (GRID[None, :] > ext[:-1, None]) & (GRID[None, :] <= ext[1:, None])  # (C, Q)
            proba = posterior @ inside.T.astype(float)
        else:
            cat = np.searchsorted(thresholds, item_draws)  # (draws, items) category of the quality
            proba = np.stack([(cat == c).mean(0) for c in range(len(ext) - 1)], axis=1)
        self.proba_ = pd.DataFrame(proba, index=pd.Index(judgments.items, name="item_id"),
                                   columns=list(judgments.scale.labels))
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        raters = frame.copy()
        raters["reliability_se"] = (frame["reliability_high"] - frame["reliability_low"]) / (2 * z_value(level))
        self.groups_ = group_summary(raters, ("bias", "reliability"), ("bias_se", "reliability_se"), level)

    # ------------------------------------------------------------------------------------------
    # PyMC engine: chains start at the EM solution (its MAP takes a second), so 500 warm-up draws
    # suffice, and target_accept 0.8 (no divergences seen) takes larger steps. The diagonal mass
    # matrix stays: nutpie's low-rank one cost ~50% more CPU per draw here (4,000+ dimensions) for
    # no fewer leapfrog steps (measured on 20k judgments, 4,000 items, 50 raters)
    _sampler_defaults: ClassVar[dict[str, Any]] = {"tune": 500, "target_accept": 0.8}

    @staticmethod
    def _pymc_start(fit: Any, inp: dict[str, Any], n_groups: int) -> dict[str, np.ndarray]:
        """The EM (marginal MAP) solution as starting values of the PyMC model's free variables."""
        group = inp["group"]
        thresholds = np.asarray(fit.thresholds, dtype=float)
        sev_sd = float(np.clip(fit.severity_prior_sd, 0.05, 5.0))
        ld_sd = float(np.clip(fit.log_discrimination_prior_sd, 0.05, 5.0))
        group_sev = np.resize(np.asarray(fit.group_severity, dtype=float), n_groups)
        group_ld = np.resize(np.asarray(fit.group_log_discrimination, dtype=float), n_groups)
        z_sev = (fit.severity - group_sev[group]) / sev_sd
        priors = inp["priors"]
        hist = np.isfinite(priors["severity"]) & np.isfinite(priors["severity_sd"])
        z_sev[hist] = (fit.severity[hist] - priors["severity"][hist]) / priors["severity_sd"][hist]
        start = {
            "quality": fit.item_posterior @ GRID,
            "first_threshold": np.asarray(thresholds[0]),
            "log_gaps": np.log(np.maximum(np.diff(thresholds), 1e-3)),
            "group_severity": group_sev, "severity_sd": np.asarray(sev_sd), "z_severity": z_sev,
            "group_log_discrimination": group_ld, "log_discrimination_sd": np.asarray(ld_sd),
            "z_discrimination": (fit.log_discrimination - group_ld[group]) / ld_sd,
        }
        if inp["signals"] is not None:
            start["signal_intercept"] = np.asarray(fit.signal_intercept, dtype=float)
            start["signal_slope"] = np.asarray(fit.signal_slope, dtype=float)
        return {k: np.where(np.isfinite(v), v, 0.0) for k, v in start.items()}

    def _fit_pymc(self, judgments: Judgments) -> None:
        import pymc as pm
        import pytensor.tensor as pt

        from alignlab.annotators import _arviz
        from alignlab.annotators._sampling import posterior_interval

        inp = self._inputs(judgments)
        settings = self._sampler_settings()
        n_i, n_r, n_c = judgments.n_items, judgments.n_raters, judgments.scale.n_categories
        item, rater, label = judgments.item_codes, judgments.rater_codes, judgments.label_codes
        group = inp["group"]
        n_g = int(group.max()) + 1
        priors = inp["priors"]
        has_hist = np.isfinite(priors["severity"]) & np.isfinite(priors["severity_sd"])
        freq = np.bincount(label, minlength=n_c) + 0.5
        lam0 = special.logit(np.cumsum(freq)[:-1] / freq.sum()) * (1.0 if self.link == "logit" else 0.6)
        lam0 = np.maximum.accumulate(lam0 + np.arange(n_c - 1) * 1e-2)
        has_gold = inp["gold_item"] is not None and len(inp["gold_item"]) > 0

        def log_prob(eta_lo: Any, eta_hi: Any) -> Any:
            return _log_interval_prob(eta_lo, eta_hi, self.link)

        with pm.Model() as model:
            quality = pm.Normal("quality", 0.0, 1.0, shape=n_i)
            # ordered thresholds as a first cut plus positive gaps (nutpie cannot take custom initvals)
            first = pm.Normal("first_threshold", lam0[0], 2.0)
            log_gaps = pm.Normal("log_gaps", np.log(np.maximum(np.diff(lam0), 0.05)), 1.0, shape=n_c - 2)
            thresholds = pm.Deterministic(
                "thresholds", pt.concatenate([pt.stack([first]), first + pt.cumsum(pt.exp(log_gaps))]))
            group_sev = pm.Normal("group_severity", 0.0, 1.0, shape=n_g)
            sev_sd = pm.HalfNormal("severity_sd", 1.0)
            z_s = pm.Normal("z_severity", 0.0, 1.0, shape=n_r)
            raw = pt.switch(has_hist, np.nan_to_num(priors["severity"]) + np.nan_to_num(priors["severity_sd"], nan=1.0) * z_s,
                            group_sev[group] + sev_sd * z_s)
            # gold or a rater history anchors the location (as in the EM engine); otherwise severities average 0
            anchored = has_gold or bool(has_hist.any())
            anchor = inp["anchor"] if inp["anchor"] is not None and inp["anchor"].any() else np.ones(n_r, dtype=bool)
            severity = pm.Deterministic("severity", raw if anchored else raw - pt.mean(raw[np.flatnonzero(anchor)]))
            group_ld = pm.Normal("group_log_discrimination", 0.0, 1.0, shape=n_g)
            ld_sd = pm.HalfNormal("log_discrimination_sd", 0.5)
            z_d = pm.Normal("z_discrimination", 0.0, 1.0, shape=n_r)
            disc = pm.Deterministic("discrimination", pt.exp(group_ld[group] + ld_sd * z_d))
            ext = pt.concatenate([pt.as_tensor([-30.0]), thresholds, pt.as_tensor([30.0])])
            base = severity[rater] - quality[item]
            hi = disc[rater] * (ext[label + 1] + base)
            lo = disc[rater] * (ext[label] + base)
            weight = judgments.frame["weight"].to_numpy(dtype=float)
            pm.Potential("labels", pt.sum(weight * log_prob(lo, hi)))
            if has_gold:
                gi, gl = inp["gold_item"], inp["gold_label"]
                gd = float(self.gold_discrimination)
                pm.Potential("gold", pt.sum(log_prob(gd * (ext[gl] - quality[gi]), gd * (ext[gl + 1] - quality[gi]))))
            sig = inp["signals"]
            if sig is not None:
                k = sig["n_signals"]
                c_sig = pm.Normal("signal_intercept", 0.0, 3.0, shape=k)
                e_sig = pm.Normal("signal_slope", 0.0, 2.0, shape=k)
                pm.Binomial("signal_obs", n=sig["trials"].astype(int),
                            logit_p=c_sig[sig["signal"]] + e_sig[sig["signal"]] * quality[sig["item"]],
                            observed=sig["successes"].astype(int))
        keep = ["quality", "thresholds", "severity", "discrimination", "severity_sd", "log_discrimination_sd"]
        start = self._pymc_start(self._map_fit(judgments, inp), inp, n_g)
        outcome = draw_posterior(model, settings, inference=self.inference, random_state=self.random_state_, var_names=keep,
                            check_names=["thresholds", "severity", "discrimination"], initial_points=start)
        self.idata_ = outcome.idata
        self.warnings_.extend(outcome.warnings)
        self.sampler_ = outcome.sampler
        level = self.interval_level_
        sev_d = _arviz.draws(outcome.idata, "severity")
        disc_d = _arviz.draws(outcome.idata, "discrimination")
        lam = _arviz.draws(outcome.idata, "thresholds").mean(0)
        s_lo, s_hi = posterior_interval(sev_d, level)
        d_lo, d_hi = posterior_interval(disc_d, level)
        keep_draws = thinned(len(sev_d))
        rater_draws = {"thresholds": _arviz.draws(outcome.idata, "thresholds")[keep_draws],
                       "severity": sev_d[keep_draws], "discrimination": disc_d[keep_draws]}
        self._finish(judgments, lam, sev_d.mean(0), s_lo, s_hi, sev_d.std(0), np.exp(np.log(disc_d).mean(0)),
                     d_lo, d_hi, rater_draws, None, item_draws=_arviz.draws(outcome.idata, "quality"))
        self.ci_method_ = f"posterior-quantile({outcome.sampler})"
        self.prediction_scale_ = self._prediction_scale(inp)
        self._check_consensus(judgments, inp)
