"""Chance-corrected agreement coefficients on a judgments table, each with an interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._array import agreement_kernels as kern
from alignlab._params import (
    CONFIDENCE_LEVEL,
    N_RESAMPLES,
    RANDOM_STATE,
    DataError,
    InvalidParameterError,
    Options,
    validate_params,
)
from alignlab.agreement._core import (
    AgreementResult,
    IntervalEstimate,
    LongData,
    bootstrap_interval,
    ci_options,
    cluster_codes,
    finish,
    long_data,
    normal_interval,
    select,
    t_interval,
)
from alignlab.data.judgments import Judgments

__all__ = [
    "percent_agreement",
    "cohen_kappa",
    "scott_pi",
    "fleiss_kappa",
    "brennan_prediger",
    "gwet_ac",
    "krippendorff_alpha",
]

CiMethod = Literal["analytic", "bca", "percentile", "none"]
BootstrapCiMethod = Literal["bca", "percentile", "none"]
WeightsSpec = str | np.ndarray | None

_SELECTION = {"raters": [None, "str-or-list"]}
_COMMON = {
    "confidence_level": CONFIDENCE_LEVEL,
    "n_resamples": N_RESAMPLES,
    "random_state": RANDOM_STATE,
    "clusters": [None, str],
}
# np.ndarray before Options: Options.accepts does `value in values`, ambiguous for arrays
_WEIGHTS = [None, np.ndarray, Options(kern.WEIGHT_SCHEMES)]
_ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _require_discrete(data: LongData, caller: str, alternative: str) -> None:
    if not data.scale.is_discrete:
        raise DataError(
            f"{caller} needs discrete labels, but the judgments are on a continuous scale "
            f"({data.scale.describe()}). Use {alternative} instead, or load the table with a discrete scale."
        )


def _level_values(scale: Any) -> np.ndarray:
    """Numeric value of each category for distance-based weights: the labels when they are numbers,
    else 1..K (irrCAC's convention for text labels)."""
    try:
        return np.array([float(v) for v in scale.labels])
    except (TypeError, ValueError):
        return np.arange(1.0, scale.n_categories + 1.0)


def _weight_matrix(weights: WeightsSpec, scale: Any, caller: str, *, by_index: bool = False) -> tuple[np.ndarray, str]:
    k = scale.n_categories
    if weights is None:
        return np.eye(k), "unweighted"
    if isinstance(weights, np.ndarray):
        if weights.shape != (k, k):
            raise InvalidParameterError(
                f"The 'weights' matrix of {caller} must be {k} x {k} (one row and column per category of "
                f"{scale.describe()}). Got shape {weights.shape} instead."
            )
        return np.asarray(weights, float), "custom"
    if weights != "identity" and scale.kind in ("categorical", "pairwise"):
        raise InvalidParameterError(
            f"weights={weights!r} in {caller} needs ordered categories, but the scale is {scale.kind} "
            f"({scale.describe()}). Use weights=None for unordered labels, or load with an ordinal scale."
        )
    levels = np.arange(float(k)) if by_index else _level_values(scale)
    if weights == "ratio" and np.any(levels == 0):
        raise InvalidParameterError(
            f"weights='ratio' in {caller} divides by the category values, and the scale has a category 0 "
            f"({scale.describe()}). Shift the labels (e.g. 1..K) or use weights='quadratic'."
        )
    return kern.agreement_weights(weights, levels), weights


def _count_warnings(data: LongData) -> list[str]:
    notes = []
    if data.n_duplicates:
        notes.append(f"{data.n_duplicates} repeated judgments of the same item by the same rater: the last one was used")
    return notes


def _gwet_family(
    judgments: Judgments,
    *,
    caller: str,
    statistic: str,
    label: str,
    chance: str,
    weights: WeightsSpec,
    raters: Any,
    confidence_level: float,
    ci_method: str,
    n_resamples: int,
    random_state: Any,
    clusters: str | None,
    alternative: str,
    extra_warnings: Sequence[str] = (),
) -> AgreementResult:
    data = long_data(select(judgments, raters), caller)
    _require_discrete(data, caller, alternative)
    matrix, weight_name = _weight_matrix(weights, data.scale, caller)
    counts = data.counts()
    warnings = _count_warnings(data) + list(extra_warnings)
    if data.scale.n_categories < 2:  # pragma: no cover - Scale enforces two categories
        raise DataError(f"{caller} needs at least two categories")
    stats = kern.gwet_family_stats(counts, matrix, chance)
    n2 = int(stats.pairable.sum())
    if n2 == 0:
        raise DataError(
            f"{caller} needs items rated by at least two raters; none of the {data.n_items} items is. "
            "Check the raters= selection."
        )
    if n2 < data.n_items:
        warnings.append(f"{data.n_items - n2} items with a single judgment count in the category shares only")
    ones = np.ones((1, data.n_items))
    pa, pe = (float(v[0]) for v in stats.components(ones))
    estimate = float(stats.statistic(ones)[0])
    if chance != "none" and not np.isfinite(estimate):
        warnings.append("chance agreement is 1 (every judgment in one category): the coefficient is undefined")
    codes = cluster_codes(data, clusters, caller)
    if ci_method == "analytic":
        if codes is not None:
            raise InvalidParameterError(f"clusters= needs a bootstrap interval in {caller}; pass ci_method='bca'.")
        se = stats.analytic_se() if np.isfinite(estimate) else math.nan
        interval = t_interval(estimate, se, data.n_items - 1, confidence_level, f"analytic(gwet, t{data.n_items - 1})")
    else:
        interval = bootstrap_interval(stats.statistic, data.n_items, estimate, ci_method=ci_method,
                                      confidence_level=confidence_level, n_resamples=n_resamples,
                                      random_state=random_state, clusters=codes)
    level = weight_name if weight_name != "unweighted" else "identity"
    return finish(
        statistic=statistic, method=f"{label}[{level}]" if weights is not None else label, level=level,
        estimate=estimate, interval=interval, confidence_level=confidence_level, n_items=data.n_items,
        n_raters=data.n_raters, n_judgments=len(data.item_codes), warnings=warnings,
        observed_agreement=pa, expected_agreement=pe,
    )


# --------------------------------------------------------------------------------------------------
# public statistics
# --------------------------------------------------------------------------------------------------
@validate_params({**_SELECTION, **_COMMON, "weights": _WEIGHTS, "ci_method": ci_options(True)})
def percent_agreement(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: WeightsSpec = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Share of agreeing rater pairs, averaged over items with at least two judgments.

    Parameters
    ----------
    judgments : Judgments
        Discrete labels (any number of raters per item).
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : {None, "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"} or array
        Partial credit for near misses (ordered scales); ``None`` counts exact matches only.
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"`` is the standard error of the mean of per-item agreement (t interval).
    n_resamples : int, default 1000
        Bootstrap resamples (bootstrap methods only).
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column (e.g. a conversation id) resampled whole by the bootstrap.

    Returns
    -------
    AgreementResult

    Notes
    -----
    ``p_a = mean_i sum_k n_ik (r*_ik - 1) / (r_i (r_i - 1))`` over items with ``r_i >= 2`` (Gwet 2014,
    eq. 2.4), the observed agreement of Fleiss' kappa and Gwet's AC1. R: ``irr::agree`` (complete
    designs, pairs of raters only).

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "rater_id": ["a", "b"] * 3,
    ...                       "value": ["x", "x", "y", "x", "y", "y"]})
    >>> j = alignlab.load_judgments(table, scale="categorical")
    >>> round(agreement.percent_agreement(j).estimate, 3)
    0.667
    """
    return _gwet_family(
        judgments, caller="percent_agreement", statistic="percent_agreement", label="percent_agreement",
        chance="none", weights=weights, raters=raters, confidence_level=confidence_level,
        ci_method=ci_method, n_resamples=n_resamples, random_state=random_state, clusters=clusters,
        alternative="krippendorff_alpha(level='interval') or icc",
    )


@validate_params({**_SELECTION, **_COMMON, "weights": _WEIGHTS, "ci_method": ci_options(True)})
def fleiss_kappa(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: WeightsSpec = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Fleiss' kappa for any number of raters, unequal numbers of judgments per item allowed.

    Parameters
    ----------
    judgments : Judgments
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : str or array, optional
        Weighted generalisation (Gwet 2014, ch. 5); ``None`` is Fleiss (1971).
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: Gwet's general-variance standard error (not the null SE, which is too narrow)
        with a t interval, as irrCAC ``fleiss()``.
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    ``kappa = (P_a - P_e) / (1 - P_e)``, ``P_e = sum_kl w_kl pi_k pi_l``, ``pi_k = mean_i n_ik / r_i``.
    Equals statsmodels ``fleiss_kappa`` on complete designs and irrCAC ``CAC.fleiss()`` on any design;
    unlike statsmodels it accepts unequal raters per item (statsmodels#7781).

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 3, 3, 3], "rater_id": list("abcabab") + ["c"],
    ...                       "value": ["x", "x", "y", "y", "y", "x", "x", "x"]})
    >>> j = alignlab.load_judgments(table, scale="categorical")
    >>> round(agreement.fleiss_kappa(j).estimate, 3)
    0.5
    """
    return _gwet_family(
        judgments, caller="fleiss_kappa", statistic="fleiss_kappa", label="fleiss_kappa", chance="fleiss",
        weights=weights, raters=raters, confidence_level=confidence_level,
        ci_method=ci_method, n_resamples=n_resamples, random_state=random_state, clusters=clusters,
        alternative="krippendorff_alpha(level='interval') or icc",
    )


