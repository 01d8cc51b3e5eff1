"""The student version: solutions removed, stubs kept, outputs cleared, and a student's edits never lost.

The expected student cells below are written out by hand from the fixture notebook; the leak test looks for
every meaningful solution line of every notebook in the files a student gets; the last test runs every
student notebook top to bottom, where each check must answer "not answered yet" instead of failing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import classroom
import nbformat
import pytest
from classroom import BEGIN, END, MARKDOWN_STUB, BuildError, build_student, strip_solution
from conftest import FIXTURE_NOTEBOOK, ROOT, classroom_notebooks, expected_seconds
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TOOL = ROOT / "tools" / "classroom.py"


def _notebook(*cells, widgets=False):
    """A notebook from (kind, source, tags) triples, with the series' kernelspec."""
    made = []
    for kind, source, tags in cells:
        cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
        cell.metadata["slideshow"] = {"slide_type": "-"}
        if tags:
            cell.metadata["tags"] = list(tags)
        if kind == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stored output\n")]
        made.append(cell)
    nb = new_notebook(cells=made)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    if widgets:
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {},
                                                                                "version_major": 2}}
    return nb


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _sources(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(str(path), as_version=4).cells]


# --- removing solutions -----------------------------------------------------------------------------------

def test_strip_keeps_the_stub_and_the_code_around_the_block():
    source = ("# Exercise 2: the 3×4 output.\n"
              "answer = None  # your code here\n"
              f"{BEGIN}\n"
              "answer = np.array([[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]])\n"
              f"{END}\n"
              "shape = None if answer is None else answer.shape")
    assert strip_solution(source) == ("# Exercise 2: the 3×4 output.\n"
                                      "answer = None  # your code here\n"
                                      "shape = None if answer is None else answer.shape")


def test_strip_inside_a_function_keeps_signature_stub_and_return():
    source = ("def output_size(W, K):\n"
              "    result = None\n"
              f"    {BEGIN}\n"
              "    result = W - K + 1\n"
              f"    {END}\n"
              "    return result\n")
    assert strip_solution(source) == "def output_size(W, K):\n    result = None\n    return result\n"


def test_strip_removes_every_block_of_a_cell():
    source = f"a = None\n{BEGIN}\na = 1\n{END}\nb = None\n{BEGIN}\nb = 2\n{END}"
    assert strip_solution(source) == "a = None\nb = None"


@pytest.mark.parametrize("source, message", [
    (f"a = None\n{BEGIN}\na = 1", "`### BEGIN SOLUTION` on line 2 has no `### END SOLUTION`"),
    (f"a = 1\n{END}", "line 2 has `### END SOLUTION` without"),
    (f"{BEGIN}\n{BEGIN}\n{END}", "line 2 opens `### BEGIN SOLUTION` inside the block opened on line 1"),
])
def test_unbalanced_markers_are_refused_with_the_line(source, message):
    with pytest.raises(BuildError, match=re.escape(message)) as err:
        strip_solution(source, "03_x.ipynb, cell 7")
    assert "03_x.ipynb, cell 7" in str(err.value)


def test_a_solution_cell_without_markers_is_refused(tmp_path):
    nb = _notebook(("code", "answer = 42", ["solution"]))
    with pytest.raises(BuildError, match="tagged `solution` but has no"):
        classroom.student_notebook(nb, "nb.ipynb")


def test_a_function_left_without_a_body_is_refused():
    nb = _notebook(("code", f"def f(x):\n    {BEGIN}\n    return 2 * x\n    {END}", ["solution"]))
    with pytest.raises(BuildError, match=r"nb.ipynb, cell 0: without its solution the cell is not valid"):
        classroom.student_notebook(nb, "nb.ipynb")


def test_the_fixture_becomes_the_expected_student_notebook(tmp_path):
    build_student([FIXTURE_NOTEBOOK], tmp_path)
    teacher = nbformat.read(str(FIXTURE_NOTEBOOK), as_version=4)
    student = nbformat.read(str(tmp_path / FIXTURE_NOTEBOOK.name), as_version=4)
    assert len(student.cells) == len(teacher.cells)
    by_source = {c.source.splitlines()[0]: c.source for c in student.cells if c.source}
    assert by_source["# Exercise 1: the four outputs."] == (
        "# Exercise 1: the four outputs.\nanswer_1 = None  # your code here")
    assert by_source["def output_width(W, K):"] == (
        "def output_width(W, K):\n    result = None  # your code here\n    return result")
    assert [c.source for c in student.cells if c.cell_type == "markdown" and "solution" in c.metadata.get(
        "tags", [])] == [MARKDOWN_STUB]
    assert "ex.widget()" in [c.source for c in student.cells]  # the nbval marker is test plumbing
    for mine, theirs in zip(student.cells, teacher.cells, strict=True):
        assert mine.metadata["slideshow"] == theirs.metadata["slideshow"]
        assert mine.metadata.get("tags") == theirs.metadata.get("tags")
        if "solution" not in theirs.metadata.get("tags", []) and "NBVAL" not in theirs.source:
            assert mine.source == theirs.source
        if mine.cell_type == "code":
            assert mine.outputs == [] and mine.execution_count is None
    assert "widgets" in teacher.metadata and "widgets" not in student.metadata
    assert student.metadata["kernelspec"]["name"] == "python3"
    assert "secret" not in (tmp_path / FIXTURE_NOTEBOOK.name).read_text(encoding="utf-8")


