"""Data fidelity: ids stay exactly as written, no judgment is lost without being counted, and
degenerate data never yields a confident number (issue #19)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignlab import JudgmentsValidationError, Scale, load_judgments

HOSTILE_IDS = ["007", "07", "7", "0007", "000", "1e3", "nan", "NA", "null", "None", "N/A", "-0", "1.0",
               "12345678901234567890123", " 7", "True"]


def _write(tmp_path, frame: pd.DataFrame, fmt: str):
    path = tmp_path / f"t.{fmt}"
    if fmt in ("csv", "csv.gz"):
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    else:
        frame.to_json(path, orient="records", lines=True)
    return path


# --------------------------------------------------------------------------------------------------
# ids read from files are text, exactly as written
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "tsv", "jsonl"])
def test_hostile_ids_round_trip_exactly(fmt: str, tmp_path) -> None:
    n = len(HOSTILE_IDS)
    frame = pd.DataFrame({
        "item_id": HOSTILE_IDS, "rater_id": HOSTILE_IDS[::-1], "value": [0, 1] * (n // 2),
        "system": HOSTILE_IDS, "vendor": ["010"] * n, "conversation_id": HOSTILE_IDS,
    })
    j = load_judgments(_write(tmp_path, frame, fmt), scale="binary", segments=["conversation_id"])
    assert len(j) == n and j.n_excluded == 0
    assert sorted(j.items) == sorted(HOSTILE_IDS)
    assert sorted(j.raters) == sorted(HOSTILE_IDS)
    by_source = j.frame.sort_values("source_row")
    for column in ("item_id", "rater_id", "system", "vendor", "conversation_id"):
        assert by_source[column].tolist() == frame[column].tolist(), column


def test_leading_zero_ids_are_distinct_items_not_duplicates(tmp_path) -> None:
    # the case: 007/07/7/0007 used to load as one item 7, and keep_last discarded 9 of 12 judgments
    path = tmp_path / "zeros.csv"
    lines = ["item_id,rater_id,value"] + [f"{i},{r},{v}" for i in ("007", "07", "7", "0007")
                                            for r, v in (("ann", 1), ("bob", 0), ("cy", 1))]
    path.write_text("\n".join(lines) + "\n")
    j = load_judgments(path, duplicates="keep_last")
    assert j.n_excluded == 0 and len(j) == 12
    assert sorted(j.items) == ["0007", "007", "07", "7"]
    assert load_judgments(path).n_items == 4  # and duplicates="error" finds no false duplicate


def test_keyword_mapped_id_columns_read_as_text(tmp_path) -> None:
    path = tmp_path / "mapped.csv"
    path.write_text("doc,who,grade,batch\n001,010,1,5\n002,010,0,5\n001,011,1,6\n")
    j = load_judgments(path, item="doc", rater="who", value="grade", id_columns=["batch"], scale="binary")
    assert list(j.items) == ["001", "002"]
    assert list(j.raters) == ["010", "011"]
    assert j.frame["batch"].tolist() == ["5", "5", "6"]  # id_columns=: read as text too
    assert j.segments == ("batch",)  # and still inferred as a segment (numeric-looking ids)


def test_non_id_columns_keep_pandas_defaults(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("item_id,rater_id,value,length\n1,a,NA,3\n2,a,1,4\n3,a,0,\n")
    j = load_judgments(path, scale="binary", on_invalid="drop")
    assert j.frame["length"].dtype == float  # numbers stay numbers
    assert list(j.items) == ["2", "3"]
    assert j.exclusions["problem"].tolist() == ["missing value (NaN/None)"]  # "NA" is still missing for values


def test_empty_id_field_is_missing(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("item_id,rater_id,value\n,a,1\nNA,a,0\n")
    with pytest.raises(JudgmentsValidationError, match="missing item_id") as info:
        load_judgments(path, scale="binary")
    assert info.value.failures["row"].tolist() == [0]


def test_jsonl_numbers_in_id_columns_keep_their_source_text(tmp_path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"item_id": "007", "rater_id": 7, "value": 1}\n'
                    '{"item_id": "7", "rater_id": 1e3, "value": 0}\n'
                    '{"item_id": "NA", "rater_id": true, "value": 1}\n'
                    '{"item_id": 12345678901234567890123, "rater_id": "null", "value": 0}\n')
    j = load_judgments(path, scale="binary")
    assert j.frame.sort_values("source_row")["item_id"].tolist() == ["007", "7", "NA", "12345678901234567890123"]
    assert j.frame.sort_values("source_row")["rater_id"].tolist() == ["7", "1e3", "true", "null"]


def test_in_memory_frames_keep_their_dtype() -> None:
    frame = pd.DataFrame({"item_id": [7, 7, 8], "rater_id": [1, 2, 1], "value": [1, 0, 1]})
    j = load_judgments(frame, scale="binary")
    assert list(j.items) == [7, 8] and j.items.dtype == np.int64
    big = pd.DataFrame({"item_id": [2**62, 2**62 + 1], "rater_id": ["a", "a"], "value": [0, 1]})
    assert list(load_judgments(big, scale="binary").items) == [2**62, 2**62 + 1]


def test_results_carry_ids_exactly(tmp_path) -> None:
    from alignlab.annotators import DawidSkene

    path = tmp_path / "t.csv"
    rows = [f"{i},{r},{(k + m) % 2}" for k, i in enumerate(["001", "01", "1", "1e3"]) for m, r in
            enumerate(["007", "7", "NA"])]
    path.write_text("item_id,rater_id,value\n" + "\n".join(rows) + "\n")
    j = load_judgments(path, scale="binary")
    model = DawidSkene(engine="em", random_state=0).fit(j)
    assert sorted(model.raters_["rater_id"]) == ["007", "7", "NA"]
    assert sorted(model.predict().index) == ["001", "01", "1", "1e3"]


def test_semicolon_csv_gets_a_separator_hint(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("item_id;rater_id;value\n1;a;1\n2;a;0\n")
    with pytest.raises(JudgmentsValidationError, match="semicolon-separated") as info:
        load_judgments(path)
    assert "sep=';', dtype={'item_id': 'str', 'rater_id': 'str'}" in str(info.value)


_id_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r\n"),
            min_size=1, max_size=12),
    st.sampled_from(HOSTILE_IDS),
    st.integers(-10**30, 10**30).map(str),
    st.integers(0, 999).map(lambda v: f"{v:05d}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
).filter(lambda s: s.strip() != "" or s == " ")


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(_id_text, min_size=1, max_size=12, unique=True), fmt=st.sampled_from(["csv", "tsv", "jsonl"]))
def test_property_any_id_column_round_trips_exactly(ids: list[str], fmt: str, tmp_path) -> None:
    ids = [i for i in ids if i != ""]  # an empty field is a missing id, by design
    if not ids or (fmt == "tsv" and any("\t" in i for i in ids)):
        return
    frame = pd.DataFrame({"item_id": ids, "rater_id": ids[::-1], "value": [k % 2 for k in range(len(ids))],
                          "system": ids, "vendor": ids[::-1], "conversation_id": ids})
    path = tmp_path / f"prop.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in frame.to_dict(orient="records")))
    else:
        frame.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    j = load_judgments(path, scale=Scale.binary((0, 1)), segments=["conversation_id"])
    loaded = j.frame.sort_values("source_row")
    assert len(loaded) == len(frame) and j.n_excluded == 0
    for column in ("item_id", "system", "conversation_id"):
        assert loaded[column].tolist() == ids, column
    for column in ("rater_id", "vendor"):
        assert loaded[column].tolist() == ids[::-1], column
    assert sorted(j.items) == sorted(ids)


# --------------------------------------------------------------------------------------------------
# degenerate data never gives a confident number
# --------------------------------------------------------------------------------------------------
from alignlab._array.bootstrap import MIN_RESAMPLING_UNITS, bootstrap  # noqa: E402
from alignlab._params import NOT_COMPUTABLE, DegenerateDataWarning  # noqa: E402


def _mean_statistic(x: np.ndarray):
    return lambda w: (w @ x) / w.sum(axis=1)


@pytest.mark.parametrize("method", ["bca", "percentile", "basic"])
def test_bootstrap_of_one_unit_is_nan_with_a_warning(method: str) -> None:
    x = np.array([0.7])
    with pytest.warns(DegenerateDataWarning, match="only 1 item to resample"):
        out = bootstrap(_mean_statistic(x), 1, method=method, random_state=0)
    assert np.isnan(out.low) and np.isnan(out.high)
    assert out.warnings and NOT_COMPUTABLE in out.warnings[0]
    assert MIN_RESAMPLING_UNITS == 2


def test_bootstrap_minimum_counts_clusters_not_units() -> None:
    x = np.arange(10, dtype=float)
    with pytest.warns(DegenerateDataWarning, match="only 1 cluster to resample"):
        out = bootstrap(_mean_statistic(x), 10, clusters=np.full(10, 7), random_state=0)
    assert np.isnan(out.low)
    with pytest.warns(DegenerateDataWarning, match="fewer than the 30"):
        assert np.isnan(bootstrap(_mean_statistic(x), 10, min_units=30, random_state=0).high)


def test_bootstrap_zero_width_interval_is_not_reported() -> None:
    x = np.full(50, 3.0)  # every resample gives the same mean
    with pytest.warns(DegenerateDataWarning, match="zero width"):
        out = bootstrap(_mean_statistic(x), 50, random_state=0)
    assert np.isnan(out.low) and np.isnan(out.high)


def test_bootstrap_mostly_failed_resamples_warn() -> None:
    x = np.array([1.0, 0.0])

    def statistic(w):  # undefined (NaN) unless both units are drawn
        return np.where((w > 0).all(axis=1), w @ x / w.sum(axis=1), np.nan)

    with pytest.warns(DegenerateDataWarning, match="gave no value"):
        out = bootstrap(statistic, 2, n_resamples=400, random_state=0)
    assert np.isnan(out.low)


def test_bootstrap_ordinary_data_unchanged() -> None:
    from scipy import stats

    x = np.random.default_rng(1).normal(size=40)
    out = bootstrap(_mean_statistic(x), 40, method="percentile", n_resamples=4000, random_state=0)
    ref = stats.bootstrap((x,), np.mean, method="percentile", n_resamples=4000, random_state=0).confidence_interval
    assert out.warnings == ()
    assert out.low == pytest.approx(ref.low, abs=0.03) and out.high == pytest.approx(ref.high, abs=0.03)


def _one_item() -> pd.DataFrame:
    return pd.DataFrame({"item_id": ["a"] * 3, "rater_id": ["r1", "r2", "r3"], "value": [1, 2, 2]})


def test_alpha_on_one_item_has_no_interval() -> None:
    from alignlab import agreement

    j = load_judgments(_one_item(), scale=Scale.ordinal([1, 2, 3]))
    with pytest.warns(DegenerateDataWarning):
        result = agreement.krippendorff_alpha(j)
    assert np.isnan(result.ci_low) and np.isnan(result.ci_high)
    assert any(NOT_COMPUTABLE in w for w in result.warnings)
    assert "CI 0.000 to 0.000" not in str(result)


def test_alpha_with_perfect_agreement_on_two_items_has_no_zero_width_interval() -> None:
    from alignlab import agreement

    frame = pd.DataFrame({"item_id": ["a", "a", "b", "b"], "rater_id": ["r1", "r2"] * 2, "value": [1, 1, 2, 2]})
    j = load_judgments(frame, scale=Scale.ordinal([1, 2, 3]))
    with pytest.warns(DegenerateDataWarning):
        result = agreement.krippendorff_alpha(j)
    assert result.estimate == 1.0
    assert np.isnan(result.ci_low) and np.isnan(result.ci_high)


@pytest.mark.parametrize("model_name", ["DawidSkene", "OneCoin", "MACE"])
def test_annotator_on_one_item_has_nan_intervals_and_a_warning(model_name: str) -> None:
    from alignlab import annotators

    frame = pd.DataFrame({"item_id": ["a"] * 3, "rater_id": ["r1", "r2", "r3"], "value": [1, 0, 1]})
    model = getattr(annotators, model_name)(engine="em", random_state=0).fit(load_judgments(frame, scale="binary"))
    raters = model.raters_
    for column in ("reliability_low", "reliability_high", "bias_low", "bias_high", "spammer_prob"):
        assert raters[column].isna().all(), column
    assert any("needs at least 2 items, has 1" in w and NOT_COMPUTABLE in w for w in model.warnings_)
    assert "not computable" in model.summary().as_text()


def test_annotator_without_overlapping_raters_has_nan_intervals() -> None:
    from alignlab.annotators import DawidSkene

    frame = pd.DataFrame({"item_id": np.arange(40), "rater_id": np.arange(40) % 4, "value": np.arange(40) % 2})
    model = DawidSkene(engine="em", random_state=0).fit(load_judgments(frame, scale="binary"))
    assert model.raters_["reliability_low"].isna().all()
    assert any("items judged by two or more raters" in w for w in model.warnings_)
    # with gold labels on some items the raters can be assessed: intervals come back
    gold = frame.assign(gold=np.where(np.arange(40) < 20, np.arange(40) % 2, np.nan))
    model = DawidSkene(engine="em", random_state=0).fit(load_judgments(gold, scale="binary"))
    assert not any(NOT_COMPUTABLE in w for w in model.warnings_)


def test_annotator_with_enough_data_is_untouched() -> None:
    from alignlab.annotators import DawidSkene

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 60)
    rows = [(i, r, truth[i] if rng.random() < 0.8 else 1 - truth[i]) for i in range(60) for r in range(4)]
    frame = pd.DataFrame(rows, columns=["item_id", "rater_id", "value"])
    model = DawidSkene(engine="em", random_state=0).fit(load_judgments(frame, scale="binary"))
    assert model.raters_["reliability_low"].notna().all()
    assert (model.raters_["reliability_high"] > model.raters_["reliability_low"]).all()
    assert not any(NOT_COMPUTABLE in w for w in model.warnings_)


def test_report_marks_sections_below_minimum_data_not_computable() -> None:
    from alignlab.report import build_report

    j = load_judgments(_one_item(), scale=Scale.ordinal([1, 2, 3]))
    with np.errstate(invalid="ignore", divide="ignore"):
        html, built = build_report(j, sections=["agreement", "raters"])
    by_key = {b.spec.key: b for b in built}
    assert by_key["agreement"].not_computable and by_key["raters"].not_computable
    assert "Not computable" in html
    summary = html.split('id="summary"')[1].split("</section>")[0]
    assert "Agreement: not computable from these data" in summary
    assert "0.000 (95% CI 0.000 to 0.000)" not in html


# --------------------------------------------------------------------------------------------------
# clear errors where they were raw
# --------------------------------------------------------------------------------------------------
def test_dense_matrix_over_budget_points_to_sparse() -> None:
    from alignlab.data import MatrixTooLargeError

    n = 30_000
    frame = pd.DataFrame({"item_id": np.arange(n), "rater_id": np.arange(n), "value": np.arange(n) % 2})
    j = load_judgments(frame, scale="binary")
    with pytest.raises(MatrixTooLargeError, match=r"6.7 GiB.*sparse=True"):
        j.matrix()
    assert j.matrix(sparse=True).nnz == n
    small = load_judgments(frame.head(100), scale="binary")
    with pytest.raises(MemoryError, match="budget of 1.0 KiB"):
        small.matrix(max_bytes=1024)
    assert small.matrix(max_bytes=10**6).shape == (100, 100)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Scale.ordinal([1, 1, 2]), "repeats the level 1"),
    (lambda: Scale.categorical(["a", "b", "a"]), "repeats the label 'a'"),
    (lambda: Scale.binary([0, 0.0]), "repeats the label 0.0"),
    (lambda: Scale.ordinal([1]), "at least two distinct levels"),
])
def test_scale_names_the_repeated_level(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_report_out_naming_an_existing_file(tmp_path) -> None:
    from typer.testing import CliRunner

    from alignlab.cli import app
    from alignlab.report import build_report

    target = tmp_path / "report.html"
    target.write_text("keep me")
    j = load_judgments(_one_item(), scale=Scale.ordinal([1, 2, 3]))
    with pytest.raises(ValueError, match="is an existing file, not a directory"):
        build_report(j, target)
    csv = tmp_path / "t.csv"
    pd.DataFrame({"item_id": [1, 1, 2, 2], "rater_id": ["a", "b"] * 2, "value": [1, 0, 1, 1]}).to_csv(csv, index=False)
    result = CliRunner().invoke(app, ["report", str(csv), "--out", str(target)])
    assert result.exit_code == 2
    assert "existing file" in result.output and "--out" in result.output
    assert target.read_text() == "keep me"


def test_every_result_refuses_a_zero_width_interval() -> None:
    from alignlab.results import EstimateResult

    result = EstimateResult(estimate=1.0, ci_low=1.0, ci_high=1.0, ci_method="analytic", n_items=1)
    assert np.isnan(result.ci_low) and np.isnan(result.ci_high)
    assert any(NOT_COMPUTABLE in w for w in result.warnings)
    assert "CI" not in str(result).splitlines()[0]
    ordinary = EstimateResult(estimate=0.5, ci_low=0.4, ci_high=0.6)
    assert (ordinary.ci_low, ordinary.ci_high, ordinary.warnings) == (0.4, 0.6, ())


def test_observed_gold_accuracy_interval_survives_the_model_minimum() -> None:
    from statsmodels.stats.proportion import proportion_confint

    from alignlab.annotators import DawidSkene

    frame = pd.DataFrame({"item_id": ["a"] * 3, "rater_id": ["r1", "r2", "r3"], "value": [1, 0, 1], "gold": [1] * 3})
    model = DawidSkene(engine="em", random_state=0).fit(load_judgments(frame, scale="binary"))
    raters = model.raters_.set_index("rater_id")
    assert raters["accuracy_low"].isna().all()  # the model's accuracy: below its minimum data
    low, high = proportion_confint(1, 1, alpha=0.05, method="wilson")  # the raw binomial interval stands
    assert raters.loc["r1", "accuracy_raw_low"] == pytest.approx(low)
    assert raters.loc["r1", "accuracy_raw_high"] == pytest.approx(high)


def test_subset_with_numbers_on_text_ids_says_ids_are_text(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("item_id,rater_id,value\n7,a,1\n007,a,0\n")
    j = load_judgments(path, scale="binary")
    assert j.subset(items=["007"]).n_items == 1
    with pytest.raises(ValueError, match=r"ids are text.*items=\['7'\]"):
        j.subset(items=[7])


@pytest.mark.parametrize("name", ["t.json", "t.jsonl.bz2", "t.jsonl.gz"])
def test_json_files_and_compressed_lines_keep_id_text(name: str, tmp_path) -> None:
    import bz2
    import gzip

    records = [{"item_id": 1e3, "rater_id": "007", "value": 1}, {"item_id": 7, "rater_id": "NA", "value": 0}]
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(records))
    else:
        text = "".join(json.dumps(r) + "\n" for r in records).replace("1000.0", "1e3")
        opener = bz2.open if name.endswith(".bz2") else gzip.open
        with opener(path, "wt") as handle:
            handle.write(text)
    j = load_judgments(path, scale="binary")
    rows = j.frame.sort_values("source_row")
    assert rows["rater_id"].tolist() == ["007", "NA"]
    assert rows["item_id"].tolist() == (["1000.0", "7"] if name.endswith(".json") else ["1e3", "7"])


def test_label_columns_named_like_bounds_are_not_intervals() -> None:
    from alignlab.annotators import DawidSkene

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"item_id": np.repeat(np.arange(30), 3), "rater_id": np.tile(["a", "b", "c"], 30),
                          "value": rng.choice(["risk_low", "risk_high"], 90)})
    model = DawidSkene(engine="em", random_state=0).fit(load_judgments(frame, scale="categorical"))
    probabilities = model.items_[["p_risk_high", "p_risk_low"]].to_numpy()
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert not any("zero width" in w for w in model.warnings_)


@pytest.mark.parametrize("error", [FileExistsError(17, "File exists", "out.csv"),
                                   NotADirectoryError(20, "Not a directory", "out.csv/index.html")])
def test_cli_path_errors_are_user_errors(error: OSError) -> None:
    import typer

    from alignlab.cli._app import EXIT_INVALID_INPUT, handle_errors

    @handle_errors
    def command() -> None:
        raise error

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == EXIT_INVALID_INPUT == 2


def test_cli_validate_keeps_leading_zero_ids(tmp_path) -> None:
    from typer.testing import CliRunner

    from alignlab.cli import app

    path = tmp_path / "zeros.csv"
    path.write_text("task,worker,label\n007,01,1\n07,01,0\n7,1,1\n0007,1,1\n")
    result = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["n_items"] == 4 and payload["n_raters"] == 2 and payload["n_excluded"] == 0
    assert sorted(r["rater_id"] for r in payload["by_rater"]) == ["01", "1"]


@pytest.mark.parametrize("case", ["ordinal", "text", "pairwise", "bool", "continuous", "numeric_method", "dropped"])
def test_data_hash_fast_path_equals_pandas_row_hashes(case: str) -> None:
    import hashlib

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"item_id": rng.integers(0, 80, n), "rater_id": rng.integers(0, 9, n).astype(str)})
    frame["method"] = np.where(frame["rater_id"].isin(["0", "1"]), "llm_judge", "human")
    kwargs: dict = {"duplicates": "keep_all"}
    if case == "ordinal":
        frame["value"] = rng.integers(1, 6, n)
    elif case == "text":
        frame["value"] = rng.choice(["good", "bad", "ugly"], n)
    elif case == "pairwise":
        frame["value"] = rng.choice(["A", "B", "tie", "1", "2"], n)
        kwargs["scale"] = "pairwise"
    elif case == "bool":
        frame["value"] = rng.random(n) < 0.4
    elif case == "continuous":
        frame["value"] = rng.normal(size=n)
    elif case == "numeric_method":
        frame["value"] = rng.integers(0, 2, n)
        frame["method"] = np.where(frame["rater_id"].isin(["0", "1"]), 2, 1)
    else:
        frame["value"] = rng.integers(1, 6, n).astype(object)
        frame.loc[:20, "value"] = 9
        kwargs.update(scale=Scale.ordinal([1, 2, 3, 4, 5]), on_invalid="drop")
    j = load_judgments(frame, **kwargs)
    tables = [j, j.subset(raters=["2", "3", "4"])]
    for table in tables:
        hashed = pd.util.hash_pandas_object(table.frame.drop(columns=["source_row"]), index=False).to_numpy()
        digest = hashlib.sha256(hashed.tobytes())
        digest.update(table.scale.describe().encode())
        assert table.data_hash == digest.hexdigest()[:16]


def test_result_tables_refuse_zero_width_rows() -> None:
    from alignlab.results import TableResult

    table = pd.DataFrame({"rater_id": ["a", "b"], "agreement": [1.0, 0.5], "agreement_low": [1.0, 0.3],
                          "agreement_high": [1.0, 0.7], "p_x_low": [0.2, 0.2], "p_x_high": [0.2, 0.2]})
    result = TableResult(table=table)
    out = result.to_frame()
    assert np.isnan(out.loc[0, "agreement_low"]) and np.isnan(out.loc[0, "agreement_high"])
    assert out.loc[1, "agreement_low"] == 0.3 and out.loc[1, "agreement_high"] == 0.7
    assert out["p_x_low"].tolist() == [0.2, 0.2]  # no "p_x" estimate column: not an interval
    assert any("1 interval(s) in the table had zero width" in w for w in result.warnings)
    assert table.loc[0, "agreement_low"] == 1.0  # the caller's frame is not modified
