"""Checks for the three pieces notebook 09 asks the student to write, and the series' own versions of them.

Notebook 09 (beyond classification) has the student write:

* ``linear_to_conv(linear, in_channels, kernel_size)`` (section 1.4): a ``Linear`` layer that reads a flattened
  ``C×k×k`` block, rewritten as the ``Conv2d(C, out_features, k)`` holding the same weights — the step that
  makes the window classifier fully convolutional;
* ``SkipConcat.forward(up, skip)`` (section 2): the U-Net's skip connection, the decoder's upsampled maps and
  the encoder's maps stacked along the channel axis, the upsampled ones first;
* ``generate_from_noise(model, n, steps, seed, size, sigma)`` (section 3): the sampling loop — pure noise, then
  ``steps`` rounds of fresh noise, denoising and clipping, every step kept.

Each check runs the student's code on inputs of its own and compares with an oracle that is not the
student's code: PyTorch's ``Linear`` itself (a block flattened, and slid over a larger map), ``torch.cat``, and
the reference loop below. It names the typical mistakes (weights reshaped channels-last, transposed or not
copied, the bias forgotten, the wrong kernel size; maps added or concatenated along the wrong axis or in the
other order, the skip left out; a loop that never updates ``x``, a new generator at every step, clipping or
fresh noise forgotten, a step too few or too many, only the last images returned). Like every check it
returns a :class:`helpers.checks.Verdict` and never raises, whatever the student wrote. The checks leave
torch's global random state as they found it, so a notebook's later training does not depend on how often a
check ran.

The series' versions (``linear_as_conv``, ``reference_skip_concat``, ``sample_from_noise``) are the lesson code
of notebook 09, which writes them as its exercises' solutions; ``tests/test_beyond_checks.py`` keeps the
notebook's solutions and these equal. The notebook goes on with them, through :func:`yours_or_ours`, while a
student's version is not finished, so that every later cell runs.

torch is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._text import number
from ._text import shape as shape_text
from ._validate import describe, int_param, real
from ._validate import seed as _check_seed
from .checks import Verdict, answer_array
from .grading import graded


@contextlib.contextmanager
def _own_random_state():
    """Run the block with torch's global generator forked: what it draws leaves the caller's state as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        yield


def _error_text(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


# --------------------------------------------------------------------------- 1. a Linear layer as a convolution
def linear_as_conv(linear, in_channels, kernel_size):
    """The ``Conv2d(in_channels, out_features, kernel_size)`` that computes what ``linear`` computes on a
    flattened ``in_channels×k×k`` block, on every ``k×k`` block of a larger map (notebook 09, section 1.4).

    ``linear`` is a ``torch.nn.Linear`` with ``in_features = in_channels·k·k``, which reads a block flattened
    the way ``nn.Flatten`` flattens it: channel first, then row, then column. Its weight ``(out, C·k·k)``
    reshaped to ``(out, C, k, k)`` is the convolution's weight, and its bias the convolution's bias. Taught in
    notebook 09 (the student writes it as ``linear_to_conv``); a test keeps the two equal.

    >>> import torch
    >>> from torch import nn
    >>> _ = torch.manual_seed(0)
    >>> linear = nn.Linear(8 * 2 * 2, 3)
    >>> conv = linear_as_conv(linear, 8, 2)
    >>> conv
    Conv2d(8, 3, kernel_size=(2, 2), stride=(1, 1))
    >>> block = torch.rand(1, 8, 2, 2)
    >>> torch.allclose(conv(block)[:, :, 0, 0], linear(block.flatten(1)))
    True
    """
    import torch
    from torch import nn

    if not isinstance(linear, nn.Linear):
        raise TypeError(f"linear must be a torch.nn.Linear layer, got {describe(linear)}.")
    c = int_param(in_channels, "in_channels", minimum=1)
    k = int_param(kernel_size, "kernel_size", minimum=1)
    if linear.in_features != c * k * k:
        raise ValueError(f"linear reads {linear.in_features} features, but a block of in_channels×kernel_size×"
                         f"kernel_size = {c}×{k}×{k} holds {c * k * k}: in_channels·kernel_size² must be "
                         "linear.in_features.")
    conv = nn.Conv2d(c, linear.out_features, k, bias=linear.bias is not None)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, c, k, k))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


# (in_channels, kernel_size, out_features): the detector's first Linear (16×2×2 → 32), a 3×3 block, a block
# that is one position (its second Linear, a 1×1 convolution), and a 4×4 block
LINEAR_CASES = ((16, 2, 32), (3, 3, 5), (8, 1, 4), (2, 4, 3))


