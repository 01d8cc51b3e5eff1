"""Shared test set-up: the kernel's environment, the classroom builds, and the real-browser fixtures.

The browser fixtures start JupyterLab on 127.0.0.1 (a random free port, a token, a copy of the notebooks
in a temporary folder, Jupyter's config, data, runtime and settings folders isolated there too) and a
headless Debian Chromium driven by the ``playwright`` package. Without /usr/bin/chromium or playwright the
browser tests skip with a message saying how to enable them; under CI (the ``CI`` variable set) they fail
instead, since CI must run them.

Every wait here has a time limit that names what it waited for; pytest-timeout (pyproject.toml) is the
backstop for anything else. JupyterLab's kernels are shut down by the tests that open notebooks
(``LabServer.shut_down``), and the server with whatever is left at the end of the session.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_NOTEBOOK = FIXTURES / "classroom_fixture.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CNN_CHROMIUM", "/usr/bin/chromium")  # Debian's; the variable is for other systems
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# time limits, in seconds, of the waits below; a test that needs more than pytest-timeout's default says so
BUILD_SECONDS = 300        # `classroom.py slides` and `classroom.py html` on every notebook, side by side
BUILDS_TIMEOUT = 900       # a test that asks for the builds first pays for them: npm fetch + BUILD_SECONDS
LAB_START_SECONDS = 90     # JupyterLab's server answering /api/status
KERNEL_GONE_SECONDS = 30   # a kernel's process gone after its session was deleted

sys.path.insert(0, str(ROOT / "tools"))

# The kernels that nbclient, nbconvert and JupyterLab start run `python` from PATH (the python3 kernelspec):
# make it this environment's python however pytest was started.
_bin = str(Path(sys.executable).parent)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _bin:
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


def series_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def classroom_notebooks() -> list[Path]:
    """The series' notebooks and the classroom fixture: what the classroom tools are tested on."""
    return series_notebooks() + [FIXTURE_NOTEBOOK]


def has_widgets(path: Path) -> bool:
    """Whether a notebook builds a live widget: a `.widget()` call or the `explorer` CSS class in its code."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "code":
            continue
        if re.search(r"\.widget\(\)", src) or 'add_class("explorer")' in src:
            return True
    return False


def expected_seconds(path: Path) -> float:
    """How long the notebook's cells took when it was last executed (nbclient records it in the cells'
    metadata); infinity when unknown. The slow tests start the longest notebooks first."""
    from datetime import datetime

    nb = json.loads(path.read_text(encoding="utf-8"))
    total, seen = 0.0, False
    for cell in nb["cells"]:
        times = cell.get("metadata", {}).get("execution", {})
        start, end = times.get("iopub.execute_input"), times.get("shell.execute_reply")
        if start and end:
            seen = True
            total += (datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total if seen else float("inf")


def pytest_collection_modifyitems(config, items):
    """A notebook cell that nbval runs may take nbval's own limits (kernel start-up, --nbval-cell-timeout)
    and a minute more, so that nbval's message, which names the cell, comes before pytest-timeout's.
    (`make nbval` and the Makefile's other notebook-only runs pass the same limit as --timeout.)"""
    try:
        cell = float(config.getoption("nbval_cell_timeout"))
        startup = float(config.getoption("nbval_kernel_startup_timeout"))
    except (ValueError, TypeError):  # nbval is not installed
        return
    for item in items:
        if type(item).__name__ == "IPyNbCell" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(startup + cell + 60))


