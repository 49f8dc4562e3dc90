"""Aggregate event logs where they live: per item (system, segment) counts computed in the engine.

The aggregation is written once, as Ibis expressions, and compiled by Ibis to DuckDB SQL (embedded, the
default) or to Spark SQL (when a ``SparkSession`` is passed). Only the aggregates — one row per item x
system x segment cell — ever leave the engine; raw events are never pulled into pandas.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignlab._params import (
    CONFIDENCE_LEVEL,
    RANDOM_STATE,
    DataError,
    Interval,
    Options,
    check_random_state,
    validate_params,
)
from alignlab.data import Judgments, load_judgments
from alignlab.online._source import EventsError, EventSource, check_schema, find_bad_value, open_source

__all__ = ["events", "OnlineJudgments", "with_online"]

_DEDUP = ("none", "last")
# a segment level whose share of ratings differs from its share of exposures by this factor is named
_SELECTION_RATIO = 1.25


class OnlineJudgments(Judgments):
    """A :class:`~alignlab.Judgments` of online aggregates, built by :func:`events`.

    ``aggregates`` holds one row per item (and system) and binary signal with ``successes`` (events with
    value 1) out of ``trials`` (events carrying the signal) plus ``exposures``; it feeds
    :func:`~alignlab.alignment.online_alignment`, :func:`~alignlab.workflows.trust_weights` (through
    :func:`with_online`) and the slice search unchanged.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per item x system x segment cell and binary signal: ``exposures`` (events or, with
        dedup, user-item pairs), ``trials`` (those carrying the signal), ``successes``; the selection
        analyses (:func:`feedback_rates`, :func:`ipw_rate`) start here.
    numeric : pandas.DataFrame
        One row per cell and numeric signal: ``exposures``, ``n`` (values present), ``sum``, ``mean``, ``sd``.
    event_exclusions : pandas.DataFrame
        ``reason``, ``column``, ``n_events``, ``n_users``, ``fix``: every event not counted and why.
    cell_columns : tuple of str
        The columns besides ``item_id`` that define a cell (``system``, segments).
    signals, numeric_signals : tuple of str
    engine : {"duckdb", "pyspark"}
    n_events, n_events_used : int
        Events read (after nothing) and events that entered the counts.
    options : dict
        The settings used (window, dedup, filters), for provenance.
    selection : RepresentativenessResult or None
        The audit of rated against exposed cells on the segment columns (first signal).
    """

    cells: pd.DataFrame
    numeric: pd.DataFrame
    event_exclusions: pd.DataFrame
    cell_columns: tuple[str, ...]
    signals: tuple[str, ...]
    numeric_signals: tuple[str, ...]
    engine: str
    n_events: int
    n_events_used: int
    options: dict[str, Any]
    selection: Any

    @property
    def event_segments(self) -> tuple[str, ...]:
        """The segment columns of the cells (``cell_columns`` without ``system``)."""
        return tuple(c for c in self.cell_columns if c != "system")


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _as_timestamp(value: Any, name: str) -> Any:
    import ibis

    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise EventsError(f"{name}={value!r} has no time zone", f"give {name} as an aware time, e.g. "
                          "'2024-05-01T00:00:00Z' or datetime(..., tzinfo=timezone.utc)")
    stamp = stamp.tz_convert("UTC")
    return ibis.timestamp(stamp.to_pydatetime().replace(tzinfo=None).isoformat(), timezone="UTC")


@validate_params({
    "item": [str],
    "signal": ["str-or-list", None],
    "numeric": ["str-or-list", None],
    "system": [str, None],
    "segments": ["str-or-list", None],
    "user": [str, None],
    "timestamp": [str, None],
    "start": [str, _dt.datetime, pd.Timestamp, None],
    "end": [str, _dt.datetime, pd.Timestamp, None],
    "dedup": [Options(_DEDUP)],
    "bot_column": [str, None],
    "max_user_events": [Interval("integral", 1, None), None],
    "table": [str, None],
    "check_selection": ["boolean"],
    "confidence_level": CONFIDENCE_LEVEL,
    "random_state": RANDOM_STATE,
})
def events(
    source: Any,
    *,
    item: str = "item_id",
    signal: str | Sequence[str] | None = None,
    numeric: str | Sequence[str] | None = None,
    system: str | None = None,
    segments: str | Sequence[str] | None = None,
    user: str | None = None,
    timestamp: str | None = None,
    start: str | _dt.datetime | None = None,
    end: str | _dt.datetime | None = None,
    dedup: Literal["none", "last"] = "none",
    bot_column: str | None = None,
    max_user_events: int | None = None,
    engine: Any = None,
    table: str | None = None,
    check_selection: bool = True,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> OnlineJudgments:
    """Read an event log and aggregate it in the engine into per-item online signals.

    Parameters
    ----------
    source : path, glob, list of paths, DuckDB connection, Ibis table, Spark DataFrame or pandas/pyarrow table
        Parquet, CSV/TSV or JSONL files (one format; ``'logs/*.parquet'``, a directory, or remote
        URLs the engine can read), a DuckDB connection with ``table=``, an Ibis table expression (run
        on its own backend), a Spark DataFrame (e.g. ``spark.table("logs")``, run on its session) or an
        in-memory table (run on DuckDB). One row per exposure event.
    item : str, default "item_id"
        Column with the item (the output shown to the user).
    signal : str or list of str
        Binary signal columns: 1/true = positive (thumbs up, copied), 0/false = negative, missing =
        no feedback on that exposure. Any other value is an error naming the file.
    numeric : str or list of str, optional
        Numeric signal columns (dwell time, edit distance): summed and averaged, missing = no value.
    system : str, optional
        Column with the system / model version that produced the item.
    segments : str or list of str, optional
        Exposure segment columns (locale, device, surface): cells are item x system x segments.
    user : str, optional
        User id column, needed by ``dedup`` and ``max_user_events``.
    timestamp : str, optional
        Event time column (a timestamp with time zone), needed by ``start``/``end`` and ``dedup``.
    start, end : str or datetime, optional
        Half-open window ``[start, end)`` of aware times; events outside (or without a time) are excluded.
    dedup : {"none", "last"}
        ``"last"``: a user's repeated events on the same item (same cell) count once: one exposure,
        rated if any of its events carries the signal, with the value of the latest rated event (ties at
        the same microsecond go to the positive value); a numeric signal takes the mean of the user's
        values. Events without a user or a time are excluded (counted).
    bot_column : str, optional
        Boolean column flagging bot traffic; flagged events are excluded (counted).
    max_user_events : int, optional
        Users with more events than this (after the window and the bot filter) are excluded as
        outliers, with all their events (counted).
    engine : None, "duckdb" or pyspark.sql.SparkSession
        Where the aggregation runs: embedded DuckDB (default) or the given Spark session.
    table : str, optional
        The table or view name when ``source`` is a DuckDB connection.
    check_selection : bool, default True
        Audit whether the rated cells differ from the exposed ones on the segment columns
        (:func:`alignlab.sampling.audit_representativeness`, rated exposures against all exposures)
        and warn in ``notes`` when they do.
    confidence_level, random_state
        For the selection audit's intervals.

    Returns
    -------
    OnlineJudgments
        A Judgments whose ``aggregates`` are the per-item ``successes``/``trials`` of each binary signal
        (method ``online``), with ``cells``, ``numeric``, ``event_exclusions`` and the selection audit.

    Raises
    ------
    EventsError
        Missing columns, mixed schemas across files, an empty glob, non-binary values in a binary
        signal, timestamps without a time zone: one message naming the file and the column.

    Notes
    -----
    Counts per cell: ``exposures`` = events (``dedup="last"``: distinct users), ``trials`` = events
    whose signal is present, ``successes`` = those equal to 1; the feedback rate is trials / exposures.
    The work is one ``GROUP BY`` (two with dedup) compiled by Ibis for the engine; filters add one
    counting pass each. See ``docs/online.md`` for the exact rules.

    Examples
    --------
    >>> import pandas as pd
    >>> from alignlab.online import events
    >>> log = pd.DataFrame({"item_id": ["a", "a", "a", "b", "b"], "locale": ["en", "en", "ja", "en", "ja"],
    ...                     "thumbs_up": [1, None, 0, 1, 1]})
    >>> online = events(log, signal="thumbs_up", segments="locale", check_selection=False)
    >>> online.aggregates[["item_id", "rater_id", "successes", "trials", "exposures"]]
      item_id   rater_id  successes  trials  exposures
    0       a  thumbs_up          1       2          3
    1       b  thumbs_up          2       2          2
    """
    binary = _as_list(signal)
    numbers = _as_list(numeric)
    segment_cols = _as_list(segments)
    if not binary and not numbers:
        raise EventsError("no signal named", "pass signal='<binary column>' (thumbs up, copy ...) and/or "
                          "numeric='<numeric column>'")
    if dedup == "last" and (user is None or timestamp is None):
        raise EventsError("dedup='last' needs the user and the time of each event",
                          "pass user='<user id column>' and timestamp='<event time column>'")
    if (start is not None or end is not None) and timestamp is None:
        raise EventsError("a time window needs the event time", "pass timestamp='<event time column>'")
    if max_user_events is not None and user is None:
        raise EventsError("max_user_events needs the user of each event", "pass user='<user id column>'")
    roles: dict[str, str] = {item: "item"}
    for name in binary:
        roles[name] = "signal"
    for name in numbers:
        roles[name] = "numeric"
    for name, role in ((system, "system"), (user, "user"), (timestamp, "timestamp"), (bot_column, "bot_column")):
        if name is not None:
            roles[name] = role
    for name in segment_cols:
        roles[name] = "segments"
    used = [item, *binary, *numbers, *segment_cols] + [c for c in (system, user, timestamp, bot_column) if c]
    repeated = sorted({c for c in used if used.count(c) > 1})
    if repeated:
        raise EventsError(f"the column {repeated[0]!r} is named for two roles", "give each role its own column",
                          column=repeated[0])
    lo, hi = _as_timestamp(start, "start"), _as_timestamp(end, "end")

    src = open_source(source, engine=engine, table=table)
    check_schema(src, roles, binary=binary, numeric=numbers, timestamp=timestamp)
    cells_wide, counts = _aggregate(src, item=item, binary=binary, numbers=numbers, system=system,
                                    segments=segment_cols, user=user, timestamp=timestamp, lo=lo, hi=hi,
                                    dedup=dedup, bot_column=bot_column, max_user_events=max_user_events)
    return _build(src, cells_wide, counts, item=item, binary=binary, numbers=numbers, system=system,
                  segments=segment_cols, check_selection=check_selection, confidence_level=confidence_level,
                  random_state=random_state,
                  options={"dedup": dedup, "start": None if start is None else str(start),
                           "end": None if end is None else str(end), "bot_column": bot_column,
                           "max_user_events": max_user_events, "user": user, "timestamp": timestamp})


# -- the engine work ----------------------------------------------------------------------------------
def _signal_value(table: Any, name: str) -> Any:
    import ibis

    column = table[name]
    if not column.type().is_boolean():
        return column
    # a CASE, not CAST(... AS BIGINT): DuckDB pushes such a cast into its CSV reader, which then fails
    # to parse the text "False" as an integer
    return ibis.ifelse(column.isnull(), ibis.null("int64"), ibis.ifelse(column, 1, 0).cast("int64"))


def _aggregate(src: EventSource, *, item: str, binary: list[str], numbers: list[str], system: str | None,
               segments: list[str], user: str | None, timestamp: str | None, lo: Any, hi: Any, dedup: str,
               bot_column: str | None, max_user_events: int | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The cell table (one row per item x system x segments, signals as columns) and exclusion counts."""
    import ibis

    t = src.table
    keys = [item] + ([system] if system else []) + segments
    counts: dict[str, Any] = {"excluded": []}
    one = ibis.literal(1)
    zero = ibis.literal(0)

    # filters: one counting pass for the window / bot / missing-user rules, when any is asked for
    conditions: list[tuple[str, str | None, Any, str]] = []
    keep = ibis.literal(True)
    if lo is not None or hi is not None:
        ts = t[timestamp]
        inside = ts.notnull()
        if lo is not None:
            inside = inside & (ts >= lo)
        if hi is not None:
            inside = inside & (ts < hi)
        conditions.append(("outside the time window (or no time)", timestamp, ~inside,
                           "widen start=/end= or fill in the event time"))
        keep = keep & inside
    if bot_column is not None:
        bot = t[bot_column].cast("boolean").fill_null(False)
        conditions.append(("flagged as bot traffic", bot_column, keep & bot, "drop bot_column= to count them"))
        keep = keep & ~bot
    if dedup == "last":
        missing = t[user].isnull() | t[timestamp].isnull()
        conditions.append(("no user or no time (needed by dedup='last')", user, keep & missing,
                           "fill in the user id and the time, or pass dedup='none'"))
        keep = keep & ~missing
    elif max_user_events is not None:
        missing = t[user].isnull()
        conditions.append(("no user (needed by max_user_events)", user, keep & missing,
                           "fill in the user id or drop max_user_events="))
        keep = keep & ~missing
    if conditions:
        metrics = {"n_events": t.count()}
        metrics.update({f"c{k}": ibis.ifelse(cond, one, zero).sum() for k, (_, _, cond, _) in enumerate(conditions)})
        row = src.execute(t.aggregate(**metrics)).iloc[0]
        counts["n_events"] = int(row["n_events"])
        for k, (reason, column, _, fix) in enumerate(conditions):
            n = int(row[f"c{k}"]) if pd.notna(row[f"c{k}"]) else 0
            counts["excluded"].append({"reason": reason, "column": column, "n_events": n, "n_users": np.nan,
                                       "fix": fix})
        t = t.filter(keep)
    if max_user_events is not None:
        per_user = t.group_by(user).aggregate(_n_user_events=t.count())
        heavy = per_user.filter(per_user["_n_user_events"] > max_user_events)
        row = src.execute(heavy.aggregate(n_users=heavy.count(), n_events=heavy["_n_user_events"].sum())).iloc[0]
        counts["excluded"].append({
            "reason": f"users with more than {max_user_events:,} events (bots / outliers)", "column": user,
            "n_events": int(row["n_events"]) if pd.notna(row["n_events"]) else 0,
            "n_users": int(row["n_users"]), "fix": "raise max_user_events= to keep them"})
        heavy_users = heavy.select(user)
        t = t.anti_join(heavy_users, user)

    # binary signals stored as numbers hold only 0/1: one scalar pass over those columns (much cheaper than
    # a per-cell check inside the grouped aggregation), so the aggregation can use plain SUM(value)
    checked = [(k, name) for k, name in enumerate(binary) if not src.table[name].type().is_boolean()]
    if checked:
        raw = src.table
        check = {f"bad_{k}": ibis.ifelse(raw[name].notnull() & ~raw[name].isin([0, 1]), one, zero).sum()
                 for k, name in checked}
        found = src.execute(raw.aggregate(**check)).iloc[0]
        for k, name in checked:
            n_bad = int(found[f"bad_{k}"]) if pd.notna(found[f"bad_{k}"]) else 0
            if n_bad:
                file, value = find_bad_value(src, name, f"\"{name}\" IS NOT NULL AND CAST(\"{name}\" AS DOUBLE) "
                                                        "NOT IN (0, 1)")
                shown = "" if value is None else f" (e.g. {value!r})"
                raise EventsError(f"the binary signal has {n_bad:,} values other than 0/1{shown}",
                                  "declare it numeric= if it is a count or a score, or map it to 0/1 (missing = "
                                  "no feedback)", file=file, column=name)

    # the aggregation ----------------------------------------------------------------------------------
    if dedup == "last":
        epoch = ibis.timestamp("1970-01-01 00:00:00", timezone="UTC")
        micros = t[timestamp].delta(epoch, unit="microsecond")
        pair: dict[str, Any] = {"_events": t.count()}
        for k, name in enumerate(binary):
            v = _signal_value(t, name)
            # latest rated event wins, ties to the positive value: max over (time * 2 + value)
            pair[f"_key{k}"] = ibis.ifelse(v.notnull(), micros * 2 + v.cast("int64"), ibis.null("int64")).max()
        for k, name in enumerate(numbers):
            pair[f"_num{k}"] = t[name].cast("float64").mean()
        pairs = t.group_by([user, *keys]).aggregate(**pair)
        agg: dict[str, Any] = {"exposures": pairs.count(), "events": pairs["_events"].sum()}
        for k, _name in enumerate(binary):
            key = pairs[f"_key{k}"]
            agg[f"trials_{k}"] = ibis.ifelse(key.notnull(), one, zero).sum()
            agg[f"successes_{k}"] = ibis.ifelse(key.notnull() & ((key % 2) == 1), one, zero).sum()
        for k, _name in enumerate(numbers):
            x = pairs[f"_num{k}"]
            agg[f"n_{k}"] = x.count()
            agg[f"sum_{k}"] = x.sum()
            agg[f"sumsq_{k}"] = (x * x).sum()
        expr = pairs.group_by(keys).aggregate(**agg)
    else:
        agg = {"exposures": t.count()}
        for k, name in enumerate(binary):
            column = t[name]
            agg[f"trials_{k}"] = column.count()  # COUNT(col): the non-missing values, the cheapest aggregate
            if column.type().is_boolean():  # binary by type: no value check to make
                agg[f"successes_{k}"] = ibis.ifelse(column, one, zero).sum()
                continue
            agg[f"successes_{k}"] = column.sum()  # 0/1 values (checked above): the sum counts the ones
        for k, name in enumerate(numbers):
            x = t[name].cast("float64")
            agg[f"n_{k}"] = x.count()
            agg[f"sum_{k}"] = x.sum()
            agg[f"sumsq_{k}"] = (x * x).sum()
        expr = t.group_by(keys).aggregate(**agg)
    # sorted in the engine (cheap on the cells), so the tables come out in the same order on every engine
    wide = src.execute(expr.order_by(keys))
    if "events" not in wide.columns:
        wide["events"] = wide["exposures"]
    null_item = wide[item].isna().to_numpy()
    if null_item.any():
        counts["excluded"].append({"reason": "no item id", "column": item,
                                   "n_events": int(wide.loc[null_item, "events"].sum()), "n_users": np.nan,
                                   "fix": "fill in the item id of every event"})
        wide = wide.loc[~null_item]
    if dedup == "last":
        counts["excluded"].append({
            "reason": "repeated events of a user on an item (dedup='last' keeps one per user and cell)",
            "column": user, "n_events": int(wide["events"].sum() - wide["exposures"].sum()), "n_users": np.nan,
            "fix": "pass dedup='none' to count every event"})
    if "n_events" not in counts:
        counts["n_events"] = int(wide["events"].sum()) + sum(e["n_events"] for e in counts["excluded"])
    counts["n_events_used"] = int(wide["exposures"].sum())
    return wide.reset_index(drop=True), counts


