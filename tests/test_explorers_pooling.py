"""Tests of helpers.explorers.pooling: the pooling explorer of notebook 05.

Oracles: torch.nn.functional.max_pool2d / avg_pool2d and conv2d, counts written out by hand, and a
brute-force "which pixels does some window cover" written here.
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.explorers.pooling import MAX_WINDOW, VERTICAL_EDGE, PoolingExplorer, edge_map, pool_summary

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_pool(x, k, s, mode):
    t = torch.tensor(np.asarray(x, dtype=np.float64))[None, None]
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return fn(t, k, stride=s)[0, 0].numpy()


def covered_by_brute_force(h, w, k, s):
    """Every pixel inside some window, found by walking the windows torch would use."""
    out_h, out_w = (h - k) // s + 1, (w - k) // s + 1
    seen = np.zeros((h, w), dtype=bool)
    for i in range(out_h):
        for j in range(out_w):
            seen[i * s:i * s + k, j * s:j * s + k] = True
    return seen


# --------------------------------------------------------------------------- the pure core
@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 14), w=st.integers(1, 14), k=st.integers(1, 5), s=st.integers(1, 6),
       mode=st.sampled_from(["max", "avg"]), seed=st.integers(0, 2**31 - 1))
def test_pool_summary_against_torch(h, w, k, s, mode, seed):
    if k > min(h, w):
        return
    x = np.random.default_rng(seed).normal(size=(h, w))
    r = pool_summary(x, k, s, mode)
    expected = torch_pool(x, k, s, mode)
    np.testing.assert_allclose(r["pooled"], expected, rtol=1e-12, atol=1e-12)
    assert r["output_shape"] == expected.shape
    assert r["n_in"] == h * w and r["n_out"] == expected.size
    assert r["kept_fraction"] == pytest.approx(expected.size / (h * w))
    assert r["kept_fraction"] + r["discarded_fraction"] == pytest.approx(1.0)
    seen = covered_by_brute_force(h, w, k, s)
    assert r["unseen_fraction"] == pytest.approx(1 - seen.mean())


def test_two_by_two_keeps_one_in_four():
    """A 2×2 pool with stride 2 on an even map keeps exactly 25 % and discards 75 %."""
    r = pool_summary(np.ones((48, 68)), 2)                # the seed's 10×48×68 maps, one channel
    assert r["output_shape"] == (24, 34)
    assert r["kept_fraction"] == 0.25 and r["discarded_fraction"] == 0.75 and r["unseen_fraction"] == 0


def test_stride_defaults_to_the_window():
    x = np.arange(36.0).reshape(6, 6)
    assert pool_summary(x, 3)["stride"] == 3
    assert pool_summary(x, 3)["pooled"].tolist() == [[14, 17], [32, 35]]


def test_a_hand_worked_example():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]])
    assert pool_summary(x, 2)["pooled"].tolist() == [[4, 2], [2, 8]]
    assert pool_summary(x, 2, mode="avg")["pooled"].tolist() == [[2.5, 1.0], [0.75, 6.5]]


def test_edge_map_is_relu_of_the_seed_kernel_on_the_grey_photo():
    from helpers.images import load_photo

    gray = load_photo(gray=True, size=64)
    kernel = torch.tensor(VERTICAL_EDGE, dtype=torch.float64)[None, None]
    expected = torch.relu(F.conv2d(torch.tensor(gray)[None, None], kernel))[0, 0].numpy()
    m = edge_map()
    np.testing.assert_allclose(m, expected, rtol=1e-12, atol=1e-12)
    assert m.shape == (73, 62) and m.min() == 0 and (m > 0).mean() > 0.2
    m[0, 0] = 99
    assert edge_map()[0, 0] != 99                         # callers get a copy


def test_bad_input():
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg'"):
        pool_summary(np.ones((4, 4)), 2, mode="min")
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        pool_summary(np.ones((2, 4, 4)), 2)
    with pytest.raises(ValueError, match="stride must be 1 or more"):
        pool_summary(np.ones((4, 4)), 2, 0)
    with pytest.raises(ValueError, match="does not fit"):
        pool_summary(np.ones((4, 4)), 5)
    with pytest.raises(ValueError, match=r"maps\[0\]"):
        PoolingExplorer(np.ones((2, 20, 20)))
    with pytest.raises(ValueError, match="between 8 and 256"):
        PoolingExplorer(np.ones((5, 20)))
    with pytest.raises(ValueError, match="mode"):
        PoolingExplorer(mode="median")


# --------------------------------------------------------------------------- the explorer
def test_compute_every_state_against_torch():
    ex = PoolingExplorer()
    x = edge_map()
    for mode in ("max", "avg"):
        for k in range(1, MAX_WINDOW + 1):
            for s in (1, 2, k):
                r = ex.compute(mode=mode, kernel_size=k, stride=s)
                np.testing.assert_allclose(r["pooled"], torch_pool(x, k, s, mode), rtol=1e-12, atol=1e-12)


def test_constrain():
    ex = PoolingExplorer()
    state = ex.constrain({"mode": "avg", "kernel_size": 12, "stride": 3.0})
    assert state == {"mode": "avg", "kernel_size": 8, "stride": 3}
    with pytest.raises(ValueError, match="kernel_size must be 1 or more"):
        ex.constrain({"mode": "max", "kernel_size": 0, "stride": 1})


def test_draw_shows_the_state():
    ex = PoolingExplorer()
    png = ex.update(mode="max", kernel_size=2, stride=2)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.im_out.get_array().shape == (36, 31)
    assert ex.title_out.get_text() == "max pool 2×2, stride 2: 36×31"
    caption = ex.caption.get_text()
    assert "1,116 numbers out of 4,526" in caption and "discarded 75.3 %" in caption
    assert ex.boxes[1].get_xy() == (1.5, -0.5) and ex.boxes[2].get_xy() == (-0.5, 1.5)
    ex.update(mode="avg", kernel_size=3, stride=4)
    assert ex.boxes[1].get_xy() == (3.5, -0.5) and ex.boxes[1].get_width() == 3
    assert ex.title_out.get_text() == "average pool 3×3, stride 4: 18×15"
    assert "lies in no window" in ex.caption.get_text()
    np.testing.assert_allclose(ex.im_out.get_array(), torch_pool(edge_map(), 3, 4, "avg"))


def test_update_changes_the_picture_and_comes_back():
    ex = PoolingExplorer()
    a = ex.update(kernel_size=2, stride=2)
    b = ex.update(kernel_size=4, stride=4)
    c = ex.update(kernel_size=2, stride=2)
    assert a != b and a == c


def test_widget_controls_drive_the_state():
    pytest.importorskip("ipywidgets")
    ex = PoolingExplorer()
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    assert sorted(ctrls) == ["kernel_size", "mode", "stride"]
    before = box.children[1].value
    ctrls["mode"].value = "avg"
    ctrls["kernel_size"].value = 3
    assert ex.state == {"mode": "avg", "kernel_size": 3, "stride": 2} and box.children[1].value != before


def test_widget_starts_where_the_explorer_starts():
    ex = PoolingExplorer(mode="avg", kernel_size=3, stride=1)
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    assert {name: c.value for name, c in ctrls.items()} == {"mode": "avg", "kernel_size": 3, "stride": 1}
    assert ex.state == {"mode": "avg", "kernel_size": 3, "stride": 1}
