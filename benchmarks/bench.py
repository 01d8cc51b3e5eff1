"""The series' speed figures, measured in one run: `make bench` prints a table and writes build/bench.json.

Ratios, minima and medians, never single wall times: the machines are shared and noisy. Two things that
are compared are timed in turns (A, B, A, B, …) so that load hits both alike. Each figure has a bar
(must meet) and a goal (aim for); benchmarks/README.md says what each change bought.

    python benchmarks/bench.py            # everything (the whole-series nbval run takes minutes)
    python benchmarks/bench.py --quick    # everything but the series run
    python benchmarks/bench.py --smoke    # every code path once, tiny and fast, for tests/test_bench.py
    python benchmarks/bench.py --out PATH # write the JSON there instead of build/bench.json
    python benchmarks/bench.py --conv-one-thread ROUNDS   # (internal) the conv2d ratios as JSON
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# name: (bar, goal, "<=" or ">=")
TARGETS = {
    "conv2d_vs_torch": (3.0, 1.5, "<="),
    "naive_vs_fast_speedup": (200.0, 200.0, ">="),
    "widget_redraw_ms": (150.0, 50.0, "<="),
    "train_seconds": (30.0, 5.0, "<="),
    "train_test_accuracy": (0.97, 0.97, ">="),
    "series_seconds": (120.0, 60.0, "<="),
    "import_seconds": (1.0, 0.3, "<="),
    "numpy_notebook_start_seconds": (1.0, 1.0, "<="),
}

# the NumPy notebook whose start is timed, and its first code cells that run: the setup cell and the imports
NUMPY_NOTEBOOK = ROOT / "notebooks" / "02_conv2d_by_hand.ipynb"
NUMPY_START_CELLS = 2

# the three layers of the conv2d figure: x shape, w shape; padding k // 2 keeps the size, as in most CNNs
LAYERS = [((64, 3, 32, 32), (16, 3, 3, 3)), ((32, 16, 16, 16), (32, 16, 3, 3)), ((8, 1, 28, 28), (8, 1, 5, 5))]


# --------------------------------------------------------------------------- timing
def interleaved(fns, rounds, clock=time.perf_counter, block=1):
    """Time every function ``rounds`` times, in turns of ``block`` calls each (the order reversed every other turn).

    Returns {name: list of seconds}. Each function runs once first, untimed (caches, lazy imports).
    With ``block`` > 1 a function also runs right after itself, not only after the other one: the thread
    pools that torch and OpenBLAS leave spinning for a while after a call then slow down only the first
    call of a turn, and the minimum is taken over calls that nothing of the other's got in the way of.
    """
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    names = list(fns)
    for turn in range(-(-rounds // block)):
        for name in (names if turn % 2 == 0 else names[::-1]):
            for _ in range(min(block, rounds - turn * block)):
                t = clock()
                fns[name]()
                times[name].append(clock() - t)
    return times


def environment():
    """What the numbers depend on: BLAS, thread settings, load."""
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    return {
        "numpy": f"{np.__version__}, BLAS {blas.get('name')} {blas.get('version')}",
        "cpus": os.cpu_count(),
        "load_average": [round(v, 1) for v in os.getloadavg()],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "unset"),
        # `make bench` unsets it: torch's conv2d is timed with OpenMP's default (threads spin briefly
        # between calls); the Makefile's PASSIVE makes them sleep, and torch's 2-thread conv 2x slower
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "unset"),
    }


# --------------------------------------------------------------------------- the figures
def bench_conv2d_vs_torch(rounds=150):
    """Worst over LAYERS of best(helpers.conv2d) / best(torch conv2d): float32, with bias, one thread each, CPU time.

    Runs in a fresh process (``--conv-one-thread``) with OPENBLAS_NUM_THREADS=1 (numpy's BLAS reads it only
    when numpy loads) and torch.set_num_threads(1): the same resources for both, and CPU time, which other
    jobs on a shared machine skew far less than wall time.
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, "--conv-one-thread", str(rounds)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True, timeout=1800)
    worst, details = json.loads(proc.stdout.strip().splitlines()[-1])
    return worst, details


