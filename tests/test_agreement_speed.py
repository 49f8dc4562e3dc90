"""The load-time views the agreement module relies on for speed are exactly the lazily computed ones.

``load_judgments`` factorises the ids and encodes the labels while validating and keeps the results as
the table's cached ``item_codes``/``rater_codes``/``label_codes`` (and a no-repeats flag), so the first
statistic on a freshly loaded table does not repeat that work. These tests compare the primed views with
what the cached properties compute from the frame (the pre-existing definition), on bundled real data and
on inputs with dropped rows, repeats, text ids and unsorted rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alignlab
from alignlab import agreement
from alignlab.data.judgments import Judgments
from alignlab.data.scales import Scale


def _lazy(j: alignlab.Judgments) -> Judgments:
    """The same table without any primed view: every cached property computes from the frame."""
    return Judgments(j.frame, j.scale, segments=j.segments, aggregates=j.aggregates)


def _assert_same_views(j: alignlab.Judgments) -> None:
    fresh = _lazy(j)
    np.testing.assert_array_equal(j.item_codes, fresh.item_codes)
    np.testing.assert_array_equal(j.rater_codes, fresh.rater_codes)
    assert j.items.equals(fresh.items) and j.items.dtype == fresh.items.dtype and j.items.name == "item_id"
    assert j.raters.equals(fresh.raters) and j.raters.dtype == fresh.raters.dtype
    assert j.item_codes.dtype == fresh.item_codes.dtype == np.int64
    if j.scale.is_discrete:
        np.testing.assert_array_equal(j.label_codes, fresh.label_codes)
    assert j._has_repeated_pairs == fresh._has_repeated_pairs


@pytest.mark.parametrize("name", ["bluebird", "pandalm", "hanna", "convabuse", "dices350"])
def test_primed_views_equal_lazy_views_on_bundled_data(name: str) -> None:
    j = alignlab.datasets.load(name)
    _assert_same_views(alignlab.load_judgments(j.frame.sample(frac=1.0, random_state=0), scale=j.scale))


def test_primed_views_after_dropped_rows_and_text_ids() -> None:
    table = pd.DataFrame({
        "item_id": ["q9", "q2", "q2", "q7", "q7", "q1", "q1", "q3"],
        "rater_id": ["zoe", "ann", "bob", "ann", "bob", None, "bob", "zoe"],
        "value": ["yes", "no", "yes", "maybe", "yes", "no", "no", "no"],
    })
    j = alignlab.load_judgments(table, scale=Scale.categorical(["no", "yes"]), on_invalid="drop")
    # rows 3 (label off the scale) and 5 (missing rater) dropped: items q7 keeps one row, q1 one row
    assert j.n_excluded == 2 and len(j) == 6
    _assert_same_views(j)
    assert list(j.items) == ["q1", "q2", "q3", "q7", "q9"]  # regression: sorted, compact after drops


def test_repeats_flag_and_keep_last() -> None:
    table = pd.DataFrame({"item_id": [1, 1, 2, 1, 2], "rater_id": ["a", "b", "a", "a", "b"],
                          "value": [1, 2, 2, 1, 3]})
    kept = alignlab.load_judgments(table, scale="ordinal", duplicates="keep_all")
    assert kept._has_repeated_pairs
    _assert_same_views(kept)
    last = alignlab.load_judgments(table, scale="ordinal", duplicates="keep_last")
    assert not last._has_repeated_pairs and len(last) == 4
    _assert_same_views(last)
    assert not last.subset(raters=["a"])._has_repeated_pairs
    with pytest.raises(alignlab.JudgmentsValidationError, match="duplicate"):
        alignlab.load_judgments(table, scale="ordinal")
    # the repeated table gives the same alpha as its keep-last version (the last judgment is used)
    a = agreement.krippendorff_alpha(kept, ci_method="none")
    b = agreement.krippendorff_alpha(last, ci_method="none")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert "repeated judgments" in " ".join(a.warnings)


def test_rater_with_two_methods_is_still_reported() -> None:
    table = pd.DataFrame({"item_id": [1, 2, 1, 2], "rater_id": ["a", "a", "b", "b"],
                          "method": ["human", "llm_judge", "human", "human"], "value": [1, 0, 1, 1]})
    with pytest.raises(alignlab.JudgmentsValidationError, match="several values of 'method'"):
        alignlab.load_judgments(table, scale="binary")


def test_alpha_on_a_large_loaded_table_matches_krippendorff() -> None:
    """The fast first-call path (primed views, no row copies) on an unsorted 40,000-judgment table."""
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(3)
    truth = rng.integers(1, 5, size=2_000)
    data = np.where(rng.random((20, 2_000)) < 0.7, truth, rng.integers(1, 5, size=(20, 2_000))).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    raters, items = np.nonzero(~np.isnan(data))
    order = rng.permutation(raters.size)
    frame = pd.DataFrame({"item_id": items[order], "rater_id": raters[order], "value": data[raters, items][order]})
    j = alignlab.load_judgments(frame, scale=Scale.ordinal([1, 2, 3, 4]), segments=[])
    assert "label_codes" in j.__dict__ and "_item_factor" in j.__dict__  # primed at load
    for level in ("nominal", "ordinal", "interval"):
        ours = agreement.krippendorff_alpha(j, level=level, ci_method="none").estimate
        reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert ours == pytest.approx(reference, abs=1e-9)  # reference: krippendorff 0.9


def test_loading_leaves_the_callers_frame_untouched() -> None:
    # load_judgments copies the input shallowly (copy-on-write): renaming and re-encoding stay local
    table = pd.DataFrame({"item_id": [1, 1, 2, 2], "rater_id": ["a", "b", "a", "b"], "value": [1.0, 2.0, 2.0, 2.0],
                          7: ["x", "y", "x", "y"]})
    before = table.copy(deep=True)
    j = alignlab.load_judgments(table, scale=Scale.ordinal([1, 2]), segments=[])
    j.frame.loc[0, "rater_id"] = "zz"
    pd.testing.assert_frame_equal(table, before)
    assert list(table.columns) == ["item_id", "rater_id", "value", 7]
