"""Online signals at production scale: event logs aggregated in DuckDB (default) or Spark, selection-aware.

:func:`events` reads Parquet/CSV/JSONL logs (or a DuckDB / Ibis / Spark table) and aggregates them in the
engine into per-item ``successes``/``trials`` — a :class:`~alignlab.Judgments` the alignment, trust-weight
and metric code consume. :func:`feedback_rates` and :func:`ipw_rate` make the selection of who leaves
feedback explicit and correct for it. (:func:`alignlab.alignment.online_alignment` compares in-memory
online rates with other methods.)
"""

from alignlab.online._source import EventsError
from alignlab.online.events import OnlineJudgments, events, with_online
from alignlab.online.selection import FeedbackRates, IPWRateResult, feedback_rates, ipw_rate

__all__ = [
    "EventsError", "FeedbackRates", "IPWRateResult", "OnlineJudgments", "events", "feedback_rates", "ipw_rate",
    "with_online",
]
