"""The estimator base of every annotator model in :mod:`alignlab.annotators`.

How to build a model on it
--------------------------
1. Subclass :class:`AnnotatorModel`. Write ``__init__`` with **keyword-only** settings only, call
   ``super().__init__(engine=..., confidence_level=..., ...)`` for the common ones and store every
   own setting under its own name (``self.x = x``); nothing else happens in ``__init__``
   (scikit-learn contract: :meth:`get_params` reads the settings back from the signature).
2. Declare ``_parameter_constraints`` (a dict merged along the MRO, checked at ``fit`` with
   :func:`alignlab._params.check_param`, so the messages read like every other alignlab error),
   ``_supported_scales`` (scale kinds the model accepts) and ``_model_name`` (used in messages).
3. Implement ``_fit_em(judgments)`` and/or ``_fit_pymc(judgments)``. They set the fitted
   attributes, ending in ``_``: at least ``raters_`` (columns :data:`RATER_COLUMNS` first, model
   extras after), ``items_`` (``item_id`` and ``n`` first) and, for discrete models, ``proba_``
   (items x labels frame used by :meth:`predict_proba`). PyMC engines also set ``idata_``. Add
   warnings to ``self.warnings_`` (a list) during the fit; ``fit`` turns it into a tuple.
   ``fit`` has already validated the settings, coerced the data into a
   :class:`~alignlab.data.Judgments`, checked the scale and set ``interval_level_``,
   ``random_state_`` (a Generator) and ``n_judgments_``/``n_items_``/``n_raters_``.
4. List the fitted attributes to persist in ``_state_attributes``; :meth:`save`/:meth:`load` handle
   DataFrames, numpy arrays, JSON-able values and ``idata_`` (through :mod:`._arviz`).
5. Sample PyMC models with :func:`alignlab.annotators._sampling.sample_model` (nutpie+JAX when
   installed, else PyMC NUTS; diagnostics become warnings); posterior summaries only through
   :mod:`alignlab.annotators._arviz` (the one module allowed to import ArviZ).
6. Put the class in your own module (``categorical.py``, ``ordinal.py`` ...) and add ONE import
   line to ``alignlab/annotators/__init__.py``.

Column conventions
------------------
``raters_``: ``rater_id, method, vendor, n, bias, bias_low, bias_high, reliability,
reliability_low, reliability_high, spammer_prob`` then model-specific columns. ``reliability`` is
1 for a perfect rater and 0 for one whose labels carry no information about the truth (a spammer);
the discrete models compute it with :mod:`alignlab.annotators._reliability` (kappa with the latent
class, below 0 for a rater worse than chance, plus ``adversarial_prob`` and ``informativeness``),
``ContinuousRaters`` as the signal share of a rater's variance, in [0, 1];
``bias`` is a signed systematic shift (scale units) where the scale is ordered, else an unsigned
distance. Intervals are at ``interval_level_`` (= ``confidence_level``); ``ci_method_`` says how.
``items_``: ``item_id, n`` then the model's item outputs (class probabilities or quality).
"""

from __future__ import annotations

import inspect
import io
import json
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alignlab._params import (
    CONFIDENCE_LEVEL,
    MODEL_N_RESAMPLES,
    N_RESAMPLES,
    RANDOM_STATE,
    AlignlabError,
    DataError,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    check_random_state,
)
from alignlab.data import Judgments, Scale, load_judgments
from alignlab.results import Summary

__all__ = [
    "AnnotatorModel",
    "NotFittedError",
    "ProvenanceError",
    "RATER_COLUMNS",
    "ITEM_COLUMNS",
    "SAMPLER_DEFAULTS",
    "coerce_judgments",
    "validate_sampler",
    "empty_rater_frame",
    "minimum_data_shortfalls",
]

#: what each ``_minimum_data`` key counts, for messages
_MINIMUM_DATA_NOUNS: dict[str, str] = {
    "items": "items",
    "multi_rated_items": "items judged by two or more raters (or with a gold label)",
    "raters": "raters",
}
# an interval narrower than this (relative to max(1, |bounds|)) has zero width: a degenerate resample
_ZERO_WIDTH = 1e-12
# intervals computed from observed counts, not from the model (raw accuracy against gold, a binomial
# interval): they stand even when the model's data are below its minimum
_OBSERVED_INTERVALS = frozenset({"accuracy_raw"})

