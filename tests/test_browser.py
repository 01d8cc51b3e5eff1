"""Real-browser tests: the widgets live in JupyterLab, the decks start offline, the HTML shows frozen widgets.

Headless Debian Chromium drives a JupyterLab started on 127.0.0.1 (see conftest.py) and opens the built
decks and pages from disk with every http(s) request blocked, as on a machine without network. Screenshots
are kept under build/screenshots/. These tests skip without /usr/bin/chromium (`apt-get install chromium`)
except under CI, where they must run.

Every wait has a limit (the constants below) and a timed-out wait fails with a message naming what it waited
for and in which notebook; Playwright's `evaluate` has no limit of its own, so a Promise evaluated in a page
goes through `evaluate_within`. Each notebook opened in JupyterLab has its kernel shut down when it is done.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import (
    BUILDS_TIMEOUT,
    FIXTURE_NOTEBOOK,
    KERNEL_GONE_SECONDS,
    classroom_notebooks,
    expected_seconds,
    has_widgets,
)

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the tests skip (conftest's `browser` fixture says why)
    PlaywrightError = PlaywrightTimeout = Exception

pytestmark = pytest.mark.browser

# time limits, in seconds
STEP_SECONDS = 30            # any single Playwright action: a click, a screenshot, reading a page's text
LAB_LOAD_SECONDS = 90        # JupyterLab showing a notebook's cells
KERNEL_IDLE_SECONDS = 90     # the notebook's kernel started and idle
RUN_ALL_SECONDS = 240        # Run All Cells finished
EXPLORER_SECONDS = 30        # an explorer's image shown, and changed after one of its controls moved
LAB_ALL_SECONDS = 900        # no notebook starts in JupyterLab after this (the runs so far take 1–3 min)
# the first JupyterLab test waits for the server and every run: LAB_ALL_SECONDS, then the last runs' limits
LAB_TEST_TIMEOUT = 1500
DECK_START_SECONDS = 15      # require.js and reveal.js started from disk

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


def new_page(browser, **kwargs):
    """A page whose every action and navigation waits at most STEP_SECONDS unless told otherwise."""
    page = browser.new_page(**kwargs)
    page.set_default_timeout(STEP_SECONDS * 1000)
    page.set_default_navigation_timeout(STEP_SECONDS * 1000)
    return page


LATE = "evaluate_within: too late"


def evaluate_within(page, js: str, seconds: float, what: str, arg=None):
    """``page.evaluate(js, arg)`` for a ``js`` function that returns a Promise: Playwright would wait for ever
    for a Promise that never settles, so it races a timer; on time-out TimeoutError says ``what`` did not
    happen within ``seconds``."""
    race = f"""async (arg) => {{
  let timer;
  const late = new Promise((_, bad) => {{ timer = setTimeout(() => bad(new Error({LATE!r})), {seconds * 1000:.0f}); }});
  try {{ return await Promise.race([({js})(arg), late]); }} finally {{ clearTimeout(timer); }}
}}"""
    try:
        return page.evaluate(race, arg)
    except PlaywrightError as err:
        if LATE in str(err):
            raise TimeoutError(f"{what} did not happen within {seconds:g} s") from None
        raise


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
BROKEN_EXPLORER = """from helpers.explorers import Explorer
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


class LabTimeout(Exception):
    """A wait in JupyterLab ran past its limit; the message names what was awaited and in which notebook."""


