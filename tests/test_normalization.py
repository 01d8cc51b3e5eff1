"""helpers.normalization: notebook 11's checks of a batch-norm forward pass and of a residual block.

The oracles are independent of the module's own code: hand-worked numbers, torch.nn.BatchNorm2d and nn.Conv2d
layers built here, and implementations written here the way a student would (loops, other NumPy idioms). Each
typical mistake is written as a student's wrong function and must be rejected with its mistake named.
"""

import numpy as np
import pytest
import torch
from torch import nn

from helpers import check_batch_norm, check_residual_block, conv2d
from helpers.normalization import (
    BN_CASES,
    batch_norm_case,
    residual_case,
    torch_batch_norm,
    torch_residual_block,
)

EPS = 1e-5


# --------------------------------------------------------------------------- the oracles
def test_torch_batch_norm_matches_the_hand_worked_tiny_batch():
    # notebook 11's tiny batch: channel 0 holds 1, 3, 5, 7 (mean 4, biased variance 5, unbiased 20/3);
    # channel 1 holds 0, 8, 6, 6 (mean 5, biased variance 9, unbiased 12)
    x = np.array([[[[1.0, 3.0]], [[0.0, 8.0]]], [[[5.0, 7.0]], [[6.0, 6.0]]]])
    y, rm, rv = torch_batch_norm(x, np.array([2.0, 1.0]), np.array([0.5, -1.0]), np.zeros(2), np.ones(2), True)
    np.testing.assert_allclose(y[:, 0].ravel(), 2 * (np.array([1, 3, 5, 7]) - 4) / np.sqrt(5 + EPS) + 0.5)
    np.testing.assert_allclose(y[:, 1].ravel(), (np.array([0, 8, 6, 6]) - 5) / np.sqrt(9 + EPS) - 1.0)
    np.testing.assert_allclose(rm, [0.4, 0.5])
    np.testing.assert_allclose(rv, [0.9 + 0.1 * 20 / 3, 0.9 + 0.1 * 12])


def test_torch_batch_norm_in_eval_mode_uses_and_keeps_the_running_statistics():
    x = np.full((1, 1, 1, 1), 6.0)
    y, rm, rv = torch_batch_norm(x, np.array([3.0]), np.array([1.0]), np.array([2.0]), np.array([4.0]), False)
    assert y.item() == pytest.approx(3 * 4 / np.sqrt(4 + EPS) + 1)
    assert rm.tolist() == [2.0] and rv.tolist() == [4.0]


def test_torch_residual_block_matches_a_hand_worked_example():
    # 1×1 kernels in disguise: conv1 copies x, conv2 doubles its input; so out = relu(x + 2·relu(x)) = 3·relu(x)
    x = np.array([[[[1.0, -2.0, 0.5], [-1.0, 3.0, 0.0], [2.0, -0.5, 1.0]]]])
    w1, w2 = np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3))
    w1[0, 0, 1, 1], w2[0, 0, 1, 1] = 1.0, 2.0
    out = torch_residual_block(x, w1, np.zeros(1), w2, np.zeros(1))
    np.testing.assert_allclose(out, 3 * np.maximum(x, 0))


def test_torch_residual_block_agrees_with_the_series_conv2d():
    rng = np.random.default_rng(5)
    x, w1, w2 = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(3, 3, 3, 3)), rng.normal(size=(3, 3, 3, 3))
    b1, b2 = rng.normal(size=3), rng.normal(size=3)
    f = conv2d(np.maximum(conv2d(x, w1, b1, padding=1), 0), w2, b2, padding=1)
    np.testing.assert_allclose(torch_residual_block(x, w1, b1, w2, b2), np.maximum(x + f, 0), atol=1e-12)


def test_the_trial_batches_are_what_the_messages_say():
    for k, (label, shape, training, momentum, eps) in enumerate(BN_CASES):
        x, gamma, beta, rm, rv, tr, mo, ep = batch_norm_case(k)
        assert x.shape == shape and gamma.shape == beta.shape == rm.shape == rv.shape == (shape[1],)
        assert (tr, mo, ep) == (training, momentum, eps)
        assert "×".join(map(str, shape)) in label and ("training" if training else "eval") in label


