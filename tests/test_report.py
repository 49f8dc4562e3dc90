"""The report skeleton: self-contained HTML, escaped user strings, opens cleanly in headless Chromium."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from alignlab import Scale, load_judgments
from alignlab.report import SectionContent, build_report, html, register_section
from alignlab.report.core import _REGISTRY
from tests.browser import requires_chromium, visit

XSS = "<script>alert(1)</script>"


@pytest.fixture
def hostile_judgments():
    table = pd.DataFrame({
        "item_id": ["i1", "i1", "i2", "i2", "i3", "i3"],
        "rater_id": ["ann", XSS, "ann", XSS, "ann", XSS],
        "method": ["human", "llm_judge"] * 3,
        "value": [4, 5, 2, 2, 3, 4],
        "locale": [XSS, XSS, "en", "en", "<img src=x onerror=alert(2)>", "ja"],
    })
    return load_judgments(table, scale=Scale.ordinal([1, 2, 3, 4, 5]))


def test_report_is_self_contained_and_escaped(hostile_judgments, tmp_path) -> None:
    page, built = build_report(hostile_judgments, tmp_path, strict=True, call="alignlab report x.csv")
    written = (tmp_path / "index.html").read_text()
    assert written == page
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    # offline: no external resources
    assert not re.search(r'(src|href)="https?://', page)
    assert "<svg" in page
    assert "data hash" in page
    assert hostile_judgments.data_hash in page
    assert {b.spec.key for b in built} >= {"data"}


def test_report_is_deterministic(hostile_judgments) -> None:
    first, _ = build_report(hostile_judgments, random_state=3)
    second, _ = build_report(hostile_judgments, random_state=3)
    assert first == second


def test_section_interface_and_failures_are_contained(hostile_judgments) -> None:
    @register_section("zz_broken", title="Broken", order=999)
    def broken(ctx):
        raise RuntimeError("boom")

    @register_section("zz_verdict", title="Verdict test", order=998)
    def verdict(ctx):
        assert ctx.cached("k", lambda: 1) == ctx.cached("k", lambda: 2)
        return SectionContent(body=html.paragraph(XSS), bullets=(XSS,), status="pass", verdict="go <b>")

    try:
        page, built = build_report(hostile_judgments, sections=["data", "zz_broken", "zz_verdict"])
        assert "could not be computed: RuntimeError: boom" in page
        assert "go &lt;b&gt;" in page
        assert XSS not in page
        with pytest.raises(RuntimeError, match="boom"):
            build_report(hostile_judgments, sections=["zz_broken"], strict=True)
        with pytest.raises(ValueError, match="Unknown report sections"):
            build_report(hostile_judgments, sections=["nope"])
    finally:
        _REGISTRY.pop("zz_broken")
        _REGISTRY.pop("zz_verdict")


def test_html_table_escapes_headers_and_cells() -> None:
    out = html.table(pd.DataFrame({XSS: [XSS, 1.23456]}))
    assert XSS not in out
    assert 'data-v="1.23456"' in out


@requires_chromium
@pytest.mark.browser
def test_report_opens_in_chromium_without_errors(hostile_judgments, tmp_path) -> None:
    build_report(hostile_judgments, tmp_path, strict=True)
    visit_ = visit(tmp_path / "index.html", selectors=("header h1", "table.sortable th"))
    assert visit_.console_errors == []
    assert visit_.page_errors == []
    assert visit_.dialogs == []  # no injected script ran
    assert XSS in visit_.text  # shown as text, literally
    assert visit_.element_boxes["header h1"] is not None
    assert visit_.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