class LabRun:
    """One notebook opened in its own browser context, as a student opens it: `start` waits for the kernel
    and clicks Run All, `poll` says when every cell ran, `check_explorers` moves each explorer's control,
    `finish` closes the page and shuts the kernel down. Every wait has a limit; what went wrong is collected
    in ``problems``, each a sentence that names the notebook's trouble."""

    def __init__(self, browser, lab_server, name: str, screenshots: Path):
        self.server, self.name, self.stem, self.screenshots = lab_server, name, Path(name).stem, screenshots
        self.problems, self.dialogs, self.state, self.done, self.finished = [], [], None, False, False
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(STEP_SECONDS * 1000)
        self.context.set_default_navigation_timeout(LAB_LOAD_SECONDS * 1000)
        self.page = self.context.new_page()
        self.watch = PageWatch(self.page, offline=True)
        self.deadline = None

    def _late(self, what: str, seconds: float, detail: str = "") -> LabTimeout:
        try:
            self.page.screenshot(path=str(self.screenshots / f"lab_{self.stem}_timeout.png"), timeout=10_000)
        except PlaywrightError:
            pass
        return LabTimeout(f"JupyterLab did not {what} within {seconds:g} s for {self.name}{detail}")

    def start(self) -> None:
        """Open the notebook, wait for its kernel, then Run → Run All Cells through the menu bar as a student
        would. A wait past its limit ends the run with that as its problem."""
        try:
            try:
                self.page.goto(self.server.notebook_url(self.name), wait_until="domcontentloaded")
                self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=LAB_LOAD_SECONDS * 1000)
            except PlaywrightTimeout:
                raise self._late("show the notebook's cells", LAB_LOAD_SECONDS) from None
            self._wait(lambda s: s["kernel"] == "idle", "show the kernel as idle", KERNEL_IDLE_SECONDS)
            self._dismiss_dialogs()
            try:
                self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
                self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            except PlaywrightTimeout:
                raise self._late("show the menu item Run → Run All Cells", STEP_SECONDS) from None
        except LabTimeout as late:
            self.problems.append(str(late))
            self.done = True
        self.deadline = time.monotonic() + RUN_ALL_SECONDS

    def lab_state(self):
        return self.page.evaluate(JS_STATE)

    def _wait(self, predicate, what: str, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            self.state = self.lab_state()
            if self.state is not None and predicate(self.state):
                return
            if time.monotonic() > end:
                raise self._late(what, seconds, f"; last state {self.state}")
            self.page.wait_for_timeout(250)

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
        """True once every cell ran (or one failed, or RUN_ALL_SECONDS passed); records what went wrong."""
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
            self.problems.append(f"JupyterLab did not finish Run All Cells within {RUN_ALL_SECONDS} s for "
                                 f"{self.name}; last state {s}")
            return True
        self.problems += [f"cell error: {e}" for e in s["errors"]]
        if s["executed"] != s["code"]:
            self.problems.append(f"only {s['executed']} of {s['code']} code cells ran")
        if "Error displaying widget" in self.page.locator("body").inner_text():
            self.problems.append("Error displaying widget")
        return True

    def check_explorers(self, *, change_timeout: float = EXPLORER_SECONDS) -> None:
        """Move one control of each explorer and check that its picture changes."""
        page = self.page
        explorers = page.locator(".jp-OutputArea .explorer")
        if not explorers.count():
            self.problems.append("no explorer widget appeared")
        for i in range(explorers.count()):
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            image = explorer.locator("img.explorer-image")
            try:
                image.wait_for(state="visible", timeout=EXPLORER_SECONDS * 1000)
            except PlaywrightTimeout:
                self.problems.append(f"explorer {i}'s image was not shown within {EXPLORER_SECONDS} s")
                continue
            before = image.get_attribute("src")
            kind = _move_control(page, explorer)
            try:
                page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                       arg=[image.element_handle(), before], timeout=change_timeout * 1000)
            except PlaywrightTimeout:  # the image kept its old picture: say so, with a screenshot
                page.screenshot(path=str(self.screenshots / f"lab_{self.stem}_explorer{i}_stuck.png"))
                self.problems.append(f"explorer {i}'s image did not change within {change_timeout:g} s after "
                                     f"moving its {kind}")
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

    def finish(self) -> None:
        """Close the page and shut the notebook's kernel down (about 800 MB each); a kernel still there
        afterwards is a problem."""
        if self.finished:
            return
        self.finished = True
        try:
            self.context.close()
        finally:
            self.problems += self.server.shut_down(self.name)


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
    """Every widget notebook (and the broken one) run in JupyterLab, two at a time, the longest first. As soon
    as a notebook has run, its explorers are moved, its page closed and its kernel shut down (at most two
    kernels of ~800 MB alive); the tests below then read what each run found. After LAB_ALL_SECONDS no new
    notebook starts, and the ones left say so."""
    _write_broken_notebook(lab_server.root)
    pending = [p.name for p in sorted(WIDGET_NOTEBOOKS, key=expected_seconds, reverse=True)] + [BROKEN]
    runs, active, end = {}, [], time.monotonic() + LAB_ALL_SECONDS
    try:
        while pending or active:
            while pending and len(active) < 2 and time.monotonic() < end:
                name = pending.pop(0)
                run = runs[name] = LabRun(browser, lab_server, name, screenshots)
                run.start()
                active.append(run)
            for run in [run for run in active if run.poll()]:
                if not run.problems or run.name == BROKEN:
                    run.check_explorers(change_timeout=4 if run.name == BROKEN else EXPLORER_SECONDS)
                run.finish()
                active.remove(run)
            if pending and not active and time.monotonic() >= end:
                for name in pending:
                    runs[name] = SimpleNamespace(problems=[f"not run: the notebooks before it took JupyterLab "
                                                           f"more than {LAB_ALL_SECONDS} s"])
                pending = []
            if active:
                active[0].page.wait_for_timeout(250)
        yield runs
    finally:
        for run in runs.values():
            if isinstance(run, LabRun):
                run.finish()


