"""helpers.plot: what each figure shows (numbers, colours, boxes), and bad input explained."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plot  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_show_matrix_writes_every_number_with_a_real_minus(ax):
    a = np.array([[-1, 2, -1], [0, 0.5, 3]])
    plot.show_matrix(ax, a, "kernel")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["−1", "2", "−1", "0", "0.5", "3"]
    assert ax.get_title() == "kernel"


def test_show_matrix_text_is_white_on_dark_cells(ax):
    plot.show_matrix(ax, np.array([[0, 1]]), cmap="gray")       # 0 is black in "gray", 1 white
    assert [t.get_color() for t in ax.texts] == ["white", "black"]


def test_show_matrix_diverging_maps_are_symmetric_and_pale(ax):
    plot.show_matrix(ax, np.array([[-1, 2]]), cmap="RdBu_r")
    assert ax.images[0].get_clim() == (-3.2, 3.2)
    assert ax.texts[0].get_color() == "black"                    # −1: a pale blue cell


@pytest.mark.parametrize("cmap", ["RdBu_r", "RdBu", "coolwarm"])
def test_show_matrix_pale_diverging_default_writes_every_number_in_black(ax, cmap):
    plot.show_matrix(ax, np.array([[-3, -1, 0, 2, 3]]), cmap=cmap)
    assert {t.get_color() for t in ax.texts} == {"black"}


def test_show_matrix_saturated_limits_write_white_on_the_extremes(ax):
    plot.show_matrix(ax, np.array([[-2, -1, 0, 1, 2]]), cmap="RdBu_r", vmin=-2, vmax=2)
    assert [t.get_color() for t in ax.texts] == ["white", "black", "black", "black", "white"]


def test_show_matrix_outlines_pooling_windows(ax):
    plot.show_matrix(ax, np.arange(16).reshape(4, 4), windows=2)
    assert len(ax.patches) == 4


def test_show_matrix_constant_matrix_and_custom_format(ax):
    plot.show_matrix(ax, np.full((2, 2), 7.0), fmt=lambda v: f"{v:.1f}", ticks=False)
    assert [t.get_text() for t in ax.texts] == ["7.0"] * 4
    assert list(ax.get_xticks()) == []


def test_show_images_grid_and_titles():
    imgs = np.random.default_rng(0).random((5, 1, 8, 8))
    fig = plot.show_images(imgs, titles=list("abcde"), ncols=3)
    axes = fig.axes
    assert len(axes) == 6 and [a.get_title() for a in axes[:5]] == list("abcde")
    assert not axes[5].axison
    plt.close(fig)


def test_show_images_colour_channels_first_or_last_grey_with_its_colour_map():
    rgb = np.random.default_rng(0).random((3, 4, 5, 3))                  # (n, H, W, 3), as matplotlib keeps it
    for images in (rgb, rgb.transpose(0, 3, 1, 2)):                       # and (n, 3, H, W), as CIFAR-10 comes
        fig = plot.show_images(images, ncols=3)
        shown = [ax.images[0].get_array() for ax in fig.axes]
        assert all(a.shape == (4, 5, 3) for a in shown)
        assert np.array_equal(shown[1], rgb[1])
        plt.close(fig)
    fig = plot.show_images(np.zeros((2, 1, 4, 4)), cmap="RdBu_r", vmin=-0.1, vmax=0.1, suptitle="kernels")
    assert fig.axes[0].images[0].get_clim() == (-0.1, 0.1)
    assert fig.axes[0].images[0].get_cmap().name == "RdBu_r"
    assert fig._suptitle.get_text() == "kernels"
    plt.close(fig)


def test_draw_boxes_places_rectangles_on_pixel_edges(ax):
    patches = plot.draw_boxes(ax, [[1, 2, 4, 6], [0, 0, 1, 1]], "red")
    assert len(patches) == 2
    assert patches[0].get_xy() == (1.5, 0.5) and patches[0].get_width() == 4 and patches[0].get_height() == 3


def test_draw_pushes_one_line_per_use_of_a_weight_and_the_sums_of_the_pushes(ax):
    x, g = np.array([0.0, 1, -1, 1, 1]), np.array([2.0, 0, -1, -3])
    totals = plot.draw_pushes(ax, x, g, "example")
    oracle = np.correlate(x, g, mode="valid")           # ∂L/∂w_k = Σ_i g_i · x_{i+k}
    assert totals.tolist() == oracle.tolist() == [-2.0, -2.0]
    assert len(ax.lines) == len(g) * 2                  # K = 5 − 4 + 1 = 2 weights, each used at 4 outputs
    pushes = [ln for ln in ax.lines if ln.get_color() == "tab:orange"]
    assert [ln.get_alpha() for ln in pushes] == [1.0, 0.35, 1.0, 1.0]      # g_1 = 0: a faint line
    texts = [t.get_text() for t in ax.texts]
    assert "−3" in texts and "+2" in texts and "x2=−1" in texts and "∂L/∂c2=−1" in texts
    assert "-" not in "".join(texts)                    # real minus signs only
    assert ax.get_title() == "example\n∂L/∂w₀ = −2,  ∂L/∂w₁ = −2"


def test_draw_pushes_three_weights_and_a_zero_sum(ax):
    x, g = np.arange(6.0), np.array([1.0, -1, 2, -1])
    totals = plot.draw_pushes(ax, x, g)
    assert totals.tolist() == np.correlate(x, g, mode="valid").tolist() == [0.0, 1.0, 2.0]
    assert len(ax.lines) == 4 * 3
    assert ax.get_title() == "∂L/∂w₀ = 0,  ∂L/∂w₁ = +1,  ∂L/∂w₂ = +2"
    plot.draw_pushes(ax, [0, 1, 0, 1, 1], [-2, 0, 2, 0])                  # −0 is written as 0
    assert ax.get_title() == "∂L/∂w₀ = 0,  ∂L/∂w₁ = 0"


def test_show_image_takes_one_channel(ax):
    plot.show_image(ax, np.zeros((1, 4, 5)), "scene")
    assert ax.images[0].get_array().shape == (4, 5)


@pytest.mark.parametrize("call, words", [
    (lambda ax: plot.show_matrix(ax, np.zeros((2, 3, 3))), ["a must be a matrix", "(2, 3, 3)", "a[c]"]),
    (lambda ax: plot.show_images(np.zeros((2, 2, 4, 4))), ["images", "(n, H, W)", "(2, 2, 4, 4)"]),
    (lambda ax: plot.show_images(np.zeros((2, 4, 4)), titles=["x"]), ["one text per image"]),
    (lambda ax: plot.draw_boxes(ax, [1, 2, 3], "red"), ["top, left, bottom, right"]),
    (lambda ax: plot.show_image(ax, np.zeros((3, 4, 4))), ["image", "(H, W)"]),
    (lambda ax: plot.draw_pushes(ax, [1, 2], [1, 2, 3]), ["len(grad_c) ≤ len(x)", "(2,)", "(3,)"]),
    (lambda ax: plot.draw_pushes(ax, np.zeros(9), [1, 2]), ["at most 5 weights", "= 8"]),
])
def test_bad_input_is_explained(ax, call, words):
    with pytest.raises(ValueError) as info:
        call(ax)
    for w in words:
        assert w in str(info.value)
