"""helpers.numpy_cnn against torch autograd (same weights, same input) and against numeric gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.backward import numeric_gradient, relative_error
from helpers.numpy_cnn import NumpyCNN, minibatch_indices, softmax_cross_entropy, train_sgd

TORCH_NAMES = {"conv_w": "0.weight", "conv_b": "0.bias", "fc_w": "4.weight", "fc_b": "4.bias"}


def torch_loss_and_grads(model, x, y):
    model.zero_grad()
    loss = F.cross_entropy(model(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    return loss.item(), {name: p.grad.numpy().copy() for name, p in model.named_parameters()}


@pytest.mark.parametrize("config", [
    dict(),                                                 # digits: 1×8×8, 8 channels, 3×3, pool 2
    dict(in_channels=3, channels=4, image_size=9, n_classes=5, kernel_size=5, pool=3),
    dict(in_channels=2, channels=3, image_size=6, n_classes=3, kernel_size=1, pool=2),
])
def test_gradients_equal_autograd(config):
    net = NumpyCNN(**config, seed=7)
    model = net.to_torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, net.in_channels, net.image_size, net.image_size))
    y = rng.integers(0, net.n_classes, size=5)
    loss, grads = net.loss_and_grads(x, y)
    want_loss, want = torch_loss_and_grads(model, x, y)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    for name, torch_name in TORCH_NAMES.items():
        assert grads[name].shape == want[torch_name].shape
        np.testing.assert_allclose(grads[name], want[torch_name], rtol=1e-10, atol=1e-13)


def test_logits_equal_torch_forward():
    net = NumpyCNN(seed=3)
    x = np.random.default_rng(1).random((4, 1, 8, 8))
    with torch.no_grad():
        want = net.to_torch()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(net.forward(x), want, rtol=1e-12, atol=1e-12)


def test_conv_weight_gradient_against_numeric_gradient():
    """No torch here: the loss as a function of the conv kernel, differentiated by centred differences."""
    net = NumpyCNN(channels=3, seed=2)
    rng = np.random.default_rng(2)
    x, y = rng.random((3, 1, 8, 8)), np.array([0, 4, 9])
    _, grads = net.loss_and_grads(x, y)

    def loss_with(name):
        def f(value):
            saved = net.params[name]
            net.params[name] = value
            try:
                return softmax_cross_entropy(net.forward(x), y)[0]
            finally:
                net.params[name] = saved
        return f

    for name in ("conv_w", "conv_b", "fc_b"):
        num = numeric_gradient(loss_with(name), net.params[name])
        assert relative_error(grads[name], num) < 1e-7, name


def test_softmax_cross_entropy_matches_torch():
    rng = np.random.default_rng(4)
    logits, y = rng.normal(size=(6, 4)) * 5, rng.integers(0, 4, size=6)
    lt = torch.tensor(logits, requires_grad=True)
    loss_t = F.cross_entropy(lt, torch.tensor(y))
    loss_t.backward()
    loss, grad = softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(grad, lt.grad.numpy(), rtol=1e-10, atol=1e-14)
    # large logits do not overflow
    assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))[0])


def test_sgd_training_follows_torch_step_by_step():
    """Same initial weights, same batches, same plain SGD: the two loss curves coincide."""
    rng = np.random.default_rng(0)
    X = rng.random((120, 1, 8, 8))
    y = (X[:, 0, :4].sum(axis=(1, 2)) > X[:, 0, 4:].sum(axis=(1, 2))).astype(np.int64)  # top half brighter?
    net = NumpyCNN(seed=5)
    model = net.to_torch()
    batches = minibatch_indices(len(X), 16, epochs=3, seed=1)
    numpy_losses = train_sgd(net, X, y, batches, lr=0.3)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    torch_losses = []
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for idx in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())
    assert len(numpy_losses) == len(batches) == 24
    np.testing.assert_allclose(numpy_losses, torch_losses, rtol=1e-9, atol=1e-12)
    assert np.mean(numpy_losses[-8:]) < np.mean(numpy_losses[:8])
    after = NumpyCNN.from_torch(model)
    for name in TORCH_NAMES:
        np.testing.assert_allclose(net.params[name], after.params[name], rtol=1e-9, atol=1e-12)


def test_float32_network_matches_torch_float32():
    net = NumpyCNN(seed=1, dtype=np.float32)
    model = net.to_torch()
    assert model[0].weight.dtype == torch.float32
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    y = np.array([1, 2, 3, 4])
    _, grads = net.loss_and_grads(x, y)
    _, want = torch_loss_and_grads(model, x, y)
    for name, torch_name in TORCH_NAMES.items():
        assert grads[name].dtype == np.float32
        assert relative_error(grads[name], want[torch_name]) < 1e-5


def test_from_torch_copies_weights_and_rejects_other_models():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 10)).double()
    net = NumpyCNN.from_torch(model)
    assert (net.channels, net.image_size, net.kernel_size, net.pool) == (4, 8, 3, 2)
    np.testing.assert_array_equal(net.params["conv_w"], model[0].weight.detach().numpy())
    np.testing.assert_array_equal(net.params["fc_w"], model[4].weight.detach().numpy())
    net.params["conv_w"][0, 0, 0, 0] += 1.0                        # a copy, not a view
    assert net.params["conv_w"][0, 0, 0, 0] != model[0].weight[0, 0, 0, 0].item()
    with pytest.raises(TypeError, match="Sequential"):
        NumpyCNN.from_torch(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)))
    with pytest.raises(TypeError, match="Sequential"):
        NumpyCNN.from_torch(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="padding"):
        NumpyCNN.from_torch(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                          nn.Linear(36, 10)))


def test_minibatch_indices_cover_every_example_once_per_epoch():
    batches = minibatch_indices(10, 4, epochs=2, seed=3)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(np.concatenate(batches[:3]).tolist()) == list(range(10))
    assert sorted(np.concatenate(batches[3:]).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(batches[:3]), np.concatenate(batches[3:]))
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_indices(10, 0)


def test_bad_input_messages():
    net = NumpyCNN()
    with pytest.raises(ValueError, match=r"Add the batch dimension"):
        net.forward(np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        net.forward(np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="forward"):
        NumpyCNN().backward(np.zeros((1, 10)))
    with pytest.raises(ValueError, match="labels 0..9"):
        softmax_cross_entropy(np.zeros((2, 10)), np.array([0, 10]))
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        NumpyCNN(kernel_size=2)
    with pytest.raises(ValueError, match="lr"):
        net.sgd_step(net.loss_and_grads(np.zeros((1, 1, 8, 8)), [0])[1], lr=-1)
