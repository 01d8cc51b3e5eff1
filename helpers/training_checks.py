"""Checks for notebook 06's training lesson (section 4): softmax, cross-entropy, its gradient, the training loop.

The lesson code is the student's and lives in notebook 06 (``my_softmax``, ``my_cross_entropy``,
``my_loss_gradient``, ``my_train``). The references the checks compare with are independent of it: PyTorch's
own ``torch.softmax``, ``F.cross_entropy`` and autograd, in float64, and :func:`helpers.train.fit`, which is
the loop of section 4 packaged (tests/test_training_lesson.py keeps the notebook's loop and ``fit`` equal).
Each check runs the student's code on several inputs and names the typical mistake when the result is one
of them (a forgotten normalisation, the wrong axis, an overflow, a forgotten ``zero_grad``…). Like every
check it returns a :class:`helpers.checks.Verdict` and never raises, whatever the student wrote.

torch is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import math

import numpy as np

from ._text import number
from ._validate import describe
from .checks import Verdict, answer_array, check_function, check_number
from .grading import graded

# the small example that notebook 06 works by hand: three class scores, the true class
HAND_SCORES = (3.0, 1.0, 0.0)
HAND_LABEL = 2

# the training loop's check: a small problem that runs in milliseconds
LOOP_SETTINGS = {"epochs": 3, "batch_size": 4, "lr": 0.05, "seed": 3}
LOOP_SIGNATURE = "my_train(model, X, y, *, epochs, batch_size, lr, seed, after_epoch=None)"


# --------------------------------------------------------------------------- references (torch, float64)
def softmax_reference(scores) -> np.ndarray:
    """Softmax of every row of ``scores`` (N, classes), from ``torch.softmax`` in float64: the checks' oracle.

    >>> softmax_reference([[0.0, 0.0]]).tolist()
    [[0.5, 0.5]]
    """
    import torch

    return torch.softmax(torch.as_tensor(np.asarray(scores, dtype=np.float64)), dim=1).numpy()


def cross_entropy_reference(scores, labels) -> float:
    """Mean cross-entropy of the rows of ``scores`` (N, classes) against ``labels`` (N,): ``F.cross_entropy``.

    >>> round(cross_entropy_reference([[0.0, 0.0]], [1]), 4)      # two equal scores: −ln(1/2)
    0.6931
    """
    import torch
    import torch.nn.functional as F

    s = torch.as_tensor(np.asarray(scores, dtype=np.float64))
    return float(F.cross_entropy(s, torch.as_tensor(np.asarray(labels, dtype=np.int64))))


def loss_gradient_reference(scores, labels) -> np.ndarray:
    """∂L/∂scores of the mean cross-entropy, (N, classes), by torch autograd in float64.

    >>> loss_gradient_reference([[0.0, 0.0]], [1]).tolist()           # (softmax − one-hot) / N
    [[0.5, -0.5]]
    """
    import torch
    import torch.nn.functional as F

    s = torch.tensor(np.asarray(scores, dtype=np.float64), requires_grad=True)
    F.cross_entropy(s, torch.as_tensor(np.asarray(labels, dtype=np.int64))).backward()
    return s.grad.numpy()


def _softmax(s, axis=1):
    e = np.exp(s - np.max(s, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _picked(p, labels):
    """The probability of each row's own label: p[i, labels[i]]."""
    labels = np.asarray(labels)
    return p[np.arange(len(labels)), labels]


def _one_hot(labels, classes):
    return np.eye(classes)[np.asarray(labels)]


