"""Where a project's tests run from: the nearest folder above the targets with a pytest or packaging config, as a
developer would run them (`python -m pkg.cli` in a test works there), and test ids shown relative to the caller."""

from __future__ import annotations

import os
import shlex
from typing import Dict, List, Optional, Tuple

MARKERS = ("pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini")


def test_root(path: str, within: Optional[str] = None) -> Optional[str]:
    """The nearest folder holding `path` (a file or folder) with one of MARKERS; None when there is none, or when the
    nearest is above `within` (a server's root: its tests run inside it)."""
    probe = os.path.abspath(path)
    if not os.path.isdir(probe):
        probe = os.path.dirname(probe)
    limit = os.path.realpath(within) if within else None
    while True:
        if any(os.path.isfile(os.path.join(probe, m)) for m in MARKERS):
            if limit and os.path.relpath(os.path.realpath(probe), limit).startswith(".."):
                return None
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def caller_id(test_id: str, root: str, caller: Optional[str] = None) -> str:
    """A test id (or file) relative to the pytest root, as the caller's folder (cwd) sees it."""
    caller = caller or os.getcwd()
    if not root or os.path.realpath(root) == os.path.realpath(caller):
        return test_id
    file, sep, rest = test_id.partition("::")
    if os.path.isabs(file):
        return test_id
    rel = os.path.relpath(os.path.join(root, file), caller).replace(os.sep, "/")
    return rel + sep + rest


_NOT_PROJECT_DIRS = ("site-packages", "dist-packages")


def is_test_module(name: str) -> bool:
    """pytest's default test file names (`test_*.py`, `*_test.py`)."""
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def projects_below(folder: str) -> Tuple[List[str], List[str]]:
    """(the project roots below `folder`, the test files below it that are in none), sorted by path.

    A project is a folder with one of MARKERS and test files at or below it, found with the walk every reader uses
    (splice.core.walk: no VCS folders, caches, environments or what .gitignore ignores; no site-packages either).
    Nested projects: the outermost wins, as its developer runs it (its suite collects what lies below it)."""
    from splice.core.walk import iter_files

    folder = os.path.abspath(folder)
    marked: Dict[str, bool] = {}

    def has_marker(d: str) -> bool:
        if d not in marked:
            marked[d] = any(os.path.isfile(os.path.join(d, m)) for m in MARKERS)
        return marked[d]

    projects: List[str] = []
    loose: List[str] = []
    for file in iter_files(folder, "*.py"):
        rel = os.path.relpath(file, folder)
        parts = rel.split(os.sep)[:-1]
        if not is_test_module(os.path.basename(file)) or any(p in _NOT_PROJECT_DIRS for p in parts):
            continue
        probe = folder
        for part in parts:
            probe = os.path.join(probe, part)
            if has_marker(probe):
                if probe not in projects:
                    projects.append(probe)
                break
        else:
            loose.append(file)
    return sorted(projects), sorted(loose)


def suite_roots(folder: str, within: Optional[str] = None) -> Optional[Tuple[List[str], List[str]]]:
    """Where the whole suite runs when no test is named, asked from `folder`: None when `folder` is a project's root
    or inside one (one run from that root, as before), or when no project lies below it; else (the roots of the
    projects below, each to run from its own root, and the test files below that belong to none)."""
    if test_root(folder, within) is not None:
        return None
    projects, loose = projects_below(folder)
    return (projects, loose) if projects else None


def project_cwd(files: List[str], rootdir: str) -> str:
    """Where the pytest plugin's own pass over these test files runs: their project's root when they share one at or
    below pytest's rootdir (as its developer runs them, whatever folder the user's pytest started in), else the
    rootdir (a config file far above, in a home folder, is no project of theirs)."""
    roots = {test_root(f, rootdir) for f in files}
    if len(roots) == 1 and None not in roots:
        return roots.pop()  # type: ignore[return-value]
    return rootdir


def elsewhere_note(passed: List[str], ran: str, invoked: str) -> str:
    """One line when failing tests passed in a pass run from their project's root `ran` while the user's pytest
    started in another folder `invoked`: they fail only from there (a test running `python -m pkg.cli`, reading a
    file by a relative path)."""
    if not passed or os.path.realpath(ran) == os.path.realpath(invoked):
        return ""
    where = os.path.relpath(ran, invoked).replace(os.sep, "/")
    they = "they fail" if len(passed) > 1 else "it fails"
    return "%d of the failing tests passed when run from %s/, the project's root: %s only from where pytest " \
           "started; run there: cd %s && python -m pytest" % (len(passed), where, they, shlex.quote(where))
