"""helpers.explorers.animation: geometry against torch (unfold, autograd, conv_transpose2d) and the seed's numbers."""

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from helpers.explorers.animation import (
    CONV_ARITHMETIC_CASES,
    ConvDiagram,
    animation_html,
    conv_animation,
    conv_geometry,
    draw_conv,
)
from helpers.sizes import conv_output_size, conv_transpose_output_size

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")

SEED_X = np.arange(1, 17).reshape(4, 4)
SEED_W = np.array([[1, 1], [0, 2]])
SEED_OUT = np.array([[2, 6, 0], [23, 35, 8], [13, 29, 16]])   # seed 002, worked by hand


def conv_configs():
    return st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 4),
                     st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3),
                     st.integers(1, 3), st.integers(1, 3))


def _fits(h, w, kh, kw, ph, pw, dh, dw):
    return h + 2 * ph >= dh * (kh - 1) + 1 and w + 2 * pw >= dw * (kw - 1) + 1


@settings(max_examples=80, deadline=None)
@given(conv_configs())
def test_conv_windows_match_torch_unfold(cfg):
    h, w, kh, kw, sh, sw, ph, pw, dh, dw = cfg
    assume(_fits(h, w, kh, kw, ph, pw, dh, dw))
    g = conv_geometry((h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    # torch: unfold an image of padded-grid indices; column j lists the cells under the taps at step j
    hp, wp = h + 2 * ph, w + 2 * pw
    index = torch.arange(hp * wp, dtype=torch.float64).reshape(1, 1, hp, wp)
    cols = F.unfold(index, (kh, kw), dilation=(dh, dw), stride=(sh, sw)).long()[0]
    out = F.conv2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), stride=(sh, sw), padding=(ph, pw),
                   dilation=(dh, dw)).shape[-2:]
    assert g.out_shape == tuple(out)
    assert g.grid_shape == (hp, wp)
    n_out = conv_output_size(h, kh, sh, ph, dh) * conv_output_size(w, kw, sw, pw, dw)
    assert len(g.frames) == cols.shape[1] == n_out
    for j in range(len(g.frames)):
        rows, cs = g.window(j)
        mine = sorted(r * wp + c for r in rows for c in cs)
        assert mine == sorted(cols[:, j].tolist())


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_conv_coverage_is_the_gradient_of_a_ones_kernel(cfg):
    h, w, kh, kw, sh, sw, ph, pw, dh, dw = cfg
    assume(_fits(h, w, kh, kw, ph, pw, dh, dw))
    g = conv_geometry((h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    xp = torch.zeros(1, 1, h + 2 * ph, w + 2 * pw, dtype=torch.float64, requires_grad=True)
    ones = torch.ones(1, 1, kh, kw, dtype=torch.float64)
    F.conv2d(xp, ones, stride=(sh, sw), dilation=(dh, dw)).sum().backward()
    expected = xp.grad[0, 0].numpy()
    np.testing.assert_array_equal(g.coverage(), expected)
    unused_rows = [r for r in range(h + 2 * ph) if not expected[r].any()]
    assert list(g.rows.unused) == unused_rows


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 2))
def test_transposed_geometry_matches_torch(i, k, s, p, op, d):
    assume(op < max(s, d))
    x = torch.ones(1, 1, i, i, dtype=torch.float64)
    w = torch.ones(1, 1, k, k, dtype=torch.float64)
    try:
        counts = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0].numpy()
    except RuntimeError:
        with pytest.raises(ValueError):
            conv_geometry(i, k, s, p, d, transposed=True, output_padding=op)
        return
    g = conv_geometry(i, k, s, p, d, transposed=True, output_padding=op)
    assert g.out_shape == counts.shape == (conv_transpose_output_size(i, k, s, p, op, d),) * 2
    assert len(g.frames) == i * i
    kept = g.coverage()[p:p + counts.shape[0], p:p + counts.shape[1]]
    np.testing.assert_array_equal(kept, counts)
    # each input pixel stamps the kernel onto exactly the cells its window lists (uncropped output)
    full = F.conv_transpose2d(torch.zeros(1, 1, i, i, dtype=torch.float64), w, stride=s, output_padding=op,
                              dilation=d)
    assert g.grid_shape == tuple(full.shape[-2:])
    for j, (r, c) in enumerate(g.frames):
        one = torch.zeros(1, 1, i, i, dtype=torch.float64)
        one[0, 0, r, c] = 1
        stamp = F.conv_transpose2d(one, w, stride=s, output_padding=op, dilation=d)[0, 0].numpy()
        rows, cols = g.window(j)
        expected = np.zeros_like(stamp)
        expected[np.ix_(rows, cols)] = 1
        np.testing.assert_array_equal(stamp, expected)


def test_checkerboard_overlap_for_k3_s2():
    """k = 3 is not divisible by s = 2: the overlap count alternates 1, 2, 4 (torch agrees)."""
    g = conv_geometry(4, 3, stride=2, transposed=True)
    counts = F.conv_transpose2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=2)[0, 0].numpy()
    np.testing.assert_array_equal(g.coverage(), counts)
    assert counts[1:-1, 1:-1].min() == 1 and counts[1:-1, 1:-1].max() == 4
    even = conv_geometry(4, 4, stride=2, transposed=True).coverage()
    assert set(np.unique(even[2:-2, 2:-2])) == {4}        # k divisible by s: an even interior


def test_conv_arithmetic_cases_have_the_guides_output_sizes():
    # Dumoulin & Visin, figures 2.1–2.7 and 5.1: output sizes printed in the guide
    expected = [2, 6, 5, 7, 2, 3, 3, 3]
    got = [conv_geometry(c["size"], c["kernel_size"], c["stride"], c["padding"],
                         c.get("dilation", 1)).out_shape[0] for c in CONV_ARITHMETIC_CASES]
    assert got == expected
    odd = next(c for c in CONV_ARITHMETIC_CASES if c["name"] == "the odd case")
    assert conv_geometry(odd["size"], odd["kernel_size"], odd["stride"], odd["padding"]).rows.unused == (7,)


