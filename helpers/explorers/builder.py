"""Build your own CNN: stack layers, set the input size, and watch shapes and parameter counts follow (notebook 07).

The layers are the layer specs of :mod:`helpers.shapes` (:func:`~helpers.shapes.conv`,
:func:`~helpers.shapes.maxpool`, :func:`~helpers.shapes.relu`, :func:`~helpers.shapes.flatten`,
:func:`~helpers.shapes.linear`, …), and the numbers come from its torch-free engine,
:func:`helpers.shapes.compute`: one :class:`helpers.shapes.Row` per layer, or the first layer where the shapes
stop fitting and why. :class:`CNNBuilder` draws them: every tensor to scale, a bar of each layer's share of the
parameters, the first layer that does not fit in red; in JupyterLab it adds controls to add, replace and remove
layers, and the table under the picture.
"""

from __future__ import annotations

import math
import textwrap

from .. import _text
from .._validate import int_param
from ..shapes import (
    KINDS,
    _as_list,
    _input_shape,
    compute,
    conv,
    describe,
    flatten,
    format_table,
    layer_spec,
    linear,
    maxpool,
    relu,
)
from .base import Explorer

__all__ = ["CNNBuilder"]

# --- the explorer ------------------------------------------------------------------------------------------
_DEFAULT_LAYERS = [conv(10, 3), relu(), maxpool(2), conv(10, 3), relu(), maxpool(2), flatten(), linear(2)]

_INK, _GREY, _RED = (0.12, 0.12, 0.12), (0.62, 0.62, 0.62), (0.78, 0.1, 0.1)
_FACE = {"input": (0.55, 0.6, 0.66), "conv": (0.2, 0.45, 0.75), "maxpool": (0.3, 0.65, 0.4),
         "avgpool": (0.3, 0.65, 0.4), "relu": (0.55, 0.72, 0.9), "flatten": (0.93, 0.6, 0.25),
         "linear": (0.85, 0.4, 0.2)}
_SHORT = {"conv": "conv", "maxpool": "max", "avgpool": "avg", "relu": "ReLU", "flatten": "flatten",
          "linear": "linear"}


def _shade(rgb, f):
    return tuple(min(1.0, max(0.0, v * f if f < 1 else v + (1 - v) * (f - 1))) for v in rgb)


def _column_name(spec) -> str:
    kind = spec["type"]
    if kind in ("conv", "maxpool", "avgpool"):
        k = spec["kernel_size"]
        return f"{_SHORT[kind]} {k}×{k}"
    if kind == "linear":
        return f"linear {spec['out_features']}"
    return _SHORT[kind]


