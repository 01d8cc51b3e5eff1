"""Follow a tensor through a torch model: the shape after every layer and where the parameters live."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validate import describe, flag, whole_or_none


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


def _shape_text(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _size_formula(layer, in_shape, out_shape) -> str:
    from torch import nn

    from .sizes import _formula_conv

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
            parts.append(f"{axis}: {_formula_conv(i, kk, ss, pp, dd)} = {o}")
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


def trace_shapes(model, input_shape, *, formulas: bool = False, show: bool = True) -> list[Row]:
    """Run one zero input of ``input_shape`` (no batch dimension) through ``model``; one row per layer.

    Each :class:`Row` holds the layer, its output shape (without the batch dimension N), its
    parameter count, the output-size formula with the numbers substituted and the parameter formula.
    With ``show=True`` the rows are printed as a table (``formulas=True`` adds the two formula columns).
    For an ``nn.Sequential`` the layers run one by one, so a layer whose input does not fit raises
    :class:`ShapeMismatchError` (a ValueError) naming that layer and the shape that reached it.
    Other modules are traced with forward hooks on their leaf layers, in the order they run.

    >>> from torch import nn
    >>> rows = trace_shapes(nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.MaxPool2d(2)), (3, 50, 70))
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
    show = flag(show, "show")
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
    if show:
        print(format_table(rows, formulas=formulas))
    return rows


def _check_input_shape(input_shape) -> tuple:
    """input_shape as a tuple of ints ≥ 1 (one int is a 1-tuple); TypeError/ValueError saying what fits."""
    fits = "a tuple of ints such as (3, 32, 32) — channels, height, width, without the batch dimension"
    if whole_or_none(input_shape) is not None:
        input_shape = (input_shape,)
    if input_shape is None or isinstance(input_shape, (str, bytes)):
        raise TypeError(f"input_shape must be {fits}; got {describe(input_shape)}.")
    given = describe(input_shape)
    if hasattr(input_shape, "detach") and hasattr(input_shape, "numpy"):
        input_shape = input_shape.detach().cpu().numpy()
    if isinstance(input_shape, np.ndarray) and input_shape.ndim != 1:
        raise TypeError(f"input_shape must be {fits}; got {given} — the data itself. Pass its "
                        "shape: x.shape for one image, x.shape[1:] for a batch.")
    try:
        items = tuple(input_shape.tolist() if hasattr(input_shape, "tolist") else input_shape)
    except TypeError:
        raise TypeError(f"input_shape must be {fits}; got {describe(input_shape)}.") from None
    sizes = tuple(whole_or_none(v) for v in items)
    if None in sizes:
        bad = items[sizes.index(None)]
        raise TypeError(f"input_shape must be {fits}; got {tuple(items)!r}, whose entry {describe(bad)} is "
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
