"""Data for the notebooks: the bundled 8×8 digits, generated shapes, and loaders for MNIST and CIFAR-10.

Everything comes back as NumPy arrays in the layout torch uses: images ``float32`` of shape
``(N, C, H, W)`` with values in ``[0, 1]``, labels ``int64`` of shape ``(N,)``.

* :func:`load_digits` reads ``data/digits.npz`` (1,797 handwritten digits, 8×8 pixels, shipped with the
  series; see ``data/README.md`` for source and licence). No download.
* :func:`make_shapes` draws lines, crosses, squares, circles and triangles at random places, with their
  pixel masks, for experiments where we control where things appear.
* :func:`load_mnist` and :func:`load_cifar10` read the real datasets through torchvision for students
  who have downloaded them; they never download anything themselves.

torch and torchvision are imported only inside the two real-data loaders.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from ._validate import describe, flag, real, whole
from ._validate import seed as _check_seed

SHAPE_KINDS = ("line", "cross", "square", "circle", "triangle")
"""Every shape :func:`make_shapes` can draw; labels index the ``kinds`` you pass (default: the first four)."""

DATA_ENV_VAR = "CNN_BY_HAND_DATA"
DIGITS_FILE = "digits.npz"


# --------------------------------------------------------------------------- small argument checks
# The checks live in helpers._validate; these two names stay for the modules that import them from here.
def _whole(value, name: str, *, minimum: int) -> int:
    return whole(value, name, minimum=minimum)


def _seed(seed) -> int:
    return _check_seed(seed)


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
    rng = np.random.default_rng(_seed(seed))
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
    top, left, height, width = (_whole(v, f"region[{i}] ({n})", minimum=0)
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
    n = _whole(n, "n", minimum=1)
    size = _whole(size, "size", minimum=4)
    rng = np.random.default_rng(_seed(seed))
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
        lo = _whole(extent[0], "extent[0]", minimum=3)
        hi = _whole(extent[1], "extent[1]", minimum=lo)
    if lo < 3 or hi > room:
        raise ValueError(f"shapes of side {lo}..{hi} pixels do not fit in the region {height}×{width}: the "
                         "region must be at least 3 pixels high and wide and hold the largest shape "
                         f"(make it larger or pass extent=(3, {room})).")
    noise = real(noise, "noise", fits="a standard deviation ≥ 0 (e.g. 0.1)", ok=lambda v: v >= 0)
    if thickness is not None:
        thickness = _whole(thickness, "thickness", minimum=1)

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
    limit = _whole(limit, "limit", minimum=1)
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
    limit = None if limit is None else _whole(limit, "limit", minimum=1)
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
    limit = None if limit is None else _whole(limit, "limit", minimum=1)
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
    "CIFAR10_CLASSES", "SHAPE_KINDS", "data_path", "load_cifar10", "load_digits", "load_mnist", "make_shapes",
    "train_test_split",
]
