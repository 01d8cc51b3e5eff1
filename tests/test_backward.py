"""helpers.backward against independent oracles: torch autograd, numeric gradients, hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.backward import (
    avg_pool2d_backward,
    check_gradient,
    conv2d_backward,
    conv2d_backward_naive,
    gradient_report,
    max_pool2d_backward,
    numeric_gradient,
    relative_error,
    relu_backward,
)
from helpers.conv import conv2d

BACKWARDS = [conv2d_backward, conv2d_backward_naive]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_conv_grads(x, w, g, stride, padding, dilation):
    """∂(Σ g·conv2d(x, w, b))/∂(x, w, b) from torch autograd, in float64, batched form."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    out.backward(torch.tensor(g, dtype=torch.float64))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def torch_out_shape(x, w, stride, padding, dilation):
    with torch.no_grad():
        return tuple(F.conv2d(torch.tensor(x), torch.tensor(w), stride=stride, padding=padding,
                              dilation=dilation).shape)


@st.composite
def conv_configs(draw):
    n = draw(st.integers(1, 3))
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = draw(st.sampled_from([1, 2, (1, 2), (2, 1), 3]))
    same = draw(st.booleans()) and draw(st.booleans())
    if same:
        stride, padding = 1, "same"
    else:
        stride = draw(st.sampled_from([1, 2, 3, (1, 2), (2, 1)]))
        padding = draw(st.sampled_from([0, 1, 2, (0, 1), (2, 0), "valid"]))
    d = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    h = draw(st.integers(d[0] * (kh - 1) + 1, d[0] * (kh - 1) + 7))
    wd = draw(st.integers(d[1] * (kw - 1) + 1, d[1] * (kw - 1) + 7))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, h, wd))
    w = rng.normal(size=(c_out, c_in, kh, kw))
    return x, w, stride, padding, dilation, rng


