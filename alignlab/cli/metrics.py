"""Metrics commands: ``metrics compute``, ``metrics history``, ``metrics runs``, ``metrics example-spec``,
``dashboard``."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from alignlab._params import DataError, InvalidParameterError
from alignlab.cli._app import app, clean_for_json, console, emit_json, frame_table, handle_errors, progress

metrics_app = typer.Typer(help="Metrics across AI features: compute a spec, keep runs over time, read history.",
                          no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")

_STORE_HELP = "The run store: a DuckDB file (created when missing) or any DuckDB connection string."


def _records(frame):  # noqa: ANN001, ANN202 - a DataFrame in, JSON records out
    return clean_for_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))


def _load_data(paths: list[str]) -> dict:
    from alignlab.data import load_judgments

    data = {}
    for entry in paths:
        key, _, path = entry.partition("=") if "=" in entry else (Path(entry).name.split(".")[0], "", entry)
        if key in data:
            raise DataError(f"Two DATA files have the key {key!r}; name them KEY=PATH (KEY = the feature's data key).")
        data[key] = load_judgments(path)
    return data


@metrics_app.command("compute")
@handle_errors
def compute_command(
    spec: Path | None = typer.Argument(None, help="The spec (.toml/.yaml). Default with --example: the example spec.",
                                       show_default=False),
    data: list[str] | None = typer.Argument(None, help="Judgments tables, as PATH (key = file name without "
                                                       "extension) or KEY=PATH (KEY = the feature's data key).",
                                            show_default=False),
    store: str = typer.Option("alignlab.duckdb", "--store", help=_STORE_HELP),
    run_label: str | None = typer.Option(None, "--run-label", help="The run's name (e.g. the release)."),
    system: str | None = typer.Option(None, "--system", help="The system / model version evaluated."),
    date: str | None = typer.Option(None, "--date", help="ISO date of the run (default: today)."),
    example: str | None = typer.Option(None, "--example", help="Use the bundled example release (2025.1 .. 2025.4) "
                                                              "as DATA."),
    seed: int = typer.Option(0, "--seed", help="Random seed (recorded in the run)."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples (judge validation)."),
    keep_data: bool = typer.Option(False, "--keep-data", help="Also store copies of the judgments (default: hashes)."),
    json_output: bool = typer.Option(False, "--json", help="Print the run and its rows as JSON."),
) -> None:
    """Compute every feature's metrics of SPEC on DATA and append the run to the store."""
    from alignlab.metrics import Run, Store, compute, load_spec, metrics_summary
    from alignlab.metrics.examples import load_release, releases, spec_path

    if example is not None:
        if data:
            raise InvalidParameterError("Give DATA files or --example RELEASE, not both.")
        table = releases()
        if example not in set(table["release"]):
            raise InvalidParameterError(f"Unknown example release {example!r}; use one of {list(table['release'])}.")
        tables = load_release(example)
        date = date or str(table.loc[table["release"] == example, "date"].iloc[0])
        run_label = run_label or example
    else:
        if spec is None or not data:
            raise DataError("Give the SPEC file and at least one DATA table (or --example RELEASE).")
        tables = _load_data(data)
    parsed = load_spec(spec if spec is not None else spec_path())
    with progress("computing metrics") as update:
        update(run_label or "run")
        result = compute(parsed, tables, run=Run(label=run_label or "run", system=system, date=date),
                         n_resamples=n_resamples, random_state=seed)
        run_id = Store(store).write(result, keep_data=tables if keep_data else None)
    frame = result.to_frame()
    if json_output:
        emit_json(clean_for_json({"run": result.run.to_dict(), "store": store, "run_id": run_id,
                                  "summary": metrics_summary(result), "rows": _records(frame)}))
        return
    console.print(metrics_summary(result), markup=False)
    overall = frame[frame["segment"] == "all"][["feature", "metric", "role", "estimate", "ci_low", "ci_high", "n",
                                                 "grade", "target_status"]]
    console.print(frame_table(overall, title=f"Run {result.run.label} ({run_id})", max_rows=60))
    console.print(f"run {run_id} appended to [bold]{store}[/] ({len(frame)} rows)")


