"""Classroom builds from the notebooks: a student version, reveal.js slide decks and static HTML.

    python tools/classroom.py student [NOTEBOOK ...] [--out build/student]
    python tools/classroom.py slides  [NOTEBOOK ...] [--out build/slides] [--cdn]
    python tools/classroom.py html    [NOTEBOOK ...] [--out build/html]   [--cdn]
    python tools/classroom.py vendor                 # only fetch the JavaScript into build/vendor

Without NOTEBOOK arguments every ``notebooks/NN_*.ipynb`` is built (``make student``, ``make slides``,
``make html``).

* **student** writes the notebooks without solutions: in cells tagged ``solution`` the lines from
  ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (inclusive) are deleted, markdown solution cells become a
  pointer to the instructor version, and all outputs, execution counts and widget state are cleared. A
  student's edits are never overwritten: ``build/student/.manifest.json`` records a hash of each file as it
  was last written, and a file that no longer matches it gets the new version *beside* it
  (``NN_name.new.ipynb``), with a message saying so. So does a notebook marked read-only (for every user,
  root included) and a damaged one (not valid JSON), each with a sentence on stderr. A build that cannot
  complete (``build/student`` is a file or read-only, a source notebook is missing, a write fails) says in
  one sentence what happened and what to do, exits with status 1 and leaves every student file as it was;
  files are written whole (a temporary file, then renamed), so a failed write leaves nothing half-written.
* **slides** converts the executed notebooks (their stored outputs, their cells' ``slideshow`` metadata)
  with nbconvert's reveal.js exporter, the same as ``jupyter nbconvert --to slides``. **html** does the
  same with the HTML exporter; the widget state that ``make execute`` stored in each notebook is embedded,
  so widgets show frozen.
* Both work offline: nbconvert links reveal.js, require.js, jQuery, MathJax and the widget renderer from
  CDNs, so the JavaScript is fetched once from the npm registry (``npm pack``, versions and checksums
  pinned below) into ``build/vendor/`` and the files a page needs are copied to ``<out>/vendor/``; the
  pages link them by relative paths and so work when opened from disk. ``--cdn`` keeps nbconvert's CDN
  links instead (no npm needed, but the pages then need the network).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_TAG = "solution"
MARKDOWN_STUB = "*(Solution in the instructor version.)*"
NBVAL_MARKER = "# NBVAL_IGNORE_OUTPUT"
MANIFEST = ".manifest.json"

NPM_SECONDS = 300          # one `npm pack` of a pinned package; a registry that does not answer fails the build
# npm packages that provide the files nbconvert's templates link; `npm pack` checks each tarball against
# the registry's checksum and this tool checks that checksum against the one pinned here.
VENDOR_PACKAGES = {
    "reveal.js": ("4.6.1", "sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/"
                           "HHgbPF32Dn7aiu/LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw=="),
    "requirejs": ("2.3.8", "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421"
                           "Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="),
    "jquery": ("3.8.0", "sha512-AOYt0viqPysMUTq45O8gF9DuOnBT3Il/8WtM/TT8z/2QeGsZ70Imw"
                        "SJtNFxznn2R71v8yIgaEunOGo82OY/f0g=="),
    "mathjax": ("2.7.9", "sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5g"
                         "Nu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ=="),
    "font-awesome": ("4.7.0", "sha512-U6kGnykA/6bFmg1M/oT9EkFeIYv7JlX3bozwQJWiiLz6L0w3F5vBVPxHlwyX/vtNq1ckc"
                              "pRKOB9f2Qal/VtFpg=="),
    "@jupyter-widgets/html-manager": ("1.0.15", "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQ"
                                                "sRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="),
}

# What a page needs from each package: (package, path inside it, path under <out>/vendor/).
VENDOR_FILES = [
    ("reveal.js", "dist", "reveal.js/dist"),
    ("reveal.js", "plugin/notes", "reveal.js/plugin/notes"),
    ("requirejs", "require.js", "require.js"),
    ("jquery", "dist/jquery.min.js", "jquery.min.js"),
    ("mathjax", "MathJax.js", "mathjax/MathJax.js"),
    ("mathjax", "config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax", "config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax", "config/local", "mathjax/config/local"),
    ("mathjax", "extensions", "mathjax/extensions"),
    ("mathjax", "jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax", "jax/element", "mathjax/jax/element"),
    ("mathjax", "jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax", "fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("mathjax", "LICENSE", "mathjax/LICENSE"),
    ("@jupyter-widgets/html-manager", "dist", "html-manager"),  # embed-amd.js and the icon fonts it loads
    ("font-awesome", "css/font-awesome.min.css", "font-awesome/css/font-awesome.min.css"),
    ("font-awesome", "fonts", "font-awesome/fonts"),
]
# embed-amd.js finds its icon fonts (Font Awesome 5) relative to the AMD module names of its bundles, which
# resolve next to the page, not next to the script: the fonts go there too.
WIDGET_FONT_DIRS = ("@jupyter-widgets", "@jupyter-widgets/html-manager/dist")
WIDGET_FONT_SUFFIXES = (".woff2", ".woff")
# Outputs may link a stylesheet from a CDN (matplotlib's animation player links Font Awesome 4.4 for its
# buttons); offline pages get the local copy instead.
CDN_REWRITES = [
    (re.compile(r"https://maxcdn\.bootstrapcdn\.com/font-awesome/4\.\d+\.\d+/css/font-awesome(\.min)?\.css"),
     "vendor/font-awesome/css/font-awesome.min.css"),
]
SKIP_SUFFIXES = (".map", ".esm.js")

LOCAL_URLS = {
    "require_js_url": "vendor/require.js",
    "jquery_url": "vendor/jquery.min.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "widget_renderer_url": "vendor/html-manager/embed-amd.js",
}
# The reveal template imports mermaid.js from a CDN on every deck; none of our notebooks draws a mermaid
# diagram, so an inline stand-in module keeps the deck from asking the network.
MERMAID_STANDIN = "data:text/javascript,export default {initialize() {}}"
# On every slide change the reveal template re-renders the new slide's maths at once. When that happens
# while MathJax is still typesetting the deck (a presenter who moves on in the first seconds), Chromium
# drew each inline formula twice on that slide, for good. Queued behind MathJax's own work it does not.
RERENDER_NOW = """          if(MathJax.Hub.getAllJax(Reveal.getCurrentSlide())){
            MathJax.Hub.Rerender(Reveal.getCurrentSlide());
          }"""
RERENDER_QUEUED = """          MathJax.Hub.Queue(["Rerender", MathJax.Hub, Reveal.getCurrentSlide()]);"""


class BuildError(Exception):
    """A problem the author of a notebook (or the person running the build) has to fix."""


# --- notebooks -----------------------------------------------------------------------------------------

def default_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))


def _read(path: Path):
    import nbformat

    path = Path(path)
    if path.is_dir():
        raise BuildError(f"{_shown(path)} is a folder, not a notebook: name the .ipynb files inside it "
                         f"(e.g. {_shown(path)}/*.ipynb)")
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise BuildError(f"notebook {_shown(path)} does not exist: check the path (the series' notebooks "
                         "are notebooks/NN_*.ipynb)") from None
    except OSError as err:
        raise BuildError(f"notebook {_shown(path)} cannot be read ({_why(err)}): make it readable "
                         "(chmod u+r) and run the build again") from None
    except Exception as err:  # nbformat raises several kinds for a file that is not a notebook
        raise BuildError(f"{_shown(path)} is not a readable notebook: {err}") from None


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def strip_solution(source: str, where: str = "cell") -> str:
    """The source without the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``, inclusive.

    >>> print(strip_solution("answer = None  # your code here\\n### BEGIN SOLUTION\\nanswer = 42\\n"
    ...                      "### END SOLUTION\\nprint(answer)"))
    answer = None  # your code here
    print(answer)
    """
    kept, start = [], None
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        text = line.strip()
        if text.startswith(BEGIN):
            if start is not None:
                raise BuildError(f"{where}: line {number} opens `{BEGIN}` inside the block opened on line "
                                 f"{start}; close that one with `{END}` first")
            start = number
        elif text.startswith(END):
            if start is None:
                raise BuildError(f"{where}: line {number} has `{END}` without a `{BEGIN}` before it")
            start = None
        elif start is None:
            kept.append(line)
    if start is not None:
        raise BuildError(f"{where}: `{BEGIN}` on line {start} has no `{END}` after it")
    out = "".join(kept)
    return out.rstrip("\n") if not source.endswith("\n") else out


def _compiles(source: str) -> str | None:
    """None when the cell is valid (IPython) Python, else the error text."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        compile(TransformerManager().transform_cell(source), "<cell>", "exec")
    except SyntaxError as err:
        return f"{err.msg} (line {err.lineno})"
    return None


