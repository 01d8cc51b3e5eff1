"""The classroom hub: three students pull the series through an nbgitpuller link, work, and pull next week's fixes.

A local JupyterHub (tools/hub/run_hub.py: dummy login, one JupyterLab per student as a local process,
configurable-http-proxy, all on 127.0.0.1, temporary folders) serves the student build of notebooks 01 and 02,
committed into a local git repository: the "upstream" a class would publish. Headless Debian Chromium plays
three students at once, each in its own browser context:

1. click the link: log in, the hub starts the student's server, nbgitpuller clones the repository into their
   home and JupyterLab opens notebook 01;
2. run the notebook's set-up cells, replace Exercise 2's stub with an answer, run it and its check cell,
   save with Ctrl+S (the test waits for the answer to be in the file on disk);
3. the instructor changes notebook 01 (two markdown cells: the section's heading and the exercise's
   wording), rebuilds the student version, adds a file (errata.md) and commits;
4. click the link again: nbgitpuller merges upstream into each student's copy and JupyterLab reopens 01.

Then, for each student, their answer survived and upstream's change arrived, on disk and in JupyterLab. Each
student also exercises one more rule of nbgitpuller's merge: bob deleted notebook 02 and wrote his own
errata.md (02 comes back; his file is renamed aside, upstream's arrives); carol changed the same line of the
exercise's wording that upstream changed (her line wins; the heading's change still arrives).

Without a hub or a browser, the link's format, the upstream repository (the student build, committed only
when it changed) and nbgitpuller's merge on the notebook file (GitPuller itself: a fix to a cell the student ran
arrives, a fix to the line right above the student's answer does not) are checked too.

The scenario is skipped without /usr/bin/chromium, playwright, git or the proxy (`make hub` installs it),
except under CI, where they must be there and the test fails instead. Every wait has a limit; the hub, the
proxy, the students' servers and their kernels are stopped in the fixture's teardown, even when the test
failed, and the test checks that the hub's own clean-up left no process behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "hub"))
import run_hub  # noqa: E402  (tools/hub is not a package)

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the scenario skips (conftest's `browser` fixture says why)
    PlaywrightTimeout = Exception

pytestmark = pytest.mark.hub

NB01 = ROOT / "notebooks" / "01_conv1d_by_hand.ipynb"
NB02 = ROOT / "notebooks" / "02_conv2d_by_hand.ipynb"
REPO = run_hub.REPO_NAME
PATH01 = f"{REPO}/{NB01.name}"
# Notebook 01's cells the scenario uses, by their stable ids
SETUP_CELLS = ("f33388c5", "e2f4caae")   # "makes helpers importable", then the imports
HEADING = "eec97685"                     # markdown: "## 2. How long is the output?" ...
WORDING = "782b5859"                     # markdown: "**Exercise 2.** ..." (two lines)
EXERCISE = "a3f6b010"                    # code: "answer_2 = None  # your code here"
CHECK = "f07b0287"                       # code: check_output_size(answer_2, 12, 5)
STUB = "answer_2 = None  # your code here"
NEW_HEADING = "## 2. How long is the output? (revised in week 2)\n"
NEW_WORDING = "one step at a time). How many outputs are there? Count the positions, not the steps."
CAROL_WORDING = "one step at a time). How many outputs are there? (my note: count the windows)"
ERRATA = "# Errata, week 2\n\nExercise 2's wording now says what to count.\n"
# each student's answer and the first character of the verdict their check cell shows
STUDENTS = {"alice": ("answer_2 = 12 - 5 + 1  # alice: positions", "✅"),
            "bob": ("answer_2 = 7  # bob", "❌"),
            "carol": ("answer_2 = 8  # carol", "✅")}

# time limits, in seconds
STEP_SECONDS = 30          # one Playwright action: a click, a key press, a page's first answer
LOGIN_SECONDS = 60         # the login form after clicking the link
SPAWN_PULL_SECONDS = 420   # three servers started at once on two busy cores, the clone, JupyterLab showing 01
KERNEL_SECONDS = 120       # the notebook's kernel idle
RUN_SECONDS = 180          # the set-up cells, the answer and its check run
SAVE_SECONDS = 30          # the saved notebook on disk holds the answer
REPULL_SECONDS = 180       # the second click: fetch, merge, JupyterLab showing 01 again
SCENARIO_TIMEOUT = 1200    # the whole test (pytest-timeout), hub start and stop included

JS_NOTEBOOK = """(path) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path || !panel.content || !panel.content.model) {
    return null;
  }
  const session = panel.sessionContext && panel.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = {};
  const model = panel.content.model.cells;
  for (let i = 0; i < model.length; i++) {
    const cell = model.get(i);
    cells[cell.id] = {source: cell.sharedModel.getSource(),
                      count: cell.type === 'code' ? cell.executionCount : null,
                      outputs: cell.type === 'code' ? cell.outputs.toJSON() : []};
  }
  return {kernel: kernel ? kernel.status : 'none', dirty: panel.context.model.dirty, cells};
}"""

JS_SET_SOURCE = """([id, source]) => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).id === id) { cells.get(i).sharedModel.setSource(source); return true; }
  }
  return false;
}"""


# JupyterLab renders a markdown cell when it comes into view (its default windowing): scroll there first
JS_SCROLL_TO = """(id) => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === id);
  if (index < 0) { return false; }
  notebook.activeCellIndex = index;
  notebook.scrollToItem(index, 'center');
  return true;
}"""


def _skip_or_fail(message: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test, but {message}", pytrace=False)
    pytest.skip(message)


def _cells(path: Path) -> dict[str, str]:
    """{cell id: source} of a notebook on disk."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return {c["id"]: "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]}