# -- from the engine's table to the Judgments ----------------------------------------------------------
def _build(src: EventSource, wide: pd.DataFrame, counts: dict[str, Any], *, item: str, binary: list[str],
           numbers: list[str], system: str | None, segments: list[str], check_selection: bool,
           confidence_level: float, random_state: Any, options: dict[str, Any]) -> OnlineJudgments:
    rename = {item: "item_id"}
    if system:
        rename[system] = "system"
    wide = wide.rename(columns=rename).reset_index(drop=True)
    cell_columns = (("system",) if system else ()) + tuple(segments)
    key_cols = ["item_id", *cell_columns]
    exposures = wide["exposures"].to_numpy(np.int64)
    parts = []
    for k, name in enumerate(binary):
        part = wide[key_cols].copy()
        part["signal"] = name
        part["exposures"] = exposures
        part["trials"] = pd.to_numeric(wide[f"trials_{k}"]).fillna(0).to_numpy(np.int64)
        part["successes"] = pd.to_numeric(wide[f"successes_{k}"]).fillna(0).to_numpy(np.int64)
        parts.append(part)
    cells = (pd.concat(parts, ignore_index=True) if parts else
             pd.DataFrame(columns=[*key_cols, "signal", "exposures", "trials", "successes"]))
    numeric_parts = []
    for k, name in enumerate(numbers):
        part = wide[key_cols].copy()
        part["signal"] = name
        part["exposures"] = exposures
        n = pd.to_numeric(wide[f"n_{k}"]).fillna(0).to_numpy(np.int64)
        total = pd.to_numeric(wide[f"sum_{k}"]).fillna(0.0).to_numpy(float)
        sumsq = pd.to_numeric(wide[f"sumsq_{k}"]).fillna(0.0).to_numpy(float)
        part["n"] = n
        part["sum"] = total
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
            var = np.where(n > 1, (sumsq - n * mean**2) / np.maximum(n - 1, 1), np.nan)
        part["mean"] = mean
        part["sd"] = np.sqrt(np.clip(var, 0, None))
        numeric_parts.append(part)
    numeric_table = (pd.concat(numeric_parts, ignore_index=True) if numeric_parts else
                     pd.DataFrame(columns=[*key_cols, "signal", "exposures", "n", "sum", "mean", "sd"]))

    # item-level aggregates (summed over segments) for the Judgments -------------------------------------
    item_keys = ["item_id"] + (["system"] if system else [])
    notes: list[str] = []
    # one grouped sum over the wide cell table (all signals at once), then long
    count_cols = ["exposures"] + [f"{kind}_{k}" for k in range(len(binary)) for kind in ("trials", "successes")]
    summed = wide[item_keys + count_cols].groupby(item_keys, sort=True, dropna=False).sum().reset_index()
    per_item = pd.concat([
        pd.DataFrame({**{c: summed[c].to_numpy() for c in item_keys}, "signal": name,
                      "successes": summed[f"successes_{k}"].to_numpy(np.int64),
                      "trials": summed[f"trials_{k}"].to_numpy(np.int64),
                      "exposures": summed["exposures"].to_numpy(np.int64)})
        for k, name in enumerate(binary)], ignore_index=True) if binary else pd.DataFrame(
        columns=[*item_keys, "signal", "successes", "trials", "exposures"])
    per_item = per_item.sort_values([*item_keys, "signal"], kind="stable").reset_index(drop=True)
    rated = per_item[per_item["trials"] > 0]
    unrated = int((per_item["trials"] == 0).sum())
    if unrated:
        notes.append(f"{unrated:,} item x signal pairs were exposed but never rated (kept in .cells with "
                     "trials = 0, absent from .aggregates)")
    frame = pd.DataFrame({
        "item_id": rated["item_id"].to_numpy(), "rater_id": rated["signal"].to_numpy(), "method": "online",
        "successes": rated["successes"].to_numpy(np.int64), "trials": rated["trials"].to_numpy(np.int64),
    })
    if system:
        frame["system"] = rated["system"].to_numpy()
    if frame.empty:
        if numbers and not binary:
            raise EventsError("only numeric signals were given; alignlab's online aggregates are binary "
                              "successes/trials", "add signal='<binary column>' (the numeric summaries are "
                              "computed anyway by passing both)")
        raise EventsError("no event carries the signal (every value is missing, or every event was excluded)",
                          "check the signal column and the filters", file=src.label, column=binary[0])
    base = load_judgments(frame, successes="successes", trials="trials", segments=[])
    aggregates = base.aggregates.copy()
    aggregates["exposures"] = rated["exposures"].to_numpy(np.int64)

    excluded = pd.DataFrame(counts["excluded"], columns=["reason", "column", "n_events", "n_users", "fix"])
    for rec in excluded.itertuples(index=False):
        if rec.n_events:
            notes.append(f"excluded {int(rec.n_events):,} events: {rec.reason}")
    notes.append(f"{counts['n_events']:,} events read on {src.engine}; {counts['n_events_used']:,} exposures "
                 f"counted in {len(wide):,} cells")

    selection = None
    if check_selection and segments and binary and len(cells):
        selection = _selection_audit(cells[cells["signal"] == binary[0]], list(segments), confidence_level,
                                     random_state, notes)
    out = OnlineJudgments(base.frame, base.scale, segments=(), aggregates=aggregates, exclusions=base.exclusions,
                          notes=(*base.notes, *notes))
    out.cells = cells
    out.numeric = numeric_table
    out.event_exclusions = excluded
    out.cell_columns = cell_columns
    out.signals = tuple(binary)
    out.numeric_signals = tuple(numbers)
    out.engine = src.engine
    out.n_events = int(counts["n_events"])
    out.n_events_used = int(counts["n_events_used"])
    out.options = options
    out.selection = selection
    return out


