"""Beyond classification (notebook 09): small models and utilities for detection, segmentation, denoising,
transfer learning and data augmentation, each small enough to train in seconds on a CPU.

Conventions: images are ``float32`` arrays ``(N, 1, H, W)`` (one image: ``(1, H, W)``) with values in
``[0, 1]``, as :mod:`helpers.data` makes them. Boxes are integer rows ``(top, left, bottom, right)`` in
pixels with ``bottom`` and ``right`` excluded, so a box's pixels are ``image[top:bottom, left:right]``
and its area is ``(bottom − top)·(right − left)``.

* Detection: :func:`make_scene` (several shapes on one canvas, with their true boxes),
  :func:`make_window_patches` (training patches "is there a cross here?"), :func:`window_classifier`,
  :func:`sliding_window_scores` (the explicit loop), :func:`fully_convolutional` (the same classifier as
  one convolution over the whole scene), :func:`box_iou`, :func:`non_max_suppression`,
  :func:`detect` and :func:`match_boxes`.
* Segmentation: :func:`tiny_unet` (conv + pool down, transposed convolution up, one skip connection),
  :func:`pixel_accuracy`, :func:`mask_iou`.
* Denoising: :func:`add_noise`, :func:`denoiser` (predicts the noise), :func:`denoise`,
  :func:`generate_from_noise`.
* Transfer learning: :func:`digits_net` (a small digits CNN), :func:`transfer_model`.
* Augmentation and failures: :func:`shift_images`, :func:`rotate_images`, :func:`augment`.
* Architectures: :func:`lenet5`.

torch is imported inside the functions and classes that need it (the model classes are created on first
use), so ``import helpers.tasks`` stays cheap.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .data import SHAPE_KINDS, _seed, _whole, make_shapes

# --------------------------------------------------------------------------- small argument checks


def _real(value, name: str, *, low: float, high: float | None = None, what: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a number{what}, got {value!r}.")
    if value < low or (high is not None and value > high):
        fits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {fits}{what}, got {value}.")
    return float(value)


def _whole_signed(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number of pixels (negative, 0 or positive), got {value!r}.")
    return int(value)


def _module(model, name: str = "model"):
    """Check that ``model`` is a torch module (torch is imported only when this runs)."""
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch nn.Module (a network such as window_classifier()), "
                        f"got {type(model).__name__}.")
    return model


def _images(X, name: str = "X") -> np.ndarray:
    """``X`` as a float32 array (N, C, H, W); a single (C, H, W) image is not accepted here."""
    if X is None:
        raise TypeError(f"{name} is None: pass a NumPy array of images, shape (N, C, H, W).")
    if hasattr(X, "detach") and hasattr(X, "numpy"):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} holds {arr.dtype} values; pass numbers, shape (N, C, H, W).")
    if arr.ndim != 4:
        raise ValueError(f"{name} must be a batch of images with shape (N, C, H, W), got shape {arr.shape}"
                         + (" — add the batch axis with X[None]" if arr.ndim == 3 else "") + ".")
    return arr.astype(np.float32, copy=False)


def _boxes(boxes, name: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=float)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim == 1 and arr.size == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must be boxes (top, left, bottom, right), shape (n, 4); "
                         f"got shape {arr.shape}.")
    if np.any(arr[:, 2] < arr[:, 0]) or np.any(arr[:, 3] < arr[:, 1]):
        raise ValueError(f"{name}: every box needs bottom ≥ top and right ≥ left (rows are (top, left, "
                         "bottom, right), bottom and right excluded).")
    return arr


# --------------------------------------------------------------------------- detection: data
def _shape_patch(kind: str, extent: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One shape drawn by :func:`helpers.data.make_shapes` filling an ``extent×extent`` patch.

    Returns ``(pixels, mask)``, both ``(extent, extent)``.
    """
    img, _, mask = make_shapes(1, size=extent, seed=seed, kinds=(kind,), extent=(extent, extent))
    return img[0, 0], mask[0]


