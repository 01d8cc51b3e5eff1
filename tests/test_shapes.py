"""helpers.shapes.trace_shapes / format_table against torch's real shapes and parameter tensors.

The oracle is always torch itself (a tensor pushed through the layers in the test, ``numel`` of the
parameters) or a hand count from the seed lectures, never trace_shapes' own output.
"""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from helpers.shapes import Row, ShapeMismatchError, format_table, trace_shapes

SEED_WALK = [(3, 50, 70), (10, 48, 68), (10, 48, 68), (10, 24, 34), (10, 22, 32), (10, 22, 32), (10, 11, 16),
             (1760,), (2,)]


def seed_model(in_features=1760, second_in=10):
    """The seed lecture's walk: conv+ReLU, pool, conv+ReLU, pool, flatten, fully connected."""
    return nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(second_in, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(in_features, 2))


def torch_shapes(layers, input_shape, batch=2):
    """The shape after each layer, from torch itself (batch dimension dropped)."""
    x = torch.randn((batch,) + tuple(input_shape))
    shapes = []
    with torch.no_grad():
        for layer in layers:
            x = layer(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


def own_params(layer):
    return sum(p.numel() for p in layer.parameters())


FORMULA = re.compile(r"([HW]): ⌊\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+)⌋ \+ 1 = (-?\d+)")
FORMULA_DIL = re.compile(r"([HW]): ⌊\((\d+) \+ 2·(\d+) − (\d+)·\((\d+) − 1\) − 1\)/(\d+)⌋ \+ 1 = (-?\d+)")


def parse_size_formula(text):
    """{'H': (i, p, k, s, d, o), 'W': …} read back from a size-formula string."""
    out = {}
    for part in text.split("; "):
        m = FORMULA.fullmatch(part)
        if m:
            axis, i, p, k, s, o = m.groups()
            out[axis] = (int(i), int(p), int(k), int(s), 1, int(o))
            continue
        m = FORMULA_DIL.fullmatch(part)
        assert m, f"unexpected formula text {part!r}"
        axis, i, p, d, k, s, o = m.groups()
        out[axis] = (int(i), int(p), int(k), int(s), int(d), int(o))
    return out


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


# --- the seed walk ------------------------------------------------------------------------------------------
def test_seed_walk_shapes_and_params(capsys):
    model = seed_model()
    rows = trace_shapes(model, (3, 50, 70))
    assert capsys.readouterr().out == ""                        # a trace prints nothing; it displays itself
    assert [r.output_shape for r in rows] == SEED_WALK[1:]
    assert [r.output_shape for r in rows] == torch_shapes(model, (3, 50, 70))
    # the seed's hand formulas: #out·(#in·K·K + 1) and #out·(#in + 1)
    assert [r.params for r in rows] == [10 * (3 * 9 + 1), 0, 0, 10 * (10 * 9 + 1), 0, 0, 0, 2 * (1760 + 1)]
    assert all(isinstance(r, Row) for r in rows)
    assert [r.index for r in rows] == list(range(8))
    assert [r.name for r in rows] == [str(i) for i in range(8)]


def test_seed_walk_formula_strings():
    rows = trace_shapes(seed_model(), (3, 50, 70), formulas=True)
    assert rows[0].formula == "H: ⌊(50 + 2·0 − 3)/1⌋ + 1 = 48; W: ⌊(70 + 2·0 − 3)/1⌋ + 1 = 68"
    assert rows[2].formula == "H: ⌊(48 + 2·0 − 2)/2⌋ + 1 = 24; W: ⌊(68 + 2·0 − 2)/2⌋ + 1 = 34"
    assert rows[3].formula == "H: ⌊(24 + 2·0 − 3)/1⌋ + 1 = 22; W: ⌊(34 + 2·0 − 3)/1⌋ + 1 = 32"
    assert rows[5].formula == "H: ⌊(22 + 2·0 − 2)/2⌋ + 1 = 11; W: ⌊(32 + 2·0 − 2)/2⌋ + 1 = 16"
    assert rows[6].formula == "10·11·16 = 1760"
    assert rows[1].formula == "same shape"
    assert rows[0].param_formula == "10·(3·3·3 + 1)"
    assert rows[3].param_formula == "10·(10·3·3 + 1)"
    assert rows[7].param_formula == "2·(1760 + 1)"
    assert rows[1].param_formula == "no parameters"
    assert rows[0].layer == "Conv2d(3→10, k=3, s=1, p=0)"
    assert rows[2].layer == "MaxPool2d(k=2, s=2, p=0)"
    assert rows[7].layer == "Linear(1760→2)"


def test_the_trace_displays_itself_as_the_table():
    rows = trace_shapes(seed_model(), (3, 50, 70), formulas=True)
    printed = repr(rows)
    assert printed == str(rows) == rows.table == format_table(rows, formulas=True)
    from IPython.lib.pretty import pretty  # what a notebook cell ending in it shows
    assert pretty(rows) == printed
    assert isinstance(rows, list) and rows[0] == list(rows)[0]   # still a list of rows
    lines = printed.splitlines()
    assert lines[0].split() == ["layer", "output", "params", "size", "formula", "parameter", "formula"]
    assert len(lines) == 1 + 8 + 1
    assert lines[-1] == "total parameters: 4,712"                # 280 + 910 + 3,522
    assert "10×48×68" in lines[1] and "⌊(50 + 2·0 − 3)/1⌋ + 1 = 48" in lines[1]
    assert "3,522" in lines[8]


def test_format_table_without_formulas_has_four_columns():
    rows = trace_shapes(seed_model(), (3, 50, 70))
    text = format_table(rows)
    assert "formula" not in text and "⌊" not in text
    assert text.splitlines()[0].split() == ["layer", "output", "params"]
    assert text.splitlines()[7].rstrip().endswith("1760       0")   # flatten row: shape, then its 0 params


def test_format_table_of_hand_made_rows():
    rows = [Row(0, "a", "Conv2d(1→2, k=3, s=1, p=0)", (2, 3, 4), 20, "f", "g"),
            Row(1, "b", "Linear(24→1000)", (1000,), 25_000, "f2", "g2")]
    assert format_table(rows).splitlines() == [
        "   layer                       output  params",
        "0  Conv2d(1→2, k=3, s=1, p=0)   2×3×4      20",
        "1  Linear(24→1000)               1000  25,000",
        "total parameters: 25,020",
    ]


# --- many models: shapes and parameters against torch -------------------------------------------------------
MODELS = [
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 5, stride=2, padding=2), nn.ReLU(), nn.AvgPool2d(2),
                           nn.Conv2d(4, 6, (3, 1)), nn.Flatten(), nn.Linear(6 * 2 * 4, 3)), (1, 17, 16)),
    (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding="same"), nn.BatchNorm2d(8), nn.MaxPool2d(3, stride=1),
                           nn.Conv2d(8, 2, 3, dilation=2, bias=False)), (3, 12, 13)),
    (lambda: nn.Sequential(nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU()),
                           nn.Sequential(nn.MaxPool2d(2, padding=1)),
                           nn.Flatten(), nn.Dropout(0.5), nn.Linear(3 * 4 * 4, 5)), (2, 8, 8)),
    (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=(1, 0), stride=(2, 1)), nn.AdaptiveAvgPool2d(1),
                           nn.Flatten(), nn.Linear(4, 2, bias=False)), (3, 9, 10)),
    (lambda: nn.Sequential(nn.Conv2d(4, 8, 3, groups=4), nn.Conv2d(8, 8, 1), nn.Tanh()), (4, 6, 6)),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 84), nn.ReLU(), nn.Linear(84, 10)), (1, 28, 28)),
    (lambda: nn.Sequential(nn.Linear(15, 10), nn.ReLU(), nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2)),
     (15,)),
]


