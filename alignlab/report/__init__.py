"""HTML rendering of result objects: one self-contained page, every user string escaped.

Sections are registered with :func:`register_section`; see :mod:`alignlab.report.core`.
"""

from alignlab.report import html
from alignlab.report.core import (
    ReportContext,
    SectionContent,
    SectionSpec,
    build_report,
    register_section,
    registered_sections,
    render_html,
)
from alignlab.report.dashboard import build_dashboard
from alignlab.report.write import write

__all__ = [
    "ReportContext",
    "SectionContent",
    "SectionSpec",
    "build_dashboard",
    "build_report",
    "html",
    "register_section",
    "registered_sections",
    "render_html",
    "write",
]
