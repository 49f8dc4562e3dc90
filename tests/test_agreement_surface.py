"""Product surface of the agreement module: CLI command, report section, displays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import alignlab
from alignlab import agreement as ag
from alignlab.cli import app
from alignlab.plot.agreement import AgreementHeatmapDisplay, AgreementIntervalsDisplay
from alignlab.report import build_report

DATA = Path(__file__).parent / "data" / "agreement"
runner = CliRunner()
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def ratings_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, size=60)
    rows = []
    for rater, method, noise in (("ann", "human", 0), ("bob", "human", 1), (XSS, "human", 1),
                                 ("gpt", "llm_judge", 1)):
        value = np.clip(truth + rng.integers(-noise, noise + 1, size=60), 1, 5)
        rows.append(pd.DataFrame({"item": np.arange(60), "who": rater, "method": method, "score": value}))
    path = tmp_path_factory.mktemp("agreement") / "ratings.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_cli_agreement_table_and_json(ratings_csv: Path) -> None:
    result = runner.invoke(app, ["agreement", str(ratings_csv), "--rater", "who", "--value", "score",
                                 "--scale", "ordinal", "--n-resamples", "50", "--pairwise"])
    assert result.exit_code == 0, result.output
    assert "krippendorff_alpha" in result.output or "krippe" in result.output
    result = runner.invoke(app, ["agreement", str(ratings_csv), "--rater", "who", "--value", "score",
                                 "--scale", "ordinal", "--n-resamples", "50", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    stats = [row["statistic"] for row in payload["summary"]]
    assert stats[:2] == ["percent_agreement", "krippendorff_alpha"]
    j = alignlab.load_judgments(pd.read_csv(ratings_csv), rater="who", value="score", scale="ordinal")
    expected = ag.krippendorff_alpha(j, level="ordinal", ci_method="none").estimate
    ordinal = next(r for r in payload["summary"] if r["statistic"] == "krippendorff_alpha" and r["level"] == "ordinal")
    assert ordinal["estimate"] == pytest.approx(expected, abs=1e-12)
    assert {r["group"] for r in payload["by_method_pair"]} == {"human–human", "human–llm_judge"}


def test_cli_agreement_errors_exit_2(ratings_csv: Path) -> None:
    result = runner.invoke(app, ["agreement", str(ratings_csv), "--rater", "who", "--value", "score",
                                 "--scale", "ordinal", "--ci-method", "exact"])
    assert result.exit_code == 2
    assert "'ci_method' parameter of summary" in result.output
    result = runner.invoke(app, ["agreement", str(ratings_csv), "--rater", "who", "--value", "score",
                                 "--raters", "robots"])
    assert result.exit_code == 2
    assert "robots" in result.output


def test_report_section_renders_heatmap_and_audit(ratings_csv: Path) -> None:
    j = alignlab.load_judgments(pd.read_csv(ratings_csv), rater="who", value="score", scale="ordinal")
    page, built = build_report(j, sections=["agreement"], strict=True)
    section = next(b for b in built if b.spec.key == "agreement")
    assert section.spec.order == 30 and section.spec.title == "Agreement"
    body = section.content.body
    assert "<svg" in body and "Leave-one-rater-out" in body
    assert XSS not in page  # user strings escaped (matplotlib escapes SVG text, tables use esc)
    assert any("Krippendorff's alpha (ordinal)" in b for b in section.content.bullets)


def test_report_section_skips_unsupported_data() -> None:
    table = pd.DataFrame({"item_id": [1, 2, 3], "rater_id": ["a", "a", "a"], "value": [1, 2, 1]})
    j = alignlab.load_judgments(table, scale="ordinal")
    _, built = build_report(j, sections=["agreement"], strict=True)
    assert next(b for b in built if b.spec.key == "agreement").content is None


def test_displays_draw_from_results() -> None:
    frame = pd.read_csv(DATA / "convabuse_long_labels.csv.gz")
    frame = frame[frame["repeat_index"] == 0]
    j = alignlab.load_judgments(frame, item="item_idx", rater="annotator_id", value="abuse_level",
                                scale="ordinal", segments=[])
    pairs = ag.pairwise(j, ci_method="none", min_items=20)
    display = AgreementHeatmapDisplay.from_result(pairs).plot()
    image = display.ax_.images[0].get_array()
    assert image.shape == (8, 8)
    np.testing.assert_allclose(np.asarray(image.filled(np.nan)), pairs.matrix().to_numpy(), equal_nan=True)
    audit = ag.leave_one_out(j, ci_method="none")
    forest = AgreementIntervalsDisplay.from_result(audit).plot()
    assert [t.get_text() for t in forest.ax_.get_yticklabels()][-1] == str(audit.to_frame()["rater_id"].iloc[0])
    assert "<svg" in forest.to_svg()


def test_cli_agreement_clusters(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    truth = np.repeat(rng.integers(1, 6, size=12), 5)
    rows = [pd.DataFrame({"item": np.arange(60), "who": rater, "score": np.clip(truth + rng.integers(-1, 2, 60), 1, 5),
                          "conversation": np.arange(60) // 5}) for rater in ("a", "b", "c")]
    path = tmp_path / "clustered.csv"
    pd.concat(rows).to_csv(path, index=False)
    base = ["agreement", str(path), "--rater", "who", "--value", "score", "--scale", "ordinal",
            "--segments", "conversation", "--n-resamples", "50"]
    result = runner.invoke(app, [*base, "--clusters", "conversation", "--ci-method", "percentile", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert all("clustered" in row["ci_method"] for row in payload["summary"])
    result = runner.invoke(app, [*base, "--clusters", "conversation"])  # analytic intervals cannot cluster
    assert result.exit_code == 2
    assert "needs a bootstrap interval" in result.output
