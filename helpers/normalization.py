"""The checks of notebook 11 (batch normalization and residual connections).

``check_batch_norm`` runs a student's batch-norm forward pass and ``check_residual_block`` a student's residual
block on several inputs and compare every result with PyTorch (``torch.nn.BatchNorm2d`` with the same γ, β and
running statistics copied in; ``torch.nn.functional.conv2d`` for the block), in float64. The lesson code itself
(the formulas, the networks of the experiment) is written in notebook 11; this module holds no right answer of
its own: the mistakes it names are computed here, in NumPy, only to recognise them.

torch is imported inside the functions, so importing this module stays cheap. Both checks are decorated with
:func:`helpers.grading.graded`: under an autograder (``CNN_GRADING=1``) a verdict that is not ✅ raises.
"""

from __future__ import annotations

import numpy as np

from ._text import shape as shape_text
from ._validate import as_array, describe, whole
from .checks import Verdict, check_array, returned_none
from .grading import graded

# --------------------------------------------------------------------------- batch norm: the trial batches
# (label, N, C, H, W, training, momentum, eps); channel scales 0.5, 2 and 0.05 make per-channel statistics
# differ from every other grouping, and the 0.05 channel (variance 0.0025) makes eps = 1e-5 visible
BN_CASES = [
    ("a batch of shape 4×3×3×5 in training mode (momentum 0.1, eps 1e-5)", (4, 3, 3, 5), True, 0.1, 1e-5),
    ("a batch of shape 2×2×4×4 in training mode (momentum 0.3, eps 0.1)", (2, 2, 4, 4), True, 0.3, 0.1),
    ("a batch of shape 3×3×2×3 in eval mode (momentum 0.1, eps 1e-5)", (3, 3, 2, 3), False, 0.1, 1e-5),
]
_SCALES, _SHIFTS = np.array([0.5, 2.0, 0.05]), np.array([1.0, -3.0, 0.2])
_GAMMA, _BETA = np.array([1.5, -0.5, 2.0]), np.array([0.3, 1.0, -2.0])
_RUN_MEAN, _RUN_VAR = np.array([0.5, -1.0, 0.1]), np.array([2.0, 0.5, 1.5])
_CHANNELS = "(0, 2, 3)"           # the axes batch norm averages over, as the messages write them


def batch_norm_case(k: int):
    """The inputs of :func:`check_batch_norm`'s trial ``k`` (0, 1 or 2, as in ``BN_CASES``): ``(x, gamma, beta,
    running_mean, running_var, training, momentum, eps)``, NumPy float64, x of shape (N, C, H, W), the rest (C,).

    >>> [a.shape for a in batch_norm_case(0)[:5]], batch_norm_case(0)[5:]
    ([(4, 3, 3, 5), (3,), (3,), (3,), (3,)], (True, 0.1, 1e-05))
    """
    k = whole(k, "k", minimum=0, what=f" (a trial number below {len(BN_CASES)})")
    if k >= len(BN_CASES):
        raise ValueError(f"k must be a trial number from 0 to {len(BN_CASES) - 1}, got {k}.")
    _, (n, c, h, w), training, momentum, eps = BN_CASES[k]
    rng = np.random.default_rng(11 + k)
    x = rng.normal(size=(n, c, h, w)) * _SCALES[:c, None, None] + _SHIFTS[:c, None, None]
    return (x, _GAMMA[:c].copy(), _BETA[:c].copy(), _RUN_MEAN[:c].copy(), _RUN_VAR[:c].copy(), training,
            momentum, eps)