# --------------------------------------------------------------------------- by hand
@graded
def check_hand_softmax(answer, scores=HAND_SCORES, *, tolerance=0.002):
    """Check softmax probabilities worked by hand for one row of ``scores``, to about 3 decimals.

    >>> check_hand_softmax([0.844, 0.114, 0.042])
    ✅ Correct. All 3 probabilities match to 3 decimals, and they add up to 1.
    >>> check_hand_softmax([20.09, 2.718, 1.0])
    ... # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet. Those are the exponentials e^s. Divide each by their sum (about 23.8) so that the 3 add up
    to 1.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    n = s.size
    right = softmax_reference(s[None])[0]
    got = answer_array(answer, "probabilities")
    if isinstance(got, Verdict):
        return got
    if got.ndim == 0:
        return Verdict(False, f"You gave one number ({number(got)}); softmax gives one probability per class: "
                              f"{n} numbers that add up to 1, written as a list [p0, p1, …].")
    got = got.ravel()
    if got.size != n:
        return Verdict(False, f"You gave {got.size} numbers; there are {n} classes, so softmax gives {n} "
                              "probabilities, one per score.")
    if not np.all(np.isfinite(got)):
        return Verdict(False, "Some of your numbers are not finite (nan or inf); every probability is a number "
                              "between 0 and 1.")
    if np.allclose(got, right, rtol=0, atol=tolerance):
        return Verdict(True, f"All {n} probabilities match to 3 decimals, and they add up to 1.")
    e = np.exp(s)
    candidates = [
        (e, f"Those are the exponentials e^s. Divide each by their sum (about {number(e.sum(), 3)}) so that the "
            f"{n} add up to 1."),
        (100 * right, "Those are percentages; give the probabilities as fractions between 0 and 1."),
        (s / s.sum() if s.sum() else None, "You divided the scores by their sum; softmax divides the exponentials "
                                           "e^s by the sum of the exponentials."),
        (_softmax(-s[None])[0], "The largest score must get the largest probability: use e^s, not e^−s."),
        (10 ** s / (10 ** s).sum(), "Softmax uses e^s (np.exp), not 10^s."),
        (np.sort(right), "The probabilities belong to the classes in order: the first to the first score."),
    ]
    for cand, why in candidates:
        if cand is not None and np.allclose(got, cand, rtol=0.002, atol=tolerance):
            return Verdict(False, why)
    total = got.sum()
    if abs(total - 1) > 0.01:
        return Verdict(False, f"Your {n} numbers add up to {number(total, 3)}; probabilities add up to 1. "
                              "Compute e^s for every score, then divide each by the sum of all of them.")
    bad = [i for i in range(n) if abs(got[i] - right[i]) > tolerance]
    return Verdict(False, f"They add up to 1, but the probability of class {bad[0]} is off "
                          f"({number(got[bad[0]], 3)}): recompute e^s for each score.")


@graded
def check_hand_cross_entropy(answer, scores=HAND_SCORES, label=HAND_LABEL, *, tolerance=0.002):
    """Check a cross-entropy loss worked by hand: −ln of the probability softmax gives the true class.

    >>> check_hand_cross_entropy(-np.log(0.042))
    ✅ Correct. 3.17
    >>> check_hand_cross_entropy(np.log(0.042))
    ❌ Not yet. The loss is −ln p, a positive number: ln of a probability below 1 is negative.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    p = softmax_reference(s[None])[0]
    right = cross_entropy_reference(s[None], [label])
    if isinstance(answer, (list, tuple, np.ndarray)) and np.size(answer) == s.size:
        return Verdict(False, f"Give one number, the loss of this example: −ln of the probability of class "
                              f"{label} only, not one value per class.")
    predicted = int(np.argmax(s))
    hints = {
        -right: "The loss is −ln p, a positive number: ln of a probability below 1 is negative.",
        right / math.log(10): "Use the natural logarithm ln (np.log), not log10.",
        p[label]: "That is the probability itself; the loss is −ln of it.",
        1 - p[label]: "The loss is −ln p, not 1 − p.",
        -s[label] + 0.0: "Take −ln of the probability softmax gives, not minus the score.",
        float(-np.log(p).sum()): "Only the true class counts: −ln of its probability, not a sum over all classes.",
        float(-np.log(p).mean()): "Only the true class counts: −ln of its probability, not the mean over all "
                                  "classes.",
    }
    hints[0.0] = ("A loss of 0 would mean that the true class got all the probability (p = 1); it gets less, so "
                  "the loss is −ln p, above 0.")
    if predicted != label and np.sum(s == s.max()) == 1:
        hints[-math.log(p[predicted])] = (f"That is −ln of the probability of class {predicted}, the one the "
                                          f"network favours; the loss uses the true class, {label}.")
    hints.pop(right, None)
    return check_number(answer, right, what="loss", hints=hints, tolerance=tolerance)


# --------------------------------------------------------------------------- functions on arrays
SOFTMAX_CASES = [
    (np.array([HAND_SCORES]),),                                            # the hand example, a batch of 1
    (np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-2.0, 0.0, 1.0], [0.2, 0.2, 0.9]]),),
    (np.array([[1000.0, 999.0, 998.0], [2.0, 1.0, 0.0]]),),                # large scores: exp overflows
    (np.array([[0.1, 2.3, -1.1, 0.4, 1.7], [-0.3, 0.8, 0.8, -2.2, 0.0]]),),
    (np.array([[0.3, 1.1, -0.4], [2.0, -1.0, 0.5], [0.0, 0.7, 1.9]]),),     # square: a wrong axis shows
]
CE_CASES = [
    (np.array([HAND_SCORES]), np.array([HAND_LABEL])),
    (np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-2.0, 0.0, 1.0], [0.2, 0.2, 0.9]]), np.array([2, 0, 1, 2])),
    (np.array([[1000.0, 998.0, 999.0], [2.0, 1.0, 0.0]]), np.array([2, 0])),
    (np.array([[0.1, 2.3, -1.1, 0.4, 1.7], [-0.3, 0.8, 0.8, -2.2, 0.0], [1.0, 0.0, 0.0, 0.0, 0.5]]),
     np.array([4, 1, 3])),
]

