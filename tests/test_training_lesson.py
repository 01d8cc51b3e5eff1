"""Notebook 06's training lesson (section 4): the checks of softmax, cross-entropy, its gradient and the training
loop; the loop the notebook teaches and ``helpers.fit`` train the same weights; the live plot and the curves.

Oracles: a hand-worked softmax and ln 10, a numeric gradient of the loss, torch autograd, ``fit`` (whose own
tests are tests/test_train.py), and the notebook's own ``my_train`` read from the notebook file.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")
torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from helpers import load_digits, train_test_split  # noqa: E402
from helpers.plot import LivePlot, compare_histories, history_lists  # noqa: E402
from helpers.train import DIGITS_BATCH_SIZE, DIGITS_EPOCHS, DIGITS_LR, History, digits_cnn, evaluate, fit  # noqa: E402
from helpers.training_checks import (  # noqa: E402
    LOOP_SETTINGS,
    check_cross_entropy,
    check_hand_cross_entropy,
    check_hand_softmax,
    check_loss_gradient,
    check_softmax,
    check_training_loop,
    cross_entropy_reference,
    loop_model,
    loop_problem,
    loop_with_mistake,
    loss_gradient_reference,
    softmax_reference,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_full_cnn.ipynb"


# --------------------------------------------------------------------------- the references against hand and numbers
def test_references_match_the_hand_worked_example_and_ln_10():
    e = np.array([math.exp(3), math.exp(1), 1.0])
    np.testing.assert_allclose(softmax_reference([[3.0, 1.0, 0.0]])[0], e / e.sum(), rtol=1e-12)
    assert cross_entropy_reference([[3.0, 1.0, 0.0]], [2]) == pytest.approx(-math.log(1 / e.sum()), rel=1e-12)
    assert cross_entropy_reference(np.zeros((4, 10)), [0, 3, 9, 5]) == pytest.approx(math.log(10), rel=1e-12)


def test_the_gradient_reference_matches_a_numeric_gradient():
    rng = np.random.default_rng(1)
    s, y = rng.normal(size=(3, 4)), np.array([1, 0, 3])
    numeric = np.zeros_like(s)
    for idx in np.ndindex(*s.shape):
        up, down = s.copy(), s.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        numeric[idx] = (cross_entropy_reference(up, y) - cross_entropy_reference(down, y)) / 2e-6
    np.testing.assert_allclose(loss_gradient_reference(s, y), numeric, atol=1e-8)
    p = softmax_reference(s)                                   # and the formula the notebook derives
    np.testing.assert_allclose(loss_gradient_reference(s, y), (p - np.eye(4)[y]) / 3, atol=1e-12)


# --------------------------------------------------------------------------- the array checks
def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ce(s, y):
    return -np.log(_softmax(s)[np.arange(len(y)), y]).mean()


@pytest.mark.parametrize("answer, words", [
    ([0.844, 0.114, 0.042], None),
    ([0.8438, 0.1142, 0.0420], None),
    (None, "not answered"),
    ([20.09, 2.718, 1.0], "exponentials"),
    ([84.4, 11.4, 4.2], "percent"),
    (0.844, "one number"),
    ("0.844", "not text"),
    ([0.5, 0.3, 0.1, 0.1], "4 numbers"),
    ([0.3, 0.3, 0.3], "add up to"),
    ([0.9, 0.05, 0.05], "class 0"),
])
def test_hand_softmax(answer, words):
    verdict = check_hand_softmax(answer)
    if words is None:
        assert verdict.ok is True, verdict
    else:
        assert verdict.ok is not True and words.lower() in str(verdict).lower(), verdict


def test_hand_cross_entropy_names_the_mistakes():
    assert check_hand_cross_entropy(3.170).ok is True
    p = softmax_reference([[3.0, 1.0, 0.0]])[0]
    for wrong, words in [(np.log(p[2]), "positive"), (-np.log10(p[2]), "log10"), (-np.log(p[0]), "class 0"),
                         (p[2], "probability itself"), (0, "loss of 0"), (p, "one number")]:
        verdict = check_hand_cross_entropy(wrong)
        assert verdict.ok is False and words in str(verdict), (wrong, verdict)
    assert check_hand_cross_entropy(math.log(10), scores=np.zeros(10), label=3).ok is True
    assert "p = 1" in str(check_hand_cross_entropy(0, scores=np.zeros(10), label=3))


def test_softmax_check():
    assert check_softmax(_softmax).ok is True
    assert check_softmax(lambda s: None).ok is None
    assert check_softmax(None).ok is None
    with np.errstate(all="ignore"):
        cases = [
            (lambda s: np.exp(s) / np.exp(s).sum(axis=1, keepdims=True), "overflow"),
            (lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=1, keepdims=True), "own largest score"),
            (lambda s: _softmax(s.T).T, "columns"),
            (lambda s: np.exp(s - s.max(axis=1)) / np.exp(s - s.max(axis=1)).sum(axis=1), "keepdims"),
            (lambda s: np.exp(s - s.max(axis=1, keepdims=True)), "exponentials"),
            (lambda s: "text", "numbers"),
            (lambda s: 1 / 0, "ZeroDivisionError"),
            (lambda: 1, "TypeError"),
            (3, "function"),
        ]
        for fn, words in cases:
            verdict = check_softmax(fn)
            assert verdict.ok is False and words in str(verdict), (words, verdict)


def test_cross_entropy_and_gradient_checks():
    assert check_cross_entropy(_ce).ok is True
    assert check_cross_entropy(lambda s, y: torch.tensor(_ce(s, y))).ok is True        # a tensor is a number too
    for fn, words in [(lambda s, y: _ce(s, y) * len(y), "mean"), (lambda s, y: -_ce(s, y), "minus sign"),
                      (lambda s, y: -np.log(_softmax(s)[np.arange(len(y)), y]), "one loss per example"),
                      (lambda s, y: _ce(s, y) / math.log(10), "natural logarithm")]:
        verdict = check_cross_entropy(fn)
        assert verdict.ok is False and words in str(verdict), (words, verdict)

    def grad(s, y):
        return (_softmax(s) - np.eye(s.shape[1])[y]) / len(y)

    assert check_loss_gradient(grad).ok is True
    for fn, words in [(lambda s, y: grad(s, y) * len(y), "Divide by N"), (lambda s, y: -grad(s, y), "sign"),
                      (lambda s, y: _softmax(s) / len(y), "one-hot"),
                      (lambda s, y: (s - np.eye(s.shape[1])[y]) / len(y), "probabilities")]:
        verdict = check_loss_gradient(fn)
        assert verdict.ok is False and words in str(verdict), (words, verdict)


# --------------------------------------------------------------------------- the training loop check
def reference_train(model, X, y, *, epochs, batch_size, lr, seed, after_epoch=None):
    """The loop as notebook 06 states it (exercise 12), written here independently of the notebook."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = {"loss": [], "accuracy": []}
    n = len(X)
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        total, right = 0.0, 0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            scores = model(X[batch])
            loss = F.cross_entropy(scores, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            right += (scores.argmax(dim=1) == y[batch]).sum().item()
        history["loss"].append(total / n)
        history["accuracy"].append(right / n)
        if after_epoch is not None:
            after_epoch(history)
    return history


def test_theloop_with_mistake_without_a_mistake_is_fit():
    X, y = loop_problem()
    a, b = loop_model(), loop_model()
    ours = loop_with_mistake(a, X, y, **LOOP_SETTINGS)
    h = fit(b, X, y, **LOOP_SETTINGS, device="cpu", progress=False)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert ours["loss"] == pytest.approx(h.train_loss, rel=1e-6) and ours["accuracy"] == h.train_acc


@pytest.mark.parametrize("mistake", ["no_zero_grad", "no_shuffle", "generator_each_epoch", "drop_last", "sgd",
                                     "default_lr", "optimizer_each_epoch", "optimizer_each_batch", "summed_loss"])
def test_every_weight_mistake_changes_the_weights(mistake):
    # a mistake that left the weights as the right loop's could never be named by them
    X, y = loop_problem()
    right = loop_with_mistake(loop_model(), X, y, **LOOP_SETTINGS)["weights"]
    wrong = loop_with_mistake(loop_model(), X, y, **LOOP_SETTINGS, mistake=mistake)["weights"]
    assert any(not torch.allclose(right[k], wrong[k], rtol=1e-5, atol=1e-6) for k in right), mistake


def test_the_training_loop_check_accepts_the_loop_and_leaves_the_random_state_alone():
    torch.manual_seed(123)
    np.random.seed(7)
    before = torch.get_rng_state(), np.random.get_state()[1].copy(), torch.get_num_threads()
    assert check_training_loop(reference_train).ok is True
    assert torch.equal(torch.get_rng_state(), before[0])
    assert np.array_equal(np.random.get_state()[1], before[1]) and torch.get_num_threads() == before[2]


def _with(change):
    """reference_train's source with one line changed, as a function (the catalogue's pattern, in miniature)."""
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(reference_train))
    old, new = change
    assert old in source, old
    namespace = {"torch": torch, "F": F}
    exec(source.replace(old, new, 1), namespace)
    return namespace["reference_train"]


