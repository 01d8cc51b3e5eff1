"""Every exercise's check against the wrong answers students give (tests/catalogues/*.toml, format in its README).

Each notebook runs once in a kernel, top to bottom. At an exercise, before its solution cell runs: each wrong
answer of the catalogue replaces the solution cell and the check cell runs (rejected, the hint names the
mistake, no traceback); then the student's stub (the solution removed, as the student build does) runs with
the check ("not answered yet"); then the solution cell itself (accepted), and the notebook goes on.
"""

from __future__ import annotations

import json
import queue
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, series_notebooks
from exercises import catalogue, check_index  # tools/exercises.py: the rule's one home

CATALOGUES = ROOT / "tests" / "catalogues"
REPORT = ROOT / "build" / "checks_report.json"
pytestmark = pytest.mark.notebooks

# notebooks whose every exercise must have a catalogue of at least MIN_WRONG wrong answers
COMPLETE: set[str] = {p.stem for p in series_notebooks()}
MIN_WRONG = 2


def exercise_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]


def strip_solution(source: str) -> str:
    from classroom import strip_solution as strip  # tools/ is on sys.path (conftest)
    return strip(source)


# Run in the kernel after a solution: prints the ways the answer would be written, one a line, for the answers
# that are distinctive enough to look for (a number of 3 or more digits, a fraction, a shape, an array of 3 or
# more numbers); nothing for the rest (a small count such as 2 turns up everywhere for other reasons).
ANSWER_FORMS = """
def _forms(a):
    import numpy as _np
    out = []
    if isinstance(a, bool) or a is None:
        return out
    if isinstance(a, (int, _np.integer)) and abs(int(a)) >= 100:
        out += [str(int(a)), f"{int(a):,}"]
    elif isinstance(a, (float, _np.floating)) and not float(a).is_integer() and _np.isfinite(a):
        out += [f"{float(a):.4g}"] if len(f"{float(a):.4g}") >= 4 else []
    elif isinstance(a, tuple) and len(a) >= 2 and all(isinstance(v, (int, _np.integer)) for v in a) \
            and _np.prod(a) >= 100:
        out += ["×".join(map(str, a)), str(tuple(int(v) for v in a))]
    elif isinstance(a, (list, _np.ndarray)):
        arr = _np.asarray(a)
        if arr.ndim == 1 and 3 <= arr.size <= 40 and arr.dtype.kind in "iu":
            out += [" ".join(str(int(v)) for v in arr), ", ".join(str(int(v)) for v in arr)]
    return out
try:
    print("\\n".join(_forms(answer)))
except NameError:
    pass
"""


def earlier_text(cells) -> str:
    """What a student has read before: markdown, code and the stored text outputs of the cells."""
    parts = []
    for c in cells:
        parts.append(c.source)
        for out in c.get("outputs", []):
            parts.append(out.get("text", "") if out.get("output_type") == "stream"
                         else out.get("data", {}).get("text/plain", ""))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def states_answer(forms, text):
    """The first of the answer's written forms that ``text`` holds as a whole (not inside a longer number)."""
    for form in forms:
        if re.search(r"(?<![\w.])" + re.escape(form) + r"(?![\w]|\.\d)", text):
            return form
    return None


class Kernel:
    """A python3 kernel in the notebooks' folder; run(code) → (text shown, error or None)."""

    def __init__(self, cwd: Path):
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env={"MPLBACKEND": "Agg", **__import__("os").environ})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> tuple[str, str | None]:
        shown, error = [], None

        def hook(msg):
            nonlocal error
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                shown.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                shown.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"

        try:
            self.kc.execute_interactive(code, timeout=timeout, output_hook=hook, allow_stdin=False)
        except (TimeoutError, queue.Empty):
            error = f"the cell did not finish within {timeout} s"
        return "".join(shown), error

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def verdict_of(text: str) -> str:
    """The check's verdict: the last line that starts with ✅ or ❌ (and what follows it)."""
    at = max(text.rfind("✅"), text.rfind("❌"))
    return text[at:] if at >= 0 else text


