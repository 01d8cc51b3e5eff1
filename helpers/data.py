"""Data for the notebooks: the bundled 8×8 digits, generated shapes, and loaders for MNIST and CIFAR-10.

Everything comes back as NumPy arrays in the layout torch uses: images ``float32`` of shape
``(N, C, H, W)`` with values in ``[0, 1]``, labels ``int64`` of shape ``(N,)``.

* :func:`load_digits` reads ``data/digits.npz`` (1,797 handwritten digits, 8×8 pixels, shipped with the
  series; see ``data/README.md`` for source and licence). No download.
* :func:`make_shapes` draws lines, crosses, squares, circles and triangles at random places, with their
  pixel masks, for experiments where we control where things appear. Built on it, for notebook 09's
  detector: :func:`make_scene` (several shapes on one canvas, with their true boxes) and
  :func:`make_window_patches` (training patches "is there a whole cross in here?").
* Changed copies of images (notebook 09's denoising and augmentation): :func:`add_noise`,
  :func:`shift_images`, :func:`rotate_images` and :func:`augment` (random shifts, rotations and noise).
* Data where convolution visibly wins (notebook 10): :func:`load_mnist1d` generates MNIST-1D (signals of
  length 40, layout ``(N, 1, 40)``) with the ``mnist1d`` package, on this computer, without a download;
  :func:`place_on_canvas` pastes images (the 8×8 digits) at random positions on a larger blank canvas.
* :func:`load_mnist` and :func:`load_cifar10` read the real datasets through torchvision for students
  who have downloaded them; they never download anything themselves.

torch and torchvision are imported only inside the functions that use them (the two real-data loaders
and :func:`rotate_images`), and mnist1d only inside :func:`load_mnist1d`.
"""

from __future__ import annotations

import functools
import os
import random
from pathlib import Path

import numpy as np

from ._validate import as_array, describe, flag, images, real, whole
from ._validate import seed as _check_seed

SHAPE_KINDS = ("line", "cross", "square", "circle", "triangle")
"""Every shape :func:`make_shapes` can draw; labels index the ``kinds`` you pass (default: the first four)."""

DATA_ENV_VAR = "CNN_BY_HAND_DATA"
DIGITS_FILE = "digits.npz"


# --------------------------------------------------------------------------- small argument checks
def _examples(a, name: str) -> np.ndarray:
    """``a`` (an array, a list or a tensor) as a NumPy array with one entry per example along axis 0."""
    if a is None:
        raise TypeError(f"{name} is None: pass a NumPy array (or a list or tensor) with one entry per example.")
    if isinstance(a, (str, bytes)):
        raise TypeError(f"{name} is {describe(a)}: pass a NumPy array with one entry per example.")
    if hasattr(a, "detach") and hasattr(a, "numpy"):
        a = a.detach().cpu().numpy()
    try:
        arr = np.asarray(a)
    except ValueError:
        raise ValueError(f"{name} could not be read as an array: its rows must all have the same length.") from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must hold one entry per example along its first axis, got the single value "
                         f"{describe(a)}.")
    return arr