def test_solution_markers_in_an_untagged_cell_are_stripped_with_a_warning(capsys):
    nb = _notebook(("code", f"a = None\n{BEGIN}\na = 'hidden'\n{END}", []))
    out = classroom.student_notebook(nb, "nb.ipynb")
    assert out.cells[0].source == "a = None"
    assert "no `solution` tag" in capsys.readouterr().err


# --- never overwrite a student's work -----------------------------------------------------------------------

def _teacher(tmp_path, text="Version 1 of the text."):
    nb = _notebook(("markdown", text, []),
                   ("code", f"answer = None\n{BEGIN}\nanswer = 7\n{END}", ["solution"]),
                   ("code", "print(answer)", []))
    return _write(nb, tmp_path / "src" / "05_demo.ipynb")


def _edit(path: Path, text: str) -> bytes:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = f"answer = {text}"
    nbformat.write(nb, str(path))
    return path.read_bytes()


def test_rebuilding_an_untouched_notebook_updates_it(tmp_path):
    out = tmp_path / "student"
    src = _teacher(tmp_path)
    assert build_student([src], out)["05_demo.ipynb"] == ("written", "05_demo.ipynb")
    assert build_student([src], out)["05_demo.ipynb"] == ("unchanged", "05_demo.ipynb")
    _teacher(tmp_path, "Version 2 of the text.")
    assert build_student([src], out)["05_demo.ipynb"] == ("updated", "05_demo.ipynb")
    assert _sources(out / "05_demo.ipynb")[0] == "Version 2 of the text."
    assert sorted(p.name for p in out.iterdir()) == [".manifest.json", "05_demo.ipynb"]


def test_an_edited_notebook_is_kept_and_the_new_version_goes_beside_it(tmp_path, capsys):
    out = tmp_path / "student"
    src = _teacher(tmp_path)
    build_student([src], out)
    mine = _edit(out / "05_demo.ipynb", "7  # my answer")
    _teacher(tmp_path, "Version 2 of the text.")
    capsys.readouterr()
    assert build_student([src], out)["05_demo.ipynb"] == ("beside", "05_demo.new.ipynb")
    said = capsys.readouterr().out
    assert "05_demo.ipynb has your edits" in said and "05_demo.new.ipynb" in said
    assert (out / "05_demo.ipynb").read_bytes() == mine
    assert _sources(out / "05_demo.new.ipynb")[0] == "Version 2 of the text."
    # building again changes nothing and makes no third file
    assert build_student([src], out)["05_demo.ipynb"] == ("beside", "05_demo.new.ipynb")
    assert (out / "05_demo.ipynb").read_bytes() == mine
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["05_demo.ipynb", "05_demo.new.ipynb"]


def test_an_edited_new_version_is_not_overwritten_either(tmp_path):
    out = tmp_path / "student"
    src = _teacher(tmp_path)
    build_student([src], out)
    _edit(out / "05_demo.ipynb", "1")
    _teacher(tmp_path, "Version 2 of the text.")
    build_student([src], out)
    also_mine = _edit(out / "05_demo.new.ipynb", "2")
    _teacher(tmp_path, "Version 3 of the text.")
    assert build_student([src], out)["05_demo.ipynb"] == ("beside", "05_demo.new2.ipynb")
    assert (out / "05_demo.new.ipynb").read_bytes() == also_mine
    assert _sources(out / "05_demo.new2.ipynb")[0] == "Version 3 of the text."


def test_an_edited_notebook_with_nothing_new_is_left_alone(tmp_path, capsys):
    out = tmp_path / "student"
    src = _teacher(tmp_path)
    build_student([src], out)
    mine = _edit(out / "05_demo.ipynb", "7")
    assert build_student([src], out)["05_demo.ipynb"] == ("kept", "05_demo.ipynb")
    assert "kept your edits" in capsys.readouterr().out
    assert (out / "05_demo.ipynb").read_bytes() == mine
    assert not (out / "05_demo.new.ipynb").exists()


