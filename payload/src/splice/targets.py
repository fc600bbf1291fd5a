"""One target syntax everywhere: `path.py::Qual.name`, `pkg.mod:Qual.name`, `path.py`, `...::section:NAME`."""

from __future__ import annotations

import importlib.machinery
import os
import re
import sys
from dataclasses import dataclass
from typing import Optional

from splice.errors import BadTarget, NotFound
from splice.locate import check_target

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class Target:
    path: str
    qualname: str  # "" for the module itself

    def __str__(self) -> str:
        return "%s::%s" % (self.path, self.qualname) if self.qualname else self.path


def find_module_file(name: str) -> str:
    """The file of module `name`, found on sys.path without importing it or its packages."""
    parts = name.split(".")
    spec = importlib.machinery.PathFinder.find_spec(parts[0], [p or os.getcwd() for p in sys.path])
    for i in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            break
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]), list(spec.submodule_search_locations))
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        raise NotFound("no module %r on sys.path (or it has no source file); use path/to/file.py::Name" % name)
    return spec.origin


def parse_target(target: str, path: Optional[str] = None) -> Target:
    """Split a target string; `path` supplies the file when the target is a bare qualified name."""
    t = target.strip()
    if not t:
        raise BadTarget("empty target: write path.py::Class.method, pkg.mod:func or path.py")
    if path is not None:
        return Target(path, "" if t in ("", "<module>") else check_target(t))
    if "::" in t:
        file, qual = t.split("::", 1)
        return Target(file, check_target(qual) if qual.strip() else "")
    if t.endswith((".py", ".pyi", ".pyw")) or os.path.isfile(t):
        return Target(t, "")
    if ":" in t:
        left, right = t.split(":", 1)
        if _DOTTED.match(left) and left.lower() not in ("section", "cell"):
            return Target(find_module_file(left), check_target(right) if right.strip() else "")
    if _DOTTED.match(t):
        try:
            return Target(find_module_file(t), "")
        except NotFound:
            pass
    raise BadTarget("target %r names no file: write path.py::%s or pkg.module:%s" % (t, t, t))
