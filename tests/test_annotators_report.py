"""The product surface of the categorical annotator models: report section, CLI, displays."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import alignlab
from alignlab.annotators import DawidSkene
from alignlab.annotators._base import RATER_COLUMNS
from alignlab.cli import app


def _table(seed: int = 0) -> pd.DataFrame:
    """8 raters (human and llm_judge, two vendors); rater s0 answers at random."""
    rng = np.random.default_rng(seed)
    n_items = 120
    truth = rng.integers(0, 3, n_items)
    rows = []
    for r in range(8):
        name = "s0" if r == 0 else f"r{r}"
        accuracy = 0.0 if r == 0 else 0.85
        correct = rng.random(n_items) < accuracy
        label = np.where(correct, truth, rng.integers(0, 3, n_items))
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": name, "value": label,
                                  "method": "human" if r % 2 else "llm_judge", "vendor": "acme" if r < 4 else "zeta"}))
    return pd.concat(rows, ignore_index=True)


def _judgments() -> alignlab.Judgments:
    return alignlab.load_judgments(_table(), scale=alignlab.Scale.categorical([0, 1, 2]), segments=[])


def test_report_section_flags_the_spammer():
    from alignlab.report import build_report

    page, built = build_report(_judgments(), None, sections=["raters"], strict=True)
    content = built[0].content
    assert content is not None and content.status == "warn"
    assert any("likely spammer" in b and "s0" in b for b in content.bullets)
    assert "<svg" in content.body and "By method and vendor" in content.body
    assert "Confusion matrices of the least reliable raters" in content.body


def test_report_section_skips_single_rater():
    from alignlab.report import build_report

    one = _table()
    one = one[one["rater_id"] == "r1"]
    _, built = build_report(alignlab.load_judgments(one, scale=alignlab.Scale.categorical([0, 1, 2]), segments=[]),
                            None, sections=["raters"], strict=True)
    assert built[0].content is None


def test_forest_display_from_model():
    from alignlab.plot.annotators import ConfusionMatrixDisplay, RaterForestDisplay

    model = DawidSkene(ci_method="conditional", n_resamples=50, random_state=0).fit(_judgments())
    display = RaterForestDisplay.from_model(model).plot()
    assert len(display.ax_.get_yticklabels()) == 8
    assert display.table["flagged"].sum() == 1  # s0
    confusion = ConfusionMatrixDisplay.from_model(model, n_raters=2).plot()
    assert confusion.raters[0] == "s0" and len(confusion.ax_) == 2


def test_cli_writes_csv_and_json(tmp_path):
    source = tmp_path / "j.csv"
    _table().to_csv(source, index=False)
    runner = CliRunner()
    out = tmp_path / "raters.csv"
    result = runner.invoke(app, ["raters", str(source), "--scale", "categorical", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert tuple(table.columns[: len(RATER_COLUMNS)]) == RATER_COLUMNS
    assert "likely spammers" in result.output and "s0" in result.output
    result = runner.invoke(app, ["raters", str(source), "--scale", "categorical", "--model", "mace", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["model"] == "MACE" and payload["likely_spammers"] == ["s0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope"], "Unknown --model 'nope'"),
        (["--out", "x.txt"], "must end in .csv or .json"),
        (["--engine", "stan"], "'engine' parameter of DawidSkene must be one of"),
    ],
)
def test_cli_errors(tmp_path, args, message):
    source = tmp_path / "j.csv"
    _table().to_csv(source, index=False)
    result = CliRunner().invoke(app, ["raters", str(source), "--scale", "categorical", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
