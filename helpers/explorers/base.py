"""The base of every interactive explorer in the series.

An explorer has a *pure core* and a *view*:

* ``compute(**state)`` — state in, numbers out (a dict); unit tests and check cells call it.
* ``draw(**state)`` — updates the artists of one figure that is made once (never re-plotted).
* ``widget()`` — the controls and an ``ipywidgets.Image`` that shows the figure as PNG; moving a
  control redraws and replaces the image. Nothing is printed, so strict nbval stays quiet.
* ``static(**state)`` — the same figure as a plain PNG, the fallback that the stored notebook,
  the HTML export and the slides show.

Speed: a slider move redraws the figure and encodes it as PNG. A subclass that returns the artists a move
changes from ``dynamic_artists()`` gets blitting: everything else is drawn once and cached, and only those
artists are redrawn on top (``background_key()`` says when the cached background must be redrawn, e.g.
after a layout change; setting ``self._background = None`` forces it too). Slider frames are encoded with
light PNG compression (fast); the frames stored in the notebook with strong compression (small).

Subclasses set ``controls()`` (name → ipywidgets control), ``default_state()``, ``build()`` (make the
figure's artists once), ``draw()`` and ``compute()``. ``constrain(state)`` may adjust a state so that
every combination of slider values is valid (for example padding ≤ kernel − 1).
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np

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
        self._background = None            # cached pixels behind the dynamic artists (blitting)
        self._background_key = None
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

    def dynamic_artists(self) -> list:
        """The artists a control change redraws; when empty (the default) the whole figure is redrawn."""
        return []

    def background_key(self):
        """A value that changes whenever the cached background (everything not dynamic) must be redrawn."""
        return None

    # --- shared machinery -----------------------------------------------------------------------
    def set_state(self, **changes) -> dict:
        state = dict(self.state)
        state.update(changes)
        self.state = self.constrain(state)
        self.draw(**self.state)
        return self.state

    def render_png(self, compress_level: int = 1) -> bytes:
        """Draw the figure (blitting the dynamic artists when there are any) and return it as PNG bytes."""
        dynamic = self.dynamic_artists()
        if not dynamic:
            self.canvas.draw()
        else:
            key = self.background_key()
            if self._background is None or key != self._background_key:
                for a in dynamic:
                    a.set_animated(True)            # left out of the cached background
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                self._background_key = key
                for a in dynamic:
                    a.set_animated(False)
            else:
                self.canvas.restore_region(self._background)
            renderer = self.canvas.get_renderer()
            for a in dynamic:
                if a.get_visible():
                    a.draw(renderer)
        return self.encode_png(compress_level)

    def encode_png(self, compress_level: int = 1) -> bytes:
        """The canvas as it is now, as PNG (level 1: fast, for slider moves; 9: small, for storing)."""
        from PIL import Image as PILImage

        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        PILImage.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=compress_level)
        return buf.getvalue()

    def update(self, **changes) -> bytes:
        """Apply a control change, redraw, and return the new PNG (what one slider move costs)."""
        self.set_state(**changes)
        return self.render_png()

    def static(self, **changes):
        """The figure for the current (or given) state as an IPython image: the widget's static fallback."""
        from IPython.display import Image

        self.update(**changes)
        return Image(data=self.encode_png(compress_level=9), format="png")

    def widget(self):
        """Controls and a live image; build it in a cell marked ``# NBVAL_IGNORE_OUTPUT``."""
        import ipywidgets as widgets

        ctrls = self.controls()
        for name, ctrl in ctrls.items():
            if name in self.state:
                ctrl.value = self.state[name]
        # every frame the widget shows is encoded alike, so the image changes only when the pixels do
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

    def add_play(self, box, slider: str, follow: tuple, n_positions, interval: int = 800):
        """Add a ▶ button that steps the ``slider`` control; its range follows the controls in ``follow``.

        ``n_positions()`` gives the number of positions for the current state.

        The button and the slider are linked in the browser (``jslink``). When the page sets a link up it
        copies the link's *source* into its *target* (``DirectionalLinkModel.updateBindings`` in
        @jupyter-widgets/controls), so the slider is the source and the button starts at the slider's
        value, range and step: an explorer built at step 5 still shows step 5 in JupyterLab and Voilà.
        """
        import ipywidgets as widgets

        row = box.children[0]
        ctrls = {c.description_name: c for c in row.children}
        step = ctrls[slider]
        play = widgets.Play(value=step.value, min=step.min, max=step.max, step=step.step, interval=interval,
                            description="play")
        self._play = play
        self._play_links = [widgets.jslink((step, "min"), (play, "min")),
                            widgets.jslink((step, "max"), (play, "max")),
                            widgets.jslink((step, "value"), (play, "value"))]

        def follow_range(change):
            step.max = n_positions() - 1

        for name in follow:
            ctrls[name].observe(follow_range, names="value")
        row.children = tuple(row.children) + (play,)
        return box
