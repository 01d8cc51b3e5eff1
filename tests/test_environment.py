"""pyproject.toml and environment.yml ask for the same packages with the same pins."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_pins():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    pins = {}
    for req in reqs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*", req)
        assert m, f"pyproject.toml: {req!r} is not pinned with =="
        pins[_norm(m.group(1))] = m.group(2)
    return pins, data["project"]["requires-python"]


def _environment_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins, python = {}, None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for req in dep.get("pip", []):
                if req.startswith("-e"):
                    continue
                name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", req).groups()
                pins[_norm(name)] = version
            continue
        name, _, version = dep.partition("=")
        if name == "python":
            python = version
        elif version:
            pins[_norm(name)] = version
    return pins, python, env


def test_same_packages_and_pins():
    py_pins, _ = _pyproject_pins()
    env_pins, _, _ = _environment_pins()
    assert py_pins == env_pins, {
        "only in pyproject": sorted(set(py_pins) - set(env_pins)),
        "only in environment.yml": sorted(set(env_pins) - set(py_pins)),
        "different pins": sorted(k for k in set(py_pins) & set(env_pins) if py_pins[k] != env_pins[k]),
    }


def test_python_and_channel():
    _, requires = _pyproject_pins()
    _, python, env = _environment_pins()
    assert python == "3.11" and "3.11" in requires
    assert env["channels"] == ["conda-forge"]


def test_torch_pins_are_the_ones_on_local_disk():
    pins, _ = _pyproject_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_environment_installs_the_project():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_every_test_has_a_time_limit():
    """pytest-timeout comes with the tests and gives every test a limit: a browser test once waited for ever."""
    pins, _ = _pyproject_pins()
    assert "pytest-timeout" in pins
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < int(options["timeout"]) <= 600 and options["timeout_method"] == "signal"


def test_make_test_runs_the_training_notebooks_again_on_generic_kernels():
    """`make test` runs the notebooks that train a second time with torch's generic CPU kernels; `make unit`
    leaves out the notebooks, their builds and the browser."""
    text = (ROOT / "Makefile").read_text()
    listed = re.search(r"^TRAINING_NOTEBOOKS := ((?:.*\\\n)*.*)$", text, re.M)
    names = re.findall(r"notebooks/\S+\.ipynb", listed.group(1))
    assert names and all((ROOT / name).is_file() for name in names), names
    assert re.search(r"ATEN_CPU_CAPABILITY=default \S+ -m pytest .*\$\(TRAINING_NOTEBOOKS\)", text)
    assert re.search(r'^unit:.*\n\t.* -m "not browser and not notebooks"$', text, re.M)
