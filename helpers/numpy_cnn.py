"""A small CNN written with the NumPy helpers only: forward pass, backward pass and plain SGD.

The network (for 8×8 digits with the defaults)::

    x (N, 1, 8, 8) → conv 3×3, padding 1 → (N, 8, 8, 8) → ReLU → max-pool 2×2 → (N, 8, 4, 4)
      → flatten → (N, 128) → linear → (N, 10) logits → softmax cross-entropy (mean over the batch)

Forward uses :func:`helpers.conv.conv2d` and :func:`helpers.pool.max_pool2d`; backward uses
:mod:`helpers.backward`. :meth:`NumpyCNN.to_torch` and :meth:`NumpyCNN.from_torch` move the weights to and
from the same network in PyTorch, so the two can be compared number for number.
"""

from __future__ import annotations

import numpy as np

from . import backward as _bw
from . import conv as _conv
from . import pool as _pool
from ._validate import as_array, int_param

__all__ = ["NumpyCNN", "minibatch_indices", "softmax_cross_entropy", "train_sgd"]

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