@validate_params({**_SELECTION, **_COMMON, "weights": _WEIGHTS, "ci_method": ci_options(True)})
def gwet_ac(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: WeightsSpec = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Gwet's AC1 (``weights=None``) or AC2 (``weights=`` a scheme or a K x K matrix).

    Parameters
    ----------
    judgments : Judgments
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : {None, "identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"} or array
        AC2 weights on the numeric category values (``1..K`` for text labels), as irrCAC.
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: Gwet's (2008) linearisation variance with a t interval (irrCAC ``gwet()``).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    Chance agreement ``p_e = T_w / (K (K - 1)) sum_k pi_k (1 - pi_k)`` with ``K`` the number of
    categories of the scale (not only those observed) and ``T_w = sum_kl w_kl``; stable when one
    category dominates (Gwet 2008, Br. J. Math. Stat. Psychol. 61:29-48). R: ``irrCAC::gwet.ac1.raw``.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3, 4, 4], "rater_id": ["a", "b"] * 4,
    ...                       "value": [1, 1, 1, 1, 1, 1, 0, 1]})
    >>> j = alignlab.load_judgments(table, scale="binary")
    >>> round(agreement.gwet_ac(j).estimate, 3)
    0.68
    """
    return _gwet_family(
        judgments, caller="gwet_ac", statistic="gwet_ac2" if weights is not None else "gwet_ac1",
        label="gwet_ac2" if weights is not None else "gwet_ac1", chance="gwet", weights=weights,
        raters=raters, confidence_level=confidence_level, ci_method=ci_method,
        n_resamples=n_resamples, random_state=random_state, clusters=clusters,
        alternative="krippendorff_alpha(level='interval') or icc",
    )


@validate_params({**_SELECTION, **_COMMON, "weights": _WEIGHTS, "ci_method": ci_options(True)})
def brennan_prediger(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: WeightsSpec = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Brennan–Prediger coefficient: chance agreement ``T_w / K^2`` (uniform guessing).

    Parameters
    ----------
    judgments : Judgments
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : str or array, optional
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: Gwet's variance with a t interval (irrCAC ``bp()``).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    Brennan & Prediger (1981), Educ. Psychol. Meas. 41:687-699; ``K`` is the number of categories of
    the scale. R: ``irrCAC::bp.coeff.raw``.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "rater_id": ["a", "b"] * 3,
    ...                       "value": ["x", "x", "y", "x", "y", "y"]})
    >>> j = alignlab.load_judgments(table, scale="categorical")
    >>> round(agreement.brennan_prediger(j).estimate, 3)
    0.333
    """
    return _gwet_family(
        judgments, caller="brennan_prediger", statistic="brennan_prediger", label="brennan_prediger",
        chance="bp", weights=weights, raters=raters, confidence_level=confidence_level,
        ci_method=ci_method, n_resamples=n_resamples, random_state=random_state, clusters=clusters,
        alternative="krippendorff_alpha(level='interval') or icc",
    )


