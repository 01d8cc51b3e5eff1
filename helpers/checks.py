"""Checks a notebook runs on a student's answer.

Every check returns a :class:`Verdict`: it shows as one short message in the notebook, is truthy
when the answer is right, and says which entries differ and the likely misconception when it is
not. A check never modifies the arrays it is given. An answer of ``None`` (the student version's
stub) gives "not answered yet" instead of an error.

Under an autograder (``CNN_GRADING=1``) the public checks, decorated with :func:`helpers.grading.graded`,
raise ``AssertionError`` with the verdict's text instead of returning a ❌ or ⏳ verdict (the outermost check
only; see :mod:`helpers.grading`). Every new public check gets the decorator.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from . import conv as _conv
from . import grading as _grading
from . import pool as _pool
from . import sizes as _sizes
from ._text import number
from ._text import shape as shape_text
from ._validate import describe, flag, int_param, pair, real, whole, whole_or_none
from .grading import graded


class Verdict:
    """The outcome of a check: ``ok`` is True (right), False (wrong) or None (not answered yet).

    Under grading (``CNN_GRADING=1``, see :mod:`helpers.grading`) a ❌ or ⏳ verdict made by notebook code
    itself, outside any check, raises ``AssertionError`` with its text, as a check's verdict does.
    """

    def __init__(self, ok, message: str):
        self.ok = ok
        self.message = message
        if ok is not True and _grading.fails(self, sys._getframe(1)):
            raise AssertionError(str(self))

    def __getattr__(self, name):
        # Under grading, IPython shows a verdict that ends a cell with this method: as display data, not as the
        # cell's result, which nbgrader reads as partial credit (a number of points; it warns about any other).
        if name == "_ipython_display_" and _grading.grading():
            return self._display
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _display(self):
        from IPython.display import display

        display({"text/plain": repr(self)}, raw=True)

    def __bool__(self):
        return self.ok is True

    def __repr__(self):
        mark = {True: "✅ Correct.", False: "❌ Not yet.", None: "⏳ Not answered yet."}[self.ok]
        return f"{mark} {self.message}".rstrip()

    __str__ = __repr__


def _not_answered(what):
    return Verdict(None, f"Replace the `None` with your {what}, run the cell, then run this check again.")


def returned_none(name, first, where):
    """The verdict for a student's function that returned None: on the first trial it is the untouched stub
    (not answered yet); later, a path of the function that forgot its ``return``."""
    if first:
        return Verdict(None, f"{name} returns None: replace result = None with your code, run the cell, "
                             "then run this check again.")
    return Verdict(False, f"{name} returned None on {where}: every path should end in return result.")


def _holds_text(answer) -> bool:
    """Whether the answer is text, or a list/array whose entries are text (``["1", "2"]``)."""
    if isinstance(answer, (str, bytes)):
        return True
    try:
        return np.asarray(answer).dtype.kind in "USO" and any(
            isinstance(v, (str, bytes)) for v in np.asarray(answer, dtype=object).ravel())
    except (TypeError, ValueError):
        return False


def answer_array(answer, what):
    """A private copy of the answer as an array, or a Verdict explaining why it is not one."""
    if answer is None:
        return _not_answered(what)
    if isinstance(answer, Verdict):          # already a verdict, e.g. from call_student: the student's code raised
        return answer
    if hasattr(answer, "detach") and hasattr(answer, "numpy"):
        answer = answer.detach().cpu().numpy()
    if _holds_text(answer):
        return Verdict(False, f"Your {what} should be numbers, not text: write them without quotes; "
                              f"got {answer!r:.60}.")
    try:
        arr = np.array(answer, dtype=float, copy=True)
    except (TypeError, ValueError):
        return Verdict(False, f"Your {what} should be a list or NumPy array of numbers; got {type(answer).__name__} "
                              f"{answer!r:.60}. Rows of a matrix must all have the same length.")
    return arr




def _diff_text(got, expected, limit=4):
    bad = np.argwhere(~np.isclose(got, expected, rtol=1e-6, atol=1e-8))
    parts = []
    for idx in bad[:limit]:
        t = tuple(int(i) for i in idx)
        where = f"[{', '.join(map(str, t))}]" if t else ""
        parts.append(f"at {where} you have {number(got[t])}, expected {number(expected[t])}")
    more = f" (and {len(bad) - limit} more)" if len(bad) > limit else ""
    return f"{len(bad)} of {expected.size} entries differ: " + "; ".join(parts) + more + "."


@graded
def check_array(answer, expected, *, what="answer", candidates=(), shape_hint="", shape_candidates=()):
    """Compare an array answer with ``expected``; ``candidates`` are (wrong_array, explanation) pairs.

    When the answer equals a candidate, its explanation (the likely misconception) is the message.
    ``shape_candidates`` are (wrong_shape, explanation) pairs for an answer of the wrong shape: the
    explanation is added only when the answer has exactly that shape (e.g. the shape without the + 1).

    >>> check_array([[1, 2], [3, 4]], np.array([[1, 2], [3, 4]]))
    ✅ Correct. All 4 entries match.
    >>> check_array([[1, 3], [2, 4]], np.array([[1, 2], [3, 4]]),
    ...             candidates=[(np.array([[1, 3], [2, 4]]), "rows and columns are swapped.")])
    ❌ Not yet. rows and columns are swapped.
    """
    expected = spec_array(expected, "expected")
    got = answer_array(answer, what)
    if isinstance(got, Verdict):
        return got
    for cand, why in candidates:
        cand = np.asarray(cand, dtype=float)
        if cand.shape == got.shape and np.allclose(got, cand, rtol=1e-6, atol=1e-8) and not (
                cand.shape == expected.shape and np.allclose(cand, expected, rtol=1e-6, atol=1e-8)):
            return Verdict(False, why)
    if got.shape != expected.shape:
        if got.shape == expected.shape[::-1] and got.ndim == 2:
            return Verdict(False, f"Your {what} has shape {got.shape} but should be {expected.shape}: rows and "
                                  "columns are swapped (the first index is the row, i.e. the height).")
        if expected.ndim == got.ndim + 1 and expected.shape[0] == 1 and got.shape == expected.shape[1:]:
            return Verdict(False, f"Your {what} has shape {got.shape}; it should be {expected.shape}: the values may "
                                  "be right, but the leading axis of length 1 (one output channel) is missing — "
                                  "np.asarray(answer)[None] adds it.")
        if got.ndim == 0 and expected.ndim >= 1:
            return Verdict(False, f"You gave one number ({number(got)}); the {what} is an array of "
                                  f"{expected.size} numbers: write all of them, e.g. [a, b, …].")
        msg = f"Your {what} has shape {got.shape}; it should be {expected.shape}."
        for cand_shape, why in shape_candidates:
            if tuple(cand_shape) == got.shape and tuple(cand_shape) != expected.shape:
                msg += " " + _text(why, "a shape_candidates explanation")
                break
        else:
            if got.ndim == expected.ndim:
                bad = [i for i, (g, e) in enumerate(zip(got.shape, expected.shape)) if g != e]
                msg += f" Axis {' and '.join(map(str, bad))} {'differs' if len(bad) == 1 else 'differ'}."
        if shape_hint:
            msg += " " + shape_hint
        return Verdict(False, msg)
    if np.allclose(got, expected, rtol=1e-6, atol=1e-8):
        return Verdict(True, f"All {expected.size} entries match.")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, expected, rtol=1e-6, atol=1e-8):
        return Verdict(False, f"Your {what} is the transpose of the right one: rows and columns are swapped.")
    if np.allclose(got, -expected, rtol=1e-6, atol=1e-8):
        return Verdict(False, f"Every entry of your {what} has the wrong sign.")
    return Verdict(False, _diff_text(got, expected))


def spec_array(value, name):
    """An array the notebook supplies (the right answer, a candidate) as floats; TypeError if it is not numbers.

    Unlike the student's answer, which gets a ❌ verdict, a wrong value here is a mistake in the notebook.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} (set by the notebook) must be a number or an array of numbers, "
                        f"got {describe(value)}.")
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} (set by the notebook) must be a number or an array of numbers, "
                        f"got {describe(value)}.") from None


