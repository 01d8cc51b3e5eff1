"""Counting parameters: the formulas for one layer, and the totals of a whole torch model.

A convolution with ``C_in`` input channels, ``C_out`` output channels and a ``KH×KW`` kernel has
``C_out·(C_in·KH·KW + 1)`` parameters (one kernel of ``C_in·KH·KW`` weights and one bias per output
channel); a fully connected layer from ``n_in`` to ``n_out`` features has ``n_out·(n_in + 1)``.
The image size appears in neither formula: that is weight sharing.

The two formula helpers are pure Python; the model helpers take a ``torch.nn.Module`` (torch is
imported only when they are called). Models built on PyTorch's ``meta`` device work too: their
tensors have shapes but no memory, so counting VGG16's 138 million parameters costs nothing.
"""

from __future__ import annotations

from ._validate import int_param, pair


def _bias(bias, name="bias") -> int:
    if not isinstance(bias, bool):
        raise TypeError(f"{name} must be True or False, got {bias!r}.")
    return 1 if bias else 0


def conv_params(in_channels, out_channels, kernel_size, bias=True) -> int:
    """Number of parameters of a ``Conv2d(in_channels, out_channels, kernel_size)`` layer.

    Formula: ``C_out·(C_in·KH·KW + 1)``, without the ``+ 1`` when ``bias=False``. ``kernel_size``
    is one int (a square kernel) or ``(KH, KW)``. The input's height and width do not matter.

    >>> conv_params(3, 10, 3)           # first layer of the 3×50×70 walk: 10·(3·3·3 + 1)
    280
    >>> conv_params(1, 1, 3)            # the seed's single 3×3 edge kernel plus its bias
    10
    >>> conv_params(64, 128, 1, bias=False)
    8192
    """
    cin = int_param(in_channels, "in_channels", minimum=1)
    cout = int_param(out_channels, "out_channels", minimum=1)
    kh, kw = pair(kernel_size, "kernel_size", minimum=1)
    return cout * (cin * kh * kw + _bias(bias))


def linear_params(in_features, out_features, bias=True) -> int:
    """Number of parameters of a fully connected ``Linear(in_features, out_features)`` layer.

    Formula: ``n_out·(n_in + 1)``: a weight from every input to every output, and one bias per output
    (``n_out·n_in`` when ``bias=False``).

    >>> linear_params(30, 12)           # the seed's dense layer from the 5×6 image to the 3×4 output
    372
    >>> linear_params(15, 10, bias=False)
    150
    """
    n_in = int_param(in_features, "in_features", minimum=1)
    n_out = int_param(out_features, "out_features", minimum=1)
    return n_out * (n_in + _bias(bias))


def mlp_params(sizes, bias=True) -> int:
    """Number of parameters of a stack of fully connected layers with the given layer widths.

    ``sizes`` lists the widths from input to output, e.g. ``[15, 10, 5, 2]`` for three layers
    ``15→10→5→2``; the result is the sum of :func:`linear_params` over consecutive pairs.

    >>> mlp_params([15, 10, 5, 2], bias=False)      # 15·10 + 10·5 + 5·2
    210
    >>> mlp_params([15, 10, 5, 2])                  # plus 10 + 5 + 2 biases
    227
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer widths such as [15, 10, 5, 2], got {sizes!r}.")
    widths = [int_param(v, f"sizes[{i}]", minimum=1) for i, v in enumerate(sizes)]
    if len(widths) < 2:
        raise ValueError(f"sizes must list at least two widths (input and output), got {list(sizes)!r}.")
    return sum(linear_params(a, b, bias) for a, b in zip(widths, widths[1:], strict=False))


def _check_model(model):
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module (for example nn.Sequential or "
                        f"torchvision.models.vgg16()), got {type(model).__name__}.")


def count_params(model, trainable_only: bool = False) -> int:
    """Total number of parameters of a torch model (each shared tensor counted once).

    With ``trainable_only=True`` only parameters with ``requires_grad`` count.

    >>> from torch import nn
    >>> count_params(nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1760, 2)))
    3802
    """
    _check_model(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def params_by_layer_type(model) -> dict[str, int]:
    """Parameters of a torch model grouped by layer type, largest group first.

    Every layer counts only its own tensors, so the values add up to :func:`count_params`.
    Layer types without parameters (ReLU, pooling, …) are left out.

    >>> from torch import nn
    >>> params_by_layer_type(nn.Sequential(nn.Conv2d(3, 10, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1760, 2)))
    {'Linear': 3522, 'Conv2d': 280}
    """
    _check_model(model)
    seen = set()
    totals: dict[str, int] = {}
    for module in model.modules():
        n = 0
        for p in module.parameters(recurse=False):
            if id(p) not in seen:
                seen.add(id(p))
                n += p.numel()
        if n:
            name = type(module).__name__
            totals[name] = totals.get(name, 0) + n
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))
