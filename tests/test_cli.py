"""CLI commands through typer's CliRunner: output, JSON, exit codes, no tracebacks."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from alignlab.cli import app

runner = CliRunner()


@pytest.fixture
def good_csv(tmp_path):
    path = tmp_path / "judgments.csv"
    pd.DataFrame({
        "item": ["i1", "i1", "i2", "i2", "i3", "i3"],
        "who": ["ann", "gpt", "ann", "gpt", "ann", "gpt"],
        "method": ["human", "llm_judge"] * 3,
        "score": [4, 5, 2, 2, 3, 4],
        "locale": ["ja", "ja", "en", "en", "en", "en"],
    }).to_csv(path, index=False)
    return path


@pytest.fixture
def broken_csv(tmp_path):
    path = tmp_path / "broken.csv"
    pd.DataFrame({
        "item_id": ["i1", "i1", None, "i2"],
        "rater_id": ["ann", "ann", "gpt", "gpt"],
        "value": [1, 2, 3, 9],
    }).to_csv(path, index=False)
    return path


def test_validate_prints_summary(good_csv) -> None:
    result = runner.invoke(app, ["validate", str(good_csv), "--item", "item", "--rater", "who", "--value", "score",
                                 "--scale", "ordinal"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "6 judgments of 3 items by 2 raters" in result.output
    assert "llm_judge" in result.output
    assert "locale" in result.output


def test_validate_json(good_csv) -> None:
    result = runner.invoke(app, ["validate", str(good_csv), "--item", "item", "--rater", "who", "--value", "score",
                                 "--segments", "locale", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n_judgments"] == 6
    assert {r["method"] for r in payload["by_method"]} == {"human", "llm_judge"}
    assert payload["n_excluded"] == 0


def test_validate_failure_table_exit_2(broken_csv) -> None:
    result = runner.invoke(app, ["validate", str(broken_csv), "--scale", "ordinal"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "invalid" in result.output
    assert "item_id" in result.output
    assert "duplicate" in result.output


def test_validate_drop_reports_exclusions(broken_csv) -> None:
    result = runner.invoke(app, ["validate", str(broken_csv), "--on-invalid", "drop", "--duplicates", "keep_last",
                                 "--scale", "ordinal"])
    assert result.exit_code == 0, result.output
    assert "Excluded rows" in result.output


def test_missing_file_and_bad_column_exit_2(tmp_path, good_csv) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    result = runner.invoke(app, ["validate", str(good_csv), "--item", "itme"])
    assert result.exit_code == 2
    assert "did you mean 'item'" in result.output.replace('\n', '')
    assert "Traceback" not in result.output


def test_file_or_dataset_required() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "either a FILE or --dataset" in result.output


def test_debug_shows_traceback(tmp_path) -> None:
    result = runner.invoke(app, ["--debug", "validate", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
    assert result.exception is not None


def test_datasets_lists_bundled_data() -> None:
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0, result.output
    for name in ("bluebird", "pandalm", "convabuse"):
        assert name in result.output
    payload = json.loads(runner.invoke(app, ["datasets", "--json"]).stdout)
    assert all(row["license"] and row["citation"] for row in payload)


def test_report_command_writes_html(good_csv, tmp_path) -> None:
    out = tmp_path / "rep"
    result = runner.invoke(app, ["report", str(good_csv), "--item", "item", "--rater", "who", "--value", "score",
                                 "--out", str(out), "--sections", "data"])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text()
    assert "<svg" in page
    assert "alignlab report" in page


def test_report_unknown_dataset_exit_2(tmp_path) -> None:
    result = runner.invoke(app, ["report", "--dataset", "no-such-data", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("raised", "code", "said"), [
    (KeyError("item_codes"), 1, "internal error"),
    (TypeError("unsupported operand"), 1, "internal error"),
    (ValueError("a bug deep in numpy"), 1, "internal error"),
])
def test_only_user_errors_exit_2(good_csv, monkeypatch, raised, code, said) -> None:
    """A KeyError, TypeError or bare ValueError escaping the library is a bug (exit 1, says so), not bad
    input (exit 2): alignlab raises its own error types (AlignlabError) for what the user can fix."""
    from alignlab.data import Judgments

    def broken(self):
        raise raised

    monkeypatch.setattr(Judgments, "summary", broken)
    result = runner.invoke(app, ["validate", str(good_csv), "--item", "item", "--rater", "who",
                                 "--value", "score"])
    assert result.exit_code == code
    assert said in result.output
    assert "Traceback" not in result.output


def test_alignlab_errors_exit_2(good_csv, monkeypatch) -> None:
    from alignlab._params import DataError
    from alignlab.data import Judgments

    def short(self):
        raise DataError("needs at least 2 items; got 1")

    monkeypatch.setattr(Judgments, "summary", short)
    result = runner.invoke(app, ["validate", str(good_csv), "--item", "item", "--rater", "who", "--value", "score"])
    assert result.exit_code == 2
    assert "needs at least 2 items; got 1" in result.output
