"""The workflow report sections, the results' to_html, and the CLI commands.

Structure tests parse the HTML (headings, section ids, tables) without a browser; the Chromium tests
check that the page loads without console errors, that the verdict is above the fold and that an
injected ``<script>`` in a rater name or segment value is escaped.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

import alignlab
from alignlab.cli import app
from alignlab.report import build_report
from alignlab.workflows import audit_vendors, trust_weights, validate_judge
from alignlab.workflows.simulate import simulate_judge_study, simulate_vendor_study
from tests.browser import requires_chromium, visit

runner = CliRunner()
EVIL = "<script>alert(1)</script>"
MY_SECTIONS = ["data", "decision", "vendors", "trust_weights"]


class _Outline(HTMLParser):
    """Headings (h2/h3 text), section ids, table count and verdict texts of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.section_ids: list[str] = []
        self.captions: list[str] = []
        self.n_tables = 0
        self._open: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "id" in attrs:
            self.section_ids.append(attrs["id"])
        if tag == "table":
            self.n_tables += 1
        if tag in ("h2", "h3", "caption"):
            self._open, self._text = tag, ""

    def handle_data(self, data):
        if self._open:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._open:
            if tag == "caption":
                self.captions.append(self._text.strip())
            else:
                self.headings.append((tag, self._text.strip()))
            self._open = None


def _outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def pandalm_report():
    j = alignlab.datasets.load("pandalm")
    page, built = build_report(j, sections=MY_SECTIONS, options={"workflows.n_resamples": 100}, random_state=0,
                               strict=True)
    return page, built


def test_golden_structure_pandalm(pandalm_report):
    page, built = pandalm_report
    outline = _outline(page)
    h2 = [text for tag, text in outline.headings if tag == "h2"]
    # golden structure (regression): the decision summary, then the sections in their order
    assert h2 == ["Decision summary", "Decision", "The data", "Vendors and raters", "Trust weights"]
    h3 = [text for tag, text in outline.headings if tag == "h3"]
    assert h3 == ["Judge gpt-3.5-turbo: assist only, not a replacement",
                  "Judge pandalm-7b: assist only, not a replacement"]
    assert {"decision", "vendors", "trust_weights"} <= set(outline.section_ids)
    assert outline.section_ids.index("vendors") < outline.section_ids.index("trust_weights")
    for caption in ("Judges at a glance", "Evidence (95% intervals)", "Vendors (rank 1 = worst)",
                    "Raters to remove or retrain, worst first, with the evidence", "Raters (rank 1 = worst)",
                    "Weights per source"):
        assert caption in outline.captions, caption
    assert outline.n_tables >= 9
    assert page.count("<svg") >= 4  # data counts, two reliability forests, vendor forest, weights
    decision = next(b for b in built if b.spec.key == "decision").content
    assert decision.verdict.startswith("gpt-3.5-turbo: assist only")
    assert "worst vendor: pandalm" in decision.verdict
    assert 3 <= len(decision.bullets) <= 5
    assert decision.status == "warn"
    # the summary at the top holds the decision's bullets only; the data section's findings open that section
    summary = page[page.index('id="summary"'):page.index("<nav>")]
    assert summary.count("<li") == len(decision.bullets)
    data_section = page[page.index('<section id="data"'):]
    assert data_section.index("Key findings") < data_section.index("<table")


def test_sections_skip_unsupported_data():
    # bluebird: humans only, no vendor column -> no judge validation, no audit, a single source
    j = alignlab.datasets.load("bluebird")
    _, built = build_report(j, sections=MY_SECTIONS, random_state=0, strict=True)
    content = {b.spec.key: b.content for b in built}
    assert content["data"] is not None
    assert content["decision"] is None and content["vendors"] is None and content["trust_weights"] is None


def test_report_is_deterministic():
    j = simulate_vendor_study(n_items=80, random_state=0)
    first, built = build_report(j, sections=["decision", "vendors"], random_state=0, strict=True)
    second, _ = build_report(j, sections=["decision", "vendors"], random_state=0, strict=True)
    assert first == second
    # no judge: the decision is the vendor audit's (known truth: cheapo is the spammer vendor)
    decision = next(b for b in built if b.spec.key == "decision").content
    assert decision.verdict.startswith("worst vendor: cheapo")
    assert 3 <= len(decision.bullets) <= 5
    assert decision.status == "fail"  # spammers to remove


