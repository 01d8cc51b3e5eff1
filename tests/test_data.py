"""helpers.data: the bundled digits, the split, generated shapes and scenes, changed images (noise, shifts,
rotations, augmentation), and the MNIST / CIFAR-10 loaders.

Oracles: the first rows of scikit-learn's digits.csv.gz (copied below by hand) and its per-digit counts;
geometry for the shapes and scenes; a translation written with padding and slicing; torchvision's rotate;
files written here in the real MNIST (IDX) and CIFAR-10 (pickle) formats.
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data
from helpers.data import (
    SHAPE_KINDS,
    add_noise,
    augment,
    data_path,
    load_cifar10,
    load_digits,
    load_mnist,
    make_scene,
    make_shapes,
    make_window_patches,
    rotate_images,
    shift_images,
    train_test_split,
)

REPO = Path(__file__).resolve().parents[1]

# The first two rows of sklearn/datasets/data/digits.csv.gz: 64 pixels (row by row), then the label.
CSV_ROW_0 = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
             0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0, 0]
CSV_ROW_1 = [0, 0, 0, 12, 13, 5, 0, 0, 0, 0, 0, 11, 16, 9, 0, 0, 0, 0, 3, 15, 16, 6, 0, 0, 0, 7, 15, 16, 16, 2, 0, 0,
             0, 0, 1, 16, 16, 3, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 0, 11, 16, 10, 0, 0, 1]


# --------------------------------------------------------------------------- digits
def test_digits_shapes_dtypes_and_range():
    X, y = load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    # values are counts 0..16 divided by 16
    np.testing.assert_array_equal(X * 16, np.round(X * 16))


def test_digits_match_the_source_csv():
    X, y = load_digits()
    for i, row in enumerate([CSV_ROW_0, CSV_ROW_1]):
        np.testing.assert_array_equal(X[i, 0] * 16, np.array(row[:64]).reshape(8, 8))
        assert y[i] == row[64]
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_calls_return_independent_copies():
    X, y = load_digits()
    X[:] = 5
    y[:] = 7
    X2, y2 = load_digits()
    assert X2.max() == 1.0 and y2[1] == 1


def test_data_file_hash_matches_readme():
    import hashlib

    digest = hashlib.sha256(data_path().read_bytes()).hexdigest()
    assert digest in (REPO / "data" / "README.md").read_text()


def test_data_path_env_var_and_missing_file_message(tmp_path, monkeypatch):
    shutil.copy(data_path(), tmp_path / "digits.npz")
    monkeypatch.setenv(data.DATA_ENV_VAR, str(tmp_path))
    assert data_path() == tmp_path / "digits.npz"
    with pytest.raises(FileNotFoundError, match="no_such_file.npz") as err:
        data_path("no_such_file.npz")
    assert data.DATA_ENV_VAR in str(err.value) and "pip install" in str(err.value)


def test_digits_found_in_an_installed_layout(tmp_path):
    """A non-editable install puts the file at helpers/_data/digits.npz (pyproject maps data/ there)."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "helpers", site / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "helpers" / "_data").mkdir()
    shutil.copy(REPO / "data" / "digits.npz", site / "helpers" / "_data" / "digits.npz")
    code = ("import helpers.data as d; X, y = d.load_digits(); p = d.data_path(); "
            "print(X.shape, int(y.sum()), p.parent.name)")
    env = {k: v for k, v in os.environ.items() if k != data.DATA_ENV_VAR}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["(1797,", "1,", "8,", "8)", str(sum(d * n for d, n in enumerate(
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]))), "_data"]


