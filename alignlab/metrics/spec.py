"""The feature spec: features, their north-star metric, diagnostics and guardrails, declared once.

A spec is plain data: frozen dataclasses (:class:`Spec`, :class:`Feature`, :class:`Metric`,
:class:`Population`) built in Python, or loaded from TOML (``tomllib``) or YAML (PyYAML) with
:func:`load_spec`. Every problem is collected and reported at once in a :class:`SpecError` (file, key,
value, the problem and its fix): first the spec's own consistency (:func:`check_spec`), then, when the
metrics are computed, the spec against the data (:func:`check_against_data`: unknown sources, a statistic
the scale does not support, a threshold outside the scale, a missing segment column ...).

The file layout (TOML; YAML and ``Spec.from_dict`` take the same keys)::

    name = "Release quality"
    confidence_level = 0.95

    [[features]]
    name = "story"
    owner = "story-team@example.com"
    description = "Short story generation"
    data = "story"                       # key of the judgments mapping given to compute()

    [features.north_star]
    name = "quality"
    statistic = "mean"                   # mean | pass_rate | win_rate | label_rate
    combine = "ppi"                      # human | judge | ppi | trust_weighted
    humans = ["human"]                   # rater ids or method names
    judges = ["Beluga-13B"]
    segments = ["criterion"]
    target = 2.6
    min_change = 0.1

    [[features.diagnostics]]
    name = "coherence pass rate"
    statistic = "pass_rate"
    threshold = 3                        # pass = value >= 3 (pass_if = "<=" for lower-is-better)
    where = { criterion = "Coherence" }
    combine = "ppi"
    humans = ["human"]
    judges = ["Beluga-13B"]
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignlab._metric import COMBINES, STATISTICS, Metric, Population
from alignlab._metric import plain as _plain
from alignlab._params import AlignlabError, InvalidParameterError

__all__ = [
    "Metric",
    "Feature",
    "Population",
    "Spec",
    "SpecProblem",
    "SpecError",
    "load_spec",
    "check_spec",
    "check_against_data",
    "STATISTICS",
    "COMBINES",
    "ROLES",
]

ROLES = ("north_star", "diagnostic", "guardrail")
REWEIGHT_METHODS = ("poststratify", "rake", "ipw")


@dataclass(frozen=True)
class SpecProblem:
    """One problem of a spec: where (file, key), the offending value, what is wrong and the fix."""

    key: str
    value: Any
    problem: str
    fix: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.key} = {self.value!r}: {self.problem}. Fix: {self.fix}"


class SpecError(AlignlabError, ValueError):
    """A spec (or the spec against the data) has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[SpecProblem], *, context: str = "The metrics spec") -> None:
        self.problems = tuple(problems)
        lines = [f"{context} has {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Feature:
    """An AI feature: its north-star metric, diagnostics and guardrails.

    Attributes
    ----------
    name, owner, description : str
    north_star : Metric
    diagnostics, guardrails : tuple of Metric
    data : str, optional
        Key of the judgments mapping given to :func:`~alignlab.metrics.compute` (default: ``name``).
    """

    name: str
    north_star: Metric
    owner: str = ""
    description: str = ""
    diagnostics: tuple[Metric, ...] = ()
    guardrails: tuple[Metric, ...] = ()
    data: str | None = None

    def __post_init__(self) -> None:
        for name in ("diagnostics", "guardrails"):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def data_key(self) -> str:
        return self.data or self.name

    def metrics(self) -> list[tuple[str, Metric]]:
        """``(role, metric)`` pairs: the north star first, then diagnostics, then guardrails."""
        return ([("north_star", self.north_star)] + [("diagnostic", m) for m in self.diagnostics]
                + [("guardrail", m) for m in self.guardrails])


@dataclass(frozen=True)
class Spec:
    """A set of features measured together (one evaluation run computes all of them).

    Attributes
    ----------
    features : tuple of Feature
    name, description : str
    confidence_level : float
        Nominal coverage of every interval.
    source : str, optional
        The file the spec was read from (not part of equality or the hash).
    """

    features: tuple[Feature, ...]
    name: str = ""
    description: str = ""
    confidence_level: float = 0.95
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.features, tuple):
            object.__setattr__(self, "features", tuple(self.features))

    # -- views -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (the TOML/YAML layout); ``Spec.from_dict(spec.to_dict()) == spec``."""
        out = _plain(self)
        out.pop("source", None)
        return out

    @property
    def hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical JSON of :meth:`to_dict`."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def feature(self, name: str) -> Feature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"No feature {name!r} in the spec; features are {[f.name for f in self.features]}.")

    def validate(self) -> Spec:
        """Raise :class:`SpecError` listing every problem of the spec; return the spec when valid."""
        problems = check_spec(self)
        if problems:
            raise SpecError(problems)
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Spec:
        """Build and validate a spec from plain data (parsed TOML/YAML), collecting every problem."""
        problems: list[SpecProblem] = []
        spec = _build_spec(data, problems, file)
        if spec is not None:
            problems += check_spec(spec, file=file)
        if problems:
            raise SpecError(problems, context=f"The metrics spec {file!r}" if file else "The metrics spec")
        assert spec is not None
        return spec


