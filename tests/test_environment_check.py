"""Notebook 00's environment check reads the pins from the installed package: pyproject.toml stays their one source.

The cell may not write a version number itself (a third copy that nobody updates), and what it printed when the
notebook was stored must be pyproject.toml's pins.
"""

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_start_here.ipynb"
SHOWN = ["numpy", "matplotlib", "ipywidgets"]   # what 00-05 need; torch is shown by the optional cell after it
VERSION = re.compile(r"\d+\.\d+")                 # 3.11, 2.4.6: in a string, a version number
PIN = re.compile(r"[=<>~!]=\s*\d")                 # "numpy==2.4", ">=3.11"

pytestmark = pytest.mark.notebooks  # about notebook 00, not the helpers: not part of `make unit`


@pytest.fixture(scope="module")
def cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and re.search(r"^pinned = ", c.source, re.M)]
    assert len(cells) == 1, f"expected one environment-check cell (the one that sets `pinned`), found {len(cells)}"
    return cells[0]


def _python_source(source):
    # IPython magics (% and !) are not Python: drop them before parsing
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def test_the_cell_writes_no_version_number(cell):
    tree = ast.parse(_python_source(cell.source))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if VERSION.search(node.value) or PIN.search(node.value):
                found.append(repr(node.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, float) and not node.value.is_integer():
            found.append(repr(node.value))           # 3.11 written as a number
    assert not found, f"notebook 00's environment check writes version numbers itself: {found}"


def test_the_cell_reads_the_installed_package_metadata(cell):
    tree = ast.parse(_python_source(cell.source))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "importlib.metadata" in imported
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert {"requires", "metadata"} <= names, "the pins come from requires(...) and metadata(...)['Requires-Python']"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert f'"{project}"' in cell.source, f"the cell reads the metadata of the series' package, {project!r}"


def test_the_stored_table_shows_pyproject_pins(cell):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*(\S+)\s*", req).groups()
                for req in project["dependencies"])
    lowest_python = re.search(r">=\s*([\d.]+)", project["requires-python"]).group(1)
    want = {"Python": lowest_python} | {name: ".".join(pins[name].split(".")[:2]) for name in SHOWN}
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    table = dict(re.findall(r"^(\S+)\s+\S+\s+pinned (\S+)\s+(?:ok|differs)$", text, flags=re.M))
    assert table == want, f"stored table {table} vs pyproject.toml {want}: re-execute notebook 00"
