"""``alignlab.report.write``: the one-page report of computed results, with no table needed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignlab._params import InvalidParameterError
from alignlab.report import html as h
from alignlab.report.core import ReportContext, build_sections, render_html

__all__ = ["write"]

# result type name -> (report option it is passed as, sections that render it, page title)
_RENDERS = {
    "JudgeValidation": ("workflows.judge_validation", ("decision",), "Can {judge} replace the humans?"),
    "VendorAudit": ("workflows.vendor_audit", ("decision", "vendors"), "Annotation vendor audit"),
    "TrustWeights": ("workflows.trust_weights", ("decision", "trust_weights"), "Metric trust weights"),
}


def write(results: Any | Sequence[Any], path: str | Path, *, title: str | None = None) -> Path:
    """Render one or several workflow results (JudgeValidation, VendorAudit, TrustWeights) to one page,
    or a data-collection plan (:class:`alignlab.design.DataCollectionPlan`) to its own page (``plan.html``).

    The page is built from the results alone (each keeps a summary of the data it was computed on, never
    the table): the data section from that summary, then the decision and each result's own section.
    ``path`` is an ``.html`` file or a directory (``index.html`` inside). Returns the file written.
    """
    items = list(results) if isinstance(results, Sequence) and not isinstance(results, str) else [results]
    if len(items) == 1 and type(items[0]).__name__ == "DataCollectionPlan":
        from alignlab.report.design import render_plan

        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target / "plan.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_plan(items[0]), encoding="utf-8")
        return target
    if not items:
        raise InvalidParameterError("write needs at least one result.")
    options: dict[str, Any] = {}
    sections = ["data"]
    titles = []
    for result in items:
        kind = type(result).__name__
        if kind not in _RENDERS:
            raise InvalidParameterError(
                f"write renders JudgeValidation, VendorAudit and TrustWeights results; got {kind}.")
        option, its_sections, its_title = _RENDERS[kind]
        options[option] = result
        sections += [s for s in its_sections if s not in sections]
        titles.append(its_title.format(judge=getattr(result, "judge", "")))
    first = items[0]
    options["data.summary"] = first.data
    seed = first.random_state if isinstance(first.random_state, int) else None
    ctx = ReportContext(judgments=None, options=options, random_state=seed)
    built = build_sections(ctx, sections if first.data is not None else sections[1:], strict=True)
    page = render_html(built, data=first.data, data_hash=first.data_hash, title=title or " · ".join(titles),
                       call=first.call, random_state=seed) if first.data is not None else h.page(
        title=title or " · ".join(titles), body="".join(b.content.body for b in built if b.content is not None))
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
