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
"""

from __future__ import annotations

import math

import numpy as np

from . import conv as _conv
from . import pool as _pool
from ._validate import as_array, describe, real

__all__ = [
    "avg_pool2d_backward", "check_gradient", "conv2d_backward", "conv2d_backward_naive", "gradient_report",
    "max_pool2d_backward", "numeric_gradient", "relative_error", "relu_backward",
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
