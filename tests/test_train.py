"""helpers.train: a tiny model learns a separable problem; training is deterministic for a seed;
evaluate/predict agree with a hand computation; bad input is explained; notebook 06's run reaches 97%."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from helpers.train import History, digits_cnn, evaluate, fit, get_device, predict, train_digits_cnn  # noqa: E402


def _blobs(n=200, seed=0):
    """Two well-separated clouds in 2D: class 0 around (-2, -2), class 1 around (2, 2)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(0, 0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return X.astype(np.float32), y


def _bars(n=120, seed=0):
    """6×6 images with one bright vertical bar: class 0 when it is in the left half, 1 in the right half."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.uniform(0, 0.1, size=(n, 1, 6, 6)).astype(np.float32)
    cols = np.where(y == 0, rng.integers(0, 3, n), rng.integers(3, 6, n))
    X[np.arange(n), 0, :, cols] = 1.0
    return X, y


def _tiny_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 2))


def test_get_device_follows_cuda_availability():
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_linear_model_learns_separable_blobs():
    X, y = _blobs()
    X_test, y_test = _blobs(100, seed=1)
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    h = fit(model, X, y, X_test, y_test, epochs=5, lr=0.05, progress=False, device="cpu")
    assert h.test_acc[-1] >= 0.98 and h.train_acc[-1] >= 0.95
    assert h.train_loss[-1] < h.train_loss[0] / 3


def test_tiny_cnn_learns_left_versus_right_bars():
    X, y = _bars()
    X_test, y_test = _bars(60, seed=1)
    model = _tiny_cnn()
    before = evaluate(model, X_test, y_test)
    h = fit(model, X, y, X_test, y_test, epochs=15, lr=0.01, batch_size=16, progress=False, device="cpu")
    assert h.test_acc[-1] >= 0.95, (before, h)
    assert evaluate(model, X_test, y_test) == pytest.approx(h.test_acc[-1])
    assert not model.training                     # left in eval mode


def test_same_seed_same_run_different_seed_different_run():
    X, y = _bars()
    runs = []
    for seed in (0, 0, 1):
        model = _tiny_cnn(seed=0)                  # same initial weights, the seed drives the shuffling
        h = fit(model, X, y, epochs=3, batch_size=16, lr=0.01, seed=seed, progress=False, device="cpu")
        runs.append((h.train_loss, [p.detach().clone() for p in model.parameters()]))
    (loss_a, w_a), (loss_b, w_b), (loss_c, w_c) = runs
    assert loss_a == loss_b
    assert all(torch.equal(p, q) for p, q in zip(w_a, w_b, strict=True))
    assert loss_a != loss_c
    assert not all(torch.equal(p, q) for p, q in zip(w_a, w_c, strict=True))


def test_dropout_is_reproducible_for_a_seed():
    X, y = _blobs(64)
    results = []
    for _ in range(2):
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 2))
        torch.manual_seed(123)                     # disturb the global generator: fit must reseed it
        h = fit(model, X, y, epochs=2, batch_size=8, seed=5, progress=False, device="cpu")
        results.append(h.train_loss)
    assert results[0] == results[1]


def test_numpy_and_tensor_inputs_train_identically():
    X, y = _blobs(64)
    losses = []
    for convert in (lambda a: a, torch.from_numpy):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        losses.append(fit(model, convert(X), convert(y), epochs=2, progress=False, device="cpu").train_loss)
    assert losses[0] == losses[1]


def test_evaluate_and_predict_match_a_hand_computation():
    model = nn.Linear(3, 3, bias=False)
    W = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(W))
    X = np.array([[5, 1, 0], [0, 2, 9], [1, 7, 3], [4, 4, 8]], dtype=np.float32)
    # class = index of the largest entry: 0, 2, 1, 2
    assert predict(model, X).tolist() == [0, 2, 1, 2]
    assert predict(model, X).dtype == np.int64
    np.testing.assert_allclose(predict(model, X, logits=True), X)
    assert evaluate(model, X, np.array([0, 2, 0, 0])) == 0.5
    assert evaluate(model, X, np.array([0, 2, 1, 2]), batch_size=1) == 1.0
    model.train()
    predict(model, X)
    assert model.training                          # the mode is put back


def test_history_contents_repr_table_and_plot(capsys):
    X, y = _blobs(64)
    torch.manual_seed(0)
    h = fit(nn.Linear(2, 2), X, y, epochs=3, progress=True, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3") and "loss" in lines[0]
    assert h.epochs == 3 and len(h.train_acc) == 3 and len(h.seconds) == 3
    assert all(math.isnan(v) for v in h.test_acc)            # no test set given
    assert repr(h).startswith("History(3 epochs: final train loss ") and "test accuracy" not in repr(h)
    assert " s" not in repr(h) and "s)" not in h.table()     # nothing that depends on the clock
    assert h.table().splitlines()[0].split() == ["epoch", "train", "loss", "train", "acc", "test", "acc"]
    fig = h.plot(title="blobs")
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel() == "training loss"
    import matplotlib.pyplot as plt
    plt.close(fig)
    assert repr(History()) == "History(no epochs yet)"


def test_regression_targets_skip_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5])).astype(np.float32)[:, None] + 0.25
    torch.manual_seed(0)
    h = fit(nn.Linear(3, 1), X, y, epochs=20, batch_size=8, lr=0.05, loss_fn=nn.MSELoss(), progress=False,
            device="cpu")
    assert h.train_loss[-1] < 0.01 < h.train_loss[0]
    assert all(math.isnan(v) for v in h.train_acc)


def test_per_pixel_labels_give_pixel_accuracy():
    """A 1×1 conv that copies the pixel's brightness into class 1: per-pixel argmax, accuracy per pixel."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(8, 1, 4, 4)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    model = nn.Conv2d(1, 2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[[[0.0]]], [[[1.0]]]]))
        model.bias.copy_(torch.tensor([0.5, 0.0]))
    assert evaluate(model, X, y) == 1.0
    y_wrong = y.copy()
    y_wrong[0, 0, :] = 1 - y_wrong[0, 0, :]                      # 4 of 128 pixels wrong
    assert evaluate(model, X, y_wrong) == pytest.approx(1 - 4 / 128)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(lr=0), ValueError, "learning rate"),
    (dict(optimizer="rmsprop"), ValueError, "optimizer"),
    (dict(seed=-2), ValueError, "seed"),
])
def test_fit_rejects_bad_settings(kwargs, exc, words):
    X, y = _blobs(16)
    with pytest.raises(exc, match=words):
        fit(nn.Linear(2, 2), X, y, progress=False, **kwargs)


