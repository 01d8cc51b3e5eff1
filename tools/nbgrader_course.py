"""An nbgrader course from the series' notebooks: release the exercises, then grade submissions automatically.

    python tools/nbgrader_course.py [NOTEBOOK ...] [--out build/nbgrader]      (make nbgrader)

Without NOTEBOOK arguments every ``notebooks/NN_*.ipynb`` goes in. The course folder gets:

* ``source/<NN_name>/<NN_name>.ipynb``: one assignment per notebook, named like it. A notebook is the unit
  the series is taught, run and tested in (each runs alone, top to bottom, in about a minute), so each can be
  released, given its own deadline and graded on its own, and an edit to one notebook touches one assignment.
* ``nbgrader_config.py``: the settings the series needs (below). Your own settings (``course_id``, the
  exchange, …) go in ``course_config.py`` beside it, which it loads last and this tool never writes.

The notebooks in ``notebooks/`` stay the single source: the course's copies are generated, and rebuilt by
running this again. Each copy carries nbgrader's cell metadata (schema 3), made from the series' own marks:

* a code cell tagged ``solution`` → a solution cell (``solution: true``); nbgrader's ``generate_assignment``
  deletes the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` and keeps the series' stub before them
  (``answer = None  # your code here``), as ``make student`` does;
* its check cell (the next code cell, or the one its catalogue entry names with ``check``: see
  tools/exercises.py) → a locked grade cell worth the solution cell's ``"points"`` metadata. Under
  ``nbgrader autograde`` the kernel has ``CNN_GRADING=1``, so a check whose verdict is ❌ or ⏳ raises (see
  helpers/grading.py) and the cell earns nothing; a check cell a student edited is restored first;
* every other cell, markdown and code → read-only (``locked: true``): a student runs them but cannot change
  them, and autograde restores any that were changed, so a graded run is the series' notebook plus the
  student's answers (and any cells the student added). Students experiment in cells of their own.

Markdown gets the student's sentences (``<!-- student -->``, see tools/classroom.py), code loses the test-only
``# NBVAL_IGNORE_OUTPUT`` lines, and outputs and widget state are cleared, as in the student build.

A notebook the course cannot be made from stops the build with every problem named (notebook, cell, exercise):
a solution cell without ``"points"``, a cell outside the exercises that contains a solution marker (nbgrader
takes any line containing ``### BEGIN SOLUTION`` for one, in markdown too), an exercise without a check cell.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import classroom  # noqa: E402  (tools/ is on the path above)
import exercises  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = classroom.BEGIN, classroom.END
BuildError = classroom.BuildError
SCHEMA = 3
POINTS_GUIDE = "1 for a number, shape or choice; 2 for an array worked by hand; 3 for a function or a model"
CELL_SECONDS = 600        # nbgrader's limit for one cell (the training cells take up to a minute on 2 cores)
STARTUP_SECONDS = 120     # and for a kernel to start
CONFIG_NAME = "nbgrader_config.py"
LOCAL_CONFIG_NAME = "course_config.py"

# Code the kernels that nbgrader starts (autograde, validate) run before the notebook: the grading switch
# (helpers/grading.py), and torch's OpenMP threads sleeping instead of spinning while they wait (the Makefile
# sets the same for the series' tests: on a few shared cores, spinning threads slow training many times).
KERNEL_LINES = [
    '__import__("os").environ.update(CNN_GRADING="1")',
    '__import__("os").environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")',
]

CONFIG = f'''"""nbgrader settings for the CNN series' course, written by tools/nbgrader_course.py (`make nbgrader`).