@pytest.mark.timeout(LAB_TEST_TIMEOUT)  # the first of these waits for every notebook to run (lab_runs)
@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_explorer_responds_in_jupyterlab(lab_runs, lab_server, path):
    assert lab_runs[path.name].problems == [], f"{path.name} in JupyterLab"
    assert lab_server.sessions(path.name) == [], "its kernel was not shut down"


@pytest.mark.timeout(LAB_TEST_TIMEOUT)
def test_the_lab_check_catches_a_frozen_explorer_and_a_failing_cell(lab_runs, lab_server):
    """The checks above can fail: a notebook whose explorer never redraws and whose last cell raises."""
    problems = lab_runs[BROKEN].problems
    assert any("ZeroDivisionError" in p for p in problems), problems
    assert any("did not change within 4 s after moving its slider" in p for p in problems), problems
    assert not any("kernel of" in p for p in problems), problems  # its kernel was shut down all the same
    assert lab_server.sessions(BROKEN) == []


def test_the_kernel_check_catches_a_kernel_that_stays(lab_server, monkeypatch):
    """The kernel check can fail: it finds a kernel's process, and reports one that outlives its session."""
    import conftest

    if not Path("/proc/self/cmdline").exists():
        pytest.skip("the kernel's process is looked for in /proc, which this system does not have")
    _write_broken_notebook(lab_server.root)
    session = lab_server.api("POST", "/api/sessions", body={"path": BROKEN, "type": "notebook",
                                                           "kernel": {"name": "python3"}}, timeout=90)
    kernel = session["kernel"]["id"]
    assert conftest._kernel_pids(kernel), "the check does not see the process of a running kernel"
    monkeypatch.setattr(conftest, "_kernel_pids", lambda kernel_id: [4242])  # as if its process stayed
    assert lab_server.shut_down(BROKEN, within=1) == [
        f"the kernel of {BROKEN} was still running as process [4242] 1 s after its session was deleted"]
    monkeypatch.undo()
    end = time.monotonic() + KERNEL_GONE_SECONDS
    while conftest._kernel_pids(kernel) and time.monotonic() < end:
        time.sleep(0.25)
    assert conftest._kernel_pids(kernel) == [] and lab_server.sessions(BROKEN) == []


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
                  start_timeout: float = DECK_START_SECONDS) -> list[str]:
    """Open a deck from disk with the network blocked; returns what went wrong."""
    watch = PageWatch(page, offline=True)
    problems = []
    try:
        page.goto(deck.as_uri(), timeout=STEP_SECONDS * 1000)
    except PlaywrightTimeout:
        return [f"the deck {deck.name} did not load within {STEP_SECONDS} s"]
    end = time.monotonic() + start_timeout
    try:
        page.wait_for_function("() => typeof require !== 'undefined'", timeout=start_timeout * 1000)
        while True:
            left = max(0.5, end - time.monotonic())
            reveal = evaluate_within(page, JS_REVEAL, left, "require.js loading reveal.js")
            if reveal["ready"] or time.monotonic() > end:
                break
            page.wait_for_timeout(250)
    except Exception as err:  # require.js or reveal.js did not load
        reveal = {"ready": False, "error": str(err).splitlines()[0]}
    if not reveal["ready"]:
        problems.append(f"Reveal did not start within {start_timeout:g} s ({reveal.get('error', 'not ready')})")
    else:
        page.screenshot(path=str(screenshots / f"slides_{notebook.stem}_title.png"))
        if reveal["total"] <= 3:
            problems.append(f"only {reveal['total']} slides")
        if reveal["total"] != _slide_count(notebook):
            problems.append(f"{reveal['total']} slides, but the notebook has {_slide_count(notebook)} "
                            "`slide`/`subslide` cells")
        if _has_images(notebook):
            problems += _figure_problems(page, notebook, screenshots)
    if "Error displaying widget" in page.content():
        problems.append("Error displaying widget")
    problems += [f"asked the network for {u}" for u in watch.external]
    problems += [f"failed to load {u}" for u in watch.failed]
    problems += [f"JavaScript error: {e}" for e in watch.errors]
    return problems


