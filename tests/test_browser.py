"""Real-browser tests: the widgets live in JupyterLab, the decks start offline, the HTML shows frozen widgets.

Headless Debian Chromium drives a JupyterLab started on 127.0.0.1 (see conftest.py) and opens the built
decks and pages from disk with every http(s) request blocked, as on a machine without network. Screenshots
are kept under build/screenshots/. These tests skip without /usr/bin/chromium (`apt-get install chromium`)
except under CI, where they must run.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOK, classroom_notebooks, expected_seconds, has_widgets

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


BROKEN = "zz_broken.ipynb"  # written beside the copies by `lab_runs`: shows that the Lab checks can fail
BROKEN_EXPLORER = """from helpers.explorer import Explorer
import ipywidgets as widgets


class Frozen(Explorer):
    figsize = (2.0, 1.0)

    def controls(self):
        return {"n": widgets.IntSlider(min=0, max=3, description="n")}

    def default_state(self):
        return {"n": 0}

    def build(self):
        self.fig.add_subplot().plot([0, 1], [0, 1])   # draw() changes nothing: the picture never moves


Frozen().widget()"""


def _write_broken_notebook(folder: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(BROKEN_EXPLORER), new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, str(folder / BROKEN))


class LabRun:
    """One notebook opened in its own browser context, as a student opens it, and Run All started."""

    def __init__(self, browser, lab_server, name: str, screenshots: Path, *, timeout: float = 240):
        self.name, self.stem, self.screenshots = name, Path(name).stem, screenshots
        self.problems, self.dialogs, self.state, self.done = [], [], None, False
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.watch = PageWatch(self.page, offline=True)
        self.page.goto(lab_server.notebook_url(name), wait_until="domcontentloaded")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        self._wait(lambda s: s["kernel"] == "idle", "the kernel to start", timeout=90)
        self._dismiss_dialogs()
        # Run → Run All Cells, through the menu bar as a student would
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        self.deadline = time.monotonic() + timeout

    def lab_state(self):
        return self.page.evaluate(JS_STATE)

    def _wait(self, predicate, what, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.state = self.lab_state()
            if self.state is not None and predicate(self.state):
                return
            self.page.wait_for_timeout(250)
        pytest.fail(f"{self.name}: timed out after {timeout:.0f} s waiting for {what}; "
                    f"last state {self.state}", pytrace=False)

    def _dismiss_dialogs(self):
        for _ in range(5):
            dialog = self.page.locator(".jp-Dialog")
            if not dialog.count():
                return
            text = dialog.first.inner_text()
            self.dialogs.append(text)
            if "Select Kernel" in text:
                self.problems.append(f"JupyterLab asked which kernel to start: {text!r}")
            self.page.keyboard.press("Escape")
            self.page.wait_for_timeout(300)

    def poll(self) -> bool:
        """True once every cell ran (or one failed); records what went wrong."""
        if self.done:
            return True
        s = self.state = self.lab_state()
        finished = (s is not None and s["kernel"] == "idle" and not s["running"] and s["executed"] > 0
                    and (s["executed"] == s["code"] or s["errors"]))
        if not finished and time.monotonic() < self.deadline:
            return False
        self.done = True
        self._dismiss_dialogs()
        self.page.screenshot(path=str(self.screenshots / f"lab_{self.stem}_ran.png"))
        if not finished:
            self.problems.append(f"Run All did not finish in time; last state {s}")
            return True
        self.problems += [f"cell error: {e}" for e in s["errors"]]
        if s["executed"] != s["code"]:
            self.problems.append(f"only {s['executed']} of {s['code']} code cells ran")
        if "Error displaying widget" in self.page.locator("body").inner_text():
            self.problems.append("Error displaying widget")
        return True

    def move_every_explorer(self, *, change_timeout: float = 30) -> None:
        """Move one control of each explorer and check that its picture changes."""
        page = self.page
        explorers = page.locator(".jp-OutputArea .explorer")
        if not explorers.count():
            self.problems.append("no explorer widget appeared")
        for i in range(explorers.count()):
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            image = explorer.locator("img.explorer-image")
            image.wait_for(state="visible", timeout=30_000)
            before = image.get_attribute("src")
            kind = _move_control(page, explorer)
            try:
                page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                       arg=[image.element_handle(), before], timeout=change_timeout * 1000)
            except Exception:  # the image kept its old picture: say so, with a screenshot
                page.screenshot(path=str(self.screenshots / f"lab_{self.stem}_explorer{i}_stuck.png"))
                self.problems.append(f"explorer {i}'s image did not change after moving its {kind}")
                continue
            page.wait_for_timeout(200)
            explorer.screenshot(path=str(self.screenshots / f"lab_{self.stem}_explorer{i}_moved.png"))
        s = self.lab_state()
        if s["kernel"] not in ("idle", "busy"):
            self.problems.append(f"the kernel is {s['kernel']}")
        self.problems += [f"cell error after moving a control: {e}" for e in s["errors"]
                          if f"cell error: {e}" not in self.problems]
        if "Error displaying widget" in page.locator("body").inner_text():
            self.problems.append("Error displaying widget (after moving a control)")
        if self.watch.external:  # blocked, as on a machine without network; JupyterLab works without them
            warnings.warn(f"{self.name} asked the network for {sorted(set(self.watch.external))}",
                          stacklevel=1)
        self.problems += [f"JavaScript error: {e}" for e in self.watch.errors]

    def close(self):
        self.context.close()


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
    if not select.count():
        return "nothing (it has neither a slider nor a dropdown)"
    select = select.first
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("s => s.options[s.selectedIndex].text")
    select.select_option(label=next(o for o in options if o != current))
    return "dropdown"


@pytest.fixture(scope="session")
def lab_runs(lab_server, browser, screenshots):
    """Run All in every widget notebook (and the broken one), two notebooks at a time, pages kept open."""
    _write_broken_notebook(lab_server.root)
    longest_first = sorted(WIDGET_NOTEBOOKS, key=expected_seconds, reverse=True)
    pending = [p.name for p in longest_first] + [BROKEN]
    runs, active = {}, []
    try:
        while pending or active:
            while pending and len(active) < 2:  # two kernels at a time: the machine has two cores
                name = pending.pop(0)
                runs[name] = LabRun(browser, lab_server, name, screenshots)
                active.append(runs[name])
            active = [run for run in active if not run.poll()]
            if active:
                active[0].page.wait_for_timeout(250)
        yield runs
    finally:
        for run in runs.values():
            run.close()


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_explorer_responds_in_jupyterlab(lab_runs, path):
    run = lab_runs[path.name]
    if not run.problems:
        run.move_every_explorer()
    run.close()
    assert run.problems == [], f"{path.name} in JupyterLab"


def test_the_lab_check_catches_a_frozen_explorer_and_a_failing_cell(lab_runs):
    """The checks above can fail: a notebook whose explorer never redraws and whose last cell raises."""
    run = lab_runs[BROKEN]
    run.move_every_explorer(change_timeout=4)
    run.close()
    assert any("ZeroDivisionError" in p for p in run.problems), run.problems
    assert any("did not change after moving its slider" in p for p in run.problems), run.problems


def test_lab_serves_a_copy_of_the_notebooks(lab_server):
    """Nothing the browser does can change the committed notebooks: the server's root is a copy."""
    assert not lab_server.root.resolve().is_relative_to(FIXTURE_NOTEBOOK.parents[2].resolve())
    assert sorted(p.name for p in lab_server.root.glob("*.ipynb") if p.name != BROKEN) == sorted(
        p.name for p in classroom_notebooks())