@pytest.mark.parametrize("make, input_shape", MODELS)
def test_many_sequential_models_match_torch(make, input_shape):
    torch.manual_seed(0)
    model = make()
    rows = trace_shapes(model, input_shape, formulas=True)
    leaves = [m for m in model.modules() if not isinstance(m, nn.Sequential)]
    assert [r.output_shape for r in rows] == torch_shapes(leaves, input_shape)
    assert [r.params for r in rows] == [own_params(m) for m in leaves]
    assert sum(r.params for r in rows) == own_params(model)
    # every conv and pool formula substitutes the real numbers and evaluates to torch's size
    shapes_in = [tuple(input_shape)] + [r.output_shape for r in rows[:-1]]
    for row, layer, shape_in in zip(rows, leaves, shapes_in, strict=True):
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and not isinstance(layer.padding, str):
            parsed = parse_size_formula(row.formula)
            k, s, p = pair(layer.kernel_size), pair(layer.stride), pair(layer.padding)
            d = pair(getattr(layer, "dilation", 1))
            for j, axis in enumerate("HW"):
                i, pp, kk, ss, dd, o = parsed[axis]
                assert (i, pp, kk, ss, dd) == (shape_in[1 + j], p[j], k[j], s[j], d[j]), row
                assert o == row.output_shape[1 + j] == (i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
        if isinstance(layer, nn.Conv2d):
            value = eval(row.param_formula.replace("·", "*"))     # noqa: S307 — our own formula text
            assert value == own_params(layer), row


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_conv_pool_stacks_match_torch(data):
    c, h, w = data.draw(st.integers(1, 4)), data.draw(st.integers(8, 40)), data.draw(st.integers(8, 40))
    layers, shape = [], (c, h, w)
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):
            k = data.draw(st.integers(1, 5))
            p = data.draw(st.integers(0, 2))
            s = data.draw(st.integers(1, 3))
            out = data.draw(st.integers(1, 6))
            layer = nn.Conv2d(shape[0], out, k, stride=s, padding=p, bias=data.draw(st.booleans()))
        else:
            k = data.draw(st.integers(1, 3))
            kind = data.draw(st.sampled_from([nn.MaxPool2d, nn.AvgPool2d]))
            layer = kind(k, padding=data.draw(st.integers(0, k // 2)))
        try:
            shape = torch_shapes([layer], shape, batch=1)[0]
        except RuntimeError:
            break
        layers.append(layer)
    model = nn.Sequential(*layers)
    rows = trace_shapes(model, (c, h, w), formulas=True)
    assert [r.output_shape for r in rows] == torch_shapes(layers, (c, h, w))
    assert [r.params for r in rows] == [own_params(m) for m in layers]
    for r in rows:
        for i, p, k, s, d, o in parse_size_formula(r.formula).values():
            assert o == (i + 2 * p - d * (k - 1) - 1) // s + 1


def test_dilated_and_same_padding_formulas():
    rows = trace_shapes(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3, padding="same")),
                        (1, 9, 11))
    assert rows[0].formula == ("H: ⌊(9 + 2·0 − 2·(3 − 1) − 1)/1⌋ + 1 = 5; "
                               "W: ⌊(11 + 2·0 − 2·(3 − 1) − 1)/1⌋ + 1 = 7")
    assert rows[0].layer == "Conv2d(1→1, k=3, s=1, p=0, d=2)"
    assert rows[1].formula == "padding='same': H = 5, W = 7"


def test_param_formula_without_bias_and_for_linear_without_bias():
    model = nn.Sequential(nn.Conv2d(64, 128, 1, bias=False), nn.Flatten(), nn.Linear(128, 3, bias=False))
    rows = trace_shapes(model, (64, 1, 1))
    assert rows[0].param_formula == "128·64·1·1" and rows[0].params == 8192
    assert rows[2].param_formula == "3·128" and rows[2].params == 384


def test_float64_model_and_training_mode_restored():
    model = seed_model().double()
    model.train()
    rows = trace_shapes(model, (3, 50, 70))
    assert rows[-1].output_shape == (2,)
    assert model.training
    model.eval()
    trace_shapes(model, (3, 50, 70))
    assert not model.training


def test_int_input_shape_for_flat_models():
    rows = trace_shapes(nn.Sequential(nn.Linear(15, 10)), 15)
    assert rows[0].output_shape == (10,)
    assert rows[0].formula == "15 features → 10"


# --- errors: at the right layer, with a message that says what to do ----------------------------------------
def test_wrong_linear_in_features_names_layer_7_and_the_right_number():
    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(seed_model(in_features=1000), (3, 50, 70))
    msg = str(info.value)
    assert msg.startswith("layer 7 (Linear(in_features=1000")
    assert "expects 1000 input features but receives 1760" in msg
    assert "in_features=1760" in msg
    assert isinstance(info.value, ValueError)                      # a ShapeMismatchError is a ValueError
    with pytest.raises(RuntimeError):                              # torch agrees that the model is broken
        seed_model(in_features=1000)(torch.zeros(1, 3, 50, 70))


def test_linear_without_flatten_says_flatten_first():
    model = nn.Sequential(nn.Conv2d(3, 10, 3), nn.Linear(1760, 2))
    with pytest.raises(ShapeMismatchError, match=r"layer 1 .*receives 68 .*flatten first"):
        trace_shapes(model, (3, 50, 70))


def test_channel_mismatch_names_layer_3_and_both_channel_counts():
    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(seed_model(second_in=16), (3, 50, 70))
    msg = str(info.value)
    assert msg.startswith("layer 3 (Conv2d(16, 10")
    assert "expects 16 input channels but receives 10" in msg
    assert "N×10×24×34" in msg and "in_channels=10" in msg


def test_kernel_too_big_after_too_much_pooling():
    model = nn.Sequential(nn.MaxPool2d(2), nn.MaxPool2d(2), nn.Conv2d(1, 1, 5))
    with pytest.raises(ShapeMismatchError, match=r"layer 2 .*5×5 window does not fit in the 2×3 input"):
        trace_shapes(model, (1, 8, 12))


def test_first_layer_mismatch_and_nested_sequential_names():
    with pytest.raises(ShapeMismatchError, match=r"^layer 0 .*expects 1 input channels but receives 3"):
        trace_shapes(nn.Sequential(nn.Conv2d(1, 4, 3)), (3, 8, 8))
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.Sequential(nn.Conv2d(4, 2, 3)))
    rows = trace_shapes(model, (3, 8, 8))
    assert [r.name for r in rows] == ["0.0", "0.1", "1.0"]
    assert [r.output_shape for r in rows] == [(4, 6, 6), (4, 6, 6), (2, 4, 4)]


