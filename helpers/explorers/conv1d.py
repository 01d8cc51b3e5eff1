"""Slide a filter along a signal one position at a time (notebook 01, "conv1d by hand").

The pure core is :func:`filter_step`: for output position ``i`` it returns the window of the signal
under the filter, the pairwise products, their sum (the output value ``out[i]``) and the output filled
in up to and including ``i``. :class:`FilterSlider` draws that state as four rows — the signal, the
filter laid under its window, the products, the output so far — with dropdowns for the signal and the
filter and a slider for the position. :func:`steps_figure` draws every position of one example, one
row of panels per position: the worked example as a single static picture.

The signals and filters it offers:

* ``SIGNALS``: the seed lecture's two inputs [0, 1, 0, 1, 1] and [0, 1, −1, 1, 1], and a longer
  signal with two steps up and two steps down;
* ``FILTERS``: the seed's [−1, 1] (responds to a rise), its mirror [1, −1] (a fall), a two-point
  average and the bump detector [−1, 2, −1];
* optionally the student's own (``FilterSlider(my_signal=…, my_filter=…)``).
"""

from __future__ import annotations

import io

import numpy as np

from .._text import decimals
from .._validate import as_array, int_param
from .base import Explorer

SIGNALS = {
    "seed 1": np.array([0, 1, 0, 1, 1]),
    "seed 2": np.array([0, 1, -1, 1, 1]),
    "steps": np.array([0, 0, 1, 1, 1, 0, 0, 2, 2, 2, 0, 0]),
}
SIGNAL_LABELS = {"seed 1": "seed [0 1 0 1 1]", "seed 2": "seed [0 1 −1 1 1]",
                 "steps": "two steps up and down", "mine": "my signal"}
FILTERS = {
    "rise": np.array([-1, 1]),
    "fall": np.array([1, -1]),
    "average": np.array([0.5, 0.5]),
    "bump": np.array([-1, 2, -1]),
}
FILTER_LABELS = {"rise": "rise [−1 1]", "fall": "fall [1 −1]", "average": "average [½ ½]",
                 "bump": "bump [−1 2 −1]", "mine": "my filter"}

MAX_LEN = 16            # my_signal: at most 16 samples, so every number stays readable
MAX_K = 5               # my_filter: at most 5 taps

_ROWS = ("input x", "filter w", "products", "output")


def _check_1d(a, name, *, max_len):
    a = as_array(a, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of numbers, got shape {a.shape}"
                         + (f"; flatten it with np.ravel({name})" if a.size <= max_len else "") + ".")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity; give finite numbers.")
    if a.size > max_len:
        raise ValueError(f"{name} has {a.size} numbers; at most {max_len} fit in this explorer.")
    return a


def filter_step(x, w, position) -> dict:
    """One position of sliding filter ``w`` along signal ``x`` (cross-correlation, stride 1, no padding).

    The picture behind it: lay w under x starting at sample ``position``, multiply pairwise, add up.

    Shapes: x (L,), w (K,); the output has L' = L − K + 1 entries and ``position`` is one of 0 … L' − 1.

    Returns a dict with ``position``, ``window = x[position:position + K]``, ``products = window * w``,
    ``sum`` (their sum: the output value ``out[position]``), ``output`` (the whole output),
    ``output_so_far`` (a float array of length L', NaN where the filter has not been yet) and
    ``n_positions`` (L').

    The seed lecture's first example, filter [-1, 1] on [0, 1, 0, 1, 1], at its second position:

    >>> s = filter_step([0, 1, 0, 1, 1], [-1, 1], 1)
    >>> s["window"], s["products"], s["sum"]
    (array([1, 0]), array([-1,  0]), -1)
    >>> s["output_so_far"]
    array([ 1., -1., nan, nan])
    >>> s["output"], s["n_positions"]
    (array([ 1, -1,  1,  0]), 4)
    """
    x = as_array(x, "x")
    w = as_array(w, "w")
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError(f"x and w must both be 1-D (one signal, one filter); got x of shape {x.shape} and w "
                         f"of shape {w.shape}.")
    n, k = x.size, w.size
    if k > n:
        raise ValueError(f"filter of length {k} does not fit in the signal of length {n}: the output would "
                         f"have {n} − {k} + 1 = {n - k + 1} entries. Use a shorter filter.")
    n_out = n - k + 1
    position = int_param(position, "position", minimum=0)
    if position >= n_out:
        raise ValueError(f"position must be between 0 and {n_out - 1} (the output has L − K + 1 = {n} − {k} "
                         f"+ 1 = {n_out} entries), got {position}.")
    window = x[position:position + k]
    products = window * w
    # the whole output from K shifted copies of the signal (independent of the window above)
    output = sum(w[j] * x[j:j + n_out] for j in range(k))
    so_far = np.full(n_out, np.nan)
    so_far[:position + 1] = output[:position + 1]
    return {
        "position": position,
        "window": window.copy(),
        "products": products,
        "sum": products.sum().item(),
        "output": output,
        "output_so_far": so_far,
        "n_positions": n_out,
    }


