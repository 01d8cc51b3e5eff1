"""Figures the notebooks share: a small matrix with its numbers, a grid of images, boxes on a scene.

Plotting aids, not lessons: each draws on a matplotlib axis (or returns a figure) and computes nothing a
notebook teaches. matplotlib is imported inside the functions, so ``import helpers`` stays light.
"""

from __future__ import annotations

import numpy as np

from ._text import number
from ._validate import as_array

# colour maps centred on zero: their colour limits are set symmetric (±) by default
_DIVERGING = {"RdBu", "RdBu_r", "bwr", "bwr_r", "coolwarm", "coolwarm_r", "seismic", "seismic_r", "PuOr", "PuOr_r"}
WINDOW_COLOURS = ["#2f9e44", "#1c7ed6", "#f59f00", "#ae3ec9"]


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
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
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
    """A grid of small images without axes; ``images`` (n, H, W) or (n, 1, H, W). Returns the figure.

    ``titles``: one short text per image (or None); ``size``: inches per image.
    """
    import matplotlib.pyplot as plt

    images = as_array(images, "images")
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or (n, 1, H, W); got {images.shape}.")
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


__all__ = ["draw_boxes", "show_image", "show_images", "show_matrix"]
