"""helpers.conv against torch.nn.functional (the oracle) and the seed lectures' hand-worked examples."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpers

SEED_IMAGE = np.array([[0, 0, 0, 0, 0, 0],
                       [0, 1, 0, 0, 0, 0],
                       [0, 1, 1, 1, 1, 1],
                       [0, 1, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0]])
SEED_VERTICAL = np.array([[-1, 2, -1]] * 3)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- seed examples
def test_seed_edge_detector_5x6():
    out = helpers.conv2d(SEED_IMAGE, SEED_VERTICAL)
    assert out.tolist() == [[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]]
    assert out.dtype.kind == "i"          # integers in, exact integers out
    assert helpers.conv2d_naive(SEED_IMAGE, SEED_VERTICAL).tolist() == out.tolist()


def test_seed_stride_padding_exercise():
    x = np.arange(1, 17).reshape(4, 4)
    w = np.array([[1, 1], [0, 2]])
    expected = [[2, 6, 0], [23, 35, 8], [13, 29, 16]]
    assert helpers.conv2d(x, w, padding=1, stride=2).tolist() == expected
    assert helpers.conv2d_naive(x, w, padding=1, stride=2).tolist() == expected


def test_seed_1d_examples():
    assert helpers.conv1d([0, 1, 0, 1, 1], [-1, 1]).tolist() == [1, -1, 1, 0]
    assert helpers.conv1d([0, 1, -1, 1, 1], [-1, 1]).tolist() == [1, -2, 2, 0]


def test_integer_output_prints_like_the_seed():
    assert repr(helpers.conv1d([0, 1, 0, 1, 1], [-1, 1])) == "array([ 1, -1,  1,  0])"


# ----------------------------------------------------------------------------- torch oracle
@st.composite
def conv_config(draw, spatial=2):
    n = draw(st.integers(1, 3))
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(spatial))
    s = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    d = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    p = tuple(draw(st.integers(0, 3)) for _ in range(spatial))
    size = tuple(draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 11)) for kk, dd, pp in zip(k, d, p))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return n, c_in, c_out, k, s, d, p, size, bias, seed


@SETTINGS
@given(conv_config())
def test_conv2d_matches_torch(cfg):
    n, c_in, c_out, k, s, d, p, size, bias, seed = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in) + size)
    w = rng.standard_normal((c_out, c_in) + k)
    b = rng.standard_normal(c_out) if bias else None
    ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                   stride=s, padding=p, dilation=d).numpy()
    np.testing.assert_allclose(helpers.conv2d(x, w, b, s, p, d), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(helpers.conv2d_naive(x, w, b, s, p, d), ref, rtol=1e-10, atol=1e-10)
    # unbatched form drops the N axis, like torch
    np.testing.assert_allclose(helpers.conv2d(x[0], w, b, s, p, d), ref[0], rtol=1e-10, atol=1e-10)


@SETTINGS
@given(conv_config(spatial=1))
def test_conv1d_matches_torch(cfg):
    n, c_in, c_out, k, s, d, p, size, bias, seed = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in) + size)
    w = rng.standard_normal((c_out, c_in) + k)
    b = rng.standard_normal(c_out) if bias else None
    ref = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                   stride=s, padding=p, dilation=d).numpy()
    np.testing.assert_allclose(helpers.conv1d(x, w, b, s[0], p[0], d[0]), ref, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(conv_config(), st.data())
def test_conv_transpose2d_matches_torch(cfg, data):
    n, c_in, c_out, k, s, d, p, size, bias, seed = cfg
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in) + size)
    w = rng.standard_normal((c_in, c_out) + k)
    b = rng.standard_normal(c_out) if bias else None
    try:
        ref = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w),
                                 None if b is None else torch.from_numpy(b), stride=s, padding=p,
                                 output_padding=op, dilation=d).numpy()
    except RuntimeError:          # torch refuses (e.g. the padding crops everything): so must we
        with pytest.raises(ValueError):
            helpers.conv_transpose2d(x, w, b, s, p, op, d)
        return
    np.testing.assert_allclose(helpers.conv_transpose2d(x, w, b, s, p, op, d), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("d", [1, 2])
def test_padding_same_and_valid_match_torch(k, d):
    rng = np.random.default_rng(k * 10 + d)
    x = rng.standard_normal((2, 3, 9, 10))
    w = rng.standard_normal((4, 3, k, k))
    for mode in ("same", "valid"):
        ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=mode, dilation=d).numpy()
        np.testing.assert_allclose(helpers.conv2d(x, w, padding=mode, dilation=d), ref, atol=1e-10)
        x1, w1 = x[:, :, 0], w[:, :, 0]
        ref1 = F.conv1d(torch.from_numpy(x1), torch.from_numpy(w1), padding=mode, dilation=d).numpy()
        np.testing.assert_allclose(helpers.conv1d(x1, w1, padding=mode, dilation=d), ref1, atol=1e-10)


def test_float32_stays_float32():
    x = np.ones((1, 2, 5, 5), dtype=np.float32)
    w = np.ones((3, 2, 3, 3), dtype=np.float32)
    assert helpers.conv2d(x, w).dtype == np.float32
    assert helpers.conv_transpose2d(x, np.ones((2, 3, 3, 3), np.float32)).dtype == np.float32


def test_inputs_are_not_modified():
    x = np.arange(16.0).reshape(4, 4)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    x0, w0 = x.copy(), w.copy()
    helpers.conv2d(x, w, padding=1)
    helpers.conv2d_naive(x, w, padding=1)
    helpers.conv_transpose2d(x, w, stride=2)
    assert (x == x0).all() and (w == w0).all()


# ----------------------------------------------------------------------------- no state between calls
def test_the_issue_sequence_same_padding_after_another_image():
    """An earlier bug: a buffer kept from the first call put that image's last row where zeros belong."""
    rng = np.random.default_rng(1)
    x7, k11 = rng.standard_normal((7, 5)) + 10, rng.standard_normal((1, 1))
    x6, k21 = rng.standard_normal((6, 5)), rng.standard_normal((2, 1))
    helpers.conv2d(x7, k11, padding="same")
    ref = F.conv2d(torch.from_numpy(x6)[None, None], torch.from_numpy(k21)[None, None], padding="same")[0, 0]
    np.testing.assert_allclose(helpers.conv2d(x6, k21, padding="same"), ref.numpy(), atol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conv_config(), min_size=2, max_size=6), st.booleans())
