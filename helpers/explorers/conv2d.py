"""Step a kernel over an image one output pixel at a time (notebook 02, "conv2d by hand").

The pure core is :func:`kernel_step`: for step ``t`` (output positions counted row by row) it
returns the patch under the kernel, the entry-by-entry products, their sum, and the output map
filled in up to and including position ``t``. :class:`KernelStepper` draws that state — the
input with the patch outlined, the kernel, the products, the output so far — and offers
dropdowns for the image and the kernel and a slider for the step.

The images and kernels it offers:

* ``SEED_IMAGE``, the seed lecture's 5×6 image (a vertical line crossed by a horizontal one);
* :func:`photo_crop`, an 8×8 crop of the bundled Grace Hopper photo around a flagpole, with the
  brightness rounded to whole numbers 0–9 so the products stay readable;
* ``KERNELS``: the seed's vertical-line kernel, its horizontal twin, a box blur and a Gaussian blur;
* optionally the student's own kernel and image (``KernelStepper(my_kernel=…, my_image=…)``).
"""

from __future__ import annotations

import functools

import numpy as np

from .._text import decimals
from .._validate import as_array, int_param
from .base import Explorer

SEED_IMAGE = np.array([[0, 0, 0, 0, 0, 0],
                       [0, 1, 0, 0, 0, 0],
                       [0, 1, 1, 1, 1, 1],
                       [0, 1, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0]])

KERNELS = {
    "vertical": np.array([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]]),
    "horizontal": np.array([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]),
    "box blur": np.full((3, 3), 1 / 9),
    "gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
}
KERNEL_LABELS = {
    "vertical": "vertical line [-1 2 -1]",
    "horizontal": "horizontal line",
    "box blur": "box blur (all 1/9)",
    "gaussian blur": "Gaussian blur (1 2 1)/16",
    "mine": "my kernel",
}
IMAGE_LABELS = {"seed": "seed image 5×6", "photo": "photo crop 8×8", "mine": "my image"}

MAX_KERNEL = 5          # my_kernel must fit in the 5×6 seed image
MAX_IMAGE = 12          # my_image: at most 12×12, so every pixel's number stays readable


@functools.lru_cache(maxsize=1)
def _photo_crop_cached() -> np.ndarray:
    from ..images import load_photo

    gray = load_photo(gray=True, size=64)               # (75, 64), floats in [0, 1]
    crop = gray[3:11, 15:23]                            # a flagpole: a bright vertical line
    return np.rint(crop * 9).astype(np.int64)


def photo_crop() -> np.ndarray:
    """An 8×8 crop of the bundled Grace Hopper photo (a flagpole), brightness as whole numbers 0–9.

    Shape (8, 8), integer dtype: ``round(9 · gray)`` of ``load_photo(gray=True, size=64)[3:11, 15:23]``.
    Column 2 is the pole: a bright vertical line (5) on a dark background (1).

    >>> crop = photo_crop()
    >>> crop.shape, int(crop.min()) >= 0, int(crop.max()) <= 9
    ((8, 8), True, True)
    >>> crop[1:5, :4]
    array([[1, 1, 5, 1],
           [1, 1, 5, 1],
           [1, 1, 5, 1],
           [1, 1, 5, 1]])
    """
    return _photo_crop_cached().copy()


def _check_2d(a, name, *, max_side, min_shape=(1, 1)):
    a = as_array(a, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows × columns), got {a.ndim} dimension"
                         f"{'s' if a.ndim != 1 else ''} with shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity; give finite numbers.")
    if a.shape[0] > max_side or a.shape[1] > max_side:
        raise ValueError(f"{name} has shape {a.shape[0]}×{a.shape[1]}; at most {max_side}×{max_side} fits "
                         "in this explorer.")
    if a.shape[0] < min_shape[0] or a.shape[1] < min_shape[1]:
        raise ValueError(f"{name} has shape {a.shape[0]}×{a.shape[1]}; it must be at least "
                         f"{min_shape[0]}×{min_shape[1]} so that the kernel fits in it.")
    return a


