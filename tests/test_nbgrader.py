"""The nbgrader course (tools/nbgrader_course.py): nbgrader releases every notebook and grades submissions exactly.

The fast tests check the course the builder writes: nbgrader's cell metadata made from the series' `solution`
tags, check cells and `points`, and a message naming notebook, cell and exercise for each problem. The slow
test builds one course in a temporary folder from the series' notebooks, runs nbgrader's own commands with the
course's nbgrader_config.py (a subprocess each, this environment's bin on PATH, CNN_GRADING unset: the config
must set it in the kernels), and reads the scores from the gradebook. Per notebook, three students:

* **instructor** hands in the solutions: full marks, the sum of the solution cells' points;
* **untouched** hands in the release as it came: zero;
* **mixed** answers every other exercise with the first wrong answer of the notebook's catalogue
  (tests/catalogues/, `code` replaces the solution cell) and also replaced the check cell of the first of
  them with `pass`: total minus the points of the wrong ones, which holds only if nbgrader restored that check.

The oracle is the points written in the notebooks and the catalogue's wrong answers; nbgrader runs the notebooks.
All of it costs one `generate_assignment` and one `autograde` call, which grades every student of every
assignment: three executions of each notebook, the series' own run time three times over.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import exercises
import nbformat
import nbgrader_course
import pytest
from classroom import BuildError, strip_solution
from conftest import expected_seconds, series_notebooks
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.nbgrader
BIN = Path(sys.executable).parent
STUDENTS = ("instructor", "untouched", "mixed")
NBGRADER_START_SECONDS = 120        # nbgrader's start-up (imports, the gradebook) on a loaded machine, per call


def _seconds(path: Path) -> float:
    """How long one execution of the notebook may take here, kernel start included: 3× its last recorded run
    and half a minute (4 minutes if unknown)."""
    recorded = expected_seconds(path)
    return 240.0 if recorded == float("inf") else 3 * recorded + 30


# Exercises graded on top of earlier ones (solution cell ids): the later exercise's function calls the student's
# own functions from the earlier ones, so a wrong earlier answer costs the later exercise's points too. 08's
# Exercise 10 walks down the chain with the student's my_conv2d_backward and my_max_pool2d_backward (8 and 9).
BUILDS_ON = {"08_backprop_through_conv": {"c7b2f1a1": {"c6a1e0b4", "c6a1e0b9"}}}

# one generate_assignment (seconds per notebook) and one autograde (three executions of each notebook)
GENERATE_SECONDS = NBGRADER_START_SECONDS + 15 * len(series_notebooks())
AUTOGRADE_SECONDS = NBGRADER_START_SECONDS + sum(3 * _seconds(p) for p in series_notebooks())
TEST_SECONDS = int(GENERATE_SECONDS + AUTOGRADE_SECONDS + 120)


# --- the builder -------------------------------------------------------------------------------------------

def _exercise_notebook(points=2, *, check=True, markdown="Read me."):
    solution = new_code_cell("# Exercise 1: the answer, a number.\nanswer = None  # your code here\n"
                             "### BEGIN SOLUTION\nanswer = 4\n### END SOLUTION", id="sol1",
                             metadata={"tags": ["solution"], "slideshow": {"slide_type": "-"}})
    if points is not None:
        solution.metadata["points"] = points
    cells = [new_markdown_cell(markdown, id="md1"), new_code_cell("import helpers", id="setup1"), solution,
             new_markdown_cell("The check:", id="md2")]
    if check:
        cells.append(new_code_cell("# NBVAL_IGNORE_OUTPUT\ncheck_number(answer, 2 + 2)", id="chk1",
                                   execution_count=3, outputs=[nbformat.v4.new_output(
                                       "execute_result", data={"text/plain": "✅"}, execution_count=3)]))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"state": {}}
    return nb


def test_cells_get_nbgrader_metadata_from_the_series_marks(tmp_path):
    nb, total = nbgrader_course.course_notebook(_exercise_notebook(points=2), tmp_path / "99_demo.ipynb",
                                                catalogues=tmp_path)
    meta = {c.id: c.metadata["nbgrader"] for c in nb.cells}
    assert meta["sol1"] == {"solution": True, "grade": False, "locked": False, "grade_id": "solution-sol1",
                            "schema_version": 3}
    assert meta["chk1"] == {"solution": False, "grade": True, "locked": True, "points": 2, "grade_id": "check-chk1",
                            "schema_version": 3}
    for cell_id in ("md1", "setup1", "md2"):
        assert meta[cell_id] == {"solution": False, "grade": False, "locked": True, "grade_id": f"cell-{cell_id}",
                                 "schema_version": 3}
    assert total == 2
    check = nb.cells[-1]
    assert check.source == "check_number(answer, 2 + 2)" and check.outputs == [] and check.execution_count is None
    assert "widgets" not in nb.metadata


def test_the_check_cell_a_catalogue_names_is_the_one_graded(tmp_path):
    nb = _exercise_notebook(points=3)
    nb.cells.insert(3, new_code_cell("x = 1  # not the check", id="between"))
    (tmp_path / "99_demo.toml").write_text('[[exercise]]\ncell = "sol1"\ncheck = "chk1"\n', encoding="utf-8")
    made, total = nbgrader_course.course_notebook(nb, tmp_path / "99_demo.ipynb", catalogues=tmp_path)
    by_id = {c.id: c.metadata["nbgrader"] for c in made.cells}
    assert by_id["chk1"]["grade"] and by_id["chk1"]["points"] == 3 and not by_id["between"]["grade"]
    assert total == 3


def test_a_solution_cell_without_points_is_named_with_notebook_cell_and_exercise(tmp_path):
    with pytest.raises(BuildError) as raised:
        nbgrader_course.course_notebook(_exercise_notebook(points=None), tmp_path / "99_demo.ipynb",
                                        catalogues=tmp_path)
    text = str(raised.value)
    assert "99_demo.ipynb" in text and "id sol1" in text and "Exercise 1" in text and '"points"' in text
    with pytest.raises(BuildError, match="whole number"):
        nbgrader_course.course_notebook(_exercise_notebook(points=1.5), tmp_path / "99_demo.ipynb",
                                        catalogues=tmp_path)


def test_a_solution_marker_outside_an_exercise_is_named(tmp_path):
    # notebook 00 once quoted both markers on one line of its text: nbgrader stopped with "Solution region
    # detected in a non-solution cell", without naming the notebook or the cell
    nb = _exercise_notebook(markdown="Solutions sit between `### BEGIN SOLUTION` and `### END SOLUTION`.")
    with pytest.raises(BuildError) as raised:
        nbgrader_course.course_notebook(nb, tmp_path / "99_demo.ipynb", catalogues=tmp_path)
    text = str(raised.value)
    assert "99_demo.ipynb, cell 0 (id md1, markdown)" in text and "Solution region detected" in text


def test_an_exercise_without_a_check_cell_is_named(tmp_path):
    with pytest.raises(BuildError, match=r"id sol1\), Exercise 1: no code cell after it"):
        nbgrader_course.course_notebook(_exercise_notebook(check=False), tmp_path / "99_demo.ipynb",
                                        catalogues=tmp_path)


def test_a_failed_build_writes_nothing_and_names_every_problem(tmp_path):
    good, bad = tmp_path / "98_good.ipynb", tmp_path / "99_bad.ipynb"
    nbformat.write(_exercise_notebook(points=1), str(good))
    nbformat.write(_exercise_notebook(points=None), str(bad))
    out = tmp_path / "course"
    code = nbgrader_course.main([str(good), str(bad), "--out", str(out)])
    assert code == 1 and not out.exists()
    assert nbgrader_course.main([str(good), "--out", str(out)]) == 0
    assert (out / "source" / "98_good" / "98_good.ipynb").is_file()
    config = (out / "nbgrader_config.py").read_text(encoding="utf-8")
    compile(config, "nbgrader_config.py", "exec")
    for setting in ('c.ClearSolutions.code_stub = {"python": ""}',
                    'c.ClearSolutions.begin_solution_delimeter = "### BEGIN SOLUTION"',
                    'c.ClearSolutions.end_solution_delimeter = "### END SOLUTION"', "c.ClearOutput.enabled = True",
                    "c.Execute.timeout = 600", "CNN_GRADING"):
        assert setting in config


@pytest.mark.notebooks
@pytest.mark.parametrize("path", series_notebooks(), ids=[p.stem for p in series_notebooks()])
def test_every_notebook_becomes_an_assignment(path):
    nb = nbformat.read(str(path), as_version=4)
    made, total = nbgrader_course.course_notebook(nb, path)
    assert total == sum(c.metadata["points"] for c in nb.cells if exercises.is_solution(c))


# --- nbgrader itself ---------------------------------------------------------------------------------------

def _nbgrader(course: Path, *args, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("CNN_GRADING", None)       # the course's config must set it in the kernels nbgrader starts
    try:
        done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"nbgrader {' '.join(args)} did not finish within {timeout:.0f} s:\n{(err.stderr or '')[-3000:]}")
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-5000:]}"
    return done


def _by_grade_id(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "grade_id" in c.metadata.get("nbgrader", {})}


def _submissions(course: Path, stem: str) -> dict:
    """Write the three students' notebooks for assignment ``stem``; returns what each should score."""
    source = nbformat.read(str(course / "source" / stem / f"{stem}.ipynb"), as_version=4)
    release = nbformat.read(str(course / "release" / stem / f"{stem}.ipynb"), as_version=4)
    solutions = _by_grade_id(source)
    found = exercises.exercises(source, stem)
    total = sum(source.cells[e.solution].metadata["points"] for e in found)

    def answered(wrong: dict) -> nbformat.NotebookNode:
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if cell.metadata["nbgrader"].get("solution"):
                cell.source = wrong.get(grade_id, solutions[grade_id].source)
        return nb

    catalogued = [e for e in found if e.entry.get("wrong")]
    chosen = catalogued[::2]
    wrong = {source.cells[e.solution].metadata["nbgrader"]["grade_id"]: e.entry["wrong"][0]["code"] for e in chosen}
    mixed = answered(wrong)
    edited = None
    if chosen:
        edited = source.cells[chosen[0].check].metadata["nbgrader"]["grade_id"]
        _by_grade_id(mixed)[edited].source = "pass"
    for student, nb in (("instructor", answered({})), ("untouched", release), ("mixed", mixed)):
        folder = course / "submitted" / student / stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / f"{stem}.ipynb"))
    wrong_ids = {source.cells[e.solution].id for e in chosen}
    builds_on = BUILDS_ON.get(stem, {})
    lost = [e for e in found if e in chosen or builds_on.get(source.cells[e.solution].id, set()) & wrong_ids]
    return {"total": total, "instructor": total, "untouched": 0,
            "mixed": total - sum(source.cells[e.solution].metadata["points"] for e in lost),
            "wrong": [f"{e.name} ({e.entry['wrong'][0]['mistake']})" for e in chosen],
            "also lost": [e.name for e in lost if e not in chosen], "edited": edited}


