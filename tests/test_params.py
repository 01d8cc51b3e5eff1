"""helpers.params against torch's own parameter tensors and the seed lectures' hand counts."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from helpers.params import conv_params, count_params, linear_params, mlp_params, params_by_layer_type


def numel(module):
    return sum(p.numel() for p in module.parameters())


# --- the seed lectures' numbers ---------------------------------------------------------------------------
def test_seed_conv_vs_dense_on_the_5x6_image():
    # 000/004: one 3×3 kernel plus a bias is 10 parameters; a dense 30 → 12 layer is 360 + 12 = 372.
    assert conv_params(1, 1, 3) == 10
    assert linear_params(30, 12) == 372
    assert linear_params(30, 12, bias=False) == 360


def test_seed_mlp_15_10_5_2():
    # 002: "how many weights, ignoring intercepts": 15·10 + 10·5 + 5·2 = 210.
    assert mlp_params([15, 10, 5, 2], bias=False) == 210
    assert mlp_params([15, 10, 5, 2]) == 210 + 10 + 5 + 2


def test_seed_walk_first_conv():
    # 000: #outChannels·(#inChannels·K·K + 1) for Conv2d(3, 10, 3)
    assert conv_params(3, 10, 3) == 10 * (3 * 3 * 3 + 1) == 280


# --- against torch ------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(cin=st.integers(1, 8), cout=st.integers(1, 8), kh=st.integers(1, 5), kw=st.integers(1, 5),
       bias=st.booleans())
def test_conv_params_matches_torch(cin, cout, kh, kw, bias):
    with torch.device("meta"):
        layer = nn.Conv2d(cin, cout, (kh, kw), bias=bias)
    assert conv_params(cin, cout, (kh, kw), bias=bias) == numel(layer)
    if kh == kw:
        assert conv_params(cin, cout, kh, bias=bias) == numel(layer)


@settings(max_examples=40, deadline=None)
@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300), bias=st.booleans())
def test_linear_params_matches_torch(n_in, n_out, bias):
    with torch.device("meta"):
        layer = nn.Linear(n_in, n_out, bias=bias)
    assert linear_params(n_in, n_out, bias=bias) == numel(layer)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 50), min_size=2, max_size=6), bias=st.booleans())
def test_mlp_params_matches_torch(sizes, bias):
    model = nn.Sequential(*[nn.Linear(a, b, bias=bias) for a, b in zip(sizes, sizes[1:], strict=False)])
    assert mlp_params(sizes, bias=bias) == numel(model)


def test_count_params_on_torchvision_models_built_on_meta():
    # the published totals of torchvision's architectures (no weights are downloaded)
    import torchvision.models as tvm

    expected = {tvm.alexnet: 61_100_840, tvm.vgg16: 138_357_544, tvm.resnet18: 11_689_512}
    for make, total in expected.items():
        with torch.device("meta"):
            model = make(weights=None)
        assert count_params(model) == total, make.__name__


def test_count_params_counts_shared_and_frozen_tensors_correctly():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)          # one tensor used twice counts once
    assert count_params(model) == 20
    frozen = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    frozen[0].requires_grad_(False)
    assert count_params(frozen) == 15 + 8
    assert count_params(frozen, trainable_only=True) == 8


def test_params_by_layer_type_adds_up_and_matches_hand_counts():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 8, 3, bias=False),
                          nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
    groups = params_by_layer_type(model)
    assert groups == {"Linear": 128 * 10 + 10, "Conv2d": 8 * 28 + 8 * 72, "BatchNorm2d": 16}
    assert list(groups) == ["Linear", "Conv2d", "BatchNorm2d"]          # largest first
    assert sum(groups.values()) == count_params(model)


def test_params_by_layer_type_on_resnet18():
    import torchvision.models as tvm

    with torch.device("meta"):
        model = tvm.resnet18(weights=None)
    groups = params_by_layer_type(model)
    assert sum(groups.values()) == 11_689_512
    assert groups["Linear"] == 1000 * 512 + 1000
    # every BatchNorm2d has a weight and a bias per channel
    bn = sum(2 * m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert groups["BatchNorm2d"] == bn


# --- bad input ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, words", [
    (lambda: conv_params(0, 10, 3), ValueError, "in_channels"),
    (lambda: conv_params(3, 10, 2.5), TypeError, "kernel_size"),
    (lambda: conv_params(3, 10, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: conv_params(3, 10, 3, bias="yes"), TypeError, "bias"),
    (lambda: linear_params(30, 0), ValueError, "out_features"),
    (lambda: linear_params("30", 12), TypeError, "in_features"),
    (lambda: mlp_params([15]), ValueError, "at least two"),
    (lambda: mlp_params(15), TypeError, "sizes"),
    (lambda: mlp_params([15, -1]), ValueError, "sizes[1]"),
    (lambda: count_params([1, 2]), TypeError, "nn.Module"),
    (lambda: params_by_layer_type(None), TypeError, "nn.Module"),
])
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()
