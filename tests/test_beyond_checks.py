"""helpers.beyond_checks: notebook 09's three student exercises, their checks, and the series' own versions.

The series' versions are tested against oracles that do not share their code: PyTorch's Linear on a flattened
block and slid over a map by hand, NumPy's concatenate, and sampling loops whose outcome can be worked out
(models that remove all, none or half of their input). The checks are tested against the typical wrong answers
(each rejected, its mistake named, never an exception) and the notebook's own solutions (accepted). The
notebook's solution cells and the helpers' versions are kept equal here, and the meta-device parameter counts
of section 6 are compared with the published ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from helpers import count_params  # noqa: E402
from helpers.beyond_checks import (  # noqa: E402
    check_generate_from_noise,
    check_linear_to_conv,
    check_skip_concat,
    linear_as_conv,
    reference_skip_concat,
    sample_from_noise,
    yours_or_ours,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "09_beyond_classification.ipynb"
SOLUTION_IDS = {"linear_to_conv": "9b1e0302", "SkipConcat": "9b1e0702", "generate_from_noise": "9b1e1102"}


def _cell(cell_id):
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return next("".join(c["source"]) for c in cells if c.get("id") == cell_id)


def _denoise(model, noisy):
    with torch.no_grad():
        return noisy - model(torch.from_numpy(noisy)).numpy()


def _notebook_namespace():
    """The notebook's three solutions and the code they need (denoise, TinyUNet), run in a fresh namespace."""
    ns = {"np": np, "torch": torch, "nn": nn}
    exec(_cell("a8976a68"), ns)                          # denoise  # noqa: S102
    for cell_id in SOLUTION_IDS.values():
        exec(_cell(cell_id), ns)                         # noqa: S102
    exec(_cell("042f0e66"), ns)                          # conv_block, TinyUNet  # noqa: S102
    return ns


# --------------------------------------------------------------------------- linear_as_conv
@pytest.mark.parametrize("c,k,out", [(16, 2, 32), (3, 3, 5), (8, 1, 4), (2, 4, 3)])
def test_linear_as_conv_gives_the_linear_on_a_block_and_slid_over_a_map(c, k, out):
    torch.manual_seed(c * 10 + k)
    linear = nn.Linear(c * k * k, out)
    conv = linear_as_conv(linear, c, k)
    assert isinstance(conv, nn.Conv2d) and tuple(conv.weight.shape) == (out, c, k, k)
    x = torch.randn(2, c, k + 3, k + 1)
    with torch.no_grad():
        got = conv(x)
        for i in range(4):                              # the oracle: the Linear on each flattened block, by hand
            for j in range(2):
                want = linear(x[:, :, i:i + k, j:j + k].reshape(2, -1))
                assert torch.allclose(got[:, :, i, j], want, atol=1e-5)


def test_linear_as_conv_refuses_what_does_not_fit():
    with pytest.raises(TypeError, match="linear must be a torch.nn.Linear"):
        linear_as_conv(nn.Conv2d(1, 1, 1), 1, 1)
    with pytest.raises(ValueError, match="in_channels·kernel_size² must be linear.in_features"):
        linear_as_conv(nn.Linear(64, 2), 16, 3)


# --------------------------------------------------------------------------- check_linear_to_conv
def _conv_with(weight_of, *, bias="copy", kernel=None, channels=None, no_grad=True):
    def fn(linear, in_channels, kernel_size):
        k = kernel_size if kernel is None else kernel
        c = in_channels if channels is None else channels
        conv = nn.Conv2d(c, linear.out_features, k, bias=bias is not None)
        context = torch.no_grad() if no_grad else torch.enable_grad()
        with context:
            w = weight_of(linear, c, k)
            if w is not None:
                conv.weight.copy_(w)
            if bias == "copy":
                conv.bias.copy_(linear.bias)
        return conv
    return fn


def _right_weight(linear, c, k):
    return linear.weight.reshape(linear.out_features, c, k, k)


