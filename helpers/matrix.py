"""Convolution as a matrix: the sparse, banded matrix with shared entries that does what conv does.

A convolution (cross-correlation, as in torch) is a linear map of its input, so it has a matrix ``C``:
``conv1d(x, w) == C @ x``. Every row of ``C`` holds the same few kernel weights, shifted along by the
stride: the layer is *sparsely connected* (each output sees K inputs) with *shared parameters* (K
numbers fill the whole matrix). The transpose ``Cᵀ`` is the backward pass: it sends an output
gradient ``g`` back to the input, ``∂L/∂x = Cᵀ g``.

Padding is handled by the matrix itself: a padded position holds a zero, so its column is simply left
out and the matrix keeps one column per real input sample.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import as_array, int_param, pair, result_dtype
from .conv import output_sizes, padding_pairs


def _length(length) -> int:
    """``length`` is a count of samples; catch the common slip of passing the signal itself."""
    if isinstance(length, np.ndarray) or (isinstance(length, (list, tuple)) and not isinstance(length, str)):
        arr = np.asarray(length)
        if arr.ndim == 1 and arr.size == 1:
            return int_param(arr.item(), "length", minimum=1)
        raise TypeError(
            f"length is the number of input samples, a single int; got a sequence of shape {arr.shape}. "
            f"If that is your signal x, pass len(x) (here {arr.shape[0] if arr.ndim else 1})."
        )
    return int_param(length, "length", minimum=1)


def _in_shape(in_shape) -> tuple[int, int]:
    """``in_shape`` is the image's (H, W); catch passing the image itself or a channel-first shape."""
    if isinstance(in_shape, np.ndarray) and in_shape.ndim == 2:
        raise TypeError(
            f"in_shape is the input's shape (H, W), a pair of ints; got an array of shape {in_shape.shape}. "
            "If that is your image x, pass x.shape."
        )
    if isinstance(in_shape, numbers.Integral) and not isinstance(in_shape, bool):
        return pair(in_shape, "in_shape", minimum=1, ndim=2)
    if isinstance(in_shape, (tuple, list, np.ndarray)):
        values = tuple(np.asarray(in_shape).ravel().tolist())
        if len(values) != 2:
            raise ValueError(
                f"in_shape must be (H, W) for one single-channel image, got {len(values)} values {values!r}. "
                "The matrix form here is for a 2D image and a 2D kernel; for channels, build one matrix per "
                "(output, input) channel pair."
            )
        return pair(values, "in_shape", minimum=1, ndim=2)
    raise TypeError(f"in_shape must be a pair of ints (H, W), got {in_shape!r}.")


def _kernel(w, ndim: int) -> np.ndarray:
    w = as_array(w, "w")
    if w.ndim != ndim:
        want = "(K,), a 1D filter such as [-1, 1]" if ndim == 1 else "(KH, KW), one 2D kernel"
        hint = ""
        if w.ndim > ndim and all(s == 1 for s in w.shape[:w.ndim - ndim]):
            tail = w.shape[w.ndim - ndim:]
            hint = f" Your kernel has leading axes of size 1: drop them with w.reshape{tail}."
        raise ValueError(f"w must have shape {want}; got shape {w.shape}.{hint}")
    return w


