"""The student version: solutions removed, stubs kept, outputs cleared, and a student's edits never lost.

The expected student cells below are written out by hand from the fixture notebook; the leak test looks for
every meaningful solution line of every notebook in the files a student gets; the last test runs every
student notebook top to bottom, where each check must answer "not answered yet" instead of failing.
"""

from __future__ import annotations

import errno
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
pytestmark = pytest.mark.notebooks  # builds student versions and runs them: not part of `make unit`


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


# --- when the build cannot do what it was asked: one sentence, no traceback, the student's file untouched -----
#
# Each test runs the tool as a student or teacher would (a subprocess) on temporary folders. Read-only is
# simulated with chmod, which does not stop root from writing: the tool therefore honours the permission bits
# itself, for every user, so these tests check the same thing as root and as anyone else. Where `chattr +i`
# works (root on ext4 and most local file systems), the immutable-file tests also check a refusal that comes
# from the system itself; elsewhere they are skipped and say why. A full disk is simulated by a wrapper that
# makes the rename which completes a write fail with ENOSPC, the error a full disk gives.

def _tool(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), "student", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def _said_once(proc, returncode: int, *words: str) -> str:
    """The run ended with ``returncode`` and said one sentence on stderr, containing ``words``, no traceback."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == returncode, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _student_copy(tmp_path) -> tuple[Path, Path]:
    """A teacher's notebook built once into tmp_path/student; returns (source, the student's copy)."""
    src = _teacher(tmp_path)
    out = tmp_path / "student"
    build_student([src], out)
    return src, out / src.name


def _chattr(path: Path, flag: str) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


@pytest.fixture
def immutable():
    """Mark a path immutable with `chattr +i` (undone afterwards); skips where the system does not allow it."""
    marked = []

    def mark(path: Path) -> Path:
        if not _chattr(path, "+i"):
            pytest.skip("`chattr +i` is not available here (it needs root and a file system that supports it); "
                        "the chmod test checks the same message")
        marked.append(path)
        return path

    yield mark
    for path in marked:
        _chattr(path, "-i")


def test_out_that_is_a_file_is_left_alone_and_explained(tmp_path):
    src = _teacher(tmp_path)
    (tmp_path / "student").write_bytes(b"my notes, not a folder\n")
    proc = _tool(src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, "student is a file, not a folder", "move or rename that file", "--out")
    assert (tmp_path / "student").read_bytes() == b"my notes, not a folder\n"


def test_out_under_a_file_is_explained(tmp_path):
    src = _teacher(tmp_path)
    (tmp_path / "build").write_bytes(b"")
    proc = _tool(src, "--out", "build/student", cwd=tmp_path)
    _said_once(proc, 1, "could not create the folder build/student")


@pytest.mark.parametrize("how", ["chmod", "chattr"])
def test_a_read_only_out_folder_is_explained_and_nothing_is_written(tmp_path, how, immutable):
    src, mine = _student_copy(tmp_path)
    before = {p.name: p.read_bytes() for p in mine.parent.iterdir()}
    _teacher(tmp_path, "Version 2 of the text.")
    if how == "chmod":
        mine.parent.chmod(0o555)
    else:
        immutable(mine.parent)
    try:
        proc = _tool(src, "--out", "student", cwd=tmp_path)
        after = {p.name: p.read_bytes() for p in mine.parent.iterdir()}
    finally:
        if how == "chmod":
            mine.parent.chmod(0o755)
    _said_once(proc, 1, "student is read-only, so no notebook was written", "chmod u+w student")
    assert after == before


@pytest.mark.parametrize("how", ["chmod", "chattr"])
def test_a_read_only_notebook_is_kept_and_the_new_version_goes_beside_it(tmp_path, how, immutable):
    src, mine = _student_copy(tmp_path)             # not edited: the build would normally update it
    before = mine.read_bytes()
    _teacher(tmp_path, "Version 2 of the text.")
    if how == "chmod":
        mine.chmod(0o444)
    else:
        immutable(mine)
    proc = _tool(src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 0, "student/05_demo.ipynb is read-only, so it was left as it is",
               "student/05_demo.new.ipynb", "chmod u+w")
    assert mine.read_bytes() == before
    assert _sources(mine.parent / "05_demo.new.ipynb")[0] == "Version 2 of the text."


@pytest.mark.parametrize("edited_too", [False, True])
def test_a_damaged_notebook_is_kept_and_a_fresh_copy_goes_beside_it(tmp_path, edited_too):
    """A notebook that is not JSON (a crash while saving, a bad merge) gets a fresh copy even when the
    build has nothing new, since the student cannot open theirs."""
    src, mine = _student_copy(tmp_path)
    damaged = mine.read_bytes()[:200]              # cut off mid-file, as a crash while saving leaves it
    mine.write_bytes(damaged)
    if edited_too:
        _teacher(tmp_path, "Version 2 of the text.")
    proc = _tool(src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 0, "student/05_demo.ipynb is damaged (not valid JSON", "left as it is",
               "student/05_demo.new.ipynb", "copy your work across")
    assert mine.read_bytes() == damaged
    fresh = _sources(mine.parent / "05_demo.new.ipynb")
    assert fresh[0] == ("Version 2 of the text." if edited_too else "Version 1 of the text.")


def test_a_folder_where_the_notebook_should_be_is_left_alone(tmp_path):
    src = _teacher(tmp_path)
    (tmp_path / "student" / "05_demo.ipynb").mkdir(parents=True)
    proc = _tool(src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 0, "student/05_demo.ipynb is not a file, so it was left as it is", "05_demo.new.ipynb")
    assert (tmp_path / "student" / "05_demo.ipynb").is_dir()


@pytest.mark.parametrize("given, words", [
    ("src/07_missing.ipynb", ["notebook src/07_missing.ipynb does not exist", "check the path"]),
    ("src", ["src is a folder, not a notebook", "src/*.ipynb"]),
])
def test_a_bad_notebook_path_is_explained(tmp_path, given, words):
    _teacher(tmp_path)
    proc = _tool(given, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, *words)


def test_the_same_notebook_name_twice_is_refused(tmp_path):
    src = _teacher(tmp_path)
    other = _write(nbformat.read(str(src), as_version=4), tmp_path / "other" / src.name)
    proc = _tool(src, other, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, "src/05_demo.ipynb and other/05_demo.ipynb are both named 05_demo.ipynb")
    assert _sources(tmp_path / "student" / "05_demo.ipynb")[0] == "Version 1 of the text."


# Runs the tool with the rename that completes each write failing for files whose name ends with argv[1]:
# OSError with error number argv[2], or Ctrl-C (KeyboardInterrupt) for 0.
FAILING_WRITE = """
import errno, os, runpy, sys
suffix, number = sys.argv[1], int(sys.argv[2])
real = os.replace
def replace(src, dst, *args, **kwargs):
    if str(dst).endswith(suffix):
        if number == 0:
            raise KeyboardInterrupt
        raise OSError(number, os.strerror(number), str(dst))
    return real(src, dst, *args, **kwargs)
