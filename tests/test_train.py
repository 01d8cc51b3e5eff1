"""helpers.train: a tiny model learns a separable problem; training is deterministic for a seed;
evaluate/predict agree with a hand computation; bad input is explained.

Notebook 06's training run is the benchmark's (tests/test_bench.py runs it); that digits_cnn is the network
notebook 06 teaches is tests/test_digits_cnn_agrees.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from helpers.train import History, digits_cnn, evaluate, fit, get_device, predict  # noqa: E402


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


# --------------------------------------------------------------------------- wrong input: a teaching error
def _torch_error(model, X):
    """torch's own first line for running ``model`` on ``X`` (the oracle that our message must quote)."""
    with pytest.raises((RuntimeError, IndexError, ValueError)) as info:
        model(torch.as_tensor(X, dtype=torch.float32))
    return str(info.value).splitlines()[0]


def _message(exc, call):
    with pytest.raises(exc) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("run", ["fit", "evaluate", "predict"])
def test_channels_last_images_are_explained(run):
    X, y = _bars(32)
    X_last = np.ascontiguousarray(X.transpose(0, 2, 3, 1))              # (32, 6, 6, 1)
    model = _tiny_cnn()
    calls = {"fit": lambda: fit(model, X_last, y, epochs=1, progress=False, device="cpu"),
             "evaluate": lambda: evaluate(model, X_last, y),
             "predict": lambda: predict(model, X_last)}
    name = "X_train" if run == "fit" else "X"
    msg = _message(ValueError, calls[run])
    assert f"{name} has shape (32, 6, 6, 1): channels last" in msg
    assert "(N, C, H, W) = (32, 1, 6, 6)" in msg
    assert f"{name}.transpose(0, 3, 1, 2)" in msg and f"{name}.permute(0, 3, 1, 2)" in msg
    assert _torch_error(model, X_last) in msg                           # torch's own line, quoted
    # the fix the message gives works
    assert predict(model, X_last.transpose(0, 3, 1, 2)).shape == (32,)


def test_test_set_in_channels_last_is_named_as_x_test():
    X, y = _bars(32)
    msg = _message(ValueError, lambda: fit(_tiny_cnn(), X, y, X.transpose(0, 2, 3, 1), y, epochs=1,
                                           progress=False, device="cpu"))
    assert "X_test has shape (32, 6, 6, 1): channels last" in msg


def test_images_of_the_wrong_size_name_the_layer_and_quote_torch():
    X, y = _bars(16)
    big = np.zeros((16, 1, 8, 8), dtype=np.float32)                    # the model was built for 6×6
    model = _tiny_cnn()
    for call, name in [(lambda: fit(model, big, y, epochs=1, progress=False, device="cpu"), "X_train"),
                       (lambda: evaluate(model, big, y), "X"), (lambda: predict(model, big), "X")]:
        msg = _message(ValueError, call)
        assert f"{name} has shape (16, 1, 8, 8), which the model cannot take" in msg
        assert "layer 4 (Linear(in_features=36" in msg and "receives 64" in msg
        assert "sized for images of another size" in msg
        assert _torch_error(model, big) in msg                          # e.g. "mat1 and mat2 shapes cannot…"


def test_missing_channel_or_batch_axis_and_flat_rows_are_explained():
    X, y = _bars(8)
    model = _tiny_cnn()
    msg = _message(ValueError, lambda: predict(model, X[:, 0]))           # (8, 6, 6)
    assert "(N, H, W) without a channel axis" in msg and "X[:, None]" in msg and "(8, 1, 6, 6)" in msg
    assert predict(model, X[:, 0][:, None]).shape == (8,)
    msg = _message(ValueError, lambda: predict(model, X[0]))              # one image (1, 6, 6)
    assert "one image (C, H, W) without the batch axis" in msg and "X[None]" in msg
    msg = _message(ValueError, lambda: predict(model, X.reshape(8, 36)))  # flat rows of 36
    assert "flat row of 36 numbers" in msg and "X.reshape(-1, 1, 6, 6)" in msg
    msg = _message(ValueError, lambda: predict(model, np.zeros((8, 3, 6, 6))))
    assert "X has 3 channels" in msg and "expects 1" in msg


def test_linear_model_given_images_says_flatten_first():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(36, 2))
    X, _ = _bars(8)
    msg = _message(ValueError, lambda: predict(model, X))
    assert "flatten first" in msg and "sized for images" not in msg
    assert predict(nn.Sequential(nn.Flatten(), model[0]), X).shape == (8,)   # flattening fixes it, as said


