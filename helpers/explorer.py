"""The base of every interactive explorer in the series.

An explorer has a *pure core* and a *view*:

* ``compute(**state)`` — state in, numbers out (a dict); unit tests and check cells call it.
* ``draw(**state)`` — updates the artists of one figure that is made once (never re-plotted).
* ``widget()`` — the controls and an ``ipywidgets.Image`` that shows the figure as PNG; moving a
  control redraws and replaces the image. Nothing is printed, so strict nbval stays quiet.
* ``static(**state)`` — the same figure as a plain PNG, the fallback that the stored notebook,
  the HTML export and the slides show.

Subclasses set ``controls()`` (name → ipywidgets control), ``default_state()``, ``build()`` (make the
figure's artists once), ``draw()`` and ``compute()``. ``constrain(state)`` may adjust a state so that
every combination of slider values is valid (for example padding ≤ kernel − 1).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() == "agg" else None
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


class Explorer:
    """Base class; see the module docstring."""

    figsize = (8.0, 4.0)
    dpi = 80

    def __init__(self):
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi, layout=None)
        self.canvas = FigureCanvasAgg(self.fig)
        self.state = self.constrain(dict(self.default_state()))
        self.build()
        self._widget = None

    # --- to override -------------------------------------------------------------------------
    def default_state(self) -> dict:
        return {}

    def controls(self) -> dict:
        return {}

    def constrain(self, state: dict) -> dict:
        return state

    def build(self) -> None:
        pass

    def compute(self, **state) -> dict:
        return {}

    def draw(self, **state) -> None:
        pass

    def benchmark_states(self) -> list[dict]:
        """States the speed benchmark steps through (one control change each)."""
        return [self.default_state()]

    # --- shared machinery -----------------------------------------------------------------------
    def set_state(self, **changes) -> dict:
        state = dict(self.state)
        state.update(changes)
        self.state = self.constrain(state)
        self.draw(**self.state)
        return self.state

    def render_png(self) -> bytes:
        buf = io.BytesIO()
        self.canvas.print_png(buf)
        return buf.getvalue()

    def update(self, **changes) -> bytes:
        """Apply a control change, redraw, and return the new PNG (what one slider move costs)."""
        self.set_state(**changes)
        return self.render_png()

    def static(self, **changes):
        """The figure for the current (or given) state as an IPython image: the widget's static fallback."""
        from IPython.display import Image

        return Image(data=self.update(**changes), format="png")

    def widget(self):
        """Controls and a live image; build it in a cell marked ``# NBVAL_IGNORE_OUTPUT``."""
        import ipywidgets as widgets

        ctrls = self.controls()
        for name, ctrl in ctrls.items():
            if name in self.state:
                ctrl.value = self.state[name]
        image = widgets.Image(value=self.update(), format="png",
                              layout=widgets.Layout(width=f"{int(self.figsize[0] * self.dpi)}px",
                                                    height=f"{int(self.figsize[1] * self.dpi)}px"))
        image.add_class("explorer-image")
        busy = {"on": False}

        def on_change(change):
            if busy["on"]:
                return
            busy["on"] = True
            try:
                name = change["owner"].description_name
                image.value = self.update(**{name: change["new"]})
                # a constraint may have moved other controls: show the values actually used
                for other, ctrl in ctrls.items():
                    if other in self.state and ctrl.value != self.state[other]:
                        ctrl.value = self.state[other]
            finally:
                busy["on"] = False

        for name, ctrl in ctrls.items():
            ctrl.description_name = name
            ctrl.observe(on_change, names="value")
        box = widgets.VBox([widgets.HBox(list(ctrls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                            image])
        box.add_class("explorer")
        self._widget = box
        self._image = image
        return box
