"""Structure of agreement: pairwise, leave-one-out, by group, summary."""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab import agreement as ag
from alignlab._params import InvalidParameterError

DATA = Path(__file__).parent / "data" / "agreement"


@pytest.fixture(scope="module")
def convabuse() -> alignlab.Judgments:
    frame = pd.read_csv(DATA / "convabuse_long_labels.csv.gz")
    frame = frame[frame["repeat_index"] == 0]
    return alignlab.load_judgments(frame, item="item_idx", rater="annotator_id", value="abuse_level",
                                   scale="ordinal", segments=[])


def simulated(n_items: int = 300, seed: int = 0, scale: str = "ordinal") -> alignlab.Judgments:
    """3 humans (one noisy), 2 judges; a 'topic' segment; ordinal 1..5 from a latent score."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n_items)
    noise = {"h1": 0.5, "h2": 0.5, "h3": 2.0, "judge_a": 0.7, "judge_b": 0.7}
    rows = []
    for rater, sd in noise.items():
        score = truth + sd * rng.normal(size=n_items)
        value = np.clip(np.round(score + 3), 1, 5) if scale == "ordinal" else score
        rows.append(pd.DataFrame({"item_id": np.arange(n_items), "rater_id": rater,
                                  "method": "human" if rater.startswith("h") else "llm_judge", "value": value,
                                  "topic": np.where(np.arange(n_items) % 3 == 0, "math", "chat")}))
    frame = pd.concat(rows)
    frame = frame[rng.random(len(frame)) > 0.1]  # 10% missing
    sc = alignlab.Scale.ordinal([1, 2, 3, 4, 5]) if scale == "ordinal" else "continuous"
    return alignlab.load_judgments(frame, scale=sc, segments=["topic"])


def test_pairwise_cells_equal_the_two_rater_statistics(convabuse: alignlab.Judgments) -> None:
    table = ag.pairwise(convabuse, statistic="cohen_kappa", ci_method="none", min_items=20)
    frame = table.to_frame()
    assert len(frame) == 8 * 7 // 2
    row = frame.dropna(subset=["estimate"]).iloc[0]
    direct = ag.cohen_kappa(convabuse, raters=[row["rater_a"], row["rater_b"]], ci_method="none")
    assert row["estimate"] == pytest.approx(direct.estimate, abs=1e-12)
    matrix = table.matrix()
    assert matrix.shape == (8, 8)
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T, equal_nan=True)
    # alpha cells equal the krippendorff package on the two raters' rows (reference)
    alpha = ag.pairwise(convabuse, ci_method="none", min_items=20).to_frame().dropna(subset=["estimate"]).iloc[0]
    sub = convabuse.subset(raters=[alpha["rater_a"], alpha["rater_b"]])
    m = sub.matrix("value")
    m = m[~np.isnan(m).any(axis=1)]
    assert alpha["estimate"] == pytest.approx(krippendorff.alpha(m.T, level_of_measurement="ordinal"), abs=1e-9)


def test_pairwise_intervals_and_sparse_pairs(convabuse: alignlab.Judgments) -> None:
    frame = ag.pairwise(convabuse, raters=["Annotator1", "Annotator2", "Annotator3"], n_resamples=100,
                        random_state=0, min_items=2000).to_frame()
    assert frame["estimate"].isna().all()
    assert frame["warnings"].str.contains("min_items").all()
    frame = ag.pairwise(convabuse, raters=["Annotator1", "Annotator2"], n_resamples=100, random_state=0).to_frame()
    assert (frame["ci_low"] < frame["estimate"]).all() and (frame["estimate"] < frame["ci_high"]).all()


def test_leave_one_out_finds_the_noisy_rater() -> None:
    j = simulated()
    audit = ag.leave_one_out(j, n_resamples=100, random_state=0).to_frame()
    assert audit["rater_id"].iloc[0] == "h3"  # lowest agreement with the rest
    assert audit.loc[audit["rater_id"] == "h3", "change_if_removed"].iloc[0] > 0
    others = j.subset(raters=[r for r in j.raters if r != "h3"])
    expected = krippendorff.alpha(others.matrix("value").T, level_of_measurement="ordinal")  # reference
    assert audit.loc[audit["rater_id"] == "h3", "alpha_without"].iloc[0] == pytest.approx(expected, abs=1e-9)
    assert (audit["ci_low"] <= audit["estimate"]).all()
    with pytest.raises(ValueError, match="at least three raters"):
        ag.leave_one_out(j, raters=["h1", "h2"])


def test_cross_group_alpha_reduces_to_two_rater_alpha() -> None:
    # each item: one human (alternating between two humans) and one judge -> cross pairs = all pairs
    rng = np.random.default_rng(2)
    n = 120
    truth = rng.integers(1, 6, size=n)
    human = np.clip(truth + rng.integers(-1, 2, size=n), 1, 5)
    judge = np.clip(truth + rng.integers(-1, 2, size=n), 1, 5)
    frame = pd.concat([
        pd.DataFrame({"item_id": np.arange(n), "rater_id": np.where(np.arange(n) % 2, "h1", "h2"),
                      "method": "human", "value": human}),
        pd.DataFrame({"item_id": np.arange(n), "rater_id": "gpt", "method": "llm_judge", "value": judge}),
    ])
    for scale, level in ((alignlab.Scale.ordinal([1, 2, 3, 4, 5]), "ordinal"),
                         (alignlab.Scale.ordinal([1, 2, 3, 4, 5]), "interval"), ("continuous", "interval")):
        j = alignlab.load_judgments(frame, scale=scale, segments=[])
        table = ag.by_group(j, level=level, ci_method="none").to_frame().set_index("group")
        expected = krippendorff.alpha(np.vstack([human, judge]).astype(float), level_of_measurement=level)
        assert table.loc["human–llm_judge", "estimate"] == pytest.approx(expected, abs=1e-9)


def test_by_group_method_pairs_segments_and_strata() -> None:
    j = simulated()
    pairs = ag.by_group(j, n_resamples=100, random_state=0).to_frame().set_index("group")
    assert list(pairs.index) == ["human–human", "human–llm_judge", "llm_judge–llm_judge"]
    humans = krippendorff.alpha(j.subset(methods="human").matrix("value").T, level_of_measurement="ordinal")
    assert pairs.loc["human–human", "estimate"] == pytest.approx(humans, abs=1e-9)  # reference
    assert pairs["ci_low"].lt(pairs["estimate"]).all()
    segments = ag.by_group(j, by="topic", ci_method="none").to_frame().set_index("segment_level")
    math_items = j.item_info.loc[j.item_info["topic"] == "math", "item_id"]
    direct = ag.krippendorff_alpha(j.subset(items=list(math_items)), level="ordinal", ci_method="none")
    assert segments.loc["math", "estimate"] == pytest.approx(direct.estimate, abs=1e-12)
    strata = ag.by_group(j, by="human_disagreement", ci_method="none").to_frame()
    assert set(strata["stratum"]) == {"unanimous", "split"}
    counts = strata.drop_duplicates("stratum").set_index("stratum")["n_stratum_items"]
    human_counts = np.bincount(j.subset(methods="human").item_codes)
    assert counts.sum() == (human_counts >= 2).sum()
    split = strata.set_index(["stratum", "group"])
    # judges agree more with humans on items the humans agree on
    assert split.loc[("unanimous", "human–llm_judge"), "estimate"] > split.loc[("split", "human–llm_judge"), "estimate"]
    with pytest.raises(ValueError, match="neither 'method_pair'.*segments are"):
        ag.by_group(j, by="nope")
    with pytest.raises(ValueError, match="'reference' method 'expert'"):
        ag.by_group(j, by="human_disagreement", reference="expert")


def test_summary_picks_statistics_for_the_scale() -> None:
    discrete = ag.summary(simulated(), random_state=0, n_resamples=100).to_frame()
    assert discrete["statistic"].tolist() == ["percent_agreement", "krippendorff_alpha", "krippendorff_alpha",
                                              "fleiss_kappa", "gwet_ac1", "gwet_ac2", "brennan_prediger"]
    assert discrete["estimate"].notna().all() and discrete["ci_low"].notna().all()
    continuous = ag.summary(simulated(scale="continuous"), random_state=0, n_resamples=100).to_frame()
    assert continuous["statistic"].tolist() == ["krippendorff_alpha", "icc", "icc", "icc", "kendall_w"]
    assert continuous["level"].tolist() == ["interval", "ICC2", "ICC3", "ICC2k", "ranks"]
    with pytest.raises(InvalidParameterError, match="'ci_method' parameter of summary"):
        ag.summary(simulated(), ci_method="exact")


def _clustered_table(seed: int = 5) -> alignlab.Judgments:
    """Items in conversations of 10 that share a true score: 2 humans, 2 judges, ordinal 1..5."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(rng.normal(size=30), 10)
    rows = []
    for rater in ("h1", "h2", "judge_a", "judge_b"):
        value = np.clip(np.round(truth + 0.7 * rng.normal(size=300) + 3), 1, 5)
        rows.append(pd.DataFrame({"item_id": np.arange(300), "rater_id": rater, "value": value,
                                  "method": "human" if rater.startswith("h") else "llm_judge",
                                  "conversation": np.arange(300) // 10}))
    return alignlab.load_judgments(pd.concat(rows), scale="ordinal", segments=["conversation"])


def test_structure_functions_resample_conversations_whole() -> None:
    j = _clustered_table()
    opts = {"n_resamples": 300, "random_state": 0, "ci_method": "percentile"}
    # correlated items: the clustered interval is wider than the item bootstrap (seeded simulation)
    plain = ag.pairwise(j, **opts).table.set_index(["rater_a", "rater_b"])
    clustered = ag.pairwise(j, clusters="conversation", **opts).table.set_index(["rater_a", "rater_b"])
    assert (clustered["estimate"] == plain["estimate"]).all()
    assert clustered["ci_method"].str.contains("clustered").all()
    assert (clustered["standard_error"] > 1.3 * plain["standard_error"]).all()
    audit = ag.leave_one_out(j, clusters="conversation", **opts).table
    audit_plain = ag.leave_one_out(j, **opts).table
    assert audit["ci_method"].str.contains("clustered").all()
    assert audit["standard_error"].mean() > 1.3 * audit_plain["standard_error"].mean()
    groups = ag.by_group(j, clusters="conversation", **opts).table
    assert groups["ci_method"].str.contains("clustered").all() and len(groups) == 3
    summary = ag.summary(j, clusters="conversation", **opts).table
    assert summary["ci_method"].str.contains("clustered").all()
    w = ag.kendall_w(j, clusters="conversation", n_resamples=200, random_state=0)
    assert "clustered" in w.ci_method
    assert w.estimate == pytest.approx(ag.kendall_w(j, ci_method="none").estimate)


def test_structure_cluster_errors() -> None:
    j = _clustered_table()
    with pytest.raises(ValueError, match="not in the judgments table"):
        ag.pairwise(j, clusters="thread")
    with pytest.raises(ValueError, match="needs a bootstrap interval in summary"):
        ag.summary(j, clusters="conversation")  # default ci_method='analytic'
    with pytest.raises(ValueError, match="needs a bootstrap interval in leave_one_out"):
        ag.leave_one_out(j, clusters="conversation", ci_method="analytic")
    with pytest.raises(ValueError, match="not in the judgments table"):
        ag.by_group(j, clusters="thread")