# --------------------------------------------------------------------------- conv2d_backward vs autograd
@pytest.mark.parametrize("fn", BACKWARDS, ids=["vectorized", "naive"])
@SETTINGS
@given(cfg=conv_configs())
def test_conv2d_backward_matches_autograd(fn, cfg):
    x, w, stride, padding, dilation, rng = cfg
    g = rng.normal(size=torch_out_shape(x, w, stride, padding, dilation))
    want_x, want_w, want_b = torch_conv_grads(x, w, g, stride, padding, dilation)
    gx, gw, gb = fn(x, w, g, stride=stride, padding=padding, dilation=dilation)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (w.shape[0],)
    np.testing.assert_allclose(gx, want_x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, want_w, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gb, want_b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fn", BACKWARDS, ids=["vectorized", "naive"])
def test_conv2d_backward_forms(fn):
    rng = np.random.default_rng(3)
    # (H, W) with (KH, KW): grad_b is one number
    x, w = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
    g = rng.normal(size=(2, 2))
    gx, gw, gb = fn(x, w, g, stride=2)
    want_x, want_w, want_b = torch_conv_grads(x[None, None], w[None, None], g[None, None], 2, 0, 1)
    np.testing.assert_allclose(gx, want_x[0, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, want_w[0, 0], rtol=1e-12, atol=1e-12)
    assert np.ndim(gb) == 0 and gb == pytest.approx(want_b[0], rel=1e-12)
    # (C_in, H, W) with (C_out, C_in, KH, KW)
    x, w = rng.normal(size=(2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    g = rng.normal(size=(3, 5, 5))
    gx, gw, gb = fn(x, w, g, padding="same")
    want_x, want_w, want_b = torch_conv_grads(x[None], w, g[None], 1, "same", 1)
    assert gx.shape == (2, 5, 5)
    np.testing.assert_allclose(gx, want_x[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, want_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, want_b, rtol=1e-12, atol=1e-12)


def test_conv2d_backward_same_padding_even_kernel():
    """'same' with an even kernel pads one more pixel after than before (torch's choice)."""
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(1, 2, 6, 7)), rng.normal(size=(2, 2, 4, 2))
    g = rng.normal(size=(1, 2, 6, 7))
    want = torch_conv_grads(x, w, g, 1, "same", (1, 2))
    for fn in BACKWARDS:
        for got, ref in zip(fn(x, w, g, padding="same", dilation=(1, 2)), want, strict=True):
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- hand-worked examples
def test_seed_1d_example_by_hand():
    """The seed's signal [0, 1, 0, 1, 1] and filter [-1, 1]; grad_out [1, 0, -1, 2] worked out by hand.

    grad_w[k] = Σ_i g_i x_{i+k}: k=0 → 1·0 + 0·1 − 1·0 + 2·1 = 2; k=1 → 1·1 + 0·0 − 1·1 + 2·1 = 2.
    grad_x[j] = Σ_i g_i w_{j−i}: [−1, 1, 1, −3, 2]; grad_b = 1 + 0 − 1 + 2 = 2.
    """
    x = np.array([[0, 1, 0, 1, 1]])
    w = np.array([[-1, 1]])
    g = np.array([[1, 0, -1, 2]])
    for fn in BACKWARDS:
        gx, gw, gb = fn(x, w, g)
        np.testing.assert_array_equal(gx, [[-1, 1, 1, -3, 2]])
        np.testing.assert_array_equal(gw, [[2, 2]])
        assert gb == 2
        assert np.issubdtype(gx.dtype, np.integer)        # integer inputs stay exact


def test_seed_strided_example_by_hand():
    """Seed 002's 4×4 image 1..16, kernel [[1, 1], [0, 2]], padding 1, stride 2, loss = sum of the 9 outputs.

    With stride = kernel = 2 the windows tile the padded 6×6 image, so every pixel is used by exactly
    one tap: grad_x repeats the kernel entry that lands on each pixel, grad_w[u, v] adds the pixels
    tap (u, v) saw: (0,0) → 6+8+14+16 = 44, (0,1) → 5+7+13+15 = 40, (1,0) → 2+4+10+12 = 28,
    (1,1) → 1+3+9+11 = 24.
    """
    x = np.arange(1, 17).reshape(4, 4)
    w = np.array([[1, 1], [0, 2]])
    assert conv2d(x, w, stride=2, padding=1).tolist() == [[2, 6, 0], [23, 35, 8], [13, 29, 16]]
    for fn in BACKWARDS:
        gx, gw, gb = fn(x, w, np.ones((3, 3), dtype=int), stride=2, padding=1)
        np.testing.assert_array_equal(gx, [[2, 0, 2, 0], [1, 1, 1, 1], [2, 0, 2, 0], [1, 1, 1, 1]])
        np.testing.assert_array_equal(gw, [[44, 40], [28, 24]])
        assert gb == 9


def test_strided_conv_leaves_unused_pixels_at_zero():
    """5×5 input, 2×2 kernel, stride 2: row 4 and column 4 are never read, so their gradient is 0."""
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(5, 5)), rng.normal(size=(2, 2))
    g = rng.normal(size=(2, 2))
    for fn in BACKWARDS:
        gx, _, _ = fn(x, w, g, stride=2)
        assert np.all(gx[4, :] == 0) and np.all(gx[:, 4] == 0)
        assert np.all(gx[:4, :4] != 0)
        want_x = torch_conv_grads(x[None, None], w[None, None], g[None, None], 2, 0, 1)[0][0, 0]
        np.testing.assert_allclose(gx, want_x, rtol=1e-12, atol=1e-12)


def test_conv2d_backward_against_numeric_gradient():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 3, 2))
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2))
    g = rng.normal(size=conv2d(x, w, **kw).shape)
    gx, gw, _ = conv2d_backward(x, w, g, **kw)
    num_x = numeric_gradient(lambda v: np.sum(conv2d(v, w, **kw) * g), x)
    num_w = numeric_gradient(lambda v: np.sum(conv2d(x, v, **kw) * g), w)
    assert relative_error(gx, num_x) < 1e-8
    assert relative_error(gw, num_w) < 1e-8


def test_conv2d_backward_float32_stays_float32():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 2, 5, 5)).astype(np.float32)
    w = rng.normal(size=(2, 2, 3, 3)).astype(np.float32)
    g = rng.normal(size=(1, 2, 3, 3)).astype(np.float32)
    gx, gw, gb = conv2d_backward(x, w, g)
    assert gx.dtype == gw.dtype == gb.dtype == np.float32
    want_x, want_w, _ = torch_conv_grads(x, w, g, 1, 0, 1)
    assert relative_error(gx, want_x) < 1e-6 and relative_error(gw, want_w) < 1e-6


