"""Pool a real feature map with any window and stride and see what survives (notebook 05).

The feature map is an edge map of the bundled photo: the seed lecture's vertical-edge kernel on the
grey 64-pixel portrait, followed by a ReLU, as the first block of a CNN would produce it
(:func:`edge_map`). :func:`pool_summary` is the pure core: it pools with max or average, and counts
how many numbers go in and come out (the "kept fraction"), and how many input pixels no window ever
looks at (when the stride is larger than the window). :class:`PoolingExplorer` shows the input with
the first windows outlined, the pooled output, and those counts.
"""

from __future__ import annotations

import functools

import numpy as np

from .._validate import as_array, int_param
from .base import Explorer

VERTICAL_EDGE = np.array([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]])     # the seed lecture's kernel
MAX_WINDOW = 8


@functools.lru_cache(maxsize=4)
def _edge_map_cached(size: int) -> np.ndarray:
    from ..conv import conv2d
    from ..images import load_photo

    gray = load_photo(gray=True, size=size)
    return np.maximum(conv2d(gray, VERTICAL_EDGE), 0.0)


def edge_map(size: int = 64) -> np.ndarray:
    """ReLU of the vertical-edge kernel on the grey photo: a feature map as a first conv layer makes it.

    Shape: the grey photo is about ``size`` pixels on its short side, the map two pixels less each way.

    >>> edge_map().shape
    (73, 62)
    >>> float(edge_map().min())
    0.0
    """
    return _edge_map_cached(int_param(size, "size", minimum=8)).copy()