def kernel_step(x, w, step) -> dict:
    """One step of sliding the kernel ``w`` over the image ``x`` (cross-correlation, stride 1, no padding).

    Shapes: x (H, W), w (KH, KW); the output has shape (H − KH + 1, W − KW + 1) and its positions
    are visited row by row, so ``step`` t is output pixel ``(row, col) = divmod(t, W − KW + 1)``.

    Returns a dict with ``row``, ``col``, ``patch = x[row:row+KH, col:col+KW]``, ``products =
    patch * w`` (entry by entry), ``sum`` (their sum, the output value ``out[row, col]``),
    ``output_so_far`` (a float array of the output's shape, NaN where the kernel has not been yet),
    ``output_shape`` and ``n_steps`` (the number of positions, H'·W').

    The seed lecture's vertical-line kernel at the first position and at step 4 (row 1, column 0):

    >>> image = [[0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1],
    ...          [0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    >>> kernel = [[-1, 2, -1]] * 3
    >>> s = kernel_step(image, kernel, 0)
    >>> s["patch"]
    array([[0, 0, 0],
           [0, 1, 0],
           [0, 1, 1]])
    >>> s["products"]
    array([[ 0,  0,  0],
           [ 0,  2,  0],
           [ 0,  2, -1]])
    >>> s["sum"]
    3
    >>> s = kernel_step(image, kernel, 4)
    >>> (s["row"], s["col"], s["sum"], s["n_steps"])
    (1, 0, 5, 12)
    >>> s["output_so_far"]
    array([[ 3., -1.,  0.,  0.],
           [ 5., nan, nan, nan],
           [nan, nan, nan, nan]])
    """
    x = as_array(x, "x")
    w = as_array(w, "w")
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"x and w must both be 2-D (one image, one kernel); got x of shape {x.shape} "
                         f"and w of shape {w.shape}.")
    (h, wd), (kh, kw) = x.shape, w.shape
    if kh > h or kw > wd:
        raise ValueError(f"kernel {kh}×{kw} does not fit in the image {h}×{wd}: the output would be "
                         f"{h - kh + 1}×{wd - kw + 1}. Use a smaller kernel.")
    oh, ow = h - kh + 1, wd - kw + 1
    n = oh * ow
    step = int_param(step, "step", minimum=0)
    if step >= n:
        raise ValueError(f"step must be between 0 and {n - 1} (the {oh}×{ow} output has {n} positions), "
                         f"got {step}.")
    row, col = divmod(step, ow)
    patch = x[row:row + kh, col:col + kw]
    products = patch * w
    # the whole output, from K_H·K_W shifted copies of the image (no loop over positions)
    full = np.zeros((oh, ow), dtype=np.result_type(x, w))
    for u in range(kh):
        for v in range(kw):
            full = full + w[u, v] * x[u:u + oh, v:v + ow]
    so_far = np.full(oh * ow, np.nan)
    so_far[:step + 1] = full.ravel()[:step + 1]
    return {
        "row": row,
        "col": col,
        "patch": patch.copy(),
        "products": products,
        "sum": products.sum().item(),
        "output_so_far": so_far.reshape(oh, ow),
        "output_shape": (oh, ow),
        "n_steps": n,
        "step": step,
    }


