"""validate_judge against gold (issue #13): gold-only validation, humans beside gold, the harmful and
position-bias conditions of the verdict, trust weights of an inverted judge, the CLI with --reference gold."""

from __future__ import annotations

import pandas as pd
import pytest

import alignlab
from alignlab.workflows import validate_judge
from alignlab.workflows.simulate_pairwise import simulate_pairwise_judge_study


@pytest.fixture(scope="module")
def study() -> alignlab.Judgments:
    return simulate_pairwise_judge_study(300, gold_fraction=0.7, random_state=7)


def test_validate_judge_against_gold_only(study):
    common = {"find_segments": False, "n_resamples": 200, "random_state": 0}
    strong = validate_judge(study, raters="strong/cot", min_accuracy=0.75, **common)
    assert strong.verdict == "replace" and strong.humans == () and not strong.harmful
    assert not strong.evidence("gold_accuracy").empty and not strong.evidence("model_accuracy").empty
    inverted = validate_judge(study, raters="inverted/cot", reference="gold", **common)
    assert inverted.verdict == "do_not_use" and inverted.harmful
    assert "less often than chance" in inverted.reasons[0]
    biased = validate_judge(study, raters="biased/cot", min_accuracy=0.5, **common)
    assert biased.verdict != "replace"  # accurate enough for min_accuracy=0.5, but position-biased
    assert any("position-biased" in r for r in biased.reasons)
    abstainer = validate_judge(study, raters="abstainer/cot", **common)
    assert abstainer.evidence("abstention_rate")["estimate"].iloc[0] > 0.1
    assert abstainer.accuracy is not None
    assert "gold" in strong.rule and "order" in strong.rule


def test_validate_judge_reports_humans_against_gold_beside_the_judge():
    j = simulate_pairwise_judge_study(120, n_humans=2, random_state=2)
    res = validate_judge(j, raters="strong/cot", find_segments=False, n_resamples=200, random_state=0)
    humans = res.evidence("human_gold_accuracy")
    assert set(humans["subject"]) == {"human_1", "human_2"}
    assert not res.evidence("judge_agreement").empty  # the human evidence is still there
    assert any("humans' mean accuracy against gold" in r for r in res.reasons)


def test_trust_weights_give_an_inverted_judge_weight_zero(study):
    from alignlab.workflows import trust_weights

    sub = study.subset(raters=["strong/cot", "strong/plain", "abstainer/cot", "inverted/cot"])
    weights = trust_weights(sub, target="win_rate", reference="strong/cot", random_state=0)
    table = weights.to_frame().set_index("source")
    assert table.loc["inverted/cot", "weight"] == 0


def test_gold_only_cli(tmp_path, study):
    from typer.testing import CliRunner

    from alignlab.cli import app

    path = tmp_path / "judges.csv"
    frame = study.to_frame().drop(columns=["source_row", "weight"])
    absent = study.abstentions.drop(columns=["source_row", "weight"], errors="ignore")
    pd.concat([frame, absent], ignore_index=True).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["validate-judge", str(path), "--scale", "pairwise", "--raters", "inverted/cot",
                                      "--reference", "gold", "--abstain", "invalid", "--n-resamples", "100", "--json"])
    assert result.exit_code == 0, result.output
    assert '"do_not_use"' in result.output


def test_report_shows_the_harmful_judge_and_its_gold_accuracy(tmp_path, study):
    v = validate_judge(study, raters="inverted/cot", find_segments=False, n_resamples=100, random_state=0)
    page = v.to_html(tmp_path / "judge")
    text = (page if page.suffix == ".html" else page / "index.html").read_text()
    assert "harmful" in text and "accuracy vs gold (abstentions wrong)" in text


def test_flip_inverted_is_an_explicit_choice(study):
    from alignlab.alignment.judges import flip_labels
    from alignlab.workflows import trust_weights

    sub = study.subset(raters=["strong/cot", "strong/plain", "abstainer/cot", "inverted/cot"])
    flipped = trust_weights(sub, target="win_rate", reference="strong/cot", flip_inverted=True, random_state=0)
    table = flipped.to_frame().set_index("source")
    assert table.loc["inverted/cot", "weight"] > 0
    assert any("flip_inverted" in n for n in flipped.notes)
    mirrored = flip_labels(sub, ["inverted/cot"])
    before = sub.frame.loc[sub.frame["rater_id"] == "inverted/cot", "value"].to_numpy()
    after = mirrored.frame.loc[mirrored.frame["rater_id"] == "inverted/cot", "value"].to_numpy()
    assert ((before == "A") == (after == "B")).all() and len(mirrored.abstentions) == len(sub.abstentions)


def test_report_validates_judges_against_gold_without_humans(tmp_path):
    from alignlab.report import build_report

    j = simulate_pairwise_judge_study(60, judges={"good/cot": {"accuracy": 0.9}, "bad/cot": {"accuracy": 0.2}},
                                      random_state=0)
    build_report(j, tmp_path / "report", options={"workflows.n_resamples": 100}, random_state=0)
    html = "".join(p.read_text() for p in (tmp_path / "report").rglob("*.html"))
    assert "accuracy vs gold (abstentions wrong)" in html and "harmful" in html


def test_compare_judges_cli(tmp_path, study):
    import json

    from typer.testing import CliRunner

    from alignlab.cli import app

    path = tmp_path / "judges.csv"
    frame = study.to_frame().drop(columns=["source_row", "weight"])
    absent = study.abstentions.drop(columns=["source_row", "weight"], errors="ignore")
    pd.concat([frame, absent], ignore_index=True).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["compare-judges", str(path), "--scale", "pairwise", "--abstain", "invalid",
                                      "--by", "strategy", "--n-resamples", "100", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload["harmful"]) == {"inverted/cot", "inverted/plain"} and len(payload["pairs"]) == 16
    text = CliRunner().invoke(app, ["compare-judges", str(path), "--scale", "pairwise", "--abstain", "invalid",
                                    "--n-resamples", "100"])
    assert text.exit_code == 0 and "Most accurate" in text.output
