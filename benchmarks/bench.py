"""The series' speed figures, measured in one run: `make bench` prints a table and writes build/bench.json.

Ratios and medians, never single wall times: the machines are shared and noisy. Each figure has a bar
(must meet) and a goal (aim for); benchmarks/README.md says what each change bought.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# name: (bar, goal, "<=" or ">=")
TARGETS = {
    "conv2d_vs_torch": (3.0, 1.5, "<="),
    "naive_vs_fast_speedup": (50.0, 200.0, ">="),
    "widget_redraw_ms": (150.0, 50.0, "<="),
    "train_seconds": (30.0, 5.0, "<="),
    "train_test_accuracy": (0.97, 0.97, ">="),
    "series_seconds": (120.0, 60.0, "<="),
    "import_seconds": (1.0, 0.3, "<="),
}


def best_of(fn, repeat=7, number=1):
    fn()                                             # warm up (caches, lazy imports, allocator)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return min(times)


def bench_conv2d_vs_torch():
    import torch
    import torch.nn.functional as F

    import helpers

    torch.set_num_threads(2)
    layers = [((64, 3, 32, 32), (16, 3, 3, 3)), ((32, 16, 16, 16), (32, 16, 3, 3)), ((8, 1, 28, 28), (8, 1, 5, 5))]
    rng = np.random.default_rng(0)
    ratios = {}
    for xs, ws in layers:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)
        ours = best_of(lambda: helpers.conv2d(x, w, padding=1), repeat=15)
        theirs = best_of(lambda: F.conv2d(xt, wt, padding=1), repeat=15)
        ratios[f"{xs}x{ws}"] = ours / theirs
    return max(ratios.values()), ratios


def bench_naive_vs_fast():
    import helpers

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 16, 16))
    w = rng.standard_normal((8, 3, 3, 3))
    naive = best_of(lambda: helpers.conv2d_naive(x, w, padding=1), repeat=3)
    fast = best_of(lambda: helpers.conv2d(x, w, padding=1), repeat=15, number=5)
    return naive / fast, {"naive_ms": naive * 1e3, "fast_ms": fast * 1e3}


def _explorers():
    """Every Explorer subclass in helpers.explorers_* that can be built with its defaults."""
    import helpers
    from helpers.explorer import Explorer

    found = []
    for mod in pkgutil.iter_modules(helpers.__path__):
        if not mod.name.startswith("explorers_"):
            continue
        module = importlib.import_module(f"helpers.{mod.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Explorer) and cls is not Explorer and cls.__module__ == module.__name__:
                found.append((f"{mod.name}.{name}", cls))
    return found


def bench_widget_redraw():
    per = {}
    for name, cls in _explorers():
        try:
            ex = cls()
        except TypeError as err:
            per[name] = f"skipped: needs arguments ({err})"
            continue
        states = ex.benchmark_states() or [ex.default_state()]
        ex.update(**states[0])                       # warm up: first draw lays out text, fonts
        times = []
        for _ in range(3):
            for state in states:
                t = time.perf_counter()
                ex.update(**state)
                times.append(time.perf_counter() - t)
        per[name] = statistics.median(times) * 1e3
    measured = [v for v in per.values() if isinstance(v, float)]
    return (max(measured) if measured else float("nan")), per


def bench_training():
    from helpers.train import train_digits_cnn

    t = time.perf_counter()
    _, _, acc = train_digits_cnn(seed=0, progress=False)
    return time.perf_counter() - t, float(acc)


def bench_series():
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:doctest", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "notebooks"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    return seconds, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]


def bench_import():
    code = "import time; t = time.perf_counter(); import helpers; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return min(runs)


def verdict(key, value):
    bar, goal, op = TARGETS[key]
    ok = (lambda a, b: a <= b) if op == "<=" else (lambda a, b: a >= b)
    if value != value:                               # NaN: not measured
        return "not measured"
    return "goal met" if ok(value, goal) else ("bar met" if ok(value, bar) else "MISSES BAR")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv                        # skip the whole-series nbval run
    results, details = {}, {}
    results["import_seconds"] = bench_import()
    results["conv2d_vs_torch"], details["conv2d_vs_torch"] = bench_conv2d_vs_torch()
    results["naive_vs_fast_speedup"], details["naive_vs_fast_speedup"] = bench_naive_vs_fast()
    results["widget_redraw_ms"], details["widget_redraw_ms"] = bench_widget_redraw()
    try:
        results["train_seconds"], results["train_test_accuracy"] = bench_training()
    except ImportError as err:
        results["train_seconds"] = results["train_test_accuracy"] = float("nan")
        details["train"] = f"not measured: {err}"
    if quick:
        results["series_seconds"] = float("nan")
    else:
        results["series_seconds"], details["series_seconds"] = bench_series()

    rows = [("figure", "value", "bar", "goal", "verdict")]
    for key, (bar, goal, op) in TARGETS.items():
        v = results[key]
        rows.append((key, f"{v:.3g}", f"{op} {bar:g}", f"{op} {goal:g}", verdict(key, v)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows))
    print("\ndetails:")
    for k, v in details.items():
        print(f"  {k}: {v}")
    out = ROOT / "build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"results": results, "details": {k: str(v) for k, v in details.items()},
                               "targets": {k: {"bar": b, "goal": g, "direction": o} for k, (b, g, o) in
                                           TARGETS.items()}}, indent=2))
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
