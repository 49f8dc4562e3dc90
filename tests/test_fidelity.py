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
    assert "sep=';'" in str(info.value)


_id_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r\n"),
            min_size=1, max_size=12),
    st.sampled_from(HOSTILE_IDS),
    st.integers(-10**30, 10**30).map(str),
    st.integers(0, 999).map(lambda v: f"{v:05d}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
).filter(lambda s: s.strip() != "" or s == " ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(_id_text, min_size=1, max_size=12, unique=True), fmt=st.sampled_from(["csv", "tsv", "jsonl"]))
def test_property_any_id_column_round_trips_exactly(ids: list[str], fmt: str, tmp_path) -> None:
    ids = [i for i in ids if i != ""]  # an empty field is a missing id, by design
    if not ids or (fmt == "tsv" and any("\t" in i for i in ids)):
        return
    frame = pd.DataFrame({"item_id": ids, "rater_id": ids[::-1], "value": [k % 2 for k in range(len(ids))],
                          "system": ids})
    path = tmp_path / f"prop.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in frame.to_dict(orient="records")))
    else:
        frame.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    j = load_judgments(path, scale=Scale.binary((0, 1)), segments=[])
    loaded = j.frame.sort_values("source_row")
    assert len(loaded) == len(frame)
    assert loaded["item_id"].tolist() == ids
    assert loaded["rater_id"].tolist() == ids[::-1]
    assert loaded["system"].tolist() == ids