# -- building from plain data, collecting problems ------------------------------------------------------
_METRIC_FIELDS = {f.name: f for f in dataclasses.fields(Metric)}
_FEATURE_KEYS = ("name", "owner", "description", "data", "north_star", "diagnostics", "guardrails")
_SPEC_KEYS = ("name", "description", "confidence_level", "features")
_POPULATION_KEYS = ("production", "segments", "method", "weights")


def _unknown_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str, problems: list[SpecProblem],
                  file: str | None) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(allowed)}"
            problems.append(SpecProblem(f"{where}{key}", data[key], "unknown key", fix, file))


def _text(value: Any, key: str, problems: list[SpecProblem], file: str | None, *, required: bool = False) -> Any:
    if value is None:
        if required:
            problems.append(SpecProblem(key, None, "missing", "give a non-empty string", file))
        return value
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(SpecProblem(key, value, "must be a non-empty string", "write it as a quoted string", file))
        return None
    return value


def _names(value: Any, key: str, problems: list[SpecProblem], file: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, Sequence) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    problems.append(SpecProblem(key, value, "must be a name or a list of names (rater ids, methods or columns)",
                                'write e.g. ["human"]', file))
    return ()


def _number(value: Any, key: str, problems: list[SpecProblem], file: str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        problems.append(SpecProblem(key, value, "must be a finite number", "write a number such as 0.5", file))
        return None
    return float(value)


def _build_metric(data: Any, where: str, problems: list[SpecProblem], file: str | None) -> Metric | None:
    if not isinstance(data, Mapping):
        problems.append(SpecProblem(where.rstrip("."), data, "must be a table of metric keys",
                                    "write [features.north_star] with name, statistic, combine, sources", file))
        return None
    _unknown_keys(data, list(_METRIC_FIELDS), where, problems, file)
    kwargs: dict[str, Any] = {}
    kwargs["name"] = _text(data.get("name"), f"{where}name", problems, file, required=True) or "?"
    for key in ("statistic", "combine", "pass_if", "description"):
        if key in data:
            kwargs[key] = _text(data[key], f"{where}{key}", problems, file) or _METRIC_FIELDS[key].default
    for key in ("label", "baseline"):
        if key in data:
            kwargs[key] = None if data[key] is None else str(data[key])
    for key in ("humans", "judges", "online", "segments"):
        if key in data:
            kwargs[key] = _names(data[key], f"{where}{key}", problems, file)
    for key in ("threshold", "target", "min_change"):
        if key in data:
            kwargs[key] = _number(data[key], f"{where}{key}", problems, file)
    if "higher_is_better" in data:
        if isinstance(data["higher_is_better"], bool):
            kwargs["higher_is_better"] = data["higher_is_better"]
        else:
            problems.append(SpecProblem(f"{where}higher_is_better", data["higher_is_better"], "must be true or false",
                                        "write higher_is_better = false for error rates", file))
    if "where" in data:
        w = data["where"]
        if isinstance(w, Mapping) and all(isinstance(v, str | int | float | list) for v in w.values()):
            kwargs["where"] = {str(k): (list(v) if isinstance(v, list) else v) for k, v in w.items()}
        else:
            problems.append(SpecProblem(f"{where}where", w, "must map column names to a value or a list of values",
                                        'write where = { criterion = "Coherence" }', file))
    if "population" in data and data["population"] is not None:
        pop = data["population"]
        if not isinstance(pop, Mapping):
            problems.append(SpecProblem(f"{where}population", pop, "must be a table",
                                        'write population = { production = "traffic.csv", segments = ["locale"] }',
                                        file))
        else:
            _unknown_keys(pop, list(_POPULATION_KEYS), f"{where}population.", problems, file)
            production = _text(pop.get("production"), f"{where}population.production", problems, file,
                               required=True)
            segs = _names(pop.get("segments"), f"{where}population.segments", problems, file)
            method = _text(pop.get("method", "poststratify"), f"{where}population.method", problems, file)
            weights = _text(pop.get("weights"), f"{where}population.weights", problems, file)
            kwargs["population"] = Population(production=production or "?", segments=segs,
                                              method=method or "poststratify", weights=weights)
    return Metric(**kwargs)


def _metric_list(data: Any, where: str, problems: list[SpecProblem], file: str | None) -> tuple[Metric, ...]:
    if data is None:
        return ()
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, Sequence) or isinstance(data, str):
        problems.append(SpecProblem(where, data, "must be a list of metric tables",
                                    f"write [[{where.split('.')[-1]}]] blocks", file))
        return ()
    out = []
    for i, item in enumerate(data):
        metric = _build_metric(item, f"{where}[{i}].", problems, file)
        if metric is not None:
            out.append(metric)
    return tuple(out)


