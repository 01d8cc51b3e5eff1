"""Slides and HTML export: one deck and one page per notebook, shaped by the cells' slide metadata, and
every file a page loads is a local copy that exists (the browser tests then open them with no network).

Expected structures are computed from the notebooks' metadata and read back from the built pages with
Python's HTML parser, not from the tool's own bookkeeping.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import classroom
import nbformat
import pytest
from conftest import BUILDS_TIMEOUT, FIXTURE_NOTEBOOK, ROOT, classroom_notebooks

pytestmark = pytest.mark.notebooks  # builds decks and pages from the notebooks: not part of `make unit`

NOTEBOOKS = classroom_notebooks()
IDS = [p.stem for p in NOTEBOOKS]
TOOL = ROOT / "tools" / "classroom.py"


class Page(HTMLParser):
    """What a built page loads, and the shape of its reveal.js sections."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.loads, self.depth, self.sections, self.notes, self.state_scripts = [], 0, [], [], 0
        self._in_notes, self._in_script, self.scripts = False, False, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.loads.append(a["src"])
            if a.get("type") == "application/vnd.jupyter.widget-state+json":
                self.state_scripts += 1
        elif tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            self.loads.append(a["href"])
        elif tag == "img" and a.get("src") and not a["src"].startswith("data:"):
            self.loads.append(a["src"])
        elif tag == "section":
            self.depth += 1
            self.sections.append(self.depth)
        elif tag == "aside" and "notes" in (a.get("class") or ""):
            self._in_notes = True
            self.notes.append("")

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1
        elif tag == "aside":
            self._in_notes = False
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_notes:
            self.notes[-1] += data
        if self._in_script:
            self.scripts.append(data)


def _metadata_kinds(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for c in nb["cells"]]