def _linear(c, k, out, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Linear(c * k * k, out)


def _linear_to_conv_cause(text, c, k, out):
    """The likely cause of an error raised by a student's linear_to_conv."""
    if "leaf Variable" in text or "in-place operation" in text:
        return ("A layer's weight takes part in training (requires_grad), so torch refuses to overwrite it in "
                "place: do the copy_ inside `with torch.no_grad():`.")
    if "cannot assign" in text:
        return ("A layer's weight must stay an nn.Parameter: copy the numbers into it with "
                "conv.weight.copy_(...) inside `with torch.no_grad():` (or assign nn.Parameter(...)).")
    if "invalid for input of size" in text or "must match the size" in text or "expanded size" in text \
            or "shape" in text or "size mismatch" in text:
        return (f"The Linear's {out}×{c * k * k} weights fill a Conv2d(in_channels={c}, out_channels={out}, "
                f"kernel_size={k}): {out}×{c}×{k}×{k} = {out * c * k * k} numbers. Check your convolution's kernel "
                "size and channels (the block's), and reshape the weights to (out_features, in_channels, k, k).")
    if "NoneType" in text:
        return "A step of your function gives None: every step must produce its tensor."
    return "Call your function yourself on one of the notebook's Linear layers: the traceback names the line."


def _weight_diagnosis(w, cw, c, k, out, conv_bias):
    """Name the mistake when the student's conv weight ``cw`` (and bias) does not give the Linear's output."""
    import torch

    right = w.reshape(out, c, k, k)
    same = lambda a, b: a.shape == b.shape and torch.allclose(a, b, rtol=0, atol=0)   # copied numbers: exact
    if same(cw, right):
        if conv_bias is None:
            return ("The weights are right, but your convolution has no bias (bias=False): the Linear adds a bias "
                    "to each output, so copy it into conv.bias.")
        if torch.count_nonzero(conv_bias) == 0:
            return "The weights are right, but the bias is zero: copy the Linear's bias into conv.bias too."
        return ("The weights are right, but the bias is the convolution's own random one: copy the Linear's bias "
                "into conv.bias too.")
    candidates = [
        (w.reshape(out, k, k, c).permute(0, 3, 1, 2),
         "Your weights are reshaped channels-last, (out, k, k, C): nn.Flatten lays a C×k×k block out channel "
         "first, then row, then column, so the Linear's weights reshape to (out_features, in_channels, k, k)."),
        (w.t().reshape(out, c, k, k) if w.t().numel() == right.numel() else None,
         "Your weights are transposed before the reshape: a Linear's weight is (out_features, in_features), one "
         "row per output — reshape it as it is, without .T."),
        (w.reshape(out, c, k, k).transpose(2, 3),
         "Rows and columns are swapped inside each kernel: reshape to (out, C, k, k) directly, with no transpose "
         "of the last two axes."),
        (w.reshape(out, k, k, c).permute(0, 3, 2, 1),
         "Your weights are reshaped channels-last, (out, k, k, C), and rows and columns swapped: nn.Flatten lays a "
         "C×k×k block out channel first, then row, then column — reshape to (out, C, k, k)."),
    ]
    for cand, why in candidates:
        if cand is not None and not same(cand, right) and same(cw, cand):
            return why
    values = torch.sort(cw.flatten()).values
    if values.shape == torch.sort(w.flatten()).values.shape and torch.equal(values, torch.sort(w.flatten()).values):
        return ("Your convolution holds the Linear's weights, but in another order: reshape the weight (out_features, "
                "in_features) to (out_features, in_channels, k, k) as it is (nn.Flatten's order: channel, row, "
                "column).")
    return ("Your convolution's weights are not the Linear's: they look like a new layer's random weights. Copy the "
            "Linear's weights in, reshaped to (out_features, in_channels, k, k) (conv.weight.copy_(...) inside "
            "`with torch.no_grad():`).")


def _slide_linear(linear, x, k):
    """The Linear slid over every k×k block of x (N, C, H, W), by a plain loop: (N, out, H − k + 1, W − k + 1)."""
    import torch

    n, _, h, w = x.shape
    rows = []
    for i in range(h - k + 1):
        rows.append(torch.stack([linear(x[:, :, i:i + k, j:j + k].flatten(1)) for j in range(w - k + 1)], dim=-1))
    return torch.stack(rows, dim=-2)


@graded
def check_linear_to_conv(fn, *, name="linear_to_conv"):
    """Check a student's ``fn(linear, in_channels, kernel_size) → nn.Conv2d`` that rewrites a Linear layer
    reading a flattened ``C×k×k`` block as a convolution.

    Tried on 4 Linear layers (blocks 16×2×2, 3×3×3, 8×1×1 and 2×4×4, random weights): the result must be an
    ``nn.Conv2d`` with the block's channels in, the Linear's outputs out, a ``k×k`` kernel, stride 1 and no
    padding; on one ``C×k×k`` block its outputs must be the Linear's on the flattened block, and on a larger map
    the Linear slid over every position. Named: weights reshaped channels-last, transposed, rows and columns
    swapped, not copied (a fresh random convolution), the bias forgotten, the wrong kernel size or channels,
    the copy done without ``torch.no_grad()``.

    >>> check_linear_to_conv(linear_as_conv)  # doctest: +ELLIPSIS
    ✅ Correct. linear_to_conv gives the Linear's scores on one block, and the Linear slid over every position ...
    >>> def no_bias(linear, in_channels, kernel_size):
    ...     conv = linear_as_conv(linear, in_channels, kernel_size)
    ...     conv.bias.data.zero_()
    ...     return conv
    >>> check_linear_to_conv(no_bias)  # doctest: +ELLIPSIS
    ❌ Not yet. linear_to_conv(Linear(64→32), 16, 2): The weights are right, but the bias is zero: ...
    """
    import copy

    import torch
    from torch import nn

    if fn is None:
        return Verdict(None, f"Write {name}, run its cell, then run this check again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def …), got {describe(fn)}.")
    with _own_random_state():
        for seed, (c, k, out) in enumerate(LINEAR_CASES):
            linear = _linear(c, k, out, seed)
            shown = f"{name}(Linear({c * k * k}→{out}), {c}, {k})"
            try:
                conv = fn(copy.deepcopy(linear), c, k)
            except Exception as error:  # noqa: BLE001 — any error in the student's code becomes a verdict
                text = _error_text(error)
                return Verdict(False, f"{shown} raised {text:.200} — {_linear_to_conv_cause(text, c, k, out)}")
            if conv is None:
                if seed == 0:
                    return Verdict(None, f"{name} returns None: replace result = None with your code, run the cell, "
                                         "then run this check again.")
                return Verdict(False, f"{shown} returned None: every path of the function should end in a return.")
            if isinstance(conv, nn.Linear):
                return Verdict(False, f"{shown} returned a Linear layer; it should return an nn.Conv2d holding the "
                                      "Linear's weights.")
            if not isinstance(conv, nn.Conv2d):
                return Verdict(False, f"{shown} should return an nn.Conv2d layer, got {describe(conv)}.")
            got_k = tuple(conv.kernel_size)
            if got_k != (k, k):
                return Verdict(False, f"{shown}: your convolution has kernel_size {shape_text(got_k)}, but the Linear "
                                      f"reads the whole {c}×{k}×{k} block at once: the kernel must cover it, "
                                      f"kernel_size={k} over in_channels={c} (not {conv.in_channels} channels).")
            if conv.in_channels != c:
                return Verdict(False, f"{shown}: your convolution has in_channels={conv.in_channels}; the block has "
                                      f"{c} channels (the Linear's {c * k * k} inputs are {c} channels of {k}×{k}).")
            if conv.out_channels != out:
                return Verdict(False, f"{shown}: your convolution has out_channels={conv.out_channels}; it must "
                                      f"give the Linear's {out} outputs: out_channels = linear.out_features.")
            settings = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)}
            for key, want in settings.items():
                value = getattr(conv, key)
                value = (0, 0) if value == "valid" else tuple(value)
                if value != want:
                    why = {"stride": "a stride skips positions, and the score map needs every one",
                           "padding": "padding adds blocks that hang over the edge, which no window holds",
                           "dilation": "a dilated kernel reads pixels apart, not one block"}[key]
                    return Verdict(False, f"{shown}: your convolution has {key}={value}; leave it at the default "
                                          f"({want[0]}): {why}.")
            if conv.groups != 1:
                return Verdict(False, f"{shown}: your convolution has groups={conv.groups}; each output reads every "
                                      "channel of the block, as the Linear does: groups=1.")
            gen = torch.Generator().manual_seed(100 + seed)
            block = torch.randn(3, c, k, k, generator=gen)
            with torch.no_grad():
                try:
                    got = conv(block)
                except Exception as error:  # noqa: BLE001
                    return Verdict(False, f"{shown}: your convolution fails on a {c}×{k}×{k} block: "
                                          f"{_error_text(error):.200}")
                want = linear(block.flatten(1))
                if not torch.allclose(got[:, :, 0, 0], want, rtol=1e-5, atol=1e-5):
                    why = _weight_diagnosis(linear.weight, conv.weight, c, k, out, conv.bias)
                    return Verdict(False, f"{shown}: {why}")
                big = torch.randn(2, c, k + 3, k + 2, generator=gen)
                got_map = conv(big)
                want_map = _slide_linear(linear, big, k)
                if tuple(got_map.shape) != tuple(want_map.shape) or not torch.allclose(got_map, want_map, rtol=1e-5,
                                                                                        atol=1e-5):
                    return Verdict(False, f"{shown}: on one block your convolution gives the Linear's scores, but on "
                                          f"a {c}×{k + 3}×{k + 2} map its output is not the Linear slid over every "
                                          f"{k}×{k} block (shape {shape_text(tuple(got_map.shape[1:]))}, expected "
                                          f"{shape_text(tuple(want_map.shape[1:]))}).")
    sizes = sorted({k for _, k, _ in LINEAR_CASES})
    return Verdict(True, f"{name} gives the Linear's scores on one block, and the Linear slid over every position "
                         f"of a larger map: right for all {len(LINEAR_CASES)} layers tried (kernels "
                         f"{sizes[0]}×{sizes[0]} to {sizes[-1]}×{sizes[-1]}).")