def _build_spec(data: Any, problems: list[SpecProblem], file: str | None) -> Spec | None:
    if not isinstance(data, Mapping):
        problems.append(SpecProblem("(top level)", type(data).__name__, "must be a table of keys",
                                    "start the file with name = ... and [[features]] blocks", file))
        return None
    _unknown_keys(data, list(_SPEC_KEYS), "", problems, file)
    raw_features = data.get("features")
    if isinstance(raw_features, Mapping):
        raw_features = [raw_features]
    if not raw_features or not isinstance(raw_features, Sequence) or isinstance(raw_features, str):
        problems.append(SpecProblem("features", raw_features, "the spec names no feature",
                                    "add at least one [[features]] block with a name and a north_star", file))
        raw_features = []
    features = []
    for i, raw in enumerate(raw_features):
        where = f"features[{i}]."
        if not isinstance(raw, Mapping):
            problems.append(SpecProblem(where.rstrip("."), raw, "must be a table", "write a [[features]] block", file))
            continue
        _unknown_keys(raw, list(_FEATURE_KEYS), where, problems, file)
        name = _text(raw.get("name"), f"{where}name", problems, file, required=True) or "?"
        if "north_star" not in raw:
            problems.append(SpecProblem(f"{where}north_star", None, f"feature {name!r} has no north-star metric",
                                        f"add a [features.north_star] table to feature {name!r}", file))
            continue
        north = _build_metric(raw["north_star"], f"{where}north_star.", problems, file)
        if north is None:
            continue
        features.append(Feature(
            name=name, north_star=north,
            owner=_text(raw.get("owner", ""), f"{where}owner", problems, file) or "",
            description=_text(raw.get("description", ""), f"{where}description", problems, file) or "",
            data=_text(raw.get("data"), f"{where}data", problems, file),
            diagnostics=_metric_list(raw.get("diagnostics"), f"{where}diagnostics", problems, file),
            guardrails=_metric_list(raw.get("guardrails"), f"{where}guardrails", problems, file),
        ))
    level = _number(data.get("confidence_level", 0.95), "confidence_level", problems, file)
    return Spec(features=tuple(features), name=_text(data.get("name", ""), "name", problems, file) or "",
                description=_text(data.get("description", ""), "description", problems, file) or "",
                confidence_level=0.95 if level is None else level, source=file)


