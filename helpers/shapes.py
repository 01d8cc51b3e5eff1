"""The shape after every layer and where the parameters live: traced through a torch model, or computed without torch.

Two ways to the same table of :class:`Row` s:

* :func:`trace_shapes` runs one zero input through a torch model, layer by layer, and stops with
  :class:`ShapeMismatchError` at the first layer whose input does not fit.
* :func:`compute` follows the same shapes through a list of *layer specs* — small dicts made by :func:`conv`,
  :func:`maxpool`, :func:`avgpool`, :func:`relu`, :func:`flatten` and :func:`linear` (or tuples such as
  ``("conv", 10, 3)``) — with the size formulas of :mod:`helpers.sizes` and the parameter formulas of
  :mod:`helpers.params`: no torch, so it answers in microseconds (the CNN builder of notebook 07,
  :mod:`helpers.explorers.builder`, redraws on it). It wires the layers as you would by hand: a convolution
  takes as many input channels as the layer before it produces, a fully connected layer as many input features
  as reach it. State those numbers yourself (``conv(10, 3, in_channels=16)``, ``linear(2, in_features=1000)``)
  and it checks them, as torch would. :func:`to_torch` builds the same network as an ``nn.Sequential``; the
  tests check that :func:`trace_shapes` on it gives the same rows and stops at the same layer.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._text import TextTable
from ._text import shape as _shape_text
from ._validate import describe as describe_value
from ._validate import flag, int_param, whole_or_none
from .params import conv_params, linear_params
from .sizes import size_arithmetic


class Row(NamedTuple):
    """One layer of a :func:`trace_shapes` table. Shapes leave out the batch dimension N."""

    index: int
    name: str
    layer: str
    output_shape: tuple
    params: int
    formula: str
    param_formula: str


class ShapeMismatchError(ValueError):
    """Raised by :func:`trace_shapes` at the first layer whose input does not fit.

    ``layer`` is that layer (None when the model's own forward code failed outside any layer).
    """

    def __init__(self, message: str, layer=None):
        super().__init__(message)
        self.layer = layer


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _size_formula(layer, in_shape, out_shape) -> str:
    from torch import nn

    from .sizes import size_arithmetic

    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and len(in_shape) == 3:
        k = _pair(layer.kernel_size)
        s = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        pad = layer.padding
        d = _pair(getattr(layer, "dilation", 1))
        if isinstance(pad, str):
            return f"padding='{pad}': H = {out_shape[1]}, W = {out_shape[2]}"
        p = _pair(pad)
        parts = []
        for axis, i, kk, ss, pp, dd, o in zip("HW", in_shape[1:], k, s, p, d, out_shape[1:]):
            parts.append(f"{axis}: {size_arithmetic(i, kk, ss, pp, dd)} = {o}")
        return "; ".join(parts)
    if isinstance(layer, nn.Flatten) and len(out_shape) == 1:
        return f"{'·'.join(str(v) for v in in_shape)} = {out_shape[0]}" if len(in_shape) > 1 else "unchanged"
    if isinstance(layer, nn.Linear):
        return f"{layer.in_features} features → {layer.out_features}"
    if tuple(in_shape) == tuple(out_shape):
        return "same shape"
    return f"{_shape_text(in_shape)} → {_shape_text(out_shape)}"


def _short(layer) -> str:
    """A compact description of a layer, e.g. ``Conv2d(3→10, k=3, s=1, p=0)``."""
    from torch import nn

    def one(v):
        v = _pair(v)
        return str(v[0]) if v[0] == v[1] else f"{v[0]}×{v[1]}"

    if isinstance(layer, nn.Conv2d):
        pad = layer.padding if isinstance(layer.padding, str) else one(layer.padding)
        extra = f", d={one(layer.dilation)}" if _pair(layer.dilation) != (1, 1) else ""
        return f"Conv2d({layer.in_channels}→{layer.out_channels}, k={one(layer.kernel_size)}, " \
               f"s={one(layer.stride)}, p={pad}{extra})"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        s = layer.stride if layer.stride is not None else layer.kernel_size
        return f"{type(layer).__name__}(k={one(layer.kernel_size)}, s={one(s)}, p={one(layer.padding)})"
    if isinstance(layer, nn.Linear):
        return f"Linear({layer.in_features}→{layer.out_features})"
    text = repr(layer)
    return text if len(text) <= 40 and "\n" not in text else f"{type(layer).__name__}(…)"


def _param_formula(layer) -> str:
    from torch import nn

    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        cin = layer.in_channels // layer.groups
        if layer.bias is not None:
            return f"{layer.out_channels}·({cin}·{kh}·{kw} + 1)"
        return f"{layer.out_channels}·{cin}·{kh}·{kw}"
    if isinstance(layer, nn.Linear):
        if layer.bias is not None:
            return f"{layer.out_features}·({layer.in_features} + 1)"
        return f"{layer.out_features}·{layer.in_features}"
    n = sum(p.numel() for p in layer.parameters(recurse=False))
    return "no parameters" if n == 0 else str(n)


def _explain_input(layer, in_shape):
    """Why the model's *input* does not fit its first layer, when the cause is a common slip in input_shape:
    channels last (H, W, C), the batch dimension included, or no channel axis. None otherwise."""
    from torch import nn

    if not isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm2d)):
        return None
    channels = layer.in_channels if isinstance(layer, nn.Conv2d) else getattr(layer, "num_features", None)
    given = tuple(in_shape)
    if len(given) == 4:
        return (f"input_shape {given} has 4 numbers, but it must leave out the batch dimension N (a conv "
                f"layer sees each image as C×H×W): pass input_shape={given[1:]}.")
    if channels is None:
        return None
    if len(given) == 3 and given[0] != channels and given[2] == channels:
        fixed = (given[2], given[0], given[1])
        return (f"it expects {channels} input channels, and input_shape {given} has them last "
                f"(H×W×C = {_shape_text(given)}). PyTorch puts the channels first (C×H×W): pass "
                f"input_shape={fixed}, and move the axis of the images themselves with x.permute(2, 0, 1) "
                f"(a tensor) or x.transpose(2, 0, 1) (NumPy); for a batch, permute(0, 3, 1, 2).")
    if len(given) == 2:
        fixed = (channels,) + given
        return (f"input_shape {given} has no channel axis, but a conv layer wants (C, H, W) with "
                f"C = {channels} here: pass input_shape={fixed}"
                + (" (a grey image has one channel: x[None] adds the axis)." if channels == 1 else "."))
    return None


def _explain(layer, in_shape, err, first: bool = False) -> str:
    from torch import nn

    if first:
        why = _explain_input(layer, in_shape)
        if why is not None:
            return why
    shown = "N×" + _shape_text(in_shape)
    if isinstance(layer, nn.Linear) and len(in_shape) > 1 and math.prod(in_shape) == layer.in_features:
        return (f"it expects {layer.in_features} input features but receives N×{_shape_text(in_shape)}: "
                f"flatten first (nn.Flatten() before it), which gives exactly the {layer.in_features} features.")
    if isinstance(layer, nn.Linear) and in_shape and in_shape[-1] != layer.in_features:
        return (f"it expects {layer.in_features} input features but receives {in_shape[-1]} "
                f"(input N×{_shape_text(in_shape)}). Set in_features={in_shape[-1]}"
                + (" and flatten first" if len(in_shape) > 1 else "") + ".")
    if isinstance(layer, nn.Conv2d) and len(in_shape) == 3 and in_shape[0] != layer.in_channels:
        return (f"it expects {layer.in_channels} input channels but receives {in_shape[0]} "
                f"(input {shown}). Set in_channels={in_shape[0]} or change the layer before it.")
    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and len(in_shape) == 3:
        k = _pair(layer.kernel_size)
        return (f"its {k[0]}×{k[1]} window does not fit in the {in_shape[1]}×{in_shape[2]} input "
                f"(input {shown}): use a smaller kernel, padding, or fewer pooling layers before it.")
    return f"input {shown} does not fit: {str(err).splitlines()[0]}"


def _refuse_unbatched(layer, x):
    """A 2D conv or pool layer given N×H×W (no channel axis) would treat N as the channels and run anyway
    (torch's unbatched form), so every shape after it would be wrong: stop with a RuntimeError instead."""
    from torch import nn

    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) and x.ndim == 3:
        raise RuntimeError(f"a 2D layer needs C×H×W for each example, but this input has no channel axis "
                           f"(N×{_shape_text(tuple(x.shape[1:]))})")


def _layers(model):
    """(name, module) pairs in the order a Sequential runs them, nested Sequentials opened up."""
    from torch import nn

    if isinstance(model, nn.Sequential):
        out = []
        for name, child in model.named_children():
            if isinstance(child, nn.Sequential):
                out += [(f"{name}.{n}", m) for n, m in _layers(child)]
            else:
                out.append((name, child))
        return out
    return None


class ShapeTrace(TextTable):
    """The rows of :func:`trace_shapes` (a list of :class:`Row`) that shows itself as the table.

    A cell that ends with ``trace_shapes(...)`` displays the table; ``rows = trace_shapes(...)`` displays
    nothing; ``print(rows)`` prints it. ``rows.table`` is the text.
    """

    def __init__(self, rows=(), formulas: bool = False):
        super().__init__(rows)
        self.formulas = formulas

    @property
    def table(self) -> str:
        return format_table(self, formulas=self.formulas)


def trace_shapes(model, input_shape, *, formulas: bool = False) -> ShapeTrace:
    """Run one zero input of ``input_shape`` (no batch dimension) through ``model``; one row per layer.

    Each :class:`Row` holds the layer, its output shape (without the batch dimension N), its
    parameter count, the output-size formula with the numbers substituted and the parameter formula.
    The result is a list of rows that displays itself as a table (:class:`ShapeTrace`: end a cell with it to
    see it); ``formulas=True`` adds the two formula columns.
    For an ``nn.Sequential`` the layers run one by one, so a layer whose input does not fit raises
    :class:`ShapeMismatchError` (a ValueError) naming that layer and the shape that reached it.
    Other modules are traced with forward hooks on their leaf layers, in the order they run.

    >>> from torch import nn
    >>> rows = trace_shapes(nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2)), (3, 50, 70))
    >>> rows
       layer                          output  params
    0  Conv2d(3→10, k=3, s=1, p=0)  10×48×68     280
    1  ReLU()                       10×48×68       0
    2  MaxPool2d(k=2, s=2, p=0)     10×24×34       0
    total parameters: 280
    >>> rows[2].output_shape
    (10, 24, 34)
    """
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module (for example nn.Sequential), got {type(model).__name__}.")
    formulas = flag(formulas, "formulas")
    input_shape = _check_input_shape(input_shape)
    try:
        first = next(model.parameters())
        dtype, device = first.dtype, first.device
    except StopIteration:
        dtype, device = torch.float32, torch.device("cpu")
    x = torch.zeros((1,) + input_shape, dtype=dtype, device=device)
    rows: list[Row] = []

    def add(i, name, layer, in_shape, out):
        out_shape = tuple(out.shape[1:])
        n = sum(p.numel() for p in layer.parameters())
        rows.append(Row(i, name, _short(layer), out_shape, n,
                        _size_formula(layer, in_shape, out_shape), _param_formula(layer)))

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            layers = _layers(model)
            if layers is not None:
                for i, (name, layer) in enumerate(layers):
                    in_shape = tuple(x.shape[1:])
                    try:
                        _refuse_unbatched(layer, x)
                        x = layer(x)
                    except (RuntimeError, IndexError, ValueError) as err:
                        raise ShapeMismatchError(f"layer {i} ({layer}) cannot run: "
                                                 f"{_explain(layer, in_shape, err, first=not rows)}",
                                                 layer) from None
                    add(i, name, layer, in_shape, x)
            else:
                leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
                current = {}
                hooks = []
                for name, layer in leaves:
                    def pre(mod, args, name=name):
                        current["name"], current["layer"], current["done"] = name, mod, False
                        current["in"] = tuple(args[0].shape[1:]) if args and hasattr(args[0], "shape") else ()
                        if args and hasattr(args[0], "shape"):
                            _refuse_unbatched(mod, args[0])

                    def post(mod, args, out, name=name):
                        current["done"] = True
                        current["out"] = tuple(out.shape[1:]) if hasattr(out, "shape") else ()
                        if hasattr(out, "shape"):
                            add(len(rows), name, mod, current.get("in", ()), out)
                    hooks += [layer.register_forward_pre_hook(pre), layer.register_forward_hook(post)]
                try:
                    model(x)
                except (RuntimeError, IndexError, ValueError) as err:
                    layer = current.get("layer")
                    if layer is None:
                        raise ShapeMismatchError(
                            f"the model's own forward code failed before any layer ran (input "
                            f"N×{_shape_text(input_shape)}): {str(err).splitlines()[0]}"
                        ) from None
                    if current.get("done"):
                        raise ShapeMismatchError(
                            f"after layer {current.get('name')} ({_short(layer)}, output "
                            f"N×{_shape_text(current.get('out', ()))}) the model's own forward code failed, "
                            f"e.g. adding a skip connection of another shape: {str(err).splitlines()[0]}"
                        ) from None
                    raise ShapeMismatchError(f"layer {current.get('name')} ({layer}) cannot run: "
                                             f"{_explain(layer, current.get('in', ()), err, first=not rows)}",
                                             layer) from None
                finally:
                    for h in hooks:
                        h.remove()
    finally:
        model.train(was_training)
    return ShapeTrace(rows, formulas=formulas)


def _check_input_shape(input_shape) -> tuple:
    """input_shape as a tuple of ints ≥ 1 (one int is a 1-tuple); TypeError/ValueError saying what fits."""
    fits = "a tuple of ints such as (3, 32, 32) — channels, height, width, without the batch dimension"
    if whole_or_none(input_shape) is not None:
        input_shape = (input_shape,)
    if input_shape is None or isinstance(input_shape, (str, bytes)):
        raise TypeError(f"input_shape must be {fits}; got {describe_value(input_shape)}.")
    given = describe_value(input_shape)
    if hasattr(input_shape, "detach") and hasattr(input_shape, "numpy"):
        input_shape = input_shape.detach().cpu().numpy()
    if isinstance(input_shape, np.ndarray) and input_shape.ndim != 1:
        raise TypeError(f"input_shape must be {fits}; got {given} — the data itself. Pass its "
                        "shape: x.shape for one image, x.shape[1:] for a batch.")
    try:
        items = tuple(input_shape.tolist() if hasattr(input_shape, "tolist") else input_shape)
    except TypeError:
        raise TypeError(f"input_shape must be {fits}; got {describe_value(input_shape)}.") from None
    sizes = tuple(whole_or_none(v) for v in items)
    if None in sizes:
        bad = items[sizes.index(None)]
        raise TypeError(f"input_shape must be {fits}; got {tuple(items)!r}, whose entry {describe_value(bad)} is "
                        "not a whole number.")
    if not sizes or any(v < 1 for v in sizes):
        raise ValueError(f"input_shape must list positive sizes without the batch dimension, e.g. (3, 32, 32); "
                         f"got {sizes}.")
    return sizes


def format_table(rows, formulas: bool = False) -> str:
    """The text table that :func:`trace_shapes` prints."""
    head = ["", "layer", "output", "params"] + (["size formula", "parameter formula"] if formulas else [])
    body = []
    for r in rows:
        cells = [str(r.index), r.layer, _shape_text(r.output_shape), f"{r.params:,}"]
        if formulas:
            cells += [r.formula, r.param_formula]
        body.append(cells)
    widths = [max(len(c[i]) for c in [head] + body) for i in range(len(head))]
    right = {0, 2, 3}

    def fmt(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [fmt(head)] + [fmt(c) for c in body]
    lines.append(f"total parameters: {sum(r.params for r in rows):,}")
    return "\n".join(lines)


# --- without torch: layer specs -----------------------------------------------------------------------------
# kind → (positional fields in order, defaults); fields without a default are required
_FIELDS = {
    "conv": (("out_channels", "kernel_size", "stride", "padding", "in_channels"),
             {"kernel_size": 3, "stride": 1, "padding": 0, "in_channels": None}),
    "maxpool": (("kernel_size", "stride", "padding"), {"kernel_size": 2, "stride": None, "padding": 0}),
    "avgpool": (("kernel_size", "stride", "padding"), {"kernel_size": 2, "stride": None, "padding": 0}),
    "relu": ((), {}),
    "flatten": ((), {}),
    "linear": (("out_features", "in_features"), {"in_features": None}),
}
_MINIMUM = {"kernel_size": 1, "stride": 1, "padding": 0}
_PIXELS = set(_MINIMUM)
KINDS = tuple(_FIELDS)


def conv(out_channels, kernel_size=3, stride=1, padding=0, in_channels=None) -> dict:
    """A square ``Conv2d`` layer; ``in_channels=None`` takes the channels of the layer before.

    >>> conv(10, 3)
    {'type': 'conv', 'out_channels': 10, 'kernel_size': 3, 'stride': 1, 'padding': 0, 'in_channels': None}
    """
    return layer_spec({"type": "conv", "out_channels": out_channels, "kernel_size": kernel_size,
                       "stride": stride, "padding": padding, "in_channels": in_channels})


def maxpool(kernel_size=2, stride=None, padding=0) -> dict:
    """A square ``MaxPool2d`` layer; ``stride`` defaults to ``kernel_size`` as in torch.

    >>> maxpool(2)
    {'type': 'maxpool', 'kernel_size': 2, 'stride': None, 'padding': 0}
    """
    return layer_spec({"type": "maxpool", "kernel_size": kernel_size, "stride": stride, "padding": padding})


def avgpool(kernel_size=2, stride=None, padding=0) -> dict:
    """A square ``AvgPool2d`` layer; ``stride`` defaults to ``kernel_size`` as in torch."""
    return layer_spec({"type": "avgpool", "kernel_size": kernel_size, "stride": stride, "padding": padding})


def relu() -> dict:
    """A ``ReLU``: same shape, no parameters."""
    return {"type": "relu"}


def flatten() -> dict:
    """A ``Flatten``: C×H×W becomes one vector of C·H·W features."""
    return {"type": "flatten"}


def linear(out_features, in_features=None) -> dict:
    """A fully connected ``Linear`` layer; ``in_features=None`` takes the size of the vector that reaches it.

    >>> linear(2)
    {'type': 'linear', 'out_features': 2, 'in_features': None}
    """
    return layer_spec({"type": "linear", "out_features": out_features, "in_features": in_features})


def layer_spec(spec) -> dict:
    """Check one layer given as a dict (``{"type": "conv", "out_channels": 10, …}``) or a tuple
    (``("conv", 10, 3)``, ``("maxpool", 2)``, ``("flatten",)``, ``("linear", 2)``); return the full dict.

    >>> layer_spec(("conv", 10, 3, 1, 1))
    {'type': 'conv', 'out_channels': 10, 'kernel_size': 3, 'stride': 1, 'padding': 1, 'in_channels': None}
    """
    if isinstance(spec, (tuple, list)):
        if not spec or not isinstance(spec[0], str):
            raise TypeError(f"a layer given as a tuple starts with its type, one of {', '.join(KINDS)}; "
                            f"got {spec!r}.")
        kind = spec[0]
        fields = _FIELDS.get(kind, ((), {}))[0]
        if kind in _FIELDS and len(spec) - 1 > len(fields):
            raise TypeError(f"a {kind} layer takes at most {len(fields)} values after its type "
                            f"({', '.join(fields) or 'none'}); got {spec!r}.")
        spec = {"type": kind, **dict(zip(fields, spec[1:], strict=False))}
    if not isinstance(spec, dict):
        raise TypeError(f"a layer must be a dict such as conv(10, 3) or a tuple such as ('conv', 10, 3); "
                        f"got {type(spec).__name__} {spec!r:.60}.")
    kind = spec.get("type")
    if kind not in _FIELDS:
        raise ValueError(f"layer type must be one of {', '.join(KINDS)}; got {kind!r}.")
    fields, defaults = _FIELDS[kind]
    unknown = sorted(set(spec) - set(fields) - {"type"})
    if unknown:
        raise TypeError(f"a {kind} layer has no setting {', '.join(unknown)}; it has "
                        f"{', '.join(fields) or 'no settings'}.")
    out = {"type": kind}
    for name in fields:
        if name not in spec and name not in defaults:
            raise TypeError(f"a {kind} layer needs {name} (for example {_example(kind)}).")
        value = spec.get(name, defaults.get(name))
        if value is None and name in defaults and defaults[name] is None:
            out[name] = None
        elif name in _PIXELS:
            out[name] = int_param(value, name, minimum=_MINIMUM[name])
        else:
            out[name] = _count(value, name)
    return out


def _count(value, name) -> int:
    """A number of channels or features: a whole number, at least 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise TypeError(f"{name} must be a whole number of {name.split('_')[1]} such as 10, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, got {int(value)}.")
    return int(value)


def _example(kind):
    return {"conv": "conv(10, 3)", "linear": "linear(2)"}.get(kind, f"{kind}()")


def _one_layer_text(spec, c_in=None, n_in=None) -> str:
    """Torch-like short text, e.g. ``Conv2d(3→10, k=3, s=1, p=0)``; '?' where a size is not known."""
    kind = spec["type"]
    if kind == "conv":
        cin = spec["in_channels"] if spec["in_channels"] is not None else (c_in if c_in is not None else "?")
        return (f"Conv2d({cin}→{spec['out_channels']}, k={spec['kernel_size']}, s={spec['stride']}, "
                f"p={spec['padding']})")
    if kind in ("maxpool", "avgpool"):
        s = spec["stride"] if spec["stride"] is not None else spec["kernel_size"]
        name = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"
        return f"{name}(k={spec['kernel_size']}, s={s}, p={spec['padding']})"
    if kind == "relu":
        return "ReLU()"
    if kind == "flatten":
        return "Flatten()"
    nin = spec["in_features"] if spec["in_features"] is not None else (n_in if n_in is not None else "?")
    return f"Linear({nin}→{spec['out_features']})"


def describe(layers) -> list[str]:
    """One short line per layer, as the builder's list shows them (sizes it would infer shown as '?').

    >>> describe([conv(10, 3), relu(), maxpool(2), flatten(), linear(2)])
    ['Conv2d(?→10, k=3, s=1, p=0)', 'ReLU()', 'MaxPool2d(k=2, s=2, p=0)', 'Flatten()', 'Linear(?→2)']
    """
    return [_one_layer_text(layer_spec(s)) for s in _as_list(layers)]


def _as_list(layers):
    if isinstance(layers, (dict, str)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of layers such as [conv(10, 3), relu(), maxpool(2)]; "
                        f"got {type(layers).__name__}.")
    return list(layers)


def _input_shape(input_shape) -> tuple:
    """input_shape checked as :func:`trace_shapes` checks it, and (C, H, W) or (F,): what the specs can take."""
    sizes = _check_input_shape(input_shape)
    if len(sizes) not in (1, 3):
        raise TypeError(f"input_shape must be (C, H, W) for an image or (F,) for a vector, without the batch "
                        f"dimension, e.g. (3, 50, 70); got {sizes!r}.")
    return sizes


# --- without torch: compute, the shapes and parameters of layer specs ------------------------------------
class _DoesNotFit(Exception):
    def __init__(self, kind, reason):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _window(spec, shape, k, s, p, what):
    """Output H, W of a conv or pool window, and the formula text; raises _DoesNotFit."""
    c, h, w = shape
    outs, parts = [], []
    for axis, i in (("H", h), ("W", w)):
        o = (i + 2 * p - k) // s + 1
        formula = f"{axis}: {size_arithmetic(i, k, s, p, 1)} = {o}"
        if i + 2 * p < k:
            raise _DoesNotFit("window", f"its {k}×{k} {what} does not fit in the {h}×{w} input (input "
                                        f"N×{_shape_text(shape)}): {formula}. Use a smaller kernel, padding, "
                                        "or fewer pooling layers before it.")
        outs.append(o)
        parts.append(formula)
    return outs, "; ".join(parts)


def _step(spec, shape):
    """(output shape, params, size formula, parameter formula, layer text) for one layer; or _DoesNotFit."""
    kind = spec["type"]
    flat = len(shape) == 1
    if kind in ("conv", "maxpool", "avgpool") and flat:
        raise _DoesNotFit("flat_input", f"it needs a C×H×W input but receives a flat vector of {shape[0]} "
                                        f"features (input N×{shape[0]}): convolution and pooling come before "
                                        "Flatten.")
    if kind == "conv":
        cin, cout = shape[0], spec["out_channels"]
        k, s, p = spec["kernel_size"], spec["stride"], spec["padding"]
        if spec["in_channels"] is not None and spec["in_channels"] != cin:
            raise _DoesNotFit("channels", f"it expects {spec['in_channels']} input channels but receives "
                                          f"{cin} (input N×{_shape_text(shape)}). Set in_channels={cin} or "
                                          "change the layer before it.")
        (h, w), formula = _window(spec, shape, k, s, p, "kernel")
        return ((cout, h, w), conv_params(cin, cout, k), formula, f"{cout}·({cin}·{k}·{k} + 1)",
                _one_layer_text(spec, c_in=cin))
    if kind in ("maxpool", "avgpool"):
        k, p = spec["kernel_size"], spec["padding"]
        s = spec["stride"] if spec["stride"] is not None else k
        if 2 * p > k:
            raise _DoesNotFit("padding", f"padding {p} is more than half of its {k}×{k} window, so a window "
                                         f"could see nothing but padding; torch refuses that. Use padding ≤ "
                                         f"{k // 2}.")
        (h, w), formula = _window(spec, shape, k, s, p, "window")
        return (shape[0], h, w), 0, formula, "no parameters", _one_layer_text(spec)
    if kind == "relu":
        return shape, 0, "same shape", "no parameters", "ReLU()"
    if kind == "flatten":
        if flat:
            return shape, 0, "unchanged", "no parameters", "Flatten()"
        n = math.prod(shape)
        return (n,), 0, f"{'·'.join(map(str, shape))} = {n}", "no parameters", "Flatten()"
    # linear
    if not flat:
        n = math.prod(shape)
        raise _DoesNotFit("needs_flatten", f"it needs a flat vector of features but receives "
                                           f"N×{_shape_text(shape)}. Add a Flatten before it: "
                                           f"{'·'.join(map(str, shape))} = {n} features.")
    n_in, n_out = shape[0], spec["out_features"]
    if spec["in_features"] is not None and spec["in_features"] != n_in:
        raise _DoesNotFit("features", f"it expects {spec['in_features']} input features but receives {n_in} "
                                      f"(input N×{n_in}). Set in_features={n_in}.")
    return ((n_out,), linear_params(n_in, n_out), f"{n_in} features → {n_out}", f"{n_out}·({n_in} + 1)",
            _one_layer_text(spec, n_in=n_in))


def compute(layers, input_shape) -> dict:
    """Follow one example of ``input_shape`` (no batch dimension) through ``layers``; stop where it breaks.

    Returns a dict with

    * ``rows``: one :class:`helpers.shapes.Row` per layer that runs (output shape, parameters, the
      size formula with numbers substituted, the parameter formula), as :func:`trace_shapes` makes;
    * ``error``: ``None``, or ``{"index", "layer", "kind", "message"}`` for the first layer whose input
      does not fit (``kind`` is one of ``window``, ``padding``, ``channels``, ``features``,
      ``flat_input``, ``needs_flatten``);
    * ``input_shape``, ``output_shape`` (``None`` after an error), ``total_params`` (of the rows that ran),
      ``values`` (numbers per example after each layer: C·H·W or F).

    >>> walk = [conv(10, 3), relu(), maxpool(2), conv(10, 3), relu(), maxpool(2), flatten()]
    >>> r = compute(walk, (3, 50, 70))
    >>> [row.output_shape for row in r["rows"]][::3], r["output_shape"], r["total_params"]
    ([(10, 48, 68), (10, 22, 32), (1760,)], (1760,), 1190)
    >>> print(compute([conv(10, 3), linear(2)], (3, 50, 70))["error"]["message"][:62])
    layer 1 (Linear(?→2)) cannot run: it needs a flat vector of fe
    """
    specs = [layer_spec(s) for s in _as_list(layers)]
    shape = _input_shape(input_shape)
    start = shape
    rows, error = [], None
    for i, spec in enumerate(specs):
        try:
            out, n, formula, param_formula, text = _step(spec, shape)
        except _DoesNotFit as err:
            c_in = shape[0] if len(shape) == 3 else None
            n_in = shape[0] if len(shape) == 1 else None
            text = _one_layer_text(spec, c_in=c_in, n_in=n_in)
            error = {"index": i, "layer": text, "kind": err.kind,
                     "message": f"layer {i} ({text}) cannot run: {err.reason}"}
            break
        rows.append(Row(i, str(i), text, tuple(out), n, formula, param_formula))
        shape = tuple(out)
    return {"input_shape": start, "rows": rows, "error": error,
            "output_shape": None if error else shape,
            "total_params": sum(r.params for r in rows),
            "values": [math.prod(r.output_shape) for r in rows]}


def to_torch(layers, input_shape):
    """The same network as a ``torch.nn.Sequential`` (sizes the builder infers filled in).

    Layers after the first one that does not fit have no known input size; the ones that would infer it
    become ``nn.LazyConv2d`` / ``nn.LazyLinear``. Running :func:`helpers.shapes.trace_shapes` on the result
    reproduces :func:`compute`'s rows, and raises at the same layer where ``compute`` reports an error.

    >>> to_torch([conv(10, 3), relu(), maxpool(2), flatten(), linear(2)], (3, 8, 8))
    Sequential(
      (0): Conv2d(3, 10, kernel_size=(3, 3), stride=(1, 1))
      (1): ReLU()
      (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
      (3): Flatten(start_dim=1, end_dim=-1)
      (4): Linear(in_features=90, out_features=2, bias=True)
    )
    """
    from torch import nn

    specs = [layer_spec(s) for s in _as_list(layers)]
    result = compute(specs, input_shape)
    shapes = [result["input_shape"]] + [r.output_shape for r in result["rows"]]
    modules = []
    for i, spec in enumerate(specs):
        shape = shapes[i] if i < len(shapes) else None
        kind = spec["type"]
        if kind == "conv":
            cin = spec["in_channels"] or (shape[0] if shape is not None and len(shape) == 3 else None)
            args = (spec["out_channels"], spec["kernel_size"])
            kw = {"stride": spec["stride"], "padding": spec["padding"]}
            modules.append(nn.Conv2d(cin, *args, **kw) if cin else nn.LazyConv2d(*args, **kw))
        elif kind in ("maxpool", "avgpool"):
            cls = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
            modules.append(cls(spec["kernel_size"], stride=spec["stride"], padding=spec["padding"]))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "flatten":
            modules.append(nn.Flatten())
        else:
            n_in = spec["in_features"] or (math.prod(shape) if shape is not None else None)
            n_out = spec["out_features"]
            modules.append(nn.Linear(n_in, n_out) if n_in else nn.LazyLinear(n_out))
    return nn.Sequential(*modules)
