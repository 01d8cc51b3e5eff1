"""Tests of helpers.explorers.conv2d: the kernel stepper of notebook 02.

Oracles: the seed lecture's hand-worked 5×6 example, torch.nn.functional.conv2d, and plain
index arithmetic written out here (never the module's own output).
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.explorers.conv2d import KERNELS, SEED_IMAGE, KernelStepper, kernel_step, photo_crop

torch = pytest.importorskip("torch")
F = torch.nn.functional

SEED_KERNEL = np.array([[-1, 2, -1]] * 3)
SEED_OUTPUT = np.array([[3, -1, 0, 0], [5, -2, 0, 0], [3, -1, 0, 0]])   # worked by hand in the lecture


def torch_conv(x, w):
    t = F.conv2d(torch.tensor(np.asarray(x, dtype=np.float64))[None, None],
                 torch.tensor(np.asarray(w, dtype=np.float64))[None, None])
    return t[0, 0].numpy()


@pytest.fixture(scope="module")
def stepper():
    return KernelStepper(my_kernel=[[0, 1, 0], [1, -4, 1], [0, 1, 0]])


# --------------------------------------------------------------------------- the pure core
def test_seed_example_every_step():
    for step in range(12):
        s = kernel_step(SEED_IMAGE, SEED_KERNEL, step)
        row, col = divmod(step, 4)
        assert (s["row"], s["col"]) == (row, col)
        assert s["sum"] == SEED_OUTPUT[row, col]
        done = s["output_so_far"].ravel()
        assert np.array_equal(done[:step + 1], SEED_OUTPUT.ravel()[:step + 1])
        assert np.isnan(done[step + 1:]).all()
    assert np.array_equal(kernel_step(SEED_IMAGE, SEED_KERNEL, 11)["output_so_far"], SEED_OUTPUT)


def test_seed_example_worked_entries():
    """The two entries worked out by hand in notebook 02: out[0, 0] = 3 and out[1, 0] = 5."""
    s = kernel_step(SEED_IMAGE, SEED_KERNEL, 0)
    assert s["patch"].tolist() == [[0, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert s["products"].tolist() == [[0, 0, 0], [0, 2, 0], [0, 2, -1]]
    assert s["sum"] == 3 and isinstance(s["sum"], int)
    s = kernel_step(SEED_IMAGE, SEED_KERNEL, 4)
    assert s["patch"].tolist() == [[0, 1, 0], [0, 1, 1], [0, 1, 0]]
    assert s["products"].tolist() == [[0, 2, 0], [0, 2, -1], [0, 2, 0]]
    assert s["sum"] == 5


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 5), kw=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1), data=st.data())
def test_against_torch(h, w, kh, kw, seed, data):
    kh, kw = min(kh, h), min(kw, w)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w))
    k = rng.normal(size=(kh, kw))
    expected = torch_conv(x, k)
    oh, ow = expected.shape
    step = data.draw(st.integers(0, oh * ow - 1))
    s = kernel_step(x, k, step)
    row, col = step // ow, step % ow
    assert (s["row"], s["col"]) == (row, col)
    assert s["output_shape"] == (oh, ow) and s["n_steps"] == oh * ow
    assert np.array_equal(s["patch"], x[row:row + kh, col:col + kw])
    np.testing.assert_allclose(s["products"], x[row:row + kh, col:col + kw] * k)
    np.testing.assert_allclose(s["sum"], expected[row, col], rtol=1e-12, atol=1e-12)
    so_far = s["output_so_far"]
    filled = ~np.isnan(so_far)
    assert filled.sum() == step + 1
    assert filled.ravel()[:step + 1].all()
    np.testing.assert_allclose(so_far[filled], expected[filled], rtol=1e-12, atol=1e-12)


def test_integer_inputs_stay_exact():
    s = kernel_step(SEED_IMAGE, SEED_KERNEL, 5)
    assert s["products"].dtype.kind == "i"
    assert s["sum"] == -2


def test_result_does_not_alias_input():
    x = SEED_IMAGE.copy()
    s = kernel_step(x, SEED_KERNEL, 0)
    s["patch"][:] = 7
    assert np.array_equal(x, SEED_IMAGE)


@pytest.mark.parametrize("step, match", [(12, r"between 0 and 11.*12 positions"),
                                         (-1, "step must be 0 or more"), (2.5, "whole number")])
def test_bad_step(step, match):
    with pytest.raises((ValueError, TypeError), match=match):
        kernel_step(SEED_IMAGE, SEED_KERNEL, step)


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"kernel 6×3 does not fit in the image 5×6"):
        kernel_step(SEED_IMAGE, np.ones((6, 3)), 0)
    with pytest.raises(ValueError, match="2-D"):
        kernel_step(SEED_IMAGE[None], SEED_KERNEL, 0)
    with pytest.raises(TypeError, match="x is the text"):
        kernel_step("image", SEED_KERNEL, 0)


def test_photo_crop_is_the_flagpole():
    from helpers.images import load_photo

    crop = photo_crop()
    assert crop.shape == (8, 8) and crop.dtype.kind == "i"
    assert crop.min() >= 0 and crop.max() <= 9
    # independent reading of the same pixels of the photo
    gray = load_photo(gray=True, size=64)
    np.testing.assert_array_equal(crop, np.rint(gray[3:11, 15:23] * 9))
    # the pole: column 2 is brighter than its neighbours all the way down
    assert (crop[:, 2] > crop[:, 1]).all() and (crop[:, 2] > crop[:, 3]).all()
    # so the seed's vertical-line kernel answers most strongly on the pole (output column 1)
    out = torch_conv(crop, SEED_KERNEL)
    assert set(np.argmax(out, axis=1)) == {1}
    crop[0, 0] = 99
    assert photo_crop()[0, 0] != 99       # callers get a copy


# --------------------------------------------------------------------------- the explorer's state
@pytest.mark.parametrize("image", ["seed", "photo", "mine"])
@pytest.mark.parametrize("kernel", ["vertical", "horizontal", "box blur", "gaussian blur", "mine"])
def test_compute_every_option_against_torch(stepper, image, kernel):
    x = {"seed": SEED_IMAGE, "photo": photo_crop(), "mine": None}[image]
    ex = stepper if image != "mine" else KernelStepper(my_kernel=[[0, 1, 0], [1, -4, 1], [0, 1, 0]],
                                                       my_image=np.arange(42).reshape(6, 7) % 5)
    x = ex.images["mine"] if x is None else x
    w = {"mine": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])}.get(kernel, KERNELS.get(kernel))
    expected = torch_conv(x, w)
    last = expected.size - 1
    s = ex.compute(image=image, kernel=kernel, step=last)
    np.testing.assert_allclose(s["output_so_far"], expected, rtol=1e-12, atol=1e-12)


def test_kernel_bank_matches_the_lecture():
    assert KERNELS["vertical"].tolist() == [[-1, 2, -1]] * 3
    assert np.array_equal(KERNELS["horizontal"], KERNELS["vertical"].T)
    assert KERNELS["box blur"].sum() == pytest.approx(1)
    assert KERNELS["gaussian blur"].sum() == pytest.approx(1)


def test_constrain_clamps_step_when_the_image_shrinks():
    ex = KernelStepper()
    ex.set_state(image="photo", step=30)           # 36 positions on the 8×8 crop
    assert ex.state["step"] == 30
    ex.set_state(image="seed")                     # only 12 on the 5×6 image
    assert ex.state["step"] == 11
    assert ex.constrain({"image": "seed", "kernel": "vertical", "step": -4})["step"] == 0


def test_bad_options():
    ex = KernelStepper()
    with pytest.raises(ValueError, match=r"image must be one of \['photo', 'seed'\], got 'cat'"):
        ex.compute(image="cat")
    with pytest.raises(ValueError, match=r"KernelStepper\(my_kernel="):
        ex.compute(kernel="mine")
    with pytest.raises(ValueError, match=r"my_kernel has shape 6×6; at most 5×5"):
        KernelStepper(my_kernel=np.ones((6, 6)))
    with pytest.raises(ValueError, match="my_kernel must be a 2-D array"):
        KernelStepper(my_kernel=[1, 2, 3])
    with pytest.raises(TypeError, match="my_kernel is the text"):
        KernelStepper(my_kernel="sobel")
    with pytest.raises(ValueError, match="my_image has shape 3×3; it must be at least 5×5"):
        KernelStepper(my_image=np.ones((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        KernelStepper(my_kernel=[[np.nan, 1], [1, 1]])


# --------------------------------------------------------------------------- the view
def test_draw_shows_the_state():
    ex = KernelStepper()
    png = ex.update(image="seed", kernel="vertical", step=5)      # row 1, column 1: -2
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.patch_box.get_xy() == (0.5, 0.5) and ex.out_box.get_xy() == (0.5, 0.5)
    assert np.array_equal(ex.im["p"].get_array(), SEED_IMAGE[1:4, 1:4] * SEED_KERNEL)
    assert ex.texts["out"][1, 1].get_text() == "−2" and ex.texts["out"][1, 1].get_visible()
    assert not ex.texts["out"][1, 2].get_visible()                 # not reached yet
    assert ex.texts["in"][2, 5].get_text() == "1"
    assert "out[1, 1]" in ex.caption.get_text() and ex.caption.get_text().endswith("= −2")
    ex.update(image="photo", kernel="box blur", step=35)
    assert ex.patch_box.get_xy() == (4.5, 4.5)
    assert ex.texts["out"][5, 5].get_visible() and ex.texts["in"][7, 7].get_visible()
    assert ex.titles["in"].get_text() == "input x (8×8)"


def test_update_redraws_changed_pixels():
    ex = KernelStepper()
    a = ex.update(step=0)
    b = ex.update(step=1)
    c = ex.update(step=0)
    assert a != b and a == c           # the cached background does not leak the previous step


def test_widget_slider_follows_the_image():
    ipywidgets = pytest.importorskip("ipywidgets")
    ex = KernelStepper()
    box = ex.widget()
    ctrls = {getattr(c, "description_name", type(c).__name__): c for c in box.children[0].children}
    slider, image = ctrls["step"], ctrls["image"]
    assert slider.max == 11
    image.value = "photo"
    assert slider.max == 35
    before = box.children[1].value
    slider.value = 20
    assert ex.state["step"] == 20 and box.children[1].value != before
    image.value = "seed"
    assert slider.max == 11 and slider.value == 11 and ex.state["step"] == 11
    assert any(isinstance(c, ipywidgets.Play) for c in box.children[0].children)


# --- the ▶ button: a live page must not move the slider back to 0 ---------------------------------------------

from test_explorers_contract import link_as_the_page_does  # noqa: E402


def _controls(box):
    return {getattr(c, "description_name", type(c).__name__): c for c in box.children[0].children}


def test_the_play_button_still_drives_the_slider():
    ex = KernelStepper(image="photo", step=7)
    box = ex.widget()
    ctrls = _controls(box)
    link_as_the_page_does(box)
    shown = ex._image.value
    ctrls["Play"].value = 8                            # one tick of ▶
    assert ctrls["step"].value == 8 and ex.state["step"] == 8 and ex._image.value != shown
    ctrls["step"].value = 30                           # dragging the slider moves the button too
    assert ctrls["Play"].value == 30
    ctrls["image"].value = "seed"                      # 12 positions: the button's range follows
    assert ctrls["Play"].max == ctrls["step"].max == 11 and ctrls["Play"].value == 11
