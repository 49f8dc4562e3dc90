"""Where the events live: files, a DuckDB database, an Ibis table or a Spark session, as one Ibis table.

Everything here is about *reaching* the data and checking its schema before the engine runs, so that a
bad log fails with one sentence naming the file and the column instead of a DuckDB or Java traceback.
The aggregation itself (:mod:`alignlab.online.events`) is written once against the Ibis table this
module returns and runs unchanged on DuckDB (embedded, the default) or PySpark.
"""

from __future__ import annotations

import difflib
import glob
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alignlab._params import AlignlabError

__all__ = ["EventsError", "EventSource", "open_source", "engine_errors"]

T = TypeVar("T")

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv",
            ".jsonl": "json", ".ndjson": "json", ".json": "json"}
_COMPRESSION = (".gz", ".zst", ".bz2", ".xz")


class EventsError(AlignlabError, ValueError):
    """An event log that cannot be aggregated: names the file (when known), the column and the fix.

    Attributes
    ----------
    file, column : str or None
    problem, fix : str
    """

    def __init__(self, problem: str, fix: str, *, file: str | None = None, column: str | None = None) -> None:
        self.file, self.column, self.problem, self.fix = file, column, problem, fix
        where = []
        if file is not None:
            where.append(f"file {file!r}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"The event log is invalid: {prefix + ': ' if prefix else ''}{problem}. Fix: {fix}")


@dataclass
class EventSource:
    """An Ibis table over the events plus what is needed to explain problems in it."""

    table: Any  # ibis Table
    backend: Any  # ibis backend (duckdb or pyspark)
    engine: str  # "duckdb" or "pyspark"
    label: str  # what the user passed, for messages
    files: list[str] = field(default_factory=list)
    file_format: str | None = None
    schemas: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> column -> DuckDB type

    def execute(self, expr: Any) -> Any:
        """Run an Ibis expression in the engine and return a pandas frame (aggregates only)."""
        if self.engine == "pyspark":
            # Spark's own Arrow collection (pyspark >= 4): ibis's to_pyarrow goes through Spark's toPandas,
            # which pandas 3 warns about
            def collect() -> Any:
                return self.backend._session.sql(str(self.backend.compile(expr))).toArrow().to_pandas()

            return engine_errors(collect, self.label)
        return engine_errors(lambda: self.backend.to_pyarrow(expr).to_pandas(), self.label)


def _duckdb_backend() -> Any:
    """An embedded DuckDB for this call, without the progress bar it would print on long scans."""
    import ibis

    backend = ibis.duckdb.connect()
    backend.raw_sql("SET enable_progress_bar = false")
    return backend


def _is_remote(path: str) -> bool:
    return "://" in path


def _expand(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not items:
        raise EventsError("the list of event files is empty", "pass a path, a glob such as 'logs/*.parquet' "
                          "or a non-empty list of files")
    files: list[str] = []
    for item in items:
        text = os.fspath(item)
        if _is_remote(text):
            files.append(text)  # object stores: the engine expands the glob
            continue
        if glob.has_magic(text):
            matched = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not matched:
                raise EventsError(f"the glob {text!r} matches no file", "check the directory and the pattern "
                                  f"(relative to {os.getcwd()!r})", file=text)
            files += matched
        elif os.path.isdir(text):
            matched = sorted(str(p) for p in Path(text).rglob("*") if p.is_file() and _format_of(str(p)))
            if not matched:
                raise EventsError(f"the directory {text!r} holds no Parquet, CSV or JSONL file",
                                  "point at the files, e.g. 'logs/*.parquet'", file=text)
            files += matched
        elif not os.path.exists(text):
            raise EventsError("the file does not exist", "check the path", file=text)
        else:
            files.append(text)
    return files


def _format_of(path: str) -> str | None:
    suffixes = [s.lower() for s in Path(path.split("?")[0]).suffixes if s.lower() not in _COMPRESSION]
    return _FORMATS.get(suffixes[-1]) if suffixes else None


def _file_format(files: list[str]) -> str:
    kinds = {f: _format_of(f) for f in files}
    unknown = [f for f, k in kinds.items() if k is None]
    if unknown:
        raise EventsError("unknown file type", "use .parquet, .csv/.tsv or .jsonl (optionally compressed)",
                          file=unknown[0])
    found = sorted(set(kinds.values()))  # type: ignore[type-var]
    if len(found) > 1:
        first = {k: next(f for f, v in kinds.items() if v == k) for k in found}
        raise EventsError(f"the files mix formats ({', '.join(f'{k}: {v!r}' for k, v in first.items())})",
                          "aggregate one format at a time", file=first[found[1]])
    return str(found[0])


def engine_errors(func: Callable[[], T], label: str) -> T:
    """Run ``func``; an engine failure (DuckDB, Spark/Java) becomes one :class:`EventsError`."""
    try:
        return func()
    except EventsError:
        raise
    except Exception as exc:  # noqa: BLE001 - every engine error type, translated once here
        module = type(exc).__module__ or ""
        if not module.startswith(("duckdb", "_duckdb", "pyspark", "py4j", "ibis", "pyarrow")):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EventsError(f"the engine could not read or aggregate it ({type(exc).__name__}: {text[:300]})",
                          "check that every file is a valid, complete file of the stated format",
                          file=label) from None


def open_source(source: Any, *, engine: Any = None, table: str | None = None, csv_delimiter: str | None = None
                ) -> EventSource:
    """The events as an Ibis table on DuckDB (default) or on the given Spark session."""
    import ibis

    spark = engine if engine is not None and type(engine).__name__ == "SparkSession" else None
    if engine is not None and spark is None and engine not in ("duckdb",):
        raise EventsError(f"engine={engine!r} is not supported", "pass engine=None (embedded DuckDB) or a "
                          "pyspark.sql.SparkSession")
    if isinstance(source, ibis.expr.types.Table):
        backend = engine_errors(source._find_backend, "the Ibis table")
        return EventSource(source, backend, str(backend.name), "the Ibis table")
    if type(source).__module__.startswith("pyspark") and hasattr(source, "createOrReplaceTempView"):
        # a Spark DataFrame: a temporary view on its own session
        backend = ibis.pyspark.connect(source.sparkSession)
        source.createOrReplaceTempView("alignlab_events")
        label = "the Spark DataFrame"
        schema = {field.name: _spark_type_name(field.dataType) for field in source.schema.fields}
        return EventSource(backend.table("alignlab_events"), backend, "pyspark", label, schemas={label: schema})
    if type(source).__module__.startswith(("duckdb", "_duckdb")) and hasattr(source, "execute") \
            and hasattr(source, "sql"):
        if table is None:
            raise EventsError("a DuckDB connection was given without a table", "pass table='<table or view name>'")
        backend = ibis.duckdb.from_connection(source)
        names = [str(r[0]) for r in engine_errors(
            lambda: source.execute("SELECT DISTINCT table_name FROM information_schema.tables").fetchall(),
            "the DuckDB database")]
        if table not in names:
            close = difflib.get_close_matches(table, names, n=3)
            raise EventsError(f"table {table!r} is not in the DuckDB database",
                              f"pass one of {names[:10]}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                              file=table)
        return EventSource(backend.table(table), backend, "duckdb", f"DuckDB table {table!r}")
    if type(source).__module__.startswith("pandas") or hasattr(source, "__arrow_c_stream__") \
            or type(source).__module__.startswith(("pyarrow", "polars")):
        if spark is not None:
            raise EventsError("an in-memory table cannot be sent to Spark here", "write it to Parquet and pass "
                              "the path, or pass engine=None to aggregate it on DuckDB")
        import pyarrow as pa

        if type(source).__module__.startswith("pandas"):
            # via Arrow: ibis's pandas type inference reads a pandas option deprecated in pandas 3
            source = pa.Table.from_pandas(source, preserve_index=False)
        elif not isinstance(source, pa.Table):
            source = pa.table(source)
        backend = _duckdb_backend()
        return EventSource(ibis.memtable(source), backend, "duckdb", "the in-memory table")
    if not isinstance(source, str | os.PathLike | list | tuple):
        raise EventsError(f"a source of type {type(source).__name__} is not supported",
                          "pass a path or glob of Parquet/CSV/JSONL files, a DuckDB connection with table=, "
                          "an Ibis table expression or a pandas/pyarrow table")
    files = _expand(source)
    fmt = _file_format(files)
    label = files[0] if len(files) == 1 else f"{len(files)} {fmt} files ({files[0]!r} ...)"
    # every local file's schema first (metadata / a sniff): a corrupt or mismatched file is named here,
    # before an engine would fail on it with its own traceback
    schemas = file_schemas(files, fmt)
    if spark is not None:
        backend = ibis.pyspark.connect(spark)

        def spark_reader() -> Any:
            # Spark's own readers over the whole list (ibis's read_parquet takes one path)
            if fmt == "parquet":
                frame = spark.read.parquet(*files)
            elif fmt == "csv":
                sep = csv_delimiter or ("\t" if files[0].lower().split(".gz")[0].endswith(".tsv") else ",")
                frame = spark.read.csv(files, header=True, inferSchema=True, sep=sep)
            else:
                frame = spark.read.json(files)
            frame.createOrReplaceTempView("alignlab_events")
            return backend.table("alignlab_events")

        return EventSource(engine_errors(spark_reader, label), backend, "pyspark", label, files, fmt, schemas)
    backend = _duckdb_backend()
    # a view over DuckDB's own reader (not ibis's read_* wrappers, whose options vary by version)
    listed = "[" + ", ".join(_quote(f) for f in files) + "]"
    if fmt == "parquet":
        call = f"read_parquet({listed}, union_by_name = true)"
    elif fmt == "csv":
        call = f"read_csv({listed}, union_by_name = true" + (f", delim = {_quote(csv_delimiter)})" if csv_delimiter
                                                           else ")")
    else:
        call = f"read_json({listed}, union_by_name = true)"

    def reader() -> Any:
        backend.raw_sql(f"CREATE OR REPLACE TEMP VIEW alignlab_events AS SELECT * FROM {call}")
        return backend.table("alignlab_events")

    return EventSource(engine_errors(reader, label), backend, "duckdb", label, files, fmt, schemas)


# -- schema checks --------------------------------------------------------------------------------------
def _family(type_name: str) -> str:
    t = type_name.upper()
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                     "UBIGINT", "UHUGEINT", "INT")):
        return "integer"
    if t.startswith(("FLOAT", "DOUBLE", "DECIMAL", "REAL")):
        return "float"
    if t == "BOOLEAN":
        return "boolean"
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "timestamptz"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "timestamp"
    if t.startswith("VARCHAR"):
        return "text"
    return t.lower()


def file_schemas(files: list[str], file_format: str) -> dict[str, dict[str, str]]:
    """Column -> DuckDB type of every local file (metadata and a sniff only, never the data)."""
    import duckdb

    out: dict[str, dict[str, str]] = {}
    con = duckdb.connect()
    local = [f for f in files if not _is_remote(f)]
    reader = {"parquet": "read_parquet", "csv": "read_csv"}.get(file_format, "read_json")
    for f in local:
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}({_quote(f)})").fetchall()
        except duckdb.Error as exc:
            raise EventsError(f"it cannot be parsed as {file_format} ({str(exc).splitlines()[0][:200]})",
                              "fix the file or remove it from the glob", file=f) from None
        out[f] = {str(r[0]): str(r[1]) for r in described}
    return out


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def check_schema(source: EventSource, roles: dict[str, str], *, binary: Sequence[str], numeric: Sequence[str],
                 timestamp: str | None) -> None:
    """Every needed column is in every file with one type family; timestamps carry a time zone.

    ``roles`` maps a column to the keyword that named it (``item=``, ``signal=`` ...), for the message.
    """
    schemas = source.schemas
    if not schemas:  # a database table or Ibis expression: its Ibis schema
        schemas = {source.label: {name: _ibis_type_name(dtype) for name, dtype in source.table.schema().items()}}
    reference: dict[str, tuple[str, str]] = {}  # column -> (family, first file)
    for file_name, schema in schemas.items():
        for column, role in roles.items():
            if column not in schema:
                close = difflib.get_close_matches(column, list(schema), n=2)
                hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
                raise EventsError(f"the column named by {role}= is missing{hint}; the file has {list(schema)[:12]}",
                                  f"pass {role}= an existing column, or add it to every file", file=file_name,
                                  column=column)
            family = _family(schema[column])
            if family in ("integer", "float"):
                family = "number"
            if column in reference and reference[column][0] != family:
                first_family, first_file = reference[column]
                raise EventsError(f"mixed schemas across files: it is {schema[column]} here but {first_family} in "
                                  f"{first_file!r}", "write the column with one type in every file",
                                  file=file_name, column=column)
            reference.setdefault(column, (family, file_name))
            if column in binary and family not in ("number", "boolean"):
                raise EventsError(f"a binary signal must be 0/1 or true/false, but the column is {schema[column]}",
                                  "store the signal as 0/1 (missing = no feedback) or as a boolean",
                                  file=file_name, column=column)
            if column in numeric and family != "number":
                raise EventsError(f"a numeric signal must be a number, but the column is {schema[column]}",
                                  "store the signal as a number (missing = no value)", file=file_name, column=column)
            if column == timestamp:
                if family == "timestamp":
                    raise EventsError("timestamps have no time zone (TIMESTAMP without time zone), so the time "
                                      "window and the dedup order would depend on where the job runs",
                                      "store UTC instants (Parquet timestamp with isAdjustedToUTC, or ISO 8601 "
                                      "text with an offset such as 2024-05-01T12:00:00Z)", file=file_name,
                                      column=column)
                if family != "timestamptz":
                    raise EventsError(f"the timestamp column is {schema[column]}, not a timestamp with time zone",
                                      "store UTC instants (Parquet timestamp with isAdjustedToUTC, or ISO 8601 "
                                      "text with an offset such as 2024-05-01T12:00:00Z)", file=file_name,
                                      column=column)