@pytest.mark.parametrize("cfg", [dict(size=4, kernel_size=2, stride=2, padding=1),
                                 dict(size=5, kernel_size=3, stride=2, padding=1),
                                 dict(size=7, kernel_size=3, dilation=2),
                                 dict(size=6, kernel_size=3, stride=2, padding=1)])
def test_animation_has_one_frame_per_output_cell(cfg):
    anim = conv_animation(**cfg)
    o = conv_output_size(cfg["size"], cfg["kernel_size"], cfg.get("stride", 1), cfg.get("padding", 0),
                         cfg.get("dilation", 1))
    assert anim.frame_count == o * o + 1
    diagram = anim.diagram
    g = anim.geometry
    x0, y0 = diagram.right_origin
    for k, (r, c) in enumerate(g.frames):          # the outlined output cell walks in reading order
        diagram.set_frame(k)
        assert diagram.cell_box.get_xy() == (x0 + c, y0 + r)
        rows, cols = g.window(k)
        lx, ly = diagram.left_origin
        assert diagram.span_box.get_xy() == (lx + cols[0], ly + rows[0])
        assert diagram.span_box.get_width() == g.cols.span
    diagram.set_frame(len(g.frames))
    assert not diagram.span_box.get_visible()


def test_transposed_animation_has_one_frame_per_input_cell():
    anim = conv_animation(3, 3, stride=2, transposed=True)
    assert anim.frame_count == 3 * 3 + 1


def test_seed_exercise_numbers_in_the_animation():
    anim = conv_animation(4, 2, stride=2, padding=1, x=SEED_X, w=SEED_W)
    anim.diagram.set_frame(anim.frame_count - 1)
    texts = anim.diagram._right_texts
    got = np.array([[float(texts[(r, c)].get_text()) for c in range(3)] for r in range(3)])
    np.testing.assert_array_equal(got, SEED_OUT)
    left = anim.diagram._left_texts
    assert [left[rc].get_text() for rc in [(0, 0), (1, 1), (4, 4)]] == ["0", "1", "16"]


def test_transposed_numbers_are_torchs_uncropped_output():
    x = np.array([[1, 2], [3, 4]])
    w = np.array([[1, 0, -1], [2, 1, 0], [0, 1, 1]])
    ax = Figure().add_subplot()
    diagram = draw_conv(ax, 2, 3, stride=2, transposed=True, x=x, w=w, frame=None)
    expected = F.conv_transpose2d(torch.tensor(x, dtype=torch.float64)[None, None],
                                  torch.tensor(w, dtype=torch.float64)[None, None], stride=2)[0, 0].numpy()
    for (r, c), t in diagram._right_texts.items():
        assert float(t.get_text().replace("−", "-")) == expected[r, c]


def test_animation_html_embeds_every_frame():
    anim = conv_animation(3, 2, stride=1, dpi=40)
    html = animation_html(anim)
    assert "<script" in html
    assert len(re.findall(r"frames\[\d+\] = ", html)) == anim.frame_count == 5


def test_draw_conv_title_is_the_formula():
    ax = Figure().add_subplot()
    draw_conv(ax, 5, 3, stride=2, padding=1)
    assert ax.get_title() == "⌊(5 + 2·1 − 3)/2⌋ + 1 = 3"
    ax = Figure().add_subplot()
    draw_conv(ax, 3, 3, stride=2, padding=1, transposed=True, output_padding=1)
    assert ax.get_title() == "2·(3 − 1) − 2·1 + 1·(3 − 1) + 1 + 1 = 6"


@pytest.mark.parametrize("call, error, words", [
    (lambda: conv_geometry(3, 5), ValueError, "does not fit"),
    (lambda: conv_geometry(5, 3, stride=0), ValueError, "stride"),
    (lambda: conv_geometry(5, 3, padding=-1), ValueError, "padding"),
    (lambda: conv_geometry(5, 2.5), TypeError, "kernel_size"),
    (lambda: conv_geometry((5, 5, 5), 3), ValueError, "size"),
    (lambda: conv_geometry(5, 3, transposed="yes"), TypeError, "transposed"),
    (lambda: conv_geometry(5, 3, output_padding=1), ValueError, "output_padding"),
    (lambda: conv_geometry(3, 3, stride=2, transposed=True, output_padding=2), ValueError, "output_padding"),
    (lambda: conv_animation(9, 1), ValueError, "max_frames"),
    (lambda: conv_animation(4, 2, interval=0), ValueError, "interval"),
    (lambda: animation_html("not an animation"), TypeError, "anim"),
    (lambda: draw_conv(Figure().add_subplot(), 4, 2, x=np.ones((3, 3)), w=np.ones((2, 2))), ValueError, "x"),
    (lambda: draw_conv(Figure().add_subplot(), 4, 2, x=np.ones((4, 4))), ValueError, "both x and w"),
    (lambda: draw_conv(Figure().add_subplot(), 4, 2, frame=10), ValueError, "frame"),
])
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_diagram_relayout_reuses_artists():
    ax = Figure().add_subplot()
    d = ConvDiagram(ax)
    n_artists = len(ax.get_children())
    for cfg in [(5, 3, 1, 1, 1), (9, 5, 2, 4, 2), (3, 1, 1, 0, 1)]:
        d.set_geometry(conv_geometry(*cfg))
        d.set_frame(0)
        assert len(ax.get_children()) == n_artists