def _figure_problems(page, notebook: Path, screenshots: Path) -> list[str]:
    """Go to the first slide with a figure: the figure is loaded and on the screen."""
    try:
        if evaluate_within(page, JS_SHOW_FIRST_IMAGE, 10, "reveal.js moving to the first slide with a figure") is None:
            return ["no figure on any slide"]
    except TimeoutError as err:
        return [str(err)]
    image = page.locator("#probe-image")
    try:
        image.wait_for(state="visible", timeout=10_000)
    except PlaywrightTimeout:
        return ["the first figure was not visible within 10 s of moving to its slide"]
    page.wait_for_timeout(500)  # the slide transition
    try:
        page.wait_for_function(JS_MATHJAX_IDLE, timeout=30_000)  # the slide's maths is drawn
    except PlaywrightTimeout:
        return ["MathJax did not finish typesetting the slide within 30 s"]
    image.scroll_into_view_if_needed()  # a long slide scrolls (reveal_scroll)
    box = image.bounding_box()
    viewport = page.viewport_size
    problems = []
    if not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        problems.append("the figure did not load")
    elif not (box and box["width"] > 20 and box["height"] > 20 and 0 <= box["y"] < viewport["height"]
              and 0 <= box["x"] < viewport["width"]):
        problems.append(f"the figure is not visible on the screen: {box}")
    page.screenshot(path=str(screenshots / f"slides_{notebook.stem}_figure.png"))
    return problems


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the built decks waits for the builds
@pytest.mark.parametrize("path", DECKS, ids=[p.stem for p in DECKS])
def test_deck_starts_offline_from_disk(browser, built_slides, screenshots, path):
    page = new_page(browser, viewport={"width": 1280, "height": 800})
    try:
        assert deck_problems(page, built_slides / f"{path.stem}.slides.html", path, screenshots) == []
    finally:
        page.close()


def test_the_deck_check_catches_a_deck_that_needs_the_network(browser, classroom, screenshots, tmp_path):
    """The check above can fail: nbconvert's default deck links its JavaScript from CDNs."""
    classroom.build_pages("slides", [FIXTURE_NOTEBOOK], tmp_path, cdn=True)
    page = new_page(browser)
    try:
        problems = deck_problems(page, tmp_path / f"{FIXTURE_NOTEBOOK.stem}.slides.html", FIXTURE_NOTEBOOK,
                                 screenshots, start_timeout=3)
    finally:
        page.close()
    assert any(p.startswith("Reveal did not start") for p in problems), problems
    assert any("asked the network for https://" in p for p in problems), problems


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the built decks waits for the builds
def test_math_is_typeset_offline(browser, built_slides):
    page = new_page(browser)
    watch = PageWatch(page, offline=True)
    try:
        page.goto((built_slides / f"{FIXTURE_NOTEBOOK.stem}.slides.html").as_uri())
        try:
            page.wait_for_selector(".MathJax_CHTML", state="attached", timeout=20_000)
        except PlaywrightTimeout:
            pytest.fail(f"MathJax typeset nothing within 20 s in {FIXTURE_NOTEBOOK.stem}.slides.html", pytrace=False)
        watch.assert_clean()
    finally:
        page.close()


# --- HTML export -------------------------------------------------------------------------------------------

@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the built pages waits for the builds
@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_html_shows_frozen_widgets_offline(browser, built_html, screenshots, path):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    watch = PageWatch(page, offline=True)
    try:
        page.goto((built_html / f"{path.stem}.html").as_uri())
        image = page.locator(".explorer img.explorer-image").first
        try:
            image.wait_for(state="visible", timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(f"{path.stem}.html showed no explorer image within 30 s", pytrace=False)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the explorer's image is empty"
        page.locator(".explorer").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"html_{path.stem}_widget.png"))
        assert "Error displaying widget" not in page.locator("body").inner_text()
        watch.assert_clean()
    finally:
        page.close()
