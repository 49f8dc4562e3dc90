"""Declarative validation of public parameters: one exception type, one message form.

Modelled on scikit-learn's ``validate_params``: every public callable states the constraints of its
parameters once, in a decorator, and a violation raises :class:`InvalidParameterError` with the message
*"The 'confidence_level' parameter of krippendorff_alpha must be a float in (0, 1). Got 1.5 instead."*

Constraints
-----------
- a type (``int``, ``str``, ``Judgments`` ...) or a tuple of types;
- ``None`` (the value ``None`` is allowed);
- :class:`Interval` for numbers, :class:`Options` for a fixed set of values;
- the strings ``"random_state"`` (None, int >= 0 or ``numpy.random.Generator``), ``"boolean"``,
  ``"array-like"``, ``"str-or-list"`` (a string or a list/tuple of strings), ``"mapping"``.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "AlignlabError",
    "DataError",
    "DegenerateDataWarning",
    "NOT_COMPUTABLE",
    "InvalidParameterError",
    "Interval",
    "Options",
    "validate_params",
    "check_random_state",
    "check_confidence_level",
    "CI_METHODS",
    "DEFAULT_N_RESAMPLES",
    "MODEL_N_RESAMPLES",
    "RATERS_DOC",
    "REFERENCE_DOC",
    "ci_method_constraint",
]

F = TypeVar("F", bound=Callable[..., Any])


class AlignlabError(Exception):
    """Base of every error alignlab raises on purpose: a user error with a message that names the fix.

    The CLI turns these (and only these, plus unreadable files) into exit code 2 with the message; any
    other exception is a bug and is reported as one.
    """


class InvalidParameterError(AlignlabError, ValueError, TypeError):
    """A public parameter has a value outside its documented constraints.

    Subclasses both ``ValueError`` and ``TypeError`` so code written against either keeps working.
    """


class DataError(AlignlabError, ValueError):
    """The data given cannot support the computation asked for.

    Too few items, raters or pairs for the statistic, a scale the statistic does not apply to, a selection
    that matches nothing. The message names what is missing and how to get it.
    """


class DegenerateDataWarning(UserWarning):
    """The data are below an estimator's minimum (too few items, clusters or raters per item), or the
    resamples are degenerate: the interval is NaN ("not computable") instead of a confident number."""


#: the phrase every below-minimum-data message contains (result warnings included), so the report can
#: mark the sections that rest on such a result "not computable"
NOT_COMPUTABLE = "not computable"


@dataclass(frozen=True)
class Interval:
    """A numeric interval constraint.

    Parameters
    ----------
    kind : {"real", "integral"}
        ``"integral"`` accepts Python and numpy integers only; ``"real"`` any real number (not bool).
    low, high : float or None
        Bounds; ``None`` for unbounded.
    closed : {"both", "left", "right", "neither"}
    """

    kind: str
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_):
            return False
        if self.kind == "integral":
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real):
            return False
        if isinstance(value, float) and not np.isfinite(value):
            return False
        lo_ok = (
            self.low is None
            or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        )
        hi_ok = (
            self.high is None
            or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        )
        return bool(lo_ok and hi_ok)

    def __str__(self) -> str:
        noun = "an int" if self.kind == "integral" else "a float"
        if self.low is None and self.high is None:
            return noun
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{noun} in {left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class Options:
    """The value must be one of a fixed set (strings are compared exactly)."""

    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        if isinstance(value, np.ndarray):
            return False  # `array in tuple` compares elementwise and raises on truth value
        try:
            return value in self.values
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, Interval | Options):
        return str(constraint)
    if isinstance(constraint, str):
        return {
            "random_state": "None, a non-negative int or a numpy.random.Generator",
            "boolean": "a bool",
            "array-like": "an array-like",
            "str-or-list": "a str or a list of str",
            "mapping": "a mapping",
            "callable": "a callable",
        }[constraint]
    if isinstance(constraint, tuple):
        return " or ".join(_describe(c) for c in constraint)
    if isinstance(constraint, type):
        article = "an" if constraint.__name__[0].lower() in "aeiou" else "a"
        return f"{article} {constraint.__name__}"
    raise TypeError(f"unknown constraint {constraint!r}")  # pragma: no cover - programming error


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, Interval | Options):
        return constraint.accepts(value)
    if isinstance(constraint, str):
        if constraint == "random_state":
            return (
                value is None
                or isinstance(value, np.random.Generator)
                or (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0)
            )
        if constraint == "boolean":
            return isinstance(value, bool | np.bool_)
        if constraint == "array-like":
            return hasattr(value, "__len__") and not isinstance(value, str | bytes)
        if constraint == "str-or-list":
            return isinstance(value, str) or (
                isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
            )
        if constraint == "mapping":
            return isinstance(value, Mapping)
        if constraint == "callable":
            return callable(value)
    if isinstance(constraint, tuple):
        return any(_accepts(c, value) for c in constraint)
    if isinstance(constraint, type):
        if constraint is float:
            return isinstance(value, numbers.Real) and not isinstance(value, bool)
        if constraint is int:
            return isinstance(value, numbers.Integral) and not isinstance(value, bool)
        return isinstance(value, constraint)
    return False


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_param(name: str, value: Any, constraints: list[Any], caller: str) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` meets one of ``constraints``."""
    if any(_accepts(c, value) for c in constraints):
        return
    allowed = [_describe(c) for c in constraints]
    text = allowed[0] if len(allowed) == 1 else ", ".join(allowed[:-1]) + " or " + allowed[-1]
    raise InvalidParameterError(
        f"The {name!r} parameter of {caller} must be {text}. Got {_short_repr(value)} instead."
    )


