"""Convolution (strictly: cross-correlation, as in torch) in one and two dimensions, with NumPy.

Shapes follow torch.nn.functional, plus the seed lectures' single-image form:

==================  ==========================  =========================
x                   w                           result
==================  ==========================  =========================
(H, W)              (KH, KW)                    (H', W')
(C_in, H, W)        (C_out, C_in, KH, KW)       (C_out, H', W')
(N, C_in, H, W)     (C_out, C_in, KH, KW)       (N, C_out, H', W')
==================  ==========================  =========================

with ``H' = ⌊(H + 2·pad − dilation·(KH − 1) − 1)/stride⌋ + 1`` (and the same for W').
Integer inputs (any integer dtype) give exact int64 outputs; floats keep their dtype.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._text import shape as shape_text
from ._validate import as_array, empty_message, exact_operands, pair
from .sizes import conv_transpose_output_size

_FORMS_2D = (
    "x (H, W) with w (KH, KW); x (C_in, H, W) or (N, C_in, H, W) with w (C_out, C_in, KH, KW)"
)
_FORMS_1D = "x (L,) with w (K,); x (C_in, L) or (N, C_in, L) with w (C_out, C_in, K)"


# --------------------------------------------------------------------------- argument handling
def _normalise(x, w, b, *, spatial: int, transposed: bool = False):
    """Check x, w, b and bring them to the batched form (N, C, *spatial).

    Returns x, w, b (as arrays, bias of length C_out or None) and the number of leading
    dimensions to drop from the result (2 for the single-image form, 1 for unbatched).
    A batch of N = 0 images (batched form only) is accepted, as in torch: the result is empty too.
    """
    forms = _FORMS_2D if spatial == 2 else _FORMS_1D
    if transposed:
        forms = forms.replace("(C_out, C_in,", "(C_in, C_out,")
    x = as_array(x, "x", empty="batch")
    w = as_array(w, "w")
    if x.size == 0 and x.ndim != spatial + 2:
        raise ValueError(empty_message(x.shape, "x"))
    single = spatial          # ndim of a single image: (H, W) or (L,)
    if x.ndim == single:
        if w.ndim != single:
            raise ValueError(
                f"x has shape {x.shape}, a single {'image' if spatial == 2 else 'signal'} without channels, "
                f"so w must have {single} dimension{'s' if single > 1 else ''} too; got w of shape {w.shape}. "
                f"Fitting forms: {forms}."
            )
        x = x.reshape((1, 1) + x.shape)
        w = w.reshape((1, 1) + w.shape)
        drop = 2
    elif x.ndim in (single + 1, single + 2):
        if w.ndim != single + 2:
            raise ValueError(
                f"x has shape {x.shape} (channels first), so w must have {single + 2} dimensions "
                f"({'C_in, C_out' if transposed else 'C_out, C_in'}, {'KH, KW' if spatial == 2 else 'K'}); "
                f"got w of shape {w.shape}. Fitting forms: {forms}."
            )
        drop = 1 if x.ndim == single + 1 else 0
        if drop:
            x = x[None]
    else:
        raise ValueError(f"x must have {single}, {single + 1} or {single + 2} dimensions, got shape {x.shape}. "
                         f"Fitting forms: {forms}.")
    c_in_w = w.shape[0] if transposed else w.shape[1]
    if x.shape[1] != c_in_w:
        where = "w.shape[0]" if transposed else "w.shape[1]"
        given = x.shape if drop == 0 else x.shape[1:]
        hint = ""
        if given[-1] == c_in_w:          # the channels are the last axis: an image as (H, W, C)
            nd = len(given)
            axes = (0, nd - 1) + tuple(range(1, nd - 1)) if drop == 0 else (nd - 1,) + tuple(range(nd - 1))
            space = "H, W" if spatial == 2 else "L"
            order = f"(N, {space}, C)" if drop == 0 else f"({space}, C)"
            hint = (f" x looks channels-last {order}: the channels must come first — "
                    f"x.transpose({', '.join(map(str, axes))}) moves them there.")
        raise ValueError(
            f"channel mismatch: x has {x.shape[1]} input channel{'s' if x.shape[1] != 1 else ''} "
            f"(shape {given}) but the kernel expects {c_in_w} ({where} "
            f"of w with shape {w.shape}). Each kernel needs one {('KH×KW' if spatial == 2 else 'K-long')} "
            "slice per input channel." + hint
        )
    c_out = w.shape[1] if transposed else w.shape[0]
    if b is not None:
        b = as_array(b, "b")
        if b.ndim == 0:
            if c_out != 1:
                raise ValueError(f"b is a single number but there are {c_out} output channels: "
                                 f"pass one bias per output channel, shape ({c_out},).")
            b = b.reshape(1)
        elif b.shape != (c_out,):
            raise ValueError(f"b must hold one bias per output channel, shape ({c_out},); got shape {b.shape}.")
    return x, w, b, drop


# --------------------------------------------------------------------------- internal API
# prepare, padding_pairs, output_sizes and pad_zeros are shared with helpers.backward and helpers.matrix
# (the same arguments, checked the same way); they are not re-exported from helpers.
def padding_pairs(padding, kernel, dilation, stride, spatial):
    """Return per-axis (before, after) padding from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return [(0, 0)] * spatial
        if mode == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"padding='same' needs stride 1 (got stride {stride if spatial == 2 else stride[0]}): with a "
                    "larger stride the output cannot be the same size as the input. Give padding as a number."
                )
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))   # torch puts the odd pixel after
            return pads
        raise ValueError(f"padding must be a number, a pair, 'valid' or 'same'; got the text {padding!r}.")
    p = pair(padding, "padding", minimum=0, ndim=spatial)
    return [(v, v) for v in p]