@metrics_app.command("history")
@handle_errors
def history_command(
    store: str = typer.Option("alignlab.duckdb", "--store", help=_STORE_HELP),
    feature: str | None = typer.Option(None, "--feature", help="Only this feature."),
    metric: str | None = typer.Option(None, "--metric", help="Only this metric."),
    segment: str = typer.Option("all", "--segment", help="Segment ('all' = overall; 'column=level')."),
    last: int | None = typer.Option(None, "--last", help="Only the last N runs of each series."),
    json_output: bool = typer.Option(False, "--json", help="Print the series as JSON."),
) -> None:
    """The time series of the metrics kept in the store, with intervals (oldest run first)."""
    from alignlab.metrics import Store

    frame = Store(store, create=False).history(feature=feature, metric=metric, segment=segment, last=last)
    if json_output:
        emit_json(_records(frame))
        return
    cols = ["run_label", "run_date", "feature", "metric", "segment", "estimate", "ci_low", "ci_high", "n", "grade"]
    console.print(frame_table(frame[cols], title=f"History in {store}", max_rows=200))


@metrics_app.command("runs")
@handle_errors
def runs_command(
    store: str = typer.Option("alignlab.duckdb", "--store", help=_STORE_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """The runs kept in the store (label, date, spec hash, alignlab version, seed)."""
    from alignlab.metrics import Store

    frame = Store(store, create=False).runs()
    if json_output:
        emit_json(_records(frame))
        return
    console.print(frame_table(frame.drop(columns=["features", "notes"]), title=f"Runs in {store}", max_rows=200))


@metrics_app.command("example-spec")
@handle_errors
def example_spec_command(
    out: Path = typer.Option(Path("features.toml"), "--out", help="Where to copy the example spec (.toml or .yaml)."),
) -> None:
    """Copy the example spec (three features) to edit it; its production table is copied beside it."""
    from alignlab.metrics.examples import spec_path

    if out.exists():
        raise DataError(f"{out} exists; choose another --out (nothing is overwritten).")
    source = spec_path("yaml" if out.suffix.lower() in (".yaml", ".yml") else "toml")
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    production = source.parent / "production_translation.csv"
    if not (out.parent / production.name).exists():
        shutil.copyfile(production, out.parent / production.name)
    console.print(f"example spec written to [bold]{out}[/]")


@app.command("dashboard")
@handle_errors
def dashboard_command(
    store: str = typer.Option("alignlab.duckdb", "--store", help=_STORE_HELP),
    out: Path = typer.Option(Path("dash"), "--out", help="Directory to write index.html into (or an .html file)."),
    example: bool = typer.Option(False, "--example", help="Compute the bundled example (4 releases, 3 features) "
                                                          "into an in-memory store and show it."),
    last: int = typer.Option(12, "--last", help="Runs shown in each trend."),
    title: str = typer.Option("Evaluation dashboard", "--title", help="Page title."),
    n_resamples: int = typer.Option(1000, "--n-resamples", help="Bootstrap resamples (with --example)."),
) -> None:
    """One self-contained HTML page across every feature: north star, trend, change, trust grade."""
    from alignlab.metrics import Run, Store, compute, load_spec
    from alignlab.metrics.examples import load_release, releases, spec_path
    from alignlab.report.dashboard import build_dashboard

    with progress("building the dashboard") as update:
        if example:
            target = Store(":memory:")
            spec = load_spec(spec_path())
            for row in releases().itertuples(index=False):
                update(f"example release {row.release}")
                target.write(compute(spec, load_release(row.release), run=Run(row.release, date=row.date),
                                     n_resamples=n_resamples, random_state=0))
        else:
            target = Store(store, create=False)
        update("page")
        build_dashboard(target, out, last=last, title=title)
    path = out if out.suffix.lower() in (".html", ".htm") else out / "index.html"
    console.print(f"dashboard written to [bold]{path}[/]")