def torch_batch_norm(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """What ``torch.nn.BatchNorm2d`` gives for these inputs: ``(y, new_running_mean, new_running_var)``, float64.

    The oracle of :func:`check_batch_norm`: a BatchNorm2d of C channels with ``gamma`` and ``beta`` copied into
    its weight and bias and the running statistics into its buffers, run once in training or eval mode.

    >>> y, rm, rv = torch_batch_norm(np.array([[[[1.0, 3.0]]], [[[5.0, 7.0]]]]), np.ones(1), np.zeros(1),
    ...                              np.zeros(1), np.ones(1), training=True)
    >>> np.round(y.ravel() ** 2, 4).tolist(), rm.tolist(), np.round(rv, 6).tolist()
    ([1.8, 0.2, 0.2, 1.8], [0.4], [1.566667])
    """
    import torch

    x = as_array(x, "x").astype(float)
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of shape (N, C, H, W), got shape {x.shape}.")
    for name, value in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                        ("running_var", running_var)):
        if as_array(value, name).shape != (x.shape[1],):
            raise ValueError(f"{name} must hold one number per channel, shape ({x.shape[1]},), got shape "
                             f"{np.shape(value)}.")
    layer = torch.nn.BatchNorm2d(x.shape[1], eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.asarray(gamma, dtype=float)))
        layer.bias.copy_(torch.as_tensor(np.asarray(beta, dtype=float)))
        layer.running_mean.copy_(torch.as_tensor(np.asarray(running_mean, dtype=float)))
        layer.running_var.copy_(torch.as_tensor(np.asarray(running_var, dtype=float)))
        layer.train(bool(training))
        y = layer(torch.as_tensor(x))
    return y.numpy(), layer.running_mean.numpy().copy(), layer.running_var.numpy().copy()


# --------------------------------------------------------------------------- batch norm: the named mistakes
def _stats(x, axes, ddof=0):
    return x.mean(axis=axes, keepdims=True), x.var(axis=axes, ddof=ddof, keepdims=True)


def _normalise(x, mean, var, gamma, beta, eps, *, eps_mode="inside", affine="both"):
    centred = x - mean
    xhat = {"inside": lambda: centred / np.sqrt(var + eps),
            "none": lambda: centred / np.sqrt(var),
            "outside": lambda: centred / (np.sqrt(var) + eps),
            "variance": lambda: centred / (var + eps)}[eps_mode]()
    g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
    return {"both": xhat * g + b, "none": xhat, "no_gamma": xhat + b, "no_beta": xhat * g,
            "swapped": xhat * b + g}[affine]


_AFFINE_MISTAKES = [
    ("none", "gamma and beta are missing: after normalising, scale each channel by gamma and shift it by beta."),
    ("no_gamma", "gamma is missing: multiply the normalised values by gamma (one per channel), then add beta."),
    ("no_beta", "beta is missing: after scaling by gamma, add beta (one per channel)."),
    ("swapped", "gamma and beta are swapped: gamma scales and beta shifts, y = x̂·gamma + beta."),
]
_EPS_MISTAKES = [
    ("none", "eps is missing: divide by sqrt(var + eps); eps keeps a channel with almost no variance from "
             "being divided by (almost) 0."),
    ("outside", "eps is outside the square root: divide by sqrt(var + eps), not by sqrt(var) + eps."),
    ("variance", "you divided by the variance: divide by its square root, sqrt(var + eps), the standard "
                 "deviation."),
]