_OVERFLOW = ("np.exp(1000) is too large for a float (anything above about 709 overflows to inf), and inf/inf is "
             "nan. Subtract each row's largest score before np.exp: softmax does not change when the same "
             "number is subtracted from every score of a row.")
_GLOBAL_MAX = ("You subtracted the largest score of the whole array: in a row whose scores are far below it, "
               "every e^s underflows to 0 and 0/0 is nan. Subtract each row's own largest score: "
               "s.max(axis=1, keepdims=True).")
_KEEPDIMS = ("Likely cause: s.max(axis=1) and .sum(axis=1) have shape (N,), which lines up with the columns of an "
             "(N, classes) array, not with its rows; keep the axis, s.max(axis=1, keepdims=True), so that the shape "
             "is (N, 1).")


def _scores_text(s) -> str:
    """Scores as the reader writes them: [[1000, 999, 998], [2, 1, 0]]."""
    return "[" + ", ".join("[" + ", ".join(number(v) for v in row) + "]" for row in np.asarray(s)) + "]"


def _nonfinite(fn, args, name):
    """A ❌ Verdict naming the overflow when ``fn(*args)`` gives nan or inf; else None (errors and None are left
    to :func:`check_function`, which reports them)."""
    try:
        got = fn(*[np.array(a, copy=True) for a in args])
    except Exception:  # noqa: BLE001 — check_function reports the error with its cause
        return None
    if got is None or isinstance(got, Verdict):
        return None
    arr = answer_array(got, "result")
    if isinstance(arr, Verdict) or np.all(np.isfinite(arr)):
        return None
    s = args[0]
    shown = f"{name} on the scores {_scores_text(s)}" + (f" with labels {args[1].tolist()}" if len(args) > 1 else "")
    big_rows = s.max(axis=1) > 700
    if arr.ndim == 2 and arr.shape[0] == len(s) and np.all(np.isfinite(arr[big_rows])):
        return Verdict(False, f"{shown} gave nan or inf. {_GLOBAL_MAX}")
    if big_rows.any():
        return Verdict(False, f"{shown} gave nan or inf. {_OVERFLOW}")
    return Verdict(False, f"{shown} gave nan or inf for ordinary scores: look for a division by 0 or the log of 0.")


def _check_cases(fn, reference, cases, *, name, candidates=(), causes=(), shape_candidates=()):
    """:func:`check_function` on ``cases``, with the overflow named: the cases of ordinary scores first, then
    whether the large scores give nan or inf, then all the cases. NumPy's overflow warnings are silenced: the
    verdict says what happened."""
    kwargs = dict(name=name, candidates=candidates, causes=causes, shape_candidates=shape_candidates)
    with np.errstate(all="ignore"):
        if fn is None or not callable(fn):
            return check_function(fn, reference, cases, **kwargs)
        large = [args for args in cases if np.max(args[0]) > 700]
        ordinary = [args for args in cases if np.max(args[0]) <= 700]
        verdict = check_function(fn, reference, ordinary, **kwargs)
        if not verdict:
            return verdict
        for args in large:
            found = _nonfinite(fn, args, name)
            if found is not None:
                return found
        return check_function(fn, reference, cases, **kwargs)


@graded
def check_softmax(fn, *, name="my_softmax"):
    """Check a student's softmax of the rows of an (N, classes) array against ``torch.softmax``.

    Tried on 5 arrays, one with scores near 1000 (where e^s overflows unless each row's maximum is subtracted
    first) and one square (where a sum over the wrong axis still runs). Named: exponentials not normalised,
    normalised over the columns or the whole array, no maximum subtracted (nan), the maximum of the whole
    array subtracted, the row's maximum or sum without ``keepdims``, e^−s, scores not exponentiated, the log
    of the probabilities.

    >>> def stable(s):
    ...     e = np.exp(s - s.max(axis=1, keepdims=True))
    ...     return e / e.sum(axis=1, keepdims=True)
    >>> check_softmax(stable)
    ✅ Correct. my_softmax agrees with the reference on all 5 inputs.
    >>> check_softmax(lambda s: np.exp(s) / np.exp(s).sum(axis=1, keepdims=True))  # doctest: +ELLIPSIS
    ❌ Not yet. my_softmax on the scores [[1000, 999, 998], [2, 1, 0]] gave nan or inf. np.exp(1000) is too ...
    """
    rows = ("Each row is one example and holds its classes' scores: normalise every row on its own, "
            "sum(axis=1, keepdims=True).")
    candidates = [
        (lambda s: np.exp(s), "Those are the exponentials e^s: divide each row by its sum so that it adds up to 1."),
        (lambda s: np.exp(s - s.max(axis=1, keepdims=True)),
         "Those are the exponentials (after subtracting the row's maximum): divide each row by its sum so that "
         "it adds up to 1."),
        (lambda s: _softmax(s, axis=0), "Your columns add up to 1, not your rows. " + rows),
        (lambda s: np.exp(s) / np.exp(s).sum(axis=0), "Your columns add up to 1, not your rows. " + rows),
        (lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(),
         "The whole array adds up to 1, not each row. " + rows),
        (lambda s: np.exp(s - s.max(axis=1)) / np.exp(s - s.max(axis=1)).sum(axis=1),
         "The row maximum and the row sum need keepdims=True. " + _KEEPDIMS[len("Likely cause: "):]),
        (lambda s: np.exp(s - s.max(axis=1, keepdims=True)) / np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1),
         "The row sum needs keepdims=True. " + _KEEPDIMS[len("Likely cause: "):]),
        (lambda s: _softmax(-s), "The largest score must get the largest probability: e^s, not e^−s."),
        (lambda s: s / s.sum(axis=1, keepdims=True), "Exponentiate the scores first (np.exp), then divide by the "
                                                     "row's sum of exponentials."),
        (lambda s: np.log(_softmax(s)), "That is the log of the probabilities (log-softmax); return the "
                                        "probabilities themselves."),
    ]
    return _check_cases(fn, softmax_reference, SOFTMAX_CASES, name=name, candidates=candidates,
                          causes=[("broadcast", _KEEPDIMS)])


