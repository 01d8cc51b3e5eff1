"""ConvArithmeticExplorer: its pure core against torch, its constraints, its picture and its speed."""


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.explorers.arithmetic import ConvArithmeticExplorer

RANGES = ConvArithmeticExplorer.ranges
NAMES = list(RANGES)


@pytest.fixture(scope="module")
def ex():
    return ConvArithmeticExplorer()


def _torch_positions(i, k, p, s, d):
    """Output length and the padded index of each window's first tap, from torch's unfold of an index row."""
    index = torch.arange(i + 2 * p, dtype=torch.float64).reshape(1, 1, 1, -1)
    cols = F.unfold(index, (1, k), dilation=(1, d), stride=(1, s))[0]
    return cols.shape[1], cols[0].long().tolist()


def _valid(state):
    span = state["dilation"] * (state["kernel_size"] - 1) + 1
    return (all(RANGES[n][0] <= state[n] <= RANGES[n][1] for n in NAMES)
            and state["padding"] <= span - 1
            and state["size"] + 2 * state["padding"] >= span)


states = st.fixed_dictionaries({n: st.integers(lo, hi) for n, (lo, hi) in RANGES.items()})


@settings(max_examples=120, deadline=None)
@given(states)
def test_compute_matches_torch(ex, state):
    state = ex.constrain(state)
    r = ex.compute(**state)
    i, k, p, s, d = (state[n] for n in ("size", "kernel_size", "padding", "stride", "dilation"))
    out = F.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert out.shape[-2:] == (r["output_size"], r["output_size"])
    n, starts = _torch_positions(i, k, p, s, d)
    assert n == r["output_size"] and r["starts"] == starts
    assert r["formula"].endswith(f"= {out.shape[-1]}")
    # unused cells: those the gradient of a ones kernel does not reach
    xp = torch.zeros(1, 1, 1, i + 2 * p, requires_grad=True)
    F.conv2d(xp, torch.ones(1, 1, 1, k), stride=(1, s), dilation=(1, d)).sum().backward()
    assert r["unused"] == torch.nonzero(xp.grad[0, 0, 0] == 0).flatten().tolist()
    assert r["unused_input"] == [c - p for c in r["unused"] if p <= c < p + i]


def test_seed_padding_rule_is_same(ex):
    """Seed: K = 3 → pad 1, K = 5 → pad 2 keeps the size; no padding loses K − 1."""
    for k, p in [(3, 1), (5, 2)]:
        r = ex.compute(size=7, kernel_size=k, padding=p, stride=1, dilation=1)
        assert r["output_size"] == 7 and r["mode"] == "same"
    r = ex.compute(size=7, kernel_size=3, padding=0, stride=1, dilation=1)
    assert r["output_size"] == 5 and r["mode"] == "valid"
    r = ex.compute(size=5, kernel_size=3, padding=2, stride=1, dilation=1)
    assert r["output_size"] == 7 and r["mode"] == "full"


def test_odd_case_reports_the_unused_row(ex):
    r = ex.compute(size=6, kernel_size=3, padding=0, stride=2, dilation=1)
    assert r["output_size"] == 2 and r["unused_input"] == [5] and "row/col 5 never used" in r["note"]


@settings(max_examples=200, deadline=None)
@given(states, st.sampled_from(NAMES), st.integers(-2, 12))
def test_every_slider_move_gives_a_valid_state(start, name, value):
    ex = ConvArithmeticExplorer.__new__(ConvArithmeticExplorer)   # constrain only: no figure needed
    ex._changed = set()
    ex.state = ex.constrain(start)
    assert _valid(ex.state)
    ex._changed = {name}
    new = ex.constrain({**ex.state, name: value})
    assert _valid(new)
    lo, hi = RANGES[name]
    clamped = min(max(value, lo), hi)
    if name != "padding":
        # the control just moved keeps its (clamped) value; others give way
        assert new[name] == clamped
    else:
        span = new["dilation"] * (new["kernel_size"] - 1) + 1
        assert new["padding"] == min(clamped, span - 1)
    # torch accepts the state
    i, k = new["size"], new["kernel_size"]
    F.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k),
             stride=new["stride"], padding=new["padding"], dilation=new["dilation"])


def test_constraint_examples():
    ex = ConvArithmeticExplorer()
    assert ex.set_state(padding=4)["padding"] == 2              # k = 3: padding at most k − 1
    assert ex.set_state(kernel_size=1)["padding"] == 0           # a 1×1 kernel needs no padding
    state = ex.set_state(size=3, kernel_size=5, dilation=3)
    assert _valid(state) and state["size"] == 3
    state = ex.set_state(dilation=3)                             # moved: dilation stays, padding grows
    assert state["dilation"] == 3 and _valid(state)


def test_bad_state_is_a_clear_error():
    ex = ConvArithmeticExplorer()
    with pytest.raises(TypeError, match="strides"):
        ex.set_state(strides=2)
    with pytest.raises(TypeError, match="stride must be a whole number"):
        ex.set_state(stride=1.5)
    with pytest.raises(TypeError, match="unknown control"):
        ConvArithmeticExplorer(kernel=3)


def test_picture_shows_the_formula_and_grids():
    ex = ConvArithmeticExplorer(size=4, kernel_size=2, padding=1, stride=2)   # the seed exercise
    png = ex.update()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.title.get_text() == "⌊(4 + 2·1 − 2)/2⌋ + 1 = 3  →  3×3"
    assert ex.diagram.geometry.grid_shape == (6, 6) and ex.diagram.geometry.out_shape == (3, 3)
    assert len(ex.diagram.dots.get_offsets()) == 9                 # one dot per output cell
    left = ex.diagram.img_left.get_array()
    assert left.shape[:2] == (6, 6)
    assert not np.allclose(left[0, 0], left[2, 2])                 # padding looks different from the input
    ex.update(size=9, kernel_size=5, padding=4, stride=1)
    assert ex.diagram.img_left.get_array().shape[:2] == (17, 17)
    assert len(ex.diagram.dots.get_offsets()) == 13 * 13


def test_widget_reflects_constraints():
    ex = ConvArithmeticExplorer()
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    before = ex._image.value
    ctrls["kernel_size"].value = 1
    assert ex.state["padding"] == 0 and ctrls["padding"].value == 0
    assert ex._image.value != before


def test_widget_starts_where_the_explorer_starts():
    start = {"size": 7, "kernel_size": 5, "padding": 2, "stride": 3, "dilation": 1}
    ex = ConvArithmeticExplorer(**start)
    shown = ex.render_png()
    box = ex.widget()
    ctrls = {c.description_name: c for c in box.children[0].children}
    assert {name: c.value for name, c in ctrls.items()} == start == ex.state
    assert ex._image.value == shown