# --------------------------------------------------------------------------- split
def test_split_partitions_and_stratifies():
    y = np.repeat(np.arange(4), [40, 20, 8, 12])
    X = np.arange(y.size)[:, None] * 10                 # X remembers the original index
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.25, seed=3)
    idx = np.concatenate([X_train[:, 0], X_test[:, 0]]) // 10
    assert sorted(idx.tolist()) == list(range(y.size))  # every example exactly once
    np.testing.assert_array_equal(y[X_train[:, 0] // 10], y_train)   # labels travel with their images
    np.testing.assert_array_equal(y[X_test[:, 0] // 10], y_test)
    assert np.bincount(y_test).tolist() == [10, 5, 2, 3]
    assert np.bincount(y_train).tolist() == [30, 15, 6, 9]


def test_split_is_deterministic_for_a_seed():
    X, y = load_digits()
    a = train_test_split(X, y, seed=0)
    b = train_test_split(X, y, seed=0)
    c = train_test_split(X, y, seed=1)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    assert a[0].shape == (1347, 1, 8, 8) and a[2].shape == (450, 1, 8, 8)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(test_fraction=0), ValueError, "test_fraction"),
    (dict(test_fraction=1.5), ValueError, "between 0 and 1"),
    (dict(seed=-1), ValueError, "seed"),          # a wrong value (a wrong type is a TypeError)
])
def test_split_rejects_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        train_test_split(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of examples"):
        train_test_split(np.zeros((10, 2)), np.zeros(9, dtype=int))


# --------------------------------------------------------------------------- shapes
def test_shapes_arrays_and_ranges():
    images, labels, masks = make_shapes(40, size=20, seed=2)
    assert images.shape == (40, 1, 20, 20) and images.dtype == np.float32
    assert labels.shape == (40,) and labels.dtype == np.int64
    assert masks.shape == (40, 20, 20) and masks.dtype == bool
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert np.bincount(labels).tolist() == [10, 10, 10, 10]        # balanced over the four default kinds
    assert masks.reshape(40, -1).any(axis=1).all()                  # every image has a shape


def test_shapes_masks_are_the_lit_pixels():
    images, _, masks = make_shapes(60, size=28, seed=5, kinds=SHAPE_KINDS)
    np.testing.assert_array_equal(images[:, 0] > 0, masks)
    lit = images[:, 0][masks]
    assert lit.min() >= 0.7 and lit.max() <= 1.0


def test_shapes_deterministic_for_a_seed_and_different_across_seeds():
    a = make_shapes(16, seed=7, noise=0.1)
    b = make_shapes(16, seed=7, noise=0.1)
    c = make_shapes(16, seed=8, noise=0.1)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])


def test_noise_changes_images_not_masks():
    clean, labels, masks = make_shapes(10, seed=4)
    noisy, labels2, masks2 = make_shapes(10, seed=4, noise=0.2)
    np.testing.assert_array_equal(masks, masks2)
    np.testing.assert_array_equal(labels, labels2)
    assert 0.0 <= noisy.min() and noisy.max() <= 1.0
    background = noisy[:, 0][~masks]
    assert 0.02 < background.mean() < 0.2                # clipped N(0, 0.2): mean about 0.08
    assert (background > 0).mean() > 0.3


def _bbox(mask):
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1


@settings(max_examples=40, deadline=None)
@given(top=st.integers(0, 20), left=st.integers(0, 20), height=st.integers(6, 28), width=st.integers(6, 28),
       seed=st.integers(0, 10_000))
def test_shapes_stay_inside_the_region(top, left, height, width, seed):
    height, width = min(height, 28 - top), min(width, 28 - left)
    if min(height, width) < 6:
        return
    _, _, masks = make_shapes(12, size=28, seed=seed, region=(top, left, height, width))
    outside = masks.copy()
    outside[:, top:top + height, left:left + width] = False
    assert not outside.any()


def test_left_half_region_leaves_right_half_empty_and_uses_the_whole_left_half():
    images, _, masks = make_shapes(400, size=28, seed=0, region=(0, 0, 28, 14))
    assert not masks[:, :, 14:].any() and not images[:, 0, :, 14:].any()
    cover = masks.any(axis=0)
    assert cover[:, :14].mean() > 0.9                     # positions vary over the region


