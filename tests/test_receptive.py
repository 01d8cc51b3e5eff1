"""helpers.receptive against an independent oracle: the gradient-based receptive field in torch.

The oracle: build the stack with every layer (conv or pool) as a one-channel conv with all-ones weights
and no bias (a pooling window reaches exactly the pixels that an all-ones kernel of the same geometry
reaches; a max pool would route the gradient to one pixel only), feed an all-ones image, backpropagate
from one output unit and look at which input pixels get a non-zero gradient. Their bounding box is the
receptive field; moving one output unit moves it by the jump; its first pixel for unit i is
start + i·jump. Nothing here calls the recurrence that helpers.receptive implements.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from helpers.receptive import Field, format_fields, receptive_fields, stacked_kernel_size  # noqa: E402


# ----------------------------------------------------------------------------- the oracle
def _ones_conv(k, s, p, d):
    """A one-channel conv with all-ones weights: k, s, p, d are (height, width) pairs."""
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False).double()
    with torch.no_grad():
        conv.weight.fill_(1.0)
    return conv


def gradient_support(specs, height, width, unit):
    """Boolean (height, width) map of the input pixels that output ``unit`` = (row, col) depends on.

    ``specs`` is a list of (k, s, p, d), each a (height, width) pair.
    """
    model = nn.Sequential(*[_ones_conv(*spec) for spec in specs])
    x = torch.ones(1, 1, height, width, dtype=torch.float64, requires_grad=True)
    y = model(x)
    row, col = unit
    assert 0 <= row < y.shape[2] and 0 <= col < y.shape[3], "test set-up: unit outside the output"
    y[0, 0, row, col].backward()
    return (x.grad[0, 0] != 0).numpy(), tuple(y.shape[2:])


def bounding_box(support):
    rows = np.flatnonzero(support.any(axis=1))
    cols = np.flatnonzero(support.any(axis=0))
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


def random_stack(rng, *, square=True, max_layers=5):
    """A random conv/pool stack as the tuples the helper takes, plus the oracle's (k, s, p, d) pairs."""
    n = int(rng.integers(1, max_layers + 1))
    tuples, specs = [], []
    total_stride = 1
    for _ in range(n):
        kind = str(rng.choice(["conv", "conv", "max", "avg"]))

        def draw(lo, hi):
            a = int(rng.integers(lo, hi + 1))
            return (a, a) if square else (a, int(rng.integers(lo, hi + 1)))

        k = draw(1, 5)
        s = draw(1, 3 if total_stride < 8 else 1)
        d = draw(1, 3) if kind != "avg" else (1, 1)
        # conv padding up to k − 1; torch's pools take padding of at most half the window
        limit = [kk if kind == "conv" else kk // 2 + 1 for kk in k]
        p = (int(rng.integers(0, limit[0])),) * 2
        if not square:
            p = (p[0], int(rng.integers(0, limit[1])))
        total_stride *= max(s)
        one = (lambda v: v[0]) if square else (lambda v: v)
        tuples.append((kind, one(k), one(s), one(p), one(d)))
        specs.append((k, s, p, d))
    return tuples, specs


def _bound(specs, axis):
    """An upper bound on the receptive field (padding counted twice) and the jump, to size the input."""
    jump, reach = 1, 1
    for k, s, p, d in specs:
        reach += (k[axis] * d[axis] + 2 * p[axis]) * jump
        jump *= s[axis]
    return reach, jump


# ----------------------------------------------------------------------------- against the oracle
@pytest.mark.parametrize("seed", range(60))
def test_random_square_stacks_match_the_gradient(seed):
    rng = np.random.default_rng(seed)
    tuples, specs = random_stack(rng, square=True)
    reach, jump = _bound(specs, 0)
    size = 2 * reach + 4 * jump + 8
    support, out_shape = gradient_support(specs, size, size, (0, 0))  # just for the output shape
    mid = out_shape[0] // 2
    rows = receptive_fields(tuples, input_size=size)
    last = rows[-1]
    assert last.out_size == out_shape[0] == out_shape[1]
    for unit in (mid, mid + 1):
        if unit >= out_shape[0]:
            continue
        support, _ = gradient_support(specs, size, size, (unit, unit))
        (r0, r1), (c0, c1) = bounding_box(support)
        assert r0 > 0 and c0 > 0 and r1 < size - 1 and c1 < size - 1, "test set-up: field touches the border"
        assert last.size == r1 - r0 + 1 == c1 - c0 + 1
        assert last.span(unit) == (r0, r1) == (c0, c1)
        assert last.start + unit * last.jump == r0
        assert last.center + unit * last.jump == (r0 + r1) / 2
    # neighbouring units: the field moves by the jump
    if mid + 1 < out_shape[0]:
        a, _ = gradient_support(specs, size, size, (mid, mid))
        b, _ = gradient_support(specs, size, size, (mid + 1, mid))
        assert bounding_box(b)[0][0] - bounding_box(a)[0][0] == last.jump


@pytest.mark.parametrize("seed", range(25))
def test_every_intermediate_layer_matches_the_gradient(seed):
    rng = np.random.default_rng(1000 + seed)
    tuples, specs = random_stack(rng, square=True, max_layers=4)
    reach, jump = _bound(specs, 0)
    size = 2 * reach + 4 * jump + 8
    rows = receptive_fields(tuples, input_size=size)
    for n, row in enumerate(rows):
        _, out_shape = gradient_support(specs[:n + 1], size, size, (0, 0))
        unit = out_shape[0] // 2
        support, _ = gradient_support(specs[:n + 1], size, size, (unit, unit))
        (r0, r1), _ = bounding_box(support)
        assert (row.size, row.start + unit * row.jump, row.out_size) == (r1 - r0 + 1, r0, out_shape[0])


@pytest.mark.parametrize("seed", range(20))
def test_rectangular_stacks_per_axis(seed):
    rng = np.random.default_rng(2000 + seed)
    tuples, specs = random_stack(rng, square=False, max_layers=4)
    reach_h, jump_h = _bound(specs, 0)
    reach_w, jump_w = _bound(specs, 1)
    h, w = 2 * reach_h + 4 * jump_h + 8, 2 * reach_w + 4 * jump_w + 8
    _, out_shape = gradient_support(specs, h, w, (0, 0))
    unit = (out_shape[0] // 2, out_shape[1] // 2)
    support, _ = gradient_support(specs, h, w, unit)
    rows_box, cols_box = bounding_box(support)
    along_h = receptive_fields(tuples, input_size=h, axis=0)[-1]
    along_w = receptive_fields(tuples, input_size=w, axis=1)[-1]
    assert along_h.span(unit[0]) == rows_box and along_h.out_size == out_shape[0]
    assert along_w.span(unit[1]) == cols_box and along_w.out_size == out_shape[1]


def test_without_dilation_the_field_has_no_holes_and_with_dilation_it_can():
    specs = [((3, 3), (1, 1), (0, 0), (1, 1)), ((2, 2), (2, 2), (0, 0), (1, 1)),
             ((3, 3), (1, 1), (1, 1), (1, 1))]
    support, _ = gradient_support(specs, 40, 40, (5, 5))
    (r0, r1), (c0, c1) = bounding_box(support)
    assert support[r0:r1 + 1, c0:c1 + 1].all()
    # one 3-tap kernel with dilation 2 reaches pixels 0, 2, 4 of a 5-pixel span
    support, _ = gradient_support([((3, 3), (1, 1), (0, 0), (2, 2))], 9, 9, (0, 0))
    assert np.flatnonzero(support[0]).tolist() == [0, 2, 4]
    assert receptive_fields([("conv", 3, 1, 0, 2)])[-1].size == 5


# ----------------------------------------------------------------------------- torch modules
@pytest.mark.parametrize("seed", range(20))
def test_a_torch_sequential_matches_the_gradient_of_its_geometry(seed):
    rng = np.random.default_rng(3000 + seed)
    tuples, specs = random_stack(rng, square=True, max_layers=4)
    layers = []
    for (kind, k, s, p, d) in tuples:     # two channels throughout, so batch norm fits anywhere
        if kind == "conv":
            layers += [nn.Conv2d(2, 2, k, stride=s, padding=p, dilation=d), nn.ReLU()]
        elif kind == "max":
            layers += [nn.MaxPool2d(k, stride=s, padding=p, dilation=d), nn.BatchNorm2d(2)]
        else:
            layers += [nn.AvgPool2d(k, stride=s, padding=p)]
    model = nn.Sequential(*layers)
    reach, jump = _bound(specs, 0)
    size = 2 * reach + 4 * jump + 8
    rows = receptive_fields(model, input_size=size)
    assert len(rows) == len(layers)
    _, out_shape = gradient_support(specs, size, size, (0, 0))
    unit = out_shape[0] // 2
    support, _ = gradient_support(specs, size, size, (unit, unit))
    (r0, r1), _ = bounding_box(support)
    assert rows[-1].span(unit) == (r0, r1)
    # the real model produces the output size the helper states (torch is the oracle here)
    with torch.no_grad():
        y = model.eval()(torch.zeros(1, 2, size, size))
    assert rows[-1].out_size == y.shape[-1]


def test_ceil_mode_pool_output_size_matches_torch():
    for size in range(5, 30):
        for k, s, p in [(3, 2, 0), (2, 2, 0), (3, 2, 1), (3, 3, 1)]:
            model = nn.Sequential(nn.MaxPool2d(k, stride=s, padding=p, ceil_mode=True))
            y = model(torch.zeros(1, 1, size, size))
            assert receptive_fields(model, input_size=size)[-1].out_size == y.shape[-1], (size, k, s, p)


def test_nested_sequential_and_same_padding():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 1, 3, padding="same"), nn.ReLU()),
                          nn.Sequential(nn.Conv2d(1, 1, 4, padding="same", dilation=1), nn.MaxPool2d(2)))
    rows = receptive_fields(model, input_size=20)
    assert [r.out_size for r in rows] == [20, 20, 20, 10]
    x = torch.ones(1, 1, 20, 20, requires_grad=True)
    ones = nn.Sequential(nn.Conv2d(1, 1, 3, padding="same", bias=False),
                         nn.Conv2d(1, 1, 4, padding="same", bias=False), nn.AvgPool2d(2))
    with torch.no_grad():
        for m in ones:
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0)
    ones(x)[0, 0, 5, 5].backward()
    (r0, r1), _ = bounding_box((x.grad[0, 0] != 0).numpy())
    assert rows[-1].span(5) == (r0, r1)