# -- the spec's own consistency ---------------------------------------------------------------------------
def _metric_problems(m: Metric, where: str, file: str | None) -> list[SpecProblem]:
    out: list[SpecProblem] = []

    def bad(key: str, value: Any, problem: str, fix: str) -> None:
        out.append(SpecProblem(f"{where}{key}", value, problem, fix, file))

    if m.statistic not in STATISTICS:
        bad("statistic", m.statistic, "unknown statistic", f"use one of {', '.join(STATISTICS)}")
    if m.combine not in COMBINES:
        bad("combine", m.combine, "unknown way to combine sources", f"use one of {', '.join(COMBINES)}")
    if m.pass_if not in (">=", "<="):
        bad("pass_if", m.pass_if, "unknown direction", 'use ">=" (pass = score at least threshold) or "<="')
    if m.combine in ("human", "ppi", "trust_weighted") and not m.humans:
        bad("humans", list(m.humans), f"combine = {m.combine!r} needs human sources",
            'name the human raters or their method, e.g. humans = ["human"]')
    if m.combine in ("judge", "ppi", "trust_weighted") and not m.sources:
        bad("judges", list(m.judges), f"combine = {m.combine!r} needs at least one judge or online source",
            'name the judge(s), e.g. judges = ["gpt-4o"]')
    if m.combine == "human" and m.sources:
        bad("judges", list(m.sources), "combine = 'human' uses the humans only; the judges named would be ignored",
            "drop the judges, or use combine = 'ppi' to add them")
    if m.combine == "ppi" and len(m.online) and not m.judges:
        bad("online", list(m.online), "combine = 'ppi' corrects judges; online aggregates need 'trust_weighted'",
            "use combine = 'trust_weighted'")
    if m.statistic == "label_rate" and m.label is None:
        bad("label", None, "statistic = 'label_rate' needs the label to count", 'add label = "refusal"')
    if m.statistic != "label_rate" and m.label is not None:
        bad("label", m.label, f"label only applies to statistic = 'label_rate' (this is {m.statistic!r})",
            "drop label, or use statistic = 'label_rate'")
    if m.statistic != "pass_rate" and m.threshold is not None:
        bad("threshold", m.threshold, f"threshold only applies to statistic = 'pass_rate' (this is {m.statistic!r})",
            "drop threshold, or use statistic = 'pass_rate'")
    if m.statistic != "win_rate" and m.baseline is not None:
        bad("baseline", m.baseline, "baseline only applies to statistic = 'win_rate'",
            "drop baseline, or use statistic = 'win_rate'")
    if m.statistic in ("pass_rate", "win_rate", "label_rate") and m.target is not None and not 0 <= m.target <= 1:
        bad("target", m.target, f"a {m.statistic} lies in [0, 1]", "give the target as a share, e.g. 0.8")
    if m.min_change is not None and m.min_change <= 0:
        bad("min_change", m.min_change, "the minimum meaningful change must be positive", "e.g. min_change = 0.05")
    if m.statistic in ("pass_rate", "win_rate", "label_rate") and m.min_change is not None and m.min_change >= 1:
        bad("min_change", m.min_change, f"a {m.statistic} lies in [0, 1]; a change of {m.min_change:g} is impossible",
            "give it as a share, e.g. 0.05")
    if m.combine == "trust_weighted" and m.statistic == "label_rate":
        bad("statistic", m.statistic, "trust_weights estimates a mean, pass rate or win rate",
            "use combine = 'ppi' for a label rate")
    if m.combine == "trust_weighted" and m.statistic == "win_rate" and m.baseline is not None:
        bad("baseline", m.baseline, "trust_weights estimates system_a's win rate; it does not orient by a baseline",
            "drop baseline (put the baseline in system_b) or use combine = 'ppi'")
    if m.combine == "trust_weighted" and m.population is not None:
        bad("population", m.population.production, "trust_weights does not take production weights",
            "use combine = 'ppi' to weight to production")
    if len(set(m.segments)) != len(m.segments):
        bad("segments", list(m.segments), "repeats a column", "name each column once")
    if m.population is not None:
        if m.population.method not in REWEIGHT_METHODS:
            bad("population.method", m.population.method, "unknown reweighting method",
                f"use one of {', '.join(REWEIGHT_METHODS)}")
        if not m.population.segments:
            bad("population.segments", [], "reweighting needs the segment columns to match",
                'add segments = ["locale"]')
    return out


