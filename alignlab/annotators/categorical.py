"""Categorical annotator models: Dawid–Skene (hierarchical), one-coin, MACE and GLAD.

All four describe ``P(y_ij = l | z_i = k)``, the chance that rater j gives label l to an item whose
latent true class is k, and share one pipeline: an engine produces parameter draws (EM: the MAP
plus bootstrap or conditional draws; PyMC: posterior draws), from which every rater summary is
computed the same way:

- ``reliability`` = Cohen's kappa of the rater's label with the latent class,
  ``(Σ_kl w_kl π_k θ_kl − Σ_kl w_kl π_k q_l) / (1 − Σ_kl w_kl π_k q_l)`` with ``q_l = Σ_k π_k θ_kl``
  the rater's label distribution (:mod:`alignlab.annotators._reliability`): 0 for a spammer (every
  row equal), 1 for a perfect rater, below 0 for a rater worse than chance, increasing in accuracy,
  classes weighted by prevalence. ``w`` is the identity on unordered and binary scales and linear in
  the levels on ordered ones (pairwise: B < tie < A, a tie for a clear preference or a preference
  for a tie earns half credit).
- ``informativeness`` = the unsigned mean total-variation distance between the rows of the
  confusion matrix over pairs of true classes (binary: |Youden's J|): how much the labels depend on
  the truth, whether or not they are right.
- ``bias``: ordered scales (binary, ordinal) — the shift of the rater's expected label from the
  expected true label, in scale units (+0.5 = rates half a level higher than the truth);
  unordered scales — total-variation distance between the rater's label distribution and the class
  prevalence (``overused_label`` names the label used most in excess).
- ``accuracy`` = Σ_k π_k θ_jkk; ``spammer_prob`` = posterior (or bootstrap) probability that
  ``|reliability| < spammer_threshold`` (chance-level labels), ``adversarial_prob`` = probability that
  ``reliability < 0`` (worse than chance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import entr, expit, logit

from alignlab._array import annotators_em as em
from alignlab._params import MODEL_N_RESAMPLES, DataError, Interval, InvalidParameterError, Options
from alignlab.annotators import _reliability
from alignlab.annotators._base import RATER_COLUMNS, AnnotatorModel, empty_rater_frame
from alignlab.annotators._checks import consensus_checks, consensus_warnings, gold_accuracy
from alignlab.data import Judgments

__all__ = ["DawidSkene", "OneCoin", "MACE", "GLAD", "CategoricalModel"]

_EM_CI_METHODS = ("auto", "bootstrap", "conditional", "none")
# class prevalence of the one-coin, MACE and GLAD models: "estimate" (EM/MAP), "uniform" (fixed at 1/K,
# as in the original GLAD and MACE), "auto" (estimate; fixed at 1/K when the estimated fit collapses)
_PREVALENCE_MODES = ("auto", "estimate", "uniform")
# above this many judgments ci_method="auto" uses the conditional (complete-data) posterior, not the bootstrap
_AUTO_BOOTSTRAP_MAX_JUDGMENTS = 200_000
# PyMC item posteriors are averaged over at most this many (thinned) draws
_MAX_ITEM_DRAWS = 200


# prior="auto": folds and the largest input (judgments) the held-out selection is scored on
_SELECTION_FOLDS = 3
_SELECTION_MAX_JUDGMENTS = 30_000


def _selection_design(design: em.Design, rng: np.random.Generator) -> em.Design:
    """The design itself, or one restricted to random items holding at most 30,000 judgments."""
    if len(design.item) <= _SELECTION_MAX_JUDGMENTS:
        return design
    per_item = np.bincount(design.item, minlength=design.n_items)
    order = rng.permutation(design.n_items)
    chosen = np.sort(order[np.cumsum(per_item[order]) <= _SELECTION_MAX_JUDGMENTS])
    new_code = np.full(design.n_items, -1, dtype=np.int64)
    new_code[chosen] = np.arange(len(chosen))
    rows = new_code[design.item] >= 0
    return em.make_design(new_code[design.item[rows]], design.rater[rows], design.label[rows], design.weight[rows],
                          len(chosen), design.n_raters, design.n_classes, design.gold[chosen])


def _group_codes(rater_frame: pd.DataFrame, pooling: Sequence[str]) -> list[np.ndarray]:
    """Nested group codes per rater (coarsest first) for the columns in ``pooling`` that vary."""
    levels: list[np.ndarray] = []
    keys: list[str] = []
    for column in pooling:
        if column not in rater_frame.columns or rater_frame[column].isna().all():
            continue
        keys.append(column)
        # one group per distinct combination of the columns so far (vectorised; a row-wise string join
        # took 0.5 s on 1,000 raters)
        codes = rater_frame[keys].astype(str).groupby(keys, sort=True).ngroup().to_numpy()
        n_groups = int(codes.max()) + 1 if len(codes) else 0
        previous = int(levels[-1].max()) + 1 if levels else 1
        if n_groups > previous:  # a level that splits nothing adds no pooling
            levels.append(codes.astype(np.int64))
    return levels


class CategoricalModel(AnnotatorModel):
    """Shared machinery of the categorical models (not used directly)."""

    _supported_scales: ClassVar[tuple[str, ...]] = ("binary", "categorical", "ordinal", "pairwise")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "use_gold": ["boolean"],
        "prevalence_prior": [Interval("real", 0, None)],
        "rater_priors": [pd.DataFrame, None],
        "spammer_threshold": [Interval("real", 0, 1, closed="neither")],
        "ci_method": [Options(_EM_CI_METHODS)],
        "inference": [Options(("nuts", "advi"))],
        "max_iter": [Interval("integral", 1, None)],
        "tol": [Interval("real", 0, None, closed="neither")],
    }
    _state_attributes: ClassVar[tuple[str, ...]] = (
        "raters_", "items_", "confusion_", "prevalence_", "proba_", "groups_", "convergence_", "idata_",
    )
    # PyMC engine: chains start at the EM solution, so 500 warm-up draws suffice; the marginalised
    # likelihoods are smooth (no divergences at 0.8) and a low-rank mass matrix captures the global
    # prevalence/confusion directions: 15 leapfrog steps per draw instead of 31 (10k judgments x 50
    # raters). 1500 draws per chain because r-hat is checked on every confusion cell (450 there):
    # at 1000 draws the largest of them was 1.0116 on one seed of two, at 1500 it was 1.0048.
    _sampler_defaults: ClassVar[dict[str, Any]] = {"draws": 1500, "tune": 500, "target_accept": 0.8,
                                                   "mass_matrix": "low_rank"}

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        use_gold: bool = True,
        prevalence_prior: float = 1.0,
        rater_priors: pd.DataFrame | None = None,
        spammer_threshold: float = 0.2,
        ci_method: str = "auto",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        max_iter: int = 500,
        tol: float = 1e-7,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, confidence_level=confidence_level, n_resamples=n_resamples,
                         sampler=sampler, random_state=random_state)
        self.inference = inference
        self.use_gold = use_gold
        self.prevalence_prior = prevalence_prior
        self.rater_priors = rater_priors
        self.spammer_threshold = spammer_threshold
        self.ci_method = ci_method
        self.max_iter = max_iter
        self.tol = tol

    # -- model-specific hooks ---------------------------------------------------------------------
    def _init_params(self, design: em.Design, T: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def _m_step(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray],
                item_weight: np.ndarray | None) -> dict[str, np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def _e_step(self, design: em.Design, params: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
        L = em.class_loglik(design, np.log(np.maximum(self._theta(params), 1e-300)))
        return em.e_step(L, np.log(params["pi"]), design.gold)

    def _theta(self, params: dict[str, np.ndarray]) -> np.ndarray:
        """Representative confusion tensor (J, K, K) of one parameter set."""
        raise NotImplementedError  # pragma: no cover

    def _log_prior(self, params: dict[str, np.ndarray]) -> float:
        return 0.0

    def _conditional_draws(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray], n: int,
                           rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        raise NotImplementedError  # pragma: no cover

    def _pymc_build(self, design: em.Design) -> tuple[Any, list[str]]:
        raise NotImplementedError  # pragma: no cover

    def _params_from_posterior(self, idata: Any) -> list[dict[str, np.ndarray]]:
        raise NotImplementedError  # pragma: no cover

    # -- shared pieces ----------------------------------------------------------------------------
    def _prevalence_pseudo(self, K: int) -> np.ndarray:
        return np.full(K, float(self.prevalence_prior))

    def _update_pi(self, design: em.Design, T: np.ndarray, item_weight: np.ndarray | None) -> np.ndarray:
        """M-step of the class prevalence: the MAP update, or fixed at 1/K (``prevalence="uniform"``)."""
        K = design.n_classes
        if self._prevalence_mode() == "uniform":
            return np.full(K, 1.0 / K)
        totals = T.sum(axis=0) if item_weight is None else item_weight @ T
        return em.normalise(totals + self._prevalence_pseudo(K))

    def _prevalence_mode(self) -> str:
        """``"estimate"`` or ``"uniform"``: the resolved ``prevalence`` setting (models without one estimate)."""
        mode = getattr(self, "prevalence", "estimate")
        return self.__dict__.get("_resolved_prevalence", mode if mode != "auto" else "estimate")

    def _choose_settings(self, design: em.Design) -> None:
        """Settings chosen from the data before the fit (DawidSkene: the prior); none by default."""

    def _setting_columns(self) -> dict[str, Any]:
        """Chosen settings recorded in ``convergence_``."""
        return {}

    def _class_loglik(self, design: em.Design, params: dict[str, np.ndarray]) -> np.ndarray:
        """``L[i, k] = log p(labels of item i | class k)`` (items x K), no gold clamp."""
        return em.class_loglik(design, np.log(np.maximum(self._theta(params), 1e-300)))

    def _item_log_marginal(self, design: em.Design, params: dict[str, np.ndarray]) -> np.ndarray:
        """Per item ``log sum_k pi_k p(labels | k)``: the likelihood of its labels with the class summed out."""
        from scipy.special import logsumexp

        L = self._class_loglik(design, params) + np.log(np.maximum(params["pi"], 1e-300))[None, :]
        return logsumexp(L, axis=1)

    def _heldout_loglik(self, design: em.Design, folds: np.ndarray, n_folds: int) -> float:
        """Sum over item folds of the held-out items' label log-likelihood under a fit to the other folds.

        The other folds' items are fitted with unit weight, the held-out ones with weight 0 (same
        design and codes: a rater seen only in held-out items gets its prior); held-out items are
        scored without their gold clamp.
        """
        free = replace(design, gold=np.full(design.n_items, -1, dtype=np.int64))
        T0 = em.majority_posterior(design)
        total = 0.0
        for fold in range(n_folds):
            test = folds == fold
            params, _, _, _, _ = self._run(design, T0, None, (~test).astype(float), min(self.max_iter, 200),
                                           tol=max(self.tol, 1e-6))
            total += float(self._item_log_marginal(free, params)[test].sum())
        return total

    def _pymc_pi(self, pm: Any, K: int) -> Any:
        """The prevalence of a PyMC model: Dirichlet (estimated) or the constant 1/K (``"uniform"``)."""
        if self._prevalence_mode() == "uniform":
            return pm.Deterministic("pi", pm.math.constant(np.full(K, 1.0 / K)))
        return pm.Dirichlet("pi", a=self._prevalence_pseudo(K) + 1.0)

    def _checks(self, design: em.Design, T: np.ndarray) -> dict[str, Any]:
        counts = np.asarray(design.M @ np.tile(np.eye(design.n_classes), (design.n_raters, 1)))
        return consensus_checks(counts, T, exclude=design.gold >= 0)

    def _resolve_prevalence(self, design: em.Design, T: np.ndarray) -> bool:
        """``prevalence="auto"``: switch to a fixed uniform prevalence when the estimated one collapsed.

        Returns True when the model must be refitted. The symmetric-error models reach a vertex of
        the simplex (one label for every item) as their maximum-likelihood solution when raters
        differ in how often they use a label (see :mod:`alignlab.annotators._checks`); with the
        prevalence held at 1/K, as in the original GLAD (Whitehill et al. 2009) and MACE (Hovy et
        al. 2013), that route is closed and the fit weighs raters by their agreement.
        """
        if getattr(self, "prevalence", "estimate") != "auto" or "_resolved_prevalence" in self.__dict__:
            return False
        checks = self._checks(design, T)
        if not checks["collapsed"]:
            self._resolved_prevalence = "estimate"
            return False
        self._resolved_prevalence = "uniform"
        labels = list(self.scale_.labels)
        shares = ", ".join(f"'{labels[k]}' on {checks['model_share'][k]:.1%} of items (majority vote "
                           f"{checks['mv_share'][k]:.1%})" for k in checks["collapsed"])
        self.warnings_.append(f"{self._model_name} with an estimated prevalence collapsed toward one label ({shares}); "
                              "refitted with the prevalence fixed at 1/K (prevalence='uniform'). Pass "
                              "prevalence='estimate' to keep the collapsed fit.")
        return True

    def _history(self, judgments: Judgments) -> np.ndarray:
        """Rater-history pseudo-counts (J, K, K) from ``rater_priors`` (zeros when not given).

        Accepted forms (see "Rater history" in :mod:`alignlab.annotators`): ``rater_id,
        reliability, n`` (a reliability from earlier work, worth ``n`` judgments, e.g. an earlier
        fit's ``raters_[["rater_id", "reliability", "n"]]``), or ``rater_id, true_label, label,
        count`` (an earlier confusion matrix, e.g. ``confusion_[["rater_id", "true_label", "label",
        "count"]]``). Raters not in the data are ignored; repeated rows add up.
        """
        J, K = judgments.n_raters, judgments.scale.n_categories
        history = np.zeros((J, K, K))
        prior = self.rater_priors
        if prior is None:
            return history
        name = type(self).__name__
        if "rater_id" not in prior.columns:
            raise DataError(f"The 'rater_priors' frame of {name} needs a 'rater_id' column; it has "
                             f"{list(prior.columns)}.")
        forms = (("reliability", "n"), ("true_label", "label", "count"))
        form = next((f for f in forms if set(f) <= set(prior.columns)), None)
        if form is None:
            raise DataError(
                f"The 'rater_priors' frame of {name} must have columns rater_id, reliability, n (earlier "
                f"reliabilities) or rater_id, true_label, label, count (earlier confusion counts); it has "
                f"{list(prior.columns)}."
            )
        unknown = [c for c in prior.columns if c != "rater_id" and c not in form]
        if unknown:  # a misspelt or unused column would otherwise be ignored silently
            raise InvalidParameterError(f"The 'rater_priors' frame of {name} has unknown columns {unknown}; use rater_id, "
                             f"{', '.join(form)} (select them, e.g. frame[{['rater_id', *form]!r}]).")
        codes = pd.Index(judgments.raters).get_indexer(prior["rater_id"])
        known = codes >= 0
        if form == forms[0]:
            reliability = pd.to_numeric(prior["reliability"], errors="coerce").to_numpy(dtype=float)
            n = pd.to_numeric(prior["n"], errors="coerce").to_numpy(dtype=float)
            # a one-coin rater with that reliability (kappa with the truth at equal prevalence, on this
            # scale's agreement weights), its n judgments spread evenly over the true classes
            weights = _reliability.agreement_weights(judgments.scale)
            lowest = float(_reliability.reliability(em.onecoin_theta(np.zeros(1), K), np.full(K, 1.0 / K),
                                                    weights)[0])
            bad = (~np.isfinite(reliability) | (reliability < lowest - 1e-9) | (reliability > 1) | ~np.isfinite(n)
                   | (n < 0))
            if bad.any():
                raise DataError(f"The 'rater_priors' frame of {name} needs reliability in [{lowest:.3g}, 1] (the "
                                 f"kappa of a rater who is never right to one who always is) and n >= 0; row "
                                 f"{int(np.flatnonzero(bad)[0])} has reliability={reliability[bad][0]!r}, "
                                 f"n={n[bad][0]!r}.")
            accuracy = np.clip(_reliability.one_coin_accuracy(reliability, weights), 0.0, 1.0)
            np.add.at(history, codes[known], em.onecoin_theta(accuracy[known], K) * (n[known] / K)[:, None, None])
            return history
        true_codes = judgments.scale.encode(prior["true_label"])
        label_codes = judgments.scale.encode(prior["label"])
        count = pd.to_numeric(prior["count"], errors="coerce").to_numpy(dtype=float)
        bad = (true_codes < 0) | (label_codes < 0) | ~np.isfinite(count) | (count < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"The 'rater_priors' frame of {name} has a label not on the scale or a negative count "
                             f"in row {row}: true_label={prior['true_label'].iloc[row]!r}, "
                             f"label={prior['label'].iloc[row]!r}, count={count[row]!r}.")
        np.add.at(history, (codes[known], true_codes[known], label_codes[known]), count[known])
        return history

    def _design(self, judgments: Judgments) -> em.Design:
        K = judgments.scale.n_categories
        gold = None
        if self.use_gold and judgments.has("gold"):
            gold_values = judgments.item_info["gold"]
            codes = judgments.scale.encode(gold_values.where(gold_values.notna(), None))
            gold = np.where(gold_values.notna().to_numpy(), codes, -1)
            if (gold >= 0).all():
                self.warnings_.append("every item has a gold label, so item posteriors are the gold labels; "
                                      "pass use_gold=False to infer them from the raters.")
        return em.make_design(judgments.item_codes, judgments.rater_codes, judgments.label_codes,
                              judgments.frame["weight"].to_numpy(dtype=float), judgments.n_items,
                              judgments.n_raters, K, gold)

    def _run(self, design: em.Design, T0: np.ndarray, params: dict[str, np.ndarray] | None,
             item_weight: np.ndarray | None, max_iter: int,
             tol: float | None = None) -> tuple[dict[str, np.ndarray], np.ndarray, float, int, bool]:
        state: dict[str, Any] = {"params": params}

        def step(T: np.ndarray) -> tuple[np.ndarray, float]:
            state["params"] = self._m_step(design, T, state["params"] if state["params"] is not None
                                           else self._init_params(design, T), item_weight)
            T_new, loglik = self._e_step(design, state["params"])
            return T_new, loglik + self._log_prior(state["params"])

        T, objective, n_iter, converged = em.run_em(step, T0, max_iter=max_iter, tol=tol or self.tol)
        return state["params"], T, objective, n_iter, converged

    def _fit_em(self, judgments: Judgments) -> None:
        self._prepare(judgments)
        design = self._design_
        self._choose_settings(design)
        T0 = em.majority_posterior(design)
        params, T, objective, n_iter, converged = self._run(design, T0, None, None, self.max_iter)
        if self._resolve_prevalence(design, T):  # prevalence="auto" and the estimated one collapsed
            params, T, objective, n_iter, converged = self._run(design, T0, None, None, self.max_iter)
        if not converged:
            self.warnings_.append(f"EM did not converge in {self.max_iter} iterations (tol={self.tol:g}); "
                                  "raise max_iter.")
        self.params_ = params
        self.convergence_ = pd.DataFrame([{"engine": "em", "n_iter": n_iter, "converged": converged,
                                           "log_posterior": objective}])
        method = self.ci_method
        if method == "auto":
            method = "bootstrap" if len(judgments) <= _AUTO_BOOTSTRAP_MAX_JUDGMENTS else "conditional"
        rng = self.random_state_
        draws: list[dict[str, np.ndarray]] = []
        if method == "bootstrap":
            # item bootstrap, each replicate warm-started at the MAP (converges in a few iterations)
            for _ in range(self.n_resamples):
                weight = np.bincount(rng.integers(0, design.n_items, design.n_items),
                                     minlength=design.n_items).astype(float)
                # replicates stop at 1e-5: their spread, not the last digits, sets the interval
                p_b, _, _, _, _ = self._run(design, T, {k: v.copy() for k, v in params.items()}, weight,
                                            min(self.max_iter, 100), tol=max(self.tol, 1e-5))
                draws.append(p_b)
            self.ci_method_ = f"bootstrap-percentile(items, {self.n_resamples}, warm-started EM)"
        elif method == "conditional":
            draws = self._conditional_draws(design, T, params, self.n_resamples, rng)
            self.ci_method_ = (f"conditional-posterior({self.n_resamples} draws of the conjugate posterior given the "
                               "EM item posteriors; ignores item-label uncertainty)")
        else:
            self.ci_method_ = "none"
        self._finish(judgments, point=params, draws=draws, T=T)

    def _prepare(self, judgments: Judgments) -> None:
        self.__dict__.pop("_resolved_prevalence", None)
        self._design_ = self._design(judgments)
        self._history_ = self._history(judgments)
        self._rater_frame_ = empty_rater_frame(judgments)

    def _pymc_initial_point(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Starting values of the PyMC model's free variables from an EM solution ``params``."""
        raise NotImplementedError  # pragma: no cover

    def _em_start(self, design: em.Design) -> dict[str, np.ndarray]:
        """The EM/MAP solution as PyMC starting values (EM takes milliseconds where warm-up takes seconds).

        Probabilities are kept off the boundary (>= 1e-3) so that their log-odds are finite.
        """
        params, _, _, _, _ = self._run(design, em.majority_posterior(design), None, None,
                                       min(self.max_iter, 200), tol=max(self.tol, 1e-6))
        start = self._pymc_initial_point(params)
        if self._prevalence_mode() == "uniform":
            start.pop("pi", None)  # a constant, not a free variable
        if "pi" in start:
            start["pi"] = em.normalise(np.maximum(start["pi"], 1e-3))
        return start

    def _fit_pymc(self, judgments: Judgments) -> None:
        from alignlab.annotators._sampling import draw_posterior

        self._prepare(judgments)
        design = self._design_
        self._choose_settings(design)
        if getattr(self, "prevalence", "estimate") == "auto":  # decided on the EM fit, then fixed for sampling
            _, T_em, _, _, _ = self._run(design, em.majority_posterior(design), None, None, min(self.max_iter, 200),
                                         tol=max(self.tol, 1e-6))
            self._resolve_prevalence(design, T_em)
        model, names = self._pymc_build(design)
        outcome = draw_posterior(model, self._sampler_settings(), inference=self.inference,
                                 random_state=self.random_state_, var_names=names,
                                 check_names=[n for n in names if n != "pi" or self._prevalence_mode() != "uniform"],
                                 initial_points=self._em_start(design))
        self.idata_ = outcome.idata
        self.warnings_.extend(outcome.warnings)
        self.convergence_ = pd.DataFrame([{"engine": "pymc", "sampler": outcome.sampler,
                                           "seconds": outcome.seconds, **outcome.diagnostics}])
        draws = self._params_from_posterior(outcome.idata)
        self.ci_method_ = f"posterior-quantile({outcome.sampler}, {len(draws)} draws)"
        thin = np.unique(np.linspace(0, len(draws) - 1, min(len(draws), _MAX_ITEM_DRAWS)).astype(int))
        T = np.mean([self._e_step(design, draws[s])[0] for s in thin], axis=0)
        mean_params = {k: np.mean([d[k] for d in draws], axis=0) for k in draws[0]}
        self.params_ = mean_params
        self._finish(judgments, point=None, draws=draws, T=T)

    # -- summaries --------------------------------------------------------------------------------
    def _rater_stats(self, theta: np.ndarray, pi: np.ndarray, scale_levels: np.ndarray | None,
                     weights: np.ndarray) -> dict[str, np.ndarray]:
        """Reliability, informativeness, bias, accuracy for stacked ``theta (S, J, K, K)``, ``pi (S, K)``."""
        K = theta.shape[-1]
        reliability = _reliability.reliability(theta, pi, weights)
        informativeness = _reliability.informativeness(theta)
        idx = np.arange(K)
        accuracy = np.einsum("sk,sjk->sj", pi, theta[..., idx, idx])
        label_dist = np.einsum("sk,sjkl->sjl", pi, theta)
        if scale_levels is not None:
            bias = label_dist @ scale_levels - (pi @ scale_levels)[:, None]
        else:
            bias = 0.5 * np.abs(label_dist - pi[:, None, :]).sum(axis=-1)
        return {"reliability": reliability, "informativeness": informativeness, "bias": bias, "accuracy": accuracy,
                "label_dist": label_dist}

    def _finish(self, judgments: Judgments, *, point: dict[str, np.ndarray] | None,
                draws: list[dict[str, np.ndarray]], T: np.ndarray) -> None:
        scale = judgments.scale
        K = scale.n_categories
        labels = list(scale.labels)
        levels = scale.numeric_levels() if scale.is_ordered else None
        alpha = (1 - self.interval_level_) / 2
        thetas = np.stack([self._theta(d) for d in draws]) if draws else None
        pis = np.stack([d["pi"] for d in draws]) if draws else None
        if point is not None:
            point_theta = self._theta(point)[None]
            point_pi = point["pi"][None]
        else:
            point_theta = thetas.mean(axis=0, keepdims=True)  # type: ignore[union-attr]
            point_pi = pis.mean(axis=0, keepdims=True)  # type: ignore[union-attr]
        weights = _reliability.agreement_weights(scale)
        stats_point = self._rater_stats(point_theta, point_pi, levels, weights)
        stats_draws = self._rater_stats(thetas, pis, levels, weights) if thetas is not None else None

        # columns gathered first and the frame built once (each pandas column insert costs ~1 ms)
        base = self._rater_frame_
        columns: dict[str, Any] = dict(base.items())  # Series: the id columns keep their dtypes
        for key in ("bias", "reliability", "accuracy", "informativeness"):
            if point is None and stats_draws is not None:
                columns[key] = stats_draws[key].mean(axis=0)
            else:
                columns[key] = stats_point[key][0]
            if stats_draws is not None:
                low, high = np.quantile(stats_draws[key], [alpha, 1 - alpha], axis=0)
            else:
                low = high = np.full(len(base), np.nan)
            columns[f"{key}_low"], columns[f"{key}_high"] = low, high
        # the same draws as the interval: P(|reliability| < t) and P(reliability < 0)
        flag_source = stats_draws["reliability"] if stats_draws is not None else columns["reliability"][None, :]
        columns["spammer_prob"], columns["adversarial_prob"] = _reliability.rater_flags(flag_source,
                                                                                        self.spammer_threshold)
        if levels is None:
            excess = stats_point["label_dist"][0] - point_pi[0][None, :]
            columns["overused_label"] = np.asarray(labels, dtype=object)[np.argmax(excess, axis=1)]
        raters = pd.DataFrame(columns, index=base.index)
        self._extra_rater_columns(raters, point, draws)
        ordered = list(RATER_COLUMNS) + ["accuracy", "accuracy_low", "accuracy_high"]
        ordered += [c for c in _reliability.EXTRA_RATER_COLUMNS if c in raters.columns]
        raw = gold_accuracy(judgments, self.interval_level_)
        if raw is not None:  # the raw share right on gold items, beside the model-smoothed accuracy
            for column in raw.columns:
                raters[column] = raw[column].to_numpy()
        ordered += [c for c in raters.columns if c not in ordered]
        self.raters_ = raters[ordered]

        # confusion matrices, long form with intervals
        J = judgments.n_raters
        theta_point = point_theta[0]
        counts = em.expected_counts(self._design_, T)
        conf = pd.DataFrame({
            "rater_id": np.repeat(np.asarray(judgments.raters, dtype=object), K * K),
            "true_label": np.tile(np.repeat(np.asarray(labels, dtype=object), K), J),
            "label": np.tile(np.asarray(labels, dtype=object), J * K),
            "prob": theta_point.reshape(-1),
        })
        if thetas is not None:
            low, high = np.quantile(thetas, [alpha, 1 - alpha], axis=0)
            conf["prob_low"], conf["prob_high"] = low.reshape(-1), high.reshape(-1)
        else:
            conf["prob_low"] = conf["prob_high"] = np.nan
        conf["count"] = counts.reshape(-1)
        self.confusion_ = conf

        prevalence = pd.DataFrame({"label": labels, "prevalence": point_pi[0]})
        if pis is not None:
            low, high = np.quantile(pis, [alpha, 1 - alpha], axis=0)
            prevalence["prevalence_low"], prevalence["prevalence_high"] = low, high
        else:
            prevalence["prevalence_low"] = prevalence["prevalence_high"] = np.nan
        prevalence["expected_count"] = T.sum(axis=0)
        self.prevalence_ = prevalence

        item_index = pd.Index(judgments.items, name="item_id")
        self.proba_ = pd.DataFrame(T, index=item_index, columns=labels)
        info = judgments.item_info
        # per-item summaries on the (K, items) layout: reductions over a leading axis are the fast ones
        by_class = np.ascontiguousarray(T.T)  # no copy: the E-step returns T Fortran-ordered
        best, confidence = em.class_argmax(by_class)
        item_columns: dict[str, Any] = {
            "item_id": judgments.items,
            "n": info["n_judgments"].to_numpy(),
            "prediction": np.asarray(labels, dtype=object)[best],
            "confidence": confidence,
            "entropy": entr(by_class).sum(axis=0),
        }
        if judgments.has("gold"):
            item_columns["gold"] = info["gold"].to_numpy()
            item_columns["gold_clamped"] = self._design_.gold >= 0
        item_columns.update({f"p_{label}": by_class[k] for k, label in enumerate(labels)})
        items = pd.DataFrame(item_columns)
        self.items_ = items
        checks = self._checks(self._design_, T)
        self.warnings_.extend(consensus_warnings(self._model_name, checks, labels))
        if "convergence_" in vars(self):
            self.convergence_ = self.convergence_.assign(
                prevalence=self._prevalence_mode(), mv_disagreement=checks["disagreement"],
                collapsed=", ".join(str(labels[k]) for k in checks["collapsed"]), **self._setting_columns())
        self._groups(judgments, stats_point, stats_draws)
        for name in ("_design_", "_history_", "_rater_frame_"):
            self.__dict__.pop(name, None)

    def _extra_rater_columns(self, raters: pd.DataFrame, point: dict[str, np.ndarray] | None,
                             draws: list[dict[str, np.ndarray]]) -> None:
        """Model-specific columns (competence, ability ...)."""

    def _groups(self, judgments: Judgments, stats_point: dict[str, np.ndarray],
                stats_draws: dict[str, np.ndarray] | None) -> None:
        """Per-method and per-vendor reliability and bias: judgment-weighted means of the raters'."""
        raters = self._rater_frame_
        n = raters["n"].to_numpy(dtype=float)
        alpha = (1 - self.interval_level_) / 2
        rows = []
        for level in ("method", "vendor"):
            values = raters[level]
            if values.isna().all():
                continue
            codes, uniques = pd.factorize(values.astype(str), sort=True)
            for g, name in enumerate(uniques):
                member = codes == g
                weight = n[member] / n[member].sum()
                row: dict[str, Any] = {"level": level, "group": name, "n_raters": int(member.sum()),
                                       "n": float(n[member].sum())}
                for key in ("reliability", "informativeness", "bias", "accuracy"):
                    source = stats_draws if stats_draws is not None else stats_point
                    group_draws = source[key][:, member] @ weight
                    row[key] = float(self.raters_[key].to_numpy()[member] @ weight)
                    if stats_draws is not None:
                        row[f"{key}_low"], row[f"{key}_high"] = np.quantile(group_draws, [alpha, 1 - alpha])
                    else:
                        row[f"{key}_low"] = row[f"{key}_high"] = np.nan
                rows.append(row)
        self.groups_ = pd.DataFrame(rows)


# ==================================================================================================
class DawidSkene(CategoricalModel):
    """Dawid–Skene: one confusion matrix per rater, with hierarchical pooling by method and vendor.

    Each rater j has a confusion matrix ``theta[j, k, l] = P(label l | true class k)``; classes
    have prevalence ``pi``. Raters are shrunk toward their group (the "hierarchical Dawid–Skene" of
    Paun et al. 2018): the groups are ``pooling`` (nested, coarsest first), so a rater with few
    judgments gets its vendor's confusion matrix, a vendor with few raters its method's.

    Parameters
    ----------
    engine : {"em", "pymc"}
        ``"em"``: MAP by EM (sparse, millions of judgments; intervals from an item bootstrap or the
        conditional conjugate posterior). ``"pymc"``: full posterior, class marginalised out,
        chains started at the EM solution.
    inference : {"nuts", "advi"}
        PyMC engine only: NUTS (nutpie+JAX when installed), or mean-field ADVI for very large inputs
        (started at the EM solution, stops when the ELBO levels off; its intervals are too narrow,
        and a warning says so).
    prior : {"auto", "fixed", "flat"}, default "auto"
        ``"auto"``: the prior strength (``pooling_strength``, ``prior_correct``, ``prior_error``) is
        chosen from the data, by held-out label log-likelihood over a small grid (3 item folds;
        empirical Bayes by cross-validation), reported in ``prior_selection_`` and
        ``convergence_``; the three settings below are then ignored. ``"fixed"``: use them as
        given. ``"flat"``: the classic maximum-likelihood Dawid–Skene (no pooling, no
        pseudo-counts; crowd-kit's ``DawidSkene``).
    pooling : sequence of str, default ("method", "vendor")
        Rater columns defining the hierarchy; ``()`` for independent raters (classic DS).
    pooling_strength : float, default 2.0
        With ``prior="fixed"``: pseudo-judgments per confusion row that tie a rater to its group
        mean (EM engine); in the PyMC engine the pooling scale is learnt (logistic-normal
        hierarchy) and only whether it is > 0 matters. ``prior="auto"`` chooses it.
    prior_correct, prior_error : float
        With ``prior="fixed"``: Dirichlet pseudo-counts on the diagonal / each off-diagonal cell of
        every confusion row (diagonal-heavy against label switching). ``prior="auto"`` chooses them.
    use_gold : bool, default True
        Clamp items with a ``gold`` label to it (they still inform the confusion matrices).
    prevalence_prior : float
        Dirichlet pseudo-counts on the class prevalence.
    rater_priors : DataFrame, optional
        Rater history as pseudo-counts: ``rater_id, reliability, n`` or
        ``rater_id, true_label, label, count`` (e.g. an earlier fit's ``confusion_``); the
        conventions shared by every model are under "Rater history" in :mod:`alignlab.annotators`.
    spammer_threshold : float, default 0.2
        ``spammer_prob`` is the probability that ``|reliability|`` is below this (chance-level
        labels); ``adversarial_prob`` is the probability that reliability is below 0.
    ci_method : {"auto", "bootstrap", "conditional", "none"}
        EM intervals: item bootstrap (warm-started), or draws from the Dirichlet posterior of each
        confusion row given the EM item posteriors (fast; slightly narrow). ``auto`` bootstraps up
        to 200,000 judgments.
    confidence_level, n_resamples, max_iter, tol, sampler, random_state
        As everywhere in alignlab; ``sampler`` takes chains, draws, tune, target_accept, backend,
        mass_matrix. The categorical models default to 2 chains x 1500 draws after 500 warm-up
        draws, target_accept 0.8 and a low-rank mass matrix (nutpie): converged (r-hat < 1.01)
        on 10k judgments in well under a minute.

    Attributes
    ----------
    raters_ : DataFrame
        One row per rater: ``rater_id, method, vendor, n, bias(+interval), reliability(+interval),
        spammer_prob, accuracy(+interval), adversarial_prob, informativeness(+interval)``; reliability
        is the kappa of the rater's label with the latent class (module docstring).
    items_ : DataFrame
        ``item_id, n, prediction, confidence, entropy, [gold, gold_clamped], p_<label>...``.
    confusion_ : DataFrame
        ``rater_id, true_label, label, prob, prob_low, prob_high, count``.
    prevalence_ : DataFrame
    groups_ : DataFrame
        Reliability and bias per method and per vendor.
    idata_ : arviz.InferenceData
        PyMC engine only.

    Notes
    -----
    Class summed out: ``log p(y) = sum_i logsumexp_k [log pi_k + sum_j log theta[j, k, y_ij]]``.
    EM: ``theta ∝ counts + prior``, with the prior ``prior_correct/prior_error + history +
    pooling_strength * group mean`` (empirical Bayes). PyMC: ``theta[j, k] = softmax(beta[j, k])``,
    ``beta[j, k] ~ N(zeta[group(j), k], sigma)``, ``zeta ~ N(population mean, tau)``.
    Dawid & Skene 1979, JRSS C; Paun et al. 2018, TACL; Passonneau & Carpenter 2014, TACL.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import DawidSkene
    >>> j = alignlab.datasets.load("bluebird")
    >>> model = DawidSkene(use_gold=False, ci_method="conditional", random_state=0).fit(j)
    >>> round(float((model.predict() == j.item_info.set_index("item_id")["gold"]).mean()), 2) >= 0.85
    True
    """

    _model_name = "Dawid–Skene"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "pooling": [tuple, list],
        "pooling_strength": [Interval("real", 0, None)],
        "prior_correct": [Interval("real", 0, None)],
        "prior_error": [Interval("real", 0, None)],
        "prior": [Options(("auto", "fixed", "flat"))],
    }
    _state_attributes: ClassVar[tuple[str, ...]] = CategoricalModel._state_attributes + ("prior_selection_",)
    #: candidate (pooling_strength, prior_correct, prior_error) of prior="auto": near-flat, Laplace, the
    #: diagonal-heavy prior, each alone and pooled toward the rater's group with 2 / 8 / 32 pseudo-judgments
    _PRIOR_GRID: ClassVar[tuple[tuple[float, float, float], ...]] = (
        (0.0, 0.01, 0.01), (0.0, 1.0, 1.0), (0.0, 2.0, 0.5), (2.0, 2.0, 0.5), (8.0, 2.0, 0.5), (32.0, 2.0, 0.5),
        (2.0, 0.01, 0.01), (8.0, 0.01, 0.01), (32.0, 0.01, 0.01),
    )
    #: the next tier, tried only when no prior of :attr:`_PRIOR_GRID` keeps the labels' meaning: strongly
    #: diagonal priors (8 / 32 pseudo-judgments on the diagonal, 1 per error cell). Medical-safety queries: none
    #: of the first tier keeps it; 8/1 does and reaches 0.722 against majority vote's 0.712
    _STRONG_PRIOR_GRID: ClassVar[tuple[tuple[float, float, float], ...]] = ((0.0, 8.0, 1.0), (0.0, 32.0, 1.0))

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        prior: str = "auto",
        pooling: Sequence[str] = ("method", "vendor"),
        pooling_strength: float = 2.0,
        prior_correct: float = 2.0,
        prior_error: float = 0.5,
        use_gold: bool = True,
        prevalence_prior: float = 1.0,
        rater_priors: pd.DataFrame | None = None,
        spammer_threshold: float = 0.2,
        ci_method: str = "auto",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        max_iter: int = 500,
        tol: float = 1e-7,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, inference=inference, use_gold=use_gold, prevalence_prior=prevalence_prior,
                         rater_priors=rater_priors, spammer_threshold=spammer_threshold, ci_method=ci_method,
                         confidence_level=confidence_level, n_resamples=n_resamples, max_iter=max_iter, tol=tol,
                         sampler=sampler, random_state=random_state)
        self.prior = prior
        self.pooling = pooling
        self.pooling_strength = pooling_strength
        self.prior_correct = prior_correct
        self.prior_error = prior_error

    def _prior_values(self) -> tuple[float, float, float]:
        """``(pooling_strength, prior_correct, prior_error)`` in force: chosen (``prior="auto"``), zero
        (``"flat"``: classic maximum-likelihood Dawid–Skene) or as given (``"fixed"``)."""
        chosen = self.__dict__.get("_chosen_prior")
        if chosen is not None:
            return chosen
        if self.prior == "flat":
            return (0.0, 0.0, 0.0)
        return (float(self.pooling_strength), float(self.prior_correct), float(self.prior_error))

    def _choose_settings(self, design: em.Design) -> None:
        """``prior="auto"``: the prior of :attr:`_PRIOR_GRID` with the largest held-out label log-likelihood.

        Empirical Bayes by cross-validation: items are split into 3 folds, each candidate is fitted
        with one fold's items weighted 0 and scored by
        the marginal log-likelihood ``log sum_k pi_k prod_j theta[j, k, y_ij]`` of the held-out
        items' labels; the candidate with the largest total wins among those whose latent classes keep
        the labels' meaning (every class is the label raters most often give its items, in a fit on
        all the scored items). When no candidate of the grid keeps it, the strongly diagonal
        :attr:`_STRONG_PRIOR_GRID` is tried next (``tier`` 2 in ``prior_selection_``); if none does
        either, the best overall, with a warning. Inputs over 30,000 judgments are
        scored on a random subset of items holding 30,000 judgments (the fit itself uses all).
        The folds (and subset) are a fixed function of the sorted items (seed 0), whatever
        ``random_state``, so the default model gives the same consensus on every run and for
        every row order. The grid and its scores are in ``prior_selection_``.
        """
        if self.prior != "auto":
            return
        rng = np.random.default_rng(0)
        sub = _selection_design(design, rng)
        folds = rng.permutation(sub.n_items) % _SELECTION_FOLDS
        rows = []

        def score_candidates(grid: Sequence[tuple[float, float, float]], tier: int) -> None:
            for candidate in grid:
                if candidate[0] > 0 and not self.pooling:
                    continue  # pooling=(): no group to pool toward
                self._chosen_prior = candidate
                score = self._heldout_loglik(sub, folds, _SELECTION_FOLDS)
                rows.append({"pooling_strength": candidate[0], "prior_correct": candidate[1],
                             "prior_error": candidate[2], "tier": tier, "heldout_loglik": score,
                             "classes_keep_labels": self._classes_keep_labels(sub)})

        score_candidates(self._PRIOR_GRID, 1)
        if not any(r["classes_keep_labels"] for r in rows):  # escalate the prior only when the first tier fails
            score_candidates(self._STRONG_PRIOR_GRID, 2)
        table = pd.DataFrame(rows)
        # the likelihood cannot tell what a latent class means: a weak prior can let class k become "items
        # raters disagree on" (DICES-350: 'Unsure' takes 38% of items, accuracy 0.49 against 0.69). Only
        # candidates whose latent class k is the label raters most often give it are eligible.
        keep = table["classes_keep_labels"].to_numpy()
        score = np.where(keep, table["heldout_loglik"].to_numpy(), -np.inf) if keep.any() else table[
            "heldout_loglik"].to_numpy()
        if not keep.any():
            self.warnings_.append("with every candidate prior, some latent class of Dawid–Skene is not the label raters "
                                  "most often give it (the classes lost their meaning); the fit is unlikely to beat "
                                  "majority vote: compare models with alignlab.annotators.compare_models.")
        best = int(np.argmax(score))
        table["chosen"] = np.arange(len(table)) == best
        self._chosen_prior = tuple(float(table.loc[best, c]) for c in ("pooling_strength", "prior_correct",
                                                                        "prior_error"))
        self.prior_selection_ = table

    def _classes_keep_labels(self, design: em.Design) -> bool:
        """Whether, in a fit with the current prior, every latent class k (holding > 1% of the expected
        judgments) is the label that raters most often give to its items (pooled over raters)."""
        _, T, _, _, _ = self._run(design, em.majority_posterior(design), None, None, min(self.max_iter, 200),
                                  tol=max(self.tol, 1e-6))
        pooled = em.expected_counts(design, T).sum(axis=0)  # (true class, label)
        rows = pooled.sum(axis=1) > 0.01 * pooled.sum()
        return bool((np.argmax(pooled, axis=1) == np.arange(len(pooled)))[rows].all())

    def _setting_columns(self) -> dict[str, Any]:
        strength, correct, error = self._prior_values()
        return {"prior": self.prior, "pooling_strength": strength, "prior_correct": correct, "prior_error": error}

    def _base_prior(self, J: int, K: int) -> np.ndarray:
        _, correct, error = self._prior_values()
        base = np.full((K, K), error)
        np.fill_diagonal(base, correct)
        return np.broadcast_to(base, (J, K, K)) + self._history_

    def _prepare(self, judgments: Judgments) -> None:
        super()._prepare(judgments)
        self.__dict__.pop("_chosen_prior", None)
        unknown = [c for c in self.pooling if c not in ("method", "vendor")]
        if unknown:
            raise InvalidParameterError(f"DawidSkene pools raters by 'method' and/or 'vendor'; pooling={tuple(self.pooling)!r} "
                             f"names {unknown!r}.")
        self._levels_ = _group_codes(self._rater_frame_, self.pooling)

    def _prior(self, counts: np.ndarray) -> np.ndarray:
        J, K = counts.shape[0], counts.shape[1]
        base = self._base_prior(J, K)
        strength = self._prior_values()[0]
        if not self.pooling or strength == 0:
            return base
        levels = self._levels_ or [np.zeros(J, dtype=np.int64)]
        return em.pooled_prior(counts, base, levels, strength)

    def _init_params(self, design: em.Design, T: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _m_step(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray],
                item_weight: np.ndarray | None) -> dict[str, np.ndarray]:
        counts = em.expected_counts(design, T, item_weight)
        prior = self._prior(counts)
        totals = T.sum(axis=0) if item_weight is None else item_weight @ T
        pi = em.normalise(totals + self._prevalence_pseudo(design.n_classes))
        return {"theta": em.ds_m_step(counts, prior), "pi": pi, "prior": prior}

    def _theta(self, params: dict[str, np.ndarray]) -> np.ndarray:
        return params["theta"]

    def _log_prior(self, params: dict[str, np.ndarray]) -> float:
        if "prior" not in params:
            return 0.0
        return float((params["prior"] * np.log(np.maximum(params["theta"], 1e-300))).sum())

    def _conditional_draws(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray], n: int,
                           rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        counts = em.expected_counts(design, T)
        concentration = counts + params["prior"] + 1e-3
        # Dirichlet draws via normalised gammas, vectorised over raters and rows
        gam = rng.standard_gamma(concentration[None].repeat(n, axis=0))
        theta = gam / gam.sum(axis=-1, keepdims=True)
        pi_conc = T.sum(axis=0) + self._prevalence_pseudo(design.n_classes) + 1e-3
        pis = rng.dirichlet(pi_conc, size=n)
        return [{"theta": theta[s], "pi": pis[s]} for s in range(n)]

    def _pymc_build(self, design: em.Design) -> tuple[Any, list[str]]:
        import pymc as pm
        import pytensor.tensor as pt

        J, K = design.n_raters, design.n_classes
        levels = self._levels_
        strength, prior_correct, prior_error = self._prior_values()
        hierarchical = bool(self.pooling) and strength > 0
        pi_conc = self._prevalence_pseudo(K) + 1.0
        with pm.Model() as model:
            pi = pm.Dirichlet("pi", a=pi_conc)
            if hierarchical:
                # logistic-normal hierarchy (Paun et al. 2018): population -> groups -> raters
                diag = np.log(max(prior_correct, 1e-3) / max(prior_error, 1e-3))
                mean0 = np.where(np.eye(K, dtype=bool), diag, 0.0)
                zeta = pm.Normal("zeta_population", mu=mean0, sigma=1.5, shape=(K, K))
                for depth, codes in enumerate(levels):
                    n_groups = int(codes.max()) + 1
                    parent = zeta if depth == 0 else zeta[_parent_codes(levels[depth - 1], codes)]
                    if depth == 0:
                        parent = pt.broadcast_to(zeta, (n_groups, K, K))
                    tau = pm.HalfNormal(f"tau_{depth}", sigma=1.0)
                    offset = pm.Normal(f"group_offset_{depth}", 0.0, 1.0, shape=(n_groups, K, K))
                    zeta = parent + tau * offset
                sigma = pm.HalfNormal("sigma_rater", sigma=1.0)
                z = pm.Normal("rater_offset", 0.0, 1.0, shape=(J, K, K))
                beta = (zeta[levels[-1]] if levels else zeta[None]) + sigma * z
                log_theta = beta - pt.logsumexp(beta, axis=-1, keepdims=True)
                pm.Deterministic("theta", pt.exp(log_theta))
            else:
                theta_conc = self._base_prior(J, K) + 1.0
                theta = pm.Dirichlet("theta", a=theta_conc, shape=(J, K, K))
                log_theta = pt.log(theta)
            _marginal_potential(pm, pt, design, log_theta, pi)
        names = ["pi", "theta"]
        if hierarchical:
            names += ["sigma_rater"] + [f"tau_{d}" for d in range(len(levels))]
        return model, names

    def _pymc_initial_point(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        theta = em.normalise(np.maximum(params["theta"], 1e-3))
        if not (bool(self.pooling) and self._prior_values()[0] > 0):
            return {"pi": params["pi"], "theta": theta}
        # logistic-normal hierarchy: centred log-odds of the EM rows, rater offsets around their mean
        # (group offsets start at 0, so every group starts at the population mean)
        beta = np.log(theta)
        beta -= beta.mean(axis=-1, keepdims=True)
        population = beta.mean(axis=0)
        sigma = float(np.clip((beta - population).std(), 0.05, 5.0))
        return {"pi": params["pi"], "zeta_population": population, "sigma_rater": np.asarray(sigma),
                "rater_offset": (beta - population) / sigma}

    def _params_from_posterior(self, idata: Any) -> list[dict[str, np.ndarray]]:
        from alignlab.annotators import _arviz

        theta = _arviz.draws(idata, "theta")
        pi = _arviz.draws(idata, "pi")
        return [{"theta": theta[s], "pi": pi[s]} for s in range(len(pi))]


def _parent_codes(parent_level: np.ndarray, child_level: np.ndarray) -> np.ndarray:
    n_children = int(child_level.max()) + 1
    out = np.zeros(n_children, dtype=np.int64)
    out[child_level] = parent_level
    return out


def _marginal_potential(pm: Any, pt: Any, design: em.Design, log_theta: Any, pi: Any) -> None:
    """``sum_i logsumexp_k [log pi_k + sum_n w_n log theta[j_n, k, y_n]]`` as a potential.

    Vectorised: gather row ``rater * K + label`` of ``log_theta`` laid out as (J*K labels, K classes)
    per judgment (N, K; one flat gather, ~10% faster under JAX than indexing two axes around a
    slice), scatter-add into items. Gold items get -1e6 on every other class (the clamp) without
    ``-inf`` gradients.
    """
    K = design.n_classes
    by_label = log_theta.transpose(0, 2, 1).reshape((design.n_raters * K, K))
    per_judgment = by_label[design.rater * K + design.label] * design.weight[:, None]
    per_item = pt.zeros((design.n_items, design.n_classes))
    per_item = pt.inc_subtensor(per_item[design.item], per_judgment)
    clamp = np.zeros((design.n_items, design.n_classes))
    has_gold = design.gold >= 0
    clamp[has_gold] = -1e6
    clamp[np.flatnonzero(has_gold), design.gold[has_gold]] = 0.0
    logits = per_item + pt.log(pi)[None, :] + clamp
    pm.Potential("marginal_loglik", pt.logsumexp(logits, axis=1).sum())


# ==================================================================================================
class OneCoin(CategoricalModel):
    """One-coin Dawid–Skene: one accuracy per rater, errors spread evenly over the other classes.

    ``theta[j, k, k] = a_j``, ``theta[j, k, l] = (1 - a_j)/(K - 1)``; Beta prior on ``a_j`` with
    pseudo-counts ``prior_correct`` / ``prior_error`` (x (K - 1)). See :class:`DawidSkene` for the
    common parameters and attributes; ``raters_`` adds ``competence`` (= a_j) with its interval.
    Zhang, Chen, Zhou & Jordan 2014, NeurIPS.

    ``prevalence`` ({"auto", "estimate", "uniform"}, also in :class:`MACE` and :class:`GLAD`): the
    class prevalence is estimated (``"estimate"``), fixed at 1/K (``"uniform"``, as in the original
    GLAD and MACE), or estimated and fixed at 1/K only when the estimated fit collapses toward one
    label (``"auto"``, the default; a warning says so and ``convergence_["prevalence"]`` records
    it). Why: with symmetric errors, raters who differ in how often they use a label are explained
    best by giving every item one class (each rater's accuracy then equals its own label rate), so
    on sparse crowds with lenient spammers the estimated prevalence runs to a vertex of the simplex
    and the consensus is one label for all items; holding the prevalence fixed closes that route.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import OneCoin
    >>> j = alignlab.datasets.load("bluebird")
    >>> raters = OneCoin(use_gold=False, ci_method="none").fit(j).raters_
    >>> below = raters["reliability"] < 0  # worse than chance: bluebird has workers who swap the two species
    >>> int(below.sum()), bool(raters.loc[below, "competence"].lt(0.5).all())
    (5, True)
    """

    _model_name = "one-coin"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "prevalence": [Options(_PREVALENCE_MODES)],
        "prior_correct": [Interval("real", 0, None)],
        "prior_error": [Interval("real", 0, None)],
    }

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        prior_correct: float = 2.0,
        prior_error: float = 0.5,
        use_gold: bool = True,
        prevalence_prior: float = 1.0,
        prevalence: str = "auto",
        rater_priors: pd.DataFrame | None = None,
        spammer_threshold: float = 0.2,
        ci_method: str = "auto",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        max_iter: int = 500,
        tol: float = 1e-7,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, inference=inference, use_gold=use_gold, prevalence_prior=prevalence_prior,
                         rater_priors=rater_priors, spammer_threshold=spammer_threshold, ci_method=ci_method,
                         confidence_level=confidence_level, n_resamples=n_resamples, max_iter=max_iter, tol=tol,
                         sampler=sampler, random_state=random_state)
        self.prior_correct = prior_correct
        self.prior_error = prior_error
        self.prevalence = prevalence

    def _beta_prior(self, K: int) -> tuple[np.ndarray, np.ndarray]:
        history = self._history_
        idx = np.arange(K)
        correct = history[:, idx, idx].sum(axis=1)
        wrong = history.sum(axis=(1, 2)) - correct
        return self.prior_correct + correct, self.prior_error * (K - 1) + wrong

    def _init_params(self, design: em.Design, T: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _m_step(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray],
                item_weight: np.ndarray | None) -> dict[str, np.ndarray]:
        counts = em.expected_counts(design, T, item_weight)
        a0, b0 = self._beta_prior(design.n_classes)
        accuracy = em.onecoin_m_step(counts, a0, b0)
        return {"accuracy": accuracy, "pi": self._update_pi(design, T, item_weight)}

    def _theta(self, params: dict[str, np.ndarray]) -> np.ndarray:
        return em.onecoin_theta(params["accuracy"], len(params["pi"]))

    def _log_prior(self, params: dict[str, np.ndarray]) -> float:
        a = np.clip(params["accuracy"], 1e-12, 1 - 1e-12)
        a0, b0 = self._beta_prior(len(params["pi"]))
        return float((a0 * np.log(a) + b0 * np.log1p(-a)).sum())

    def _conditional_draws(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray], n: int,
                           rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        counts = em.expected_counts(design, T)
        K = design.n_classes
        correct = np.trace(counts, axis1=1, axis2=2)
        wrong = counts.sum(axis=(1, 2)) - correct
        a0, b0 = self._beta_prior(K)
        acc = rng.beta(correct + a0 + 1e-3, wrong + b0 + 1e-3, size=(n, design.n_raters))
        pis = rng.dirichlet(T.sum(axis=0) + self._prevalence_pseudo(K) + 1e-3, size=n)
        return [{"accuracy": acc[s], "pi": pis[s]} for s in range(n)]

    def _pymc_build(self, design: em.Design) -> tuple[Any, list[str]]:
        import pymc as pm
        import pytensor.tensor as pt

        K = design.n_classes
        a0, b0 = self._beta_prior(K)
        with pm.Model() as model:
            pi = self._pymc_pi(pm, K)
            accuracy = pm.Beta("accuracy", alpha=a0 + 1.0, beta=b0 + 1.0, shape=design.n_raters)
            eye = np.eye(K)
            log_theta = (pt.log(accuracy)[:, None, None] * eye
                         + pt.log((1 - accuracy) / (K - 1))[:, None, None] * (1 - eye))
            _marginal_potential(pm, pt, design, log_theta, pi)
        return model, ["pi", "accuracy"]

    def _pymc_initial_point(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"pi": params["pi"], "accuracy": np.clip(params["accuracy"], 1e-3, 1 - 1e-3)}

    def _params_from_posterior(self, idata: Any) -> list[dict[str, np.ndarray]]:
        from alignlab.annotators import _arviz

        acc, pi = _arviz.draws(idata, "accuracy"), _arviz.draws(idata, "pi")
        return [{"accuracy": acc[s], "pi": pi[s]} for s in range(len(pi))]

    def _extra_rater_columns(self, raters: pd.DataFrame, point: dict[str, np.ndarray] | None,
                             draws: list[dict[str, np.ndarray]]) -> None:
        _add_param_column(raters, "competence", "accuracy", point, draws, self.interval_level_)