def _y_mistakes(x, gamma, beta, running_mean, running_var, training, eps):
    """(wrong y, explanation) for the typical mistakes in the output, in this mode."""
    rm, rv = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
    cands = []
    if training:
        mean, var = _stats(x, (0, 2, 3))
        groupings = [
            ((1, 2, 3), "you normalised each sample over its own channels and pixels (C, H, W): that is layer "
                        "normalization. Batch norm takes one mean and variance per channel, over the batch and "
                        f"the pixels: axes {_CHANNELS}."),
            ((0,), "you took the statistics over the batch axis only, one mean per channel and pixel. Batch norm "
                   f"averages each channel over the batch and all its pixels: axes {_CHANNELS}."),
            ((2, 3), "you normalised each image's channel over its pixels only (instance normalization). Batch "
                     f"norm also averages over the batch: axes {_CHANNELS}."),
            ((0, 1, 2, 3), "you took one mean and variance for the whole batch, all channels together. Batch norm "
                           f"keeps one per channel: axes {_CHANNELS}."),
        ]
        for axes, why in groupings:
            m, v = _stats(x, axes)
            cands.append((_normalise(x, m, v, gamma, beta, eps), why))
        m1, v1 = _stats(x, (0, 2, 3), ddof=1)
        cands.append((_normalise(x, m1, v1, gamma, beta, eps),
                      "you normalised with the unbiased variance (divided by n − 1). The normalisation uses the "
                      "biased variance (divide by n = N·H·W: np.var's default, ddof=0); only running_var gets "
                      "the unbiased one."))
        cands.append((_normalise(x, rm, rv, gamma, beta, eps),
                      "in training mode you normalised with the running statistics. Training mode normalises "
                      "with the batch's own mean and variance (and then updates the running ones)."))
    else:
        mean, var = rm, rv
        for ddof in (0, 1):
            m, v = _stats(x, (0, 2, 3), ddof=ddof)
            cands.append((_normalise(x, m, v, gamma, beta, eps),
                          "in eval mode you normalised with the batch's statistics. Eval mode uses the running "
                          "statistics (running_mean, running_var), so that an example's output does not depend "
                          "on the other examples in its batch."))
    for mode, why in _EPS_MISTAKES:
        cands.append((_normalise(x, mean, var, gamma, beta, eps, eps_mode=mode), why))
    for mode, why in _AFFINE_MISTAKES:
        cands.append((_normalise(x, mean, var, gamma, beta, eps, affine=mode), why))
    return cands


def _running_mistakes(x, running_mean, running_var, momentum):
    """(wrong (new_running_mean, new_running_var), explanation) for the typical mistakes in the update."""
    n = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=(0, 2, 3))
    biased = x.var(axis=(0, 2, 3))
    unbiased = biased * n / (n - 1)
    m = momentum
    updates = {
        "right": lambda old, new: (1 - m) * old + m * new,
        "reversed": lambda old, new: m * old + (1 - m) * new,
        "replaced": lambda old, new: new,
    }
    why_update = {
        "reversed": f"momentum is applied the wrong way round: the batch statistic gets the weight momentum "
                    f"({m:g}) and the old running value 1 − momentum ({1 - m:g}): "
                    "running = (1 − momentum)·running + momentum·batch.",
        "replaced": "you replaced the running statistics by the batch's: keep 1 − momentum of the old value, "
                    "running = (1 − momentum)·running + momentum·batch.",
    }
    why_biased = ("running_var was updated with the biased variance: PyTorch's running_var takes the unbiased "
                  "one (divide by n − 1, ddof=1), while the normalisation uses the biased one.")
    cands = []
    for kind, update in updates.items():
        for var, biased_used in ((unbiased, False), (biased, True)):
            if kind == "right" and not biased_used:
                continue
            parts = ([why_update[kind]] if kind != "right" else []) + ([why_biased] if biased_used else [])
            cands.append(((update(running_mean, mean), update(running_var, var)), " And ".join(parts)))
    if m != 0.1:
        cands.append((((0.9 * running_mean + 0.1 * mean), (0.9 * running_var + 0.1 * unbiased)),
                      f"you used momentum 0.1 whatever the argument momentum says (here {m:g}): use the argument."))
    return cands


# --------------------------------------------------------------------------- batch norm: the check
def _call(fn, name, args, where):
    """``fn(*args)``, or a ❌ Verdict that quotes the exception and names its likely cause in batch norm."""
    try:
        return fn(*args)
    except Exception as error:  # noqa: BLE001 - any error in the student's code becomes a verdict
        text = f"{type(error).__name__}: {' '.join(str(error).split())}"
        if "positional argument" in text or "unexpected keyword" in text:
            cause = ("Keep the signature as given: (x, gamma, beta, running_mean, running_var, training, "
                     "momentum=0.1, eps=1e-5).")
        elif "broadcast" in text or "shape" in text:
            cause = ("gamma, beta and the running statistics have one number per channel, shape (C,): reshape them "
                     "to (1, C, 1, 1) (e.g. gamma.reshape(1, -1, 1, 1)) so they line up with the channel axis of "
                     "x, and keep the batch statistics' axes with keepdims=True.")
        else:
            cause = "Call the function yourself on a small batch: the traceback names the line."
        return Verdict(False, f"{name} raised {text[:200].rstrip('.')} (on {where}). {cause}")


