"""helpers.tasks against independent oracles: torchvision's box_iou and nms, explicit loops written here,
hand-worked examples, torchvision's rotate, and the published LeNet-5 / torchvision parameter counts."""

import numpy as np
import pytest
import torch
from torch import nn

from helpers.data import SHAPE_KINDS
from helpers.tasks import (
    add_noise,
    augment,
    box_iou,
    denoise,
    denoiser,
    detect,
    digits_net,
    fcn_scores,
    fully_convolutional,
    generate_from_noise,
    lenet5,
    make_scene,
    make_window_patches,
    mask_iou,
    match_boxes,
    non_max_suppression,
    pixel_accuracy,
    rotate_images,
    shift_images,
    sliding_window_scores,
    tiny_unet,
    transfer_model,
    window_boxes,
    window_classifier,
)


def _random_boxes(rng, n, size=40):
    top = rng.integers(0, size - 4, n)
    left = rng.integers(0, size - 4, n)
    h = rng.integers(1, 15, n)
    w = rng.integers(1, 15, n)
    return np.stack([top, left, top + h, left + w], axis=1)


def _xyxy(boxes):
    """(top, left, bottom, right) → torchvision's (x1, y1, x2, y2)."""
    b = torch.as_tensor(np.asarray(boxes), dtype=torch.float64)
    return b[:, [1, 0, 3, 2]]


# --------------------------------------------------------------------------- make_scene
@pytest.mark.parametrize("seed", range(8))
def test_make_scene_boxes_match_the_pixels(seed):
    scene, boxes, names = make_scene(48, n_shapes=5, n_targets=2, seed=seed)
    img = scene[0]
    assert scene.shape == (1, 48, 48) and scene.dtype == np.float32
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
    # boxes at least `gap` = 2 pixels apart: grow each by 1 on every side, they must not overlap
    grown = boxes + np.array([-1, -1, 1, 1])
    iou = box_iou(grown, grown)
    assert np.allclose(iou - np.eye(len(boxes)), 0)


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


def test_make_scene_bad_input():
    with pytest.raises(ValueError, match="n_targets"):
        make_scene(40, 2, 3)
    with pytest.raises(ValueError, match="could not place"):
        make_scene(16, 12, 0)
    with pytest.raises(ValueError, match="target"):
        make_scene(40, 3, 1, target="moose")
    with pytest.raises(TypeError, match="size"):
        make_scene(40.5)
    with pytest.raises(ValueError, match="extent"):
        make_scene(20, 1, 1, extent=(6, 30))


# --------------------------------------------------------------------------- window patches
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


# --------------------------------------------------------------------------- sliding window = conv
def _trained_like(seed=0):
    model = window_classifier(14, seed=seed)
    with torch.no_grad():        # larger weights than the default init, so that maps have contrast
        for p in model.parameters():
            p.mul_(3)
    return model.eval()


def _oracle_map(model, scene, window, stride):
    """Crop every window with torch slicing and classify it: the definition of a sliding-window detector."""
    x = torch.as_tensor(scene).float()
    H, W = x.shape[-2:]
    out = np.zeros(((H - window) // stride + 1, (W - window) // stride + 1))
    with torch.no_grad():
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                patch = x[..., i * stride:i * stride + window, j * stride:j * stride + window].reshape(1, 1, window,
                                                                                                     window)
                out[i, j] = torch.softmax(model(patch), dim=1)[0, 1].item()
    return out


@pytest.mark.parametrize("size", [14, 30, 46, 47])
def test_fully_convolutional_equals_the_sliding_window_loop(size):
    model = _trained_like(seed=size)
    rng = np.random.default_rng(size)
    scene = rng.random((1, size, size)).astype(np.float32)
    fcn = fully_convolutional(model, 14)
    expected = _oracle_map(model, scene, 14, 4)
    assert np.allclose(sliding_window_scores(model, scene, 14, 4), expected, atol=1e-6)
    assert np.allclose(fcn_scores(fcn, scene), expected, atol=1e-5)
    # stride 1 only from the loop; its every 4th entry is the stride-4 map
    if size <= 30:
        full = sliding_window_scores(model, scene, 14, 1)
        assert full.shape == (size - 13, size - 13)
        assert np.allclose(full[::4, ::4], expected, atol=1e-6)


def test_fully_convolutional_keeps_the_weights_and_leaves_the_model_alone():
    model = _trained_like(seed=1)
    before = [p.clone() for p in model.parameters()]
    fcn = fully_convolutional(model, 14)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert sum(p.numel() for p in fcn.parameters()) == sum(p.numel() for p in model.parameters())
    x = torch.rand(3, 1, 14, 14)
    with torch.no_grad():
        assert torch.allclose(fcn(x)[:, :, 0, 0], model(x), atol=1e-6)


def test_fully_convolutional_bad_input():
    with pytest.raises(TypeError, match="Sequential"):
        fully_convolutional(nn.Linear(3, 2), 14)
    with pytest.raises(ValueError, match="Flatten"):
        fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3)), 14)
    with pytest.raises(ValueError, match="expects"):
        fully_convolutional(window_classifier(14), 18)