def _drop_nbval_marker(source: str) -> str:
    lines = source.splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() != NBVAL_MARKER)


INSTRUCTOR_ONLY = re.compile(r"<!-- instructor -->.*?<!-- /instructor -->\n?", re.S)
STUDENT_ONLY = re.compile(r"<!-- student\n(.*?)\n?-->\n?", re.S)


def student_text(source: str) -> str:
    r"""Markdown for the student version: ``<!-- instructor -->…<!-- /instructor -->`` removed, and the text of
    ``<!-- student`` … ``-->`` comments shown (in the instructor version both markers are invisible comments).

    >>> print(student_text("A\n<!-- instructor -->This is the instructor version.<!-- /instructor -->\n"
    ...                    "<!-- student\nThis is the student version.\n-->\nB"))
    A
    This is the student version.
    B
    """
    return STUDENT_ONLY.sub(lambda m: m.group(1) + "\n", INSTRUCTOR_ONLY.sub("", source))


def student_notebook(nb, name: str = "notebook"):
    """A copy of ``nb`` for students: solutions removed, outputs and widget state cleared, and the sentences
    marked for one version only (see :func:`student_text`) chosen for the student."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        tagged = SOLUTION_TAG in _tags(cell)
        if cell.cell_type == "code":
            source = cell.source
            if BEGIN in source or END in source:
                if not tagged:
                    print(f"warning: {where} has solution markers but no `{SOLUTION_TAG}` tag; "
                          "stripped anyway", file=sys.stderr)
                stripped = strip_solution(source, where)
                broken = _compiles(stripped)
                if broken and not _compiles(source):
                    raise BuildError(f"{where}: without its solution the cell is not valid Python "
                                     f"({broken}); keep a stub line such as `result = None` before `{BEGIN}`")
                source = stripped
            elif tagged:
                raise BuildError(f"{where} is tagged `{SOLUTION_TAG}` but has no `{BEGIN}` … `{END}` block, "
                                 "so the whole solution would reach the students; mark the lines to remove")
            cell.source = _drop_nbval_marker(source)
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        elif tagged:
            cell.source = MARKDOWN_STUB
            cell.pop("attachments", None)
        else:
            cell.source = student_text(cell.source)
    return nb


def presentation_notebook(nb, *, offline: bool = True):
    """A copy for slides and HTML: the test-only ``# NBVAL_IGNORE_OUTPUT`` lines removed from code, and
    (``offline``) stylesheets that HTML outputs link from a CDN pointed at the local copies."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = _drop_nbval_marker(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if offline and "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else text
                for pattern, local in CDN_REWRITES:
                    text = pattern.sub(local, text)
                data["text/html"] = text
    return nb