def output_sizes(in_sizes, kernel, stride, pads, dilation, axes_names):
    """The output size along each axis, ``⌊(i + p0 + p1 − d(k − 1) − 1)/s⌋ + 1``; a ValueError that shows the
    arithmetic when the kernel does not fit."""
    out = []
    for n, (i, k, s, (p0, p1), d) in enumerate(zip(in_sizes, kernel, stride, pads, dilation)):
        span = d * (k - 1) + 1
        o = (i + p0 + p1 - span) // s + 1
        if o < 1:
            kern = shape_text(kernel)
            padded = shape_text(a + b0 + b1 for a, (b0, b1) in zip(in_sizes, pads))
            pad_text = f"{p0}" if p0 == p1 else f"({p0}+{p1})/2"
            dil = f"{d}·({k} − 1) − 1" if d > 1 else f"{k}"
            raise ValueError(
                f"kernel {kern}{f' (dilation {d}, spanning {span})' if d > 1 else ''} does not fit in the "
                f"padded input {padded}: output {axes_names[n]} would be "
                f"({i} + 2·{pad_text} − {dil})//{s} + 1 = {str(o).replace('-', '−')}. "
                "Use a smaller kernel or more padding."
            )
        out.append(o)
    return out


def prepare(x, w, b, stride, padding, dilation, spatial, transposed=False):
    """Checked, batched x, w, b, the number of leading axes to drop from the result, stride and dilation."""
    x, w, b, drop = _normalise(x, w, b, spatial=spatial, transposed=transposed)
    stride = pair(stride, "stride", minimum=1, ndim=spatial)
    dilation = pair(dilation, "dilation", minimum=1, ndim=spatial)
    return x, w, b, drop, stride, dilation


def _unbatch(out, drop):
    if drop == 2:
        return out[0, 0]
    if drop == 1:
        return out[0]
    return out


def pad_zeros(x, pads, dtype=None):
    """x (N, C, *spatial) with zeros added around the spatial axes; cast to ``dtype`` in the same copy.

    One allocation and one copy (``np.pad`` does the same work with far more Python overhead);
    without padding and with x already of ``dtype``, x itself comes back.
    """
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    if all(p == (0, 0) for p in pads):
        return x.astype(dtype, copy=False)
    shape = x.shape[:2] + tuple(size + before + after for size, (before, after) in zip(x.shape[2:], pads))
    xp = np.zeros(shape, dtype=dtype)
    xp[(slice(None), slice(None)) + tuple(slice(before, before + size)
                                          for size, (before, _) in zip(x.shape[2:], pads))] = x
    return xp