# --------------------------------------------------------------------------- 2. the U-Net's skip connection
def reference_skip_concat():
    """The series' ``SkipConcat`` class (notebook 09, section 2): ``forward(up, skip)`` stacks the decoder's
    upsampled maps ``up`` (N, C_up, H, W) and the encoder's maps ``skip`` (N, C_skip, H, W) along the channel
    axis, the upsampled ones first: (N, C_up + C_skip, H, W). Taught in notebook 09 (the student writes
    ``SkipConcat.forward``); a test keeps the two equal. A function that returns the class, so that importing
    this module does not import torch.

    >>> import torch
    >>> SkipConcat = reference_skip_concat()
    >>> tuple(SkipConcat()(torch.zeros(2, 8, 16, 16), torch.ones(2, 8, 16, 16)).shape)
    (2, 16, 16, 16)
    """
    import torch
    from torch import nn

    class SkipConcat(nn.Module):
        # The skip connection: the upsampled maps, then the encoder's maps, stacked along the channel axis.
        def forward(self, up, skip):
            return torch.cat([up, skip], dim=1)

    return SkipConcat


def _skip_cases():
    """Pairs (up, skip) the skip check tries: equal channels (as in the U-Net, where adding also runs) and
    unequal ones; height ≠ width so that every axis shows."""
    import torch

    gen = torch.Generator().manual_seed(9)
    return [(torch.randn(2, 4, 6, 5, generator=gen), torch.randn(2, 4, 6, 5, generator=gen)),
            (torch.randn(1, 3, 4, 7, generator=gen), torch.randn(1, 5, 4, 7, generator=gen))]