def _snapshot(folder: Path) -> tuple[Path, Path]:
    """Copies of notebooks 01 and 02 to build from: the series' notebooks may be re-executed while this runs."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = tuple(Path(shutil.copy2(nb, folder / nb.name)) for nb in (NB01, NB02))
    found = _cells(copies[0])
    missing = [c for c in (*SETUP_CELLS, HEADING, WORDING, EXERCISE, CHECK) if c not in found]
    assert not missing, (f"notebook 01 has no cells with the ids {missing}: tests/test_hub.py names the cells "
                         "it uses by id (SETUP_CELLS, HEADING, WORDING, EXERCISE, CHECK); update them")
    return copies


def _next_week(source: Path, out: Path, edits: dict[str, tuple[int, str]]) -> Path:
    """The instructor's fix: a copy of the source notebook ``source`` (solutions and all) in folder ``out``,
    with line ``i`` of cell ``id`` replaced, for each ``id: (i, line)`` in ``edits``."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["id"] in edits:
            index, line = edits[cell["id"]]
            cell["source"][index] = line
    out.mkdir(parents=True, exist_ok=True)
    (out / source.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out / source.name


def _text(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        parts.append("".join(out.get("text", "")))
        for kind in ("text/plain", "text/html", "text/markdown"):
            data = out.get("data", {}).get(kind, "")
            parts.append("".join(data) if isinstance(data, list) else data)
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


# --- the link and the upstream repository (no hub, no browser) ----------------------------------------------

def test_the_link_pulls_the_student_repository_and_opens_the_notebook():
    link = run_hub.pull_link("http://127.0.0.1:8000/", "file:///srv/class/cnn-by-hand-student", NB01.name)
    url = urllib.parse.urlsplit(link)
    assert url.path == "/hub/user-redirect/git-pull"
    assert urllib.parse.parse_qs(url.query) == {
        "repo": ["file:///srv/class/cnn-by-hand-student"], "branch": ["main"],
        "urlpath": [f"lab/tree/cnn-by-hand-student/{NB01.name}"]}
    # a clone folder named by hand: the notebook is opened there
    other = run_hub.pull_link("https://hub.example.edu", "https://github.com/me/x.git", NB01.name,
                              branch="student", targetpath="cnn")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(other).query) == {
        "repo": ["https://github.com/me/x.git"], "branch": ["student"], "targetpath": ["cnn"],
        "urlpath": [f"lab/tree/cnn/{NB01.name}"]}


@pytest.mark.notebooks
@pytest.mark.timeout(120)
def test_upstream_holds_the_student_build_and_commits_only_changes(tmp_path):
    if shutil.which("git") is None:
        _skip_or_fail("git is missing (`apt-get install git`)")
    repo = tmp_path / REPO
    nb01, nb02 = _snapshot(tmp_path / "notebooks")
    first = run_hub.build_upstream(repo, [nb01])
    assert first and run_hub.git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert run_hub.git(repo, "ls-files").split() == [NB01.name]
    text = (repo / NB01.name).read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" not in text and STUB in text, "the upstream must be the student build"
    assert run_hub.build_upstream(repo, [nb01]) is None, "an unchanged build must not make a commit"
    (repo / "errata.md").write_text(ERRATA, encoding="utf-8")   # the instructor's own file stays
    assert run_hub.build_upstream(repo, [nb02]) is not None
    assert sorted(run_hub.git(repo, "ls-files").split()) == sorted([NB02.name, "errata.md"])


@pytest.mark.notebooks
@pytest.mark.timeout(120)
def test_what_a_second_pull_keeps_and_what_it_brings(tmp_path):
    """nbgitpuller's merge on the notebook file itself, without a hub: its GitPuller, as the link runs it.
    The student answers Exercise 2 and runs the set-up cell (saved as JupyterLab saves: nbformat); upstream
    changes the section's heading, the set-up cell's first line and the exercise's comment line."""
    if shutil.which("git") is None:
        _skip_or_fail("git is missing (`apt-get install git`)")
    import nbformat
    from nbgitpuller import GitPuller

    nb01, _ = _snapshot(tmp_path / "notebooks")
    upstream, clone = tmp_path / "upstream" / REPO, tmp_path / "home" / REPO
    run_hub.build_upstream(upstream, [nb01])

    def pull():
        for _ in GitPuller(upstream.as_uri(), str(clone), branch="main", depth=1).pull():
            pass

    pull()
    nb = nbformat.read(clone / NB01.name, as_version=4)
    cells = {c.id: c for c in nb.cells}
    cells[EXERCISE].source = cells[EXERCISE].source.replace(STUB, "answer_2 = 8")
    cells[SETUP_CELLS[0]].execution_count = 1
    cells[SETUP_CELLS[0]].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nbformat.write(nb, clone / NB01.name)
    setup_fix = "# Setup: makes `helpers` importable (nothing to do in the series' own environment).\n"
    comment_fix = "# Exercise 2: the number of outputs for L = 12, K = 5, as an int.\n"
    fixed = _next_week(nb01, tmp_path / "week2",
                       {HEADING: (0, NEW_HEADING), SETUP_CELLS[0]: (0, setup_fix), EXERCISE: (0, comment_fix)})
    assert run_hub.build_upstream(upstream, [fixed])
    pull()
    cells = _cells(clone / NB01.name)
    outputs = {c.id: c.outputs for c in nbformat.read(clone / NB01.name, as_version=4).cells
               if c.cell_type == "code"}
    assert cells[EXERCISE].splitlines()[-1] == "answer_2 = 8", "the student's answer was lost"
    assert cells[HEADING].startswith(NEW_HEADING), "upstream's change to another cell did not arrive"
    assert cells[SETUP_CELLS[0]].startswith(setup_fix), "upstream's fix to a cell the student ran did not arrive"
    assert outputs[SETUP_CELLS[0]][0]["text"] == "ran\n", "the student's output of that cell was lost"
    # the line right above the student's answer: the two changes touch, git sees one conflict, and
    # nbgitpuller's merge (-Xours) keeps the student's side of it: upstream's fix of that line is dropped
    assert not cells[EXERCISE].startswith(comment_fix)


# --- the class -------------------------------------------------------------------------------------------------

@pytest.fixture
def hub(tmp_path):
    """A hub serving the student build of 01 and 02 from a local git repository; stopped at the end, whatever
    happened (the scenario itself checks that the hub's own clean-up leaves nothing)."""
    proxy = run_hub.find_proxy()
    if proxy is None:
        _skip_or_fail("configurable-http-proxy is missing: `make hub` installs it "
                      f"(or: {run_hub.PROXY_INSTALL})")
    if shutil.which("git") is None:
        _skip_or_fail("git is missing (`apt-get install git`)")
    run_hub.build_upstream(tmp_path / "upstream" / REPO, _snapshot(tmp_path / "notebooks"))
    hub = run_hub.Hub(tmp_path, proxy=proxy, expose_app=True)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()


class Student:
    """One student in their own browser context; every wait has a limit and says what it waited for."""

    def __init__(self, browser, hub, name: str, link: str, screenshots: Path):
        self.name, self.hub, self.link, self.screenshots = name, hub, link, screenshots
        self.answer, self.verdict = STUDENTS[name]
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(STEP_SECONDS * 1000)
        self.context.set_default_navigation_timeout(STEP_SECONDS * 1000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))

    @property
    def clone(self) -> Path:
        return self.hub.home(self.name) / REPO

    def fail(self, what: str):
        shot = self.screenshots / f"hub_{self.name}_failed.png"
        try:
            self.page.screenshot(path=str(shot), timeout=10_000)
        except Exception:  # the page itself may be what failed
            pass
        try:
            body = self.page.locator("body").inner_text(timeout=5_000)[-1500:]
        except Exception:
            body = "(unreadable)"
        pytest.fail(f"{self.name}: {what} (at {self.page.url[:200]}; screenshot {shot}; page text:\n{body}\n"
                    f"hub log:\n{self.hub.log_tail(2500)})", pytrace=False)

    def click_link(self) -> None:
        """Open the nbgitpuller link; returns once the browser has an answer (the login form, a spawn page…)."""
        self.page.goto(self.link, wait_until="commit")

    def log_in(self) -> None:
        try:
            self.page.wait_for_selector("#username_input", timeout=LOGIN_SECONDS * 1000)
        except PlaywrightTimeout:
            self.fail(f"the login form did not appear within {LOGIN_SECONDS} s of clicking the link")
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", "any password")
        self.page.click("#login_submit", no_wait_after=True)

    def wait_for_notebook(self, seconds: float, what: str) -> dict:
        """Wait for JupyterLab to show notebook 01 with its cells; its state (see JS_NOTEBOOK)."""
        end = time.monotonic() + seconds
        while True:
            try:
                state = self.page.evaluate(JS_NOTEBOOK, PATH01)
                if state and state["cells"] and self.page.locator(".jp-NotebookPanel .jp-Cell").count():
                    return state
            except Exception:  # the page is between two documents (redirects, nbgitpuller's page)
                pass
            if time.monotonic() > end:
                self.fail(f"{what} within {seconds:g} s")
            self.page.wait_for_timeout(500)

    def state(self) -> dict:
        return self.page.evaluate(JS_NOTEBOOK, PATH01)

    def wait(self, predicate, what: str, seconds: float) -> dict:
        end = time.monotonic() + seconds
        while True:
            state = self.state()
            if state and predicate(state):
                return state
            dialog = self.page.locator(".jp-Dialog")
            if dialog.count():
                self.fail(f"JupyterLab showed a dialog while waiting for {what}: {dialog.first.inner_text()!r}")
            if time.monotonic() > end:
                self.fail(f"{what} did not happen within {seconds:g} s; last state: kernel "
                          f"{state and state['kernel']}, dirty {state and state['dirty']}")
            self.page.wait_for_timeout(250)

    def cell(self, text: str):
        return self.page.locator(".jp-NotebookPanel .jp-CodeCell", has_text=text).first

    def run_and_answer(self) -> None:
        """Through the page, as a student: run the set-up cells, replace the stub line with the answer, run
        it and the check cell (Shift+Enter each), and for carol reword the exercise's line; no saving yet."""
        page = self.page
        self.wait(lambda s: s["kernel"] == "idle", "the kernel starting (idle)", KERNEL_SECONDS)
        page.locator(".jp-NotebookPanel .jp-CodeCell").first.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")      # runs the set-up cell, selects the imports
        page.keyboard.press("Shift+Enter")      # runs the imports
        line = self.cell(STUB).locator(".cm-line", has_text="answer_2 = None")
        line.click()
        page.keyboard.press("End")
        page.keyboard.press("Shift+Home")
        page.keyboard.insert_text(self.answer)  # typed over the selected stub line
        page.keyboard.press("Shift+Enter")      # runs the answer, selects the check cell
        page.keyboard.press("Shift+Enter")      # runs the check
        if self.name == "carol":                # her own note, on the line upstream will change too
            lines = self.state()["cells"][WORDING]["source"].split("\n")
            assert page.evaluate(JS_SET_SOURCE, [WORDING, "\n".join([lines[0], CAROL_WORDING])])

    def wait_for_check_and_save(self) -> None:
        def checked(s):
            return (s["kernel"] == "idle" and s["cells"][CHECK]["count"] and s["cells"][CHECK]["outputs"]
                    and all(s["cells"][c]["count"] for c in SETUP_CELLS))
        state = self.wait(checked, "the set-up cells, the answer and its check running", RUN_SECONDS)
        for cell in (*SETUP_CELLS, EXERCISE, CHECK):
            errors = [o for o in state["cells"][cell]["outputs"] if o.get("output_type") == "error"]
            assert not errors, f"{self.name}: cell {cell} raised {_text(errors)}"
        assert state["cells"][EXERCISE]["source"].splitlines()[-1] == self.answer, state["cells"][EXERCISE]
        verdict = _text(state["cells"][CHECK]["outputs"])
        assert verdict.lstrip().startswith(self.verdict), f"{self.name}'s check said {verdict!r}"
        self.page.keyboard.press("Control+s")
        notebook = self.clone / NB01.name
        end = time.monotonic() + SAVE_SECONDS
        while self.answer not in notebook.read_text(encoding="utf-8") or self.state()["dirty"]:
            if time.monotonic() > end:
                self.fail(f"Ctrl+S did not write the answer into {notebook} within {SAVE_SECONDS} s")
            self.page.wait_for_timeout(250)

    def show_heading(self) -> None:
        """Scroll to the section's heading, as a student would, and see upstream's new text rendered."""
        assert self.page.evaluate(JS_SCROLL_TO, HEADING), f"{self.name}: no heading cell to scroll to"
        heading = self.page.locator(".jp-MarkdownCell h2", has_text="revised in week 2")
        try:
            heading.wait_for(timeout=STEP_SECONDS * 1000)
        except PlaywrightTimeout:
            self.fail(f"JupyterLab did not render the new heading within {STEP_SECONDS} s")

    def close(self) -> None:
        self.context.close()