def run_with_catalogue(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    entries = {e["cell"]: e for e in catalogue(path.stem)}
    cells = nb.cells
    ids = [c.get("id") for c in cells]
    result = {"exercises": len(exercise_cells(nb)), "with_catalogue": 0, "tried": 0, "rejected": 0, "named": 0,
              "problems": [], "missing": []}
    unknown = set(entries) - set(ids)
    result["problems"] += [f"catalogue names cell {c}, which is not in the notebook" for c in sorted(unknown)]
    kernel = Kernel(path.parent)
    try:
        skip = set()
        for i, cell in enumerate(cells):
            if cell.cell_type != "code" or i in skip:
                continue
            tag = f"{path.stem} cell {i} ({cell.get('id')})"
            if "solution" in cell.metadata.get("tags", []):
                entry = entries.get(cell.get("id"))
                if entry is None:
                    result["missing"].append(tag)
                else:
                    result["with_catalogue"] += 1
                    if len(entry.get("wrong", [])) < MIN_WRONG:
                        result["problems"].append(f"{tag}: only {len(entry.get('wrong', []))} wrong answers")
                    j = check_index(cells, i, entry)
                    if j is None:
                        result["problems"].append(f"{tag}: no check cell (no code cell follows it, or the "
                                                  "catalogue's check id is not in the notebook)")
                        kernel.run(cell.source)
                        continue
                    check = cells[j].source
                    for wrong in entry.get("wrong", []):
                        result["tried"] += 1
                        _, err = kernel.run(wrong["code"])
                        if err:
                            result["problems"].append(f"{tag}: the wrong answer {wrong['mistake']!r} itself fails "
                                                      f"to run ({err}); write it so that it runs")
                            continue
                        text, err = kernel.run(check)
                        said = verdict_of(text)
                        if err or "Traceback" in text:
                            result["problems"].append(f"{tag}: with {wrong['mistake']!r} the check cell raised "
                                                      f"{err or text[-300:]}")
                        elif not said.startswith("❌"):
                            result["problems"].append(f"{tag}: {wrong['mistake']!r} was accepted: {said[:200]!r}")
                        else:
                            result["rejected"] += 1
                            missing = [w for w in wrong.get("hint", []) if w.lower() not in said.lower()]
                            if missing:
                                result["problems"].append(f"{tag}: {wrong['mistake']!r} rejected, but the hint "
                                                          f"lacks {missing}: {said[:300]!r}")
                            else:
                                result["named"] += 1
                    # the student's stub: not answered yet
                    kernel.run(strip_solution(cell.source))
                    text, err = kernel.run(check)
                    if err or "not answered yet" not in text.lower():
                        result["problems"].append(f"{tag}: the untouched stub does not say 'not answered yet': "
                                                  f"{err or verdict_of(text)[:200]!r}")
                    # the solution, then its check: accepted (an earlier exercise's `answer` is not this one's)
                    kernel.run("globals().pop('answer', None)")
                    _, err = kernel.run(cell.source)
                    text, err2 = kernel.run(check)
                    if err or err2 or not verdict_of(text).startswith("✅"):
                        result["problems"].append(f"{tag}: the right answer is not accepted: "
                                                  f"{err or err2 or verdict_of(text)[:200]!r}")
                    skip.add(j)
                    # nothing before the exercise (text, outputs) nor its check cell's source states the answer
                    shown, _ = kernel.run(ANSWER_FORMS)
                    forms = [f for f in shown.strip().splitlines() if f]
                    before = earlier_text(cells[:i]) + "\n" + cells[j].source
                    form = states_answer(forms, before)
                    if form:
                        result["problems"].append(f"{tag}: the answer ({form}) is stated before the student "
                                                  "answers: in the text or outputs above, or in the check cell")
                    continue
            kernel.run(cell.source)
    finally:
        kernel.close()
    return result


CATALOGUED = [p for p in series_notebooks() if (CATALOGUES / f"{p.stem}.toml").exists()]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", CATALOGUED, ids=[p.stem for p in CATALOGUED])
def test_checks_reject_the_catalogued_wrong_answers(path):
    result = run_with_catalogue(path)
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    report[path.stem] = {k: v for k, v in result.items() if k not in ("problems", "missing")} | {
        "missing": len(result["missing"])}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, sort_keys=True))
    problems = list(result["problems"])
    if path.stem in COMPLETE:
        problems += [f"{m}: an exercise without a catalogue" for m in result["missing"]]
    assert not problems, "\n".join(problems)


def test_the_give_away_search_finds_an_answer_and_only_the_answer():
    import io
    from contextlib import redirect_stdout

    def forms(answer):
        out = io.StringIO()
        with redirect_stdout(out):
            exec(ANSWER_FORMS, {"answer": answer})
        return [f for f in out.getvalue().splitlines() if f]

    assert states_answer(forms(1760), "the Linear layer receives 1760 numbers") == "1760"
    assert states_answer(forms(1760), "17600 or 1760.5 or x1760") is None
    assert states_answer(forms((10, 48, 68)), "out: 10×48×68") == "10×48×68"
    assert states_answer(forms([-1, 1, -1, 0]), "np.convolve(x1, w) = [-1 1 -1 0]") == "-1 1 -1 0"
    assert states_answer(forms(73856), "Conv2d(64, 128, 3): 73,856 parameters") == "73,856"
    assert forms(3) == [] and forms(None) == []                  # too common to look for


def test_every_catalogue_names_a_notebook_and_is_well_formed():
    stems = {p.stem for p in series_notebooks()}
    for path in CATALOGUES.glob("*.toml"):
        assert path.stem in stems, f"{path.name}: no notebook of that name"
        for e in catalogue(path.stem):
            assert re.fullmatch(r"[0-9a-zA-Z_-]+", str(e.get("cell", ""))), f"{path.name}: an exercise without cell"
            for w in e.get("wrong", []):
                assert {"mistake", "code", "hint"} <= set(w), f"{path.name} {e['cell']}: {w}"
                assert w["hint"], f"{path.name} {e['cell']} {w['mistake']!r}: name the words the hint must hold"
