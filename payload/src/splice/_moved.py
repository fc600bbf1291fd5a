"""Module paths from before the family subpackages (`splice.tools`, `splice.search`, …) still import.

Each old name is the module at its new home (the same object, so state and monkeypatching are shared), with a
DeprecationWarning that names the home. `splice.edit` and `splice.outline` are the public functions and
`splice.checks` / `splice.notebook` are now families, so those four old module names have no alias.
"""

from __future__ import annotations

import sys
import warnings
from importlib import import_module
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Optional, Sequence

MOVED = {
    "errors": "core.errors", "text": "core.text", "sections": "core.sections", "reindent": "core.reindent",
    "elision": "core.elision", "budget": "core.budget", "names": "core.names", "locate": "core.locate",
    "targets": "core.targets", "files": "core.files",
    "search": "explore.search", "references": "explore.references", "docs": "explore.docs",
    "excdocs": "explore.excdocs",
    "autoimport": "checks.autoimport", "resolve": "checks.resolve", "testrun": "checks.testrun",
    "suspects": "checks.suspects", "linetrace": "checks.linetrace", "pytest_plugin": "checks.pytest_plugin",
    "live": "notebook.live", "cells": "notebook.cells",
    "cli": "doors.cli", "tools": "doors.tools", "mcp_server": "doors.mcp_server", "confine": "doors.confine",
    "kernel": "doors.kernel", "ipython": "doors.ipython", "magics": "doors.magics", "cheatsheet": "doors.cheatsheet",
}


class _Alias:
    """Loader: running the old module puts the new one in its place in sys.modules, which import then returns."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: ModuleSpec) -> Optional[ModuleType]:
        return None

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn("%s moved to %s; import it from there" % (module.__name__, self.new), DeprecationWarning,
                      stacklevel=2)
        sys.modules[module.__name__] = import_module(self.new)


class _Finder:
    """Last on sys.meta_path: asked only when no real module has the name."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None, target: Any = None
                  ) -> Optional[ModuleSpec]:
        head, _, leaf = fullname.partition(".")
        if head == "splice" and leaf in MOVED:
            return ModuleSpec(fullname, _Alias("splice." + MOVED[leaf]))  # type: ignore[arg-type]
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