def _add_param_column(raters: pd.DataFrame, column: str, key: str, point: dict[str, np.ndarray] | None,
                      draws: list[dict[str, np.ndarray]], level: float, transform: Any = None) -> None:
    f = transform or (lambda x: x)
    stacked = np.stack([f(d[key]) for d in draws]) if draws else None
    raters[column] = f(point[key]) if point is not None else stacked.mean(axis=0)  # type: ignore[union-attr]
    alpha = (1 - level) / 2
    if stacked is not None:
        raters[f"{column}_low"], raters[f"{column}_high"] = np.quantile(stacked, [alpha, 1 - alpha], axis=0)
    else:
        raters[f"{column}_low"] = raters[f"{column}_high"] = np.nan


# ==================================================================================================
class MACE(CategoricalModel):
    """MACE: each rater answers honestly with probability θ_j, otherwise spams from a strategy ε_j.

    ``P(y = l | z = k) = θ_j 1[l = k] + (1 − θ_j) ε_jl``. ``informativeness`` equals θ_j (the
    competence); ``reliability`` is the kappa with the latent class shared by every model,
    ``θ_j (1 − Σπ_k²) / (1 − θ_j Σπ_k² − (1 − θ_j) Σ_k π_k ε_jk)`` (θ_j itself when the spam
    strategy follows the prevalence, ε_j = π); ``raters_`` adds
    ``competence`` and ``spam_rate`` (1 − θ_j, MACE's own spam measure) and ``strategy_label`` (the
    label a spammer favours). Priors: Beta pseudo-counts
    ``competence_prior`` on θ_j, symmetric Dirichlet pseudo-counts ``strategy_prior`` on ε_j.
    EM with several restarts (``n_restarts``; the best log-posterior wins), as MACE does.
    Hovy, Berg-Kirkpatrick, Vaswani & Hovy 2013, NAACL.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import MACE
    >>> j = alignlab.datasets.load("bluebird")
    >>> m = MACE(use_gold=False, ci_method="none", random_state=0).fit(j)
    >>> m.raters_[["competence", "spam_rate"]].sum(axis=1).round(6).eq(1).all()
    np.True_
    """

    _model_name = "MACE"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "prevalence": [Options(_PREVALENCE_MODES)],
        "competence_prior": [tuple, list],
        "strategy_prior": [Interval("real", 0, None)],
        "n_restarts": [Interval("integral", 1, None)],
    }

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        competence_prior: tuple[float, float] = (1.0, 1.0),
        strategy_prior: float = 1.0,
        n_restarts: int = 5,
        use_gold: bool = True,
        prevalence_prior: float = 1.0,
        prevalence: str = "auto",
        rater_priors: pd.DataFrame | None = None,
        spammer_threshold: float = 0.2,
        ci_method: str = "auto",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        max_iter: int = 500,
        tol: float = 1e-7,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, inference=inference, use_gold=use_gold, prevalence_prior=prevalence_prior,
                         rater_priors=rater_priors, spammer_threshold=spammer_threshold, ci_method=ci_method,
                         confidence_level=confidence_level, n_resamples=n_resamples, max_iter=max_iter, tol=tol,
                         sampler=sampler, random_state=random_state)
        self.competence_prior = competence_prior
        self.strategy_prior = strategy_prior
        self.n_restarts = n_restarts
        self.prevalence = prevalence

    def _beta_prior(self, K: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.competence_prior) != 2 or min(self.competence_prior) < 0:
            raise InvalidParameterError(f"MACE's competence_prior must be two non-negative pseudo-counts (honest, spam); "
                             f"got {self.competence_prior!r}.")
        history = self._history_
        idx = np.arange(K)
        accuracy_counts = history[:, idx, idx].sum(axis=1)
        total = history.sum(axis=(1, 2))
        # an earlier accuracy a maps to competence (K a - 1)/(K - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            competence = np.clip(np.where(total > 0, (K * accuracy_counts / np.maximum(total, 1e-12) - 1) / (K - 1),
                                          0.0), 0, 1)
        return (float(self.competence_prior[0]) + competence * total,
                float(self.competence_prior[1]) + (1 - competence) * total)

    def _init_params(self, design: em.Design, T: np.ndarray) -> dict[str, np.ndarray]:
        J, K = design.n_raters, design.n_classes
        return {"competence": np.full(J, 0.8), "strategy": np.full((J, K), 1.0 / K), "pi": np.full(K, 1.0 / K)}

    def _m_step(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray],
                item_weight: np.ndarray | None) -> dict[str, np.ndarray]:
        counts = em.expected_counts(design, T, item_weight)
        a0, b0 = self._beta_prior(design.n_classes)
        competence, strategy = params["competence"], params["strategy"]
        # two inner passes: the honest/spam split depends on the current competence
        for _ in range(2):
            competence, strategy = em.mace_m_step(counts, competence, strategy, a0, b0, float(self.strategy_prior))
        return {"competence": competence, "strategy": strategy, "pi": self._update_pi(design, T, item_weight)}

    def _theta(self, params: dict[str, np.ndarray]) -> np.ndarray:
        return em.mace_theta(params["competence"], params["strategy"])

    def _log_prior(self, params: dict[str, np.ndarray]) -> float:
        c = np.clip(params["competence"], 1e-12, 1 - 1e-12)
        a0, b0 = self._beta_prior(len(params["pi"]))
        return float((a0 * np.log(c) + b0 * np.log1p(-c)).sum()
                     + self.strategy_prior * np.log(np.maximum(params["strategy"], 1e-300)).sum())

    def _fit_em(self, judgments: Judgments) -> None:
        # restarts: MV start plus random starts; keep the best log-posterior (MACE's recipe)
        super()._fit_em(judgments)

    def _run(self, design: em.Design, T0: np.ndarray, params: dict[str, np.ndarray] | None,
             item_weight: np.ndarray | None, max_iter: int,
             tol: float | None = None) -> tuple[dict[str, np.ndarray], np.ndarray, float, int, bool]:
        if params is not None or self.n_restarts == 1:
            return super()._run(design, T0, params, item_weight, max_iter, tol)
        rng = np.random.default_rng(self.random_state_.integers(2**31))
        best = super()._run(design, T0, None, item_weight, max_iter)
        for _ in range(self.n_restarts - 1):
            J, K = design.n_raters, design.n_classes
            start = {"competence": rng.uniform(0.3, 0.95, J), "strategy": rng.dirichlet(np.ones(K), J),
                     "pi": np.full(K, 1.0 / K)}
            T_start, _ = self._e_step(design, start)
            candidate = super()._run(design, T_start, start, item_weight, max_iter)
            if candidate[2] > best[2] + 1e-9:
                best = candidate
        return best

    def _conditional_draws(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray], n: int,
                           rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        counts = em.expected_counts(design, T)
        K = design.n_classes
        idx = np.arange(K)
        c, eps = params["competence"], params["strategy"]
        diag = counts[:, idx, idx]
        p_honest = c[:, None] / np.maximum(c[:, None] + (1 - c[:, None]) * eps, 1e-300)
        honest = (diag * p_honest).sum(axis=1)
        spam_by_label = counts.sum(axis=1) - diag * p_honest
        a0, b0 = self._beta_prior(K)
        comp = rng.beta(honest + a0 + 1e-3, spam_by_label.sum(axis=1) + b0 + 1e-3, size=(n, design.n_raters))
        gam = rng.standard_gamma((spam_by_label + self.strategy_prior + 1e-3)[None].repeat(n, axis=0))
        strat = gam / gam.sum(axis=-1, keepdims=True)
        pis = rng.dirichlet(T.sum(axis=0) + self._prevalence_pseudo(K) + 1e-3, size=n)
        return [{"competence": comp[s], "strategy": strat[s], "pi": pis[s]} for s in range(n)]

    def _pymc_build(self, design: em.Design) -> tuple[Any, list[str]]:
        import pymc as pm
        import pytensor.tensor as pt

        J, K = design.n_raters, design.n_classes
        a0, b0 = self._beta_prior(K)
        with pm.Model() as model:
            pi = self._pymc_pi(pm, K)
            competence = pm.Beta("competence", alpha=a0 + 1.0, beta=b0 + 1.0, shape=J)
            strategy = pm.Dirichlet("strategy", a=np.full((J, K), self.strategy_prior + 1.0), shape=(J, K))
            theta = ((1 - competence)[:, None, None] * strategy[:, None, :]
                     + competence[:, None, None] * np.eye(K)[None])
            _marginal_potential(pm, pt, design, pt.log(theta), pi)
        return model, ["pi", "competence", "strategy"]

    def _pymc_initial_point(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"pi": params["pi"], "competence": np.clip(params["competence"], 1e-3, 1 - 1e-3),
                "strategy": em.normalise(np.maximum(params["strategy"], 1e-3))}

    def _params_from_posterior(self, idata: Any) -> list[dict[str, np.ndarray]]:
        from alignlab.annotators import _arviz

        comp, strat, pi = (_arviz.draws(idata, n) for n in ("competence", "strategy", "pi"))
        return [{"competence": comp[s], "strategy": strat[s], "pi": pi[s]} for s in range(len(pi))]

    def _extra_rater_columns(self, raters: pd.DataFrame, point: dict[str, np.ndarray] | None,
                             draws: list[dict[str, np.ndarray]]) -> None:
        _add_param_column(raters, "competence", "competence", point, draws, self.interval_level_)
        raters["spam_rate"] = 1.0 - raters["competence"]
        source = point if point is not None else {"strategy": np.mean([d["strategy"] for d in draws], axis=0)}
        labels = np.asarray(self.scale_.labels, dtype=object)
        raters["strategy_label"] = labels[np.argmax(source["strategy"], axis=1)]