@pytest.mark.parametrize("change, words", [
    (("            optimizer.zero_grad()\n", ""), "zero_grad"),
    (("            optimizer.step()\n", ""), "never changed"),
    (("torch.randperm(n, generator=generator)", "torch.randperm(n)"), "same seed"),
    (("torch.randperm(n, generator=generator)", "torch.arange(n)"), "same order"),
    (("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)"), "last, smaller batch"),
    (("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())"), "not passed on"),
    (("total / n", "total"), "divide by n"),
    (("right / n", "100 * right / n"), "percent"),
    (("            after_epoch(history)\n", "            pass\n"), "never called"),
    (("    return history\n", "    return None\n"), "returns None"),
    (("    return history\n", "    return history['loss'], history['accuracy']\n"), "not a pair"),
    (('{"loss": [], "accuracy": []}', '{"losses": [], "accuracy": []}'), "KeyError"),
])
def test_the_training_loop_check_names_the_mistakes(change, words):
    verdict = check_training_loop(_with(change))
    assert verdict.ok is False and words in str(verdict), verdict


def test_the_training_loop_check_stub_and_garbage():
    def stub(model, X, y, *, epochs, batch_size, lr, seed, after_epoch=None):
        result = None
        return result

    assert check_training_loop(stub).ok is None and "not answered" in repr(check_training_loop(stub)).lower()
    assert check_training_loop(None).ok is None
    assert "function" in str(check_training_loop("my_train"))
    assert "signature" in str(check_training_loop(lambda model, X, y: None))
    assert "dict" in str(check_training_loop(lambda model, X, y, **kw: 3))