def grade_course(notebooks, work: Path) -> dict:
    """Build the course from ``notebooks`` in ``work``, release them, grade three students each; per assignment:
    the expected and the gradebook's scores, each check cell's points, and the notebooks nbgrader wrote."""
    from nbgrader.api import Gradebook

    course = work / "course"
    nbgrader_course.build_course(notebooks, course)
    generated = _nbgrader(course, "generate_assignment", "*", "--force", timeout=GENERATE_SECONDS)
    results = {}
    for path in notebooks:
        results[path.stem] = {"expected": _submissions(course, path.stem)}
    graded = _nbgrader(course, "autograde", "*", "--force", timeout=AUTOGRADE_SECONDS)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for stem, result in results.items():
            for student in STUDENTS:
                submission = gradebook.find_submission(stem, student)
                cells = gradebook.find_submission_notebook(stem, stem, student).grades
                result[student] = {"score": submission.score, "max": submission.max_score,
                                   "cells": {g.name: (g.score, g.max_score) for g in cells}}
    for stem, result in results.items():
        result["release"] = nbformat.read(str(course / "release" / stem / f"{stem}.ipynb"), as_version=4)
        result["source"] = nbformat.read(str(course / "source" / stem / f"{stem}.ipynb"), as_version=4)
        result["autograded"] = {s: nbformat.read(str(course / "autograded" / s / stem / f"{stem}.ipynb"),
                                                 as_version=4) for s in STUDENTS}
    return {"assignments": results, "log": generated.stderr + graded.stderr, "course": course}