def check_spec(spec: Spec, *, file: str | None = None) -> list[SpecProblem]:
    """Every problem of the spec on its own (without data): a list, empty when the spec is valid."""
    file = file or spec.source
    out: list[SpecProblem] = []
    if not 0 < spec.confidence_level < 1:
        out.append(SpecProblem("confidence_level", spec.confidence_level, "must lie in (0, 1)",
                               "e.g. confidence_level = 0.95", file))
    if not spec.features:
        out.append(SpecProblem("features", [], "the spec names no feature", "add a [[features]] block", file))
    seen: dict[str, int] = {}
    for i, feature in enumerate(spec.features):
        if feature.name in seen:
            out.append(SpecProblem(f"features[{i}].name", feature.name,
                                   f"repeats the name of features[{seen[feature.name]}]",
                                   "give every feature its own name", file))
        seen.setdefault(feature.name, i)
        names: dict[str, str] = {}
        for role, metric in feature.metrics():
            where = _metric_where(spec, feature, role, metric, i)
            if metric.name in names:
                out.append(SpecProblem(f"{where}name", metric.name, f"repeats the name of {names[metric.name]}",
                                       "give every metric of a feature its own name", file))
            names.setdefault(metric.name, where + "name")
            out += _metric_problems(metric, where, file)
    return out


def _metric_where(spec: Spec, feature: Feature, role: str, metric: Metric, index: int | None = None) -> str:
    i = spec.features.index(feature) if index is None else index
    if role == "north_star":
        return f"features[{i}].north_star."
    group = feature.diagnostics if role == "diagnostic" else feature.guardrails
    key = "diagnostics" if role == "diagnostic" else "guardrails"
    return f"features[{i}].{key}[{group.index(metric)}]."


# -- the spec against the data ----------------------------------------------------------------------------
def check_against_data(spec: Spec, data: Mapping[str, Any]) -> list[SpecProblem]:
    """Every problem of the spec against the judgments it is computed on (``data``: key -> Judgments).

    A source the data lacks is an error (never a silently smaller metric), as are a statistic the scale
    cannot support, a threshold or target outside the scale, a label the scale lacks, unknown columns.
    """
    file = spec.source
    out: list[SpecProblem] = []
    for i, feature in enumerate(spec.features):
        j = data.get(feature.data_key)
        if j is None:
            out.append(SpecProblem(f"features[{i}].data", feature.data_key,
                                   f"no judgments were given for feature {feature.name!r}",
                                   f"pass judgments={{{feature.data_key!r}: ...}} (given: {sorted(data)})", file))
            continue
        for role, metric in feature.metrics():
            out += _metric_data_problems(metric, j, _metric_where(spec, feature, role, metric, i), file)
    return out