# --- slides -------------------------------------------------------------------------------------------------

DECKS = classroom_notebooks()

JS_REVEAL = """() => new Promise((ok, bad) => {
  if (typeof require === 'undefined') { bad('require.js did not load'); return; }
  require(['vendor/reveal.js/dist/reveal.js'], R => ok({ready: R.isReady(), total: R.getTotalSlides()}), bad);
})"""

# MathJax 2 has typeset the deck and re-rendered the current slide (its queue holds nothing more)
JS_MATHJAX_IDLE = """() => !window.MathJax || !MathJax.Hub || !MathJax.Hub.queue ||
  (MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0)"""

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


def deck_problems(page, deck: Path, notebook: Path, screenshots: Path, *,
                  start_timeout: float = 15) -> list[str]:
    """Open a deck from disk with the network blocked; returns what went wrong."""
    watch = PageWatch(page, offline=True)
    page.goto(deck.as_uri())
    problems = []
    try:
        page.wait_for_function("() => typeof require !== 'undefined'", timeout=start_timeout * 1000)
        reveal = {"ready": False}
        for _ in range(int(start_timeout * 4)):
            reveal = page.evaluate(JS_REVEAL)
            if reveal["ready"]:
                break
            page.wait_for_timeout(250)
    except Exception as err:  # require.js or reveal.js did not load
        reveal = {"ready": False, "error": str(err).splitlines()[0]}
    if not reveal["ready"]:
        problems.append(f"Reveal did not start ({reveal.get('error', 'not ready')})")
    else:
        page.screenshot(path=str(screenshots / f"slides_{notebook.stem}_title.png"))
        if reveal["total"] <= 3:
            problems.append(f"only {reveal['total']} slides")
        if reveal["total"] != _slide_count(notebook):
            problems.append(f"{reveal['total']} slides, but the notebook has {_slide_count(notebook)} "
                            "`slide`/`subslide` cells")
        if _has_images(notebook):
            if page.evaluate(JS_SHOW_FIRST_IMAGE) is None:
                problems.append("no figure on any slide")
            else:
                image = page.locator("#probe-image")
                image.wait_for(state="visible", timeout=10_000)
                page.wait_for_timeout(500)  # the slide transition
                page.wait_for_function(JS_MATHJAX_IDLE, timeout=30_000)  # the slide's maths is drawn
                image.scroll_into_view_if_needed()  # a long slide scrolls (reveal_scroll)
                box = image.bounding_box()
                viewport = page.viewport_size
                if not image.evaluate("img => img.complete && img.naturalWidth > 0"):
                    problems.append("the figure did not load")
                elif not (box and box["width"] > 20 and box["height"] > 20 and 0 <= box["y"] < viewport["height"]
                          and 0 <= box["x"] < viewport["width"]):
                    problems.append(f"the figure is not visible on the screen: {box}")
                page.screenshot(path=str(screenshots / f"slides_{notebook.stem}_figure.png"))
    if "Error displaying widget" in page.content():
        problems.append("Error displaying widget")
    problems += [f"asked the network for {u}" for u in watch.external]
    problems += [f"failed to load {u}" for u in watch.failed]
    problems += [f"JavaScript error: {e}" for e in watch.errors]
    return problems


@pytest.mark.parametrize("path", DECKS, ids=[p.stem for p in DECKS])
def test_deck_starts_offline_from_disk(browser, built_slides, screenshots, path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        assert deck_problems(page, built_slides / f"{path.stem}.slides.html", path, screenshots) == []
    finally:
        page.close()


def test_the_deck_check_catches_a_deck_that_needs_the_network(browser, classroom, screenshots, tmp_path):
    """The check above can fail: nbconvert's default deck links its JavaScript from CDNs."""
    classroom.build_pages("slides", [FIXTURE_NOTEBOOK], tmp_path, cdn=True)
    page = browser.new_page()
    try:
        problems = deck_problems(page, tmp_path / f"{FIXTURE_NOTEBOOK.stem}.slides.html", FIXTURE_NOTEBOOK,
                                 screenshots, start_timeout=3)
    finally:
        page.close()
    assert any(p.startswith("Reveal did not start") for p in problems), problems
    assert any("asked the network for https://" in p for p in problems), problems


def test_math_is_typeset_offline(browser, built_slides):
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
def test_html_shows_frozen_widgets_offline(browser, built_html, screenshots, path):
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
