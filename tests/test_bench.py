"""benchmarks/bench.py in its --smoke mode, and the fast code paths it times, against torch.

No timing is asserted here (the machines are shared and noisy): `make bench` reports the times. These
tests check that every figure's code path runs and reports, and that conv2d, conv1d and max_pool2d
compute the right numbers on the benchmark's inputs and other large ones (torch is the oracle).
"""

import importlib.util
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import helpers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- the benchmark runs
def test_smoke_run_reports_every_figure(bench, tmp_path):
    out = tmp_path / "bench.json"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    results, details = report["results"], report["details"]
    assert set(results) == set(bench.TARGETS) == set(report["targets"])
    for key in ("conv2d_vs_torch", "naive_vs_fast_speedup", "widget_redraw_ms", "import_seconds"):
        assert isinstance(results[key], float) and math.isfinite(results[key]) and results[key] > 0, key
    for key in ("train_seconds", "series_seconds"):          # not run in smoke mode, and said so
        assert results[key] is None
        assert "not measured" in details[key]
    # every layer of the conv figure is reported, with the threads it ran on (one each)
    assert len([k for k in details["conv2d_vs_torch"] if "padding" in k]) == len(bench.LAYERS)
    assert details["conv2d_vs_torch"]["threads"].startswith("torch 1;")
    assert "OPENBLAS_NUM_THREADS=1" in details["conv2d_vs_torch"]["threads"]
    # every explorer module is searched, every explorer reported, and the figure is the worst one
    found = bench.explorers()
    modules = sorted(p.stem for p in (ROOT / "helpers" / "explorers").glob("*.py")
                     if p.stem not in ("__init__", "base", "animation"))        # a module per explorer
    assert sorted({name.split(".")[0] for name, _ in found}) == modules
    per = details["widget_redraw_ms"]
    assert set(per) == {name for name, _ in found}
    medians = [float(v.split()[0]) for v in per.values() if not v.startswith("not measured")]
    assert results["widget_redraw_ms"] == pytest.approx(max(medians), abs=0.05)


@pytest.mark.slow
def test_training_figure_trains_notebook_06s_network_to_97_percent(bench):
    # the figure the smoke run leaves out: notebook 06's training, as the notebook runs it
    wall, accuracy, detail = bench.bench_training()
    assert wall > 0 and re.fullmatch(r"[\d.]+ s wall, [\d.]+ s CPU", detail)
    assert accuracy >= 0.97                   # the figure's bar, and what notebook 06 asserts after training


def test_verdicts_follow_bar_and_goal(bench):
    assert bench.verdict("conv2d_vs_torch", 1.2) == "goal met"
    assert bench.verdict("conv2d_vs_torch", 2.0) == "bar met"
    assert bench.verdict("conv2d_vs_torch", 3.5) == "MISSES BAR"
    assert bench.verdict("naive_vs_fast_speedup", 300.0) == "goal met"
    assert bench.verdict("naive_vs_fast_speedup", 150.0) == "MISSES BAR"
    assert bench.verdict("series_seconds", math.nan) == "not measured"


def test_interleaved_times_every_function_in_turns(bench):
    calls = []
    t = bench.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]     # warm-up, then turns, order alternating
    assert [len(v) for v in t.values()] == [3, 3]


# ----------------------------------------------------------------------------- the fast paths vs torch
def torch_conv2d(x, w, b=None, **kw):
    t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))
    return F.conv2d(t(x), t(w), t(b), **kw).numpy()


@pytest.mark.parametrize("xs, ws", [((64, 3, 32, 32), (16, 3, 3, 3)), ((32, 16, 16, 16), (32, 16, 3, 3)),
                                    ((8, 1, 28, 28), (8, 1, 5, 5))])
def test_benchmark_layers_match_torch_in_float32(xs, ws):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    out = helpers.conv2d(x, w, b, padding=ws[-1] // 2)
    assert out.dtype == np.float32 and out.flags.c_contiguous     # float32 stays float32, no copy needed
    np.testing.assert_allclose(out, torch_conv2d(x, w, b, padding=ws[-1] // 2), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (1, 0, 1), (2, 1, 1), (1, 2, 2), ((1, 2), 1, 1),
                                                       ((2, 1), (0, 2), (1, 2)), (3, 2, 1)])
def test_a_large_batch_matches_torch(stride, padding, dilation):
    # 37 images of 24×24 with 5 channels, in one call: the whole batch goes through one matrix product
    n, c_in, c_out, k, size = 37, 5, 6, 3, 24
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c_in, size, size))
    w = rng.standard_normal((c_out, c_in, k, k))
    b = rng.standard_normal(c_out)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(helpers.conv2d(x, w, b, **kw), torch_conv2d(x, w, b, **kw), rtol=1e-10, atol=1e-10)


def test_integers_stay_exact_in_a_large_batch():
    rng = np.random.default_rng(2)
    x = rng.integers(-9, 10, (40, 4, 20, 20))
    w = rng.integers(-3, 4, (5, 4, 3, 3))
    b = rng.integers(-5, 6, 5)
    out = helpers.conv2d(x, w, b, padding=1)
    assert out.dtype == np.int64
    expected = torch_conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), padding=1)
    assert np.array_equal(out, expected.astype(np.int64))     # small integers: float64 torch is exact


def test_a_nan_reaches_only_the_outputs_whose_windows_hold_it():
    # NaN in the last input column must not leak into windows of the next row
    x = np.zeros((3, 2, 6, 7))
    x[:, :, :, -1] = np.nan
    w = np.ones((1, 2, 3, 3))
    out = helpers.conv2d(x, w)
    np.testing.assert_array_equal(out[..., :-1], 0.0)
    assert np.isnan(out[..., -1]).all()
    np.testing.assert_array_equal(out, torch_conv2d(x, w))


@pytest.mark.parametrize("padding, dilation", [(0, 1), (3, 1), (2, 3)])
def test_long_signal_conv1d_matches_torch(padding, dilation):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3, 5000))
    w = rng.standard_normal((4, 3, 7))
    b = rng.standard_normal(4)
    expected = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=padding,
                        dilation=dilation).numpy()
    np.testing.assert_allclose(helpers.conv1d(x, w, b, padding=padding, dilation=dilation), expected,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), 1, (1, 1)), (4, 3, 2)])
def test_max_pool_on_a_large_batch_matches_torch_exactly(kernel, stride, padding):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 8, 33, 30)).astype(np.float32)
    expected = F.max_pool2d(torch.from_numpy(x), kernel, stride, padding).numpy()
    out = helpers.max_pool2d(x, kernel, stride, padding)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    ints = rng.integers(-100, 100, (4, 3, 17, 19))
    expected = F.max_pool2d(torch.from_numpy(ints.astype(np.float64)), kernel, stride, padding).numpy()
    assert np.array_equal(helpers.max_pool2d(ints, kernel, stride, padding), expected.astype(np.int64))
