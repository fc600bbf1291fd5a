"""Where an agent may act: writes only inside the allowed folders, reads there plus importable modules' source.

The rule of the MCP filesystem server's allowed directories: a path is judged by where it really is (`..` and
symlinks resolved), so `../x.py`, an absolute path elsewhere and a link that points out are all refused. Module
names (`json:dumps`, `pkg.mod:Qual`) reach the source of importable modules, read-only.
"""

from __future__ import annotations

import os
from typing import List, Sequence

from splice.core.errors import BadTarget
from splice.core.targets import Target, parse_target


class OutsideRoot(BadTarget):
    """The path lies outside the folders the agent may use."""


class Root:
    """The allowed folders (real paths); relative paths are read against the first, the server's root."""

    def __init__(self, folder: str, narrowed: Sequence[str] = ()) -> None:
        self.folder = os.path.realpath(folder)
        self.allowed: List[str] = [self.folder]
        if narrowed:
            self.narrow(narrowed)

    def narrow(self, folders: Sequence[str]) -> None:
        """Keep only what lies inside both the server's root and one of `folders` (the client's MCP roots)."""
        allowed = []
        for f in folders:
            real = os.path.realpath(f)
            if _inside(real, self.folder):
                allowed.append(real)
            elif _inside(self.folder, real):
                allowed.append(self.folder)
        self.allowed = sorted(set(allowed))

    def contains(self, path: str) -> bool:
        real = os.path.realpath(os.path.join(self.folder, path))
        return any(_inside(real, a) for a in self.allowed)

    def refuse(self, path: str, verb: str) -> OutsideRoot:
        where = " or ".join(self.allowed) if self.allowed else "nothing (the client's roots leave no folder)"
        return OutsideRoot(
            "%s is outside the allowed folder%s (%s): cannot %s it; use a path inside, relative to %s"
            % (path, "s" if len(self.allowed) > 1 else "", where, verb, self.folder)
        )

    def path(self, path: str, write: bool = False) -> str:
        """`path` when it (really) lies inside an allowed folder; else OutsideRoot."""
        if not isinstance(path, str) or not path.strip():
            raise BadTarget("empty path: name a file or folder inside %s" % self.folder)
        if not self.contains(path):
            raise self.refuse(path, "write" if write else "read")
        return path

    def target(self, target: str, write: bool = False) -> Target:
        """Parse a target and check its file: inside for anything; a module name may also read outside."""
        t = parse_target(target)
        if self.contains(t.path):
            return t
        spec = target.strip()
        written = spec.split("::", 1)[0] if "::" in spec else spec.split(":", 1)[0]
        by_module = t.path != written  # a module name (pkg.mod:Qual, pkg.mod::Qual, pkg.mod) found on sys.path
        if by_module and not write:
            return t
        raise self.refuse(t.path if not by_module else target, "write" if write else "read")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