def _skip_error_cause(text, up, skip):
    c_up, c_skip = up.shape[1], skip.shape[1]
    if "must match the size of tensor b" in text:
        return (f"You added the maps: addition needs the same number of channels on both sides ({c_up} and {c_skip} "
                "here). A U-Net's skip connection stacks them instead, one set of channels after the other: "
                "torch.cat([...], dim=1).")
    if "Sizes of tensors must match except in dimension" in text:
        return (f"torch.cat joins along one axis and needs every other axis equal; the channels differ ({c_up} and "
                f"{c_skip}), and the channel axis (dim=1) is the one to join along.")
    if "stack expects each tensor to be equal size" in text:
        return ("torch.stack makes a new axis and needs equal shapes; join the two sets of maps along the existing "
                "channel axis with torch.cat([...], dim=1).")
    if "invalid combination of arguments" in text or "expected Tensor as element" in text or "tensors" in text:
        return "torch.cat takes a list of tensors and an axis: torch.cat([a, b], dim=1)."
    return "Call SkipConcat()(up, skip) yourself on two small tensors: the traceback names the line."


def _skip_candidates(up, skip):
    import torch

    both = ("the upsampled maps `up` and the encoder's maps `skip`")
    out = [
        (up + skip, "You added the maps (that is ResNet's shortcut, which keeps the number of channels). A U-Net's "
                    f"skip connection stacks them: {both} one after the other along the channel axis, "
                    "torch.cat([up, skip], dim=1), so the decoder gets both sets of channels."),
        (torch.cat([skip, up], 1), "The order is swapped: the convention here is the upsampled maps first, then "
                                   "the encoder's — torch.cat([up, skip], dim=1). (With the other order the "
                                   "decoder's weights would read each map in the other's place.)"),
        (up, "The skip connection is missing: you return only the upsampled maps, so the decoder never sees the "
             f"encoder's fine positions. Stack {both} along the channel axis."),
        (skip, "You return only the encoder's maps: the upsampled maps, the decoder's own, are lost. Stack "
               f"{both} along the channel axis."),
    ]
    for dim, axis in ((0, "batch"), (2, "height"), (3, "width")):
        with contextlib.suppress(RuntimeError):       # joining along an axis needs every other axis equal
            out.append((torch.cat([up, skip], dim),
                        f"You concatenated along the {axis} axis (dim={dim}): that makes "
                        f"{'more images' if axis == 'batch' else 'a taller or wider map'}, not more channels. "
                        "Stack along the channel axis, dim=1 (the axes are N, C, H, W)."))
    for dim in (0, 1, 2):
        with contextlib.suppress(RuntimeError):
            out.append((torch.stack([up, skip], dim),
                        f"torch.stack adds a new axis (dim={dim}): the result has 5 axes. torch.cat joins along an "
                        "existing one: torch.cat([up, skip], dim=1)."))
    return out


