"""Real-browser tests: the widgets live in JupyterLab, the decks start offline, the HTML shows frozen widgets.

Headless Debian Chromium drives a JupyterLab started on 127.0.0.1 (see conftest.py) and opens the built
decks and pages from disk with every http(s) request blocked, as on a machine without network. Screenshots
are kept under build/screenshots/. These tests skip without /usr/bin/chromium (`apt-get install chromium`)
except under CI, where they must run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOK, classroom_notebooks, has_widgets

pytestmark = pytest.mark.browser

WIDGET_NOTEBOOKS = [p for p in classroom_notebooks() if has_widgets(p)]
NETWORK = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")


def _slide_count(path: Path) -> int:
    """Slides a deck has, from the notebook's metadata alone: one per `slide` or `subslide` cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    return sum(k in ("slide", "subslide") for k in kinds)


def _has_images(path: Path) -> bool:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any("image/png" in out.get("data", {})
               for c in nb["cells"] if c["cell_type"] == "code"
               and c.get("metadata", {}).get("slideshow", {}).get("slide_type") not in ("skip", "notes")
               for out in c.get("outputs", []))


class PageWatch:
    """Records what a page asked the network for, failed to load, or threw."""

    def __init__(self, page, *, offline: bool):
        self.external, self.failed, self.errors = [], [], []
        page.on("pageerror", lambda err: self.errors.append(str(err)))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url[:200]} ({req.failure})"))
        if offline:
            def block(route):
                self.external.append(route.request.url[:200])
                route.abort()
            page.route(NETWORK, block)

    def assert_clean(self):
        assert not self.external, f"the page asked the network for {self.external}"
        assert not self.failed, f"requests failed: {self.failed}"
        assert not self.errors, f"JavaScript errors: {self.errors}"


# --- JupyterLab: a student moves a slider ------------------------------------------------------------------