# --------------------------------------------------------------------------- batch norm: right answers
def bn_loops(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """A student's version with a loop over the channels."""
    y = np.empty_like(x)
    new_mean, new_var = running_mean.copy(), running_var.copy()
    for c in range(x.shape[1]):
        values = x[:, c].ravel()
        if training:
            mean, var = values.mean(), ((values - values.mean()) ** 2).mean()
            new_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean
            new_var[c] = (1 - momentum) * running_var[c] + momentum * values.var(ddof=1)
        else:
            mean, var = running_mean[c], running_var[c]
        y[:, c] = gamma[c] * (x[:, c] - mean) / np.sqrt(var + eps) + beta[c]
    return y, new_mean, new_var


def bn_in_place(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Updates the running statistics in place, as torch does with its buffers."""
    if training:
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        n = x.size / x.shape[1]
        running_mean *= 1 - momentum
        running_mean += momentum * mean.ravel()
        running_var *= 1 - momentum
        running_var += momentum * var.ravel() * n / (n - 1)
    else:
        mean, var = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
    y = (x - mean) / np.sqrt(var + eps) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    return y, running_mean, running_var


def bn_torch(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """With torch.nn.functional.batch_norm, on tensors, returned as tensors."""
    rm, rv = torch.tensor(running_mean), torch.tensor(running_var)
    y = torch.nn.functional.batch_norm(torch.tensor(x), rm, rv, torch.tensor(gamma), torch.tensor(beta),
                                       training=training, momentum=momentum, eps=eps)
    return y, rm, rv


def bn_float32(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """The loop version in float32, as a student might compute it."""
    args = [a.astype(np.float32) for a in (x, gamma, beta, running_mean, running_var)]
    return bn_loops(*args, training, np.float32(momentum), np.float32(eps))


@pytest.mark.parametrize("fn", [bn_loops, bn_in_place, bn_torch, bn_float32])
def test_right_batch_norms_pass(fn):
    verdict = check_batch_norm(fn)
    assert verdict.ok is True, verdict


def test_a_student_who_scribbles_on_the_inputs_is_still_judged_against_the_right_reference():
    def scribbler(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, rm, rv = bn_loops(x, gamma, beta, running_mean, running_var, training, momentum, eps)   # new arrays
        for a in (x, gamma, beta, running_mean, running_var):
            a[...] = 0.0                    # the check must compare with a reference of its own inputs
        return y, rm, rv

    assert check_batch_norm(scribbler).ok is True


# --------------------------------------------------------------------------- batch norm: the named mistakes
def variant(axes=(0, 2, 3), ddof=0, eps_where="inside", affine="right", update="right", running_ddof=1,
            eval_stats="running", eval_update=False, train_stats="batch"):
    def bn(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        if training and train_stats == "batch" or not training and eval_stats == "batch":
            mean = x.mean(axis=axes if training else (0, 2, 3), keepdims=True)
            var = x.var(axis=axes if training else (0, 2, 3), ddof=ddof if training else 0, keepdims=True)
        else:
            mean, var = running_mean[None, :, None, None], running_var[None, :, None, None]
        denominator = {"inside": np.sqrt(var + eps), "missing": np.sqrt(var), "outside": np.sqrt(var) + eps,
                       "variance": var + eps}[eps_where]
        x_hat = (x - mean) / denominator
        g, b = gamma[None, :, None, None], beta[None, :, None, None]
        y = {"right": g * x_hat + b, "missing": x_hat, "no gamma": x_hat + b, "no beta": g * x_hat,
             "swapped": b * x_hat + g}[affine]
        if training or eval_update:
            batch_mean = x.mean(axis=(0, 2, 3))
            batch_var = x.var(axis=(0, 2, 3), ddof=running_ddof)
            m = {"right": momentum, "reversed": 1 - momentum, "replaced": 1.0, "0.1": 0.1,
                 "none": 0.0}[update]
            running_mean = (1 - m) * running_mean + m * batch_mean
            running_var = (1 - m) * running_var + m * batch_var
        return y, running_mean, running_var
    return bn


MISTAKES = [
    ("layer norm", variant(axes=(1, 2, 3)), ["layer normalization"]),
    ("per pixel", variant(axes=(0,)), ["batch axis only"]),
    ("instance norm", variant(axes=(2, 3)), ["instance normalization"]),
    ("all channels together", variant(axes=(0, 1, 2, 3)), ["all channels together"]),
    ("unbiased variance in y", variant(ddof=1), ["unbiased variance", "n − 1"]),
    ("eps forgotten", variant(eps_where="missing"), ["eps is missing"]),
    ("eps outside the sqrt", variant(eps_where="outside"), ["outside the square root"]),
    ("divided by the variance", variant(eps_where="variance"), ["square root"]),
    ("gamma and beta forgotten", variant(affine="missing"), ["gamma and beta are missing"]),
    ("gamma forgotten", variant(affine="no gamma"), ["gamma is missing"]),
    ("beta forgotten", variant(affine="no beta"), ["beta is missing"]),
    ("gamma and beta swapped", variant(affine="swapped"), ["swapped"]),
    ("running var biased", variant(running_ddof=0), ["biased variance", "running_var"]),
    ("running stats not updated", variant(update="none"), ["ones you were given"]),
    ("momentum the wrong way round", variant(update="reversed"), ["wrong way round"]),
    ("running stats replaced", variant(update="replaced"), ["replaced"]),
    ("momentum fixed at 0.1", variant(update="0.1"), ["momentum 0.1", "argument"]),
    ("reversed and biased", variant(update="reversed", running_ddof=0), ["wrong way round", "biased variance"]),
    ("eval with batch statistics", variant(eval_stats="batch"), ["eval mode", "batch's statistics"]),
    ("eval updates running stats", variant(eval_update=True), ["eval mode", "stay as they are"]),
    ("training with running statistics", variant(train_stats="running"), ["training mode", "running statistics"]),
]


@pytest.mark.parametrize("fn, words", [(fn, words) for _, fn, words in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_typical_batch_norm_mistakes_are_named(fn, words):
    verdict = check_batch_norm(fn)
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (word, verdict.message)


def test_a_mistake_in_y_and_one_in_the_running_statistics_are_both_named():
    verdict = check_batch_norm(variant(ddof=1, update="reversed"))
    assert verdict.ok is False
    assert "unbiased variance" in verdict.message and "wrong way round" in verdict.message


def test_an_unnamed_mistake_says_where_the_numbers_differ():
    def off(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, rm, rv = bn_loops(x, gamma, beta, running_mean, running_var, training, momentum, eps)
        return y + 0.01, rm, rv

    verdict = check_batch_norm(off)
    assert verdict.ok is False and "entries differ" in verdict.message and "y:" in verdict.message


@pytest.mark.parametrize("fn, words", [
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: None, ["not answered"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: x, ["one array", "all three"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x, m), ["three arrays"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x, m, None), ["none as new_running_var"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x, m[None, :, None, None], v), ["(1, 3, 1, 1)", "(c,)"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x, x, v), ["not one per entry"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x[0], m, v), ["shape of x"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: ("y", m, v), ["array of numbers"]),
    (lambda x, g, b, m, v, t: (x, m, v), ["raised typeerror", "signature"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: (x * g + b, m, v), ["raised valueerror", "reshape"]),
    (lambda x, g, b, m, v, t, mo=0.1, e=1e-5: 1 / 0, ["raised zerodivisionerror"]),
])
def test_batch_norm_results_of_the_wrong_form_get_a_verdict_not_a_traceback(fn, words):
    verdict = check_batch_norm(fn)
    for word in words:
        assert word in verdict.message.lower() or word in repr(verdict).lower(), (word, verdict)


def test_batch_norm_check_without_a_function():
    assert check_batch_norm(None).ok is None
    assert check_batch_norm(3).ok is False
    assert "function" in check_batch_norm("my_batch_norm").message


def test_later_none_is_not_a_stub():
    calls = []

    def sometimes(*args):
        calls.append(1)
        return bn_loops(*args) if len(calls) == 1 else None

    verdict = check_batch_norm(sometimes)
    assert verdict.ok is False and "every path" in verdict.message


def test_the_check_agrees_with_a_torch_layer_built_here():
    # one more oracle: an nn.BatchNorm2d, trained on the check's first batch, must pass as the student's function
    def layer_based(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        layer = nn.BatchNorm2d(x.shape[1], eps=eps, momentum=momentum).double()
        with torch.no_grad():
            layer.weight[:] = torch.from_numpy(gamma)
            layer.bias[:] = torch.from_numpy(beta)
            layer.running_mean[:] = torch.from_numpy(running_mean)
            layer.running_var[:] = torch.from_numpy(running_var)
            y = layer.train(training)(torch.from_numpy(x))
        return y.numpy(), layer.running_mean.numpy(), layer.running_var.numpy()

    assert check_batch_norm(layer_based).ok is True


# --------------------------------------------------------------------------- residual block
def relu(a):
    return np.maximum(a, 0)


def block_right(x, w1, b1, w2, b2):
    return relu(x + conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, padding=1))


def block_torch(x, w1, b1, w2, b2):
    """A student's version with torch layers, returning a tensor."""
    c = x.shape[1]
    conv1, conv2 = nn.Conv2d(c, c, 3, padding=1).double(), nn.Conv2d(c, c, 3, padding=1).double()
    with torch.no_grad():
        for conv, w, b in ((conv1, w1, b1), (conv2, w2, b2)):
            conv.weight[:] = torch.from_numpy(w)
            conv.bias[:] = torch.from_numpy(b)
        t = torch.from_numpy(x)
        return torch.relu(t + conv2(torch.relu(conv1(t))))


@pytest.mark.parametrize("fn", [block_right, block_torch])
def test_right_residual_blocks_pass(fn):
    verdict = check_residual_block(fn)
    assert verdict.ok is True, verdict


BLOCK_MISTAKES = [
    ("no skip", lambda x, w1, b1, w2, b2: relu(conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, padding=1)),
     ["skip connection is missing"]),
    ("added after the ReLU",
     lambda x, w1, b1, w2, b2: x + relu(conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, padding=1)),
     ["after the last relu"]),
    ("no last ReLU", lambda x, w1, b1, w2, b2: x + conv2d(relu(conv2d(x, w1, b1, padding=1)), w2, b2, padding=1),
     ["last relu is missing"]),
    ("no inner ReLU",
     lambda x, w1, b1, w2, b2: relu(x + conv2d(conv2d(x, w1, b1, padding=1), w2, b2, padding=1)),
     ["between the two convolutions is missing"]),
    ("swapped", lambda x, w1, b1, w2, b2: block_right(x, w2, b2, w1, b1), ["wrong order"]),
    ("no biases", lambda x, w1, b1, w2, b2: block_right(x, w1, 0 * b1, w2, 0 * b2), ["biases"]),
    ("skip in the middle",
     lambda x, w1, b1, w2, b2: relu(conv2d(relu(conv2d(x, w1, b1, padding=1)) + x, w2, b2, padding=1)),
     ["whole of f"]),
    ("no padding", lambda x, w1, b1, w2, b2: relu(x + conv2d(relu(conv2d(x, w1, b1)), w2, b2)),
     ["different shapes", "padding=1"]),
    ("no padding, cropped", lambda x, w1, b1, w2, b2: relu(x[:, :, 2:-2, 2:-2] + conv2d(relu(conv2d(x, w1, b1)),
                                                                                        w2, b2)),
     ["keeps the shape", "padding=1"]),
    ("no padding, torch", lambda x, w1, b1, w2, b2: torch.relu(
        torch.from_numpy(x) + torch.nn.functional.conv2d(torch.nn.functional.conv2d(
            torch.from_numpy(x), torch.from_numpy(w1)), torch.from_numpy(w2))), ["different shapes"]),
    ("a kernel that does not fit", lambda x, w1, b1, w2, b2: conv2d(conv2d(x[:, :, :3, :3], w1, b1), w2, b2),
     ["shrinks the image", "padding=1"]),
    ("twice the input", lambda x, w1, b1, w2, b2: block_right(x, w1, b1, w2, b2) + relu(x), ["entries differ"]),
]