#: leading columns of every ``raters_`` frame, in this order
RATER_COLUMNS: tuple[str, ...] = (
    "rater_id", "method", "vendor", "n",
    "bias", "bias_low", "bias_high",
    "reliability", "reliability_low", "reliability_high",
    "spammer_prob",
)
#: leading columns of every ``items_`` frame
ITEM_COLUMNS: tuple[str, ...] = ("item_id", "n")

#: sampler settings accepted by ``sampler=`` (PyMC engines), with defaults
SAMPLER_DEFAULTS: dict[str, Any] = {
    "chains": 2,
    "draws": 1000,
    "tune": 1000,
    "target_accept": 0.9,
    "backend": "auto",  # "auto" = nutpie+JAX when importable, else PyMC NUTS; or "nutpie" / "pymc"
    "cores": None,  # None = one core per chain, up to the machine's cores
    "progressbar": False,
    # nutpie only: "low_rank" adapts a diagonal-plus-low-rank mass matrix (the few global directions
    # that couple all parameters, e.g. class prevalence against every confusion row); PyMC NUTS: diag
    "mass_matrix": "diag",
}
_SAMPLER_CONSTRAINTS: dict[str, list[Any]] = {
    "chains": [Interval("integral", 1, 64)],
    "draws": [Interval("integral", 10, None)],
    "tune": [Interval("integral", 0, None)],
    "target_accept": [Interval("real", 0.5, 1, closed="neither")],
    "backend": [Options(("auto", "nutpie", "pymc"))],
    "cores": [Interval("integral", 1, 64), None],
    "progressbar": ["boolean"],
    "mass_matrix": [Options(("diag", "low_rank"))],
}
_SAVE_FORMAT = "alignlab-annotator-model/1"


class NotFittedError(AlignlabError, ValueError, AttributeError):
    """A fitted attribute (``raters_``, ``predict()`` ...) was used before ``fit``.

    Subclasses ``ValueError`` and ``AttributeError`` like scikit-learn's, so ``hasattr(model,
    "raters_")`` is False before fitting.
    """


class ProvenanceError(AlignlabError, ValueError):
    """A saved model does not match what it is loaded for (class, library version, data or settings)."""


def validate_sampler(sampler: Mapping[str, Any] | None, caller: str) -> dict[str, Any]:
    """Merge ``sampler`` into :data:`SAMPLER_DEFAULTS`, rejecting unknown keys and bad values.

    Examples
    --------
    >>> validate_sampler({"draws": 200}, "DawidSkene")["draws"]
    200
    """
    settings = dict(SAMPLER_DEFAULTS)
    for key, value in dict(sampler or {}).items():
        if key not in _SAMPLER_CONSTRAINTS:
            raise InvalidParameterError(
                f"The 'sampler' parameter of {caller} has an unknown key {key!r}; "
                f"known keys are {sorted(_SAMPLER_CONSTRAINTS)}."
            )
        check_param(f"sampler[{key!r}]", value, _SAMPLER_CONSTRAINTS[key], caller)
        settings[key] = value
    if settings["cores"] is None:
        import os

        settings["cores"] = max(1, min(int(settings["chains"]), os.cpu_count() or 1))
    return settings


def coerce_judgments(data: Any, caller: str) -> Judgments:
    """A :class:`Judgments` from a Judgments, a table or a path (validated by ``load_judgments``)."""
    if isinstance(data, Judgments):
        return data
    if isinstance(data, pd.DataFrame | str | Path) or hasattr(data, "to_pandas"):
        return load_judgments(data)
    raise TypeError(
        f"{caller}.fit expects a Judgments (alignlab.load_judgments(...)), a DataFrame or a path. "
        f"Got {type(data).__name__} instead."
    )


def minimum_data_shortfalls(judgments: Judgments, minimum: Mapping[str, int]) -> list[str]:
    """What ``judgments`` lacks against an estimator's declared ``minimum`` data, one phrase per
    shortfall (empty when the data suffice). Keys: ``items``, ``multi_rated_items``, ``raters``."""
    have: dict[str, int] = {}
    for key in minimum:
        if key == "items":
            have[key] = judgments.n_items
        elif key == "raters":
            have[key] = judgments.n_raters
        elif key == "multi_rated_items":
            multi = judgments.item_info["n_raters"].to_numpy() >= 2
            if judgments.has("gold"):
                multi |= judgments.item_info["gold"].notna().to_numpy()
            have[key] = int(multi.sum())
        else:  # pragma: no cover - a model declared an unknown key
            raise KeyError(f"unknown minimum-data key {key!r}; known: {sorted(_MINIMUM_DATA_NOUNS)}")
    return [f"needs at least {n} {_MINIMUM_DATA_NOUNS[k]}, has {have[k]}" for k, n in minimum.items() if have[k] < n]