# --------------------------------------------------------------------------- 2D
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """2D cross-correlation of ``x`` with kernels ``w`` (what torch calls conv2d), vectorized.

    Shapes: x (H, W) with w (KH, KW) → (H', W'); x (C_in, H, W) → (C_out, H', W');
    x (N, C_in, H, W) → (N, C_out, H', W'), with w (C_out, C_in, KH, KW) and b (C_out,).
    ``stride``, ``padding`` and ``dilation`` are an int or a (height, width) pair; padding may
    also be ``"valid"`` (0) or ``"same"`` (output as large as the input; stride 1 only).

    Formula: ``out[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v xpad[n, c, i·s + u·d, j·s + v·d] · w[o, c, u, v]``,
    with ``H' = ⌊(H + 2p − d(KH − 1) − 1)/s⌋ + 1``.

    How (im2col): pad, copy every window of the padded input into a column, and take all the dot
    products at once with one matrix product — the same sums as :func:`conv2d_naive`, with the loops
    done by NumPy. Integers (any integer dtype, e.g. uint8 pixels) are added up in int64 and the result is
    int64, exact; if even int64 could overflow, a ``ValueError`` says so. Floats keep their precision
    (float32 in, float32 out). Nothing is kept between calls.

    The seed lecture's vertical-edge detector on a 5×6 image:

    >>> import numpy as np
    >>> image = np.array([[0, 0, 0, 0, 0, 0],
    ...                   [0, 1, 0, 0, 0, 0],
    ...                   [0, 1, 1, 1, 1, 1],
    ...                   [0, 1, 0, 0, 0, 0],
    ...                   [0, 0, 0, 0, 0, 0]])
    >>> kernel = np.array([[-1, 2, -1]] * 3)
    >>> conv2d(image, kernel)
    array([[ 3, -1,  0,  0],
           [ 5, -2,  0,  0],
           [ 3, -1,  0,  0]])
    """
    x, w, b, drop, stride, dilation = prepare(x, w, b, stride, padding, dilation, 2)
    pads = padding_pairs(padding, w.shape[2:], dilation, stride, 2)
    return np.ascontiguousarray(_unbatch(_conv2d_batched(x, w, b, stride, pads, dilation), drop))


def _conv2d_batched(x, w, b, stride, pads, dilation):
    """The arithmetic of :func:`conv2d` on checked inputs: x (N, C_in, H, W), w (C_out, C_in, KH, KW),
    b (C_out,) or None, pads [(top, bottom), (left, right)]. Returns (N, C_out, H', W')."""
    c_out, c_in, kh, kw = w.shape
    out_h, out_w = output_sizes(x.shape[2:], (kh, kw), stride, pads, dilation, ("height", "width"))
    x, w, b = exact_operands(x, w, b)
    (sh, sw), (dh, dw) = stride, dilation

    padded = pad_zeros(x, pads)                                           # (N, C_in, Hp, Wp)
    # every window the kernel spans, a view of `padded` (no copy): (N, C_in, Hp−spanH+1, Wp−spanW+1, spanH, spanW)
    windows = sliding_window_view(padded, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    # keep every stride-th window and every dilation-th pixel in it: (N, C_in, H', W', KH, KW)
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :out_h, :out_w]
    # im2col: one column per output position holding its window's C_in·KH·KW numbers (this copies):
    # (N, C_in, KH, KW, H', W') → (N, C_in·KH·KW, H'·W')
    columns = windows.transpose(0, 1, 4, 5, 2, 3).reshape(len(x), c_in * kh * kw, out_h * out_w)
    # every output channel's kernel as a row, times every column: (C_out, C_in·KH·KW) @ → (N, C_out, H'·W')
    out = w.reshape(c_out, c_in * kh * kw) @ columns
    if b is not None:
        out += b[:, None]                                            # one bias per output channel
    return out.reshape(len(x), c_out, out_h, out_w)


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """2D cross-correlation with explicit loops, written to be read: same signature and result as :func:`conv2d`.

    For every output position, cut out the patch of the padded input under the kernel and take
    the dot product of patch and kernel (multiply entry by entry, then add everything up).

    >>> conv2d_naive([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    array([[-4, -4],
           [-4, -4]])
    """
    x, w, b, drop, stride, dilation = prepare(x, w, b, stride, padding, dilation, 2)
    pads = padding_pairs(padding, w.shape[2:], dilation, stride, 2)
    n_images, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    out_h, out_w = output_sizes((h, wd), (kh, kw), stride, pads, dilation, ("height", "width"))
    x, w, b = exact_operands(x, w, b)           # integers as int64 (exact), floats as they are
    padded = pad_zeros(x, pads)
    out = np.zeros((n_images, c_out, out_h, out_w), dtype=x.dtype)
    # These four loops are mirrored on purpose by helpers.backward.conv2d_backward_naive: the backward pass
    # visits the same windows in the same order, so a reader can lay the two side by side.
    for n in range(n_images):                     # every image in the batch
        for o in range(c_out):                    # every kernel → one output channel
            for i in range(out_h):                # every output row
                for j in range(out_w):            # every output column
                    top = i * stride[0]
                    left = j * stride[1]
                    # the patch under the kernel: all input channels, kh×kw pixels (every d-th one)
                    patch = padded[n, :,
                                   top:top + dilation[0] * (kh - 1) + 1:dilation[0],
                                   left:left + dilation[1] * (kw - 1) + 1:dilation[1]]
                    out[n, o, i, j] = np.sum(patch * w[o])
                    if b is not None:
                        out[n, o, i, j] += b[o]
    return _unbatch(out, drop)