# --------------------------------------------------------------------------- the notebook's loop is fit
def _notebook_cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _notebook_function(name: str):
    """The notebook's definition of ``name`` (the instructor version, solution included), run on its own."""
    sources = [c.source for c in _notebook_cells() if c.cell_type == "code" and f"def {name}(" in c.source]
    assert len(sources) == 1, f"expected one cell defining {name} in notebook 06, found {len(sources)}"
    namespace = {"torch": torch, "F": F, "nn": nn, "np": np}
    exec(compile(sources[0], f"06_full_cnn.ipynb: {name}", "exec"), namespace)
    return namespace[name]


@pytest.mark.timeout(120)
def test_the_notebooks_loop_and_fit_train_the_same_digits_cnn():
    my_train = _notebook_function("my_train")
    X, y = load_digits()
    X_train, y_train, _, _ = train_test_split(X, y, test_fraction=0.25, seed=0)
    X_few, y_few = X_train[:300], y_train[:300]                # 5 batches of 64 (the last of 44), 2 epochs
    ours, theirs = digits_cnn(seed=0), digits_cnn(seed=0)
    calls = []
    torch.set_num_threads(1)                                   # fit trains on one thread: the same reductions
    history = my_train(ours, torch.from_numpy(X_few), torch.from_numpy(y_few), epochs=2, batch_size=64, lr=2e-3,
                       seed=4, after_epoch=lambda h: calls.append(len(h["loss"])))
    packaged = fit(theirs, X_few, y_few, epochs=2, batch_size=64, lr=2e-3, seed=4, device="cpu", progress=False)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b), f"{name} differs between notebook 06's my_train and helpers.fit"
    assert history["loss"] == pytest.approx(packaged.train_loss, rel=1e-6)
    assert history["accuracy"] == packaged.train_acc and calls == [1, 2]
    assert check_training_loop(my_train).ok is True


