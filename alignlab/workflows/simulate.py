"""Seeded simulations with known answers for the three workflows.

Every generator draws a latent quality ``T_i ~ N(0, 1)`` per item and lets each rater report
``y_ij = T_i + b_j + sigma_j * e_ij`` (``e ~ N(0, 1)``), so a rater's **true reliability** is the share of
its variance that is signal, ``1 / (1 + sigma_j^2)`` (the quantity the annotator models estimate), and
its bias is ``b_j``. A *useless* rater (or a spammer) reports noise that ignores ``T_i``. Binary tables
threshold the report at 0 (``1`` = pass), ordinal tables cut it into five levels, continuous tables keep
it. The truth of every scenario is set by the arguments, so tests can check that a workflow recovers it.

- :func:`simulate_judge_study`: human panel plus LLM judges of chosen quality (as good as a human, lenient,
  useless, or failing on one segment), with systems and a segment column.
- :func:`simulate_vendor_study`: several vendors of raters, one of them planted as spammers, with gold
  items, timestamps, a per-judgment ``cost`` and a rater that drifts.
- :func:`simulate_signal_study`: judges and online signals with known reliabilities, for trust weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlab._params import DataError, Interval, Options, check_random_state, validate_params
from alignlab.data import Judgments, load_judgments

__all__ = [
    "RaterSpec",
    "simulate_judge_study",
    "simulate_vendor_study",
    "simulate_signal_study",
    "true_reliability",
]

_SCALES = ["binary", "ordinal", "continuous"]
_ORDINAL_CUTS = np.array([-1.2, -0.4, 0.4, 1.2])  # five levels 1..5 on the N(0, 1 + sigma^2) report


@dataclass(frozen=True)
class RaterSpec:
    """How one simulated rater reports.

    Attributes
    ----------
    noise_sd : float
        ``sigma_j``: the true reliability is ``1 / (1 + noise_sd**2)``.
    bias : float
        ``b_j``, added to every report (positive = lenient).
    useless : bool
        Report pure noise (``N(bias, 1 + noise_sd^2)``) that ignores the item.
    segment_noise_sd : float or None
        Noise on the items of the *hard* segment level (``"hard"``) instead of ``noise_sd``.
    drift_noise_sd : float or None
        Noise in the second half of the time window instead of ``noise_sd`` (a rater that degrades).
    """

    noise_sd: float = 0.6
    bias: float = 0.0
    useless: bool = False
    segment_noise_sd: float | None = None
    drift_noise_sd: float | None = None


def true_reliability(spec: RaterSpec) -> float:
    """The true reliability ``1 / (1 + sigma^2)`` of a simulated rater (0 for a useless one).

    Examples
    --------
    >>> true_reliability(RaterSpec(noise_sd=1.0))
    0.5
    """
    return 0.0 if spec.useless else 1.0 / (1.0 + spec.noise_sd**2)


def _as_spec(value: RaterSpec | Mapping[str, Any] | float) -> RaterSpec:
    if isinstance(value, RaterSpec):
        return value
    if isinstance(value, Mapping):
        return RaterSpec(**value)
    return RaterSpec(noise_sd=float(value))


def _report(
    truth: np.ndarray,
    spec: RaterSpec,
    rng: np.random.Generator,
    hard: np.ndarray,
    late: np.ndarray,
) -> np.ndarray:
    sd = np.full(truth.shape, spec.noise_sd, dtype=float)
    if spec.segment_noise_sd is not None:
        sd[hard] = spec.segment_noise_sd
    if spec.drift_noise_sd is not None:
        sd[late] = spec.drift_noise_sd
    noise = rng.standard_normal(truth.shape)
    if spec.useless:
        return spec.bias + np.sqrt(1.0 + sd**2) * noise
    return truth + spec.bias + sd * noise


def _discretise(report: np.ndarray, scale: str) -> np.ndarray:
    if scale == "binary":
        return (report > 0).astype(np.int64)
    if scale == "ordinal":
        return 1 + np.searchsorted(_ORDINAL_CUTS, report).astype(np.int64)
    return report


def _build(
    raters: Mapping[str, tuple[str, str | None, RaterSpec]],
    *,
    n_items: int,
    scale: str,
    n_systems: int,
    coverage: float,
    segment_levels: Sequence[str],
    gold_fraction: float,
    timestamps: bool,
    costs: Mapping[str, float] | None,
    rng: np.random.Generator,
    aggregate_signals: Mapping[str, float] | None = None,
    n_trials: int = 50,
) -> Judgments:
    system_codes = rng.integers(0, n_systems, n_items) if n_systems else None
    truth = rng.standard_normal(n_items)
    if system_codes is not None:
        # well separated system means so the true ranking is unambiguous
        effects = np.linspace(-0.8, 0.8, n_systems)
        truth = truth + effects[system_codes]
    segment = np.asarray(segment_levels, dtype=object)[rng.integers(0, len(segment_levels), n_items)]
    hard = segment == "hard"
    day = rng.uniform(0.0, 60.0, n_items)  # item i is judged on day `day[i]` of a 60-day window
    late = day >= 30.0
    blocks = []
    items = np.arange(n_items)
    for rater_id, (method, vendor, spec) in raters.items():
        keep = rng.uniform(size=n_items) < coverage if coverage < 1.0 else np.ones(n_items, dtype=bool)
        report = _report(truth, spec, rng, hard, late)
        block = pd.DataFrame({
            "item_id": [f"item{i:05d}" for i in items[keep]],
            "rater_id": rater_id,
            "method": method,
            "value": _discretise(report, scale)[keep],
        })
        if vendor is not None:
            block["vendor"] = vendor
        if costs is not None and vendor is not None:
            block["cost"] = float(costs.get(vendor, np.nan))
        block["_item"] = items[keep]
        blocks.append(block)
    for name, sd in (aggregate_signals or {}).items():
        # per-item online counts: successes ~ Binomial(n_trials, sigmoid(T_i + sd * e_i))
        rate = 1.0 / (1.0 + np.exp(-(truth + float(sd) * rng.standard_normal(n_items))))
        blocks.append(pd.DataFrame({"item_id": [f"item{i:05d}" for i in items], "rater_id": str(name),
                                    "method": "online", "value": np.nan, "trials": n_trials,
                                    "successes": rng.binomial(n_trials, rate), "_item": items}))
    frame = pd.concat(blocks, ignore_index=True)
    item = frame.pop("_item").to_numpy()
    if system_codes is not None:
        frame["system"] = np.array([f"system{s}" for s in range(n_systems)], dtype=object)[system_codes[item]]
    if len(segment_levels) > 1:
        frame["topic"] = segment[item]
    if gold_fraction > 0:
        gold_items = rng.uniform(size=n_items) < gold_fraction
        gold = _discretise(truth, scale).astype(float)
        frame["gold"] = np.where(gold_items[item], gold[item], np.nan)
    if timestamps:
        start = pd.Timestamp("2024-01-01", tz="UTC")
        frame["timestamp"] = start + pd.to_timedelta(day[item], unit="D")
    segments = ["topic"] if len(segment_levels) > 1 else []
    if "cost" in frame.columns:
        segments.append("cost")
    if scale == "binary":
        scale_obj: Any = "binary"
    elif scale == "ordinal":
        from alignlab.data import Scale

        scale_obj = Scale.ordinal([1, 2, 3, 4, 5])
    else:
        scale_obj = "continuous"
    return load_judgments(frame, scale=scale_obj, segments=segments)


_COMMON = {
    "n_items": [Interval("integral", 20, None)],
    "scale": [Options(_SCALES)],
    "random_state": ["random_state"],
}


@validate_params({
    **_COMMON,
    "n_humans": [Interval("integral", 1, None)],
    "human_noise_sd": [Interval("real", 0, None)],
    "judges": ["mapping", None],
    "n_systems": [Interval("integral", 0, None)],
})
def simulate_judge_study(
    *,
    n_items: int = 400,
    n_humans: int = 3,
    human_noise_sd: float = 0.6,
    judges: Mapping[str, RaterSpec | Mapping[str, Any] | float] | None = None,
    scale: str = "binary",
    n_systems: int = 6,
    random_state: int | np.random.Generator | None = None,
) -> Judgments:
    """A human panel and LLM judges of known quality, on items from several systems and topics.

    Parameters
    ----------
    n_items : int
        Items, each judged by every human and every judge.
    n_humans : int
        Human raters ``human1 ...`` (method ``human``), each with noise ``human_noise_sd``.
    human_noise_sd : float
        Noise of every human; the human reliability is ``1 / (1 + human_noise_sd**2)``.
    judges : mapping of name to RaterSpec (or its fields as a dict, or a noise sd)
        The LLM judges (method ``llm_judge``). Default: ``{"as_good": noise human_noise_sd,
        "lenient": bias +1, "useless": useless}``.
    scale : {"binary", "ordinal", "continuous"}
    n_systems : int
        Systems ``system0 ...`` with evenly spaced true quality (0: no ``system`` column).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Judgments
        With a ``topic`` segment (levels ``easy``, ``medium``, ``hard``) and, if ``n_systems``,
        a ``system`` column.

    Examples
    --------
    >>> from alignlab.workflows.simulate import simulate_judge_study
    >>> j = simulate_judge_study(n_items=50, random_state=0)
    >>> sorted(j.rater_info["rater_id"])
    ['as_good', 'human1', 'human2', 'human3', 'lenient', 'useless']
    """
    if judges is None:
        judges = {
            "as_good": RaterSpec(noise_sd=human_noise_sd),
            "lenient": RaterSpec(noise_sd=human_noise_sd, bias=1.0),
            "useless": RaterSpec(useless=True),
        }
    raters: dict[str, tuple[str, str | None, RaterSpec]] = {
        f"human{h + 1}": ("human", None, RaterSpec(noise_sd=human_noise_sd)) for h in range(n_humans)
    }
    for name, spec in judges.items():
        if name in raters:
            raise DataError(f"judge name {name!r} collides with a human rater id; rename the judge.")
        raters[str(name)] = ("llm_judge", None, _as_spec(spec))
    return _build(raters, n_items=n_items, scale=scale, n_systems=n_systems, coverage=1.0,
                  segment_levels=("easy", "medium", "hard"), gold_fraction=0.0, timestamps=False,
                  costs=None, rng=check_random_state(random_state))


@validate_params({
    **_COMMON,
    "vendors": ["mapping", None],
    "raters_per_vendor": [Interval("integral", 1, None)],
    "coverage": [Interval("real", 0, 1, closed="right")],
    "gold_fraction": [Interval("real", 0, 1, closed="left")],
    "drifting_rater": [str, None],
})
def simulate_vendor_study(
    *,
    n_items: int = 300,
    vendors: Mapping[str, Mapping[str, Any]] | None = None,
    raters_per_vendor: int = 4,
    coverage: float = 0.6,
    gold_fraction: float = 0.1,
    drifting_rater: str | None = "acme_r1",
    scale: str = "binary",
    random_state: int | np.random.Generator | None = None,
) -> Judgments:
    """Annotation vendors with known rater quality, one vendor of planted spammers.

    Parameters
    ----------
    n_items : int
    vendors : mapping of vendor name to ``{"noise_sd": ..., "useless": ..., "cost": ...}``
        Default: ``acme`` (noise 0.4, cost 1.0), ``bestlabel`` (noise 0.7, cost 0.6) and ``cheapo``
        (spammers: useless, cost 0.2). Raters are ``<vendor>_r1 ...``.
    raters_per_vendor : int
    coverage : float
        Probability that a rater judges a given item.
    gold_fraction : float
        Share of items carrying the true label in a ``gold`` column.
    drifting_rater : str or None
        This rater's noise rises to 2.0 in the second half of the 60-day window (``timestamp``).
    scale : {"binary", "ordinal", "continuous"}
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Judgments
        Method ``human`` for every rater, with ``vendor``, ``timestamp``, ``gold`` and a numeric
        ``cost`` segment column (cost per judgment of the rater's vendor).

    Examples
    --------
    >>> from alignlab.workflows.simulate import simulate_vendor_study
    >>> j = simulate_vendor_study(n_items=60, random_state=0)
    >>> sorted(set(j.frame["vendor"]))
    ['acme', 'bestlabel', 'cheapo']
    """
    if vendors is None:
        vendors = {
            "acme": {"noise_sd": 0.4, "cost": 1.0},
            "bestlabel": {"noise_sd": 0.7, "cost": 0.6},
            "cheapo": {"useless": True, "cost": 0.2},
        }
    raters: dict[str, tuple[str, str | None, RaterSpec]] = {}
    costs: dict[str, float] = {}
    for vendor, settings in vendors.items():
        settings = dict(settings)
        costs[str(vendor)] = float(settings.pop("cost", 1.0))
        for r in range(raters_per_vendor):
            rater_id = f"{vendor}_r{r + 1}"
            spec = RaterSpec(**settings)
            if rater_id == drifting_rater:
                spec = RaterSpec(**{**settings, "drift_noise_sd": 2.0})
            raters[rater_id] = ("human", str(vendor), spec)
    return _build(raters, n_items=n_items, scale=scale, n_systems=0, coverage=coverage, segment_levels=("all",),
                  gold_fraction=gold_fraction, timestamps=True, costs=costs, rng=check_random_state(random_state))


@validate_params({
    **_COMMON,
    "sources": ["mapping", None],
    "n_humans": [Interval("integral", 1, None)],
    "human_noise_sd": [Interval("real", 0, None)],
    "human_coverage": [Interval("real", 0, 1, closed="right")],
    "aggregate_signals": ["mapping", None],
})
def simulate_signal_study(
    *,
    n_items: int = 600,
    sources: Mapping[str, tuple[str, float]] | None = None,
    n_humans: int = 3,
    human_noise_sd: float = 0.8,
    human_coverage: float = 0.3,
    aggregate_signals: Mapping[str, float] | None = None,
    scale: str = "continuous",
    random_state: int | np.random.Generator | None = None,
) -> Judgments:
    """LLM judges and online signals of known reliability, humans on a subset of items.

    Parameters
    ----------
    n_items : int
    sources : mapping of rater id to ``(method, noise_sd)``
        Default: ``judge_strong`` (llm_judge, 0.5), ``judge_weak`` (llm_judge, 1.5) and
        ``thumbs_up`` (online, 1.0): true reliabilities 0.8, 0.31 and 0.5.
    n_humans : int
    human_noise_sd : float
    human_coverage : float
        Share of items with human judgments (every human judges the same items).
    aggregate_signals : mapping of signal name to noise sd, optional
        Per-item online counts (``successes`` of 50 ``trials``, method ``online``) with success
        probability ``sigmoid(T_i + sd * e_i)``; kept in ``Judgments.aggregates``.
    scale : {"binary", "ordinal", "continuous"}
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Judgments

    Examples
    --------
    >>> from alignlab.workflows.simulate import simulate_signal_study
    >>> j = simulate_signal_study(n_items=60, random_state=0)
    >>> sorted(set(j.frame["method"]))
    ['human', 'llm_judge', 'online']
    """
    if sources is None:
        sources = {"judge_strong": ("llm_judge", 0.5), "judge_weak": ("llm_judge", 1.5), "thumbs_up": ("online", 1.0)}
    rng = check_random_state(random_state)
    raters: dict[str, tuple[str, str | None, RaterSpec]] = {
        str(name): (method, None, RaterSpec(noise_sd=float(sd))) for name, (method, sd) in sources.items()
    }
    human_raters = {f"human{h + 1}": ("human", None, RaterSpec(noise_sd=human_noise_sd)) for h in range(n_humans)}
    both = _build({**raters, **human_raters}, n_items=n_items, scale=scale, n_systems=0, coverage=1.0,
                  segment_levels=("all",), gold_fraction=0.0, timestamps=False, costs=None, rng=rng,
                  aggregate_signals=aggregate_signals)
    frame = both.frame
    labelled = rng.uniform(size=n_items) < human_coverage
    item_index = frame["item_id"].str.slice(4).astype(int).to_numpy()
    keep = (frame["method"] != "human").to_numpy() | labelled[item_index]
    kept = frame.loc[keep].drop(columns=["source_row", "weight"])
    if both.aggregates is not None:
        agg = both.aggregates.drop(columns=["source_row", "weight"], errors="ignore")
        kept = pd.concat([kept, agg], ignore_index=True)
    return load_judgments(kept, scale=both.scale, segments=[])