def test_detection_bad_input():
    with pytest.raises(TypeError, match="model"):
        sliding_window_scores("classifier", np.zeros((1, 20, 20)), 14)
    with pytest.raises(ValueError, match="does not fit"):
        sliding_window_scores(window_classifier(14), np.zeros((1, 10, 10)), 14)
    with pytest.raises(ValueError, match="scene"):
        sliding_window_scores(window_classifier(14), np.zeros((3, 20, 20)), 14)
    with pytest.raises(TypeError, match="fcn"):
        fcn_scores(None, np.zeros((1, 20, 20)))
    with pytest.raises(TypeError, match="stride"):
        detect(np.zeros((3, 3)), window=14, stride=1.5)
    with pytest.raises(TypeError, match="shape"):
        window_boxes(9, window=14, stride=4)


def test_window_boxes_are_the_cropped_windows():
    boxes = window_boxes((3, 5), window=14, stride=4)
    assert boxes.shape == (15, 4)
    k = 0
    for i in range(3):
        for j in range(5):
            assert boxes[k].tolist() == [4 * i, 4 * j, 4 * i + 14, 4 * j + 14]
            k += 1


# --------------------------------------------------------------------------- boxes
def test_box_iou_hand_worked():
    # two 4×4 boxes overlapping in a 2×2 corner: 4 / (16 + 16 − 4) = 1/7
    assert box_iou([[0, 0, 4, 4]], [[2, 2, 6, 6]])[0, 0] == pytest.approx(1 / 7)
    # two 14×14 windows 4 pixels apart in both directions: 10·10 / (196 + 196 − 100)
    assert box_iou([[0, 0, 14, 14]], [[4, 4, 18, 18]])[0, 0] == pytest.approx(100 / 292)
    assert box_iou([[0, 0, 2, 2]], [[2, 0, 4, 2]])[0, 0] == 0        # touching edges share no pixel


def test_box_iou_matches_torchvision():
    from torchvision.ops import box_iou as tv_box_iou

    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 30), _random_boxes(rng, 20)
    assert np.allclose(box_iou(a, b), tv_box_iou(_xyxy(a), _xyxy(b)).numpy())


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5])
def test_nms_matches_torchvision(seed, threshold):
    from torchvision.ops import nms

    rng = np.random.default_rng(seed)
    boxes = _random_boxes(rng, 40, size=30)
    scores = rng.permutation(40) / 40 + 0.01
    expected = nms(_xyxy(boxes), torch.as_tensor(scores), threshold).numpy()
    assert non_max_suppression(boxes, scores, threshold).tolist() == expected.tolist()


def test_nms_and_detect_on_a_made_up_map():
    score_map = np.zeros((6, 6))
    score_map[1, 1], score_map[1, 2], score_map[2, 1] = 0.9, 0.8, 0.7      # one object, three windows
    score_map[5, 5] = 0.6                                                   # a second one far away
    score_map[3, 3] = 0.4                                                   # below the threshold
    boxes, scores = detect(score_map, window=14, stride=4, threshold=0.5, iou_threshold=0.1)
    assert boxes.tolist() == [[4, 4, 18, 18], [20, 20, 34, 34]]
    assert scores.tolist() == [0.9, 0.6]