def _two_raters(data: LongData, caller: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Items judged by both raters: (item codes, first rater's labels, second rater's labels)."""
    if data.n_raters != 2:
        raise InvalidParameterError(
            f"{caller} compares exactly two raters; the selection has {data.n_raters} "
            f"({', '.join(map(str, data.raters[:6]))}{', ...' if data.n_raters > 6 else ''}). Pass raters=[a, b], "
            "or use fleiss_kappa, gwet_ac or krippendorff_alpha for more raters (pairwise() for every pair)."
        )
    first = np.full(data.n_items, -1, dtype=np.int64)
    second = np.full(data.n_items, -1, dtype=np.int64)
    is_first = data.rater_codes == 0
    first[data.item_codes[is_first]] = data.label_codes[is_first]
    second[data.item_codes[~is_first]] = data.label_codes[~is_first]
    both = (first >= 0) & (second >= 0)
    notes = []
    if not both.any():
        raise DataError(f"{caller}: raters {data.raters[0]!r} and {data.raters[1]!r} have no item in common.")
    if (~both).any():
        notes.append(f"{int((~both).sum())} items judged by only one of the two raters were left out")
    return np.flatnonzero(both), first[both], second[both], notes


@validate_params({**_SELECTION, **_COMMON, "weights": [None, np.ndarray, Options(("linear", "quadratic"))],
                  "ci_method": ci_options(True)})
def cohen_kappa(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: Literal["linear", "quadratic"] | np.ndarray | None = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Cohen's kappa between exactly two raters, unweighted or with linear/quadratic weights.

    Parameters
    ----------
    judgments : Judgments
        Discrete labels; with more than two raters pass ``raters=[a, b]``.
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : {None, "linear", "quadratic"} or array
        Cohen (1968) agreement weights on category positions ``0..K-1`` of the scale, as scikit-learn
        ``cohen_kappa_score(weights=...)`` with ``labels=`` every category; or a K x K agreement matrix.
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: the large-sample standard error of Fleiss, Cohen & Everitt (1969) computed by
        statsmodels ``cohens_kappa`` (normal interval).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    ``kappa = (p_o - p_e) / (1 - p_e)``, ``p_o = sum w_kl p_kl``, ``p_e = sum w_kl p_k. p_.l`` on the items
    both raters judged (Cohen 1960, 1968). Equals ``sklearn.metrics.cohen_kappa_score`` and statsmodels.
    R: ``irr::kappa2`` (``weight="equal"``/``"squared"``).

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3, 4, 4], "rater_id": ["a", "b"] * 4,
    ...                       "value": [1, 1, 2, 2, 3, 2, 3, 3]})
    >>> j = alignlab.load_judgments(table, scale="ordinal")
    >>> round(agreement.cohen_kappa(j).estimate, 3)
    0.636
    """
    caller = "cohen_kappa"
    data = long_data(select(judgments, raters), caller)
    _require_discrete(data, caller, "icc or krippendorff_alpha(level='interval')")
    if isinstance(weights, str) and data.scale.kind in ("categorical", "pairwise"):
        raise InvalidParameterError(
            f"weights={weights!r} in cohen_kappa needs ordered categories, but the scale is {data.scale.kind}. "
            "Use weights=None for unordered labels."
        )
    matrix, weight_name = _weight_matrix(weights, data.scale, caller, by_index=True)
    items, first, second, warnings = _two_raters(data, caller)
    warnings = _count_warnings(data) + warnings
    stats = kern.two_rater_stats(first, second, matrix)
    ones = np.ones((1, items.size))
    p_o, p_e = (float(v[0]) for v in stats.components(ones))
    estimate = float(stats.statistic(ones)[0])
    codes = cluster_codes(data, clusters, caller)
    if ci_method == "analytic":
        if codes is not None:
            raise InvalidParameterError("clusters= needs a bootstrap interval in cohen_kappa; pass ci_method='bca'.")
        interval = _cohen_analytic(stats, weights, estimate, confidence_level)
    else:
        interval = bootstrap_interval(stats.statistic, items.size, estimate, ci_method=ci_method,
                                      confidence_level=confidence_level, n_resamples=n_resamples,
                                      random_state=random_state, clusters=None if codes is None else codes[items])
    if not np.isfinite(estimate):
        warnings.append("chance agreement is 1 (both raters used one category only): kappa is undefined")
    label = "cohen_kappa" if weights is None else f"cohen_kappa[{weight_name}]"
    return finish(
        statistic="cohen_kappa", method=label, level=weight_name, estimate=estimate, interval=interval,
        confidence_level=confidence_level, n_items=items.size, n_raters=2, n_judgments=2 * items.size,
        warnings=warnings, observed_agreement=p_o, expected_agreement=p_e,
    )


def _cohen_analytic(stats: kern.TwoRaterStats, weights: Any, estimate: float, confidence_level: float) -> IntervalEstimate:
    # statsmodels implements the Fleiss-Cohen-Everitt (1969) variance; reuse it rather than re-derive it.
    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

    table = stats.table()
    if not np.isfinite(estimate):
        return IntervalEstimate(math.nan, math.nan, math.nan, "analytic(fleiss-cohen-everitt)")
    with np.errstate(divide="ignore", invalid="ignore"):
        if weights is None:
            res = sm_cohens_kappa(table)
        else:
            # statsmodels takes disagreement weights; ours are agreement weights (w = 1 - d)
            res = sm_cohens_kappa(table, weights=1.0 - stats.weights)
    se = float(np.sqrt(res["var_kappa"])) if res["var_kappa"] >= 0 else math.nan
    return normal_interval(estimate, se, confidence_level, "analytic(fleiss-cohen-everitt)")


@validate_params({**_SELECTION, **_COMMON, "weights": _WEIGHTS, "ci_method": ci_options(True)})
def scott_pi(
    judgments: Judgments,
    *,
    raters: str | Sequence[str] | None = None,
    weights: WeightsSpec = None,
    confidence_level: float = 0.95,
    ci_method: CiMethod = "analytic",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Scott's pi between exactly two raters: kappa with the pooled marginal as chance model.

    Parameters
    ----------
    judgments : Judgments
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    weights : str or array, optional
    confidence_level : float, default 0.95
    ci_method : {"analytic", "bca", "percentile", "none"}
        ``"analytic"``: Gwet's variance of Fleiss' kappa at two ratings per item (t interval).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional

    Returns
    -------
    AgreementResult

    Notes
    -----
    ``p_e = sum_k m_k^2`` with ``m_k`` the share of category k among both raters' judgments on the
    items both judged (Scott 1955); equal to Fleiss' kappa on those items.

    Examples
    --------
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> table = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3, 4, 4], "rater_id": ["a", "b"] * 4,
    ...                       "value": ["x", "x", "y", "x", "y", "y", "x", "x"]})
    >>> j = alignlab.load_judgments(table, scale="categorical")
    >>> round(agreement.scott_pi(j).estimate, 3)
    0.467
    """
    caller = "scott_pi"
    data = long_data(select(judgments, raters), caller)
    _require_discrete(data, caller, "icc or krippendorff_alpha(level='interval')")
    items, _, _, notes = _two_raters(data, caller)
    paired = data.judgments.subset(items=list(data.items[items]))
    return _gwet_family(
        paired, caller=caller, statistic="scott_pi", label="scott_pi", chance="fleiss", weights=weights,
        raters=None, confidence_level=confidence_level, ci_method=ci_method,
        n_resamples=n_resamples, random_state=random_state, clusters=clusters,
        alternative="icc or krippendorff_alpha(level='interval')", extra_warnings=notes,
    )


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------------
_DENSE_VALUE_LIMIT = 64


def _alpha_kernel(data: LongData, level: str) -> Any:
    """Pick the kernel: coincidence counts for discrete scales, sums of squares for interval data,
    sparse counts over distinct values otherwise."""
    scale = data.scale
    if scale.is_discrete:
        if level in ("ordinal", "interval", "ratio") and scale.kind in ("categorical", "pairwise"):
            raise InvalidParameterError(
                f"krippendorff_alpha(level={level!r}) needs ordered values, but the scale is {scale.kind} "
                f"({scale.describe()}). Use level='nominal', or load the table with an ordinal scale."
            )
        levels = _level_values(scale) if level in ("interval", "ratio") else np.arange(float(scale.n_categories))
        return kern.discrete_alpha_stats(data.counts(), level, levels)
    if level == "interval":
        return kern.interval_alpha_stats(data.item_codes, data.values, data.n_items)
    value_codes, distinct = pd.factorize(data.values, sort=True)
    distinct = np.asarray(distinct, dtype=float)
    if distinct.size <= _DENSE_VALUE_LIMIT:
        counts = kern.category_counts(data.item_codes, value_codes, data.n_items, distinct.size)
        return kern.discrete_alpha_stats(counts, level, distinct if level == "ratio" else np.arange(float(distinct.size)))
    return kern.sparse_alpha_stats(data.item_codes, value_codes.astype(np.int64), distinct, data.n_items, level)


@validate_params({**_SELECTION, **_COMMON, "level": [Options(_ALPHA_LEVELS)], "ci_method": ci_options(False)})
def krippendorff_alpha(
    judgments: Judgments,
    *,
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
    raters: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    ci_method: BootstrapCiMethod = "bca",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = None,
    clusters: str | None = None,
) -> AgreementResult:
    """Krippendorff's alpha for nominal, ordinal, interval or ratio data with missing judgments.

    Parameters
    ----------
    judgments : Judgments
        Any scale; items with a single judgment are not pairable and are ignored.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Metric of differences. Interval/ratio use the numeric category values (ordinal scales) or the
        scores themselves (continuous scales); ordinal uses only the order.
    raters : str or list of str, optional
        The raters under study: rater ids, method names (``"human"``) or a list of them (default all).
    confidence_level : float, default 0.95
    ci_method : {"bca", "percentile", "none"}
        Item-cluster bootstrap (Krippendorff's alpha has no standard analytic interval).
    n_resamples : int, default 1000
    random_state : int or numpy.random.Generator, optional
    clusters : str, optional
        Item-level column whose levels are resampled whole (e.g. ``"conversation"``).

    Returns
    -------
    AgreementResult
        ``observed_disagreement`` and ``expected_disagreement`` are ``D_o`` and ``D_e``.

    Notes
    -----
    ``alpha = 1 - D_o / D_e`` from the coincidence matrix (Krippendorff 2018, Content Analysis, ch. 12).
    Interval alpha on continuous scores uses the sum-of-squares identity
    ``1 - (n - 1) sum_u [m_u SS_u / (m_u - 1)] / (n SS_tot)`` (linear time and memory, no value x value
    matrix); ordinal alpha on many distinct values uses mid-ranks. Equals the ``krippendorff`` package.
    R: ``irr::kripp.alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import alignlab
    >>> from alignlab import agreement
    >>> # Krippendorff's (2011) reliability data with missing values
    >>> data = [[np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
    ...         [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
    ...         [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4]]
    >>> long = pd.DataFrame(data).rename_axis("rater_id").reset_index().melt(
    ...     id_vars="rater_id", var_name="item_id").dropna()
    >>> j = alignlab.load_judgments(long, scale="ordinal")
    >>> round(agreement.krippendorff_alpha(j, level="nominal", ci_method="none").estimate, 6)
    0.691358
    >>> round(agreement.krippendorff_alpha(j, level="interval", ci_method="none").estimate, 6)
    0.810845
    """
    caller = "krippendorff_alpha"
    data = long_data(select(judgments, raters), caller)
    kernel = _alpha_kernel(data, level)
    warnings = _count_warnings(data)
    m = data.per_item()
    n_pairable = int((m >= 2).sum())
    if n_pairable == 0:
        raise DataError(
            "krippendorff_alpha needs items with at least two judgments; none of the "
            f"{data.n_items} items has. Check the raters= selection."
        )
    estimate = float(kernel.statistic(np.ones((1, data.n_items)))[0])
    d_o, d_e = kernel.disagreements()
    if not np.isfinite(estimate):
        warnings.append("expected disagreement is 0 (all pairable values equal): alpha is undefined")
    if n_pairable < data.n_items:
        warnings.append(f"{data.n_items - n_pairable} items with a single judgment are not pairable and were ignored")
    codes = cluster_codes(data, clusters, caller)
    interval = bootstrap_interval(kernel.statistic, data.n_items, estimate, ci_method=ci_method,
                                  confidence_level=confidence_level, n_resamples=n_resamples,
                                  random_state=random_state, clusters=codes)
    return finish(
        statistic="krippendorff_alpha", method=f"krippendorff_alpha[{level}]", level=level, estimate=estimate,
        interval=interval, confidence_level=confidence_level, n_items=n_pairable, n_raters=data.n_raters,
        n_judgments=int(m[m >= 2].sum()), warnings=warnings, observed_disagreement=d_o, expected_disagreement=d_e,
    )