def _metric_data_problems(m: Metric, j: Any, where: str, file: str | None) -> list[SpecProblem]:
    out: list[SpecProblem] = []

    def bad(key: str, value: Any, problem: str, fix: str) -> None:
        out.append(SpecProblem(f"{where}{key}", value, problem, fix, file))

    info = j.rater_info
    known = set(map(str, info["rater_id"])) | set(map(str, info["method"]))
    online_known = set()
    if j.aggregates is not None:
        online_known = set(map(str, j.aggregates["rater_id"].unique()))
    for key in ("humans", "judges", "online"):
        for name in getattr(m, key):
            if name in known or (key == "online" and name in online_known):
                continue
            close = difflib.get_close_matches(name, sorted(known | online_known), n=3)
            hint = f"did you mean {', '.join(map(repr, close))}?" if close else (
                f"methods are {sorted(set(map(str, info['method'])))}, raters {sorted(map(str, info['rater_id']))[:8]}")
            bad(key, name, "the data has no rater or method of this name", hint)
    scale = j.scale
    kind = scale.kind
    if m.statistic in ("mean", "pass_rate") and kind in ("categorical",):
        bad("statistic", m.statistic, f"a {m.statistic} needs ordered numeric values; the scale is {scale.describe()}",
            "use statistic = 'label_rate' with label = ...")
    if m.statistic == "win_rate" and kind != "pairwise":
        bad("statistic", "win_rate", f"win_rate needs pairwise preferences; the scale is {scale.describe()}",
            "use statistic = 'mean' or 'pass_rate'")
    if m.statistic == "pass_rate":
        if m.threshold is None and kind != "binary":
            bad("threshold", None, f"a pass rate on a {kind} scale needs the passing score",
                "add threshold = (the lowest passing score)")
        if m.threshold is not None and kind in ("ordinal", "continuous", "binary"):
            if kind == "continuous":
                low, high = scale.low, scale.high
            else:
                levels = scale.numeric_levels()
                low, high = float(levels.min()), float(levels.max())
            if not low <= m.threshold <= high:
                bad("threshold", m.threshold, f"outside the scale {scale.describe()}",
                    f"give a threshold between {low:g} and {high:g}")
        if m.combine == "trust_weighted" and kind != "binary":
            bad("combine", "trust_weighted", "trust_weights estimates a pass rate on binary scales only",
                "use combine = 'ppi' for a thresholded pass rate")
    if m.statistic == "mean" and m.target is not None and kind in ("ordinal", "continuous", "binary"):
        low, high = (scale.low, scale.high) if kind == "continuous" else (
            float(scale.numeric_levels().min()), float(scale.numeric_levels().max()))
        if not low <= m.target <= high:
            bad("target", m.target, f"outside the scale {scale.describe()}", f"give a target between {low:g} and {high:g}")
    if m.statistic == "label_rate" and m.label is not None and kind != "continuous":
        if m.label not in {str(v) for v in scale.labels}:
            bad("label", m.label, f"not a label of the scale {scale.describe()}",
                f"use one of {[str(v) for v in scale.labels]}")
    if m.statistic == "label_rate" and kind == "continuous":
        bad("statistic", "label_rate", "a continuous scale has no labels to count", "use statistic = 'pass_rate'")
    if m.statistic == "win_rate" and m.baseline is not None and kind == "pairwise":
        if not {"system_a", "system_b"} <= set(j.frame.columns):
            bad("baseline", m.baseline, "the data has no system_a/system_b columns", "load the table with them")
        else:
            systems = set(map(str, j.frame["system_a"])) | set(map(str, j.frame["system_b"]))
            if m.baseline not in systems:
                bad("baseline", m.baseline, "no comparison in the data involves this system",
                    f"use one of {sorted(systems)[:10]}")
    columns = set(j.item_info.columns)
    for column in m.segments:
        if column not in columns:
            bad("segments", column, "not an item-level column of the data",
                f"use one of the segment columns {list(j.segments)}")
    for column, value in m.where.items():
        if column not in columns:
            bad(f"where.{column}", value, "not an item-level column of the data",
                f"use one of {[c for c in columns if c not in ('n_judgments', 'n_raters')]}")
        else:
            wanted = {str(v) for v in (value if isinstance(value, list) else [value])}
            present = set(map(str, j.item_info[column].dropna().unique()))
            missing = wanted - present
            if missing:
                bad(f"where.{column}", value, f"no item has {column} = {sorted(missing)}",
                    f"use values of {column}: {sorted(present)[:10]}")
    if m.population is not None:
        for column in m.population.segments:
            if column not in columns:
                bad("population.segments", column, "not an item-level column of the data",
                    f"use one of {list(j.segments)}")
    return out


# -- files ------------------------------------------------------------------------------------------------
def load_spec(path: str | Path) -> Spec:
    """Read a spec from a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file, reporting every problem.

    Examples
    --------
    >>> from alignlab.metrics import load_spec
    >>> from alignlab.metrics.examples import spec_path
    >>> spec = load_spec(spec_path())
    >>> [f.name for f in spec.features]
    ['story', 'chat', 'translation']
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The spec file {str(path)!r} does not exist; check the path.")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError([SpecProblem("(file)", path.name, f"not valid TOML ({exc})",
                                         "fix the syntax at the line named", str(path))]) from None
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError([SpecProblem("(file)", path.name, f"not valid YAML ({exc})",
                                         "fix the syntax at the line named", str(path))]) from None
    else:
        raise InvalidParameterError(f"Unknown spec file type {path.suffix!r} for {str(path)!r}; use .toml, .yaml or .yml.")
    return Spec.from_dict(data if data is not None else {}, file=str(path))