class KernelStepper(Explorer):
    """Slide a kernel over an image one output pixel at a time; see the module docstring.

    State: ``image`` ("seed", "photo", or "mine"), ``kernel`` ("vertical", "horizontal", "box blur",
    "gaussian blur", or "mine") and ``step`` (0 … H'·W' − 1; clamped into range by :meth:`constrain`).

    >>> ex = KernelStepper()
    >>> out = ex.compute(image="seed", kernel="vertical", step=11)
    >>> out["output_so_far"]
    array([[ 3., -1.,  0.,  0.],
           [ 5., -2.,  0.,  0.],
           [ 3., -1.,  0.,  0.]])
    >>> ex.constrain({"image": "seed", "kernel": "vertical", "step": 99})["step"]
    11
    """

    figsize = (10.0, 3.3)
    dpi = 80

    def __init__(self, my_kernel=None, my_image=None, *, image="seed", kernel="vertical", step=0):
        self.kernels = dict(KERNELS)
        self.images = {"seed": SEED_IMAGE.copy(), "photo": photo_crop()}
        if my_kernel is not None:
            self.kernels["mine"] = _check_2d(my_kernel, "my_kernel", max_side=MAX_KERNEL)
        if my_image is not None:
            self.images["mine"] = _check_2d(my_image, "my_image", max_side=MAX_IMAGE,
                                            min_shape=(MAX_KERNEL, MAX_KERNEL))
        self._initial = {"image": image, "kernel": kernel, "step": step}
        self._layout_key = None
        self._background = None
        super().__init__()

    # --- state ---------------------------------------------------------------------------------
    def default_state(self) -> dict:
        return dict(self._initial)

    def _lookup(self, table, key, name):
        if key not in table:
            extra = ""
            if key == "mine":
                extra = f" (pass your own with KernelStepper(my_{name}=…))"
            raise ValueError(f"{name} must be one of {sorted(table)}, got {key!r}{extra}.")
        return table[key]

    def constrain(self, state: dict) -> dict:
        """Keep ``step`` inside the current image's range of positions (a new image may have fewer)."""
        state = dict(state)
        x = self._lookup(self.images, state.get("image"), "image")
        w = self._lookup(self.kernels, state.get("kernel"), "kernel")
        n = (x.shape[0] - w.shape[0] + 1) * (x.shape[1] - w.shape[1] + 1)
        step = state.get("step", 0)
        if isinstance(step, bool) or not isinstance(step, (int, np.integer, float)):
            raise TypeError(f"step must be a whole number, got {step!r}.")
        state["step"] = int(min(max(int(step), 0), n - 1))
        return state

    def n_steps(self, image=None, kernel=None) -> int:
        """How many positions the kernel visits on the image (H'·W')."""
        x = self.images[image or self.state["image"]]
        w = self.kernels[kernel or self.state["kernel"]]
        return (x.shape[0] - w.shape[0] + 1) * (x.shape[1] - w.shape[1] + 1)

    def compute(self, image="seed", kernel="vertical", step=0) -> dict:
        """State in, numbers out: :func:`kernel_step` on the chosen image and kernel, plus both arrays."""
        x = self._lookup(self.images, image, "image")
        w = self._lookup(self.kernels, kernel, "kernel")
        result = kernel_step(x, w, step)
        result["image"] = x
        result["kernel"] = w
        return result

    def benchmark_states(self) -> list[dict]:
        states = [{"image": "seed", "kernel": "vertical", "step": s} for s in range(12)]
        states += [{"image": "photo", "kernel": k, "step": s}
                   for k in ("vertical", "box blur") for s in (0, 7, 20)]
        return states

    # --- view ----------------------------------------------------------------------------------
    def build(self) -> None:
        from matplotlib.patches import Rectangle

        fig = self.fig
        fig.patch.set_facecolor("white")
        # fixed positions (no layout engine: it would cost time on every redraw)
        boxes = {"in": [0.01, 0.14, 0.27, 0.72], "k": [0.315, 0.30, 0.14, 0.45],
                 "p": [0.49, 0.30, 0.17, 0.45], "out": [0.70, 0.14, 0.29, 0.72]}
        self.ax = {name: fig.add_axes(box) for name, box in boxes.items()}
        titles = {"in": "input x", "k": "kernel w", "p": "patch × w (entry by entry)", "out": "output so far"}
        self.titles = {}
        for name, ax in self.ax.items():
            ax.set_xticks([])
            ax.set_yticks([])
            self.titles[name] = ax.set_title(titles[name], fontsize=10)
        fig.text(0.296, 0.50, "⊙", fontsize=16, ha="center", va="center")
        fig.text(0.475, 0.50, "=", fontsize=16, ha="center", va="center")
        fig.text(0.682, 0.50, "Σ→", fontsize=12, ha="center", va="center")
        self.caption = fig.text(0.5, 0.03, "", ha="center", va="bottom", fontsize=11)

        nan_gray = "#ececec"
        import matplotlib as mpl

        rdbu = mpl.colormaps["RdBu_r"].with_extremes(bad=nan_gray)
        blank = np.zeros((MAX_IMAGE, MAX_IMAGE))
        self.im = {
            "in": self.ax["in"].imshow(blank, cmap="gray", vmin=0, vmax=1, interpolation="nearest"),
            "k": self.ax["k"].imshow(blank[:3, :3], cmap=rdbu, vmin=-1, vmax=1, interpolation="nearest"),
            "p": self.ax["p"].imshow(blank[:3, :3], cmap=rdbu, vmin=-1, vmax=1, interpolation="nearest"),
            "out": self.ax["out"].imshow(blank, cmap=rdbu, vmin=-1, vmax=1, interpolation="nearest"),
        }
        # a pool of text artists per panel, shown or hidden as the grids change size
        self.texts = {}
        for name, side in (("in", MAX_IMAGE), ("k", MAX_KERNEL), ("p", MAX_KERNEL), ("out", MAX_IMAGE)):
            pool = np.empty((side, side), dtype=object)
            for r in range(side):
                for c in range(side):
                    pool[r, c] = self.ax[name].text(c, r, "", ha="center", va="center", fontsize=9,
                                                    visible=False)
            self.texts[name] = pool
        self.patch_box = Rectangle((-0.5, -0.5), 3, 3, fill=False, ec="#e8590c", lw=3, zorder=5)
        self.ax["in"].add_patch(self.patch_box)
        self.out_box = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="#e8590c", lw=3, zorder=5)
        self.ax["out"].add_patch(self.out_box)
        self.draw(**self.state)

    @staticmethod
    def _text_colors(values, cmap_kind, vmin, vmax):
        """Black or white text so each number stays readable on its cell's colour."""
        v = np.asarray(values, dtype=float)
        if cmap_kind == "gray":
            frac = (v - vmin) / (vmax - vmin) if vmax > vmin else np.zeros_like(v)
            return np.where(frac < 0.5, "white", "black")
        big = np.abs(v) > 0.6 * max(abs(vmin), abs(vmax))
        return np.where(big, "white", "black")

    def _fill(self, name, values, colors=None, fontsize=9):
        pool = self.texts[name]
        rows, cols = values.shape
        for r in range(pool.shape[0]):
            for c in range(pool.shape[1]):
                t = pool[r, c]
                if r < rows and c < cols and not np.isnan(values[r, c]):
                    t.set_text(decimals(values[r, c], short=True))
                    t.set_color(colors[r, c] if colors is not None else "black")
                    t.set_fontsize(fontsize)
                    t.set_visible(True)
                elif t.get_visible():
                    t.set_visible(False)

    @staticmethod
    def _frame(ax, im, shape):
        rows, cols = shape
        im.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)

    def _relayout(self, image, kernel):
        """Work done only when the image or the kernel changes: limits, colour scales, fixed numbers."""
        x = self.images[image]
        w = self.kernels[kernel]
        h, wd = x.shape
        kh, kw = w.shape
        full = self.compute(image=image, kernel=kernel, step=self.n_steps(image, kernel) - 1)["output_so_far"]
        self._vmax = {
            "in": (float(x.min()), float(x.max()) if x.max() > x.min() else float(x.min()) + 1),
            "k": float(np.abs(w).max()) or 1.0,
            "p": float(np.abs(x).max() * np.abs(w).max()) or 1.0,
            "out": float(np.abs(full).max()) or 1.0,
        }
        lo, hi = self._vmax["in"]
        self.im["in"].set_data(x)
        self.im["in"].set_clim(lo, hi)
        self._frame(self.ax["in"], self.im["in"], x.shape)
        fs_in = 9 if max(h, wd) <= 8 else 7
        self._fill("in", x.astype(float), self._text_colors(x, "gray", lo, hi), fontsize=fs_in)
        self.im["k"].set_data(w)
        self.im["k"].set_clim(-self._vmax["k"], self._vmax["k"])
        self._frame(self.ax["k"], self.im["k"], w.shape)
        self._fill("k", w.astype(float), self._text_colors(w, "div", -self._vmax["k"], self._vmax["k"]),
                   fontsize=10 if kw <= 3 else 8)
        self.im["p"].set_clim(-self._vmax["p"], self._vmax["p"])
        self._frame(self.ax["p"], self.im["p"], w.shape)
        self.im["out"].set_clim(-self._vmax["out"], self._vmax["out"])
        oh, ow = h - kh + 1, wd - kw + 1
        self._frame(self.ax["out"], self.im["out"], (oh, ow))
        self.patch_box.set_width(kw)
        self.patch_box.set_height(kh)
        self.titles["in"].set_text(f"input x ({h}×{wd})")
        self.titles["k"].set_text(f"kernel w ({kh}×{kw})")
        self.titles["out"].set_text(f"output so far ({oh}×{ow})")
        self._fs_p = 10 if kw <= 3 else 8
        self._fs_out = 9 if max(oh, ow) <= 8 else 7
        # what changes from step to step; everything else is drawn once into a cached background
        self._dynamic = ([self.im["p"], *self.texts["p"][:kh, :kw].ravel(), self.im["out"],
                          *self.texts["out"][:oh, :ow].ravel(), *self.ax["p"].spines.values(),
                          *self.ax["out"].spines.values(), self.patch_box, self.out_box, self.caption])
        self._background = None

    def draw(self, image="seed", kernel="vertical", step=0) -> None:
        if self._layout_key != (image, kernel):
            self._relayout(image, kernel)
            self._layout_key = (image, kernel)
        s = self.compute(image=image, kernel=kernel, step=step)
        row, col = s["row"], s["col"]
        vp = self._vmax["p"]
        self.im["p"].set_data(s["products"])
        self._fill("p", s["products"].astype(float), self._text_colors(s["products"], "div", -vp, vp),
                   fontsize=self._fs_p)
        vo = self._vmax["out"]
        so_far = s["output_so_far"]
        self.im["out"].set_data(np.ma.masked_invalid(so_far))
        self._fill("out", so_far, self._text_colors(np.nan_to_num(so_far), "div", -vo, vo),
                   fontsize=self._fs_out)
        self.patch_box.set_xy((col - 0.5, row - 0.5))
        self.out_box.set_xy((col - 0.5, row - 0.5))
        kh, kw = s["kernel"].shape
        terms = ""
        if kh * kw <= 9:
            parts = [decimals(v, short=True) for v in s["products"].ravel()]
            terms = parts[0] + "".join(f" − {p[1:]}" if p.startswith("−") else f" + {p}" for p in parts[1:])
            terms = f" = {terms}"
        self.caption.set_text(
            f"step {step} (of 0–{s['n_steps'] - 1}):  out[{row}, {col}] = "
            f"Σ x[{row}:{row + kh}, {col}:{col + kw}] ⊙ w{terms} = {decimals(s['sum'], short=True)}")

    def dynamic_artists(self) -> list:
        """What a step redraws (blitted over a cached background; see helpers.explorers.base)."""
        return self._dynamic

    # --- widget --------------------------------------------------------------------------------
    def controls(self) -> dict:
        import ipywidgets as widgets

        wide = widgets.Layout(width="290px")
        return {
            "image": widgets.Dropdown(options=[(IMAGE_LABELS[k], k) for k in self.images],
                                      description="image", layout=wide),
            "kernel": widgets.Dropdown(options=[(KERNEL_LABELS[k], k) for k in self.kernels],
                                       description="kernel", layout=wide),
            "step": widgets.IntSlider(min=0, max=self.n_steps() - 1, description="step",
                                      continuous_update=True, layout=widgets.Layout(width="330px")),
        }

    def widget(self):
        """The base widget plus a ▶ button; the step slider's range follows the chosen image and kernel."""
        return self.add_play(super().widget(), "step", ('image', 'kernel'), self.n_steps, interval=700)


__all__ = ["IMAGE_LABELS", "KERNELS", "KERNEL_LABELS", "KernelStepper", "SEED_IMAGE", "kernel_step",
           "photo_crop"]