# --------------------------------------------------------------------------- conv2d_backward: bad input
def test_conv2d_backward_grad_out_wrong_shape_says_which_fits():
    x, w = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"\(2, 4, 6, 6\); got \(2, 4, 8, 8\)"):
        conv2d_backward(x, w, np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match="shape of x"):
        conv2d_backward_naive(x, w, np.zeros((2, 3, 8, 8)))


def test_conv2d_backward_bad_arguments():
    x, w, g = np.zeros((5, 5)), np.zeros((3, 3)), np.zeros((3, 3))
    with pytest.raises(TypeError, match="torch tensor"):
        conv2d_backward(torch.zeros(5, 5), w, g)
    with pytest.raises(ValueError, match="stride"):
        conv2d_backward(x, w, g, stride=0)
    with pytest.raises(ValueError, match="does not fit"):
        conv2d_backward(x, np.zeros((7, 7)), g)
    with pytest.raises(ValueError, match="channel mismatch"):
        conv2d_backward(np.zeros((2, 5, 5)), np.zeros((1, 3, 3, 3)), np.zeros((1, 3, 3)))
    with pytest.raises(TypeError, match="grad_out is None"):
        conv2d_backward(x, w, None)


# --------------------------------------------------------------------------- pooling
@st.composite
def pool_configs(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2)]))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)),
             draw(st.integers(k[0], k[0] + 6)), draw(st.integers(k[1], k[1] + 6)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    ties = draw(st.booleans())           # small integers: many ties inside windows
    x = rng.integers(-2, 3, size=shape).astype(np.float64) if ties else rng.normal(size=shape)
    return x, k, stride, padding, rng


def torch_pool_grad(kind, x, g, k, stride, padding):
    xt = torch.tensor(x, requires_grad=True)
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = fn(xt, k, stride=stride, padding=padding)
    out.backward(torch.tensor(g))
    return xt.grad.numpy()


def pooled_shape(x, k, stride, padding):
    with torch.no_grad():
        return tuple(F.max_pool2d(torch.tensor(x), k, stride=stride, padding=padding).shape)


@SETTINGS
@given(cfg=pool_configs())
def test_max_pool2d_backward_matches_autograd_including_ties(cfg):
    x, k, stride, padding, rng = cfg
    g = rng.normal(size=pooled_shape(x, k, stride, padding))
    got = max_pool2d_backward(x, g, k, stride, padding)
    np.testing.assert_allclose(got, torch_pool_grad("max", x, g, k, stride, padding), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(cfg=pool_configs())
def test_avg_pool2d_backward_matches_autograd(cfg):
    x, k, stride, padding, rng = cfg
    g = rng.normal(size=pooled_shape(x, k, stride, padding))
    got = avg_pool2d_backward(x, g, k, stride, padding)
    np.testing.assert_allclose(got, torch_pool_grad("avg", x, g, k, stride, padding), rtol=1e-12, atol=1e-12)


def test_max_pool2d_backward_by_hand_and_tie_goes_to_first():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]])
    got = max_pool2d_backward(x, np.array([[1, 2], [3, 4]]), 2)
    # maxima 4 at (1, 0), 2 at (0, 2), 2 at (3, 1), 8 at (3, 3)
    np.testing.assert_array_equal(got, [[0, 0, 2, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 3, 0, 4]])
    tie = max_pool2d_backward(np.ones((2, 2)), np.array([[5.0]]), 2)
    np.testing.assert_array_equal(tie, [[5, 0], [0, 0]])
    # single-image and channel forms keep their shape
    assert max_pool2d_backward(np.zeros((3, 4, 4)), np.ones((3, 2, 2)), 2).shape == (3, 4, 4)


def test_max_pool2d_backward_numeric_gradient():
    x = np.random.default_rng(4).permutation(36).reshape(1, 1, 6, 6) / 7.0   # distinct values, no ties
    from helpers.pool import max_pool2d
    g = np.random.default_rng(5).normal(size=(1, 1, 2, 2))
    num = numeric_gradient(lambda v: np.sum(max_pool2d(v, 3) * g), x)
    assert relative_error(max_pool2d_backward(x, g, 3), num) < 1e-8


def test_pool_backward_bad_grad_out():
    with pytest.raises(ValueError, match=r"\(2, 2\); got \(4, 4\)"):
        max_pool2d_backward(np.zeros((4, 4)), np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="kernel_size"):
        avg_pool2d_backward(np.zeros((4, 4)), np.zeros((2, 2)), 0)


