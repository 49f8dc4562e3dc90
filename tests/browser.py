"""Open a report in Debian's headless Chromium through Playwright (no browser download needed)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


requires_chromium = pytest.mark.skipif(chromium_path() is None,
                                       reason="needs Debian's chromium (installed by .ci/run)")


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    text: str = ""
    screenshot: bytes = b""
    element_boxes: dict[str, dict | None] = field(default_factory=dict)


def visit(path: Path, *, selectors: tuple[str, ...] = (), viewport: tuple[int, int] = (1280, 800)) -> PageVisit:
    """Load ``path`` (file://) headless; collect console errors, JS exceptions, dialogs (alert = XSS),
    the visible text, a screenshot of the first screen and the bounding boxes of ``selectors``."""
    from playwright.sync_api import sync_playwright

    result = PageVisit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: result.page_errors.append(str(e)))

            def on_dialog(dialog):  # an alert() means injected script ran
                result.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            result.text = page.inner_text("body")
            result.screenshot = page.screenshot(full_page=False)
            for selector in selectors:
                handle = page.query_selector(selector)
                result.element_boxes[selector] = None if handle is None else handle.bounding_box()
        finally:
            browser.close()
    return result
