"""The contract every explorer keeps, tested on every ``Explorer`` subclass in helpers (found automatically).

* it builds with its defaults and shows a static fallback figure (PNG) for the stored notebook;
* its widget has a control for every name in ``controls()``, starting at the explorer's state;
* moving any control (as a student would, by setting the control's value) changes the state or is
  constrained back, and the picture shown is exactly the one a fresh explorer draws for that state
  (the blitted redraw never keeps a stale pixel);
* it is reported by the benchmark, which measures its speed (no time is asserted here).
"""

import importlib
import importlib.util
import inspect
import io
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import helpers
from helpers.explorers import Explorer

ROOT = Path(__file__).resolve().parents[1]


def all_explorers():
    found = {}
    for mod in pkgutil.walk_packages(helpers.__path__, "helpers."):
        module = importlib.import_module(mod.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Explorer) and cls is not Explorer and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__name__}"] = cls
    return found


EXPLORERS = all_explorers()


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def other_values(ctrl):
    """Values a student could give this control, other than its current one (at most three)."""
    import ipywidgets as widgets

    if isinstance(ctrl, (widgets.IntSlider, widgets.FloatSlider)):
        candidates = [ctrl.max, ctrl.min, (ctrl.min + ctrl.max) // 2 if isinstance(ctrl, widgets.IntSlider)
                      else (ctrl.min + ctrl.max) / 2]
    elif isinstance(ctrl, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons)):
        candidates = [value for _, value in ctrl._options_full][::-1] if hasattr(ctrl, "_options_full") else \
            [o[1] if isinstance(o, tuple) else o for o in ctrl.options][::-1]
    elif isinstance(ctrl, widgets.Checkbox):
        candidates = [not ctrl.value]
    else:
        pytest.fail(f"the contract test does not know how to move a {type(ctrl).__name__}: teach other_values")
    return [v for v in dict.fromkeys(candidates) if v != ctrl.value][:3]


def test_every_explorer_is_found():
    assert len(EXPLORERS) >= 6, sorted(EXPLORERS)
    # every module of helpers/explorers/ but the base and the animation holds an explorer, and all are found
    modules = {f"helpers.explorers.{p.stem}" for p in (ROOT / "helpers" / "explorers").glob("*.py")
               if p.stem not in ("__init__", "base", "animation")}
    assert {cls.__module__ for cls in EXPLORERS.values()} == modules


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_builds_with_defaults_and_has_a_static_fallback(name):
    ex = EXPLORERS[name]()
    image = ex.static()
    assert image.data[:4] == b"\x89PNG"
    assert pixels(image.data).std() > 0                      # not a blank picture


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_control_moves_the_picture_as_a_fresh_explorer_draws_it(name):
    pytest.importorskip("ipywidgets")
    cls = EXPLORERS[name]
    ex = cls()
    box = ex.widget()
    controls = {c.description_name: c for c in box.children[0].children if hasattr(c, "description_name")}
    assert set(controls) == set(ex.controls()), "the widget shows every control"
    for key, ctrl in controls.items():
        if key in ex.state:
            assert ctrl.value == ex.state[key], f"control {key} starts at the explorer's state"
    moved = 0
    for key, ctrl in controls.items():
        for value in other_values(ctrl):
            ctrl.value = value                               # what the browser does when a student moves it
            assert ctrl.value == ex.state.get(key, ctrl.value), f"{key}: the control shows the value used"
            fresh = cls()
            fresh.set_state(**ex.state)
            shown, expected = pixels(ex._image.value), pixels(fresh.render_png())
            assert shown.shape == expected.shape and np.abs(shown - expected).max() == 0, \
                f"{name}: after {key} = {value!r} the picture differs from a fresh explorer's"
            moved += 1
    assert moved >= len(controls), "every control was moved at least once"


def link_as_the_page_does(box) -> int:
    """Set up the jslinks among an explorer's controls the way the page does, without a browser.

    @jupyter-widgets/controls' ``LinkModel`` copies its source's value into its target when the page sets the
    link up, then keeps the two equal both ways (``DirectionalLink``: one way); ``traitlets.link`` and
    ``traitlets.dlink`` do exactly that in the kernel. Returns how many links it found.
    """
    import traitlets
    from ipywidgets.widgets.widget import _instances
    from ipywidgets.widgets.widget_link import DirectionalLink, Link

    mine = {id(c) for c in box.children[0].children}
    links = [w for w in list(_instances.values())
             if isinstance(w, Link) and (id(w.source[0]) in mine or id(w.target[0]) in mine)]
    for link in links:
        (traitlets.dlink if isinstance(link, DirectionalLink) else traitlets.link)(link.source, link.target)
    return len(links)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_a_live_page_shows_the_state_the_explorer_was_built_in(name):
    """Built at another state than its default (its last benchmark state), the widget's controls show that
    state, and linking the controls as the page does (a ▶ Play linked to a slider) moves nothing."""
    pytest.importorskip("ipywidgets")
    ex = EXPLORERS[name]()
    ex.set_state(**ex.benchmark_states()[-1])
    state = dict(ex.state)
    box = ex.widget()
    shown = ex._image.value
    link_as_the_page_does(box)
    for c in box.children[0].children:
        key = getattr(c, "description_name", None)
        if key in state:
            assert c.value == state[key], f"{name}: control {key} shows {c.value!r}, the state is {state[key]!r}"
    assert ex.state == state and ex._image.value == shown, f"{name}: the page moved the explorer"


def test_every_explorer_is_measured_by_the_benchmark():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    measured = {f"{cls.__module__}.{cls.__name__}" for _, cls in bench.explorers()}
    assert measured == set(EXPLORERS)