def _sequence(value, length: int):
    """A tuple of ``length`` items from a tuple, a list or a 1-D array; None when ``value`` is none of these."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, (tuple, list)) and len(value) == length:
        return tuple(value)
    return None


# --------------------------------------------------------------------------- the bundled digits
def data_path(name: str = DIGITS_FILE) -> Path:
    """Where a file shipped in the series' ``data/`` folder is, for this installation.

    Looked up in order: the folder named by the environment variable ``CNN_BY_HAND_DATA``; the
    repository's ``data/`` next to ``helpers/`` (a checkout, or ``pip install -e .``); ``helpers/_data/``
    inside an installed package (``pip install .``, e.g. on Colab, where pyproject.toml maps ``data/`` there).

    >>> data_path().name
    'digits.npz'
    """
    here = Path(__file__).resolve().parent
    candidates = []
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        candidates.append(Path(env) / name)
    candidates += [here.parent / "data" / name, here / "_data" / name]
    for path in candidates:
        if path.is_file():
            return path
    tried = "\n  ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"The series' data file {name!r} was not found. Looked in:\n  {tried}\n"
        f"It ships in the repository's data/ folder: run from a checkout of the repository (`make lab`), "
        f"reinstall the package with `pip install .`, or set {DATA_ENV_VAR} to the folder that holds it."
    )


@functools.lru_cache(maxsize=1)
def _digits_uint8() -> tuple[np.ndarray, np.ndarray]:
    with np.load(data_path(DIGITS_FILE), allow_pickle=False) as f:
        images, labels = f["images"], f["labels"]
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise ValueError(f"{data_path(DIGITS_FILE)} is damaged: images {images.shape}, "
                         f"labels {labels.shape}; expected (1797, 8, 8) and (1797,). Restore it from the "
                         "repository.")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits of UCI optdigits (the copy in scikit-learn), as ``(X, y)``.

    Shapes: ``X`` float32 ``(1797, 1, 8, 8)`` — one channel, 8×8 pixels — with the original counts
    0..16 divided by 16, so values lie in ``[0, 1]``; ``y`` int64 ``(1797,)``, the digit 0..9.
    Each call returns fresh arrays that you may modify.

    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((1797, 1, 8, 8), dtype('float32'), (1797,), dtype('int64'))
    >>> float(X.min()), float(X.max()), np.bincount(y).tolist()
    (0.0, 1.0, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    """
    images, labels = _digits_uint8()
    X = (images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    return X, labels.astype(np.int64)


def train_test_split(X, y, test_fraction: float = 0.25, seed: int = 0):
    """Split ``(X, y)`` into a training and a test part, class by class, deterministically for a seed.

    From every class, ``round(test_fraction · count)`` examples (chosen at random with ``seed``) go to
    the test part and the rest to the training part, so both parts keep the class proportions.
    Within each part the examples come in a random order. ``X`` may have any shape ``(N, …)``.

    Returns ``(X_train, y_train, X_test, y_test)``.

    >>> X, y = load_digits()
    >>> X_train, y_train, X_test, y_test = train_test_split(X, y)
    >>> X_train.shape, X_test.shape
    ((1347, 1, 8, 8), (450, 1, 8, 8))
    """
    X = _examples(X, "X")
    y = _examples(y, "y")
    if y.ndim != 1:
        hint = (" It looks one-hot (one row per example): y.argmax(axis=1) gives the class numbers."
                if y.ndim == 2 and y.shape[1] > 1 else
                " y.ravel() makes a column of labels flat." if y.ndim == 2 else "")
        raise ValueError(f"y must be one label per example, shape (N,); got shape {y.shape}.{hint}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of examples: X has shape {X.shape}, "
                         f"y has {y.shape[0]} labels.")
    if y.size == 0:
        raise ValueError(f"X and y hold no examples (X has shape {X.shape}): there is nothing to split.")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"y holds {int(np.isnan(y).sum())} NaN (not-a-number) labels, the first at index "
                         f"{int(np.flatnonzero(np.isnan(y))[0])}: every example needs a class.")
    test_fraction = real(test_fraction, "test_fraction", ok=lambda v: 0 < v < 1,
                         fits="a number strictly between 0 and 1 (e.g. 0.25 for a quarter)")
    rng = np.random.default_rng(_check_seed(seed))
    train_idx, test_idx = [], []
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        idx = idx[rng.permutation(idx.size)]
        n_test = int(round(test_fraction * idx.size))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = np.concatenate(train_idx)
    test_idx = np.concatenate(test_idx)
    if train_idx.size == 0 or test_idx.size == 0:
        empty = "training" if train_idx.size == 0 else "test"
        raise ValueError(f"test_fraction={test_fraction} leaves the {empty} "
                         f"part empty with {y.size} examples; use a fraction further from 0 and 1.")
    train_idx = train_idx[rng.permutation(train_idx.size)]
    test_idx = test_idx[rng.permutation(test_idx.size)]
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


# --------------------------------------------------------------------------- generated shapes
def _draw(kind: str, extent: int, thickness: int, variant: int) -> np.ndarray:
    """A boolean ``extent×extent`` mask of one shape; ``variant`` picks an orientation where there is one."""
    s, t = extent, thickness
    r, c = np.mgrid[0:s, 0:s]
    mid = (s - 1) / 2
    if kind in ("line", "cross") and (s - t) % 2:
        t += 1                  # a bar centred exactly needs s − t even: same margin on both sides
    start = (s - t) // 2
    across = (r >= start) & (r < start + t)      # a horizontal bar through the middle
    down = (c >= start) & (c < start + t)        # a vertical bar through the middle
    if kind == "line":          # horizontal, vertical, or one of the two diagonals, corner to corner
        if variant == 0:
            return across
        if variant == 1:
            return down
        d = (r - c) if variant == 2 else (r + c - (s - 1))
        return np.abs(d) < t / 2 + 0.5
    if kind == "cross":         # a plus sign: one horizontal and one vertical bar through the middle
        return across | down
    if kind == "square":        # the outline of the whole box
        return (r < t) | (r >= s - t) | (c < t) | (c >= s - t)
    if kind == "circle":        # a ring touching the box's sides
        dist = np.hypot(r - mid, c - mid)
        return np.abs(dist - (mid - (t - 1) / 2)) < t / 2 + 0.3
    if kind == "triangle":      # outline of a triangle: base at the bottom, apex at the top middle
        inside = _triangle_fill(r, c, s, shrink=0)
        core = _triangle_fill(r, c, s, shrink=t)
        return inside & ~core
    raise AssertionError(kind)


def _triangle_fill(r, c, s, shrink):
    """Pixels ``shrink`` or more inside the triangle: apex (0, mid), base corners (s−1, 0) and (s−1, s−1)."""
    mid = (s - 1) / 2
    slant = np.hypot(s - 1, mid)
    d_left = ((s - 1) * (c - mid) + mid * r) / slant          # distance to the left side, positive inside
    d_right = ((s - 1) * (mid - c) + mid * r) / slant         # the same for the right side
    d_base = (s - 1) - r
    return (d_left >= shrink - 0.5) & (d_right >= shrink - 0.5) & (d_base >= shrink)


def _check_region(region, size: int):
    if region is None:
        return 0, 0, size, size
    items = _sequence(region, 4)
    if items is None:
        raise TypeError("region must be None or a tuple (top, left, height, width) in pixels, "
                        f"got {describe(region)}.")
    names = ("top", "left", "height", "width")
    top, left, height, width = (whole(v, f"region[{i}] ({n})", minimum=0)
                                for i, (v, n) in enumerate(zip(items, names, strict=True)))
    if height < 1 or width < 1 or top + height > size or left + width > size:
        raise ValueError(
            f"region (top={top}, left={left}, height={height}, width={width}) must lie inside the "
            f"{size}×{size} image: need height, width ≥ 1, top + height ≤ {size} and left + width ≤ {size}."
        )
    return top, left, height, width