LINEAR_MISTAKES = {
    "channels last": (_conv_with(lambda l, c, k: l.weight.reshape(l.out_features, k, k, c).permute(0, 3, 1, 2)),
                      ["channels-last"]),
    "transposed": (_conv_with(lambda l, c, k: l.weight.T.reshape(l.out_features, c, k, k)), ["transposed"]),
    "rows and columns": (_conv_with(lambda l, c, k: _right_weight(l, c, k).transpose(2, 3)), ["rows and columns"]),
    "not copied": (_conv_with(lambda l, c, k: None, bias="fresh"), ["not the Linear's", "random"]),
    "bias forgotten": (_conv_with(_right_weight, bias="fresh"), ["bias", "random"]),
    "no bias": (_conv_with(_right_weight, bias=None), ["bias=False"]),
    "1×1 kernel over all features": (
        lambda l, c, k: linear_as_conv(l, l.in_features, 1), ["kernel_size", "whole"]),
    "kernel 1, block channels": (_conv_with(_right_weight, kernel=1), ["raised", "kernel size"]),
    "no torch.no_grad": (_conv_with(_right_weight, no_grad=False), ["torch.no_grad()"]),
    "the Linear itself": (lambda l, c, k: l, ["nn.Conv2d"]),
    "a tensor": (lambda l, c, k: _right_weight(l, c, k), ["nn.Conv2d"]),
}


@pytest.mark.parametrize("mistake", LINEAR_MISTAKES)
def test_check_linear_to_conv_names_each_mistake(mistake):
    fn, words = LINEAR_MISTAKES[mistake]
    verdict = check_linear_to_conv(fn)
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (word, verdict.message)


def test_check_linear_to_conv_accepts_the_reference_and_the_notebooks_solution_and_waits_for_the_stub():
    assert check_linear_to_conv(linear_as_conv).ok is True
    assert check_linear_to_conv(_notebook_namespace()["linear_to_conv"]).ok is True
    assert check_linear_to_conv(lambda linear, c, k: None).ok is None
    assert check_linear_to_conv(None).ok is None
    assert check_linear_to_conv("conv").ok is False


def test_check_linear_to_conv_names_a_stride_and_leaves_torchs_random_state_alone():
    def strided(linear, c, k):
        conv = linear_as_conv(linear, c, k)
        conv.stride = (2, 2)
        return conv

    state = torch.get_rng_state()
    verdict = check_linear_to_conv(strided)
    assert verdict.ok is False and "stride" in verdict.message
    assert torch.equal(state, torch.get_rng_state())


# --------------------------------------------------------------------------- SkipConcat
def _skip_class(body):
    ns = {"torch": torch, "nn": nn, "np": np}
    exec(f"class SkipConcat(nn.Module):\n    def forward(self, up, skip):\n        return {body}\n", ns)  # noqa: S102
    return ns["SkipConcat"]


def test_reference_skip_concat_stacks_the_upsampled_maps_first():
    up, skip = np.arange(2 * 3 * 2 * 2.0).reshape(2, 3, 2, 2), -np.arange(2 * 1 * 2 * 2.0).reshape(2, 1, 2, 2)
    got = reference_skip_concat()()(torch.tensor(up), torch.tensor(skip)).numpy()
    assert np.array_equal(got, np.concatenate([up, skip], axis=1))      # the oracle: NumPy's concatenate


SKIP_MISTAKES = {
    "batch axis": ("torch.cat([up, skip])", ["batch", "dim=1"]),
    "height axis": ("torch.cat([up, skip], dim=2)", ["height"]),
    "width axis": ("torch.cat([up, skip], dim=-1)", ["width"]),
    "added": ("up + skip", ["added", "torch.cat"]),
    "order swapped": ("torch.cat([skip, up], dim=1)", ["order", "upsampled maps first"]),
    "skip missing": ("up", ["missing"]),
    "encoder only": ("skip", ["only the encoder"]),
    "stack": ("torch.stack([up, skip], dim=1)", ["torch.stack"]),
    "no list": ("torch.cat(up, skip)", ["raised", "list"]),
    "numpy": ("np.concatenate([up.numpy(), skip.numpy()], axis=1)", ["tensor"]),
}