def _selection_audit(cells: pd.DataFrame, segments: list[str], confidence_level: float, random_state: Any,
                     notes: list[str]) -> Any:
    """Rated exposures against all exposures on the segment columns; a note when they differ."""
    from alignlab.sampling import audit_representativeness

    by = cells.groupby(segments, dropna=False, sort=True)[["exposures", "trials"]].sum().reset_index()
    for column in segments:  # the audit compares levels as text
        by[column] = by[column].astype(object).where(by[column].notna(), None)
    rated = by[by["trials"] > 0]
    if rated.empty or by["exposures"].sum() <= 0:
        return None
    audit = audit_representativeness(
        rated[segments], by[segments + ["exposures"]], segments=segments, production_weights="exposures",
        eval_weights=rated["trials"].to_numpy(float), classifier=False, find_slices=False, n_resamples=200,
        confidence_level=confidence_level, random_state=check_random_state(random_state))
    table = audit.table[audit.table["kind"] == "column"]
    shifted = table[table["significant"] & (np.abs(table["log_ratio"]) > np.log(_SELECTION_RATIO))]
    if len(shifted):
        worst = shifted.reindex(shifted["log_ratio"].abs().sort_values(ascending=False).index).head(3)
        named = "; ".join(
            f"{r.segment}={r.level}: {r.eval_share:.1%} of ratings vs {r.production_share:.1%} of exposures"
            for r in worst.itertuples(index=False))
        notes.append(f"selection: the rated exposures differ from the exposed ones on the segments ({named}; "
                     f"total variation {audit.tvd:.3f}); naive online rates are biased towards the over-rated "
                     "segments: use alignlab.online.ipw_rate for the selection-corrected rate")
    return audit