@graded
def check_cross_entropy(fn, *, name="my_cross_entropy"):
    """Check a student's mean cross-entropy ``(scores (N, classes), labels (N,)) → one number`` against
    ``F.cross_entropy``.

    Tried on 4 batches, one with scores near 1000. Named: a sum instead of the mean, log10, the log of every
    class's probability or of the wrong class's, no minus sign, the score instead of the log-probability, no
    log, one loss per example instead of their mean, no maximum subtracted (nan).

    >>> def ce(s, y):
    ...     z = s - s.max(axis=1, keepdims=True)
    ...     logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ...     return -logp[np.arange(len(y)), y].mean()
    >>> check_cross_entropy(ce)
    ✅ Correct. my_cross_entropy agrees with the reference on all 4 inputs.
    """

    def nll(s, y):
        return -np.log(_picked(_softmax(s), y))

    candidates = [
        (lambda s, y: nll(s, y).sum(), "You summed the losses of the batch: take their mean (divide by N), so that "
                                       "the loss does not grow with the batch size."),
        (lambda s, y: nll(s, y).mean() / math.log(10), "Use the natural logarithm (np.log), not np.log10."),
        (lambda s, y: -np.log(_softmax(s)).mean(), "Only the true class of each example counts: "
                                                   "p[np.arange(N), labels], not every class's probability."),
        (lambda s, y: -np.log(_softmax(s)).sum(axis=1).mean(), "Only the true class of each example counts: "
                                                               "p[np.arange(N), labels], not every class's "
                                                               "probability."),
        (lambda s, y: -np.log(_softmax(s)[:, y]).mean(), "p[:, labels] takes every row's probabilities of all the "
                                                         "labels (an N×N array); the true class of row i is "
                                                         "p[i, labels[i]]: p[np.arange(N), labels]."),
        (lambda s, y: -np.log(_softmax(s)[y]).mean(), "p[labels] picks rows, not each row's true class: use "
                                                      "p[np.arange(N), labels]."),
        (lambda s, y: -np.log(_softmax(s).max(axis=1)).mean(), "That is −ln of the largest probability (the "
                                                               "class the network favours); use the true class's."),
        (lambda s, y: -nll(s, y).mean(), "The loss is −ln p, a positive number: you lost the minus sign."),
        (lambda s, y: -_picked(s, y).mean(), "Take −ln of the probability softmax gives the true class, not minus "
                                             "its score."),
        (lambda s, y: -_picked(_softmax(s), y).mean(), "Take the log: the loss is −ln p, not −p."),
        (lambda s, y: (1 - _picked(_softmax(s), y)).mean(), "Take the log: the loss is −ln p, not 1 − p."),
    ]
    shapes = [(lambda s, y: (len(y),), "That is one loss per example: return their mean, one number.")]
    return _check_cases(fn, cross_entropy_reference, CE_CASES, name=name, candidates=candidates,
                          causes=[("broadcast", _KEEPDIMS)], shape_candidates=shapes)