@pytest.mark.parametrize("mistake", SKIP_MISTAKES)
def test_check_skip_concat_names_each_mistake(mistake):
    body, words = SKIP_MISTAKES[mistake]
    verdict = check_skip_concat(_skip_class(body), _notebook_namespace()["TinyUNet"])
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (word, verdict.message)


def test_adding_maps_of_different_channel_counts_is_explained():
    up, skip = torch.zeros(1, 3, 4, 4), torch.zeros(1, 5, 4, 4)
    from helpers.beyond_checks import _skip_error_cause

    try:
        up + skip
    except RuntimeError as error:
        text = f"RuntimeError: {error}"
    assert "You added the maps" in _skip_error_cause(text, up, skip)


def test_check_skip_concat_accepts_the_notebooks_layer_inside_its_unet_and_waits_for_the_stub():
    ns = _notebook_namespace()
    assert check_skip_concat(ns["SkipConcat"], ns["TinyUNet"]).ok is True
    assert check_skip_concat(reference_skip_concat()).ok is True
    assert check_skip_concat(_skip_class("None")).ok is None
    assert check_skip_concat(None).ok is None
    assert check_skip_concat(3).ok is False


def test_check_skip_concat_tries_the_layer_inside_the_unet_too():
    ns = _notebook_namespace()
    # right on the small maps the check tries first, swapped on wider ones such as the U-Net's
    tricky = _skip_class("torch.cat([up, skip] if up.shape[-1] < 10 else [skip, up], dim=1)")
    verdict = check_skip_concat(tricky, ns["TinyUNet"])
    assert verdict.ok is False and "in a U-Net" in verdict.message
    assert check_skip_concat(tricky).ok is True            # without the U-Net the small maps cannot tell