def test_the_notebooks_softmax_functions_pass_their_checks():
    assert check_softmax(_notebook_function("my_softmax")).ok is True
    namespace_softmax = _notebook_function("my_softmax")
    ce = _notebook_function("my_cross_entropy")
    ce.__globals__["my_softmax"] = namespace_softmax
    assert check_cross_entropy(ce).ok is True
    grad = _notebook_function("my_loss_gradient")
    grad.__globals__["my_softmax"] = namespace_softmax
    assert check_loss_gradient(grad).ok is True


def test_the_notebook_writes_out_the_benchmarks_training_settings():
    # make bench repeats notebook 06's training with helpers.train's DIGITS_… settings: they must be the notebook's
    found = {}
    for cell in _notebook_cells():
        if cell.cell_type != "code" or "EPOCHS, BATCH_SIZE, LR =" not in cell.source:
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple):
                names = [t.id for t in node.targets[0].elts]
                if names == ["EPOCHS", "BATCH_SIZE", "LR"]:
                    found.update(zip(names, ast.literal_eval(node.value), strict=True))
    assert found == {"EPOCHS": DIGITS_EPOCHS, "BATCH_SIZE": DIGITS_BATCH_SIZE, "LR": DIGITS_LR}


def test_fit_says_where_its_loop_is_taught_and_every_fit_call_in_06_names_its_learning_rate():
    doc = fit.__doc__
    assert "notebook 06" in doc and "section 4" in doc and "my_train" in doc
    for cell in _notebook_cells():
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse("\n".join(line for line in cell.source.splitlines()
                                                 if not line.startswith("%")))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fit":
                assert "lr" in [k.arg for k in node.keywords], ast.unparse(node)


# --------------------------------------------------------------------------- fit's new records
def test_fit_records_the_test_loss_every_step_and_calls_after_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    seen = []
    h = fit(model, X[:40], y[:40], X[40:], y[40:], epochs=3, batch_size=16, lr=0.05, device="cpu", progress=False,
            after_epoch=lambda hist: seen.append((hist is not None, len(hist.train_loss))))
    assert len(h.batch_loss) == 3 * 3 and seen == [(True, 1), (True, 2), (True, 3)]
    with torch.no_grad():                                    # the last epoch's test loss, computed here
        want = F.cross_entropy(model(torch.from_numpy(X[40:])), torch.from_numpy(y[40:])).item()
    assert h.test_loss[-1] == pytest.approx(want, rel=1e-5)
    assert h.test_acc[-1] == pytest.approx(evaluate(model, X[40:], y[40:]))
    h2 = fit(nn.Linear(3, 2), X, y, epochs=1, lr=0.05, device="cpu", progress=False)
    assert math.isnan(h2.test_loss[0])
    with pytest.raises(TypeError, match="after_epoch must be a function"):
        fit(nn.Linear(3, 2), X, y, epochs=1, lr=0.05, device="cpu", progress=False, after_epoch="plot")


