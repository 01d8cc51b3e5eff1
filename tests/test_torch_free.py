"""Notebooks 00–05 need only NumPy, matplotlib and ipywidgets: strict nbval in a new environment without torch.

`pip install .` installs the light set (pyproject.toml's dependencies); torch is an extra, `.[torch]`, that
only notebooks 06–11 need. This test builds what a student on a lab machine gets: a new virtual environment
in a temporary folder, with the project installed as `pip install .` installs it (not editable, from a copy
of this checkout without the files .gitignore ignores, so that nothing is built inside the checkout and no
earlier build's leftovers are packaged) and only what running nbval needs besides: pytest, nbval and
pytest-timeout, pinned as pyproject.toml's test extra pins them. It checks that `import torch` fails there,
then runs notebooks 00–05 under strict nbval with the flags of `make nbval` (read from the Makefile) and that
environment's python, whose kernel the notebooks then run in. Every stored output must come back; a cell that
compares with torch prints its one "torch not installed: skipping …" line instead, and is marked
`# NBVAL_IGNORE_OUTPUT` because its stored output is the one with torch.

Installing from the package registry takes minutes (about 1 min of CPU, 4 min of wall time on a busy 2-core
machine; pip's cache makes a rerun faster). Under CI the test must run; elsewhere it skips only when the
registry cannot be reached, and says so.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[0-5]_*.ipynb"))
RUNNERS = ("pytest", "nbval", "pytest-timeout")       # what running nbval needs, and nothing else
VENV_SECONDS, INSTALL_SECONDS, NBVAL_SECONDS = 300, 1500, 1200
# what pip says when it cannot reach a package index (urllib3's and the resolver's words)
UNREACHABLE = re.compile(r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
                         r"resolution|Name or service not known|Network is unreachable|ConnectTimeout|"
                         r"Read timed out|ProxyError|Connection refused|No route to host")

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


def runner_pins() -> list[str]:
    """pytest, nbval and pytest-timeout as pyproject.toml's test extra pins them, e.g. 'nbval==0.11.0'."""
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["optional-dependencies"]["test"]
    pins = [req for req in test_extra if re.match(r"[A-Za-z0-9_.\-]+", req).group().lower() in RUNNERS]
    assert len(pins) == len(RUNNERS), f"pyproject.toml's test extra should pin {RUNNERS}; it has {test_extra}"
    return pins


def nbval_flags() -> list[str]:
    """The flags `make nbval` gives pytest, as make itself expands them from the Makefile."""
    printer = "print-nbval-flags:\n\t@echo '$(NOTEBOOKS_ALONE)'\n"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print-nbval-flags"],
                          input=printer, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"could not read the nbval flags from the Makefile:\n{proc.stderr}"
    flags = shlex.split(proc.stdout)
    assert "--nbval" in flags and "--nbval-current-env" in flags, flags
    return flags


def copy_of_checkout(dest: Path) -> Path:
    """This checkout as a fresh clone has it: without .git and what .gitignore ignores (.venv, build, …)."""
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", "node_modules", *ignored))
    return dest


def run(cmd, seconds, **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds, **kwargs)
    return proc, time.monotonic() - start


@pytest.mark.timeout(VENV_SECONDS + INSTALL_SECONDS + NBVAL_SECONDS + 120)
def test_notebooks_00_to_05_pass_strict_nbval_without_torch(tmp_path):
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05"], NOTEBOOKS
    flags = nbval_flags()

    venv = tmp_path / "venv"
    proc, venv_seconds = run([sys.executable, "-m", "venv", str(venv)], VENV_SECONDS)
    assert proc.returncode == 0, f"`python -m venv` failed:\n{proc.stdout}{proc.stderr}"
    python = venv / "bin" / "python"

    # the project without extras, as `pip install .` installs it, and the three packages nbval needs
    source = copy_of_checkout(tmp_path / "source")
    proc, install_seconds = run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                                 "--progress-bar", "off", str(source), *runner_pins()], INSTALL_SECONDS)
    if proc.returncode != 0:
        said = proc.stdout + proc.stderr
        if UNREACHABLE.search(said) and not os.environ.get("CI"):
            pytest.skip(f"the package registry could not be reached, so no environment without torch could be "
                        f"built (under CI this test fails instead): {said.strip().splitlines()[-1]}")
        pytest.fail(f"`pip install {source.name} {' '.join(runner_pins())}` failed:\n{said[-4000:]}", pytrace=False)

    proc, _ = run([str(python), "-c", "import torch"], 120)
    assert proc.returncode != 0 and "No module named 'torch'" in proc.stderr, (
        "torch is importable in the light environment: `pip install .` must not install it (it is the "
        f"`torch` extra)\n{proc.stdout}{proc.stderr}")
    proc, _ = run([str(python), "-c", "import helpers; print(helpers.__file__)"], 120, cwd=tmp_path)
    assert proc.returncode == 0 and str(venv) in proc.stdout, f"helpers is not the installed copy:\n{proc}"

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=str(venv / "bin") + os.pathsep + os.environ.get("PATH", ""),   # as the Makefile exports them
               PYTHONHASHSEED="0", OMP_WAIT_POLICY="PASSIVE")
    proc, nbval_seconds = run([str(python), "-m", "pytest", *flags, *map(str, NOTEBOOKS)], NBVAL_SECONDS,
                              cwd=ROOT, env=env)
    said = proc.stdout + proc.stderr
    print(f"without torch: venv {venv_seconds:.0f} s, pip install {install_seconds:.0f} s, "
          f"strict nbval of 00–05 {nbval_seconds:.0f} s (wall)")
    assert proc.returncode == 0, f"strict nbval of notebooks 00–05 without torch failed:\n{said[-6000:]}"
    assert re.search(r"\d+ passed", said) and "failed" not in said.splitlines()[-1], said[-2000:]
