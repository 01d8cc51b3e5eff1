"""Figures the notebooks share: a small matrix with its numbers, a grid of images, boxes on a scene, the pushes of a
1D convolution's gradient; training curves, one of them live (it redraws itself after every epoch).

Plotting aids, not lessons: each draws on a matplotlib axis (or returns a figure); the numbers it writes are
the ones the notebook computes and checks beside it. matplotlib is imported inside the functions, so
``import helpers`` stays light.
"""

from __future__ import annotations

import math

import numpy as np

from ._text import number
from ._validate import as_array, describe

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


# --------------------------------------------------------------------------- training curves
def history_lists(history) -> dict:
    """The per-epoch lists of a training history, by name: from the dict a hand-written loop returns
    (``{"loss": […], "accuracy": […]}``, notebook 06 section 4) or from :class:`helpers.train.History`
    (``train_loss``, ``train_acc``, ``test_acc``, ``test_loss``). Keys: ``"loss"``, ``"accuracy"`` and, when
    measured, ``"test loss"``, ``"test accuracy"``; values are lists of floats (nan where not measured).

    >>> history_lists({"loss": [2.0, 1.0], "accuracy": [0.5, 0.75]})
    {'loss': [2.0, 1.0], 'accuracy': [0.5, 0.75]}
    """
    if isinstance(history, dict):
        missing = [k for k in ("loss", "accuracy") if k not in history]
        if missing:
            raise ValueError(f"history must hold the lists \"loss\" and \"accuracy\" (one number per epoch); "
                             f"it has the keys {sorted(map(str, history))}.")
        out = {k: [float(v) for v in history[k]] for k in ("loss", "accuracy")}
        for k in ("test loss", "test accuracy"):
            if k in history:
                out[k] = [float(v) for v in history[k]]
        return out
    if hasattr(history, "train_loss") and hasattr(history, "train_acc"):
        out = {"loss": [float(v) for v in history.train_loss], "accuracy": [float(v) for v in history.train_acc]}
        for k, attr in (("test loss", "test_loss"), ("test accuracy", "test_acc")):
            values = [float(v) for v in getattr(history, attr, [])]
            if values and not all(math.isnan(v) for v in values):
                out[k] = values
        return out
    raise TypeError(f"history must be the dict of lists a training loop returns ({{\"loss\": […], \"accuracy\": "
                    f"[…]}}) or a helpers.train.History, got {describe(history)}.")


