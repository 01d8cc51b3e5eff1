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
Integer inputs give exact integer outputs.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from ._threads import num_threads, share
from ._validate import as_array, pair, result_dtype
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
    """
    forms = _FORMS_2D if spatial == 2 else _FORMS_1D
    if transposed:
        forms = forms.replace("(C_out, C_in,", "(C_in, C_out,")
    x = as_array(x, "x")
    w = as_array(w, "w")
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
        raise ValueError(
            f"channel mismatch: x has {x.shape[1]} input channel{'s' if x.shape[1] != 1 else ''} "
            f"(shape {x.shape if drop == 0 else x.shape[1:]}) but the kernel expects {c_in_w} ({where} "
            f"of w with shape {w.shape}). Each kernel needs one {('KH×KW' if spatial == 2 else 'K-long')} "
            "slice per input channel."
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


def _padding(padding, kernel, dilation, stride, spatial):
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


def _check_fits(in_sizes, kernel, stride, pads, dilation, axes_names):
    out = []
    for n, (i, k, s, (p0, p1), d) in enumerate(zip(in_sizes, kernel, stride, pads, dilation)):
        span = d * (k - 1) + 1
        o = (i + p0 + p1 - span) // s + 1
        if o < 1:
            kern = "×".join(str(v) for v in kernel)
            padded = "×".join(str(a + b0 + b1) for a, (b0, b1) in zip(in_sizes, pads))
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


def _prepare(x, w, b, stride, padding, dilation, spatial, transposed=False):
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


def _pad(x, pads, dtype=None):
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

    How: im2col (the padded input's windows copied into columns, a few images at a time), then a
    matrix product per image, the bias included. A large floating-point convolution is shared among a
    few threads, one per core (the environment variable ``HELPERS_NUM_THREADS`` sets how many; ``1``
    keeps it on one); the numbers are the same either way.

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
    x, w, b, drop, stride, dilation = _prepare(x, w, b, stride, padding, dilation, 2)
    pads = _padding(padding, w.shape[2:], dilation, stride, 2)
    return np.ascontiguousarray(_unbatch(_conv2d_batched(x, w, b, stride, pads, dilation), drop))


# Bytes of im2col columns built at a time: small enough to stay in a core's L2 cache between being
# written and being read by the matrix product (benchmarks/README.md says what this bought).
_IM2COL_BYTES = 1 << 19
# ... and when threads share the work: fewer, larger chunks (each hand-over of the GIL between threads
# costs time; 0.75–1.5 MiB measured best on the benchmark's layers).
_IM2COL_BYTES_SHARED = 1 << 20
# Floating-point work (multiply-adds × 2) below which one thread does the whole convolution: handing
# chunks to a second thread costs some tens of microseconds, which a small convolution does not win back.
_PARALLEL_MIN_FLOPS = 8_000_000
# Products of at most about 10⁶ multiply-adds (rows × inner size × columns) ran at 140–175 GFLOP/s with
# numpy's OpenBLAS here, larger ones at 110 (its kernels for small matrices skip packing the operands):
# each image's product is done in column blocks below that size (benchmarks/README.md).
_SMALL_PRODUCT = 1_000_000
# Scratch arrays up to this size are kept (one of each kind per thread) for the next call.
_SCRATCH_BYTES = 1 << 23
_scratch = threading.local()


def _scratch_array(kind, shape, dtype):
    """An uninitialised array for this thread's own use, kept for the next call that needs one this size.

    Fresh memory costs a page fault per 4 KiB the first time it is written: for a layer of the benchmark
    that was as long as the arithmetic. Arrays above _SCRATCH_BYTES are not kept.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > _SCRATCH_BYTES:
        return np.empty(shape, dtype=dtype)
    store = _scratch.__dict__
    raw = store.get(kind)
    if raw is None or raw.nbytes < nbytes:
        raw = store[kind] = np.empty(max(nbytes, 64), dtype=np.uint8)
    return raw[:nbytes].view(dtype).reshape(shape)