@pytest.mark.parametrize("call", [
    lambda X, y: fit(_tiny_cnn(), X, y, epochs=1, progress=False, device="cpu"),
    lambda X, y: evaluate(_tiny_cnn(), X, y),
])
def test_float_labels_with_fractions_are_explained(call):
    X, y = _bars(16)
    msg = _message(ValueError, lambda: call(X, y + 0.5))
    assert "fractions such as 0.5" in msg and "class numbers 0, 1, …, 1" in msg


def test_fractional_labels_suggest_a_regression_loss_in_fit_and_whole_floats_still_work():
    X, y = _bars(16)
    msg = _message(ValueError, lambda: fit(_tiny_cnn(), X, y * 0.5, epochs=1, progress=False, device="cpu"))
    assert "y_train" in msg and "MSELoss" in msg
    h = fit(_tiny_cnn(), X, y.astype(np.float64), epochs=1, progress=False, device="cpu")   # 0.0, 1.0: classes
    assert not math.isnan(h.train_acc[-1])


@pytest.mark.parametrize("bad, words", [(2, ["label 2", "2 classes", "0 to 1", "needs 3 outputs"]),
                                        (-1, ["label -1", "0 to 1"])])
def test_labels_outside_the_models_classes_are_explained(bad, words):
    X, y = _bars(16)
    y_bad = y.copy()
    y_bad[3] = bad
    model = _tiny_cnn()
    with pytest.raises(IndexError):                                      # torch's own error: an IndexError
        nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(y_bad))
    for call, name in [(lambda: fit(model, X, y_bad, epochs=1, progress=False, device="cpu"), "y_train"),
                       (lambda: fit(model, X, y, X, y_bad, epochs=1, progress=False, device="cpu"), "y_test"),
                       (lambda: evaluate(model, X, y_bad), "y")]:
        msg = _message(ValueError, call)
        assert msg.startswith(f"{name} holds the label {bad}")
        for word in words:
            assert word in msg, (word, msg)


def test_labels_counted_from_1_and_a_single_output_get_a_hint():
    X, y = _bars(16)
    msg = _message(ValueError, lambda: evaluate(_tiny_cnn(), X, y + 1))
    assert "start at 1" in msg and "y - 1" in msg
    torch.manual_seed(0)
    one = nn.Sequential(nn.Flatten(), nn.Linear(36, 1))
    msg = _message(ValueError, lambda: fit(one, X, y, epochs=1, progress=False, device="cpu"))
    assert "1 class" in msg and "BCEWithLogitsLoss" in msg


def test_one_hot_and_column_labels_are_explained():
    X, y = _bars(16)
    msg = _message(ValueError, lambda: fit(_tiny_cnn(), X, np.eye(2, dtype=np.int64)[y], epochs=1,
                                           progress=False, device="cpu"))
    assert "y_train has shape (16, 2)" in msg and "one-hot" in msg and "y_train.argmax(axis=1)" in msg
    msg = _message(ValueError, lambda: evaluate(_tiny_cnn(), X, y[:, None]))
    assert "y has shape (16, 1)" in msg and "shape (16,)" in msg and "squeeze" in msg


def test_class_probabilities_of_the_output_shape_are_accepted_like_torch():
    X, y = _bars(16)
    probs = np.eye(2, dtype=np.float32)[y] * 0.8 + 0.1
    model = _tiny_cnn()
    nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(probs))      # torch accepts them
    h = fit(model, X, probs, epochs=1, progress=False, device="cpu")
    assert h.epochs == 1 and math.isnan(h.train_acc[-1])


@pytest.mark.parametrize("call", [
    lambda m: fit(m, *_bars(8), epochs=1, progress=False, device="cpu"),
    lambda m: evaluate(m, *_bars(8)),
    lambda m: predict(m, _bars(8)[0]),
])
def test_a_missing_model_is_explained(call):
    msg = _message(TypeError, lambda: call(None))
    assert "model must be a torch.nn.Module" in msg and "got None" in msg
    msg = _message(TypeError, lambda: call(nn.Linear))
    assert "the class Linear itself" in msg and "Linear(…)" in msg


def test_nan_or_infinite_inputs_are_refused_before_training():
    X, y = _bars(16)
    X[2, 0, 1, 3] = np.nan
    msg = _message(ValueError, lambda: fit(_tiny_cnn(), X, y, epochs=1, progress=False, device="cpu"))
    assert "X_train holds 1 NaN" in msg and "(2, 0, 1, 3)" in msg and "learning rate" not in msg
    X[2, 0, 1, 3] = np.inf
    assert "infinite" in _message(ValueError, lambda: predict(_tiny_cnn(), X))