# --- non-Sequential modules: traced through forward hooks ---------------------------------------------------
class TwoPath(nn.Module):
    """A module whose forward is not a straight line: two convolutions whose outputs are added."""

    def __init__(self, in_channels=3, mid=6):
        super().__init__()
        self.left = nn.Conv2d(in_channels, mid, 3, padding=1)
        self.right = nn.Conv2d(in_channels, mid, 1)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(mid * 4 * 5, 7)

    def forward(self, x):
        y = self.left(x) + self.right(x)
        return self.head(torch.flatten(self.pool(y), 1))


def test_custom_module_traced_in_call_order():
    model = TwoPath()
    rows = trace_shapes(model, (3, 8, 10))
    assert [r.name for r in rows] == ["left", "right", "pool", "head"]
    assert [r.output_shape for r in rows] == [(6, 8, 10), (6, 8, 10), (6, 4, 5), (7,)]
    parts = (model.left, model.right, model.pool, model.head)
    assert [r.params for r in rows] == [own_params(m) for m in parts]
    assert model(torch.zeros(2, 3, 8, 10)).shape == (2, 7)       # torch's own final shape
    # the hooks are removed afterwards
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_custom_module_mismatch_names_the_submodule():
    model = TwoPath(in_channels=3)
    with pytest.raises(ShapeMismatchError, match=r"^layer left .*expects 3 input channels but receives 5"):
        trace_shapes(model, (5, 8, 10))
    too_wide = r"^layer head .*expects 120 input features but receives 180"
    with pytest.raises(ShapeMismatchError, match=too_wide):
        trace_shapes(model, (3, 12, 10))
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_resnet_basic_block_with_and_without_downsample():
    from torchvision.models.resnet import BasicBlock

    plain = BasicBlock(64, 64)
    rows = trace_shapes(plain, (64, 56, 56))
    assert [r.name for r in rows] == ["conv1", "bn1", "relu", "conv2", "bn2", "relu"]   # relu runs twice
    assert {r.output_shape for r in rows} == {(64, 56, 56)}
    assert sum(r.params for r in rows) == own_params(plain) == 2 * 64 * 64 * 9 + 4 * 64

    down = BasicBlock(64, 128, stride=2,
                      downsample=nn.Sequential(nn.Conv2d(64, 128, 1, stride=2, bias=False),
                                               nn.BatchNorm2d(128)))
    rows = trace_shapes(down, (64, 56, 56), formulas=True)
    assert [r.name for r in rows] == ["conv1", "bn1", "relu", "conv2", "bn2",
                                      "downsample.0", "downsample.1", "relu"]
    assert rows[0].output_shape == rows[5].output_shape == rows[-1].output_shape == (128, 28, 28)
    assert rows[5].formula == "H: ⌊(56 + 2·0 − 1)/2⌋ + 1 = 28; W: ⌊(56 + 2·0 − 1)/2⌋ + 1 = 28"
    assert rows[5].params == 128 * 64
    assert down(torch.zeros(1, 64, 56, 56)).shape == (1, 128, 28, 28)