@pytest.mark.browser
@pytest.mark.timeout(SCENARIO_TIMEOUT)
def test_three_students_pull_answer_and_pull_next_weeks_fixes(hub, browser, screenshots, tmp_path):
    times, start = {}, time.monotonic()
    upstream = hub.dir / "upstream" / REPO
    link = run_hub.pull_link(hub.url, upstream.as_uri(), NB01.name)
    students = [Student(browser, hub, name, link, screenshots) for name in STUDENTS]
    try:
        # 1. everyone clicks the link at once: log in, spawn, clone, JupyterLab opens 01
        for s in students:
            s.click_link()
        for s in students:
            s.log_in()
        for s in students:
            s.wait_for_notebook(SPAWN_PULL_SECONDS, "JupyterLab did not show notebook 01 after logging in")
        times["log in, spawn, pull, open 01 (3 students)"] = time.monotonic() - start
        for s in students:
            assert (s.clone / ".git").is_dir() and (s.clone / NB02.name).is_file(), f"{s.name}: not cloned"
            assert s.page.url.split("?")[0].endswith(f"/user/{s.name}/lab/tree/{PATH01}"), s.page.url

        # 2. everyone runs the set-up, answers Exercise 2, runs its check and saves
        mark = time.monotonic()
        for s in students:
            s.run_and_answer()
        for s in students:
            s.wait_for_check_and_save()
        times["run cells, answer, check, save (3 students)"] = time.monotonic() - mark
        for s in students:
            s.page.screenshot(path=str(screenshots / f"hub_{s.name}_answered.png"))
        bob = hub.home("bob") / REPO
        (bob / NB02.name).unlink()                                        # deleted by mistake
        (bob / "errata.md").write_text("bob's own notes\n", encoding="utf-8")  # a file upstream will add too

        # 3. next week: the instructor fixes notebook 01, rebuilds the student version, adds a file, commits
        fixed = _next_week(tmp_path / "notebooks" / NB01.name, tmp_path / "week2",
                           {HEADING: (0, NEW_HEADING), WORDING: (1, NEW_WORDING)})
        (upstream / "errata.md").write_text(ERRATA, encoding="utf-8")
        week2 = run_hub.build_upstream(upstream, [fixed, tmp_path / "notebooks" / NB02.name],
                                       message="Week 2: Exercise 2 reworded")
        assert week2, "the instructor's change made no commit"

        # 4. everyone clicks the link again: nbgitpuller merges, JupyterLab reopens 01
        mark = time.monotonic()
        for s in students:
            s.click_link()
        for s in students:
            s.wait_for_notebook(REPULL_SECONDS, "JupyterLab did not show notebook 01 after the second click")
        times["pull again, reopen 01 (3 students)"] = time.monotonic() - mark

        for s in students:
            cells = _cells(s.clone / NB01.name)
            assert cells[EXERCISE].splitlines()[-1] == s.answer, f"{s.name}'s answer was lost: {cells[EXERCISE]!r}"
            assert cells[HEADING].startswith(NEW_HEADING), f"upstream's heading did not reach {s.name}"
            assert (s.clone / "errata.md").read_text(encoding="utf-8") == ERRATA, f"no errata.md for {s.name}"
            shown = s.state()["cells"]   # what JupyterLab shows after the second pull
            assert shown[EXERCISE]["source"].splitlines()[-1] == s.answer, f"{s.name} does not see the answer"
            assert shown[HEADING]["source"].startswith(NEW_HEADING), f"{s.name} does not see the new heading"
            s.show_heading()
            wording = cells[WORDING].splitlines()[-1]
            if s.name == "carol":   # the same line changed on both sides: the student's line wins
                assert wording == CAROL_WORDING, f"carol's own line was replaced: {wording!r}"
            else:
                assert wording == NEW_WORDING, f"upstream's new wording did not reach {s.name}: {wording!r}"
            s.page.screenshot(path=str(screenshots / f"hub_{s.name}_pulled_again.png"))
        assert (bob / NB02.name).is_file(), "the notebook bob deleted did not come back"
        aside = list(bob.glob("errata__*.md"))
        assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == "bob's own notes\n", \
            f"bob's own errata.md was not renamed aside: {sorted(p.name for p in bob.iterdir())}"
        for s in students:
            assert not s.errors, f"JavaScript errors in {s.name}'s page: {s.errors}"
    finally:
        for s in students:
            s.close()

    # 5. the hub stops the students' servers, their kernels and the proxy on its own
    mark = time.monotonic()
    leftovers = hub.stop()
    times["stop the hub"] = time.monotonic() - mark
    print("\n" + "\n".join(f"{what}: {seconds:.1f} s wall" for what, seconds in times.items()))
    assert leftovers == [], f"processes outlived the hub and had to be ended: {leftovers}"
    assert hub.processes() == []