# --- the student build -----------------------------------------------------------------------------------

def _shown(path: Path) -> str:
    """A path as the person running the build best reads it: relative to where they are, if inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _why(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _writable(path: Path) -> bool:
    """Whether the build may write ``path`` (a file, or a folder to create files in).

    The permission bits are checked as well as what the system allows: root may write anything, but a
    notebook or folder that someone marked read-only stays read-only for the build, whoever runs it.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    wanted = os.W_OK | (os.X_OK if path.is_dir() else 0)
    return os.access(path, wanted) and bool(mode & 0o222)


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path`` all at once: a write that fails (a full disk) leaves no half-written file.

    The new file keeps the permissions and, where allowed, the owner of the file it replaces.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            old = path.stat()
        except FileNotFoundError:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        else:
            os.chmod(tmp, old.st_mode & 0o7777)
            if hasattr(os, "chown") and os.stat(tmp).st_uid != old.st_uid:
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _load_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.exists():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        print(f"warning: {_shown(path)} is unreadable; every existing notebook is treated as edited",
              file=sys.stderr)
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _save_manifest(out: Path, files: dict) -> None:
    about = ("sha256 of each notebook as tools/classroom.py last wrote it; a notebook that differs was "
             "edited and is never overwritten")
    text = json.dumps({"about": about, "files": dict(sorted(files.items()))}, indent=1)
    _write_file(out / MANIFEST, (text + "\n").encode("utf-8"))