def _spark_type_name(dtype: Any) -> str:
    """DuckDB's name for a Spark type: Spark's TIMESTAMP is an instant (time zone aware), TIMESTAMP_NTZ is not."""
    name = dtype.simpleString().lower()
    if name == "timestamp":
        return "TIMESTAMP WITH TIME ZONE"
    if name == "timestamp_ntz":
        return "TIMESTAMP"
    mapping = {"boolean": "BOOLEAN", "string": "VARCHAR", "date": "DATE"}
    if name in mapping:
        return mapping[name]
    if name in ("tinyint", "smallint", "int", "bigint"):
        return "BIGINT"
    if name in ("float", "double") or name.startswith("decimal"):
        return "DOUBLE"
    return name.upper()


def _ibis_type_name(dtype: Any) -> str:
    if dtype.is_timestamp():
        return "TIMESTAMP WITH TIME ZONE" if dtype.timezone else "TIMESTAMP"
    if dtype.is_boolean():
        return "BOOLEAN"
    if dtype.is_integer():
        return "BIGINT"
    if dtype.is_floating() or dtype.is_decimal():
        return "DOUBLE"
    if dtype.is_string():
        return "VARCHAR"
    return str(dtype).upper()


def find_bad_value(source: EventSource, column: str, condition_sql: str) -> tuple[str, Any]:
    """(file, value) of the first row where ``condition_sql`` holds, for error messages (failure path only)."""
    import duckdb

    con = duckdb.connect()
    reader = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}.get(source.file_format or "")
    for f in source.files:
        if reader is None or _is_remote(f):
            break
        try:
            row = con.execute(f"SELECT \"{column}\" FROM {reader}({_quote(f)}) WHERE {condition_sql} LIMIT 1"
                              ).fetchone()
        except duckdb.Error:
            continue
        if row is not None:
            return f, row[0]
    return source.label, None