def _as_result(got, name, where, c, x_shape):
    """The three arrays of a result, or a ❌ Verdict saying what a result should be."""
    form = "(y, new_running_mean, new_running_var)"
    if hasattr(got, "shape") and not isinstance(got, tuple):
        return Verdict(False, f"{name} returned one array (shape {tuple(got.shape)}) on {where}; return all three: "
                              f"{form}, e.g. return y, new_mean, new_var.")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return Verdict(False, f"{name} should return three arrays, {form}; on {where} it returned "
                              f"{describe(got)}.")
    arrays = []
    for part, want, what in zip(got, (x_shape, (c,), (c,)), ("y", "new_running_mean", "new_running_var"),
                                strict=True):
        if part is None:
            return Verdict(False, f"{name} returned None as {what} on {where}: return all three arrays {form}.")
        if hasattr(part, "detach") and hasattr(part, "numpy"):
            part = part.detach().cpu().numpy()
        try:
            arr = np.array(part, dtype=float)
        except (TypeError, ValueError):
            return Verdict(False, f"{name} returned {describe(part)} as {what} on {where}: it should be an array "
                                  "of numbers.")
        if arr.shape != tuple(want):
            hint = ""
            if what != "y" and arr.size == c:
                hint = (" That is one number per channel in another shape (kept dimensions?): return shape (C,), "
                        "e.g. with .reshape(-1).")
            elif what != "y" and arr.shape == x_shape:
                hint = " The running statistics hold one number per channel, not one per entry of x."
            elif what == "y":
                hint = " y has the shape of x: batch norm changes the values, not the shape."
            return Verdict(False, f"On {where}, {what} has shape {tuple(arr.shape)}; it should be "
                                  f"{tuple(want)}.{hint}")
        arrays.append(arr)
    return arrays


def _close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))


def _named(got, cands):
    return next((why for cand, why in cands if _close(got, cand)), None)


