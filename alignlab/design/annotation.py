"""Data collection plans from a pilot: items x raters per item x gold, simulated from the fitted annotator model."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    validate_params,
)
from alignlab.data.judgments import Judgments
from alignlab.design._assign import Assignment, cyclic_assignment
from alignlab.design._model import (
    RaterModel,
    agreement_draws,
    item_scores,
    metric_draws,
    rater_model_from_fit,
)
from alignlab.results import Summary, TableResult

__all__ = ["plan_annotation", "DataCollectionPlan", "design_effect", "clustered_mean_variance",
           "gold_sample_size", "simulate_design"]

_N_REFERENCE = 400  # items of the reference simulation each k is scaled from (widths scale as 1/sqrt(n))
COST_KEYS = ("judgment", "item", "gold_item")


# --------------------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------------------
def design_effect(k: Any, icc: Any) -> np.ndarray:
    """Kish's design effect of k ratings per item for a mean over all ratings: 1 + (k - 1) rho.

    Relative to n k independent ratings (Kish 1965, *Survey Sampling*, §5.4; Donner & Klar 2000, ch. 2).

    >>> float(design_effect(3, 0.25))
    1.5
    """
    return 1.0 + (np.asarray(k, dtype=float) - 1.0) * np.asarray(icc, dtype=float)


def clustered_mean_variance(sigma_b2: float, sigma_w2: float, n: Any, k: Any) -> np.ndarray:
    """Variance of the mean of n item means, each over k ratings: sigma_b^2/n + sigma_w^2/(n k).

    Equal to deff(k, rho) (sigma_b^2 + sigma_w^2)/(n k) with rho = sigma_b^2/(sigma_b^2 + sigma_w^2).

    >>> float(clustered_mean_variance(0.2, 0.05, 100, 5))
    0.0021
    """
    n, k = np.asarray(n, dtype=float), np.asarray(k, dtype=float)
    return sigma_b2 / n + sigma_w2 / (n * k)


def gold_sample_size(accuracy: Any, half_width: float, *, confidence_level: float = 0.95,
                     ci_method: Literal["wald", "wilson"] = "wilson") -> np.ndarray:
    """Gold judgments needed to estimate an accuracy p to a given interval half-width h.

    Wald: n = z^2 p(1 - p)/h^2 (Cochran 1977, §4.4; statsmodels ``samplesize_confint_proportion``);
    Wilson: the smallest n whose Wilson score interval (Wilson 1927) at the expected count has half-width
    <= h, via :func:`alignlab.sampling.segment_sample_size`.

    >>> gold_sample_size([0.8, 0.9], 0.05, ci_method="wald").tolist()
    [246, 139]
    """
    from alignlab.sampling import segment_sample_size

    p = np.clip(np.atleast_1d(np.asarray(accuracy, dtype=float)), 1e-6, 1 - 1e-6)
    return segment_sample_size(half_width, p, confidence_level=confidence_level, ci_method=ci_method)


# --------------------------------------------------------------------------------------------------
# simulation of one design
# --------------------------------------------------------------------------------------------------
def simulate_design(model: RaterModel, assignment: Assignment, *, target: str, positive_code: int, scale: Any,
                    agreement: str, level: str, n_simulations: int, confidence_level: float,
                    random_state: int | np.random.Generator | None = None,
                    with_agreement: bool = True) -> dict[str, float]:
    """Expected interval half-widths of one design, by simulation from the model, with Monte Carlo errors.

    metric: the mean realised normal half-width z sd(item scores)/sqrt(n) (MC error sd/sqrt(S)), the sd of
    the estimate across simulations and its bias against the model's truth; agreement: z times the sd of
    the statistic across simulations (the width an interval of nominal coverage has), MC error
    z sd/sqrt(2 (S - 1)) (normal theory).
    """
    rng = check_random_state(random_state)
    z_value = float(stats.norm.ppf(0.5 + confidence_level / 2))
    truth, codes = model.simulate(assignment.slots, n_simulations, rng)
    scores = item_scores(codes, model.values, target, positive_code)
    estimate, half = metric_draws(scores, z_value)
    if target == "mean":
        true_value = model.values[truth].mean(axis=1)
    else:
        true_value = (truth == positive_code).mean(axis=1)
    S = n_simulations
    out = {
        "metric_half_width": float(half.mean()),
        "metric_half_width_mc_se": float(half.std(ddof=1) / math.sqrt(S)),
        "metric_sd_half_width": float(z_value * estimate.std(ddof=1)),
        "metric_bias": float((estimate - true_value).mean()),
        "metric_bias_mc_se": float((estimate - true_value).std(ddof=1) / math.sqrt(S)),
        "agreement_estimate": math.nan, "agreement_half_width": math.nan, "agreement_half_width_mc_se": math.nan,
    }
    paired = int(((assignment.slots >= 0).sum(axis=1) >= 2).sum())
    if with_agreement and paired >= 2:
        values = agreement_draws(model, assignment.slots, codes, scale, agreement, level)
        values = values[np.isfinite(values)]
        if len(values) >= 2:
            sd = float(values.std(ddof=1))
            out.update(agreement_estimate=float(values.mean()), agreement_half_width=z_value * sd,
                       agreement_half_width_mc_se=z_value * sd / math.sqrt(2 * (len(values) - 1)))
    return out


def _simulate_worlds(worlds: list[RaterModel], assignment: Assignment, *, per_world: int, assurance: float | None,
                     rng: np.random.Generator, common: dict[str, Any]) -> dict[str, Any]:
    """simulate_design in each world; the planning values are the single world's, or with ``assurance`` the
    ``assurance`` quantile over the worlds (the width reached in that share of plausible worlds)."""
    outs = [simulate_design(w, assignment, n_simulations=per_world, random_state=rng, **common) for w in worlds]
    by = {key: np.array([o[key] for o in outs], dtype=float) for key in outs[0]}
    if len(worlds) == 1:
        out = dict(outs[0])
    else:
        out = {key: float(np.mean(v)) for key, v in by.items()}
        for key in ("metric_half_width", "agreement_half_width"):
            values = by[key]
            out[key] = float(np.quantile(values, assurance)) if np.isfinite(values).all() else math.nan
            out[f"{key}_mc_se"] = float(values.std(ddof=1) / math.sqrt(len(values)))
    out["metric_by_world"] = by["metric_half_width"]
    out["agreement_by_world"] = by["agreement_half_width"]
    return out


# --------------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------------
PLAN_COLUMNS = ["kind", "segment", "n_items", "raters_per_item", "n_judgments", "gold_items", "cost"]


@dataclass(frozen=True, kw_only=True)
class DataCollectionPlan(TableResult):
    """What to send to the vendors: items, raters per item, gold, cost, and the precision it buys.

    ``to_frame()`` has one row per segment of items to rate (``kind="items"``) and one for the gold items
    (``kind="gold"``): ``segment, n_items, raters_per_item, n_judgments, gold_items, cost``.

    Attributes
    ----------
    tradeoff : DataFrame
        One row per raters-per-item option k: the items needed for each target, the cost, what the budget
        buys and the expected half-widths there (``metric_source`` says closed form or simulation), and
        ``metric_bias``: the consensus metric's mean error against the model's true class (majority votes of
        few noisy raters are biased; more raters per item shrink it), with its MC error.
    gold : DataFrame
        Per vendor: modelled accuracy, gold judgments needed (Wald and Wilson) and its share of judgments.
    assignment : DataFrame
        The exact sample: ``item_id, kind, segment, inclusion_probability, slot, rater_id, vendor``.
    raters : DataFrame
        Per rater of the pool: vendor, modelled accuracy and planned judgments.
    curves : DataFrame
        Expected half-widths against cost for each k over a grid of item counts (for the trade-off figure).
    n_items, raters_per_item, n_gold_items : int
    gold_rate : float
        Gold items / all items sent.
    total_cost : float
    expected_half_width, expected_half_width_mc_se : float
        The target metric's expected interval half-width at the plan, by simulation (and its MC error).
    closed_form_half_width : float
        The same from sigma_b^2/n + sigma_w^2/(n k) (target ``"mean"``; NaN for ``"pass_rate"``).
    agreement_half_width, agreement_half_width_mc_se : float
        Expected half-width of the agreement statistic's interval (z x its simulated sd) and MC error.
    icc, deff : float
        Intra-item correlation of one rating and Kish's design effect 1 + (k - 1) rho at the plan.
    assurance, n_worlds, targets_met_share
        With ``assurance=``: the expected half-widths are the ``assurance`` quantiles over ``n_worlds``
        parameter sets drawn around the fit, and ``targets_met_share`` the share of those worlds in which
        the plan meets every target (2% tolerance for the Monte Carlo error).
    n_simulations : int
        Simulated data sets of the final design (in all worlds).
    connectivity : dict
        Rater graph of the assignment: components (1 = connected), fewest and median partners per rater.
    """

    target: str = "pass_rate"
    agreement: str = "krippendorff_alpha"
    tradeoff: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    gold: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    assignment: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    raters: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    n_items: int = 0
    raters_per_item: int = 0
    n_gold_items: int = 0
    gold_rate: float = 0.0
    total_cost: float = math.nan
    budget: float | None = None
    half_width_target: float | None = None
    agreement_half_width_target: float | None = None
    gold_half_width_target: float | None = None
    expected_half_width: float = math.nan
    expected_half_width_mc_se: float = math.nan
    closed_form_half_width: float = math.nan
    expected_bias: float = math.nan
    agreement_estimate: float = math.nan
    agreement_half_width: float = math.nan
    agreement_half_width_mc_se: float = math.nan
    icc: float = math.nan
    deff: float = math.nan
    overlap_items: int = 0
    n_simulations: int = 0
    assurance: float | None = None
    n_worlds: int = 0
    targets_met_share: float = math.nan
    meets_targets: bool = True
    connectivity: dict = field(default_factory=dict)
    costs: dict = field(default_factory=dict)

    # -- plain words --------------------------------------------------------------------------------
    def requirement(self) -> list[str]:
        """The requirement, one sentence per instruction, in the words a vendor acts on."""
        lvl = f"{self.confidence_level:.0%}"
        k = self.raters_per_item
        lines = []
        if k == 1:
            lines.append(f"Annotate {self.n_items:,} items with 1 rater each; {self.overlap_items:,} of them "
                         f"(listed in the assignment) get a second rater, to measure agreement.")
        else:
            lines.append(f"Annotate {self.n_items:,} items with {k} different raters each.")
        if self.n_gold_items:
            lines.append(f"Mix {self.n_gold_items:,} gold items (known answers) into the stream unannounced, "
                         f"{self.gold_rate:.1%} of all items, each rated like the others.")
        lines.append("Assign raters exactly as in assignment.csv (a rotating cyclic overlap design: every rater "
                     f"shares items with several others; fewest partners {self.connectivity.get('min_partners', 0)}, "
                     f"{self.connectivity.get('n_components', 0)} connected block).")
        lines.append(f"Expected cost: {self.total_cost:,.2f}" + (f" of a budget of {self.budget:,.2f}."
                                                                  if self.budget is not None else "."))
        lines.append(f"This buys a {self.target.replace('_', ' ')} with a {lvl} interval of about "
                     f"+/-{self.expected_half_width:.3f} (simulation MC error {self.expected_half_width_mc_se:.2g})"
                     + ("" if math.isnan(self.agreement_half_width) else
                        f" and {self.agreement} +/-{self.agreement_half_width:.3f} "
                        f"(MC error {self.agreement_half_width_mc_se:.2g})") + ".")
        if self.n_gold_items and len(self.gold):
            worst = self.gold.sort_values("gold_judgments_wilson").iloc[-1]
            lines.append(f"Each vendor's accuracy is then known to +/-{self.gold_half_width_target:.3f} "
                         f"({lvl}; the vendor needing most gold is {worst['vendor']!s}, "
                         f"{int(worst['gold_judgments_wilson'])} gold judgments).")
        return lines

    def summary(self) -> Summary:
        lines = self.requirement()
        lines.append(f"Simulated from the pilot's fitted {self.method} with {self.n_simulations} simulations per "
                     f"design; intra-item correlation {self.icc:.3f}, design effect {self.deff:.3f}.")
        if self.assurance is not None:
            lines.append(f"Widths are those reached in {self.assurance:.0%} of {self.n_worlds} plausible rater models "
                         f"drawn around the pilot's fit; the plan meets every target in "
                         f"{self.targets_met_share:.0%} of them.")
        tables = (("Plan", self.table), ("Items vs raters per item", self.tradeoff))
        if len(self.gold):
            tables += (("Gold per vendor", self.gold),)
        return Summary("Data collection plan", lines=tuple(lines), tables=tables, warnings=self.warnings)

    def __str__(self) -> str:
        return self.summary().as_text()

    # -- machine-readable spec ----------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """The exact sample as a JSON-ready dict (requirement, plan rows, item and rater assignment)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                    for r in clean.to_dict(orient="records")]

        return {
            "requirement": self.requirement(),
            "confidence_level": self.confidence_level,
            "target": self.target,
            "n_items": self.n_items, "raters_per_item": self.raters_per_item, "gold_items": self.n_gold_items,
            "overlap_items": self.overlap_items, "total_cost": self.total_cost, "budget": self.budget,
            "costs": self.costs,
            "expected": {"metric_half_width": self.expected_half_width,
                         "metric_half_width_mc_se": self.expected_half_width_mc_se,
                         "agreement": self.agreement, "agreement_half_width": _none(self.agreement_half_width),
                         "agreement_half_width_mc_se": _none(self.agreement_half_width_mc_se),
                         "n_simulations": self.n_simulations, "assurance": self.assurance,
                         "n_worlds": self.n_worlds, "targets_met_share": self.targets_met_share},
            "connectivity": self.connectivity,
            "plan": records(self.table),
            "assignment": records(self.assignment),
        }

    def to_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.spec(), indent=2, default=str, allow_nan=False), encoding="utf-8")
        return path

    def to_csv(self, path: str | Path) -> Path:
        """The assignment (one row per item x rater slot) as CSV."""
        path = Path(path)
        self.assignment.to_csv(path, index=False)
        return path

    def to_html(self, path: str | Path) -> Path:
        """A self-contained, escaped HTML page (``path`` or ``path/plan.html``): ``alignlab.report.write``."""
        from alignlab.report.write import write  # noqa: PLC0415 - presentation layer, imported on use

        return write(self, path)

    def write(self, directory: str | Path) -> dict[str, Path]:
        """plan.json, assignment.csv, plan.csv, tradeoff.csv, gold.csv and plan.html into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {"json": self.to_json(out / "plan.json"), "assignment": self.to_csv(out / "assignment.csv")}
        self.table.to_csv(out / "plan.csv", index=False)
        self.tradeoff.to_csv(out / "tradeoff.csv", index=False)
        self.gold.to_csv(out / "gold.csv", index=False)
        files.update(plan=out / "plan.csv", tradeoff=out / "tradeoff.csv", gold=out / "gold.csv",
                     html=self.to_html(out / "plan.html"))
        return files


def _met_share(final: dict[str, Any], half_width: float | None, agreement_half_width: float | None) -> float:
    """Share of the simulated worlds in which the plan meets every target (1 or 0 with a single world)."""
    ok = np.ones(len(final["metric_by_world"]), dtype=bool)
    if half_width is not None:
        ok &= final["metric_by_world"] <= half_width * 1.02
    if agreement_half_width is not None:
        ok &= np.nan_to_num(final["agreement_by_world"], nan=np.inf) <= agreement_half_width * 1.02
    return float(ok.mean())


def _none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


# --------------------------------------------------------------------------------------------------
# the planner
# --------------------------------------------------------------------------------------------------
def _costs(cost: float | Mapping[str, Any], vendors: np.ndarray) -> dict[str, Any]:
    """Cost per judgment / item / gold item. ``cost["judgment"]`` may map each vendor to its price: the
    plan's load is equal across raters, so the effective price is the mean over the pool's raters."""
    by_vendor: dict[str, float] | None = None
    if isinstance(cost, Mapping):
        unknown = [k for k in cost if k not in COST_KEYS]
        if unknown:
            raise InvalidParameterError(f"cost= has unknown key(s) {unknown}; the keys are {list(COST_KEYS)} (cost per "
                             "judgment, per item sent, per gold item created).")
        cost = dict(cost)
        if isinstance(cost.get("judgment"), Mapping):
            by_vendor = {str(k): float(v) for k, v in cost["judgment"].items()}
            names = sorted(set(map(str, vendors)))
            missing = [v for v in names if v not in by_vendor]
            if missing:
                raise DataError(f"cost['judgment'] gives no price for vendor(s) {missing}; the pool's vendors are "
                                 f"{names}. Fix: one price per vendor.")
            bad = [v for v, c in by_vendor.items() if not (math.isfinite(c) and c >= 0)]
            if bad:
                raise InvalidParameterError(f"cost['judgment'][{bad[0]!r}] must be a finite number >= 0.")
            cost["judgment"] = float(np.mean([by_vendor[str(v)] for v in vendors]))
        out = {"judgment": 1.0, "item": 0.0, "gold_item": 0.0} | {k: float(v) for k, v in cost.items()}
    else:
        out = {"judgment": float(cost), "item": 0.0, "gold_item": 0.0}
    for key, value in out.items():
        if not (math.isfinite(value) and value >= 0):
            raise InvalidParameterError(f"cost[{key!r}] must be a finite number >= 0; got {value!r}.")
    if out["judgment"] + out["item"] <= 0:
        raise DataError("cost= makes every item free (judgment and item cost 0). Fix: give the cost per judgment.")
    if by_vendor is not None:
        out["judgment_by_vendor"] = by_vendor  # type: ignore[assignment]
    return out


def _positive_code(labels: tuple[Any, ...], positive: Any) -> int:
    if positive is None:
        return len(labels) - 1
    for code, label in enumerate(labels):
        if label == positive or str(label) == str(positive):
            return code
    raise DataError(f"positive={positive!r} is not a label of the scale; labels are {list(labels)}.")


def _overlap_count(n: int, overlap: float, n_raters: int) -> int:
    return min(n, max(math.ceil(overlap * n), 2 * n_raters))  # as cyclic_assignment: two passes at least


def _n_paired(k: int, n: int, overlap: float, n_raters: int) -> int:
    return n if k >= 2 else _overlap_count(n, overlap, n_raters)


def _gold_table(model: RaterModel, half_width: float | None, confidence_level: float) -> pd.DataFrame:
    vendors = pd.Series(model.vendors)
    acc = pd.Series(model.accuracy)
    frame = pd.DataFrame({"vendor": vendors, "accuracy": acc}).groupby("vendor", sort=True).agg(
        n_raters=("accuracy", "size"), accuracy=("accuracy", "mean")).reset_index()
    frame["judgment_share"] = frame["n_raters"] / model.n_raters  # equal load per rater
    if half_width is None:
        frame["gold_judgments_wald"] = 0
        frame["gold_judgments_wilson"] = 0
    else:
        frame["gold_judgments_wald"] = gold_sample_size(frame["accuracy"], half_width,
                                                        confidence_level=confidence_level, ci_method="wald")
        frame["gold_judgments_wilson"] = gold_sample_size(frame["accuracy"], half_width,
                                                          confidence_level=confidence_level, ci_method="wilson")
    return frame


def _gold_items(gold: pd.DataFrame, k: int) -> int:
    if gold["gold_judgments_wilson"].max() <= 0:
        return 0
    need = gold["gold_judgments_wilson"].to_numpy(float) / (k * gold["judgment_share"].to_numpy(float))
    return int(math.ceil(need.max() - 1e-9))


def _design_cost(n: int, k: int, gold_items: int, costs: dict[str, float], overlap: float, n_raters: int) -> float:
    judgments = n * k + (_overlap_count(n, overlap, n_raters) if k == 1 else 0)
    return (costs["item"] * n + costs["judgment"] * judgments
            + (costs["gold_item"] + costs["item"] + costs["judgment"] * k) * gold_items)


def _affordable(budget: float, k: int, gold_items: int, costs: dict[str, float], overlap: float,
                n_raters: int) -> int:
    """Largest n whose design cost fits the budget (cost is increasing in n)."""
    lo, hi = 0, 1
    while _design_cost(hi, k, gold_items, costs, overlap, n_raters) <= budget and hi < 10**9:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _design_cost(mid, k, gold_items, costs, overlap, n_raters) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


@validate_params({
    "judgments": [Judgments],
    "budget": [Interval("real", 0, None, closed="neither"), None],
    "target": [Options(("pass_rate", "mean"))],
    "half_width": [Interval("real", 0, None, closed="neither"), None],
    "agreement": [Options(("krippendorff_alpha", "fleiss_kappa"))],
    "agreement_half_width": [Interval("real", 0, None, closed="neither"), None],
    "gold_half_width": [Interval("real", 0, 0.5, closed="right"), None],
    "cost": [Interval("real", 0, None, closed="neither"), "mapping"],
    "raters_per_item": [list, tuple],
    "raters": ["str-or-list", None],
    "overlap": [Interval("real", 0, 1)],
    "level": [Options(("nominal", "ordinal", "interval", "ratio"))],
    "segments": [pd.DataFrame, None],
    "pool": [pd.DataFrame, list, tuple, pd.Index, np.ndarray, TableResult, None],
    "n_simulations": [Interval("integral", 20, None)],
    "assurance": [Interval("real", 0, 1, closed="neither"), None],
    "n_worlds": [Interval("integral", 5, None)],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def plan_annotation(
    judgments: Judgments,
    *,
    budget: float | None = None,
    target: Literal["pass_rate", "mean"] = "pass_rate",
    half_width: float | None = None,
    agreement: Literal["krippendorff_alpha", "fleiss_kappa"] = "krippendorff_alpha",
    agreement_half_width: float | None = None,
    gold_half_width: float | None = None,
    cost: float | Mapping[str, float] = 1.0,
    raters_per_item: Sequence[int] = (1, 2, 3, 5),
    raters: str | Sequence[str] | None = None,
    positive: Any = None,
    overlap: float = 0.1,
    level: str = "nominal",
    segments: pd.DataFrame | None = None,
    pool: Any = None,
    model: Any = None,
    n_simulations: int = 200,
    assurance: float | None = None,
    n_worlds: int = 20,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> DataCollectionPlan:
    """Plan the next data collection from a pilot: how many items, raters per item and gold, at what cost.

    Parameters
    ----------
    judgments : Judgments
        The pilot (a small judgments table on a discrete scale; named ``judgments`` like every table
        argument of alignlab). Its raters are the pool the plan assigns work to.
    budget : float, optional
        Money (in ``cost`` units) available. Without precision targets the plan spends it on the design
        with the narrowest metric interval; with targets it is a ceiling.
    target : {"pass_rate", "mean"}
        The metric the team reports: share of items whose majority label is ``positive`` (ties count 1/2),
        or the mean numeric label, each over items, with a normal interval over items.
    half_width : float, optional
        Wanted half-width of the metric's interval.
    agreement : {"krippendorff_alpha", "fleiss_kappa"}
        The agreement statistic reported (computed by :mod:`alignlab.agreement` on simulated data).
    agreement_half_width : float, optional
        Wanted half-width of its interval.
    gold_half_width : float, optional
        Wanted half-width of each vendor's accuracy on gold items (sizes the gold).
    cost : float or mapping
        Cost per judgment, or ``{"judgment": .., "item": .., "gold_item": ..}`` (per judgment, per item
        sent, per gold item created); ``"judgment"`` may be ``{vendor: price}`` (equal load per rater, so the
        plan prices a judgment at the mean over the pool's raters).
    raters_per_item : sequence of int, default (1, 2, 3, 5)
        The options compared (k = 1 adds an ``overlap`` share of double-rated items).
    raters : str or list of str, optional
        The rater pool (rater ids or a method name); default every rater of the pilot.
    positive : label, optional
        The passing label for ``pass_rate`` (default the last label of the scale, e.g. 1 on a binary scale).
    overlap : float, default 0.1
        Share of items double-rated when k = 1 (at least two per rater of the pool).
    level : str, default "nominal"
        Krippendorff's alpha metric.
    segments : DataFrame, optional
        ``segment, production_share`` (+ ``rate``/``sd``) rows: the items are split across segments with
        :func:`alignlab.sampling.plan_sample` (Neyman allocation).
    pool : list of item ids, DataFrame or ActiveSamplePlan, optional
        Candidate items. An :class:`~alignlab.design.ActiveSamplePlan` (or a DataFrame with ``item_id`` and
        ``inclusion_probability``, e.g. its ``to_frame()``) is used as drawn: its selected items, with their
        inclusion probabilities; otherwise a simple random sample of
        the plan's size is drawn (inclusion probability n/N). Without a pool the spec has item slots.
    model : fitted categorical annotator model, optional
        Use this fit instead of fitting ``DawidSkene(engine="em")`` on the pilot.
    n_simulations : int, default 200
        Simulated data sets per design (the Monte Carlo errors are reported).
    assurance : float in (0, 1), optional
        Propagate the pilot's uncertainty about the rater parameters: ``n_worlds`` parameter sets are drawn
        around the fit (each confusion row from a Dirichlet with the row's pilot count) and the plan sizes
        the design so the targets are met in this share of them (Bayesian "assurance", O'Hagan & Stevens
        2001). Each world gets ``max(20, n_simulations // 4)`` simulations. Default: the fitted point values.
    n_worlds : int, default 20
    confidence_level : float
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    DataCollectionPlan

    Notes
    -----
    Model: a Dawid-Skene fit on the pilot gives each rater's confusion matrix and the class prevalence
    (Dawid & Skene 1979). For each k the metric's variance is the clustered-mean variance
    sigma_b^2/n + sigma_w^2/(n k), i.e. Kish's design effect 1 + (k - 1) rho (Kish 1965) for ``mean``
    (closed form), and is simulated for ``pass_rate``; widths scale as 1/sqrt(n), so one reference
    simulation per k gives the items needed. The agreement statistic's sd is simulated. Gold:
    n = z^2 p(1 - p)/h^2 judgments per vendor (Wald) or the Wilson-interval n (Wilson 1927), divided by the
    vendor's share of judgments and k. The cheapest design meeting every target within the budget is
    re-simulated at its exact size (and enlarged if it falls short), so the reported widths are not
    extrapolated.

    Examples
    --------
    >>> import alignlab
    >>> from alignlab.design import plan_annotation
    >>> pilot = alignlab.datasets.load("bluebird")
    >>> plan = plan_annotation(pilot, half_width=0.05, agreement_half_width=0.08, raters_per_item=(1, 3),
    ...                        n_simulations=40, random_state=0)
    >>> plan.connectivity["n_components"]
    1
    """
    caller = "plan_annotation"
    if budget is None and half_width is None and agreement_half_width is None:
        raise DataError(f"{caller} needs budget= or a precision target (half_width=, agreement_half_width=): "
                         "say what you can spend or the precision you need.")
    if judgments.scale.kind == "continuous":
        raise DataError(f"{caller} plans categorical judgments (binary, categorical, ordinal); this pilot is "
                         f"{judgments.scale.describe()}.")
    if not all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in raters_per_item):
        raise DataError(f"raters_per_item must list whole numbers of raters such as (1, 2, 3, 5); got "
                         f"{list(raters_per_item)!r}.")
    ks = sorted({int(k) for k in raters_per_item})
    if not ks or ks[0] < 1:
        raise DataError(f"raters_per_item must list positive integers; got {list(raters_per_item)!r}.")
    rng = check_random_state(random_state)
    pool_raters = judgments.resolve_raters(raters)
    pilot = judgments if raters is None else judgments.subset(raters=pool_raters)
    if model is None:
        from alignlab.annotators import DawidSkene

        model = DawidSkene(engine="em", ci_method="none", random_state=int(rng.integers(2**31))).fit(pilot)
    rm = rater_model_from_fit(model, pilot, list(pilot.raters))
    R = rm.n_raters
    costs = _costs(cost, rm.vendors)
    warnings: list[str] = []
    too_many = [k for k in ks if k > R]
    if too_many:
        warnings.append(f"raters_per_item {too_many} exceed the pool of {R} raters and were skipped")
        ks = [k for k in ks if k <= R]
    if not ks:
        raise DataError(f"No raters_per_item option fits the pool of {R} raters.")
    if any(k == 1 for k in ks) and R < 2:
        raise DataError("k = 1 with overlap needs at least 2 raters in the pool.")
    positive_code = _positive_code(rm.labels, positive)
    z_value = float(stats.norm.ppf(0.5 + confidence_level / 2))
    sigma_b2, sigma_w2 = rm.variance_components()
    icc = sigma_b2 / (sigma_b2 + sigma_w2) if sigma_b2 + sigma_w2 > 0 else math.nan
    gold = _gold_table(rm, gold_half_width, confidence_level)
    common = {"target": target, "positive_code": positive_code, "scale": pilot.scale, "agreement": agreement,
              "level": level, "confidence_level": confidence_level}
    if assurance is None:
        worlds, per_world = [rm], n_simulations
    else:
        from alignlab.design._model import posterior_worlds

        worlds, per_world = posterior_worlds(rm, model, pilot, n_worlds, rng), max(20, n_simulations // 4)
    per_item_variance = [w.variance_components() for w in worlds]

    rows = []
    for k in ks:
        ref_assign = cyclic_assignment(_N_REFERENCE, k, R, overlap=overlap, random_state=rng)
        sim = _simulate_worlds(worlds, ref_assign, per_world=per_world, assurance=assurance, rng=rng, common=common)
        n_paired_ref = int(((ref_assign.slots >= 0).sum(axis=1) >= 2).sum())
        k_items = ref_assign.raters_per_item
        if target == "mean":
            # closed form: per-item variance sigma_b^2 + sigma_w^2 / k_i, averaged over items
            per_world_var = [float(np.mean(b + w_ / k_items)) for b, w_ in per_item_variance]
            per_item = per_world_var[0] if assurance is None else float(np.quantile(per_world_var, assurance))
            hw_ref, source = z_value * math.sqrt(per_item / _N_REFERENCE), "closed form (Kish)"
        else:
            hw_ref, source = sim["metric_half_width"], "simulation"
        n_metric = 0 if half_width is None else math.ceil(_N_REFERENCE * (hw_ref / half_width) ** 2)
        n_agree = 0
        if agreement_half_width is not None:
            a_ref = sim["agreement_half_width"]
            if not math.isfinite(a_ref):
                n_agree = 10**9
            else:
                m_needed = math.ceil(n_paired_ref * (a_ref / agreement_half_width) ** 2)
                # k = 1: the overlap is max(overlap n, 2 R) items (all of them up to n = 2 R)
                n_agree = m_needed if k >= 2 else (m_needed if m_needed <= 2 * R else
                                                   (math.ceil(m_needed / overlap) if overlap > 0 else 10**9))
        n_needed = max(n_metric, n_agree, 2) if (half_width is not None or agreement_half_width is not None) else 0
        g = _gold_items(gold, k)
        row = {"raters_per_item": k, "items_for_metric": n_metric, "items_for_agreement": n_agree,
               "items_needed": n_needed, "gold_items": g,
               "cost_needed": _design_cost(n_needed, k, g, costs, overlap, R) if n_needed < 10**9 else math.inf,
               "metric_half_width_at_400": hw_ref, "metric_source": source,
               "metric_bias": sim["metric_bias"], "metric_bias_mc_se": sim["metric_bias_mc_se"],
               "agreement_half_width_at_400": sim["agreement_half_width"],
               "agreement_mc_se_at_400": sim["agreement_half_width_mc_se"],
               "deff": float(design_effect(k, icc)) if k > 1 else 1.0}
        if budget is not None:
            nb = _affordable(budget, k, g, costs, overlap, R)
            row["items_affordable"] = nb
            row["metric_half_width_affordable"] = hw_ref * math.sqrt(_N_REFERENCE / nb) if nb > 0 else math.inf
            m_b = nb if k >= 2 else _overlap_count(nb, overlap, R)
            row["agreement_half_width_affordable"] = (sim["agreement_half_width"] * math.sqrt(n_paired_ref / m_b)
                                                      if m_b > 1 else math.inf)
        rows.append(row)
    tradeoff = pd.DataFrame(rows)
    curve_rows = []
    for row in rows:
        k = row["raters_per_item"]
        for n in np.unique(np.geomspace(20, max(4 * max(row["items_needed"], _N_REFERENCE), 100), 40).round()):
            n = int(n)
            m = n if k >= 2 else _overlap_count(n, overlap, R)
            curve_rows.append({
                "raters_per_item": k, "n_items": n,
                "cost": _design_cost(n, k, row["gold_items"], costs, overlap, R),
                "metric_half_width": row["metric_half_width_at_400"] * math.sqrt(_N_REFERENCE / n),
                "agreement_half_width": (row["agreement_half_width_at_400"]
                                         * math.sqrt(_n_paired(k, _N_REFERENCE, overlap, R) / m))})
    curves = pd.DataFrame(curve_rows)

    has_targets = half_width is not None or agreement_half_width is not None
    meets = True
    if has_targets:
        ok = tradeoff["cost_needed"] <= (budget if budget is not None else math.inf)
        if ok.any():
            best = tradeoff[ok].sort_values(["cost_needed", "raters_per_item"]).iloc[0]
            n_plan = int(best["items_needed"])
        else:
            meets = False
            if budget is None:  # pragma: no cover - without a budget every finite need is feasible
                raise DataError("No raters_per_item option can reach agreement_half_width= (no paired items).")
            ratio = np.maximum(
                tradeoff["metric_half_width_affordable"] / (half_width or np.inf),
                tradeoff["agreement_half_width_affordable"].fillna(np.inf) / (agreement_half_width or np.inf))
            best = tradeoff.iloc[int(np.argmin(ratio.to_numpy()))]
            n_plan = int(best["items_affordable"])
            warnings.append(f"no design meets the targets within the budget {budget:,.2f}; the plan spends the "
                            f"budget on the design closest to them (k = {int(best['raters_per_item'])})")
    else:
        best = tradeoff.iloc[int(np.argmin(tradeoff["metric_half_width_affordable"].to_numpy()))]
        n_plan = int(best["items_affordable"])

    def finalise(k_plan: int, n_plan: int, g_plan: int) -> tuple[int, Assignment, Assignment, dict[str, Any]]:
        """Simulate the design at its exact size and assignment; enlarge it while it misses a target."""
        for _attempt in range(3):
            slots_all = cyclic_assignment(n_plan + g_plan, k_plan, R, overlap=overlap, random_state=rng)
            item_slots = Assignment(slots=slots_all.slots[:n_plan], n_raters=R)
            final = _simulate_worlds(worlds, item_slots, per_world=per_world, assurance=assurance, rng=rng,
                                     common=common)
            short = 1.0
            if half_width is not None:
                short = max(short, final["metric_half_width"] / half_width)
            if agreement_half_width is not None and math.isfinite(final["agreement_half_width"]):
                short = max(short, final["agreement_half_width"] / agreement_half_width)
            if short <= 1.02 or not meets:
                break
            n_new = math.ceil(n_plan * short**2)
            if budget is not None and _design_cost(n_new, k_plan, g_plan, costs, overlap, R) > budget:
                break
            n_plan = n_new
        return n_plan, slots_all, item_slots, final

    k_plan, g_plan = int(best["raters_per_item"]), int(best["gold_items"])
    if n_plan < 2:
        raise DataError(f"The budget {budget:,.2f} buys fewer than 2 items at k = {k_plan}. Fix: raise budget=.")
    n_plan, slots_all, item_slots, final = finalise(k_plan, n_plan, g_plan)
    if has_targets and meets:
        # the re-simulation may have enlarged the design past the next option's cost: try that one too
        feasible = tradeoff[tradeoff["cost_needed"] <= (budget if budget is not None else math.inf)]
        runner_up = feasible[feasible["raters_per_item"] != k_plan].sort_values("cost_needed")
        if len(runner_up) and runner_up["cost_needed"].iloc[0] < _design_cost(n_plan, k_plan, g_plan, costs,
                                                                                overlap, R):
            alt = runner_up.iloc[0]
            k_alt, g_alt = int(alt["raters_per_item"]), int(alt["gold_items"])
            trial = finalise(k_alt, int(alt["items_needed"]), g_alt)
            if _design_cost(trial[0], k_alt, g_alt, costs, overlap, R) < _design_cost(n_plan, k_plan, g_plan, costs,
                                                                                      overlap, R):
                k_plan, g_plan = k_alt, g_alt
                n_plan, slots_all, item_slots, final = trial
    k_items = item_slots.raters_per_item
    closed = (z_value * math.sqrt(float(np.mean(sigma_b2 + sigma_w2 / k_items)) / n_plan)
              if target == "mean" else math.nan)
    if half_width is not None and final["metric_half_width"] > half_width * 1.02 and meets:
        warnings.append(f"the simulated half-width {final['metric_half_width']:.4f} exceeds the target "
                        f"{half_width:g} (budget-limited)")
    total_cost = _design_cost(n_plan, k_plan, g_plan, costs, overlap, R)
    connectivity = slots_all.connectivity()
    if connectivity["n_components"] > 1:  # pragma: no cover - the cyclic design is connected by construction
        warnings.append(f"the rater graph has {connectivity['n_components']} blocks")
    overlap_items = int((k_items >= 2).sum()) if k_plan == 1 else 0

    # which items: segments, pool
    seg_names, seg_counts = ["all"], [n_plan]
    if segments is not None:
        from alignlab.sampling import plan_sample

        split = plan_sample(segments, budget=float(n_plan)).to_frame()
        seg_names, seg_counts = split["segment"].astype(str).tolist(), split["target_n"].astype(int).tolist()
    seg_of_item = np.repeat(np.asarray(seg_names, dtype=object), seg_counts)[:n_plan]
    if len(seg_of_item) < n_plan:
        seg_of_item = np.concatenate([seg_of_item, np.full(n_plan - len(seg_of_item), seg_names[-1], dtype=object)])
    item_ids, incl = _choose_items(pool, n_plan, rng, warnings)
    gold_ids = np.asarray([f"gold_{i + 1:04d}" for i in range(g_plan)], dtype=object)
    ids = np.concatenate([item_ids, gold_ids])
    kinds = np.array(["item"] * n_plan + ["gold"] * g_plan, dtype=object)
    segs = np.concatenate([seg_of_item, np.full(g_plan, "gold", dtype=object)])
    incl_all = np.concatenate([incl, np.full(g_plan, np.nan)])
    present = slots_all.slots >= 0
    rows_i, cols_i = np.nonzero(present)
    codes = slots_all.slots[rows_i, cols_i]
    assignment = pd.DataFrame({"item_id": ids[rows_i], "kind": kinds[rows_i], "segment": segs[rows_i],
                               "inclusion_probability": incl_all[rows_i], "slot": cols_i + 1,
                               "rater_id": rm.rater_ids[codes], "vendor": rm.vendors[codes]})
    table_rows = []
    per_item_k = slots_all.raters_per_item
    for name in dict.fromkeys(seg_of_item):
        mask = np.zeros(n_plan + g_plan, dtype=bool)
        mask[:n_plan] = seg_of_item == name
        nj = int(per_item_k[mask].sum())
        table_rows.append({"kind": "items", "segment": name, "n_items": int(mask.sum()), "raters_per_item": k_plan,
                           "n_judgments": nj, "gold_items": 0,
                           "cost": costs["item"] * int(mask.sum()) + costs["judgment"] * nj})
    if g_plan:
        table_rows.append({"kind": "gold", "segment": "gold", "n_items": g_plan, "raters_per_item": k_plan,
                           "n_judgments": g_plan * k_plan, "gold_items": g_plan,
                           "cost": (costs["gold_item"] + costs["item"] + costs["judgment"] * k_plan) * g_plan})
    table = pd.DataFrame(table_rows, columns=PLAN_COLUMNS)
    gold = gold.assign(gold_items=g_plan, gold_judgments_planned=np.round(g_plan * k_plan * gold["judgment_share"]))
    raters_frame = pd.DataFrame({"rater_id": rm.rater_ids, "vendor": rm.vendors, "accuracy": rm.accuracy,
                                 "planned_judgments": slots_all.load()})
    if "judgment_by_vendor" in costs:
        price = raters_frame["vendor"].astype(str).map(costs["judgment_by_vendor"]).to_numpy(float)
        raters_frame["price_per_judgment"] = price
        raters_frame["planned_cost"] = price * raters_frame["planned_judgments"]
    return DataCollectionPlan(
        table=table, method="DawidSkene(engine='em')", confidence_level=confidence_level, warnings=tuple(warnings),
        target=target, agreement=agreement, tradeoff=tradeoff, gold=gold, assignment=assignment,
        raters=raters_frame, curves=curves, n_items=n_plan, raters_per_item=k_plan, n_gold_items=g_plan,
        gold_rate=g_plan / (n_plan + g_plan), total_cost=total_cost, budget=budget, half_width_target=half_width,
        agreement_half_width_target=agreement_half_width, gold_half_width_target=gold_half_width,
        expected_half_width=final["metric_half_width"], expected_half_width_mc_se=final["metric_half_width_mc_se"],
        closed_form_half_width=closed, expected_bias=final["metric_bias"],
        agreement_estimate=final["agreement_estimate"], agreement_half_width=final["agreement_half_width"],
        agreement_half_width_mc_se=final["agreement_half_width_mc_se"], icc=icc,
        deff=float(design_effect(k_plan, icc)), overlap_items=overlap_items,
        n_simulations=per_world * len(worlds), assurance=assurance, n_worlds=len(worlds) if assurance else 0,
        targets_met_share=_met_share(final, half_width, agreement_half_width),
        meets_targets=meets, connectivity=connectivity, costs=costs,
    )


def _choose_items(pool: Any, n: int, rng: np.random.Generator, warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Item ids and inclusion probabilities for the n items of the plan."""
    if pool is None:
        return np.asarray([f"item_{i + 1:05d}" for i in range(n)], dtype=object), np.full(n, np.nan)
    if isinstance(pool, TableResult):
        pool = pool.to_frame()
        if "already_labelled" in pool.columns:
            pool = pool[~pool["already_labelled"]]
    if isinstance(pool, pd.DataFrame):
        if "item_id" not in pool.columns:
            raise DataError(f"pool= lacks an 'item_id' column (columns: {list(map(str, pool.columns))}).")
        if "inclusion_probability" in pool.columns:
            chosen = pool[pool["selected"].astype(bool)] if "selected" in pool.columns else pool
            ids = chosen["item_id"].to_numpy(dtype=object)
            probs = chosen["inclusion_probability"].to_numpy(dtype=float)
            m = len(ids)
            if m > n:
                # second phase: a simple random subsample of n of the m drawn items, so each item's inclusion
                # probability becomes pi_i n / m (exact for a fixed-size first phase)
                keep = np.sort(rng.choice(m, size=n, replace=False))
                ids, probs = ids[keep], probs[keep] * n / m
                warnings.append(f"the pool's drawn sample has {m} items, the plan needs {n}: a random subsample of "
                                f"{n} is sent and its inclusion probabilities are scaled by {n}/{m}")
            elif m < n:
                warnings.append(f"the pool's drawn sample has {m} items, fewer than the {n} planned: draw again "
                                f"with budget={n} (the extra slots are placeholders without a probability)")
            if len(ids) < n:
                extra = n - len(ids)
                ids = np.concatenate([ids, np.asarray([f"item_{i + 1:05d}" for i in range(extra)], dtype=object)])
                probs = np.concatenate([probs, np.full(extra, np.nan)])
            return ids, probs
        candidates = pool["item_id"].to_numpy(dtype=object)
    else:
        candidates = np.asarray(list(pool), dtype=object)
    candidates = pd.unique(candidates)
    big_n = len(candidates)
    if big_n <= n:
        if big_n < n:
            warnings.append(f"the pool has {big_n} items, fewer than the {n} planned: all are sent and "
                            f"{n - big_n} more must be found")
        extra = np.asarray([f"item_{i + 1:05d}" for i in range(n - big_n)], dtype=object)
        return np.concatenate([candidates, extra]), np.concatenate([np.ones(big_n), np.full(n - big_n, np.nan)])
    pick = rng.choice(big_n, size=n, replace=False)
    return candidates[pick], np.full(n, n / big_n)