JS_STATE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) { return null; }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.model.cells;
  const out = {kernel: kernel ? kernel.status : "none", code: 0, executed: 0, errors: [],
               running: document.querySelectorAll('.jp-InputPrompt').length === 0 ? true :
                 [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))};
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') { continue; }
    out.code += 1;
    if (cell.executionCount) { out.executed += 1; }
    for (const o of cell.outputs.toJSON()) {
      if (o.output_type === 'error') { out.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`); }
    }
  }
  return out;
}"""


def _lab_state(page):
    return page.evaluate(JS_STATE)


def _wait_for(page, predicate, what, timeout=120.0, step=250):
    waited = 0.0
    state = None
    while waited < timeout * 1000:
        state = _lab_state(page)
        if state is not None and predicate(state):
            return state
        page.wait_for_timeout(step)
        waited += step
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last state {state}", pytrace=False)


def _dismiss_dialogs(page, seen):
    for _ in range(5):
        dialog = page.locator(".jp-Dialog")
        if not dialog.count():
            return
        text = dialog.first.inner_text()
        seen.append(text)
        assert "Select Kernel" not in text, f"JupyterLab asked which kernel to start: {text!r}"
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def _run_all_cells(page):
    """Run → Run All Cells, through the menu bar as a student would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _move_control(page, explorer):
    """Move the explorer's first slider one step with the keyboard (or pick another dropdown option)."""
    handle = explorer.locator(".noUi-handle")
    if handle.count():
        handle = handle.first
        value, top = (float(handle.get_attribute(a) or 0) for a in ("aria-valuenow", "aria-valuemax"))
        handle.focus()
        page.keyboard.press("ArrowLeft" if value >= top else "ArrowRight")
        return "slider"
    select = explorer.locator("select")
    assert select.count(), "the explorer has neither a slider nor a dropdown to move"
    select = select.first
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("s => s.options[s.selectedIndex].text")
    select.select_option(label=next(o for o in options if o != current))
    return "dropdown"


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_explorer_responds_in_jupyterlab(lab_server, browser, screenshots, path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, offline=True)
    dialogs = []
    try:
        page.goto(lab_server.notebook_url(path.name), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        _wait_for(page, lambda s: s["kernel"] == "idle", "the kernel to start")
        _dismiss_dialogs(page, dialogs)
        _run_all_cells(page)
        state = _wait_for(page, lambda s: s["kernel"] == "idle" and not s["running"] and s["executed"] > 0
                          and (s["executed"] == s["code"] or s["errors"]), "all cells to run", timeout=180)
        _dismiss_dialogs(page, dialogs)
        page.screenshot(path=str(screenshots / f"lab_{path.stem}_ran.png"))
        assert not state["errors"], f"{path.name}: cells failed in JupyterLab: {state['errors']}"
        assert state["executed"] == state["code"], (
            f"{path.name}: only {state['executed']} of {state['code']} code cells ran")
        body = page.locator("body").inner_text()
        assert "Error displaying widget" not in body
        explorers = page.locator(".jp-OutputArea .explorer")
        assert explorers.count() >= 1, f"{path.name}: no explorer widget appeared"
        for i in range(explorers.count()):
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            image = explorer.locator("img.explorer-image")
            image.wait_for(state="visible", timeout=30_000)
            before = image.get_attribute("src")
            kind = _move_control(page, explorer)
            try:
                page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                       arg=[image.element_handle(), before], timeout=30_000)
            except Exception:  # say what did not happen, with a picture
                page.screenshot(path=str(screenshots / f"lab_{path.stem}_explorer{i}_stuck.png"))
                pytest.fail(f"{path.name}: explorer {i}'s image did not change after moving its {kind}",
                            pytrace=False)
            explorer.screenshot(path=str(screenshots / f"lab_{path.stem}_explorer{i}_moved.png"))
        state = _lab_state(page)
        assert state["kernel"] in ("idle", "busy"), f"{path.name}: the kernel is {state['kernel']}"
        assert not state["errors"], f"{path.name}: errors after moving a control: {state['errors']}"
        assert "Error displaying widget" not in page.locator("body").inner_text()
        assert not watch.external, f"JupyterLab asked the network for {watch.external}"
        assert not watch.errors, f"JavaScript errors: {watch.errors}"
    finally:
        context.close()


def test_lab_left_the_repository_alone(lab_server):
    """The server works on a temporary copy: the committed notebooks are not where it writes."""
    assert not str(lab_server.root).startswith(str(FIXTURE_NOTEBOOK.parents[2]))


# --- slides -------------------------------------------------------------------------------------------------

DECKS = classroom_notebooks()

JS_REVEAL = """() => new Promise((ok, bad) => {
  if (typeof require === 'undefined') { bad('require.js did not load'); return; }
  require(['vendor/reveal.js/dist/reveal.js'], R => ok({ready: R.isReady(), total: R.getTotalSlides()}), bad);
})"""

JS_SHOW_FIRST_IMAGE = """() => new Promise((ok, bad) => require(['vendor/reveal.js/dist/reveal.js'], R => {
  const slide = R.getSlides().find(s => s.querySelector('.jp-OutputArea img'));
  if (!slide) { ok(null); return; }
  const idx = R.getIndices(slide);
  R.slide(idx.h, idx.v);
  while (R.nextFragment()) {}
  const img = slide.querySelector('.jp-OutputArea img');
  img.id = 'probe-image';
  ok(idx);
}, bad))"""


@pytest.mark.parametrize("path", DECKS, ids=[p.stem for p in DECKS])
def test_deck_starts_offline_from_disk(built_slides, browser, screenshots, path):
    deck = built_slides / f"{path.stem}.slides.html"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    watch = PageWatch(page, offline=True)
    try:
        page.goto(deck.as_uri())
        page.wait_for_function("() => typeof require !== 'undefined'", timeout=15_000)
        reveal = None
        for _ in range(60):
            reveal = page.evaluate(JS_REVEAL)
            if reveal["ready"]:
                break
            page.wait_for_timeout(250)
        assert reveal["ready"], f"{deck.name}: Reveal did not start"
        assert reveal["total"] > 3, f"{deck.name}: only {reveal['total']} slides"
        assert reveal["total"] == _slide_count(path), "one slide per `slide`/`subslide` cell"
        page.screenshot(path=str(screenshots / f"slides_{path.stem}_title.png"))
        if _has_images(path):
            assert page.evaluate(JS_SHOW_FIRST_IMAGE) is not None, f"{deck.name}: no figure on any slide"
            image = page.locator("#probe-image")
            image.wait_for(state="visible", timeout=10_000)
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the figure did not load"
            box = image.bounding_box()
            assert box and box["width"] > 20 and box["height"] > 20, f"the figure is not visible: {box}"
            page.wait_for_timeout(400)  # the slide transition
            page.screenshot(path=str(screenshots / f"slides_{path.stem}_figure.png"))
        assert "Error displaying widget" not in page.content()
        watch.assert_clean()
    finally:
        page.close()


def test_math_is_typeset_offline(built_slides, browser):
    page = browser.new_page()
    watch = PageWatch(page, offline=True)
    try:
        page.goto((built_slides / f"{FIXTURE_NOTEBOOK.stem}.slides.html").as_uri())
        page.wait_for_selector(".MathJax_CHTML", state="attached", timeout=20_000)
        watch.assert_clean()
    finally:
        page.close()


# --- HTML export -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_html_shows_frozen_widgets_offline(built_html, browser, screenshots, path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page, offline=True)
    try:
        page.goto((built_html / f"{path.stem}.html").as_uri())
        image = page.locator(".explorer img.explorer-image").first
        image.wait_for(state="visible", timeout=30_000)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the explorer's image is empty"
        page.locator(".explorer").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"html_{path.stem}_widget.png"))
        assert "Error displaying widget" not in page.locator("body").inner_text()
        watch.assert_clean()
    finally:
        page.close()
