"""The grading switch: under an autograder, a check whose verdict is not ✅ raises instead of returning it.

A check returns a :class:`helpers.checks.Verdict` and never raises, so a student in JupyterLab reads ✅, ❌
or ⏳ and carries on. nbgrader needs the opposite: it gives a check cell its points when the cell runs
without an error. With the environment variable ``CNN_GRADING=1`` (the nbgrader course that
``tools/nbgrader_course.py`` builds sets it in the kernels nbgrader starts), every check the notebook calls
raises ``AssertionError`` with its verdict's text when the verdict is ❌ or ⏳: a wrong answer and an untouched
stub both earn nothing. So does a ❌ or ⏳ :class:`~helpers.checks.Verdict` that notebook code makes itself.
Without the variable nothing changes.

Only the outermost check raises. Checks call each other (``check_function`` runs ``check_array`` on each
result) and weigh the inner verdicts themselves, so a check or verdict made while any ``helpers`` code is
running is an inner one: whether it raises is read off the call stack, and no state is kept between calls.
A check defined in any ``helpers`` module takes part with the :func:`graded` decorator. In a notebook::

    check_number(answer, 3)    # CNN_GRADING=1: AssertionError: ❌ Not yet. Your answer 2 is too small.
                               # unset: the verdict, shown as ❌ Not yet. Your answer 2 is too small.

(Doctests run inside the package, where every check is an inner one: tests/test_grading.py shows the
switch from outside.)
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys

GRADING_VARIABLE = "CNN_GRADING"
_ON = {"1", "true", "yes", "on"}
_PACKAGE = __name__.partition(".")[0]
_paused = contextvars.ContextVar("helpers_grading_paused", default=False)


def grading() -> bool:
    """Whether checks raise on a verdict that is not ✅: the variable ``CNN_GRADING`` is 1 (or true, yes, on).

    >>> grading() in (True, False)      # read afresh at every check, so a test may set it
    True
    """
    return os.environ.get(GRADING_VARIABLE, "").strip().lower() in _ON


def _inside_helpers(frame) -> bool:
    """Whether ``frame`` or any frame below it on the stack runs code of the helpers package."""
    while frame is not None:
        name = frame.f_globals.get("__name__") or ""
        if name == _PACKAGE or name.startswith(_PACKAGE + "."):
            return True
        frame = frame.f_back
    return False


def fails(verdict, caller) -> bool:
    """Whether ``verdict``, handed to the code running in frame ``caller``, must raise: grading is on, the
    verdict is ❌ or ⏳, no helpers code is running (it is the outermost) and :func:`ungraded` is not in force."""
    return (verdict.ok is not True and grading() and not _paused.get()
            and not _inside_helpers(caller))


def graded(check):
    """Decorate a public check: under grading, its ❌ or ⏳ verdict raises ``AssertionError`` (see the module).

    The check itself is unchanged; the decorated function keeps its name, signature and docstring, and has
    ``graded = True`` (tests/test_grading.py makes sure every public check of the package has it).

    >>> @graded
    ... def check_positive(answer):
    ...     from helpers.checks import Verdict
    ...     return Verdict(answer > 0, "positive" if answer > 0 else "not positive")
    >>> check_positive(-1)
    ❌ Not yet. not positive
    >>> check_positive.graded
    True
    """
    @functools.wraps(check)
    def graded_check(*args, **kwargs):
        result = check(*args, **kwargs)
        from .checks import Verdict

        if isinstance(result, Verdict) and fails(result, sys._getframe(1)):
            raise AssertionError(str(result))
        return result

    graded_check.graded = True
    return graded_check


@contextlib.contextmanager
def ungraded():
    """Inside ``with ungraded():`` checks return their verdicts even under grading: for a cell that shows on
    purpose what a check says about wrong answers (it is not an exercise, and must run to its end).

    In a notebook (notebook 00 shows the verdicts of three wrong answers)::

        with ungraded():
            for wrong in (7, -6, None):
                print(wrong, "→", check_number(wrong, 5))
    """
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)