def _title(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    return next(line[2:].strip() for line in first.splitlines() if line.startswith("# "))


# --- what the builds contain -----------------------------------------------------------------------------

@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
def test_every_notebook_has_a_deck_and_a_page_listed_in_an_index(built_slides, built_html):
    for folder, suffix in ((built_slides, ".slides.html"), (built_html, ".html")):
        index = (folder / "index.html").read_text(encoding="utf-8")
        for path in NOTEBOOKS:
            assert (folder / f"{path.stem}{suffix}").stat().st_size > 10_000
            assert f'href="{path.stem}{suffix}"' in index
            assert _title(path).replace("&", "&amp;") in index


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
@pytest.mark.parametrize("kind", ["slides", "html"])
def test_pages_load_only_local_files_that_exist(built_slides, built_html, kind):
    folder = built_slides if kind == "slides" else built_html
    for page_path in sorted(folder.glob("*.html")):
        page = Page(page_path.read_text(encoding="utf-8"))
        scripts = "\n".join(page.scripts)
        # the URLs the inline scripts load: the widget renderer, reveal.js and its notes plugin, mermaid
        loads = page.loads + re.findall(r"widgetRendererSrc = '([^']+)'", scripts)
        loads += re.findall(r'"(vendor/[^"]+\.js)"', scripts)
        loads += re.findall(r"import mermaid from '([^']+)'", scripts)
        for url in loads:
            assert not re.match(r"^(https?:)?//", url), f"{page_path.name} loads {url} from the network"
            if url.startswith("data:"):
                continue
            local = folder / unquote(urlsplit(url).path)
            assert local.is_file(), f"{page_path.name} loads {url}, which is not in {folder}"
        if kind == "slides" and page_path.name != "index.html":
            assert "vendor/reveal.js/dist/reveal.js" in scripts
            assert any(u.startswith("vendor/mathjax/MathJax.js") for u in loads)


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_deck_follows_the_slide_metadata(built_slides, path):
    kinds = _metadata_kinds(path)
    page = Page((built_slides / f"{path.stem}.slides.html").read_text(encoding="utf-8"))
    # a `slide` cell opens a horizontal slide (an outer <section>); it and each `subslide` open an inner one
    assert page.sections.count(1) == kinds.count("slide")
    assert page.sections.count(2) == kinds.count("slide") + kinds.count("subslide")
    nb = nbformat.read(str(path), as_version=4)
    notes = [c.source for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    spoken = " ".join(re.findall(r"\w+", " ".join(page.notes)))
    for text in notes:  # speaker notes go to the notes view, not on the slides
        assert " ".join(re.findall(r"\w+", text)[:5]) in spoken, f"note {text[:40]!r} is not a speaker note"
    deck = (built_slides / f"{path.stem}.slides.html").read_text(encoding="utf-8")
    assert "importlib.util.find_spec" not in deck, "the setup cell (slide type `skip`) is on a slide"
    assert "# NBVAL_IGNORE_OUTPUT</span>" not in deck, "the nbval marker (test plumbing) is shown in code"
    # a slide's maths is re-rendered after MathJax's own typesetting, never in the middle of it (that drew
    # every inline formula twice in Chromium when the presenter moved on in the first seconds)
    assert classroom.RERENDER_QUEUED in deck and "MathJax.Hub.Rerender(" not in deck


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_widget_state_is_embedded(built_slides, built_html, path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state")
    for folder, suffix in ((built_slides, ".slides.html"), (built_html, ".html")):
        text = (folder / f"{path.stem}{suffix}").read_text(encoding="utf-8")
        page = Page(text)
        if state:
            assert page.state_scripts == 1
            assert "vendor/html-manager/embed-amd.js" in text
            assert all(model_id in text for model_id in list(state)[:20])
        else:
            assert page.state_scripts == 0


def test_the_fixture_has_what_the_tools_are_tested_on():
    """A solution cell, a check cell, a slider explorer with stored widget state, slides and notes."""
    nb = nbformat.read(str(FIXTURE_NOTEBOOK), as_version=4)
    kinds = _metadata_kinds(FIXTURE_NOTEBOOK)
    assert kinds.count("slide") + kinds.count("subslide") > 3 and "notes" in kinds and "skip" in kinds
    assert any("solution" in c.metadata.get("tags", []) and c.cell_type == "code" for c in nb.cells)
    assert any("solution" in c.metadata.get("tags", []) and c.cell_type == "markdown" for c in nb.cells)
    assert any(re.search(r"\bcheck_\w+\(", c.source) for c in nb.cells)
    assert any(".widget()" in c.source for c in nb.cells)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "IntSliderModel" for m in state.values())


# --- the tool's own behaviour ----------------------------------------------------------------------------

def test_outputs_that_link_font_awesome_from_a_cdn_get_the_local_copy():
    cell = nbformat.v4.new_code_cell("HTML(anim.to_jshtml())")
    link = ('<link rel="stylesheet"\n'
            'href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css">')
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": [link, "\n<div>player</div>"]})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    offline = classroom.presentation_notebook(nb).cells[0].outputs[0].data["text/html"]
    assert offline == ('<link rel="stylesheet"\nhref="vendor/font-awesome/css/font-awesome.min.css">'
                       "\n<div>player</div>")
    online = classroom.presentation_notebook(nb, offline=False).cells[0].outputs[0].data["text/html"]
    assert "https://maxcdn.bootstrapcdn.com" in "".join(online)
    assert "maxcdn" in "".join(nb.cells[0].outputs[0].data["text/html"])  # the notebook itself is untouched


def test_cdn_mode_keeps_nbconvert_links_and_needs_no_npm(tmp_path):
    (deck,) = classroom.build_pages("slides", [FIXTURE_NOTEBOOK], tmp_path, cdn=True)
    loads = Page(deck.read_text(encoding="utf-8")).loads
    assert any(u.startswith("https://") and "require" in u for u in loads)
    assert not (tmp_path / "vendor").exists()


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
def test_a_checksum_that_does_not_match_the_pin_is_refused(vendor_cache, tmp_path, monkeypatch):
    version, _ = classroom.VENDOR_PACKAGES["requirejs"]
    monkeypatch.setattr(classroom, "VENDOR_PACKAGES", {"requirejs": (version, "sha512-not-the-real-one")})
    with pytest.raises(classroom.BuildError, match="not the pinned sha512-not-the-real-one"):
        classroom.fetch_vendor(tmp_path)
    assert not (tmp_path / f"requirejs@{version}").exists()


@pytest.mark.timeout(BUILDS_TIMEOUT)  # the first test to ask for the builds waits for them
def test_the_vendor_cache_holds_every_pinned_package(vendor_cache):
    for name, (version, integrity) in classroom.VENDOR_PACKAGES.items():
        folder = vendor_cache / f"{name.replace('/', '__')}@{version}"
        assert (folder / ".integrity").read_text().strip() == integrity
        assert json.loads((folder / "package.json").read_text())["version"] == version


def test_command_line_says_which_notebook_is_missing(tmp_path):
    proc = subprocess.run([sys.executable, str(TOOL), "slides", str(tmp_path / "42_nowhere.ipynb"), "--cdn",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "42_nowhere.ipynb does not exist" in proc.stderr