@pytest.fixture(scope="module")
def graded_course(request, tmp_path_factory):
    """One course for the notebooks whose test was selected (`-k 07` grades notebook 07 alone)."""
    selected = [item.callspec.params["path"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_autograde_scores_every_student_exactly"]
    work = tmp_path_factory.mktemp("nbgrader")
    yield grade_course(selected or series_notebooks(), work)
    shutil.rmtree(work, ignore_errors=True)


def _errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.timeout(TEST_SECONDS)
@pytest.mark.parametrize("path", series_notebooks(), ids=[p.stem for p in series_notebooks()])
def test_autograde_scores_every_student_exactly(path, graded_course):
    result = graded_course["assignments"][path.stem]
    expected = result["expected"]
    problems = []
    for student in STUDENTS:
        got = result[student]
        if (got["score"], got["max"]) != (expected[student], expected["total"]):
            notebook = result["autograded"][student]
            cells = _by_grade_id(notebook)
            detail = "; ".join(f"{name} {score:g}/{most:g} {_errors(cells[name])[:1] if name in cells else ''}"
                               for name, (score, most) in got["cells"].items())
            problems.append(f"{student}: {got['score']:g}/{got['max']:g}, expected {expected[student]}/"
                            f"{expected['total']} (wrong: {expected['wrong']}; lost with them: "
                            f"{expected['also lost']}): {detail}")
    assert not problems, "\n".join(problems)

    # the release keeps the series' stubs: nbgrader removed the solution lines and added nothing of its own
    source = _by_grade_id(result["source"])
    for grade_id, cell in _by_grade_id(result["release"]).items():
        if cell.metadata["nbgrader"]["solution"]:
            want = [line for line in strip_solution(source[grade_id].source).splitlines() if line.strip()]
            assert [line for line in cell.source.splitlines() if line.strip()] == want, grade_id
        assert "NotImplementedError" not in cell.source and not cell.get("outputs")
    # the untouched student's checks fail as the checks do, not with another error
    for grade_id, cell in _by_grade_id(result["autograded"]["untouched"]).items():
        if cell.metadata["nbgrader"].get("grade"):
            assert [e.split(":")[0] for e in _errors(cell)] == ["AssertionError"], (grade_id, _errors(cell))
    # the check cell the mixed student replaced with `pass` was restored from the gradebook
    if expected["edited"]:
        restored = _by_grade_id(result["autograded"]["mixed"])[expected["edited"]]
        assert restored.source == _by_grade_id(result["release"])[expected["edited"]].source != "pass"
        assert _errors(restored), "the restored check cell should fail for its wrong answer"
    # a check's verdict is never read as partial credit (it is shown as display data when grading)
    assert not re.search(r"cannot be converted to\s+a float", graded_course["log"])
