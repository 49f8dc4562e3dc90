"""Report engine: sections are (compute, render) pairs; rendering is a pure function of results.

A section is declared once with :func:`register_section`::

    @register_section("agreement", title="Agreement", order=30)
    def agreement_section(ctx: ReportContext) -> SectionContent | None:
        result = ctx.cached("agreement.summary", lambda: agreement.summary(ctx.judgments))
        return SectionContent(body=html_table(result.to_frame()), bullets=["..."])

The function receives a :class:`ReportContext` (the judgments, options, a results cache shared by all
sections, the seed) and returns a :class:`SectionContent` — HTML fragments built only with the helpers
of :mod:`alignlab.report.html`, which escape every user string — or ``None`` when the data does not
support the section. Compute happens through public alignlab functions (``ctx.cached`` makes sure two
sections never compute the same thing twice); the HTML is a function of their result objects only.
The workflow results (judge validations, vendor audit, trust weights) are computed by the context
itself (:mod:`alignlab.report.compute`, ``ctx.result(name)``), once per report, or taken as given
(:func:`alignlab.report.write` renders results without any table); sections only render them.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alignlab._params import NOT_COMPUTABLE, DegenerateDataWarning, InvalidParameterError
from alignlab.data import Judgments
from alignlab.report import html as h

__all__ = [
    "ReportContext",
    "SectionContent",
    "SectionSpec",
    "register_section",
    "registered_sections",
    "build_report",
    "build_sections",
    "render_html",
]

Status = Literal["pass", "warn", "fail", "info"]


@dataclass
class ReportContext:
    """What every section function receives."""

    judgments: Judgments | None
    options: Mapping[str, Any] = field(default_factory=dict)
    random_state: int | None = 0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    progress: Callable[[str], None] | None = None
    # below-minimum-data reasons raised while computing each cached key, and the keys the current
    # section used: a section reusing another's degenerate result is marked not computable too
    _degenerate: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _used: list[str] = field(default_factory=list, repr=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per report; later sections asking for ``key`` get the same object."""
        if key not in self._cache:
            if self.progress is not None:
                self.progress(key)
            with _degenerate_reasons() as reasons:
                self._cache[key] = compute()
            self._degenerate[key] = tuple(dict.fromkeys([*reasons, *_result_reasons(self._cache[key])]))
        self._used.append(key)
        return self._cache[key]

    def not_computable_reasons(self) -> tuple[str, ...]:
        """Why results the current section used are below their minimum data (empty when none are)."""
        return tuple(dict.fromkeys(r for key in self._used for r in self._degenerate.get(key, ())))

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def result(self, name: str) -> Any:
        """A workflow result of this report: given in the options, else computed once by the context
        (:mod:`alignlab.report.compute`); ``None`` when the data has nothing for it, a
        :class:`~alignlab.report.compute.NotComputed` (with the reason) when it cannot be computed."""
        from alignlab.report.compute import compute_result

        return compute_result(self, name)

    @property
    def data(self) -> Any:
        """The summary of the data (counts, scale, exclusions): from the table, or from a given result."""
        if self.judgments is not None:
            return self.cached("data.summary", self.judgments.summary)
        return self.option("data.summary")


def _result_reasons(result: Any) -> list[str]:
    """Below-minimum-data messages a result carries in its warnings (``warnings`` of results,
    ``warnings_`` of fitted models), one level into tuples, lists and dicts of results."""
    items = list(result.values()) if isinstance(result, dict) else list(result) if isinstance(
        result, list | tuple) else [result]
    out: list[str] = []
    for item in items:
        for attribute in ("warnings", "warnings_"):
            messages = getattr(item, attribute, None) if not isinstance(item, type) else None
            if isinstance(messages, list | tuple):
                out += [m for m in messages if isinstance(m, str) and NOT_COMPUTABLE in m]
    return out


@contextmanager
def _degenerate_reasons() -> Iterator[list[str]]:
    """Collect the :class:`DegenerateDataWarning` messages raised inside (estimators below their
    minimum data); every other warning passes through unchanged."""
    reasons: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        yield reasons
    for item in caught:
        if issubclass(item.category, DegenerateDataWarning):
            reasons.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno, source=item.source)


