"""A local JupyterHub for trying the series as a class would: students log in, click an nbgitpuller link, work.

    python tools/hub/run_hub.py [--port 8000] [--dir build/hub] [NOTEBOOK ...]     # `make hub`
    python tools/hub/run_hub.py publish [--dir build/hub] [NOTEBOOK ...]          # next week's fixes
    python tools/hub/run_hub.py link --hub URL --repo URL [--branch B] [--notebook NAME]

**serve** (the default) builds the student version of the notebooks (``tools/classroom.py student``: no
solutions), commits it into a local git repository, ``<dir>/upstream/cnn-by-hand-student`` (the repository an
instructor would publish), starts JupyterHub with ``tools/hub/jupyterhub_config.py`` (dummy login: any name,
any password; one JupyterLab per student started as a local process, its home ``<dir>/homes/NAME``;
configurable-http-proxy from npm; everything on 127.0.0.1) and prints the nbgitpuller link that pulls the
repository into the student's home and opens notebook 01. Ctrl-C stops the hub, which stops the students'
servers and the proxy; whatever outlived it is ended too.

**publish** rebuilds the student version into that repository and commits what changed, while the hub runs:
students who click the link again get the change merged with their work (docs/classroom.md says how).

**link** prints the nbgitpuller link for any hub and repository, e.g. a real class's.

The proxy is installed by `make hub` (``npm ci --prefix build/hub/node`` with tools/hub/package.json and its
lock file); ``--proxy`` or ``CNN_HUB_PROXY`` names another configurable-http-proxy.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = HERE / "jupyterhub_config.py"
DEFAULT_DIR = ROOT / "build" / "hub"
PROXY_INSTALL = ("mkdir -p build/hub/node && cp tools/hub/package.json tools/hub/package-lock.json build/hub/node/ "
                 "&& npm ci --prefix build/hub/node")
REPO_NAME = "cnn-by-hand-student"     # the folder nbgitpuller clones into, in each student's home
BRANCH = "main"
FIRST_NOTEBOOK = "01_conv1d_by_hand.ipynb"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
GIT_IDENTITY = ["-c", "user.name=cnn-by-hand instructor", "-c", "user.email=instructor@localhost",
                "-c", "commit.gpgsign=false"]

# time limits, in seconds
HUB_START_SECONDS = 120    # the hub answering through its proxy
HUB_STOP_SECONDS = 60      # the hub stopping the students' servers and the proxy, then itself
LEFTOVER_SECONDS = 10      # a process that outlived the hub, after SIGTERM, before SIGKILL


class HubError(Exception):
    """Something the person running the hub has to fix; the message says what."""


# --- the link ------------------------------------------------------------------------------------------------

def pull_link(hub_url: str, repo: str, notebook: str = FIRST_NOTEBOOK, *, branch: str = BRANCH,
              targetpath: str | None = None, app: str = "lab") -> str:
    """The nbgitpuller link that logs a student in (if needed), starts their server, pulls ``repo`` into
    their home and opens ``notebook`` in JupyterLab.

    The clone lands in ``targetpath`` (nbgitpuller's default: the last part of the repository's URL), so the
    notebook's path inside the student's home is ``<targetpath>/<notebook>``.

    >>> pull_link("https://hub.example.edu", "https://github.com/me/cnn-student", "01_a.ipynb")
    'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fme%2Fcnn-student&branch=main&urlpath=lab%2Ftree%2Fcnn-student%2F01_a.ipynb'
    """
    target = targetpath or repo.rstrip("/").split("/")[-1]
    query = {"repo": repo, "branch": branch}
    if targetpath:
        query["targetpath"] = targetpath
    query["urlpath"] = f"{app}/tree/{target}/{notebook}" if notebook else f"{app}/tree/{target}"
    return f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{urlencode(query)}"


# --- the upstream repository ---------------------------------------------------------------------------------

def git(repo: Path, *args: str, timeout: float = 60) -> str:
    """Run git in ``repo``; its output, or a HubError with git's message."""
    try:
        done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise HubError("git is missing: install it (`apt-get install git`)") from None
    if done.returncode:
        raise HubError(f"`git {' '.join(args)}` in {repo} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _classroom():
    """tools/classroom.py, the student build (imported: nbformat's import alone takes seconds)."""
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import classroom

    return classroom


def publish(repo: Path, message: str) -> str | None:
    """Commit everything that changed in the work tree of ``repo``; the new commit's id, or None when
    nothing changed (the students' next pull then brings nothing)."""
    git(repo, "add", "--all")
    if not git(repo, "status", "--porcelain").strip():
        return None
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def build_upstream(repo: Path, notebooks=(), *, message: str | None = None) -> str | None:
    """Build the student version of ``notebooks`` (default: all of notebooks/NN_*.ipynb) and commit it into
    the git repository ``repo`` (created on the first call, branch ``main``). Its top-level notebooks become
    exactly the build's; other files there are the instructor's and stay. Returns the new commit's id, or
    None when the build changed nothing."""
    notebooks = [Path(p).resolve() for p in notebooks] or sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))
    if not notebooks:
        raise HubError(f"no notebooks to publish: none match notebooks/{NOTEBOOK_GLOB}")
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet", "-b", BRANCH)
    classroom = _classroom()
    with tempfile.TemporaryDirectory(prefix="student-build-") as tmp:
        # a fresh folder every time: classroom.py's guard for students' edits is for build/student, not here
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                classroom.build_student(notebooks, Path(tmp))
        except classroom.BuildError as err:
            raise HubError(f"the student build failed: {err}") from None
        built = {p.name: p for p in Path(tmp).glob("*.ipynb")}
        for old in repo.glob("*.ipynb"):
            if old.name not in built:
                old.unlink()
        for name, path in built.items():
            shutil.copyfile(path, repo / name)
    names = ", ".join(p.name[:2] for p in notebooks)
    return publish(repo, message or f"Student version of notebooks {names} (tools/classroom.py student)")


