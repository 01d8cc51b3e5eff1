"""Tests of helpers.explorers.channels: kernels per (output, input) channel pair, notebook 04.

Oracles: torch.nn.functional.conv2d (the whole layer, and each channel pair on its own), the seed
lecture's hand-worked vertical-edge output, and a hand-computed two-channel example.
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.explorers.channels import (
    CHANNEL_NAMES,
    DEFAULT_CHOICE,
    KERNEL_BANK,
    ChannelExplorer,
    channel_maps,
    kernel_stack,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

SEED_IMAGE = np.array([[0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1], [0, 1, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0]])


def torch_conv(x, w):
    return F.conv2d(torch.tensor(np.asarray(x, dtype=np.float64))[None],
                    torch.tensor(np.asarray(w, dtype=np.float64)))[0].numpy()


@pytest.fixture(scope="module")
def explorer():
    return ChannelExplorer()


# --------------------------------------------------------------------------- the pure core
@settings(max_examples=50, deadline=None)
@given(c_in=st.integers(1, 4), c_out=st.integers(1, 3), h=st.integers(3, 9), w=st.integers(3, 9),
       k=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_channel_maps_against_torch(c_in, c_out, h, w, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c_in, h, w))
    wt = rng.normal(size=(c_out, c_in, k, k))
    r = channel_maps(x, wt)
    np.testing.assert_allclose(r["feature_maps"], torch_conv(x, wt), rtol=1e-10, atol=1e-10)
    for o in range(c_out):
        for c in range(c_in):        # each pair alone: a one-channel, one-kernel torch conv
            alone = torch_conv(x[c:c + 1], wt[o:o + 1, c:c + 1])[0]
            np.testing.assert_allclose(r["contributions"][o, c], alone, rtol=1e-10, atol=1e-10)
    assert r["output_shape"] == (c_out, h - k + 1, w - k + 1)
    assert r["n_params"] == c_out * (c_in * k * k + 1)


def test_two_channel_example_by_hand():
    """2 channels of 3×3, one 2×2×2 kernel: every output is the sum of two 2×2 dot products."""
    x = np.array([[[1, 2, 0], [0, 1, 3], [2, 1, 0]],
                  [[0, 1, 1], [2, 0, 1], [1, 1, 0]]])
    w = np.array([[[[1, 0], [0, -1]], [[0, 1], [1, 0]]]])
    # out[0,0] = (1·1 + 1·(−1)) + (1·1 + 2·1) = 0 + 3; out[0,1] = (2 − 3) + (1 + 0) = 0;
    # out[1,0] = (0 − 1) + (0 + 1) = 0;       out[1,1] = (1 − 0) + (1 + 1) = 3
    r = channel_maps(x, w)
    assert r["feature_maps"].tolist() == [[[3, 0], [0, 3]]]
    assert r["contributions"][0, 0].tolist() == [[0, -1], [-1, 1]]
    assert r["contributions"][0, 1].tolist() == [[3, 1], [1, 2]]


def test_seed_kernels_on_the_seed_image():
    w = np.stack([KERNEL_BANK["vertical edge"], KERNEL_BANK["horizontal edge"]])[:, None]   # (2, 1, 3, 3)
    r = channel_maps(SEED_IMAGE[None], w)
    assert r["output_shape"] == (2, 3, 4)
    assert r["feature_maps"][0].tolist() == [[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]]   # the lecture
    np.testing.assert_allclose(r["feature_maps"], torch_conv(SEED_IMAGE[None], w))


def test_kernel_bank():
    assert KERNEL_BANK["vertical edge"].tolist() == [[-1, 2, -1]] * 3
    assert np.array_equal(KERNEL_BANK["horizontal edge"], KERNEL_BANK["vertical edge"].T)
    assert KERNEL_BANK["blur"].sum() == pytest.approx(1) and KERNEL_BANK["sharpen"].sum() == 1
    assert KERNEL_BANK["identity"].sum() == 1 and KERNEL_BANK["negate"].sum() == -1
    assert all(k.shape == (3, 3) for k in KERNEL_BANK.values())


def test_kernel_stack_places_each_choice():
    w = kernel_stack({**DEFAULT_CHOICE, "k02": "blur", "k10": "sharpen"})
    assert w.shape == (2, 3, 3, 3)
    assert np.array_equal(w[0, 2], KERNEL_BANK["blur"]) and np.array_equal(w[1, 0], KERNEL_BANK["sharpen"])
    assert np.array_equal(w[0, 0], KERNEL_BANK["vertical edge"]) and np.array_equal(w[1, 2], np.zeros((3, 3)))


def test_kernel_stack_names_ignore_case_and_spaces():
    w = kernel_stack({"k10": " Negate", "k12": "Vertical  Edge "})
    assert np.array_equal(w[1, 0], KERNEL_BANK["negate"]) and np.array_equal(w[1, 2], KERNEL_BANK["vertical edge"])
    with pytest.raises(ValueError, match="k11 must be one of"):
        kernel_stack({"k11": "minus"})


# --------------------------------------------------------------------------- the explorer's state
def test_compute_on_the_photo_against_torch(explorer):
    from helpers.images import load_photo

    photo = load_photo(size=64)
    for choice in [DEFAULT_CHOICE, {"k00": "blur", "k11": "horizontal edge", "k12": "sharpen"}]:
        r = explorer.compute(**choice)
        np.testing.assert_allclose(r["feature_maps"], torch_conv(photo, r["weight"]), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(r["contributions"].sum(axis=1), r["feature_maps"], rtol=1e-9, atol=1e-9)
    assert r["input_shape"] == (3, 75, 64) and r["output_shape"] == (2, 73, 62) and r["n_params"] == 56


def test_red_minus_green_default(explorer):
    """Output 1 of the default choice is R − G at every interior pixel (identity on R, negate on G)."""
    from helpers.images import load_photo

    photo = load_photo(size=64)
    r = explorer.compute(**DEFAULT_CHOICE)
    np.testing.assert_allclose(r["feature_maps"][1], (photo[0] - photo[1])[1:-1, 1:-1], atol=1e-12)


def test_identity_everywhere_sums_the_channels():
    from helpers.images import load_photo

    ex = ChannelExplorer(**{k: "identity" for k in DEFAULT_CHOICE})
    r = ex.compute(**ex.state)
    photo = load_photo(size=64)
    np.testing.assert_allclose(r["feature_maps"][0], photo.sum(axis=0)[1:-1, 1:-1], atol=1e-12)


def test_own_image():
    img = np.random.default_rng(0).random((3, 20, 30))
    ex = ChannelExplorer(img, k00="blur")
    r = ex.compute(**ex.state)
    assert r["output_shape"] == (2, 18, 28)
    np.testing.assert_allclose(r["feature_maps"], torch_conv(img, r["weight"]), atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match=r"k01 must be one of .*'blur'.*got 'sobel'"):
        ChannelExplorer(k01="sobel")
    with pytest.raises(TypeError, match="k<output><input>"):
        ChannelExplorer(k30="blur")
    with pytest.raises(ValueError, match=r"\(3, H, W\).*transpose\(2, 0, 1\)"):
        ChannelExplorer(np.zeros((20, 20, 3)))
    with pytest.raises(ValueError, match="between 8 and 256"):
        ChannelExplorer(np.zeros((3, 5, 40)))
    with pytest.raises(ValueError, match="input channels"):
        channel_maps(np.zeros((2, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"\(C_in, H, W\)"):
        channel_maps(np.zeros((5, 5)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="kernel 6×6 does not fit"):
        channel_maps(np.zeros((1, 5, 5)), np.zeros((1, 1, 6, 6)))


# --------------------------------------------------------------------------- the view
def test_draw_shows_the_state():
    ex = ChannelExplorer()
    png = ex.update(k01="blur", k12="horizontal edge")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    r = ex.compute(**ex.state)
    assert np.array_equal(ex.contrib_im[0][1].get_array(), r["contributions"][0, 1])
    assert np.array_equal(ex.map_im[1].get_array(), r["feature_maps"][1])
    assert ex.contrib_title[0][1].get_text() == "G ∗ blur"
    assert ex.contrib_title[1][2].get_text() == "B ∗ horizontal edge"
    lo, hi = ex.map_im[0].get_clim()
    assert lo == -hi and hi > 0                      # white is zero
    assert "2×3×3×3" in ex.caption.get_text() and "2×73×62" in ex.caption.get_text()


def test_update_changes_the_picture_and_comes_back():
    ex = ChannelExplorer()
    a = ex.update(k00="vertical edge")
    b = ex.update(k00="blur")
    c = ex.update(k00="vertical edge")
    assert a != b and a == c


def test_widget_has_one_dropdown_per_pair():
    pytest.importorskip("ipywidgets")
    ex = ChannelExplorer()
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    assert sorted(ctrls) == sorted(DEFAULT_CHOICE)
    assert ctrls["k12"].description == f"out 1 ← {CHANNEL_NAMES[2]}"
    before = box.children[1].value
    ctrls["k10"].value = "blur"
    assert ex.state["k10"] == "blur" and box.children[1].value != before


def test_widget_starts_where_the_explorer_starts():
    ex = ChannelExplorer(k00="blur", k12="identity")
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    assert {name: c.value for name, c in ctrls.items()} == {**DEFAULT_CHOICE, "k00": "blur", "k12": "identity"}
    assert ex.state == {**DEFAULT_CHOICE, "k00": "blur", "k12": "identity"}