def pool_summary(x, kernel_size, stride=None, mode="max") -> dict:
    """Pool ``x`` (H, W) and count what goes in and what comes out.

    Returns ``pooled`` (H', W') with ``H' = ⌊(H − k)/s⌋ + 1``, the shapes, ``n_in = H·W``,
    ``n_out = H'·W'``, ``kept_fraction = n_out / n_in`` (one number per window: a 2×2 pool with stride
    2 keeps about 1 in 4, discarding 75 %), ``discarded_fraction = 1 − kept_fraction``, and
    ``unseen_fraction``: the share of input pixels that lie in no window at all (the right and bottom
    leftovers, and the gaps between windows when the stride is larger than the window).

    >>> r = pool_summary(np.arange(16).reshape(4, 4), 2)
    >>> r["pooled"].tolist(), r["kept_fraction"], r["discarded_fraction"]
    ([[5, 7], [13, 15]], 0.25, 0.75)
    >>> pool_summary(np.arange(25).reshape(5, 5), 2)["unseen_fraction"]    # the last row and column
    0.36
    """
    from ..pool import avg_pool2d, max_pool2d

    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}.")
    x = as_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must be one feature map of shape (H, W), got shape {x.shape}.")
    k = int_param(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else int_param(stride, "stride", minimum=1)
    pooled = (max_pool2d if mode == "max" else avg_pool2d)(x, k, s)
    ho, wo = pooled.shape
    # which input pixels lie in at least one window: mark each window's rows and columns
    rows = np.zeros(x.shape[0], dtype=bool)
    cols = np.zeros(x.shape[1], dtype=bool)
    for i in range(ho):
        rows[i * s:i * s + k] = True
    for j in range(wo):
        cols[j * s:j * s + k] = True
    seen = np.outer(rows, cols)
    n_in, n_out = x.size, pooled.size
    return {
        "pooled": pooled,
        "input_shape": tuple(x.shape),
        "output_shape": (ho, wo),
        "kernel_size": k,
        "stride": s,
        "n_in": n_in,
        "n_out": n_out,
        "kept_fraction": n_out / n_in,
        "discarded_fraction": 1 - n_out / n_in,
        "unseen_fraction": 1 - int(seen.sum()) / n_in,
    }


class PoolingExplorer(Explorer):
    """Max or average pooling of an edge map of the photo, with a window size and a stride to choose.

    State: ``mode`` ("max" or "avg"), ``kernel_size`` (1 … 8) and ``stride`` (1 … 8). The feature map is
    :func:`edge_map` unless you pass your own 2-D array.

    >>> ex = PoolingExplorer()
    >>> r = ex.compute(mode="max", kernel_size=2, stride=2)
    >>> r["input_shape"], r["output_shape"], round(r["kept_fraction"], 4)
    ((73, 62), (36, 31), 0.2466)
    """

    figsize = (7.6, 4.2)
    dpi = 72

    def __init__(self, feature_map=None, *, mode="max", kernel_size=2, stride=2):
        x = edge_map() if feature_map is None else as_array(feature_map, "feature_map").astype(float)
        if x.ndim != 2:
            raise ValueError(f"feature_map must be one map of shape (H, W), got shape {x.shape}; for a "
                             "(C, H, W) stack pass one channel, e.g. maps[0].")
        if min(x.shape) < MAX_WINDOW or max(x.shape) > 256:
            raise ValueError(f"feature_map must be between {MAX_WINDOW} and 256 pixels on each side, got "
                             f"{x.shape[0]}×{x.shape[1]}.")
        self.x = x
        self._initial = {"mode": mode, "kernel_size": kernel_size, "stride": stride}
        super().__init__()

    # --- state ---------------------------------------------------------------------------------
    def default_state(self) -> dict:
        return dict(self._initial)

    def constrain(self, state: dict) -> dict:
        """Window and stride between 1 and 8 (whole numbers); mode max or avg."""
        state = dict(state)
        if state.get("mode") not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {state.get('mode')!r}.")
        for name in ("kernel_size", "stride"):
            v = int_param(state.get(name), name, minimum=1)
            state[name] = min(v, MAX_WINDOW)
        return state

    def compute(self, mode="max", kernel_size=2, stride=2) -> dict:
        """State in, numbers out: :func:`pool_summary` of the feature map."""
        return pool_summary(self.x, kernel_size, stride, mode)

    def benchmark_states(self) -> list[dict]:
        return [{"kernel_size": k, "stride": k} for k in (2, 3, 4)] + \
               [{"mode": "avg"}, {"stride": 1}, {"kernel_size": 5, "stride": 3}, {"mode": "max"}]

    # --- view ----------------------------------------------------------------------------------
    def build(self) -> None:
        from matplotlib.patches import Rectangle

        fig = self.fig
        fig.patch.set_facecolor("white")
        h, w = self.x.shape
        self.ax_in = fig.add_axes([0.02, 0.19, 0.46, 0.72])
        self.ax_out = fig.add_axes([0.52, 0.19, 0.46, 0.72])
        vmax = float(np.percentile(self.x, 99.5)) or 1.0
        self.im_in = self.ax_in.imshow(self.x, cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        self.im_out = self.ax_out.imshow(self.x, cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        for ax in (self.ax_in, self.ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
        self.title_in = self.ax_in.set_title("", fontsize=10)
        self.title_out = self.ax_out.set_title("", fontsize=10)
        colours = ["#2f9e44", "#1c7ed6", "#f59f00"]
        self.boxes = [Rectangle((-0.5, -0.5), 2, 2, fill=False, ec=c, lw=2.5, zorder=5) for c in colours]
        self.out_boxes = [Rectangle((-0.5, -0.5), 1, 1, fill=False, ec=c, lw=2, zorder=5) for c in colours]
        for b in self.boxes:
            self.ax_in.add_patch(b)
        for b in self.out_boxes:
            self.ax_out.add_patch(b)
        self.ax_in.set_xlim(-0.5, w - 0.5)
        self.ax_in.set_ylim(h - 0.5, -0.5)
        self.caption = fig.text(0.5, 0.02, "", ha="center", va="bottom", fontsize=9.5, linespacing=1.5)
        self.draw(**self.state)

    def draw(self, mode="max", kernel_size=2, stride=2) -> None:
        r = self.compute(mode=mode, kernel_size=kernel_size, stride=stride)
        k, s = r["kernel_size"], r["stride"]
        h, w = r["input_shape"]
        ho, wo = r["output_shape"]
        self.im_out.set_data(r["pooled"])
        self.im_out.set_extent((-0.5, wo - 0.5, ho - 0.5, -0.5))
        # the output panel keeps the input's scale: one output pixel is drawn as large as s input pixels
        self.ax_out.set_xlim(-0.5, w / s - 0.5)
        self.ax_out.set_ylim(h / s - 0.5, -0.5)
        # three windows: the first, the next one to the right, the next one down; and where they land
        for box, out_box, (i, j) in zip(self.boxes, self.out_boxes, [(0, 0), (0, 1), (1, 0)],
                                        strict=True):
            visible = i < ho and j < wo
            box.set_visible(visible)
            out_box.set_visible(visible)
            box.set_xy((j * s - 0.5, i * s - 0.5))
            box.set_width(k)
            box.set_height(k)
            out_box.set_xy((j - 0.5, i - 0.5))
        name = "max" if mode == "max" else "average"
        self.title_in.set_text(f"feature map {h}×{w} (ReLU of vertical edges)")
        self.title_out.set_text(f"{name} pool {k}×{k}, stride {s}: {ho}×{wo}")
        unseen = r["unseen_fraction"]
        self.caption.set_text(
            f"H' = ⌊({h} − {k})/{s}⌋ + 1 = {ho},  W' = ⌊({w} − {k})/{s}⌋ + 1 = {wo}\n"
            f"{r['n_out']:,} numbers out of {r['n_in']:,}: kept {100 * r['kept_fraction']:.1f} %, "
            f"discarded {100 * r['discarded_fraction']:.1f} %"
            + (f"; {100 * unseen:.1f} % of the input lies in no window" if unseen > 0 else ""))

    # --- widget --------------------------------------------------------------------------------
    def controls(self) -> dict:
        import ipywidgets as widgets

        return {
            "mode": widgets.ToggleButtons(options=[("max", "max"), ("average", "avg")], description="pool",
                                          style={"button_width": "70px"}),
            "kernel_size": widgets.IntSlider(min=1, max=MAX_WINDOW, description="window k",
                                             continuous_update=False),
            "stride": widgets.IntSlider(min=1, max=MAX_WINDOW, description="stride s",
                                        continuous_update=False),
        }


__all__ = ["PoolingExplorer", "edge_map", "pool_summary"]
