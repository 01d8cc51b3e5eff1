"""Backward passes of the CNN layers, with NumPy: the gradients that backpropagation sends through them.

Every function takes what the forward pass saw (the input ``x``, the weights ``w``) and the upstream
gradient ``grad_out = ∂L/∂out`` (one number per output entry, same shape as the forward output) and
returns the gradients with respect to the inputs of the layer. The rules, for ``out = conv2d(x, w, b)``:

* ``∂L/∂b[o]`` is the sum of ``grad_out[:, o]`` over the batch and all positions;
* ``∂L/∂w`` is a cross-correlation of the (padded) input with ``grad_out`` — every output position that
  used a weight pushes on it; with stride ``s`` the taps of ``grad_out`` are ``s`` pixels apart;
* ``∂L/∂x`` is a *full* convolution of ``grad_out`` with the flipped kernel, which is the transposed
  convolution of ``grad_out`` with ``w`` (:func:`helpers.conv.conv_transpose2d`), i.e. multiplying by
  ``Cᵀ``, the transpose of the layer's matrix. Input pixels that no window touched get 0.

Pooling: max pooling sends each window's gradient to the window's arg-max (the first maximum on ties,
as torch does); average pooling spreads it evenly over the window. ReLU lets a gradient through where
its input was positive.

:func:`numeric_gradient` (centred differences) and :func:`relative_error` check any of these by brute force.

Notebook 08 teaches these rules (sections 2–5) and then has the student write two of them (section 6):
:func:`check_conv2d_backward` and :func:`check_max_pool2d_backward` judge the student's functions against
:func:`conv2d_backward` and :func:`max_pool2d_backward`, and name the usual mistakes, listed by
:func:`conv2d_backward_mistakes` and :func:`max_pool2d_backward_mistakes`. ``tests/test_backward_checks.py``
keeps the notebook's solutions equal to these functions and to torch autograd.
"""

from __future__ import annotations

import math

import numpy as np

from . import conv as _conv
from . import pool as _pool
from ._validate import as_array, describe, real
from .grading import graded

__all__ = [
    "CONV2D_BACKWARD_CASES", "MAX_POOL2D_BACKWARD_CASES", "avg_pool2d_backward", "check_conv1d_backward",
    "check_conv2d_backward", "check_gradient", "check_max_pool2d_backward", "conv2d_backward",
    "conv2d_backward_mistakes", "conv2d_backward_naive", "gradient_report", "max_pool2d_backward",
    "max_pool2d_backward_mistakes", "numeric_gradient", "relative_error", "relu_backward",
]


# --------------------------------------------------------------------------- shared checks
def _shape_text(shape) -> str:
    return str(tuple(int(s) for s in shape))


def _check_grad_out(grad_out, expected_shape, forward_text, x_shape=None):
    """``grad_out`` as an array of the forward output's shape, or a ValueError saying which shape fits."""
    g = as_array(grad_out, "grad_out", empty="any")       # its shape is checked against the forward output
    if g.shape != tuple(expected_shape):
        msg = (f"grad_out must have the shape of the forward output {forward_text}, which is "
               f"{_shape_text(expected_shape)}; got {_shape_text(g.shape)}. grad_out holds ∂L/∂out, "
               "one number for every entry of the layer's output.")
        if x_shape is not None and g.shape == tuple(x_shape):
            msg += " Yours has the shape of x: that would be ∂L/∂x, the gradient this function returns."
        raise ValueError(msg)
    return g


def _prepare_conv(x, w, grad_out, stride, padding, dilation):
    """Checked, batched arrays plus everything the two conv backward versions need."""
    xb, wb, _, drop, stride, dilation = _conv.prepare(x, w, None, stride, padding, dilation, 2)
    pads = _conv.padding_pairs(padding, wb.shape[2:], dilation, stride, 2)
    n, c_in, h, wd = xb.shape
    c_out, _, kh, kw = wb.shape
    ho, wo = _conv.output_sizes((h, wd), (kh, kw), stride, pads, dilation, ("height", "width"))
    batched_shape = (n, c_out, ho, wo)
    shape = batched_shape[drop:]
    g = _check_grad_out(grad_out, shape, "conv2d(x, w, stride, padding, dilation)", np.shape(x))
    g = g.reshape(batched_shape)
    dtype = np.result_type(xb, wb, g)
    return (xb.astype(dtype, copy=False), wb.astype(dtype, copy=False), g.astype(dtype, copy=False), drop,
            stride, pads, dilation, (ho, wo))


def _unbatch_grads(grad_x, grad_w, grad_b, drop):
    if drop == 2:
        return grad_x[0, 0], grad_w[0, 0], grad_b[0]
    if drop == 1:
        return grad_x[0], grad_w, grad_b
    return grad_x, grad_w, grad_b


