"""Which items go to humans when an LLM judge rates everything: active and stratified PPI sampling.

The estimator is the difference (prediction-powered) estimator with Horvitz-Thompson weights

    theta_hat = lam mean_N(f) + (1/N) sum_{i sampled} (Y_i - lam f_i) / pi_i,

design-unbiased for the mean of the human labels Y over the N items for any fixed lam, whatever the inclusion
probabilities pi_i (Horvitz & Thompson 1952; Särndal, Swensson & Wretman 1992, §6.3). Under Poisson sampling
its variance is (1/N^2) sum_i (Y_i - lam f_i)^2 (1 - pi_i)/pi_i, minimised by pi_i proportional to
|Y_i - lam f_i|; the planner uses the judge's expected error u_i = sqrt(E[(Y - f)^2 | f]) instead
(sqrt(f(1 - f)) for a calibrated probability), mixed with uniform sampling for stability: the "active
inference" rule of Zrnic & Candès (2024, *Active Statistical Inference*, ICML, §3-4). Stratified PPI is the
special case of inclusion probabilities constant within strata, allocated by Neyman on the strata's
expected error (Cochran 1977, §5.5; Fisch et al. 2024, *Stratified prediction-powered inference*).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_random_state,
    ci_method_constraint,
    validate_params,
)
from alignlab.data.judgments import Judgments
from alignlab.results import EstimateResult, Summary, TableResult

__all__ = ["plan_active_sample", "ActiveSamplePlan", "active_ppi_estimate", "ActivePPIResult",
           "inclusion_probabilities", "systematic_pps"]


def _capped(shape: np.ndarray, n: float) -> np.ndarray:
    """pi = min(1, c shape) with sum pi = n (iterative capping, Särndal et al. 1992 §3.6)."""
    shape = np.asarray(shape, dtype=float)
    pi = np.zeros_like(shape)
    free = np.ones(len(shape), dtype=bool)
    remaining = float(n)
    for _ in range(len(shape) + 1):  # each pass caps at least one more item or stops
        total = shape[free].sum()
        if total <= 0:
            pi[free] = remaining / free.sum()
            break
        trial = remaining * shape / total
        over = free & (trial >= 1)
        if not over.any():
            pi[free] = trial[free]
            break
        pi[over] = 1.0
        free &= ~over
        remaining = n - pi[~free].sum()
        if not free.any():
            break
    return np.clip(pi, 0.0, 1.0)


def inclusion_probabilities(uncertainty: Any, budget: float, *, strategy: str = "active", mix: float = 0.1,
                            strata: Any = None) -> np.ndarray:
    """Inclusion probabilities summing to ``budget`` (the expected number of human labels).

    ``active``: (1 - mix) x [pi proportional to uncertainty, capped at 1] + mix x budget/N;
    ``stratified``: Neyman over ``strata`` on the root mean squared uncertainty, uniform within a stratum;
    ``uniform``: budget/N.

    >>> inclusion_probabilities([0.1, 0.1, 0.4, 0.4], 2, mix=0.0).tolist()
    [0.2, 0.2, 0.8, 0.8]
    """
    u = np.asarray(uncertainty, dtype=float)
    big_n = len(u)
    uniform = np.full(big_n, budget / big_n)
    if strategy == "uniform":
        return uniform
    if strategy == "active":
        return (1 - mix) * _capped(u, budget) + mix * uniform
    codes, _ = pd.factorize(pd.Series(strata))
    if (codes < 0).any():
        raise InvalidParameterError("strata has missing values; give every item a stratum.")
    sizes = np.bincount(codes).astype(float)
    rms = np.sqrt(np.bincount(codes, weights=u**2) / sizes)
    # Neyman: n_h proportional to N_h S_h, at most N_h (capping as above, on stratum totals)
    n_h = _stratum_allocation(sizes, rms, budget)
    pi = n_h[codes] / sizes[codes]
    return (1 - mix) * pi + mix * uniform


def _stratum_allocation(sizes: np.ndarray, rms: np.ndarray, budget: float) -> np.ndarray:
    """n_h = min(N_h, c N_h S_h) with sum n_h = budget."""
    per_item = _capped(np.repeat(rms, sizes.astype(int)), budget)
    starts = np.concatenate([[0], np.cumsum(sizes.astype(int))[:-1]])
    return np.add.reduceat(per_item, starts)


def systematic_pps(pi: np.ndarray, random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """Randomised systematic sampling with inclusion probabilities ``pi`` (each <= 1): random order, one
    uniform start u, item i selected when floor(C_i - u) > floor(C_{i-1} - u), C the cumulated pi
    (Madow 1949; Hartley & Rao 1962). Exactly sum(pi) items when it is an integer.

    >>> int(systematic_pps(np.full(10, 0.3), np.random.default_rng(0)).sum())
    3
    """
    rng = check_random_state(random_state)
    order = rng.permutation(len(pi))
    cum = np.cumsum(pi[order])
    u = rng.random()
    hits = np.floor(cum - u + 1e-12)
    chosen = np.diff(np.concatenate([[np.floor(-u + 1e-12)], hits])) > 0
    out = np.zeros(len(pi), dtype=bool)
    out[order] = chosen
    return out


def _ht_variance(resid2: np.ndarray, pi: np.ndarray) -> float:
    """(1/N^2) sum e_i^2 (1 - pi_i)/pi_i: the Poisson-sampling variance of the HT residual term."""
    big_n = len(pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, resid2 * (1 - pi) / pi, np.where(resid2 > 0, np.inf, 0.0))
    return float(terms.sum() / big_n**2)


@dataclass(frozen=True, kw_only=True)
class ActiveSamplePlan(TableResult):
    """Which items to send to humans, with their inclusion probabilities.

    ``to_frame()``: one row per item, ``item_id, prediction, uncertainty, stratum, inclusion_probability,
    selected, already_labelled`` (+ ``label`` when given): ``selected`` is a Poisson draw — send those items
    and keep the probabilities for the estimate; already-labelled items have probability 1.

    Attributes
    ----------
    strategy : str
    error_model : str
        Where the judge's expected error came from (``sqrt(f(1 - f))``, a column, or the isotonic
        calibration on the labelled items).
    budget : float
        Expected number of human labels (sum of the inclusion probabilities).
    n_selected : int
        Items drawn (random around ``budget``, sd sqrt(sum pi (1 - pi))).
    expected_variance, uniform_variance : float
        Variance of the estimate under this design and under uniform sampling of the same expected size,
        with E[(Y - f)^2 | f] = uncertainty^2 (the judge's own error model).
    variance_reduction : float
        1 - expected / uniform.
    expected_half_width, uniform_half_width : float
    """

    strategy: str = "active"
    error_model: str = ""
    budget: float = 0.0
    n_items: int = 0
    n_selected: int = 0
    mix: float = 0.1
    expected_variance: float = math.nan
    uniform_variance: float = math.nan
    variance_reduction: float = math.nan
    expected_half_width: float = math.nan
    uniform_half_width: float = math.nan

    def summary(self) -> Summary:
        lvl = f"{self.confidence_level:.0%}"
        lines = (
            f"Send the {self.n_selected:,} selected items (of {self.n_items:,}) to human raters; keep each item's "
            f"inclusion probability for the estimate (active_ppi_estimate).",
            f"Design: {self.strategy} sampling, expected {self.budget:,.0f} labels, mixed {self.mix:.0%} with uniform; "
            f"judge error model: {self.error_model}.",
            f"Expected {lvl} half-width +/-{self.expected_half_width:.4f} against +/-{self.uniform_half_width:.4f} "
            f"with uniform sampling of the same size: variance {self.variance_reduction:.1%} lower "
            "(if the judge's uncertainty is its real error).",
        )
        return Summary("Active sample for human labels", lines=lines, tables=(("Items", self.table.head(20)),),
                       warnings=self.warnings)

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        self.table.to_csv(path, index=False)
        return path

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        sent = self.table[self.table["selected"]]
        payload = {"requirement": list(self.summary().lines), "strategy": self.strategy, "budget": self.budget,
                   "n_items": self.n_items, "n_selected": self.n_selected,
                   "expected_variance": self.expected_variance, "uniform_variance": self.uniform_variance,
                   "variance_reduction": self.variance_reduction,
                   "items": [{"item_id": (i.item() if hasattr(i, "item") else i),
                              "inclusion_probability": float(p)}
                             for i, p in zip(sent["item_id"], sent["inclusion_probability"], strict=True)]}
        path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        return path


def _predictions(judgments: Any, judge: Any, prediction: str, uncertainty: str | None,
                 stratum: str | None, label: str | None = None) -> pd.DataFrame:
    if isinstance(judgments, Judgments):
        if judge is None:
            raise InvalidParameterError("plan_active_sample on a judgments table needs raters= (the LLM judge's rater id or "
                             "method).")
        raters = judgments.resolve_raters(judge, argument="judge")
        sub = judgments.subset(raters=raters)
        values = pd.Series(np.asarray(sub.values, dtype=float), index=sub.frame["item_id"].to_numpy())
        f = values.groupby(level=0, sort=True).mean()
        frame = pd.DataFrame({"item_id": f.index.to_numpy(), "prediction": f.to_numpy()})
        if stratum is not None:
            info = sub.item_info.set_index("item_id")
            if stratum not in info.columns:
                raise DataError(f"stratum={stratum!r} is not an item column; item columns are {list(info.columns)}.")
            frame["stratum"] = info[stratum].reindex(frame["item_id"]).to_numpy()
        return frame
    if not isinstance(judgments, pd.DataFrame):
        raise TypeError("plan_active_sample takes a Judgments table or a DataFrame with item_id and prediction "
                        f"columns; got {type(judgments).__name__}.")
    missing = [c for c in ("item_id", prediction) if c not in judgments.columns]
    if missing:
        raise DataError(f"The predictions table lacks column(s) {missing}; columns are "
                         f"{list(map(str, judgments.columns))}. Fix: one row per item with item_id and the judge's "
                         f"prediction (prediction=COLUMN).")
    frame = pd.DataFrame({"item_id": judgments["item_id"].to_numpy(),
                          "prediction": pd.to_numeric(judgments[prediction], errors="coerce").to_numpy(float)})
    if uncertainty is not None:
        if uncertainty not in judgments.columns:
            raise DataError(f"uncertainty={uncertainty!r} is not a column; columns are "
                             f"{list(map(str, judgments.columns))}.")
        frame["uncertainty"] = pd.to_numeric(judgments[uncertainty], errors="coerce").to_numpy(float)
    if stratum is not None:
        if stratum not in judgments.columns:
            raise DataError(f"stratum={stratum!r} is not a column; columns are {list(map(str, judgments.columns))}.")
        frame["stratum"] = judgments[stratum].to_numpy()
    if label is not None:
        if label not in judgments.columns:
            raise DataError(f"label={label!r} is not a column; columns are {list(map(str, judgments.columns))}.")
        frame["label"] = pd.to_numeric(judgments[label], errors="coerce").to_numpy(float)
    if frame["item_id"].duplicated().any():
        dup = frame["item_id"][frame["item_id"].duplicated()].iloc[0]
        raise DataError(f"item_id {dup!r} appears twice in the predictions table; give one row per item.")
    return frame


@validate_params({
    "raters": ["str-or-list", None],
    "budget": [Interval("real", 0, None, closed="neither")],
    "strategy": [Options(("active", "stratified", "uniform"))],
    "prediction": [str],
    "uncertainty": [str, None],
    "stratum": [str, None],
    "label": [str, None],
    "mix": [Interval("real", 0, 1)],
    "draw": [Options(("poisson", "systematic"))],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def plan_active_sample(
    judgments: Judgments | pd.DataFrame,
    *,
    budget: float,
    raters: str | list[str] | None = None,
    strategy: Literal["active", "stratified", "uniform"] = "active",
    prediction: str = "prediction",
    uncertainty: str | None = None,
    stratum: str | None = None,
    label: str | None = None,
    mix: float = 0.1,
    draw: Literal["poisson", "systematic"] = "poisson",
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> ActiveSamplePlan:
    """Choose the items to send to humans when an LLM judge has rated all of them.

    Parameters
    ----------
    judgments : Judgments or DataFrame
        A judgments table with the judge's ratings of every item (``raters=``: its per-item mean is the
        prediction), or one row per item with ``item_id`` and ``prediction`` (a probability of passing, or a
        score) and optionally an ``uncertainty`` and a ``stratum`` column.
    budget : float
        Expected number of human labels (the inclusion probabilities sum to it).
    strategy : {"active", "stratified", "uniform"}
        ``active``: pi proportional to the judge's expected error, mixed with uniform; ``stratified``:
        Neyman allocation over ``stratum``, uniform within; ``uniform``: budget/N for every item.
    uncertainty : str, optional
        Column with the judge's expected error sqrt(E[(Y - f)^2]) per item (e.g. from a calibration fit on a
        pilot). Default sqrt(f (1 - f)) for predictions in [0, 1] (a calibrated probability).
    stratum : str, optional
        Item column defining strata (required for ``stratified``).
    label : str, optional
        Column with human labels already collected (a pilot; NaN elsewhere, values in [0, 1]). Those items
        get inclusion probability 1 (they are labelled already) and the budget goes to the others; without
        ``uncertainty=`` the judge's error is learnt from them (needs >= 20 labelled items): for 0/1 labels
        an isotonic calibration p(f) of the labels on the predictions (scikit-learn ``IsotonicRegression``)
        gives E[(Y - f)^2 | f] = p(1 - p) + (p - f)^2, the judge's *predicted error*; for graded labels the
        mean squared error in up to 5 quantile bins of the prediction.
    mix : float, default 0.1
        Share of uniform sampling mixed in (keeps every pi >= mix budget/N, bounding the weights).
    draw : {"poisson", "systematic"}
        How the sample is drawn with these probabilities: independent Poisson draws (a random number of
        items around the budget; the HT variance estimate is exact), or randomised systematic PPS sampling
        (Madow 1949; Hartley & Rao 1962: items in random order, one random start, exactly ``budget`` items
        when it is an integer); its variance is then estimated with the Poisson formula, which is
        conservative for a fixed-size draw.
    confidence_level : float
    random_state : None, int or Generator
        Seeds the draw of the sample.

    Returns
    -------
    ActiveSamplePlan

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.design import plan_active_sample
    >>> f = np.random.default_rng(0).beta(0.3, 0.3, size=2000)
    >>> plan = plan_active_sample(pd.DataFrame({"item_id": range(2000), "prediction": f}), budget=200,
    ...                           random_state=0)
    >>> bool(plan.variance_reduction > 0.2)
    True
    """
    frame = _predictions(judgments, raters, prediction, uncertainty, stratum, label)
    bad = ~np.isfinite(frame["prediction"].to_numpy())
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"The prediction of item {frame['item_id'].iloc[row]!r} is not a number; "
                         f"{int(bad.sum())} items lack a numeric prediction. Fix: give every item a prediction.")
    big_n = len(frame)
    f = frame["prediction"].to_numpy(float)
    labelled = np.isfinite(frame["label"].to_numpy(float)) if "label" in frame.columns else np.zeros(big_n, bool)
    n_open = int((~labelled).sum())
    if budget > n_open:
        raise DataError(f"budget={budget:g} exceeds the {n_open} items without a label; label them all instead.")
    error_model = "sqrt(f(1 - f))"
    if "uncertainty" in frame.columns:
        error_model = f"column {uncertainty!r}"
        u = frame["uncertainty"].to_numpy(float)
        if (~np.isfinite(u) | (u < 0)).any():
            raise InvalidParameterError("The uncertainty column must be a number >= 0 for every item.")
    else:
        if (f < 0).any() or (f > 1).any():
            raise DataError("Predictions outside [0, 1] need uncertainty=COLUMN (the judge's expected error); "
                             "sqrt(f (1 - f)) applies only to probabilities.")
        if labelled.sum() >= 20:
            from sklearn.isotonic import IsotonicRegression

            y_lab = frame["label"].to_numpy(float)[labelled]
            if (y_lab < 0).any() or (y_lab > 1).any():
                raise InvalidParameterError("label= values must be in [0, 1] to learn the judge's error; give uncertainty= "
                                 "instead for other scales.")
            if np.isin(y_lab, (0.0, 1.0)).all():
                iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(f[labelled], y_lab)
                p_hat = iso.predict(f)
                u = np.sqrt(p_hat * (1 - p_hat) + (p_hat - f) ** 2)
                error_model = f"isotonic calibration on {int(labelled.sum())} labelled items"
            else:
                # graded labels: no Bernoulli form; the mean squared error in quantile bins of the prediction
                n_bins = int(min(5, labelled.sum() // 20))
                edges = np.unique(np.quantile(f[labelled], np.linspace(0, 1, n_bins + 1)[1:-1]))
                bins_lab, bins_all = np.searchsorted(edges, f[labelled]), np.searchsorted(edges, f)
                sq = np.bincount(bins_lab, weights=(y_lab - f[labelled]) ** 2, minlength=len(edges) + 1)
                mse = sq / np.maximum(np.bincount(bins_lab, minlength=len(edges) + 1), 1)
                u = np.sqrt(mse[bins_all])
                error_model = (f"mean squared error in {len(edges) + 1} bins of the prediction on "
                               f"{int(labelled.sum())} labelled items")
        else:
            u = np.sqrt(f * (1 - f))
        frame["uncertainty"] = u
    if strategy == "stratified" and "stratum" not in frame.columns:
        raise DataError("strategy='stratified' needs stratum=COLUMN.")
    if "stratum" not in frame.columns:
        frame["stratum"] = "all"
    open_ = ~labelled
    pi = np.ones(big_n)
    pi[open_] = inclusion_probabilities(u[open_], budget, strategy=strategy, mix=mix,
                                        strata=frame["stratum"].to_numpy()[open_])
    rng = check_random_state(random_state)
    frame["inclusion_probability"] = pi
    if draw == "poisson":
        frame["selected"] = (rng.random(big_n) < pi) & open_
    else:
        frame["selected"] = systematic_pps(np.where(open_, pi, 0.0), rng) & open_
    frame["already_labelled"] = labelled
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    v = _ht_variance(u**2, pi)
    uniform_pi = np.where(open_, budget / max(n_open, 1), 1.0)
    vu = _ht_variance(u**2, uniform_pi)
    warnings = []
    if labelled.sum() >= 20 and not error_model.startswith("isotonic"):
        # check the stated error model against the labelled items (the design is only as good as it)
        y_lab = frame["label"].to_numpy(float)[labelled]
        observed = float(np.mean((y_lab - f[labelled]) ** 2))
        stated = float(np.mean(u[labelled] ** 2))
        if observed > 1.5 * stated or observed < stated / 1.5:
            warnings.append(f"on the {int(labelled.sum())} labelled items the judge's mean squared error is "
                            f"{observed:.4f} but its stated uncertainty implies {stated:.4f}: the planned variance "
                            "reduction is unreliable; drop uncertainty= to learn the error from the labels")
    if strategy != "uniform" and np.ptp(u) == 0:
        warnings.append("every item has the same uncertainty: the design is uniform")
    return ActiveSamplePlan(
        table=frame[["item_id", "prediction", "uncertainty", "stratum", "inclusion_probability", "selected",
                     "already_labelled"] + (["label"] if "label" in frame.columns else [])],
        method=f"plan_active_sample[{strategy}]", confidence_level=confidence_level, warnings=tuple(warnings),
        strategy=strategy, error_model=error_model, budget=float(budget), n_items=big_n, n_selected=int(frame["selected"].sum()), mix=mix,
        expected_variance=v, uniform_variance=vu, variance_reduction=1 - v / vu if vu > 0 else 0.0,
        expected_half_width=z * math.sqrt(v), uniform_half_width=z * math.sqrt(vu),
    )


@dataclass(frozen=True, kw_only=True)
class ActivePPIResult(EstimateResult):
    """Design-unbiased prediction-powered mean from an active/stratified sample.

    ``n_labelled`` items carried human labels; ``judge_mean`` is mean_N(f); ``correction`` the HT mean of
    the residuals; ``effective_n`` the number of uniformly sampled human labels with the same variance
    (sigma_Y^2 / Var).
    """

    statistic = "active_ppi_mean"
    n_labelled: int = 0
    lam: float = 1.0
    judge_mean: float = math.nan
    correction: float = math.nan
    effective_n: float = math.nan


@validate_params({
    "sample": [pd.DataFrame],
    "label": [str],
    "prediction": [str],
    "inclusion": [str],
    "lam": [Interval("real", 0, 1)],
    "confidence_level": CONFIDENCE_LEVEL,
    "ci_method": ci_method_constraint("analytic"),
})
def active_ppi_estimate(
    sample: pd.DataFrame,
    *,
    label: str = "label",
    prediction: str = "prediction",
    inclusion: str = "inclusion_probability",
    lam: float = 1.0,
    confidence_level: float = 0.95,
    ci_method: str = "analytic",
) -> ActivePPIResult:
    """Mean human label over all items from judge predictions on all and human labels on a sample.

    Parameters
    ----------
    sample : DataFrame
        One row per item (all N items the judge rated, e.g. ``ActiveSamplePlan.to_frame()``): the judge's
        ``prediction``, the ``inclusion_probability`` the item was sampled with, and the human ``label``
        (NaN on items that were not sampled). The first argument is a per-item table, not a judgments
        table, hence its name.
    label, prediction, inclusion : str
        Column names.
    lam : float in [0, 1], default 1
        Weight on the judge (fixed in advance: any fixed value keeps the estimate design-unbiased; 0 is the
        Horvitz-Thompson mean of the labels alone).
    confidence_level : float
    ci_method : {"analytic"}
        Normal interval with the unbiased Poisson-sampling HT variance estimate
        (1/N^2) sum_sampled (Y - lam f)^2 (1 - pi)/pi^2.

    Returns
    -------
    ActivePPIResult

    Notes
    -----
    theta_hat = lam mean_N(f) + (1/N) sum_sampled (Y_i - lam f_i)/pi_i (Zrnic & Candès 2024, eq. 3 with
    Horvitz-Thompson weights; Horvitz & Thompson 1952). Unbiased for the mean of Y over the N items under
    any design with known pi_i > 0.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alignlab.design import active_ppi_estimate
    >>> rng = np.random.default_rng(1)
    >>> f = rng.beta(0.5, 0.5, 5000); y = (rng.random(5000) < f).astype(float)
    >>> pi = np.full(5000, 0.1); picked = rng.random(5000) < pi
    >>> r = active_ppi_estimate(pd.DataFrame({"prediction": f, "inclusion_probability": pi,
    ...                                       "label": np.where(picked, y, np.nan)}))
    >>> bool(r.ci_low < y.mean() < r.ci_high)
    True
    """
    missing = [c for c in (label, prediction, inclusion) if c not in sample.columns]
    if missing:
        raise DataError(f"The sample table lacks column(s) {missing}; columns are {list(map(str, sample.columns))}. "
                         "Fix: one row per item with the judge's prediction, the inclusion probability and the "
                         "human label (NaN where not sampled).")
    f = pd.to_numeric(sample[prediction], errors="coerce").to_numpy(float)
    pi = pd.to_numeric(sample[inclusion], errors="coerce").to_numpy(float)
    y = pd.to_numeric(sample[label], errors="coerce").to_numpy(float)
    for name, arr in ((prediction, f), (inclusion, pi)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise DataError(f"Column {name!r} has {int(bad.sum())} missing or non-numeric values (first at row "
                             f"{int(np.flatnonzero(bad)[0])}). Fix: every item needs a {name}.")
    bad = (pi <= 0) | (pi > 1)
    if bad.any():
        raise InvalidParameterError(f"Column {inclusion!r} must be in (0, 1]; row {int(np.flatnonzero(bad)[0])} has "
                         f"{pi[bad][0]!r}.")
    labelled = np.isfinite(y)
    n_lab = int(labelled.sum())
    if n_lab < 2:
        raise DataError(f"Only {n_lab} items carry a human label; the estimate needs at least 2.")
    big_n = len(f)
    resid = y[labelled] - lam * f[labelled]
    p = pi[labelled]
    judge_mean = float(f.mean())
    correction = float(np.sum(resid / p) / big_n)
    estimate = lam * judge_mean + correction
    var = float(np.sum(resid**2 * (1 - p) / p**2) / big_n**2)
    se = math.sqrt(var)
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    sigma2 = float(np.var(y[labelled], ddof=1)) if n_lab > 1 else math.nan
    warnings = []
    if n_lab < 30:
        warnings.append(f"only {n_lab} human labels: the normal interval may under-cover")
    return ActivePPIResult(
        estimate=estimate, ci_low=estimate - z * se, ci_high=estimate + z * se, standard_error=se,
        confidence_level=confidence_level, method=f"active_ppi_mean[Horvitz-Thompson, lam={lam:g}]",
        ci_method="analytic(normal, Poisson-sampling HT variance)", n_items=big_n, n_raters=0,
        warnings=tuple(warnings), n_labelled=n_lab, lam=lam, judge_mean=judge_mean, correction=correction,
        effective_n=sigma2 / var if var > 0 else math.inf,
    )