class LivePlot:
    """A training figure that redraws itself after every epoch: the loss (left) and the accuracy (right).

    Pass it as a training loop's ``after_epoch`` (notebook 06, section 4): the loop calls ``live(history)`` at
    the end of every epoch with its history (see :func:`history_lists`). With ``test=(model, X_test, y_test)``
    it also measures the test loss and accuracy of ``model`` at that moment (cross-entropy and
    :func:`helpers.train.evaluate`) and keeps them in ``live.test_loss`` and ``live.test_accuracy``.

    In a notebook the figure is shown once, when the LivePlot is made, and each call replaces that same
    output (IPython's ``display`` with a ``display_id``), so JupyterLab shows the curves growing and the cell
    keeps a single output: the final figure. That is also what a stored notebook holds and what strict nbval
    compares: one display whose text is the figure's size (nbval does not compare the image). The figure is
    made without pyplot, so the inline backend does not show it a second time at the end of the cell.
    ``show=False`` draws without displaying (tests, scripts); ``live.figure`` is the matplotlib Figure.

    >>> live = LivePlot(epochs=3, show=False)
    >>> live({"loss": [2.3, 1.1], "accuracy": [0.1, 0.6]})
    >>> live.lines["loss"].get_ydata().tolist(), live.lines["accuracy"].get_ydata().tolist()
    ([2.3, 1.1], [10.0, 60.0])
    """

    def __init__(self, epochs, *, test=None, title=None, figsize=(7.5, 2.6), dpi=72, show=True):
        from matplotlib.figure import Figure

        from ._validate import flag, whole

        self.epochs = whole(epochs, "epochs", minimum=1)
        show = flag(show, "show")
        if test is not None and not (isinstance(test, (tuple, list)) and len(test) == 3):
            raise TypeError(f"test must be (model, X_test, y_test) or None, got {describe(test)}.")
        self.test = test
        self.test_loss, self.test_accuracy = [], []
        self.figure = Figure(figsize=figsize, dpi=dpi)
        ax_loss, ax_acc = self.figure.subplots(1, 2)
        self.axes = {"loss": ax_loss, "accuracy": ax_acc}
        styles = {"loss": (ax_loss, "o-", "tab:blue", "training"), "test loss": (ax_loss, "s-", "tab:orange", "test"),
                  "accuracy": (ax_acc, "o-", "tab:blue", "training"),
                  "test accuracy": (ax_acc, "s-", "tab:orange", "test")}
        self.lines = {}
        for key, (ax, style, colour, label) in styles.items():
            if key.startswith("test") and test is None:
                continue
            (self.lines[key],) = ax.plot([], [], style, ms=3, color=colour, label=label)
        for ax, what in ((ax_loss, "loss (lower is better)"), (ax_acc, "accuracy % (higher is better)")):
            ax.set_xlim(0.5, self.epochs + 0.5)
            ax.set_xlabel("epoch")
            ax.set_title(what, fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(loc="center right", fontsize=8)
        ax_loss.set_ylim(0, 2.5)
        ax_acc.set_ylim(0, 100)
        if title:
            self.figure.suptitle(title, fontsize=11)
        self.figure.tight_layout()
        self._handle = None
        if show:
            from IPython.display import display

            self._handle = display(self.figure, display_id=True)

    def __call__(self, history):
        lists = history_lists(history)
        if self.test is not None:
            self._measure()
            lists["test loss"], lists["test accuracy"] = self.test_loss, self.test_accuracy
        top = 2.5
        for key, line in self.lines.items():
            values = np.asarray(lists.get(key, []), dtype=float)
            scale = 100.0 if "accuracy" in key else 1.0
            line.set_data(np.arange(1, len(values) + 1), scale * values)
            if "loss" in key and np.isfinite(values).any():
                top = max(top, 1.05 * float(np.nanmax(values[np.isfinite(values)])))
        self.axes["loss"].set_ylim(0, top)
        if self._handle is not None:
            self._handle.update(self.figure)

    def _measure(self):
        import torch
        import torch.nn.functional as F

        from .train import evaluate, predict

        model, X, y = self.test
        scores = torch.from_numpy(predict(model, X, logits=True))
        labels = torch.as_tensor(np.asarray(y), dtype=torch.long)
        self.test_loss.append(float(F.cross_entropy(scores, labels)))
        self.test_accuracy.append(evaluate(model, X, y))


def compare_histories(histories, *, steps=False, title=None, figsize=(7.5, 2.6), dpi=72, logy=False):
    """Several training runs in one figure: the training loss (left) and the accuracy (right), one colour a run.

    ``histories`` maps a label (such as ``"lr = 0.005"``) to a history (see :func:`history_lists`); the
    accuracy panel shows the test accuracy where every history has one, else the training accuracy (dashed).
    ``steps=True`` counts optimizer steps on the x-axis instead of epochs, and draws the loss of every step
    (``History.batch_loss``, which :func:`helpers.train.fit` records): runs with different batch sizes are
    then compared step for step, and a loss that shoots up in the first steps shows. ``logy``: the loss on a
    log scale (a loss that blows up and one that crawls, in one panel). Returns the Figure.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = compare_histories({"a": {"loss": [2.0, 1.0], "accuracy": [0.5, 0.8]},
    ...                          "b": {"loss": [2.2, 2.1], "accuracy": [0.2, 0.3]}})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['a', 'b']
    """
    import matplotlib.pyplot as plt

    from ._validate import flag

    if not isinstance(histories, dict) or not histories:
        raise TypeError(f"histories must be a dict {{label: history}} with at least one run, got "
                        f"{describe(histories)}.")
    steps, logy = flag(steps, "steps"), flag(logy, "logy")
    lists = {label: history_lists(h) for label, h in histories.items()}
    test = all("test accuracy" in v for v in lists.values())
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize, dpi=dpi)
    for i, (label, history) in enumerate(histories.items()):
        runs = lists[label]
        colour = f"C{i}"
        epochs = np.arange(1, len(runs["loss"]) + 1, dtype=float)
        if steps:
            per_step = [float(v) for v in getattr(history, "batch_loss", [])]
            if not per_step or len(per_step) % len(epochs):
                raise ValueError(f"steps=True needs the loss of every step (History.batch_loss, recorded by fit); "
                                 f"the run {label!r} has none.")
            x = epochs * (len(per_step) // len(epochs))
            ax_loss.plot(np.arange(1, len(per_step) + 1), per_step, "-", lw=1.2, color=colour, label=str(label))
        else:
            x = epochs
            ax_loss.plot(x, runs["loss"], "o-", ms=3, color=colour, label=str(label))
        accuracy = runs["test accuracy"] if test else runs["accuracy"]
        ax_acc.plot(x, 100 * np.asarray(accuracy), "o-" if test else "o--", ms=3, color=colour, label=str(label))
    ax_loss.set_title("training loss" + (" of every step" if steps else ""), fontsize=10)
    ax_acc.set_title(f"{'test' if test else 'training'} accuracy % after each epoch", fontsize=10)
    if logy:
        ax_loss.set_yscale("log")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("optimizer steps" if steps else "epoch")
        ax.grid(alpha=0.3)
    ax_acc.set_ylim(0, 100)
    ax_loss.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
