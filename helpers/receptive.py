"""Receptive fields: which input pixels one unit of a conv/pool stack can see.

Along one axis, a stack of convolution and pooling layers is described by three numbers per layer:

* ``size`` (r): how many input pixels the receptive field of one unit spans;
* ``jump`` (j): how many input pixels apart two neighbouring units' fields are (the effective stride);
* ``start``: the first input pixel that unit 0 sees (negative when it reaches into the padding).

Starting from the input (r = 1, j = 1, start = 0), a layer with kernel size k, stride s, padding p and
dilation d gives ::

    r_out     = r_in + (k − 1)·d·j_in
    j_out     = j_in·s
    start_out = start_in − p·j_in

so unit ``i`` of a layer sees the input pixels ``start + i·j`` … ``start + i·j + r − 1`` (every pixel of
that range when there is no dilation; a dilated kernel can leave holes inside it). Pointwise layers
(ReLU, batch norm, dropout) change nothing.
"""

from __future__ import annotations

from typing import NamedTuple

from ._text import TextTable
from ._validate import int_param

_CONV_KINDS = {"conv", "conv1d", "conv2d"}
_POOL_KINDS = {"pool", "max", "avg", "maxpool", "avgpool", "max_pool", "avg_pool", "max_pool2d", "avg_pool2d",
               "maxpool2d", "avgpool2d"}
_POINTWISE_KINDS = {"relu", "pointwise", "identity", "batchnorm", "dropout"}


class Field(NamedTuple):
    """One layer's row of :func:`receptive_fields` (one axis; sizes in input pixels)."""

    index: int
    layer: str
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    size: int
    jump: int
    start: int
    out_size: int | None

    @property
    def center(self) -> float:
        """Input coordinate of the centre of unit 0's receptive field (pixel centres are whole numbers)."""
        return self.start + (self.size - 1) / 2

    def span(self, i: int) -> tuple[int, int]:
        """First and last input pixel seen by unit ``i`` of this layer (they may lie in the padding).

        >>> receptive_fields([("conv", 3), ("pool", 2)])[1].span(4)
        (8, 11)
        """
        i = int_param(i, "i", minimum=0)
        first = self.start + i * self.jump
        return first, first + self.size - 1


class _Spec(NamedTuple):
    name: str
    k: int
    s: int
    p: int              # padding before the first pixel (what moves the start)
    d: int
    ceil_mode: bool = False
    p_total: int | None = None   # padding on both sides together, when not 2·p ('same' with an even span)


