"""Online commands: ``online aggregate`` (event logs -> per-item signals, naive and corrected rates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from alignlab._params import DataError, InvalidParameterError
from alignlab.cli._app import (
    app,
    clean_for_json,
    console,
    emit_json,
    frame_table,
    handle_errors,
    invocation,
    progress,
)

online_app = typer.Typer(help="Online signals from event logs: aggregate in DuckDB or Spark, selection-aware.",
                         no_args_is_help=True)
app.add_typer(online_app, name="online")


def _split(text: str | None) -> list[str]:
    return [] if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _records(frame: Any) -> list[dict[str, Any]]:
    return clean_for_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))


def spark_session() -> Any:
    """A local Spark session for ``--engine spark`` (needs pyspark and Java)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DataError("--engine spark needs pyspark: pip install 'alignlab[spark]' (and a Java 17+ runtime)."
                         ) from exc
    import shutil

    if shutil.which("java") is None:
        raise DataError("--engine spark needs a Java runtime (e.g. apt-get install default-jre-headless).")
    session = (SparkSession.builder.appName("alignlab").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def events_options(events: str, *, item: str, signal: str | None, numeric: str | None, system: str | None,
                   segments: str | None, user: str | None, timestamp: str | None, start: str | None,
                   end: str | None, dedup: str, bot_column: str | None, max_user_events: int | None,
                   engine: str, seed: int) -> Any:
    """Run :func:`alignlab.online.events` from command-line options (shared with ``trust-weights --events``)."""
    from alignlab.online import events as read_events

    if engine not in ("duckdb", "spark"):
        raise InvalidParameterError(f"--engine must be duckdb or spark; got {engine!r}.")
    session = spark_session() if engine == "spark" else None
    return read_events(events, item=item, signal=_split(signal) or None, numeric=_split(numeric) or None,
                       system=system, segments=_split(segments) or None, user=user, timestamp=timestamp,
                       start=start, end=end, dedup=dedup, bot_column=bot_column, max_user_events=max_user_events,
                       engine=session, random_state=seed)


@online_app.command("aggregate")
@handle_errors
def aggregate_command(
    events: str = typer.Argument(..., help="Event files: a path, a directory or a quoted glob ('logs/*.parquet')."),
    item: str = typer.Option("item_id", "--item", help="Column with the item id."),
    signal: str = typer.Option(None, "--signal", help="Comma-separated binary signal columns (1/0, missing = no "
                                                      "feedback)."),
    numeric: str = typer.Option(None, "--numeric", help="Comma-separated numeric signal columns."),
    system: str = typer.Option(None, "--system", help="Column with the system / model version."),
    segments: str = typer.Option(None, "--segments", help="Comma-separated exposure segment columns."),
    user: str = typer.Option(None, "--user", help="Column with the user id (dedup, heavy-user filter)."),
    timestamp: str = typer.Option(None, "--timestamp", help="Column with the event time (with time zone)."),
    start: str = typer.Option(None, "--start", help="Window start, e.g. 2024-05-01T00:00:00Z (inclusive)."),
    end: str = typer.Option(None, "--end", help="Window end (exclusive)."),
    dedup: str = typer.Option("none", "--dedup", help="none, or last (one exposure per user and item)."),
    bot_column: str = typer.Option(None, "--bot-column", help="Boolean column flagging bot traffic (excluded)."),
    max_user_events: int = typer.Option(None, "--max-user-events", help="Exclude users with more events."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark (local or configured "
                                                          "cluster session)."),
    out: Path = typer.Option(None, "--out", help="Directory for cells.csv, aggregates.csv, exclusions.csv, "
                                                 "rates.csv and the HTML report (index.html)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Aggregate an event log in the engine: per-item successes/trials, feedback rates, naive and
    selection-corrected (IPW) rates side by side."""
    from alignlab.online import feedback_rates, ipw_rate

    with progress(f"aggregating events on {engine}"):
        online = events_options(events, item=item, signal=signal, numeric=numeric, system=system, segments=segments,
                                user=user, timestamp=timestamp, start=start, end=end, dedup=dedup,
                                bot_column=bot_column, max_user_events=max_user_events, engine=engine, seed=seed)
    import pandas as pd

    rows = []
    for name in online.signals:
        cells = online.cells[online.cells["signal"] == name]
        row: dict[str, Any] = {"signal": name, "exposures": int(cells["exposures"].sum()),
                               "rated": int(cells["trials"].sum()), "successes": int(cells["successes"].sum())}
        row["feedback_rate"] = row["rated"] / row["exposures"] if row["exposures"] else float("nan")
        if online.cell_columns:
            res = ipw_rate(online, signal=name, random_state=seed)
            row.update({"naive_rate": res.naive, "naive_low": res.naive_low, "naive_high": res.naive_high,
                        "corrected_rate": res.estimate, "corrected_low": res.ci_low, "corrected_high": res.ci_high,
                        "difference": res.difference})
        else:
            row["naive_rate"] = row["successes"] / row["rated"] if row["rated"] else float("nan")
        rows.append(row)
    rates = pd.DataFrame(rows)
    report = None
    if out is not None:
        from alignlab.report import build_report

        out.mkdir(parents=True, exist_ok=True)
        online.cells.to_csv(out / "cells.csv", index=False)
        online.aggregates.drop(columns=["source_row", "weight"], errors="ignore").to_csv(out / "aggregates.csv",
                                                                                         index=False)
        online.event_exclusions.to_csv(out / "exclusions.csv", index=False)
        rates.to_csv(out / "rates.csv", index=False)
        if len(online.numeric):
            online.numeric.to_csv(out / "numeric.csv", index=False)
        build_report(online, out, sections=["online"], random_state=seed, call=invocation(),
                     title="alignlab online signals")
        report = str(out / "index.html")
    feedback = feedback_rates(online, signal=online.signals[0]) if online.event_segments else None
    if json_output:
        emit_json(clean_for_json({
            "engine": online.engine, "n_events": online.n_events, "n_exposures": online.n_events_used,
            "signals": list(online.signals), "rates": _records(rates),
            "exclusions": _records(online.event_exclusions),
            "feedback_rates": None if feedback is None else _records(feedback.to_frame()),
            "notes": list(online.notes), "report": report,
        }))
        return
    console.print(f"{online.n_events:,} events on {online.engine}; {online.n_events_used:,} exposures in "
                  f"{len(online.cells) // max(len(online.signals), 1):,} cells", markup=False)
    shown = [c for c in ("signal", "rated", "feedback_rate", "naive_rate", "corrected_rate", "corrected_low",
                         "corrected_high") if c in rates.columns]
    console.print(frame_table(rates[shown], title="Naive and selection-corrected rates (all columns: --json, --out)"))
    if feedback is not None:
        table = feedback.to_frame()
        console.print(frame_table(table[[*feedback.by, "exposures", "trials", "feedback_rate", "rate"]],
                                  title="Feedback rates", max_rows=30))
    if len(online.event_exclusions):
        console.print(frame_table(online.event_exclusions, title="Excluded events"))
    for note in online.notes:
        if note.startswith(("selection:", "excluded")):
            console.print(f"note: {note}", markup=False)
    if report:
        console.print(f"report written to [bold]{report}[/]")


def write_with_online(result: Any, online: Any, out: Path | None) -> str | None:
    """The trust-weights report (``index.html``) and, beside it, the online section (``online.html``: the
    naive and selection-corrected rates side by side, feedback rates, exclusions)."""
    if out is None:
        return None
    import dataclasses

    from alignlab.report import build_report

    result = dataclasses.replace(result, call=invocation())
    path = Path(result.to_html(out))
    page, _ = build_report(online, None, sections=["online"], random_state=0, call=invocation(),
                           title="alignlab online signals", strict=True)
    (path.parent / "online.html").write_text(page, encoding="utf-8")
    return str(path)