# --------------------------------------------------------------------------- convolution
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    """Gradients of ``out = conv2d(x, w, b, stride, padding, dilation)``: ``(grad_x, grad_w, grad_b)``.

    Shapes (the forms of :func:`helpers.conv.conv2d`): x (H, W) with w (KH, KW) and grad_out (H', W');
    x (C_in, H, W) or (N, C_in, H, W) with w (C_out, C_in, KH, KW) and grad_out (C_out, H', W') or
    (N, C_out, H', W'). grad_x has the shape of x, grad_w the shape of w, grad_b is (C_out,) (a single
    number for the (H, W) form). ``padding`` may be an int, a pair, ``"valid"`` or ``"same"``.

    Formulas, with ``g = grad_out`` and ``xpad`` the padded input:

    * ``grad_b[o] = Σ_n Σ_i Σ_j g[n, o, i, j]``
    * ``grad_w[o, c, u, v] = Σ_n Σ_i Σ_j g[n, o, i, j] · xpad[n, c, i·s + u·d, j·s + v·d]``
      — the input cross-correlated with g (g's taps s pixels apart);
    * ``grad_xpad[n, c, r, q] = Σ_o Σ_u Σ_v g[n, o, (r − u·d)/s, (q − v·d)/s] · w[o, c, u, v]`` over the
      terms whose indices are whole and in range — the full convolution of g with the flipped kernel,
      i.e. ``conv_transpose2d(g, w, stride, dilation)``; then the padding border is cut off.

    >>> x = np.array([[0, 1, 0, 1, 1]])                  # the seed's 1D signal as a 1×5 image
    >>> w = np.array([[-1, 1]])
    >>> gx, gw, gb = conv2d_backward(x, w, np.array([[1, 0, -1, 2]]))
    >>> gx, gw, gb
    (array([[-1,  1,  1, -3,  2]]), array([[2, 2]]), np.int64(2))
    """
    x, w, g, drop, stride, pads, dilation, (ho, wo) = _prepare_conv(x, w, grad_out, stride, padding, dilation)
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    sh, sw = stride
    dh, dw = dilation

    grad_b = g.sum(axis=(0, 2, 3))

    # ∂L/∂w: for each kernel tap (u, v), the input pixels that tap saw, weighted by g and summed.
    xp = _conv.pad_zeros(x, pads)
    grad_w = np.empty_like(w)
    for u in range(kh):
        for v in range(kw):
            seen = xp[:, :, u * dh:u * dh + sh * (ho - 1) + 1:sh, v * dw:v * dw + sw * (wo - 1) + 1:sw]
            grad_w[:, :, u, v] = np.tensordot(g, seen, axes=([0, 2, 3], [0, 2, 3]))

    # ∂L/∂x: every output position stamps g · w back onto the window it read (a transposed convolution).
    stamped = _conv.conv_transpose2d(g, w, stride=stride, dilation=dilation)
    grad_xp = np.zeros((n, c_in, h + pt + pb, wd + pl + pr), dtype=g.dtype)
    # rows/columns at the bottom/right that a strided window never reached keep a zero gradient
    grad_xp[:, :, :stamped.shape[2], :stamped.shape[3]] = stamped
    grad_x = grad_xp[:, :, pt:pt + h, pl:pl + wd]
    return _unbatch_grads(np.ascontiguousarray(grad_x), grad_w, grad_b, drop)


def conv2d_backward_naive(x, w, grad_out, stride=1, padding=0, dilation=1):
    """The same gradients as :func:`conv2d_backward`, with explicit loops, written to be read.

    Walk over every output entry ``out[n, o, i, j]`` exactly as the forward pass does. That entry was
    ``b[o] + Σ patch · w[o]``, so its upstream gradient ``g = grad_out[n, o, i, j]`` adds ``g`` to
    ``grad_b[o]``, ``g · patch`` to ``grad_w[o]`` (the weights were multiplied by the patch) and
    ``g · w[o]`` to the patch of ``grad_x`` (the patch was multiplied by the weights).

    >>> gx, gw, gb = conv2d_backward_naive([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]],
    ...                                    np.ones((2, 2), dtype=int))
    >>> gx
    array([[ 1,  1,  0],
           [ 1,  0, -1],
           [ 0, -1, -1]])
    >>> gw
    array([[12, 16],
           [24, 28]])
    """
    x, w, g, drop, stride, pads, dilation, (out_h, out_w) = _prepare_conv(x, w, grad_out, stride, padding,
                                                                          dilation)
    n_images, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    (pt, _), (pl, _) = pads
    padded = _conv.pad_zeros(x, pads)
    grad_padded = np.zeros_like(padded)
    grad_w = np.zeros_like(w)
    grad_b = np.zeros(c_out, dtype=g.dtype)
    rows_span = dilation[0] * (kh - 1) + 1
    cols_span = dilation[1] * (kw - 1) + 1
    # The same four loops as helpers.conv.conv2d_naive, on purpose: each window the forward pass read gets
    # its share of the upstream gradient here, in the same order.
    for n in range(n_images):                     # every image in the batch
        for o in range(c_out):                    # every kernel → one output channel
            for i in range(out_h):                # every output row
                for j in range(out_w):            # every output column
                    top = i * stride[0]
                    left = j * stride[1]
                    window = (n, slice(None), slice(top, top + rows_span, dilation[0]),
                              slice(left, left + cols_span, dilation[1]))
                    upstream = g[n, o, i, j]
                    grad_b[o] += upstream
                    grad_w[o] += upstream * padded[window]
                    grad_padded[window] += upstream * w[o]
    grad_x = grad_padded[:, :, pt:pt + h, pl:pl + wd]
    return _unbatch_grads(np.ascontiguousarray(grad_x), grad_w, grad_b, drop)


# --------------------------------------------------------------------------- pooling and ReLU
def _prepare_pool_backward(x, grad_out, kernel_size, stride, padding, name):
    x4, drop, k, s, p, sizes = _pool.prepare_pool(x, kernel_size, stride, padding)
    batched = (x4.shape[0], x4.shape[1], sizes[0], sizes[1])
    shape = batched[drop:]
    g = _check_grad_out(grad_out, shape, f"{name}(x, kernel_size, stride, padding)", np.shape(x))
    return x4, drop, k, s, p, sizes, g.reshape(batched)