@graded
def check_batch_norm(fn, *, name="my_batch_norm"):
    """Check a student's batch-norm forward pass against ``torch.nn.BatchNorm2d`` on three batches.

    ``fn(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5)`` must return
    ``(y, new_running_mean, new_running_var)``: x and y of shape (N, C, H, W), the rest (C,). In training mode
    ``y = (x − mean) / sqrt(var + eps) · gamma + beta`` with each channel's mean and *biased* variance over
    N, H and W, and ``running = (1 − momentum)·running + momentum·batch statistic`` (the *unbiased* variance
    for running_var); in eval mode the running statistics normalise and stay unchanged. Called on two
    training batches (momentum 0.1 and 0.3, eps 1e-5 and 0.1) and one in eval mode, with copies of the inputs.

    A wrong result is named when it is a typical mistake: statistics per sample (layer norm), per pixel, per
    image, or over all channels; the unbiased variance in the normalisation; eps forgotten, outside the square
    root, or the variance not square-rooted; gamma or beta forgotten or swapped; the running statistics used in
    training; running statistics not updated, replaced, updated with the biased variance or with the momentum
    the wrong way round; batch statistics in eval mode, or running statistics changed there.

    >>> def bn(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    ...     if training:
    ...         mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    ...         n = x.size // x.shape[1]
    ...         running_mean = (1 - momentum) * running_mean + momentum * mean
    ...         running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    ...     else:
    ...         mean, var = running_mean, running_var
    ...     xhat = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + eps)
    ...     return xhat * gamma[:, None, None] + beta[:, None, None], running_mean, running_var
    >>> check_batch_norm(bn)  # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. my_batch_norm agrees with torch.nn.BatchNorm2d on 3 batches: y and the updated running_mean and
    running_var in training mode (momentum 0.1 and 0.3, eps 1e-5 and 0.1), and y in eval mode.
    >>> check_batch_norm(lambda *args: None)  # doctest: +ELLIPSIS
    ⏳ Not answered yet. my_batch_norm returns None: ...
    """
    if fn is None:
        return Verdict(None, "Replace the `None` with your function, run the cell, then run this check again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(x, gamma, beta, running_mean, running_var, "
                              f"training, momentum=0.1, eps=1e-5): …); got {describe(fn)}.")
    for k, (where, *_rest) in enumerate(BN_CASES):
        args = batch_norm_case(k)
        x, gamma, beta, running_mean, running_var, training, momentum, eps = args
        got = _call(fn, name, tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args),
                    where)
        if isinstance(got, Verdict):
            return got
        if got is None:
            return returned_none(name, k == 0, where)
        arrays = _as_result(got, name, where, x.shape[1], x.shape)
        if isinstance(arrays, Verdict):
            return arrays
        y, new_mean, new_var = arrays
        want_y, want_mean, want_var = torch_batch_norm(*args)
        problems = []
        if not _close(y, want_y):
            why = _named(y, _y_mistakes(x, gamma, beta, running_mean, running_var, training, eps))
            problems.append("y: " + (why or check_array(y, want_y, what="y").message))
        stats_right = _close(new_mean, want_mean) and _close(new_var, want_var)
        if not stats_right and not training:
            problems.append("the running statistics changed: in eval mode they stay as they are (return them "
                            "unchanged).")
        elif not stats_right:
            if _close(new_mean, running_mean) and _close(new_var, running_var):
                problems.append("the running statistics are the ones you were given: in training mode update "
                                "them, running = (1 − momentum)·running + momentum·batch statistic.")
            else:
                cands = _running_mistakes(x, running_mean, running_var, momentum)
                why = next((w for (m, v), w in cands if _close(new_mean, m) and _close(new_var, v)), None)
                if why is None:           # one of the two right: name the other's mistake alone
                    if _close(new_mean, want_mean):
                        why = next((w for (_m, v), w in cands if _close(new_var, v) and "momentum" not in w),
                                   None) or check_array(new_var, want_var, what="new_running_var").message
                        why = "new_running_var: " + why
                    elif _close(new_var, want_var):
                        why = "new_running_mean: " + (next((w for (m, _v), w in cands if _close(new_mean, m)
                                                            and "biased" not in w), None)
                                                      or check_array(new_mean, want_mean,
                                                                     what="new_running_mean").message)
                    else:
                        why = ("new_running_mean: " + check_array(new_mean, want_mean, what="new_running_mean")
                               .message + " new_running_var: " + check_array(new_var, want_var,
                                                                              what="new_running_var").message)
                problems.append(why)
        if problems:
            return Verdict(False, f"On {where}: " + " Also: ".join(problems))
    return Verdict(True, f"{name} agrees with torch.nn.BatchNorm2d on {len(BN_CASES)} batches: y and the updated "
                         "running_mean and running_var in training mode (momentum 0.1 and 0.3, eps 1e-5 and 0.1), "
                         "and y in eval mode.")


# --------------------------------------------------------------------------- residual block
RESIDUAL_CASES = [(2, 3, 5, 6), (1, 2, 4, 4), (3, 4, 3, 7)]     # (N, C, H, W)


def residual_case(k: int):
    """The inputs of :func:`check_residual_block`'s trial ``k`` (0, 1 or 2, as in ``RESIDUAL_CASES``): ``(x, w1,
    b1, w2, b2)``, NumPy float64 — x of shape (N, C, H, W) with negative and positive entries, w1 and w2
    (C, C, 3, 3), b1 and b2 (C,).

    >>> [a.shape for a in residual_case(0)]
    [(2, 3, 5, 6), (3, 3, 3, 3), (3,), (3, 3, 3, 3), (3,)]
    """
    k = whole(k, "k", minimum=0, what=f" (a trial number below {len(RESIDUAL_CASES)})")
    if k >= len(RESIDUAL_CASES):
        raise ValueError(f"k must be a trial number from 0 to {len(RESIDUAL_CASES) - 1}, got {k}.")
    n, c, h, w = RESIDUAL_CASES[k]
    rng = np.random.default_rng(111 + k)
    x = rng.normal(size=(n, c, h, w))
    w1, w2 = rng.normal(size=(c, c, 3, 3)) / 3, rng.normal(size=(c, c, 3, 3)) / 3
    b1, b2 = rng.normal(size=c), rng.normal(size=c)
    return x, w1, b1, w2, b2


