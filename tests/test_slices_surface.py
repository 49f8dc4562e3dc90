"""alignlab.slices product surface: CLI command, report section, Display.

Numbers shown by the CLI and the report are checked against a direct pandas computation (*reference*).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import alignlab
from alignlab.cli import app
from alignlab.plot.slices import SlicesDisplay
from alignlab.report import build_report
from alignlab.slices import divergence, find_slices, suggest_pair

runner = CliRunner()


@pytest.fixture(scope="module")
def planted_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    """A judge that is 1 point too lenient on Japanese summaries, 0.0 elsewhere (known truth)."""
    rng = np.random.default_rng(0)
    n_items = 1200
    locale = rng.choice(["en", "ja", "de"], n_items)
    task = rng.choice(["qa", "summarize"], n_items)
    truth = rng.uniform(1, 4, n_items)
    human = np.clip(truth + rng.normal(0, 0.3, n_items), 0, 5)
    judge = np.clip(truth + rng.normal(0, 0.3, n_items) + np.where((locale == "ja") & (task == "summarize"), 1.0, 0),
                    0, 5)
    rows = pd.DataFrame({
        "item": np.repeat(np.arange(n_items), 2),
        "rater": np.tile(["ann", "gpt"], n_items),
        "method": np.tile(["human", "llm_judge"], n_items),
        "score": np.column_stack([human, judge]).ravel(),
        "locale": np.repeat(locale, 2),
        "task": np.repeat(task, 2),
    })
    path = tmp_path_factory.mktemp("slices") / "judgments.csv"
    rows.to_csv(path, index=False)
    return str(path), rows


def test_cli_json_numbers_match_pandas(planted_csv: tuple[str, pd.DataFrame]) -> None:
    path, rows = planted_csv
    result = runner.invoke(app, ["slices", path, "--a", "llm_judge", "--b", "human", "--scale", "continuous",
                                 "--segments", "locale,task", "--higher-is-better", "yes", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    top = payload["slices"][0]
    assert top["predicate"] == "locale == 'ja' & task == 'summarize'"
    wide = rows.pivot_table(index=["item", "locale", "task"], columns="rater", values="score").reset_index()
    wide["d"] = wide["gpt"] - wide["ann"]  # reference
    inside = (wide["locale"] == "ja") & (wide["task"] == "summarize")
    assert top["size"] == inside.sum()
    assert top["mean_in"] == pytest.approx(wide.loc[inside, "d"].mean(), rel=1e-9)
    assert top["effect"] == pytest.approx(wide.loc[inside, "d"].mean() - wide.loc[~inside, "d"].mean(), rel=1e-9)
    assert "too lenient" in top["sentence"]
    assert len(payload["slices"]) <= 2


def test_cli_text_output_and_errors(planted_csv: tuple[str, pd.DataFrame]) -> None:
    path, _ = planted_csv
    result = runner.invoke(app, ["slices", path, "--scale", "continuous", "--depth", "2", "--fdr", "0.01"])
    assert result.exit_code == 0, result.output
    assert "1. Where locale == 'ja' & task == 'summarize'" in result.output
    bad = runner.invoke(app, ["slices", path, "--scale", "continuous", "--a", "llm_judge"])
    assert bad.exit_code == 2
    assert "Give both --raters and --reference" in bad.output
    bad = runner.invoke(app, ["slices", path, "--scale", "continuous", "--a", "gpt4", "--b", "human"])
    assert bad.exit_code == 2
    assert "'raters' argument names 'gpt4'" in bad.output
    bad = runner.invoke(app, ["slices", path, "--scale", "continuous", "--search", "country"])
    assert bad.exit_code == 2
    assert "column 'country'" in bad.output
    bad = runner.invoke(app, ["slices", path, "--scale", "continuous", "--higher-is-better", "maybe"])
    assert bad.exit_code == 2


def test_suggest_pair_rules() -> None:
    hanna = alignlab.datasets.load("hanna")
    assert suggest_pair(hanna) == {"raters": "llm_judge", "reference": "human", "level": "item", "kind": "signed",
                                   "higher_is_better": None}
    wmt = alignlab.datasets.load("wmt23_mqm_ende")
    assert suggest_pair(wmt)["level"] == "judgment"
    single = alignlab.load_judgments({"item": [1, 2], "rater": ["a", "a"], "method": ["human"] * 2,
                                      "value": [1.0, 2.0]}, scale="continuous")
    assert suggest_pair(single) is None


def test_report_section_renders_slices() -> None:
    hanna = alignlab.datasets.load("hanna")
    _, built = build_report(hanna, sections=["slices"], strict=True)
    content = built[0].content
    assert content is not None
    assert "Where methods diverge" == built[0].spec.title
    assert "criterion == &#x27;Coherence&#x27;" in content.body  # escaped predicate
    assert "<svg" in content.body
    # the bullet is the first reported sentence, recomputed directly
    d = divergence(hanna, "llm_judge", "human", higher_is_better=None)
    res = find_slices(d, n_permutations=500, random_state=0)
    assert content.bullets[0] == res.slices["sentence"].iloc[0]


def test_report_section_skips_without_segments() -> None:
    j = alignlab.load_judgments({"item": [1, 1, 2, 2], "rater": ["h", "j", "h", "j"],
                                 "method": ["human", "llm_judge"] * 2, "value": [1.0, 2.0, 2.0, 2.0]},
                                scale="continuous", segments=[])
    _, built = build_report(j, sections=["slices"], strict=True)
    assert built[0].content is None


def test_display_draws_effects_and_shares() -> None:
    hanna = alignlab.datasets.load("hanna")
    res = find_slices(divergence(hanna, "ChatGPT", "human"), top_k=3, random_state=0)
    display = SlicesDisplay.from_result(res).plot()
    left, right = display.axes_
    assert [t.get_text() for t in left.get_yticklabels()][::-1] == res.slices["predicate"].tolist()
    widths = [p.get_width() for p in right.patches][::-1]
    np.testing.assert_allclose(widths, res.slices["share_of_divergence"], rtol=1e-12)
    assert display.to_svg().startswith("<svg")
