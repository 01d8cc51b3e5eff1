# JupyterHub's configuration for trying the series locally as a class would (`make hub`, tools/hub/run_hub.py).
#
# Dummy login (any name, any password), one single-user JupyterLab server per student started as a local
# process (SimpleLocalProcessSpawner: no system users, each home a folder under the hub's folder), the
# configurable-http-proxy from npm in front, and every port bound to 127.0.0.1. Not for a real class: the
# dummy login lets anyone in as anyone, and students' servers are not isolated from each other
# (docs/classroom.md says what a real class uses instead).
#
# run_hub.py sets the CNN_HUB_* variables below; without them (`jupyterhub -f tools/hub/jupyterhub_config.py`
# from the repository root) the defaults apply: build/hub/, port 8000, the proxy that `make hub` installs.
# ruff: noqa: F821  (`c` and `get_config` are given by JupyterHub when it loads this file)

import os
import sys
from pathlib import Path

c = get_config()

ROOT = Path(__file__).resolve().parents[2]
HUB_DIR = Path(os.environ.get("CNN_HUB_DIR", ROOT / "build" / "hub")).resolve()
PORT = int(os.environ.get("CNN_HUB_PORT", "8000"))                 # what students open: the proxy
HUB_PORT = int(os.environ.get("CNN_HUB_API_PORT", "8081"))         # the hub itself, behind the proxy
PROXY_API_PORT = int(os.environ.get("CNN_HUB_PROXY_API_PORT", "8001"))
PROXY = os.environ.get("CNN_HUB_PROXY",
                       str(ROOT / "build" / "hub" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"))
VENV_BIN = Path(os.environ.get("CNN_HUB_VENV_BIN", Path(sys.executable).parent))
# Every process this hub starts (proxy, single-user servers, their kernels) carries this variable in its
# environment, so that run_hub.py can find any that outlive the hub after a crash and end them.
RUN_MARK = os.environ.get("CNN_HUB_RUN", "manual")
HOMES = HUB_DIR / "homes"
STATE = HUB_DIR / "state"
STATE.mkdir(parents=True, exist_ok=True)

# --- the hub, the proxy and their ports: loopback only -------------------------------------------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB_PORT
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.command = [PROXY]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# on shutdown the hub stops every student's server and the proxy (the defaults, stated: run_hub.py relies on it)
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- login: anyone, any password (a trial on one's own machine, never a class) ---------------------------
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

# --- one JupyterLab per student, a local process running as this user ------------------------------------
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(HOMES / "{username}")
# JupyterLab and nbgitpuller live in this environment, beside the series' `helpers`
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
# three students starting at once on two busy cores take more than the default 30/60 s
c.Spawner.http_timeout = 180
c.Spawner.start_timeout = 240
# the kernels a student starts run this environment's python (the python3 kernelspec runs `python` from PATH);
# JUPYTER_CONFIG_PATH adds this hub's settings for JupyterLab (no news, no update check) to each server's own
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "/usr/bin:/bin")]),
    "JUPYTER_CONFIG_PATH": str(HUB_DIR / "jupyter-config"),
    "CNN_HUB_RUN": RUN_MARK,
}
