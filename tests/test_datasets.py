"""Bundled datasets: registry, files, counts and the published reference numbers they reproduce."""

from __future__ import annotations

import dataclasses
import gzip
from importlib import resources

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

import alignlab
from alignlab import datasets
from alignlab._params import InvalidParameterError

NAMES = ("bluebird", "pandalm", "hanna", "convabuse", "wmt23_mqm_ende", "dices350")
LIST_COLUMNS = ["name", "title", "scale", "n_judgments", "n_items", "n_raters", "methods", "segments",
                "license", "citation", "source"]
# regression: the documented counts of load(name) (also stated in each README)
EXPECTED = {
    "bluebird": dict(n_judgments=4212, n_items=108, n_raters=39, methods={"human"}, kind="binary", n_excluded=0),
    "pandalm": dict(n_judgments=4970, n_items=999, n_raters=5, methods={"human", "llm_judge"}, kind="pairwise",
                    n_excluded=0),
    "hanna": dict(n_judgments=31550, n_items=6336, n_raters=5, methods={"human", "llm_judge"}, kind="continuous",
                  n_excluded=130),
    "convabuse": dict(n_judgments=12411, n_items=4185, n_raters=8, methods={"human"}, kind="ordinal",
                      n_excluded=0),
    "wmt23_mqm_ende": dict(n_judgments=3120, n_items=1040, n_raters=10, methods={"human"}, kind="continuous",
                           n_excluded=0),
    "dices350": dict(n_judgments=43050, n_items=350, n_raters=123, methods={"human"}, kind="categorical",
                     n_excluded=0),
}


@pytest.fixture(scope="module")
def loaded() -> dict[str, alignlab.Judgments]:
    return {name: datasets.load(name) for name in NAMES}


def _data_file(name: str):
    return resources.files("alignlab.datasets").joinpath("_data", name)


def _raw(name: str) -> pd.DataFrame:
    """The bundled file as a plain table (what a user gets with pandas)."""
    with _data_file(datasets.info(name).file).open("rb") as raw, gzip.open(raw) as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------------
def test_list_has_every_dataset_and_column():
    table = datasets.list()
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == LIST_COLUMNS
    assert tuple(table["name"]) == NAMES
    for column in ("title", "scale", "methods", "license", "citation", "source"):
        assert table[column].map(lambda text: isinstance(text, str) and len(text.strip()) > 0).all(), column
    assert table["source"].str.contains("@").all()  # upstream repository @ commit
    for column in ("n_judgments", "n_items", "n_raters"):
        assert pd.api.types.is_integer_dtype(table[column])


def test_list_counts_match_loaded_data(loaded):
    table = datasets.list().set_index("name")
    for name, judgments in loaded.items():
        row = table.loc[name]
        assert (row["n_judgments"], row["n_items"], row["n_raters"]) == (
            len(judgments), judgments.n_items, judgments.n_raters)
        assert row["methods"] == ", ".join(judgments.methods)
        assert row["segments"] == ", ".join(judgments.segments)
        assert row["scale"].startswith(judgments.scale.describe())


def test_info_is_a_frozen_dataclass():
    spec = datasets.info("hanna")
    assert isinstance(spec, datasets.DatasetInfo)
    assert spec.name == "hanna" and spec.file == "hanna.csv.gz" and spec.readme == "hanna.README.md"
    assert spec.loader_kwargs["scale"] == alignlab.Scale.continuous(1, 5)
    assert spec.loader_kwargs["on_invalid"] == "drop"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.loader_kwargs["scale"] = None  # type: ignore[index]
    text = str(spec)
    assert "hanna" in text and "MIT" in text and "282f27536a5d" in text


def test_loader_kwargs_reproduce_load():
    spec = datasets.info("convabuse")
    direct = alignlab.load_judgments(_raw("convabuse"), **spec.loader_kwargs)
    assert direct.data_hash == datasets.load("convabuse").data_hash


def test_unknown_name_lists_datasets_and_suggests():
    with pytest.raises(ValueError, match=r"Unknown dataset 'bluebrid'\. Did you mean 'bluebird'\?.*dices350"):
        datasets.load("bluebrid")
    with pytest.raises(ValueError, match=r"Did you mean 'wmt23_mqm_ende'\?"):
        datasets.info("wmt23_mqm")
    with pytest.raises(ValueError, match=r"Available datasets: bluebird, pandalm, hanna"):
        datasets.load("zzzz")


