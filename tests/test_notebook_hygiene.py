"""Every notebook is clean: runnable in JupyterLab without questions, executed in order, a deck, checkable."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import SETUP_CELL  # noqa: E402

pytestmark = pytest.mark.notebooks  # about the notebooks, not the helpers: not part of `make unit`

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
ABSOLUTE = re.compile(r"(/work/|/home/\w|/root/|/tmp/|/Users/\w|[A-Z]:\\\\Users)")
MAX_BYTES = 1_500_000


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_the_series_is_complete():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(12)], f"notebooks 00–11 expected, found {numbers}"


ids = [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_kernelspec_and_language(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["kernelspec"]["language"] == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_executed_in_order_without_errors(path):
    nb = _load(path)
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, f"code cell {i} was never executed: run `make execute`"
        counts.append(cell["execution_count"])
        for out in cell["outputs"]:
            if out["output_type"] == "error":
                assert "raises-exception" in _tags(cell), f"cell {i} stores an error: {out.get('ename')}"
    assert counts == list(range(1, len(counts) + 1)), "cells were not executed top to bottom in one run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_absolute_paths(path):
    text = path.read_text(encoding="utf-8")
    # images are base64; they cannot hold a path, but they can match by chance
    text = re.sub(r'"image/png": "[^"]*"', "", text)
    found = ABSOLUTE.findall(text)
    assert not found, f"absolute paths in {path.name}: {sorted(set(found))}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_cell_has_slide_metadata(path):
    nb = _load(path)
    for i, cell in enumerate(nb["cells"]):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert kind in SLIDE_TYPES, f"cell {i} has no slideshow.slide_type"
    assert nb["cells"][0]["metadata"]["slideshow"]["slide_type"] == "slide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_opening_and_setup_cell(path):
    nb = _load(path)
    first = _src(nb["cells"][0])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.lstrip().startswith("# ")
    for heading in ("What you'll do", "What you'll learn", "What you need"):
        assert heading in first or heading.replace("'", "’") in first, f"opening cell lacks {heading!r}"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert _src(code[0]).strip() == SETUP_CELL.strip(), "the first code cell must be tools/setup_cell.py's"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_solutions_are_tagged_and_checked(path):
    nb = _load(path)
    cells = nb["cells"]
    n_solutions = 0
    for i, cell in enumerate(cells):
        src = _src(cell)
        has_markers = "### BEGIN SOLUTION" in src
        if cell["cell_type"] == "code" and (has_markers or "solution" in _tags(cell)):
            assert has_markers and "### END SOLUTION" in src, f"cell {i}: solution cell without both markers"
            assert "solution" in _tags(cell), f"cell {i}: has solution markers but is not tagged `solution`"
            assert src.count("### BEGIN SOLUTION") == src.count("### END SOLUTION")
            n_solutions += 1
            later = [c for c in cells[i + 1:] if c["cell_type"] == "code"]
            upto = []
            for c in later:                         # the code cells until the next exercise
                if "solution" in _tags(c):
                    break
                upto.append(_src(c))
            assert any(re.search(r"\bcheck_\w+\(", s) for s in upto), f"exercise in cell {i} has no check"
    assert n_solutions >= 2, "a notebook needs exercises (solution-tagged cells) with checks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_file_size_is_sane(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size:,} bytes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_widget_cells_have_a_static_fallback(path):
    nb = _load(path)
    sources = [_src(c) for c in nb["cells"] if c["cell_type"] == "code"]
    widget_cells = [s for s in sources if re.search(r"\.widget\(\)", s)]
    for s in widget_cells:
        assert s.lstrip().startswith("# NBVAL_IGNORE_OUTPUT"), "a widget cell must be # NBVAL_IGNORE_OUTPUT"
    if widget_cells:
        assert any(".static(" in s for s in sources), "widgets need a static fallback figure (.static(...))"