# ==================================================================================================
class GLAD(CategoricalModel):
    """GLAD: rater ability × item difficulty.

    ``P(y_ij = z_i) = sigmoid(alpha_j * beta_i)``, ``beta_i = exp(gamma_i)`` (inverse difficulty),
    errors uniform over the other K − 1 classes. Priors ``alpha ~ N(ability_prior)``, ``gamma ~
    N(0, difficulty_sd)``. EM with diagonal Newton M-steps. ``raters_`` adds ``ability`` (alpha) with
    its interval; rater reliability and bias are evaluated at the median item difficulty;
    ``items_`` adds ``difficulty`` (1/beta, > 1 = harder than a typical item).
    Whitehill, Ruvolo, Wu, Bergsma & Movellan 2009, NeurIPS.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.annotators import GLAD
    >>> j = alignlab.datasets.load("bluebird")
    >>> m = GLAD(use_gold=False, ci_method="none").fit(j)
    >>> bool(m.items_["difficulty"].gt(0).all())
    True
    """

    _model_name = "GLAD"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "prevalence": [Options(_PREVALENCE_MODES)],
        "ability_prior": [tuple, list],
        "difficulty_sd": [Interval("real", 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        engine: str = "em",
        inference: str = "nuts",
        ability_prior: tuple[float, float] = (1.0, 1.0),
        difficulty_sd: float = 1.0,
        use_gold: bool = True,
        prevalence_prior: float = 1.0,
        prevalence: str = "auto",
        rater_priors: pd.DataFrame | None = None,
        spammer_threshold: float = 0.2,
        ci_method: str = "auto",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        max_iter: int = 500,
        tol: float = 1e-7,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(engine=engine, inference=inference, use_gold=use_gold, prevalence_prior=prevalence_prior,
                         rater_priors=rater_priors, spammer_threshold=spammer_threshold, ci_method=ci_method,
                         confidence_level=confidence_level, n_resamples=n_resamples, max_iter=max_iter, tol=tol,
                         sampler=sampler, random_state=random_state)
        self.ability_prior = ability_prior
        self.difficulty_sd = difficulty_sd
        self.prevalence = prevalence

    def _ability_prior(self, K: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.ability_prior) != 2 or self.ability_prior[1] <= 0:
            raise InvalidParameterError(f"GLAD's ability_prior must be (mean, sd) with sd > 0; got {self.ability_prior!r}.")
        J = self._history_.shape[0]
        mu = np.full(J, float(self.ability_prior[0]))
        sd = np.full(J, float(self.ability_prior[1]))
        history = self._history_
        total = history.sum(axis=(1, 2))
        has = total > 0
        if has.any():
            idx = np.arange(K)
            a = np.clip(history[:, idx, idx].sum(axis=1)[has] / total[has], 0.02, 0.98)
            # earlier accuracy a, worth n judgments: ability mean logit(a), sd from the binomial information
            mu[has] = logit(a)
            sd[has] = 1.0 / np.sqrt(total[has] * a * (1 - a) + 1.0 / self.ability_prior[1] ** 2)
        return mu, sd

    def _init_params(self, design: em.Design, T: np.ndarray) -> dict[str, np.ndarray]:
        K = design.n_classes
        return {"ability": self._ability_prior(K)[0].copy(), "gamma": np.zeros(design.n_items),
                "pi": np.full(K, 1.0 / K)}

    def _m_step(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray],
                item_weight: np.ndarray | None) -> dict[str, np.ndarray]:
        mu, sd = self._ability_prior(design.n_classes)
        a, g = em.glad_m_step(design, T, params["ability"], params["gamma"], item_weight=item_weight,
                              ability_prior=(mu, sd), difficulty_prior=(0.0, float(self.difficulty_sd)))
        return {"ability": a, "gamma": g, "pi": self._update_pi(design, T, item_weight)}

    def _e_step(self, design: em.Design, params: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
        return em.glad_e_step(design, params["ability"], params["gamma"], np.log(params["pi"]))

    def _class_loglik(self, design: em.Design, params: dict[str, np.ndarray]) -> np.ndarray:
        return em.glad_class_loglik(design, params["ability"], params["gamma"])

    def _log_prior(self, params: dict[str, np.ndarray]) -> float:
        mu, sd = self._ability_prior(len(params["pi"]))
        return float(-0.5 * (((params["ability"] - mu) / sd) ** 2).sum()
                     - 0.5 * ((params["gamma"] / self.difficulty_sd) ** 2).sum())

    def _theta(self, params: dict[str, np.ndarray]) -> np.ndarray:
        typical = np.exp(np.median(params["gamma"]))
        return em.onecoin_theta(expit(params["ability"] * typical), len(params["pi"]))

    def _conditional_draws(self, design: em.Design, T: np.ndarray, params: dict[str, np.ndarray], n: int,
                           rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        _, sd = self._ability_prior(design.n_classes)
        info = em.glad_ability_information(design, T, params["ability"], params["gamma"], 1.0)
        info = info - 1.0 + 1.0 / sd**2
        ability = params["ability"] + rng.standard_normal((n, design.n_raters)) / np.sqrt(info)
        pis = rng.dirichlet(T.sum(axis=0) + self._prevalence_pseudo(design.n_classes) + 1e-3, size=n)
        return [{"ability": ability[s], "gamma": params["gamma"], "pi": pis[s]} for s in range(n)]

    def _pymc_build(self, design: em.Design) -> tuple[Any, list[str]]:
        import pymc as pm
        import pytensor.tensor as pt

        K = design.n_classes
        mu, sd = self._ability_prior(K)
        with pm.Model() as model:
            pi = self._pymc_pi(pm, K)
            ability = pm.Normal("ability", mu=mu, sigma=sd, shape=design.n_raters)
            gamma = pm.Normal("gamma", 0.0, float(self.difficulty_sd), shape=design.n_items)
            x = ability[design.rater] * pt.exp(gamma[design.item])
            log_wrong = pt.log(pt.sigmoid(-x)) - np.log(K - 1)
            base = pt.zeros(design.n_items)
            base = pt.inc_subtensor(base[design.item], design.weight * log_wrong)
            bump = pt.zeros((design.n_items, K))
            bump = pt.inc_subtensor(bump[design.item, design.label], design.weight * (x + np.log(K - 1)))
            clamp = np.zeros((design.n_items, K))
            has_gold = design.gold >= 0
            clamp[has_gold] = -1e6
            clamp[np.flatnonzero(has_gold), design.gold[has_gold]] = 0.0
            logits = base[:, None] + bump + pt.log(pi)[None, :] + clamp
            pm.Potential("marginal_loglik", pt.logsumexp(logits, axis=1).sum())
        return model, ["pi", "ability", "gamma"]

    def _pymc_initial_point(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"pi": params["pi"], "ability": params["ability"], "gamma": params["gamma"]}

    def _params_from_posterior(self, idata: Any) -> list[dict[str, np.ndarray]]:
        from alignlab.annotators import _arviz

        a, g, pi = (_arviz.draws(idata, n) for n in ("ability", "gamma", "pi"))
        return [{"ability": a[s], "gamma": g[s], "pi": pi[s]} for s in range(len(pi))]

    def _extra_rater_columns(self, raters: pd.DataFrame, point: dict[str, np.ndarray] | None,
                             draws: list[dict[str, np.ndarray]]) -> None:
        _add_param_column(raters, "ability", "ability", point, draws, self.interval_level_)

    def _finish(self, judgments: Judgments, *, point: dict[str, np.ndarray] | None,
                draws: list[dict[str, np.ndarray]], T: np.ndarray) -> None:
        super()._finish(judgments, point=point, draws=draws, T=T)
        gamma = point["gamma"] if point is not None else np.mean([d["gamma"] for d in draws], axis=0)
        self.items_["difficulty"] = np.exp(-gamma)