# --- bad arguments ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model, shape, exc, words", [
    ("not a model", (3, 8, 8), TypeError, "nn.Module"),
    (nn.Conv2d(3, 4, 3), "3x8x8", TypeError, "input_shape"),
    (nn.Conv2d(3, 4, 3), (3, 0, 8), ValueError, "positive sizes"),
    (nn.Conv2d(3, 4, 3), (), ValueError, "input_shape"),
])
def test_bad_arguments(model, shape, exc, words):
    with pytest.raises(exc, match=words):
        trace_shapes(model, shape)


def test_failure_outside_any_layer_is_not_blamed_on_the_last_layer():
    from torchvision.models.resnet import BasicBlock

    block = BasicBlock(64, 128, stride=2)        # no downsample: the skip connection cannot be added
    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(block, (64, 56, 56))
    msg = str(info.value)
    # bn2 ran fine (its output 128×28×28 is right); what fails is the `+` after it
    assert msg.startswith("after layer bn2"), msg
    assert "N×128×28×28" in msg and "must match" in msg      # bn2's output, and torch's own reason


def test_pooling_after_flatten_is_a_shape_mismatch():
    # torch's pooling raises an IndexError (not a RuntimeError) on a flat input
    model = nn.Sequential(nn.Flatten(), nn.AvgPool2d(1))
    with pytest.raises(ShapeMismatchError, match=r"^layer 1 "):
        trace_shapes(model, (1, 1, 1))


