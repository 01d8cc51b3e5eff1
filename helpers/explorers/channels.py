"""Choose a kernel for every (output channel, input channel) pair and watch the feature maps (notebook 04).

A convolution layer with ``C_in`` input channels and ``C_out`` output channels holds ``C_out × C_in``
small kernels, ``w[o, c]``. Output channel ``o`` is the *sum over input channels* of input channel
``c`` cross-correlated with ``w[o, c]``::

    out[o] = Σ_c  x[c] ⋆ w[o, c]          (plus a bias b[o]; zero here)

:func:`channel_maps` is the pure core: it returns every per-channel contribution ``x[c] ⋆ w[o, c]``
and their sums, the feature maps. :class:`ChannelExplorer` shows them on the colour photo (3 input
channels, 2 output channels, a dropdown of named 3×3 kernels for each of the 6 pairs): one row per
output channel, one column per input channel, and the feature map at the end of each row.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array
from .base import Explorer

KERNEL_BANK = {
    "zero": np.zeros((3, 3)),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "negate": np.array([[0, 0, 0], [0, -1, 0], [0, 0, 0]]),
    "vertical edge": np.array([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]]),      # the seed lecture's kernel
    "horizontal edge": np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]),    # its Kernel[1, 0, :, :]
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}
"""The named 3×3 kernels a dropdown offers (cross-correlation: laid on the image as written)."""

CHANNEL_NAMES = ("R", "G", "B")

DEFAULT_CHOICE = {
    # output 0 looks for vertical lines in every colour: an edge detector for brightness
    "k00": "vertical edge", "k01": "vertical edge", "k02": "vertical edge",
    # output 1 is red minus green: bright where the photo is reddish, dark where it is greenish
    "k10": "identity", "k11": "negate", "k12": "zero",
}


def kernel_stack(choice: dict, n_out: int = 2, n_in: int = 3) -> np.ndarray:
    """The weight tensor ``w`` of shape ``(n_out, n_in, 3, 3)`` for a choice ``{"k<o><c>": kernel name}``.

    >>> w = kernel_stack(DEFAULT_CHOICE)
    >>> w.shape
    (2, 3, 3, 3)
    >>> w[1, 1].tolist()
    [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    w = np.zeros((n_out, n_in, 3, 3))
    for o in range(n_out):
        for c in range(n_in):
            key = f"k{o}{c}"
            name = choice.get(key, "zero")
            if isinstance(name, str):                # " Negate" is "negate": case and spaces do not matter
                name = " ".join(name.split()).lower()
            if name not in KERNEL_BANK:
                raise ValueError(f"{key} must be one of {sorted(KERNEL_BANK)}, got {name!r}.")
            w[o, c] = KERNEL_BANK[name]
    return w


def channel_maps(x, w) -> dict:
    """Every contribution ``x[c] ⋆ w[o, c]`` and the feature maps ``out[o] = Σ_c x[c] ⋆ w[o, c]``.

    Shapes: x ``(C_in, H, W)``, w ``(C_out, C_in, K, K)`` → ``contributions`` ``(C_out, C_in, H', W')``
    and ``feature_maps`` ``(C_out, H', W')`` with ``H' = H − K + 1`` (stride 1, no padding, no bias).
    The feature maps come from one call of :func:`helpers.conv.conv2d` on the whole stack, the
    contributions from one call per (o, c) pair on a single channel, so their agreement is a check.

    >>> x = np.arange(2 * 3 * 3).reshape(2, 3, 3)               # 2 channels, 3×3
    >>> w = np.array([[[[1, 0], [0, 0]], [[0, 0], [0, 1]]]])   # top-left of ch 0 + bottom-right of ch 1
    >>> r = channel_maps(x, w)
    >>> r["contributions"][0, 0].tolist(), r["contributions"][0, 1].tolist()
    ([[0, 1], [3, 4]], [[13, 14], [16, 17]])
    >>> r["feature_maps"][0].tolist()
    [[13, 15], [19, 21]]
    """
    from ..conv import conv2d

    x = as_array(x, "x")
    w = as_array(w, "w")
    if x.ndim != 3:
        raise ValueError(f"x must be one image with channels first, shape (C_in, H, W); got shape {x.shape}.")
    if w.ndim != 4:
        raise ValueError(f"w must have shape (C_out, C_in, K, K); got shape {w.shape}.")
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"w has {w.shape[1]} input channels (w.shape[1]) but x has {x.shape[0]} "
                         "(x.shape[0]): every kernel needs one slice per input channel.")
    feature_maps = conv2d(x, w)
    c_out, c_in = w.shape[:2]
    contributions = np.stack([np.stack([conv2d(x[c], w[o, c]) for c in range(c_in)]) for o in range(c_out)])
    return {
        "contributions": contributions,
        "feature_maps": feature_maps,
        "input_shape": tuple(x.shape),
        "weight_shape": tuple(w.shape),
        "output_shape": tuple(feature_maps.shape),
        "n_params": int(w.size + c_out),          # the weights and one bias per output channel
    }


