"""Output-size formulas for convolution, transposed convolution and pooling.

These are the relationships of Dumoulin & Visin's *A guide to convolution arithmetic*, written
with torch.nn.functional's argument names, and they give exactly the sizes torch produces.
"""

from __future__ import annotations

from ._validate import int_param


def size_arithmetic(size, k, s, p, d):
    if d == 1:
        return f"⌊({size} + 2·{p} − {k})/{s}⌋ + 1"
    return f"⌊({size} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1"


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> int:
    """Length of a convolution's output along one axis.

    Formula: ``o = ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1``; with ``d = 1`` this is ``⌊(i + 2p − k)/s⌋ + 1``,
    and with no padding and stride 1 it is the seed lecture's ``W − K + 1``.

    >>> conv_output_size(6, 3)              # the 5×6 edge example: width 6, kernel 3
    4
    >>> conv_output_size(4, 2, stride=2, padding=1)
    3
    >>> conv_output_size(50, 3)             # first layer of the 3×50×70 walk
    48
    """
    i = int_param(size, "size", minimum=1)
    k = int_param(kernel_size, "kernel_size", minimum=1)
    s = int_param(stride, "stride", minimum=1)
    p = int_param(padding, "padding", minimum=0)
    d = int_param(dilation, "dilation", minimum=1)
    span = d * (k - 1) + 1
    if i + 2 * p < span:
        raise ValueError(
            f"kernel_size {k}"
            + (f" with dilation {d} spans {span} pixels and" if d > 1 else "")
            + f" does not fit in the padded input of length {i} + 2·{p} = {i + 2 * p}: "
            f"the output would be {size_arithmetic(i, k, s, p, d)} = {(i + 2 * p - span) // s + 1}. "
            "Use a smaller kernel or more padding."
        )
    return (i + 2 * p - span) // s + 1


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> int:
    """Length of a transposed convolution's output along one axis.

    Formula: ``o′ = s(i′ − 1) − 2p + d(k − 1) + output_padding + 1``; it undoes
    :func:`conv_output_size` (``output_padding`` picks among the sizes a strided conv maps to the same ``i′``).

    >>> conv_transpose_output_size(3, 3, stride=2, padding=1)
    5
    >>> conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    i = int_param(size, "size", minimum=1)
    k = int_param(kernel_size, "kernel_size", minimum=1)
    s = int_param(stride, "stride", minimum=1)
    p = int_param(padding, "padding", minimum=0)
    op = int_param(output_padding, "output_padding", minimum=0)
    d = int_param(dilation, "dilation", minimum=1)
    if op >= max(s, d):
        raise ValueError(
            f"output_padding must be smaller than stride or dilation, got output_padding={op} with "
            f"stride={s}, dilation={d}: it only chooses among the {max(s, d)} input sizes that a strided "
            "convolution maps to the same output size."
        )
    o = s * (i - 1) - 2 * p + d * (k - 1) + op + 1
    if o < 1:
        raise ValueError(
            f"padding {p} crops away the whole output: {s}·({i} − 1) − 2·{p} + {d}·({k} − 1) + {op} + 1 = {o}. "
            "Use less padding."
        )
    return o


def pool_output_size(size, kernel_size, stride=None, padding=0) -> int:
    """Length of a pooling output along one axis (stride defaults to kernel_size, like torch).

    Formula: ``o = ⌊(i + 2p − k)/s⌋ + 1``.

    >>> pool_output_size(48, 2)             # 10×48×68 → 10×24×34 in the dimension walk
    24
    >>> pool_output_size(5, 2)              # the last odd row is dropped
    2
    """
    k = int_param(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else int_param(stride, "stride", minimum=1)
    p = int_param(padding, "padding", minimum=0)
    if 2 * p > k:
        raise ValueError(
            f"padding {p} is more than half of kernel_size {k}: a pooling window could then lie entirely "
            f"in the padding and see no real pixel. Use padding ≤ {k // 2}."
        )
    i = int_param(size, "size", minimum=1)
    if i + 2 * p < k:
        raise ValueError(
            f"kernel_size {k} does not fit in the padded input of length {i} + 2·{p} = {i + 2 * p}: "
            f"the output would be ⌊({i} + 2·{p} − {k})/{s}⌋ + 1 = {(i + 2 * p - k) // s + 1}."
        )
    return (i + 2 * p - k) // s + 1


def conv_output_formula(size, kernel_size, stride=1, padding=0, dilation=1) -> str:
    """The output-size formula with the numbers substituted, e.g. ``'⌊(50 + 2·0 − 3)/1⌋ + 1 = 48'``.

    >>> conv_output_formula(50, 3)
    '⌊(50 + 2·0 − 3)/1⌋ + 1 = 48'
    """
    o = conv_output_size(size, kernel_size, stride, padding, dilation)
    return f"{size_arithmetic(size, kernel_size, stride, padding, dilation)} = {o}"


def pool_output_formula(size, kernel_size, stride=None, padding=0) -> str:
    """The pooling size formula with numbers substituted.

    >>> pool_output_formula(48, 2)
    '⌊(48 + 2·0 − 2)/2⌋ + 1 = 24'
    """
    o = pool_output_size(size, kernel_size, stride, padding)
    s = kernel_size if stride is None else stride
    return f"⌊({size} + 2·{padding} − {kernel_size})/{s}⌋ + 1 = {o}"