def test_fit_rejects_bad_data():
    X, y = _blobs(16)
    with pytest.raises(ValueError, match="same number of examples"):
        fit(nn.Linear(2, 2), X, y[:10], progress=False)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        fit(nn.Linear(2, 2), X, y, X_test=X, progress=False)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        fit(lambda x: x, X, y, progress=False)
    with pytest.raises(TypeError, match="X_train is None"):
        fit(nn.Linear(2, 2), None, y, progress=False)


def test_threads_are_set_for_the_call_and_restored():
    X, y = _blobs(32)
    before = torch.get_num_threads()
    seen = []

    class Spy(nn.Linear):
        def forward(self, x):
            seen.append(torch.get_num_threads())
            return super().forward(x)

    try:
        torch.set_num_threads(2)
        fit(Spy(2, 2), X, y, epochs=1, batch_size=16, progress=False, device="cpu")
        assert set(seen) == {1} and torch.get_num_threads() == 2
        seen.clear()
        evaluate(Spy(2, 2), X, y, threads=None)
        assert set(seen) == {2}
        with pytest.raises(ValueError, match="threads"):
            predict(Spy(2, 2), X, threads=0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_diverging_loss_is_explained():
    X, y = _blobs(16)
    nan_loss = lambda out, target: out.sum() * float("nan")
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(nn.Linear(2, 2), X, y, loss_fn=nan_loss, progress=False, device="cpu")


def test_optimizer_choices():
    X, y = _blobs(64)
    for optimizer in ("sgd", lambda params: torch.optim.SGD(params, lr=0.1)):
        torch.manual_seed(0)
        h = fit(nn.Linear(2, 2), X, y, epochs=3, batch_size=8, lr=0.05, optimizer=optimizer, progress=False,
                device="cpu")
        assert h.train_acc[-1] >= 0.95


def test_digits_cnn_shapes_and_parameter_count():
    model = digits_cnn()
    # conv 1→32 (3·3·1·32 + 32), conv 32→64 (3·3·32·64 + 64), linear 256→128, linear 128→10
    assert sum(p.numel() for p in model.parameters()) == 320 + 18496 + (256 * 128 + 128) + (128 * 10 + 10)
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    assert not any(isinstance(m, nn.ReLU) for m in digits_cnn(relu=False).modules())
    a, b = digits_cnn(seed=1), digits_cnn(seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.slow
def test_notebook_06_run_reaches_97_percent():
    model, history, acc = train_digits_cnn(seed=0)
    assert acc >= 0.97
    assert acc == pytest.approx(history.test_acc[-1])
    assert history.train_loss[-1] < 0.1