# --------------------------------------------------------------------------- the live plot and the comparison figure
def test_live_plot_draws_each_epoch_and_updates_one_display(monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def fake_display(obj, display_id=None):
        shown.append(("display", obj, display_id))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    figures_before = plt.get_fignums()
    X, y = load_digits()
    model = digits_cnn(seed=0)
    live = LivePlot(3, test=(model, X[:40], y[:40]), title="t")
    assert shown == [("display", live.figure, True)]
    live({"loss": [2.3], "accuracy": [0.1]})
    live({"loss": [2.3, 1.0], "accuracy": [0.1, 0.7]})
    assert [s[0] for s in shown] == ["display", "update", "update"]
    assert live.lines["loss"].get_ydata().tolist() == [2.3, 1.0]
    assert live.lines["accuracy"].get_ydata().tolist() == [10.0, 70.0]
    assert live.test_accuracy == [evaluate(model, X[:40], y[:40])] * 2
    assert len(live.lines["test loss"].get_xdata()) == 2
    assert plt.get_fignums() == figures_before          # not a pyplot figure: the inline backend never re-shows it
    h = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.9], test_acc=[0.4, 0.8], test_loss=[1.2, 0.7])
    quiet = LivePlot(2, show=False)
    quiet(h)
    assert quiet.lines["loss"].get_ydata().tolist() == [1.0, 0.5]


def test_live_plot_and_histories_refuse_what_does_not_fit():
    with pytest.raises(TypeError, match="test must be"):
        LivePlot(3, test="digits", show=False)
    with pytest.raises(TypeError, match="epochs"):
        LivePlot("3", show=False)
    with pytest.raises(ValueError, match="\"loss\" and \"accuracy\""):
        history_lists({"losses": [1.0]})
    with pytest.raises(TypeError, match="history must be"):
        history_lists([1.0, 2.0])


def test_compare_histories_per_epoch_and_per_step():
    import matplotlib.pyplot as plt

    a = History(train_loss=[2.0, 1.0], train_acc=[0.3, 0.6], test_acc=[0.3, 0.5], test_loss=[2.1, 1.2],
                batch_loss=[2.2, 2.0, 1.5, 1.0])
    b = History(train_loss=[2.2, 2.1], train_acc=[0.2, 0.3], test_acc=[0.2, 0.3], test_loss=[2.2, 2.1],
                batch_loss=[2.3, 2.2])
    fig = compare_histories({"small": a, "big": b}, steps=True, logy=True)
    loss_lines = fig.axes[0].get_lines()
    assert [line.get_xdata().tolist() for line in loss_lines] == [[1, 2, 3, 4], [1, 2]]
    assert fig.axes[1].get_lines()[0].get_xdata().tolist() == [2.0, 4.0]      # epoch ends, in steps
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_xlabel() == "optimizer steps"
    plt.close(fig)
    with pytest.raises(ValueError, match="batch_loss"):
        compare_histories({"dict": {"loss": [1.0], "accuracy": [0.5]}}, steps=True)
    with pytest.raises(TypeError, match="histories must be"):
        compare_histories({})


# --------------------------------------------------------------------------- strict nbval and the live plot
@pytest.mark.notebooks
@pytest.mark.timeout(240)
def test_a_live_plot_cell_stores_one_figure_that_nbval_compares(tmp_path):
    """nbclient (make execute) applies the display updates: the cell keeps one output, the final figure. nbval
    ignores update messages and compares the first display, whose text is the same; images are not compared."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nfrom helpers.plot import LivePlot"),
                nbformat.v4.new_code_cell("live = LivePlot(3)\nfor k in range(1, 4):\n"
                                          "    live({'loss': [1.0 / j for j in range(1, k + 1)], "
                                          "'accuracy': [0.3 * j for j in range(1, k + 1)]})")]
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[1].outputs
    assert len(outputs) == 1 and outputs[0].output_type == "display_data", outputs
    assert outputs[0].data["text/plain"].startswith("<Figure size") and "image/png" in outputs[0].data
