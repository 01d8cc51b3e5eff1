"""helpers.matrix against independent oracles: torch's conv1d/conv2d, torch autograd, the seed's matrix.

The matrices are never compared with themselves or with a rebuilt copy of their own construction:
the forward product is checked against torch.nn.functional, the transpose against the input gradient
that torch autograd computes, and the small cases against matrices written out by hand from the seed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.matrix import conv1d_matrix, conv2d_matrix

# --------------------------------------------------------------------------- seed (lecture 003)
SEED_FILTER = [-1, 1]
# The banded matrix drawn in the lecture for the filter [-1, 1] on a length-5 input.
SEED_MATRIX = np.array([
    [-1, 1, 0, 0, 0],
    [0, -1, 1, 0, 0],
    [0, 0, -1, 1, 0],
    [0, 0, 0, -1, 1],
])


def test_seed_matrix_written_by_hand():
    C = conv1d_matrix(SEED_FILTER, 5)
    assert C.shape == (4, 5)
    np.testing.assert_array_equal(C, SEED_MATRIX)


@pytest.mark.parametrize("x, expected", [
    ([0, 1, 0, 1, 1], [1, -1, 1, 0]),
    ([0, 1, -1, 1, 1], [1, -2, 2, 0]),
])
def test_seed_examples(x, expected):
    out = conv1d_matrix(SEED_FILTER, 5) @ np.array(x)
    np.testing.assert_array_equal(out, expected)


def test_integer_kernel_gives_integer_matrix_and_float_stays_float():
    assert np.issubdtype(conv1d_matrix([-1, 1], 5).dtype, np.integer)
    assert np.issubdtype(conv2d_matrix([[1, 0], [0, -1]], (3, 3)).dtype, np.integer)
    assert conv1d_matrix(np.array([0.5, 1.0], dtype=np.float32), 4).dtype == np.float32
    assert conv2d_matrix(np.ones((2, 2)), (3, 3)).dtype == np.float64


def test_padding_written_by_hand():
    # filter [1, 2, 3], length 4, padding 1: the first and last rows lose the tap that lands on a zero.
    expected = np.array([
        [2, 3, 0, 0],
        [1, 2, 3, 0],
        [0, 1, 2, 3],
        [0, 0, 1, 2],
    ])
    np.testing.assert_array_equal(conv1d_matrix([1, 2, 3], 4, padding=1), expected)


def test_stride_and_dilation_written_by_hand():
    # filter [1, 2], dilation 2 (taps 2 apart), stride 3, length 7: outputs start at 0 and 3.
    expected = np.array([
        [1, 0, 2, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 2, 0],
    ])
    np.testing.assert_array_equal(conv1d_matrix([1, 2], 7, stride=3, dilation=2), expected)


def test_conv2d_matrix_written_by_hand():
    # 2×2 kernel on a 3×3 image: row i·2 + j of C holds the kernel at pixels (i..i+1, j..j+1).
    w = [[1, 2], [3, 4]]
    expected = np.array([
        [1, 2, 0, 3, 4, 0, 0, 0, 0],
        [0, 1, 2, 0, 3, 4, 0, 0, 0],
        [0, 0, 0, 1, 2, 0, 3, 4, 0],
        [0, 0, 0, 0, 1, 2, 0, 3, 4],
    ])
    np.testing.assert_array_equal(conv2d_matrix(w, (3, 3)), expected)


def test_seed_edge_kernel_on_the_5x6_image():
    # lecture 000: the vertical-edge kernel on the 5×6 image gives [[3,-1,0,0],[5,-2,0,0],[3,-1,0,0]]
    image = np.array([[0, 0, 0, 0, 0, 0],
                      [0, 1, 0, 0, 0, 0],
                      [0, 1, 1, 1, 1, 1],
                      [0, 1, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0]])
    kernel = np.array([[-1, 2, -1]] * 3)
    C = conv2d_matrix(kernel, image.shape)
    assert C.shape == (12, 30)
    np.testing.assert_array_equal((C @ image.ravel()).reshape(3, 4),
                                  [[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]])


def test_parameter_sharing_and_sparsity():
    # every row holds the same K weights (when no padding cuts them off): K shared numbers, L'·K nonzeros.
    rng = np.random.default_rng(0)
    w = rng.integers(1, 9, size=4)          # nonzero so that nonzeros can be counted
    C = conv1d_matrix(w, 12)
    assert C.shape == (9, 12)
    assert np.count_nonzero(C) == 9 * 4
    for row in C:
        nz = np.flatnonzero(row)
        assert nz[-1] - nz[0] == 3          # one contiguous band of width K
        np.testing.assert_array_equal(row[nz], w)


# --------------------------------------------------------------------------- torch oracles
def _torch_conv1d(x, w, stride, padding, dilation):
    pad = padding if isinstance(padding, str) else int(padding)
    out = F.conv1d(torch.tensor(x, dtype=torch.float64)[None, None],
                   torch.tensor(w, dtype=torch.float64)[None, None],
                   stride=stride, padding=pad, dilation=dilation)
    return out[0, 0].numpy()


def _torch_conv2d(x, w, stride, padding, dilation):
    out = F.conv2d(torch.tensor(x, dtype=torch.float64)[None, None],
                   torch.tensor(w, dtype=torch.float64)[None, None],
                   stride=stride, padding=padding, dilation=dilation)
    return out[0, 0].numpy()


@st.composite
def conv1d_cases(draw):
    k = draw(st.integers(1, 5))
    d = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, 3))
    span = d * (k - 1) + 1
    n = draw(st.integers(max(1, span - 2 * p), 14))
    seed = draw(st.integers(0, 2**31 - 1))
    return k, n, s, p, d, seed


@settings(max_examples=200, deadline=None)
@given(conv1d_cases())
def test_conv1d_matrix_matches_torch(case):
    k, n, s, p, d, seed = case
    rng = np.random.default_rng(seed)
    w = rng.normal(size=k)
    x = rng.normal(size=n)
    C = conv1d_matrix(w, n, stride=s, padding=p, dilation=d)
    expected = _torch_conv1d(x, w, s, p, d)
    assert C.shape == (expected.shape[0], n)
    np.testing.assert_allclose(C @ x, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(conv1d_cases())
def test_conv1d_matrix_transpose_is_torch_input_gradient(case):
    k, n, s, p, d, seed = case
    rng = np.random.default_rng(seed)
    w = rng.normal(size=k)
    x = torch.tensor(rng.normal(size=n), dtype=torch.float64, requires_grad=True)
    out = F.conv1d(x[None, None], torch.tensor(w)[None, None], stride=s, padding=p, dilation=d)[0, 0]
    g = rng.normal(size=out.shape[0])
    out.backward(torch.tensor(g))
    C = conv1d_matrix(w, n, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(C.T @ g, x.grad.numpy(), rtol=1e-12, atol=1e-12)


@st.composite
def conv2d_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    wd = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    seed = draw(st.integers(0, 2**31 - 1))
    return (kh, kw), (h, wd), (sh, sw), (ph, pw), (dh, dw), seed


@settings(max_examples=150, deadline=None)
@given(conv2d_cases())
def test_conv2d_matrix_matches_torch(case):
    kshape, in_shape, s, p, d, seed = case
    rng = np.random.default_rng(seed)
    w = rng.normal(size=kshape)
    x = rng.normal(size=in_shape)
    C = conv2d_matrix(w, in_shape, stride=s, padding=p, dilation=d)
    expected = _torch_conv2d(x, w, s, p, d)
    assert C.shape == (expected.size, x.size)
    np.testing.assert_allclose(C @ x.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


@settings(max_examples=75, deadline=None)
@given(conv2d_cases())
def test_conv2d_matrix_transpose_is_torch_input_gradient(case):
    kshape, in_shape, s, p, d, seed = case
    rng = np.random.default_rng(seed)
    w = rng.normal(size=kshape)
    x = torch.tensor(rng.normal(size=in_shape), dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x[None, None], torch.tensor(w)[None, None], stride=s, padding=p, dilation=d)[0, 0]
    g = rng.normal(size=tuple(out.shape))
    out.backward(torch.tensor(g))
    C = conv2d_matrix(w, in_shape, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(C.T @ g.ravel(), x.grad.numpy().ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("k, n, d", [(3, 7, 1), (4, 7, 1), (2, 9, 3), (5, 5, 1)])
def test_same_and_valid_padding_match_torch(k, n, d):
    rng = np.random.default_rng(k * 10 + n)
    w, x = rng.normal(size=k), rng.normal(size=n)
    for mode in ("same", "valid"):
        C = conv1d_matrix(w, n, padding=mode, dilation=d)
        np.testing.assert_allclose(C @ x, _torch_conv1d(x, w, 1, mode, d), rtol=1e-12, atol=1e-12)
    w2, x2 = rng.normal(size=(k, 2)), rng.normal(size=(n, n + 1))
    C2 = conv2d_matrix(w2, x2.shape, padding="same", dilation=d)
    np.testing.assert_allclose(C2 @ x2.ravel(), _torch_conv2d(x2, w2, 1, "same", d).ravel(),
                               rtol=1e-12, atol=1e-12)


def test_does_not_modify_the_kernel():
    w = np.array([1.0, -2.0, 3.0])
    conv1d_matrix(w, 6, padding=2)
    np.testing.assert_array_equal(w, [1.0, -2.0, 3.0])


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, exc, words", [
    (lambda: conv1d_matrix([-1, 1], np.array([0, 1, 0, 1, 1])), TypeError, ["length", "len(x)"]),
    (lambda: conv1d_matrix([-1, 1], 0), ValueError, ["length", "1 or more"]),
    (lambda: conv1d_matrix([-1, 1], 2.5), TypeError, ["length", "whole number"]),
    (lambda: conv1d_matrix([[-1, 1]], 5), ValueError, ["w", "(K,)", "reshape"]),
    (lambda: conv1d_matrix([], 5), ValueError, ["w", "empty"]),
    (lambda: conv1d_matrix("ab", 5), TypeError, ["w", "text"]),
    (lambda: conv1d_matrix([1, 2, 3], 2), ValueError, ["does not fit", "length"]),
    (lambda: conv1d_matrix([1, 2], 5, stride=0), ValueError, ["stride", "1 or more"]),
    (lambda: conv1d_matrix([1, 2], 5, padding=-1), ValueError, ["padding", "0 or more"]),
    (lambda: conv1d_matrix([1, 2], 5, dilation=0), ValueError, ["dilation"]),
    (lambda: conv1d_matrix([1, 2], 5, padding="same", stride=2), ValueError, ["same", "stride"]),
    (lambda: conv2d_matrix([[1, 2], [3, 4]], np.zeros((3, 3))), TypeError, ["in_shape", "x.shape"]),
    (lambda: conv2d_matrix([[1, 2], [3, 4]], (1, 3, 3)), ValueError, ["in_shape", "(H, W)"]),
    (lambda: conv2d_matrix([1, 2], (3, 3)), ValueError, ["w", "(KH, KW)"]),
    (lambda: conv2d_matrix(np.ones((1, 1, 2, 2)), (3, 3)), ValueError, ["w", "reshape"]),
    (lambda: conv2d_matrix(np.ones((3, 3)), (2, 5)), ValueError, ["does not fit", "height"]),
    (lambda: conv2d_matrix(np.ones((2, 2)), (3, 0)), ValueError, ["in_shape[1]"]),
    (lambda: conv2d_matrix(np.ones((2, 2)), "3x3"), TypeError, ["in_shape"]),
    (lambda: conv2d_matrix(np.ones((2, 2)), (3, 3), stride=(1, 2, 3)), ValueError, ["stride"]),
    (lambda: conv1d_matrix(torch.ones(2), 5), TypeError, ["torch tensor", "numpy"]),
])
def test_bad_input_messages(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    text = str(info.value)
    for word in words:
        assert word.lower() in text.lower(), f"{word!r} not in message: {text}"


def test_square_in_shape_from_one_int():
    np.testing.assert_array_equal(conv2d_matrix(np.ones((2, 2), dtype=int), 3),
                                  conv2d_matrix(np.ones((2, 2), dtype=int), (3, 3)))