@graded
def check_loss_gradient(fn, *, name="my_loss_gradient"):
    """Check a student's ∂L/∂scores of the mean cross-entropy, ``(scores, labels) → (N, classes)``, against
    torch autograd: ``(softmax(scores) − one_hot(labels)) / N``.

    Named: no division by N, the sign flipped, the one-hot not subtracted, the scores instead of the
    probabilities, the one-hot alone, no maximum subtracted (nan).

    >>> check_loss_gradient(lambda s, y: (np.exp(s - s.max(1, keepdims=True))
    ...                                   / np.exp(s - s.max(1, keepdims=True)).sum(1, keepdims=True)
    ...                                   - np.eye(s.shape[1])[y]) / len(y))
    ✅ Correct. my_loss_gradient agrees with the reference on all 4 inputs.
    """

    def hot(s, y):
        return _one_hot(y, s.shape[1])

    candidates = [
        (lambda s, y: _softmax(s) - hot(s, y), "Divide by N, the number of examples: the loss is the mean over the "
                                               "batch, so each example's part of the gradient is 1/N of it."),
        (lambda s, y: (hot(s, y) - _softmax(s)) / len(y), "The sign is flipped: it is softmax − one-hot. The true "
                                                          "class's entry is negative, since raising its score "
                                                          "lowers the loss."),
        (lambda s, y: hot(s, y) - _softmax(s), "The sign is flipped (softmax − one-hot), and divide by N."),
        (lambda s, y: _softmax(s) / len(y), "Subtract the one-hot of the labels: the true class's entry is "
                                            "p − 1, the others p."),
        (lambda s, y: _softmax(s), "Subtract the one-hot of the labels (the true class's entry is p − 1), and "
                                   "divide by N."),
        (lambda s, y: (s - hot(s, y)) / len(y), "Use the probabilities softmax(s), not the scores s."),
        (lambda s, y: -hot(s, y) / len(y), "The other classes' entries are their probabilities p, not 0: "
                                           "softmax − one-hot."),
    ]
    return _check_cases(fn, loss_gradient_reference, CE_CASES, name=name, candidates=candidates,
                          causes=[("broadcast", _KEEPDIMS)])


# --------------------------------------------------------------------------- the training loop
def loop_problem():
    """The training loop check's small problem: X float32 (10, 4), y int64 (10,) in 0..2 (tensors).

    >>> X, y = loop_problem()
    >>> tuple(X.shape), tuple(y.shape), sorted(set(y.tolist()))
    ((10, 4), (10,), [0, 1, 2])
    """
    import torch

    rng = np.random.default_rng(6)
    X = rng.normal(size=(10, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], dtype=np.int64)
    return torch.from_numpy(X), torch.from_numpy(y)


def loop_model():
    """The small network the loop check trains: Linear(4, 8) → ReLU → Linear(8, 3), the same starting weights
    every call (and the caller's random state left as it was).

    >>> sum(p.numel() for p in loop_model().parameters())
    67
    """
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


# the mistakes the variant loop can make, with what the check says when the student's weights match one
_WEIGHT_MISTAKES = {
    "no_zero_grad": "You never clear the gradients: loss.backward() adds to .grad, so without "
                    "optimizer.zero_grad() every step uses the sum of all the gradients so far.",
    "no_shuffle": "You go through the examples in the same order every epoch: shuffle them at the start of each "
                  "epoch with torch.randperm(n, generator=generator).",
    "generator_each_epoch": "Every epoch uses the same order: make the generator once, before the epochs, not "
                            "inside the epoch loop.",
    "drop_last": "The last, smaller batch is left out: for start in range(0, n, batch_size) also visits the "
                 "leftover examples (here 2 of 10).",
    "sgd": "Use the Adam optimizer, torch.optim.Adam(model.parameters(), lr=lr), as the text says (fit uses it "
           "too); yours takes other steps.",
    "default_lr": "The learning rate is not passed on: torch.optim.Adam(model.parameters(), lr=lr). Yours "
                  "trained with Adam's default (0.001).",
    "optimizer_each_epoch": "Make the optimizer once, before the epochs: Adam keeps a running average of past "
                            "gradients, and a new optimizer every epoch starts it again from zero.",
    "optimizer_each_batch": "Make the optimizer once, before the epochs, not for every batch: Adam keeps a "
                            "running average of past gradients, which a new optimizer forgets.",
    "summed_loss": "Your loss is the sum over the batch (reduction=\"sum\"), not the mean: F.cross_entropy(scores, "
                   "y[batch]) as it is averages, so that a batch of 2 and a batch of 4 pull equally hard.",
}