@pytest.mark.parametrize("fn, words", [(fn, words) for _, fn, words in BLOCK_MISTAKES],
                         ids=[m[0] for m in BLOCK_MISTAKES])
def test_typical_residual_block_mistakes_are_named(fn, words):
    verdict = check_residual_block(fn)
    assert verdict.ok is False, verdict
    for word in words:
        assert word in verdict.message.lower(), (word, verdict.message)


def test_residual_block_check_without_a_function_or_an_answer():
    assert check_residual_block(None).ok is None
    assert check_residual_block(lambda x, w1, b1, w2, b2: None).ok is None
    assert check_residual_block(2).ok is False
    assert "signature" in check_residual_block(lambda x: x).message
    assert "returned" in check_residual_block(lambda x, w1, b1, w2, b2: "out").message


def test_under_an_autograder_a_wrong_answer_raises_and_a_right_one_does_not(monkeypatch):
    monkeypatch.setenv("CNN_GRADING", "1")
    with pytest.raises(AssertionError, match="layer normalization"):
        check_batch_norm(variant(axes=(1, 2, 3)))
    with pytest.raises(AssertionError, match="Not answered yet"):
        check_residual_block(lambda x, w1, b1, w2, b2: None)
    assert check_batch_norm(bn_loops).ok is True
    assert check_residual_block(block_right).ok is True


@pytest.mark.parametrize("call, error, words", [
    (lambda: torch_batch_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True),
     ValueError, ["x", "(N, C, H, W)"]),
    (lambda: torch_batch_norm(np.zeros((2, 3, 2, 2)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3), True),
     ValueError, ["gamma", "(3,)"]),
    (lambda: torch_residual_block(np.zeros((1, 2, 3, 3)), np.zeros((2, 2, 3, 3)), np.zeros(3),
                                  np.zeros((2, 2, 3, 3)), np.zeros(2)), ValueError, ["b1", "(2,)"]),
    (lambda: torch_residual_block(None, 0, 0, 0, 0), TypeError, ["x"]),
    (lambda: batch_norm_case(3), ValueError, ["k", "0 to 2"]),
    (lambda: residual_case("a"), TypeError, ["k"]),
])
def test_the_oracles_refuse_inputs_that_do_not_fit_with_a_message(call, error, words):
    with pytest.raises(error) as raised:
        call()
    for word in words:
        assert word in str(raised.value)