def with_online(judgments: Judgments, online: Judgments) -> Judgments:
    """The judgments (humans, judges) with the online aggregates of ``online`` added.

    Items of ``online`` that are not in ``judgments`` are kept in the aggregates (the models use the
    shared items). Signals already present in ``judgments.aggregates`` are replaced.

    Examples
    --------
    >>> import pandas as pd, alignlab
    >>> from alignlab.online import events, with_online
    >>> j = alignlab.load_judgments(pd.DataFrame({"item_id": ["a", "b"], "rater_id": "judge", "value": [1.0, 0.0]}),
    ...                             scale="continuous")
    >>> log = pd.DataFrame({"item_id": ["a", "a", "b"], "thumbs_up": [1, 1, 0]})
    >>> both = with_online(j, events(log, signal="thumbs_up", check_selection=False))
    >>> both.aggregates[["item_id", "rater_id", "successes", "trials"]].to_dict("records")
    [{'item_id': 'a', 'rater_id': 'thumbs_up', 'successes': 2, 'trials': 2}, {'item_id': 'b', 'rater_id': 'thumbs_up', 'successes': 0, 'trials': 1}]
    """
    if online.aggregates is None or online.aggregates.empty:
        raise DataError("The 'online' table has no online aggregates; build it with alignlab.online.events(...).")
    new = online.aggregates.drop(columns=["source_row", "weight"], errors="ignore").copy()
    # the same item id type on both sides (a CSV of judgments may hold ids as text, Parquet events as ints)
    items = judgments.items
    if not pd.api.types.is_numeric_dtype(items.dtype) and pd.api.types.is_numeric_dtype(new["item_id"].dtype):
        new["item_id"] = new["item_id"].astype(str)
    elif pd.api.types.is_numeric_dtype(items.dtype) and not pd.api.types.is_numeric_dtype(new["item_id"].dtype):
        as_number = pd.to_numeric(new["item_id"], errors="coerce")
        if as_number.notna().all():
            new["item_id"] = as_number.astype(items.dtype)
    shared = int(items.isin(pd.unique(new["item_id"])).sum()) if len(items) else 0
    if len(judgments.frame) and shared == 0:
        raise DataError(f"No item of the online signals is among the judged items (online ids e.g. "
                         f"{list(pd.unique(new['item_id'])[:3])}, judged ids e.g. {list(items[:3])}); check that "
                         "both use the same item id column.")
    if judgments.has("system") and "system" not in new.columns:
        new = new.merge(judgments.item_info[["item_id", "system"]], on="item_id", how="left")
    old = judgments.aggregates
    if old is not None and len(old):
        old = old[~old["rater_id"].isin(set(new["rater_id"]))]
        new = pd.concat([old, new], ignore_index=True)
    rater_clash = set(new["rater_id"]) & set(judgments.raters)
    if rater_clash:
        raise DataError(f"Online signal names {sorted(map(str, rater_clash))} are also rater ids of the judgments; "
                         "rename the signal column.")
    notes = (*judgments.notes, *(n for n in online.notes if n not in judgments.notes),
             f"online signals cover {shared:,} of the {len(items):,} judged items")
    out = Judgments(judgments.frame, judgments.scale, segments=judgments.segments, aggregates=new.reset_index(drop=True),
                    exclusions=judgments.exclusions, notes=notes)
    for cached in ("_item_factor", "_rater_factor", "label_codes", "_has_repeated_pairs"):
        if cached in judgments.__dict__:
            out.__dict__[cached] = judgments.__dict__[cached]
    return out