@graded
def check_skip_concat(skip_class, unet_class=None, *, name="SkipConcat"):
    """Check a student's skip-connection layer: ``skip_class()(up, skip)`` must stack the upsampled maps ``up``
    and the encoder's maps ``skip`` along the channel axis, ``up`` first — ``torch.cat([up, skip], dim=1)``.

    Tried on two pairs of small tensors (equal and unequal channel counts, height ≠ width); then, when
    ``unet_class`` (the notebook's ``TinyUNet``) is given, a U-Net built with the student's layer against the
    same U-Net with the reference layer, weights copied from one to the other (``load_state_dict``). Named:
    added instead of stacked (an error when the channel counts differ), stacked along the batch, height or
    width axis, ``torch.stack`` instead of ``torch.cat``, the order swapped, the skip left out.

    >>> check_skip_concat(reference_skip_concat())  # doctest: +ELLIPSIS
    ✅ Correct. SkipConcat stacks the upsampled maps, then the encoder's, along the channel axis: right for both ...
    """
    import torch
    from torch import nn

    if skip_class is None:
        return Verdict(None, f"Write {name}, run its cell, then run this check again.")
    if not isinstance(skip_class, type):
        return Verdict(False, f"{name} should be a class (class {name}(nn.Module): … with a forward method), got "
                              f"{describe(skip_class)}.")
    try:
        layer = skip_class()
    except Exception as error:  # noqa: BLE001
        return Verdict(False, f"{name}() raised {_error_text(error):.200} — TinyUNet builds it without arguments, "
                              f"{name}(): keep the class as given and write only forward.")
    if not isinstance(layer, nn.Module):
        return Verdict(False, f"{name} should be a layer, class {name}(nn.Module), so that TinyUNet can hold it.")
    with torch.no_grad():
        for k, (up, skip) in enumerate(_skip_cases()):
            shown = f"{name}()(up {shape_text(tuple(up.shape))}, skip {shape_text(tuple(skip.shape))})"
            try:
                got = layer(up.clone(), skip.clone())
            except Exception as error:  # noqa: BLE001
                text = _error_text(error)
                return Verdict(False, f"{shown} raised {text:.200} — {_skip_error_cause(text, up, skip)}")
            if got is None:
                if k == 0:
                    return Verdict(None, f"{name}.forward returns None: replace result = None with your code, run "
                                         "the cell, then run this check again.")
                return Verdict(False, f"{shown} returned None: forward should end in a return.")
            if not isinstance(got, torch.Tensor):
                return Verdict(False, f"{shown} should return a tensor (torch.cat gives one), got {describe(got)}.")
            right = torch.cat([up, skip], dim=1)
            if tuple(got.shape) == tuple(right.shape) and torch.equal(got, right):
                continue
            for cand, why in _skip_candidates(up, skip):
                if tuple(got.shape) == tuple(cand.shape) and torch.allclose(got.float(), cand.float()):
                    return Verdict(False, f"{shown}: {why}")
            if tuple(got.shape) != tuple(right.shape):
                return Verdict(False, f"{shown} has shape {shape_text(tuple(got.shape))}; stacking the {up.shape[1]} "
                                      f"upsampled and the {skip.shape[1]} encoder channels gives "
                                      f"{shape_text(tuple(right.shape))}: torch.cat([up, skip], dim=1).")
            return Verdict(False, f"{shown} has the right shape, {shape_text(tuple(right.shape))}, but other numbers: "
                                  "return the maps themselves, stacked (upsampled first), without changing them.")
    if unet_class is not None:
        with _own_random_state():
            torch.manual_seed(0)
            try:
                net = unet_class(1, 2, width=4)
                net.concat = skip_class()                       # the layer checked, whatever the class builds
                twin = unet_class(1, 2, width=4)
                twin.concat = reference_skip_concat()()
                twin.load_state_dict(net.state_dict())
            except Exception as error:  # noqa: BLE001
                return Verdict(False, f"Building the U-Net with your {name} raised {_error_text(error):.200}.")
            x = torch.randn(2, 1, 8, 12)
            with torch.no_grad():
                try:
                    got = net(x)
                except Exception as error:  # noqa: BLE001
                    text = _error_text(error)
                    cause = (" The decoder's first convolution expects 2·width channels: the upsampled and the "
                             "encoder's maps, stacked." if "channels" in text else "")
                    return Verdict(False, f"A U-Net built with your {name} fails on a 1×8×12 image: "
                                          f"{text:.200}.{cause}")
                want = twin(x)
            if tuple(got.shape) != tuple(want.shape) or not torch.allclose(got, want, rtol=1e-5, atol=1e-6):
                return Verdict(False, f"Your {name} passes the small tests, but in a U-Net (on 1×8×12 images) it gives "
                                      "other scores than the reference skip connection with the same weights: it must "
                                      "stack any two sets of maps the same way, whatever their sizes.")
        return Verdict(True, f"{name} stacks the upsampled maps, then the encoder's, along the channel axis; and "
                             "a U-Net built with it gives, weight for weight, the reference U-Net's scores.")
    return Verdict(True, f"{name} stacks the upsampled maps, then the encoder's, along the channel axis: right for "
                         "both pairs of maps tried.")