def test_shape_geometry():
    """Each kind has its defining geometry (checked on the masks, independently of how they are drawn)."""
    kinds = ("square", "circle", "cross", "line", "triangle")
    _, labels, masks = make_shapes(100, size=28, seed=11, kinds=kinds, extent=(9, 13))
    for label, mask in zip(labels, masks, strict=True):
        kind = kinds[label]
        r0, c0, r1, c1 = _bbox(mask)
        box = mask[r0:r1, c0:c1]
        if kind in ("square", "circle", "cross"):
            assert r1 - r0 == c1 - c0 and 9 <= r1 - r0 <= 13             # a square bounding box
            np.testing.assert_array_equal(box, box.T)                     # symmetric under transposition
            np.testing.assert_array_equal(box, box[::-1])                 # and under flips
        if kind == "square":
            assert box[0].all() and box[-1].all() and box[:, 0].all() and box[:, -1].all()
            assert not box[box.shape[0] // 2, box.shape[1] // 2]          # hollow
        if kind == "circle":
            rr, cc = np.nonzero(box)
            mid = (box.shape[0] - 1) / 2
            dist = np.hypot(rr - mid, cc - mid)
            assert dist.max() - dist.min() < 2.5                          # all ink about one radius away
            assert not box[0, 0] and not box[-1, -1]                      # corners empty
        if kind == "cross":
            mid = box.shape[0] // 2
            assert box[mid].all() and box[:, mid].all() and not box[0, 0]
        if kind == "line":
            h, w = box.shape
            straight = min(h, w) <= 3                                     # a bar 1 to 3 pixels thick
            diagonal = h == w and (np.diag(box).all() or np.diag(box[::-1]).all())
            assert straight or diagonal
        if kind == "triangle":
            np.testing.assert_array_equal(box, box[:, ::-1])              # mirror symmetric
            assert box[-1].all()                                          # a full base at the bottom
            assert box[0].sum() <= 2                                      # apex at the top


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(n=0), ValueError, "n must be"),
    (dict(n=2.5), TypeError, "n must be a whole number"),
    (dict(kinds=("line", "star")), ValueError, "star"),
    (dict(kinds=("line", "line")), ValueError, "repeat"),
    (dict(region=(0, 0, 40, 10)), ValueError, "inside the 28×28"),
    (dict(region=(0, 0, 10)), TypeError, "top, left, height, width"),
    (dict(region=(0, 0, 2, 2)), ValueError, "do not fit in the region"),
    (dict(noise=-0.1), ValueError, "noise"),
    (dict(extent=(3, 40)), ValueError, "do not fit"),
])
def test_shapes_reject_bad_arguments(kwargs, exc, words):
    args = dict(n=4)
    args.update(kwargs)
    with pytest.raises(exc, match=words):
        make_shapes(**args)


# --------------------------------------------------------------------------- MNIST
def _write_idx(path: Path, arr: np.ndarray):
    """The IDX format of MNIST: magic (0, 0, type 0x08 = uint8, ndim), sizes as big-endian int32, then bytes."""
    arr = np.asarray(arr, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}i", *arr.shape)
    path.write_bytes(header + arr.tobytes())