def _torch_block(x, w1, b1, w2, b2, variant="right"):
    """A residual block computed with torch (float64): the right one, or one of the typical mistakes."""
    import torch
    import torch.nn.functional as F

    x, w1, b1, w2, b2 = (torch.as_tensor(np.asarray(a, dtype=float)) for a in (x, w1, b1, w2, b2))
    if variant == "no_bias":
        b1, b2 = torch.zeros_like(b1), torch.zeros_like(b2)
    if variant == "swapped":
        w1, b1, w2, b2 = w2, b2, w1, b1

    def conv(t, w, b):
        return F.conv2d(t, w, b, padding=1)

    inner = conv(x, w1, b1)
    if variant == "no_inner_relu":
        f = conv(inner, w2, b2)
    elif variant == "skip_in_middle":
        return torch.relu(conv(torch.relu(inner) + x, w2, b2)).numpy()
    else:
        f = conv(torch.relu(inner), w2, b2)
    out = {"no_skip": lambda: torch.relu(f), "relu_before_add": lambda: x + torch.relu(f),
           "no_final_relu": lambda: x + f}.get(variant, lambda: torch.relu(x + f))()
    return out.numpy()


def torch_residual_block(x, w1, b1, w2, b2):
    """``relu(x + conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, padding=1))`` computed by torch, float64.

    The oracle of :func:`check_residual_block`; x (N, C, H, W), w1 and w2 (C, C, 3, 3), b1 and b2 (C,).

    >>> x = np.array([[[[1.0, -2.0], [3.0, -4.0]]]])
    >>> torch_residual_block(x, np.zeros((1, 1, 3, 3)), np.zeros(1), np.zeros((1, 1, 3, 3)), np.zeros(1)).tolist()
    [[[[1.0, 0.0], [3.0, 0.0]]]]
    """
    x = as_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of shape (N, C, H, W), got shape {x.shape}.")
    c = x.shape[1]
    for name, value, shape in (("w1", w1, (c, c, 3, 3)), ("b1", b1, (c,)), ("w2", w2, (c, c, 3, 3)),
                               ("b2", b2, (c,))):
        if as_array(value, name).shape != shape:
            raise ValueError(f"{name} must have shape {shape} for x with {c} channels, got shape {np.shape(value)}.")
    return _torch_block(x, w1, b1, w2, b2)


_BLOCK_MISTAKES = [
    ("no_skip", "the skip connection is missing: add the block's input x to F(x) before the last ReLU, "
                "out = relu(x + F(x))."),
    ("relu_before_add", "you added x after the last ReLU, x + relu(F(x)). This series' convention (ResNet's): "
                        "add first, then the ReLU, out = relu(x + F(x))."),
    ("no_final_relu", "the last ReLU is missing: out = relu(x + F(x)), the ReLU after the addition."),
    ("no_inner_relu", "the ReLU between the two convolutions is missing: F(x) = conv2(relu(conv1(x)))."),
    ("swapped", "the two convolutions are in the wrong order: conv1 (w1, b1) first, then conv2 (w2, b2)."),
    ("no_bias", "the biases b1 and b2 are missing: pass them to each convolution."),
    ("skip_in_middle", "you added x between the two convolutions; the skip goes around the whole of F: "
                       "out = relu(x + conv2(relu(conv1(x))))."),
]


