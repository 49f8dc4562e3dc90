"""CLI commands, report section and ShiftDisplay of alignlab.sampling."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from alignlab import load_judgments
from alignlab.cli import app
from alignlab.plot.sampling import ShiftDisplay
from alignlab.report import build_report
from alignlab.sampling import audit_representativeness

runner = CliRunner()


@pytest.fixture
def tables(tmp_path):
    rng = np.random.default_rng(0)
    prod = pd.DataFrame({"locale": rng.choice(["en", "de", "ja"], 5000, p=[0.5, 0.3, 0.2]),
                         "task": rng.choice(["qa", "code"], 5000)})
    ev = pd.DataFrame({"locale": rng.choice(["en", "de"], 300, p=[0.8, 0.2]), "task": rng.choice(["qa", "code"], 300)})
    ev_path, prod_path = tmp_path / "eval.csv", tmp_path / "prod.csv"
    ev.to_csv(ev_path, index=False)
    prod.to_csv(prod_path, index=False)
    seg = pd.DataFrame({"segment": list("ABCDEF"), "production_share": [.40, .25, .05, .15, .03, .12],
                        "rate": [.05, .10, .35, .08, .30, .06]})
    seg_path = tmp_path / "segments.csv"
    seg.to_csv(seg_path, index=False)
    return ev, prod, ev_path, prod_path, seg_path


def test_audit_data_cli_json_and_out(tables, tmp_path) -> None:
    ev, prod, ev_path, prod_path, _ = tables
    out = tmp_path / "audit"
    result = runner.invoke(app, ["audit-data", str(ev_path), "--production", str(prod_path), "--segments",
                                 "locale,task", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    ja = [g for g in payload["coverage_gaps"] if g["level"] == "ja"]
    assert ja and ja[0]["status"] == "missing"  # ja is 20 % of production and absent from eval
    assert payload["uncovered_mass"] == pytest.approx((prod.locale == "ja").mean())
    weights = pd.read_csv(out / "weights.csv")
    assert len(weights) == len(ev)
    for name in ("segments.csv", "coverage_gaps.csv", "global_effects.csv", "asmd.csv"):
        assert (out / name).exists()


def test_audit_data_cli_errors(tables) -> None:
    _, _, ev_path, prod_path, _ = tables
    result = runner.invoke(app, ["audit-data", str(ev_path), "--production", str(prod_path), "--segments", "lang"])
    assert result.exit_code == 2
    assert "Segment column 'lang'" in result.output and "Fix" in result.output


def test_plan_sample_cli(tables, tmp_path) -> None:
    *_, seg_path = tables
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["plan-sample", str(seg_path), "--budget", "2000", "--allocation", "neyman",
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # reference: METHODS.md §5 worked example
    assert [r["target_n"] for r in payload["plan"]] == [648, 558, 177, 303, 102, 212]
    assert pd.read_csv(out)["to_collect"].sum() == 2000
    result = runner.invoke(app, ["plan-sample", str(seg_path), "--half-width", "0.01"])
    assert result.exit_code == 0 and "Data collection requirements" in result.output
    result = runner.invoke(app, ["plan-sample", str(seg_path)])
    assert result.exit_code == 2 and "needs budget=" in result.output


def _judgments():
    rng = np.random.default_rng(1)
    rows = []
    for i in range(120):
        locale = rng.choice(["en", "de"], p=[0.8, 0.2])
        for rater in ("a", "b"):
            rows.append({"item_id": i, "rater_id": rater, "value": int(rng.random() < 0.3), "locale": locale})
    return load_judgments(pd.DataFrame(rows), scale="binary", segments=["locale"])


def test_report_section_needs_production() -> None:
    judgments = _judgments()
    _, built = build_report(judgments, sections=["sampling"], strict=True)
    assert built[0].content is None  # no production table: the section is skipped
    prod = pd.DataFrame({"locale": ["en", "de", "fr"], "n": [5000, 3000, 2000]})
    page, built = build_report(judgments, sections=["sampling"], strict=True,
                               options={"production": prod, "production_weights": "n"})
    content = built[0].content
    assert content is not None and content.status == "fail"  # fr: 20 % of production, no items
    assert "Coverage gaps" in page and "Data collection requirements" in page and "<svg" in page
    assert "Is the evaluation data representative?" in page


def test_shift_display_draws_intervals() -> None:
    rng = np.random.default_rng(2)
    ev = pd.DataFrame({"g": rng.choice(list("abc"), 400, p=[0.6, 0.3, 0.1])})
    prod = pd.DataFrame({"g": list("abcd"), "n": [300, 300, 300, 100]})
    audit = audit_representativeness(ev, prod, segments="g", production_weights="n", classifier=False,
                                     n_resamples=50, random_state=0)
    display = ShiftDisplay.from_result(audit).plot()
    assert len(display.ax_.get_yticklabels()) == 4
    svg = display.to_svg()
    assert svg.startswith("<svg") and "g = d" in svg