class CNNBuilder(Explorer):
    """Stack layers on an input and see every shape, every parameter count, and where it stops fitting.

    State: ``layers`` (a list of layer specs), ``input_shape`` (C, H, W) and ``selected`` (the index of
    the layer whose formulas the footer spells out, or ``None``). The picture draws every tensor to scale
    (front face H×W, depth growing with the number of channels C; a flat vector as a thin bar), the
    parameters of each layer as a bar below it, and the first layer that does not fit in red.

    >>> b = CNNBuilder()
    >>> b.compute(**b.state)["output_shape"]
    (2,)
    >>> b.remove_layer(6)["layers"][6]                 # take out the Flatten: the Linear no longer fits
    {'type': 'linear', 'out_features': 2, 'in_features': None}
    >>> b.compute(**b.state)["error"]["index"]
    6
    """

    figsize = (8.6, 3.8)
    dpi = 80
    max_columns = 12                 # tensors the picture has room for (a ReLU shares its layer's)
    max_layers = 24

    def __init__(self, layers=None, input_shape=(3, 50, 70), selected=None):
        self._initial = {"layers": list(_DEFAULT_LAYERS if layers is None else layers),
                         "input_shape": input_shape, "selected": selected}
        super().__init__()

    # --- state -------------------------------------------------------------------------------------------
    def default_state(self) -> dict:
        return dict(self._initial)

    def constrain(self, state: dict) -> dict:
        unknown = set(state) - {"layers", "input_shape", "selected"}
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}: the builder has layers, input_shape and "
                            "selected.")
        layers = [layer_spec(s) for s in _as_list(state["layers"])]
        if len(layers) > self.max_layers:
            raise ValueError(f"layers: at most {self.max_layers} layers fit in the builder, got "
                             f"{len(layers)}.")
        shape = _input_shape(state["input_shape"])
        selected = state.get("selected")
        if selected is not None:
            selected = int_param(selected, "selected", minimum=0)
            selected = min(selected, len(layers) - 1) if layers else None
        return {"layers": layers, "input_shape": shape, "selected": selected}

    def compute(self, layers, input_shape, selected=None) -> dict:
        """:func:`helpers.shapes.compute` for the builder's state (``selected`` only changes the picture)."""
        return compute(layers, input_shape)

    def add_layer(self, layer, index=None) -> dict:
        """Insert ``layer`` before position ``index`` (at the end when ``None``), select it and redraw."""
        layers = list(self.state["layers"])
        index = len(layers) if index is None else int_param(index, "index", minimum=0)
        if index > len(layers):
            raise ValueError(f"index must be between 0 and {len(layers)} (the number of layers), "
                             f"got {index}.")
        layers.insert(index, layer_spec(layer))
        return self.set_state(layers=layers, selected=index)

    def replace_layer(self, index, layer) -> dict:
        """Put ``layer`` in place of layer ``index`` and redraw."""
        layers = list(self.state["layers"])
        index = self._index(index, layers)
        layers[index] = layer_spec(layer)
        return self.set_state(layers=layers, selected=index)

    def remove_layer(self, index) -> dict:
        """Take out layer ``index`` and redraw."""
        layers = list(self.state["layers"])
        index = self._index(index, layers)
        del layers[index]
        selected = min(index, len(layers) - 1) if layers else None
        return self.set_state(layers=layers, selected=selected)

    @staticmethod
    def _index(index, layers):
        index = int_param(index, "index", minimum=0)
        if not layers:
            raise ValueError("there are no layers to change: add one first.")
        if index >= len(layers):
            raise ValueError(f"index must name a layer, 0 to {len(layers) - 1}; got {index}.")
        return index

    def table(self, **changes) -> str:
        """The numbers behind the picture: :func:`format_table` with formulas, then the error if any."""
        state = self.constrain({**self.state, **changes})
        r = compute(state["layers"], state["input_shape"])
        text = f"input: N×{_text.shape(r['input_shape'])}\n" + format_table(r["rows"], formulas=True)
        if r["error"]:
            text += "\n✗ " + r["error"]["message"]
        return text

    def layer_texts(self) -> list[str]:
        """One line per layer, with the sizes the builder inferred filled in where the layer runs."""
        r = compute(self.state["layers"], self.state["input_shape"])
        texts = describe(self.state["layers"])
        for row in r["rows"]:
            texts[row.index] = row.layer
        if r["error"]:
            texts[r["error"]["index"]] = r["error"]["layer"]
        return texts

    def benchmark_states(self) -> list[dict]:
        """One change each: input size, a layer added, one removed, a broken stack, a selection."""
        base = list(_DEFAULT_LAYERS)
        return [{"input_shape": (3, 64, 64)}, {"input_shape": (1, 28, 28)},
                {"layers": base + [relu(), linear(10)]}, {"layers": base[:6] + [conv(10, 5)] + base[6:]},
                {"layers": base[:6] + base[7:]}, {"selected": 3}, {"input_shape": (3, 12, 12)},
                {"layers": base}, {"selected": None}, {"input_shape": (3, 50, 70)}]

    # --- the picture -------------------------------------------------------------------------------------
    _AX = (0.41, 0.43)               # the tensors' strip: bottom and height, figure fraction

    def build(self) -> None:
        from matplotlib.patches import Polygon, Rectangle

        fig = self.fig
        self.ax = ax = fig.add_axes((0.0, self._AX[0], 1.0, self._AX[1]))   # the tensors, x and y in inches
        self.pax = pax = fig.add_axes((0.0, 0.185, 1.0, 0.12))               # the parameter bars
        for a in (ax, pax):
            a.axis("off")
        ax.set_ylim(0, self.figsize[1] * self._AX[1])
        pax.set_ylim(0, 1.6)
        self.band = Rectangle((0, 0), 1, 1, transform=fig.transFigure, color=(0.9, 0.94, 1.0), zorder=-1,
                              visible=False)
        fig.patches.append(self.band)
        self.faces, self.names, self.shapes, self.pbars, self.plabels, self.marks = [], [], [], [], [], []
        for _ in range(self.max_columns):
            self.faces.append([ax.add_patch(Polygon([[0, 0]] * 4, closed=True, linewidth=0.6,
                                                    edgecolor=(0.25, 0.25, 0.25), visible=False))
                               for _ in range(3)])
            self.names.append(fig.text(0, 0.975, "", ha="center", va="top", fontsize=8, linespacing=1.1))
            self.shapes.append(fig.text(0, 0.395, "", ha="center", va="top", fontsize=8, linespacing=1.1))
            self.pbars.append(pax.add_patch(Rectangle((0, 0), 0, 0, color=(0.42, 0.42, 0.65), visible=False)))
            self.plabels.append(pax.text(0, 0, "", ha="center", va="bottom", fontsize=7.5,
                                         color=(0.3, 0.3, 0.5)))
            self.marks.append(ax.text(0, 0.6, "", ha="center", va="center", fontsize=22, color=_RED,
                                      weight="bold"))
        self.ptitle = fig.text(0, 0.195, "parameters", ha="center", va="baseline", fontsize=8,
                               color=(0.3, 0.3, 0.5), style="italic")
        self.total = fig.text(0.01, 0.105, "", ha="left", va="baseline", fontsize=9.5, weight="bold")
        self.footer = fig.text(0.01, 0.075, "", ha="left", va="top", fontsize=8.5, linespacing=1.15)
        self.draw(**self.state)

    @staticmethod
    def _columns(layers, r):
        """Group the layers into picture columns: a ReLU joins the column of the layer before it."""
        rows, err = r["rows"], r["error"]
        cols = [{"kind": "input", "first": None, "last": None, "name": "input", "shape": r["input_shape"],
                 "params": 0, "status": "ok"}]
        for i, spec in enumerate(layers):
            if err is None or i < err["index"]:
                status, shape, params = "ok", rows[i].output_shape, rows[i].params
            else:
                status, shape, params = ("error" if i == err["index"] else "skip"), None, 0
            prev = cols[-1]
            if spec["type"] == "relu" and prev["kind"] not in ("input", "relu") and prev["status"] == status \
                    and not prev["name"].endswith("ReLU"):
                prev["name"] += "\n+ ReLU"
                prev["last"] = i
                continue
            cols.append({"kind": spec["type"], "first": i, "last": i, "name": _column_name(spec),
                         "shape": shape, "params": params, "status": status})
        return cols

    def draw(self, layers, input_shape, selected=None) -> None:
        r = compute(layers, input_shape)
        rows, err = r["rows"], r["error"]
        cols = self._columns(layers, r)
        hidden = len(cols) - self.max_columns
        if hidden > 0:
            more = {"kind": "more", "first": None, "last": None, "name": f"+ {hidden + 1} more",
                    "shape": None, "params": 0, "status": "skip"}
            cols = cols[:self.max_columns - 1] + [more]
        n = len(cols)
        fig_w, ax_h = self.figsize[0], self.figsize[1] * self._AX[1]      # inches
        slot = fig_w / n
        images = [c["shape"] for c in cols if c["shape"] is not None and len(c["shape"]) == 3]
        vectors = [c["shape"][0] for c in cols if c["shape"] is not None and len(c["shape"]) == 1]
        biggest = max([max(s[1], s[2]) for s in images] or vectors or [1])   # the scale: inches per pixel
        full = min(slot * 0.58, ax_h * 0.85)                            # inches for the largest side
        total = r["total_params"]
        self.ax.set_xlim(0, fig_w)
        self.pax.set_xlim(0, fig_w)
        self.band.set_visible(False)
        self.ptitle.set_position((0.5 * slot / fig_w, 0.195))
        for j in range(self.max_columns):
            faces, name, shape_t = self.faces[j], self.names[j], self.shapes[j]
            bar, plabel, mark = self.pbars[j], self.plabels[j], self.marks[j]
            for f in faces:
                f.set_visible(False)
            bar.set_visible(False)
            plabel.set_text("")
            mark.set_text("")
            if j >= n:
                name.set_text("")
                shape_t.set_text("")
                continue
            col = cols[j]
            x = (j + 0.5) * slot                                          # centre of the column, inches
            name.set_x(x / fig_w)
            shape_t.set_x(x / fig_w)
            index = "" if col["first"] is None else (
                f"{col['first']}" if col["first"] == col["last"] else f"{col['first']}–{col['last']}")
            name.set_text(f"{index}\n{col['name']}" if index else col["name"])
            color = {"ok": _INK, "error": _RED, "skip": _GREY}[col["status"]]
            name.set_color(color)
            shape_t.set_color(color)
            if col["status"] == "error":
                shape_t.set_text("does not\nfit")
                mark.set_position((x, ax_h * 0.3))
                mark.set_text("✗")
            elif col["status"] == "skip":
                shape_t.set_text("not\nreached" if col["kind"] != "more" else "")
            else:
                shape_t.set_text(_text.shape(col["shape"]))
                self._draw_tensor(faces, col["kind"], col["shape"], x, full, biggest)
                if col["params"]:
                    share = col["params"] / total
                    bar.set_bounds(x - slot * 0.2, 0, slot * 0.4, max(share, 0.015))
                    bar.set_visible(True)
                    plabel.set_position((x, max(share, 0.015) + 0.04))
                    plabel.set_text(f"{col['params']:,}")
            if selected is not None and col["first"] is not None and col["first"] <= selected <= col["last"]:
                self.band.set_bounds((x - slot / 2) / fig_w, 0.165, slot / fig_w, 0.83)
                self.band.set_visible(True)
        if err:
            head, why = err["message"].split(": ", 1)
            self.total.set_text(f"✗ {head}:")
            self.total.set_color(_RED)
            self.footer.set_text("\n".join(textwrap.wrap(why, 130)[:2]))
            self.footer.set_color(_RED)
        else:
            self.total.set_text(f"total parameters: {total:,}   ·   a batch of N examples leaves as "
                                f"N×{_text.shape(r['output_shape'])}")
            self.total.set_color(_INK)
            note = ""
            if selected is not None and selected < len(rows):
                row = rows[selected]
                note = f"layer {row.index}, {row.layer}:  {row.formula}"
                note = textwrap.shorten(note, 135, placeholder=" …")
                if row.param_formula != "no parameters":
                    note += f"\nparameters: {row.param_formula} = {row.params:,}"
            self.footer.set_text(note)
            self.footer.set_color(_INK)

    def _draw_tensor(self, faces, kind, shape, x, full, biggest):
        """A C×H×W tensor as a box to scale (depth from C), a vector as a thin bar; coordinates in inches."""
        front, top, side = faces
        base = _FACE.get(kind, _FACE["input"])
        px = 1 / self.dpi
        if len(shape) == 3:
            c, h, w = shape
            fh = max(full * h / biggest, 2 * px)
            fw = max(full * w / biggest, 2 * px)
            depth = min(0.04 + 0.04 * math.log2(c), full * 0.4)
        else:                                 # a vector: one value as long as one pixel of the boxes
            cap = 0.85 * self.figsize[1] * self._AX[1]
            fh = max(min(full * shape[0] / biggest, cap), 2 * px)
            fw, depth = 0.07, 0.0
            if full * shape[0] / biggest > cap:                          # too long to draw: a break mark
                yb = 0.06 + fh * 0.78
                top.set_xy([(x - 0.09, yb), (x + 0.09, yb + 0.05), (x + 0.09, yb + 0.09),
                            (x - 0.09, yb + 0.04)])
                top.set_facecolor("white")
                top.set_zorder(3)
                top.set_visible(True)
        dx, dy = depth * 0.75, depth * 0.55
        x0, y0 = x - (fw + dx) / 2, 0.06                                   # boxes stand on one baseline
        front.set_xy([(x0, y0), (x0 + fw, y0), (x0 + fw, y0 + fh), (x0, y0 + fh)])
        front.set_facecolor(base)
        front.set_visible(True)
        if depth:
            top.set_zorder(1)
            x1, y1 = x0 + fw, y0 + fh
            top.set_xy([(x0, y1), (x1, y1), (x1 + dx, y1 + dy), (x0 + dx, y1 + dy)])
            side.set_xy([(x1, y0), (x1 + dx, y0 + dy), (x1 + dx, y1 + dy), (x1, y1)])
            top.set_facecolor(_shade(base, 1.35))
            side.set_facecolor(_shade(base, 0.75))
            top.set_visible(True)
            side.set_visible(True)

    # --- the live widget ---------------------------------------------------------------------------------
    def html_table(self) -> str:
        """The table of the current state as HTML (what the widget shows under the picture)."""
        import html

        r = compute(self.state["layers"], self.state["input_shape"])
        cell = 'style="padding:1px 8px;text-align:{};white-space:nowrap;line-height:1.3"'
        head = "".join(f"<th {cell.format(a)}>{h}</th>" for h, a in
                       (("#", "right"), ("layer", "left"), ("output", "right"), ("params", "right"),
                        ("size formula", "left"), ("parameter formula", "left")))
        body = [f"<tr><td></td><td {cell.format('left')}>input</td><td {cell.format('right')}>"
                f"{_text.shape(r['input_shape'])}</td><td></td><td></td><td></td></tr>"]
        for row in r["rows"]:
            mark = ' style="background:#e6efff"' if row.index == self.state["selected"] else ""
            values = (row.index, row.layer, _text.shape(row.output_shape), f"{row.params:,}", row.formula,
                      row.param_formula)
            aligns = ("right", "left", "right", "right", "left", "left")
            body.append(f"<tr{mark}>" + "".join(f"<td {cell.format(a)}>{html.escape(str(v))}</td>"
                                                 for v, a in zip(values, aligns, strict=True)) + "</tr>")
        if r["error"]:
            body.append(f'<tr style="color:#c01818"><td colspan="6" style="padding:1px 8px">✗ '
                        f"{html.escape(r['error']['message'])}</td></tr>")
        else:
            body.append(f'<tr><td colspan="6" {cell.format("left")}><b>total parameters: '
                        f"{r['total_params']:,}</b></td></tr>")
        style = "font-family:monospace;font-size:12px;border-collapse:collapse;line-height:1.3"
        return (f'<table style="{style}">'
                f"<tr>{head}</tr>{''.join(body)}</table>")

    def widget(self):
        """Input sliders, the layer list, an editor for a new layer, the live picture and the table."""
        import ipywidgets as W

        c, h, w = self.state["input_shape"] if len(self.state["input_shape"]) == 3 else (3, 50, 70)
        slider = {"continuous_update": False, "style": {"description_width": "80px"},
                  "layout": W.Layout(width="260px")}
        # a slider's range reaches the builder's own input, so the widget shows the state it starts in
        sizes = {"channels": W.IntSlider(value=c, min=1, max=max(64, c), description="channels C", **slider),
                 "height": W.IntSlider(value=h, min=1, max=max(256, h), description="height H", **slider),
                 "width": W.IntSlider(value=w, min=1, max=max(256, w), description="width W", **slider)}
        layer_list = W.Select(options=[], rows=9, description="layers", layout=W.Layout(width="360px"))
        small = {"style": {"description_width": "90px"}, "layout": W.Layout(width="190px")}
        kind = W.Dropdown(options=list(KINDS), value="conv", description="new layer", **small)
        out_n = W.BoundedIntText(value=10, min=1, max=4096, description="out channels", **small)
        ksize = W.BoundedIntText(value=3, min=1, max=11, description="kernel", **small)
        stride = W.BoundedIntText(value=1, min=1, max=8, description="stride", **small)
        pad = W.BoundedIntText(value=0, min=0, max=10, description="padding", **small)
        buttons = {name: W.Button(description=name, layout=W.Layout(width="120px"))
                   for name in ("insert after", "replace", "remove", "reset")}
        image = W.Image(value=self.render_png(), format="png",
                        layout=W.Layout(width=f"{int(self.figsize[0] * self.dpi)}px",
                                        height=f"{int(self.figsize[1] * self.dpi)}px"))
        image.add_class("explorer-image")
        table = W.HTML(layout=W.Layout(height="230px", overflow="auto"))
        busy = {"on": False}

        def refresh():
            busy["on"] = True
            try:
                names = [f"{i}: {t}" for i, t in enumerate(self.layer_texts())]
                layer_list.options = names
                sel = self.state["selected"]
                layer_list.index = sel if sel is not None and sel < len(names) else None
                image.value = self.render_png()
                table.value = self.html_table()
            finally:
                busy["on"] = False

        def new_layer():
            k = kind.value
            if k == "conv":
                return conv(out_n.value, ksize.value, stride.value, pad.value)
            if k in ("maxpool", "avgpool"):
                return layer_spec({"type": k, "kernel_size": ksize.value, "stride": stride.value,
                                   "padding": min(pad.value, ksize.value // 2)})
            if k == "linear":
                return linear(out_n.value)
            return {"type": k}

        def on_size(_change):
            if not busy["on"]:
                self.set_state(input_shape=tuple(s.value for s in sizes.values()))
                refresh()

        def on_select(change):
            if not busy["on"]:
                self.set_state(selected=change["new"])
                refresh()

        def on_kind(_change):
            k = kind.value
            out_n.disabled = k not in ("conv", "linear")
            out_n.description = "out features" if k == "linear" else "out channels"
            ksize.disabled = stride.disabled = pad.disabled = k not in ("conv", "maxpool", "avgpool")
            if k in ("maxpool", "avgpool"):
                ksize.value, stride.value, pad.value = 2, 2, 0
            elif k == "conv":
                ksize.value, stride.value, pad.value = 3, 1, 0

        def click(name):
            def handler(_button):
                sel = self.state["selected"]
                n = len(self.state["layers"])
                if name == "insert after" and n < self.max_layers:
                    self.add_layer(new_layer(), n if sel is None else sel + 1)
                elif name == "replace" and sel is not None:
                    self.replace_layer(sel, new_layer())
                elif name == "remove" and sel is not None:
                    self.remove_layer(sel)
                elif name == "reset":
                    self.set_state(**self.default_state())
                    busy["on"] = True
                    try:
                        if len(self.state["input_shape"]) == 3:
                            for ctrl, v in zip(sizes.values(), self.state["input_shape"], strict=True):
                                ctrl.value = v
                    finally:
                        busy["on"] = False
                refresh()
            return handler

        for ctrl in sizes.values():
            ctrl.observe(on_size, names="value")
        layer_list.observe(on_select, names="index")
        kind.observe(on_kind, names="value")
        for name, button in buttons.items():
            button.on_click(click(name))
        refresh()
        editor = W.VBox([kind, out_n, ksize, stride, pad])
        box = W.VBox([W.HBox(list(sizes.values()), layout=W.Layout(flex_flow="row wrap")),
                      W.HBox([layer_list, editor, W.VBox(list(buttons.values()))]), image, table])
        box.add_class("explorer")
        self._widget = box
        self._image = image
        return box