def test_empty_inputs():
    X, y = _bars(8)
    assert "X_train has no examples" in _message(
        ValueError, lambda: fit(_tiny_cnn(), X[:0], y[:0], progress=False, device="cpu"))
    assert "X has no examples" in _message(ValueError, lambda: evaluate(_tiny_cnn(), X[:0], y[:0]))
    model = _tiny_cnn()
    with torch.no_grad():                                                # torch: an empty batch gives (0, 2)
        want = model.eval()(torch.from_numpy(X[:0]))
    got = predict(model, X[:0])
    assert got.shape == tuple(want.argmax(dim=1).shape) == (0,) and got.dtype == np.int64
    assert predict(model, X[:0], logits=True).shape == tuple(want.shape)


def test_a_float64_model_gets_float64_inputs():
    X, y = _bars(16)
    model = _tiny_cnn().double()
    with torch.no_grad():
        want = model(torch.from_numpy(X).double()).argmax(dim=1).numpy()
    np.testing.assert_array_equal(predict(model, X), want)
    h = fit(model, X, y, epochs=1, progress=False, device="cpu")
    assert h.epochs == 1 and next(model.parameters()).dtype == torch.float64


def test_a_batch_of_one_for_batchnorm_is_explained():
    X, y = _blobs(17)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    msg = _message(ValueError, lambda: fit(model, X, y, batch_size=8, epochs=1, progress=False, device="cpu"))
    assert "single example (17 examples in batches of 8)" in msg and "e.g. 9" in msg
    assert "Expected more than 1 value per channel when training" in msg          # torch's line, quoted
    fit(model, X, y, batch_size=9, epochs=1, progress=False, device="cpu")        # the suggested size works


def test_errors_of_the_models_own_code_pass_unchanged():
    class Buggy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            raise RuntimeError("a bug of my own")

    with pytest.raises(RuntimeError, match="a bug of my own"):
        predict(Buggy(), _blobs(4)[0])


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(seed="0"), TypeError, ["seed", "'0'", "without quotes"]),
    (dict(seed=1.5), TypeError, ["seed", "1.5"]),
    (dict(epochs="3"), TypeError, ["epochs", "'3'"]),
    (dict(epochs=2.5), TypeError, ["epochs", "2.5"]),
    (dict(batch_size=None), TypeError, ["batch_size", "None"]),
    (dict(lr="0.01"), TypeError, ["lr", "learning rate", "'0.01'"]),
    (dict(lr=float("inf")), ValueError, ["lr", "inf"]),
    (dict(progress="no"), TypeError, ["progress", "True or False", "'no'"]),
    (dict(loss_fn="mse"), TypeError, ["loss_fn", "MSELoss", "'mse'"]),
    (dict(device="gpu"), ValueError, ["device", "'cpu'", "'cuda'", "'gpu'"]),
    (dict(threads=True), TypeError, ["threads", "True"]),
])
def test_fit_settings_of_the_wrong_type_or_value(kwargs, exc, words):
    X, y = _blobs(16)
    args = dict(progress=False, device="cpu")
    args.update(kwargs)
    msg = _message(exc, lambda: fit(nn.Linear(2, 2), X, y, **args))
    for word in words:
        assert word in msg, (word, msg)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_asking_for_a_gpu_that_is_not_there():
    X, y = _blobs(16)
    msg = _message(ValueError, lambda: fit(nn.Linear(2, 2), X, y, device="cuda", progress=False))
    assert "torch.cuda.is_available() is False" in msg and "device='cpu'" in msg


def test_whole_numbers_of_any_integer_type_or_whole_floats_are_accepted():
    X, y = _blobs(32)
    runs = []
    for epochs, batch_size, seed in [(2, 8, 1), (np.int64(2), np.int32(8), np.int64(1)), (2.0, 8.0, 1.0)]:
        torch.manual_seed(0)
        runs.append(fit(nn.Linear(2, 2), X, y, epochs=epochs, batch_size=batch_size, seed=seed, progress=False,
                        device="cpu").train_loss)
    assert runs[0] == runs[1] == runs[2]


def test_predict_and_digits_cnn_flags_and_seeds():
    X, _ = _blobs(4)
    with pytest.raises(TypeError, match="logits must be True or False"):
        predict(nn.Linear(2, 2), X, logits="yes")
    with pytest.raises(TypeError, match="batch_size must be a whole number, got the text 'all'"):
        predict(nn.Linear(2, 2), X, batch_size="all")
    with pytest.raises(TypeError, match="seed must be a whole number.*the text '0'"):
        digits_cnn(seed="0")
    with pytest.raises(TypeError, match="seed must be a whole number.*None"):
        digits_cnn(seed=None)
    with pytest.raises(ValueError, match="seed must be 0 or more.*got -1"):
        digits_cnn(seed=-1)
    with pytest.raises(TypeError, match="relu must be True or False"):
        digits_cnn(relu="no")
    a, b = digits_cnn(seed=np.int64(3)), digits_cnn(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
