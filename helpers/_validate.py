"""Argument checking shared by the helpers.

Every public helper checks what it is given before touching NumPy, so a student sees a
message that names the argument, says what was given and what would fit, instead of an
IndexError from deep inside an array routine.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a numeric NumPy array (a new view or copy, never the caller's object mutated)."""
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
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): it needs at least one number along every axis.")
    return arr


def int_param(value, name: str, *, minimum: int) -> int:
    """Check that ``value`` is a whole number at least ``minimum``; return it as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(
                f"{name} must be a whole number of pixels, got {value!r}"
                + (" (a fraction of a pixel has no meaning here)" if isinstance(value, numbers.Real) else "")
                + "."
            )
    value = int(value)
    if value < minimum:
        what = {0: "0 or more", 1: "1 or more"}.get(minimum, f"at least {minimum}")
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
            return 0 if a is None else max(abs(int(a.max())), abs(int(a.min())))
        terms = w.size                            # at least the number of products in one output
        bound = largest(x) * largest(w) * terms + largest(b)
        if bound > _INT64_MAX:
            raise ValueError(
                f"these integers are too large to add up exactly: a sum could reach {bound:.3e}, beyond int64's "
                f"{_INT64_MAX:.3e}. Convert x and w to float (x.astype(float)) to work with rounded numbers."
            )
    cast = [None if a is None else a.astype(dtype, copy=False) for a in (x, w, b)]
    return tuple(cast)
