"""The checks of notebook 08's own-backward-pass exercises, against independent oracles.

Notebook 08 (sections 6 and 7) has the student write ``my_conv2d_backward``, ``my_max_pool2d_backward``,
``my_loss_and_grads`` and ``my_train``; ``helpers.backward.check_conv2d_backward``,
``check_max_pool2d_backward`` and ``helpers.numpy_cnn.check_loss_and_grads``, ``check_train_loop`` judge them.
Here:

* the notebook's solutions (read from the notebook, run as the notebook runs them) agree with torch autograd
  and with numeric gradients — and so with ``helpers.conv2d_backward``, ``helpers.max_pool2d_backward`` and
  ``NumpyCNN``, which the notebook says it is comparing with (the lesson code and the helpers stay equal);
* every check accepts right answers written independently (torch autograd wrapped as a function, a numeric
  gradient, the full-convolution formula) and rejects each usual mistake, built here as a wrong function,
  with a message that names it — and each mistake is first shown to be wrong by autograd, so that a check
  is never tested on a "mistake" that is in fact right;
* the checks never raise, whatever the function returns or raises;
* the catalogue's wrong answers for these four exercises (tests/catalogues/08_backprop_through_conv.toml)
  are rejected with their hints, run directly (tests/test_catalogues.py runs them again inside the notebook).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers.backward import (
    CONV2D_BACKWARD_CASES,
    MAX_POOL2D_BACKWARD_CASES,
    check_conv2d_backward,
    check_max_pool2d_backward,
    conv2d_backward,
    conv2d_backward_mistakes,
    max_pool2d_backward,
    max_pool2d_backward_mistakes,
    numeric_gradient,
    relative_error,
)
from helpers.checks import call_student
from helpers.numpy_cnn import (
    LOSS_AND_GRADS_CASES,
    NumpyCNN,
    check_loss_and_grads,
    check_train_loop,
    minibatch_indices,
    softmax_cross_entropy,
    train_sgd,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "08_backprop_through_conv.ipynb"
CATALOGUE = ROOT / "tests" / "catalogues" / "08_backprop_through_conv.toml"
EXERCISES = {"c6a1e0b4": "my_conv2d_backward", "c6a1e0b9": "my_max_pool2d_backward",
             "c7b2f1a1": "my_loss_and_grads", "c7b2f1a4": "my_train"}
CHECKS = {"my_conv2d_backward": check_conv2d_backward, "my_max_pool2d_backward": check_max_pool2d_backward,
          "my_loss_and_grads": check_loss_and_grads, "my_train": check_train_loop}


def base_namespace():
    """What the notebook's setup cell gives the exercise cells."""
    ns = {"np": np, "torch": torch, "F": F, "softmax_cross_entropy": softmax_cross_entropy, "NumpyCNN": NumpyCNN}
    ns.update({name: getattr(helpers, name) for name in helpers.__all__})
    return ns


@pytest.fixture(scope="module")
def notebook():
    """The notebook's solution functions, defined one after the other as the notebook runs them."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = {c.get("id"): c for c in nb.cells}
    ns = base_namespace()
    for cid, name in EXERCISES.items():
        cell = cells[cid]
        assert "solution" in cell.metadata.get("tags", []) and cell.metadata.get("points") == 3, cid
        exec(compile(cell.source, f"notebook 08 cell {cid}", "exec"), ns)
        assert callable(ns[name]), name
    return ns


# --------------------------------------------------------------------------- oracles
def autograd_conv(x, w, g, stride=1, padding=0):
    """(dx, dw, db) of conv2d by torch autograd, float64."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    F.conv2d(xt, wt, bt, stride=stride, padding=padding).backward(torch.tensor(g, dtype=torch.float64))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def autograd_pool(x, g, kernel_size, stride=None):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(xt, kernel_size, stride=stride).backward(torch.tensor(g, dtype=torch.float64))
    return xt.grad.numpy()


