"""Figures the notebooks share: a small matrix with its numbers, a grid of images, boxes on a scene, the pushes of a
1D convolution's gradient.

Plotting aids, not lessons: each draws on a matplotlib axis (or returns a figure); the numbers it writes are
the ones the notebook computes and checks beside it. matplotlib is imported inside the functions, so
``import helpers`` stays light.
"""

from __future__ import annotations

import numpy as np

from ._text import number
from ._validate import as_array

# colour maps centred on zero: their colour limits are set symmetric (±) by default
_DIVERGING = {"RdBu", "RdBu_r", "bwr", "bwr_r", "coolwarm", "coolwarm_r", "seismic", "seismic_r", "PuOr", "PuOr_r"}
WINDOW_COLOURS = ["#2f9e44", "#1c7ed6", "#f59f00", "#ae3ec9"]
# a cell is dark (white text) below this luma (0.299 R + 0.587 G + 0.114 B): about where black and white text
# have the same contrast; RdBu's and coolwarm's pale default (± 1.6·max) stays above it: all numbers black
DARK_BELOW = 0.45
PUSH_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"]
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _matrix_2d(a, name):
    a = as_array(a, name).astype(float)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a matrix (2 dimensions, rows × columns); got shape {a.shape}. "
                         f"For one channel of a (C, H, W) array pass {name}[c].")
    return a