def _sum_text(window, w) -> str:
    """``0·(−1) + 1·1`` — the products written out, negative factors in brackets."""
    def factor(v):
        t = decimals(v)
        return f"({t})" if t.startswith("−") else t
    return " + ".join(f"{factor(a)}·{factor(b)}" for a, b in zip(window, w, strict=True))


class _Rows:
    """The artists of one four-row panel (signal, filter, products, output), made once, updated in place."""

    def __init__(self, ax, max_len, fontsize=10):
        import matplotlib as mpl
        from matplotlib.patches import Rectangle

        self.ax = ax
        cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="#f1f1f1")
        blank = np.zeros((1, max_len))
        self.im = [ax.imshow(blank, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest", aspect="auto")
                   for _ in _ROWS]
        self.texts = [[ax.text(c, r, "", ha="center", va="center", fontsize=fontsize, visible=False)
                       for c in range(max_len)] for r in range(len(_ROWS))]
        self.window_box = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="#e8590c", lw=2.5, zorder=5)
        self.out_box = Rectangle((-0.5, 2.5), 1, 1, fill=False, ec="#e8590c", lw=2.5, zorder=5)
        ax.add_patch(self.window_box)
        ax.add_patch(self.out_box)
        ax.set_yticks(range(len(_ROWS)), _ROWS)
        ax.tick_params(length=0)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        self._layout = None

    def _row(self, r, values, start, vmax):
        im = self.im[r]
        im.set_data(np.ma.masked_invalid(np.asarray(values, dtype=float)[None, :]))
        im.set_clim(-2.0 * vmax, 2.0 * vmax)         # soft colours: numbers stay readable in black
        im.set_extent((start - 0.5, start + len(values) - 0.5, r + 0.5, r - 0.5))
        for c, t in enumerate(self.texts[r]):
            v = values[c - start] if start <= c < start + len(values) else np.nan
            if np.isnan(v):
                if t.get_visible():
                    t.set_visible(False)
                continue
            t.set_text(decimals(v))
            t.set_visible(True)

    def update(self, x, w, s):
        n, k, p = len(x), len(w), s["position"]
        if self._layout != (n, k, id(x), id(w)):
            # things that change only with the signal or the filter
            self._vx = float(np.abs(x).max()) or 1.0
            self._vw = float(np.abs(w).max()) or 1.0
            self._vp = self._vx * self._vw
            self._vo = float(np.abs(s["output"]).max()) or 1.0
            self._row(0, x.astype(float), 0, self._vx)
            self.ax.set_xlim(-0.5, n - 0.5)
            self.ax.set_ylim(len(_ROWS) - 0.5, -0.5)
            self.ax.set_xticks(range(n), [str(i) for i in range(n)], fontsize=8)
            self.window_box.set_width(k)
            self._layout = (n, k, id(x), id(w))
        self._row(1, w.astype(float), p, self._vw)
        self._row(2, s["products"].astype(float), p, self._vp)
        self._row(3, s["output_so_far"], 0, self._vo)
        self.window_box.set_xy((p - 0.5, -0.5))
        self.out_box.set_xy((p - 0.5, 2.5))