# --------------------------------------------------------------------------- 3. the sampling loop
def _denoise(model, noisy):
    """Notebook 09's ``denoise``: the noisy images minus the noise the model predicts in them."""
    import torch

    with torch.no_grad():
        return noisy - model(torch.from_numpy(noisy)).numpy()


def sample_from_noise(model, n, steps, seed=0, size=8, sigma=0.4):
    """The series' sampling loop (notebook 09, section 3): ``n`` images of ``size×size`` made from pure noise by
    ``steps`` rounds of fresh noise, denoising and clipping. Returns the trajectory, float32
    ``(steps + 1, n, 1, size, size)``: entry 0 the starting noise, entry k the images after step k.

    One generator, ``np.random.default_rng(seed)``, draws every random number, in this order: the start,
    ``standard_normal((n, 1, size, size), dtype=float32)`` (σ = 1); then at each step
    ``x ← clip(denoise(model, x + sigma·standard_normal(x.shape, dtype=float32)), 0, 1)``, where
    ``denoise(model, v) = v − model(v)`` (the model predicts the noise). Taught in notebook 09 (the student
    writes it as ``generate_from_noise``); a test keeps the two equal.

    >>> import torch
    >>> half = lambda v: 0.5 * v                      # a "model" that calls half of every pixel noise
    >>> t = sample_from_noise(half, n=2, steps=3, seed=0)
    >>> t.shape, t.dtype, bool(t[1:].min() >= 0 and t[1:].max() <= 1)
    ((4, 2, 1, 8, 8), dtype('float32'), True)
    """
    n = int_param(n, "n", minimum=1)
    steps = int_param(steps, "steps", minimum=0)
    size = int_param(size, "size", minimum=1)
    seed = _check_seed(seed)
    sigma = real(sigma, "sigma", fits="a standard deviation of at least 0, such as 0.4", ok=lambda v: v >= 0)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, size, size), dtype=np.float32)
    trajectory = [x]
    for _ in range(steps):
        x = np.clip(_denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32)), 0, 1)
        trajectory.append(x)
    return np.stack(trajectory)


