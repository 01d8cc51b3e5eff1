"""Argument checking shared by the helpers.

Every public helper checks what it is given before touching NumPy, so a student sees a
message that names the argument, says what was given and what would fit, instead of an
IndexError from deep inside an array routine.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


# --------------------------------------------------------------------------- describing what was given
def describe(value) -> str:
    """A short description of a value that does not fit, for an error message: ``None``, ``the text '3'``…

    >>> describe("3"), describe(None), describe(2.5), describe(float("nan"))
    ("the text '3' (write 3 without quotes)", 'None', '2.5', 'nan (not a number)')
    >>> describe(np.zeros((2, 3)))
    'an array of shape (2, 3)'
    """
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        try:
            float(text)
        except ValueError:
            return f"the text {value!r}"
        return f"the text {value!r} (write {text.strip()} without quotes)"
    if isinstance(value, (bool, np.bool_)):
        return f"{bool(value)} (a yes/no value)"
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and math.isnan(value):
        return "nan (not a number)"
    if hasattr(value, "shape") and hasattr(value, "dtype") and getattr(value, "ndim", 0) > 0:
        kind = "tensor" if hasattr(value, "detach") else "array"
        return f"a{'n' if kind == 'array' else ''} {kind} of shape {tuple(value.shape)}"
    if isinstance(value, type):
        return f"the class {value.__name__} itself (not an object made from it)"
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "shape"):
        return f"the function {value.__name__}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "…"
    if isinstance(value, (numbers.Number, np.generic)):
        return text
    return f"{text} ({type(value).__name__})"


def empty_message(shape, name: str) -> str:
    """The message for an array with no entries along some axis."""
    return f"{name} is empty (shape {tuple(shape)}): it needs at least one number along every axis."


# --------------------------------------------------------------------------- arrays
def as_array(x, name: str, *, empty: str = "never") -> np.ndarray:
    """Return ``x`` as a numeric NumPy array (a new view or copy, never the caller's object mutated).

    ``empty`` says which arrays without entries are accepted: ``"never"``; ``"batch"``, an array whose
    first axis has length 0 and every other axis at least 1 (an empty batch, which torch accepts; the
    caller checks that the form is a batched one); ``"any"``, every shape (for element-wise functions).
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if x is None:
            raise TypeError(f"{name} is None: pass a list or NumPy array of numbers.")
        if isinstance(x, (str, bytes)):
            raise TypeError(f"{name} is the text {x!r}: pass a list or NumPy array of numbers.")
        if hasattr(x, "detach") and hasattr(x, "numpy"):
            raise TypeError(
                f"{name} is a torch tensor: the helpers work on NumPy arrays, "
                f"so pass {name}.detach().cpu().numpy()."
            )
        try:
            arr = np.asarray(x)
        except ValueError as err:
            raise ValueError(
                f"{name} could not be read as an array ({err}); rows of a matrix must all have the same length."
            ) from None
    kind = arr.dtype.kind
    if kind == "b":
        arr, kind = arr.astype(np.int64), "i"
    if kind not in "iuf":                                  # signed or unsigned integers, or floats
        raise TypeError(
            f"{name} holds values of type {arr.dtype}, not numbers: pass integers or floats "
            f"(for example np.array([[0, 1], [1, 0]]))."
        )
    if arr.size == 0 and not (
            empty == "any"
            or (empty == "batch" and arr.ndim >= 2 and arr.shape[0] == 0 and all(n > 0 for n in arr.shape[1:]))):
        raise ValueError(empty_message(arr.shape, name))
    return arr


def images(X, name: str = "X") -> np.ndarray:
    """A batch of images as a float32 array ``(N, C, H, W)`` (an empty batch, ``N = 0``, is accepted).

    TypeError for something that is not an array of numbers (:func:`as_array`); ValueError for another number
    of axes, with the fix for a single image ``(C, H, W)``.

    >>> images(np.zeros((2, 1, 8, 8), dtype=np.uint8)).dtype
    dtype('float32')
    >>> images(np.zeros((1, 8, 8)))
    Traceback (most recent call last):
    ...
    ValueError: X must be a batch of images, shape (N, C, H, W); got shape (1, 8, 8): add the batch axis with X[None].
    """
    arr = as_array(X, name, empty="batch")
    if arr.ndim != 4:
        hint = f": add the batch axis with {name}[None]" if arr.ndim == 3 else ""
        raise ValueError(f"{name} must be a batch of images, shape (N, C, H, W); got shape {arr.shape}{hint}.")
    return arr.astype(np.float32, copy=False)


def boxes(value, name: str) -> np.ndarray:
    """Boxes ``(top, left, bottom, right)`` in pixels as a float array ``(n, 4)``.

    One box ``(4,)`` becomes ``(1, 4)`` and an empty list ``(0, 4)``. TypeError for something that is not
    numbers (:func:`as_array`); ValueError for another shape, or a box with bottom < top or right < left.

    >>> boxes([2, 3, 10, 11], "truth")
    array([[ 2.,  3., 10., 11.]])
    >>> try:
    ...     boxes([[5, 0, 1, 1]], "truth")
    ... except ValueError as err:
    ...     print(str(err)[:58])
    truth: box 0 is (5, 0, 1, 1), but a box needs bottom ≥ top
    """
    arr = as_array(value, name, empty="any")
    if arr.ndim == 1 and arr.size in (0, 4):
        arr = arr.reshape(-1, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must be boxes (top, left, bottom, right), shape (n, 4); got shape {arr.shape}.")
    bad = np.flatnonzero((arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1]))
    if bad.size:
        box = ", ".join(f"{v:g}" for v in arr[bad[0]])
        raise ValueError(f"{name}: box {bad[0]} is ({box}), but a box needs bottom ≥ top and right ≥ left "
                         "(rows are (top, left, bottom, right), bottom and right excluded).")
    return arr.astype(float)


# --------------------------------------------------------------------------- single values
def whole_or_none(value):
    """``value`` as an int when it is a whole number (any integer type, a whole float such as 3.0, a 0-d
    integer array), else None. bools are not numbers here."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _at_least(minimum: int) -> str:
    return {0: "0 or more", 1: "1 or more"}.get(minimum, f"at least {minimum}")


def whole(value, name: str, *, minimum: int | None = None, what: str = "") -> int:
    """Check that ``value`` is a whole number (at least ``minimum``); return it as an int.

    Integers of any kind (``3``, ``np.int64(3)``) and whole floats (``3.0``) fit. A wrong type (text,
    None, a bool, a fraction, a list) raises TypeError; a number below ``minimum`` raises ValueError.
    ``what`` follows the requirement in the messages, e.g. ``" (it picks the random draw)"``.

    >>> whole(np.int64(3), "epochs", minimum=1)
    3
    >>> whole("3", "epochs", minimum=1)
    Traceback (most recent call last):
    ...
    TypeError: epochs must be a whole number, got the text '3' (write 3 without quotes).
    """
    got = whole_or_none(value)
    if got is None:
        raise TypeError(f"{name} must be a whole number{what}, got {describe(value)}.")
    if minimum is not None and got < minimum:
        raise ValueError(f"{name} must be {_at_least(minimum)}{what}, got {got}.")
    return got


def seed(value, name: str = "seed") -> int:
    """A random seed: a whole number ≥ 0 (TypeError for another type, ValueError when negative)."""
    return whole(value, name, minimum=0, what=" (it picks the random draw)")


def real(value, name: str, *, fits: str, ok=None) -> float:
    """A finite real number for which ``ok(value)`` holds, as a float.

    TypeError when ``value`` is not a number (text, None, a bool, an array); ValueError when it is NaN,
    infinite or ``ok`` says no. Both messages read "``name`` must be ``fits``, got …".
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(f"{name} must be {fits}, got {describe(value)}.")
    v = float(value)
    if not math.isfinite(v) or (ok is not None and not ok(v)):
        raise ValueError(f"{name} must be {fits}, got {describe(value)}.")
    return v


def flag(value, name: str) -> bool:
    """``True`` or ``False`` (a NumPy bool too); anything else raises a TypeError.

    A text such as ``"no"`` would count as true in Python, which is why it is refused.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {describe(value)}.")


def int_param(value, name: str, *, minimum: int) -> int:
    """Check that ``value`` is a whole number of pixels at least ``minimum``; return it as an int.

    The pixel-size form of :func:`whole`, with hints for a zero stride, negative padding or zero dilation.
    """
    got = whole_or_none(value)
    if got is None:
        fraction = (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                    and math.isfinite(value))
        raise TypeError(
            f"{name} must be a whole number of pixels, got "
            + (f"{value!r} (a fraction of a pixel has no meaning here)" if fraction else describe(value))
            + "."
        )
    value = got
    if value < minimum:
        what = _at_least(minimum)
        extra = ""
        if name.startswith("stride") and value == 0:
            extra = " A stride of 0 would never move the kernel; stride 1 visits every position."
        elif name.startswith("padding") and value < 0:
            extra = " Padding adds zeros around the border; it cannot remove pixels."
        elif name.startswith("dilation") and value == 0:
            extra = " Dilation 1 is an ordinary kernel with no holes."
        raise ValueError(f"{name} must be {what}, got {value}.{extra}")
    return value


def pair(value, name: str, *, minimum: int, ndim: int = 2) -> tuple[int, ...]:
    """Turn an int or a tuple of ``ndim`` ints into a checked tuple of ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(
                f"{name} must be one int or {ndim} ints "
                f"({'(height, width)' if ndim == 2 else '(length,)'}), got {len(value)} values: {tuple(value)!r}."
            )
        return tuple(int_param(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(value))
    return (int_param(value, name, minimum=minimum),) * ndim


def result_dtype(*arrays) -> np.dtype:
    """The dtype of a conv result: int64 for integers of any kind (exact sums), else NumPy's common float type."""
    dtype = np.result_type(*[a for a in arrays if a is not None])
    return np.dtype(np.int64) if dtype.kind in "iu" else dtype


_INT64_MAX = int(np.iinfo(np.int64).max)


def exact_operands(x, w, b=None):
    """Cast the operands of a convolution to their result dtype (:func:`result_dtype`).

    Integers of any kind (uint8 pixels, int8 weights…) become int64, so sums never wrap around the way
    ``200 + 200`` does in uint8. Should even int64 be too small for the largest possible sum (every product
    ``|x|·|w|`` at its maximum, over at most ``w.size`` terms, plus the bias), a ValueError says
    so instead of returning a wrong number. Floats keep their dtype.
    """
    dtype = result_dtype(x, w, b)
    if dtype.kind == "i":
        def largest(a):
            return 0 if a is None or a.size == 0 else max(abs(int(a.max())), abs(int(a.min())))
        terms = w.size                            # at least the number of products in one output
        bound = largest(x) * largest(w) * terms + largest(b)
        if bound > _INT64_MAX:
            raise ValueError(
                f"these integers are too large to add up exactly: a sum could reach {bound:.3e}, beyond int64's "
                f"{_INT64_MAX:.3e}. Convert x and w to float (x.astype(float)) to work with rounded numbers."
            )
    cast = [None if a is None else a.astype(dtype, copy=False) for a in (x, w, b)]
    return tuple(cast)