# --------------------------------------------------------------------------- the sampling loop
class _Scale(nn.Module):
    """A "model" that predicts the fraction `f` of its input as noise: denoise leaves (1 − f)·input."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f * x


def test_sample_from_noise_with_models_whose_outcome_is_known():
    # a model that predicts no noise, no fresh noise: step 1 clips the start, later steps keep it
    t = sample_from_noise(_Scale(0.0), n=2, steps=3, seed=4, sigma=0.0)
    start = np.random.default_rng(4).standard_normal((2, 1, 8, 8), dtype=np.float32)
    assert t.shape == (4, 2, 1, 8, 8) and t.dtype == np.float32
    assert np.array_equal(t[0], start) and all(np.array_equal(t[k], np.clip(start, 0, 1)) for k in (1, 2, 3))
    # a model that calls everything noise: every step is black
    assert not sample_from_noise(_Scale(1.0), n=3, steps=2, seed=0).any(axis=(1, 2, 3, 4))[1:].any()
    # half is noise, no fresh noise: x_k = clip(x_0 / 2^k) (once clipped to [0, 1], halving stays inside)
    t = sample_from_noise(_Scale(0.5), n=2, steps=4, seed=1, size=5, sigma=0.0)
    start = np.random.default_rng(1).standard_normal((2, 1, 5, 5), dtype=np.float32)
    assert all(np.allclose(t[k], np.clip(start / 2 ** k, 0, 1)) for k in range(1, 5))


def test_sample_from_noise_draws_the_fresh_noise_from_one_generator_in_order():
    # a model that predicts no noise: each step's increment, before clipping, is sigma times the next draws
    sigma, n, size = 0.25, 2, 4
    t = sample_from_noise(_Scale(0.0), n=n, steps=2, seed=7, size=size, sigma=sigma)
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((n, 1, size, size), dtype=np.float32)
    d1 = rng.standard_normal((n, 1, size, size), dtype=np.float32)
    d2 = rng.standard_normal((n, 1, size, size), dtype=np.float32)
    x1 = np.clip(x0 + sigma * d1, 0, 1)
    assert np.allclose(t[1], x1) and np.allclose(t[2], np.clip(x1 + sigma * d2, 0, 1))


def test_sample_from_noise_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="n"):
        sample_from_noise(_Scale(0.5), n=0, steps=2)
    with pytest.raises(ValueError, match="sigma"):
        sample_from_noise(_Scale(0.5), n=1, steps=2, sigma=-1)


LOOP = '''
def generate_from_noise(model, n, steps, seed=0, size=8, sigma=0.4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, size, size), dtype=np.float32)
    trajectory = [x]
    for _ in range(steps):
        x = np.clip(denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32)), 0, 1)
        trajectory.append(x)
    return np.stack(trajectory)
'''
LOOP_MISTAKES = {
    "x not updated": ([("x = np.clip(denoise(", "y = np.clip(denoise("),
                       ("trajectory.append(x)", "trajectory.append(y)")], ["starts again from the starting noise"]),
    "generator in the loop": ([("    for _ in range(steps):\n",
                                "    for _ in range(steps):\n        rng = np.random.default_rng(seed)\n")],
                              ["new generator", "same noise"]),
    "no clip": ([("np.clip(denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32)), 0, 1)",
                  "denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32))")], ["clip"]),
    "no fresh noise": ([("denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32))",
                         "denoise(model, x)")], ["fresh noise"]),
    "noise after": ([("np.clip(denoise(model, x + sigma * rng.standard_normal(x.shape, dtype=np.float32)), 0, 1)",
                      "np.clip(denoise(model, x), 0, 1) + sigma * rng.standard_normal(x.shape, dtype=np.float32)")],
                    ["not after"]),
    "sigma ignored": ([("x + sigma * rng", "x + rng")], ["multiply", "sigma"]),
    "sigma fixed": ([("x + sigma * rng", "x + 0.4 * rng")], ["argument sigma"]),
    "one step too few": ([("range(steps)", "range(steps - 1)")], ["off by one", "too few"]),
    "one step too many": ([("range(steps)", "range(steps + 1)")], ["off by one", "too many"]),
    "no start": ([("trajectory = [x]", "trajectory = []")], ["starts with the pure noise"]),
    "last only": ([("return np.stack(trajectory)", "return x")], ["whole trajectory"]),
    "float64": ([("rng.standard_normal((n, 1, size, size), dtype=np.float32)",
                  "rng.standard_normal((n, 1, size, size))"),
                 ("rng.standard_normal(x.shape, dtype=np.float32)", "rng.standard_normal(x.shape)")], ["float32"]),
    "unseeded": ([("np.random.default_rng(seed)", "np.random.default_rng()")], ["same seed"]),
    "other start": ([("rng.standard_normal((n, 1, size, size), dtype=np.float32)",
                      "rng.normal(0, 1, (n, 1, size, size)).astype(np.float32)")], ["starting noise"]),
    "other draws": ([("sigma * rng.standard_normal(x.shape, dtype=np.float32)",
                      "rng.normal(0, sigma, x.shape).astype(np.float32)")], ["step 1 differs"]),
    "signature": ([("seed=0, size=8, sigma=0.4)", "seed=0, size=8)")], ["signature"]),
    "raises": ([("return np.stack(trajectory)", "return np.stack(trajectory, axis=5)")], ["raised"]),
}


def _loop(replacements):
    src = LOOP
    for old, new in replacements:
        assert old in src
        src = src.replace(old, new)
    ns = {"np": np, "denoise": _denoise}
    exec(src, ns)  # noqa: S102
    return ns["generate_from_noise"]


@pytest.mark.parametrize("mistake", LOOP_MISTAKES)
def test_check_generate_from_noise_names_each_mistake(mistake):
    replacements, words = LOOP_MISTAKES[mistake]
    verdict = check_generate_from_noise(_loop(replacements))
    assert verdict.ok is False, verdict
    for word in words:
        assert word.lower() in verdict.message.lower(), (word, verdict.message)


def test_check_generate_from_noise_accepts_right_loops_and_waits_for_the_stub():
    assert check_generate_from_noise(sample_from_noise).ok is True
    assert check_generate_from_noise(_loop([])).ok is True
    assert check_generate_from_noise(_loop([("return np.stack(trajectory)", "return trajectory")])).ok is True
    assert check_generate_from_noise(_notebook_namespace()["generate_from_noise"]).ok is True
    assert check_generate_from_noise(lambda *a, **k: None).ok is None
    assert check_generate_from_noise(None).ok is None


# --------------------------------------------------------------------------- the notebook's solutions = the helpers'
def test_the_notebooks_solutions_compute_what_the_helpers_versions_compute():
    ns = _notebook_namespace()
    torch.manual_seed(0)
    linear = nn.Linear(16 * 2 * 2, 32)
    mine, ours = ns["linear_to_conv"](linear, 16, 2), linear_as_conv(linear, 16, 2)
    assert torch.equal(mine.weight, ours.weight) and torch.equal(mine.bias, ours.bias)
    assert (mine.kernel_size, mine.stride, mine.padding) == (ours.kernel_size, ours.stride, ours.padding)
    up, skip = torch.randn(2, 8, 16, 16), torch.randn(2, 8, 16, 16)
    assert torch.equal(ns["SkipConcat"]()(up, skip), reference_skip_concat()()(up, skip))
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    for kwargs in ({}, {"sigma": 0.0}, {"seed": 3, "size": 6, "sigma": 0.2}):
        mine, ours = ns["generate_from_noise"](model, 3, 5, **kwargs), sample_from_noise(model, 3, 5, **kwargs)
        assert np.array_equal(mine, ours)


def test_the_notebooks_fallbacks_name_the_helpers_versions():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for call in ('yours_or_ours("linear_to_conv", linear_to_conv, linear_as_conv, check_linear_to_conv)',
                 'yours_or_ours("SkipConcat", SkipConcat, reference_skip_concat(), check_skip_concat, TinyUNet)',
                 'yours_or_ours("generate_from_noise", generate_from_noise, sample_from_noise,'):
        assert call in text


# --------------------------------------------------------------------------- yours_or_ours
def test_yours_or_ours_keeps_a_passing_version_and_replaces_the_others_with_a_line(capsys):
    assert yours_or_ours("linear_to_conv", linear_as_conv, "ours", check_linear_to_conv) is linear_as_conv
    assert capsys.readouterr().out == ""
    assert yours_or_ours("linear_to_conv", lambda l, c, k: None, linear_as_conv, check_linear_to_conv) is linear_as_conv
    said = capsys.readouterr().out
    assert said.startswith("⏳ linear_to_conv is not written yet") and "helpers.beyond_checks" in said
    assert yours_or_ours("linear_to_conv", lambda l, c, k: l, linear_as_conv, check_linear_to_conv) is linear_as_conv
    assert capsys.readouterr().out.startswith("❌ linear_to_conv does not pass its check yet")
    with pytest.raises(TypeError, match="check must be"):
        yours_or_ours("f", None, None, "check")


def test_the_checks_never_raise_under_grading_when_called_by_yours_or_ours(monkeypatch, capsys):
    from helpers.grading import GRADING_VARIABLE

    monkeypatch.setenv(GRADING_VARIABLE, "1")
    assert yours_or_ours("linear_to_conv", None, linear_as_conv, check_linear_to_conv) is linear_as_conv
    with pytest.raises(AssertionError, match="Not answered yet"):
        check_linear_to_conv(None)


# --------------------------------------------------------------------------- section 6: counts on the meta device
@pytest.mark.timeout(120)
def test_torchvision_networks_built_on_the_meta_device_have_the_published_counts():
    models = pytest.importorskip("torchvision.models")
    with torch.device("meta"):
        nets = {"alexnet": models.alexnet(weights=None), "vgg16": models.vgg16(weights=None),
                "resnet18": models.resnet18(weights=None), "resnet152": models.resnet152(weights=None)}
    assert all(p.is_meta for net in nets.values() for p in net.parameters())
    # the counts torchvision's model pages publish for these architectures (no weights needed to count)
    published = {"alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512, "resnet152": 60_192_808}
    assert {name: count_params(net) for name, net in nets.items()} == published
    assert count_params(models.resnet18(weights=None)) == published["resnet18"]      # allocated: the same