def _alternatives(name: str):
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    yield f"{stem}.new.ipynb"
    for n in range(2, 1000):
        yield f"{stem}.new{n}.ipynb"


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError too
        return False
    return True


def _write_beside(out: Path, name: str, data: bytes, manifest: dict) -> str:
    """Write ``data`` as the first free (or still unedited) ``NN_name.new*.ipynb``; returns its name."""
    digest = _sha256(data)
    for alt in _alternatives(name):
        path = out / alt
        if path.exists() or path.is_symlink():
            if not path.is_file():
                continue
            try:
                current = _sha256(path.read_bytes())
            except OSError:
                continue
            if current == digest:
                manifest[alt] = digest
                return alt
            if current != manifest.get(alt) or not _writable(path):
                continue                                   # edited or protected: leave it too
        try:
            _write_file(path, data)
        except OSError as err:
            raise BuildError(f"could not write {_shown(path)} ({_why(err)}); {_shown(out / name)} was left "
                             "as it is: free some disk space or make the folder writable, then run the build "
                             "again") from None
        manifest[alt] = digest
        return alt
    raise BuildError(f"{_shown(out / name)} has 999 versions beside it already ({name[:-6]}.new*.ipynb), so "
                     "the new one was not written: delete the ones you no longer need and run the build again")


def place(out: Path, name: str, data: bytes, manifest: dict) -> tuple[str, str, str | None]:
    """Write ``data`` as ``out/name`` unless a student edited that file; returns (status, file written, why).

    status is ``written`` (new file), ``updated`` (replaced an unedited file), ``unchanged``,
    ``kept`` (the student's edited file stays and there is nothing new) or ``beside`` (the file stays
    and the new version went to a ``.new`` file). ``why`` says, for ``beside``, what kept the file:
    ``edited``, ``read-only`` (marked so, though unedited), ``damaged`` (not JSON; then a fresh copy goes
    beside it even when the build has nothing new), ``not a file`` or ``unreadable``.
    A write that fails raises :class:`BuildError`; the student's file is never touched.
    """
    digest = _sha256(data)
    target = out / name
    if not target.exists() and not target.is_symlink():
        try:
            _write_file(target, data)
        except OSError as err:
            raise BuildError(f"could not write {_shown(target)} ({_why(err)}): free some disk space or make "
                             "the folder writable, then run the build again") from None
        manifest[name] = digest
        return "written", name, None
    if not target.is_file():
        return "beside", _write_beside(out, name, data, manifest), "not a file"
    try:
        raw = target.read_bytes()
    except OSError:
        return "beside", _write_beside(out, name, data, manifest), "unreadable"
    current = _sha256(raw)
    if current == digest:
        manifest[name] = digest
        return "unchanged", name, None
    if not _is_json(raw):
        return "beside", _write_beside(out, name, data, manifest), "damaged"
    last = manifest.get(name)
    if last is not None and current == last:
        if not _writable(target):
            return "beside", _write_beside(out, name, data, manifest), "read-only"
        try:
            _write_file(target, data)
        except OSError as err:
            raise BuildError(f"could not update {_shown(target)} ({_why(err)}); it was left as it was: free "
                             "some disk space or make the folder writable, then run the build again") from None
        manifest[name] = digest
        return "updated", name, None
    if last == digest:  # edited by the student, and the build has nothing new for them
        return "kept", name, None
    return "beside", _write_beside(out, name, data, manifest), "edited"