def _from_cells(cells: pd.DataFrame, *, cell_columns: Sequence[str] = (), check_selection: bool = False,
                random_state: Any = None) -> OnlineJudgments:
    """An :class:`OnlineJudgments` from counts already aggregated per cell (``item_id``, the cell columns,
    ``signal``, ``exposures``, ``trials``, ``successes``): simulations and tests of the selection methods."""
    signals = list(pd.unique(cells["signal"]))
    keys = ["item_id", *cell_columns]
    wide = None
    for k, name in enumerate(signals):
        part = cells[cells["signal"] == name][[*keys, "exposures", "trials", "successes"]].rename(
            columns={"trials": f"trials_{k}", "successes": f"successes_{k}"})
        wide = part if wide is None else wide.merge(part.drop(columns=["exposures"]), on=keys, how="outer")
    if wide is None:
        raise DataError("The cell table has no signal rows.")
    src = EventSource(table=None, backend=None, engine="precomputed", label="the cell table")
    system = "system" if "system" in cell_columns else None
    segments = [c for c in cell_columns if c != "system"]
    counts = {"excluded": [], "n_events": int(wide["exposures"].sum()), "n_events_used": int(wide["exposures"].sum())}
    return _build(src, wide, counts, item="item_id", binary=signals, numbers=[], system=system, segments=segments,
                  check_selection=check_selection, confidence_level=0.95, random_state=random_state, options={})