def _channel_cmap(i):
    from matplotlib.colors import LinearSegmentedColormap

    colour = [(1, 0, 0), (0, 0.75, 0), (0.1, 0.3, 1)][i]
    return LinearSegmentedColormap.from_list(CHANNEL_NAMES[i], [(0, 0, 0), colour, (1, 1, 1)])


class ChannelExplorer(Explorer):
    """Pick a 3×3 kernel for each of 2 outputs × 3 inputs (R, G, B) and see every feature map.

    State: ``k<o><c>`` for o in 0, 1 and c in 0, 1, 2, each a name from :data:`KERNEL_BANK`.
    The photo is Grace Hopper's portrait at about 64 pixels (:func:`helpers.images.load_photo`), or
    your own ``(3, H, W)`` image.

    >>> ex = ChannelExplorer()
    >>> r = ex.compute(**ex.default_state())
    >>> r["input_shape"], r["weight_shape"], r["output_shape"], r["n_params"]
    ((3, 75, 64), (2, 3, 3, 3), (2, 73, 62), 56)
    """

    figsize = (7.6, 6.2)
    dpi = 72
    n_out, n_in = 2, 3

    def __init__(self, image=None, *, size=64, **choice):
        if image is None:
            from ..images import load_photo

            image = load_photo(size=size)
        image = as_array(image, "image").astype(float)
        if image.ndim != 3 or image.shape[0] != 3:
            raise ValueError(f"image must be a colour image with channels first, shape (3, H, W); got shape "
                             f"{image.shape}. (A NumPy image from imread is (H, W, 3): use "
                             "image.transpose(2, 0, 1).)")
        if min(image.shape[1:]) < 8 or max(image.shape[1:]) > 256:
            raise ValueError(f"image must be between 8 and 256 pixels on each side, got {image.shape[1]}×"
                             f"{image.shape[2]}: shrink it first (e.g. load_photo(size=64)).")
        self.image = image
        unknown = set(choice) - set(DEFAULT_CHOICE)
        if unknown:
            raise TypeError(f"unknown argument(s) {sorted(unknown)}: kernels are chosen with k00 … k12 "
                            "(k<output><input>).")
        self._initial = {**DEFAULT_CHOICE, **choice}
        kernel_stack(self._initial)                 # bad names fail here, with the message
        super().__init__()

    # --- state ---------------------------------------------------------------------------------
    def default_state(self) -> dict:
        return dict(self._initial)

    def compute(self, **state) -> dict:
        """State in, numbers out: the weight tensor, every contribution and both feature maps."""
        choice = {**DEFAULT_CHOICE, **state}
        w = kernel_stack(choice, self.n_out, self.n_in)
        result = channel_maps(self.image, w)
        result["weight"] = w
        result["names"] = {k: choice[k] for k in DEFAULT_CHOICE}
        return result

    def benchmark_states(self) -> list[dict]:
        names = list(KERNEL_BANK)
        return [{"k00": names[i % len(names)]} for i in range(len(names))] + \
               [{"k12": n} for n in ("blur", "sharpen", "zero")]

    # --- view ----------------------------------------------------------------------------------
    def build(self) -> None:
        fig = self.fig
        fig.patch.set_facecolor("white")
        h, w = self.image.shape[1:]
        ho, wo = h - 2, w - 2
        cols = self.n_in + 1
        left, right, top, bottom = 0.07, 0.99, 0.95, 0.05
        gap_x, gap_y = 0.035, 0.07
        pw = (right - left - gap_x * (cols - 1)) / cols
        ph = (top - bottom - gap_y * 2) / 3

        def axes(row, col):
            ax = fig.add_axes([left + col * (pw + gap_x), top - (row + 1) * ph - row * gap_y, pw, ph])
            ax.set_xticks([])
            ax.set_yticks([])
            return ax

        self.in_axes = [axes(0, c) for c in range(self.n_in)]
        for c, ax in enumerate(self.in_axes):
            ax.imshow(self.image[c], cmap=_channel_cmap(c), vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"input channel {c} ({CHANNEL_NAMES[c]})", fontsize=9)
        ax = axes(0, self.n_in)
        ax.imshow(np.clip(self.image.transpose(1, 2, 0), 0, 1), interpolation="nearest")
        ax.set_title(f"the photo: {3}×{h}×{w}", fontsize=9)
        fig.text(0.035, top - ph / 2, "input", rotation=90, ha="center", va="center", fontsize=10)

        blank = np.zeros((ho, wo))
        self._overlays = []          # frame lines drawn after the images on every redraw, so never covered
        self.contrib_im, self.contrib_title, self.map_im, self.map_title = [], [], [], []
        for o in range(self.n_out):
            row = o + 1
            ims, titles = [], []
            for c in range(self.n_in):
                ax = axes(row, c)
                ims.append(ax.imshow(blank, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"))
                titles.append(ax.set_title("", fontsize=8.5))
                # "+" and "=" sit in the gaps between panels: part of the cached background
                ax.text(1.0 + gap_x / pw / 2, 0.5, "+" if c < self.n_in - 1 else "=", transform=ax.transAxes,
                        ha="center", va="center", fontsize=13, fontweight="bold", zorder=10)
            ax = axes(row, self.n_in)
            self.map_im.append(ax.imshow(blank, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"))
            self.map_title.append(ax.set_title(f"feature map {o}: {ho}×{wo}", fontsize=9, fontweight="bold"))
            for spine in ax.spines.values():
                spine.set_edgecolor("#e8590c")
                spine.set_linewidth(2)
                self._overlays.append(spine)
            self.contrib_im.append(ims)
            self.contrib_title.append(titles)
            fig.text(0.035, top - (row + 0.5) * ph - row * gap_y, f"output channel {o}", rotation=90,
                     ha="center", va="center", fontsize=10)
        caption = (f"w: {self.n_out}×{self.n_in}×3×3, output {self.n_out}×{ho}×{wo}; red > 0, white 0, "
                   "blue < 0 (each panel has its own scale)")
        self.caption = fig.text(0.5, 0.005, caption, ha="center", va="bottom", fontsize=8.5, color="#444444")
        self._background = None
        self.draw(**self.state)

    @staticmethod
    def _show(im, values):
        im.set_data(values)
        m = float(np.percentile(np.abs(values), 99.5))   # a few extreme pixels must not wash out the rest
        im.set_clim(-m if m > 0 else -1.0, m if m > 0 else 1.0)   # white is 0, red positive, blue negative

    def draw(self, **state) -> None:
        r = self.compute(**state)
        for o in range(self.n_out):
            for c in range(self.n_in):
                self._show(self.contrib_im[o][c], r["contributions"][o, c])
                self.contrib_title[o][c].set_text(f"{CHANNEL_NAMES[c]} ∗ {r['names'][f'k{o}{c}']}")
            self._show(self.map_im[o], r["feature_maps"][o])

    def dynamic_artists(self) -> list:
        """The output panels a move redraws; the input row and labels stay in the cached background."""
        return [*[im for row in self.contrib_im for im in row], *self.map_im,
                *[t for row in self.contrib_title for t in row], *self._overlays]

    # --- widget --------------------------------------------------------------------------------
    def controls(self) -> dict:
        import ipywidgets as widgets

        options = list(KERNEL_BANK)
        return {key: widgets.Dropdown(options=options,
                                      description=f"out {key[1]} ← {CHANNEL_NAMES[int(key[2])]}",
                                      layout=widgets.Layout(width="230px"),
                                      style={"description_width": "70px"})
                for key in DEFAULT_CHOICE}


__all__ = ["CHANNEL_NAMES", "ChannelExplorer", "DEFAULT_CHOICE", "KERNEL_BANK", "channel_maps",
           "kernel_stack"]
