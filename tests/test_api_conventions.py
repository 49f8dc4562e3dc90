"""The library-wide vocabulary, checked by introspection so that a new module cannot drift from it.

Every public callable of every family (``__all__`` of the family packages) and every public result type is
inspected: the first argument of a function that takes a judgments table is ``judgments``; raters are chosen
with ``raters=``/``reference=``; ``ci_method`` defaults and options come from ``alignlab._params.CI_METHODS``;
``n_resamples`` defaults to ``DEFAULT_N_RESAMPLES``; randomness is seeded by ``random_state``; results answer
``summary()`` with a :class:`alignlab.results.Summary`; no two public types share a name.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

from alignlab._params import CI_METHODS, DEFAULT_N_RESAMPLES, MODEL_N_RESAMPLES, Options
from alignlab.results import EstimateResult, Summary, TableResult

FAMILIES = ["agreement", "annotators", "alignment", "slices", "sampling", "design", "compare", "online",
            "metrics", "workflows", "data", "datasets"]
# names that choose raters in the old dialects; the vocabulary is raters= / reference=
OLD_RATER_NAMES = {"judge", "judges", "humans", "methods", "a", "b", "target_raters"}


def _public(family: str) -> list[tuple[str, object]]:
    module = importlib.import_module(f"alignlab.{family}")
    return [(f"{family}.{name}", getattr(module, name)) for name in getattr(module, "__all__", [])]


PUBLIC = [item for family in FAMILIES for item in _public(family)]
FUNCTIONS = [(n, f) for n, f in PUBLIC if inspect.isfunction(f)]
CLASSES = [(n, c) for n, c in PUBLIC if inspect.isclass(c)]


def _takes_judgments(func) -> bool:
    params = list(inspect.signature(func).parameters.values())
    # the annotation as written (a string under `from __future__ import annotations`)
    return bool(params) and "Judgments" in str(params[0].annotation)


@pytest.mark.parametrize(("name", "func"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_first_argument_is_judgments(name, func) -> None:
    if _takes_judgments(func):
        assert next(iter(inspect.signature(func).parameters)) == "judgments", name


# estimators (classes that are not records): their constructors take the same options as functions
ESTIMATORS = [(f"{n}.__init__", c.__init__) for n, c in CLASSES if not dataclasses.is_dataclass(c)
              and not issubclass(c, Exception)]


@pytest.mark.parametrize(("name", "func"), FUNCTIONS + ESTIMATORS, ids=[n for n, _ in FUNCTIONS + ESTIMATORS])
def test_vocabulary_of_parameters(name, func) -> None:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return
    old = sorted(OLD_RATER_NAMES & set(params))
    assert not old, f"{name} chooses raters with {old}; use raters= / reference="
    if "ci_method" in params and isinstance(params["ci_method"].default, str):
        assert params["ci_method"].default in CI_METHODS, (name, params["ci_method"].default)
    if "n_resamples" in params and isinstance(params["n_resamples"].default, int):
        # annotator models resample by refitting: their one default is MODEL_N_RESAMPLES (see _params)
        expected = MODEL_N_RESAMPLES if name.startswith("annotators.") and name.endswith(".__init__") \
            else DEFAULT_N_RESAMPLES
        assert params["n_resamples"].default == expected, (name, params["n_resamples"].default)
    for seed_name in ("seed", "rng", "random_seed"):
        assert seed_name not in params, f"{name} takes {seed_name}=; the vocabulary is random_state="


@pytest.mark.parametrize(("name", "func"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_declared_ci_methods_are_in_the_vocabulary(name, func) -> None:
    constraints = getattr(func, "__alignlab_constraints__", None)
    if constraints is None:
        if "ci_method" in inspect.signature(func).parameters:
            assert name in ALLOWED_UNVALIDATED, f"{name} takes ci_method but is not decorated with validate_params"
        return
    for constraint in constraints.get("ci_method", []):
        if isinstance(constraint, Options):
            assert set(constraint.values) <= set(CI_METHODS), (name, constraint.values)


def test_every_public_function_is_validated() -> None:
    """Every public function declares its constraints (so every parameter error is an InvalidParameterError)."""
    unvalidated = [name for name, func in FUNCTIONS if len(inspect.signature(func).parameters) > 1
                   and getattr(func, "__alignlab_constraints__", None) is None]
    assert set(unvalidated) <= ALLOWED_UNVALIDATED, sorted(set(unvalidated) - ALLOWED_UNVALIDATED)


# Public functions that still check their parameters by hand (a ratchet: this set may only shrink; a new
# public function must use validate_params). Array-level helpers (ppi_arrays, williams_test, design
# closed forms) take plain numbers and arrays; load_judgments collects every data problem itself.
ALLOWED_UNVALIDATED = {
    "alignment.ppi_arrays", "alignment.ppi_mean", "alignment.williams_test", "slices.encode_segments",
    "sampling.expected_half_width", "sampling.segment_sample_size", "design.inclusion_probabilities",
    "design.clustered_mean_variance", "design.design_effect", "design.gold_sample_size", "design.simulate_design",
    "design.systematic_pps", "compare.metrics_from_column", "online.with_online", "metrics.change_status",
    "metrics.check_against_data", "metrics.check_spec", "metrics.metrics_summary", "metrics.target_status",
    "workflows.judge_rule", "data.item_consensus", "data.load_judgments",
}


RESULT_TYPES = sorted({c for _, c in CLASSES if issubclass(c, EstimateResult | TableResult)}, key=lambda c: c.__name__)


@pytest.mark.parametrize("klass", RESULT_TYPES, ids=[c.__name__ for c in RESULT_TYPES])
def test_results_summary_returns_summary(klass) -> None:
    returns = inspect.signature(klass.summary).return_annotation
    assert returns in (Summary, "Summary"), f"{klass.__name__}.summary() must return alignlab.results.Summary"
    assert callable(getattr(klass, "to_frame", None)) and callable(getattr(klass, "_repr_html_", None))
    assert dataclasses.is_dataclass(klass)


def test_no_two_public_types_share_a_name() -> None:
    import alignlab

    seen: dict[str, str] = {}
    clashes = []
    for module_name in ["alignlab", *(f"alignlab.{f}" for f in FAMILIES), "alignlab._params", "alignlab.results"]:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__.startswith("alignlab") and not name.startswith("_"):
                where = f"{obj.__module__}.{obj.__qualname__}"
                if name in seen and seen[name] != where:
                    clashes.append(f"{name}: {seen[name]} and {where}")
                seen.setdefault(name, where)
    assert not clashes, clashes
    assert alignlab.__version__