@pytest.fixture(scope="module")
def hostile_study():
    """A simulated study whose judge id, vendor and segment values carry a script tag."""
    j = simulate_judge_study(n_items=80, n_systems=0, judges={EVIL: 0.6}, random_state=0)
    frame = j.frame.drop(columns=["source_row"])
    frame["topic"] = frame["topic"].replace({"hard": EVIL})
    frame["vendor"] = frame["method"].map({"human": "crowd" + EVIL, "llm_judge": "vendor-llm"})
    return alignlab.load_judgments(frame, scale="binary", segments=["topic"])


@pytest.fixture(scope="module")
def hostile_pages(hostile_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    v = validate_judge(hostile_study, raters=EVIL, n_resamples=100, random_state=0)
    a = audit_vendors(hostile_study, random_state=0)
    t = trust_weights(hostile_study, random_state=0)
    return {"judge": v.to_html(out / "judge"), "vendors": a.to_html(out / "vendors.html"),
            "weights": t.to_html(out / "weights.html")}


def test_to_html_escapes_and_writes(hostile_pages):
    assert hostile_pages["judge"].name == "index.html"
    for name, path in hostile_pages.items():
        page = path.read_text(encoding="utf-8")
        assert EVIL not in page, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
    assert "Vendors and raters" in hostile_pages["vendors"].read_text(encoding="utf-8")
    assert "Trust weights" in hostile_pages["weights"].read_text(encoding="utf-8")


@requires_chromium
@pytest.mark.browser
def test_verdict_above_the_fold_and_no_script_runs(hostile_pages):
    for name in ("judge", "vendors"):
        seen = visit(hostile_pages[name], selectors=(".decision .verdict", "section#vendors table"))
        assert seen.console_errors == [] and seen.page_errors == [], name
        assert seen.dialogs == [], name  # no alert(): the injected script did not run
        box = seen.element_boxes[".decision .verdict"]
        assert box is not None and box["y"] + box["height"] <= 800, name  # on the first 1280x800 screen
        assert EVIL in seen.text, name  # shown as text
        assert len(seen.screenshot) > 1000
    assert seen.element_boxes["section#vendors table"] is not None


# -- CLI -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("wf") / "study.csv"
    simulate_judge_study(n_items=120, n_systems=0, random_state=0).frame.drop(columns=["source_row"]).to_csv(
        path, index=False)
    return path


def test_cli_validate_judge_json_and_report(study_csv, tmp_path):
    result = runner.invoke(app, ["validate-judge", str(study_csv), "--scale", "binary", "--judge", "useless",
                                 "--n-resamples", "100", "--out", str(tmp_path / "r"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["verdict"] == "do_not_use"
    assert payload["report"].endswith("index.html") and (tmp_path / "r" / "index.html").exists()
    assert {"evidence", "subject", "estimate", "ci_low", "ci_high"} <= set(payload["evidence"][0])
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "call: <code>alignlab" in page  # the exact command line is in the footer


def test_cli_validate_judge_text_and_errors(study_csv):
    result = runner.invoke(app, ["validate-judge", str(study_csv), "--scale", "binary", "--judge", "as_good",
                                 "--n-resamples", "100"])
    assert result.exit_code == 0, result.output
    assert "verdict:" in result.stdout
    bad = runner.invoke(app, ["validate-judge", str(study_csv), "--scale", "binary", "--judge", "nobody"])
    assert bad.exit_code == 2
    assert "'raters' argument names 'nobody'" in bad.output
    assert "Traceback" not in bad.output


def test_cli_audit_vendors_and_trust_weights(tmp_path):
    path = tmp_path / "vendors.csv"
    simulate_vendor_study(n_items=120, random_state=0).frame.drop(columns=["source_row"]).to_csv(path, index=False)
    result = runner.invoke(app, ["audit-vendors", str(path), "--scale", "binary", "--vendor", "vendor", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["worst_vendor"] == "cheapo"
    assert len(payload["raters"]) == 12 and len(payload["vendors"]) == 3
    missing = runner.invoke(app, ["audit-vendors", str(path), "--scale", "binary", "--vendor", "supplier"])
    assert missing.exit_code == 2 and "not in the table" in missing.output
    weights = runner.invoke(app, ["trust-weights", "--dataset", "pandalm", "--json"])
    assert weights.exit_code == 0, weights.output
    payload = json.loads(weights.stdout)
    table = pd.DataFrame(payload["weights"])
    assert table["weight"].sum() == pytest.approx(1.0)
    assert set(table["source"]) == {"human", "gpt-3.5-turbo", "pandalm-7b"}
