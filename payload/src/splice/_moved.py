"""Module paths from before the family subpackages (`splice.tools`, `splice.search`, …) still import.

Each old name is the module at its new home (the same object, so state and monkeypatching are shared), with a
DeprecationWarning that names the home; `python -m splice.cli` runs the moved module. `splice.edit` and
`splice.outline` are the public functions now (importing them as modules names the module's new home), and
`splice.checks` / `splice.notebook` are families whose modules are `checks.stages` / `notebook.cellsource`.
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib import import_module
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
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
# Old module names that are public functions or families now: importing one says where its contents went.
NO_ALIAS = {
    "edit": "splice.edit is the function now; the module is splice.core.edit",
    "outline": "splice.outline is the function now; the module is splice.explore.outline",
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

    def get_code(self, fullname: str) -> Optional[CodeType]:
        """`python -m splice.cli` (runpy asks for the code): the new module's code, run as __main__."""
        warnings.warn("%s moved to %s; run that" % (fullname, self.new), FutureWarning, stacklevel=2)  # shown
        from importlib.util import find_spec  # only here: it is not light enough for `import splice`

        spec = find_spec(self.new)
        return spec.loader.get_code(self.new) if spec and spec.loader else None  # type: ignore[attr-defined]


class _Finder:
    """Last on sys.meta_path: asked only when no real module has the name."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None, target: Any = None
                  ) -> Optional[ModuleSpec]:
        head, _, leaf = fullname.partition(".")
        if head == "splice" and leaf in MOVED:
            origin = os.path.join(os.path.dirname(__file__), *MOVED[leaf].split(".")) + ".py"  # runpy's argv[0]
            return ModuleSpec(fullname, _Alias("splice." + MOVED[leaf]), origin=origin)  # type: ignore[arg-type]
        if head == "splice" and leaf in NO_ALIAS:
            raise ModuleNotFoundError("No module named %r: %s" % (fullname, NO_ALIAS[leaf]), name=fullname)
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