def conv2d_one_thread(rounds, clock=time.process_time):
    """The child process of :func:`bench_conv2d_vs_torch`: (worst ratio, details per layer)."""
    import torch
    import torch.nn.functional as F

    import helpers

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    ratios, details = {}, {}
    for xs, ws in LAYERS:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        p = ws[-1] // 2
        xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        t = interleaved({"ours": partial(helpers.conv2d, x, w, b, padding=p),
                         "torch": partial(F.conv2d, xt, wt, bt, padding=p)}, rounds, clock, block=3)
        name = f"{xs}x{ws} padding {p}"
        ratios[name] = min(t["ours"]) / min(t["torch"])
        details[name] = (f"{ratios[name]:.2f} (ours {min(t['ours']) * 1e3:.3f} ms, torch "
                         f"{min(t['torch']) * 1e3:.3f} ms CPU; ratio of medians "
                         f"{statistics.median(t['ours']) / statistics.median(t['torch']):.2f})")
    details["threads"] = (f"torch {torch.get_num_threads()}; numpy's BLAS OPENBLAS_NUM_THREADS="
                          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    return max(ratios.values()), details


def bench_naive_vs_fast(rounds=15):
    """conv2d_naive / conv2d on a small float64 batch (the loops of notebook 02 against im2col)."""
    import helpers

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 16, 16))
    w = rng.standard_normal((8, 3, 3, 3))
    fast = partial(helpers.conv2d, x, w, padding=1)

    def fast_10_times():                          # one fast call is too short to time alone
        for _ in range(10):
            fast()

    t = interleaved({"naive": partial(helpers.conv2d_naive, x, w, padding=1), "fast x10": fast_10_times}, rounds)
    naive, fast = min(t["naive"]), min(t["fast x10"]) / 10
    return naive / fast, {"naive_ms": round(naive * 1e3, 3), "fast_ms": round(fast * 1e3, 4)}


def explorers():
    """Every Explorer subclass defined in a module of the helpers.explorers package, as (name, class)."""
    import helpers.explorers
    from helpers.explorers import Explorer

    found = []
    for mod in pkgutil.iter_modules(helpers.explorers.__path__):
        module = importlib.import_module(f"helpers.explorers.{mod.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Explorer) and cls is not Explorer and cls.__module__ == module.__name__:
                found.append((f"{mod.name}.{name}", cls))
    return found


def bench_widget_redraw(repeats=3, max_states=None):
    """Worst explorer's median time of one control change with the figure update, ex.update(**state).

    Each explorer is built with its defaults (one that cannot be is reported, not measured). The details
    also give the median CPU time of the same updates: what a redraw costs on an idle machine.
    """
    per, measured = {}, []
    for name, cls in explorers():
        try:
            ex = cls()
        except Exception as err:                  # any explorer that cannot be built is reported
            per[name] = f"not measured: cannot be built with its defaults ({type(err).__name__}: {err})"
            continue
        states = (ex.benchmark_states() or [ex.default_state()])[:max_states]
        ex.update(**states[0])                    # warm up: the first draw lays out text, loads fonts
        wall, cpu = [], []
        for _ in range(repeats):
            for state in states:
                t, c = time.perf_counter(), time.process_time()
                ex.update(**state)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
        median = statistics.median(wall) * 1e3
        measured.append(median)
        per[name] = f"{median:.1f} ms (CPU {statistics.median(cpu) * 1e3:.1f} ms, {len(states)} states)"
    return (max(measured) if measured else math.nan), per


def bench_training():
    """Notebook 06's training cell (section 4), as the notebook runs it: wall seconds, test accuracy, CPU time.

    ``helpers.digits_cnn(seed=0)`` (the copy of the notebook's network) trained by ``helpers.fit`` on the
    1,347 training digits of the 75/25 split, with the notebook's DIGITS_EPOCHS, DIGITS_BATCH_SIZE and
    DIGITS_LR, on the CPU with torch on one thread (fit's default), measuring the test accuracy after every
    epoch; then ``evaluate`` on the 450 test digits. Loading the data is not timed.
    """
    from helpers import digits_cnn, evaluate, fit, load_digits, train_test_split
    from helpers.train import DIGITS_BATCH_SIZE, DIGITS_EPOCHS, DIGITS_LR

    X, y = load_digits()
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.25, seed=0)
    t, c = time.perf_counter(), time.process_time()
    model = digits_cnn(seed=0)
    fit(model, X_train, y_train, X_test, y_test, epochs=DIGITS_EPOCHS, batch_size=DIGITS_BATCH_SIZE, lr=DIGITS_LR,
        seed=0, device="cpu", progress=False)
    acc = evaluate(model, X_test, y_test)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return wall, float(acc), f"{wall:.1f} s wall, {cpu:.1f} s CPU"