def show_matrix(ax, a, title="", *, cmap="gray", vmin=None, vmax=None, fmt=number, fontsize=10,
                windows=0, ticks=True):
    """Draw the matrix ``a`` (H, W) on ``ax`` as coloured cells with its numbers written in.

    ``cmap`` colours the cells: a diverging map (``"RdBu_r"``…) gets limits ± 1.6·max|a| by default (pale
    enough to read the numbers), any other map the range of ``a``. Numbers are written with ``fmt`` (a
    function of one number; the default writes whole numbers without a decimal point and a real minus
    sign), white on dark cells. ``windows=k`` outlines the k×k pooling windows; ``ticks`` numbers the rows
    and columns. Returns ``ax``.
    """
    import matplotlib as mpl

    a = _matrix_2d(a, "a")
    if vmin is None or vmax is None:
        m = float(np.abs(a).max()) or 1.0
        lo, hi = (-1.6 * m, 1.6 * m) if cmap in _DIVERGING else (float(a.min()), float(a.max()))
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    if vmax <= vmin:
        vmax = vmin + 1                       # a constant matrix: any colour, but a valid range
    ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    colours = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    for (r, c), v in np.ndenumerate(a):
        red, green, blue, _ = colours((v - vmin) / (vmax - vmin))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < DARK_BELOW
        ax.text(c, r, fmt(v), ha="center", va="center", fontsize=fontsize, color="white" if dark else "black")
    if windows:
        from matplotlib.patches import Rectangle

        k, n = int(windows), 0
        for i in range(a.shape[0] // k):
            for j in range(a.shape[1] // k):
                ax.add_patch(Rectangle((j * k - 0.45, i * k - 0.45), k - 0.1, k - 0.1, fill=False, lw=2.5,
                                       ec=WINDOW_COLOURS[n % len(WINDOW_COLOURS)]))
                n += 1
    if ticks:
        ax.set_xticks(range(a.shape[1]))
        ax.set_yticks(range(a.shape[0]))
        ax.tick_params(length=0, labelsize=8)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    return ax


def show_images(images, titles=None, *, ncols=10, size=0.9, cmap="gray_r", vmin=0, vmax=1, suptitle=None):
    """A grid of small images without axes, ``ncols`` to a row. Returns the figure.

    ``images``: grey (n, H, W) or (n, 1, H, W), drawn with ``cmap`` from ``vmin`` to ``vmax``; or colour
    (n, 3, H, W) as ``helpers.data`` and torch keep it (CIFAR-10) or (n, H, W, 3) as matplotlib keeps it, red,
    green, blue in [0, 1] (``cmap``, ``vmin`` and ``vmax`` do not apply). ``titles``: one short text per image
    (or None); ``size``: inches per image.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = show_images(np.zeros((3, 1, 8, 8)), titles=["a", "b", "c"], ncols=2)
    >>> [ax.get_title() for ax in fig.axes], fig.axes[3].axison
    (['a', 'b', 'c', ''], False)
    """
    import matplotlib.pyplot as plt

    images = as_array(images, "images")
    if images.ndim == 4 and images.shape[1] in (1, 3):        # channels first: (n, 1, H, W), (n, 3, H, W)
        images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
        raise ValueError(f"images must have shape (n, H, W) or (n, 1, H, W) for grey images, (n, 3, H, W) or "
                         f"(n, H, W, 3) for colour ones; got {images.shape}.")
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must hold one text per image: {n} images, {len(titles)} titles.")
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def show_image(ax, image, title="", *, cmap="gray", vmin=0, vmax=1):
    """One image (H, W) or (1, H, W) on ``ax``, without ticks. Returns ``ax``."""
    image = as_array(image, "image")
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 2:
        raise ValueError(f"image must have shape (H, W) or (1, H, W); got {image.shape}.")
    ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def draw_boxes(ax, boxes, color, *, lw=1.5, ls="-"):
    """Outline each box ``(top, left, bottom, right)`` (pixel rows and columns, bottom/right exclusive) on ``ax``.

    ``boxes`` is one box or an array (n, 4). Returns the patches drawn.
    """
    from matplotlib.patches import Rectangle

    boxes = np.asarray(boxes, dtype=float)
    if boxes.size % 4 or (boxes.ndim > 1 and boxes.shape[-1] != 4):
        raise ValueError(f"boxes must be (top, left, bottom, right) per box, shape (4,) or (n, 4); "
                         f"got shape {boxes.shape}.")
    patches = []
    for t, left, b, r in boxes.reshape(-1, 4):
        patches.append(ax.add_patch(Rectangle((left - 0.5, t - 0.5), r - left, b - t, fill=False, ec=color,
                                              lw=lw, ls=ls)))
    return patches


def _signed(v):
    """``+2``, ``−1``, ``0``: a push with its sign, a real minus, no ``−0``."""
    v = float(v) + 0.0                        # + 0.0 turns −0 into 0
    return ("+" if v > 0 else "") + number(v)


def draw_pushes(ax, x, grad_c, title=""):
    """Draw how a 1D convolution's output gradient ``grad_c`` reaches the weights, one line per use of a weight.

    ``x`` (L,) is the input and ``grad_c`` (L − K + 1,) is ∂L/∂c for c = conv1d(x, w) (stride 1, no padding), so
    the kernel has K = L − len(grad_c) + 1 weights. The line from x[i + k] to c[i] is one use of weight w_k
    (colour k of ``PUSH_COLOURS``), labelled with its push ∂L/∂c[i] · x[i + k]; zero pushes are faint. The
    title adds the pushes up per weight, ∂L/∂w_k = Σ_i ∂L/∂c[i] · x[i + k]. Returns those sums, shape (K,).

    >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    >>> draw_pushes(plt.figure().gca(), [0, 1, 0, 1, 1], [2, 0, 2, 0]).tolist()
    [0.0, 4.0]
    """
    x = as_array(x, "x").astype(float)
    grad_c = as_array(grad_c, "grad_c").astype(float)
    if x.ndim != 1 or grad_c.ndim != 1 or not 1 <= len(grad_c) <= len(x):
        raise ValueError(f"x and grad_c must be 1D with 1 ≤ len(grad_c) ≤ len(x) (one gradient per output of "
                         f"the convolution); got shapes {x.shape} and {grad_c.shape}.")
    K = len(x) - len(grad_c) + 1
    if K > len(PUSH_COLOURS):
        raise ValueError(f"draw_pushes draws kernels of at most {len(PUSH_COLOURS)} weights (one colour each); "
                         f"len(x) − len(grad_c) + 1 = {K}.")
    totals = np.zeros(K)
    for i, g in enumerate(grad_c):
        for k in range(K):
            push = g * x[i + k] + 0.0
            totals[k] += push
            colour = PUSH_COLOURS[k]
            ax.plot([i + k, i + 0.5], [0, 1], color=colour, lw=1.2 + 1.5 * (push != 0),
                    alpha=1.0 if push != 0 else 0.35)
            ax.text(0.45 * (i + k) + 0.55 * (i + 0.5), 0.55 + 0.1 * k, _signed(push), color=colour,
                    ha="center", fontsize=8, bbox=dict(fc="white", ec="none", pad=0.5))
    for j, v in enumerate(x):
        ax.text(j, -0.12, f"x{j}={number(v)}", ha="center", va="top", fontsize=8)
    for i, g in enumerate(grad_c):
        ax.text(i + 0.5, 1.08, f"∂L/∂c{i}={_signed(g)}", ha="center", va="bottom", fontsize=8)
    ax.text(-0.55, 0, "x", ha="right", va="center", fontsize=10, style="italic")
    ax.text(-0.55, 1, "c", ha="right", va="center", fontsize=10, style="italic")
    ax.scatter(range(len(x)), [0] * len(x), s=60, color="0.3", zorder=3)
    ax.scatter(np.arange(len(grad_c)) + 0.5, [1] * len(grad_c), s=60, color="0.3", zorder=3)
    sums = ",  ".join(f"∂L/∂w{str(k).translate(_SUBSCRIPT)} = {_signed(t)}" for k, t in enumerate(totals))
    ax.set_title(f"{title}\n{sums}" if title else sums, fontsize=9)
    ax.set_xlim(-0.9, len(x) - 0.4)
    ax.set_ylim(-0.35, 1.35)
    ax.axis("off")
    return totals


__all__ = ["draw_boxes", "draw_pushes", "show_image", "show_images", "show_matrix"]
