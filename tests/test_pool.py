"""helpers.pool against torch.nn.functional's pooling (the oracle)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpers


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.data())
def test_pooling_matches_torch(kh, kw, sh, sw, data):
    ph = data.draw(st.integers(0, kh // 2))
    pw = data.draw(st.integers(0, kw // 2))
    h = data.draw(st.integers(max(1, kh - 2 * ph), 10))
    w = data.draw(st.integers(max(1, kw - 2 * pw), 10))
    x = np.random.default_rng(data.draw(st.integers(0, 999))).standard_normal((2, 3, h, w))
    t = torch.from_numpy(x)
    kwargs = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw))
    np.testing.assert_allclose(helpers.max_pool2d(x, **kwargs), F.max_pool2d(t, **kwargs).numpy())
    np.testing.assert_allclose(helpers.avg_pool2d(x, **kwargs), F.avg_pool2d(t, **kwargs).numpy(), atol=1e-12)
    # stride defaults to the kernel size, like torch
    if h >= kh and w >= kw:
        np.testing.assert_allclose(helpers.max_pool2d(x, (kh, kw)), F.max_pool2d(t, (kh, kw)).numpy())
    # (C, H, W) and (H, W) forms
    np.testing.assert_allclose(helpers.max_pool2d(x[0], **kwargs), F.max_pool2d(t[0], **kwargs).numpy())
    np.testing.assert_allclose(helpers.max_pool2d(x[0, 0], **kwargs), F.max_pool2d(t[0:1, 0], **kwargs)[0].numpy())


def test_integer_max_pool_with_padding_stays_integer():
    x = np.array([[1, -3], [-4, -2]])
    out = helpers.max_pool2d(x, 2, stride=1, padding=1)
    assert out.dtype.kind == "i"
    assert out.tolist() == F.max_pool2d(torch.tensor(x[None]).double(), 2, 1, 1)[0].long().tolist()


def test_pool_keeps_one_in_four():
    x = np.arange(64.0).reshape(8, 8)
    assert helpers.max_pool2d(x, 2).size * 4 == x.size


@pytest.mark.parametrize("call, exc, words", [
    (lambda: helpers.max_pool2d(np.ones((4, 4)), 2, padding=2), ValueError, ["padding 2", "half"]),
    (lambda: helpers.max_pool2d(np.ones((4, 4)), 0), ValueError, ["kernel_size"]),
    (lambda: helpers.max_pool2d(np.ones((4, 4)), 2, stride=0), ValueError, ["stride"]),
    (lambda: helpers.avg_pool2d(np.ones((1, 4)), 2), ValueError, ["does not fit"]),
    (lambda: helpers.avg_pool2d(np.ones(4), 2), ValueError, ["(H, W)"]),
    (lambda: helpers.max_pool2d(np.ones((4, 4)), 2.5), TypeError, ["kernel_size", "2.5"]),
])
def test_bad_pool_input(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value)


# ----------------------------------------------------------------------------- empty batches and NaN, as torch
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                    dict(kernel_size=(2, 3), stride=(1, 2))])
def test_an_empty_batch_gives_an_empty_result_like_torch(kwargs):
    x = np.zeros((0, 3, 6, 7))
    for ours, theirs in ((helpers.max_pool2d, F.max_pool2d), (helpers.avg_pool2d, F.avg_pool2d)):
        want = theirs(torch.from_numpy(x), **kwargs)
        got = ours(x, **kwargs)
        assert got.shape == tuple(want.shape) and got.dtype == np.float64
    assert helpers.max_pool2d(np.zeros((0, 1, 4, 4), dtype=np.int64), 2, padding=1).dtype == np.int64


@pytest.mark.parametrize("shape", [(1, 0, 4, 4), (0, 4, 4), (1, 1, 0, 4), (0, 4)])
def test_other_empty_axes_are_refused_as_torch_refuses_them(shape):
    with pytest.raises(RuntimeError):
        F.max_pool2d(torch.zeros(shape if len(shape) > 2 else (1,) + shape), 2)
    with pytest.raises(ValueError, match=r"x is empty \(shape"):
        helpers.max_pool2d(np.zeros(shape), 2)


def test_nan_wins_its_window_like_torch():
    x = np.array([[[[1.0, np.nan, 0.0, 2.0], [3.0, 2.0, 5.0, 1.0]]]])
    np.testing.assert_array_equal(helpers.max_pool2d(x, 2), F.max_pool2d(torch.from_numpy(x), 2).numpy())
    np.testing.assert_array_equal(helpers.avg_pool2d(x, 2), F.avg_pool2d(torch.from_numpy(x), 2).numpy())


@pytest.mark.parametrize("kernel_size, exc, words", [
    ("2", TypeError, ["kernel_size", "the text '2'", "without quotes"]),
    (np.int64(2), None, []),
    ((2, 2, 2), ValueError, ["kernel_size", "2 ints"]),
    (None, TypeError, ["kernel_size", "None"]),
    (True, TypeError, ["kernel_size", "True"]),
])
def test_kernel_size_of_the_wrong_kind(kernel_size, exc, words):
    x = np.arange(16.0).reshape(4, 4)
    if exc is None:
        np.testing.assert_array_equal(helpers.max_pool2d(x, kernel_size), helpers.max_pool2d(x, 2))
        return
    with pytest.raises(exc) as info:
        helpers.max_pool2d(x, kernel_size)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