def _prepare_out(out: Path) -> None:
    """Make sure ``out`` is a folder the build may write into; else a BuildError that says what to do."""
    shown = _shown(out)
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise BuildError(f"{shown} is a file, not a folder, so the student notebooks cannot be written into "
                         "it; move or rename that file (the build left it as it is), or pass --out to build "
                         "somewhere else")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BuildError(f"could not create the folder {shown} ({_why(err)}): check that the folders above "
                         "it exist as folders and are writable, or pass --out to build somewhere else") from None
    if not _writable(out):
        raise BuildError(f"{shown} is read-only, so no notebook was written into it; make it writable "
                         f"(chmod u+w {shown}) and run the build again, or pass --out to build somewhere else")


def _say_beside(out: Path, name: str, written: str, why: str | None) -> None:
    mine, new = _shown(out / name), _shown(out / written)
    if why == "edited":
        print(f"{mine} has your edits, so it was left as it is; the new version is {new}: compare the two "
              "and keep what you want.")
    elif why == "read-only":
        print(f"{mine} is read-only, so it was left as it is; the new version is {new} (make the file "
              "writable, e.g. chmod u+w, to have the build update it in place).", file=sys.stderr)
    elif why == "damaged":
        print(f"{mine} is damaged (not valid JSON, so Jupyter cannot open it); it was left as it is and a fresh "
              f"copy was written beside it as {new}: copy your work across from the damaged file (any text "
              "editor opens it).", file=sys.stderr)
    else:
        print(f"{mine} is {'not a file' if why == 'not a file' else 'unreadable'}, so it was left as it is; "
              f"the new version is {new}.", file=sys.stderr)


def build_student(notebooks, out: Path) -> dict:
    """Write the student version of each notebook into ``out``; returns {notebook name: (status, file)}.

    Problems that stop a notebook (a bad source, a write that fails) are collected, the other notebooks
    are still built, and a :class:`BuildError` at the end names them all.
    """
    import nbformat

    out = Path(out)
    _prepare_out(out)
    manifest = _load_manifest(out)
    results, problems, sources = {}, [], {}
    for path in notebooks:
        path = Path(path)
        if path.name in sources:
            problems.append(f"{_shown(sources[path.name])} and {_shown(path)} are both named {path.name}, so "
                            "only the first was built: build them into different folders (--out)")
            continue
        sources[path.name] = path
        try:
            nb = student_notebook(_read(path), path.name)
            data = (nbformat.writes(nb) + "\n").encode("utf-8")
            status, written, why = place(out, path.name, data, manifest)
        except BuildError as err:
            problems.append(str(err))
            continue
        results[path.name] = (status, written)
        if status == "beside":
            _say_beside(out, path.name, written, why)
        elif status == "kept":
            print(f"{_shown(out / path.name)}: kept your edits (there is no new version).")
        else:
            print(f"{_shown(out / written)}: {status}")
    try:
        _save_manifest(out, manifest)
    except OSError as err:
        problems.append(f"could not save {_shown(out / MANIFEST)} ({_why(err)}), the record of what the build "
                        "wrote: free some disk space or make the folder writable, then run the build again")
    if len(problems) == 1:
        raise BuildError(problems[0])
    if problems:
        raise BuildError("the build did not complete:\n  " + "\n  ".join(problems))
    return results