def _sampling_variants(model, n, steps, seed, size, sigma):
    """(trajectory, explanation) for the typical wrong loops, run on the same arguments."""
    f32 = np.float32

    def loop(*, update=True, fresh_rng=False, clip=True, renoise=True, keep="clean", dtype=f32, noise_sigma=None,
             n_steps=steps, start=True):
        rng = np.random.default_rng(seed)
        x0 = rng.standard_normal((n, 1, size, size), dtype=dtype)
        x, out = x0, [x0] if start else []
        s = sigma if noise_sigma is None else noise_sigma
        for _ in range(n_steps):
            if fresh_rng:
                rng = np.random.default_rng(seed)
            base = x if update else x0
            noisy = base + s * rng.standard_normal(x0.shape, dtype=dtype) if renoise and keep == "clean" else base
            clean = _denoise(model, noisy)
            x = np.clip(clean, 0, 1) if clip else clean
            if keep == "noisy":                       # the fresh noise added after denoising, and kept
                x = x + s * rng.standard_normal(x0.shape, dtype=dtype)
            out.append(x)
        return np.stack(out)

    variants = [
        (lambda: loop(update=False), "Every step starts again from the starting noise: make x the step's result "
                                     "(x = …) so that the next step builds on it."),
        (lambda: loop(fresh_rng=True), "You make a new generator np.random.default_rng(seed) inside the loop, so "
                                       "every step adds the same noise — the very numbers of the start. Make the "
                                       "generator once, before the loop, and draw from it at every step."),
        (lambda: loop(clip=False), "Clip each step's result to [0, 1] (np.clip(…, 0, 1)), the range of the digits' "
                                   "pixels: the model never saw values outside it."),
        (lambda: loop(renoise=False), "Add fresh noise before each denoising step, sigma times "
                                      "rng.standard_normal(x.shape, dtype=np.float32): without it, every step only "
                                      "pulls the images further towards the same place."),
        (lambda: loop(keep="noisy"), "Add the fresh noise before denoising, not after: each entry of the trajectory "
                                     "is a denoised, clipped image."),
        (lambda: loop(noise_sigma=1.0), "The fresh noise has standard deviation sigma: multiply the standard normal "
                                        "draws by sigma."),
        (lambda: loop(noise_sigma=0.4), "Use the argument sigma for the fresh noise, not a fixed 0.4."),
        (lambda: loop(start=False), "The trajectory starts with the pure noise itself (entry 0), then one entry per "
                                    "step: steps + 1 entries in all."),
        (lambda: loop(n_steps=steps - 1), "Off by one: that is one step too few. Denoise `steps` times (range(steps)) "
                                          "and keep the start too: steps + 1 entries."),
        (lambda: loop(n_steps=steps + 1), "Off by one: that is one step too many. Denoise `steps` times "
                                          "(range(steps)): with the start, steps + 1 entries."),
        (lambda: loop()[-1], "Return the whole trajectory, np.stack of the start and every step's images: "
                             "(steps + 1, n, 1, size, size), not only the last images."),
        (lambda: loop(dtype=np.float64), "Draw the noise as float32, rng.standard_normal(shape, dtype=np.float32): "
                                         "float64 draws are other numbers, and the model's weights are float32."),
    ]
    out = []
    for make, why in variants:
        with contextlib.suppress(Exception):
            out.append((make(), why))
    return out


# (n, steps, seed, size, sigma) for each model the sampling check tries
SAMPLING_CASES = ((3, 4, 0, 8, 0.4), (2, 3, 5, 6, 0.25))


def _sampling_models():
    """The check's models: a "denoiser" that calls half of every pixel noise, and a fixed 3×3 convolution."""
    import torch
    from torch import nn

    class HalfIsNoise(nn.Module):
        def forward(self, x):
            return 0.5 * x

    with _own_random_state():
        torch.manual_seed(3)
        conv = nn.Conv2d(1, 1, 3, padding=1)
    return [HalfIsNoise(), conv]


def _sampling_error_cause(text):
    if "double" in text.lower() and ("float" in text.lower() or "type" in text.lower()):
        return ("The images reach the model as float64 (NumPy's default) while its weights are float32: draw the "
                "noise with dtype=np.float32, as the exercise says.")
    if "unexpected keyword" in text or "positional argument" in text:
        return ("Keep the signature given: generate_from_noise(model, n, steps, seed=0, size=8, sigma=0.4).")
    if "NoneType" in text:
        return "A step of your loop gives None: every step must produce its array."
    if "stack" in text or "shape" in text:
        return "The arrays you stack must all have the same shape: (n, 1, size, size), the start and every step."
    return "Call your function yourself with a small n and steps: the traceback names the line."