# ----------------------------------------------------------------------------- seeds and VGG
def test_the_seed_walk_conv_pool_conv_pool():
    """3×50×70 → 10×48×68 → 10×24×34 → 10×22×32 → 10×11×16 (seed 000); fields 3, 4, 8, 10 pixels."""
    stack = [("conv", 3), ("pool", 2), ("conv", 3), ("pool", 2)]
    heights = [r.out_size for r in receptive_fields(stack, input_size=50)]
    widths = [r.out_size for r in receptive_fields(stack, input_size=70)]
    assert heights == [48, 24, 22, 11] and widths == [68, 34, 32, 16]
    specs = [((3, 3), (1, 1), (0, 0), (1, 1)), ((2, 2), (2, 2), (0, 0), (1, 1))] * 2
    support, _ = gradient_support(specs, 50, 70, (5, 7))
    (r0, r1), (c0, c1) = bounding_box(support)
    assert (r1 - r0 + 1, c1 - c0 + 1) == (10, 10)
    assert [r.size for r in receptive_fields(stack)] == [3, 4, 8, 10]


def test_two_3x3_see_what_one_5x5_sees():
    two = [((3, 3), (1, 1), (0, 0), (1, 1))] * 2
    one = [((5, 5), (1, 1), (0, 0), (1, 1))]
    a, _ = gradient_support(two, 12, 12, (3, 4))
    b, _ = gradient_support(one, 12, 12, (3, 4))
    assert (a == b).all() and a.sum() == 25
    assert stacked_kernel_size(2) == 5 and stacked_kernel_size(3) == 7 and stacked_kernel_size(2, 5) == 9
    assert receptive_fields([("conv", 3)] * 3)[-1].size == 7