def _text(value, name):
    """A message the notebook supplies must be text."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text (a str), got {describe(value)}.")
    return value


def _plain(value):
    """NumPy integers in a stride/padding/dilation setting as Python ints (so ``isinstance(v, int)`` holds)."""
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _number(answer, what, not_one=None):
    """The student's single number as a float, or a ❌ Verdict saying why it is not one (None: not answered).

    ``not_one`` replaces the message for an answer that is no single number (a list, a dict…).
    """
    if answer is None:
        return _not_answered(what)
    if isinstance(answer, (bool, np.bool_)):
        return Verdict(False, f"Your {what} should be a number; got {answer!r}, a yes/no value.")
    if isinstance(answer, (str, bytes)):
        return Verdict(False, f"Your {what} should be a number, not text: got {answer!r:.60}. "
                              "Write it without quotes.")
    if hasattr(answer, "detach") and hasattr(answer, "numpy"):
        answer = answer.detach().cpu().numpy()
    try:
        value = float(np.asarray(answer).item())
    except (TypeError, ValueError):
        return Verdict(False, not_one or f"Your {what} should be a single number; got {answer!r:.60}.")
    if math.isnan(value):
        return Verdict(False, f"Your {what} is nan (not a number): a computation divided 0 by 0 or used an "
                              "undefined value.")
    return value


def _safe(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError):
        return None


def _conv_candidates(fn, x, w, stride, padding, dilation, flip_axes):
    stride, padding, dilation = _plain(stride), _plain(padding), _plain(dilation)
    x = np.array(x, dtype=float, copy=True)
    w = np.array(w, dtype=float, copy=True)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    cands = []

    def add(arr, why):
        if arr is not None:
            cands.append((arr, why))

    add(_safe(fn, x, np.flip(w, axis=flip_axes), **kw),
        "You flipped the kernel: that is true convolution (np.convolve). Deep-learning 'convolution' is "
        "cross-correlation: lay the kernel on the patch as it is, no flip.")
    if stride != 1:
        add(_safe(fn, x, w, stride=1, padding=padding, dilation=dilation),
            f"You used stride 1: with stride {stride} the kernel jumps {stride} pixels between positions, "
            "so keep only every stride-th position.")
    if padding not in (0, "valid"):
        add(_safe(fn, x, w, stride=stride, padding=0, dilation=dilation),
            f"You left out the padding: add {padding} ring(s) of zeros around the input before sliding.")
        if isinstance(padding, int):
            add(_safe(fn, x, w, stride=stride, padding=2 * padding, dilation=dilation),
                "You padded twice as much as asked: padding p adds p zeros on each side (2p in total).")
    if dilation != 1:
        add(_safe(fn, x, w, stride=stride, padding=padding, dilation=1),
            f"You ignored the dilation: with dilation {dilation} the kernel taps are {dilation} pixels apart.")
        if isinstance(stride, int) and isinstance(dilation, int):
            add(_safe(fn, x, w, stride=stride * dilation, padding=padding, dilation=1),
                f"You took the dilation for a stride: dilation {dilation} spreads the kernel's taps {dilation} "
                f"pixels apart, while the kernel still moves {stride} pixel(s) at a time.")
    if isinstance(stride, int) and stride > 1:
        add(_safe(fn, x, w, stride=stride * stride, padding=padding, dilation=dilation),
            f"You applied the stride twice (stepped {stride * stride} instead of {stride}).")
    return cands


def _forgot_plus_one(shape, spatial, pool=False):
    """The (shape, explanation) pair of an output whose last ``spatial`` sizes lack the formula's + 1."""
    shape = tuple(int(v) for v in shape)
    short = shape[:-spatial] + tuple(v - 1 for v in shape[-spatial:])
    if min(short[-spatial:], default=0) < 1:
        return ()
    if pool:
        return [(short, "Off by one: count the windows, not the steps — ⌊(W + 2p − K)/s⌋ + 1, where the + 1 is "
                        "the first window.")]
    return [(short, "Off by one: count the positions, not the steps — a K-wide kernel fits W − K + 1 times "
                    "in a W-wide input (with padding p, stride s, dilation d: ⌊(W + 2p − d(K − 1) − 1)/s⌋ + 1, "
                    "where the + 1 is the first position).")]


@graded
def check_conv1d(answer, x, w, b=None, stride=1, padding=0, dilation=1):
    """Check a hand-computed 1D cross-correlation of signal ``x`` with filter ``w``.

    >>> check_conv1d([1, -1, 1, 0], [0, 1, 0, 1, 1], [-1, 1])
    ✅ Correct. All 4 entries match.
    >>> check_conv1d([-1, 1, -1, 0], [0, 1, 0, 1, 1], [-1, 1])  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. You flipped the kernel: that is true convolution (np.convolve).
    Deep-learning 'convolution' is cross-correlation: lay the kernel on the patch as it is, no flip.
    """
    expected = _conv.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    cands = _conv_candidates(lambda xx, ww, **kw: _conv.conv1d(xx, ww, b, **kw), x, w, stride, padding, dilation,
                             flip_axes=-1)
    return check_array(answer, expected, what="output", candidates=cands,
                       shape_candidates=_forgot_plus_one(expected.shape, 1),
                       shape_hint=f"Length should be ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1 = {expected.shape[-1]}.")


@graded
def check_conv2d(answer, x, w, b=None, stride=1, padding=0, dilation=1, *, candidates=()):
    """Check a hand-computed 2D cross-correlation (the seeds' form: x (H, W), w (KH, KW), or channel forms).

    ``candidates`` are extra (wrong_array, explanation) pairs the notebook knows of (e.g. the output
    channels stacked in the wrong order); they are tried before the built-in ones.

    >>> image = np.array([[0,0,0,0,0,0],[0,1,0,0,0,0],[0,1,1,1,1,1],[0,1,0,0,0,0],[0,0,0,0,0,0]])
    >>> kernel = np.array([[-1, 2, -1]] * 3)
    >>> check_conv2d([[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]], image, kernel)
    ✅ Correct. All 12 entries match.
    >>> check_conv2d([[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 1]], image, kernel)
    ❌ Not yet. 1 of 12 entries differ: at [2, 3] you have 1, expected 0.
    """
    expected = _conv.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    cands = _conv_candidates(lambda xx, ww, **kw: _conv.conv2d(xx, ww, b, **kw), x, w, stride, padding, dilation,
                             flip_axes=(-2, -1))
    xa, wa = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if xa.ndim >= 3 and wa.ndim == 4 and wa.shape[1] > 1:
        kw = dict(stride=stride, padding=padding, dilation=dilation)
        for c in range(wa.shape[1]):
            one = _safe(_conv.conv2d, xa[..., c:c + 1, :, :], wa[:, c:c + 1], b, **kw)
            if one is not None:
                cands.append((one, f"You used only input channel {c}: a kernel spans all {wa.shape[1]} input "
                                   "channels, so compute one map per input channel and add them up."))
        per_channel = _safe(lambda: np.stack([_conv.conv2d(xa[..., c:c + 1, :, :], wa[:, c:c + 1], **kw)
                                              for c in range(wa.shape[1])], axis=-4).squeeze(-3))
        if per_channel is not None and wa.shape[0] == 1:
            cands.append((per_channel, "You kept one map per input channel: add them up (and the bias) to get the "
                                       "single output channel of this kernel."))
    cands = [(spec_array(c, "a candidate"), _text(why, "a candidate's explanation")) for c, why in candidates] + cands
    return check_array(answer, expected, what="output", candidates=cands,
                       shape_candidates=_forgot_plus_one(expected.shape, 2),
                       shape_hint="Each side is ⌊(size + 2p − d(K − 1) − 1)/s⌋ + 1 = "
                                  f"{' and '.join(map(str, expected.shape[-2:]))}.")