def max_pool2d_backward(x, grad_out, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool2d(x, kernel_size, stride, padding)`` with respect to ``x``.

    Shapes: x (H, W), (C, H, W) or (N, C, H, W); grad_out the pooled shape (…, H', W'); the result has
    the shape of x. Each window's maximum was the only entry that mattered, so the window's upstream
    gradient goes to that entry and the others get 0: ``grad_x[argmax of window] += grad_out[window]``.
    Overlapping windows (stride < kernel_size) add up. On a tie the first maximum in reading order
    gets it, as in torch.

    >>> max_pool2d_backward(np.array([[1, 3, 2, 0],
    ...                               [4, 2, 1, 1],
    ...                               [0, 0, 5, 6],
    ...                               [1, 2, 7, 8]]), np.array([[1, 2], [3, 4]]), 2)
    array([[0, 0, 2, 0],
           [1, 0, 0, 0],
           [0, 0, 0, 0],
           [0, 3, 0, 4]])
    """
    x4, drop, k, s, p, (ho, wo), g = _prepare_pool_backward(x, grad_out, kernel_size, stride, padding,
                                                            "max_pool2d")
    n, c, h, wd = x4.shape
    if any(p):
        fill = np.iinfo(x4.dtype).min if np.issubdtype(x4.dtype, np.integer) else -np.inf
        x4 = np.pad(x4, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])], constant_values=fill)
    windows = _pool.pool_windows(x4, k, s, (ho, wo)).reshape(n, c, ho, wo, k[0] * k[1])
    first_max = np.argmax(windows, axis=-1)            # NumPy, like torch, takes the first maximum
    if windows.dtype.kind == "f":
        # a NaN wins its window in max_pool2d (np.maximum passes NaN on, as torch does); torch's backward then
        # sends the gradient to the window's *last* NaN in reading order, so do the same
        isnan = np.isnan(windows)
        if isnan.any():
            last_nan = windows.shape[-1] - 1 - np.argmax(isnan[..., ::-1], axis=-1)
            first_max = np.where(isnan.any(axis=-1), last_nan, first_max)
    du, dv = np.divmod(first_max, k[1])
    rows = np.arange(ho).reshape(1, 1, ho, 1) * s[0] + du
    cols = np.arange(wo).reshape(1, 1, 1, wo) * s[1] + dv
    nn_ = np.arange(n).reshape(n, 1, 1, 1)
    cc = np.arange(c).reshape(1, c, 1, 1)
    grad = np.zeros(x4.shape, dtype=np.result_type(x4.dtype, g.dtype))
    np.add.at(grad, (np.broadcast_to(nn_, rows.shape), np.broadcast_to(cc, rows.shape), rows, cols), g)
    grad = grad[:, :, p[0]:p[0] + h, p[1]:p[1] + wd]
    return np.ascontiguousarray(grad.reshape(grad.shape[drop:]))


def avg_pool2d_backward(x, grad_out, kernel_size, stride=None, padding=0):
    """Gradient of ``avg_pool2d(x, kernel_size, stride, padding)`` with respect to ``x``.

    Shapes as :func:`max_pool2d_backward`. Every entry of a KH×KW window counted ``1/(KH·KW)`` in the
    window's mean (padding zeros are counted too, torch's default), so each entry gets
    ``grad_out[window] / (KH·KW)``, added up over the windows it belongs to. The result is a float array.

    >>> avg_pool2d_backward(np.zeros((4, 4)), np.array([[4.0, 8.0], [0.0, -4.0]]), 2)
    array([[ 1.,  1.,  2.,  2.],
           [ 1.,  1.,  2.,  2.],
           [ 0.,  0., -1., -1.],
           [ 0.,  0., -1., -1.]])
    """
    x4, drop, k, s, p, (ho, wo), g = _prepare_pool_backward(x, grad_out, kernel_size, stride, padding,
                                                            "avg_pool2d")
    n, c, h, wd = x4.shape
    dtype = np.result_type(g.dtype, x4.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    share = g.astype(dtype) / (k[0] * k[1])
    grad = np.zeros((n, c, h + 2 * p[0], wd + 2 * p[1]), dtype=dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            grad[:, :, u:u + s[0] * (ho - 1) + 1:s[0], v:v + s[1] * (wo - 1) + 1:s[1]] += share
    grad = grad[:, :, p[0]:p[0] + h, p[1]:p[1] + wd]
    return np.ascontiguousarray(grad.reshape(grad.shape[drop:]))


def relu_backward(x, grad_out):
    """Gradient of ``relu(x) = max(x, 0)``: ``grad_out`` where ``x > 0``, else 0 (also at x = 0, as torch).

    Shapes: x and grad_out of the same (any) shape, empty ones included; the result has that shape.
    As in torch, the rule is "0 where x ≤ 0, else grad_out", so where x is NaN the gradient passes on.

    >>> relu_backward(np.array([-2.0, 0.0, 3.0]), np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """
    x = as_array(x, "x", empty="any")
    g = _check_grad_out(grad_out, x.shape, "relu(x) (the shape of x)")
    return np.where(x <= 0, np.zeros_like(g), g)


# --------------------------------------------------------------------------- checking gradients
def numeric_gradient(f, x, eps=1e-6):
    """Gradient of the scalar function ``f`` at ``x`` by centred differences, one entry at a time.

    ``grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps)``, computed in float64 on a copy of x
    (x itself is never changed). The error is about ``eps²`` from the formula plus ``1e-16/eps`` from
    rounding, so with the default eps = 1e-6 expect about 7 to 10 correct digits. Cost: 2 calls of f
    per entry of x — use small arrays. To check a layer, turn it into a scalar first, for example
    ``f = lambda x: np.sum(conv2d(x, w) * grad_out)``, whose gradient is what ``conv2d_backward`` returns.

    >>> numeric_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0, 3.0])).round(6)
    array([ 2., -4.,  6.])
    """
    if not callable(f):
        raise TypeError(f"f must be a function that takes an array and returns one number (the loss); "
                        f"got {type(f).__name__}.")
    eps = real(eps, "eps", fits="a small positive number such as 1e-6", ok=lambda v: v > 0)
    base = np.array(as_array(x, "x"), dtype=np.float64, copy=True)
    grad = np.zeros_like(base)

    def scalar(value):
        if hasattr(value, "detach") and hasattr(value, "numpy"):
            value = value.detach().cpu().numpy()
        arr = np.asarray(value)
        if arr.size != 1:
            raise TypeError(f"f must return a single number (the loss); it returned an array of shape "
                            f"{arr.shape}. Reduce it, e.g. lambda x: np.sum(layer(x) * grad_out).")
        if value is None or isinstance(value, (str, bytes, bool, np.bool_)) or arr.dtype.kind not in "iuf":
            raise TypeError(f"f must return a single number (the loss); it returned {describe(value)}."
                            + (" Does it end with a `return` (a lambda returns its expression)?"
                               if value is None else ""))
        return float(arr.reshape(()))

    for idx in np.ndindex(base.shape):
        old = base[idx]
        base[idx] = old + eps
        plus = scalar(f(base))
        base[idx] = old - eps
        minus = scalar(f(base))
        base[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b, tiny=1e-30):
    """How far apart two gradients are, relative to their size: ``max|a − b| / max(|a| + |b|)``.

    One number for the whole array (cs231n's measure, taken over all entries at once so that entries
    that are almost zero do not blow it up). Rules of thumb in float64: below 1e-12 two exact
    computations agree up to rounding; below 1e-7 an analytic gradient agrees with a numeric one
    (eps = 1e-6); around 1e-2 or more something is wrong. In float32, about 1e-6 is as good as it gets.

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> round(relative_error([1.0, 2.0], [1.0, 2.1]), 4)        # 0.1 / (2.0 + 2.1)
    0.0244
    """
    a = as_array(a, "a")
    b = as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape to be compared entry by entry; "
                         f"got a {_shape_text(a.shape)} and b {_shape_text(b.shape)}.")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    scale = float(np.max(np.abs(a) + np.abs(b)))
    return float(np.max(np.abs(a - b))) / max(scale, tiny)


def _magnitude(err: float) -> str:
    """``err`` rounded to a power of ten, e.g. '~1e-10'; errors at float64 rounding level read '< 1e-15'."""
    if not math.isfinite(err):
        return str(err)
    if err < 1e-15:
        return "< 1e-15"
    return f"~1e{round(math.log10(err))}"


def _bound_text(value: float) -> str:
    """``1e-07`` → ``'1e-7'``: the bound as people write it."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def gradient_report(a, b, *, name="gradient", expect=1e-7):
    """One line comparing two gradients: their relative error rounded to a power of ten, next to the bound.

    Rounded so that a stored notebook output stays the same from run to run.

    >>> gradient_report(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 3e-9]), name="grad_w")
    'grad_w: relative error ~1e-9 (expect < 1e-7 in float64) ✓'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be text (a str) such as 'grad_w', got {describe(name)}.")
    expect = real(expect, "expect", fits="a positive bound on the relative error such as 1e-7", ok=lambda v: v > 0)
    err = relative_error(a, b)
    dtype = np.result_type(np.asarray(a).dtype, np.asarray(b).dtype)
    dtype = dtype.name if np.issubdtype(dtype, np.floating) else "float64"
    mark = "✓" if err < expect else "✗ too large"
    return f"{name}: relative error {_magnitude(err)} (expect < {_bound_text(expect)} in {dtype}) {mark}"


@graded
def check_gradient(answer, expected, *, what="gradient", expect=1e-7):
    """Check a gradient the student computed against a reference: right when the relative error < ``expect``.

    Returns a :class:`helpers.checks.Verdict`; an answer of ``None`` reads "not answered yet".

    >>> check_gradient([2.0, 4.0], np.array([2.0, 4.0]), what="∂L/∂w")
    ✅ Correct. ∂L/∂w: relative error < 1e-15 (expect < 1e-7 in float64) ✓
    >>> check_gradient([2.0, -4.0], np.array([2.0, 4.0]), what="∂L/∂w")  # doctest: +ELLIPSIS
    ❌ Not yet. ∂L/∂w: 1 of 2 entries differ: at [1] you have −4, expected 4; relative error ~1e0 ...
    """
    from .checks import Verdict, answer_array, check_array, spec_array

    if not isinstance(what, str):
        raise TypeError(f"what must be text (a str) such as '∂L/∂w', got {describe(what)}.")
    expect = real(expect, "expect", fits="a positive bound on the relative error such as 1e-7", ok=lambda v: v > 0)
    expected = spec_array(expected, "expected")
    got = answer_array(answer, what)
    if isinstance(got, Verdict):             # not answered yet, text, not numbers
        return got
    if got.shape != expected.shape or got.size == 0:
        return check_array(got, expected, what=what)
    err = relative_error(got, expected)
    if err < expect:
        return Verdict(True, gradient_report(got, expected, name=what, expect=expect))
    verdict = check_array(got, expected, what=what)
    report = gradient_report(got, expected, name=what, expect=expect)
    if verdict.ok is False:
        return Verdict(False, f"{what}: {verdict.message.rstrip('.')}; {report.split(': ', 1)[1]}")
    return Verdict(False, report)


@graded
def check_conv1d_backward(fn, cases=((10, 11, 3, 2), (11, 8, 2, 1), (12, 13, 4, 3))):
    """Check a student's ``fn(x, w, g, stride) → (grad_x, grad_w)`` for a strided 1D convolution (no padding).

    Runs ``fn`` on several random float signals (``cases``: (seed, length, kernel size, stride)) and compares
    with :func:`conv2d_backward` on the signal as a 1×L image. An exception in ``fn`` becomes a ❌ verdict
    quoting it; the usual mistakes (the pair swapped, the kernel flipped, the stride ignored, ``=`` for
    ``+=``) are named when the result is exactly that.

    >>> def right(x, w, g, stride=1):
    ...     return conv2d_backward(x[None], w[None], g[None], stride=(1, stride))[0][0], conv2d_backward(
    ...         x[None], w[None], g[None], stride=(1, stride))[1][0]
    >>> check_conv1d_backward(right)  # doctest: +ELLIPSIS
    ✅ Correct. ...
    """
    from .checks import Verdict, call_student, check_array

    if fn is None:
        return check_array(None, np.zeros(1), what="function's result")
    verdict = None
    for seed, length, k, stride in cases:
        rng = np.random.default_rng(seed)
        x, w = rng.normal(size=length), rng.normal(size=k)
        g = rng.normal(size=(length - k) // stride + 1)
        gx, gw, _ = conv2d_backward(x[None], w[None], g[None], stride=(1, stride))
        gx, gw = gx[0], gw[0]
        where = f"(signal of {length}, kernel of {k}, stride {stride})"
        got = call_student(fn, x.copy(), w.copy(), g.copy(), stride, name="my_conv1d_backward")
        if got is None or isinstance(got, Verdict):
            return check_array(got, gx, what="function's result")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Verdict(False, f"Return the pair (grad_x, grad_w); got {describe(got)} {where}.")
        if np.shape(got[0]) == gw.shape and np.shape(got[1]) == gx.shape and gx.shape != gw.shape:
            return Verdict(False, f"The pair is swapped: return (grad_x, grad_w), grad_x first {where}.")
        read = stride * (len(g) - 1) + k
        one = conv2d_backward(x[None, :len(g) + k - 1], w[None], g[None])
        cands_x = [(np.pad(one[0][0], (0, length - len(g) - k + 1)),
                    "You ignored the stride: output i reads x[i·stride : i·stride + K]."),
                   (conv2d_backward(x[None], w[None, ::-1], g[None], stride=(1, stride))[0][0],
                    "You flipped the kernel: output i adds g[i]·w to the slice it read, w as it is.")]
        last = np.zeros(length)
        for i, gi in enumerate(g):
            last[i * stride:i * stride + k] = gi * w
        if stride < k:
            cands_x.append((last, "Overlapping windows must add up (+=), not overwrite (=)."))
        for part, expected, cands, name in [(got[0], gx, cands_x, "grad_x"), (got[1], gw, [
                (one[1][0], "You ignored the stride: output i reads x[i·stride : i·stride + K].")], "grad_w")]:
            v = check_array(part, expected, what=name, candidates=cands if read <= length else ())
            if not v.ok:
                return Verdict(False, f"{name} {where}: {v.message}")
        verdict = Verdict(True, f"grad_x and grad_w agree with helpers.backward.conv2d_backward on {len(cases)} "
                                "signals (strides 1 to 3, float values).")
    return verdict


# --------------------------------------------------------------------------- checks of a student's 2D backward passes
def _conv_case_text(n, c_in, c_out, h, wd, kh, kw, stride, padding):
    images = "1 image" if n == 1 else f"{n} images"
    return (f"{images}, {c_in}→{c_out} channels, a {h}×{wd} input, a {kh}×{kw} kernel, stride {stride}, "
            f"padding {padding}")


# (seed, N, C_in, C_out, H, W, KH, KW, stride, padding). Small, so that a version with four loops runs them at once,
# and in this order so that each usual mistake shows early and alone: one image and one channel; then C_in = C_out
# (a kernel used with its two channel axes swapped still runs, and is named) with a 3×2 kernel and padding 1;
# stride 2 with a row and a column that no window reads; stride 2 with padding, with N, C_in and C_out all
# different (a sum over the wrong axis shows in the shape).
CONV2D_BACKWARD_CASES = (
    (40, 1, 1, 1, 5, 5, 3, 3, 1, 0),
    (41, 2, 2, 2, 5, 6, 3, 2, 1, 1),
    (42, 3, 2, 4, 6, 6, 3, 3, 2, 0),
    (43, 2, 3, 4, 7, 5, 3, 3, 2, 1),
)

_FLIP = ("The kernel's orientation is off — flip it: ∂L/∂x is the *full* convolution of g with the *flipped* "
         "kernel (w[:, :, ::-1, ::-1]), which is the same as each output position stamping g · w, as it is, back "
         "on the window it read. Sliding the unflipped w over g, or stamping the flipped kernel, gives yours.")
_STRIDE = ("You did not spread g by the stride: with stride s, output (i, j) read the window at (i·s, j·s), so "
           "g's entries must sit s pixels apart (s − 1 zeros between them) before the full convolution — or, "
           "in a loop, the window starts at i * stride, not at i.")
_PLUS = ("Overlapping windows share pixels: add each window's contribution (+=) instead of overwriting "
         "it (=).")


def _overwrite_stamps(xp, w, g, stride, per_position):
    """Wrong on purpose: the stamps of ∂L/∂x and the pushes of ∂L/∂w written with = instead of +=."""
    n_img, _, _, _ = xp.shape
    c_out, _, kh, kw = w.shape
    dx = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            win = (slice(None), slice(None), slice(i * stride, i * stride + kh),
                   slice(j * stride, j * stride + kw))
            if per_position:        # vectorised over images and kernels, one position at a time
                dx[win] = np.tensordot(g[:, :, i, j], w, axes=(1, 0))
                dw = np.tensordot(g[:, :, i, j], xp[win], axes=(0, 0))
            else:                   # one scalar g at a time
                for n in range(n_img):
                    for o in range(c_out):
                        dx[(n,) + win[1:]] = g[n, o, i, j] * w[o]
                        dw[o] = g[n, o, i, j] * xp[(n,) + win[1:]]
    return dx, dw


def conv2d_backward_mistakes(x, w, grad_out, stride, padding):
    """The usual wrong answers for (dx, dw, db) of a batched convolution, each with the misconception behind it.

    Returns a dict ``{"dx": [...], "dw": [...], "db": [...], "dx_shapes": [...], "dw_shapes": [...],
    "db_shapes": [...]}`` of (array, explanation) and (shape, explanation) pairs, for
    :func:`helpers.checks.check_array`'s ``candidates`` and ``shape_candidates``. Shapes: x (N, C_in, H, W),
    w (C_out, C_in, KH, KW), grad_out (N, C_out, H', W'); stride and padding are whole numbers. A mistake that
    gives the right numbers for these inputs (a flip of a symmetric kernel, say) is left out by ``check_array``.
    Used by :func:`check_conv2d_backward` and by the tests that build each mistake as a function.

    >>> x, w = np.ones((1, 1, 3, 3)), np.arange(4.0).reshape(1, 1, 2, 2)
    >>> wrong = conv2d_backward_mistakes(x, w, np.ones((1, 1, 2, 2)), 1, 0)
    >>> "flip" in wrong["dx"][0][1]
    True
    """
    x, w, g = (np.asarray(a, dtype=np.float64) for a in (x, w, grad_out))
    s, p = int(stride), int(padding)
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    hp, wp = xp.shape[2:]
    dx, dw, db = conv2d_backward(x, w, g, stride=s, padding=p)
    dx_pad = np.zeros(xp.shape)
    stamped = _conv.conv_transpose2d(g, w, stride=s)
    dx_pad[:, :, :stamped.shape[2], :stamped.shape[3]] = stamped

    def crop(a):
        return a[:, :, p:p + h, p:p + wd]

    out = {key: [] for key in ("dx", "dw", "db", "dx_shapes", "dw_shapes", "db_shapes")}
    out["dx"].append((conv2d_backward(x, w[:, :, ::-1, ::-1], g, stride=s, padding=p)[0], _FLIP))
    if s > 1:
        step1 = np.zeros(xp.shape)
        region = (slice(None), slice(None), slice(0, ho + kh - 1), slice(0, wo + kw - 1))
        step1[region] = _conv.conv_transpose2d(g, w)
        out["dx"].append((crop(step1), _STRIDE))
        out["dw"].append((conv2d_backward(xp[region], w, g)[1], _STRIDE))
        full = (n, c_in, ho + kh - 1, wo + kw - 1)
        out["dx_shapes"] += [(full, _STRIDE), ((n, c_in, full[2] - 2 * p, full[3] - 2 * p), _STRIDE)]
        out["dw_shapes"].append(((c_out, c_in, hp - ho + 1, wp - wo + 1), _STRIDE))
    if p > 0:
        out["dx_shapes"].append((xp.shape, f"That is the gradient of the padded input ({hp}×{wp}): crop the "
                                           f"padding off, {p} row(s) and column(s) on every side "
                                           "(dx_pad[:, :, p:p + H, p:p + W])."))
        one_side = "You cropped the padding off one side only: drop p rows and columns on every side."
        out["dx"] += [(dx_pad[:, :, :h, :wd], one_side), (dx_pad[:, :, 2 * p:, 2 * p:], one_side)]
        unpadded = np.pad(x, ((0, 0), (0, 0), (0, 2 * p), (0, 2 * p)))
        out["dw"].append((conv2d_backward(unpadded, w, g, stride=s)[1],
                          "Your dw read the windows from x without its padding: pad x first (x_pad), then output "
                          "(i, j) read x_pad[:, :, i·s : i·s + KH, j·s : j·s + KW]."))
    reach = (s * (ho - 1) + kh - 2 * p, s * (wo - 1) + kw - 2 * p)
    if reach != (h, wd):
        out["dx_shapes"].append(((n, c_in) + reach, "Pixels that no window read (at the bottom or right, with a "
                                                     "stride) still need an entry in dx: their gradient is 0, and "
                                                     "dx has the shape of x."))
    for per_position in (False, True):
        ox, ow = _overwrite_stamps(xp, w, g, s, per_position)
        out["dx"].append((crop(ox), _PLUS))
        out["dw"].append((ow, "Every output position (and every image) adds its push to dw: use +=, "
                              "not =."))
    if c_in == c_out:
        swapped = ("You used w[c, o] where w[o, c] belongs: dx of input channel c collects g of every output "
                   "channel o times w[o, c]. In the full-convolution form, swap w's two channel axes: "
                   "w.transpose(1, 0, 2, 3), then flip.")
        out["dx"].append((conv2d_backward(x, w.transpose(1, 0, 2, 3), g, stride=s, padding=p)[0], swapped))
        out["dw"].append((dw.transpose(1, 0, 2, 3), "Your dw has its two channel axes swapped: dw[o, c] pairs "
                                                    "output channel o's g with input channel c's pixels "
                                                    "(shape (C_out, C_in, KH, KW), like w)."))
    else:
        out["dw_shapes"].append(((c_in, c_out, kh, kw), f"dw has w's shape (C_out, C_in, KH, KW) = {w.shape}; "
                                                        "yours has the two channel axes swapped."))
    out["dw"].append((dw[:, :, ::-1, ::-1], "Your dw is flipped: tap (u, v) pairs g[n, o, i, j] with "
                                            "x_pad[n, c, i·s + u, j·s + v], no flip."))
    if n > 1:
        out["dw"] += [(conv2d_backward(x[:1], w, g[:1], stride=s, padding=p)[1],
                       "Your dw holds the first image's contribution only: sum it over the batch."),
                      (conv2d_backward(x[-1:], w, g[-1:], stride=s, padding=p)[1],
                       "Your dw holds the last image's contribution only (= instead of +=?): sum it over the "
                       "batch."),
                      (dw / n, "Your dw is the batch mean; dw is the plain sum over the batch of every image's "
                               "contribution (any 1/N of the loss is already inside g).")]
        out["db"].append((db / n, "db is the plain sum of g over the batch and over all positions, not a mean."))
    out["db"] += [(db / (ho * wo), "db is the plain sum of g over all positions (and the batch), not a mean."),
                  (db / (n * ho * wo), "db is the plain sum of g over the batch and all positions, not a mean.")]
    out["dw_shapes"].append(((n,) + w.shape, "One dw for the whole batch, with w's shape: sum the images' "
                                             "contributions over the batch."))
    out["dx_shapes"].append((x.shape[1:], "dx has one gradient per image: keep the batch axis, shape "
                                          "(N, C_in, H, W) like x."))
    out["db_shapes"].append(((n, c_out), "db needs the sum over the batch too, not just over the positions: "
                                         "g.sum(axis=(0, 2, 3)), one number per output channel."))
    out["db_shapes"].append(((n,), "db has one number per output channel, shape (C_out,): sum g over the batch "
                                   "and the positions, axis=(0, 2, 3)."))
    out["db_shapes"].append(((), "db has one number per output channel, shape (C_out,), not one number: sum g "
                                 "over the batch and the positions only, axis=(0, 2, 3)."))
    out["db_shapes"].append(((c_out, ho, wo), "db needs the sum over the positions (i, j) too, not just over the "
                                              "batch: g.sum(axis=(0, 2, 3)), one number per output channel."))
    return out


def _as_parts(got, n_parts, names):
    """The student's result as a tuple of ``n_parts`` parts, or a message saying what it is instead."""
    if isinstance(got, (tuple, list)) and len(got) == n_parts:
        return tuple(got), None
    if isinstance(got, (tuple, list)):
        return None, f"Return the {n_parts} gradients ({', '.join(names)}); your function returned {len(got)} items."
    return None, f"Return the tuple ({', '.join(names)}); your function returned {describe(got)}."


