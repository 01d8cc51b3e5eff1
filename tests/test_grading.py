"""The grading switch (helpers/grading.py): with CNN_GRADING=1 a check that is not ✅ raises AssertionError with its
verdict's text; without it, every check returns its Verdict and never raises.

The oracle for each message is the same check with the variable unset: grading changes whether the verdict is
raised, never what it says. The last tests run cells of every shape the notebooks' check cells take in a real
kernel, as nbgrader does.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import nbformat
import numpy as np
import pytest

import helpers
from helpers.checks import (
    Verdict,
    call_student,
    check_array,
    check_choice,
    check_function,
    check_number,
    check_shape,
    check_true,
)
from helpers.grading import GRADING_VARIABLE, grading, ungraded

WRONG = [  # (a check called with a wrong answer, as a thunk)
    lambda: check_number(7, 5, what="dot product", hints={7: "You lost a minus sign."}),
    lambda: check_array([1, -1, 1, 1], np.array([1, -1, 1, 0])),
    lambda: check_shape((10, 47, 67), (10, 48, 68), layout="CHW"),
    lambda: check_true(0.5 > 0.97, "accuracy at least 97%", "accuracy below 97%"),
    lambda: check_choice("a lot", "about the same", ["a lot", "about the same"], hints={"a lot": "Not linear."}),
]
NOT_ANSWERED = [
    lambda: check_number(None, 5),
    lambda: check_array(None, np.zeros(3)),
    lambda: check_shape(None, (2, 3)),
    lambda: check_true(None, "right", "wrong"),
    lambda: check_function(None, np.sin, [(0.5,)]),
]


@pytest.fixture
def graded(monkeypatch):
    monkeypatch.setenv(GRADING_VARIABLE, "1")


@pytest.fixture
def not_graded(monkeypatch):
    monkeypatch.delenv(GRADING_VARIABLE, raising=False)


def _said(thunk, monkeypatch):
    """What the check says with grading off (the oracle for the raised message)."""
    with monkeypatch.context() as m:
        m.delenv(GRADING_VARIABLE, raising=False)
        verdict = thunk()
    assert isinstance(verdict, Verdict)
    return str(verdict)


def test_the_variable_turns_grading_on_and_only_its_values_for_yes_do(monkeypatch):
    for value, on in [("1", True), ("true", True), ("YES", True), ("0", False), ("", False), ("no", False)]:
        monkeypatch.setenv(GRADING_VARIABLE, value)
        assert grading() is on, value
    monkeypatch.delenv(GRADING_VARIABLE)
    assert grading() is False


@pytest.mark.parametrize("thunk", WRONG, ids=["number", "array", "shape", "true", "choice"])
def test_a_wrong_answer_raises_with_the_verdict_text_when_graded(thunk, monkeypatch, graded):
    said = _said(thunk, monkeypatch)
    assert said.startswith("❌")
    with pytest.raises(AssertionError) as raised:
        thunk()
    assert str(raised.value) == said


@pytest.mark.parametrize("thunk", NOT_ANSWERED, ids=["number", "array", "shape", "true", "function"])
def test_an_untouched_stub_raises_not_answered_when_graded(thunk, monkeypatch, graded):
    said = _said(thunk, monkeypatch)
    assert said.startswith("⏳ Not answered yet")
    with pytest.raises(AssertionError, match="Not answered yet") as raised:
        thunk()
    assert str(raised.value) == said


@pytest.mark.parametrize("thunk", WRONG + NOT_ANSWERED)
def test_without_the_variable_a_check_returns_its_verdict(thunk, not_graded):
    verdict = thunk()
    assert isinstance(verdict, Verdict) and verdict.ok is not True


@pytest.mark.parametrize("value", ["0", ""])
def test_a_variable_that_is_not_yes_changes_nothing(value, monkeypatch):
    monkeypatch.setenv(GRADING_VARIABLE, value)
    assert check_number(7, 5).ok is False


def test_a_right_answer_returns_its_verdict_when_graded(graded):
    verdict = check_number(5, 5)
    assert isinstance(verdict, Verdict) and verdict.ok is True
    assert check_array([1, -1, 1, 0], np.array([1, -1, 1, 0])).ok is True


def test_only_the_outermost_check_raises(monkeypatch, graded):
    # check_function runs check_array on the wrong result and rewrites its message: the message raised is
    # check_function's (it names the call), not the inner check_array's
    args = (lambda x: np.asarray(x) * 3, lambda x: np.asarray(x) * 2, [([1.0, 2.0],)])
    said = _said(lambda: check_function(*args, name="double"), monkeypatch)
    inner = _said(lambda: check_array(np.array([3.0, 6.0]), np.array([2.0, 4.0]), what="result"), monkeypatch)
    assert said.startswith("❌ Not yet. double([1, 2]):") and inner.split("Not yet. ")[1] in said
    with pytest.raises(AssertionError) as raised:
        check_function(*args, name="double")
    assert str(raised.value) == said


def test_a_check_inside_helpers_code_never_raises(graded):
    # a check written in a helpers module that calls other checks, weighs their verdicts and makes its own:
    # only what it returns to the caller counts (this module is named like one of the package's)
    import types

    module = types.ModuleType("helpers._grading_probe")
    exec(  # noqa: S102 - the probe's code runs as if it were part of the package
        "from helpers.checks import Verdict, check_number\n"
        "def check_probe(answer):\n"
        "    first = check_number(answer, 3)            # wrong, but an inner verdict\n"
        "    Verdict(False, 'an inner verdict')\n"
        "    return Verdict(True, f'weighed {first.ok}')\n",
        module.__dict__)
    assert str(module.check_probe(2)) == "✅ Correct. weighed False"


def test_a_student_function_that_calls_a_check_does_not_raise_inside_a_check(monkeypatch, graded):
    # the student's code runs inside check_function (helpers code is on the stack): its own check is inner
    def student(x):
        check_number(x[0], 99)              # wrong, and ignored by the student's code
        return np.asarray(x) * 2

    assert check_function(student, lambda x: np.asarray(x) * 2, [([1.0, 2.0],)], name="double").ok is True


def test_a_verdict_the_notebook_makes_raises_when_not_right(monkeypatch):
    monkeypatch.setenv(GRADING_VARIABLE, "1")
    with pytest.raises(AssertionError, match="^❌ Not yet. You left out the padding.$"):
        Verdict(False, "You left out the padding.")
    with pytest.raises(AssertionError, match="^⏳ Not answered yet."):
        Verdict(None, "")
    assert Verdict(True, "fine").ok is True
    monkeypatch.delenv(GRADING_VARIABLE)
    assert Verdict(False, "You left out the padding.").ok is False


def test_call_student_raises_only_for_an_exception_when_graded(monkeypatch, graded):
    def broken():
        return 1 / 0

    said = _said(lambda: call_student(broken, name="my_f"), monkeypatch)
    assert "ZeroDivisionError" in said
    with pytest.raises(AssertionError) as raised:
        call_student(broken, name="my_f")
    assert str(raised.value) == said
    assert call_student(lambda: 5) == 5
    assert call_student(None) is None     # the check that receives it says "not answered"


def test_ungraded_lets_a_cell_show_wrong_answers_on_purpose(graded):
    with ungraded():
        assert check_number(7, 5).ok is False
        assert Verdict(False, "shown on purpose").ok is False
    with pytest.raises(AssertionError):
        check_number(7, 5)


def _public_checks():
    """(module, name, function) for every public check of every public helpers module: check_* and call_student."""
    found = []
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if ((name.startswith("check_") or name == "call_student") and inspect.isfunction(obj)
                    and obj.__module__ == module.__name__):
                found.append((module.__name__, name, obj))
    return found


def test_every_public_check_is_graded():
    checks = _public_checks()
    assert len(checks) >= 19
    missing = [f"{module}.{name}" for module, name, fn in checks if not getattr(fn, "graded", False)]
    assert not missing, (
        "these checks never raise under nbgrader, so a wrong answer would earn its points: decorate each with "
        "@graded (`from .grading import graded`, see helpers/grading.py): " + ", ".join(missing))


# --- in a kernel, as nbgrader runs the check cells --------------------------------------------------------

# Every shape the series' check cells take (tools/exercises.py finds them): the check as the last line, a
# verdict variable shown last, a loop that stops at the first wrong verdict, a print, a Verdict the notebook
# makes itself, check_true on a condition, a student function run through call_student. Each cell is written
# for a wrong answer; RIGHT is a right one.
SETUP = ("import numpy as np\nfrom helpers.checks import Verdict, call_student, check_array, check_number, "
         "check_shape, check_true\n")
WRONG_CELLS = {
    "last line": "check_number(7, 5)",
    "verdict variable": "verdict = check_shape((10, 47, 67), (10, 48, 68))\nverdict",
    "loop with break": ("for x in ([1, 2], [3, 4]):\n    verdict = check_array(np.asarray(x) * 3, np.asarray(x) * 2)\n"
                        "    if not verdict:\n        break\nverdict"),
    "print": "print(check_number(7, 5))\nprint('after')",
    "notebook verdict": ("answer = (32, 28, 28)\nif answer == (32, 28, 28):\n"
                         "    verdict = Verdict(False, 'no padding')\nelse:\n"
                         "    verdict = check_shape(answer, (32, 14, 14))\nverdict"),
    "check_true": "check_true(0.5 >= 0.97, 'at least 97%', 'below 97%')",
    "call_student": "def f(x):\n    return x[5]\ncheck_array(call_student(f, np.zeros(3), name='f'), np.zeros(3))",
    "not answered": "answer = None\ncheck_number(answer, 5)",
}
RIGHT = "check_number(5, 5)"


def _run_cells(sources, monkeypatch, grading_on):
    from nbclient import NotebookClient

    if grading_on:
        monkeypatch.setenv(GRADING_VARIABLE, "1")        # a kernel inherits this process's environment
    else:
        monkeypatch.delenv(GRADING_VARIABLE, raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in [SETUP, *sources]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, startup_timeout=120, allow_errors=True, kernel_name="python3").execute()
    return nb.cells[1:]


@pytest.mark.timeout(300)
def test_every_check_cell_shape_fails_in_a_kernel_only_when_graded(monkeypatch):
    sources = [*WRONG_CELLS.values(), RIGHT]
    graded_cells = _run_cells(sources, monkeypatch, True)
    for name, cell in zip(WRONG_CELLS, graded_cells, strict=False):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "AssertionError", f"{name}: {cell.outputs}"
        assert errors[0].evalue.startswith(("❌", "⏳")), f"{name}: {errors[0].evalue}"
    right = graded_cells[-1]
    # a right verdict is shown as display data, not as the cell's result (nbgrader reads a result as partial credit)
    assert [o.output_type for o in right.outputs] == ["display_data"], right.outputs
    assert right.outputs[0].data["text/plain"].startswith("✅ Correct.")

    plain_cells = _run_cells(sources, monkeypatch, False)
    for name, cell in zip([*WRONG_CELLS, "right"], plain_cells, strict=True):
        assert not [o for o in cell.outputs if o.output_type == "error"], f"{name}: {cell.outputs}"
    assert plain_cells[-1].outputs[0].output_type == "execute_result"
