"""Metrics across AI features: a declarative spec, one tidy result per run, runs kept over time.

- :func:`load_spec` / :class:`Spec`, :class:`Feature`, :class:`Metric`, :class:`Population`: what each
  feature measures (a north-star metric, diagnostics, guardrails), from which sources, combined how.
- :func:`compute` -> :class:`MetricsResult`: a row per (feature, metric, segment) with its interval,
  effective n, sources and weights, and a trust grade (A/B/C) with the reason;
  :func:`metrics_summary` the decision-ready paragraph per feature.
- :class:`Store`: runs appended to an embedded DuckDB file (``alignlab.duckdb``), readable with plain SQL;
  ``Store.history(...)`` the time series with intervals.
- the dashboard, one self-contained HTML page across all features, is rendered by the report layer:
  :func:`alignlab.report.build_dashboard` (``alignlab dashboard`` on the command line).
- :func:`change_status`: better / worse / no detectable change between two runs.
"""

from alignlab.metrics.compute import (
    GRADES,
    METRIC_COLUMNS,
    MetricsResult,
    Run,
    RunInfo,
    compute,
    metrics_summary,
)
from alignlab.metrics.spec import (
    COMBINES,
    STATISTICS,
    Feature,
    Metric,
    Population,
    Spec,
    SpecError,
    SpecProblem,
    check_against_data,
    check_spec,
    load_spec,
)
from alignlab.metrics.status import Change, change_status, latest_status, target_status
from alignlab.metrics.store import (
    HISTORY_COLUMNS,
    SCHEMA_VERSION,
    Store,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)

__all__ = [
    "COMBINES",
    "GRADES",
    "HISTORY_COLUMNS",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "METRIC_COLUMNS",
    "STATISTICS",
    "Change",
    "Feature",
    "Metric",
    "MetricsResult",
    "Population",
    "Run",
    "RunInfo",
    "Spec",
    "SpecError",
    "SpecProblem",
    "change_status",
    "latest_status",
    "check_against_data",
    "check_spec",
    "compute",
    "load_spec",
    "metrics_summary",
    "target_status",
]