def _listed(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _compare_part(answer, expected, what, candidates=(), shape_candidates=()):
    """:func:`helpers.checks.check_array` for one part of a result, a wrong shape explained first.

    An answer whose shape is one of ``shape_candidates`` gets that explanation, before ``check_array``'s
    general guesses about shapes.
    """
    from .checks import Verdict, answer_array, check_array

    got = answer_array(answer, what)
    if isinstance(got, Verdict):
        return got
    want = np.shape(expected)
    if got.shape != want:
        for shape, why in shape_candidates:
            if tuple(shape) == got.shape:
                return Verdict(False, f"Your {what} has shape {_shape_text(got.shape)}; it should be "
                                      f"{_shape_text(want)}. {why}")
    return check_array(got, expected, what=what, candidates=candidates)


def _parts_report(verdicts):
    """One message from the verdicts of a result's parts: which are right, and what is wrong with the others.

    >>> from helpers.checks import Verdict
    >>> _parts_report({"dx": Verdict(False, "Flip it."), "dw": Verdict(True, ""), "db": Verdict(False, "Flip it.")})
    'dw is right. dx and db: Flip it.'
    """
    good = [key for key, v in verdicts.items() if v.ok]
    by_message = {}
    for key, v in verdicts.items():
        if not v.ok:
            by_message.setdefault(v.message, []).append(key)
    text = f"{_listed(good)} {'is' if len(good) == 1 else 'are'} right. " if good else ""
    return text + " ".join(f"{_listed(keys)}: {message}" for message, keys in by_message.items())


@graded
def check_conv2d_backward(fn, *, name="my_conv2d_backward", cases=CONV2D_BACKWARD_CASES):
    """Check a student's ``fn(x, w, grad_out, stride, padding) → (dx, dw, db)`` for a batched 2D convolution.

    Shapes: x (N, C_in, H, W), w (C_out, C_in, KH, KW), grad_out (N, C_out, H', W'); dx like x, dw like w,
    db (C_out,). ``fn`` runs on the ``cases`` (random floats; stride 1 and 2, padding 0 and 1, one and several
    channels, a batch of 1 to 3 images; see ``CONV2D_BACKWARD_CASES``) and each result is compared with
    :func:`conv2d_backward`, which the tests hold to torch autograd. A wrong result is named when it is one
    of :func:`conv2d_backward_mistakes` (kernel not flipped, padding not cropped, stride not spread into g,
    bias gradient not summed, dw not summed over the batch, channel axes swapped, = for +=, a wrong shape),
    and the verdict says which of the three gradients are right. An exception in ``fn`` becomes a ❌ that
    quotes it; ``fn`` of None, or returning None, has not been answered yet.

    >>> check_conv2d_backward(lambda x, w, g, stride=1, padding=0: conv2d_backward(x, w, g, stride, padding))
    ... # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. my_conv2d_backward agrees with helpers.conv2d_backward on 4 cases: stride 1 and 2, padding 0
    and 1, one and several channels, batches of 1 to 3 images.
    """
    from .checks import Verdict, call_student, returned_none

    if fn is None:
        return Verdict(None, f"Replace the `None` with your function {name}, run the cell, then run this check "
                             "again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(x, w, grad_out, stride=1, padding=0): …); "
                              f"got {describe(fn)}.")
    names = ("dx", "dw", "db")
    for k, (seed, n, c_in, c_out, h, wd, kh, kw, s, p) in enumerate(cases):
        rng = np.random.default_rng(seed)
        x, w = rng.normal(size=(n, c_in, h, wd)), rng.normal(size=(c_out, c_in, kh, kw))
        g = rng.normal(size=(n, c_out, (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1))
        where = _conv_case_text(n, c_in, c_out, h, wd, kh, kw, s, p)
        got = call_student(fn, x.copy(), w.copy(), g.copy(), s, p, name=name)
        if isinstance(got, Verdict):
            return Verdict(False, f"{got.message} (on {where}, grad_out {g.shape})")
        if got is None:
            return returned_none(name, k == 0, where)
        parts, problem = _as_parts(got, 3, names)
        if problem:
            return Verdict(False, f"{problem} (on {where})")
        expected = conv2d_backward(x, w, g, stride=s, padding=p)
        shapes = [np.shape(part) for part in parts]
        if shapes[0] == w.shape and shapes[1] == x.shape and x.shape != w.shape:
            return Verdict(False, f"dx and dw are swapped: return (dx, dw, db), dx (the shape of x) first "
                                  f"(on {where}).")
        mistakes = conv2d_backward_mistakes(x, w, g, s, p)
        found = {key: _compare_part(part, ref, key, mistakes[key], mistakes[f"{key}_shapes"])
                 for part, ref, key in zip(parts, expected, names, strict=True)}
        if not all(v.ok for v in found.values()):
            return Verdict(False, f"On {where}: " + _parts_report(found))
    return Verdict(True, f"{name} agrees with helpers.conv2d_backward on {len(cases)} cases: stride 1 and 2, padding "
                         "0 and 1, one and several channels, batches of 1 to 3 images.")


# (seed, N, C, H, W, kernel_size, stride, ties); stride "default" means the argument is left out (stride=None).
# Windows that tile the input first, then overlapping ones (stride < kernel_size), then ties (small whole numbers).
MAX_POOL2D_BACKWARD_CASES = (
    (50, 1, 1, 4, 4, 2, "default", False),
    (51, 2, 3, 6, 4, 2, None, False),
    (52, 2, 2, 5, 5, 3, 1, False),
    (53, 2, 2, 7, 6, 3, 2, False),
    (54, 1, 2, 6, 6, 2, None, True),
    (55, 2, 1, 5, 5, 3, 1, True),
)


def _route(x, g, k, s, pick, mode="add"):
    """Send each window's g to the entries ``pick(window)`` marks (a 0/1 array), window by window.

    ``mode`` "add" accumulates (+=); "entry" and "window" are the mistakes that overwrite (=) the marked
    entries or the whole window.
    """
    dx = np.zeros(x.shape)
    n_img, chans, ho, wo = g.shape
    for n in range(n_img):
        for c in range(chans):
            for i in range(ho):
                for j in range(wo):
                    rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
                    mark = pick(x[n, c, rows, cols])
                    if mode == "add":
                        dx[n, c, rows, cols] += mark * g[n, c, i, j]
                    elif mode == "window":
                        dx[n, c, rows, cols] = mark * g[n, c, i, j]
                    else:
                        dx[n, c, rows, cols][mark > 0] = g[n, c, i, j]
    return dx


def _first_max(win):
    return np.eye(win.size)[np.argmax(win)].reshape(win.shape)


def _last_max(win):
    return np.eye(win.size)[win.size - 1 - np.argmax(win.ravel()[::-1])].reshape(win.shape)


def _every_max(win):
    return (win == win.max()).astype(float)


def _first_min(win):
    return np.eye(win.size)[np.argmin(win)].reshape(win.shape)


def max_pool2d_backward_mistakes(x, grad_out, kernel_size, stride=None):
    """The usual wrong answers for ∂L/∂x of ``max_pool2d(x, kernel_size, stride)``, each with its misconception.

    Returns (candidates, shape_candidates): lists of (array, explanation) and (shape, explanation) pairs for
    :func:`helpers.checks.check_array`. Shapes: x (N, C, H, W), grad_out (N, C, H', W'); square windows, no
    padding. Average pooling's backward, g to the whole window or to the minimum, every tied maximum (or the
    last) instead of the first, overwriting (=) where windows overlap, 1 or the maximum's value instead of g,
    one image or channel only, and the pooled shape. Used by :func:`check_max_pool2d_backward` and the tests.

    >>> cands, shapes = max_pool2d_backward_mistakes(np.array([[[[1.0, 2.0], [3.0, 0.0]]]]), np.ones((1, 1, 1, 1)), 2)
    >>> [why.split(":")[0] for _, why in cands][:2]
    ["That is average pooling's backward (g/k² to every entry of the window)", 'g goes to the maximum only']
    """
    x, g = np.asarray(x, dtype=np.float64), np.asarray(grad_out, dtype=np.float64)
    k = int(kernel_size)
    s = k if stride is None else int(stride)
    marks = _route(x, np.ones(g.shape), k, s, _first_max)
    first = _route(x, g, k, s, _first_max)
    plus = ("Overlapping windows (stride < kernel_size) share entries: add each window's gradient (+=) instead of "
            "overwriting (=) what an earlier window put there.")
    cands = [
        (avg_pool2d_backward(x, g, k, s), "That is average pooling's backward (g/k² to every entry of the window): "
                                          "in max pooling only the window's maximum changed the output, so it "
                                          "alone gets g."),
        (avg_pool2d_backward(x, g, k, s) * k * k, "g goes to the maximum only: the other entries of the window did "
                                                  "not change the output, so they get 0."),
        (_route(x, g, k, s, _first_min), "You sent g to the window's minimum: it goes to the maximum (argmax), "
                                         "the entry the pooled output came from."),
        (_route(x, g, k, s, _every_max), "Ties: when several entries share a window's maximum, only the first in "
                                         "reading order gets g (the convention of torch and of np.argmax), not "
                                         "every one of them."),
        (_route(x, g, k, s, _last_max), "Ties: the first maximum in reading order gets g (np.argmax and torch "
                                        "pick it), not the last."),
        (_route(x, g, k, s, _first_max, "entry"), plus),
        (_route(x, g, k, s, _first_max, "window"), plus),
        (marks, "You marked where the maxima are; each one receives its window's g, not 1."),
        (marks * x, "Each maximum receives its window's g, not its own value."),
    ]
    if x.shape[0] > 1 or x.shape[1] > 1:
        only = np.zeros(x.shape)
        only[0, 0] = first[0, 0]
        cands.append((only, "Only image 0, channel 0 got its gradient: loop over every image and every channel."))
    shapes = [(g.shape, "That is the pooled shape (grad_out's); dx has the shape of x, one entry per input pixel."),
              (x.shape[2:], "dx has the shape of x, (N, C, H, W): keep the image and channel axes.")]
    return cands, shapes


@graded
def check_max_pool2d_backward(fn, *, name="my_max_pool2d_backward", cases=MAX_POOL2D_BACKWARD_CASES):
    """Check a student's ``fn(x, grad_out, kernel_size, stride=None) → dx`` for max pooling (no padding).

    Shapes: x (N, C, H, W), grad_out (N, C, H', W') → dx (N, C, H, W). ``fn`` runs on the ``cases`` (see
    ``MAX_POOL2D_BACKWARD_CASES``: windows that tile, overlapping windows, the default stride, ties) and each
    result is compared with :func:`max_pool2d_backward` (torch's convention: on a tie the *first* maximum in
    reading order gets the gradient). A wrong result is named when it is one of
    :func:`max_pool2d_backward_mistakes`; an exception becomes a ❌ quoting it; None is "not answered yet".

    >>> check_max_pool2d_backward(lambda x, g, k, stride=None: max_pool2d_backward(x, g, k, stride))
    ... # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. my_max_pool2d_backward agrees with helpers.max_pool2d_backward on 6 cases: windows that tile
    and that overlap, the default stride, ties.
    """
    from .checks import Verdict, call_student, returned_none

    if fn is None:
        return Verdict(None, f"Replace the `None` with your function {name}, run the cell, then run this check "
                             "again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(x, grad_out, kernel_size, stride=None): …); "
                              f"got {describe(fn)}.")
    for c, (seed, n, chans, h, wd, k, stride, ties) in enumerate(cases):
        rng = np.random.default_rng(seed)
        x = rng.integers(0, 3, size=(n, chans, h, wd)).astype(float) if ties else rng.normal(size=(n, chans, h, wd))
        s = k if stride in (None, "default") else stride
        g = rng.normal(size=(n, chans, (h - k) // s + 1, (wd - k) // s + 1))
        args = (x.copy(), g.copy(), k) + (() if stride == "default" else (stride,))
        given = "stride left out" if stride == "default" else f"stride {stride}"
        where = (f"{'1 image' if n == 1 else f'{n} images'} of {chans} channel{'s' if chans > 1 else ''}, "
                 f"{h}×{wd}, kernel_size {k}, {given}{', with ties' if ties else ''}")
        got = call_student(fn, *args, name=name)
        if isinstance(got, Verdict):
            if stride in (None, "default") and "NoneType" in got.message:
                return Verdict(False, f"{got.message.split(' Likely cause')[0]} (on {where}). stride=None means "
                                      "stride = kernel_size (as in torch): replace it before using it, e.g. "
                                      "`if stride is None: stride = kernel_size`.")
            return Verdict(False, f"{got.message} (on {where})")
        if got is None:
            return returned_none(name, c == 0, where)
        cands, shapes = max_pool2d_backward_mistakes(x, g, k, s)
        verdict = _compare_part(got, max_pool2d_backward(x, g, k, s), "dx", cands, shapes)
        if not verdict.ok:
            return Verdict(False, f"On {where}: {verdict.message}")
    return Verdict(True, f"{name} agrees with helpers.max_pool2d_backward on {len(cases)} cases: windows that tile "
                         "and that overlap, the default stride, ties.")