def test_relu_backward_matches_autograd():
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.1, 0.0]])
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(g))
    np.testing.assert_array_equal(relu_backward(x, g), xt.grad.numpy())
    with pytest.raises(ValueError, match="shape"):
        relu_backward(x, g[0])


# --------------------------------------------------------------------------- numeric_gradient, relative_error
def test_numeric_gradient_known_functions_and_leaves_x_alone():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    before = x.copy()
    np.testing.assert_allclose(numeric_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=1e-8)
    np.testing.assert_allclose(numeric_gradient(lambda v: np.sum(v ** 3), x), 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    # integer input is read as float64
    np.testing.assert_allclose(numeric_gradient(lambda v: float(v @ v), np.array([1, 2])), [2, 4], rtol=1e-8)


def test_numeric_gradient_bad_input():
    with pytest.raises(TypeError, match="single number"):
        numeric_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(TypeError, match="function"):
        numeric_gradient(3.0, np.ones(3))
    with pytest.raises(ValueError, match="eps"):
        numeric_gradient(np.sum, np.ones(3), eps=0)


def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.1]) == pytest.approx(0.1 / 4.1)
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0, -1.0], [-1.0, 1.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.ones(3), np.ones(4))


def test_gradient_report_and_check_gradient():
    a = np.array([1.0, 2.0, 3.0])
    assert gradient_report(a, a + 1e-9, name="grad_x") == (
        "grad_x: relative error ~1e-10 (expect < 1e-7 in float64) ✓")
    assert "(expect < 5e-3 in float64)" in gradient_report(a, a, expect=5e-3)
    assert gradient_report(a, a + 0.3, name="g", expect=1e-3).endswith("✗ too large")
    assert "< 1e-15" in gradient_report(a, a)
    assert check_gradient(a, a).ok is True
    assert check_gradient(None, a).ok is None
    wrong = check_gradient(-a, a, what="∂L/∂w")
    assert wrong.ok is False and "wrong sign" in wrong.message
    assert check_gradient(a[:2], a).ok is False


# --------------------------------------------------------------------------- NaN, empty batches, wrong kinds
def test_relu_backward_passes_the_gradient_where_x_is_nan_like_torch():
    x = np.array([np.nan, -1.0, 0.0, 2.0, np.inf, -np.inf, -0.0])
    g = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0, np.nan])
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(g))
    np.testing.assert_array_equal(relu_backward(x, g), xt.grad.numpy())


@pytest.mark.parametrize("shape", [(0,), (2, 0, 3), (0, 4)])
def test_relu_backward_of_empty_arrays_like_torch(shape):
    xt = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    torch.relu(xt).backward(torch.zeros(shape, dtype=torch.float64))
    got = relu_backward(np.zeros(shape), np.zeros(shape))
    assert got.shape == tuple(xt.grad.shape)
    with pytest.raises(ValueError, match=r"grad_out must have the shape .*\(0,\)"):
        relu_backward(np.zeros(0), np.zeros(3))


@pytest.mark.parametrize("fn", BACKWARDS)
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, "same")])
def test_conv2d_backward_of_an_empty_batch_like_torch(fn, stride, padding):
    x = np.zeros((0, 2, 5, 6))
    w = np.random.default_rng(0).normal(size=(3, 2, 3, 3))
    shape = torch_out_shape(x, w, stride, padding, 1)
    assert shape[0] == 0
    g = np.zeros(shape)
    want = torch_conv_grads(x, w, g, stride, padding, 1)
    got = fn(x, w, g, stride=stride, padding=padding)
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)                             # empty grad_x, zero grad_w and grad_b


@pytest.mark.parametrize("kind, fn", [("max", max_pool2d_backward), ("avg", avg_pool2d_backward)])
def test_pool_backward_of_an_empty_batch_like_torch(kind, fn):
    x = np.zeros((0, 3, 5, 5))
    g = np.zeros(pooled_shape(x, 3, 2, 1))
    want = torch_pool_grad(kind, x, g, 3, 2, 1)
    got = fn(x, g, 3, 2, 1)
    assert got.shape == want.shape == (0, 3, 5, 5)


