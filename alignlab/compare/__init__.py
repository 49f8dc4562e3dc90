"""Regressions and trends between model versions, by segment: what got worse, where, and how sure.

- :func:`compare_versions` — candidate vs baseline on every (metric, rater group, segment): the
  difference with its interval (paired by input, clustered when asked), an effect size, tests adjusted
  over all rows, a verdict (regression / improvement / no detectable change / underpowered), the
  mix-shift decomposition and the disagreement between methods.
- :func:`trend` — over a metric's runs: Mann-Kendall trend test and Sen slope, a regression slope with
  HAC errors, change-point detection with a permutation false-alarm rate, and an always-valid
  (normal-mixture) confidence sequence.

See ``docs/compare.md`` for the exact methods and references.
"""

from alignlab.compare._metrics import Metric, metrics_from_column
from alignlab.compare.trend import TrendResult, trend
from alignlab.compare.versions import VERDICTS, VersionComparison, compare_versions

__all__ = ["Metric", "metrics_from_column", "compare_versions", "VersionComparison", "VERDICTS", "trend",
           "TrendResult"]