def conv1d_matrix(w, length, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The (L', L) matrix ``C`` with ``C @ x == conv1d(x, w, stride=…, padding=…, dilation=…)``.

    Shapes: w (K,), x (L,) with L = ``length``; C has L' rows (one per output) and L columns (one per
    input sample), with ``L' = ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1``.

    Formula: ``C[i, i·s + k·d − p] = w[k]`` for every tap k whose position lies inside the input; all
    other entries are 0 (columns for padded zeros are dropped). Integer w gives an integer matrix.
    ``padding`` may also be ``"valid"`` or ``"same"``, as in :func:`helpers.conv1d`.

    The seed lecture's filter [-1, 1] on a signal of length 5: a band of K = 2 shared weights.

    >>> C = conv1d_matrix([-1, 1], 5)
    >>> C
    array([[-1,  1,  0,  0,  0],
           [ 0, -1,  1,  0,  0],
           [ 0,  0, -1,  1,  0],
           [ 0,  0,  0, -1,  1]])
    >>> C @ np.array([0, 1, -1, 1, 1])
    array([ 1, -2,  2,  0])
    >>> C.T @ np.array([1, 0, 0, 0])      # backward pass: where output 0's gradient goes
    array([-1,  1,  0,  0,  0])
    >>> conv1d_matrix([1, 2, 3], 4, padding=1, stride=2)
    array([[2, 3, 0, 0],
           [0, 1, 2, 3]])
    """
    w = _kernel(w, 1)
    n = _length(length)
    s = pair(stride, "stride", minimum=1, ndim=1)
    d = pair(dilation, "dilation", minimum=1, ndim=1)
    (p0, p1), = padding_pairs(padding, w.shape, d, s, 1)
    (n_out,) = output_sizes((n,), w.shape, s, [(p0, p1)], d, ("length",))
    k = w.shape[0]
    rows = np.repeat(np.arange(n_out), k)
    taps = np.tile(np.arange(k), n_out)
    cols = rows * s[0] + taps * d[0] - p0
    inside = (cols >= 0) & (cols < n)
    C = np.zeros((n_out, n), dtype=result_dtype(w))
    C[rows[inside], cols[inside]] = w[taps[inside]]
    return C


def conv2d_matrix(w, in_shape, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The (H'·W', H·W) matrix ``C`` with ``C @ x.ravel() == conv2d(x, w, …).ravel()``, x of shape in_shape.

    Shapes: w (KH, KW) a single-channel kernel, x (H, W) = ``in_shape``; inputs and outputs are
    flattened row by row (NumPy's ``ravel``), so column ``r·W + c`` belongs to pixel (r, c) and row
    ``i·W' + j`` to output (i, j). ``H' = ⌊(H + 2p − d(KH − 1) − 1)/s⌋ + 1``, the same for W'.
    ``stride``, ``padding`` and ``dilation`` are an int or a (height, width) pair; padding may also be
    ``"valid"`` or ``"same"``.

    Formula: ``C[i·W' + j, (i·sh + u·dh − ph)·W + (j·sw + v·dw − pw)] = w[u, v]`` for every tap (u, v)
    that lands inside the image; all other entries are 0. Integer w gives an integer matrix.

    >>> C = conv2d_matrix([[1, 2], [3, 4]], (2, 3))
    >>> C
    array([[1, 2, 0, 3, 4, 0],
           [0, 1, 2, 0, 3, 4]])
    >>> x = np.arange(6).reshape(2, 3)
    >>> (C @ x.ravel()).reshape(1, 2)     # the same as conv2d(x, [[1, 2], [3, 4]])
    array([[27, 37]])
    >>> conv2d_matrix([[1, 2], [3, 4]], (3, 3), stride=2).shape
    (1, 9)
    """
    w = _kernel(w, 2)
    h, wd = _in_shape(in_shape)
    s = pair(stride, "stride", minimum=1, ndim=2)
    d = pair(dilation, "dilation", minimum=1, ndim=2)
    pads = padding_pairs(padding, w.shape, d, s, 2)
    ho, wo = output_sizes((h, wd), w.shape, s, pads, d, ("height", "width"))
    kh, kw = w.shape
    # one entry per (output i, output j, tap u, tap v)
    i, j, u, v = np.meshgrid(np.arange(ho), np.arange(wo), np.arange(kh), np.arange(kw), indexing="ij")
    r = i * s[0] + u * d[0] - pads[0][0]
    c = j * s[1] + v * d[1] - pads[1][0]
    inside = (r >= 0) & (r < h) & (c >= 0) & (c < wd)
    C = np.zeros((ho * wo, h * wd), dtype=result_dtype(w))
    C[(i * wo + j)[inside], (r * wd + c)[inside]] = w[u[inside], v[inside]]
    return C


__all__ = ["conv1d_matrix", "conv2d_matrix"]