def make_scene(size: int = 48, n_shapes: int = 5, n_targets: int = 2, seed: int = 0, *, target: str = "cross",
               kinds=SHAPE_KINDS, extent=(6, 10), gap: int = 2, noise: float = 0.0):
    """A ``size×size`` scene holding ``n_shapes`` shapes, ``n_targets`` of them of kind ``target``.

    The shapes are drawn by :func:`helpers.data.make_shapes` (side ``extent[0]``…``extent[1]`` pixels,
    brightness 0.7–1) and placed at random so that their boxes are at least ``gap`` pixels apart; the
    others are drawn from ``kinds`` without ``target``. With ``noise > 0`` Gaussian noise of that standard
    deviation is added and the scene clipped to ``[0, 1]``.

    Returns ``(scene, boxes, names)``: ``scene`` float32 ``(1, size, size)``; ``boxes`` int64
    ``(n_shapes, 4)``, each the tight box ``(top, left, bottom, right)`` of one shape's lit pixels
    (bottom and right excluded); ``names`` the kind of each shape, targets first.

    >>> scene, boxes, names = make_scene(32, n_shapes=3, n_targets=1, seed=1)
    >>> scene.shape, boxes.shape, names[0]
    ((1, 32, 32), (3, 4), 'cross')
    >>> inside = np.zeros((32, 32), dtype=bool)
    >>> for t, l, b, r in boxes:
    ...     inside[t:b, l:r] = True
    >>> bool(scene[0][inside].any()), bool(scene[0][~inside].any())     # every lit pixel is in a box
    (True, False)
    """
    size = _whole(size, "size", minimum=8)
    n_shapes = _whole(n_shapes, "n_shapes", minimum=0)
    n_targets = _whole(n_targets, "n_targets", minimum=0)
    if n_targets > n_shapes:
        raise ValueError(f"n_targets ({n_targets}) cannot exceed n_shapes ({n_shapes}).")
    rng = np.random.default_rng(_seed(seed))
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    if target not in SHAPE_KINDS:
        raise ValueError(f"target must be one of {SHAPE_KINDS}, got {target!r}.")
    others = tuple(k for k in kinds if k != target)
    unknown = [k for k in kinds if k not in SHAPE_KINDS]
    if unknown:
        raise ValueError(f"kinds must be names from {SHAPE_KINDS}; unknown: {unknown}.")
    if n_shapes > n_targets and not others:
        raise ValueError(f"kinds {kinds!r} hold no kind other than the target {target!r} to draw the "
                         f"{n_shapes - n_targets} other shapes from.")
    if not isinstance(extent, (tuple, list)) or len(extent) != 2:
        raise TypeError(f"extent must be a pair (smallest, largest) side in pixels, got {extent!r}.")
    lo = _whole(extent[0], "extent[0]", minimum=3)
    hi = _whole(extent[1], "extent[1]", minimum=lo)
    if hi > size:
        raise ValueError(f"shapes of side up to {hi} do not fit in a {size}×{size} scene; "
                         f"make extent[1] ≤ {size}.")
    gap = _whole(gap, "gap", minimum=0)
    noise = _real(noise, "noise", low=0.0, what=" (a standard deviation ≥ 0)")

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
    ``target`` shape lies inside, else 0.

    Three kinds of patch: one whole shape from :func:`helpers.data.make_shapes` (every kind in
    ``SHAPE_KINDS`` equally often, so 1 in 5 of these is a target); an empty patch
    (``empty_fraction``); and a shape cut by the patch border — a piece of a cross is *not* a cross
    (``partial_fraction``, all labelled 0).

    Returns ``(X, y)``: float32 ``(n, 1, window, window)`` and int64 ``(n,)``.

    >>> X, y = make_window_patches(200, seed=0)
    >>> X.shape, y.dtype, bool(0.1 < y.mean() < 0.3)
    ((200, 1, 14, 14), dtype('int64'), True)
    """
    n = _whole(n, "n", minimum=1)
    window = _whole(window, "window", minimum=4)
    rng = np.random.default_rng(_seed(seed))
    if not isinstance(extent, (tuple, list)) or len(extent) != 2:
        raise TypeError(f"extent must be a pair (smallest, largest) side in pixels, got {extent!r}.")
    lo = _whole(extent[0], "extent[0]", minimum=3)
    hi = _whole(extent[1], "extent[1]", minimum=lo)
    if hi > window:
        raise ValueError(f"extent[1] = {hi}: the largest shape must fit in the window ({window}).")
    empty_fraction = _real(empty_fraction, "empty_fraction", low=0.0, high=1.0)
    partial_fraction = _real(partial_fraction, "partial_fraction", low=0.0, high=1.0 - empty_fraction)
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


# --------------------------------------------------------------------------- detection: models
def window_classifier(window: int = 14, seed: int = 0):
    """The patch classifier of notebook 09: "is there a cross in this ``window×window`` patch?" (2 scores).

    conv 3×3 (no padding) → ReLU → max pool 2 → conv 3×3 → ReLU → max pool 2 → flatten → linear → ReLU →
    linear. For ``window=14``: 1×14×14 → 8×12×12 → 8×6×6 → 16×4×4 → 16×2×2 → 64 → 32 → 2. No padding, so
    that the classifier sees only its window and :func:`fully_convolutional` reproduces it exactly.
    Initial weights from ``torch.manual_seed(seed)``.

    >>> import torch
    >>> tuple(window_classifier(14)(torch.zeros(5, 1, 14, 14)).shape)
    (5, 2)
    """
    import torch
    from torch import nn

    window = _whole(window, "window", minimum=10)
    side = ((window - 2) // 2 - 2) // 2
    torch.manual_seed(_seed(seed))
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * side * side, 32), nn.ReLU(),
        nn.Linear(32, 2),
    )


def fully_convolutional(model, window: int):
    """The same classifier as a fully convolutional network: each ``Linear`` becomes a convolution.

    The first ``Linear`` after ``Flatten`` reads a ``C×h×w`` block; it becomes a ``Conv2d`` with an
    ``h×w`` kernel holding the same weights (reshaped); later ``Linear`` layers become 1×1 convolutions.
    Run on a whole scene, the result is the classifier's score for every window position at once, with
    the stride equal to the product of the pooling strides (``window`` tells the input size the classifier
    was built for). Returns a new ``nn.Sequential``; ``model`` is not changed.

    >>> import torch
    >>> fcn = fully_convolutional(window_classifier(14), 14)
    >>> tuple(fcn(torch.zeros(1, 1, 14, 14)).shape), tuple(fcn(torch.zeros(1, 1, 46, 46)).shape)
    ((1, 2, 1, 1), (1, 2, 9, 9))
    """
    import copy

    import torch
    from torch import nn

    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential (convolutions, Flatten, Linear layers), "
                        f"got {type(model).__name__}.")
    window = _whole(window, "window", minimum=1)
    layers = list(model)
    flat = [i for i, m in enumerate(layers) if isinstance(m, nn.Flatten)]
    if len(flat) != 1:
        raise ValueError(f"model must contain exactly one nn.Flatten between its convolutional part and its "
                         f"Linear layers; found {len(flat)}.")
    i_flat = flat[0]
    features = nn.Sequential(*[copy.deepcopy(m) for m in layers[:i_flat]])
    with torch.no_grad():
        c, h, w = features(torch.zeros(1, 1, window, window)).shape[1:]
    out = list(features)
    first = True
    for m in layers[i_flat + 1:]:
        if isinstance(m, nn.Linear):
            k = (h, w) if first else (1, 1)
            cin = c if first else m.in_features
            if m.in_features != cin * k[0] * k[1]:
                raise ValueError(f"Linear layer expects {m.in_features} features, but the convolutional part "
                                 f"gives {c}×{h}×{w} = {c * h * w} for a {window}×{window} window.")
            conv = nn.Conv2d(cin, m.out_features, k, bias=m.bias is not None)
            with torch.no_grad():
                conv.weight.copy_(m.weight.reshape(m.out_features, cin, *k))
                if m.bias is not None:
                    conv.bias.copy_(m.bias)
            out.append(conv)
            first = False
        elif isinstance(m, (nn.ReLU, nn.Identity, nn.Tanh, nn.Sigmoid, nn.Dropout)):
            out.append(copy.deepcopy(m))
        else:
            raise ValueError(f"cannot turn {type(m).__name__} after Flatten into a convolution; only Linear "
                             "layers and element-wise activations are supported.")
    fcn = nn.Sequential(*out)
    fcn.eval()
    return fcn


def _softmax_target(logits):
    """Probability of class 1 from two class scores along axis 1."""
    import torch

    return torch.softmax(logits, dim=1)[:, 1]


def sliding_window_scores(model, scene, window: int, stride: int = 1):
    """The explicit sliding-window loop: crop every ``window×window`` patch, classify it, keep P(target).

    ``scene`` is ``(1, H, W)`` (or ``(H, W)``); window positions start at ``0, stride, 2·stride, …`` as long
    as the window fits, so the map has ``⌊(H − window)/stride⌋ + 1`` rows (and likewise columns) — the
    output-size formula of a convolution with kernel ``window``. Entry ``[i, j]`` is the model's
    probability (softmax of its two scores) that the patch starting at ``(i·stride, j·stride)`` holds a
    target. Returns float32 ``(rows, cols)``.

    >>> sliding_window_scores(window_classifier(14), np.zeros((1, 46, 46)), window=14, stride=4).shape
    (9, 9)
    """
    import torch

    _module(model)
    img = np.asarray(scene, dtype=np.float32)
    if img.ndim == 3:
        if img.shape[0] != 1:
            raise ValueError(f"scene must be one grey image, shape (1, H, W) or (H, W); got {img.shape}.")
        img = img[0]
    if img.ndim != 2:
        raise ValueError(f"scene must be one grey image, shape (1, H, W) or (H, W); got {img.shape}.")
    window = _whole(window, "window", minimum=1)
    stride = _whole(stride, "stride", minimum=1)
    H, W = img.shape
    if window > min(H, W):
        raise ValueError(f"window {window} does not fit in the {H}×{W} scene.")
    rows, cols = (H - window) // stride + 1, (W - window) // stride + 1
    patches = np.empty((rows * cols, 1, window, window), dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            patches[i * cols + j, 0] = img[i * stride:i * stride + window, j * stride:j * stride + window]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            prob = _softmax_target(model(torch.from_numpy(patches)))
    finally:
        model.train(was_training)
    return prob.numpy().reshape(rows, cols).astype(np.float32)


def fcn_scores(fcn, scene):
    """P(target) for every window position from one pass of a fully convolutional model over ``scene``.

    ``scene`` is ``(1, H, W)``; returns float32 ``(rows, cols)`` (see :func:`fully_convolutional`).

    >>> model = window_classifier(14)
    >>> scene = np.random.default_rng(0).random((1, 30, 30))
    >>> fcn_map = fcn_scores(fully_convolutional(model, 14), scene)
    >>> fcn_map.shape, bool(np.allclose(fcn_map, sliding_window_scores(model, scene, 14, 4), atol=1e-5))
    ((5, 5), True)
    """
    import torch

    _module(fcn, "fcn")
    img = np.asarray(scene, dtype=np.float32)
    if img.ndim == 2:
        img = img[None]
    if img.ndim != 3 or img.shape[0] != 1:
        raise ValueError(f"scene must be one grey image, shape (1, H, W) or (H, W); got {img.shape}.")
    with torch.no_grad():
        prob = _softmax_target(fcn(torch.from_numpy(np.ascontiguousarray(img[None]))))
    return prob[0].numpy().astype(np.float32)


# --------------------------------------------------------------------------- detection: boxes
def box_iou(a, b) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in ``b``: ``(n, 4), (m, 4) → (n, m)``.

    IoU = area(A ∩ B) / area(A ∪ B) = area(A ∩ B) / (area(A) + area(B) − area(A ∩ B)); boxes are
    ``(top, left, bottom, right)`` with bottom and right excluded, so a box's area is
    ``(bottom − top)·(right − left)``.

    >>> box_iou([[0, 0, 4, 4]], [[2, 2, 6, 6], [0, 0, 4, 4], [4, 4, 8, 8]])
    array([[0.14285714, 1.        , 0.        ]])
    """
    a, b = _boxes(a, "a"), _boxes(b, "b")
    top = np.maximum(a[:, None, 0], b[None, :, 0])
    left = np.maximum(a[:, None, 1], b[None, :, 1])
    bottom = np.minimum(a[:, None, 2], b[None, :, 2])
    right = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def non_max_suppression(boxes, scores, iou_threshold: float = 0.3) -> np.ndarray:
    """Greedy non-maximum suppression: keep the best box, drop every box overlapping it by more than
    ``iou_threshold`` (IoU), repeat with the best box left. Returns the kept indices, best first.

    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], iou_threshold=0.5)
    array([0, 2])
    """
    boxes = _boxes(boxes, "boxes")
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores must hold one number per box: {boxes.shape[0]} boxes, "
                         f"{scores.shape[0]} scores.")
    iou_threshold = _real(iou_threshold, "iou_threshold", low=0.0, high=1.0)
    order = np.argsort(-scores, kind="stable")
    keep = []
    alive = np.ones(len(order), dtype=bool)
    ious = box_iou(boxes, boxes)
    for pos, i in enumerate(order):
        if not alive[pos]:
            continue
        keep.append(int(i))
        later = order[pos + 1:]
        alive[pos + 1:] &= ious[i, later] <= iou_threshold
    return np.array(keep, dtype=np.int64)


