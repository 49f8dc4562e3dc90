"""Store: evaluation runs kept over time in an embedded DuckDB database (append-only, plain SQL).

The default file is ``alignlab.duckdb``; any DuckDB connection string works (a path, ``":memory:"``,
``"md:..."`` for a shared MotherDuck database), or an open ``duckdb`` connection. A run is written in
one transaction: a writer killed half-way leaves no partial run, only the runs committed before it.
Nothing is ever updated or deleted, and a run id cannot be written twice.

Two writers: DuckDB lets one process at a time open a database file for writing (a file lock). The
store opens the file only for the duration of one write or read and, when another process holds the
lock, retries with growing waits up to ``timeout`` seconds, then raises :class:`StoreLockedError`. The
file itself is never left corrupted: DuckDB's write-ahead log replays committed transactions only.

Schema (version :data:`SCHEMA_VERSION`, in table ``alignlab_schema``)::

    alignlab_schema(key, value)                    -- schema_version, created_by (alignlab version)
    runs(run_id, label, system, run_date, created_at, spec_hash, spec_name, spec_json,
         alignlab_version, seed, features, notes, n_rows)
    run_data(run_id, data_key, data_hash, n_judgments, n_items, n_raters)
    metric_rows(run_id, feature, metric, role, segment, ... the columns of MetricsResult.to_frame())
    judgment_copies(run_id, data_key, row_json)    -- only for Store.write(..., keep_data=True)

A store written by a newer alignlab (a higher schema version) is refused with :class:`StoreVersionError`.

Examples
--------
>>> from alignlab.metrics import Store
>>> store = Store(":memory:")
>>> store.runs().empty
True
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from alignlab._params import AlignlabError, InvalidParameterError
from alignlab.metrics.compute import METRIC_COLUMNS, MetricsResult, _version

__all__ = ["Store", "StoreError", "StoreLockedError", "StoreVersionError", "SCHEMA_VERSION", "HISTORY_COLUMNS",
           "DEFAULT_STORE"]

SCHEMA_VERSION = 1
DEFAULT_STORE = "alignlab.duckdb"

#: columns of :meth:`Store.history`, one row per (run, feature, metric, segment), oldest run first.
#: ``estimate, ci_low, ci_high, standard_error, confidence_level`` describe each run's number;
#: ``higher_is_better`` and ``min_change`` are what a trend or regression test needs to call a direction.
HISTORY_COLUMNS = (
    "run_id", "run_label", "system", "run_date", "created_at", "feature", "metric", "role", "segment",
    "statistic", "combine", "estimate", "ci_low", "ci_high", "standard_error", "confidence_level", "n",
    "effective_n", "grade", "grade_reason", "target", "target_status", "min_change", "higher_is_better",
    "spec_hash", "alignlab_version", "seed",
)

_TYPES = {
    "run_id": "VARCHAR NOT NULL", "feature": "VARCHAR NOT NULL", "metric": "VARCHAR NOT NULL",
    "role": "VARCHAR NOT NULL", "segment": "VARCHAR NOT NULL", "segment_column": "VARCHAR",
    "segment_level": "VARCHAR", "statistic": "VARCHAR", "combine": "VARCHAR", "estimate": "DOUBLE",
    "ci_low": "DOUBLE", "ci_high": "DOUBLE", "standard_error": "DOUBLE", "confidence_level": "DOUBLE",
    "n": "BIGINT", "effective_n": "DOUBLE", "sources": "VARCHAR", "weights": "VARCHAR", "grade": "VARCHAR",
    "grade_reason": "VARCHAR", "target": "DOUBLE", "target_status": "VARCHAR", "min_change": "DOUBLE",
    "higher_is_better": "BOOLEAN", "method": "VARCHAR", "ci_method": "VARCHAR", "warnings": "VARCHAR",
}
_DDL = [
    "CREATE TABLE IF NOT EXISTS alignlab_schema (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, system VARCHAR, run_date DATE NOT NULL,
        created_at TIMESTAMP NOT NULL, spec_hash VARCHAR NOT NULL, spec_name VARCHAR, spec_json VARCHAR,
        alignlab_version VARCHAR, seed BIGINT, features VARCHAR, notes VARCHAR, n_rows BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS run_data (
        run_id VARCHAR NOT NULL, data_key VARCHAR NOT NULL, data_hash VARCHAR NOT NULL, n_judgments BIGINT,
        n_items BIGINT, n_raters BIGINT, PRIMARY KEY (run_id, data_key))""",
    "CREATE TABLE IF NOT EXISTS metric_rows ("
    + ", ".join(f"{c} {_TYPES[c]}" for c in METRIC_COLUMNS)
    + ", PRIMARY KEY (run_id, feature, metric, segment))",
    "CREATE TABLE IF NOT EXISTS judgment_copies (run_id VARCHAR NOT NULL, data_key VARCHAR NOT NULL, "
    "row_json VARCHAR NOT NULL)",
]