# ----------------------------------------------------------------------------- output and errors
def test_rows_and_table():
    rows = receptive_fields([("conv", 3, 1, 1), ("relu", 1), ("max", 2)], input_size=8)
    assert all(isinstance(r, Field) for r in rows)
    assert [r.layer for r in rows] == ["conv k=3 s=1 p=1", "relu", "maxpool k=2 s=2 p=0"]
    assert [(r.size, r.jump, r.start) for r in rows] == [(3, 1, -1), (3, 1, -1), (4, 2, -1)]
    text = format_fields(rows, input_size=8)
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "receptive", "field", "jump", "start", "output"]
    assert lines[1].split() == ["input", "1", "1", "0", "8"]
    assert lines[-1].split()[-4:] == ["4", "2", "-1", "4"]


def test_the_rows_display_themselves_as_the_table(capsys):
    from IPython.lib.pretty import pretty

    rows = receptive_fields([("conv", 3), ("pool", 2)], input_size=8)
    assert capsys.readouterr().out == ""
    assert repr(rows) == str(rows) == pretty(rows) == format_fields(rows, input_size=8)
    assert rows[-1].size == 4 and len(rows) == 2


@pytest.mark.parametrize("layers, error, words", [
    ([("conv",)], ValueError, "kernel_size"),
    ([("dense", 3)], ValueError, "kind"),
    ([(3, 3)], TypeError, "kind"),
    ([("conv", 0)], ValueError, "kernel_size"),
    ([("conv", 3, 0)], ValueError, "stride"),
    ([("conv", 3, 1, -1)], ValueError, "padding"),
    ([("conv", 3, 1, 0, 0)], ValueError, "dilation"),
    ([("conv", 2.5)], TypeError, "kernel_size"),
    ([("conv", (3, 5))], ValueError, "axis"),
    ([("conv", 3, 2, "same")], ValueError, "same"),
    ([], ValueError, "empty"),
    ("conv", TypeError, "layers"),
    ([42], TypeError, "layer 0"),
])
def test_bad_layers_raise_with_a_message(layers, error, words):
    with pytest.raises(error, match=words):
        receptive_fields(layers)


def test_bad_modules_and_sizes():
    with pytest.raises(ValueError, match="whole input"):
        receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(TypeError, match="tuple"):
        receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Upsample(scale_factor=2)))
    with pytest.raises(ValueError, match="does not fit"):
        receptive_fields([("conv", 3), ("pool", 2)] * 3, input_size=10)
    with pytest.raises(ValueError, match="axis"):
        receptive_fields([("conv", 3)], axis=2)
    with pytest.raises(ValueError, match="input_size"):
        receptive_fields([("conv", 3)], input_size=0)
    with pytest.raises(TypeError, match="receptive_fields returns"):
        format_fields([(1, 2, 3)])
    assert receptive_fields([("conv", (3, 5))], axis=1)[0].size == 5
