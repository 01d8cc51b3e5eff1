"""The torch-free shape and parameter engine of helpers.shapes (compute, the layer specs, to_torch): against
torch (through trace_shapes on real modules and torch's own forward pass) and the seed lecture's dimension
walk."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from helpers.shapes import (
    ShapeMismatchError,
    avgpool,
    compute,
    conv,
    describe,
    flatten,
    layer_spec,
    linear,
    maxpool,
    relu,
    to_torch,
    trace_shapes,
)

WALK = [conv(10, 3), relu(), maxpool(2), conv(10, 3), relu(), maxpool(2), flatten(), linear(2)]


def torch_walk(in_features=1760, second_in=10):
    return nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(second_in, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(in_features, 2))


# --- the seed lecture's walk --------------------------------------------------------------------------------
def test_seed_walk_by_hand():
    # 000: 3×50×70 → 10×48×68 → 10×24×34 → 10×22×32 → 10×11×16 → 1760
    r = compute(WALK, (3, 50, 70))
    assert r["error"] is None
    assert [row.output_shape for row in r["rows"]] == [(10, 48, 68), (10, 48, 68), (10, 24, 34), (10, 22, 32),
                                                       (10, 22, 32), (10, 11, 16), (1760,), (2,)]
    # #out·(#in·K·K + 1) and #out·(#in + 1)
    assert [row.params for row in r["rows"]] == [280, 0, 0, 910, 0, 0, 0, 3522]
    assert r["total_params"] == 4712 and r["output_shape"] == (2,)
    assert r["values"] == [32640, 32640, 8160, 7040, 7040, 1760, 1760, 2]
    assert r["rows"][0].formula == "H: ⌊(50 + 2·0 − 3)/1⌋ + 1 = 48; W: ⌊(70 + 2·0 − 3)/1⌋ + 1 = 68"
    assert r["rows"][6].formula == "10·11·16 = 1760"
    assert r["rows"][3].param_formula == "10·(10·3·3 + 1)"
    assert r["rows"][3].layer == "Conv2d(10→10, k=3, s=1, p=0)"
    assert r["rows"][7].layer == "Linear(1760→2)"


def test_seed_walk_rows_equal_trace_shapes_on_the_torch_model():
    ours = compute(WALK, (3, 50, 70))["rows"]
    theirs = trace_shapes(torch_walk(), (3, 50, 70), formulas=True)
    for a, b in zip(ours, theirs, strict=True):
        assert (a.output_shape, a.params, a.formula, a.param_formula) == \
               (b.output_shape, b.params, b.formula, b.param_formula)
        if a.layer != "Flatten()":
            assert a.layer == b.layer


def test_to_torch_builds_the_seed_model():
    model = to_torch(WALK, (3, 50, 70))
    assert [type(m).__name__ for m in model] == [type(m).__name__ for m in torch_walk()]
    assert model[3].in_channels == 10 and model[7].in_features == 1760
    assert model(torch.zeros(4, 3, 50, 70)).shape == (4, 2)               # a batch of 4 goes through
    assert sum(p.numel() for p in model.parameters()) == 4712


# --- errors: where and why ----------------------------------------------------------------------------------
def test_wrong_in_features_stops_at_layer_7_like_torch():
    layers = WALK[:7] + [linear(2, in_features=1000)]
    err = compute(layers, (3, 50, 70))["error"]
    assert err["index"] == 7 and err["kind"] == "features"
    assert err["message"] == ("layer 7 (Linear(1000→2)) cannot run: it expects 1000 input features but "
                              "receives 1760 (input N×1760). Set in_features=1760.")
    with pytest.raises(ShapeMismatchError, match=r"^layer 7 .*in_features=1760"):
        trace_shapes(torch_walk(in_features=1000), (3, 50, 70))


def test_channel_mismatch_stops_at_layer_3():
    layers = WALK[:3] + [conv(10, 3, in_channels=16)] + WALK[4:]
    r = compute(layers, (3, 50, 70))
    assert r["error"]["index"] == 3 and r["error"]["kind"] == "channels"
    assert "expects 16 input channels but receives 10 (input N×10×24×34)" in r["error"]["message"]
    assert "in_channels=10" in r["error"]["message"]
    assert len(r["rows"]) == 3 and r["output_shape"] is None and r["total_params"] == 280


def test_too_much_pooling_makes_the_kernel_not_fit():
    r = compute([conv(10, 3), relu(), maxpool(2)] * 5, (3, 50, 70))
    # 50×70 → 48×68 → 24×34 → 22×32 → 11×16 → 9×14 → 4×7 → 2×5 → 1×2: the fifth 3×3 kernel does not fit
    err = r["error"]
    assert err["index"] == 12 and err["kind"] == "window"
    assert r["rows"][-1].output_shape == (10, 1, 2)
    assert "3×3 kernel does not fit in the 1×2 input" in err["message"]
    assert "H: ⌊(1 + 2·0 − 3)/1⌋ + 1 = -1" in err["message"]


def test_linear_before_flatten_and_conv_after_flatten():
    r = compute([conv(10, 3), linear(2)], (3, 50, 70))
    assert r["error"]["kind"] == "needs_flatten" and r["error"]["index"] == 1
    assert "Add a Flatten before it: 10·48·68 = 32640 features" in r["error"]["message"]
    r = compute([flatten(), conv(4, 3)], (3, 8, 8))
    assert r["error"]["kind"] == "flat_input" and "flat vector of 192" in r["error"]["message"]
    r = compute([flatten(), maxpool(2)], (3, 8, 8))
    assert r["error"]["kind"] == "flat_input"


def test_pool_padding_more_than_half_the_window():
    err = compute([maxpool(2, padding=2)], (1, 8, 8))["error"]
    assert err["kind"] == "padding" and "padding ≤ 1" in err["message"]
    with pytest.raises(ShapeMismatchError):                                # torch refuses it too
        trace_shapes(to_torch([maxpool(2, padding=2)], (1, 8, 8)), (1, 8, 8))


def test_flat_inputs_make_an_mlp():
    # 002's MLP 15-10-5-2: 15·10 + 10·5 + 5·2 = 210 weights and 17 biases
    r = compute([linear(10), relu(), linear(5), relu(), linear(2)], (15,))
    assert [row.output_shape for row in r["rows"]] == [(10,), (10,), (5,), (5,), (2,)]
    assert r["total_params"] == 210 + 17
    assert compute([flatten(), linear(3)], 4)["rows"][0].formula == "unchanged"


# --- against torch on many random stacks --------------------------------------------------------------------
LAYER = st.one_of(
    st.builds(lambda c, k, s, p: conv(c, k, s, p), st.integers(1, 6), st.integers(1, 5), st.integers(1, 3),
              st.integers(0, 2)),
    st.builds(lambda c, k, s, p, cin: conv(c, k, s, p, in_channels=cin), st.integers(1, 6), st.integers(1, 5),
              st.integers(1, 3), st.integers(0, 2), st.integers(1, 6)),
    st.builds(lambda k, s, p: maxpool(k, s, p), st.integers(1, 3), st.one_of(st.none(), st.integers(1, 3)),
              st.integers(0, 2)),
    st.builds(lambda k, p: avgpool(k, padding=p), st.integers(1, 3), st.integers(0, 1)),
    st.just(relu()),
    st.just(flatten()),
    st.builds(lambda n: linear(n), st.integers(1, 20)),
    st.builds(lambda n, m: linear(n, in_features=m), st.integers(1, 20), st.integers(1, 400)),
)


@settings(max_examples=120, deadline=None)
@given(layers=st.lists(LAYER, min_size=1, max_size=7), c=st.integers(1, 4), h=st.integers(1, 24),
       w=st.integers(1, 24))
def test_compute_agrees_with_trace_shapes_on_the_torch_model(layers, c, h, w):
    r = compute(layers, (c, h, w))
    model = to_torch(layers, (c, h, w))
    err = r["error"]
    if err is not None and err["kind"] == "needs_flatten":
        # the builder's own rule (torch would apply the Linear to the last axis only): check the layers before
        layers, model, err = layers[:err["index"]], model[:err["index"]], None
        if not layers:
            return
    if err is None:
        rows = trace_shapes(model, (c, h, w), formulas=True)
        assert [x.output_shape for x in r["rows"][:len(layers)]] == [x.output_shape for x in rows]
        assert [x.params for x in r["rows"][:len(layers)]] == [x.params for x in rows]
        assert [x.formula for x in r["rows"][:len(layers)]] == [x.formula for x in rows]
        # and torch's own forward pass on a batch of 3
        with torch.no_grad():
            out = model(torch.zeros(3, c, h, w))
        assert tuple(out.shape) == (3,) + r["rows"][len(layers) - 1].output_shape
    else:
        # torch itself, one layer at a time, fails at the same layer
        x, failed = torch.zeros(1, c, h, w), None
        with torch.no_grad():
            for i, layer in enumerate(model):
                try:
                    x = layer(x)
                except Exception as exc:          # torch raises RuntimeError, some shapes an IndexError
                    failed = (i, exc)
                    break
        assert failed is not None and failed[0] == err["index"], (err, failed)
        with pytest.raises(ShapeMismatchError, match=rf"^layer {err['index']} "):   # and trace_shapes names it
            trace_shapes(model, (c, h, w))


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(LAYER, min_size=1, max_size=6), h=st.integers(1, 30), w=st.integers(1, 30))
def test_every_formula_evaluates_to_its_shape(layers, h, w):
    for row in compute(layers, (2, h, w))["rows"]:
        for part in row.formula.split("; "):
            m = re.fullmatch(r"([HW]): ⌊\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+)⌋ \+ 1 = (\d+)", part)
            if m:
                axis, i, p, k, s, o = m.groups()
                value = (int(i) + 2 * int(p) - int(k)) // int(s) + 1
                assert value == int(o) == row.output_shape[1 if axis == "H" else 2]
        if row.param_formula != "no parameters":
            assert eval(row.param_formula.replace("·", "*")) == row.params          # noqa: S307


# --- layer specs and bad input ------------------------------------------------------------------------------
def test_specs_from_tuples_and_dicts():
    assert layer_spec(("conv", 10, 3)) == conv(10, 3)
    assert layer_spec(("maxpool", 3, 1)) == maxpool(3, stride=1)
    assert layer_spec(("linear", 2, 1760)) == linear(2, in_features=1760)
    assert layer_spec({"type": "flatten"}) == flatten()
    assert compute([("conv", 10, 3), ("relu",), ("maxpool", 2)], (3, 50, 70))["output_shape"] == (10, 24, 34)
    assert describe(WALK)[0] == "Conv2d(?→10, k=3, s=1, p=0)"


@pytest.mark.parametrize("bad, exc, words", [
    (("dense", 10), ValueError, "layer type must be one of conv"),
    ({"type": "conv"}, TypeError, "needs out_channels"),
    ({"type": "conv", "out_channels": 4, "kernel": 3}, TypeError, "no setting kernel"),
    (("conv", 10, 3, 1, 0, 3, 9), TypeError, "at most 5 values"),
    (("conv", 0, 3), ValueError, "out_channels must be 1 or more"),
    (("conv", 2.5, 3), TypeError, "out_channels must be a whole number of channels"),
    (("conv", 4, 0), ValueError, "kernel_size must be 1 or more"),
    (("maxpool", 2, 0), ValueError, "stride must be 1 or more"),
    (("linear", "ten"), TypeError, "out_features"),
    ("conv", TypeError, "a layer must be a dict"),
    ((), TypeError, "starts with its type"),
])
def test_bad_layers_say_what_fits(bad, exc, words):
    with pytest.raises(exc, match=words):
        layer_spec(bad)


@pytest.mark.parametrize("layers, shape, exc, words", [
    (conv(4, 3), (3, 8, 8), TypeError, "layers must be a list"),
    ([conv(4, 3)], (3, 8), TypeError, r"input_shape must be \(C, H, W\)"),
    ([conv(4, 3)], (3, 0, 8), ValueError, "input_shape must list positive sizes"),
    ([conv(4, 3)], (1, 3, 8, 8), TypeError, r"input_shape must be \(C, H, W\) .* without the batch dimension"),
    ([conv(4, 3)], "3x8x8", TypeError, "input_shape"),
])
def test_bad_compute_arguments(layers, shape, exc, words):
    with pytest.raises(exc, match=words):
        compute(layers, shape)