# --- the input given the way students often give it --------------------------------------------------------
def test_channels_last_input_says_channels_come_first():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
    with pytest.raises(RuntimeError):                              # torch refuses H×W×C too
        model(torch.zeros(1, 32, 32, 3))
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 8, 30, 30)   # and takes C×H×W
    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(model, (32, 32, 3))
    msg = str(info.value)
    assert msg.startswith("layer 0 ") and "in_channels=32" not in msg
    assert "has them last (H×W×C = 32×32×3)" in msg and "channels first (C×H×W)" in msg
    assert "input_shape=(3, 32, 32)" in msg and "x.permute(2, 0, 1)" in msg and "x.transpose(2, 0, 1)" in msg
    assert info.value.layer is model[0]


def test_channels_last_in_a_custom_module_too():
    with pytest.raises(ShapeMismatchError, match=r"^layer left .*has them last .*input_shape=\(3, 8, 10\)"):
        trace_shapes(TwoPath(in_channels=3), (8, 10, 3))


def test_a_later_layer_keeps_its_in_channels_advice():
    # 10 channels reach a conv that wants 16, and the input's last axis happens to be 16 as well:
    # the mismatch is the model's, not the input's
    model = nn.Sequential(nn.Conv2d(3, 10, 1), nn.Conv2d(16, 4, 1))
    with pytest.raises(ShapeMismatchError, match=r"^layer 1 .*Set in_channels=10"):
        trace_shapes(model, (3, 8, 16))


