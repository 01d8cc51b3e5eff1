"""A small CNN written with the NumPy helpers only: forward pass, backward pass and plain SGD.

The network (for 8×8 digits with the defaults)::

    x (N, 1, 8, 8) → conv 3×3, padding 1 → (N, 8, 8, 8) → ReLU → max-pool 2×2 → (N, 8, 4, 4)
      → flatten → (N, 128) → linear → (N, 10) logits → softmax cross-entropy (mean over the batch)

Forward uses :func:`helpers.conv.conv2d` and :func:`helpers.pool.max_pool2d`; backward uses
:mod:`helpers.backward`. :meth:`NumpyCNN.to_torch` and :meth:`NumpyCNN.from_torch` move the weights to and
from the same network in PyTorch, so the two can be compared number for number.

Notebook 08, section 7, teaches this network's backward pass: the student writes its loss and gradients
(``my_loss_and_grads``) and a plain-SGD loop (``my_train``), and :class:`NumpyCNN` with :func:`train_sgd` is the
reference that :func:`check_loss_and_grads` and :func:`check_train_loop` compare them with.
``tests/test_backward_checks.py`` keeps the notebook's solutions, this module and torch autograd equal.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import backward as _bw
from . import conv as _conv
from . import pool as _pool
from ._text import number
from ._validate import as_array, describe, int_param
from .grading import graded

__all__ = [
    "LOSS_AND_GRADS_CASES", "NumpyCNN", "check_loss_and_grads", "check_train_loop", "minibatch_indices",
    "softmax_cross_entropy", "train_sgd",
]

_PARAM_NAMES = ("conv_w", "conv_b", "fc_w", "fc_b")


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient for the logits.

    Shapes: logits (N, K), y (N,) with values in 0..K−1 → (loss, grad) with grad (N, K).
    Formulas: ``p = softmax(logits)``, ``loss = −(1/N) Σ_n log p[n, y_n]``,
    ``∂loss/∂logits = (p − onehot(y)) / N`` (the same as ``torch.nn.functional.cross_entropy``).

    >>> loss, grad = softmax_cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))
    >>> round(loss, 4), grad
    (0.6931, array([[ 0.5, -0.5]]))
    """
    logits = as_array(logits, "logits")
    y = as_array(y, "y")
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, K): one row of K class scores per example; "
                         f"got shape {logits.shape}.")
    n, k = logits.shape
    if y.shape != (n,):
        raise ValueError(f"y must hold one label per row of logits, shape ({n},); got shape {y.shape}.")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise TypeError(f"y must hold whole-number class labels 0..{k - 1}; "
                            f"got values such as {y.flat[0]!r}.")
        y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"y must hold class labels 0..{k - 1} (there are {k} logits per row); "
                         f"got labels from {y.min()} to {y.max()}.")
    logits = logits.astype(np.result_type(logits.dtype, np.float32), copy=False)
    shifted = logits - logits.max(axis=1, keepdims=True)        # for numerical safety; softmax is unchanged
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(n), y].mean())
    grad = np.exp(log_p)
    grad[np.arange(n), y] -= 1
    return loss, grad / n


def minibatch_indices(n, batch_size, *, epochs=1, seed=0):
    """The minibatches of ``epochs`` shuffled passes over ``n`` examples (``np.random.default_rng(seed)``).

    Returns a list of index arrays (the last batch of an epoch may be smaller). Give the same list to
    two training loops and they see exactly the same batches.

    >>> [b.tolist() for b in minibatch_indices(5, 2, seed=0)]
    [[2, 4], [3, 0], [1]]
    """
    n = int_param(n, "n", minimum=1)
    batch_size = int_param(batch_size, "batch_size", minimum=1)
    epochs = int_param(epochs, "epochs", minimum=1)
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return batches