def _skip_or_fail(message: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test, but {message}", pytrace=False)
    pytest.skip(message)


# --- the classroom builds ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def classroom():
    import classroom as module

    return module


@pytest.fixture(scope="session")
def vendor_cache(classroom):
    """The pinned npm packages, fetched once into build/vendor (skipped without npm, except under CI)."""
    if shutil.which("npm") is None:
        _skip_or_fail("npm is missing (`apt-get install nodejs npm`); the offline slides need it")
    try:
        return classroom.fetch_vendor(ROOT / "build" / "vendor")
    except classroom.BuildError as err:
        _skip_or_fail(f"the JavaScript for offline pages could not be fetched: {err}")


@pytest.fixture(scope="session")
def built_pages(vendor_cache, tmp_path_factory):
    """`classroom.py slides` and `classroom.py html` on every notebook, the two builds side by side."""
    out = tmp_path_factory.mktemp("pages")
    notebooks = [str(p) for p in classroom_notebooks()]
    procs = {kind: subprocess.Popen([sys.executable, str(ROOT / "tools" / "classroom.py"), kind, *notebooks,
                                     "--out", str(out / kind)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
             for kind in ("slides", "html")}
    deadline = time.monotonic() + BUILD_SECONDS
    try:
        for kind, proc in procs.items():
            try:
                said, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"`classroom.py {kind}` did not build the pages of {len(notebooks)} notebooks "
                            f"within {BUILD_SECONDS} s", pytrace=False)
            assert proc.returncode == 0, f"`classroom.py {kind}` failed:\n{said[-3000:]}"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
    return out


@pytest.fixture(scope="session")
def built_slides(built_pages):
    return built_pages / "slides"


@pytest.fixture(scope="session")
def built_html(built_pages):
    return built_pages / "html"


# --- the browser -------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through playwright (never a browser that playwright downloads)."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} is missing (enable the browser tests with `apt-get install chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package is missing (`pip install -e '.[test]'`)")
    if missing:
        _skip_or_fail("; ".join(missing))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# --- JupyterLab --------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


class LabServer:
    def __init__(self, url: str, token: str, root: Path, log: Path):
        self.url, self.token, self.root, self.log = url, token, root, log

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-n:]

    def api(self, method: str, path: str, body=None, timeout: float = 30):
        """One call of Jupyter's REST API with the token; the decoded JSON answer (None when empty)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def sessions(self, name: str) -> list[dict]:
        """The server's sessions (notebook and kernel) of the notebook ``name``."""
        return [s for s in self.api("GET", "/api/sessions") if s.get("path") == name]

    def shut_down(self, name: str, within: float = KERNEL_GONE_SECONDS) -> list[str]:
        """Shut the kernel of notebook ``name`` down (its session deleted through the REST API) and check
        that it is gone: the server no longer knows it and no process runs with its connection file.
        Returns what went wrong; an empty list when the kernel is gone."""
        problems = []
        try:
            sessions = self.sessions(name)
            for session in sessions:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=within)
            for kernel in [s["kernel"]["id"] for s in sessions if s.get("kernel")]:
                end = time.monotonic() + within
                while True:
                    known, pids = _kernel_known(self, kernel), _kernel_pids(kernel)
                    if not known and not pids:
                        break
                    if time.monotonic() > end:
                        problems.append(f"the kernel of {name} was still "
                                        f"{'known to the server' if known else f'running as process {pids}'} "
                                        f"{within:.0f} s after its session was deleted")
                        break
                    time.sleep(0.25)
        except OSError as err:  # urllib's errors, the server's answers other than 404 among them
            problems.append(f"could not shut down the kernel of {name} through the REST API: {err}")
        return problems


def _kernel_known(server: LabServer, kernel_id: str) -> bool:
    try:
        server.api("GET", f"/api/kernels/{kernel_id}")
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise
    return True


def _kernel_pids(kernel_id: str) -> list[int]:
    """Processes whose command line holds the kernel's connection file (Linux's /proc; [] elsewhere)."""
    needle, pids = f"kernel-{kernel_id}.json".encode(), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            pass
    return pids


@pytest.fixture(scope="session")
def lab_server(browser, tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving a temporary copy of the notebooks; nothing is written in the repo."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "notebooks"
    root.mkdir()
    for path in classroom_notebooks():
        shutil.copy2(path, root / path.name)
    settings = home / "lab-settings"
    # no "news" question, no update check, every cell rendered (no windowing) so tests can see all outputs
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                {"windowingMode": "none"})
    _write_json(home / "config" / "jupyter_server_config.json",
                {"LabApp": {"news_url": None, "expose_app_in_browser": True,
                            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}})
    env = dict(os.environ)
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), IPYTHONDIR=str(home / "ipython"),
               MPLCONFIGDIR=str(home / "matplotlib"))
    env.pop("MPLBACKEND", None)  # the kernel shows figures inline, as for a student
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        cmd.append("--allow-root")
    log = home / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + LAB_START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}",
                            pytrace=False)
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab's server did not answer /api/status within {LAB_START_SECONDS} s:\n"
                            f"{server.log_tail()}", pytrace=False)
            time.sleep(0.5)
        yield server
    finally:
        # the server and the kernels it started share the process group that Popen made for it
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