def torch_model(params):
    """NumpyCNN's network in torch, built from a params dict by its own code (not NumpyCNN.to_torch)."""
    from torch import nn

    c, c_in, k, _ = params["conv_w"].shape
    model = nn.Sequential(nn.Conv2d(c_in, c, k, padding=(k - 1) // 2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(params["fc_w"].shape[1], params["fc_w"].shape[0])).double()
    with torch.no_grad():
        for layer, (wname, bname) in ((model[0], ("conv_w", "conv_b")), (model[4], ("fc_w", "fc_b"))):
            layer.weight.copy_(torch.tensor(params[wname]))
            layer.bias.copy_(torch.tensor(params[bname]))
    return model


def autograd_loss_and_grads(params, X, y):
    model = torch_model(params)
    loss = F.cross_entropy(model(torch.tensor(X, dtype=torch.float64)), torch.tensor(y))
    loss.backward()
    names = {"conv_w": model[0].weight, "conv_b": model[0].bias, "fc_w": model[4].weight, "fc_b": model[4].bias}
    return loss.item(), {name: p.grad.numpy().copy() for name, p in names.items()}


def numeric_conv(x, w, g, stride=1, padding=0):
    """(dx, dw, db) of conv2d by centred differences of Σ conv2d(x, w, b) · g: no calculus at all."""
    kw = dict(stride=stride, padding=padding)
    dx = numeric_gradient(lambda a: np.sum(helpers.conv2d(a, w, **kw) * g), x)
    dw = numeric_gradient(lambda a: np.sum(helpers.conv2d(x, a, **kw) * g), w)
    db = numeric_gradient(lambda a: np.sum(helpers.conv2d(x, w, a, **kw) * g), np.zeros(w.shape[0]))
    return dx, dw, db


def full_convolution(x, w, g, stride=1, padding=0):
    """(dx, dw, db) the other way round: g spread by the stride, full convolution with the flipped kernel."""
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    p, s = padding, stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    spread = np.zeros((n, c_out, (ho - 1) * s + 1, (wo - 1) * s + 1))
    spread[:, :, ::s, ::s] = g
    full = np.pad(spread, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    part = helpers.conv2d(full, w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    dxp = np.zeros(xp.shape)
    dxp[:, :, :part.shape[2], :part.shape[3]] = part
    dw = helpers.conv2d(xp.transpose(1, 0, 2, 3), spread.transpose(1, 0, 2, 3))[:, :, :kh, :kw]
    return dxp[:, :, p:p + h, p:p + wd], dw.transpose(1, 0, 2, 3), g.sum(axis=(0, 2, 3))


def conv_case(seed, n, c_in, c_out, h, wd, kh, kw, s, p):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(n, c_in, h, wd)), rng.normal(size=(c_out, c_in, kh, kw))
    g = rng.normal(size=(n, c_out, (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1))
    return x, w, g, s, p


# --------------------------------------------------------------------------- the notebook's solutions vs oracles
CONV_CONFIGS = [(0, 1, 1, 1, 5, 5, 3, 3, 1, 0), (1, 2, 3, 2, 6, 7, 3, 2, 1, 1), (2, 3, 2, 4, 8, 8, 3, 3, 2, 1),
                (3, 2, 2, 2, 7, 6, 2, 2, 2, 0), (4, 1, 2, 3, 9, 9, 5, 5, 3, 2), (5, 2, 1, 1, 4, 4, 1, 1, 2, 0)]


@pytest.mark.parametrize("config", CONV_CONFIGS)
def test_notebook_conv2d_backward_equals_autograd(notebook, config):
    x, w, g, s, p = conv_case(*config)
    got = notebook["my_conv2d_backward"](x, w, g, s, p)
    for mine, want, helper in zip(got, autograd_conv(x, w, g, s, p), conv2d_backward(x, w, g, s, p), strict=True):
        np.testing.assert_allclose(mine, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mine, helper, rtol=1e-12, atol=1e-12)


def test_notebook_conv2d_backward_against_numeric_gradient(notebook):
    x, w, g, s, p = conv_case(*CONV_CONFIGS[2])
    for mine, num in zip(notebook["my_conv2d_backward"](x, w, g, s, p), numeric_conv(x, w, g, s, p), strict=True):
        assert relative_error(mine, num) < 1e-7


@pytest.mark.parametrize("seed, shape, k, stride, ties", [
    (0, (2, 3, 6, 6), 2, None, False), (1, (1, 2, 7, 7), 3, 2, True), (2, (2, 1, 5, 6), 3, 1, True),
    (3, (1, 1, 8, 8), 4, 2, False), (4, (3, 2, 5, 5), 2, 1, True)])
def test_notebook_max_pool2d_backward_equals_autograd(notebook, seed, shape, k, stride, ties):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
    s = k if stride is None else stride
    g = rng.normal(size=shape[:2] + ((shape[2] - k) // s + 1, (shape[3] - k) // s + 1))
    got = notebook["my_max_pool2d_backward"](x, g, k, stride)
    np.testing.assert_allclose(got, autograd_pool(x, g, k, stride), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, max_pool2d_backward(x, g, k, stride), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("settings", [{}, {"channels": 3, "in_channels": 2, "image_size": 6, "n_classes": 4}])
def test_notebook_loss_and_grads_equal_autograd_and_numpy_cnn(notebook, settings):
    net = NumpyCNN(**settings, seed=9)
    rng = np.random.default_rng(9)
    X = rng.random((6, net.in_channels, net.image_size, net.image_size))
    y = rng.integers(0, net.n_classes, size=6)
    loss, grads = notebook["my_loss_and_grads"]({k: v.copy() for k, v in net.params.items()}, X, y)
    want_loss, want = autograd_loss_and_grads(net.params, X, y)
    ref_loss, ref = net.loss_and_grads(X, y)
    assert loss == pytest.approx(want_loss, rel=1e-12) and loss == pytest.approx(ref_loss, rel=1e-12)
    for name in want:
        np.testing.assert_allclose(grads[name], want[name], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-10, atol=1e-13)


def test_notebook_training_loop_follows_torch_sgd(notebook):
    """The notebook's my_loss_and_grads in its my_train, step for step with torch.optim.SGD (the oracle)."""
    net = NumpyCNN(channels=3, seed=4)
    rng = np.random.default_rng(4)
    X, y = rng.random((24, 1, 8, 8)), rng.integers(0, 10, size=24)
    batches = minibatch_indices(24, 8, epochs=2, seed=4)
    params = {k: v.copy() for k, v in net.params.items()}
    losses = notebook["my_train"](notebook["my_loss_and_grads"], params, X, y, batches, 0.5)
    model = torch_model(net.params)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    want = []
    for idx in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(torch.tensor(X[idx])), torch.tensor(y[idx]))
        loss.backward()
        opt.step()
        want.append(loss.item())
    np.testing.assert_allclose(losses, want, rtol=1e-10)
    np.testing.assert_allclose(params["conv_w"], model[0].weight.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(params["fc_b"], model[4].bias.detach().numpy(), rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- check_conv2d_backward
def test_the_conv_cases_cover_what_the_check_promises():
    strides = {c[8] for c in CONV2D_BACKWARD_CASES}
    paddings = {c[9] for c in CONV2D_BACKWARD_CASES}
    assert strides == {1, 2} and paddings == {0, 1}
    assert any(c[1] > 1 for c in CONV2D_BACKWARD_CASES)                       # a batch
    assert any(c[2] == c[3] > 1 for c in CONV2D_BACKWARD_CASES)               # C_in = C_out > 1
    assert any(len({c[1], c[2], c[3]}) == 3 for c in CONV2D_BACKWARD_CASES)   # N, C_in, C_out all different


def test_check_conv2d_backward_accepts_right_answers_written_other_ways(notebook):
    for fn in (autograd_conv, numeric_conv, full_convolution, notebook["my_conv2d_backward"],
               lambda x, w, g, stride=1, padding=0: [t.tolist() for t in conv2d_backward(x, w, g, stride, padding)],
               lambda x, w, g, stride=1, padding=0: tuple(torch.tensor(t) for t in autograd_conv(x, w, g, stride,
                                                                                                   padding))):
        verdict = check_conv2d_backward(fn)
        assert verdict.ok is True, verdict


def stamps(x, w, g, stride=1, padding=0, *, mistake=None):
    """(dx, dw, db) by the stamp loop, written here, with one usual mistake switched on."""
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    p = padding
    s = 1 if mistake == "stride" else stride
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros((n,) + w.shape) if mistake == "dw per image" else np.zeros(w.shape)
    kernel = w[:, :, ::-1, ::-1] if mistake == "flip" else w
    for i in range(ho):
        for j in range(wo):
            for b in range(n):
                for o in range(c_out):
                    win = (slice(i * s, i * s + kh), slice(j * s, j * s + kw))
                    gi = g[b, o, i, j]
                    if mistake == "channels":         # w[c, o] where w[o, c] belongs (C_in = C_out)
                        dxp[(b, slice(None)) + win] += gi * kernel[:, o]
                    elif mistake == "assign":
                        dxp[(b, slice(None)) + win] = gi * kernel[o]
                    else:
                        dxp[(b, slice(None)) + win] += gi * kernel[o]
                    if mistake == "dw per image":
                        dw[b, o] += gi * xp[(b, slice(None)) + win]
                    elif mistake == "channels":
                        dw[:, o] += gi * xp[(b, slice(None)) + win]
                    elif mistake == "dw last image":          # the earlier images' pushes are lost
                        if b == n - 1:
                            dw[o] += gi * xp[(b, slice(None)) + win]
                    else:
                        dw[o] += gi * xp[(b, slice(None)) + win]
    db = {"db batch": g.sum(axis=0), "db mean": g.mean(axis=(0, 2, 3)), "db positions": g.sum(axis=(2, 3)),
          "db scalar": g.sum()}.get(mistake, g.sum(axis=(0, 2, 3)))
    dx = dxp if mistake == "no crop" else dxp[:, :, p:p + h, p:p + wd]
    if mistake == "dw mean":
        dw = dw / n
    return dx, dw, db


CONV_MISTAKES = [
    ("flip", ["flip"]), ("stride", ["stride", "i * stride"]), ("no crop", ["crop", "padding"]),
    ("db batch", ["positions"]), ("db mean", ["not a mean"]), ("db positions", ["batch too"]),
    ("db scalar", ["one number per output channel"]), ("dw per image", ["batch"]),
    ("dw mean", ["batch mean"]), ("dw last image", ["last image"]), ("channels", ["w[c, o]", "channel axes"]),
    ("assign", ["+="]),
]


@pytest.mark.parametrize("mistake, words", CONV_MISTAKES, ids=[m for m, _ in CONV_MISTAKES])
def test_check_conv2d_backward_names_each_mistake(mistake, words):
    def wrong(x, w, g, stride=1, padding=0):
        return stamps(x, w, g, stride, padding, mistake=mistake)

    # the stamp loop without a mistake is right (autograd says so), and with it, wrong on some case
    for case in CONV2D_BACKWARD_CASES:
        x, w, g, s, p = conv_case(*case)
        for mine, want in zip(stamps(x, w, g, s, p), autograd_conv(x, w, g, s, p), strict=True):
            np.testing.assert_allclose(mine, want, rtol=1e-12, atol=1e-12)
    assert any(any(np.shape(a) != np.shape(b) or not np.allclose(a, b) for a, b in
                   zip(wrong(*conv_case(*case)[:3], *conv_case(*case)[3:]), autograd_conv(*conv_case(*case)),
                       strict=True)) for case in CONV2D_BACKWARD_CASES)
    verdict = check_conv2d_backward(wrong)
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (mistake, word, verdict.message)


def test_check_conv2d_backward_says_which_gradients_are_right():
    verdict = check_conv2d_backward(lambda x, w, g, stride=1, padding=0: stamps(x, w, g, stride, padding,
                                                                                 mistake="db mean"))
    assert "dx and dw are right" in verdict.message
    verdict = check_conv2d_backward(lambda x, w, g, stride=1, padding=0: stamps(x, w, g, stride, padding,
                                                                                 mistake="flip"))
    assert "dw and db are right" in verdict.message and "dx:" in verdict.message


def test_every_listed_conv_mistake_can_show():
    """Each mistake the check can name differs from autograd's answer on at least one case (none is dead)."""
    differs, listed = set(), set()
    for case in CONV2D_BACKWARD_CASES:
        x, w, g, s, p = conv_case(*case)
        want = dict(zip(("dx", "dw", "db"), autograd_conv(x, w, g, s, p), strict=True))
        found = conv2d_backward_mistakes(x, w, g, s, p)
        for key in ("dx", "dw", "db"):
            for cand, why in found[key]:
                listed.add(why)
                if cand.shape != want[key].shape or not np.allclose(cand, want[key]):
                    differs.add(why)
            for shape, why in found[f"{key}_shapes"]:
                listed.add(why)
                if tuple(shape) != want[key].shape:
                    differs.add(why)
    assert listed == differs, listed - differs


@pytest.mark.parametrize("result", [None, "text", 3.0, (1, 2), ({}, [], None), (np.zeros(2), np.ones(3), "x"),
                                    [np.zeros((1, 1, 5, 5))] * 3, (object(), object(), object())],
                         ids=["None", "text", "number", "pair", "junk", "short arrays", "wrong shapes", "objects"])
def test_check_conv2d_backward_never_raises(result):
    verdict = check_conv2d_backward(lambda x, w, g, stride=1, padding=0: result)
    assert verdict.ok in (False, None)
    assert isinstance(verdict.message, str) and verdict.message


def test_check_conv2d_backward_stub_errors_and_non_functions():
    assert check_conv2d_backward(None).ok is None
    assert "not answered" in repr(check_conv2d_backward(lambda x, w, g, stride=1, padding=0: None)).lower()
    v = check_conv2d_backward(lambda x, w, g, stride=1, padding=0: x[9])
    assert v.ok is False and "IndexError" in v.message
    v = check_conv2d_backward(lambda x, w, g: conv2d_backward(x, w, g))           # no stride/padding arguments
    assert v.ok is False and "TypeError" in v.message
    assert check_conv2d_backward(42).ok is False
    # the inputs the check passes are copies: a function that changes them in place changes nothing
    x, w, g, s, p = conv_case(*CONV2D_BACKWARD_CASES[0])

    def scribbles(x, w, g, stride=1, padding=0):
        out = conv2d_backward(x, w, g, stride, padding)
        x[...] = 0
        w[...] = 0
        return out

    assert check_conv2d_backward(scribbles).ok is True


# --------------------------------------------------------------------------- check_max_pool2d_backward
def pool_loop(x, g, k, stride=None, *, mistake=None):
    """max-pool backward by a loop over every window, written here, with one usual mistake switched on."""
    s = k if stride is None else stride
    dx = np.zeros(x.shape)
    n, c, ho, wo = g.shape
    for b in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    win = x[b, ch, i * s:i * s + k, j * s:j * s + k]
                    target = dx[b, ch, i * s:i * s + k, j * s:j * s + k]
                    if mistake == "average":
                        target += g[b, ch, i, j] / (k * k)
                        continue
                    if mistake == "spread":
                        target += g[b, ch, i, j]
                        continue
                    flat = win.argmin() if mistake == "minimum" else win.argmax()
                    u, v = np.unravel_index(flat, win.shape)
                    if mistake == "every tie":
                        target += (win == win.max()) * g[b, ch, i, j]
                    elif mistake == "last tie":
                        u, v = np.argwhere(win == win.max())[-1]
                        target[u, v] += g[b, ch, i, j]
                    elif mistake == "assign":
                        target[u, v] = g[b, ch, i, j]
                    elif mistake == "one":
                        target[u, v] += 1
                    else:
                        target[u, v] += g[b, ch, i, j]
    return g if mistake == "pooled shape" else dx


POOL_MISTAKES = [("average", ["average pooling"]), ("spread", ["maximum only"]), ("minimum", ["minimum"]),
                 ("every tie", ["ties", "first", "every one"]), ("last tie", ["first", "not the last"]),
                 ("assign", ["+="]), ("one", ["not 1"]), ("pooled shape", ["shape of x"])]


def pool_inputs(case):
    seed, n, c, h, wd, k, stride, ties = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, c, h, wd)).astype(float) if ties else rng.normal(size=(n, c, h, wd))
    s = k if stride in (None, "default") else stride
    g = rng.normal(size=(n, c, (h - k) // s + 1, (wd - k) // s + 1))
    return x, g, k, s


def test_check_max_pool2d_backward_accepts_right_answers(notebook):
    for fn in (lambda x, g, k, stride=None: autograd_pool(x, g, k, stride), pool_loop,
               notebook["my_max_pool2d_backward"]):
        verdict = check_max_pool2d_backward(fn)
        assert verdict.ok is True, verdict


@pytest.mark.parametrize("mistake, words", POOL_MISTAKES, ids=[m for m, _ in POOL_MISTAKES])
def test_check_max_pool2d_backward_names_each_mistake(mistake, words):
    def wrong(x, g, k, stride=None):
        return pool_loop(x, g, k, stride, mistake=mistake)

    cases = [pool_inputs(case) for case in MAX_POOL2D_BACKWARD_CASES]
    assert all(np.array_equal(pool_loop(x, g, k, s), autograd_pool(x, g, k, s)) for x, g, k, s in cases)
    assert any(np.shape(wrong(x, g, k, s)) != x.shape or not np.allclose(wrong(x, g, k, s), autograd_pool(x, g, k, s))
               for x, g, k, s in cases)
    verdict = check_max_pool2d_backward(wrong)
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (mistake, word, verdict.message)


def test_max_pool_ties_are_tested_where_the_first_maximum_matters():
    """The tie cases hold windows whose maximum appears twice, so 'first' and 'every' differ there."""
    tied = [pool_inputs(c) for c in MAX_POOL2D_BACKWARD_CASES if c[-1]]
    assert tied
    for x, g, k, s in tied:
        cands, _ = max_pool2d_backward_mistakes(x, g, k, s)
        every = next(c for c, why in cands if "every one" in why)
        assert not np.allclose(every, autograd_pool(x, g, k, s))


def test_check_max_pool2d_backward_default_stride_and_never_raises():
    v = check_max_pool2d_backward(lambda x, g, k, stride=None: pool_loop(x, g, k, stride or 0))
    assert v.ok is False
    v = check_max_pool2d_backward(
        lambda x, g, k, stride=None: np.zeros(x.shape) + x[0, 0, :: stride, 0].sum())   # None used as a stride
    assert v.ok is False
    none_as_number = check_max_pool2d_backward(lambda x, g, k, stride=None: x * stride)
    assert none_as_number.ok is False and "stride=None means stride = kernel_size" in none_as_number.message
    for result in (None, "dx", 1.0, [1, 2], {"dx": 1}, (np.zeros(2),)):
        verdict = check_max_pool2d_backward(lambda x, g, k, stride=None, r=result: r)
        assert verdict.ok in (False, None) and verdict.message
    assert check_max_pool2d_backward(None).ok is None
    assert check_max_pool2d_backward("f").ok is False


# --------------------------------------------------------------------------- check_loss_and_grads
def chain(params, X, y, *, mistake=None):
    """The network's loss and gradients by autograd, with one usual mistake made on top of the right ones."""
    if mistake == "no conv bias":
        params = dict(params, conv_b=np.zeros_like(params["conv_b"]))
    loss, grads = autograd_loss_and_grads(params, X, y)
    if mistake == "sum":
        loss *= len(X)
    if mistake == "fc_w transposed":
        grads["fc_w"] = grads["fc_w"].T
    if mistake == "fc_b mean":
        grads["fc_b"] = grads["fc_b"] / len(X)
    if mistake == "times N":
        grads = {k: v * len(X) for k, v in grads.items()}
    if mistake == "conv_b off":
        grads["conv_b"] = grads["conv_b"] + 0.1
    if mistake == "missing":
        del grads["fc_b"]
    return loss, grads


def no_relu_backward(params, X, y):
    """The ReLU's backward left out: written with NumPy, checked against autograd's ReLU-free chain below."""
    w, b, W, c = (params[k] for k in ("conv_w", "conv_b", "fc_w", "fc_b"))
    conv = helpers.conv2d(X, w, b, padding=1)
    hidden = np.maximum(conv, 0)
    pooled = helpers.max_pool2d(hidden, 2)
    flat = pooled.reshape(len(X), -1)
    loss, g = softmax_cross_entropy(flat @ W.T + c, y)
    grads = {"fc_w": g.T @ flat, "fc_b": g.sum(axis=0)}
    g_hidden = max_pool2d_backward(hidden, (g @ W).reshape(pooled.shape), 2)
    _, grads["conv_w"], grads["conv_b"] = conv2d_backward(X, w, g_hidden, padding=1)
    return loss, grads


LOSS_MISTAKES = [("no conv bias", ["loss", "conv bias", "forward pass"]), ("sum", ["loss", "mean"]),
                 ("fc_w transposed", ["fc_w", "transposed"]), ("fc_b mean", ["fc_b", "differs", "sum"]),
                 ("times N", ["N times", "notebook 06"]),
                 ("conv_b off", ["the gradient of the conv bias (conv_b) differs", "linear layer (fc_w, fc_b)"]),
                 ("missing", ["missing", "fc_b"])]


def test_check_loss_and_grads_accepts_right_answers(notebook):
    assert check_loss_and_grads(autograd_loss_and_grads).ok is True
    assert check_loss_and_grads(notebook["my_loss_and_grads"]).ok is True
    assert check_loss_and_grads(lambda p, X, y: (torch.tensor(autograd_loss_and_grads(p, X, y)[0], dtype=torch.float64),
                                                 autograd_loss_and_grads(p, X, y)[1])).ok is True


@pytest.mark.parametrize("mistake, words", LOSS_MISTAKES, ids=[m for m, _ in LOSS_MISTAKES])
def test_check_loss_and_grads_names_each_mistake(mistake, words):
    verdict = check_loss_and_grads(lambda p, X, y: chain(p, X, y, mistake=mistake))
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (mistake, word, verdict.message)


def test_check_loss_and_grads_names_the_missing_relu_backward():
    # the mistake is really one: the conv gradients differ from autograd's, the linear layer's do not
    seed, settings, batch = LOSS_AND_GRADS_CASES[0]
    net = NumpyCNN(**settings, seed=seed)
    rng = np.random.default_rng(seed)
    X, y = rng.random((batch, 1, 8, 8)), rng.integers(0, 10, size=batch)
    _, wrong = no_relu_backward(net.params, X, y)
    _, right = autograd_loss_and_grads(net.params, X, y)
    assert not np.allclose(wrong["conv_w"], right["conv_w"]) and np.allclose(wrong["fc_w"], right["fc_w"])
    verdict = check_loss_and_grads(no_relu_backward)
    assert verdict.ok is False
    assert "ReLU" in verdict.message and "conv layer (conv_w, conv_b) differ" in verdict.message
    assert "linear layer (fc_w, fc_b) are right" in verdict.message


@pytest.mark.parametrize("result", [None, 2.3, (1.0,), ("loss", {}), (1.0, [1, 2]), (np.ones(3), {}),
                                    (1.0, {"conv_w": "a", "conv_b": 1, "fc_w": None, "fc_b": []})],
                         ids=["None", "number", "one", "text loss", "list grads", "array loss", "junk grads"])
def test_check_loss_and_grads_never_raises(result):
    verdict = check_loss_and_grads(lambda p, X, y: result)
    assert verdict.ok in (False, None) and verdict.message


def test_check_loss_and_grads_stub_and_errors():
    assert check_loss_and_grads(None).ok is None
    assert "not answered" in repr(check_loss_and_grads(lambda p, X, y: None)).lower()
    v = check_loss_and_grads(lambda p, X, y: p["weights"])
    assert v.ok is False and "KeyError" in v.message


# --------------------------------------------------------------------------- check_train_loop
def sgd(loss_and_grads, params, X, y, batches, lr, *, mistake=None):
    losses = []
    for idx in batches:
        if mistake == "whole":
            idx = slice(None)
        loss, grads = loss_and_grads(params, X[idx], y[idx])
        losses.append(loss)
        if mistake == "rebind":
            for name, p in params.items():
                p = p - lr * grads[name]          # the mistake under test: rebinds p, changes nothing
        elif mistake == "new dict":
            params = {name: p - lr * grads[name] for name, p in params.items()}
        else:
            step = {"uphill": -lr, "no lr": 1.0}.get(mistake, lr)
            for name in params:
                params[name] -= step * grads[name]
    return {"params": params, "last only": losses[-1:]}.get(mistake, losses)


LOOP_MISTAKES = [("rebind", ["never changed"]), ("new dict", ["new dict"]), ("uphill", ["uphill"]),
                 ("no lr", ["learning rate"]), ("whole", ["minibatch"]), ("params", ["list of the batch losses"]),
                 ("last only", ["1 losses for 6 batches"])]


def test_check_train_loop_accepts_right_loops(notebook):
    assert check_train_loop(sgd).ok is True
    assert check_train_loop(notebook["my_train"]).ok is True
    # the reference itself: train_sgd on a NumpyCNN that computes with the caller's dict
    assert check_train_loop(lambda lag, p, X, y, b, lr: train_sgd(NumpyCNN.with_params(p), X, y, b, lr)).ok is True


@pytest.mark.parametrize("mistake, words", LOOP_MISTAKES, ids=[m for m, _ in LOOP_MISTAKES])
def test_check_train_loop_names_each_mistake(mistake, words):
    verdict = check_train_loop(lambda *args: sgd(*args, mistake=mistake))
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (mistake, word, verdict.message)


def test_check_train_loop_never_raises():
    for result in ("losses", 1.0, [None] * 6, [[1, 2]] * 6, np.ones((6, 2)), ["a"] * 6):
        verdict = check_train_loop(lambda *args, r=result: r)
        assert verdict.ok is False and verdict.message, result
    assert check_train_loop(lambda *args: None).ok is None
    assert check_train_loop(None).ok is None
    v = check_train_loop(lambda lag, p, X, y, b, lr: lag(p, X[b], y))        # a list of arrays as one index
    assert v.ok is False and "raised" in v.message


# --------------------------------------------------------------------------- NumpyCNN.with_params
def test_with_params_uses_the_callers_dict_and_checks_it():
    params = NumpyCNN(in_channels=2, channels=3, image_size=6, n_classes=4, seed=1).params
    net = NumpyCNN.with_params(params)
    assert net.params is params
    assert (net.in_channels, net.channels, net.image_size, net.n_classes, net.kernel_size) == (2, 3, 6, 4, 3)
    x = np.random.default_rng(0).random((2, 2, 6, 6))
    want = autograd_loss_and_grads(params, x, np.array([0, 3]))[0]
    assert net.loss_and_grads(x, np.array([0, 3]))[0] == pytest.approx(want, rel=1e-12)
    with pytest.raises(TypeError, match="dict"):
        NumpyCNN.with_params([1, 2])
    with pytest.raises(ValueError, match="lacks fc_b"):
        NumpyCNN.with_params({k: v for k, v in params.items() if k != "fc_b"})
    with pytest.raises(ValueError, match="shapes"):
        NumpyCNN.with_params(dict(params, fc_w=np.zeros((4, 50))))


# --------------------------------------------------------------------------- the catalogue, run directly
def catalogue_entries():
    data = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    return [(e["cell"], w) for e in data["exercise"] if e["cell"] in EXERCISES for w in e["wrong"]]


ENTRIES = catalogue_entries()


def test_the_catalogue_has_the_four_exercises():
    assert {cell for cell, _ in ENTRIES} == set(EXERCISES)
    assert all(sum(1 for cell, _ in ENTRIES if cell == cid) >= 6 for cid in EXERCISES)


@pytest.mark.parametrize("cell, wrong", ENTRIES, ids=[f"{EXERCISES[c]}: {w['mistake']}" for c, w in ENTRIES])
def test_catalogue_wrong_answer_is_rejected_and_named(notebook, cell, wrong):
    ns = dict(notebook)                              # the right earlier functions, as in the notebook
    exec(compile(wrong["code"], "catalogue", "exec"), ns)
    name = EXERCISES[cell]
    verdict = CHECKS[name](ns[name])
    assert verdict.ok is False, (wrong["mistake"], verdict)
    for word in wrong["hint"]:
        assert word.lower() in verdict.message.lower(), (wrong["mistake"], word, verdict.message)
    # the same wrong function is wrong for the oracle too (not a right answer the check happens to refuse)
    if name == "my_conv2d_backward":
        x, w, g, s, p = conv_case(*CONV2D_BACKWARD_CASES[-1])
        got = call_student(ns[name], x, w, g, s, p)
        assert not (isinstance(got, tuple) and len(got) == 3 and all(
            np.shape(a) == np.shape(b) and np.allclose(a, b) for a, b in zip(got, autograd_conv(x, w, g, s, p))))