#: Bullets in the decision summary at the top of the report (the issue's "3-5 bullets").
MAX_SUMMARY_BULLETS = 5


@dataclass(frozen=True)
class SectionContent:
    """The HTML of one section (built with :mod:`alignlab.report.html`) and its top-line findings.

    ``bullets`` (plain text, escaped when rendered) feed the summary at the top of the report;
    ``status`` colours the section's badge; ``verdict`` (plain text) is shown above the fold when set.
    """

    body: str
    bullets: tuple[str, ...] = ()
    status: Status = "info"
    verdict: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    order: int
    build: Callable[[ReportContext], SectionContent | None]


_REGISTRY: dict[str, SectionSpec] = {}


def register_section(key: str, *, title: str, order: int) -> Callable[[Callable], Callable]:
    """Register a section function (see the module docstring). Lower ``order`` comes first."""

    def decorator(func: Callable[[ReportContext], SectionContent | None]) -> Callable:
        _REGISTRY[key] = SectionSpec(key=key, title=title, order=order, build=func)
        return func

    return decorator


def registered_sections() -> list[SectionSpec]:
    from alignlab.report import sections  # noqa: F401  (import registers the built-in sections)

    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


@dataclass(frozen=True)
class BuiltSection:
    spec: SectionSpec
    content: SectionContent | None
    error: str | None = None
    #: why some of the section's figures are below their minimum data (marked "not computable")
    not_computable: tuple[str, ...] = ()


def build_report(
    judgments: Judgments,
    out_dir: str | Path | None = None,
    *,
    sections: list[str] | None = None,
    options: Mapping[str, Any] | None = None,
    random_state: int | None = 0,
    title: str = "alignlab report",
    call: str = "",
    dataset_name: str | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, list[BuiltSection]]:
    """Compute and render every section the data supports; write ``out_dir/index.html`` if given.

    Parameters
    ----------
    sections : list of str, optional
        Keys of the sections to include (default: all registered).
    strict : bool
        Raise when a section fails instead of showing the error in the report.

    Returns
    -------
    (html, sections)
    """
    if out_dir is not None:
        check_out_dir(out_dir)
    ctx = ReportContext(judgments=judgments, options=dict(options or {}), random_state=random_state,
                        progress=progress)
    built = build_sections(ctx, sections, strict=strict)
    page = render_html(
        built, data=ctx.data, data_hash=judgments.data_hash, title=title, call=call, random_state=random_state,
        dataset_name=dataset_name,
    )
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(page, encoding="utf-8")
    return page, built