def _pool_keeping_leftovers(x, kernel_size, stride, mode):
    """Pooling that also keeps the partial windows at the bottom and right (PyTorch's ``ceil_mode=True``);
    None when no window is partial."""
    x = np.asarray(x, dtype=float)
    (kh, kw), (sh, sw) = pair(kernel_size, "kernel_size", minimum=1), pair(stride, "stride", minimum=1)
    h, w = x.shape[-2:]
    oh, ow = -(-(h - kh) // sh) + 1, -(-(w - kw) // sw) + 1
    if oh < 1 or ow < 1 or ((oh - 1) * sh + kh <= h and (ow - 1) * sw + kw <= w):
        return None
    f = np.max if mode == "max" else np.mean
    out = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[..., i, j] = f(x[..., i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(-2, -1))
    return out


@graded
def check_pool2d(answer, x, kernel_size, stride=None, padding=0, mode="max", *, candidates=()):
    """Check a hand-computed max or average pooling.

    Named mistakes: the other pooling, the smallest value or the window's sum or a mean rounded to a whole
    number, stride 1 (or the default stride when another one is asked), the leftover rows and columns kept.
    ``candidates`` adds (wrong_array, explanation) pairs of the exercise.

    >>> check_pool2d([[4, 2], [2, 8]], [[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]], 2)
    ✅ Correct. All 4 entries match.
    >>> check_pool2d([[1, 0], [0, 5]], [[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]], 2)
    ❌ Not yet. You took the smallest value of each window; max pooling keeps the largest.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}.")
    fn, other = (_pool.max_pool2d, _pool.avg_pool2d) if mode == "max" else (_pool.avg_pool2d, _pool.max_pool2d)
    expected = fn(x, kernel_size, stride, padding)
    cands = list(candidates)
    alt = _safe(other, x, kernel_size, stride, padding)
    if alt is not None:
        cands.append((alt, f"You took the {'average' if mode == 'max' else 'maximum'} of each window; this is "
                           f"{'max' if mode == 'max' else 'average'} pooling."))
    xa = np.asarray(x, dtype=float)
    if mode == "max":
        alt = _safe(_pool.max_pool2d, -xa, kernel_size, stride, padding)
        if alt is not None:
            cands.append((-alt, "You took the smallest value of each window; max pooling keeps the largest."))
    else:
        k = pair(kernel_size, "kernel_size", minimum=1)
        cands.append((expected * k[0] * k[1], f"You added up each window: divide the sum by the {k[0] * k[1]} "
                                              "pixels of the window to get the mean."))
        cands.append((np.floor(expected), "Your means are rounded down to whole numbers (// or int()): a mean "
                                          "need not be whole — divide with /."))
        cands.append((np.round(expected), "Your means are rounded to whole numbers: a mean need not be whole — "
                                          "keep the fractions."))
    if stride is None or stride != 1:
        alt = _safe(fn, x, kernel_size, 1, padding)
        if alt is not None:
            cands.append((alt, "You moved the window one pixel at a time: pooling's stride defaults to the window "
                               "size, so windows do not overlap."))
    if stride is not None and stride != kernel_size:
        alt = _safe(fn, x, kernel_size, None, padding)
        if alt is not None:
            cands.append((alt, f"You used the default stride (the window size); this pool moves its window by "
                               f"{stride} pixel(s), so neighbouring windows are not side by side."))
    if padding == 0:
        alt = _safe(_pool_keeping_leftovers, x, kernel_size, kernel_size if stride is None else stride, mode)
        if alt is not None:
            cands.append((alt, "You kept the leftover rows or columns at the edge: a window that does not fit "
                               "whole is dropped (round down in ⌊(W − K)/s⌋ + 1)."))
    return check_array(answer, expected, what="pooled output", candidates=cands,
                       shape_candidates=_forgot_plus_one(expected.shape, 2, pool=True))


@graded
def check_output_size(answer, size, kernel_size, stride=1, padding=0, dilation=1, *, hints=None):
    """Check an output length computed with ``⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1``.

    ``hints`` adds the exercise's own {wrong value: explanation}; a fraction is told that a size is whole.

    >>> check_output_size(3, 4, 2, stride=2, padding=1)
    ✅ Correct. ⌊(4 + 2·1 − 2)/2⌋ + 1 = 3
    >>> check_output_size(2, 4, 2, stride=2, padding=1)
    ❌ Not yet. You forgot the + 1: ⌊(4 + 2·1 − 2)/2⌋ counts the steps; the positions are one more.
    """
    formula = _sizes.conv_output_formula(size, kernel_size, stride, padding, dilation)
    right = _sizes.conv_output_size(size, kernel_size, stride, padding, dilation)
    size, kernel_size = int_param(size, "size", minimum=1), int_param(kernel_size, "kernel_size", minimum=1)
    stride, padding = int_param(stride, "stride", minimum=1), int_param(padding, "padding", minimum=0)
    dilation = int_param(dilation, "dilation", minimum=1)
    hints_given = hints
    if hints_given is not None and not isinstance(hints_given, dict):
        raise TypeError(f"hints must be a dict {{wrong value: explanation}}, got {describe(hints_given)}.")
    if answer is None:
        return _not_answered("number")
    steps = formula.rsplit(" + 1 = ", 1)[0]
    span = dilation * (kernel_size - 1) + 1
    hints = [
        ((size + 2 * padding - span) // stride, f"You forgot the + 1: {steps} counts the steps; the positions "
                                                 "are one more."),
        (-(-(size + 2 * padding - span) // stride) + 1, "You rounded up: a kernel that would hang over the edge "
                                                        "does not count, so round down."),
        ((size - span) // stride + 1, "You left out the padding (it adds p on both sides: + 2p)."),
        ((size + padding - span) // stride + 1, "You added the padding once: it goes on both sides, so + 2p."),
        ((size + 2 * padding - kernel_size) // stride + 1, "You ignored the dilation: a dilated kernel spans "
                                                           "d(k − 1) + 1 pixels."),
        (size + 2 * padding - span + 1, "You ignored the stride: divide the free room by the stride."),
    ]
    value = _number(answer, "output size", not_one=f"Give a single whole number; got {answer!r:.60}.")
    if isinstance(value, Verdict):
        return value
    if value == right:
        return Verdict(True, formula)
    for cand, why in (hints_given or {}).items():
        if cand != right and value == cand:
            return Verdict(False, _text(why, "a hint"))
    if not float(value).is_integer():
        return Verdict(False, f"You have {number(value)}: an output size counts positions, a whole number. A "
                              "window or kernel that would hang over the edge does not count: round down.")
    for cand, why in hints:
        if cand != right and value == cand:
            return Verdict(False, why)        # not the formula with its result: that is the answer
    return Verdict(False, f"You have {number(value)}. Use ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1 with i={size}, "
                          f"k={kernel_size}, s={stride}, p={padding}, d={dilation}.")


@graded
def check_output_size_function(fn, name="my_output_size"):
    """Check a student's ``fn(i, k, s=1, p=0, d=1)`` against ``helpers.conv_output_size`` on many configurations.

    An exception in ``fn`` becomes a ❌ verdict that quotes it; a float result is not a size; a function that
    matches a typical wrong formula on every configuration is told which.

    >>> check_output_size_function(lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) // s + 1)
    ✅ Correct. my_output_size agrees with helpers.conv_output_size on all 330 configurations.
    >>> check_output_size_function(lambda i, k, s=1, p=0, d=1: (i + 2 * p - d * (k - 1) - 1) // s)
    ... # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. my_output_size(4, 1, 1, 0, 1) = 3: you forgot the + 1 — the formula counts the steps; the positions are
    one more (the first position).
    """
    if fn is None or not callable(fn):
        return _not_answered("function") if fn is None else Verdict(False, f"{name} should be a function.")
    cases = [(i, k, s, p, d) for i in (4, 5, 6, 7, 32) for k in (1, 2, 3, 5) for s in (1, 2, 3)
             for p in (0, 1, 2) for d in (1, 2) if i + 2 * p >= d * (k - 1) + 1]
    wrong = {
        "you forgot the + 1 — the formula counts the steps; the positions are one more (the first position).":
            lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s,
        "you ignored the dilation: a dilated kernel spans d(k − 1) + 1 pixels.":
            lambda i, k, s, p, d: (i + 2 * p - k) // s + 1,
        "you added the padding once: it goes on both sides (+ 2p).":
            lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1,
        "you left out the padding (+ 2p).": lambda i, k, s, p, d: (i - d * (k - 1) - 1) // s + 1,
        "you rounded up: a window that would hang over the edge does not count, so round down (//).":
            lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1,
        "you ignored the stride: divide the room by s.": lambda i, k, s, p, d: i + 2 * p - d * (k - 1),
    }
    first_bad = None
    for n, case in enumerate(cases):
        call = f"{name}{case}"
        try:
            got = fn(*case)
        except Exception as err:  # noqa: BLE001 — any error in student code becomes a verdict
            return Verdict(False, f"{call} raised {type(err).__name__}: {err}. Check the argument order "
                                  "(i, k, s=1, p=0, d=1) and that every name you use is defined.")
        if got is None:
            return (_not_answered(f"code (in {name}, result = None)") if n == 0 else
                    Verdict(False, f"{call} returned None: every path should end in return result."))
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            hint = ""
            if isinstance(got, (float, np.floating)):
                hint = (" Use // (floor division): / gives a fraction." if not float(got).is_integer() else
                        " The value is whole, but it is a float: keep every step in ints (// and + 1, not np.floor "
                        "or + 1.0), or wrap the result in int(…).")
            return Verdict(False, f"{call} = {got!r:.40}: a size is a whole number (an int).{hint}")
        if got != _sizes.conv_output_size(*case) and first_bad is None:
            first_bad = (call, got)
    if first_bad is None:
        return Verdict(True, f"{name} agrees with helpers.conv_output_size on all {len(cases)} configurations.")
    for why, formula in wrong.items():
        if all(fn(*case) == formula(*case) for case in cases):
            return Verdict(False, f"{first_bad[0]} = {first_bad[1]}: {why}")
    n_bad = sum(fn(*case) != _sizes.conv_output_size(*case) for case in cases)
    return Verdict(False, f"{n_bad} of {len(cases)} configurations differ; the first is {first_bad[0]} = "
                          f"{first_bad[1]}. Use ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1.")


@graded
def check_number(answer, expected, *, what="answer", hints=None, tolerance=0.0, whole=False):
    """Check a single number; ``hints`` maps typical wrong values to the misconception behind them.

    ``whole=True``: the answer counts things (a length, a parameter count), so a fraction is named as such.

    >>> check_number(280, 280, what="parameter count")
    ✅ Correct. 280
    >>> check_number(270, 280, what="parameter count", hints={270: "Each kernel also has a bias."})
    ❌ Not yet. Each kernel also has a bias.
    """
    expected = real(expected, "expected (the right answer, set by the notebook)", fits="a number")
    tolerance = real(tolerance, "tolerance", fits="a number ≥ 0 (how far from expected still counts as right)",
                     ok=lambda v: v >= 0)
    if hints is not None and not isinstance(hints, dict):
        raise TypeError(f"hints must be a dict {{wrong value: explanation}}, got {describe(hints)}.")
    hints = {real(cand, f"hints key {cand!r}", fits="a number (a typical wrong answer)"): _text(why, "a hint")
             for cand, why in (hints or {}).items()}
    value = _number(answer, what)
    if isinstance(value, Verdict):
        return value
    if abs(value - expected) <= tolerance:
        return Verdict(True, number(expected))
    for cand, why in hints.items():
        if abs(value - cand) <= tolerance:
            return Verdict(False, why)
    if flag(whole, "whole") and not float(value).is_integer():
        return Verdict(False, f"Your {what} counts things, so it is a whole number; got {number(value)}. A size "
                              "after a stride or a pool rounds down: write the division as // in Python, not /.")
    direction = "too large" if value > float(expected) else "too small"
    return Verdict(False, f"Your {what} {number(value)} is {direction}.")


@graded
def check_conv_params(answer, in_channels, out_channels, kernel_size, bias=True):
    """Check a parameter count for a conv layer: ``C_out·(C_in·KH·KW + 1)`` (no ``+ 1`` without bias).

    >>> check_conv_params(280, 3, 10, 3)
    ✅ Correct. 10·(3·3·3 + 1) = 280
    >>> check_conv_params(270, 3, 10, 3)
    ❌ Not yet. You forgot the biases: one per output channel (+10).
    """
    kh, kw = pair(kernel_size, "kernel_size", minimum=1)
    cin = whole(in_channels, "in_channels", minimum=1)
    cout = whole(out_channels, "out_channels", minimum=1)
    bias = flag(bias, "bias")
    right = cout * (cin * kh * kw + (1 if bias else 0))
    formula = (f"{cout}·({cin}·{kh}·{kw} + 1) = {right}" if bias else f"{cout}·{cin}·{kh}·{kw} = {right}")
    hints = {}                 # the hints name the mistake; the formula with its result would be the answer
    if bias:
        hints[cout * cin * kh * kw] = f"You forgot the biases: one per output channel (+{cout})."
        hints[cout * cin * (kh * kw + 1)] = "One bias per kernel, not one per input channel."
    else:
        hints[cout * (cin * kh * kw + 1)] = "This layer has bias=False: count its weights only."
    hints[cout * (kh * kw + (1 if bias else 0))] = (f"Each kernel covers all {cin} input channels: it has "
                                                    f"{cin}·{kh}·{kw} weights.")
    hints[cin * kh * kw + (1 if bias else 0)] = f"That is one kernel; there are {cout} of them."
    hints.pop(right, None)
    v = check_number(answer, right, what="parameter count", hints=hints, whole=True)
    if v.ok:
        return Verdict(True, formula)
    return v


@graded
def check_shape(answer, expected, *, what="shape", layout=None, hints=None):
    """Check a tensor shape given as a tuple.

    ``layout`` names the dimensions with letters, e.g. ``"CHW"``, ``"NCHW"``, ``"HW"``, ``"OIHW"`` (a conv
    weight: C_out, C_in, KH, KW); by default a 3-dimensional shape is CHW, a 4-dimensional one NCHW (OIHW
    when ``what`` mentions a weight), others unnamed. A mix-up (channels last, height and width swapped,
    C_out and C_in swapped, the + 1 forgotten, half or twice the channels) is named only when the answer is
    exactly that mix-up; otherwise the message says which dimension differs. ``hints`` maps the exercise's own
    typical wrong shapes (tuples) to the misconception behind each, named when the answer is exactly that shape.

    >>> check_shape((10, 48, 68), (10, 48, 68))
    ✅ Correct. 10×48×68
    >>> check_shape((48, 68, 10), (10, 48, 68))
    ❌ Not yet. Same numbers, wrong order: PyTorch puts channels first (C×H×W), then height, then width.
    """
    expected = _spec_shape(expected)
    layout = _shape_layout(layout, expected, what)
    if hints is not None and not isinstance(hints, dict):
        raise TypeError(f"hints must be a dict {{wrong shape: explanation}}, got {describe(hints)}.")
    hints = {_spec_shape(k): _text(why, "a hint") for k, why in (hints or {}).items()}
    if answer is None:
        return _not_answered(what)
    # an example of the form, never the answer itself
    example = next(e for e in ("(3, 32, 32)", "(1, 28, 28)", "(16,)") if e != str(tuple(expected)))
    if isinstance(answer, (str, bytes)):
        return Verdict(False, f"Give the {what} as a tuple of ints such as {example}, not as text; got {answer!r:.60}.")
    if hasattr(answer, "shape") and getattr(answer, "ndim", 0) >= 2:
        return Verdict(False, f"You gave the array itself; its {what} is answer.shape "
                              f"= {tuple(answer.shape)} — give that tuple.")
    if whole_or_none(answer) is not None:
        return Verdict(False, f"Give the {what} as a tuple, even with one dimension: the number {answer} is "
                              f"written ({answer},) as a shape.")
    try:
        items = tuple(answer.tolist() if hasattr(answer, "tolist") else answer)     # NumPy or torch 1-D ints
    except TypeError:
        items = None
    got = None if items is None else tuple(whole_or_none(v) for v in items)
    if got is None or None in got:
        return Verdict(False, f"Give the {what} as a tuple of whole numbers such as {example}; got {answer!r:.60}.")
    text = shape_text(expected)
    if got == expected:
        return Verdict(True, text)
    if got in hints:
        return Verdict(False, hints[got])
    if len(got) == len(expected) and sorted(got) == sorted(expected):
        return Verdict(False, _order_diagnosis(got, expected, layout))
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return Verdict(False, f"Leave out the batch dimension here: the expected {what} is per example.")
    if len(got) + 1 == len(expected) and got == expected[1:]:
        return Verdict(False, f"The batch dimension N = {expected[0]} comes first.")
    if len(got) == len(expected):
        return Verdict(False, _size_diagnosis(got, expected, layout))
    return Verdict(False, f"Your {what} has {len(got)} dimensions; it should have {len(expected)}.")


_DIM_NAMES = {"N": "the batch size N", "C": "the channels C", "H": "the height H", "W": "the width W",
              "O": "the output channels C_out", "I": "the input channels C_in", "L": "the length L"}


def _shape_layout(layout, expected, what):
    """The letters naming each dimension (e.g. "CHW"), from ``layout`` or guessed from the shape's length."""
    if layout is None:
        guess = {3: "CHW", 4: "OIHW" if "weight" in str(what).lower() else "NCHW"}
        return guess.get(len(expected))
    if (not isinstance(layout, str) or len(layout) != len(expected) or len(set(layout)) != len(layout)
            or not set(layout) <= set(_DIM_NAMES)):
        raise ValueError(f"layout must name each of the {len(expected)} dimensions once with letters from "
                         f"{''.join(_DIM_NAMES)} (e.g. 'CHW', 'NCHW', 'OIHW'), got {layout!r}.")
    return layout


def _order_diagnosis(got, expected, layout):
    """Why a shape holds the right numbers in the wrong order: a named mix-up only when it is the only fit."""
    def moved(order):
        return tuple(expected[layout.index(c)] for c in order)

    named = []
    if layout is not None:
        if "C" in layout and "H" in layout and "W" in layout:
            last = layout.replace("C", "") + "C"
            order = "×".join(layout)
            named.append((moved(last), f"Same numbers, wrong order: PyTorch puts channels first ({order}), then "
                                       "height, then width." if layout == "CHW" else
                                       f"Same numbers, wrong order: you put the channels last ({'×'.join(last)}); "
                                       f"PyTorch puts them first ({order})."))
        if "H" in layout and "W" in layout:
            named.append((moved(layout.replace("H", "w").replace("W", "H").replace("w", "W")),
                          "Height and width are swapped: a shape lists the height (rows) before the width "
                          "(columns)."))
        if "O" in layout and "I" in layout:
            named.append((moved(layout.replace("O", "i").replace("I", "O").replace("i", "I")),
                          "C_out and C_in are swapped: a PyTorch conv weight is (C_out, C_in, KH, KW) — one "
                          "kernel per output channel, each spanning all the input channels."))
            if layout == "OIHW":
                named.append((moved("HWIO"), "Same numbers, wrong order: that is TensorFlow's order (KH, KW, "
                                             "C_in, C_out); PyTorch's is (C_out, C_in, KH, KW)."))
    elif len(expected) == 2:
        named.append((expected[::-1], "Same numbers, swapped: a shape lists the rows (height) first, then the "
                                      "columns (width)."))
    fits = [why for shape, why in named if shape == got]
    if len(fits) == 1:
        return fits[0]
    where = f" ({'×'.join(layout)})" if layout else ""
    return f"Same numbers, wrong order: put the dimensions in the order the {'shape' if not layout else 'layout'} " \
           f"asks for{where}."


def _size_diagnosis(got, expected, layout):
    """Which dimension of a shape differs (same length), and why when the difference itself says so."""
    bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    names = [f"dimension {i}" + (f" ({_DIM_NAMES[layout[i]]})" if layout else "") for i in bad]
    plain = (f"{' and '.join(names)} {'differs' if len(bad) == 1 else 'differ'}: you have "
             + ", ".join(str(got[i]) for i in bad) + ".")
    plain = plain[0].upper() + plain[1:]
    if layout is None:
        return plain
    spatial = not set(layout) & set("OI")
    if spatial and all(layout[i] in "HWL" and got[i] == expected[i] - 1 for i in bad):
        return f"{plain[:-1]}: off by one — did you forget the + 1 in the size formula (the first position counts)?"
    if len(bad) == 1 and layout[bad[0]] in "CO" and expected[bad[0]] > 0:
        ratio = got[bad[0]] / expected[bad[0]]
        if ratio == 0.5 and layout[bad[0]] == "O":
            return f"{plain} That is half the output channels it should have: C_out is the number of kernels."
        if ratio == 0.5:
            return (f"{plain} That is half the channels it should have: stride and pooling shrink only the height "
                    "and width; the number of channels is the number of kernels.")
        if ratio == 2:
            return (f"{plain} That is twice the channels it should have: the number of channels is the number "
                    "of kernels.")
    return plain


def _spec_shape(expected):
    """The expected shape (set by the notebook) as a tuple of ints; TypeError when it is not one."""
    try:
        items = tuple(expected)
    except TypeError:
        items = None
    got = None if items is None or isinstance(expected, (str, bytes)) else tuple(whole_or_none(v) for v in items)
    if got is None or None in got or any(v < 0 for v in got):
        raise TypeError(f"expected (the right shape, set by the notebook) must be a tuple of whole numbers "
                        f"≥ 0 such as (10, 48, 68), got {describe(expected)}.")
    return got


@graded
def check_output_shape(answer, input_shape, kernel_shape, *, what="output shape"):
    """Check the (rows, columns) of a KH×KW kernel on an H×W image, no padding, stride 1: (H − KH + 1, W − KW + 1).

    Names the mistakes of notebook 02: rows and columns swapped, the + 1 forgotten, the input's own shape.

    >>> check_output_shape((148, 126), (150, 128), 3)
    ✅ Correct. 148×126
    >>> check_output_shape((126, 148), (150, 128), 3)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. Rows first: a shape is (rows, columns), that is (height, width), the order of NumPy's .shape;
    you gave (columns, rows).
    """
    h, w = pair(input_shape, "input_shape", minimum=1)
    kh, kw = pair(kernel_shape, "kernel_shape", minimum=1)
    expected = (h - kh + 1, w - kw + 1)
    if answer is None:
        return _not_answered(what)
    form = f"Give the {what} as a tuple of two whole numbers, (rows, columns)"
    if isinstance(answer, (str, bytes)):
        return Verdict(False, f"{form}, not text: write the numbers without quotes; got {answer!r:.60}.")
    if hasattr(answer, "shape") and getattr(answer, "ndim", 0) >= 2:
        return Verdict(False, f"You gave an array, not its shape. {form}: an array's .shape is such a tuple.")
    try:
        got = tuple(whole_or_none(v) for v in answer)
    except TypeError:
        return Verdict(False, f"{form}; got {answer!r:.60}.")
    if len(got) != 2:
        return Verdict(False, f"{form}: a grey image and one kernel give a 2D output; got {len(got)} numbers.")
    if None in got:
        return Verdict(False, f"{form}: a size is a whole number; got {answer!r:.60}.")
    if got == expected:
        return Verdict(True, shape_text(expected))
    if got == expected[::-1]:
        return Verdict(False, "Rows first: a shape is (rows, columns), that is (height, width), the order of "
                              "NumPy's .shape; you gave (columns, rows).")
    if got == (h, w):
        return Verdict(False, "That is the input's shape. Without padding the kernel must fit entirely inside the "
                              "image, so each side loses K − 1 positions.")
    if got == (h + kh - 1, w + kw - 1):
        return Verdict(False, "The output is smaller than the input, not larger: subtract the kernel size, "
                              "then add 1.")
    names = ("rows", "columns")
    sizes, ks = (h, w), (kh, kw)
    wrong = [d for d in (0, 1) if got[d] != expected[d]]
    parts = []
    for d in wrong:
        if got[d] == sizes[d] - ks[d]:
            parts.append(f"the {names[d]}: you forgot the + 1 — size − K counts the steps, the positions are one "
                         "more")
        elif got[d] == sizes[d] - ks[d] - 1:
            parts.append(f"the {names[d]}: you subtracted 1 instead of adding it — size − K + 1")
        else:
            parts.append(f"the {names[d]}: you have {got[d]}; count the positions a K-wide kernel fits in, "
                         "size − K + 1")
    right = [names[d] for d in (0, 1) if d not in wrong]
    lead = f"The {right[0]} are right. " if right else ""
    return Verdict(False, lead + "Check " + "; and ".join(parts) + ".")


def _describe_trial(x, w):
    return f"a {x.shape[0]}×{x.shape[1]} image and a {w.shape[0]}×{w.shape[1]} kernel"


@graded
def check_conv2d_function(fn, *, name="my_conv2d"):
    """Run a student's ``fn(x, w)`` (2D cross-correlation, no padding, stride 1) on several inputs.

    The inputs: whole numbers and decimals, square and non-square images and kernels (1×1 and 5×1 included).
    An exception in ``fn`` becomes a ❌ that quotes it and names the likely cause; a wrong output gets the
    input it failed on and what differs (flipped kernel, whole numbers only, the square-kernel shape...).

    >>> def good(x, w):
    ...     kh, kw = np.shape(w)
    ...     return np.array([[np.sum(np.asarray(x)[i:i + kh, j:j + kw] * w)
    ...                       for j in range(np.shape(x)[1] - kw + 1)] for i in range(np.shape(x)[0] - kh + 1)])
    >>> check_conv2d_function(good)  # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. my_conv2d agrees with helpers.conv2d on 6 inputs: whole numbers and decimals, square and
    non-square images and kernels.
    >>> check_conv2d_function(lambda x, w: None)  # doctest: +NORMALIZE_WHITESPACE
    ⏳ Not answered yet. my_conv2d returns None: replace result = None with your code, run the cell, then run
    this check again.
    """
    if fn is None:
        return _not_answered("function")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(x, w): ...); got {describe(fn)}.")
    rng = np.random.default_rng(2)
    trials = [(np.array([[0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1],
                         [0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]), np.array([[1, 2, 0], [0, -1, 3], [2, 0, -2]]))]
    trials += [(np.round(rng.normal(size=(h, w)), 2), np.round(rng.normal(size=(kh, kw)), 2))
               for h, w, kh, kw in [(7, 9, 3, 3), (6, 7, 2, 4), (10, 5, 5, 1), (4, 8, 4, 3), (5, 6, 1, 1)]]
    for k, (x, w) in enumerate(trials):
        where = _describe_trial(x, w)
        try:
            got = fn(x.copy(), w.copy())
        except Exception as err:  # noqa: BLE001 - any error in the student's code becomes a verdict
            kh, kw = w.shape
            if kh != kw:
                cause = ("The kernel here is not square: use KH = w.shape[0] for the rows and KW = w.shape[1] for "
                         "the columns (of the output size and of the patch).")
            elif isinstance(err, IndexError):
                cause = "An index runs past the edge of the image: the last position starts at H − KH."
            else:
                cause = "The error message names the line of your function that failed."
            return Verdict(False, f"{name} raised {type(err).__name__}: {str(err)[:150]} (on {where}). {cause}")
        if got is None:
            return returned_none(name, k == 0, where)
        arr = answer_array(got, "output")
        if isinstance(arr, Verdict):
            return Verdict(False, f"On {where}: {arr.message}")
        expected = _conv.conv2d(x, w)
        kh, kw = w.shape
        h, wd = x.shape
        if arr.shape != expected.shape:
            msg = f"On {where} {name} returned shape {arr.shape}; it should be (H − KH + 1, W − KW + 1) " \
                  f"= {expected.shape}."
            if kh != kw and arr.shape in ((h - kh + 1, wd - kh + 1), (h - kw + 1, wd - kw + 1)):
                msg += (" You used one kernel size for both directions: the kernel is not square, so rows use "
                        "KH = w.shape[0] and columns KW = w.shape[1].")
            elif arr.shape == (h - kh, wd - kw):
                msg += " Off by one: forgot the + 1 (count the positions, not the steps)."
            elif arr.shape == expected.shape[::-1]:
                msg += " Rows and columns are swapped."
            elif arr.shape == x.shape:
                msg += " That is the input's size: without padding the output is smaller."
            return Verdict(False, msg)
        if np.allclose(arr, expected, rtol=1e-6, atol=1e-8):
            continue
        if np.allclose(arr, _conv.conv2d(x, w[::-1, ::-1]), rtol=1e-6, atol=1e-8):
            return Verdict(False, f"On {where} {name} flipped the kernel: that is true convolution. Deep-learning "
                                  "'convolution' is cross-correlation: lay the kernel on the patch as it is.")
        if np.asarray(got).dtype.kind in "iub" or np.allclose(arr, np.trunc(expected), atol=1e-8) or np.allclose(
                arr, np.round(expected), atol=1e-8):
            return Verdict(False, f"On {where} {name} returned whole numbers where the sums have decimals: the "
                                  "output array holds int, which cuts off the decimals. Make it float: "
                                  "np.zeros((out_h, out_w)) without dtype=int, and no int(...) around the sum.")
        if kh != kw and np.allclose(arr, _conv.conv2d(x.T, w.T).T, rtol=1e-6, atol=1e-8):
            return Verdict(False, f"On {where} {name} swapped rows and columns of the patch: x[i:i + KH, j:j + KW], "
                                  "the first index is the row.")
        return Verdict(False, f"On {where}: " + _diff_text(arr, expected))
    return Verdict(True, f"{name} agrees with helpers.conv2d on {len(trials)} inputs: whole numbers and decimals, "
                         "square and non-square images and kernels.")


@graded
def check_line_detector(answer, direction="diagonal", *, what="kernel"):
    """Check a 3×3 kernel meant to detect a thin bright line (``direction``: "diagonal" top-left to bottom-right,
    "antidiagonal", "vertical" or "horizontal") by what it does on several images.

    Right when, on every test image holding such a line (8×8 and 9×7, on a dark or a grey background, at different
    offsets), the response is largest exactly where the kernel is centred on the line, and larger than anything
    it answers on a flat bright image or on lines in the other three directions.

    >>> check_line_detector([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]])
    ✅ Correct. Your kernel answers most strongly exactly on the diagonal line, on every test image.
    >>> check_line_detector(np.ones((3, 3)))  # doctest: +ELLIPSIS
    ❌ Not yet. Your kernel answers a flat bright image ...
    """
    lines = {
        "diagonal": lambda h, w, k: np.eye(h, w, k),
        "antidiagonal": lambda h, w, k: np.fliplr(np.eye(h, w, k)),
        "vertical": lambda h, w, k: np.pad(np.ones((h, 1)), ((0, 0), (w // 2 + k, w - w // 2 - k - 1))),
        "horizontal": lambda h, w, k: np.pad(np.ones((1, w)), ((h // 2 + k, h - h // 2 - k - 1), (0, 0))),
    }
    if direction not in lines:
        raise ValueError(f"direction must be one of {sorted(lines)}, got {direction!r}.")
    k = answer_array(answer, what)
    if isinstance(k, Verdict):
        return k
    if k.shape != (3, 3):
        return Verdict(False, f"Your {what} has shape {k.shape}; make it 3×3, e.g. np.array([[…], […], […]]).")
    if not np.all(np.isfinite(k)):
        return Verdict(False, f"Your {what} holds nan or inf: use ordinary numbers.")
    name = {"diagonal": "diagonal line (top-left to bottom-right)", "antidiagonal": "anti-diagonal line",
            "vertical": "vertical line", "horizontal": "horizontal line"}[direction]
    best = None
    for (h, w, off), background in [((8, 8, 0), 0.0), ((9, 7, 1), 0.0), ((8, 8, -1), 0.5), ((7, 9, 0), 0.2)]:
        line = lines[direction](h, w, off)
        image = background + (1 - background) * line
        response = _conv.conv2d(image, k)
        centred = line[1:-1, 1:-1] > 0                     # outputs whose patch is centred on the line
        on = response[centred]
        off_line = response[~centred]
        if on.size == 0 or off_line.size == 0:
            continue
        if not (np.allclose(on, on.max()) and on.min() > off_line.max() + 1e-9):
            i, j = np.unravel_index(int(np.argmax(np.where(centred, -np.inf, response))), response.shape)
            return Verdict(False, f"On a {h}×{w} image with a {name}, your {what} answers {number(off_line.max())} "
                                  f"at out[{i}, {j}], which is not centred on the line, against "
                                  f"{number(on.min())} on it: the strongest response should be exactly on the "
                                  "line. Give the line's three positions the large positive weights.")
        best = on.min() if best is None else min(best, on.min())
    flat = float(_conv.conv2d(np.ones((5, 5)), k).max())
    if flat >= best - 1e-9:
        return Verdict(False, f"Your {what} answers a flat bright image with {number(flat)}, as much as the line "
                              f"({number(best)}): it detects brightness, not a line. Make the weights sum to 0 "
                              "(negative weights beside the line), so flat areas give 0.")
    for other in lines:
        if other == direction:
            continue
        resp = float(_conv.conv2d(lines[other](8, 8, 0), k).max())
        if resp >= best - 1e-9:
            article = "an" if other[0] == "a" else "a"
            return Verdict(False, f"Your {what} answers {article} {other} line with {number(resp)}, as much as the "
                                  f"{name} ({number(best)}): it does not tell the directions apart. Put negative "
                                  "weights off the line.")
    return Verdict(True, f"Your {what} answers most strongly exactly on the {name.split(' (')[0]}, on every "
                         "test image.")


@graded
def check_pool_shape(answer, input_shape, kernel_size, stride=None, padding=0, *, what="pooled shape", hints=None):
    """Check the shape (C, H, W) after a pooling layer on a C×H×W input, naming pooling's mistakes.

    Named when the answer is exactly that shape: the channels pooled too or mixed into one, nothing pooled,
    stride 1, the + 1 forgotten, rounded up, pooled twice, the height and width dropped; ``hints`` adds the
    exercise's own {wrong shape: explanation}. Everything else is :func:`check_shape`'s diagnosis.

    >>> check_pool_shape((10, 24, 34), (10, 48, 68), 2)
    ✅ Correct. 10×24×34
    >>> check_pool_shape((5, 24, 34), (10, 48, 68), 2)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. Pooling works on each channel on its own: the number of channels stays the same; only the
    height and width shrink.
    """
    c, h, w = _spec_shape(input_shape) if len(_spec_shape(input_shape)) == 3 else (None, None, None)
    if c is None:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}.")
    (kh, kw), (ph, pw) = pair(kernel_size, "kernel_size", minimum=1), pair(padding, "padding", minimum=0)
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", minimum=1)

    def out(i, k, s, p, up=False, plus=1):
        room = i + 2 * p - k
        return (-(-room // s) if up else room // s) + plus

    right = (c, out(h, kh, sh, ph), out(w, kw, sw, pw))
    named = {}

    def add(shape, why):
        if shape != right and min(shape) >= 0:
            named.setdefault(shape, why)

    add((out(c, kh, sh, 0), *right[1:]), "Pooling works on each channel on its own: the number of channels stays "
                                         "the same; only the height and width shrink.")
    add((1, *right[1:]), "Pooling does not mix the channels: each channel is pooled on its own, so the number of "
                         "channels stays the same.")
    add((c, h, w), "Pooling shrinks the height and width: each window becomes one number.")
    if (sh, sw) != (1, 1):
        add((c, out(h, kh, 1, ph), out(w, kw, 1, pw)), "You moved the window one pixel at a time: pooling's stride "
                                                       "defaults to the window size.")
    add((c, out(h, kh, sh, ph, plus=0), out(w, kw, sw, pw, plus=0)),
        "Off by one: count the windows, not the steps — the + 1 in ⌊(W + 2p − K)/s⌋ + 1 is the first window.")
    add((c, out(h, kh, sh, ph, up=True), out(w, kw, sw, pw, up=True)),
        "You rounded up: a window that does not fit whole is dropped, so round down.")
    add((c, out(right[1], kh, sh, ph), out(right[2], kw, sw, pw)), "You pooled twice: one pooling layer, one "
                                                                     "shrinking.")
    add((c,), "A pooling layer keeps the three axes C×H×W, even when the height and width become small.")
    named.update(hints or {})
    return check_shape(answer, right, what=what, hints=named)


@graded
def check_conv_shape(answer, input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1, *,
                     what="shape", hints=None):
    """Check the shape (C, H, W) after a ``Conv2d`` on a C×H×W input, naming the convolution's mistakes.

    Named when the answer is exactly that shape: the input's channels kept, nothing shrunk, the + 1 forgotten,
    rounded up, the padding, stride or dilation ignored, the padding added once; ``hints`` adds the exercise's
    own {wrong shape: explanation}. Everything else is :func:`check_shape`'s diagnosis.

    >>> check_conv_shape((10, 48, 68), (3, 50, 70), 10, 3)
    ✅ Correct. 10×48×68
    >>> check_conv_shape((3, 48, 68), (3, 50, 70), 10, 3)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. A convolution outputs one channel per kernel: the number of channels is its out_channels,
    not the input's.
    """
    shape = _spec_shape(input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}.")
    c, h, w = shape
    cout = whole(out_channels, "out_channels", minimum=1)
    ks, ss = pair(kernel_size, "kernel_size", minimum=1), pair(stride, "stride", minimum=1)
    ps, ds = pair(padding, "padding", minimum=0), pair(dilation, "dilation", minimum=1)

    def sides(size=lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s + 1):
        return tuple(size(i, k, s, p, d) for i, k, s, p, d in zip((h, w), ks, ss, ps, ds, strict=True))

    right = (cout, *sides())
    named = {}

    def add(shape, why):
        if shape != right and min(shape) >= 1:
            named.setdefault(shape, why)

    kept = "A convolution outputs one channel per kernel: the number of channels is its out_channels, not the input's."
    mistakes = [
        (sides(lambda i, k, s, p, d: (i + 2 * p - d * (k - 1) - 1) // s), "Off by one: you forgot the + 1 — "
         "⌊(i + 2p − d(k − 1) − 1)/s⌋ counts the steps; the positions are one more."),
        (sides(lambda i, k, s, p, d: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1), "You rounded up: a kernel that "
         "would hang over the edge does not count, so round down."),
        (sides(lambda i, k, s, p, d: (i - d * (k - 1) - 1) // s + 1), "You left out the padding: it adds p on both "
         "sides (+ 2p)."),
        (sides(lambda i, k, s, p, d: (i + p - d * (k - 1) - 1) // s + 1), "You added the padding once: it goes on "
         "both sides, so + 2p."),
        (sides(lambda i, k, s, p, d: (i + 2 * p - k) // s + 1), "You ignored the dilation: a dilated kernel spans "
         "d(k − 1) + 1 pixels."),
        (sides(lambda i, k, s, p, d: i + 2 * p - d * (k - 1)), "You ignored the stride: the kernel moves s pixels "
         "at a time, so divide the free room by s."),
        ((h, w), "A convolution without enough padding shrinks the height and width: the kernel must fit inside "
                 "the (padded) input, so each side loses k − 1 positions before the stride."),
    ]
    add((c, *right[1:]), kept)
    for hw, why in mistakes:
        add((cout, *hw), why)
        add((c, *hw), f"{kept} And: {why[0].lower()}{why[1:]}")
    add(right[1:], "A convolution's output keeps three axes, C×H×W: the channels come first.")
    named.update(hints or {})
    return check_shape(answer, right, what=what, hints=named)


def _layer_text(module):
    """A layer and the settings that decide its shapes, e.g. ``Conv2d(in_channels=3, out_channels=10, …)``."""
    keys = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
            "in_features", "out_features", "start_dim", "end_dim", "output_size")
    attrs = {k: getattr(module, k) for k in keys if hasattr(module, k)}
    for k in ("kernel_size", "stride", "padding", "dilation"):        # 2 and (2, 2), 'valid' and 0: the same
        v = attrs.get(k)
        if k == "padding" and v == "valid":
            v = 0
        if isinstance(v, int) and type(module).__name__.endswith("2d"):
            v = (v, v)
        if isinstance(v, list):
            v = tuple(v)
        if k in attrs:
            attrs[k] = v
    if hasattr(module, "bias") and ("in_channels" in attrs or "in_features" in attrs):
        attrs["bias"] = module.bias is not None
    return type(module).__name__, attrs


@graded
def check_repaired_model(answer, reference, x, *, what="repaired model"):
    """Check a repaired PyTorch model: it runs on ``x``, gives the reference's output shape and has the
    reference's layers, in order, with the same settings (types, channels, features, kernel, stride…).

    The verdict quotes the exception when the model fails on ``x`` and names the first layer that differs
    from the model asked for, so a model that merely ends in the right shape does not pass.

    >>> import torch
    >>> from torch import nn
    >>> ref = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    >>> check_repaired_model(nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), ref, torch.zeros(4, 3, 2, 2))
    ✅ Correct. It runs on the batch: output 4×2, and every layer is the one asked for.
    >>> check_repaired_model(nn.Sequential(nn.Flatten(), nn.Linear(10, 2)), ref, torch.zeros(4, 3, 2, 2))
    ... # doctest: +ELLIPSIS
    ❌ Not yet. Your repaired model fails on the batch of 4: RuntimeError: mat1 and mat2 shapes ... A Linear ...
    """
    if answer is None:
        return _not_answered(what)
    import torch

    if not isinstance(answer, torch.nn.Module):
        return Verdict(False, f"Your {what} should be a PyTorch model such as nn.Sequential(…), got "
                              f"{describe(answer)}.")
    if answer is reference:
        return Verdict(False, f"That is the check's own model, not yours: build your {what} from the broken one.")
    with torch.no_grad():
        expected = tuple(reference(x).shape)
        try:
            out = answer(x)
        except Exception as error:     # noqa: BLE001 — any error in student code becomes a verdict
            text = " ".join(f"{type(error).__name__}: {error}".split())
            if "mat1 and mat2" in text:
                cause = ("A Linear layer's in_features does not fit the number of features that arrive: compare it "
                         "with the length of the vector after Flatten.")
            elif "channels" in text:
                cause = ("A convolution's in_channels does not fit the number of channels that arrive: compare it "
                         "with the out_channels of the convolution before it.")
            else:
                cause = "trace_shapes(model, input_shape) runs the layers one at a time and names the one that fails."
            return Verdict(False, f"Your {what} fails on the batch of {len(x)}: {text[:200].rstrip('.')}. {cause}")
    got = tuple(out.shape) if hasattr(out, "shape") else None
    if got != expected:
        return Verdict(False, f"Your {what} runs, but its output has shape {got}; the model asked for gives "
                              f"{shape_text(expected)} (one row of class scores per example).")
    mine = [m for m in answer.modules() if not list(m.children())]
    theirs = [m for m in reference.modules() if not list(m.children())]
    if len(mine) != len(theirs):
        return Verdict(False, f"Your {what} ends in the right shape, but it has {len(mine)} layers where the model "
                              f"asked for has {len(theirs)}: keep every layer of the original and change only what "
                              "the exercise asks.")
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        (name_a, attrs_a), (name_b, attrs_b) = _layer_text(a), _layer_text(b)
        if name_a != name_b:
            return Verdict(False, f"Layer {i} of your {what} is a {name_a}; the model asked for has a {name_b} "
                                  "there. Keep the original's layers, in order.")
        for key, want in attrs_b.items():
            if attrs_a.get(key) != want:
                return Verdict(False, f"Layer {i} ({name_a}) of your {what} has {key}={attrs_a.get(key)}; the "
                                      f"model asked for has {key}={want}. Change only what the exercise asks.")
    # the layers are right: with the same weights, the forward pass must compute what the model asked for does
    # (a class whose forward skips a ReLU has every layer and the right shape, and is still wrong)
    mine_params, their_params = list(answer.parameters()), list(reference.parameters())
    if [p.shape for p in mine_params] == [p.shape for p in their_params]:
        import copy

        twin = copy.deepcopy(reference)
        with torch.no_grad():
            for a, b in zip(mine_params, twin.parameters(), strict=True):
                b.copy_(a)
            probe = torch.randn(x.shape, generator=torch.Generator().manual_seed(0), dtype=x.dtype) if \
                x.is_floating_point() else x
            got_out, want_out = answer(probe), twin(probe)
        if not torch.allclose(got_out, want_out, rtol=1e-4, atol=1e-5):
            return Verdict(False, f"Your {what} has every layer asked for, but its forward pass does not use them "
                                  "as asked: with the same weights it computes other numbers. Run the layers in "
                                  "order, each on the output of the one before (is a ReLU or a pool skipped?).")
    return Verdict(True, f"It runs on the batch: output {shape_text(expected)}, and every layer is the one asked "
                         "for.")


@graded
def check_true(condition, message_ok: str, message_wrong: str):
    """A verdict from a condition computed in the notebook (for thresholds such as test accuracy).

    ``condition`` must be one True or False (a NumPy bool, or an array or tensor holding a single one, too);
    anything else — an array of several, a number, a text — gets a ❌ saying what would fit.

    >>> check_true(0.98 >= 0.97, "test accuracy at least 97%", "test accuracy below 97%")
    ✅ Correct. test accuracy at least 97%
    >>> check_true(np.array([0.98, 0.95]) >= 0.97, "both at least 97%", "one is below 97%")
    ... # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. The condition should be one True or False; got an array of 2 values. Combine them with .all()
    (every one is true) or .any() (at least one is).
    """
    message_ok = _text(message_ok, "message_ok")
    message_wrong = _text(message_wrong, "message_wrong")
    if condition is None:
        return _not_answered("answer")
    if hasattr(condition, "detach") and hasattr(condition, "numpy"):
        condition = condition.detach().cpu().numpy()
    if isinstance(condition, np.ndarray):
        if condition.size != 1:
            return Verdict(False, f"The condition should be one True or False; got an array of {condition.size} "
                                  "values. Combine them with .all() (every one is true) or .any() (at least one is).")
        condition = condition.reshape(())[()]
    if not isinstance(condition, (bool, np.bool_)):
        return Verdict(False, "The condition should be True or False, a comparison such as accuracy >= 0.97; "
                              f"got {describe(condition)}.")
    return Verdict(True, message_ok) if bool(condition) else Verdict(False, message_wrong)


def _likely_cause(error: BaseException) -> str:
    """A short pointer at the usual cause of an exception raised by a student's function."""
    text = f"{type(error).__name__}: {error}"
    if "Cannot cast" in text or "casting" in text:
        return ("Likely cause: an integer array (such as np.zeros(n, dtype=int)) cannot hold the non-integer "
                "values added to it; create it with float zeros.")
    if "matmul" in text or "shapes" in text or "broadcast" in text or "reshape" in text or "size" in text:
        return ("Likely cause: two arrays whose shapes do not fit together; print the shape after each step and "
                "compare it with the shapes the instructions give.")
    if isinstance(error, IndexError):
        return ("Likely cause: an index past the end of an array; check the range of your loop (with a stride, "
                "the last window starts at (n_out − 1)·stride).")
    if "NoneType" in text:
        return "Likely cause: a step of your function gives None; every step must return its array."
    return "The message names what went wrong; the traceback you get by calling the function yourself names the line."


@graded
def call_student(fn, *args, name="your function", **kwargs):
    """Run a student's function: its result, or a ❌ Verdict quoting the exception it raised and its likely cause.

    A check passes the result on (``check_array`` and friends give back a Verdict unchanged), so a check cell
    never ends in a traceback, whatever the function does.

    >>> call_student(lambda a: a + 1, 1)
    2
    >>> call_student(lambda a: np.ones(2) @ np.ones(3), 1, name="f")  # doctest: +ELLIPSIS
    ❌ Not yet. f raised ValueError: matmul: ... Likely cause: two arrays whose shapes do not fit together; ...
    """
    if fn is None:
        return None
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def …), got {describe(fn)}.")
    try:
        return fn(*args, **kwargs)
    except Exception as error:      # noqa: BLE001 — any error in student code becomes a verdict
        message = " ".join(str(error).split())
        return Verdict(False, f"{name} raised {type(error).__name__}: {message:.200} {_likely_cause(error)}")


def _args_text(args):
    """The arguments of one trial call, short: a list of numbers as [0, 1, …], a larger array by its shape."""
    parts = []
    for a in args:
        try:
            arr = np.asarray(a)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.dtype.kind in "iufb" and arr.ndim == 1:
            text = "[" + ", ".join(number(v) for v in arr[:8]) + (", …" if arr.size > 8 else "") + "]"
        elif arr is not None and arr.dtype.kind in "iufb" and arr.ndim > 1:
            text = f"a {shape_text(arr.shape)} array"
        else:
            text = " ".join(repr(a).split())[:60]
        parts.append(text)
    return ", ".join(parts)


@graded
def check_function(fn, reference, cases, *, name="your function", candidates=(), causes=(), shape_candidates=()):
    """Run a student's function on several inputs (argument tuples) and compare each result with ``reference``.

    ``candidates`` are (wrong_function, explanation) pairs, typical mistakes run on the same inputs: a result
    equal to a candidate's gets its explanation; ``shape_candidates`` are (function giving a wrong shape,
    explanation) pairs for results of the wrong shape. ``causes`` are (text, likely cause) pairs: when ``fn`` raises
    and the error's type or message contains ``text``, the verdict quotes the error and adds that cause (else
    a general one). Integer results where the right ones have decimals are named (an int array truncates).
    ``fn`` of None, or returning None on the first input, has not been answered yet.

    >>> cases = [([1, 2],), ([0.5, -1.5],)]
    >>> check_function(lambda x: [2 * v for v in x], lambda x: np.multiply(2, x), cases, name="double")
    ✅ Correct. double agrees with the reference on all 2 inputs.
    >>> check_function(lambda x: [int(2 * v) for v in x], lambda x: np.multiply(2, x), [([0.25],)], name="double")
    ... # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. double([0.25]) returned whole numbers where the right result has decimals: an integer array
    (np.zeros(n, dtype=int), int(...), an int input copied) cuts off the decimals. Make the result float.
    """
    if fn is None:
        return _not_answered("answer")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def …); got {describe(fn)}.")
    cases = [tuple(args) for args in cases]
    for k, args in enumerate(cases):
        shown = f"{name}({_args_text(args)})"
        fresh = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        try:
            got = fn(*fresh)
        except Exception as error:  # noqa: BLE001 - any error in the student's code becomes a verdict
            text = f"{type(error).__name__}: {' '.join(str(error).split())}"
            cause = next((why for key, why in causes if key in text), None) or _likely_cause(error)
            return Verdict(False, f"{shown} raised {text:.200} — {cause}")
        if got is None:
            if k == 0:
                return Verdict(None, f"{name} returns None: replace result = None with your code, run the cell, "
                                     "then run this check again.")
            return Verdict(False, f"{shown} returned None: every path of the function should end in a return.")
        expected = spec_array(reference(*args), "reference(...)")
        arr = answer_array(got, "result")
        if isinstance(arr, Verdict):
            return Verdict(False, f"{shown}: {arr.message}")
        if arr.shape == expected.shape and np.allclose(arr, expected, rtol=1e-6, atol=1e-8):
            continue
        cands, shapes = [], []
        for wrong, why in candidates:
            try:
                cands.append((spec_array(wrong(*args), "a candidate"), why))
            except Exception:  # noqa: BLE001 - a candidate that does not apply to this input is skipped
                pass
        for wrong, why in shape_candidates:
            try:
                shapes.append((tuple(int(v) for v in wrong(*args)), why))
            except Exception:  # noqa: BLE001 - as above
                pass
        named = [why for cand, why in cands if cand.shape == arr.shape and np.allclose(arr, cand, atol=1e-8)]
        if (not named and arr.shape == expected.shape and not np.allclose(expected, np.round(expected))
                and (np.allclose(arr, np.trunc(expected)) or np.allclose(arr, np.round(expected)))):
            return Verdict(False, f"{shown} returned whole numbers where the right result has decimals: an integer "
                                  "array (np.zeros(n, dtype=int), int(...), an int input copied) cuts off the "
                                  "decimals. Make the result float.")
        verdict = check_array(arr, expected, what="result", candidates=cands, shape_candidates=shapes)
        return Verdict(False, f"{shown}: {verdict.message}")
    return Verdict(True, f"{name} agrees with the reference on all {len(cases)} inputs.")


@graded
def check_choice(answer, expected, options, *, what="answer", hints=None):
    """Check a text answer chosen from ``options``: case, surrounding spaces and doubled spaces do not matter.

    ``hints`` maps a wrong option to the misconception behind it.

    >>> check_choice(" About the same", "about the same", ["a lot", "a little", "about the same"])
    ✅ Correct. about the same
    >>> check_choice("a lot", "about the same", ["a lot", "about the same"],
    ...              hints={"a lot": "Max pooling is not linear."})
    ❌ Not yet. Max pooling is not linear.
    """
    def norm(v):
        return " ".join(v.split()).lower()

    options = [norm(_text(o, "an option")) for o in options]
    expected = norm(_text(expected, "expected"))
    if expected not in options:
        raise ValueError(f"expected {expected!r} must be one of the options {options}.")
    hints = {norm(_text(k, "a hints key")): _text(v, "a hint") for k, v in (hints or {}).items()}
    listed = ", ".join(repr(o) for o in options)
    if answer is None:
        return _not_answered(what)
    if not isinstance(answer, str):
        return Verdict(False, f"Your {what} should be one of the texts {listed}, in quotes; got {describe(answer)}.")
    got = norm(answer)
    if got == expected:
        return Verdict(True, expected)
    if got not in options:
        return Verdict(False, f"Your {what} {answer!r:.60} is not one of the choices: answer with one of {listed}.")
    return Verdict(False, hints.get(got, f"Not {got!r}."))
