"""A plain PyTorch training loop for the notebooks: ``fit``, ``evaluate``, ``predict`` and a ``History``.

NumPy arrays (or tensors) in; the model is any ``torch.nn.Module`` that maps a batch ``(N, …)`` to
class scores ``(N, classes)`` (or ``(N, classes, H, W)`` for per-pixel labels ``(N, H, W)``).
Training is deterministic for a seed on a given machine: the same seed gives the same batches, the
same dropout masks and the same numbers. torch is imported inside the functions, so importing this
module is cheap.

Progress: ``fit(..., progress=True)`` prints one short line per epoch. Those lines include the
epoch's duration, which changes from run to run, so a notebook cell that trains with progress
starts with ``# NBVAL_IGNORE_OUTPUT`` (or passes ``progress=False`` and prints ``history`` afterwards,
which shows only rounded losses and accuracies).

Threads: ``fit``, ``evaluate`` and ``predict`` run torch on ``threads=1`` CPU thread by default and put
torch's own setting back afterwards. The series' models are tiny, so a second thread gains little, and
with other work on a 2-core machine it costs a lot: notebook 06's training took 3–5 s on one thread and
7–31 s on two, on the same busy machine. One thread also makes the numbers independent of the machine's
core count (reductions split over threads round differently). Pass ``threads=2`` (or ``None``: leave
torch's setting alone) for bigger models.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

DIGITS_EPOCHS = 20
DIGITS_BATCH_SIZE = 32
DIGITS_LR = 2e-3


# --------------------------------------------------------------------------- device and inputs
def get_device():
    """``torch.device("cuda")`` when a CUDA GPU is available, else ``torch.device("cpu")``.

    >>> get_device().type in ("cpu", "cuda")
    True
    """
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def _threads(threads):
    """Run the block with torch on ``threads`` CPU threads (None: unchanged), then restore the old setting."""
    import torch

    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"threads must be a whole number ≥ 1 (CPU threads for torch) or None, got {threads!r}.")
    before = torch.get_num_threads()
    if before != threads:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _model_device(model):
    import torch

    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _as_tensor(a, name: str, *, labels: bool = False):
    """A CPU tensor from a NumPy array, a list or a tensor: float32 for inputs, int64 for class labels."""
    import torch

    if a is None:
        raise TypeError(f"{name} is None: pass a NumPy array or a torch tensor.")
    if isinstance(a, torch.Tensor):
        t = a.detach().cpu()
    else:
        arr = np.asarray(a)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} holds {arr.dtype} values; pass numbers (a NumPy array or tensor).")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.ndim == 0:
        raise ValueError(f"{name} must hold one entry per example along its first axis, got a single number.")
    if labels:
        if t.is_floating_point():
            if torch.equal(t, t.round()):
                return t.long()
            return t.float()          # regression targets (used with a loss_fn such as MSELoss)
        return t.long()
    return t.float()


def _check_pair(X, y, name_x: str, name_y: str):
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name_x} and {name_y} must have the same number of examples: {name_x} has "
                         f"{X.shape[0]} (shape {tuple(X.shape)}), {name_y} has {y.shape[0]}.")


def _whole(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}, got {value!r}.")
    return int(value)


# --------------------------------------------------------------------------- history
@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch: mean training loss, training and test accuracy.

    Accuracies are fractions in ``[0, 1]``; ``test_acc`` holds ``nan`` when no test set was given, and
    both accuracies are ``nan`` for regression targets. ``seconds`` (per-epoch wall-clock time) is kept
    out of the printed form, which shows only rounded, reproducible numbers.
    """

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list, repr=False)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def __repr__(self):
        if not self.train_loss:
            return "History(no epochs yet)"
        parts = [f"History({self.epochs} epochs: final train loss {self.train_loss[-1]:.3f}"]
        if not math.isnan(self.train_acc[-1]):
            parts.append(f"train accuracy {self.train_acc[-1]:.1%}")
        if not math.isnan(self.test_acc[-1]):
            parts.append(f"test accuracy {self.test_acc[-1]:.1%}")
        return ", ".join(parts) + ")"

    def table(self) -> str:
        """One line per epoch with rounded numbers (stable text for a stored notebook output)."""
        lines = ["epoch  train loss  train acc  test acc"]
        rows = zip(self.train_loss, self.train_acc, self.test_acc, strict=True)
        for i, (loss, tr, te) in enumerate(rows, 1):
            lines.append(f"{i:>5}  {loss:>10.3f}  {_pct(tr):>9}  {_pct(te):>8}")
        return "\n".join(lines)

    def plot(self, title: str | None = None, figsize=(7.5, 2.6), dpi: int = 80):
        """A static figure: the training loss (left) and the accuracies (right) against the epoch.

        Returns the matplotlib Figure (end the cell with ``plt.show()`` to display it without its repr).
        """
        import matplotlib.pyplot as plt

        epochs = np.arange(1, self.epochs + 1)
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize, dpi=dpi)
        ax_loss.plot(epochs, self.train_loss, "o-", ms=3, color="tab:blue")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("training loss")
        ax_loss.set_title("loss (lower is better)", fontsize=10)
        has_acc = False
        if not np.all(np.isnan(self.train_acc)):
            ax_acc.plot(epochs, 100 * np.asarray(self.train_acc), "o-", ms=3, label="train", color="tab:blue")
            has_acc = True
        if not np.all(np.isnan(self.test_acc)):
            ax_acc.plot(epochs, 100 * np.asarray(self.test_acc), "s-", ms=3, label="test", color="tab:orange")
            has_acc = True
        if has_acc:
            ax_acc.set_ylabel("accuracy (%)")
            ax_acc.legend(loc="lower right", fontsize=8)
        ax_acc.set_xlabel("epoch")
        ax_acc.set_title("accuracy (higher is better)", fontsize=10)
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            if self.epochs:
                ax.set_xticks(epochs if self.epochs <= 10 else epochs[::max(1, self.epochs // 8)])
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout()
        return fig


def _pct(v) -> str:
    return "—" if v is None or math.isnan(v) else f"{v:.1%}"


# --------------------------------------------------------------------------- evaluation
def _batched_outputs(model, X, batch_size: int):
    import torch

    device = _model_device(model)
    outs = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                outs.append(model(X[start:start + batch_size].to(device)).detach().cpu())
    finally:
        model.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


def predict(model, X, batch_size: int = 512, *, logits: bool = False, threads: int | None = 1) -> np.ndarray:
    """The model's predicted class for every example: argmax over the class axis (axis 1).

    Shapes: X ``(N, …)`` → int64 ``(N,)`` (or ``(N, H, W)`` for per-pixel scores). With
    ``logits=True`` the raw outputs ``(N, classes, …)`` as float32 instead. Runs in eval mode without
    gradients, on the model's device, and puts the model back in the mode it was in.

    >>> import torch
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> predict(model, np.array([[3.0, 1.0], [0.0, 2.0]]))
    array([0, 1])
    """
    batch_size = _whole(batch_size, "batch_size")
    with _threads(threads):
        out = _batched_outputs(model, _as_tensor(X, "X"), batch_size)
    if logits:
        return out.float().numpy()
    if out.ndim < 2:
        raise ValueError(f"the model's output has shape {tuple(out.shape)}; predict needs class scores "
                         "(N, classes, …) to take the argmax over axis 1 (or pass logits=True).")
    return out.argmax(dim=1).numpy().astype(np.int64)


def evaluate(model, X, y, batch_size: int = 512, *, threads: int | None = 1) -> float:
    """Accuracy of the model on ``(X, y)``: the fraction of examples (or pixels) whose argmax class is right.

    >>> import torch
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> evaluate(model, np.array([[3.0, 1.0], [0.0, 2.0], [5.0, 9.0]]), np.array([0, 1, 0]))
    0.6666666666666666
    """
    Xt = _as_tensor(X, "X")
    yt = _as_tensor(y, "y", labels=True)
    _check_pair(Xt, yt, "X", "y")
    pred = predict(model, Xt, batch_size=batch_size, threads=threads)
    if pred.shape != tuple(yt.shape):
        raise ValueError(f"predictions have shape {pred.shape} but y has shape {tuple(yt.shape)}: "
                         "y must hold one class index per example (or per pixel).")
    return float((pred == yt.numpy()).mean())


# --------------------------------------------------------------------------- training
def _make_optimizer(optimizer, params, lr):
    import torch

    if callable(optimizer) and not isinstance(optimizer, str):
        return optimizer(params)
    name = str(optimizer).lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    raise ValueError(f"optimizer must be 'adam', 'sgd' or a function params → torch optimizer, "
                     f"got {optimizer!r}.")


def fit(model, X_train, y_train, X_test=None, y_test=None, *, epochs: int = 10, batch_size: int = 64,
        lr: float = 1e-3, optimizer="adam", seed: int = 0, device=None, progress: bool = True,
        loss_fn=None, threads: int | None = 1) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    Every epoch: shuffle the training set (with a generator seeded by ``seed``), then for each batch of
    ``batch_size`` examples compute the loss (``loss_fn``, default cross-entropy on class scores),
    back-propagate and take one ``optimizer`` step (``"adam"``, ``"sgd"`` with momentum 0.9, or a
    function ``params → optimizer``) with learning rate ``lr``. After the epoch, record the mean
    training loss, the training accuracy measured on the fly, and the test accuracy when ``(X_test,
    y_test)`` is given. ``progress=True`` prints one line per epoch (with its duration, so the text
    changes between runs). ``threads``: CPU threads for torch during the call (see the module's notes).

    Inputs are NumPy arrays or tensors: ``X`` ``(N, C, H, W)`` (or any ``(N, …)`` the model accepts),
    ``y`` int ``(N,)`` class indices (or floats with a regression ``loss_fn``). The model is moved to
    ``device`` (default: the GPU if there is one) and left there, in eval mode. The model's initial
    weights are the caller's: seed them with ``torch.manual_seed`` before building it.
    """
    with _threads(threads):
        return _fit(model, X_train, y_train, X_test, y_test, epochs, batch_size, lr, optimizer, seed, device,
                    progress, loss_fn)


def _fit(model, X_train, y_train, X_test, y_test, epochs, batch_size, lr, optimizer, seed, device, progress,
         loss_fn) -> History:
    import torch

    epochs = _whole(epochs, "epochs")
    batch_size = _whole(batch_size, "batch_size")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0:
        raise ValueError(f"lr (the learning rate) must be a positive number such as 1e-3, got {lr!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}.")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    Xtr = _as_tensor(X_train, "X_train")
    ytr = _as_tensor(y_train, "y_train", labels=True)
    _check_pair(Xtr, ytr, "X_train", "y_train")
    if (X_test is None) != (y_test is None):
        raise ValueError("pass both X_test and y_test, or neither.")
    if X_test is not None:
        Xte = _as_tensor(X_test, "X_test")
        yte = _as_tensor(y_test, "y_test", labels=True)
        _check_pair(Xte, yte, "X_test", "y_test")
    classify = not ytr.is_floating_point()

    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    loss_fn = loss_fn if loss_fn is not None else torch.nn.CrossEntropyLoss()
    opt = _make_optimizer(optimizer, model.parameters(), lr)
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))          # dropout and other random layers draw from the global generator

    history = History()
    n = Xtr.shape[0]
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen)
        total_loss, correct, counted = 0.0, 0, 0
        for first in range(0, n, batch_size):
            idx = order[first:first + batch_size]
            xb, yb = Xtr[idx].to(device), ytr[idx].to(device)
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"the loss became {loss.item()} in epoch {epoch}: the learning rate lr={lr} is probably "
                    "too large (try 10 times smaller)."
                )
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
            if classify and out.ndim >= 2 and out.shape[0] == yb.shape[0] and out.shape[2:] == yb.shape[1:]:
                correct += (out.detach().argmax(dim=1) == yb).sum().item()
                counted += yb.numel()
        history.train_loss.append(total_loss / n)
        history.train_acc.append(correct / counted if counted else float("nan"))
        if X_test is not None and classify:
            history.test_acc.append(evaluate(model, Xte, yte, threads=None))
        else:
            history.test_acc.append(float("nan"))
        history.seconds.append(time.perf_counter() - start)
        if progress:
            print(f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {history.train_loss[-1]:.3f}  "
                  f"train acc {_pct(history.train_acc[-1])}  test acc {_pct(history.test_acc[-1])}  "
                  f"({history.seconds[-1]:.2f} s)", flush=True)
    model.eval()
    return history


# --------------------------------------------------------------------------- notebook 06's digits CNN
def digits_cnn(seed: int = 0, relu: bool = True):
    """Notebook 06's CNN for the 8×8 digits, with initial weights drawn from ``torch.manual_seed(seed)``.

    Two blocks conv 3×3 (padding 1) → ReLU → max pool 2×2, then flatten and a two-layer fully connected
    head: 1×8×8 → 32×8×8 → 32×4×4 → 64×4×4 → 64×2×2 → 256 → 128 → 10 class scores; 53,002 parameters.

    ``relu=False`` leaves out every ReLU (notebook 06's experiment on why the non-linearity matters).

    >>> sum(p.numel() for p in digits_cnn().parameters())
    53002
    """
    import torch
    from torch import nn

    torch.manual_seed(int(seed))
    act = nn.ReLU if relu else nn.Identity
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1), act(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 128), act(),
        nn.Linear(128, 10),
    )


def train_digits_cnn(seed: int = 0, progress: bool = False, *, relu: bool = True, threads: int | None = 1):
    """Notebook 06's training run: :func:`digits_cnn` on the bundled digits, 75/25 split, Adam.

    Uses ``helpers.data.train_test_split(X, y, 0.25, seed=0)`` (the split does not depend on ``seed``),
    ``DIGITS_EPOCHS`` epochs of batch size ``DIGITS_BATCH_SIZE`` with learning rate ``DIGITS_LR``, on the
    CPU so that timings compare across machines. Returns ``(model, history, test_accuracy)``.
    ``make bench`` times this function.
    """
    from .data import load_digits, train_test_split

    X, y = load_digits()
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.25, seed=0)
    model = digits_cnn(seed=seed, relu=relu)
    history = fit(model, X_train, y_train, X_test, y_test, epochs=DIGITS_EPOCHS, batch_size=DIGITS_BATCH_SIZE,
                  lr=DIGITS_LR, seed=seed, device="cpu", progress=progress, threads=threads)
    return model, history, evaluate(model, X_test, y_test, threads=threads)


__all__ = ["History", "digits_cnn", "evaluate", "fit", "get_device", "predict", "train_digits_cnn"]