# --- processes -----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def find_proxy(explicit: str | None = None) -> Path | None:
    """configurable-http-proxy: ``explicit``, else $CNN_HUB_PROXY, else the copy `make hub` installs
    under build/hub/node; None when it is not there."""
    for candidate in (explicit, os.environ.get("CNN_HUB_PROXY"),
                      DEFAULT_DIR / "node" / "node_modules" / ".bin" / "configurable-http-proxy"):
        if candidate:
            path = Path(candidate)
            return path.resolve() if path.is_file() and os.access(path, os.X_OK) else None
    return None


def marked_processes(mark: str) -> list[int]:
    """Processes whose environment holds CNN_HUB_RUN=``mark``: everything one hub started (Linux's /proc)."""
    needle, pids = f"CNN_HUB_RUN={mark}".encode(), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except (OSError, ValueError):  # ended meanwhile, or not ours to read
            pass
    return sorted(pids)


def _describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    return f"{pid} ({cmd[:120]})"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"   # a zombie has ended; its parent has not read its status yet


def end_processes(pids, seconds: float = LEFTOVER_SECONDS) -> None:
    """SIGTERM each process, then SIGKILL those still there after ``seconds``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + seconds
        while any(_alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.2)
        pids = [p for p in pids if _alive(p)]
        if not pids:
            return


class Hub:
    """One JupyterHub, its proxy and the students' servers, in ``workdir`` (state/, homes/, jupyter-config/).

    ``start`` returns when the hub answers through its proxy; ``stop`` ends it and everything it started,
    and returns what had outlived the hub's own clean-up (an empty list when it cleaned up after itself).
    ``lab_settings`` adds JupyterLab settings ({plugin id: {setting: value}}) for every student, and
    ``expose_app`` puts JupyterLab's application object in the page (window.jupyterapp) for a test.
    """

    def __init__(self, workdir: Path, *, port: int = 0, proxy: Path, lab_settings: dict | None = None,
                 expose_app: bool = False):
        self.dir = Path(workdir).resolve()
        self.port = port or free_port()
        self.proxy, self.lab_settings, self.expose_app = Path(proxy), lab_settings or {}, expose_app
        self.mark = f"{os.getpid()}-{secrets.token_hex(6)}"
        self.log = self.dir / "state" / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def home(self, user: str) -> Path:
        return self.dir / "homes" / user

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def _write_jupyter_config(self) -> None:
        """Settings every student's JupyterLab reads (JUPYTER_CONFIG_PATH): no news feed, no update check."""
        config = self.dir / "jupyter-config"
        lab = {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}
        if self.expose_app:
            lab["expose_app_in_browser"] = True
        settings = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                     "checkForUpdates": False}}
        for plugin, values in self.lab_settings.items():
            settings.setdefault(plugin, {}).update(values)
        for path, data in ((config / "jupyter_server_config.json", {"LabApp": lab}),
                           (config / "labconfig" / "default_setting_overrides.json", settings)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def start(self, timeout: float = HUB_START_SECONDS) -> None:
        if not port_is_free(self.port):
            raise HubError(f"port {self.port} on 127.0.0.1 is taken: stop what uses it, or pass another --port "
                           "(0 picks a free one)")
        (self.dir / "state").mkdir(parents=True, exist_ok=True)
        self._write_jupyter_config()
        env = dict(os.environ, CNN_HUB_DIR=str(self.dir), CNN_HUB_PORT=str(self.port),
                   CNN_HUB_API_PORT=str(free_port()), CNN_HUB_PROXY_API_PORT=str(free_port()),
                   CNN_HUB_PROXY=str(self.proxy), CNN_HUB_VENV_BIN=str(Path(sys.executable).parent),
                   CNN_HUB_RUN=self.mark)
        # its own session: a Ctrl-C in the terminal reaches this script, which then stops the hub in order
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], env=env,
                                         cwd=self.dir / "state", stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HubError(f"JupyterHub exited with code {self.proc.returncode} while starting; its log "
                               f"({self.log}) ends:\n{self.log_tail()}")
            try:  # through the proxy: both are up and the hub's route is in place
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > end:
                raise HubError(f"JupyterHub did not answer at {self.url}/hub/api within {timeout:g} s; its log "
                               f"({self.log}) ends:\n{self.log_tail()}")
            time.sleep(0.5)

    def processes(self) -> list[int]:
        """Every process this hub started that is still there (the hub, proxy, servers, kernels)."""
        return [p for p in marked_processes(self.mark) if _alive(p)]

    def stop(self, timeout: float = HUB_STOP_SECONDS) -> list[str]:
        """Stop the hub (SIGTERM: it stops the students' servers and the proxy first), then end whatever
        outlived it. Returns those leftovers, described; [] when the hub cleaned up after itself."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        leftovers = self.processes()
        described = [_describe(p) for p in leftovers]
        end_processes(leftovers)
        still = self.processes()
        if still:
            described.append(f"still running after SIGKILL: {[_describe(p) for p in still]}")
        return described


# --- the command line ----------------------------------------------------------------------------------------

def _shown(path) -> str:
    """``path`` relative to the current folder when it is inside it (what a person would type)."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _serve(args) -> int:
    proxy = find_proxy(args.proxy)
    if proxy is None:
        raise HubError("configurable-http-proxy is missing: run `make hub`, which installs it, or install it "
                       f"yourself from the repository root:\n  {PROXY_INSTALL}")
    workdir = args.dir.resolve()
    repo = workdir / "upstream" / REPO_NAME
    print(f"Building the student version into {repo} ...", flush=True)
    commit = build_upstream(repo, args.notebooks)
    print(f"  {'published commit ' + commit[:10] if commit else 'unchanged since the last build'}", flush=True)
    notebook = FIRST_NOTEBOOK if (repo / FIRST_NOTEBOOK).exists() else sorted(p.name for p in repo.glob("*.ipynb"))[0]
    hub = Hub(workdir, port=args.port, proxy=proxy)
    stopping = False

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    # Ctrl-C stops the hub even where this script was started with SIGINT ignored (a background job)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        print(f"Starting JupyterHub on {hub.url} (log: {hub.log}) ...", flush=True)
        hub.start()
        link = pull_link(hub.url, repo.as_uri(), notebook)
        print(f"""
JupyterHub is running on {hub.url}: log in with any name and any password.
A student's link (it pulls the student version into their home and opens notebook {notebook[:2]}):

  {link}

Each name gets its own JupyterLab, its home in {workdir / 'homes'}/NAME.
To publish a change while this runs: edit notebooks/, then `{_shown(sys.executable)} tools/hub/run_hub.py publish`;
students who click the link again get it merged with their work. Ctrl-C stops everything.
""", flush=True)
        while hub.proc.poll() is None:
            time.sleep(1)
        print(f"JupyterHub exited with code {hub.proc.returncode}; its log ends:\n{hub.log_tail()}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stopping = True
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C must not interrupt the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping JupyterHub, the students' servers and the proxy ...", flush=True)
        leftovers = hub.stop()
        if leftovers:
            print("These outlived the hub and were ended: " + "; ".join(leftovers), file=sys.stderr)
        print("Stopped." if stopping else "Stopped after an error.", flush=True)


def _publish(args) -> int:
    repo = args.dir.resolve() / "upstream" / REPO_NAME
    commit = build_upstream(repo, args.notebooks, message=args.message)
    print(f"published commit {commit[:10]} in {repo}" if commit else f"nothing changed in {repo}")
    return 0


def _link(args) -> int:
    print(pull_link(args.hub, args.repo, args.notebook, branch=args.branch, targetpath=args.targetpath))
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in ("serve", "publish", "link") else "serve"
    parser = argparse.ArgumentParser(prog=f"run_hub.py {command}", description=__doc__.split("\n\n")[0])
    if command in ("serve", "publish"):
        parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
        parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                            help="the hub's folder: state, students' homes, the upstream repository "
                                 "(default: build/hub)")
    if command == "serve":
        parser.add_argument("--port", type=int, default=8000, help="the port students open (0: any free one)")
        parser.add_argument("--proxy", help="configurable-http-proxy to use (default: build/hub/node's)")
    elif command == "publish":
        parser.add_argument("-m", "--message", help="the commit message")
    else:
        parser.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
        parser.add_argument("--repo", required=True, help="the student repository's URL (never this repository)")
        parser.add_argument("--branch", default=BRANCH)
        parser.add_argument("--notebook", default=FIRST_NOTEBOOK, help="the notebook to open ('' for the folder)")
        parser.add_argument("--targetpath", help="the folder to clone into (default: the repository's name)")
    args = parser.parse_args(argv)
    try:
        return {"serve": _serve, "publish": _publish, "link": _link}[command](args)
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the hub started (during the build): nothing to stop
        print("stopped (Ctrl-C)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