def test_without_a_manifest_an_existing_different_file_counts_as_edited(tmp_path):
    out = tmp_path / "student"
    src = _teacher(tmp_path)
    out.mkdir()
    (out / "05_demo.ipynb").write_text("{}", encoding="utf-8")
    assert build_student([src], out)["05_demo.ipynb"] == ("beside", "05_demo.new.ipynb")
    assert (out / "05_demo.ipynb").read_text(encoding="utf-8") == "{}"
    manifest = json.loads((out / ".manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"05_demo.new.ipynb"}


def test_command_line_reports_a_bad_notebook_and_builds_the_rest(tmp_path):
    good = _teacher(tmp_path)
    bad = _write(_notebook(("code", f"x = None\n{BEGIN}\nx = 1", ["solution"])),
                 tmp_path / "src" / "06_bad.ipynb")
    missing = tmp_path / "src" / "07_missing.ipynb"
    proc = subprocess.run([sys.executable, str(TOOL), "student", str(good), str(bad), str(missing),
                           "--out", str(tmp_path / "student")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "06_bad.ipynb, cell 0: `### BEGIN SOLUTION` on line 2 has no `### END SOLUTION`" in proc.stderr
    assert "07_missing.ipynb does not exist" in proc.stderr
    assert (tmp_path / "student" / "05_demo.ipynb").exists()
    assert not (tmp_path / "student" / "06_bad.ipynb").exists()


# --- every notebook of the series ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    build_student(classroom_notebooks(), out)
    return out


def _solution_lines(nb) -> tuple[list[str], str]:
    """The solution lines of a notebook, and all of its text outside the solutions."""
    secret, public = [], []
    for cell in nb.cells:
        tagged = "solution" in cell.metadata.get("tags", [])
        if cell.cell_type == "markdown" and tagged:
            secret += cell.source.splitlines()
            continue
        inside = False
        for line in cell.source.splitlines():
            if line.strip().startswith(BEGIN):
                inside = True
            elif line.strip().startswith(END):
                inside = False
            else:
                (secret if inside else public).append(line)
    return secret, "\n".join(public)


def _leaks(teacher_path: Path, student_text: str) -> list[str]:
    """Meaningful solution lines (six or more letters or digits, not also outside a solution) in the text."""
    secret, public = _solution_lines(nbformat.read(str(teacher_path), as_version=4))
    found = []
    for line in secret:
        line = line.strip()
        if len(re.findall(r"\w", line)) >= 6 and line not in public and line in student_text:
            found.append(line)
    return found


def _student_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return raw + "\n" + "\n".join(c.source for c in nbformat.reads(raw, as_version=4).cells)


def test_the_leak_finder_finds_solutions_in_the_instructor_version():
    found = _leaks(FIXTURE_NOTEBOOK, _student_text(FIXTURE_NOTEBOOK))
    assert any("fixture-secret-alpha" in line for line in found)
    assert any("fixture-secret-beta" in line for line in found)
    assert any("fixture-secret-gamma" in line for line in found)


@pytest.mark.parametrize("path", classroom_notebooks(), ids=[p.stem for p in classroom_notebooks()])
def test_no_solution_text_reaches_the_students(student_dir, path):
    text = "\n".join(_student_text(p) for p in sorted(student_dir.glob("*.ipynb")))
    assert _leaks(path, text) == []
    student = nbformat.read(str(student_dir / path.name), as_version=4)
    assert "widgets" not in student.metadata
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def _execute(path: Path, out_dir: Path) -> tuple[Path, subprocess.CompletedProcess]:
    cmd = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(out_dir),
           "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.kernel_name=python3", str(path)]
    return path, subprocess.run(cmd, capture_output=True, text=True, cwd=path.parent)


@pytest.mark.slow
def test_every_student_notebook_runs_top_to_bottom(student_dir, tmp_path):
    """Two kernels at a time, the longest notebooks first; every check then says "not answered yet"."""
    notebooks = [student_dir / p.name for p in sorted(classroom_notebooks(), key=expected_seconds, reverse=True)]
    assert all(p.exists() for p in notebooks)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: _execute(p, tmp_path), notebooks))
    failures = [f"{p.name}:\n{proc.stderr[-1500:]}" for p, proc in results if proc.returncode != 0]
    assert not failures, "student notebooks failed:\n" + "\n\n".join(failures)
    for path, _ in results:
        ran = nbformat.read(str(tmp_path / path.name), as_version=4)
        has_exercise = any(c.cell_type == "code" and "solution" in c.metadata.get("tags", [])
                           for c in ran.cells)
        shown = json.dumps([c.get("outputs", []) for c in ran.cells], ensure_ascii=False)
        if has_exercise:
            assert "Not answered yet" in shown, f"{path.name}: no check said 'not answered yet'"
