"""Size formulas against the shapes torch actually produces."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 4), st.integers(0, 4), st.integers(1, 3))
def test_conv_output_size_matches_torch(i, k, s, p, d):
    x = torch.zeros(1, 1, 1, i)
    w = torch.zeros(1, 1, 1, k)
    try:
        expected = F.conv2d(x, w, stride=(1, s), padding=(0, p), dilation=(1, d)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="does not fit"):
            helpers.conv_output_size(i, k, s, p, d)
        return
    assert helpers.conv_output_size(i, k, s, p, d) == expected
    assert helpers.conv_output_formula(i, k, s, p, d).endswith(f"= {expected}")


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(0, 3),
       st.integers(1, 3))
def test_conv_transpose_output_size_matches_torch(i, k, s, p, op, d):
    x = torch.zeros(1, 1, 1, i)
    w = torch.zeros(1, 1, 1, k)
    try:
        expected = F.conv_transpose2d(x, w, stride=(1, s), padding=(0, p), output_padding=(0, op),
                                      dilation=(1, d)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            helpers.conv_transpose_output_size(i, k, s, p, op, d)
        return
    assert helpers.conv_transpose_output_size(i, k, s, p, op, d) == expected


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 6), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 3))
def test_pool_output_size_matches_torch(i, k, s, p):
    x = torch.zeros(1, 1, 1, i)
    try:
        expected = F.max_pool2d(x, (1, k), stride=None if s is None else (1, s), padding=(0, p)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            helpers.pool_output_size(i, k, s, p)
        return
    assert helpers.pool_output_size(i, k, s, p) == expected


def test_seed_dimension_walk():
    # 3×50×70 → 10×48×68 → 10×24×34 → 10×22×32 → 10×11×16 → 1760
    h, w = 50, 70
    h, w = helpers.conv_output_size(h, 3), helpers.conv_output_size(w, 3)
    assert (h, w) == (48, 68)
    h, w = helpers.pool_output_size(h, 2), helpers.pool_output_size(w, 2)
    assert (h, w) == (24, 34)
    h, w = helpers.conv_output_size(h, 3), helpers.conv_output_size(w, 3)
    assert (h, w) == (22, 32)
    h, w = helpers.pool_output_size(h, 2), helpers.pool_output_size(w, 2)
    assert (h, w) == (11, 16)
    assert 10 * h * w == 1760


def test_size_errors_name_the_argument():
    with pytest.raises(TypeError, match="stride"):
        helpers.conv_output_size(5, 3, stride=0.5)
    with pytest.raises(ValueError, match="kernel_size 7 does not fit"):
        helpers.conv_output_size(5, 7)
    with pytest.raises(ValueError, match="output_padding"):
        helpers.conv_transpose_output_size(4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="more than half"):
        helpers.pool_output_size(8, 2, padding=2)