def test_batch_dimension_or_no_channel_axis_in_input_shape():
    model = nn.Sequential(nn.Conv2d(3, 8, 3))
    with pytest.raises(ShapeMismatchError, match=r"has 4 numbers.*leave out the batch dimension N.*"
                                                 r"input_shape=\(3, 32, 32\)"):
        trace_shapes(model, (1, 3, 32, 32))
    with pytest.raises(ShapeMismatchError, match=r"no channel axis.*input_shape=\(3, 32, 32\)"):
        trace_shapes(model, (32, 32))
    with pytest.raises(ShapeMismatchError, match=r"x\[None\] adds the axis"):
        trace_shapes(nn.Sequential(nn.Conv2d(1, 8, 3)), (28, 28))


def test_linear_after_an_unflattened_input_of_the_right_size_says_only_flatten():
    model = nn.Sequential(nn.Linear(64, 10))
    assert nn.Sequential(nn.Flatten(), model[0])(torch.zeros(2, 1, 8, 8)).shape == (2, 10)   # torch: flatten fixes it
    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(model, (1, 8, 8))
    msg = str(info.value)
    assert "flatten first" in msg and "exactly the 64 features" in msg and "Set in_features" not in msg


def test_a_failure_before_any_layer_is_not_blamed_on_a_layer():
    class Early(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 1)

        def forward(self, x):
            return self.conv(x.view(3, -1))          # fails before the conv runs

    with pytest.raises(ShapeMismatchError) as info:
        trace_shapes(Early(), (1, 4, 4))
    assert str(info.value).startswith("the model's own forward code failed before any layer ran")
    assert "None" not in str(info.value) and info.value.layer is None


@pytest.mark.parametrize("shape, exc, words", [
    ((3, 32.5, 32), TypeError, ["input_shape", "32.5", "not a whole number"]),
    (("3", "32", "32"), TypeError, ["input_shape", "the text '3'"]),
    ((True, 32, 32), TypeError, ["input_shape", "True"]),
    (None, TypeError, ["input_shape", "None"]),
    (np.zeros((3, 8, 8)), TypeError, ["an array of shape (3, 8, 8)", "x.shape"]),
    (torch.zeros(3, 8, 8), TypeError, ["a tensor of shape (3, 8, 8)", "x.shape[1:]"]),
    ((3, -8, 8), ValueError, ["positive sizes"]),
])
def test_input_shape_of_the_wrong_kind(shape, exc, words):
    with pytest.raises(exc) as info:
        trace_shapes(nn.Conv2d(3, 4, 3), shape)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_input_shape_of_numpy_integers_or_whole_floats_is_accepted():
    model = seed_model()
    want = [r.output_shape for r in trace_shapes(model, (3, 50, 70))]
    for shape in (np.array([3, 50, 70]), (np.int64(3), 50, 70), (3.0, 50.0, 70.0), torch.Size([3, 50, 70])):
        assert [r.output_shape for r in trace_shapes(model, shape)] == want == torch_shapes(
            list(model), (3, 50, 70))


def test_formulas_must_be_true_or_false(capsys):
    with pytest.raises(TypeError, match="formulas must be True or False"):
        trace_shapes(seed_model(), (3, 50, 70), formulas=1)
    assert capsys.readouterr().out == ""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_model_on_the_gpu_is_traced_there():
    model = seed_model().cuda()
    rows = trace_shapes(model, (3, 50, 70))
    assert [r.output_shape for r in rows] == SEED_WALK[1:]


def test_a_2d_layer_given_no_channel_axis_stops_instead_of_running_unbatched():
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.Flatten(2), nn.MaxPool2d(2))
    # torch runs it (it reads the N×8×676 batch as one unbatched image of N channels): shapes would be wrong
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 4, 338)
    with pytest.raises(ShapeMismatchError, match=r"^layer 2 .*no channel axis \(N×8×676\)"):
        trace_shapes(model, (1, 28, 28))