def test_name_must_be_text():
    with pytest.raises(InvalidParameterError, match=r"The 'name' parameter of alignlab.datasets.load must be a str"):
        datasets.load(3)  # type: ignore[arg-type]


def test_builtin_list_still_usable_in_module():
    # the module defines `list`; the builtin stays reachable for its own code
    assert datasets.list is not list
    assert list(datasets.info("pandalm").segments) == ["comparison", "len_instruction", "len_a", "len_b"]


# --------------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_file_and_readme_exist(name):
    spec = datasets.info(name)
    assert _data_file(spec.file).is_file()
    readme = _data_file(spec.readme).read_text(encoding="utf-8")
    assert spec.citation in readme
    assert spec.license in readme
    assert spec.source in readme
    assert "## Transformation" in readme and "## Reference numbers" in readme
    assert "Licen" in readme


def test_data_folder_is_small_and_clean():
    folder = resources.files("alignlab.datasets").joinpath("_data")
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith("__")]
    names = {entry.name for entry in entries}
    expected = {datasets.info(n).file for n in NAMES} | {datasets.info(n).readme for n in NAMES}
    assert names == expected
    total = sum(len(entry.read_bytes()) for entry in entries)
    assert total < 5_000_000


# --------------------------------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_load_returns_documented_counts(loaded, name):
    judgments = loaded[name]
    expected = EXPECTED[name]
    spec = datasets.info(name)
    assert isinstance(judgments, alignlab.Judgments)
    assert len(judgments) == expected["n_judgments"] == spec.n_judgments
    assert judgments.n_items == expected["n_items"] == spec.n_items
    assert judgments.n_raters == expected["n_raters"] == spec.n_raters
    assert set(judgments.methods) == expected["methods"] == set(spec.methods)
    assert judgments.scale.kind == expected["kind"]
    assert judgments.segments == spec.segments
    assert judgments.n_excluded == expected["n_excluded"]


def test_bluebird_is_complete_with_gold(loaded):
    judgments = loaded["bluebird"]
    assert (judgments.item_info["n_raters"] == 39).all()
    assert judgments.item_info["gold"].notna().all()
    assert int(judgments.item_info["gold"].sum()) == 48


def test_pandalm_structure(loaded):
    judgments = loaded["pandalm"]
    info = judgments.rater_info.set_index("rater_id")
    assert info.loc[["annotator1", "annotator2", "annotator3"], "method"].eq("human").all()
    assert info.loc[["gpt-3.5-turbo", "pandalm-7b"], "method"].eq("llm_judge").all()
    # 25 unparseable gpt-3.5-turbo verdicts are left out of the file
    assert info.loc["gpt-3.5-turbo", "n_judgments"] == 974
    assert info.loc["pandalm-7b", "n_judgments"] == 999
    systems = set(judgments.frame["system_a"]) | set(judgments.frame["system_b"])
    assert systems == {"bloom-7b", "cerebras-gpt-6.7B", "llama-7b", "opt-7b", "pythia-6.9b"}
    row = judgments.frame.loc[judgments.frame["comparison"] == "cerebras-gpt-6.7B_llama-7b"].iloc[0]
    assert (row["system_a"], row["system_b"]) == ("cerebras-gpt-6.7B", "llama-7b")
    # reference: human-majority label counts in the PandaLM README (tie 105, A 422, B 472)
    humans = judgments.frame[judgments.frame["method"] == "human"]
    majority = humans.groupby("item_id")["value"].agg(lambda v: v.value_counts().index[0])
    assert majority.value_counts().to_dict() == {"B": 472, "A": 422, "tie": 105}


def test_hanna_structure(loaded):
    judgments = loaded["hanna"]
    assert set(judgments.frame["criterion"]) == {"Relevance", "Coherence", "Empathy", "Surprise", "Engagement",
                                                 "Complexity"}
    assert judgments.frame["item_id"].str.fullmatch(r"\d+:[A-Z][a-z]+").all()
    assert judgments.frame["system"].nunique() == 11
    assert judgments.frame["value"].between(1, 5).all()
    # the excluded rows are exactly the LLM means below 1, each with its reason
    assert judgments.exclusions["problem"].str.startswith("value outside the scale bounds").all()
    raw = _raw("hanna")
    assert len(raw) == 31680
    below = raw[raw["value"] < 1]
    assert len(below) == 130 and set(below["rater_id"]) <= {"Beluga-13B", "Mistral-7B", "Llama-13B", "ChatGPT"}