# --- JavaScript for offline pages ---------------------------------------------------------------------------

def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is needed to fetch reveal.js, require.js, jQuery, MathJax and the widget "
                         "renderer for offline pages (install Node.js, e.g. `apt-get install nodejs npm`), "
                         "or pass --cdn to link them from CDNs instead")
    return npm


def _safe_extract(tarball: Path, dest: Path) -> None:
    with tarfile.open(tarball) as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts or member.issym() or member.islnk():
                continue
            member.name = str(Path(*parts[1:])) if len(parts) > 1 else "."
            members.append(member)
        tar.extractall(dest, members=members, filter="data")


def _package_dir(cache: Path, name: str) -> Path:
    return cache / f"{name.replace('/', '__')}@{VENDOR_PACKAGES[name][0]}"


def fetch_vendor(cache: Path) -> Path:
    """Make sure ``cache/<package>@<version>/`` holds each pinned npm package; returns ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    for name, (version, integrity) in VENDOR_PACKAGES.items():
        dest = _package_dir(cache, name)
        if (dest / ".integrity").exists() and (dest / ".integrity").read_text().strip() == integrity:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [_npm(), "pack", f"{name}@{version}", "--json", "--pack-destination", tmp]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=NPM_SECONDS)
            except subprocess.TimeoutExpired:
                raise BuildError(f"`npm pack {name}@{version}` did not finish within {NPM_SECONDS} s (is the npm "
                                 "registry reachable?); pass --cdn to link the files from CDNs instead.") from None
            if proc.returncode != 0:
                raise BuildError(f"`npm pack {name}@{version}` failed (is the npm registry reachable?); pass "
                                 f"--cdn to link the files from CDNs instead:\n{proc.stderr.strip()[-800:]}")
            info = json.loads(proc.stdout[proc.stdout.index("["):])[0]
            if info.get("integrity") != integrity:
                raise BuildError(f"{name}@{version} from the registry has checksum {info.get('integrity')}, "
                                 f"not the pinned {integrity}")
            if dest.exists():
                shutil.rmtree(dest)
            _safe_extract(Path(tmp) / info["filename"], dest)
            (dest / ".integrity").write_text(integrity + "\n")
    return cache


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        if dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
            return
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def install_vendor(cache: Path, out: Path, kind: str = "slides") -> None:
    """Copy (hard-link where possible) the files pages need from the npm cache into ``out/vendor/``."""
    for package, inner, target in VENDOR_FILES:
        if package == "reveal.js" and kind != "slides":
            continue
        src = _package_dir(cache, package) / inner
        dst = out / "vendor" / target
        if src.is_file():
            _link_or_copy(src, dst)
        elif src.is_dir():
            for file in sorted(src.rglob("*")):
                if file.is_file() and not file.name.endswith(SKIP_SUFFIXES) and file.name not in (
                        "embed.js", "libembed-amd.js", "embed.js.LICENSE.txt"):
                    _link_or_copy(file, dst / file.relative_to(src))
        else:
            raise BuildError(f"{src} is missing from the npm package {package}")
    for font in sorted((_package_dir(cache, "@jupyter-widgets/html-manager") / "dist").iterdir()):
        if font.name.endswith(WIDGET_FONT_SUFFIXES):
            for folder in WIDGET_FONT_DIRS:
                _link_or_copy(font, out / folder / font.name)


# --- slides and HTML ----------------------------------------------------------------------------------------

def _exporter(kind: str, cdn: bool):
    from nbconvert import HTMLExporter, SlidesExporter
    from traitlets.config import Config

    cls = SlidesExporter if kind == "slides" else HTMLExporter
    config = Config()
    section = config[cls.__name__]
    if not cdn:
        for key, url in LOCAL_URLS.items():
            section[key] = url
    if kind == "slides":
        if not cdn:
            section.reveal_url_prefix = "vendor/reveal.js"
        section.reveal_theme = "white"  # its fonts ship with reveal.js; several other themes fetch web fonts
        section.reveal_scroll = True  # long code cells scroll instead of running off the slide
        section.reveal_number = "c/t"
        section.exclude_input_prompt = True
        section.exclude_output_prompt = True
    exporter = cls(config=config)
    if kind == "slides" and not cdn:
        exporter.mermaid_js_url = MERMAID_STANDIN  # not a configurable trait in nbconvert 7
    return exporter


def _title(nb, path: Path) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _write_index(out: Path, entries, heading: str) -> None:
    items = "\n".join(f'  <li><a href="{html.escape(href)}">{html.escape(title)}</a></li>'
                      for href, title in entries)
    page = (f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{html.escape(heading)}'
            f'</title></head>\n<body>\n<h1>{html.escape(heading)}</h1>\n<ol>\n{items}\n</ol>\n</body>\n</html>\n')
    (out / "index.html").write_text(page, encoding="utf-8")


def build_pages(kind: str, notebooks, out: Path, *, cdn: bool = False,
                cache: Path | None = None) -> list[Path]:
    """Convert each executed notebook to a reveal.js deck (kind ``slides``) or a page (``html``)."""
    if kind not in ("slides", "html"):
        raise ValueError(f"kind must be 'slides' or 'html', not {kind!r}")
    out.mkdir(parents=True, exist_ok=True)
    if not cdn:
        install_vendor(fetch_vendor(cache or ROOT / "build" / "vendor"), out, kind)
    exporter = _exporter(kind, cdn)
    suffix = ".slides.html" if kind == "slides" else ".html"
    written, entries = [], []
    for path in notebooks:
        path = Path(path)
        nb = _read(path)
        resources = {"metadata": {"name": path.stem}}
        body, _ = exporter.from_notebook_node(presentation_notebook(nb, offline=not cdn), resources=resources)
        if kind == "slides":
            if RERENDER_NOW not in body:
                raise BuildError("nbconvert's reveal template no longer re-renders maths the way "
                                 "tools/classroom.py expects (RERENDER_NOW): check the slide-change handler")
            body = body.replace(RERENDER_NOW, RERENDER_QUEUED)
        target = out / f"{path.stem}{suffix}"
        target.write_text(body, encoding="utf-8")
        written.append(target)
        entries.append((target.name, _title(nb, path)))
        print(_shown(target))
    _write_index(out, entries, "Slides" if kind == "slides" else "Notebooks")
    return written


# --- command line -------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("student", "slides", "html"):
        default = f"build/{command}"
        p = sub.add_parser(command)
        p.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
        p.add_argument("--out", type=Path, default=ROOT / default, help=f"default: {default}")
        if command != "student":
            p.add_argument("--cdn", action="store_true",
                           help="link the JavaScript from CDNs (the pages then need the network)")
    p = sub.add_parser("vendor")
    p.add_argument("--cache", type=Path, default=ROOT / "build" / "vendor")
    args = parser.parse_args(argv)
    try:
        if args.command == "vendor":
            print(fetch_vendor(args.cache))
            return 0
        notebooks = args.notebooks or default_notebooks()
        if not notebooks:
            raise BuildError(f"no notebooks to build: none match notebooks/{NOTEBOOK_GLOB}")
        if args.command == "student":
            build_student(notebooks, args.out)
        else:
            build_pages(args.command, notebooks, args.out, cdn=args.cdn)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped (Ctrl-C); every file already written is complete: run the same command again to "
              "finish.", file=sys.stderr)
        return 130
    except OSError as err:  # a failure no message above foresaw: say what and where, without a traceback
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: {_why(err)}{where}: check that the paths exist, are writable and the disk has room, "
              "then run the same command again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
