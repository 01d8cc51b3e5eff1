"""Pictures of convolution arithmetic generated from a configuration: one frame, or an animation.

Dumoulin & Visin's *A guide to convolution arithmetic* draws each case by hand; here every picture
is computed from ``(size, kernel_size, stride, padding, dilation)``, so any configuration can be shown.

Two layers:

* :func:`conv_geometry` — pure numbers, no matplotlib: where the kernel sits at every step, which cells
  of the grid are padding, which are never touched, how many windows cover each cell.
* :class:`ConvDiagram` / :func:`draw_conv` / :func:`conv_animation` — the picture. A convolution is
  drawn as the padded input (left) and the output (right); a transposed convolution as the same picture
  run backwards: the small input on the left, each of its pixels stamping a kernel-sized window into
  the big output on the right.

The geometry is plain NumPy; only the drawing functions use matplotlib.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .._text import number
from .._validate import as_array, int_param, pair
from ..sizes import conv_output_size, conv_transpose_output_size

__all__ = [
    "AxisGeometry", "ConvGeometry", "conv_geometry", "ConvDiagram", "draw_conv", "conv_animation",
    "animation_html", "CONV_ARITHMETIC_CASES",
]

# The eight cases of Dumoulin & Visin's guide (and of the conv_arithmetic animations), as configurations.
CONV_ARITHMETIC_CASES = [
    {"name": "no padding, no stride", "size": 4, "kernel_size": 3, "stride": 1, "padding": 0},
    {"name": "arbitrary padding", "size": 5, "kernel_size": 4, "stride": 1, "padding": 2},
    {"name": "half ('same') padding", "size": 5, "kernel_size": 3, "stride": 1, "padding": 1},
    {"name": "full padding", "size": 5, "kernel_size": 3, "stride": 1, "padding": 2},
    {"name": "stride, no padding", "size": 5, "kernel_size": 3, "stride": 2, "padding": 0},
    {"name": "stride and padding", "size": 5, "kernel_size": 3, "stride": 2, "padding": 1},
    {"name": "the odd case", "size": 6, "kernel_size": 3, "stride": 2, "padding": 1},
    {"name": "dilation", "size": 7, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 2},
]


# --------------------------------------------------------------------------- geometry (pure)
@dataclass(frozen=True)
class AxisGeometry:
    """Where the kernel goes along one axis.

    For a convolution the *grid* is the padded input (``i + 2p`` cells, the real input at
    ``[p, p + i)``) and there is one window per output cell. For a transposed convolution the grid is
    the full output before cropping (``s(i − 1) + d(k − 1) + 1 + output_padding`` cells, the kept part
    at ``[p, p + o)``) and there is one window (a stamp) per input cell.
    """

    size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    transposed: bool
    output_padding: int
    out: int

    @property
    def span(self) -> int:
        """Cells covered by one window, holes included: ``d(k − 1) + 1``."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def grid(self) -> int:
        """Length of the big grid: padded input (conv) or uncropped output (transposed)."""
        if self.transposed:
            return self.stride * (self.size - 1) + self.span + self.output_padding
        return self.size + 2 * self.padding

    @property
    def small(self) -> int:
        """Length of the small grid: the output (conv) or the input (transposed)."""
        return self.size if self.transposed else self.out

    @property
    def real(self) -> range:
        """Grid cells that are real input (conv) or kept output (transposed)."""
        return range(self.padding, self.padding + (self.out if self.transposed else self.size))

    @property
    def starts(self) -> tuple[int, ...]:
        """First grid cell of each window, one per cell of the small grid: ``j·s``."""
        return tuple(j * self.stride for j in range(self.small))

    def taps(self, j: int) -> tuple[int, ...]:
        """Grid cells under kernel taps of window ``j``: ``j·s + t·d`` for ``t = 0 … k − 1``."""
        return tuple(j * self.stride + t * self.dilation for t in range(self.kernel_size))

    def coverage(self) -> np.ndarray:
        """How many windows put a tap on each grid cell (an int array of length ``grid``)."""
        counts = np.zeros(self.grid, dtype=np.int64)
        for j in range(self.small):
            counts[list(self.taps(j))] += 1
        return counts

    @property
    def unused(self) -> tuple[int, ...]:
        """Grid cells no window ever touches (e.g. the last row in the odd case, or gaps between taps)."""
        return tuple(int(c) for c in np.flatnonzero(self.coverage() == 0))


