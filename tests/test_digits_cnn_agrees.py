"""helpers.digits_cnn is the network that notebook 06 teaches, not a second version of it.

Notebook 06 writes the digits CNN as ``build_digits_cnn(seed=0, relu=True)`` in section 3; the helper is a
copy of it for later notebooks and the benchmark (CONTRIBUTING.md: lesson code is written in the notebook
that teaches it, and a test keeps the helper equal). This test reads the notebook, runs the cell's
``def build_digits_cnn`` (found by that text, not by its position), and compares the two networks for several
seeds, with and without ReLUs: the same layers in the same order, the same parameter names and shapes, the
same starting weights, and the same scores for a batch of digits. A change to either side fails it.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from helpers import digits_cnn, load_digits  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_full_cnn.ipynb"
MARKER = "def build_digits_cnn("
CASES = [(seed, relu) for seed in (0, 1, 7) for relu in (True, False)]


def _function_source(notebook: Path = NOTEBOOK) -> str:
    """The source of ``build_digits_cnn`` from the one code cell of ``notebook`` that defines it."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and MARKER in c.source]
    assert len(cells) == 1, (f"{notebook.name}: expected one code cell with `{MARKER}`, found {len(cells)}; "
                             "the network's cell was renamed, split or copied")
    tree = ast.parse(cells[0])
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "build_digits_cnn"]
    assert len(defs) == 1, f"{notebook.name}: the cell with `{MARKER}` does not define it at its top level"
    return ast.get_source_segment(cells[0], defs[0])


def _notebook_builder(source: str):
    """Run the notebook's definition with what the notebook's setup cell gives it (torch, nn, np)."""
    namespace = {"torch": torch, "nn": nn, "np": np}
    exec(compile(source, f"{NOTEBOOK.name}: build_digits_cnn", "exec"), namespace)
    return namespace["build_digits_cnn"]


@pytest.fixture(scope="module")
def build_digits_cnn():
    return _notebook_builder(_function_source())


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits()
    return torch.from_numpy(X[:64])              # 64 real digits, (64, 1, 8, 8) float32


def _disagreements(ours, theirs, batch) -> list[str]:
    """What differs between two networks: layers, parameter names and shapes, starting weights, scores."""
    found = []
    if str(ours) != str(theirs):
        found.append(f"different layers:\nnotebook 06:\n{ours}\nhelpers.digits_cnn:\n{theirs}")
    shapes = {name: tuple(p.shape) for name, p in ours.state_dict().items()}
    theirs_shapes = {name: tuple(p.shape) for name, p in theirs.state_dict().items()}
    if shapes != theirs_shapes:
        found.append(f"different parameters (name: shape): notebook 06 {shapes}, helpers.digits_cnn {theirs_shapes}")
        return found
    for name, p in ours.state_dict().items():
        if not torch.equal(p, theirs.state_dict()[name]):
            found.append(f"different starting weights in {name}")
    with torch.no_grad():
        a, b = ours.eval()(batch), theirs.eval()(batch)
    if a.shape != b.shape or not torch.equal(a, b):
        found.append(f"different scores for the same digits: shapes {tuple(a.shape)} and {tuple(b.shape)}, "
                     f"largest difference {(a - b).abs().max().item() if a.shape == b.shape else 'n/a'}")
    return found


def test_the_helper_takes_the_notebooks_arguments(build_digits_cnn):
    ours = [(p.name, p.default) for p in inspect.signature(build_digits_cnn).parameters.values()]
    theirs = [(p.name, p.default) for p in inspect.signature(digits_cnn).parameters.values()]
    assert ours == theirs == [("seed", 0), ("relu", True)]


@pytest.mark.parametrize("seed, relu", CASES, ids=[f"seed{s}-{'relu' if r else 'no_relu'}" for s, r in CASES])
def test_the_helper_builds_the_notebooks_network(build_digits_cnn, digits, seed, relu):
    problems = _disagreements(build_digits_cnn(seed=seed, relu=relu), digits_cnn(seed=seed, relu=relu), digits)
    assert not problems, (f"helpers.digits_cnn(seed={seed}, relu={relu}) is not notebook 06's "
                          f"build_digits_cnn(seed={seed}, relu={relu}): " + "; ".join(problems)
                          + ". Change both (the notebook teaches it; helpers/train.py copies it).")


def test_the_defaults_build_the_network_the_notebook_trains(build_digits_cnn, digits):
    assert not _disagreements(build_digits_cnn(), digits_cnn(), digits)
    assert sum(p.numel() for p in build_digits_cnn().parameters()) == 53_002     # the count the notebook states


def test_the_helper_says_where_it_is_taught():
    doc = inspect.getdoc(digits_cnn)
    assert "notebook 06" in doc and "build_digits_cnn" in doc and "test_digits_cnn_agrees" in doc


@pytest.mark.parametrize("change", [
    ("nn.Linear(128, 10)", "nn.Linear(128, 9)"),                                  # another head
    ("nn.MaxPool2d(2)", "nn.AvgPool2d(2)"),                                        # another layer
    ("torch.manual_seed(seed)", "torch.manual_seed(seed + 1)"),                   # other starting weights
    ("if not relu:", "if False:"),                                                # relu=False ignored
])
def test_a_changed_notebook_network_is_caught(digits, change):
    # the comparison is not vacuous: each small edit of the notebook's function makes some case disagree
    old, new = change
    source = _function_source()
    assert old in source, f"the notebook's function no longer contains {old!r}: update this test"
    changed = _notebook_builder(source.replace(old, new, 1))
    assert any(_disagreements(changed(seed=s, relu=r), digits_cnn(seed=s, relu=r), digits) for s, r in CASES)