def test_a_sequence_of_calls_matches_torch_call_by_call(configs, float32):
    """Calls with different shapes, paddings (numbers and "same"), strides and dtypes, one after another:
    each result depends only on its own arguments."""
    dtype = np.float32 if float32 else np.float64
    tol = 1e-4 if float32 else 1e-10
    for n, c_in, c_out, k, s, d, p, size, bias, seed in configs:
        rng = np.random.default_rng(seed)
        x = (rng.standard_normal((n, c_in) + size) + 5).astype(dtype)     # + 5: stale numbers would show
        w = rng.standard_normal((c_out, c_in) + k).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype) if bias else None
        tb = None if b is None else torch.from_numpy(b)
        if seed % 3 == 0:                                                  # "same" (stride 1), odd or even k
            ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), tb, padding="same", dilation=d).numpy()
            got = helpers.conv2d(x, w, b, padding="same", dilation=d)
        else:
            ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), tb, stride=s, padding=p, dilation=d).numpy()
            got = helpers.conv2d(x, w, b, s, p, d)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


def test_conv2d_keeps_no_module_state():
    """Nothing cached at module level: the module's globals are the same before and after calls."""
    import helpers.conv as conv_module
    before = {k: id(v) for k, v in vars(conv_module).items()}
    helpers.conv2d(np.ones((2, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float32), padding=1)
    assert {k: id(v) for k, v in vars(conv_module).items()} == before


# ----------------------------------------------------------------------------- integers are exact
INT_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("fn", [helpers.conv2d, helpers.conv2d_naive])
def test_integers_never_wrap_around(dtype, fn):
    """200·1 added four times is 800 for every integer dtype (uint8 arithmetic would give 32)."""
    x = np.full((2, 2), min(200, np.iinfo(dtype).max), dtype)
    w = np.ones((2, 2), dtype)
    out = fn(x, w)
    assert out.dtype == np.int64
    assert out.tolist() == [[4 * int(x[0, 0])]]


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_results_equal_python_integer_arithmetic(dtype):
    """The independent oracle: the same sums in Python's unbounded integers (object arrays)."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    x = rng.integers(info.min, info.max, size=(2, 3, 6, 5), dtype=dtype, endpoint=True)
    w = rng.integers(max(info.min, -100), min(info.max, 100), size=(4, 3, 3, 2), dtype=dtype, endpoint=True)
    if np.iinfo(dtype).bits == 64:            # keep the sums inside int64: they are exact, not refused
        x = (x // 2**40).astype(dtype)
    ref = np.zeros((2, 4, 2, 2), dtype=object)
    xo, wo = x.astype(object), w.astype(object)
    for i in range(2):
        for j in range(2):
            ref[:, :, i, j] = np.tensordot(xo[:, :, i * 2:i * 2 + 3, j * 3:j * 3 + 2], wo, axes=([1, 2, 3], [1, 2, 3]))
    for fn in (helpers.conv2d, helpers.conv2d_naive):
        got = fn(x, w, stride=(2, 3))
        assert got.dtype == np.int64
        assert got.astype(object).tolist() == ref.tolist()
    x1, w1 = x[:, :, 0], w[:, :, 0]
    assert helpers.conv1d(x1, w1).dtype == np.int64


def test_conv_transpose2d_and_conv1d_integers_are_exact():
    x = np.full((2, 2), 250, np.uint8)
    assert helpers.conv_transpose2d(x, np.full((2, 2), 2, np.uint8)).tolist() == [[500, 1000, 500],
                                                                                  [1000, 2000, 1000],
                                                                                  [500, 1000, 500]]
    assert helpers.conv1d(np.full(3, 200, np.uint8), np.ones(2, np.uint8)).tolist() == [400, 400]


def test_integers_too_large_even_for_int64_are_refused():
    big = np.full((3, 3), 2**40, np.int64)
    for fn in (helpers.conv2d, helpers.conv2d_naive, helpers.conv_transpose2d):
        with pytest.raises(ValueError, match="too large to add up exactly.*float"):
            fn(big, big)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, exc, words", [
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((7, 7))), ValueError, ["kernel 7×7", "5×6", "−1"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), stride=0), ValueError, ["stride", "0"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), stride=1.5), TypeError, ["stride", "1.5"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), padding=-1), ValueError, ["padding", "-1"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), padding="full"), ValueError, ["padding", "same"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), dilation=0), ValueError, ["dilation"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((3, 3)), stride=2, padding="same"), ValueError,
     ["same", "stride"]),
    (lambda: helpers.conv2d(np.ones((3, 5, 6)), np.ones((2, 2, 3, 3))), ValueError,
     ["channel mismatch", "3 input channels", "2"]),
    (lambda: helpers.conv2d(np.ones((3, 5, 6)), np.ones((2, 3, 3, 3)), b=np.ones(3)), ValueError,
     ["b", "(2,)"]),
    (lambda: helpers.conv2d(np.ones((5,)), np.ones((3,))), ValueError, ["x must have 2, 3 or 4 dimensions"]),
    (lambda: helpers.conv2d(np.ones((5, 6)), np.ones((2, 1, 3, 3))), ValueError, ["w must have 2"]),
    (lambda: helpers.conv2d(np.ones((0, 6)), np.ones((3, 3))), ValueError, ["x is empty"]),
    (lambda: helpers.conv2d([["a", "b"], ["c", "d"]], np.ones((1, 1))), TypeError, ["x", "numbers"]),
    (lambda: helpers.conv2d("image", np.ones((1, 1))), TypeError, ["x", "text"]),
    (lambda: helpers.conv2d([[1, 2], [3]], np.ones((1, 1))), ValueError, ["x", "same length"]),
    (lambda: helpers.conv2d(torch.ones(3, 3), np.ones((1, 1))), TypeError, ["torch tensor", ".numpy()"]),
    (lambda: helpers.conv1d([1, 2, 3], [1, 1, 1, 1]), ValueError, ["does not fit", "length"]),
    (lambda: helpers.conv1d([1, 2, 3], [1, 1], stride=(1, 2)), ValueError, ["stride", "1 ints"]),
    (lambda: helpers.conv_transpose2d(np.ones((3, 3)), np.ones((3, 3)), stride=2, output_padding=2),
     ValueError, ["output_padding", "smaller than stride"]),
    (lambda: helpers.conv_transpose2d(np.ones((1, 1)), np.ones((1, 1)), padding=1), ValueError,
     ["padding 1 crops away"]),
    (lambda: helpers.conv_transpose2d(np.ones((2, 4, 4)), np.ones((3, 2, 3, 3))), ValueError,
     ["channel mismatch", "w.shape[0]"]),
])
def test_bad_input_is_explained(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ----------------------------------------------------------------------------- empty batches and channels last
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2)])
def test_an_empty_batch_gives_an_empty_result_like_torch(kwargs):
    x = np.zeros((0, 2, 7, 6))
    w = np.ones((3, 2, 3, 3))
    b = np.ones(3)
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kwargs)
    for fn in (helpers.conv2d, helpers.conv2d_naive):
        got = fn(x, w, b, **kwargs)
        assert got.shape == tuple(want.shape) and got.dtype == np.float64
    got = helpers.conv2d(x.astype(np.int64), w.astype(np.int64), **kwargs)
    assert got.shape == tuple(want.shape) and got.dtype == np.int64      # the exact-integer path too
    want = F.conv1d(torch.zeros(0, 2, 5, dtype=torch.float64), torch.ones(3, 2, 2, dtype=torch.float64))
    assert helpers.conv1d(np.zeros((0, 2, 5)), np.ones((3, 2, 2))).shape == tuple(want.shape)
    want = F.conv_transpose2d(torch.zeros(0, 2, 4, 4, dtype=torch.float64), torch.ones(2, 3, 3, 3,
                                                                                       dtype=torch.float64), stride=2)
    assert helpers.conv_transpose2d(np.zeros((0, 2, 4, 4)), np.ones((2, 3, 3, 3)), stride=2).shape == tuple(want.shape)


@pytest.mark.parametrize("x_shape, w_shape", [((0, 5, 6), (1, 0, 3, 3)), ((1, 0, 5, 6), (1, 0, 3, 3)),
                                              ((2, 1, 0, 6), (1, 1, 3, 3)), ((0, 6), (3, 3)), ((0,), (2,))])
def test_empty_axes_other_than_the_batch_are_refused(x_shape, w_shape):
    fn = helpers.conv1d if len(x_shape) == 1 else helpers.conv2d
    with pytest.raises(ValueError, match=r"[xw] is empty \(shape"):
        fn(np.zeros(x_shape), np.ones(w_shape))


@pytest.mark.parametrize("fn, x_shape, w_shape, axes, form", [
    (helpers.conv2d, (6, 7, 3), (4, 3, 3, 3), (2, 0, 1), "(H, W, C)"),
    (helpers.conv2d, (2, 6, 7, 3), (4, 3, 3, 3), (0, 3, 1, 2), "(N, H, W, C)"),
    (helpers.conv1d, (9, 3), (4, 3, 2), (1, 0), "(L, C)"),
    (helpers.conv1d, (2, 9, 3), (4, 3, 2), (0, 2, 1), "(N, L, C)"),
])
def test_channels_last_input_is_named_and_the_fix_works(fn, x_shape, w_shape, axes, form):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    with pytest.raises(ValueError) as info:
        fn(x, w)
    msg = str(info.value)
    assert "channel mismatch" in msg and f"channels-last {form}" in msg
    assert f"x.transpose({', '.join(map(str, axes))})" in msg
    fixed = x.transpose(axes)
    torch_fn = F.conv2d if fn is helpers.conv2d else F.conv1d
    want = torch_fn(torch.from_numpy(fixed if fixed.ndim == len(w_shape) else fixed[None]), torch.from_numpy(w))
    np.testing.assert_allclose(fn(fixed, w), want.numpy().reshape(fn(fixed, w).shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(stride=np.int64(2)), None, []),
    (dict(stride="2"), TypeError, ["stride", "the text '2'", "without quotes"]),
    (dict(padding=True), TypeError, ["padding", "True"]),
    (dict(dilation=float("nan")), TypeError, ["dilation", "nan"]),
])
def test_settings_of_the_wrong_kind(kwargs, exc, words):
    x, w = np.arange(25.0).reshape(5, 5), np.ones((2, 2))
    if exc is None:
        np.testing.assert_array_equal(helpers.conv2d(x, w, **kwargs), helpers.conv2d(x, w, stride=2))
        return
    with pytest.raises(exc) as info:
        helpers.conv2d(x, w, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