def _one_axis(value, name, axis, where):
    """An int, or one entry of an (h, w) pair: the one for ``axis`` (both must agree when axis is None)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return value[0]
        if len(value) != 2:
            raise ValueError(f"{where}: {name} must be one int or a (height, width) pair, "
                             f"got {tuple(value)!r}.")
        if axis is None:
            if value[0] != value[1]:
                raise ValueError(
                    f"{where}: {name} is {tuple(value)!r}, different along height and width, so the "
                    "receptive field differs too: pass axis=0 (height) or axis=1 (width)."
                )
            return value[0]
        return value[axis]
    return value


def _spec_from_tuple(item, n, axis):
    where = f"layer {n} {tuple(item)!r}"
    if len(item) < 2 or len(item) > 5:
        raise ValueError(
            f"{where}: a layer is (kind, kernel_size, stride, padding, dilation) — kind and kernel_size are "
            f"required, the rest default as in torch — got {len(item)} values."
        )
    kind = item[0]
    if not isinstance(kind, str):
        raise TypeError(f"{where}: the first entry (kind) must be text such as 'conv' or 'pool', "
                        f"got {kind!r}.")
    kind = kind.lower()
    is_pool = kind in _POOL_KINDS
    if kind in _POINTWISE_KINDS:
        return _Spec(kind, 1, 1, 0, 1)
    if kind not in _CONV_KINDS and not is_pool:
        raise ValueError(f"{where}: kind must be 'conv' or 'pool' (also 'max', 'avg', 'relu'), "
                         f"got {item[0]!r}.")
    rest = list(item[1:]) + [None] * (5 - len(item))
    k_raw, s_raw, p_raw, d_raw = rest
    k = int_param(_one_axis(k_raw, "kernel_size", axis, where), "kernel_size", minimum=1)
    s = k if (s_raw is None and is_pool) else (1 if s_raw is None else
                                                 int_param(_one_axis(s_raw, "stride", axis, where), "stride",
                                                           minimum=1))
    d = 1 if d_raw is None else int_param(_one_axis(d_raw, "dilation", axis, where), "dilation", minimum=1)
    p, p_total = _padding(p_raw, k, s, d, axis, where)
    name = "conv" if not is_pool else ("maxpool" if kind.startswith("max") else
                                       "avgpool" if kind.startswith("avg") else "pool")
    return _Spec(name, k, s, p, d, False, p_total)


def _padding(p_raw, k, s, d, axis, where):
    """(padding before, padding in total) along the axis."""
    if p_raw is None:
        return 0, 0
    if isinstance(p_raw, str):
        mode = p_raw.lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            if s != 1:
                raise ValueError(f"{where}: padding='same' needs stride 1, got stride {s}.")
            total = d * (k - 1)
            return total // 2, total          # torch puts the odd extra pixel on the far side
        raise ValueError(f"{where}: padding must be a number, 'valid' or 'same', got {p_raw!r}.")
    p = int_param(_one_axis(p_raw, "padding", axis, where), "padding", minimum=0)
    return p, 2 * p


def _short_name(module):
    return type(module).__name__


def _specs_from_module(module, n, axis):
    """The specs of a torch module (nested Sequentials opened up)."""
    from torch import nn

    if isinstance(module, nn.Sequential):
        out = []
        for child in module.children():
            out += _specs_from_module(child, n + len(out), axis)
        return out
    where = f"layer {n} ({_short_name(module)})"
    conv = (nn.Conv1d, nn.Conv2d)
    pools = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
    pointwise = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
                 nn.Softplus, nn.Hardtanh, nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
                 nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.GroupNorm,
                 nn.LocalResponseNorm)
    if isinstance(module, pointwise):
        return [_Spec(_short_name(module), 1, 1, 0, 1)]
    if isinstance(module, conv + pools):
        k = int_param(_one_axis(module.kernel_size, "kernel_size", axis, where), "kernel_size", minimum=1)
        stride = module.stride if module.stride is not None else module.kernel_size
        s = int_param(_one_axis(stride, "stride", axis, where), "stride", minimum=1)
        d = int_param(_one_axis(getattr(module, "dilation", 1), "dilation", axis, where), "dilation",
                      minimum=1)
        p, p_total = _padding(module.padding, k, s, d, axis, where)
        # reflect/replicate/circular padding change the values in the border, not which pixels are reached
        name = "conv" if isinstance(module, conv) else (
            "maxpool" if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)) else "avgpool")
        return [_Spec(name, k, s, p, d, bool(getattr(module, "ceil_mode", False)), p_total)]
    if isinstance(module, (nn.Linear, nn.Flatten, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        raise ValueError(
            f"{where}: after this layer every unit sees the whole input, so a receptive field no longer "
            "says anything; pass only the convolutional layers before it (for a Sequential, a slice such "
            "as model[:4])."
        )
    raise TypeError(
        f"{where}: receptive_fields knows convolution and pooling layers (Conv1d/2d, MaxPool1d/2d, "
        "AvgPool1d/2d) and pointwise ones (activations, batch norm, dropout); describe this layer as a tuple "
        "(kind, kernel_size, stride, padding, dilation) instead."
    )


def _out_size(i, spec: _Spec):
    span = spec.d * (spec.k - 1) + 1
    room = i + (2 * spec.p if spec.p_total is None else spec.p_total) - span
    if room < 0:
        return room // spec.s + 1
    if spec.ceil_mode:
        o = -(-room // spec.s) + 1
        if (o - 1) * spec.s >= i + spec.p:   # torch: the last window must start inside the input or left pad
            o -= 1
        return o
    return room // spec.s + 1


class FieldTable(TextTable):
    """The rows of :func:`receptive_fields` (a list of :class:`Field`) that shows itself as the table.

    A cell that ends with ``receptive_fields(...)`` displays the table; ``print(rows)`` prints it;
    ``rows.table`` is the text; ``rows[-1].size`` is the last layer's receptive field.
    """

    def __init__(self, rows=(), input_size=None):
        super().__init__(rows)
        self.input_size = input_size

    @property
    def table(self) -> str:
        return format_fields(self, input_size=self.input_size)


def receptive_fields(layers, *, input_size=None, axis=None) -> FieldTable:
    """Receptive field size, jump and start of every layer of a conv/pool stack, along one axis.

    ``layers`` is a list of tuples ``(kind, kernel_size, stride, padding, dilation)`` — kind ``'conv'`` or
    ``'pool'`` (also ``'max'``, ``'avg'``, ``'relu'``); the trailing entries may be left out and default as
    in torch (conv stride 1, pool stride = kernel_size, padding 0, dilation 1) — or a torch
    ``nn.Sequential`` (or a list of modules) of Conv/MaxPool/AvgPool layers and pointwise layers.

    Recurrence, starting from r = 1, j = 1, start = 0 at the input:
    ``r_out = r_in + (k − 1)·d·j_in``, ``j_out = j_in·s``, ``start_out = start_in − p·j_in``.
    Unit ``i`` of a layer sees input pixels ``start + i·j`` to ``start + i·j + r − 1`` (``Field.span(i)``).

    ``input_size`` (pixels along the axis) also fills ``out_size``, the layer's output length.
    ``axis`` picks height (0) or width (1) when a layer's kernel, stride, padding or dilation differ
    between the two. The result is a list of rows that displays itself as a table (:class:`FieldTable`).

    The seed lecture's conv 3×3 → pool 2×2 → conv 3×3 → pool 2×2 stack:

    >>> rows = receptive_fields([("conv", 3), ("pool", 2), ("conv", 3), ("pool", 2)], input_size=50)
    >>> [(r.size, r.jump, r.start, r.out_size) for r in rows]
    [(3, 1, 0, 48), (4, 2, 0, 24), (8, 2, 0, 22), (10, 4, 0, 11)]
    >>> receptive_fields([("conv", 3, 1, 1)] * 2)[-1].size       # two 3×3 convs see 5×5, like one 5×5
    5
    """
    if axis is not None and axis not in (0, 1):
        raise ValueError(f"axis must be None, 0 (height) or 1 (width), got {axis!r}.")
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(
            "layers must be a list of (kind, kernel_size, stride, padding, dilation) tuples or a torch "
            f"nn.Sequential, got {type(layers).__name__}."
        )
    specs: list[_Spec] = []
    if hasattr(layers, "forward") and hasattr(layers, "children"):      # a torch module
        specs = _specs_from_module(layers, 0, axis)
    else:
        for item in layers:
            if isinstance(item, (tuple, list)):
                specs.append(_spec_from_tuple(item, len(specs), axis))
            elif hasattr(item, "forward"):
                specs += _specs_from_module(item, len(specs), axis)
            else:
                raise TypeError(
                    f"layer {len(specs)} is {item!r}: give each layer as a tuple such as "
                    "('conv', 3, 1, 1, 1) or as a torch layer."
                )
    if not specs:
        raise ValueError("layers is empty: give at least one layer, e.g. [('conv', 3)].")
    size_in = None if input_size is None else int_param(input_size, "input_size", minimum=1)
    rows: list[Field] = []
    r, j, start = 1, 1, 0
    for n, spec in enumerate(specs):
        out = None
        if size_in is not None:
            out = _out_size(size_in, spec)
            if out < 1:
                span = spec.d * (spec.k - 1) + 1
                raise ValueError(
                    f"layer {n} ({spec.name}, kernel {spec.k}) does not fit: its input is {size_in} "
                    f"pixels long, padded {size_in + 2 * spec.p}, but the kernel spans {span}. Use a larger "
                    "input_size or fewer layers."
                )
            size_in = out
        r = r + (spec.k - 1) * spec.d * j
        start = start - spec.p * j
        j = j * spec.s
        if spec.name in _POINTWISE_KINDS or spec.name[:1].isupper():          # ReLU, BatchNorm2d, …
            label = spec.name
        else:
            label = f"{spec.name} k={spec.k} s={spec.s} p={spec.p}" + (f" d={spec.d}" if spec.d != 1 else "")
        rows.append(Field(n, label, spec.k, spec.s, spec.p, spec.d, r, j, start, out))
    return FieldTable(rows, input_size=input_size)


def format_fields(rows, input_size=None) -> str:
    """The table a :func:`receptive_fields` result shows: one line per layer, the input first.

    >>> print(format_fields(receptive_fields([("conv", 3), ("pool", 2)])))
       layer             receptive field  jump  start
       input                           1     1      0
    0  conv k=3 s=1 p=0                3     1      0
    1  pool k=2 s=2 p=0                4     2      0
    """
    rows = list(rows)
    if not all(isinstance(r, Field) for r in rows):
        raise TypeError("rows must be the list that receptive_fields returns.")
    with_out = any(r.out_size is not None for r in rows)
    head = ["", "layer", "receptive field", "jump", "start"] + (["output"] if with_out else [])
    body = [["", "input", "1", "1", "0"] + ([str(input_size) if input_size is not None else ""] if with_out
                                                else [])]
    for r in rows:
        cells = [str(r.index), r.layer, str(r.size), str(r.jump), str(r.start)]
        if with_out:
            cells.append("" if r.out_size is None else str(r.out_size))
        body.append(cells)
    widths = [max(len(c[i]) for c in [head] + body) for i in range(len(head))]
    left = {1}

    def fmt(cells):
        return "  ".join(c.ljust(widths[i]) if i in left else c.rjust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    return "\n".join(fmt(c) for c in [head] + body)


def stacked_kernel_size(n_layers: int, kernel_size: int = 3) -> int:
    """Receptive field of ``n_layers`` stride-1 convolutions of ``kernel_size``: ``n·(k − 1) + 1``.

    Why VGG stacks 3×3 kernels: two see 5×5 and three see 7×7, with fewer weights and more ReLUs.

    >>> stacked_kernel_size(2), stacked_kernel_size(3)
    (5, 7)
    """
    n = int_param(n_layers, "n_layers", minimum=1)
    k = int_param(kernel_size, "kernel_size", minimum=1)
    return n * (k - 1) + 1


__all__ = ["Field", "format_fields", "receptive_fields", "stacked_kernel_size"]