def _tiny_mnist(root: Path):
    rng = np.random.default_rng(0)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    sets = {}
    for prefix, n in (("train", 5), ("t10k", 3)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
        sets[prefix] = (images, labels)
    return sets


def test_mnist_loads_tiny_idx_files(tmp_path):
    sets = _tiny_mnist(tmp_path)
    for train, key in ((True, "train"), (False, "t10k")):
        X, y = load_mnist(tmp_path, train=train)
        images, labels = sets[key]
        assert X.shape == (len(labels), 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_allclose(X[:, 0] * 255, images, atol=1e-4)
        np.testing.assert_array_equal(y, labels)
    X, y = load_mnist(str(tmp_path), limit=2)
    assert X.shape[0] == 2 and y.shape == (2,)


def test_mnist_missing_files_message(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in msg
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "download", "gunzip"):
        assert name in msg


def test_mnist_gz_only_says_to_unpack(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.MNIST_FILES:
        with gzip.open(raw / (name + ".gz"), "wb") as f:
            f.write(b"")
    with pytest.raises(FileNotFoundError, match="not unpacked"):
        load_mnist(tmp_path)


def test_mnist_root_must_be_a_path():
    with pytest.raises(TypeError, match="root"):
        load_mnist(None)


# --------------------------------------------------------------------------- CIFAR-10
def _tiny_cifar(root: Path, n_per_batch=2):
    """CIFAR-10's python format: pickled dicts with 'data' (N, 3072) uint8 rows = 1024 red, 1024 green,
    1024 blue values, each 32×32 row by row, and 'labels'; batches.meta has 'label_names'."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    written = {}
    for i, name in enumerate(data.CIFAR10_FILES[:-1]):
        rows = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        rows[0, :] = 0
        rows[0, 1] = 255                      # image 0: red, row 0, column 1
        rows[0, 1024 + 32 * 2] = 128          # green, row 2, column 0
        labels = [(i + k) % 10 for k in range(n_per_batch)]
        entry = {"batch_label": f"tiny batch {i}", "data": rows, "labels": labels,
                 "filenames": [f"img{k}.png" for k in range(n_per_batch)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
        written[name] = (rows, labels)
    meta = {"label_names": list(data.CIFAR10_CLASSES), "num_cases_per_batch": n_per_batch, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return written


def test_cifar10_loads_tiny_pickles(tmp_path):
    written = _tiny_cifar(tmp_path)
    X, y = load_cifar10(tmp_path, train=True, verify=False)
    assert X.shape == (10, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    assert X[0, 0, 0, 1] == 1.0 and X[0, 1, 2, 0] == pytest.approx(128 / 255)   # channels first, row-major
    assert X[0].sum() == pytest.approx(1.0 + 128 / 255)
    rows, labels = written["data_batch_2"]
    np.testing.assert_allclose(X[2:4].reshape(2, -1) * 255, rows, atol=1e-3)
    assert y[:2].tolist() == written["data_batch_1"][1]
    X_test, y_test = load_cifar10(tmp_path, train=False, verify=False)
    assert X_test.shape == (2, 3, 32, 32) and y_test.tolist() == written["test_batch"][1]
    X3, _ = load_cifar10(tmp_path, train=True, verify=False, limit=3)
    assert X3.shape[0] == 3


def test_cifar10_verify_rejects_files_that_are_not_the_official_release(tmp_path):
    _tiny_cifar(tmp_path)
    with pytest.raises(ValueError, match="verify=False"):
        load_cifar10(tmp_path)


def test_cifar10_missing_files_message(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_cifar10(tmp_path)
    msg = str(err.value)
    for part in ("cifar-10-batches-py", "cifar-10-python.tar.gz", "data_batch_1", "batches.meta",
                 "https://www.cs.toronto.edu/~kriz/cifar.html"):
        assert part in msg
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="not unpacked"):
        load_cifar10(tmp_path)


# --------------------------------------------------------------------------- common slips in the arguments
@pytest.mark.parametrize("kinds, words", [
    ("line", ["single text 'line'", "['line']"]),
    ({"line", "cross"}, ["not a set", "no fixed order", "['cross', 'line']"]),
    (None, ["kinds", "None"]),
    (3, ["kinds", "3"]),
])
def test_shapes_kinds_must_be_a_list_or_tuple(kinds, words):
    with pytest.raises(TypeError) as info:
        make_shapes(4, kinds=kinds)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_shapes_kinds_as_a_list_or_array_equal_the_tuple():
    want = make_shapes(6, size=16, kinds=("line", "cross"))
    for kinds in (["line", "cross"], np.array(["line", "cross"])):
        for a, b in zip(make_shapes(6, size=16, kinds=kinds), want, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(n="4"), TypeError, ["n must be a whole number", "'4'", "without quotes"]),
    (dict(n=None), TypeError, ["n must be a whole number", "None"]),
    (dict(n=True), TypeError, ["n must be a whole number", "True"]),
    (dict(seed="1"), TypeError, ["seed", "'1'"]),
    (dict(seed=-1), ValueError, ["seed", "0 or more", "-1"]),
    (dict(seed=0.5), TypeError, ["seed", "0.5"]),
    (dict(noise="0.1"), TypeError, ["noise", "'0.1'"]),
    (dict(noise=float("inf")), ValueError, ["noise", "inf"]),
    (dict(noise=float("nan")), ValueError, ["noise", "nan"]),
    (dict(extent=5), TypeError, ["extent", "(5, 5)"]),
    (dict(size="28"), TypeError, ["size", "'28'"]),
])
def test_shapes_arguments_of_the_wrong_type_or_value(kwargs, exc, words):
    args = dict(n=4)
    args.update(kwargs)
    with pytest.raises(exc) as info:
        make_shapes(**args)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_shapes_whole_numbers_of_any_kind_give_the_same_arrays():
    want = make_shapes(5, size=16, seed=2, region=(0, 0, 16, 8))
    for n, size, seed, region in [(np.int64(5), np.int32(16), np.int64(2), np.array([0, 0, 16, 8])),
                                  (5.0, 16.0, 2.0, [0, 0, 16.0, 8])]:
        for a, b in zip(make_shapes(n, size=size, seed=seed, region=region), want, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("X, y, kwargs, exc, words", [
    (None, np.arange(10) % 2, {}, TypeError, ["X is None"]),
    (np.zeros((10, 2)), None, {}, TypeError, ["y is None"]),
    (np.zeros((0, 2)), np.zeros(0), {}, ValueError, ["no examples"]),
    (np.zeros((4, 2)), np.array([0.0, np.nan, 1.0, 1.0]), {}, ValueError, ["NaN", "index 1"]),
    (np.zeros((10, 2)), np.eye(2)[np.arange(10) % 2], {}, ValueError, ["(10, 2)", "y.argmax(axis=1)"]),
    (np.zeros((10, 2)), (np.arange(10) % 2)[:, None], {}, ValueError, ["(10, 1)", "y.ravel()"]),
    (np.zeros((10, 2)), np.arange(10) % 2, dict(test_fraction="0.25"), TypeError, ["test_fraction", "'0.25'"]),
    (np.zeros((10, 2)), np.arange(10) % 2, dict(test_fraction=float("nan")), ValueError, ["test_fraction", "nan"]),
    (np.zeros((10, 2)), np.arange(10) % 2, dict(seed="0"), TypeError, ["seed", "'0'"]),
    ([[1, 2], [3]], [0, 1], {}, ValueError, ["X", "same length"]),
    ("digits", [0, 1], {}, TypeError, ["X", "'digits'"]),
])
def test_split_arguments_of_the_wrong_kind(X, y, kwargs, exc, words):
    with pytest.raises(exc) as info:
        train_test_split(X, y, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_split_takes_lists_tensors_and_any_whole_seed():
    torch = pytest.importorskip("torch")
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    want = train_test_split(X, y, seed=3)
    for args in [(X.tolist(), y.tolist(), 3), (torch.tensor(X, requires_grad=True), torch.tensor(y), 3),
                 (X, y, np.int64(3)), (X, y, 3.0)]:
        for a, b in zip(train_test_split(args[0], args[1], seed=args[2]), want, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loader", [load_mnist, load_cifar10])
def test_loader_flags_and_limit_are_checked_before_looking_for_files(tmp_path, loader):
    with pytest.raises(TypeError, match="train must be True or False, got the text 'no'"):
        loader(tmp_path, train="no")
    with pytest.raises(ValueError, match="limit must be 1 or more, got 0"):
        loader(tmp_path, limit=0)
    with pytest.raises(TypeError, match="limit must be a whole number, got the text '10'"):
        loader(tmp_path, limit="10")


# --------------------------------------------------------------------------- scenes for detection (notebook 09)
@pytest.mark.parametrize("seed", range(8))
def test_make_scene_boxes_match_the_pixels(seed):
    scene, boxes, names = make_scene(48, n_shapes=5, n_targets=2, seed=seed)
    img = scene[0]
    assert scene.shape == (1, 48, 48) and scene.dtype == np.float32
    assert boxes.shape == (5, 4) and boxes.dtype == np.int64
    assert names[:2] == ["cross", "cross"] and "cross" not in names[2:]
    assert all(n in SHAPE_KINDS for n in names)
    covered = np.zeros(img.shape, dtype=bool)
    for t, l, b, r in boxes:
        assert 0 <= t < b <= 48 and 0 <= l < r <= 48
        lit = img[t:b, l:r] > 0
        # the box is tight: its first and last rows and columns all hold lit pixels
        assert lit[0].any() and lit[-1].any() and lit[:, 0].any() and lit[:, -1].any()
        covered[t:b, l:r] = True
    assert not (img[~covered] > 0).any(), "lit pixels outside every box"
    # boxes at least `gap` = 2 pixels apart: grown by 1 pixel on every side, no two share a pixel
    painted = np.zeros((50, 50), dtype=int)
    for t, l, b, r in boxes:
        painted[t:b + 2, l:r + 2] += 1            # the box grown by 1, shifted by 1 for the border
    assert painted.max() == 1


@pytest.mark.parametrize("seed", range(6))
def test_make_scene_draws_the_named_kinds(seed):
    scene, boxes, names = make_scene(48, n_shapes=5, n_targets=2, seed=seed)
    for (t, l, b, r), name in zip(boxes, names, strict=True):
        lit = scene[0, t:b, l:r] > 0
        full_rows = lit.all(axis=1).any()
        full_cols = lit.all(axis=0).any()
        if name == "cross":      # a plus sign: one complete row and one complete column of its box
            assert full_rows and full_cols
            assert not lit[0, 0] and not lit[-1, -1]
        if name == "square":     # the outline of its box, one pixel thick at these sizes
            assert lit[0].all() and lit[-1].all() and lit[:, 0].all() and lit[:, -1].all()
            assert not lit[1:-1, 1:-1].any()


def test_make_scene_is_reproducible_and_noise_is_clipped():
    a = make_scene(40, 4, 1, seed=3)
    b = make_scene(40, 4, 1, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    noisy, boxes, _ = make_scene(40, 4, 1, seed=3, noise=0.2)
    assert np.array_equal(boxes, a[1])
    assert noisy.min() >= 0 and noisy.max() <= 1 and (noisy[0][a[0][0] == 0] > 0).mean() > 0.2


@pytest.mark.parametrize("args,kwargs,exc,words", [
    ((40, 2, 3), {}, ValueError, "n_targets"),
    ((16, 12, 0), {}, ValueError, "could not place"),
    ((40, 3, 1), {"target": "moose"}, ValueError, "target must be one of"),
    ((40.5,), {}, TypeError, "size must be a whole number"),
    ((20, 1, 1), {"extent": (6, 30)}, ValueError, "extent"),
    ((20, 1, 1), {"extent": 6}, TypeError, "extent must be a pair"),
    ((40, 3, 1), {"kinds": "cross"}, TypeError, "kinds must be a list or tuple"),
    ((40, 3, 1), {"kinds": ["cross"]}, ValueError, "no kind other than the target"),
    ((40, 3, 1), {"noise": -0.1}, ValueError, "noise must be a standard deviation"),
    ((40, 3, 1), {"seed": -1}, ValueError, "seed must be 0 or more"),
])
def test_make_scene_bad_input(args, kwargs, exc, words):
    with pytest.raises(exc, match=words):
        make_scene(*args, **kwargs)


def test_window_patches_labels_and_kinds():
    X, y = make_window_patches(600, window=14, seed=2, empty_fraction=0.1, partial_fraction=0.2)
    assert X.shape == (600, 1, 14, 14) and X.dtype == np.float32 and y.dtype == np.int64
    empty = ~(X > 0).any(axis=(1, 2, 3))
    assert empty.sum() == 60
    assert not y[empty].any()
    touching = (X[:, 0, 0] > 0).any(1) | (X[:, 0, -1] > 0).any(1) | (X[:, 0, :, 0] > 0).any(1) | \
        (X[:, 0, :, -1] > 0).any(1)
    assert touching.sum() >= 120            # every cut shape touches the border (some whole ones may too)
    # among the 420 whole shapes, 1 in 5 kinds is the cross
    assert abs(y.sum() - 84) <= 1
    # every positive is a plus sign: a full row and a full column of its own box
    for x in X[y == 1, 0]:
        rows, cols = np.flatnonzero((x > 0).any(1)), np.flatnonzero((x > 0).any(0))
        lit = x[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] > 0
        assert lit.all(axis=1).any() and lit.all(axis=0).any()


@pytest.mark.parametrize("kwargs,exc,words", [
    ({"extent": (6, 20)}, ValueError, "must fit in the window"),
    ({"empty_fraction": 1.5}, ValueError, "empty_fraction must be a fraction between 0 and 1"),
    ({"empty_fraction": 0.6, "partial_fraction": 0.6}, ValueError, "partial_fraction must be a fraction between 0 "
                                                                   "and 0.4"),
    ({"window": 3}, ValueError, "window must be at least 4"),
    ({"target": "moose"}, ValueError, "target must be one of"),
])
def test_window_patches_bad_input(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        make_window_patches(50, **kwargs)


# --------------------------------------------------------------------------- changed images (notebook 09)
def test_add_noise():
    X = np.random.default_rng(0).random((50, 1, 8, 8)).astype(np.float32)
    noisy, noise = add_noise(X, 0.3, seed=4)
    assert noisy.dtype == noise.dtype == np.float32
    assert np.allclose(noisy, X + noise)
    assert noise.std() == pytest.approx(0.3, rel=0.05) and abs(noise.mean()) < 0.02
    assert np.array_equal(add_noise(X, 0.3, seed=4)[1], noise)
    with pytest.raises(ValueError, match="sigma must be a standard deviation"):
        add_noise(X, -1.0)
    with pytest.raises(TypeError, match="sigma"):
        add_noise(X, "0.3")


def _shift_oracle(x, dy, dx):
    """A translation written with zero padding and slicing (no np.roll)."""
    H, W = x.shape[-2:]
    p = max(abs(dy), abs(dx))
    padded = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)])
    return padded[..., p - dy:p - dy + H, p - dx:p - dx + W]


@pytest.mark.parametrize("dy,dx", [(0, 1), (1, 0), (-2, 1), (2, -2), (0, 0), (-1, -1)])
def test_shift_images(dy, dx):
    X = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    assert np.array_equal(shift_images(X, dy, dx), _shift_oracle(X, dy, dx))
    assert np.array_equal(shift_images(X, dy, dx, wrap=True), np.roll(X, (dy, dx), axis=(2, 3)))


@pytest.mark.parametrize("args,kwargs,exc,words", [
    ((np.zeros((1, 1, 8, 8)), 8, 0), {}, ValueError, "out of the frame"),
    ((np.zeros((1, 1, 8, 8)), 0.5, 0), {}, TypeError, r"dy must be a whole number of pixels \(negative"),
    ((np.zeros((1, 8, 8)), 1, 0), {}, ValueError, r"add the batch axis with X\[None\]"),
    ((np.zeros((1, 1, 8, 8)), 1, 0), {"wrap": "no"}, TypeError, "wrap must be True or False"),
    (("image", 1, 0), {}, TypeError, "X is the text"),
])
def test_shift_bad_input(args, kwargs, exc, words):
    with pytest.raises(exc, match=words):
        shift_images(*args, **kwargs)


@pytest.mark.parametrize("shape", [(8, 8), (9, 9), (8, 12)])
def test_rotate_matches_torchvision(shape):
    torch = pytest.importorskip("torch")
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    X = np.random.default_rng(1).random((4, 1, *shape)).astype(np.float32)
    for deg in (90, 15, -30, 180):
        expected = TF.rotate(torch.from_numpy(X), deg, interpolation=InterpolationMode.BILINEAR).numpy()
        assert np.allclose(rotate_images(X, deg), expected, atol=1e-5)


def test_rotate_quarter_turns_and_per_image_angles():
    X = np.random.default_rng(2).random((2, 1, 7, 7)).astype(np.float32)
    assert np.allclose(rotate_images(X, 90), np.rot90(X, 1, axes=(2, 3)), atol=1e-5)     # anticlockwise
    assert np.allclose(rotate_images(X, 0), X, atol=1e-6)
    both = rotate_images(X, [90, -90])
    assert np.allclose(both[0], np.rot90(X[0], 1, axes=(1, 2)), atol=1e-5)
    assert np.allclose(both[1], np.rot90(X[1], -1, axes=(1, 2)), atol=1e-5)
    with pytest.raises(ValueError, match="one per image"):
        rotate_images(X, [1, 2, 3])


def test_augment_shifts_only_are_small_translations():
    X = np.random.default_rng(3).random((30, 1, 8, 8)).astype(np.float32)
    out = augment(X, seed=5, max_shift=2, max_degrees=0, noise=0)
    moved = 0
    for x, o in zip(X, out, strict=True):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if np.array_equal(o, _shift_oracle(x, dy, dx))]
        assert matches, "an augmented image is not a shift of its original by at most 2 pixels"
        moved += matches[0] != (0, 0)
    assert moved >= 20
    assert np.array_equal(augment(X, seed=5, max_shift=0, max_degrees=0, noise=0), X)
    noisy = augment(X, seed=5, max_shift=0, max_degrees=0, noise=0.3)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.array_equal(noisy, X)
    with pytest.raises(ValueError, match="max_degrees must be an angle"):
        augment(X, max_degrees=-5)
