"""The series' exercises as the tools and tests see them: each solution cell, its check cell, its catalogue.

An exercise is a code cell tagged ``solution``. Its check is the next code cell, unless the exercise's entry
in ``tests/catalogues/NN_name.toml`` names another with ``check = "<cell id>"`` (tests/catalogues/README.md).
This module is the one home of that rule: the catalogue test and the nbgrader course
(tools/nbgrader_course.py) both use it.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_code_cell("answer = None", id="s1", metadata={"tags": ["solution"]}),
...     nbformat.v4.new_markdown_cell("Now the check:", id="m1"),
...     nbformat.v4.new_code_cell("check_number(answer, 4)", id="c1")])
>>> [(e.solution, e.check, e.name) for e in exercises(nb, "no_catalogue")]
[(0, 2, 'the exercise in cell s1')]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "tests" / "catalogues"
SOLUTION_TAG = "solution"
EXERCISE_LINE = re.compile(r"#\s*(Exercise\s+\d+[a-z]?)\b", re.I)


def catalogue(stem: str, folder: Path = CATALOGUES) -> list[dict]:
    """The ``[[exercise]]`` entries of ``folder/<stem>.toml``; none when the notebook has no catalogue."""
    path = Path(folder) / f"{stem}.toml"
    if not path.exists():
        return []
    return tomllib.loads(path.read_text(encoding="utf-8")).get("exercise", [])


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def check_index(cells, solution: int, entry: dict | None = None) -> int | None:
    """The index of the check cell of the exercise in ``cells[solution]``: the cell its catalogue ``entry`` names
    with ``check``, else the next code cell; None when there is none (or the named id is not in ``cells``)."""
    if entry and "check" in entry:
        ids = [c.get("id") for c in cells]
        return ids.index(entry["check"]) if entry["check"] in ids else None
    return next((k for k in range(solution + 1, len(cells)) if cells[k].get("cell_type") == "code"), None)


@dataclass
class Exercise:
    solution: int                     # index of the solution cell
    check: int | None                 # index of its check cell (None: the notebook has none after it)
    name: str                         # "Exercise 7", from the cell's first comment, else "the exercise in cell <id>"
    entry: dict = field(default_factory=dict)   # its catalogue entry ({} when it has none)


def exercise_name(cell) -> str:
    """"Exercise 7" when the cell's source names it in a comment (``# Exercise 7: …``), else its cell id."""
    found = EXERCISE_LINE.search(cell.get("source", ""))
    return found.group(1) if found else f"the exercise in cell {cell.get('id')}"


def exercises(nb, stem: str, folder: Path = CATALOGUES) -> list[Exercise]:
    """Every exercise of the notebook ``nb`` (named ``stem``), in order, with its check cell and catalogue entry."""
    entries = {e.get("cell"): e for e in catalogue(stem, folder)}
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and is_solution(cell):
            entry = entries.get(cell.get("id"), {})
            found.append(Exercise(i, check_index(nb.cells, i, entry), exercise_name(cell), entry))
    return found
