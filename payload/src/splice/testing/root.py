"""Where a project's tests run from: the nearest folder above the targets with a pytest or packaging config, as a
developer would run them (`python -m pkg.cli` in a test works there), and test ids shown relative to the caller."""

from __future__ import annotations

import os
from typing import Optional

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