def validate_params(constraints: Mapping[str, list[Any]]) -> Callable[[F], F]:
    """Decorator: check the named parameters of a function before it runs.

    Examples
    --------
    >>> @validate_params({"confidence_level": [Interval("real", 0, 1, closed="neither")]})
    ... def f(*, confidence_level=0.95):
    ...     return confidence_level
    >>> f(confidence_level=0.9)
    0.9
    """

    def decorator(func: F) -> F:
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:  # pragma: no cover - programming error caught at import
            raise TypeError(f"validate_params names unknown parameters {sorted(unknown)} of {func.__name__}")
        caller = func.__qualname__.replace(".__init__", "")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, allowed in constraints.items():
                check_param(name, bound.arguments[name], allowed, caller)
            return func(*args, **kwargs)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.__alignlab_constraints__ = dict(constraints)  # type: ignore[attr-defined]  # read by the API tests
        return wrapper  # type: ignore[return-value]

    return decorator


def check_random_state(random_state: None | int | np.random.Generator) -> np.random.Generator:
    """Turn ``None``, an int seed or a Generator into a ``numpy.random.Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def check_confidence_level(confidence_level: float, caller: str) -> float:
    check_param("confidence_level", confidence_level, [Interval("real", 0, 1, closed="neither")], caller)
    return float(confidence_level)


# Shared constraint lists, so every public function spells the library-wide keywords the same way.
CONFIDENCE_LEVEL = [Interval("real", 0, 1, closed="neither")]
N_RESAMPLES = [Interval("integral", 1, None)]
RANDOM_STATE = ["random_state"]


# -- the library-wide vocabulary ----------------------------------------------------------------------
# Declared once here and used by every family (issue: one vocabulary). A new public function picks the
# subset of ``CI_METHODS`` it supports with ``ci_method_constraint(...)`` and takes
# ``n_resamples=DEFAULT_N_RESAMPLES``; the raters under study are chosen with ``raters=`` and the reference
# they are compared with with ``reference=`` (each a rater id, a method name or a list of them, resolved by
# ``Judgments.resolve_raters``).
CI_METHODS: dict[str, str] = {
    "auto": "the function's recommended method for the data at hand (named in the result's ci_method)",
    "bca": "bias-corrected and accelerated bootstrap (Efron 1987) over the resampling unit",
    "percentile": "percentile bootstrap over the resampling unit",
    "basic": "basic (reverse-percentile) bootstrap over the resampling unit",
    "bootstrap": "bootstrap draws of a fitted model's parameters (annotator models)",
    "conditional": "draws from the complete-data posterior at the fitted parameters (annotator models)",
    "analytic": "a closed-form or asymptotic standard error (named in the result)",
    "wilson": "Wilson score interval for a binomial proportion",
    "wald": "Wald (normal-approximation) interval for a binomial proportion",
    "jeffreys": "Jeffreys (Beta(1/2, 1/2) posterior) interval for a binomial proportion",
    "clopper-pearson": "exact Clopper-Pearson interval for a binomial proportion",
    "newcombe": "Newcombe's hybrid score interval for a difference of proportions",
    "none": "no interval (ci_low and ci_high are NaN)",
}
DEFAULT_N_RESAMPLES = 1000
#: the annotator models' default: one of their resamples is a whole (warm-started) EM refit, not a reweighted
#: statistic, so 1,000 of them would make a default 200,000-judgment fit take ~10 s instead of ~2 s (measured);
#: 200 refits keep the percentile bounds' Monte Carlo error near 0.1 standard errors
MODEL_N_RESAMPLES = 200

RATERS_DOC = (
    "raters : str or list of str\n"
    "    The raters under study: a rater id, a method name (e.g. ``\"llm_judge\"``) or a list of them."
)
REFERENCE_DOC = (
    "reference : str or list of str\n"
    "    What the raters are compared with: a rater id, a method name (e.g. ``\"human\"``), ``\"gold\"``\n"
    "    or a list of them."
)


def ci_method_constraint(*supported: str) -> list[Any]:
    """The ``ci_method`` constraint of a function that supports ``supported`` (a subset of CI_METHODS).

    >>> ci_method_constraint("percentile", "bca", "none")[0].values
    ('percentile', 'bca', 'none')
    """
    unknown = [m for m in supported if m not in CI_METHODS]
    if unknown:  # pragma: no cover - programming error caught at import
        raise TypeError(f"ci_method values {unknown} are not in alignlab._params.CI_METHODS")
    return [Options(supported)]