class FilterSlider(Explorer):
    """Slide a 1D filter along a signal one position at a time; see the module docstring.

    State: ``signal`` ("seed 1", "seed 2", "steps" or "mine"), ``filter`` ("rise", "fall", "average",
    "bump" or "mine") and ``position`` (0 … L − K; clamped into range by :meth:`constrain`).

    >>> ex = FilterSlider()
    >>> ex.compute(signal="seed 2", filter="rise", position=3)["output_so_far"]
    array([ 1., -2.,  2.,  0.])
    >>> ex.constrain({"signal": "seed 1", "filter": "bump", "position": 9})["position"]
    2
    """

    figsize = (8.0, 2.6)
    dpi = 80

    def __init__(self, my_signal=None, my_filter=None, *, signal="seed 1", filter="rise", position=0):
        self.signals = dict(SIGNALS)
        self.filters = dict(FILTERS)
        if my_signal is not None:
            self.signals["mine"] = _check_1d(my_signal, "my_signal", max_len=MAX_LEN)
        if my_filter is not None:
            self.filters["mine"] = _check_1d(my_filter, "my_filter", max_len=MAX_K)
            if self.filters["mine"].size > min(s.size for s in self.signals.values()):
                raise ValueError(f"my_filter has {self.filters['mine'].size} taps, longer than the shortest "
                                 "signal offered (5 samples): use at most 5 taps.")
        self._initial = {"signal": signal, "filter": filter, "position": position}
        super().__init__()

    # --- state ---------------------------------------------------------------------------------
    def default_state(self) -> dict:
        return dict(self._initial)

    def _lookup(self, table, key, name):
        if key not in table:
            extra = f" (pass your own with FilterSlider(my_{name}=…))" if key == "mine" else ""
            raise ValueError(f"{name} must be one of {sorted(table)}, got {key!r}{extra}.")
        return table[key]

    def n_positions(self, signal=None, filter=None) -> int:
        """How many positions the filter visits on the signal (L − K + 1)."""
        x = self._lookup(self.signals, signal or self.state["signal"], "signal")
        w = self._lookup(self.filters, filter or self.state["filter"], "filter")
        return x.size - w.size + 1

    def constrain(self, state: dict) -> dict:
        """Keep ``position`` in range for the current signal and filter (a longer filter has fewer)."""
        state = dict(state)
        n = self.n_positions(state.get("signal"), state.get("filter"))
        p = state.get("position", 0)
        if isinstance(p, bool) or not isinstance(p, (int, np.integer, float)):
            raise TypeError(f"position must be a whole number, got {p!r}.")
        state["position"] = int(min(max(int(p), 0), n - 1))
        return state

    def compute(self, signal="seed 1", filter="rise", position=0) -> dict:
        """State in, numbers out: :func:`filter_step` on the chosen signal and filter, plus both arrays."""
        x = self._lookup(self.signals, signal, "signal")
        w = self._lookup(self.filters, filter, "filter")
        result = filter_step(x, w, position)
        result["signal"] = x
        result["filter"] = w
        return result

    def benchmark_states(self) -> list[dict]:
        states = [{"signal": "seed 1", "filter": "rise", "position": p} for p in range(4)]
        states += [{"signal": "steps", "filter": f, "position": p}
                   for f in ("bump", "average") for p in (0, 5, 9)]
        return states

    # --- view ----------------------------------------------------------------------------------
    def build(self) -> None:
        self.fig.patch.set_facecolor("white")
        ax = self.fig.add_axes([0.13, 0.22, 0.85, 0.74])
        self.rows = _Rows(ax, MAX_LEN)
        self.caption = self.fig.text(0.55, 0.03, "", ha="center", va="bottom", fontsize=11)
        # what a slider move redraws; the rest (labels, the input row) is a cached background
        r = self.rows
        self._dynamic = [*r.im[1:], *[t for row in r.texts[1:] for t in row], r.window_box, r.out_box,
                         self.caption]
        self.draw(**self.state)

    def draw(self, signal="seed 1", filter="rise", position=0) -> None:
        s = self.compute(signal=signal, filter=filter, position=position)
        self.rows.update(s["signal"], s["filter"], s)
        self.caption.set_text(
            f"filter at position {position} (of 0…{s['n_positions'] - 1}):  out[{position}] = "
            f"{_sum_text(s['window'], s['filter'])} = {decimals(s['sum'])}")

    def dynamic_artists(self) -> list:
        """What a move redraws (blitted over a cached background; see helpers.explorers.base)."""
        return self._dynamic

    def background_key(self):
        return self.rows._layout

    # --- widget --------------------------------------------------------------------------------
    def controls(self) -> dict:
        import ipywidgets as widgets

        wide = widgets.Layout(width="260px")
        return {
            "signal": widgets.Dropdown(options=[(SIGNAL_LABELS[k], k) for k in self.signals],
                                       description="signal", layout=wide),
            "filter": widgets.Dropdown(options=[(FILTER_LABELS[k], k) for k in self.filters],
                                       description="filter", layout=wide),
            "position": widgets.IntSlider(min=0, max=self.n_positions() - 1, description="position",
                                          continuous_update=True, layout=widgets.Layout(width="300px")),
        }

    def widget(self):
        """The base widget plus a ▶ button; the position slider's range follows the signal and filter."""
        return self.add_play(super().widget(), "position", ('signal', 'filter'), self.n_positions, interval=800)