Rebuilt with the course: put your own settings (course_id, the exchange, ...) in {LOCAL_CONFIG_NAME} beside
this file. It is loaded at the end, so it may change anything here, and the build never writes it.
"""

import os
import sys

c = get_config()  # noqa: F821 (nbgrader provides it)

# nbgrader creates the gradebook by running `alembic` as a subprocess: put this environment's bin first on
# PATH, so that it is found when nbgrader was started without activating the environment.
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

# The series writes its own stub before the markers (`answer = None  # your code here`): nbgrader deletes the
# lines from marker to marker and puts nothing in their place (its default stub raises NotImplementedError).
c.ClearSolutions.code_stub = {{"python": ""}}
c.ClearSolutions.begin_solution_delimeter = "{BEGIN}"
c.ClearSolutions.end_solution_delimeter = "{END}"
c.ClearSolutions.enforce_metadata = True
c.ClearOutput.enabled = True
c.LockCells.lock_readonly_cells = True
c.LockCells.lock_grade_cells = True

# Autograde runs every notebook top to bottom; a training cell takes up to a minute on 2 cores.
c.Execute.timeout = {CELL_SECONDS}
c.Execute.startup_timeout = {STARTUP_SECONDS}
# The kernels nbgrader starts grade: a check whose verdict is not a tick raises (helpers/grading.py). Set
# in those kernels only, not in this process, so that notebooks opened in a Jupyter server that loaded this
# file (formgrader) keep the students' behaviour.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
{"".join(f"    {json.dumps('--IPKernelApp.exec_lines=' + line)},{chr(10)}" for line in KERNEL_LINES)}]

load_subconfig("{LOCAL_CONFIG_NAME}")  # noqa: F821 (nbgrader provides it; a missing file is skipped)
'''


def _where(path: Path, index: int, cell) -> str:
    return f"{classroom._shown(path)}, cell {index} (id {cell.get('id')}, {cell.get('cell_type')})"


def _marker_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if BEGIN in line or END in line]


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _valid_points(points) -> bool:
    return isinstance(points, int) and not isinstance(points, bool) and points > 0


def course_notebook(nb, path: Path, catalogues: Path = exercises.CATALOGUES):
    """The course's copy of notebook ``nb`` (read from ``path``) and its total points, or a BuildError naming
    every problem. ``nb`` itself is not changed."""
    path = Path(path)
    nb = copy.deepcopy(nb)
    cells = nb.cells
    problems = []
    roles = {}                       # cell index → ("solution", points) or ("check", points)
    for ex in exercises.exercises(nb, path.stem, catalogues):
        cell = cells[ex.solution]
        where = f"{classroom._shown(path)}, cell {ex.solution} (id {cell.get('id')}), {ex.name}"
        points = cell.metadata.get("points")
        if points is None:
            problems.append(f'{where}: the solution cell has no "points" in its metadata; add "points": N '
                            f"({POINTS_GUIDE})")
        elif not _valid_points(points):
            problems.append(f'{where}: "points" must be a whole number of at least 1, not {points!r}')
        if ex.check is None:
            named = ex.entry.get("check")
            problems.append(f"{where}: its check cell {named!r}, named in the catalogue, is not in the notebook"
                            if named else f"{where}: no code cell after it to check it")
        elif exercises.is_solution(cells[ex.check]):
            problems.append(f"{where}: the next code cell (cell {ex.check}) is another exercise, not its check; "
                            "put the check right after it, or name the check cell in the catalogue (check = ...)")
        elif ex.check in roles:
            problems.append(f"{where}: its check cell {ex.check} (id {cells[ex.check].get('id')}) also checks "
                            "another exercise; give each exercise its own check cell")
        else:
            roles[ex.check] = ("check", points)
        roles[ex.solution] = ("solution", points)
        source = cell.source
        if BEGIN not in source:
            problems.append(f"{where}: the cell is tagged solution but has no `{BEGIN}` … `{END}` block; nbgrader "
                            "would release it empty")
        for line in _marker_lines(source):
            if not line.strip().startswith((BEGIN, END)):
                problems.append(f"{where}: the line {line.strip()[:80]!r} contains a solution marker but does not "
                                "start with it; nbgrader would take it for one")
        try:
            classroom.strip_solution(source, where)
        except BuildError as err:
            problems.append(str(err))

    total = 0
    for index, cell in enumerate(cells):
        cell_id = cell.get("id") or f"cell{index}"
        role, points = roles.get(index, (None, None))
        if cell.cell_type == "markdown":
            cell.source = classroom.student_text(cell.source)
        elif cell.cell_type == "code":
            cell.source = classroom._drop_nbval_marker(cell.source)
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        if exercises.is_solution(cell) and cell.cell_type != "code":
            problems.append(f"{_where(path, index, cell)}: a {cell.cell_type} cell tagged solution; the series' "
                            "exercises are code cells (nbgrader would have to grade it by hand)")
        if role != "solution" and _marker_lines(cell.source):
            line = _marker_lines(cell.source)[0].strip()
            problems.append(f"{_where(path, index, cell)} is not an exercise, but its line {line[:90]!r} contains a "
                            f"solution marker: nbgrader takes every line that contains `{BEGIN}` or `{END}` for "
                            "the start or end of a solution and stops (\"Solution region detected in a "
                            "non-solution cell\"). Write the marker without its ### in the text, or tag the cell "
                            "solution if it is an exercise")
        if role == "solution":
            cell.metadata["nbgrader"] = _nbgrader(f"solution-{cell_id}", solution=True)
        elif role == "check":
            cell.metadata["nbgrader"] = _nbgrader(f"check-{cell_id}", grade=True, locked=True, points=points)
            total += points if _valid_points(points) else 0
        else:
            cell.metadata["nbgrader"] = _nbgrader(f"cell-{cell_id}", locked=True)
    nb.metadata.pop("widgets", None)
    if problems:
        raise BuildError("\n  ".join([f"{classroom._shown(path)} cannot become an nbgrader assignment:"] + problems))
    return nb, total


def write_config(out: Path) -> Path:
    target = Path(out) / CONFIG_NAME
    target.write_text(CONFIG, encoding="utf-8")
    return target


def build_course(notebooks, out: Path, catalogues: Path = exercises.CATALOGUES) -> dict[str, int]:
    """Write the course into ``out``: ``nbgrader_config.py`` and ``source/<stem>/<stem>.ipynb`` for each notebook.

    Returns {assignment: total points}. Every notebook is checked before anything is written: a problem in
    any of them raises a BuildError naming them all, and leaves the course folder as it was.
    """
    import nbformat

    out = Path(out)
    made, problems, totals = {}, [], {}
    for path in notebooks:
        path = Path(path)
        try:
            nb = classroom._read(path)
            made[path.stem], totals[path.stem] = course_notebook(nb, path, catalogues)
        except BuildError as err:
            problems.append(str(err))
    if problems:
        raise BuildError("\n".join(problems))
    (out / "source").mkdir(parents=True, exist_ok=True)
    write_config(out)
    for stem, nb in made.items():
        folder = out / "source" / stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / f"{stem}.ipynb"))
    return totals


def _checked_names(notebooks) -> list[Path]:
    bad = [str(p) for p in notebooks if not re.fullmatch(r"[A-Za-z0-9_\-]+", Path(p).stem)]
    if bad:
        raise BuildError(f"nbgrader assignment names take letters, digits, _ and - only: rename {', '.join(bad)}")
    return [Path(p) for p in notebooks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "nbgrader", help="default: build/nbgrader")
    args = parser.parse_args(argv)
    try:
        notebooks = _checked_names(args.notebooks or classroom.default_notebooks())
        if not notebooks:
            raise BuildError(f"no notebooks: none match notebooks/{classroom.NOTEBOOK_GLOB}")
        totals = build_course(notebooks, args.out)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    course = classroom._shown(args.out)
    for stem, total in totals.items():
        print(f"{course}/source/{stem}/{stem}.ipynb: {total} points")
    print(f"{course}/{CONFIG_NAME}\nNext, in {course}: nbgrader generate_assignment <NN_name> (the release is "
          "release/<NN_name>/), collect submissions into submitted/<student>/<NN_name>/, then "
          "nbgrader autograde <NN_name>.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