def test_backward_refuses_empty_axes_other_than_the_batch():
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 5\)\)"):
        max_pool2d_backward(np.zeros((0, 5)), np.zeros((0, 2)), 2)
    with pytest.raises(ValueError, match=r"x is empty \(shape \(1, 0, 5, 5\)\)"):
        conv2d_backward(np.zeros((1, 0, 5, 5)), np.zeros((1, 0, 3, 3)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(RuntimeError):                                    # torch refuses 0 channels in pooling too
        F.max_pool2d(torch.zeros(1, 0, 5, 5), 2)


@pytest.mark.parametrize("x", [
    [[1.0, np.nan], [3.0, 2.0]],
    [[np.nan, 5.0], [3.0, np.nan]],                   # two NaN in one window: torch picks the last one
    [[np.nan, np.nan], [np.nan, np.nan]],
    [[7.0, 7.0], [np.nan, 7.0]],
])
def test_max_pool2d_backward_with_nan_like_torch(x):
    x = np.array(x)[None, None]
    g = np.array([[[[3.0]]]])
    np.testing.assert_array_equal(max_pool2d_backward(x, g, 2), torch_pool_grad("max", x, g, 2, None, 0))


@SETTINGS
@given(cfg=pool_configs(), data=st.data())
def test_max_pool2d_backward_with_random_nan_matches_autograd(cfg, data):
    x, k, stride, padding, rng = cfg
    x = x.copy()
    x[rng.random(x.shape) < data.draw(st.sampled_from([0.1, 0.3]))] = np.nan
    g = rng.normal(size=pooled_shape(x, k, stride, padding))
    got = max_pool2d_backward(x, g, k, stride, padding)
    np.testing.assert_allclose(got, torch_pool_grad("max", x, g, k, stride, padding), rtol=1e-12, atol=1e-12)


def test_numeric_gradient_of_a_function_that_returns_nothing_or_text():
    with pytest.raises(TypeError, match=r"returned None\. Does it end with a `return`"):
        numeric_gradient(lambda v: print(v.sum()), np.ones(2))
    with pytest.raises(TypeError, match=r"returned the text 'loss'"):
        numeric_gradient(lambda v: "loss", np.ones(2))
    with pytest.raises(TypeError, match=r"eps must be a small positive number .* the text '1e-6'"):
        numeric_gradient(np.sum, np.ones(2), eps="1e-6")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)                  # a function that returns a tensor is fine
    np.testing.assert_allclose(numeric_gradient(lambda v: torch.tensor(v).pow(2).sum(), x.numpy()), [2.0, 4.0],
                               rtol=1e-8)


def test_gradient_report_and_check_gradient_spec_mistakes():
    a = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="expect must be a positive bound .* -1"):
        gradient_report(a, a, expect=-1)
    with pytest.raises(TypeError, match="name must be text"):
        gradient_report(a, a, name=None)
    with pytest.raises(TypeError, match="expect must be .* the text '1e-7'"):
        check_gradient(a, a, expect="1e-7")
    with pytest.raises(TypeError, match="expected .*set by the notebook.* None"):
        check_gradient(a, None)
    v = check_gradient(["2", "4"], a)
    assert v.ok is False and "not text" in v.message


def test_check_conv1d_backward_names_the_usual_mistakes_and_never_raises():
    from helpers.backward import check_conv1d_backward

    def solution(x, w, g, stride=1, assign=False, flip=False, ignore_stride=False, dtype=float):
        gx, gw = np.zeros(len(x), dtype=dtype), np.zeros(len(w))
        kernel = w[::-1] if flip else w
        for i, gi in enumerate(g):
            s = i * (1 if ignore_stride else stride)
            if assign:
                gx[s:s + len(w)] = gi * kernel
            else:
                gx[s:s + len(w)] += gi * kernel
            gw += gi * x[s:s + len(w)]
        return gx, gw

    assert check_conv1d_backward(solution).ok is True
    for kwargs, words in [({"assign": True}, "+="), ({"flip": True}, "flipped"),
                          ({"ignore_stride": True}, "stride"), ({"dtype": int}, "integer array")]:
        v = check_conv1d_backward(lambda x, w, g, stride=1, kw=kwargs: solution(x, w, g, stride, **kw))
        assert v.ok is False and words in v.message, (kwargs, v)
    assert "swapped" in check_conv1d_backward(lambda x, w, g, stride=1: solution(x, w, g, stride)[::-1]).message
    assert check_conv1d_backward(lambda x, w, g, stride=1: None).ok is None
    assert check_conv1d_backward(None).ok is None