@graded
def check_residual_block(fn, *, name="residual_block"):
    """Check a student's residual block ``fn(x, w1, b1, w2, b2)`` against torch, with the same weights.

    The block: ``out = relu(x + F(x))`` with ``F(x) = conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2,
    padding=1)`` — 3×3 convolutions whose padding 1 keeps the height and width, so x and F(x) can be added; x
    (N, C, H, W), w1 and w2 (C, C, 3, 3), b1 and b2 (C,). Run on three inputs (one with a non-square image) and
    compared with :func:`torch_residual_block`.

    Named mistakes: the skip missing, x added after the last ReLU instead of before it, a ReLU missing, the
    convolutions swapped, the biases forgotten, the skip added between the convolutions, and the padding
    missing (x and F(x) of different shapes: a friendly message instead of NumPy's broadcasting error).

    >>> from helpers.conv import conv2d
    >>> def block(x, w1, b1, w2, b2):
    ...     f = conv2d(np.maximum(conv2d(x, w1, b1, padding=1), 0), w2, b2, padding=1)
    ...     return np.maximum(x + f, 0)
    >>> check_residual_block(block)
    ✅ Correct. residual_block agrees with torch on 3 inputs, with the same weights.
    >>> check_residual_block(lambda x, w1, b1, w2, b2: np.maximum(conv2d(x, w1, b1, padding=1), 0))
    ... # doctest: +ELLIPSIS
    ❌ Not yet. On x of shape 2×3×5×6: the result differs from relu(x + F(x))...
    """
    if fn is None:
        return Verdict(None, "Replace the `None` with your function, run the cell, then run this check again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(x, w1, b1, w2, b2): …); got "
                              f"{describe(fn)}.")
    pad = ("pad each 3×3 convolution with 1 pixel (padding=1), so that F(x) keeps x's height and width and the "
           "two can be added")
    for k in range(len(RESIDUAL_CASES)):
        args = residual_case(k)
        where = f"x of shape {shape_text(args[0].shape)}"
        try:
            got = fn(*(a.copy() for a in args))
        except Exception as error:  # noqa: BLE001 - any error in the student's code becomes a verdict
            text = f"{type(error).__name__}: {' '.join(str(error).split())}"
            if "broadcast" in text or "must match the size" in text:
                return Verdict(False, f"{name} raised {text[:160].rstrip('.')} (on {where}): x and F(x) have "
                                      f"different shapes, so they cannot be added — {pad}.")
            if "does not fit" in text:
                return Verdict(False, f"{name} raised {text[:160].rstrip('.')} (on {where}): without padding every 3×3 "
                                      f"convolution shrinks the image by 2 pixels — {pad}.")
            if "positional argument" in text:
                cause = "Keep the signature as given: (x, w1, b1, w2, b2)."
            else:
                cause = "Call the function yourself on a small x: the traceback names the line."
            return Verdict(False, f"{name} raised {text[:200].rstrip('.')} (on {where}). {cause}")
        if got is None:
            return returned_none(name, k == 0, where)
        if hasattr(got, "detach") and hasattr(got, "numpy"):
            got = got.detach().cpu().numpy()
        try:
            out = np.array(got, dtype=float)
        except (TypeError, ValueError):
            return Verdict(False, f"{name} should return an array (N, C, H, W); on {where} it returned "
                                  f"{describe(got)}.")
        x = args[0]
        if out.shape != x.shape:
            msg = (f"On {where}, {name} returned shape {shape_text(out.shape)}; a residual block keeps the shape "
                   f"of its input, {shape_text(x.shape)}.")
            if out.ndim == 4 and out.shape[:2] == x.shape[:2] and out.shape[2] < x.shape[2]:
                msg += f" Smaller images mean the convolutions lost their border: {pad}."
            return Verdict(False, msg)
        want = torch_residual_block(*args)
        if _close(out, want):
            continue
        why = next((w for variant, w in _BLOCK_MISTAKES if _close(out, _torch_block(*args, variant=variant))), None)
        if why is None:
            why = "the result differs from relu(x + F(x)): " + check_array(out, want, what="output").message
        elif why.startswith("the skip connection"):
            why = "the result differs from relu(x + F(x)): " + why
        return Verdict(False, f"On {where}: {why}")
    return Verdict(True, f"{name} agrees with torch on {len(RESIDUAL_CASES)} inputs, with the same weights.")


__all__ = ["BN_CASES", "RESIDUAL_CASES", "batch_norm_case", "check_batch_norm", "check_residual_block", "residual_case",
           "torch_batch_norm", "torch_residual_block"]
