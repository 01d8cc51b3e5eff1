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


def test_draw_boxes_places_rectangles_on_pixel_edges(ax):
    patches = plot.draw_boxes(ax, [[1, 2, 4, 6], [0, 0, 1, 1]], "red")
    assert len(patches) == 2
    assert patches[0].get_xy() == (1.5, 0.5) and patches[0].get_width() == 4 and patches[0].get_height() == 3


def test_show_image_takes_one_channel(ax):
    plot.show_image(ax, np.zeros((1, 4, 5)), "scene")
    assert ax.images[0].get_array().shape == (4, 5)


@pytest.mark.parametrize("call, words", [
    (lambda ax: plot.show_matrix(ax, np.zeros((2, 3, 3))), ["a must be a matrix", "(2, 3, 3)", "a[c]"]),
    (lambda ax: plot.show_images(np.zeros((2, 3, 4, 4))), ["images", "(n, H, W)"]),
    (lambda ax: plot.show_images(np.zeros((2, 4, 4)), titles=["x"]), ["one text per image"]),
    (lambda ax: plot.draw_boxes(ax, [1, 2, 3], "red"), ["top, left, bottom, right"]),
    (lambda ax: plot.show_image(ax, np.zeros((3, 4, 4))), ["image", "(H, W)"]),
])
def test_bad_input_is_explained(ax, call, words):
    with pytest.raises(ValueError) as info:
        call(ax)
    for w in words:
        assert w in str(info.value)