def _check_kinds(kinds) -> tuple:
    """``kinds`` as a tuple of names; a single text, a set or None is refused with the fix."""
    if isinstance(kinds, str):
        raise TypeError(f"kinds must be a list or tuple of names from SHAPE_KINDS {SHAPE_KINDS}, got the single "
                        f"text {kinds!r}: for one kind write [{kinds!r}] (a list), for several "
                        f"e.g. ['line', 'cross'].")
    if isinstance(kinds, (set, frozenset)):
        raise TypeError(f"kinds must be a list or tuple, not a set: a set has no fixed order, so label 0, 1, … "
                        f"could name other kinds in the next run. Write e.g. {sorted(kinds, key=str)!r}.")
    if isinstance(kinds, np.ndarray):
        kinds = kinds.tolist()
    if not isinstance(kinds, (tuple, list)):
        raise TypeError(f"kinds must be a list or tuple of names from SHAPE_KINDS {SHAPE_KINDS}, "
                        f"got {describe(kinds)}.")
    return tuple(kinds)


def make_shapes(n: int, size: int = 28, seed: int = 0, kinds=("line", "cross", "square", "circle"),
                region=None, noise: float = 0.0, *, extent=None, thickness=None):
    """Draw ``n`` simple shapes (one per image) at random positions and sizes; return images, labels, masks.

    Every image is ``size×size`` and black (0) except for one shape, drawn with brightness between
    0.7 and 1. The shape's bounding box is a square of side ``extent`` pixels (random, by default
    between ``max(4, size//5)`` and ``size//2``, and never larger than the region) placed at a random
    position entirely inside ``region = (top, left, height, width)`` (``None``: anywhere in the image).
    Classes are balanced: the labels cycle through ``kinds`` (a list or tuple of names from
    ``SHAPE_KINDS``, e.g. ``["line"]`` for one kind) and are then shuffled.

    Returns ``(images, labels, masks)``: images float32 ``(n, 1, size, size)`` in ``[0, 1]``; labels
    int64 ``(n,)`` indexing ``kinds``; masks bool ``(n, size, size)``, True on the shape's pixels.
    With ``noise > 0``, Gaussian noise of that standard deviation is added and the result clipped to
    ``[0, 1]`` (the masks stay the clean shapes). The same arguments always give the same arrays.

    >>> images, labels, masks = make_shapes(8, size=16, seed=1)
    >>> images.shape, labels.shape, masks.shape
    ((8, 1, 16, 16), (8,), (8, 16, 16))
    >>> bool(((images[:, 0] > 0) == masks).all())      # without noise, the lit pixels are the mask
    True
    >>> _, _, m = make_shapes(20, size=28, region=(0, 0, 28, 14))
    >>> bool(m[:, :, 14:].any())                        # nothing drawn outside the left half
    False
    """
    n = whole(n, "n", minimum=1)
    size = whole(size, "size", minimum=4)
    rng = np.random.default_rng(_check_seed(seed))
    kinds = _check_kinds(kinds)
    unknown = [k for k in kinds if k not in SHAPE_KINDS]
    if not kinds or unknown:
        raise ValueError(f"kinds must be a non-empty tuple of names from {SHAPE_KINDS}; "
                         f"got {kinds!r}{f' (unknown: {unknown})' if unknown else ''}.")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"kinds must not repeat a name (each label indexes one kind), got {kinds!r}.")
    top, left, height, width = _check_region(region, size)
    room = min(height, width)
    if extent is None:
        lo, hi = max(4, size // 5), max(4, size // 2)
        hi = min(hi, room)
        lo = min(lo, hi)
    else:
        extent = _sequence(extent, 2) or extent
        if not isinstance(extent, tuple) or len(extent) != 2:
            hint = f" (for shapes of side {extent} exactly, write ({extent}, {extent}))" \
                if isinstance(extent, int) and not isinstance(extent, bool) else ""
            raise TypeError("extent must be None or a pair (smallest, largest) side in pixels, "
                            f"got {describe(extent)}{hint}.")
        lo = whole(extent[0], "extent[0]", minimum=3)
        hi = whole(extent[1], "extent[1]", minimum=lo)
    if lo < 3 or hi > room:
        raise ValueError(f"shapes of side {lo}..{hi} pixels do not fit in the region {height}×{width}: the "
                         "region must be at least 3 pixels high and wide and hold the largest shape "
                         f"(make it larger or pass extent=(3, {room})).")
    noise = real(noise, "noise", fits="a standard deviation ≥ 0 (e.g. 0.1)", ok=lambda v: v >= 0)
    if thickness is not None:
        thickness = whole(thickness, "thickness", minimum=1)

    labels = np.arange(n) % len(kinds)
    labels = labels[rng.permutation(n)]
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=bool)
    for i in range(n):
        s = int(rng.integers(lo, hi + 1))
        t = thickness if thickness is not None else (1 if s < 12 else 2)
        t = min(t, max(1, s // 3))
        variant = int(rng.integers(0, 4))
        r0 = top + int(rng.integers(0, height - s + 1))
        c0 = left + int(rng.integers(0, width - s + 1))
        shape = _draw(kinds[labels[i]], s, t, variant)
        masks[i, r0:r0 + s, c0:c0 + s] = shape
        images[i, 0][masks[i]] = np.float32(rng.uniform(0.7, 1.0))
    if noise > 0:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return images, labels.astype(np.int64), masks


# --------------------------------------------------------------------------- scenes and patches (notebook 09)
def _pair(value, name: str, *, minimum: int) -> tuple[int, int]:
    """``(smallest, largest)`` side in pixels, both whole, ``minimum ≤ smallest ≤ largest``."""
    items = _sequence(value, 2)
    if items is None:
        raise TypeError(f"{name} must be a pair (smallest, largest) side in pixels, got {describe(value)}.")
    lo = whole(items[0], f"{name}[0]", minimum=minimum)
    hi = whole(items[1], f"{name}[1]", minimum=lo)
    return lo, hi


def _fraction(value, name: str, *, high: float = 1.0) -> float:
    return real(value, name, fits=f"a fraction between 0 and {high:g}", ok=lambda v: 0.0 <= v <= high)


def _shape_patch(kind: str, extent: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One shape drawn by :func:`make_shapes` filling an ``extent×extent`` patch: ``(pixels, mask)``."""
    img, _, mask = make_shapes(1, size=extent, seed=seed, kinds=(kind,), extent=(extent, extent))
    return img[0, 0], mask[0]


def make_scene(size: int = 48, n_shapes: int = 5, n_targets: int = 2, seed: int = 0, *, target: str = "cross",
               kinds=SHAPE_KINDS, extent=(6, 10), gap: int = 2, noise: float = 0.0):
    """A ``size×size`` scene holding ``n_shapes`` shapes, ``n_targets`` of them of kind ``target``.

    The detection data of notebook 09. The shapes are drawn by :func:`make_shapes` (side ``extent[0]``…
    ``extent[1]`` pixels, brightness 0.7–1) and placed at random so that their boxes are at least ``gap``
    pixels apart; the others are drawn from ``kinds`` without ``target``. With ``noise > 0`` Gaussian noise
    of that standard deviation is added and the scene clipped to ``[0, 1]``.

    Returns ``(scene, boxes, names)``: ``scene`` float32 ``(1, size, size)``; ``boxes`` int64
    ``(n_shapes, 4)``, each the tight box ``(top, left, bottom, right)`` of one shape's lit pixels (bottom
    and right excluded, like a slice: the shape is ``scene[0, top:bottom, left:right]``); ``names`` the kind
    of each shape, targets first.

    >>> scene, boxes, names = make_scene(32, n_shapes=3, n_targets=1, seed=1)
    >>> scene.shape, boxes.shape, names[0]
    ((1, 32, 32), (3, 4), 'cross')
    >>> inside = np.zeros((32, 32), dtype=bool)
    >>> for t, l, b, r in boxes:
    ...     inside[t:b, l:r] = True
    >>> bool(scene[0][inside].any()), bool(scene[0][~inside].any())     # every lit pixel is in a box
    (True, False)
    """
    size = whole(size, "size", minimum=8)
    n_shapes = whole(n_shapes, "n_shapes", minimum=0)
    n_targets = whole(n_targets, "n_targets", minimum=0)
    if n_targets > n_shapes:
        raise ValueError(f"n_targets ({n_targets}) cannot exceed n_shapes ({n_shapes}).")
    rng = np.random.default_rng(_check_seed(seed))
    kinds = _check_kinds(kinds)
    if target not in SHAPE_KINDS:
        raise ValueError(f"target must be one of {SHAPE_KINDS}, got {describe(target)}.")
    unknown = [k for k in kinds if k not in SHAPE_KINDS]
    if unknown:
        raise ValueError(f"kinds must be names from {SHAPE_KINDS}; unknown: {unknown}.")
    others = tuple(k for k in kinds if k != target)
    if n_shapes > n_targets and not others:
        raise ValueError(f"kinds {kinds!r} hold no kind other than the target {target!r} to draw the "
                         f"{n_shapes - n_targets} other shapes from.")
    lo, hi = _pair(extent, "extent", minimum=3)
    if hi > size:
        raise ValueError(f"shapes of side up to {hi} do not fit in a {size}×{size} scene; "
                         f"make extent[1] ≤ {size}.")
    gap = whole(gap, "gap", minimum=0)
    noise = real(noise, "noise", fits="a standard deviation ≥ 0 (e.g. 0.1)", ok=lambda v: v >= 0)

    names = [target] * n_targets
    names += [others[int(rng.integers(len(others)))] for _ in range(n_shapes - n_targets)]
    scene = np.zeros((size, size), dtype=np.float32)
    boxes: list[tuple[int, int, int, int]] = []
    for name in names:
        s = int(rng.integers(lo, hi + 1))
        pixels, mask = _shape_patch(name, s, int(rng.integers(2**31)))
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        for _attempt in range(2000):
            top = int(rng.integers(0, size - s + 1))
            left = int(rng.integers(0, size - s + 1))
            box = (top + r0, left + c0, top + r1, left + c1)
            apart = (box[0] >= b[2] + gap or b[0] >= box[2] + gap or box[1] >= b[3] + gap or b[1] >= box[3] + gap
                     for b in boxes)
            if all(apart):
                break
        else:
            raise ValueError(f"could not place {n_shapes} shapes of side up to {hi} at least {gap} pixels "
                             f"apart in a {size}×{size} scene: use fewer shapes, smaller ones or a larger scene.")
        scene[top:top + s, left:left + s][mask] = pixels[mask]
        boxes.append(box)
    if noise > 0:
        scene += rng.normal(0.0, noise, size=scene.shape).astype(np.float32)
        np.clip(scene, 0.0, 1.0, out=scene)
    return scene[None], np.array(boxes, dtype=np.int64).reshape(-1, 4), names


def make_window_patches(n: int, window: int = 14, seed: int = 0, *, target: str = "cross", extent=(6, 10),
                        empty_fraction: float = 0.15, partial_fraction: float = 0.15):
    """Training patches for a sliding-window detector: ``window×window`` images, label 1 when a whole
    ``target`` shape lies inside, else 0 (notebook 09, section 1.2).

    Three kinds of patch: one whole shape from :func:`make_shapes` (every kind in ``SHAPE_KINDS`` equally
    often, so 1 in 5 of these is a target); an empty patch (``empty_fraction``); and a shape cut by the patch
    border — a piece of a cross is *not* a cross (``partial_fraction``, all labelled 0).

    Returns ``(X, y)``: float32 ``(n, 1, window, window)`` and int64 ``(n,)``.

    >>> X, y = make_window_patches(200, seed=0)
    >>> X.shape, y.dtype, bool(0.1 < y.mean() < 0.3)
    ((200, 1, 14, 14), dtype('int64'), True)
    """
    n = whole(n, "n", minimum=1)
    window = whole(window, "window", minimum=4)
    rng = np.random.default_rng(_check_seed(seed))
    if target not in SHAPE_KINDS:
        raise ValueError(f"target must be one of {SHAPE_KINDS}, got {describe(target)}.")
    lo, hi = _pair(extent, "extent", minimum=3)
    if hi > window:
        raise ValueError(f"extent[1] = {hi}: the largest shape must fit in the window ({window}).")
    empty_fraction = _fraction(empty_fraction, "empty_fraction")
    partial_fraction = _fraction(partial_fraction, "partial_fraction", high=1.0 - empty_fraction)
    n_empty = int(round(empty_fraction * n))
    n_partial = int(round(partial_fraction * n))
    n_whole = n - n_empty - n_partial
    X = np.zeros((n, 1, window, window), dtype=np.float32)
    y = np.zeros(n, dtype=np.int64)
    if n_whole:
        img, lab, _ = make_shapes(n_whole, size=window, seed=int(rng.integers(2**31)), kinds=SHAPE_KINDS,
                                  extent=(lo, hi))
        X[:n_whole] = img
        y[:n_whole] = (np.asarray(SHAPE_KINDS)[lab] == target)
    if n_partial:
        # Draw each shape in the middle of a 3·window canvas, then cut a window whose border runs through
        # the shape, hiding at least a third of it along one axis and none of it along the other.
        big = 3 * window
        img, _, mask = make_shapes(n_partial, size=big, seed=int(rng.integers(2**31)), kinds=SHAPE_KINDS,
                                   extent=(lo, hi), region=(window, window, window, window))
        for i in range(n_partial):
            rows, cols = np.flatnonzero(mask[i].any(axis=1)), np.flatnonzero(mask[i].any(axis=0))
            spans = [(rows[0], rows[-1] + 1), (cols[0], cols[-1] + 1)]
            cut_axes = [ax for ax in (0, 1) if spans[ax][1] - spans[ax][0] >= 3]
            axis = int(rng.choice(cut_axes))
            start = [0, 0]
            for ax in (0, 1):
                a0, a1 = spans[ax]
                if ax == axis:
                    hidden = int(rng.integers(-(-(a1 - a0) // 3), a1 - a0))   # rows (or columns) hidden
                    start[ax] = a0 + hidden if rng.random() < 0.5 else a1 - hidden - window
                else:
                    start[ax] = int(rng.integers(a1 - window, a0 + 1))
            top, left = start
            X[n_whole + i, 0] = img[i, 0, top:top + window, left:left + window]
    order = rng.permutation(n)
    return X[order], y[order]


# --------------------------------------------------------------------------- changed images (notebook 09)
def add_noise(X, sigma: float, seed: int = 0):
    """Gaussian noise of standard deviation ``sigma`` added to every pixel (not clipped).

    Returns ``(noisy, noise)``, both float32 with the shape of ``X``; ``noisy = X + noise``.

    >>> noisy, noise = add_noise(np.zeros((100, 1, 8, 8)), 0.5)
    >>> round(float(noise.std()), 1), bool(np.allclose(noisy, noise))
    (0.5, True)
    """
    X = as_array(X, "X", empty="any").astype(np.float32, copy=False)
    sigma = real(sigma, "sigma", fits="a standard deviation ≥ 0 (e.g. 0.4)", ok=lambda v: v >= 0)
    noise = np.random.default_rng(_check_seed(seed)).normal(0.0, sigma, size=X.shape).astype(np.float32)
    return X + noise, noise


def shift_images(X, dy: int, dx: int, *, wrap: bool = False) -> np.ndarray:
    """Every image of ``X`` ``(N, C, H, W)`` moved ``dy`` pixels down and ``dx`` pixels right (negative: up, left).

    ``np.roll`` moves the pixels; what it pushes over one edge comes back at the opposite edge. With
    ``wrap=False`` (default) those wrapped rows and columns are set to 0, so the result is a true
    translation: pixels leave the frame and blank ones come in. Shape kept; float32.

    >>> x = np.arange(1.0, 5.0).reshape(1, 1, 1, 4)
    >>> shift_images(x, 0, 1)[0, 0, 0].tolist(), shift_images(x, 0, 1, wrap=True)[0, 0, 0].tolist()
    ([0.0, 1.0, 2.0, 3.0], [4.0, 1.0, 2.0, 3.0])
    """
    X = images(X, "X")
    dy = whole(dy, "dy", what=" of pixels (negative, 0 or positive)")
    dx = whole(dx, "dx", what=" of pixels (negative, 0 or positive)")
    wrap = flag(wrap, "wrap")
    H, W = X.shape[2:]
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(f"a shift of ({dy}, {dx}) moves the whole {H}×{W} image out of the frame; use "
                         f"|dy| < {H} and |dx| < {W}.")
    out = np.roll(X, (dy, dx), axis=(2, 3))
    if not wrap:
        if dy > 0:
            out[:, :, :dy] = 0
        elif dy < 0:
            out[:, :, dy:] = 0
        if dx > 0:
            out[:, :, :, :dx] = 0
        elif dx < 0:
            out[:, :, :, dx:] = 0
    return out


def rotate_images(X, degrees) -> np.ndarray:
    """Every image of ``X`` ``(N, C, H, W)`` rotated by ``degrees`` (anticlockwise; one angle, or one per
    image) about its centre, with bilinear interpolation and zeros brought in from outside, as torchvision's
    ``rotate``. Shape kept; float32. Uses torch.

    >>> x = np.zeros((1, 1, 3, 3), dtype=np.float32); x[0, 0, 0, 1] = 1     # a dot above the centre
    >>> rotate_images(x, 90)[0, 0].round(3).tolist()                         # goes to the left
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    import torch
    import torch.nn.functional as F

    X = images(X, "X")
    n = X.shape[0]
    deg = as_array(degrees, "degrees").astype(np.float64)
    if deg.ndim == 0:
        deg = np.full(n, float(deg))
    if deg.shape != (n,):
        raise ValueError(f"degrees must be one angle or one per image ({n}), got shape {deg.shape}.")
    t = np.deg2rad(deg)
    H, W = X.shape[2:]
    # output pixel (x, y) in normalised coordinates reads the input at R(−θ)·(x, y); y points down, so an
    # anticlockwise picture rotation by θ uses [[cos, −sin], [sin, cos]] in (x, y) with the aspect ratio
    cos, sin = np.cos(t), np.sin(t)
    theta = np.zeros((n, 2, 3))
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = -sin * H / W
    theta[:, 1, 0] = sin * W / H
    theta[:, 1, 1] = cos
    xt = torch.from_numpy(np.ascontiguousarray(X))
    grid = F.affine_grid(torch.from_numpy(theta).float(), list(xt.shape), align_corners=False)
    out = F.grid_sample(xt, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.numpy().astype(np.float32)


def augment(X, seed: int = 0, *, max_shift: int = 1, max_degrees: float = 15.0,
            noise: float = 0.1) -> np.ndarray:
    """A randomly changed copy of every image of ``X`` ``(N, C, H, W)``: a shift of up to ``max_shift`` pixels
    each way (:func:`shift_images`, zeros brought in), a rotation by up to ``±max_degrees``
    (:func:`rotate_images`) and Gaussian noise of standard deviation up to ``noise``, then clipped to
    ``[0, 1]``. Set an amount to 0 to leave that change out. Labels do not change.

    >>> X = np.zeros((5, 1, 8, 8), dtype=np.float32)
    >>> augment(X, seed=0).shape
    (5, 1, 8, 8)
    """
    X = images(X, "X")
    max_shift = whole(max_shift, "max_shift", minimum=0)
    max_degrees = real(max_degrees, "max_degrees", fits="an angle ≥ 0 in degrees (e.g. 15)", ok=lambda v: v >= 0)
    noise = real(noise, "noise", fits="a standard deviation ≥ 0 (e.g. 0.1)", ok=lambda v: v >= 0)
    rng = np.random.default_rng(_check_seed(seed))
    n = X.shape[0]
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    out = np.empty_like(X)
    for i in range(n):
        out[i] = shift_images(X[i:i + 1], int(dy[i]), int(dx[i]))[0]
    if max_degrees > 0:
        out = rotate_images(out, rng.uniform(-max_degrees, max_degrees, size=n))
    if noise > 0:
        sig = rng.uniform(0.0, noise, size=(n, 1, 1, 1))
        out = out + (rng.normal(size=out.shape) * sig).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- where convolution wins (notebook 10)
MNIST1D_SEED = 42
"""The seed of :func:`load_mnist1d` by default: the ``mnist1d`` package's own default (``get_dataset_args``)."""


def load_mnist1d(seed: int = MNIST1D_SEED):
    """MNIST-1D (Greydanus 2020): 4,000 training and 1,000 test signals of 40 numbers, ten classes, made here.

    Each signal is one of ten hand-drawn templates of 12 points (the "digits" 0..9), padded with 36 to 60
    zeros and stretched to 72 points, scaled, rolled round by 0 to 47 of those positions, given noise where it
    is flat, sheared and resampled to 40 points; the whole set is then centred and scaled to mean 0 and
    standard deviation 1.
    The ``mnist1d`` package (Apache-2.0) generates it with ``make_dataset(get_dataset_args())``, on this
    computer, in about 4 s; nothing is downloaded (its ``get_dataset`` would download: this never calls it).

    Shapes: ``X_train`` float32 ``(4000, 1, 40)`` and ``X_test`` float32 ``(1000, 1, 40)``: one channel of
    length 40, the layout ``(N, C, L)`` of ``torch.nn.Conv1d`` (``X[:, 0]`` is the plain ``(N, 40)``
    table an MLP reads, and ``nn.Flatten`` gives the same); ``y_train`` int64 ``(4000,)`` and ``y_test``
    int64 ``(1000,)``, the class 0..9. Returns ``(X_train, y_train, X_test, y_test)``.

    The same ``seed`` always gives the same arrays; 42 is the package's default (on its default set the paper
    reports test accuracies of logistic regression ≈ 32 %, MLP ≈ 68 %, CNN ≈ 94 %). The package reseeds Python's and
    NumPy's global random generators; this function puts both back as they were, so calling it changes no
    other random draw of the notebook. Raises ModuleNotFoundError saying what to install when ``mnist1d`` is
    missing.

    >>> X_train, y_train, X_test, y_test = load_mnist1d()
    >>> X_train.shape, X_train.dtype, y_train.shape, X_test.shape, y_test.dtype
    ((4000, 1, 40), dtype('float32'), (4000,), (1000, 1, 40), dtype('int64'))
    >>> np.bincount(y_test).tolist()
    [102, 104, 89, 106, 106, 98, 99, 96, 98, 102]
    """
    seed = _check_seed(seed)
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as err:
        raise ModuleNotFoundError(
            "load_mnist1d needs the mnist1d package (Apache-2.0), which generates MNIST-1D on your computer "
            f"(import failed: {err}). Install the series' training extras with `pip install \".[torch]\"` in "
            "the repository root (or `pip install mnist1d==0.0.2.post1`), then restart the kernel."
        ) from err
    args = get_dataset_args()
    args.seed = seed
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        ds = make_dataset(args)
    finally:                     # make_dataset calls np.random.seed and random.seed: undo that
        np.random.set_state(numpy_state)
        random.setstate(python_state)

    def signals(x):
        return np.ascontiguousarray(np.asarray(x, dtype=np.float32)[:, None, :])

    return (signals(ds["x"]), np.asarray(ds["y"], dtype=np.int64),
            signals(ds["x_test"]), np.asarray(ds["y_test"], dtype=np.int64))


def place_on_canvas(X, size: int = 24, seed: int = 0):
    """Every image of ``X`` ``(N, C, h, w)`` pasted at a random position on its own blank ``size×size`` canvas.

    Image ``i`` goes to rows ``top … top + h − 1`` and columns ``left … left + w − 1`` of canvas ``i``, with
    ``top`` drawn uniformly from ``0 … size − h`` and ``left`` from ``0 … size − w`` (so it always fits
    whole); every other pixel is 0. The same ``seed`` gives the same positions.

    Returns ``(canvases, positions)``: ``canvases`` float32 ``(N, C, size, size)`` with
    ``canvases[i, :, top:top + h, left:left + w] == X[i]``; ``positions`` int64 ``(N, 2)``, the ``(top,
    left)`` of each image. For the 8×8 digits on a 24×24 canvas there are 17·17 = 289 positions.

    >>> X = np.ones((3, 1, 2, 2), dtype=np.float32)
    >>> canvases, positions = place_on_canvas(X, size=5, seed=0)
    >>> canvases.shape, canvases.dtype, positions.shape
    ((3, 1, 5, 5), dtype('float32'), (3, 2))
    >>> top, left = positions[0]
    >>> float(canvases[0, 0, top:top + 2, left:left + 2].sum()), float(canvases[0].sum())   # all ink there
    (4.0, 4.0)
    """
    X = images(X, "X")
    size = whole(size, "size", minimum=1, what=" (the side of the square canvas, in pixels)")
    n, c, h, w = X.shape
    if size < h or size < w:
        raise ValueError(f"size={size}: the images are {h}×{w} pixels and do not fit on a {size}×{size} canvas; the "
                         f"canvas must be at least as large as an image (size ≥ {max(h, w)}).")
    rng = np.random.default_rng(_check_seed(seed))
    positions = np.stack([rng.integers(0, size - h + 1, size=n), rng.integers(0, size - w + 1, size=n)],
                         axis=1).astype(np.int64).reshape(n, 2)
    canvases = np.zeros((n, c, size, size), dtype=np.float32)
    for i, (top, left) in enumerate(positions):
        canvases[i, :, top:top + h, left:left + w] = X[i]
    return canvases, positions


# --------------------------------------------------------------------------- real datasets (torchvision)
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR10_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                 "test_batch", "batches.meta")


def _root(root) -> Path:
    if root is None or not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be the folder (a str or Path) that holds the dataset, got {describe(root)}.")
    return Path(root).expanduser()


def _limit(X, y, limit):
    if limit is None:
        return X, y
    limit = whole(limit, "limit", minimum=1)
    return X[:limit], y[:limit]


def load_mnist(root, train: bool = True, *, limit: int | None = None):
    """MNIST's handwritten digits (28×28 grey) from files you downloaded, through torchvision (no download).

    Shapes: ``X`` float32 ``(N, 1, 28, 28)`` in ``[0, 1]`` (pixel / 255), ``y`` int64 ``(N,)``; N is
    60,000 for ``train=True`` and 10,000 for the test set (or ``limit``, the first ``limit`` examples).

    Files torchvision expects (all four, unzipped)::

        root/MNIST/raw/train-images-idx3-ubyte   root/MNIST/raw/train-labels-idx1-ubyte
        root/MNIST/raw/t10k-images-idx3-ubyte    root/MNIST/raw/t10k-labels-idx1-ubyte

    Raises FileNotFoundError saying what to download and where to put it when they are missing.
    """
    root = _root(root)
    train = flag(train, "train")
    limit = None if limit is None else whole(limit, "limit", minimum=1)
    raw = root / "MNIST" / "raw"
    missing = [f for f in MNIST_FILES if not (raw / f).is_file()]
    if missing:
        zipped = [f for f in missing if (raw / (f + ".gz")).is_file()]
        hint = (f"\nThe .gz archives are there but not unpacked: run `gunzip {raw}/*.gz`." if zipped else "")
        raise FileNotFoundError(
            f"MNIST not found under {root}: missing {', '.join(missing)} in {raw}.\n"
            "To use it, download the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from the MNIST database page "
            "(Yann LeCun, Corinna Cortes and Christopher Burges; torchvision's mirror is "
            "https://ossci-datasets.s3.amazonaws.com/mnist/), unpack them with gunzip and put them in "
            f"{raw}/ — or run once, with internet, "
            f"torchvision.datasets.MNIST({str(root)!r}, download=True)." + hint
        )
    from torchvision.datasets import MNIST

    ds = MNIST(str(root), train=bool(train), download=False)
    images, labels = _limit(ds.data.numpy(), ds.targets.numpy(), limit)       # uint8 until the end
    X = (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]
    return X, labels.astype(np.int64)


def load_cifar10(root, train: bool = True, *, limit: int | None = None, verify: bool = True):
    """CIFAR-10's small colour photos (3×32×32, 10 classes) from files you downloaded, through torchvision.

    Shapes: ``X`` float32 ``(N, 3, 32, 32)`` in ``[0, 1]`` (pixel / 255, channels red, green, blue),
    ``y`` int64 ``(N,)`` indexing ``("airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
    "horse", "ship", "truck")``; N is 50,000 for ``train=True`` and 10,000 for the test set (or ``limit``).
    The whole training set as float32 takes 600 MB: pass ``limit`` to keep less.

    Files torchvision expects (the unpacked "CIFAR-10 python version" archive)::

        root/cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch, batches.meta

    With ``verify=True`` torchvision checks every file's md5 against the official release;
    ``verify=False`` only checks that the files exist (for copies you made yourself in the same
    format, such as the tiny files the tests write). Raises FileNotFoundError saying what to download
    and where to put it when files are missing.
    """
    root = _root(root)
    train, verify = flag(train, "train"), flag(verify, "verify")
    limit = None if limit is None else whole(limit, "limit", minimum=1)
    folder = root / "cifar-10-batches-py"
    missing = [f for f in CIFAR10_FILES if not (folder / f).is_file()]
    if missing:
        archive = root / "cifar-10-python.tar.gz"
        hint = (f"\nThe archive {archive} is there but not unpacked: run `tar -xzf {archive} -C {root}`."
                if archive.is_file() else "")
        raise FileNotFoundError(
            f"CIFAR-10 not found under {root}: missing {', '.join(missing)} in {folder}.\n"
            "To use it, download 'CIFAR-10 python version' (cifar-10-python.tar.gz, 163 MB) from the "
            "CIFAR-10 page of Alex Krizhevsky (https://www.cs.toronto.edu/~kriz/cifar.html) and unpack it in "
            f"{root}/ so that {folder}/ holds data_batch_1 … data_batch_5, test_batch and batches.meta — "
            f"or run once, with internet, torchvision.datasets.CIFAR10({str(root)!r}, download=True)." + hint
        )
    from torchvision.datasets import CIFAR10

    cls = CIFAR10
    if not verify:
        class _UncheckedCIFAR10(CIFAR10):       # same files and format, md5 of each file not checked
            train_list = [[name, None] for name, _ in CIFAR10.train_list]
            test_list = [[name, None] for name, _ in CIFAR10.test_list]
            meta = {**CIFAR10.meta, "md5": None}

        cls = _UncheckedCIFAR10
    try:
        ds = cls(str(root), train=bool(train), download=False)
    except RuntimeError as err:
        raise ValueError(
            f"The CIFAR-10 files in {folder} do not match the official release ({err}). Download and unpack "
            "cifar-10-python.tar.gz again, or pass verify=False for a copy you made yourself."
        ) from None
    images, labels = _limit(np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64), limit)
    X = (images.astype(np.float32) / np.float32(255.0)).transpose(0, 3, 1, 2)     # (N, H, W, C) → (N, C, H, W)
    return np.ascontiguousarray(X), labels


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

__all__ = [
    "CIFAR10_CLASSES", "SHAPE_KINDS", "add_noise", "augment", "data_path", "load_cifar10", "load_digits",
    "load_mnist", "make_scene", "make_shapes", "make_window_patches", "rotate_images", "shift_images",
    "train_test_split", "MNIST1D_SEED", "load_mnist1d", "place_on_canvas",
]