def loop_with_mistake(model, X, y, *, epochs, batch_size, lr, seed, mistake=None):
    """Section 4's loop with one mistake made on purpose (None: none); returns the recorded numbers.

    Returns a dict: ``"weights"`` (the final state dict), ``"loss"`` and ``"accuracy"`` (what the lesson
    asks for) and other ways of recording them (``"last_loss"``, ``"mean_of_batch_losses"``…).
    """
    import torch
    import torch.nn.functional as F

    def new_optimizer():
        if mistake == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr)
        if mistake == "default_lr":
            return torch.optim.Adam(model.parameters())
        return torch.optim.Adam(model.parameters(), lr=lr)

    optimizer = new_optimizer()
    generator = torch.Generator().manual_seed(seed)
    n = len(X)
    out = {k: [] for k in ("loss", "accuracy", "last_loss", "mean_of_batch_losses", "sum_of_batch_losses",
                           "summed_loss", "mean_of_batch_accuracies", "correct", "accuracy_after_epoch")}
    for _ in range(epochs):
        if mistake == "optimizer_each_epoch":
            optimizer = new_optimizer()
        if mistake == "generator_each_epoch":
            generator = torch.Generator().manual_seed(seed)
        order = torch.arange(n) if mistake == "no_shuffle" else torch.randperm(n, generator=generator)
        stop = n - n % batch_size if mistake == "drop_last" else n
        losses, sizes, rights = [], [], []
        for start in range(0, stop, batch_size):
            if mistake == "optimizer_each_batch":
                optimizer = new_optimizer()
            batch = order[start:start + batch_size]
            scores = model(X[batch])
            loss = F.cross_entropy(scores, y[batch], reduction="sum" if mistake == "summed_loss" else "mean")
            if mistake != "no_zero_grad":
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item() / (len(batch) if mistake == "summed_loss" else 1))
            sizes.append(len(batch))
            rights.append((scores.argmax(dim=1) == y[batch]).sum().item())
        losses, sizes, rights = np.array(losses), np.array(sizes), np.array(rights)
        out["loss"].append(float((losses * sizes).sum() / n))
        out["accuracy"].append(float(rights.sum() / n))
        out["last_loss"].append(float(losses[-1]))
        out["mean_of_batch_losses"].append(float(losses.mean()))
        out["sum_of_batch_losses"].append(float(losses.sum()))
        out["summed_loss"].append(float((losses * sizes).sum()))
        out["mean_of_batch_accuracies"].append(float((rights / sizes).mean()))
        out["correct"].append(float(rights.sum()))
        with torch.no_grad():
            out["accuracy_after_epoch"].append(float((model(X).argmax(dim=1) == y).float().mean()))
    out["weights"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return out


def _same_weights(a, b) -> bool:
    import torch

    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], rtol=1e-5, atol=1e-6) for k in a)


def _close(a, b) -> bool:
    return len(a) == len(b) and np.allclose(a, b, rtol=1e-5, atol=1e-7)


_CAUSES = [
    ("unexpected keyword argument", f"Keep the signature {LOOP_SIGNATURE}: the check passes the settings by name."),
    ("missing", f"Keep the signature {LOOP_SIGNATURE}: the check passes the settings by name."),
    ("does not require grad", "loss.backward() needs the loss as computed from the model's output: call it on "
                              "F.cross_entropy(scores, y_batch), not on loss.item() or a detached copy."),
    ("backward through the graph a second time", "Each batch needs its own forward pass: compute scores = "
                                                 "model(X[batch]) and the loss inside the batch loop."),
    ("modified by an inplace operation", "optimizer.step() changed the weights before loss.backward() used them: "
                                         "the order is zero_grad, forward, loss, backward, step."),
    ("expected scalar type Long", "The labels must be int64 (torch.long): index y with the batch, y[batch]."),
    ("Expected floating point", "The images must be float: index X with the batch, X[batch]."),
    ("can't convert", "Record plain numbers: loss.item() gives a float from a one-number tensor."),
]


def _run_student(fn, model, X, y, after_epoch=None, *, torch_seed=0):
    """The student's loop on fresh copies of the check's data, with the global random state set to
    ``torch_seed`` first (so that a loop which ignores ``seed`` shows it); returns (result, weights) or a Verdict."""
    import torch

    torch.manual_seed(torch_seed)
    np.random.seed(torch_seed)
    kwargs = dict(LOOP_SETTINGS)
    if after_epoch is not None:
        kwargs["after_epoch"] = after_epoch
    try:
        result = fn(model, X.clone(), y.clone(), **kwargs)
    except Exception as error:  # noqa: BLE001 — any error in the student's code becomes a verdict
        text = f"{type(error).__name__}: {' '.join(str(error).split())}"
        cause = next((why for key, why in _CAUSES if key in text), None) or (
            "The message names what went wrong; call your function yourself on a few examples to see the line.")
        return Verdict(False, f"my_train on the check's small problem raised {text:.200} — {cause}")
    return result, {k: v.detach().clone() for k, v in model.state_dict().items()}


