"""The first code cell of every notebook: makes ``helpers`` importable wherever the notebook runs.

In this repository's environment (``make lab``) it does nothing. On Colab it installs the package from
the repository. Anywhere else without the package it says what to run. The text below is the single
source of that cell; ``tests/test_notebook_hygiene.py`` checks every notebook carries it unchanged.
"""

REPO_URL = "https://github.com/cnn-by-hand/cnn-by-hand"

SETUP_CELL = f'''# Setup: makes `helpers` importable. In this repository's environment there is nothing to do.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:
    if "google.colab" in sys.modules:  # Colab: install the series' package from its repository
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{REPO_URL}"], check=True)
    else:
        raise ModuleNotFoundError("The `helpers` package is missing: run `make lab` in the repository root.")'''