def _padded_buffer(shape, pads, pitch, head, tail, dtype):
    """A flat buffer for x (N, C, H, W) with zeros around it; x is not copied in yet.

    Rows are ``pitch`` numbers apart, and the buffer has ``head`` zeros before the first padded row and
    ``tail`` after the last. Returns (flat, view (N, C, Hp, pitch) starting after the head). The buffer
    is this thread's scratch: when the last call had the same layout, its zeros are still in place and
    only the interior needs to be copied again.
    """
    (top, bottom), _ = pads
    n, c, h, wd = shape
    padded = (n, c, h + top + bottom, pitch)
    size = head + math.prod(padded) + tail
    key = (padded, head, tail, top, pads[1], dtype.str)
    if size * dtype.itemsize > _SCRATCH_BYTES:
        flat = np.zeros(size, dtype=dtype)
    else:
        flat = _scratch_array("padded", (size,), dtype)
        if getattr(_scratch, "padded_key", None) != key:
            flat.fill(0)
            _scratch.padded_key = key
    return flat, flat[head:size - tail].reshape(padded)


def _conv2d_batched(x, w, b, stride, pads, dilation):
    """im2col + one matrix product per image, on checked, batched inputs; pads is [(top, bottom), (left, right)].

    The padded input lives in one flat buffer, and ``windows[n, c, u, v, i, t] = xpad[n, c, i·sh + u·dh,
    t·sw + v·dw]`` is a strided view of it (no copy). Copying the view for a few images at a time (a
    chunk) gives their im2col columns, shape (m, C_in·KH·KW, H'·W'), and ``w (C_out, C_in·KH·KW) @
    columns`` is the output (m, C_out, H'·W'), already in (N, C_out, H', W') order. The bias rides along
    in the same product: the columns get one more row, all ones, and the kernel matrix one more column,
    the biases.

    With stride 1 along the width, the view runs t over the whole padded width Wp instead of W': then
    each window row is one contiguous run of memory, so the copy is a few long memcpy-like moves instead
    of many short ones. The Wp − W' extra columns (they read into the next row) are dropped when the
    chunk's result is copied into the output.

    A large floating-point convolution shares its chunks among a few threads (:mod:`helpers._threads`):
    NumPy lets go of the GIL while it copies and multiplies, and each image is computed the same way
    whichever thread takes it, so the numbers do not depend on the number of threads.
    """
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho, wo = _check_fits((h, wd), (kh, kw), stride, pads, dilation, ("height", "width"))
    dtype = result_dtype(x, w, b)
    sh, sw = stride
    dh, dw = dilation
    (top, _), (left, right) = pads
    if sw == 1 and left <= right and left <= dw * (kw - 1):
        # whole rows, and one zero column between two rows serves as the right padding of the one and the
        # left padding of the next: rows of wd + right numbers, the `left` zeros before a row are the end
        # of the row above (and a head of zeros before the first); fewer extra columns to compute
        pitch, stored_left, head = wd + right, 0, left
    else:
        pitch, stored_left, head = wd + left + right, left, 0
    wq = pitch if sw == 1 else wo                     # output columns computed per row
    # the tail keeps the extra columns of the very last row inside the buffer
    flat, xp = _padded_buffer(x.shape, pads, pitch, head, dw * (kw - 1), dtype)
    s_n, s_c, s_h, s_w = xp.strides
    # windows[n, c, u, v, i, t] is padded pixel (i·sh + u·dh, t·sw + v·dw): row · pitch + column from flat[0]
    windows = np.ndarray((n, c_in, kh, kw, ho, wq), dtype=dtype, buffer=flat,       # a view, as as_strided makes
                         strides=(s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw))
    k = c_in * kh * kw
    rows = k if b is None else k + 1                  # + the row of ones that carries the bias
    w_mat = np.empty((c_out, rows), dtype=dtype)
    w_mat[:, :k] = w.reshape(c_out, k)
    if b is not None:
        w_mat[:, k] = b
    out = np.empty((n, c_out, ho, wo), dtype=dtype)

    # chunks of images whose columns fill about _IM2COL_BYTES, of nearly equal sizes; shared work gets
    # a multiple of the number of threads, so that they finish together
    threads = num_threads() if dtype.kind == "f" and 2 * n * c_out * rows * ho * wq >= _PARALLEL_MIN_FLOPS else 1
    per_image = rows * ho * wq * dtype.itemsize
    parts = min(n, -(-n * per_image // (_IM2COL_BYTES if threads == 1 else _IM2COL_BYTES_SHARED)))
    if threads > 1:
        parts = min(n, -(-max(parts, threads) // threads) * threads)
    bounds = [i * n // parts for i in range(parts + 1)]
    step = max(hi - lo for lo, hi in zip(bounds, bounds[1:]))

    # each image's product in column blocks of at most _SMALL_PRODUCT multiply-adds (rows × inner × columns)
    length = ho * wq
    blocks = max(1, -(-c_out * rows * length // _SMALL_PRODUCT))
    edges = [i * length // blocks for i in range(blocks + 1)]
    pieces = [slice(a, z) for a, z in zip(edges, edges[1:])]

    def run(chunks):
        """Convolve the chunks (first and last image) that this thread takes from the iterator ``chunks``."""
        cols = _scratch_array("cols", (step, rows, ho * wq), dtype)
        cols[:, k:] = 1                               # the bias row (nothing when there is no bias)
        wide = _scratch_array("wide", (step, c_out, ho, wq), dtype) if wq != wo else None
        for first, last in chunks:
            m = last - first
            # pad and cast in one copy. The whole-row windows of the chunk's last image also read the first
            # row of the next image for their extra columns, whose results are dropped: those may read
            # numbers that another thread is writing.
            xp[first:last, :, top:top + h, stored_left:stored_left + wd] = x[first:last]
            np.copyto(cols[:m, :k].reshape(m, c_in, kh, kw, ho, wq), windows[first:last])   # im2col
            dest = (out[first:last] if wide is None else wide[:m]).reshape(m, c_out, ho * wq)
            for piece in pieces:                      # column blocks small enough for BLAS's fast kernels
                np.matmul(w_mat, cols[:m, :, piece], out=dest[:, :, piece])
            if wide is not None:
                out[first:last] = wide[:m, :, :, :wo]                         # drop the extra columns

    chunks = zip(bounds, bounds[1:])                  # shared: next() hands each chunk to one thread
    if threads > 1:
        share(run, chunks, most=parts)
    else:
        run(chunks)
    return out


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """2D cross-correlation with explicit loops, written to be read: same signature and result as :func:`conv2d`.

    For every output position, cut out the patch of the padded input under the kernel and take
    the dot product of patch and kernel (multiply entry by entry, then add everything up).

    >>> conv2d_naive([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    array([[-4, -4],
           [-4, -4]])
    """
    x, w, b, drop, stride, dilation = _prepare(x, w, b, stride, padding, dilation, 2)
    pads = _padding(padding, w.shape[2:], dilation, stride, 2)
    n_images, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    out_h, out_w = _check_fits((h, wd), (kh, kw), stride, pads, dilation, ("height", "width"))
    dtype = result_dtype(x, w, b)
    padded = _pad(x.astype(dtype), pads)
    out = np.zeros((n_images, c_out, out_h, out_w), dtype=dtype)
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
    pads = _padding(padding, w.shape[2:], dilation, stride, 1)
    _check_fits(x.shape[2:], w.shape[2:], stride, pads, dilation, ("length",))
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
    x, w, b, drop, stride, dilation = _prepare(x, w, b, stride, 0, dilation, 2, transposed=True)
    pads = pair(padding, "padding", minimum=0, ndim=2)
    out_pad = pair(output_padding, "output_padding", minimum=0, ndim=2)
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    sizes = [conv_transpose_output_size(i, k, s, p, op, d)     # checks output_padding and over-cropping
             for i, k, s, p, op, d in zip((h, wd), (kh, kw), stride, pads, out_pad, dilation)]
    dtype = result_dtype(x, w, b)
    full_h = stride[0] * (h - 1) + dilation[0] * (kh - 1) + 1 + out_pad[0]
    full_w = stride[1] * (wd - 1) + dilation[1] * (kw - 1) + 1 + out_pad[1]
    full = np.zeros((n, c_out, full_h, full_w), dtype=dtype)
    xd = x.astype(dtype, copy=False)
    wd_ = w.astype(dtype, copy=False)
    for u in range(kh):
        for v in range(kw):
            # contribution of kernel tap (u, v): x times w[:, :, u, v], placed every stride pixels
            contrib = np.einsum("nchw,co->nohw", xd, wd_[:, :, u, v])
            r0, c0 = u * dilation[0], v * dilation[1]
            full[:, :, r0:r0 + stride[0] * (h - 1) + 1:stride[0],
                 c0:c0 + stride[1] * (wd - 1) + 1:stride[1]] += contrib
    out = full[:, :, pads[0]:pads[0] + sizes[0], pads[1]:pads[1] + sizes[1]]
    if b is not None:
        out = out + b.astype(dtype, copy=False).reshape(1, c_out, 1, 1)
    return np.ascontiguousarray(_unbatch(out, drop))


__all__ = ["conv1d", "conv2d", "conv2d_naive", "conv_transpose2d"]