def check_out_dir(out_dir: str | Path) -> Path:
    """The report's output directory, refusing a path that names an existing file (before any compute)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        suggestion = out.with_suffix("") if out.suffix else out.parent / f"{out.name}-report"
        raise InvalidParameterError(
            f"The report output {str(out)!r} is an existing file, not a directory: the report is a directory "
            f"holding index.html. Pass a directory (e.g. --out {str(suggestion)!r}), or move the file away."
        )
    return out


def build_sections(ctx: ReportContext, sections: list[str] | None, *, strict: bool) -> list[BuiltSection]:
    """Build the chosen sections (default all registered) on ``ctx``."""
    specs = registered_sections()
    if sections is not None:
        known = {s.key for s in specs}
        unknown = [s for s in sections if s not in known]
        if unknown:
            raise InvalidParameterError(f"Unknown report sections {unknown}; available: {sorted(known)}")
        specs = [s for s in specs if s.key in sections]
    built: list[BuiltSection] = []
    for spec in specs:
        try:
            ctx._used = []
            with _degenerate_reasons() as reasons:
                content = spec.build(ctx)
            reasons = list(dict.fromkeys([*reasons, *ctx.not_computable_reasons()]))
            built.append(BuiltSection(spec, content, not_computable=tuple(reasons)))
        except Exception as exc:
            if strict:
                raise
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            built.append(BuiltSection(spec, None, error=detail))
    return built


def render_html(
    built: list[BuiltSection],
    *,
    data: Any,
    data_hash: str,
    title: str,
    call: str,
    random_state: int | None,
    dataset_name: str | None = None,
) -> str:
    """Assemble the self-contained page (inline CSS/JS/SVG, no network)."""
    from alignlab import __version__

    shown = [b for b in built if b.content is not None or b.error is not None]
    verdicts = [(b.spec.title, b.content) for b in shown if b.content is not None and b.content.verdict]
    # The summary is the decision: 3-5 bullets. When a section states a verdict, only the verdict sections'
    # bullets go to the top; every section's own findings open that section instead.
    sources = [b for b in shown if b.content is not None and (b.content.verdict or not verdicts)]
    # a section computed below its minimum data never lends a number to the summary: one bullet says so
    bullets = [item for b in sources for item in (
        [("warn", f"{b.spec.title}: not computable from these data ({b.not_computable[0]})")] if b.not_computable
        else [(b.content.status, text) for text in b.content.bullets])][:MAX_SUMMARY_BULLETS]
    verdicts = [(t, c) for (t, c), b in zip(verdicts, [b for b in shown if b.content is not None
                                                        and b.content.verdict], strict=True)
                if not b.not_computable]
    parts: list[str] = []
    methods = ", ".join(map(str, data.by_method["method"])) if "method" in data.by_method.columns else ""
    subtitle = (
        f"{data.n_judgments:,} judgments · {data.n_items:,} items · {data.n_raters:,} raters · "
        f"methods: {methods} · scale: {data.scale.describe()}"
    )
    if dataset_name:
        subtitle = f"dataset {dataset_name} · " + subtitle
    parts.append(f'<header><h1>{h.esc(title)}</h1><p class="sub">{h.esc(subtitle)}</p></header>')
    if verdicts or bullets:
        parts.append('<section id="summary" class="decision"><h2>Decision summary</h2>')
        for section_title, content in verdicts:
            parts.append(
                f'<div class="verdict {h.esc(content.status)}"><span class="light"></span>'
                f"<div><strong>{h.esc(section_title)}:</strong> {h.esc(content.verdict)}</div></div>"
            )
        if bullets:
            parts.append("<ul>" + "".join(
                f'<li class="{h.esc(status)}">{h.esc(text)}</li>' for status, text in bullets) + "</ul>")
        parts.append("</section>")
    nav = "".join(f'<a href="#{h.esc(b.spec.key)}">{h.esc(b.spec.title)}</a>' for b in shown)
    parts.append(f"<nav>{nav}</nav>")
    for b in shown:
        parts.append(f'<section id="{h.esc(b.spec.key)}"><h2>{h.esc(b.spec.title)}</h2>')
        if b.error is not None:
            parts.append(h.callout(f"This section could not be computed: {b.error}", kind="fail"))
        else:
            assert b.content is not None  # noqa: S101 - filtered above
            if b.not_computable:
                parts.append(h.callout(
                    "Not computable: some figures of this section are below their minimum data, so their "
                    "intervals are NaN and their point values are not supported. "
                    + " ".join(f"({i + 1}) {r}." for i, r in enumerate(b.not_computable)), kind="fail"))
            for warning in b.content.warnings:
                parts.append(h.callout(warning, kind="warn"))
            if b.content.bullets and not b.content.verdict:
                parts.append('<div class="findings"><strong>Key findings</strong>'
                             + h.bullet_list(b.content.bullets) + "</div>")
            parts.append(b.content.body)
        parts.append("</section>")
    excluded = data.n_excluded
    footer = (
        f"alignlab {__version__} · data hash {data_hash} · seed {random_state} · "
        f"{excluded:,} rows excluded at load"
    )
    parts.append(f'<footer><p>{h.esc(footer)}</p><p>call: <code>{h.esc(call or "(python API)")}</code></p></footer>')
    body = "\n".join(parts)
    return h.page(title=title, body=body)
