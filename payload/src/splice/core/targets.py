"""One target syntax everywhere: `path.py::Qual.name`, `pkg.mod:Qual.name`, `path.py`, `...::section:NAME`."""

from __future__ import annotations

import importlib.machinery
import os
import re
import sys
from dataclasses import dataclass
from typing import Optional

from splice.core.errors import BadTarget, NotFound
from splice.core.locate import check_target

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class Target:
    path: str
    qualname: str  # "" for the module itself

    def __str__(self) -> str:
        return "%s::%s" % (self.path, self.qualname) if self.qualname else self.path


def find_module_file(name: str) -> str:
    """The file of module `name`, found without importing it or its packages: the current folder first (as
    `python -c` would import it, even when splice runs from a script elsewhere), then sys.path."""
    parts = name.split(".")
    search = [os.getcwd()] + [p or os.getcwd() for p in sys.path]
    spec = importlib.machinery.PathFinder.find_spec(parts[0], list(dict.fromkeys(search)))
    for i in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            break
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]), list(spec.submodule_search_locations))
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        raise NotFound("no module %r on sys.path (or it has no source file); use path/to/file.py::Name" % name)
    return spec.origin


def parse_target(target: str, path: Optional[str] = None, folders: bool = False) -> Target:
    """Split a target string; `path` supplies the file when the target is a bare qualified name.

    A path that exists always wins over a module name (a folder's own argparse.py is not the standard library's);
    `FILE::Qual` also takes a module name as FILE when no such file exists. `folders` lets a folder through."""
    t = target.strip()
    if not t:
        raise BadTarget("empty target: write path.py::Class.method, pkg.mod:func or path.py")
    if path is not None:
        return Target(path, "" if t in ("", "<module>") else check_target(t))
    if os.path.isfile(t) or (folders and os.path.isdir(t)):
        return Target(t, "")
    if "::" in t:
        file, qual = t.split("::", 1)
        if not os.path.exists(file) and _DOTTED.match(file) and not file.endswith((".py", ".pyi", ".pyw")):
            file = find_module_file(file)
        return Target(file, check_target(qual) if qual.strip() else "")
    if t.endswith((".py", ".pyi", ".pyw")):
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
