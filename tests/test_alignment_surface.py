"""Product surface of the alignment family: `alignlab compare`, report sections, Displays."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import alignlab
from alignlab import Scale, load_judgments
from alignlab.alignment import calibration, judge_biases, method_matrix
from alignlab.cli import app
from alignlab.plot.alignment import BiasDisplay, MethodMatrixDisplay, ReliabilityDisplay
from alignlab.report import build_report

runner = CliRunner()


@pytest.fixture(scope="module")
def scored_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    quality = rng.normal(size=n)
    system = np.repeat(["sys-a", "sys-b", "sys-c", "sys-d", "sys-e"], n // 5)
    frame = pd.DataFrame({
        "item": np.r_[np.arange(n), np.arange(n)],
        "rater": ["gpt"] * n + ["ann"] * n,
        "method": ["llm_judge"] * n + ["human"] * n,
        "score": np.r_[np.clip(np.round(quality + rng.normal(0, .7, n) + 3), 1, 5),
                       np.clip(np.round(quality + 3), 1, 5)],
        "system": np.r_[system, system],
    })
    path = tmp_path_factory.mktemp("compare") / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def test_correlate_cli_json(scored_csv) -> None:
    result = runner.invoke(app, ["correlate", str(scored_csv), "--raters", "gpt", "--reference", "human", "--json",
                                 "--n-resamples", "100", "--statistics", "pearson,kendall_b"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    methods = [r["method"] for r in payload["results"]]
    assert methods == ["pearson[item]", "kendall_b[item]", "pearson[system]", "kendall_b[system]"]
    assert all(r["ci_low"] <= r["estimate"] <= r["ci_high"] for r in payload["results"])


def test_correlate_cli_table_and_errors(scored_csv) -> None:
    result = runner.invoke(app, ["correlate", str(scored_csv), "--a", "gpt", "--n-resamples", "100"])
    assert result.exit_code == 0, result.output
    assert "gpt vs human" in result.output and "interval: bootstrap" in result.output
    bad = runner.invoke(app, ["correlate", str(scored_csv), "--raters", "claude"])
    assert bad.exit_code != 0
    assert "claude" in bad.output and "Traceback" not in bad.output


def test_report_sections_on_pandalm(tmp_path) -> None:
    j = alignlab.datasets.load("pandalm")
    html, built = build_report(j, tmp_path, sections=["method_agreement", "calibration", "judge_biases"],
                               strict=True)
    keys = {b.spec.key: b for b in built}
    assert keys["method_agreement"].content is not None
    assert keys["calibration"].content is None  # hard pairwise labels: no probabilities to calibrate
    assert keys["judge_biases"].content is not None
    assert keys["method_agreement"].spec.order == 50 and keys["judge_biases"].spec.order == 58
    assert "Method agreement" in html and "<svg" in html and "prefers_longer" in html


def test_calibration_section_and_displays(tmp_path) -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(size=400)
    frame = pd.DataFrame({"item": np.r_[np.arange(400), np.arange(400)], "rater": ["judge"] * 400 + ["h"] * 400,
                          "method": ["llm_judge"] * 400 + ["human"] * 400,
                          "value": np.r_[p, (rng.uniform(size=400) < p ** 1.5).astype(float)]})
    j = load_judgments(frame, scale=Scale.continuous(0, 1))
    html, built = build_report(j, None, sections=["calibration"], strict=True)
    assert built[0].content is not None and "Reliability diagram" in html and "brier_reliability" in html
    svg = ReliabilityDisplay.from_result(calibration(j, raters="judge", n_resamples=50)).plot().to_svg()
    assert svg.startswith("<svg")
    bias_svg = BiasDisplay.from_result(judge_biases(j, raters="judge")).plot().to_svg()
    assert "<svg" in bias_svg
    matrix = method_matrix(alignlab.datasets.load("pandalm"), n_resamples=20)
    display = MethodMatrixDisplay.from_result(matrix)
    assert display.statistic == "cohen_kappa" and display.matrix.shape == (5, 5)
    assert display.plot().to_svg().startswith("<svg")