# --------------------------------------------------------------------------- 1D
def conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    """1D cross-correlation: slide ``w`` along ``x`` and take a dot product at each position.

    Shapes: x (L,) with w (K,) → (L',); x (C_in, L) → (C_out, L'); x (N, C_in, L) → (N, C_out, L'),
    with w (C_out, C_in, K) and b (C_out,). Formula: ``out[i] = b + Σ_k x[i·s + k·d] · w[k]``,
    ``L' = ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1``.

    The seed lecture's two examples with the filter [-1, 1]:

    >>> conv1d([0, 1, 0, 1, 1], [-1, 1])
    array([ 1, -1,  1,  0])
    >>> conv1d([0, 1, -1, 1, 1], [-1, 1])
    array([ 1, -2,  2,  0])
    """
    x, w, b, drop = _normalise(x, w, b, spatial=1)
    stride = pair(stride, "stride", minimum=1, ndim=1)
    dilation = pair(dilation, "dilation", minimum=1, ndim=1)
    pads = padding_pairs(padding, w.shape[2:], dilation, stride, 1)
    output_sizes(x.shape[2:], w.shape[2:], stride, pads, dilation, ("length",))
    out = _conv2d_batched(x[:, :, None, :], w[:, :, None, :], b, (1, stride[0]), [(0, 0), pads[0]],
                          (1, dilation[0]))
    return np.ascontiguousarray(_unbatch(out[:, :, 0, :], drop))


# --------------------------------------------------------------------------- transposed 2D
def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """2D transposed convolution (torch's conv_transpose2d): every input pixel stamps a scaled kernel.

    Shapes: x (H, W) with w (KH, KW) → (H', W'); x (C_in, H, W) → (C_out, H', W');
    x (N, C_in, H, W) → (N, C_out, H', W'), with w (C_in, C_out, KH, KW) — note C_in first, as in torch.
    Formula: ``H' = s(H − 1) − 2p + d(KH − 1) + output_padding + 1``. Input pixel (i, j) adds
    ``x[i, j] · w`` to the output window starting at (i·s, j·s); then ``p`` rows and columns are cropped
    from each border. It is the gradient of :func:`conv2d` with respect to its input.

    >>> conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], stride=2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2],
           [3, 3, 4, 4],
           [3, 3, 4, 4]])
    >>> conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]])        # stride 1: the stamps overlap
    array([[ 1,  3,  2],
           [ 4, 10,  6],
           [ 3,  7,  4]])
    """
    x, w, b, drop, stride, dilation = prepare(x, w, b, stride, 0, dilation, 2, transposed=True)
    pads = pair(padding, "padding", minimum=0, ndim=2)
    out_pad = pair(output_padding, "output_padding", minimum=0, ndim=2)
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    sizes = [conv_transpose_output_size(i, k, s, p, op, d)     # checks output_padding and over-cropping
             for i, k, s, p, op, d in zip((h, wd), (kh, kw), stride, pads, out_pad, dilation)]
    xd, wd_, b = exact_operands(x, w, b)
    dtype = xd.dtype
    full_h = stride[0] * (h - 1) + dilation[0] * (kh - 1) + 1 + out_pad[0]
    full_w = stride[1] * (wd - 1) + dilation[1] * (kw - 1) + 1 + out_pad[1]
    full = np.zeros((n, c_out, full_h, full_w), dtype=dtype)
    for u in range(kh):
        for v in range(kw):
            # contribution of kernel tap (u, v): x times w[:, :, u, v], placed every stride pixels
            contrib = np.einsum("nchw,co->nohw", xd, wd_[:, :, u, v])
            r0, c0 = u * dilation[0], v * dilation[1]
            full[:, :, r0:r0 + stride[0] * (h - 1) + 1:stride[0],
                 c0:c0 + stride[1] * (wd - 1) + 1:stride[1]] += contrib
    out = full[:, :, pads[0]:pads[0] + sizes[0], pads[1]:pads[1] + sizes[1]]
    if b is not None:
        out = out + b.reshape(1, c_out, 1, 1)
    return np.ascontiguousarray(_unbatch(out, drop))


__all__ = ["conv1d", "conv2d", "conv2d_naive", "conv_transpose2d"]