@graded
def check_generate_from_noise(fn, *, name="generate_from_noise"):
    """Check a student's sampling loop ``fn(model, n, steps, seed=0, size=8, sigma=0.4)`` against
    :func:`sample_from_noise` on the same seed, with two small models (no training needed).

    Named: ``x`` never updated (every step starts from the same noise), a new generator at every step (every
    step adds the same noise), clipping or the fresh noise forgotten, the noise added after denoising, σ
    ignored or fixed at 0.4, a step too few or too many, the start left out, only the last images returned,
    float64 noise, results that change from call to call (an unseeded generator).

    >>> check_generate_from_noise(sample_from_noise)
    ✅ Correct. generate_from_noise gives the reference trajectory, step for step, for both models and seeds tried.
    """
    if fn is None:
        return Verdict(None, f"Write {name}, run its cell, then run this check again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def …), got {describe(fn)}.")
    for k, (model, (n, steps, seed, size, sigma)) in enumerate(zip(_sampling_models(), SAMPLING_CASES)):
        shown = f"{name}({type(model).__name__}, n={n}, steps={steps}, seed={seed}, size={size}, sigma={sigma})"
        runs = []
        for _ in range(2):
            try:
                with _own_random_state():
                    runs.append(fn(model, n, steps, seed=seed, size=size, sigma=sigma))
            except Exception as error:  # noqa: BLE001
                text = _error_text(error)
                return Verdict(False, f"{shown} raised {text:.200} — {_sampling_error_cause(text)}")
        got = runs[0]
        if got is None:
            if k == 0:
                return Verdict(None, f"{name} returns None: replace result = None with your code, run the cell, then "
                                     "run this check again.")
            return Verdict(False, f"{shown} returned None: every path of the function should end in a return.")
        arr = answer_array(got, "trajectory")
        if isinstance(arr, Verdict):
            return Verdict(False, f"{shown}: {arr.message}")
        again = answer_array(runs[1], "trajectory")
        if isinstance(again, Verdict) or again.shape != arr.shape or not np.array_equal(arr, again):
            return Verdict(False, f"{shown} gave other images when called a second time with the same seed: draw "
                                  "every random number from one generator, rng = np.random.default_rng(seed), not "
                                  "from np.random.randn or a generator made without the seed.")
        expected = sample_from_noise(model, n, steps, seed=seed, size=size, sigma=sigma)
        if arr.shape == expected.shape and np.allclose(arr, expected, rtol=1e-5, atol=1e-6):
            continue
        candidates = _sampling_variants(model, n, steps, seed, size, sigma)
        for cand, why in candidates:
            if cand.shape == arr.shape and np.allclose(arr, cand, rtol=1e-5, atol=1e-6) and not (
                    cand.shape == expected.shape and np.allclose(cand, expected, rtol=1e-5, atol=1e-6)):
                return Verdict(False, f"{shown}: {why}")
        if arr.shape != expected.shape:
            return Verdict(False, f"{shown} has shape {shape_text(arr.shape)}; the trajectory is "
                                  f"{shape_text(expected.shape)}: (steps + 1, n, 1, size, size), the start and "
                                  "then the images after each step.")
        if not np.allclose(arr[0], expected[0], rtol=1e-5, atol=1e-6):
            return Verdict(False, f"{shown}: the starting noise (entry 0) is not the reference's. Make the generator "
                                  "rng = np.random.default_rng(seed) and draw the start first, "
                                  "rng.standard_normal((n, 1, size, size), dtype=np.float32).")
        first = next(i for i in range(1, len(arr)) if not np.allclose(arr[i], expected[i], rtol=1e-5, atol=1e-6))
        worst = float(np.max(np.abs(arr[first] - expected[first])))
        return Verdict(False, f"{shown}: the start and the steps before step {first} match, but step {first} differs "
                              f"(by up to {number(worst, 3)}). Each step: x + sigma·rng.standard_normal(x.shape, "
                              "dtype=np.float32), then denoise(model, …), then np.clip(…, 0, 1).")
    return Verdict(True, f"{name} gives the reference trajectory, step for step, for both models and seeds tried.")


# --------------------------------------------------------------------------- going on after an exercise
def yours_or_ours(name, yours, ours, check, *args):
    """What a notebook goes on with after an exercise: ``yours`` when ``check(yours, *args)`` says ✅, else
    ``ours`` (the series' version), with one printed line saying so — so that every later cell runs, in the
    student version too, before the exercise is done.

    >>> f = yours_or_ours("linear_to_conv", None, linear_as_conv, check_linear_to_conv)  # doctest: +ELLIPSIS
    ⏳ linear_to_conv is not written yet: the cells below use the series' own linear_to_conv (from ...
    >>> f is linear_as_conv
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be the text of the exercise's function or class, got {describe(name)}.")
    if not callable(check):
        raise TypeError(f"check must be the exercise's check function, got {describe(check)}.")
    verdict = check(yours, *args)
    if verdict:
        return yours
    state = "is not written yet" if verdict.ok is None else "does not pass its check yet"
    mark = "⏳" if verdict.ok is None else "❌"
    print(f"{mark} {name} {state}: the cells below use the series' own {name} (from helpers.beyond_checks) until "
          "its check says ✅; then run this cell again.")
    return ours


__all__ = ["check_generate_from_noise", "check_linear_to_conv", "check_skip_concat", "linear_as_conv",
           "reference_skip_concat", "sample_from_noise", "yours_or_ours"]
