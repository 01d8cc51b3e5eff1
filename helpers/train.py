"""A plain PyTorch training loop for the notebooks: ``fit``, ``evaluate``, ``predict`` and a ``History``;
and ``digits_cnn``, a copy of the network that notebook 06 teaches.

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
import time
from dataclasses import dataclass, field

import numpy as np

from ._validate import describe, flag, real, whole
from ._validate import seed as _check_seed

# notebook 06's training of the digits CNN (section 4), which the benchmark repeats and times
# (the notebook writes them out in its training cell; tests/test_training_lesson.py keeps the two the same)
DIGITS_EPOCHS = 20
DIGITS_BATCH_SIZE = 64
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
    threads = whole(threads, "threads", minimum=1, what=" (CPU threads for torch) or None")
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


def _module(model, name: str = "model"):
    """``model`` when it is a torch module, else a TypeError that says what fits."""
    import torch

    if isinstance(model, torch.nn.Module):
        return model
    hint = ""
    if isinstance(model, type) and issubclass(model, torch.nn.Module):
        hint = f" Build one first, e.g. {model.__name__}(…), and pass that."
    elif model is None:
        hint = " Did the cell that builds the model run, and does its function end with `return`?"
    raise TypeError(f"{name} must be a torch.nn.Module (a network such as digits_cnn()), "
                    f"got {describe(model)}.{hint}")


def _as_tensor(a, name: str, *, labels: bool = False, dtype=None):
    """A CPU tensor from a NumPy array, a list or a tensor: float32 (or ``dtype``) for inputs, int64 for labels.

    Refuses, with the fix: None or text, ragged lists, non-numbers, a single number, no examples (N = 0),
    and NaN or infinite inputs (which would otherwise show up later as a NaN loss).
    """
    import torch

    if a is None:
        raise TypeError(f"{name} is None: pass a NumPy array or a torch tensor.")
    if isinstance(a, (str, bytes)):
        raise TypeError(f"{name} is {describe(a)}: pass a NumPy array or a torch tensor of numbers.")
    if isinstance(a, torch.Tensor):
        t = a.detach().cpu()
        if t.is_complex():
            raise TypeError(f"{name} holds {t.dtype} values; pass real numbers (a NumPy array or tensor).")
    else:
        try:
            arr = np.asarray(a)
        except ValueError:
            raise ValueError(f"{name} could not be read as an array: its rows must all have the same length "
                             "(every example the same shape).") from None
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or arr.dtype.kind == "c":
            raise TypeError(f"{name} holds {arr.dtype} values; pass numbers (a NumPy array or tensor).")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.ndim == 0:
        raise ValueError(f"{name} must hold one entry per example along its first axis, got a single number.")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = ~torch.isfinite(t)
        first = tuple(int(i) for i in bad.nonzero()[0])
        kind = "NaN (not-a-number)" if bool(torch.isnan(t).any()) else "infinite"
        many = int(bad.sum()) > 1
        raise ValueError(f"{name} holds {int(bad.sum())} {kind} value{'s' if many else ''}, the first at index "
                         f"{first}: a network cannot learn from {'them' if many else 'it'}. Find where "
                         f"{'they come' if many else 'it comes'} from ((~np.isfinite({name})).sum() counts them).")
    if labels:
        if t.is_floating_point():
            if torch.equal(t, t.round()):
                return t.long()
            return t.float()          # regression targets (used with a loss_fn such as MSELoss)
        return t.long()
    return t.to(dtype if dtype is not None else torch.float32)


def _check_pair(X, y, name_x: str, name_y: str):
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name_x} and {name_y} must have the same number of examples: {name_x} has "
                         f"{X.shape[0]} (shape {tuple(X.shape)}), {name_y} has {y.shape[0]}.")
    if X.shape[0] == 0:
        raise ValueError(f"{name_x} has no examples (shape {tuple(X.shape)}): there is nothing to learn from "
                         "or to measure.")


def _input_dtype(model):
    """The floating dtype of the model's parameters (float32 when it has none), for its inputs."""
    import torch

    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def _first_conv(model):
    from torch import nn

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m
    return None


