"""An explorer for convolution arithmetic: input size, kernel size, padding, stride and dilation.

Five sliders that keep each other valid (padding at most the kernel's span − 1, and the kernel always
fits in the padded input), a picture of the padded input with every kernel position marked by a dot,
the output grid, and the output-size formula with the numbers substituted.

The pure core is :meth:`ConvArithmeticExplorer.compute` (state in, sizes and positions out), which the
tests compare with the shapes torch produces.
"""

from __future__ import annotations

from ..sizes import conv_output_formula, conv_output_size
from .animation import ConvDiagram, conv_geometry
from .base import Explorer

__all__ = ["ConvArithmeticExplorer"]

_LABELS = {"size": "input i", "kernel_size": "kernel k", "padding": "padding p", "stride": "stride s",
           "dilation": "dilation d"}


class ConvArithmeticExplorer(Explorer):
    """Sliders for the size, kernel_size, padding, stride and dilation of a square 2D convolution.

    >>> ex = ConvArithmeticExplorer()
    >>> r = ex.compute(size=5, kernel_size=3, padding=1, stride=2, dilation=1)
    >>> r["output_size"], r["starts"], r["formula"]
    (3, [0, 2, 4], '⌊(5 + 2·1 − 3)/2⌋ + 1 = 3')
    >>> ex.set_state(kernel_size=5, dilation=3, size=3)     # too big: padding grows, dilation gives way
    {'size': 3, 'kernel_size': 5, 'padding': 4, 'stride': 2, 'dilation': 2}
    """

    figsize = (8.0, 4.4)
    dpi = 80
    ranges = {"size": (3, 9), "kernel_size": (1, 5), "padding": (0, 4), "stride": (1, 4), "dilation": (1, 3)}

    def __init__(self, **state):
        self._changed: set[str] = set()
        self._initial = state
        super().__init__()

    # --- state -------------------------------------------------------------------------------------
    def default_state(self) -> dict:
        state = {"size": 5, "kernel_size": 3, "padding": 1, "stride": 2, "dilation": 1}
        unknown = set(self._initial) - set(state)
        if unknown:
            raise TypeError(f"unknown control(s) {sorted(unknown)}: the explorer has {sorted(state)}.")
        state.update(self._initial)
        return state

    def controls(self) -> dict:
        import ipywidgets as widgets

        return {name: widgets.IntSlider(value=self.state[name], min=lo, max=hi, description=_LABELS[name],
                                        continuous_update=False, style={"description_width": "70px"},
                                        layout=widgets.Layout(width="250px"))
                for name, (lo, hi) in self.ranges.items()}

    def set_state(self, **changes) -> dict:
        unknown = set(changes) - set(self.ranges)
        if unknown:
            raise TypeError(f"unknown control(s) {sorted(unknown)}: the explorer has {sorted(self.ranges)}.")
        self._changed = set(changes)
        try:
            return super().set_state(**changes)
        finally:
            self._changed = set()

    def constrain(self, state: dict) -> dict:
        """Clamp every value to its slider and make the combination valid, keeping the control just moved.

        Rules: ``padding ≤ d(k − 1)`` (more padding would let a window see only zeros), and the kernel's
        span ``d(k − 1) + 1`` fits in the padded input ``i + 2p``. When the kernel does not fit, a control
        the student did not just move gives way: padding grows, or dilation / kernel size shrink.
        """
        s = {}
        for name, (lo, hi) in self.ranges.items():
            value = state.get(name, lo)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                raise TypeError(f"{name} must be a whole number between {lo} and {hi}, got {value!r}.")
            s[name] = min(max(int(value), lo), hi)
        changed = set(self._changed)

        def span():
            return s["dilation"] * (s["kernel_size"] - 1) + 1

        def fits():
            return s["size"] + 2 * s["padding"] >= span()

        def step(order, frozen):
            for name, direction in order:
                lo, hi = self.ranges[name]
                if name in frozen:
                    continue
                if direction > 0 and s[name] < (min(hi, span() - 1) if name == "padding" else hi):
                    s[name] += 1
                    return True
                if direction < 0 and s[name] > lo:
                    s[name] -= 1
                    return True
            return False

        if changed & {"kernel_size", "dilation"}:
            other = "dilation" if "kernel_size" in changed else "kernel_size"
            order = [("padding", +1), (other, -1), ("size", +1)]
        else:
            order = [("dilation", -1), ("kernel_size", -1), ("padding", +1), ("size", +1)]
        for frozen in (changed, set()):          # if the moved controls cannot stay, let them give way too
            for _ in range(64):
                s["padding"] = min(s["padding"], span() - 1)
                if fits() or not step(order, frozen):
                    break
            if fits():
                break
        s["padding"] = min(s["padding"], span() - 1)
        return s

    # --- the pure core --------------------------------------------------------------------------------
    def compute(self, size, kernel_size, padding, stride, dilation) -> dict:
        """Sizes and kernel positions along one axis (the picture is square).

        Keys: ``padded_size = i + 2p``, ``span = d(k − 1) + 1``, ``room = i + 2p − span`` (how far the kernel
        can move), ``steps = ⌊room/s⌋``, ``output_size = steps + 1``, ``starts`` (first padded index of each
        window), ``unused`` (padded indices no window touches), ``unused_input`` (those that are real input),
        ``leftover = room mod s``, ``mode`` ('valid', 'same', 'full' or ''), ``formula`` and ``note`` (text).
        """
        o = conv_output_size(size, kernel_size, stride, padding, dilation)
        g = conv_geometry(size, kernel_size, stride, padding, dilation).rows
        span = g.span
        room = size + 2 * padding - span
        unused = list(g.unused)
        unused_input = [c - padding for c in unused if padding <= c < padding + size]
        mode = ""
        if stride == 1 and o == size:
            mode = "same"
        elif padding == 0:
            mode = "valid"
        elif stride == 1 and padding == span - 1:
            mode = "full"
        return {
            "input_size": size, "kernel_size": kernel_size, "padding": padding, "stride": stride,
            "dilation": dilation, "padded_size": size + 2 * padding, "span": span, "room": room,
            "steps": room // stride, "output_size": o, "starts": list(g.starts), "unused": unused,
            "unused_input": unused_input, "leftover": room % stride, "mode": mode,
            "formula": conv_output_formula(size, kernel_size, stride, padding, dilation),
            "note": self._note(kernel_size, stride, dilation, o, span, room, unused_input, mode),
        }

    @staticmethod
    def _note(k, s, d, o, span, room, unused_input, mode):
        parts = []
        if mode == "same":
            parts.append(f"'same' padding: output {o}×{o} = input")
        elif mode == "valid":
            before = f" before stride {s}" if s > 1 else ""
            parts.append(f"'valid': no padding, {span - 1} lost per axis{before}")
        elif mode == "full":
            parts.append(f"'full' padding: output {o}×{o}")
        if d > 1:
            parts.append(f"dilated kernel spans {span}×{span}")
        if room % s:
            if unused_input:
                parts.append(f"input row/col {unused_input[-1]} never used")
            else:
                parts.append(f"last {room % s} padded row/col unused")
        return ";  ".join(parts)

    # --- the picture -----------------------------------------------------------------------------------
    def build(self) -> None:
        self.ax = self.fig.add_axes((0.01, 0.12, 0.98, 0.8))
        self.diagram = ConvDiagram(self.ax, dots=True, numbers=False, fontsize=10)
        self.title = self.fig.text(0.5, 0.955, "", ha="center", va="center", fontsize=12)
        self.note = self.fig.text(0.5, 0.045, "", ha="center", va="center", fontsize=10,
                                  color=(0.3, 0.3, 0.3))
        self.draw(**self.state)

    def draw(self, size, kernel_size, padding, stride, dilation) -> None:
        result = self.compute(size, kernel_size, padding, stride, dilation)
        g = conv_geometry(size, kernel_size, stride, padding, dilation)
        self.diagram.set_geometry(g)
        self.diagram.set_frame(0)
        o = result["output_size"]
        self.title.set_text(f"{result['formula']}  →  {o}×{o}")
        self.note.set_text(result["note"])

    def benchmark_states(self) -> list[dict]:
        """One slider move each, through small, large and odd configurations."""
        return [{"size": 7}, {"padding": 2}, {"stride": 1}, {"kernel_size": 5}, {"dilation": 2},
                {"size": 9}, {"stride": 3}, {"padding": 0}, {"kernel_size": 2}, {"size": 4},
                {"dilation": 1}, {"padding": 1}]
