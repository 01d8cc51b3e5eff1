"""helpers.explorers.conv1d against independent oracles: torch's conv1d and the seed's hand-worked steps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.explorers.conv1d import FILTERS, SIGNALS, FilterSlider, filter_step, steps_figure


def _torch_conv1d(x, w):
    out = F.conv1d(torch.tensor(np.asarray(x), dtype=torch.float64)[None, None],
                   torch.tensor(np.asarray(w), dtype=torch.float64)[None, None])
    return out[0, 0].numpy()


# The seed lecture (003) works [0, 1, 0, 1, 1] with [-1, 1] position by position:
# windows [0 1], [1 0], [0 1], [1 1]; outputs 1, -1, 1, 0.
SEED_STEPS = [([0, 1], [0, 1], 1), ([1, 0], [-1, 0], -1), ([0, 1], [0, 1], 1), ([1, 1], [-1, 1], 0)]


@pytest.mark.parametrize("position", range(4))
def test_seed_steps_by_hand(position):
    window, products, total = SEED_STEPS[position]
    s = filter_step([0, 1, 0, 1, 1], [-1, 1], position)
    np.testing.assert_array_equal(s["window"], window)
    np.testing.assert_array_equal(s["products"], products)
    assert s["sum"] == total
    expected_so_far = [1, -1, 1, 0][:position + 1] + [np.nan] * (3 - position)
    np.testing.assert_array_equal(s["output_so_far"], expected_so_far)
    assert s["n_positions"] == 4


def test_seed_second_example():
    s = filter_step([0, 1, -1, 1, 1], [-1, 1], 3)
    np.testing.assert_array_equal(s["output"], [1, -2, 2, 0])


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 16), st.integers(1, 5), st.integers(0, 2**31 - 1), st.data())
def test_filter_step_matches_torch(n, k, seed, data):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=k)
    p = data.draw(st.integers(0, n - k))
    s = filter_step(x, w, p)
    expected = _torch_conv1d(x, w)
    np.testing.assert_allclose(s["output"], expected, rtol=1e-12, atol=1e-12)
    assert s["sum"] == pytest.approx(expected[p], abs=1e-12)
    np.testing.assert_allclose(s["output_so_far"][:p + 1], expected[:p + 1], rtol=1e-12, atol=1e-12)
    assert np.isnan(s["output_so_far"][p + 1:]).all()


@pytest.mark.parametrize("signal", sorted(SIGNALS))
@pytest.mark.parametrize("filt", sorted(FILTERS))
def test_explorer_compute_matches_torch_for_every_choice(signal, filt):
    ex = FilterSlider()
    n = ex.n_positions(signal, filt)
    last = ex.compute(signal=signal, filter=filt, position=n - 1)
    np.testing.assert_allclose(last["output_so_far"], _torch_conv1d(SIGNALS[signal], FILTERS[filt]))


def test_constrain_clamps_the_position():
    ex = FilterSlider()
    assert ex.constrain({"signal": "seed 1", "filter": "bump", "position": 9})["position"] == 2
    assert ex.constrain({"signal": "steps", "filter": "rise", "position": -3})["position"] == 0
    # changing the filter to a longer one moves the position back into range
    ex.set_state(signal="seed 1", filter="rise", position=3)
    assert ex.set_state(filter="bump")["position"] == 2


def test_update_returns_png_and_static_image():
    ex = FilterSlider(my_signal=[3, 1, 4, 1, 5, 9, 2, 6], my_filter=[1, -2, 1])
    png = ex.update(signal="mine", filter="mine", position=5)
    assert png[:4] == b"\x89PNG"
    assert ex.static(position=0).data[:4] == b"\x89PNG"
    assert ex.compute(signal="mine", filter="mine", position=5)["sum"] == pytest.approx(
        _torch_conv1d([3, 1, 4, 1, 5, 9, 2, 6], [1, -2, 1])[5])


def test_redraw_draws_the_same_picture_as_a_fresh_explorer():
    moved = FilterSlider()
    for p in (0, 3, 1):
        moved.update(position=p)
    moved.update(signal="steps", filter="bump", position=4)
    png_moved = moved.update(signal="seed 2", filter="rise", position=2)
    fresh = FilterSlider(signal="seed 2", filter="rise", position=2)
    a = np.asarray(_decode(png_moved), dtype=int)
    b = np.asarray(_decode(fresh.render_png()), dtype=int)
    assert a.shape == b.shape and np.abs(a - b).max() == 0


def _decode(png):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def test_steps_figure_has_one_panel_per_position():
    small = _decode(steps_figure([0, 1, 0, 1, 1], [-1, 1]).data)
    large = _decode(steps_figure([0, 1, 0, 1, 1, 0, 1, 0], [-1, 1]).data)
    assert abs(small.size[1] * 7 / 4 - large.size[1]) <= 2     # 4 panels vs 7, the same height each
    assert small.size[0] < large.size[0]                    # 5 samples vs 8: wider


@pytest.mark.parametrize("call, exc, words", [
    (lambda: filter_step([0, 1], [1, 2, 3], 0), ValueError, ["does not fit", "2 − 3 + 1"]),
    (lambda: filter_step([0, 1, 0, 1, 1], [-1, 1], 4), ValueError, ["position", "0 and 3"]),
    (lambda: filter_step([[0, 1]], [-1, 1], 0), ValueError, ["1-D"]),
    (lambda: filter_step([0, 1, 0], [-1, 1], 0.5), TypeError, ["position"]),
    (lambda: FilterSlider(my_signal=list(range(20))), ValueError, ["my_signal", "16"]),
    (lambda: FilterSlider(my_filter=[1, 2, 3, 4, 5, 6]), ValueError, ["my_filter"]),
    (lambda: FilterSlider(my_signal=[1, np.nan, 2]), ValueError, ["NaN"]),
    (lambda: FilterSlider().compute(signal="mine"), ValueError, ["signal", "my_signal"]),
    (lambda: FilterSlider().constrain({"signal": "seed 1", "filter": "rise", "position": "2"}), TypeError,
     ["position"]),
    (lambda: steps_figure([[0, 1, 0]], [1]), ValueError, ["x", "1-D"]),
])
def test_bad_input_messages(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word.lower() in str(info.value).lower(), str(info.value)


def test_widget_slider_follows_the_signal_and_filter():
    ex = FilterSlider()
    box = ex.widget()
    ctrls = {getattr(c, "description_name", "play"): c for c in box.children[0].children}
    before = ex._image.value
    ctrls["position"].value = 3
    assert ex.state["position"] == 3 and ex._image.value != before
    ctrls["filter"].value = "bump"                     # 3 taps on 5 samples: positions 0 … 2
    assert ex.state["position"] == 2 and ctrls["position"].value == 2 and ctrls["position"].max == 2
    ctrls["signal"].value = "steps"                    # 12 samples: positions 0 … 9
    assert ctrls["position"].max == 9


# --- the ▶ button: a live page must not move the slider back to 0 ---------------------------------------------

from test_explorers_contract import link_as_the_page_does  # noqa: E402


def _controls(box):
    return {getattr(c, "description_name", type(c).__name__): c for c in box.children[0].children}


def test_the_play_button_still_drives_the_slider():
    ex = FilterSlider(signal="steps", filter="bump", position=4)
    box = ex.widget()
    ctrls = _controls(box)
    link_as_the_page_does(box)
    shown = ex._image.value
    ctrls["Play"].value = 5                            # one tick of ▶
    assert ctrls["position"].value == 5 and ex.state["position"] == 5 and ex._image.value != shown
    ctrls["position"].value = 2                        # dragging the slider moves the button too
    assert ctrls["Play"].value == 2
    ctrls["signal"].value = "seed 1"                   # 5 samples, 3 taps: positions 0 … 2
    assert ctrls["Play"].max == ctrls["position"].max == 2