class StoreError(AlignlabError, ValueError):
    """The store cannot do what was asked (and says why and what to do)."""


class StoreLockedError(StoreError):
    """Another process held the store's file lock for longer than the timeout."""


class StoreVersionError(StoreError):
    """The store was written by a newer alignlab (a higher schema version)."""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise StoreError("alignlab.metrics.Store needs the duckdb package: pip install duckdb") from exc
    return duckdb


class Store:
    """Evaluation runs kept over time (append-only), in DuckDB.

    Parameters
    ----------
    path : str or Path or duckdb connection, default "alignlab.duckdb"
        A database file (created when missing), any DuckDB connection string, or an open connection.
    timeout : float, default 30
        Seconds to wait for another process's lock before :class:`StoreLockedError`.
    create : bool, default True
        Create the file (and the tables) when missing; ``False`` raises :class:`StoreError` instead
        (for readers: a typo in the path never creates an empty store).

    Examples
    --------
    >>> from alignlab.metrics import Store, compute, load_spec
    >>> from alignlab.metrics.examples import load_release, spec_path
    >>> store = Store(":memory:")
    >>> run_id = store.write(compute(load_spec(spec_path()), load_release("2025.1"), run="2025.1",
    ...                              n_resamples=200))
    >>> store.history(feature="chat", metric="tie rate")[["run_label", "estimate"]].round(3)
      run_label  estimate
    0    2025.1     0.106
    """

    def __init__(self, path: str | Path | Any = DEFAULT_STORE, *, timeout: float = 30.0, create: bool = True) -> None:
        duckdb = _duckdb()
        self.timeout = float(timeout)
        self._con = None
        if isinstance(path, duckdb.DuckDBPyConnection):
            self._con, self.path = path, "(connection)"
        else:
            self.path = str(path)
            if self.path.startswith("~"):
                self.path = str(Path(self.path).expanduser())
            if self.path == ":memory:" or self.path.startswith(":memory:"):
                self._con = duckdb.connect(self.path)
        if create or self._con is not None:
            with self._connect(write=True) as con:
                self._ensure_schema(con)
        else:
            with self._connect(write=False) as con:
                self._check_version(con)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # -- connections ---------------------------------------------------------------------------------
    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Any]:
        if self._con is not None:
            yield self._con
            return
        duckdb = _duckdb()
        if not write and not Path(self.path).exists() and "://" not in self.path and not self.path.startswith("md:"):
            raise StoreError(f"There is no store at {self.path!r}; write a run first "
                             "(alignlab metrics compute ... --store PATH).")
        deadline = time.monotonic() + self.timeout
        wait = 0.02
        while True:
            try:
                con = duckdb.connect(self.path, read_only=not write)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(f"Cannot open the store {self.path!r}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"The store {self.path!r} is in use by another process and stayed locked for "
                        f"{self.timeout:g} s ({exc}). Wait for the other writer to finish, or pass a "
                        "longer timeout (Store(path, timeout=...))."
                    ) from exc
                time.sleep(wait * (0.5 + random.random()))
                wait = min(wait * 1.6, 0.5)
        try:
            yield con
        finally:
            con.close()

    def _ensure_schema(self, con: Any) -> None:
        tables = set(con.execute("SELECT table_name FROM information_schema.tables").fetchdf()["table_name"])
        if "alignlab_schema" in tables:
            self._check_version(con)
            if {"runs", "run_data", "metric_rows", "judgment_copies"} <= tables:
                return
        con.execute("BEGIN TRANSACTION")
        try:
            for ddl in _DDL:
                con.execute(ddl)
            con.execute("INSERT INTO alignlab_schema SELECT 'schema_version', ? WHERE NOT EXISTS "
                        "(SELECT 1 FROM alignlab_schema WHERE key = 'schema_version')", [str(SCHEMA_VERSION)])
            con.execute("INSERT INTO alignlab_schema SELECT 'created_by', ? WHERE NOT EXISTS "
                        "(SELECT 1 FROM alignlab_schema WHERE key = 'created_by')", [f"alignlab {_version()}"])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def _check_version(self, con: Any) -> int:
        tables = set(con.execute("SELECT table_name FROM information_schema.tables").fetchdf()["table_name"])
        if not {"alignlab_schema", "runs", "metric_rows"} <= tables:
            raise StoreError(f"The database {self.path!r} is not an alignlab store (no alignlab_schema/runs/"
                             "metric_rows tables); write a run into it first or use another file.")
        row = con.execute("SELECT value FROM alignlab_schema WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise StoreError(f"The database {self.path!r} has an alignlab_schema table without a schema_version; "
                             "it was not written by alignlab. Use another file.")
        version = int(row[0])
        if version > SCHEMA_VERSION:
            by = con.execute("SELECT value FROM alignlab_schema WHERE key = 'created_by'").fetchone()
            raise StoreVersionError(
                f"The store {self.path!r} has schema version {version} (written by {by[0] if by else 'a newer alignlab'}); "
                f"this alignlab ({_version()}) reads schema versions up to {SCHEMA_VERSION}. Upgrade alignlab "
                "(pip install -U alignlab) to read it; nothing was changed."
            )
        return version

    @property
    def schema_version(self) -> int:
        with self._connect(write=False) as con:
            return self._check_version(con)

    # -- writing ---------------------------------------------------------------------------------------
    def write(self, result: MetricsResult, *, keep_data: Mapping[str, Any] | None = None) -> str:
        """Append one computed run (in one transaction); returns its run id.

        Parameters
        ----------
        result : MetricsResult
        keep_data : mapping of str to Judgments, optional
            Also store copies of these judgments tables (one JSON row per judgment); by default only
            their hashes are kept.
        """
        if not isinstance(result, MetricsResult):
            raise InvalidParameterError(f"Store.write takes a MetricsResult (from alignlab.metrics.compute); got "
                            f"{type(result).__name__}.")
        with self._connect(write=True) as con:
            self._check_version(con)
            exists = con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [result.run.run_id]).fetchone()[0]
            if exists:
                raise StoreError(f"Run {result.run.run_id!r} is already in the store; runs are never overwritten. "
                                 "Compute the run again for a new run id.")
            con.execute("BEGIN TRANSACTION")
            try:
                self._insert_run(con, result)
                self._insert_metric_rows(con, result)
                if keep_data:
                    self._insert_copies(con, result, keep_data)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return result.run.run_id

    def _insert_run(self, con: Any, result: MetricsResult) -> None:
        run = result.run
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, CAST(? AS DATE), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.label, run.system, run.date, run.created_at.replace("+00:00", ""), run.spec_hash,
             run.spec_name, json.dumps(result.spec.to_dict(), sort_keys=True, default=str), run.alignlab_version,
             run.seed, json.dumps(list(run.features)), run.notes, len(result.table)],
        )
        for key, data_hash, n_judgments, n_items, n_raters in run.data:
            con.execute("INSERT INTO run_data VALUES (?, ?, ?, ?, ?, ?)",
                        [run.run_id, key, data_hash, n_judgments, n_items, n_raters])

    def _insert_metric_rows(self, con: Any, result: MetricsResult) -> None:
        frame = result.table.reindex(columns=list(METRIC_COLUMNS)).copy()
        for column, kind in _TYPES.items():
            if kind.startswith("VARCHAR"):
                frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
                frame[column] = frame[column].map(lambda v: v if v is None else str(v))
        frame["higher_is_better"] = frame["higher_is_better"].astype(bool)
        con.register("_alignlab_rows", frame)
        try:
            con.execute(f"INSERT INTO metric_rows SELECT {', '.join(METRIC_COLUMNS)} FROM _alignlab_rows")
        finally:
            con.unregister("_alignlab_rows")

    def _insert_copies(self, con: Any, result: MetricsResult, keep_data: Mapping[str, Any]) -> None:
        for key, judgments in keep_data.items():
            frame = judgments.frame if hasattr(judgments, "frame") else pd.DataFrame(judgments)
            copies = pd.DataFrame({"run_id": result.run.run_id, "data_key": str(key),
                                   "row_json": frame.to_json(orient="records", lines=True).splitlines()})
            con.register("_alignlab_copies", copies)
            try:
                con.execute("INSERT INTO judgment_copies SELECT run_id, data_key, row_json FROM _alignlab_copies")
            finally:
                con.unregister("_alignlab_copies")

    # -- reading ---------------------------------------------------------------------------------------
    def sql(self, query: str, parameters: list[Any] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query on the store (the tables of the module docstring)."""
        with self._connect(write=False) as con:
            self._check_version(con)
            return con.execute(query, parameters or []).fetchdf()

    def runs(self) -> pd.DataFrame:
        """One row per run, oldest first."""
        return self.sql("SELECT run_id, label, system, run_date, created_at, spec_hash, spec_name, alignlab_version, "
                        "seed, features, notes, n_rows FROM runs ORDER BY run_date, created_at")

    def rows(self, run_id: str | None = None) -> pd.DataFrame:
        """The metric rows of one run (default: the latest)."""
        if run_id is None:
            latest = self.runs()
            if latest.empty:
                raise StoreError(f"The store {self.path!r} has no run yet.")
            run_id = str(latest["run_id"].iloc[-1])
        return self.sql("SELECT * FROM metric_rows WHERE run_id = ? ORDER BY feature, role, metric, segment", [run_id])

    def data_hashes(self) -> pd.DataFrame:
        """The judgments' hashes of every run (``run_data``)."""
        return self.sql("SELECT * FROM run_data ORDER BY run_id, data_key")

    def judgment_copies(self, run_id: str, data_key: str) -> pd.DataFrame:
        """The judgments stored with ``keep_data`` for one run and data key."""
        rows = self.sql("SELECT row_json FROM judgment_copies WHERE run_id = ? AND data_key = ?", [run_id, data_key])
        return pd.DataFrame([json.loads(r) for r in rows["row_json"]])

    def history(self, feature: str | None = None, metric: str | None = None, segment: str | None = "all", *,
                role: str | None = None, last: int | None = None) -> pd.DataFrame:
        """The time series of metric values with intervals (:data:`HISTORY_COLUMNS`), oldest run first.

        Parameters
        ----------
        feature, metric, segment, role : str, optional
            Filters (``segment="all"``, the overall rows, by default; ``None`` keeps every segment).
        last : int, optional
            Keep the last ``last`` runs of each series.
        """
        where, params = [], []
        for column, value in (("m.feature", feature), ("m.metric", metric), ("m.segment", segment), ("m.role", role)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        query = (
            "SELECT m.run_id, r.label AS run_label, r.system, r.run_date, r.created_at, m.feature, m.metric, m.role, "
            "m.segment, m.statistic, m.combine, m.estimate, m.ci_low, m.ci_high, m.standard_error, m.confidence_level, "
            "m.n, m.effective_n, m.grade, m.grade_reason, m.target, m.target_status, m.min_change, m.higher_is_better, "
            "r.spec_hash, r.alignlab_version, r.seed FROM metric_rows m JOIN runs r USING (run_id)"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY m.feature, m.metric, m.segment, r.run_date, r.created_at"
        )
        out = self.sql(query, params)
        if last is not None and not out.empty:
            out = out.groupby(["feature", "metric", "segment"], sort=False, group_keys=False).tail(last)
        out = out.sort_values(["run_date", "created_at", "feature", "metric", "segment"], kind="stable")
        return out.reset_index(drop=True).reindex(columns=list(HISTORY_COLUMNS))