def _interval_pairs(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(estimate, low, high)`` column names of every interval in a fitted frame: ``x``, ``x_low`` and
    ``x_high`` all present (so label columns such as ``p_risk_low``/``p_risk_high`` are not intervals)."""
    out = []
    for column in frame.columns:
        if isinstance(column, str) and column.endswith("_low"):
            stem = column[: -len("_low")]
            if f"{stem}_high" in frame.columns and stem in frame.columns:
                out.append((stem, column, f"{stem}_high"))
    return out


def empty_rater_frame(judgments: Judgments) -> pd.DataFrame:
    """``rater_id, method, vendor, n`` for every rater (the first columns of ``raters_``)."""
    info = judgments.rater_info
    n = np.bincount(judgments.rater_codes, weights=judgments.frame["weight"].to_numpy(dtype=float),
                    minlength=judgments.n_raters)
    return pd.DataFrame({
        "rater_id": info["rater_id"].to_numpy(),
        "method": info["method"].to_numpy(),
        "vendor": info["vendor"].to_numpy() if "vendor" in info.columns else np.full(len(info), None, dtype=object),
        "n": n,
    })


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.random.Generator):
        return "<Generator>"
    if isinstance(value, pd.DataFrame):
        return {"__frame__": value.to_dict(orient="list")}
    return repr(value)


#: model classes by name (filled by ``AnnotatorModel.__init_subclass__``)
_MODEL_CLASSES: dict[str, type[AnnotatorModel]] = {}


class AnnotatorModel:
    """Base class of the annotator models (scikit-learn estimator contract over PyMC / EM).

    ``__init__`` only stores settings; :meth:`fit` validates them and the data, dispatches to the
    engine and returns ``self``; fitted outputs end in ``_``. See the module docstring for how to
    write a model.
    """

    _model_name: ClassVar[str] = "annotator model"
    _supported_scales: ClassVar[tuple[str, ...]] = ("binary", "categorical", "ordinal", "pairwise", "continuous")
    _engines: ClassVar[tuple[str, ...]] = ("em", "pymc")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "engine": [Options(("em", "pymc"))],
        "confidence_level": CONFIDENCE_LEVEL,
        "n_resamples": N_RESAMPLES,
        "sampler": ["mapping", None],
        "random_state": RANDOM_STATE,
    }
    _state_attributes: ClassVar[tuple[str, ...]] = ("raters_", "items_")
    #: the minimum data the model's intervals need (see :func:`minimum_data_shortfalls`): below it the
    #: fit still gives point estimates, but every interval is NaN with a warning (an item bootstrap
    #: of one item, or raters who never share an item, cannot support an interval)
    _minimum_data: ClassVar[dict[str, int]] = {"items": 2, "multi_rated_items": 1}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every model class is known by name, so AnnotatorModel.load finds the class a file was saved from
        super().__init_subclass__(**kwargs)
        _MODEL_CLASSES[cls.__name__] = cls

    def __init__(
        self,
        *,
        engine: str = "em",
        confidence_level: float = 0.95,
        n_resamples: int = MODEL_N_RESAMPLES,
        sampler: Mapping[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.engine = engine
        self.confidence_level = confidence_level
        self.n_resamples = n_resamples
        self.sampler = sampler
        self.random_state = random_state

    # -- settings ---------------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings given to ``__init__`` (scikit-learn's ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> AnnotatorModel:
        """Change settings; unknown names raise. Refit afterwards."""
        known = set(self._param_names())
        for name, value in params.items():
            if name not in known:
                raise InvalidParameterError(
                    f"{type(self).__name__} has no setting {name!r}; settings are {sorted(known)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
                    if p.name != "self"}
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError):
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    @classmethod
    def _constraints(cls) -> dict[str, list[Any]]:
        merged: dict[str, list[Any]] = {}
        for klass in reversed(cls.__mro__):
            merged.update(getattr(klass, "_parameter_constraints", {}) or {})
        return merged

    def _validate_settings(self) -> None:
        caller = type(self).__name__
        names = set(self._param_names())
        for name, constraints in self._constraints().items():
            if name in names:
                check_param(name, getattr(self, name), constraints, caller)
        if self.engine not in self._engines:
            raise InvalidParameterError(
                f"The 'engine' parameter of {caller} must be one of {', '.join(map(repr, self._engines))}. "
                f"Got {self.engine!r} instead."
            )
        validate_sampler(self.sampler, caller)  # unknown keys and bad values fail whatever the engine

    #: model-specific sampler defaults, applied under the user's ``sampler=`` (e.g. a shorter warm-up
    #: for models initialised at their EM solution)
    _sampler_defaults: ClassVar[dict[str, Any]] = {}

    def _sampler_settings(self) -> dict[str, Any]:
        validate_sampler(self.sampler, type(self).__name__)  # the user's keys, checked on their own
        return validate_sampler({**self._sampler_defaults, **dict(self.sampler or {})}, type(self).__name__)

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, judgments: Any) -> AnnotatorModel:
        """Fit the model to a judgments table and return ``self``.

        Parameters
        ----------
        judgments : Judgments, DataFrame or path
            One row per judgment (see :func:`alignlab.load_judgments`).
        """
        self._validate_settings()
        data = coerce_judgments(judgments, type(self).__name__)
        self._check_data(data)
        self._reset_fitted()
        self.interval_level_ = float(self.confidence_level)
        self.random_state_ = check_random_state(self.random_state)
        self.n_judgments_ = len(data)
        self.n_items_ = data.n_items
        self.n_raters_ = data.n_raters
        self.scale_ = data.scale
        self.warnings_: list[str] | tuple[str, ...] = []
        if self.engine == "em":
            self._fit_em(data)
        else:
            self._fit_pymc(data)
        self._guard_intervals(data)
        self.warnings_ = tuple(dict.fromkeys(self.warnings_))
        self.provenance_ = self._provenance(data)
        return self

    def _check_data(self, judgments: Judgments) -> None:
        if judgments.scale.kind not in self._supported_scales:
            raise InvalidParameterError(
                f"{type(self).__name__} models {', '.join(self._supported_scales)} scales; this table's scale is "
                f"{judgments.scale.describe()}. Pass scale=... to load_judgments or choose another model."
            )
        if len(judgments) == 0:
            raise DataError(f"{type(self).__name__}.fit needs at least one judgment.")

    def _guard_intervals(self, judgments: Judgments) -> None:
        """The shared minimum-data check: below ``_minimum_data``, or where an interval has zero width
        (a degenerate resample), the interval is NaN and a warning says why; never a confident number."""
        frames = {name: value for name, value in vars(self).items()  # proba_: columns are labels, no intervals
                  if name.endswith("_") and not name.startswith("_") and name != "proba_"
                  and isinstance(value, pd.DataFrame)}
        shortfalls = minimum_data_shortfalls(judgments, self._minimum_data)
        messages = []
        if shortfalls:
            messages.append(f"{type(self).__name__} {'; '.join(shortfalls)}: its intervals (and spammer "
                            "probabilities) are not computable and are NaN; the point estimates are shown but "
                            "nothing supports them")
        n_zero = 0
        for name, frame in frames.items():
            changed = frame.copy()
            for stem, low, high in _interval_pairs(frame):
                lo = pd.to_numeric(frame[low], errors="coerce").to_numpy(dtype=float)
                hi = pd.to_numeric(frame[high], errors="coerce").to_numpy(dtype=float)
                if shortfalls and stem not in _OBSERVED_INTERVALS:
                    bad = np.ones(len(frame), dtype=bool)
                else:
                    with np.errstate(invalid="ignore"):
                        scale = np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)))
                        bad = np.isfinite(lo) & np.isfinite(hi) & ~(hi - lo > _ZERO_WIDTH * scale)
                    n_zero += int(bad.sum())
                if bad.any():
                    for column in (low, high, f"{stem}_se"):
                        if column in changed.columns:
                            changed[column] = np.where(bad, np.nan, pd.to_numeric(changed[column], errors="coerce"))
            if shortfalls:  # probabilities read off the same (degenerate) draws
                for column in ("spammer_prob", "adversarial_prob"):
                    if column in changed.columns:
                        changed[column] = np.nan
            if shortfalls or n_zero:
                setattr(self, name, changed)
        if n_zero and not shortfalls:
            messages.append(f"{n_zero} interval(s) had zero width (every resample or draw gave the same value: "
                            "a degenerate resample, not certainty) and are NaN")
        # in the model's warnings (shown by summary() and the report), the annotators' one channel;
        # workflows fitting several models read them there
        self.warnings_.extend(messages)

    def _reset_fitted(self) -> None:
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)

    def _fit_em(self, judgments: Judgments) -> None:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no EM engine; use engine='pymc'.")

    def _fit_pymc(self, judgments: Judgments) -> None:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no PyMC engine; use engine='em'.")

    # -- fitted access ----------------------------------------------------------------------------
    def _check_fitted(self, attribute: str = "raters_") -> None:
        if attribute not in vars(self):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call {type(self).__name__}(...).fit(judgments) "
                f"before using {attribute!r}."
            )

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: a fitted attribute asked for before fit.
        if name.endswith("_") and not name.startswith("_") and not name.endswith("__"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call {type(self).__name__}(...).fit(judgments) "
                f"before using {name!r}."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def predict_proba(self) -> pd.DataFrame:
        """Posterior class probabilities: items x labels (index ``item_id``)."""
        self._check_fitted("proba_")
        return self.proba_.copy()

    def predict(self) -> pd.Series:
        """Consensus label per item (the most probable class), indexed by ``item_id``."""
        proba = self.predict_proba()
        labels = np.asarray(proba.columns, dtype=object)
        values = labels[np.argmax(proba.to_numpy(), axis=1)]
        return pd.Series(values, index=proba.index, name="prediction")

    # -- provenance, save and load ----------------------------------------------------------------
    def _provenance(self, judgments: Judgments) -> dict[str, Any]:
        from alignlab import __version__

        return {
            "model": type(self).__name__,
            "module": type(self).__module__,
            "alignlab_version": __version__,
            "settings": _json_safe(self.get_params()),
            "data_hash": judgments.data_hash,
            "scale": judgments.scale.describe(),
            "n_judgments": len(judgments),
            "n_items": judgments.n_items,
            "n_raters": judgments.n_raters,
        }

    def save(self, path: str | Path) -> Path:
        """Save the fitted model with its provenance (settings, library version, data hash).

        The file is a zip of JSON metadata, Parquet frames and ``.npy`` arrays (no pickle, so loading
        never executes code). Load it with :meth:`load`.
        """
        self._check_fitted("provenance_")
        path = Path(path)
        manifest: dict[str, Any] = {"format": _SAVE_FORMAT, "provenance": self.provenance_, "state": {}}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in (*self._state_attributes, "warnings_", "interval_level_", "n_judgments_", "n_items_",
                         "n_raters_", "ci_method_"):
                if name not in vars(self):
                    continue
                value = getattr(self, name)
                if isinstance(value, pd.DataFrame):
                    buffer = io.BytesIO()
                    frame = value.copy()
                    index_name = frame.index.name
                    frame = frame.reset_index() if index_name is not None else frame
                    frame.columns = [str(c) for c in frame.columns]
                    frame.to_parquet(buffer, index=False)
                    archive.writestr(f"{name}.parquet", buffer.getvalue())
                    manifest["state"][name] = {"kind": "frame", "index": index_name,
                                               "columns": [_json_safe(c) for c in value.columns],
                                               "object_columns": [str(c) for c in frame.columns
                                                                  if frame[c].dtype == object]}
                elif isinstance(value, np.ndarray):
                    buffer = io.BytesIO()
                    np.save(buffer, value, allow_pickle=False)
                    archive.writestr(f"{name}.npy", buffer.getvalue())
                    manifest["state"][name] = {"kind": "array"}
                elif name == "idata_":
                    from alignlab.annotators._arviz import idata_to_arrays

                    arrays = idata_to_arrays(value)
                    buffer = io.BytesIO()
                    np.savez_compressed(buffer, **arrays)
                    archive.writestr("idata_.npz", buffer.getvalue())
                    manifest["state"][name] = {"kind": "idata"}
                elif isinstance(value, Scale):
                    continue
                else:
                    manifest["state"][name] = {"kind": "json", "value": _json_safe(value)}
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path, *, judgments: Judgments | None = None,
             check_version: bool = True) -> AnnotatorModel:
        """Load a model written by :meth:`save`, checking its provenance.

        Parameters
        ----------
        judgments : Judgments, optional
            When given, its ``data_hash`` must equal the one the model was fitted on.
        check_version : bool
            Require the same alignlab version as at save time.

        Raises
        ------
        ProvenanceError
            When the file holds another model class, another alignlab version, or was fitted on
            other data than ``judgments``.
        """
        from alignlab import __version__

        path = Path(path)
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != _SAVE_FORMAT:
                raise ProvenanceError(f"{str(path)!r} is not a saved alignlab annotator model "
                                      f"(format {manifest.get('format')!r}).")
            prov = manifest["provenance"]
            if cls is not AnnotatorModel and prov["model"] != cls.__name__:
                raise ProvenanceError(
                    f"{str(path)!r} holds a {prov['model']} model, not a {cls.__name__}; load it with "
                    f"{prov['model']}.load(...)."
                )
            if check_version and prov["alignlab_version"] != __version__:
                raise ProvenanceError(
                    f"{str(path)!r} was saved by alignlab {prov['alignlab_version']}, this is {__version__}; "
                    "refit the model, or pass check_version=False to load it anyway."
                )
            if judgments is not None and judgments.data_hash != prov["data_hash"]:
                raise ProvenanceError(
                    f"{str(path)!r} was fitted on data with hash {prov['data_hash']}, but the judgments given "
                    f"have hash {judgments.data_hash}: the data changed since the fit. Refit the model."
                )
            klass: type[AnnotatorModel] = cls
            if cls is AnnotatorModel:
                if prov["model"] not in _MODEL_CLASSES:
                    raise ProvenanceError(f"{str(path)!r} holds a {prov['model']} model, which this alignlab "
                                          f"does not define (models: {sorted(_MODEL_CLASSES)}).")
                klass = _MODEL_CLASSES[prov["model"]]
            settings = {k: v for k, v in prov["settings"].items() if k in klass._param_names()}
            settings = {k: (pd.DataFrame(v["__frame__"]) if isinstance(v, dict) and "__frame__" in v else v)
                        for k, v in settings.items()}
            if settings.get("random_state") == "<Generator>":
                settings["random_state"] = None
            model = klass(**settings)
            for name, meta in manifest["state"].items():
                if meta["kind"] == "frame":
                    frame = pd.read_parquet(io.BytesIO(archive.read(f"{name}.parquet")))
                    for column in meta.get("object_columns", []):
                        # Parquet narrows object columns of labels (ints, None) to int/float dtypes
                        values = frame[column].astype(object)
                        frame[column] = values.where(values.notna(), None)
                    if meta["index"] is not None:
                        frame = frame.set_index(meta["index"])
                    if len(meta["columns"]) == frame.shape[1]:
                        frame.columns = meta["columns"]
                    setattr(model, name, frame)
                elif meta["kind"] == "array":
                    setattr(model, name, np.load(io.BytesIO(archive.read(f"{name}.npy")), allow_pickle=False))
                elif meta["kind"] == "idata":
                    from alignlab.annotators._arviz import idata_from_arrays

                    with np.load(io.BytesIO(archive.read("idata_.npz")), allow_pickle=False) as arrays:
                        setattr(model, name, idata_from_arrays(dict(arrays)))
                else:
                    value = meta["value"]
                    setattr(model, name, tuple(value) if name == "warnings_" else value)
            model.provenance_ = prov
        return model

    # -- summary ----------------------------------------------------------------------------------
    def summary(self) -> Summary:
        """The fit in a few lines: engine, size, interval method, flagged spammers, least reliable raters."""
        self._check_fitted("raters_")
        raters = self.raters_
        lines = [
            f"{type(self).__name__} (engine={self.engine!r}): {self.n_judgments_:,} judgments, "
            f"{self.n_items_:,} items, {self.n_raters_:,} raters; intervals: "
            f"{self.interval_level_:.0%} {getattr(self, 'ci_method_', '')}",
        ]
        flagged = raters[raters["spammer_prob"] > 0.5]
        lines.append(f"flagged spammers (spammer_prob > 0.5): {len(flagged)}"
                     + (f" ({', '.join(map(str, flagged['rater_id'].head(10)))})" if len(flagged) else ""))
        worst = raters.sort_values("reliability").head(5)[list(RATER_COLUMNS)]
        return Summary(type(self).__name__, lines=tuple(lines), tables=(("least reliable raters", worst),),
                       warnings=tuple(self.warnings_))

    def __str__(self) -> str:
        return self.summary().as_text() if hasattr(self, "raters_") else f"{type(self).__name__}(unfitted)"