def test_match_boxes_hand_worked():
    found, correct = match_boxes([[0, 0, 14, 14], [30, 30, 44, 44]], [[2, 3, 10, 11], [20, 2, 28, 10]])
    assert found.tolist() == [True, False] and correct.tolist() == [True, False]
    # a window covering half of a target does not find it at min_cover 0.7, does at 0.5
    assert not match_boxes([[0, 0, 14, 14]], [[10, 0, 18, 8]])[0][0]          # 4 of 8 rows covered
    assert match_boxes([[0, 0, 14, 14]], [[10, 0, 18, 8]], min_cover=0.5)[0][0]
    # one detection cannot find two targets
    found, correct = match_boxes([[0, 0, 20, 20]], [[1, 1, 5, 5], [10, 10, 15, 15]])
    assert found.sum() == 1 and correct.all()


def test_box_bad_input():
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        box_iou([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="bottom"):
        box_iou([[5, 0, 1, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="one number per box"):
        non_max_suppression([[0, 0, 1, 1]], [0.5, 0.2])


# --------------------------------------------------------------------------- segmentation
def test_mask_iou_and_pixel_accuracy_hand_worked():
    pred = np.array([[0, 1, 1], [0, 1, 0]])
    true = np.array([[0, 1, 0], [0, 1, 1]])
    assert mask_iou(pred, true) == pytest.approx(2 / 4)
    assert pixel_accuracy(pred, true) == pytest.approx(4 / 6)
    assert mask_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        mask_iou(np.zeros((2, 2)), np.zeros((3, 2)))


def test_mask_iou_of_two_rectangles_is_their_box_iou():
    rng = np.random.default_rng(1)
    for a, b in zip(_random_boxes(rng, 20), _random_boxes(rng, 20), strict=True):
        ma, mb = np.zeros((60, 60), bool), np.zeros((60, 60), bool)
        ma[a[0]:a[2], a[1]:a[3]] = True
        mb[b[0]:b[2], b[1]:b[3]] = True
        assert mask_iou(ma, mb) == pytest.approx(box_iou([a], [b])[0, 0])


def test_tiny_unet_shapes_and_skip_connection():
    torch.manual_seed(0)
    x = torch.rand(2, 1, 16, 16)
    unet = tiny_unet(1, 3, width=4, skip=True).eval()
    plain = tiny_unet(1, 3, width=4, skip=False).eval()
    assert tuple(unet(x).shape) == (2, 3, 16, 16) == tuple(plain(x).shape)
    assert unet.decode[0].in_channels == 8 and plain.decode[0].in_channels == 4
    assert tuple(unet.up(torch.zeros(1, 8, 8, 8)).shape) == (1, 4, 16, 16)
    with torch.no_grad():      # the forward pass written out here, with torch.cat as the skip connection
        d = unet.down(x)
        u = unet.up(unet.middle(nn.functional.max_pool2d(d, 2)))
        expected = unet.head(unet.decode(torch.cat([u, d], dim=1)))
        assert torch.allclose(unet(x), expected, atol=1e-6)
        # without the skip, the output depends on the input only through the 8×8 bottleneck
        d = plain.down(x)
        expected = plain.head(plain.decode(plain.up(plain.middle(nn.functional.max_pool2d(d, 2)))))
        assert torch.allclose(plain(x), expected, atol=1e-6)


# --------------------------------------------------------------------------- denoising
def test_add_noise():
    X = np.random.default_rng(0).random((50, 1, 8, 8)).astype(np.float32)
    noisy, noise = add_noise(X, 0.3, seed=4)
    assert np.allclose(noisy, X + noise)
    assert noise.std() == pytest.approx(0.3, rel=0.05) and abs(noise.mean()) < 0.02
    assert np.array_equal(add_noise(X, 0.3, seed=4)[1], noise)
    with pytest.raises(ValueError, match="sigma"):
        add_noise(X, -1.0)


class _Scale(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a

    def forward(self, x):
        return self.a * x


def test_denoise_and_generate_apply_x_minus_model():
    x = np.random.default_rng(0).normal(size=(4, 1, 8, 8)).astype(np.float32)
    assert np.allclose(denoise(_Scale(0.0), x), x)               # predicts no noise: nothing changes
    assert np.allclose(denoise(_Scale(1.0), x), 0)               # predicts all of it as noise
    traj = generate_from_noise(_Scale(0.5), n=4, steps=3, seed=2, size=8, start_sigma=1.0)
    assert traj.shape == (4, 4, 1, 8, 8)
    start = np.random.default_rng(2).normal(0.0, 1.0, size=(4, 1, 8, 8))
    for k in range(4):
        assert np.allclose(traj[k], start * 0.5 ** k, atol=1e-6)  # each step halves x here


def test_denoiser_shape_and_bad_input():
    assert tuple(denoiser(8)(torch.zeros(2, 1, 8, 8)).shape) == (2, 1, 8, 8)
    with pytest.raises(ValueError, match="N, C, H, W"):
        denoise(denoiser(8), np.zeros((1, 8, 8)))
    with pytest.raises(TypeError, match="model"):
        generate_from_noise(lambda x: x, n=2, steps=1)


# --------------------------------------------------------------------------- transfer learning
def test_transfer_model_copies_and_freezes_the_convolutions():
    from helpers.train import fit

    source, fresh = digits_net(seed=1), digits_net(seed=2)
    head_before = fresh[7].weight.detach().clone()
    model = transfer_model(source, fresh, freeze=True)
    assert model is fresh
    for i in (0, 3):
        assert torch.equal(model[i].weight, source[i].weight) and torch.equal(model[i].bias, source[i].bias)
        assert not model[i].weight.requires_grad
    assert torch.equal(model[7].weight, head_before)
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, 40)
    fit(model, X, y, epochs=2, batch_size=10, progress=False, device="cpu")
    assert torch.equal(model[0].weight, source[0].weight)        # frozen: unchanged by training
    assert not torch.equal(model[7].weight, head_before)        # the head learned
    tuned = transfer_model(source, digits_net(seed=3), freeze=False)
    fit(tuned, X, y, epochs=2, batch_size=10, progress=False, device="cpu")
    assert not torch.equal(tuned[0].weight, source[0].weight)


def test_transfer_model_bad_input():
    with pytest.raises(ValueError, match="same convolutional layers"):
        transfer_model(digits_net(), lenet5())
    with pytest.raises(TypeError, match="source"):
        transfer_model("model", digits_net())


# --------------------------------------------------------------------------- augmentation
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


def test_shift_bad_input():
    with pytest.raises(ValueError, match="out of the frame"):
        shift_images(np.zeros((1, 1, 8, 8)), 8, 0)
    with pytest.raises(TypeError, match="dy"):
        shift_images(np.zeros((1, 1, 8, 8)), 0.5, 0)


@pytest.mark.parametrize("shape", [(8, 8), (9, 9), (8, 12)])
def test_rotate_matches_torchvision(shape):
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


# --------------------------------------------------------------------------- architectures
def test_lenet5_parameter_count_and_shapes():
    from helpers.shapes import trace_shapes

    # LeNet-5's layers by hand: C1 6·(1·25 + 1), C3 16·(6·25 + 1), C5 120·(16·25 + 1), F6 84·(120 + 1),
    # output 10·(84 + 1)
    by_hand = 6 * 26 + 16 * 151 + 120 * 401 + 84 * 121 + 10 * 85
    assert by_hand == 61706
    model = lenet5()
    assert sum(p.numel() for p in model.parameters()) == by_hand
    rows = trace_shapes(model, (1, 32, 32), show=False)
    shapes = [r.output_shape for r in rows if r.layer.startswith(("Conv2d", "AvgPool2d"))]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]
    assert rows[-1].output_shape == (10,)


def test_digits_net_and_window_classifier_sizes():
    assert sum(p.numel() for p in digits_net().parameters()) == 16 * 10 + 32 * (16 * 9 + 1) + 10 * 129
    assert tuple(digits_net()(torch.zeros(5, 1, 8, 8)).shape) == (5, 10)
    model = window_classifier(14)
    assert tuple(model(torch.zeros(2, 1, 14, 14)).shape) == (2, 2)
    assert model[7].in_features == 16 * 2 * 2