@dataclass(frozen=True)
class ConvGeometry:
    """The rows and columns of a 2D convolution's (or transposed convolution's) picture."""

    rows: AxisGeometry
    cols: AxisGeometry

    @property
    def transposed(self) -> bool:
        return self.rows.transposed

    @property
    def out_shape(self) -> tuple[int, int]:
        """Output shape (H′, W′)."""
        return (self.rows.out, self.cols.out)

    @property
    def grid_shape(self) -> tuple[int, int]:
        """Shape of the big grid: padded input (conv) or uncropped output (transposed)."""
        return (self.rows.grid, self.cols.grid)

    @property
    def small_shape(self) -> tuple[int, int]:
        """Shape of the small grid: output (conv) or input (transposed)."""
        return (self.rows.small, self.cols.small)

    @property
    def frames(self) -> list[tuple[int, int]]:
        """Cells of the small grid in reading order: one frame of the animation each."""
        return [(r, c) for r in range(self.rows.small) for c in range(self.cols.small)]

    def window(self, frame: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Grid rows and columns under the kernel taps at ``frame``."""
        r, c = self.frames[frame]
        return self.rows.taps(r), self.cols.taps(c)

    def coverage(self) -> np.ndarray:
        """How many windows touch each grid cell, as a 2D array of ``grid_shape``.

        For a transposed convolution with an all-ones input and kernel this is the output before
        cropping: the overlap count that causes checkerboard artefacts.
        """
        return np.outer(self.rows.coverage(), self.cols.coverage())

    def real_mask(self) -> np.ndarray:
        """Boolean ``grid_shape`` array: real input (conv) or kept output (transposed)."""
        m = np.zeros(self.grid_shape, dtype=bool)
        m[self.rows.real.start:self.rows.real.stop, self.cols.real.start:self.cols.real.stop] = True
        return m


def conv_geometry(size, kernel_size, stride=1, padding=0, dilation=1, *, transposed=False,
                  output_padding=0) -> ConvGeometry:
    """Where the kernel goes at every step of a 2D convolution (or transposed convolution).

    Every argument is an int or a (height, width) pair, with torch.nn.functional's meaning. The output
    size along each axis is ``⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1`` (conv) or
    ``s(i − 1) − 2p + d(k − 1) + output_padding + 1`` (transposed).

    >>> g = conv_geometry(4, 2, stride=2, padding=1)       # seed exercise: 4×4 image, 2×2 kernel
    >>> g.out_shape, g.grid_shape, g.rows.starts
    ((3, 3), (6, 6), (0, 2, 4))
    >>> conv_geometry(6, 3, stride=2, padding=1).rows.unused   # the odd case: last padded row unused
    (7,)
    >>> conv_geometry(3, 3, stride=2, transposed=True).rows.coverage()
    array([1, 1, 2, 1, 2, 1, 1])
    """
    if not isinstance(transposed, (bool, np.bool_)):
        raise TypeError(f"transposed must be True or False, got {transposed!r}.")
    sizes = pair(size, "size", minimum=1)
    ks = pair(kernel_size, "kernel_size", minimum=1)
    ss = pair(stride, "stride", minimum=1)
    ps = pair(padding, "padding", minimum=0)
    ds = pair(dilation, "dilation", minimum=1)
    ops = pair(output_padding, "output_padding", minimum=0)
    if not transposed and any(ops):
        raise ValueError(f"output_padding={output_padding!r} only applies to a transposed convolution; "
                         "pass transposed=True or leave output_padding at 0.")
    axes = []
    for i, k, s, p, d, op in zip(sizes, ks, ss, ps, ds, ops, strict=True):
        if transposed:
            o = conv_transpose_output_size(i, k, s, p, op, d)
        else:
            o = conv_output_size(i, k, s, p, d)
        axes.append(AxisGeometry(i, k, s, p, d, bool(transposed), op, o))
    return ConvGeometry(*axes)


# --------------------------------------------------------------------------- the picture
_COLORS = {
    "pad": (0.91, 0.91, 0.91),        # padding (conv) or cropped cells (transposed)
    "real": (0.78, 0.86, 0.94),       # real input
    "unused": (0.99, 0.78, 0.58),     # real input that no window touches
    "pad_unused": (0.99, 0.91, 0.82),  # padding that no window touches
    "tap": (0.19, 0.51, 0.74),        # under the kernel now
    "out_todo": (0.92, 0.96, 0.90),
    "out_done": (0.63, 0.85, 0.61),
    "out_now": (0.19, 0.64, 0.33),
    "small_in": (0.78, 0.86, 0.94),   # transposed: the input
    "edge": (0.35, 0.35, 0.35),
}


class ConvDiagram:
    """One convolution picture on one matplotlib Axes, with its artists made once and then updated.

    ``set_geometry(g)`` lays out the grids for a :class:`ConvGeometry`; ``set_frame(k)`` shows step ``k``
    (``k = len(g.frames)`` shows the finished result with nothing highlighted). Optional ``x`` (input,
    shape ``g.rows.size × g.cols.size``) and ``w`` (kernel) write numbers into the cells: the padded input
    and the output filled in so far. A transposed picture without ``x`` writes the overlap counts.
    """

    gap = 1.6   # blank cells between the two grids

    def __init__(self, ax, *, dots=True, numbers=True, fontsize=9):
        from matplotlib.collections import LineCollection
        from matplotlib.patches import Rectangle

        self.ax = ax
        self.show_dots = dots
        self.show_numbers = numbers
        self.fontsize = fontsize
        blank = np.ones((1, 1, 3))
        self.img_left = ax.imshow(blank, interpolation="nearest", extent=(0, 1, 1, 0), zorder=1)
        self.img_right = ax.imshow(blank, interpolation="nearest", extent=(0, 1, 1, 0), zorder=1)
        self.lines = LineCollection([], colors=[(1, 1, 1)], linewidths=1.2, zorder=2)
        ax.add_collection(self.lines)
        self.real_box = Rectangle((0, 0), 1, 1, fill=False, ec=_COLORS["edge"], lw=1.6, zorder=3)
        self.span_box = Rectangle((0, 0), 1, 1, fill=False, ec=(0.03, 0.19, 0.42), lw=2.2, zorder=4)
        self.cell_box = Rectangle((0, 0), 1, 1, fill=False, ec=(0.0, 0.27, 0.11), lw=2.2, zorder=4)
        for patch in (self.real_box, self.span_box, self.cell_box):
            ax.add_patch(patch)
        (self.link,) = ax.plot([], [], color=(0.4, 0.4, 0.4), lw=1, ls="--", zorder=5)
        self.dots = ax.scatter([], [], s=14, color=(0.03, 0.19, 0.42), zorder=5, linewidths=0)
        self.label_left = ax.text(0, 0, "", ha="center", va="top", fontsize=fontsize)
        self.label_right = ax.text(0, 0, "", ha="center", va="top", fontsize=fontsize)
        self.texts = []
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.geometry = None

    # --- layout --------------------------------------------------------------------------------
    def set_geometry(self, g: ConvGeometry, x=None, w=None):
        """Lay out both grids for geometry ``g`` (cheap: updates the existing artists)."""
        self.geometry = g
        self.x = None if x is None else np.asarray(as_array(x, "x"), dtype=float)
        self.w = None if w is None else np.asarray(as_array(w, "w"), dtype=float)
        if self.x is not None and self.x.shape != (g.rows.size, g.cols.size):
            raise ValueError(f"x has shape {self.x.shape} but the picture is of a "
                             f"{g.rows.size}×{g.cols.size} input: pass an array of that shape.")
        if self.w is not None and self.w.shape != (g.rows.kernel_size, g.cols.kernel_size):
            raise ValueError(f"w has shape {self.w.shape} but the kernel is "
                             f"{g.rows.kernel_size}×{g.cols.kernel_size}.")
        if (self.x is None) != (self.w is None):
            raise ValueError("pass both x and w (to write the numbers) or neither.")
        gh, gw = g.grid_shape
        sh, sw = g.small_shape
        if g.transposed:     # small input on the left, big output on the right
            (lh, lw), (rh, rw) = (sh, sw), (gh, gw)
        else:                # big padded input on the left, small output on the right
            (lh, lw), (rh, rw) = (gh, gw), (sh, sw)
        height = max(lh, rh)
        self.left_origin = (0.0, (height - lh) / 2)
        self.right_origin = (lw + self.gap, (height - rh) / 2)
        (x0, y0), (x1, y1) = self.left_origin, self.right_origin
        self.img_left.set_extent((x0, x0 + lw, y0 + lh, y0))
        self.img_right.set_extent((x1, x1 + rw, y1 + rh, y1))
        segs = []
        for (ox, oy), (h, wd) in ((self.left_origin, (lh, lw)), (self.right_origin, (rh, rw))):
            segs += [[(ox, oy + r), (ox + wd, oy + r)] for r in range(h + 1)]
            segs += [[(ox + c, oy), (ox + c, oy + h)] for c in range(wd + 1)]
        self.lines.set_segments(segs)
        # the real input (conv) or the kept output (transposed) inside the big grid
        bx, by = (self.right_origin if g.transposed else self.left_origin)
        self.real_box.set_bounds(bx + g.cols.real.start, by + g.rows.real.start,
                                 len(g.cols.real), len(g.rows.real))
        # the window's centres: one dot per output cell (conv) or per input cell (transposed)
        if self.show_dots and self.x is None:      # numbers and dots would overlap
            cy = [by + s + g.rows.span / 2 for s in g.rows.starts]
            cx = [bx + s + g.cols.span / 2 for s in g.cols.starts]
            self.dots.set_offsets(np.array([(xx, yy) for yy in cy for xx in cx]).reshape(-1, 2))
        else:
            self.dots.set_offsets(np.zeros((0, 2)))
        if g.transposed:
            self.label_left.set_text(f"input {sh}×{sw}")
            self.label_right.set_text(f"output {g.out_shape[0]}×{g.out_shape[1]}"
                                      + (" (grey: cropped)" if g.rows.padding or g.cols.padding else ""))
        else:
            pad = g.rows.padding or g.cols.padding
            padded = f" padded to {gh}×{gw}" if pad else ""
            self.label_left.set_text(f"input {g.rows.size}×{g.cols.size}{padded}")
            self.label_right.set_text(f"output {sh}×{sw}")
        self.label_left.set_position((x0 + lw / 2, y0 + lh + 0.3))
        self.label_right.set_position((x1 + rw / 2, y1 + rh + 0.3))
        self.ax.set_xlim(-0.3, x1 + rw + 0.3)
        self.ax.set_ylim(height + 1.5, -0.3)
        self._base_colors()
        self._make_texts()

    def _base_colors(self):
        g = self.geometry
        real = g.real_mask()
        cov = g.coverage()
        big = np.empty(g.grid_shape + (3,))
        big[:] = _COLORS["pad"]
        if g.transposed:
            big[real] = (1.0, 1.0, 1.0)
        else:
            big[real] = _COLORS["real"]
            big[~real & (cov == 0)] = _COLORS["pad_unused"]
            big[real & (cov == 0)] = _COLORS["unused"]
        self._big = big
        self._coverage = cov
        self._real = real

    def _make_texts(self):
        for t in self.texts:
            t.remove()
        self.texts = []
        self._left_texts = {}
        self._right_texts = {}
        g = self.geometry
        if not self.show_numbers or (self.x is None and not g.transposed):
            return
        size = self.fontsize if max(g.grid_shape) <= 10 else self.fontsize - 1
        shapes = (g.small_shape, g.grid_shape) if g.transposed else (g.grid_shape, g.small_shape)
        sides = ((self._left_texts, self.left_origin, shapes[0]),
                 (self._right_texts, self.right_origin, shapes[1]))
        for store, origin, shape in sides:
            for r in range(shape[0]):
                for c in range(shape[1]):
                    t = self.ax.text(origin[0] + c + 0.5, origin[1] + r + 0.5, "", ha="center", va="center",
                                     fontsize=size, zorder=6)
                    store[(r, c)] = t
                    self.texts.append(t)

    # --- one step -------------------------------------------------------------------------------
    def set_frame(self, k: int):
        """Show step ``k`` (0-based); ``k = len(frames)`` is the finished result, nothing highlighted."""
        g = self.geometry
        n = len(g.frames)
        if not 0 <= k <= n:
            raise ValueError(f"frame must be 0 … {n} (there are {n} steps and one final picture), got {k}.")
        big = self._big.copy()
        sh, sw = g.small_shape
        small = np.empty((sh, sw, 3))
        current = g.frames[k] if k < n else None
        rows, cols = g.window(k) if k < n else ((), ())
        if g.transposed:
            # stamps so far: the overlap count of the windows 0 … k, as shades of green
            done = np.zeros(g.grid_shape)
            for j in range(min(k + 1, n)):
                rr, cc = g.window(j)
                done[np.ix_(rr, cc)] += 1
            top = max(1.0, float(self._coverage.max()))
            shade = (done / top)[..., None]
            white = np.array([1.0, 1.0, 1.0])
            green = np.array(_COLORS["out_now"])
            kept = white + shade * (green - white)
            big = np.where(self._real[..., None], kept, big * (1 - 0.5 * shade) + 0.5 * shade * green)
            small[:] = _COLORS["small_in"]
            if current is not None:
                small[current] = _COLORS["tap"]
            left, right = small, big
        else:
            if current is not None:
                big[np.ix_(rows, cols)] = _COLORS["tap"]
            small[:] = _COLORS["out_todo"]
            flat = small.reshape(-1, 3)
            flat[:k] = _COLORS["out_done"]
            if current is not None:
                small[current] = _COLORS["out_now"]
            left, right = big, small
        self.img_left.set_data(left)
        self.img_right.set_data(right)
        # boxes: the kernel's span in the big grid and the current cell in the small grid
        big_origin, small_origin = ((self.right_origin, self.left_origin) if g.transposed
                                    else (self.left_origin, self.right_origin))
        if current is None:
            self.span_box.set_visible(False)
            self.cell_box.set_visible(False)
            self.link.set_data([], [])
        else:
            r0, c0 = rows[0], cols[0]
            bx, by = big_origin[0] + c0, big_origin[1] + r0
            self.span_box.set_bounds(bx, by, g.cols.span, g.rows.span)
            sx, sy = small_origin[0] + current[1], small_origin[1] + current[0]
            self.cell_box.set_bounds(sx, sy, 1, 1)
            self.span_box.set_visible(True)
            self.cell_box.set_visible(True)
            if g.transposed:
                self.link.set_data([sx + 1, bx], [sy + 0.5, by + g.rows.span / 2])
            else:
                self.link.set_data([bx + g.cols.span, sx], [by + g.rows.span / 2, sy + 0.5])
        self._write_numbers(k)

    def _write_numbers(self, k):
        if not self.texts:
            return
        g = self.geometry
        n = len(g.frames)
        if g.transposed:
            if self.x is not None:
                for (r, c), t in self._left_texts.items():
                    t.set_text(_num(self.x[r, c]))
                acc = np.zeros(g.grid_shape)
                for j in range(min(k + 1, n)):
                    rr, cc = g.window(j)
                    r, c = g.frames[j]
                    acc[np.ix_(rr, cc)] += self.x[r, c] * self.w
                touched = np.zeros(g.grid_shape, dtype=bool)
                for j in range(min(k + 1, n)):
                    rr, cc = g.window(j)
                    touched[np.ix_(rr, cc)] = True
                for (r, c), t in self._right_texts.items():
                    t.set_text(_num(acc[r, c]) if touched[r, c] else "")
            else:
                acc = np.zeros(g.grid_shape, dtype=int)
                for j in range(min(k + 1, n)):
                    rr, cc = g.window(j)
                    acc[np.ix_(rr, cc)] += 1
                top = max(1, int(self._coverage.max()))
                for (r, c), t in self._right_texts.items():
                    t.set_text(str(acc[r, c]) if acc[r, c] else "")
                    t.set_color("white" if acc[r, c] / top > 0.7 else "black")
            return
        xp = np.zeros(g.grid_shape)
        xp[g.rows.real.start:g.rows.real.stop, g.cols.real.start:g.cols.real.stop] = self.x
        for (r, c), t in self._left_texts.items():
            t.set_text(_num(xp[r, c]))
            t.set_color((0.55, 0.55, 0.55) if not self._real[r, c] else "black")
        rows, cols = (g.window(k) if k < n else ((), ()))
        for r in rows:
            for c in cols:
                self._left_texts[(r, c)].set_color("white")
        for j, (_, t) in enumerate(sorted(self._right_texts.items())):
            if j <= k and j < n:
                rr, cc = g.window(j)
                t.set_text(_num(float(np.sum(xp[np.ix_(rr, cc)] * self.w))))
                t.set_color("white" if j == k else "black")
            else:
                t.set_text("")


def _num(v) -> str:
    v = float(v)
    return number(round(v) if abs(v - round(v)) < 1e-9 else v, 2)   # a sum that is whole up to rounding: whole


def _title(g: ConvGeometry) -> str:
    """The output-size formula with the numbers substituted (both axes when they differ)."""
    parts = []
    for name, a in (("H", g.rows), ("W", g.cols)):
        i, k, s, p, d = a.size, a.kernel_size, a.stride, a.padding, a.dilation
        if a.transposed:
            text = f"{s}·({i} − 1) − 2·{p} + {d}·({k} − 1) + {a.output_padding} + 1 = {a.out}"
        elif d == 1:
            text = f"⌊({i} + 2·{p} − {k})/{s}⌋ + 1 = {a.out}"
        else:
            text = f"⌊({i} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1 = {a.out}"
        parts.append((name, text))
    if parts[0][1] == parts[1][1]:
        return parts[0][1]
    return ";  ".join(f"{n}′ = {t}" for n, t in parts)


def draw_conv(ax, size, kernel_size, stride=1, padding=0, dilation=1, *, transposed=False, output_padding=0,
              frame=0, x=None, w=None, title=None, dots=True, fontsize=9) -> ConvDiagram:
    """Draw one step of a convolution (or transposed convolution) on ``ax``; return the :class:`ConvDiagram`.

    Left: the padded input, padding in grey, the kernel's taps at step ``frame`` in dark blue, a dot at
    the centre of every window (one dot per output cell), cells no window touches in orange. Right: the
    output, the current cell outlined. ``frame=None`` shows the finished picture with nothing highlighted.
    The title is the output-size formula with the numbers substituted, unless ``title`` is given.
    """
    g = conv_geometry(size, kernel_size, stride, padding, dilation, transposed=transposed,
                      output_padding=output_padding)
    diagram = ConvDiagram(ax, dots=dots and not transposed, fontsize=fontsize)
    diagram.set_geometry(g, x=x, w=w)
    diagram.set_frame(len(g.frames) if frame is None else int_param(frame, "frame", minimum=0))
    ax.set_title(_title(g) if title is None else title, fontsize=fontsize + 1)
    return diagram


def conv_animation(size, kernel_size, stride=1, padding=0, dilation=1, transposed=False, interval=700, *,
                   output_padding=0, x=None, w=None, dpi=70, figsize=None, max_frames=50):
    """An animation of the kernel sliding (conv) or stamping (transposed) for any configuration.

    One frame per output cell (conv: ``H′·W′`` frames) or per input cell (transposed: ``H·W`` frames),
    plus a last frame with the finished result. Returns a ``matplotlib.animation.FuncAnimation`` on its
    own Figure (not a pyplot one, so nothing is shown twice); turn it into HTML with :func:`animation_html`.
    ``x`` and ``w`` (optional, single-channel) write the numbers into the cells.

    >>> anim = conv_animation(4, 2, stride=2, padding=1)
    >>> anim.frame_count                    # 3×3 output cells + the final picture
    10
    """
    from matplotlib.animation import FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g = conv_geometry(size, kernel_size, stride, padding, dilation, transposed=transposed,
                      output_padding=output_padding)
    interval = int_param(interval, "interval", minimum=1)
    n = len(g.frames)
    if n + 1 > max_frames:
        raise ValueError(f"this configuration needs {n + 1} frames, more than max_frames={max_frames}: an "
                         "animation that long makes the notebook large. Use a smaller input or a larger "
                         "stride, or raise max_frames.")
    if figsize is None:
        gh, gw = g.grid_shape
        sh, sw = g.small_shape
        width = gw + sw + ConvDiagram.gap
        height = max(gh, sh) + 1.8
        scale = min(0.45, 7.0 / width)
        figsize = (max(3.0, width * scale + 0.4), max(2.0, height * scale + 0.5))
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.84))
    diagram = ConvDiagram(ax, dots=not transposed, fontsize=9)
    diagram.set_geometry(g, x=x, w=w)
    ax.set_title(_title(g), fontsize=10)

    def update(k):
        diagram.set_frame(k)
        return []

    anim = FuncAnimation(fig, update, frames=n + 1, interval=interval, blit=False, repeat=True)
    anim.frame_count = n + 1
    anim.geometry = g
    anim.diagram = diagram
    return anim


def animation_html(anim, default_mode="loop") -> str:
    """The animation as self-contained HTML (JavaScript player, frames as PNG); show it with IPython's HTML.

    The HTML holds random element ids, so a notebook cell that shows it starts with ``# NBVAL_IGNORE_OUTPUT``.
    It works offline: matplotlib's player links its button icons (Font Awesome) from a CDN; that link is
    replaced by a few lines of CSS that draw the same buttons with plain Unicode symbols.

    >>> import matplotlib.pyplot as plt
    >>> html = animation_html(conv_animation(4, 3, dpi=30))
    >>> "https://" in html, "fa-play" in html
    (False, True)
    >>> plt.close("all")
    """
    if not hasattr(anim, "to_jshtml"):
        raise TypeError("anim must be a matplotlib animation (from conv_animation), "
                        f"got {type(anim).__name__}.")
    if default_mode not in ("loop", "once", "reflect"):
        raise ValueError(f"default_mode must be 'loop', 'once' or 'reflect', got {default_mode!r}.")
    html = anim.to_jshtml(default_mode=default_mode)
    return _CDN_ICON_LINK.sub(lambda _: _OFFLINE_ICONS, html)


_CDN_ICON_LINK = re.compile(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">')
_OFFLINE_ICONS = """<style>
.animation .fa { font-style: normal; font-family: sans-serif; }
.animation .fa-play:before { content: "\\25B6"; }
.animation .fa-pause:before { content: "\\23F8"; }
.animation .fa-step-forward:before { content: "\\23ED"; }
.animation .fa-step-backward:before { content: "\\23EE"; }
.animation .fa-fast-forward:before { content: "\\23E9"; }
.animation .fa-fast-backward:before { content: "\\23EA"; }
.animation .fa-plus:before { content: "+"; }
.animation .fa-minus:before { content: "\\2212"; }
.animation .fa-flip-horizontal { display: inline-block; transform: scaleX(-1); }
</style>"""