def test_convabuse_structure(loaded):
    judgments = loaded["convabuse"]
    assert judgments.scale.labels == (-3, -2, -1, 0, 1)
    items = judgments.item_info
    assert items["bot"].value_counts().to_dict() == {"E.L.I.Z.A.": 2670, "CarbonBot": 1515}
    assert items["n_raters"].between(2, 7).all()
    # reference: 12,768 annotations in the release = 12,411 first annotations + 357 repeat rows
    assert len(judgments) + 357 == 12768


def test_wmt_structure(loaded):
    judgments = loaded["wmt23_mqm_ende"]
    assert (judgments.item_info["n_raters"] == 3).all()
    assert judgments.frame["system"].nunique() == 10
    assert judgments.frame["value"].min() == 0
    assert judgments.scale.low == 0 and np.isinf(judgments.scale.high)
    means = judgments.frame.groupby("system")["value"].mean()
    # regression: values computed from the bundled file (lower is better)
    assert means.idxmin() == "ONLINE-W" and means.idxmax() == "NLLB_MBR_BLEU"
    assert means["refA"] == pytest.approx(3.63, abs=0.005)


def test_dices_structure(loaded):
    judgments = loaded["dices350"]
    assert (judgments.item_info["n_raters"] == 123).all()
    assert judgments.item_info["gold"].value_counts().to_dict() == {"No": 175, "Yes": 175}
    assert judgments.scale.labels == ("No", "Unsure", "Yes")


# --------------------------------------------------------------------------------------------------
# reference numbers
# --------------------------------------------------------------------------------------------------
def test_bluebird_majority_vote_accuracy(loaded):
    # reference: majority-vote error 24.07% (Zhang et al. 2014, Table 2) -> accuracy 0.7593
    judgments = loaded["bluebird"]
    frame = judgments.frame
    votes = frame.groupby("item_id")["value"].mean()
    gold = frame.groupby("item_id")["gold"].first()
    accuracy = ((votes > 0.5).astype(int) == gold.astype(int)).mean()
    assert accuracy == pytest.approx(0.7593, abs=5e-5)


def test_pandalm_annotator_kappas(loaded):
    # reference: PandaLM README table, recomputed 0.852 (1-2), 0.879 (1-3), 0.862 (2-3)
    wide = loaded["pandalm"].frame.pivot(index="item_id", columns="rater_id", values="value")
    expected = {("annotator1", "annotator2"): 0.852, ("annotator1", "annotator3"): 0.879,
                ("annotator2", "annotator3"): 0.862}
    for (first, second), kappa in expected.items():
        assert cohen_kappa_score(wide[first], wide[second]) == pytest.approx(kappa, abs=5e-4)


@pytest.mark.parametrize(("llm", "expected"), [
    ("Beluga-13B", 0.476), ("Mistral-7B", 0.470), ("Llama-13B", 0.364), ("ChatGPT", 0.373),
])
def test_hanna_relevance_spearman(llm, expected):
    # reference: shared/data/hanna README, Spearman(human mean, LLM mean over 4 configs), Relevance, 1056 stories;
    # computed on the bundled file as released (load() additionally excludes LLM means below 1)
    raw = _raw("hanna")
    relevance = raw[raw["criterion"] == "Relevance"].pivot(index="item_id", columns="rater_id", values="value")
    assert len(relevance) == 1056
    rho = spearmanr(relevance["human_mean"], relevance[llm]).statistic
    assert rho == pytest.approx(expected, abs=0.002)


def test_hanna_relevance_spearman_after_exclusions(loaded):
    # regression: with the 8 Beluga-13B Relevance means below 1 excluded by load()
    frame = loaded["hanna"].frame
    relevance = frame[frame["criterion"] == "Relevance"].pivot(index="item_id", columns="rater_id", values="value")
    pair = relevance[["human_mean", "Beluga-13B"]].dropna()
    assert len(pair) == 1048
    assert spearmanr(pair["human_mean"], pair["Beluga-13B"]).statistic == pytest.approx(0.4790, abs=5e-4)


def test_dices_crowd_krippendorff_alpha(loaded):
    # reference: JUDGE-BENCH (Bavaresco et al. 2025) crowd Krippendorff alpha on DICES-350 = 0.161 (nominal)
    judgments = loaded["dices350"]
    alpha = krippendorff.alpha(reliability_data=judgments.reliability_data(), level_of_measurement="nominal")
    assert alpha == pytest.approx(0.161, abs=5e-4)