def bench_series(notebooks="notebooks"):
    """Wall time of strict nbval over the notebooks, as `make nbval` runs it; details name the slowest."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-o", "addopts=-p no:cacheprovider", "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
           "--durations=0", "--durations-min=0", notebooks]
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_WAIT_POLICY="PASSIVE",     # as the Makefile sets them
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t
    per_notebook = defaultdict(float)
    for secs, nb in re.findall(r"^([\d.]+)s \w+\s+(\S+\.ipynb)::", proc.stdout, flags=re.M):
        per_notebook[Path(nb).stem] += float(secs)
    lines = proc.stdout.strip().splitlines()
    slowest = sorted(per_notebook.items(), key=lambda kv: -kv[1])[:4]
    return seconds, {"result": lines[-1] if lines else proc.stderr[-300:],
                     "slowest notebooks (s)": {k: round(v, 1) for k, v in slowest}}


def bench_import(runs=5):
    """`import helpers` in a fresh process: the best of a few runs."""
    code = "import time; t = time.perf_counter(); import helpers; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  cwd=ROOT).stdout) for _ in range(runs)]
    return min(times), f"median {statistics.median(times):.3f} s of {runs}"


def bench_numpy_notebook_start(runs=5):
    """A NumPy notebook's start without torch: a fresh python3 kernel, then notebook 02's setup and import cells.

    Each run starts a kernel with ``jupyter_client``'s ``KernelManager`` (the python3 kernel of this
    environment's python) in notebooks/, waits until it is ready and runs the first ``NUMPY_START_CELLS`` code
    cells of ``NUMPY_NOTEBOOK``; the wall time from the start to the last cell's reply is one sample. torch is
    hidden from the kernel, as after `pip install .` without the torch extra: a folder first on PYTHONPATH
    holds a ``torch`` whose import raises ModuleNotFoundError. After the timed part each run asserts that
    torch is not in the kernel's ``sys.modules``, and reads the kernel process's own CPU time. Returns the
    median wall time and the details.
    """
    import tempfile

    from jupyter_client.manager import KernelManager

    code = [c for c in json.loads(NUMPY_NOTEBOOK.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    cells = ["".join(c["source"]) for c in code[:NUMPY_START_CELLS]]
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as hidden:
        (Path(hidden) / "torch").mkdir()
        (Path(hidden) / "torch" / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'torch' (hidden by benchmarks/bench.py)\", name='torch')\n")
        path = os.pathsep.join(p for p in (hidden, os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONPATH=path)
        for _ in range(runs):
            km = KernelManager(kernel_name="python3")
            start = time.perf_counter()
            km.start_kernel(cwd=str(NUMPY_NOTEBOOK.parent), env=env)
            kc = km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=120)
                for cell in cells:
                    reply = kc.execute_interactive(cell, timeout=120, output_hook=lambda msg: None, allow_stdin=False)
                    if reply["content"]["status"] != "ok":
                        raise RuntimeError(f"{NUMPY_NOTEBOOK.name}: a setup cell failed: {reply['content']}")
                walls.append(time.perf_counter() - start)
                asked = kc.execute_interactive("import sys, time", timeout=60, allow_stdin=False, user_expressions={
                    "torch": "'torch' in sys.modules", "cpu": "time.process_time()"})["content"]["user_expressions"]
                loaded, cpu = (asked[k]["data"]["text/plain"] for k in ("torch", "cpu"))
                assert loaded == "False", f"the kernel imported torch while running {NUMPY_NOTEBOOK.name}'s setup"
                cpus.append(float(cpu))
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
    return statistics.median(walls), (
        f"median of {runs} fresh kernels: {statistics.median(walls):.2f} s wall (each: "
        f"{', '.join(f'{w:.2f}' for w in walls)}), kernel CPU {statistics.median(cpus):.2f} s; "
        f"{NUMPY_NOTEBOOK.name}'s first {NUMPY_START_CELLS} code cells, torch hidden and not imported")


# --------------------------------------------------------------------------- report
def verdict(key, value):
    bar, goal, op = TARGETS[key]
    if value != value:                            # NaN: not measured in this mode
        return "not measured"
    ok = (lambda a, b: a <= b) if op == "<=" else (lambda a, b: a >= b)
    return "goal met" if ok(value, goal) else ("bar met" if ok(value, bar) else "MISSES BAR")


def table(results):
    rows = [("figure", "value", "bar", "goal", "verdict")]
    for key, (bar, goal, op) in TARGETS.items():
        v = results[key]
        rows.append((key, f"{v:.3g}", f"{op} {bar:g}", f"{op} {goal:g}", verdict(key, v)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def run(mode="full"):
    """Measure every figure; mode "full", "quick" (no series run) or "smoke" (tiny, for the tests)."""
    smoke = mode == "smoke"
    results, details = dict.fromkeys(TARGETS, math.nan), {"environment": environment()}
    results["import_seconds"], details["import_seconds"] = bench_import(runs=1 if smoke else 5)
    results["numpy_notebook_start_seconds"], details["numpy_notebook_start_seconds"] = (
        bench_numpy_notebook_start(runs=1 if smoke else 5))
    # the widgets first: torch's and BLAS's idle threads keep spinning for a while after a threaded call
    results["widget_redraw_ms"], details["widget_redraw_ms"] = (bench_widget_redraw(repeats=1, max_states=2)
                                                                if smoke else bench_widget_redraw())
    results["naive_vs_fast_speedup"], details["naive_vs_fast_speedup"] = bench_naive_vs_fast(1 if smoke else 15)
    results["conv2d_vs_torch"], details["conv2d_vs_torch"] = bench_conv2d_vs_torch(rounds=2 if smoke else 150)
    if smoke:
        details["train_seconds"] = details["series_seconds"] = "not measured in --smoke mode"
    else:
        try:
            results["train_seconds"], results["train_test_accuracy"], details["train_seconds"] = bench_training()
        except ImportError as err:
            details["train_seconds"] = f"not measured: {err}"
        if mode == "quick":
            details["series_seconds"] = "not measured in --quick mode"
        else:
            results["series_seconds"], details["series_seconds"] = bench_series()
    return results, details


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--conv-one-thread" in argv:               # the child process of bench_conv2d_one_thread
        rounds = int(argv[argv.index("--conv-one-thread") + 1])
        print(json.dumps(conv2d_one_thread(rounds)))
        return 0
    mode = "smoke" if "--smoke" in argv else "quick" if "--quick" in argv else "full"
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else ROOT / "build" / "bench.json"
    results, details = run(mode)
    print(table(results))
    print("\ndetails:")
    for key, value in details.items():
        if isinstance(value, dict):
            print(f"  {key}:")
            for k, v in value.items():
                print(f"    {k}: {v}")
        else:
            print(f"  {key}: {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "mode": mode, "results": {k: (None if v != v else v) for k, v in results.items()}, "details": details,
        "targets": {k: {"bar": b, "goal": g, "direction": o} for k, (b, g, o) in TARGETS.items()},
    }, indent=2, default=str))
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