os.replace = replace
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _tool_with_failing_write(suffix: str, number: int, *args, cwd) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", FAILING_WRITE, suffix, str(number), str(TOOL), "student", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


def test_a_full_disk_while_writing_the_new_copy_is_explained(tmp_path):
    src, mine = _student_copy(tmp_path)
    edited = _edit(mine, "7  # my answer")
    _teacher(tmp_path, "Version 2 of the text.")
    proc = _tool_with_failing_write(".new.ipynb", errno.ENOSPC, src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, "could not write student/05_demo.new.ipynb (No space left on device)",
               "student/05_demo.ipynb was left as it is", "free some disk space")
    assert mine.read_bytes() == edited
    assert sorted(p.name for p in mine.parent.iterdir()) == [".manifest.json", "05_demo.ipynb"]  # no temp file


def test_a_full_disk_while_updating_is_explained_and_the_old_file_stays_whole(tmp_path):
    src, mine = _student_copy(tmp_path)
    before = mine.read_bytes()
    _teacher(tmp_path, "Version 2 of the text.")
    proc = _tool_with_failing_write("05_demo.ipynb", errno.ENOSPC, src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, "could not update student/05_demo.ipynb (No space left on device)",
               "left as it was")
    assert mine.read_bytes() == before
    # the manifest still records the old version, so the next build updates the file instead of keeping it
    assert build_student([src], mine.parent)["05_demo.ipynb"] == ("updated", "05_demo.ipynb")


def test_a_manifest_that_cannot_be_saved_is_explained(tmp_path):
    src = _teacher(tmp_path)
    proc = _tool_with_failing_write(".manifest.json", errno.EACCES, src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 1, "could not save student/.manifest.json (Permission denied)", "run the build again")
    assert (tmp_path / "student" / "05_demo.ipynb").exists()


def test_ctrl_c_stops_without_a_traceback_and_leaves_no_half_file(tmp_path):
    src, mine = _student_copy(tmp_path)
    before = mine.read_bytes()
    _teacher(tmp_path, "Version 2 of the text.")
    proc = _tool_with_failing_write("05_demo.ipynb", 0, src, "--out", "student", cwd=tmp_path)
    _said_once(proc, 130, "stopped (Ctrl-C)", "run the same command again")
    assert mine.read_bytes() == before
    assert sorted(p.name for p in mine.parent.iterdir()) == [".manifest.json", "05_demo.ipynb"]


def test_an_update_keeps_the_file_permissions(tmp_path):
    src, mine = _student_copy(tmp_path)
    mine.chmod(0o640)
    _teacher(tmp_path, "Version 2 of the text.")
    assert build_student([src], mine.parent)["05_demo.ipynb"] == ("updated", "05_demo.ipynb")
    assert mine.stat().st_mode & 0o777 == 0o640


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
    return path, subprocess.run(cmd, capture_output=True, text=True, cwd=path.parent, timeout=840)


@pytest.mark.timeout(900)  # every notebook executed, two kernels at a time (about 90 s on two idle cores)
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


# --- sentences for one version only ------------------------------------------------------------------------------
def test_instructor_and_student_sentences_are_chosen_for_the_student():
    text = ("Intro.\n<!-- instructor -->\n- This is the instructor version.\n<!-- /instructor -->\n"
            "<!-- student\n- This is the student version.\n-->\n- Both.")
    nb = new_notebook(cells=[new_markdown_cell(text)])
    out = classroom.student_notebook(nb).cells[0].source
    assert out == "Intro.\n- This is the student version.\n- Both."
    assert classroom.student_text("no markers <!-- a comment -->") == "no markers <!-- a comment -->"


def test_notebook_00_tells_each_reader_which_version_they_have():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    instructor = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    student = "\n".join(c.source for c in classroom.student_notebook(nb).cells if c.cell_type == "markdown")
    assert "This is the instructor version" in instructor and "This is the student version" in student
    assert "This is the instructor version" not in student and "<!--" not in student
