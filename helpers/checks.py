"""Checks a notebook runs on a student's answer.

Every check returns a :class:`Verdict`: it shows as one short message in the notebook, is truthy
when the answer is right, and says which entries differ and the likely misconception when it is
not. A check never modifies the arrays it is given. An answer of ``None`` (the student version's
stub) gives "not answered yet" instead of an error.
"""

from __future__ import annotations

import math

import numpy as np

from . import conv as _conv
from . import pool as _pool
from . import sizes as _sizes
from ._text import number
from ._text import shape as shape_text
from ._validate import describe, flag, int_param, pair, real, whole, whole_or_none


class Verdict:
    """The outcome of a check: ``ok`` is True (right), False (wrong) or None (not answered yet)."""

    def __init__(self, ok, message: str):
        self.ok = ok
        self.message = message

    def __bool__(self):
        return self.ok is True

    def __repr__(self):
        mark = {True: "✅ Correct.", False: "❌ Not yet.", None: "⏳ Not answered yet."}[self.ok]
        return f"{mark} {self.message}".rstrip()

    __str__ = __repr__


def _not_answered(what):
    return Verdict(None, f"Replace the `None` with your {what}, run the cell, then run this check again.")


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


def check_array(answer, expected, *, what="answer", candidates=(), shape_hint=""):
    """Compare an array answer with ``expected``; ``candidates`` are (wrong_array, explanation) pairs.

    When the answer equals a candidate, its explanation (the likely misconception) is the message.

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
        off = [g - e for g, e in zip(got.shape, expected.shape)] if got.ndim == expected.ndim else None
        msg = f"Your {what} has shape {got.shape}; it should be {expected.shape}."
        if off and all(abs(o) <= 1 for o in off):
            msg += (" Off by one: the number of positions a K-wide kernel fits in a W-wide input is W − K + 1 "
                    "(count the positions, not the steps).")
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
    if isinstance(stride, int) and stride > 1:
        add(_safe(fn, x, w, stride=stride * stride, padding=padding, dilation=dilation),
            f"You applied the stride twice (stepped {stride * stride} instead of {stride}).")
    return cands


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
                       shape_hint=f"Length should be ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1 = {expected.shape[-1]}.")


def check_conv2d(answer, x, w, b=None, stride=1, padding=0, dilation=1):
    """Check a hand-computed 2D cross-correlation (the seeds' form: x (H, W), w (KH, KW), or channel forms).

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
    return check_array(answer, expected, what="output", candidates=cands,
                       shape_hint="Each side is ⌊(size + 2p − d(K − 1) − 1)/s⌋ + 1 = "
                                  f"{' and '.join(map(str, expected.shape[-2:]))}.")


def check_pool2d(answer, x, kernel_size, stride=None, padding=0, mode="max"):
    """Check a hand-computed max or average pooling.

    >>> check_pool2d([[4, 2], [2, 8]], [[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]], 2)
    ✅ Correct. All 4 entries match.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}.")
    fn, other = (_pool.max_pool2d, _pool.avg_pool2d) if mode == "max" else (_pool.avg_pool2d, _pool.max_pool2d)
    expected = fn(x, kernel_size, stride, padding)
    cands = []
    alt = _safe(other, x, kernel_size, stride, padding)
    if alt is not None:
        cands.append((alt, f"You took the {'average' if mode == 'max' else 'maximum'} of each window; this is "
                           f"{'max' if mode == 'max' else 'average'} pooling."))
    if stride is None or stride != 1:
        alt = _safe(fn, x, kernel_size, 1, padding)
        if alt is not None:
            cands.append((alt, "You moved the window one pixel at a time: pooling's stride defaults to the window "
                               "size, so windows do not overlap."))
    return check_array(answer, expected, what="pooled output", candidates=cands)


def check_output_size(answer, size, kernel_size, stride=1, padding=0, dilation=1):
    """Check an output length computed with ``⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1``.

    >>> check_output_size(3, 4, 2, stride=2, padding=1)
    ✅ Correct. ⌊(4 + 2·1 − 2)/2⌋ + 1 = 3
    >>> check_output_size(2, 4, 2, stride=2, padding=1)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. You forgot the + 1: ⌊(4 + 2·1 − 2)/2⌋ counts the steps; the positions are one more.
    ⌊(4 + 2·1 − 2)/2⌋ + 1 = 3
    """
    formula = _sizes.conv_output_formula(size, kernel_size, stride, padding, dilation)
    right = _sizes.conv_output_size(size, kernel_size, stride, padding, dilation)
    size, kernel_size = int_param(size, "size", minimum=1), int_param(kernel_size, "kernel_size", minimum=1)
    stride, padding = int_param(stride, "stride", minimum=1), int_param(padding, "padding", minimum=0)
    dilation = int_param(dilation, "dilation", minimum=1)
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
    for cand, why in hints:
        if cand != right and value == cand:
            return Verdict(False, f"{why} {formula}")
    return Verdict(False, f"You have {number(value)}. Use ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1 with i={size}, "
                          f"k={kernel_size}, s={stride}, p={padding}, d={dilation}.")


def check_number(answer, expected, *, what="answer", hints=None, tolerance=0.0):
    """Check a single number; ``hints`` maps typical wrong values to the misconception behind them.

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
    direction = "too large" if value > float(expected) else "too small"
    return Verdict(False, f"Your {what} {number(value)} is {direction}.")


def check_conv_params(answer, in_channels, out_channels, kernel_size, bias=True):
    """Check a parameter count for a conv layer: ``C_out·(C_in·KH·KW + 1)`` (no ``+ 1`` without bias).

    >>> check_conv_params(280, 3, 10, 3)
    ✅ Correct. 10·(3·3·3 + 1) = 280
    >>> check_conv_params(270, 3, 10, 3)
    ❌ Not yet. You forgot the biases: one per output channel (+10). 10·(3·3·3 + 1) = 280
    """
    kh, kw = pair(kernel_size, "kernel_size", minimum=1)
    cin = whole(in_channels, "in_channels", minimum=1)
    cout = whole(out_channels, "out_channels", minimum=1)
    bias = flag(bias, "bias")
    right = cout * (cin * kh * kw + (1 if bias else 0))
    formula = (f"{cout}·({cin}·{kh}·{kw} + 1) = {right}" if bias else f"{cout}·{cin}·{kh}·{kw} = {right}")
    hints = {}
    if bias:
        hints[cout * cin * kh * kw] = f"You forgot the biases: one per output channel (+{cout}). {formula}"
        hints[cout * cin * (kh * kw + 1)] = f"One bias per kernel, not one per input channel. {formula}"
    hints[cout * (kh * kw + (1 if bias else 0))] = (f"Each kernel covers all {cin} input channels: it has "
                                                    f"{cin}·{kh}·{kw} weights. {formula}")
    hints[cin * kh * kw + (1 if bias else 0)] = f"That is one kernel; there are {cout} of them. {formula}"
    hints.pop(right, None)
    v = check_number(answer, right, what="parameter count", hints=hints)
    if v.ok:
        return Verdict(True, formula)
    return v


def check_shape(answer, expected, *, what="shape"):
    """Check a tensor shape given as a tuple.

    >>> check_shape((10, 48, 68), (10, 48, 68))
    ✅ Correct. 10×48×68
    >>> check_shape((48, 68, 10), (10, 48, 68))
    ❌ Not yet. Same numbers, wrong order: PyTorch puts channels first (C×H×W), then height, then width.
    """
    expected = _spec_shape(expected)
    if answer is None:
        return _not_answered(what)
    example = f"({', '.join(map(str, expected))}{',' if len(expected) == 1 else ''})"
    if isinstance(answer, (str, bytes)):
        return Verdict(False, f"Give the {what} as a tuple of ints such as {example}, not as text; got {answer!r:.60}.")
    if hasattr(answer, "shape") and getattr(answer, "ndim", 0) >= 2:
        return Verdict(False, f"You gave the array itself; its {what} is answer.shape "
                              f"= {tuple(answer.shape)} — give that tuple.")
    if whole_or_none(answer) is not None:
        return Verdict(False, f"Give the {what} as a tuple, even with one dimension: the number {answer} is "
                              f"written ({answer},) as a shape.")
    try:
        items = tuple(answer.tolist() if isinstance(answer, np.ndarray) else answer)
    except TypeError:
        items = None
    got = None if items is None else tuple(whole_or_none(v) for v in items)
    if got is None or None in got:
        return Verdict(False, f"Give the {what} as a tuple of whole numbers such as {example}; got {answer!r:.60}.")
    text = shape_text(expected)
    if got == expected:
        return Verdict(True, text)
    if sorted(got) == sorted(expected):
        return Verdict(False, "Same numbers, wrong order: PyTorch puts channels first (C×H×W), then height, "
                              "then width.")
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return Verdict(False, f"Leave out the batch dimension here: the expected {what} is per example.")
    if len(got) + 1 == len(expected) and got == expected[1:]:
        return Verdict(False, f"The batch dimension N = {expected[0]} comes first.")
    if len(got) == len(expected):
        bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        near = all(abs(got[i] - expected[i]) == 1 for i in bad)
        return Verdict(False, f"Dimension{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} differ"
                              + ("; off by one — did you forget the + 1 in the size formula?" if near else ".")
                              )
    return Verdict(False, f"Your {what} has {len(got)} dimensions; it should have {len(expected)}.")


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