class NumpyCNN:
    """conv → ReLU → max-pool → flatten → linear, trained with softmax cross-entropy, all in NumPy.

    Parameters (shapes as in torch): ``conv_w`` (channels, in_channels, k, k), ``conv_b`` (channels,),
    ``fc_w`` (n_classes, channels·P·P), ``fc_b`` (n_classes,), with P = image_size // pool after a
    padded 'same-size' convolution (k odd, padding (k − 1)/2). Initialised like torch's default:
    uniform in ±1/√fan_in. Computations run in ``dtype`` (float64 by default, for exact comparisons).

    >>> net = NumpyCNN(seed=0)
    >>> {name: p.shape for name, p in net.params.items()}
    {'conv_w': (8, 1, 3, 3), 'conv_b': (8,), 'fc_w': (10, 128), 'fc_b': (10,)}
    >>> net.forward(np.zeros((2, 1, 8, 8))).shape
    (2, 10)
    """

    def __init__(self, in_channels=1, channels=8, image_size=8, n_classes=10, kernel_size=3, pool=2, *,
                 seed=0, dtype=np.float64):
        self.in_channels = int_param(in_channels, "in_channels", minimum=1)
        self.channels = int_param(channels, "channels", minimum=1)
        self.image_size = int_param(image_size, "image_size", minimum=1)
        self.n_classes = int_param(n_classes, "n_classes", minimum=2)
        self.kernel_size = int_param(kernel_size, "kernel_size", minimum=1)
        self.pool = int_param(pool, "pool", minimum=1)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (1, 3, 5, …) so that padding (k − 1)/2 keeps the "
                             f"image size; got {self.kernel_size}.")
        if self.pool > self.image_size:
            raise ValueError(f"pool {self.pool} is larger than the "
                             f"{self.image_size}×{self.image_size} image.")
        self.dtype = np.dtype(dtype)
        if not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"dtype must be a float type such as np.float64 or np.float32; got {self.dtype}.")
        self.padding = (self.kernel_size - 1) // 2
        self.pooled = self.image_size // self.pool
        self.features = self.channels * self.pooled * self.pooled
        rng = np.random.default_rng(seed)
        fan_conv = self.in_channels * self.kernel_size ** 2
        k = self.kernel_size

        def uniform(shape, fan_in):
            bound = 1 / np.sqrt(fan_in)
            return rng.uniform(-bound, bound, size=shape).astype(self.dtype)

        self.params = {
            "conv_w": uniform((self.channels, self.in_channels, k, k), fan_conv),
            "conv_b": uniform((self.channels,), fan_conv),
            "fc_w": uniform((self.n_classes, self.features), self.features),
            "fc_b": uniform((self.n_classes,), self.features),
        }
        self._cache = None

    # ------------------------------------------------------------------ forward and backward
    def _check_x(self, x):
        x = as_array(x, "x")
        want = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or x.shape[1:] != want:
            raise ValueError(f"x must be a batch of images, shape (N, {', '.join(map(str, want))}); "
                             f"got shape {x.shape}." + (" Add the batch dimension with x[None]." if
                                                       x.shape == want else ""))
        return x.astype(self.dtype, copy=False)

    def forward(self, x):
        """Logits (N, n_classes) for images x (N, in_channels, S, S); keeps what backward needs."""
        x = self._check_x(x)
        p = self.params
        conv = _conv.conv2d(x, p["conv_w"], p["conv_b"], padding=self.padding)
        hidden = np.maximum(conv, 0)
        pooled = _pool.max_pool2d(hidden, self.pool)
        flat = pooled.reshape(len(x), -1)
        logits = flat @ p["fc_w"].T + p["fc_b"]
        self._cache = (x, conv, hidden, pooled.shape, flat)
        return logits

    def backward(self, grad_logits):
        """Gradients of the loss for every parameter, from ∂L/∂logits (N, n_classes) of the last forward pass.

        The chain, from the top: linear (``∂L/∂W = gᵀ·flat``, ``∂L/∂flat = g·W``) → unflatten →
        max-pool backward → ReLU backward → conv backward.
        """
        if self._cache is None:
            raise ValueError("backward needs the values of a forward pass: call forward(x) first.")
        x, conv, hidden, pooled_shape, flat = self._cache
        g = as_array(grad_logits, "grad_logits")
        if g.shape != (len(x), self.n_classes):
            raise ValueError(f"grad_logits must have the shape of the logits, ({len(x)}, {self.n_classes}); "
                             f"got {g.shape}.")
        p = self.params
        grads = {"fc_w": g.T @ flat, "fc_b": g.sum(axis=0)}
        grad_pooled = (g @ p["fc_w"]).reshape(pooled_shape)
        grad_hidden = _bw.max_pool2d_backward(hidden, grad_pooled, self.pool)
        grad_conv = _bw.relu_backward(conv, grad_hidden)
        _, grads["conv_w"], grads["conv_b"] = _bw.conv2d_backward(x, p["conv_w"], grad_conv,
                                                                  padding=self.padding)
        return {name: grads[name].astype(self.dtype, copy=False) for name in _PARAM_NAMES}

    def loss_and_grads(self, x, y):
        """Forward, loss and backward in one call: returns (loss, grads) for a batch."""
        logits = self.forward(x)
        loss, grad_logits = softmax_cross_entropy(logits, y)
        return loss, self.backward(grad_logits)

    def sgd_step(self, grads, lr):
        """Plain SGD: ``param ← param − lr · grad`` for every parameter, in place."""
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
            raise ValueError(f"lr must be a positive number such as 0.1, got {lr!r}.")
        for name in _PARAM_NAMES:
            if grads[name].shape != self.params[name].shape:
                raise ValueError(f"grads['{name}'] has shape {grads[name].shape}, the parameter "
                                 f"{self.params[name].shape}.")
            self.params[name] -= lr * grads[name]

    def predict(self, x):
        """Predicted class (N,) for images x."""
        return self.forward(x).argmax(axis=1)

    def accuracy(self, x, y):
        """Fraction of the images whose predicted class equals the label."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

    # ------------------------------------------------------------------ PyTorch twin
    def to_torch(self):
        """The same network as a ``torch.nn.Sequential`` holding copies of these weights (same dtype)."""
        import torch
        from torch import nn

        tdtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}.get(self.dtype)
        if tdtype is None:
            raise TypeError(f"to_torch supports float32 and float64 networks, not {self.dtype}.")
        model = nn.Sequential(
            nn.Conv2d(self.in_channels, self.channels, self.kernel_size, padding=self.padding),
            nn.ReLU(),
            nn.MaxPool2d(self.pool),
            nn.Flatten(),
            nn.Linear(self.features, self.n_classes),
        ).to(tdtype)
        with torch.no_grad():
            model[0].weight.copy_(torch.from_numpy(self.params["conv_w"]))
            model[0].bias.copy_(torch.from_numpy(self.params["conv_b"]))
            model[4].weight.copy_(torch.from_numpy(self.params["fc_w"]))
            model[4].bias.copy_(torch.from_numpy(self.params["fc_b"]))
        return model

    @classmethod
    def with_params(cls, params, *, pool=2):
        """A NumpyCNN that computes with ``params`` — the dict itself, not a copy — its sizes read off the shapes.

        ``params`` holds conv_w (C, C_in, k, k), conv_b (C,), fc_w (K, C·P·P), fc_b (K,), as
        ``NumpyCNN().params`` does; images are (P·pool)×(P·pool). Since the network uses the dict itself, it sees
        every later change to it (a training loop that updates ``params[name]`` in place), and
        :meth:`sgd_step` changes the caller's dict. The dtype is that of conv_w.

        >>> params = NumpyCNN(channels=4, seed=1).params
        >>> net = NumpyCNN.with_params(params)
        >>> net.params is params, net.channels, net.image_size
        (True, 4, 8)
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict with the keys {', '.join(_PARAM_NAMES)}; got {describe(params)}.")
        missing = [name for name in _PARAM_NAMES if name not in params]
        if missing:
            raise ValueError(f"params lacks {', '.join(missing)}: it needs the keys {', '.join(_PARAM_NAMES)}.")
        shapes = {name: np.shape(params[name]) for name in _PARAM_NAMES}
        conv_w, fc_w = shapes["conv_w"], shapes["fc_w"]
        fits = (len(conv_w) == 4 and conv_w[2] == conv_w[3] and shapes["conv_b"] == conv_w[:1] and len(fc_w) == 2
                and shapes["fc_b"] == fc_w[:1] and conv_w[0] > 0 and fc_w[1] % conv_w[0] == 0)
        side = int(round((fc_w[1] // conv_w[0]) ** 0.5)) if fits else 0
        if not fits or side * side * conv_w[0] != fc_w[1]:
            raise ValueError("params must have the shapes conv_w (C, C_in, k, k), conv_b (C,), fc_w (K, C·P·P), "
                             "fc_b (K,); got " + ", ".join(f"{name} {shape}" for name, shape in shapes.items()) + ".")
        net = cls(conv_w[1], conv_w[0], side * pool, fc_w[0], conv_w[2], pool,
                  dtype=np.asarray(params["conv_w"]).dtype)
        net.params = params
        return net

    @classmethod
    def from_torch(cls, model, *, image_size=None, dtype=np.float64):
        """A NumpyCNN with the weights of ``model``, a torch ``nn.Sequential`` of this architecture.

        The model must be ``Conv2d(C_in, C, k, padding=(k−1)/2) → ReLU → MaxPool2d(P) → Flatten →
        Linear(C·⌊S/P⌋², K)`` for square S×S images — the shape that :meth:`to_torch` builds. ``image_size``
        defaults to ⌊S/P⌋·P; give it when S is not a multiple of P.
        """
        from torch import nn

        expected = ("Sequential(Conv2d(C_in, C, k, padding=(k−1)/2), ReLU(), MaxPool2d(P), Flatten(), "
                    "Linear(F, K))")
        kinds = (nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear)
        if not isinstance(model, nn.Sequential) or len(model) != 5 or not all(
                isinstance(layer, kind) for layer, kind in zip(model, kinds, strict=True)):
            got = (type(model).__name__ if not isinstance(model, nn.Sequential)
                   else "Sequential(" + ", ".join(type(layer).__name__ for layer in model) + ")")
            raise TypeError(f"model must be {expected}; got {got}.")
        conv, _, pool, _, fc = model
        k = conv.kernel_size[0]
        pool_k = pool.kernel_size if isinstance(pool.kernel_size, int) else pool.kernel_size[0]
        pool_s = pool.stride if isinstance(pool.stride, int) else pool.stride[0]
        if (conv.kernel_size != (k, k) or conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1
                or conv.padding != ((k - 1) // 2,) * 2 or conv.bias is None or fc.bias is None):
            raise ValueError(f"the Conv2d must be square, stride 1, padding (k−1)/2, with a bias; "
                             f"got {conv}.")
        if pool_s != pool_k or pool.padding not in (0, (0, 0)) or pool.dilation not in (1, (1, 1)):
            raise ValueError(f"the MaxPool2d must have stride = kernel_size and no padding; got {pool}.")
        pooled = fc.in_features // conv.out_channels
        side = int(round(pooled ** 0.5))
        if side * side * conv.out_channels != fc.in_features:
            raise ValueError(f"Linear has {fc.in_features} inputs, not C·P·P for "
                             f"C = {conv.out_channels} channels.")
        if image_size is None:
            image_size = side * pool_k
        elif int(image_size) // pool_k != side:
            pooled_side = int(image_size) // pool_k
            raise ValueError(f"image_size {image_size} pools to {pooled_side}×{pooled_side}, "
                             f"but the Linear layer expects {side}×{side} per channel.")
        net = cls(conv.in_channels, conv.out_channels, image_size, fc.out_features, k, pool_k, dtype=dtype)
        for name, tensor in (("conv_w", conv.weight), ("conv_b", conv.bias), ("fc_w", fc.weight),
                             ("fc_b", fc.bias)):
            net.params[name] = tensor.detach().cpu().numpy().astype(net.dtype, copy=True)
        return net


def train_sgd(net, X, y, batches, lr):
    """Train ``net`` with plain SGD over the given minibatches (from :func:`minibatch_indices`).

    Returns the list of batch losses (each measured before that batch's step).

    >>> net = NumpyCNN(seed=0)
    >>> X = np.random.default_rng(0).random((6, 1, 8, 8)); y = np.arange(6)
    >>> losses = train_sgd(net, X, y, minibatch_indices(6, 3, epochs=20), lr=0.5)
    >>> losses[-1] < losses[0]
    True
    """
    X = as_array(X, "X")
    y = as_array(y, "y")
    if len(X) != len(y):
        raise ValueError(f"X and y must have one label per image: X has {len(X)} images, y {len(y)} labels.")
    losses = []
    for idx in batches:
        loss, grads = net.loss_and_grads(X[idx], y[idx])
        net.sgd_step(grads, lr)
        losses.append(loss)
    return losses


# --------------------------------------------------------------------------- checks of a student's own network code
_PARAM_TEXT = {"conv_w": "the conv weights (conv_w)", "conv_b": "the conv bias (conv_b)",
               "fc_w": "the linear layer's weights (fc_w)", "fc_b": "the linear layer's bias (fc_b)"}

# (seed, NumpyCNN settings, batch size): the digits network, then one with other sizes everywhere (2 input channels,
# 3 kernels, 6×6 images, 4 classes), so that a size written into the code instead of read from the arrays shows.
LOSS_AND_GRADS_CASES = (
    (60, {}, 4),
    (61, {"in_channels": 2, "channels": 3, "image_size": 6, "n_classes": 4}, 5),
)


def _chain(params, X, y, *, conv_bias=True, relu=True, fc_bias=True, loss_sum=False, relu_back=True,
           pool_back="max", fc_b_mean=False, conv_b_mean=False, times_n=False):
    """Loss and gradients of NumpyCNN's network (pool 2), with the switches turning on one usual mistake each."""
    w, b, W, c = (params[name] for name in _PARAM_NAMES)
    pad = (w.shape[2] - 1) // 2
    conv = _conv.conv2d(X, w, b if conv_bias else None, padding=pad)
    hidden = np.maximum(conv, 0) if relu else conv
    pooled = _pool.max_pool2d(hidden, 2)
    flat = pooled.reshape(len(X), -1)
    logits = flat @ W.T + (c if fc_bias else 0)
    loss, g = softmax_cross_entropy(logits, y)
    if loss_sum:
        loss *= len(X)
    if times_n:
        g = g * len(X)
    grads = {"fc_w": g.T @ flat, "fc_b": g.mean(axis=0) if fc_b_mean else g.sum(axis=0)}
    g_pooled = (g @ W).reshape(pooled.shape)
    if pool_back == "max":
        g_hidden = _bw.max_pool2d_backward(hidden, g_pooled, 2)
    else:
        g_hidden = _bw.avg_pool2d_backward(hidden, g_pooled, 2) * (4 if pool_back == "spread" else 1)
    g_conv = _bw.relu_backward(conv, g_hidden) if relu and relu_back else g_hidden
    _, grads["conv_w"], grads["conv_b"] = _bw.conv2d_backward(X, w, g_conv, padding=pad)
    if conv_b_mean:
        grads["conv_b"] = g_conv.mean(axis=(0, 2, 3))
    return loss, grads


_FORWARD_MISTAKES = (
    ({"loss_sum": True}, "Your loss is the sum over the batch; the loss is the mean over the batch (as "
                         "softmax_cross_entropy returns it)."),
    ({"conv_bias": False}, "Your forward pass leaves out the conv bias: conv2d(X, conv_w, conv_b, padding=1)."),
    ({"relu": False}, "Your forward pass leaves out the ReLU between the convolution and the pooling."),
    ({"fc_bias": False}, "Your forward pass leaves out the linear layer's bias: logits = flat @ fc_w.T + fc_b."),
)
_BACKWARD_MISTAKES = (
    ({"relu_back": False}, "The ReLU's backward is missing: relu_backward(conv, g) stops the gradient wherever the "
                           "conv output was ≤ 0."),
    ({"pool_back": "avg"}, "The pooling's backward spreads g over each window (average pooling's rule); max pooling "
                           "sends it to each window's maximum (your my_max_pool2d_backward)."),
    ({"pool_back": "spread"}, "The pooling's backward copies g to every entry of the window; max pooling sends it to "
                              "each window's maximum only (your my_max_pool2d_backward)."),
    ({"fc_b_mean": True}, "fc_b's gradient is the sum of ∂L/∂logits over the batch (the 1/N of the mean loss is "
                          "already inside it), not the mean."),
    ({"conv_b_mean": True}, "conv_b's gradient is the sum of the conv output's gradient over the batch and all "
                            "positions (the db of your my_conv2d_backward), not a mean."),
    ({"times_n": True}, "Your gradients are N times too large: for the mean loss, ∂L/∂logits = (softmax(logits) − "
                        "onehot(y)) / N (notebook 06, section 4) — softmax_cross_entropy returns it so."),
)


def _close(a, b, tol=1e-7):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and _bw.relative_error(a, b) < tol


def _names_text(names):
    """The parameters in words, a layer's two together: 'the conv layer (conv_w, conv_b) and the linear …'."""
    names = list(names)
    texts = []
    for pair, layer in ((("conv_w", "conv_b"), "the conv layer (conv_w, conv_b)"),
                        (("fc_w", "fc_b"), "the linear layer (fc_w, fc_b)")):
        if all(name in names for name in pair):
            texts.append(layer)
        else:
            texts += [_PARAM_TEXT[name] for name in pair if name in names]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _loss_value(loss):
    """The student's loss as a float, or None when it is not one number."""
    if loss is None or isinstance(loss, (str, bytes, bool, np.bool_, dict, list, tuple)):
        return None
    if hasattr(loss, "detach") and hasattr(loss, "numpy"):
        loss = loss.detach().cpu().numpy()
    try:
        arr = np.asarray(loss, dtype=float)
    except (TypeError, ValueError):
        return None
    return float(arr.reshape(())) if arr.size == 1 else None


@graded
def check_loss_and_grads(fn, *, name="my_loss_and_grads", cases=LOSS_AND_GRADS_CASES):
    """Check a student's ``fn(params, X, y) → (loss, grads)`` for NumpyCNN's network against :class:`NumpyCNN`.

    The network: conv (k×k, padding (k − 1)/2, bias) → ReLU → 2×2 max pool → flatten → linear → mean softmax
    cross-entropy. ``params`` and ``grads`` are dicts with the keys conv_w (C, C_in, k, k), conv_b (C,), fc_w
    (K, F), fc_b (K,); X (N, C_in, S, S), y (N,). For each case (``LOSS_AND_GRADS_CASES``) ``fn`` gets a copy of
    the parameters of a NumpyCNN and random images; its loss and each gradient are compared with
    ``NumpyCNN.loss_and_grads`` on the same parameters (the loss to 1e-6, each gradient to a relative error of
    1e-7). The verdict says whether the loss is right, which parameters' gradients are right and which differ,
    and names the usual mistakes (ReLU or pooling backward, the bias, mean for sum, the 1/N).

    >>> check_loss_and_grads(lambda params, X, y: NumpyCNN.with_params(params).loss_and_grads(X, y))
    ... # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. The loss and the gradients of all four parameters agree with helpers.numpy_cnn.NumpyCNN on 2
    cases (the digits network, and one with other sizes).
    """
    from .checks import Verdict, call_student, returned_none

    if fn is None:
        return Verdict(None, f"Replace the `None` with your function {name}, run the cell, then run this check "
                             "again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(params, X, y): …); got {describe(fn)}.")
    for k, (seed, settings, batch) in enumerate(cases):
        net = NumpyCNN(**settings, seed=seed)
        rng = np.random.default_rng(seed)
        X = rng.random((batch, net.in_channels, net.image_size, net.image_size))
        y = rng.integers(0, net.n_classes, size=batch)
        where = (f"{batch} images of {net.in_channels}×{net.image_size}×{net.image_size}, {net.channels} kernels, "
                 f"{net.n_classes} classes")
        got = call_student(fn, {key: v.copy() for key, v in net.params.items()}, X.copy(), y.copy(), name=name)
        if isinstance(got, Verdict):
            return Verdict(False, f"{got.message} (on {where})")
        if got is None:
            return returned_none(name, k == 0, where)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Verdict(False, f"Return the pair (loss, grads); {name} returned {describe(got)}.")
        loss, grads = got
        want_loss, want = net.loss_and_grads(X, y)
        value = _loss_value(loss)
        if value is None:
            return Verdict(False, f"The loss should be one number; got {describe(loss)} (on {where}).")
        if not abs(value - want_loss) <= 1e-6 * max(1.0, abs(want_loss)):
            why = next((text for switches, text in _FORWARD_MISTAKES
                        if abs(value - _chain(net.params, X, y, **switches)[0]) <= 1e-6 * max(1.0, abs(value))),
                       "Go through the forward pass step by step: conv2d with the bias and padding 1, ReLU, "
                       "2×2 max pooling, flatten, flat @ fc_w.T + fc_b, softmax_cross_entropy.")
            return Verdict(False, f"On {where}: the loss is {number(value)}; NumpyCNN's, with the same parameters, is "
                                  f"{number(want_loss)}. {why} Every gradient depends on the forward pass: fix it "
                                  "first.")
        if not isinstance(grads, Mapping):
            return Verdict(False, f"grads should be a dict with one gradient per parameter (keys "
                                  f"{', '.join(_PARAM_NAMES)}); got {describe(grads)}.")
        missing = [key for key in _PARAM_NAMES if key not in grads]
        if missing:
            return Verdict(False, f"grads needs an entry for every parameter, under the names of params; missing: "
                                  f"{', '.join(missing)}.")
        for key in _PARAM_NAMES:
            shape = np.shape(grads[key])
            if shape != want[key].shape:
                msg = (f"grads['{key}'] has shape {shape}; every gradient has the shape of its parameter, here "
                       f"{want[key].shape} (on {where}).")
                if shape == want[key].shape[::-1]:
                    msg += (" Yours is transposed: with g = ∂L/∂logits (N, K) and flat (N, F), "
                            "∂L/∂fc_w = g.T @ flat (K, F)." if key == "fc_w" else " Yours is transposed.")
                return Verdict(False, msg)
        wrong = [key for key in _PARAM_NAMES if not _close(grads[key], want[key])]
        if wrong:
            right = [key for key in _PARAM_NAMES if key not in wrong]
            variants = [(_chain(net.params, X, y, **switches)[1], text) for switches, text in _BACKWARD_MISTAKES]
            why = next((text for grads_v, text in variants if all(_close(grads[key], grads_v[key]) for key in wrong)),
                       "Relative error " + ", ".join(
                           f"{key} {_bw.relative_error(np.asarray(grads[key], float), want[key]):.0e}"
                           for key in wrong) + ": follow g down the chain, one layer at a time.")
            plural = len(wrong) > 1 or set(wrong) in ({"conv_w", "conv_b"}, {"fc_w", "fc_b"})
            text = (f"On {where}: the loss is right; the gradient{'s' if plural else ''} of {_names_text(wrong)} "
                    f"differ{'' if plural else 's'}")
            if right:
                text += f"; {'those' if len(right) > 1 else 'that'} of {_names_text(right)} " \
                        f"{'are' if len(right) > 1 else 'is'} right"
            return Verdict(False, f"{text}. {why}")
    return Verdict(True, f"The loss and the gradients of all four parameters agree with helpers.numpy_cnn.NumpyCNN "
                         f"on {len(cases)} cases (the digits network, and one with other sizes).")


def _sgd_variant(loss_and_grads, params, X, y, batches, lr, mode):
    """Plain SGD over ``batches`` with one usual mistake (``mode``), or none ("right")."""
    losses = []
    for idx in batches:
        if mode == "whole":
            idx = slice(None)
        elif mode == "first":
            idx = batches[0]
        loss, grads = loss_and_grads(params, X[idx], y[idx])
        losses.append(loss)
        if mode == "frozen":
            continue
        step = {"uphill": -lr, "no_lr": 1.0}.get(mode, lr)
        for name in _PARAM_NAMES:
            params[name] = params[name] - step * grads[name]
    return losses


_LOOP_MISTAKES = (
    ("frozen", "The parameters never changed, so every loss was measured on the starting weights. Inside "
               "`for name, p in params.items():`, `p = p - lr * g` makes a new array and only rebinds the name p; "
               "write params[name] = params[name] - lr * grads[name] (or params[name] -= lr * grads[name])."),
    ("uphill", "You stepped uphill: the gradient points to where the loss grows, so subtract lr · gradient."),
    ("no_lr", "Multiply the gradient by the learning rate lr before subtracting it."),
    ("whole", "Each step uses one minibatch, X[idx] and y[idx] for idx in batches — not all of X."),
    ("first", "Each step uses the next minibatch: loop over batches, not batches[0] every time."),
)


@graded
def check_train_loop(fn, *, name="my_train", seed=70):
    """Check a student's plain-SGD loop ``fn(loss_and_grads, params, X, y, batches, lr) → losses``.

    The loop must, for each index array ``idx`` in ``batches``, call ``loss_and_grads(params, X[idx], y[idx])``,
    keep the loss (measured before the step) and update every parameter in place: ``params[name] ← params[name]
    − lr · grads[name]``. ``fn`` runs on a small NumpyCNN (2 kernels, 4×4 images, 3 classes; 12 random images,
    6 batches of 4) with NumpyCNN's own ``loss_and_grads`` passed in, so only the loop is checked; its losses
    and the parameters it leaves in ``params`` are compared with :func:`train_sgd` on the same batches, and the
    usual mistakes are named (parameters rebound but never changed, uphill, lr left out, all of X or the first
    batch every step, a new dict instead of the caller's).

    >>> check_train_loop(lambda lag, params, X, y, batches, lr: train_sgd(NumpyCNN.with_params(params), X, y,
    ...                                                                   batches, lr))
    ... # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct. Your loop takes the same 6 steps as helpers.numpy_cnn.train_sgd: the same losses, and the same
    parameters at the end.
    """
    from .checks import Verdict, call_student

    if fn is None:
        return Verdict(None, f"Replace the `None` with your function {name}, run the cell, then run this check "
                             "again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def {name}(loss_and_grads, params, X, y, batches, lr): "
                              f"…); got {describe(fn)}.")
    start = NumpyCNN(channels=2, image_size=4, n_classes=3, seed=seed).params
    rng = np.random.default_rng(seed)
    X, y = rng.random((12, 1, 4, 4)), rng.integers(0, 3, size=12)
    batches, lr = minibatch_indices(12, 4, epochs=2, seed=seed), 0.5

    def loss_and_grads(params, Xb, yb):        # NumpyCNN's, reading the arrays in ``params`` at each call
        return NumpyCNN.with_params(params).loss_and_grads(Xb, yb)

    reference = NumpyCNN.with_params({key: v.copy() for key, v in start.items()})
    want_losses = np.array(train_sgd(reference, X, y, batches, lr))
    params = {key: v.copy() for key, v in start.items()}
    got = call_student(fn, loss_and_grads, params, X.copy(), y.copy(), [b.copy() for b in batches], lr, name=name)
    if isinstance(got, Verdict):
        return got
    if got is None:
        return Verdict(None, f"{name} returns None: replace result = None with your code, run the cell, then run "
                             "this check again.")
    if isinstance(got, Mapping):
        return Verdict(False, f"{name} returned a dict; return the list of the batch losses (the parameters change "
                              "in place, in the params you were given).")
    try:
        losses = np.array([_loss_value(v) for v in got], dtype=float)
    except TypeError:
        losses = None
    if losses is None or losses.ndim != 1 or np.isnan(losses).any():
        return Verdict(False, f"{name} should return a list of numbers, one loss per batch; got {describe(got)}.")
    if len(losses) != len(batches):
        return Verdict(False, f"{name} returned {len(losses)} losses for {len(batches)} batches: keep one loss per "
                              "step (append each batch's loss to the list).")
    losses_ok = np.allclose(losses, want_losses, rtol=1e-9, atol=1e-12)
    params_ok = all(_close(params[key], reference.params[key], 1e-9) for key in _PARAM_NAMES)
    unchanged = all(np.array_equal(params[key], start[key]) for key in _PARAM_NAMES)
    if losses_ok and params_ok:
        return Verdict(True, f"Your loop takes the same {len(batches)} steps as helpers.numpy_cnn.train_sgd: the same "
                             "losses, and the same parameters at the end.")
    if losses_ok and unchanged:
        return Verdict(False, "Your losses are right, but the params dict you were given did not change: update "
                              "its entries (params[name] = params[name] − lr · grads[name]) instead of building a new "
                              "dict, so that whoever called the loop gets the trained weights.")
    for mode, why in _LOOP_MISTAKES:
        variant = {key: v.copy() for key, v in start.items()}
        if np.allclose(losses, _sgd_variant(loss_and_grads, variant, X, y, batches, lr, mode), rtol=1e-9,
                       atol=1e-12):
            return Verdict(False, why)
    if losses_ok:
        return Verdict(False, "Your losses are right, but the parameters at the end are not: after the last batch's "
                              "loss, take its step too.")
    step = int(np.argmax(~np.isclose(losses, want_losses, rtol=1e-9, atol=1e-12)))
    if step == 0:
        agree = "Your first loss differs"
    else:
        agree = f"Your first {step} losses agree with train_sgd's; loss {step + 1} differs"
    return Verdict(False, f"{agree} ({number(losses[step])}, expected {number(want_losses[step])}): one step per "
                          "batch, in the order of batches, loss measured before the step, then params[name] − lr · "
                          "grads[name] for every parameter.")