def steps_figure(x, w, *, dpi=72):
    """Every position of sliding ``w`` along ``x`` in one picture (an IPython PNG image), a panel a position.

    Shapes: x (L,) with L ≤ 16, w (K,) with K ≤ L; the picture has L − K + 1 panels, stacked top to
    bottom, each drawn like :class:`FilterSlider` and captioned with the sum it computes.

    >>> img = steps_figure([0, 1, 0, 1, 1], [-1, 1])
    >>> img.data[:4] == b"\\x89PNG"
    True
    """
    from IPython.display import Image
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = _check_1d(x, "x", max_len=MAX_LEN)
    w = _check_1d(w, "w", max_len=MAX_LEN)
    n_out = filter_step(x, w, 0)["n_positions"]
    # layout in inches: row labels | one 0.5-inch cell per sample | the sum written out
    label, cells, text = 0.95, 0.5 * x.size, 0.45 * w.size * 2 + 1.6
    panel, gap = 1.0, 0.3
    fig_w, fig_h = label + cells + text, n_out * (panel + gap)
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    for p in range(n_out):
        bottom = fig_h - (p + 1) * (panel + gap) + gap / 2
        ax = fig.add_axes([label / fig_w, bottom / fig_h, cells / fig_w, panel / fig_h])
        s = filter_step(x, w, p)
        _Rows(ax, x.size, fontsize=9).update(x, w, s)
        ax.set_xticks([])
        ax.tick_params(axis="y", labelsize=9)
        ax.text(1.0 + 0.15 / cells, 0.5, f"out[{p}] = {_sum_text(s['window'], w)} = {decimals(s['sum'])}",
                transform=ax.transAxes, ha="left", va="center", fontsize=10)
    buf = io.BytesIO()
    canvas.print_png(buf, metadata={"Software": None})
    return Image(data=buf.getvalue(), format="png")


__all__ = ["FILTERS", "FILTER_LABELS", "FilterSlider", "SIGNALS", "SIGNAL_LABELS", "filter_step",
           "steps_figure"]