def window_boxes(shape, window: int, stride: int) -> np.ndarray:
    """The box of every window position of a score map of ``shape = (rows, cols)``: ``(rows·cols, 4)``.

    >>> window_boxes((2, 2), window=14, stride=4).tolist()
    [[0, 0, 14, 14], [0, 4, 14, 18], [4, 0, 18, 14], [4, 4, 18, 18]]
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise TypeError(f"shape must be the score map's (rows, cols), got {shape!r}.")
    rows = _whole(shape[0], "shape[0] (rows)", minimum=0)
    cols = _whole(shape[1], "shape[1] (cols)", minimum=0)
    window = _whole(window, "window", minimum=1)
    stride = _whole(stride, "stride", minimum=1)
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    top, left = (i * stride).ravel(), (j * stride).ravel()
    return np.stack([top, left, top + window, left + window], axis=1).astype(np.int64)


def detect(score_map, window: int, stride: int, threshold: float = 0.5, iou_threshold: float = 0.1):
    """Boxes from a detection map: every window with P(target) ≥ ``threshold``, then
    :func:`non_max_suppression`. Returns ``(boxes (k, 4) int64, scores (k,))``, best first.

    >>> score_map = np.zeros((5, 5)); score_map[1, 1], score_map[1, 2] = 0.9, 0.8   # two windows, one object
    >>> boxes, scores = detect(score_map, window=14, stride=4)
    >>> boxes.tolist(), scores.tolist()
    ([[4, 4, 18, 18]], [0.9])
    """
    score_map = np.asarray(score_map, dtype=float)
    if score_map.ndim != 2:
        raise ValueError(f"score_map must be a 2D map (rows, cols), got shape {score_map.shape}.")
    threshold = _real(threshold, "threshold", low=0.0, high=1.0)
    boxes = window_boxes(score_map.shape, window, stride)
    scores = score_map.ravel()
    sel = scores >= threshold
    boxes, scores = boxes[sel], scores[sel]
    keep = non_max_suppression(boxes, scores, iou_threshold)
    return boxes[keep], scores[keep]


def match_boxes(detected, truth, min_cover: float = 0.7):
    """Which true boxes were found: a detection finds a true box when it covers at least ``min_cover`` of
    the true box's area; each detection finds at most one true box (greedy, best cover first).

    Returns ``(found, correct)``: bool ``(len(truth),)`` and bool ``(len(detected),)``. Recall is
    ``found.mean()``, precision ``correct.mean()``.

    >>> found, correct = match_boxes([[0, 0, 14, 14], [30, 30, 44, 44]], [[2, 3, 10, 11], [20, 2, 28, 10]])
    >>> found.tolist(), correct.tolist()
    ([True, False], [True, False])
    """
    det, tru = _boxes(detected, "detected"), _boxes(truth, "truth")
    min_cover = _real(min_cover, "min_cover", low=0.0, high=1.0)
    top = np.maximum(det[:, None, 0], tru[None, :, 0])
    left = np.maximum(det[:, None, 1], tru[None, :, 1])
    bottom = np.minimum(det[:, None, 2], tru[None, :, 2])
    right = np.minimum(det[:, None, 3], tru[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area_t = np.maximum((tru[:, 2] - tru[:, 0]) * (tru[:, 3] - tru[:, 1]), 1e-12)
    cover = inter / area_t[None, :]
    found = np.zeros(len(tru), dtype=bool)
    correct = np.zeros(len(det), dtype=bool)
    for flat in np.argsort(-cover, axis=None, kind="stable"):
        d, t = np.unravel_index(flat, cover.shape)
        if cover[d, t] < min_cover:
            break
        if not found[t] and not correct[d]:
            found[t] = correct[d] = True
    return found, correct


# --------------------------------------------------------------------------- segmentation
@functools.cache
def _unet_classes():
    import torch
    from torch import nn

    class SkipConcat(nn.Module):
        """Stacks the encoder's feature maps (the skip connection) onto the decoder's, channel-wise."""

        def __init__(self, skip_channels: int):
            super().__init__()
            self.skip_channels = skip_channels

        def forward(self, x, skip):
            return torch.cat([x, skip], dim=1)

        def __repr__(self):
            return f"SkipConcat(+{self.skip_channels} ch)"

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

    class TinyUNet(nn.Module):
        def __init__(self, in_channels=1, n_classes=2, width=8, skip=True):
            super().__init__()
            self.skip = skip
            self.down = block(in_channels, width)                       # C×H×W → w×H×W
            self.pool = nn.MaxPool2d(2)                                 # → w×H/2×W/2
            self.middle = block(width, 2 * width)                       # → 2w×H/2×W/2
            self.up = nn.ConvTranspose2d(2 * width, width, 2, stride=2)  # → w×H×W
            self.concat = SkipConcat(width) if skip else None
            self.decode = block(2 * width if skip else width, width)    # → w×H×W
            self.head = nn.Conv2d(width, n_classes, 1)                  # → classes×H×W

        def forward(self, x):
            d = self.down(x)
            u = self.up(self.middle(self.pool(d)))
            if self.skip:
                u = self.concat(u, d)
            return self.head(self.decode(u))

    return TinyUNet, SkipConcat


def tiny_unet(in_channels: int = 1, n_classes: int = 2, width: int = 8, skip: bool = True, seed: int = 0):
    """A tiny encoder–decoder ("U-Net") for per-pixel classes: one level down, one level up.

    Encoder: two 3×3 convs (padding 1) + ReLU → ``width×H×W`` (kept for the skip connection), max pool 2 →
    ``width×H/2×W/2``, two 3×3 convs + ReLU → ``2·width×H/2×W/2``. Decoder: transposed convolution 2×2,
    stride 2 → ``width×H×W`` (size ``2(H/2 − 1) + 2 = H``), concatenated with the encoder's maps
    (``2·width`` channels; ``skip=False`` leaves this out), two 3×3 convs + ReLU, and a 1×1 conv to
    ``n_classes`` scores per pixel: output ``(N, n_classes, H, W)`` for input ``(N, in_channels, H, W)``,
    H and W even. Initial weights from ``torch.manual_seed(seed)``.

    >>> import torch
    >>> tuple(tiny_unet()(torch.zeros(2, 1, 16, 16)).shape)
    (2, 2, 16, 16)
    """
    import torch

    for name, v in (("in_channels", in_channels), ("n_classes", n_classes), ("width", width)):
        _whole(v, name, minimum=1)
    torch.manual_seed(_seed(seed))
    cls, _ = _unet_classes()
    return cls(in_channels, n_classes, width, bool(skip))


def pixel_accuracy(pred, true) -> float:
    """The fraction of pixels whose predicted class equals the true one (any equal shapes).

    >>> pixel_accuracy([[0, 1], [1, 1]], [[0, 1], [0, 1]])
    0.75
    """
    p, t = np.asarray(pred), np.asarray(true)
    if p.shape != t.shape:
        raise ValueError(f"pred and true must have the same shape, got {p.shape} and {t.shape}.")
    return float((p == t).mean())


def mask_iou(pred, true) -> float:
    """Intersection over union of two masks (True = the object): |pred ∧ true| / |pred ∨ true|.

    All pixels of all images count together; two empty masks give 1.0.

    >>> mask_iou([[0, 1, 1], [0, 1, 0]], [[0, 1, 0], [0, 1, 1]])
    0.5
    """
    p, t = np.asarray(pred).astype(bool), np.asarray(true).astype(bool)
    if p.shape != t.shape:
        raise ValueError(f"pred and true must have the same shape, got {p.shape} and {t.shape}.")
    union = np.logical_or(p, t).sum()
    return 1.0 if union == 0 else float(np.logical_and(p, t).sum() / union)


# --------------------------------------------------------------------------- denoising
def add_noise(X, sigma: float, seed: int = 0):
    """Gaussian noise of standard deviation ``sigma`` added to every pixel (not clipped).

    Returns ``(noisy, noise)``, both float32 with the shape of ``X``; ``noisy = X + noise``.

    >>> noisy, noise = add_noise(np.zeros((100, 1, 8, 8)), 0.5)
    >>> round(float(noise.std()), 1), bool(np.allclose(noisy, noise))
    (0.5, True)
    """
    X = np.asarray(X, dtype=np.float32)
    sigma = _real(sigma, "sigma", low=0.0, what=" (a standard deviation ≥ 0)")
    noise = np.random.default_rng(_seed(seed)).normal(0.0, sigma, size=X.shape).astype(np.float32)
    return X + noise, noise


def denoiser(width: int = 32, seed: int = 0):
    """A small fully convolutional network that predicts the noise in an image (same size in and out).

    Three 3×3 convolutions with padding 1: 1 → ``width`` → ``width`` → 1 channels, ReLU between. Train it
    on ``(noisy, noise)`` pairs with a mean-squared-error loss; the clean estimate is ``noisy − model(noisy)``
    (:func:`denoise`). Initial weights from ``torch.manual_seed(seed)``.

    >>> import torch
    >>> tuple(denoiser()(torch.zeros(3, 1, 8, 8)).shape)
    (3, 1, 8, 8)
    """
    import torch
    from torch import nn

    width = _whole(width, "width", minimum=1)
    torch.manual_seed(_seed(seed))
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, 1, 3, padding=1),
    )


def denoise(model, noisy) -> np.ndarray:
    """The clean estimate ``noisy − model(noisy)`` from a noise-predicting model (:func:`denoiser`).

    ``noisy`` is ``(N, 1, H, W)``; the result is float32 of the same shape.

    >>> import torch
    >>> denoise(torch.nn.Identity(), np.ones((1, 1, 2, 2))).tolist()     # a model that calls it all noise
    [[[[0.0, 0.0], [0.0, 0.0]]]]
    """
    import torch

    _module(model)
    x = _images(noisy, "noisy")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = x - model(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    finally:
        model.train(was_training)
    return out.astype(np.float32)


def generate_from_noise(model, n: int = 8, steps: int = 10, seed: int = 0, *, size: int = 8,
                        start_sigma: float = 1.0):
    """Start from pure Gaussian noise and apply :func:`denoise` ``steps`` times.

    Returns float32 ``(steps + 1, n, 1, size, size)``: entry 0 is the noise, entry k the image after k
    denoising steps.

    >>> generate_from_noise(denoiser(8), n=3, steps=5).shape
    (6, 3, 1, 8, 8)
    """
    _module(model)
    n = _whole(n, "n", minimum=1)
    steps = _whole(steps, "steps", minimum=0)
    size = _whole(size, "size", minimum=1)
    start_sigma = _real(start_sigma, "start_sigma", low=0.0)
    rng = np.random.default_rng(_seed(seed))
    x = rng.normal(0.0, start_sigma, size=(n, 1, size, size)).astype(np.float32)
    out = [x]
    for _ in range(steps):
        x = denoise(model, x)
        out.append(x)
    return np.stack(out)


# --------------------------------------------------------------------------- transfer learning
def digits_net(seed: int = 0, n_classes: int = 10):
    """A small CNN for the 8×8 digits, built like notebook 06's (two conv blocks, then a classifier) but
    smaller, so that a training run takes a second or two.

    conv 3×3 (padding 1) → ReLU → max pool 2 → conv 3×3 (padding 1) → ReLU → max pool 2 → flatten → linear:
    1×8×8 → 16×8×8 → 16×4×4 → 32×4×4 → 32×2×2 → 128 → ``n_classes`` scores; 6,090 parameters for 10
    classes. Initial weights from ``torch.manual_seed(seed)``.

    >>> sum(p.numel() for p in digits_net().parameters())
    6090
    """
    import torch
    from torch import nn

    n_classes = _whole(n_classes, "n_classes", minimum=1)
    torch.manual_seed(_seed(seed))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, n_classes),
    )


def transfer_model(source, fresh, freeze: bool = True):
    """Transfer learning: copy every convolutional layer of ``source`` (trained on another task) into
    ``fresh`` (an untrained model with the same layers), keeping ``fresh``'s own fully connected head.

    With ``freeze=True`` the copied weights get ``requires_grad = False``, so that training changes only
    the head (the optimizer skips parameters without gradients); with ``freeze=False`` they are only a
    starting point and are fine-tuned with the rest. Returns ``fresh`` (changed in place).

    >>> src, new = digits_net(seed=1), digits_net(seed=2)
    >>> model = transfer_model(src, new)
    >>> bool((model[0].weight == src[0].weight).all())
    True
    >>> model[0].weight.requires_grad, model[7].weight.requires_grad
    (False, True)
    """
    import torch
    from torch import nn

    for name, m in (("source", source), ("fresh", fresh)):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module, got {type(m).__name__}.")
    src = [m for m in source.modules() if isinstance(m, nn.Conv2d)]
    dst = [m for m in fresh.modules() if isinstance(m, nn.Conv2d)]
    shapes_src = [tuple(m.weight.shape) for m in src]
    shapes_dst = [tuple(m.weight.shape) for m in dst]
    if not src or shapes_src != shapes_dst:
        raise ValueError(f"source and fresh must have the same convolutional layers: source has {shapes_src}, "
                         f"fresh has {shapes_dst}.")
    with torch.no_grad():
        for a, b in zip(src, dst, strict=True):
            for p, q in zip(b.parameters(), a.parameters(), strict=True):
                p.copy_(q)
                p.requires_grad_(not freeze)
    return fresh


# --------------------------------------------------------------------------- augmentation and failures
def shift_images(X, dy: int, dx: int, *, wrap: bool = False) -> np.ndarray:
    """Every image moved ``dy`` pixels down and ``dx`` pixels right (negative: up, left).

    ``np.roll`` moves the pixels; what it pushes over one edge comes back at the opposite edge. With
    ``wrap=False`` (default) those wrapped rows and columns are set to 0, so the result is a true
    translation: pixels leave the frame and blank ones come in. Shape and dtype are kept.

    >>> x = np.arange(1.0, 5.0).reshape(1, 1, 1, 4)
    >>> shift_images(x, 0, 1)[0, 0, 0].tolist(), shift_images(x, 0, 1, wrap=True)[0, 0, 0].tolist()
    ([0.0, 1.0, 2.0, 3.0], [4.0, 1.0, 2.0, 3.0])
    """
    X = _images(X)
    dy = int(_whole_signed(dy, "dy"))
    dx = int(_whole_signed(dx, "dx"))
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
    """Every image rotated by ``degrees`` (anticlockwise; one angle, or one per image) about its centre,
    with bilinear interpolation and zeros brought in from outside. Shape and dtype are kept.

    >>> x = np.zeros((1, 1, 3, 3), dtype=np.float32); x[0, 0, 0, 1] = 1     # a dot above the centre
    >>> rotate_images(x, 90)[0, 0].round(3).tolist()                         # goes to the left
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    import torch
    import torch.nn.functional as F

    X = _images(X)
    n = X.shape[0]
    deg = np.broadcast_to(np.asarray(degrees, dtype=np.float64), (n,)) if np.ndim(degrees) == 0 else \
        np.asarray(degrees, dtype=np.float64)
    if deg.shape != (n,):
        raise ValueError(f"degrees must be one angle or one per image ({n}), got shape {np.shape(degrees)}.")
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
    """A randomly changed copy of every image: a shift of up to ``max_shift`` pixels each way
    (:func:`shift_images`, zeros brought in), a rotation by up to ``±max_degrees``
    (:func:`rotate_images`) and Gaussian noise of standard deviation up to ``noise``, then clipped to
    ``[0, 1]``. Set an amount to 0 to leave that change out. Labels do not change.

    >>> X = np.zeros((5, 1, 8, 8), dtype=np.float32)
    >>> augment(X, seed=0).shape
    (5, 1, 8, 8)
    """
    X = _images(X)
    max_shift = _whole(max_shift, "max_shift", minimum=0)
    max_degrees = _real(max_degrees, "max_degrees", low=0.0)
    noise = _real(noise, "noise", low=0.0)
    rng = np.random.default_rng(_seed(seed))
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


# --------------------------------------------------------------------------- architectures
def lenet5(seed: int = 0):
    """LeNet-5 (LeCun et al., 1998) for 1×32×32 digits, with tanh and average pooling as in the paper.

    conv 5×5 (6) → tanh → avg pool 2 → conv 5×5 (16) → tanh → avg pool 2 → conv 5×5 (120) → tanh → flatten
    → linear 84 → tanh → linear 10: 1×32×32 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 → 120×1×1 → 84 → 10;
    61,706 parameters (the paper's C3 connects only some channel pairs; here every pair, as is usual now).

    >>> sum(p.numel() for p in lenet5().parameters())
    61706
    """
    import torch
    from torch import nn

    torch.manual_seed(_seed(seed))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(),
        nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10),
    )


__all__ = [
    "add_noise", "augment", "box_iou", "denoise", "denoiser", "digits_net", "detect", "fcn_scores",
    "fully_convolutional", "generate_from_noise", "lenet5", "make_scene", "make_window_patches", "mask_iou",
    "match_boxes", "non_max_suppression", "pixel_accuracy", "rotate_images", "shift_images",
    "sliding_window_scores", "tiny_unet", "transfer_model", "window_boxes", "window_classifier",
]
