"""The typer app, shared options and error handling of the ``alignlab`` command.

The CLI is a package rather than one ``cli.py`` (CONVENTIONS.md) so that each command family lives in
its own small module (``alignlab/cli/<family>.py``) without every change touching one file. Commands
stay thin: load -> validate -> call one public function -> write.

A command that reads a judgments table uses :func:`with_judgments`, which adds the shared input
options (FILE or ``--dataset``, column mapping, scale, duplicates) to its signature and passes the
loaded :class:`~alignlab.Judgments` as the first argument::

    @app.command("agreement")
    @with_judgments
    def agreement_command(judgments: Judgments, level: str = typer.Option("nominal")) -> None:
        ...
"""

from __future__ import annotations

import functools
import inspect
import json
import shlex
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from alignlab._params import AlignlabError, DataError
from alignlab.data import Judgments, JudgmentsValidationError, load_judgments

app = typer.Typer(
    name="alignlab",
    help="How far to trust human raters, LLM judges and online signals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
_STATE: dict[str, Any] = {"debug": False}

EXIT_INVALID_INPUT = 2
EXIT_ERROR = 1


@app.callback()
def _main_options(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
) -> None:
    """alignlab: evaluation-method alignment and annotation quality."""
    _STATE["debug"] = debug


def invocation() -> str:
    """The exact command line, for report footers."""
    return " ".join(shlex.quote(a) for a in ["alignlab", *sys.argv[1:]])


def print_failures(error: JudgmentsValidationError) -> None:
    """The full failure list, one line per problem (soft-wrapped so it stays greppable)."""
    err_console.print("[bold red]The judgments table is invalid.[/]")
    err_console.print(str(error), markup=False, soft_wrap=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One clear message and a non-zero exit code instead of a traceback (``--debug`` shows it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except JudgmentsValidationError as exc:
            if _STATE["debug"]:
                raise
            print_failures(exc)
            raise typer.Exit(EXIT_INVALID_INPUT) from None
        except (AlignlabError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError,
                PermissionError) as exc:
            # alignlab's own errors and unreadable paths are the user's to fix (exit 2); a KeyError,
            # TypeError or anything else escaping the library is a bug and is reported as one (exit 1)
            if _STATE["debug"]:
                raise
            err_console.print("[bold red]error:[/] ", end="")
            err_console.print(str(exc), markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_INVALID_INPUT) from None
        except Exception as exc:
            if _STATE["debug"]:
                raise
            err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}. This is a bug in "
                              "alignlab, not in your input; run with --debug for the traceback and report it.")
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper


_SCALES = ("binary", "categorical", "ordinal", "continuous", "pairwise")

# (name, default, typer.Option or Argument) appended to the signature of commands using with_judgments
_LOAD_PARAMETERS: list[tuple[str, Any, Any]] = [
    ("file", None, typer.Argument(None, help="Judgments table (CSV, TSV, Parquet, JSONL).", show_default=False)),
    ("dataset", None, typer.Option(None, "--dataset", help="Use a bundled dataset instead of FILE "
                                                          "(see `alignlab datasets`).")),
    ("item", None, typer.Option(None, "--item", help="Column with the item id.")),
    ("rater", None, typer.Option(None, "--rater", help="Column with the rater id.")),
    ("method_column", None, typer.Option(None, "--method", help="Column with the method (human, llm_judge ...).")),
    ("value", None, typer.Option(None, "--value", help="Column with the judgment.")),
    ("system", None, typer.Option(None, "--system", help="Column with the system/model version rated.")),
    ("vendor_column", None, typer.Option(None, "--vendor-column", help="Column with the rater's vendor.")),
    ("gold", None, typer.Option(None, "--gold", help="Column with gold labels.")),
    ("timestamp", None, typer.Option(None, "--timestamp", help="Column with the judgment time.")),
    ("weight", None, typer.Option(None, "--weight", help="Column with row weights.")),
    ("successes", None, typer.Option(None, "--successes", help="Column with online successes (aggregates).")),
    ("trials", None, typer.Option(None, "--trials", help="Column with online trials (aggregates).")),
    ("segments", None, typer.Option(None, "--segments", help="Comma-separated segment columns.")),
    ("scale", None, typer.Option(None, "--scale", help=f"One of {', '.join(_SCALES)} (inferred if omitted).")),
    ("duplicates", "error", typer.Option("error", "--duplicates", help="error, keep_last or keep_all.")),
    ("on_invalid", "error", typer.Option("error", "--on-invalid", help="error or drop (drop records exclusions).")),
    ("abstain", None, typer.Option(None, "--abstain", help="Comma-separated values that are abstentions "
                                                          "(e.g. invalid,None): kept apart and counted.")),
]


_LOAD_ANNOTATIONS: list[Any] = [
    Path | None if name == "file" else (str if name in ("duplicates", "on_invalid") else str | None)
    for name, _, _ in _LOAD_PARAMETERS
]


def load_from_options(options: dict[str, Any]) -> tuple[Judgments, str | None]:
    """Load the judgments named by the shared options; returns ``(judgments, dataset_name)``."""
    file, dataset = options.get("file"), options.get("dataset")
    if (file is None) == (dataset is None):
        raise DataError("Give either a FILE or --dataset NAME (see `alignlab datasets`).")
    if dataset is not None:
        from alignlab import datasets

        return datasets.load(dataset), dataset
    segments = options.get("segments")
    return (
        load_judgments(
            Path(file),
            scale=options.get("scale"),
            item=options.get("item"),
            rater=options.get("rater"),
            method=options.get("method_column"),
            value=options.get("value"),
            system=options.get("system"),
            vendor=options.get("vendor_column"),
            gold=options.get("gold"),
            timestamp=options.get("timestamp"),
            weight=options.get("weight"),
            successes=options.get("successes"),
            trials=options.get("trials"),
            segments=None if segments is None else [s.strip() for s in segments.split(",") if s.strip()],
            duplicates=options.get("duplicates", "error"),
            on_invalid=options.get("on_invalid", "error"),
            abstain=[] if not options.get("abstain") else [a.strip() for a in options["abstain"].split(",")],
        ),
        None,
    )


def with_judgments(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared input options to a command; call it with the loaded judgments first.

    The wrapped function's first parameter receives the :class:`Judgments`; if it also declares a
    ``dataset_name`` keyword, the bundled dataset's name (or None) is passed there.
    """
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func)
    own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    wants_name = "dataset_name" in signature.parameters
    own_params = [p for p in own[1:] if p.name != "dataset_name"]
    load_names = [name for name, _, _ in _LOAD_PARAMETERS]

    @functools.wraps(func)
    @handle_errors
    def wrapper(**kwargs: Any) -> Any:
        load_options = {name: kwargs.pop(name) for name in load_names}
        judgments, dataset_name = load_from_options(load_options)
        if wants_name:
            kwargs["dataset_name"] = dataset_name
        return func(judgments, **kwargs)

    params = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
        for (name, _, option), annotation in zip(_LOAD_PARAMETERS, _LOAD_ANNOTATIONS, strict=True)
    ]
    params += [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own_params]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def emit_json(payload: Any) -> None:
    """Write machine-readable output to stdout (NaN as null)."""
    console.file.write(json.dumps(payload, indent=2, default=_json_default, allow_nan=False) + "\n")


def _json_default(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", date_format="iso"))
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def clean_for_json(records: Any) -> Any:
    """Replace NaN/inf floats by None so ``json.dumps(allow_nan=False)`` accepts the payload."""
    import math

    if isinstance(records, dict):
        return {k: clean_for_json(v) for k, v in records.items()}
    if isinstance(records, list | tuple):
        return [clean_for_json(v) for v in records]
    if isinstance(records, float) and not math.isfinite(records):
        return None
    return records


@contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """Rich progress display for a long step; yields a function to update its text.

    A spinner shows the step and its elapsed time; inside the block, progress reports from the
    computation (:mod:`alignlab._progress`: bootstrap resamples, slice-lattice feature sets, MCMC
    draws) drive one progress bar per kind of work, re-used each time that work starts again.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from alignlab._progress import progress_hook

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=None)
        bars: dict[str, Any] = {}

        def update(text: str) -> None:
            bar.update(task, description=f"{description}: {text}")

        def on_report(kind: str, done: int, total: int) -> None:
            if kind not in bars:
                bars[kind] = bar.add_task(f"  {kind}", total=total)
            bar.update(bars[kind], completed=done, total=total)

        with progress_hook(on_report):
            yield update


def frame_table(frame: Any, *, title: str | None = None, max_rows: int = 30) -> Table:
    """A rich table of a DataFrame for the terminal (numbers to 3 decimals)."""
    from alignlab.report.html import fmt

    table = Table(*[str(c) for c in frame.columns], title=title)
    for record in frame.head(max_rows).itertuples(index=False):
        table.add_row(*[fmt(v) for v in record])
    return table