def _history_lists(result, epochs, n_batches):
    """The student's history as (loss, accuracy) lists of floats, or a ❌ Verdict that says what is wrong."""
    if isinstance(result, tuple) and len(result) == 2:
        return Verdict(False, "Return one dict, history = {\"loss\": […], \"accuracy\": […]}, not a pair of "
                              "lists.")
    if not isinstance(result, dict):
        return Verdict(False, "my_train should return the history: a dict with two lists, history[\"loss\"] and "
                              f"history[\"accuracy\"]; it returned {describe(result)}.")
    missing = [k for k in ("loss", "accuracy") if k not in result]
    if missing:
        return Verdict(False, f"The history has the keys {sorted(map(str, result))}; it needs \"loss\" and "
                              "\"accuracy\" (spelled exactly so): the live plot and the checks read them.")
    lists = []
    for key in ("loss", "accuracy"):
        try:
            values = [float(v) for v in result[key]]
        except (TypeError, ValueError, RuntimeError):
            return Verdict(False, f"history[\"{key}\"] should be a list of numbers, one per epoch; got "
                                  f"{describe(result[key])}. Append a float each epoch (loss.item() gives one).")
        if len(values) != epochs:
            per_batch = " You appended once per batch: record once per epoch, after its last batch." if \
                len(values) == epochs * n_batches else ""
            return Verdict(False, f"history[\"{key}\"] has {len(values)} entries for {epochs} epochs: one per "
                                  f"epoch.{per_batch}")
        lists.append(values)
    return lists