def _input_problem(model, shape, name: str):
    """Why inputs of ``shape`` do not fit ``model``, in words a student can act on; None when unknown.

    Looks for channels-last images, a missing channel or batch axis, flat vectors, a wrong number of channels;
    then lets :func:`helpers.shapes.trace_shapes` find the first layer that does not fit.
    """
    shape = tuple(int(v) for v in shape)
    conv = _first_conv(model)
    if conv is not None:
        c = conv.in_channels
        if len(shape) == 4 and shape[1] != c and shape[3] == c:
            want = (shape[0], shape[3], shape[1], shape[2])
            return (f"{name} has shape {shape}: channels last (N, H, W, C). PyTorch wants the channels first, "
                    f"(N, C, H, W) = {want}: use {name}.transpose(0, 3, 1, 2) (NumPy) or "
                    f"{name}.permute(0, 3, 1, 2) (a tensor).")
        if len(shape) == 4 and shape[1] != c:
            colour = (" (colour images have 3 channels, red, green and blue; grey ones have 1)"
                      if {shape[1], c} <= {1, 3} else "")
            return (f"{name} has {shape[1]} channel{'s' if shape[1] != 1 else ''} (shape {shape}, read as "
                    f"(N, C, H, W)), but the model's first convolution expects {c}{colour}.")
        if len(shape) == 3:
            if shape[0] == c:
                return (f"{name} has shape {shape}: that is one image (C, H, W) without the batch axis. Use "
                        f"{name}[None] for a batch of one, shape {(1,) + shape}.")
            if shape[2] == c:
                return (f"{name} has shape {shape}: one image with its channels last (H, W, C). Use "
                        f"{name}.transpose(2, 0, 1)[None] (NumPy) for a batch of one, shape "
                        f"{(1, c, shape[0], shape[1])}.")
            if c == 1:
                return (f"{name} has shape {shape}: grey images (N, H, W) without a channel axis. PyTorch "
                        f"wants (N, C, H, W) = {(shape[0], 1) + shape[1:]}: use {name}[:, None].")
        if len(shape) == 2:
            side = math.isqrt(shape[1] // c) if shape[1] % c == 0 else 0
            fix = (f": {name}.reshape(-1, {c}, {side}, {side}) makes square images of them"
                   if side and c * side * side == shape[1] else "")
            return (f"{name} has shape {shape}: one flat row of {shape[1]} numbers per example, but the model "
                    f"starts with a convolution, which wants images (N, C, H, W){fix}.")
    from .shapes import ShapeMismatchError, trace_shapes

    try:
        trace_shapes(model, shape[1:])
    except ShapeMismatchError as err:
        if getattr(err, "layer", None) is None:
            return None              # the model's own code failed, not one of its layers: no input problem
        text = str(err).rstrip(".")
        more = (" The model's layers were sized for images of another size: give it images of that size, or "
                "change that layer." if len(shape) == 4 and "flatten" not in text.lower() else "")
        return f"{name} has shape {shape}, which the model cannot take: {text}.{more}"
    except Exception:            # noqa: BLE001 — a second failure says nothing more about the first
        return None
    return None


def _forward(model, xb, shape, name: str, *, batch_size=None):
    """``model(xb)``; when torch refuses the input, a ValueError that explains it and quotes torch's own line.

    ``shape`` is the shape of the whole input the student passed (``xb`` is one batch of it). Failures
    without a known cause are raised unchanged.
    """
    try:
        return model(xb)
    except (RuntimeError, IndexError, ValueError) as err:
        line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "Expected more than 1 value per channel when training" in line and batch_size is not None:
            n = int(shape[0])
            fits = next(b for b in range(batch_size + 1, n + 2) if n % b != 1)
            raise ValueError(
                f"the last batch of {name} holds a single example ({n} examples in batches of {batch_size}), and "
                f"BatchNorm cannot normalise one example while training (torch said: “{line}”). Choose a "
                f"batch_size that does not leave 1 over, e.g. {fits}, or leave out one example."
            ) from err
        why = _input_problem(model, shape, name)
        if why is None:
            raise
        raise ValueError(f"{why} (torch said: “{line}”)") from err


def _check_labels(out_shape, y, name: str, *, training: bool = False):
    """Class labels ``y`` against the model's class scores ``out_shape`` (N, C, …), for cross-entropy or accuracy.

    Refuses fractions, one-hot rows, the wrong shape and labels outside 0..C−1 (torch's own errors for those
    are an IndexError or, on a GPU, a device assert). Float targets of the very shape of the output (class
    probabilities, which torch's cross-entropy accepts) pass.
    """
    out_shape, y_shape = tuple(out_shape), tuple(y.shape)
    if len(out_shape) < 2:
        raise ValueError(f"the model's output has shape {out_shape}; cross-entropy needs class scores "
                         "(N, classes): end the model with a layer that gives one score per class, such as "
                         "nn.Linear(…, n_classes).")
    classes = out_shape[1]
    if y.is_floating_point():
        if y_shape == (y_shape[0],) + out_shape[1:]:
            return                   # class probabilities, one row per example
        frac = y[y != y.round()].flatten()[0].item()
        raise ValueError(
            f"{name} holds fractions such as {frac:g}, but "
            + ("with the default loss (cross-entropy) " if training else "to be compared with the predictions, ")
            + f"labels are class numbers 0, 1, …, {classes - 1}."
            + (" For targets that are real numbers, pass a loss_fn such as torch.nn.MSELoss()." if training else "")
        )
    want = (y_shape[0],) + out_shape[2:]
    if y_shape != want:
        if len(y_shape) == 2 and len(out_shape) == 2 and y_shape[1] == classes and classes > 1:
            hint = f" It looks one-hot (a row of {classes} per example): {name}.argmax(axis=1) gives the classes."
        elif len(y_shape) == len(want) + 1 and y_shape[-1] == 1:
            hint = f" {name}[..., 0] (or {name}.squeeze(-1)) drops the last axis of length 1."
        else:
            hint = ""
        scores = ", ".join(["N", str(classes)] + [str(v) for v in out_shape[2:]])
        raise ValueError(
            f"{name} has shape {y_shape}, but the model gives class scores of shape ({scores}), so {name} must "
            f"hold one class number per {'example' if len(out_shape) == 2 else 'pixel'}: shape {want}.{hint}"
        )
    if y.numel():
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            bad = low if low < 0 else high
            hint = ""
            if classes == 1:
                hint = (" A model with one output suits a loss such as torch.nn.BCEWithLogitsLoss(); for "
                        "cross-entropy give it one output per class (2 for yes/no).")
            elif low >= 1 and high == classes:
                hint = f" Labels that start at 1 need {name} - 1."
            elif bad >= classes:
                hint = f" The model's last layer needs {bad + 1} outputs for that label."
            raise ValueError(f"{name} holds the label {bad}, but the model gives scores for {classes} "
                             f"class{'es' if classes != 1 else ''}, so labels must be 0 to {classes - 1}.{hint}")


# --------------------------------------------------------------------------- history
@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch: mean training loss, training and test accuracy, test loss.

    Accuracies are fractions in ``[0, 1]``; ``test_acc`` and ``test_loss`` hold ``nan`` when no test set was
    given, and both accuracies are ``nan`` for regression targets. ``batch_loss`` has one entry per optimizer
    step (the loss of that step's batch). ``seconds`` (per-epoch wall-clock time) is kept out of the printed
    form, which shows only rounded, reproducible numbers.
    """

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list, repr=False)
    batch_loss: list = field(default_factory=list, repr=False)
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
        """A static figure: the training (and test) loss (left) and the accuracies (right) against the epoch.

        Returns the matplotlib Figure (end the cell with ``plt.show()`` to display it without its repr).
        """
        import matplotlib.pyplot as plt

        epochs = np.arange(1, self.epochs + 1)
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize, dpi=dpi)
        ax_loss.plot(epochs, self.train_loss, "o-", ms=3, color="tab:blue", label="train")
        if self.test_loss and not np.all(np.isnan(self.test_loss)):
            ax_loss.plot(epochs, self.test_loss, "s-", ms=3, color="tab:orange", label="test")
            ax_loss.legend(loc="upper right", fontsize=8)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss" if len(ax_loss.get_lines()) > 1 else "training loss")
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
def _batched_outputs(model, X, batch_size: int, name: str = "X"):
    import torch

    device = _model_device(model)
    outs = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            # an empty X still runs once, so that the result has the model's output shape (0, classes, …)
            for start in range(0, max(X.shape[0], 1), batch_size):
                xb = X[start:start + batch_size].to(device)
                outs.append(_forward(model, xb, X.shape, name).detach().cpu())
    finally:
        model.train(was_training)
    return torch.cat(outs)


def _outputs(model, X, batch_size, threads, name: str = "X"):
    """The model's raw outputs for every example of X (checked), in eval mode, without gradients."""
    model = _module(model)
    batch_size = whole(batch_size, "batch_size", minimum=1)
    Xt = _as_tensor(X, name, dtype=_input_dtype(model))
    with _threads(threads):
        return _batched_outputs(model, Xt, batch_size, name)


def _classes(out):
    """The predicted class: argmax over axis 1 of the outputs (N, classes, …)."""
    if out.ndim < 2:
        raise ValueError(f"the model's output has shape {tuple(out.shape)}; predict needs class scores "
                         "(N, classes, …) to take the argmax over axis 1 (or pass logits=True).")
    return out.argmax(dim=1).numpy().astype(np.int64)


def predict(model, X, batch_size: int = 512, *, logits: bool = False, threads: int | None = 1) -> np.ndarray:
    """The model's predicted class for every example: argmax over the class axis (axis 1).

    Shapes: X ``(N, …)`` → int64 ``(N,)`` (or ``(N, H, W)`` for per-pixel scores). With
    ``logits=True`` the raw outputs ``(N, classes, …)`` as float32 instead. Runs in eval mode without
    gradients, on the model's device, and puts the model back in the mode it was in. An X that does not
    fit the model (channels last, wrong image size…) raises a ValueError that says why.

    >>> import torch
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> predict(model, np.array([[3.0, 1.0], [0.0, 2.0]]))
    array([0, 1])
    """
    logits = flag(logits, "logits")
    out = _outputs(model, X, batch_size, threads)
    if logits:
        return out.float().numpy()
    return _classes(out)


def _accuracy(model, Xt, yt, batch_size, threads, names=("X", "y"), *, out=None) -> float:
    """Accuracy on checked tensors; labels are checked against the number of classes the model gives.

    ``out``: the model's outputs for ``Xt`` when they are already computed."""
    name_x, name_y = names
    _check_pair(Xt, yt, name_x, name_y)
    if out is None:
        with _threads(threads):
            out = _batched_outputs(model, Xt, batch_size, name_x)
    if out.ndim >= 2:
        _check_labels(out.shape, yt, name_y)
    pred = _classes(out)
    if pred.shape != tuple(yt.shape):
        raise ValueError(f"predictions have shape {pred.shape} but {name_y} has shape {tuple(yt.shape)}: "
                         f"{name_y} must hold one class index per example (or per pixel).")
    return float((pred == yt.numpy()).mean())


def _test_loss(loss_fn, out, yt) -> float:
    """The loss on the whole test set from its outputs (nan when the loss cannot take them on the CPU)."""
    import torch

    try:
        with torch.no_grad():
            return float(loss_fn(out, yt))
    except (RuntimeError, ValueError, TypeError):
        return float("nan")


def evaluate(model, X, y, batch_size: int = 512, *, threads: int | None = 1) -> float:
    """Accuracy of the model on ``(X, y)``: the fraction of examples (or pixels) whose argmax class is right.

    ``y`` holds class numbers 0 … classes − 1, one per example ``(N,)`` (or per pixel ``(N, H, W)``);
    fractions, one-hot rows and labels the model has no class for raise a ValueError that says what fits.

    >>> import torch
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> evaluate(model, np.array([[3.0, 1.0], [0.0, 2.0], [5.0, 9.0]]), np.array([0, 1, 0]))
    0.6666666666666666
    """
    model = _module(model)
    batch_size = whole(batch_size, "batch_size", minimum=1)
    Xt = _as_tensor(X, "X", dtype=_input_dtype(model))
    yt = _as_tensor(y, "y", labels=True)
    return _accuracy(model, Xt, yt, batch_size, threads)


# --------------------------------------------------------------------------- training
def _device(device):
    """``device`` as a torch.device (None: the GPU when there is one); a ValueError for one that is not here."""
    import torch

    if device is None:
        return get_device()
    try:
        d = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device must be 'cpu', 'cuda' (a GPU) or a torch.device, got {describe(device)}; "
                         "leave it out (None) to use the GPU when there is one.") from None
    if d.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} asks for a CUDA GPU, but torch finds none here "
                         "(torch.cuda.is_available() is False): use device='cpu', or leave device out to use "
                         "the GPU only when there is one.")
    return d


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
        loss_fn=None, threads: int | None = 1, after_epoch=None) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    This is the training loop that notebook 06 teaches in section 4 ("Train it on handwritten digits"), where
    the student writes it as ``my_train``, packaged with argument checks, a device and a progress line; with
    the default optimizer and loss, ``fit`` and that loop give the same weights for the same seed
    (tests/test_training_lesson.py). Pass the learning rate ``lr`` at every call: the default, Adam's usual
    1e-3, is only a starting point.

    Every epoch: shuffle the training set (``torch.randperm`` with a generator seeded once by ``seed``), then
    for each batch of ``batch_size`` examples compute the loss (``loss_fn``, default cross-entropy on class
    scores), back-propagate and take one ``optimizer`` step (``"adam"``, ``"sgd"`` with momentum 0.9, or a
    function ``params → optimizer``) with learning rate ``lr``. After the epoch, record the mean training
    loss (each batch's loss weighted by its size), the training accuracy measured on the fly, and the test
    accuracy and loss when ``(X_test, y_test)`` is given; then call ``after_epoch(history)`` if given (a
    :class:`helpers.plot.LivePlot`, say). ``progress=True`` prints one line per epoch (with its duration, so
    the text changes between runs). ``threads``: CPU threads for torch during the call (see the module's notes).

    Inputs are NumPy arrays or tensors: ``X`` ``(N, C, H, W)`` (or any ``(N, …)`` the model accepts),
    ``y`` int ``(N,)`` class indices (or floats with a regression ``loss_fn``). The model is moved to
    ``device`` (default: the GPU if there is one) and left there, in eval mode. The model's initial
    weights are the caller's: seed them with ``torch.manual_seed`` before building it.

    Inputs that do not fit raise a ValueError or TypeError that says what fits before or instead of torch's
    own error: images with the channels last, of another size than the model was built for, NaN values;
    with the default loss, labels that are fractions, one-hot rows or outside ``0 … classes − 1`` (checked
    against the model's first output, before the first step). A ``loss_fn`` of your own decides what its
    targets are: then the labels are not checked.
    """
    if after_epoch is not None and not callable(after_epoch):
        raise TypeError(f"after_epoch must be a function called as after_epoch(history) after every epoch (such "
                        f"as a helpers.plot.LivePlot), or None; got {describe(after_epoch)}.")
    with _threads(threads):
        return _fit(model, X_train, y_train, X_test, y_test, epochs, batch_size, lr, optimizer, seed, device,
                    progress, loss_fn, after_epoch)


def _fit(model, X_train, y_train, X_test, y_test, epochs, batch_size, lr, optimizer, seed, device, progress,
         loss_fn, after_epoch=None) -> History:
    import torch

    epochs = whole(epochs, "epochs", minimum=1)
    batch_size = whole(batch_size, "batch_size", minimum=1)
    lr = real(lr, "lr (the learning rate)", fits="a positive number such as 1e-3", ok=lambda v: v > 0)
    seed = _check_seed(seed)
    progress = flag(progress, "progress")
    model = _module(model)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be a loss such as torch.nn.MSELoss() (called as loss_fn(output, target)), "
                        f"or None for cross-entropy; got {describe(loss_fn)}.")
    dtype = _input_dtype(model)
    Xtr = _as_tensor(X_train, "X_train", dtype=dtype)
    ytr = _as_tensor(y_train, "y_train", labels=True)
    _check_pair(Xtr, ytr, "X_train", "y_train")
    if (X_test is None) != (y_test is None):
        raise ValueError("pass both X_test and y_test, or neither.")
    if X_test is not None:
        Xte = _as_tensor(X_test, "X_test", dtype=dtype)
        yte = _as_tensor(y_test, "y_test", labels=True)
        _check_pair(Xte, yte, "X_test", "y_test")
    classify = not ytr.is_floating_point()
    check_labels = loss_fn is None          # a loss of the caller's own decides what its targets are

    device = _device(device)
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
            out = _forward(model, xb, Xtr.shape, "X_train", batch_size=batch_size)
            if check_labels:                # once, before the first loss: every label against the classes
                _check_labels(out.shape, ytr, "y_train", training=True)
                if X_test is not None and classify:
                    _check_labels(out.shape, yte, "y_test")
                check_labels = False
            loss = loss_fn(out, yb)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"the loss became {loss.item()} in epoch {epoch}: the learning rate lr={lr} is probably "
                    "too large (try 10 times smaller)."
                )
            loss.backward()
            opt.step()
            history.batch_loss.append(loss.item())
            total_loss += loss.item() * len(idx)
            if classify and out.ndim >= 2 and out.shape[0] == yb.shape[0] and out.shape[2:] == yb.shape[1:]:
                correct += (out.detach().argmax(dim=1) == yb).sum().item()
                counted += yb.numel()
        history.train_loss.append(total_loss / n)
        history.train_acc.append(correct / counted if counted else float("nan"))
        if X_test is not None:
            out = _batched_outputs(model, Xte, 512, "X_test")
            history.test_loss.append(_test_loss(loss_fn, out, yte))
            history.test_acc.append(_accuracy(model, Xte, yte, 512, None, names=("X_test", "y_test"), out=out)
                                    if classify else float("nan"))
        else:
            history.test_loss.append(float("nan"))
            history.test_acc.append(float("nan"))
        history.seconds.append(time.perf_counter() - start)
        if progress:
            print(f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {history.train_loss[-1]:.3f}  "
                  f"train acc {_pct(history.train_acc[-1])}  test acc {_pct(history.test_acc[-1])}  "
                  f"({history.seconds[-1]:.2f} s)", flush=True)
        if after_epoch is not None:
            after_epoch(history)
    model.eval()
    return history


# --------------------------------------------------------------------------- notebook 06's digits CNN
def digits_cnn(seed: int = 0, relu: bool = True):
    """The CNN for the 8×8 digits that notebook 06 teaches, with initial weights from ``torch.manual_seed(seed)``.

    Taught in notebook 06, section 3 ("Flatten and the fully connected head"), as ``build_digits_cnn``; this
    is a copy of it for later notebooks and the benchmark (``make bench`` times its training), and
    ``tests/test_digits_cnn_agrees.py`` keeps the two the same: layers, parameter shapes, starting weights and
    outputs, for every argument.

    Two blocks conv 3×3 (padding 1) → ReLU → max pool 2×2, then flatten and a two-layer fully connected
    head: 1×8×8 → 32×8×8 → 32×4×4 → 64×4×4 → 64×2×2 → 256 → 128 → 10 class scores; 53,002 parameters.
    Input ``(N, 1, 8, 8)``, output ``(N, 10)``.

    ``relu=False`` leaves out every ReLU (notebook 06's exercise 20 on why the non-linearity matters); the
    other layers and their starting weights are the same.

    >>> sum(p.numel() for p in digits_cnn().parameters())
    53002
    >>> len(digits_cnn()), len(digits_cnn(relu=False))
    (10, 7)
    """
    import torch
    from torch import nn

    seed = _check_seed(seed)
    relu = flag(relu, "relu")
    torch.manual_seed(seed)
    layers = [
        nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 128), nn.ReLU(),
        nn.Linear(128, 10),
    ]
    if not relu:
        layers = [layer for layer in layers if not isinstance(layer, nn.ReLU)]
    return nn.Sequential(*layers)


__all__ = ["History", "digits_cnn", "evaluate", "fit", "get_device", "predict"]