@graded
def check_training_loop(fn, *, name="my_train"):
    """Check a student's training loop on a small problem against the reference, :func:`helpers.train.fit`.

    ``fn(model, X, y, *, epochs, batch_size, lr, seed, after_epoch=None)`` must train ``model`` in place with
    Adam (learning rate ``lr``) on mini-batches of ``batch_size``: a generator made once,
    ``torch.Generator().manual_seed(seed)``; each epoch ``order = torch.randperm(n, generator=generator)`` and
    batches ``order[start:start + batch_size]`` for ``start`` in ``range(0, n, batch_size)``; per batch the
    forward pass, ``F.cross_entropy``, ``zero_grad``, ``backward``, ``step``. It returns ``{"loss": [...],
    "accuracy": [...]}``, one entry per epoch: the mean loss over the epoch's examples (each batch's loss
    weighted by its size) and the fraction of examples whose largest score was the true class's, as measured
    during the epoch; and calls ``after_epoch(history)`` after every epoch when it is given.

    The check trains a 67-parameter network on 10 examples for 3 epochs in batches of 4 (the last batch holds
    2), twice with different global random states, and compares the weights and the history with ``fit``'s.
    Named: no ``zero_grad``, no ``step`` or ``step`` before ``backward``, no shuffle or the same order every epoch, an
    unseeded shuffle, the last batch dropped, another optimizer or learning rate, the optimizer remade, the
    loss summed or taken from the last batch or averaged over batches of different sizes, the accuracy in
    percent or counted or averaged over batches, ``after_epoch`` not called, nothing returned.
    """
    import torch

    from .train import fit

    if fn is None:
        return Verdict(None, f"Replace the `None` in {name} with your loop, run the cell, then run this check again.")
    if not callable(fn):
        return Verdict(False, f"{name} should be a function (def …); got {describe(fn)}.")
    X, y = loop_problem()
    s = LOOP_SETTINGS
    n = len(X)
    n_batches = -(-n // s["batch_size"])
    state = (torch.get_rng_state(), np.random.get_state(), torch.get_num_threads())
    torch.set_num_threads(1)          # a tiny problem: one thread is fastest, and on a busy machine by far
    try:
        start = loop_model().state_dict()
        reference_model = loop_model()
        history = fit(reference_model, X, y, epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"],
                      seed=s["seed"], device="cpu", progress=False, threads=1)
        ref_weights = reference_model.state_dict()
        ref_loss, ref_acc = history.train_loss, history.train_acc

        first = _run_student(fn, loop_model(), X, y, torch_seed=11)
        if isinstance(first, Verdict):
            return first
        result, weights = first
        if isinstance(result, Verdict):
            return result
        trained = not all(torch.equal(weights[k], start[k]) for k in start)
        if result is None:
            if not trained:
                return Verdict(None, f"{name} returns None and trains nothing yet: replace result = None with your "
                                     "loop, run the cell, then run this check again.")
            return Verdict(False, f"{name} trains (the weights changed) but returns None: end with the history, "
                                  "result = history (or return history).")
        lists = _history_lists(result, s["epochs"], n_batches)
        if isinstance(lists, Verdict):
            return lists
        loss, acc = lists

        second = _run_student(fn, loop_model(), X, y, torch_seed=12)
        if isinstance(second, Verdict):
            return second
        if not _same_weights(weights, second[1]):
            return Verdict(False, "Two runs with the same seed gave different weights: the shuffle must come from "
                                  "the seed, torch.randperm(n, generator=generator) with generator = "
                                  "torch.Generator().manual_seed(seed), not from torch.randperm(n) alone or "
                                  "NumPy's global random numbers.")
        if not trained:
            return Verdict(False, "The weights never changed: call optimizer.step() for every batch, after "
                                  "loss.backward() (a step right after zero_grad() has no gradients to use).")
        if not _same_weights(weights, ref_weights):
            for mistake, why in _WEIGHT_MISTAKES.items():
                variant = loop_with_mistake(loop_model(), X, y, **s, mistake=mistake)
                if _same_weights(weights, variant["weights"]):
                    return Verdict(False, why)
            worst = max(float((weights[k] - ref_weights[k]).abs().max()) for k in ref_weights) \
                if weights.keys() == ref_weights.keys() else float("nan")
            return Verdict(False, f"After {s['epochs']} epochs on the check's 10 examples your weights differ from "
                                  f"the reference loop's (largest difference {number(worst, 3)}). Compare your loop "
                                  "with the steps in the text: the generator made once, torch.randperm each epoch, "
                                  "batches order[start:start + batch_size], then zero_grad, forward, "
                                  "F.cross_entropy, backward, step, with torch.optim.Adam(model.parameters(), "
                                  "lr=lr) made once.")
        recorded = loop_with_mistake(loop_model(), X, y, **s)
        if not _close(loss, ref_loss):
            if _close(acc, ref_loss) and _close(loss, ref_acc):
                return Verdict(False, "history[\"loss\"] and history[\"accuracy\"] are swapped.")
            loss_mistakes = {
                "last_loss": "history[\"loss\"] holds the last batch's loss; record the mean over all the "
                             "epoch's examples.",
                "mean_of_batch_losses": "You took the mean of the batches' losses, but the last batch is smaller "
                                        "(2 examples, not 4): weight each batch's loss by its size, "
                                        "total += loss.item() * len(batch), then divide by n.",
                "sum_of_batch_losses": "You added up the batches' losses: divide by the number of examples "
                                       "(total += loss.item() * len(batch), then total / n).",
                "summed_loss": "That is the sum of the losses of all examples: divide by n, the number of "
                               "examples, for the mean.",
            }
            for key, why in loss_mistakes.items():
                if _close(loss, recorded[key]):
                    return Verdict(False, why)
            return Verdict(False, "The weights are right, but history[\"loss\"] is not the mean loss of each epoch: "
                                  "add loss.item() * len(batch) for every batch, then divide by n.")
        if not _close(acc, ref_acc):
            acc_mistakes = {
                "correct": "history[\"accuracy\"] holds the number of right answers; divide by n for the fraction.",
                "mean_of_batch_accuracies": "You took the mean of the batches' accuracies, but the last batch is "
                                            "smaller: count the right answers of the whole epoch, then divide "
                                            "by n.",
                "accuracy_after_epoch": "history[\"accuracy\"] is measured after the epoch, on all the examples "
                                        "with the final weights; count the right answers of each batch's scores "
                                        "as the batches go by instead (scores.argmax(dim=1) == y[batch]), as fit "
                                        "does: no extra pass over the data.",
            }
            if _close(np.asarray(acc) / 100, ref_acc):
                return Verdict(False, "history[\"accuracy\"] is in percent; record the fraction between 0 and 1.")
            for key, why in acc_mistakes.items():
                if _close(acc, recorded[key]):
                    return Verdict(False, why)
            return Verdict(False, "The weights and the losses are right, but history[\"accuracy\"] is not the "
                                  "fraction of the epoch's examples whose largest score is the true class's "
                                  "(scores.argmax(dim=1) == y[batch]), counted as the batches go by.")
        calls = []
        third = _run_student(fn, loop_model(), X, y, after_epoch=lambda h: calls.append(
            len(h["loss"]) if isinstance(h, dict) and "loss" in h else -1), torch_seed=13)
        if isinstance(third, Verdict):
            return third
        if not calls:
            return Verdict(False, "after_epoch is never called: at the end of each epoch, if after_epoch is not "
                                  "None, call after_epoch(history) (the live plot draws the curves from it).")
        if len(calls) != s["epochs"]:
            return Verdict(False, f"after_epoch was called {len(calls)} times in {s['epochs']} epochs: call it "
                                  "once per epoch, after the epoch's numbers are recorded.")
        if calls != list(range(1, s["epochs"] + 1)):
            return Verdict(False, "after_epoch must get the history itself, with this epoch's numbers already "
                                  "appended: after_epoch(history).")
        return Verdict(True, f"{name} trains exactly like the reference loop on the check's small problem: the "
                             f"same weights after {s['epochs']} epochs, the same losses and accuracies, and "
                             "after_epoch is called once per epoch.")
    finally:
        torch.set_rng_state(state[0])
        np.random.set_state(state[1])
        torch.set_num_threads(state[2])


__all__ = ["check_cross_entropy", "check_hand_cross_entropy", "check_hand_softmax", "check_loss_gradient",
           "check_softmax", "check_training_loop", "cross_entropy_reference", "loop_model", "loop_problem",
           "loss_gradient_reference", "softmax_reference"]
