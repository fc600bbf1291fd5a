"""Names valid at the cursor: keywords, builtins, module globals, enclosing locals and parameters, imported names,
and attributes after `obj.` (jedi over the static code when installed, a live namespace when given).

Cached: recomputed only when a statement completes (a newline outside brackets) or right after a '.', never on
every token.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from typing import Any, Dict, FrozenSet, Optional, Set

_DOTTED_TAIL = re.compile(r"([A-Za-z_][\w.]*)\.\w*$")


def _dotted_tail(code: str) -> Optional["re.Match[str]"]:
    """`obj.attr.` (and a partial name after it) at the end of the code; reads only the tail, as it runs per token."""
    window = max(0, len(code) - 160)
    m = _DOTTED_TAIL.search(code, window)
    if m and m.start() == window and window:
        m = _DOTTED_TAIL.search(code)  # a chain longer than the window
    return m


def _static_names(code: str) -> Set[str]:
    """Names bound anywhere in the longest prefix of `code` that parses (functions' locals and parameters too)."""
    lines = code.splitlines(keepends=True)
    tree = None
    for cut in range(len(lines), 0, -1):
        try:
            tree = ast.parse("".join(lines[:cut]) + "\n    pass\n" if "".join(lines[:cut]).rstrip().endswith(":")
                             else "".join(lines[:cut]))
            break
        except SyntaxError:
            continue
    names: Set[str] = set()
    if tree is None:
        return names
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class ScopeNames:
    """names(code) -> the identifiers that may stand at the end of `code`."""

    def __init__(self, namespace: Optional[Dict[str, Any]] = None, use_jedi: bool = True) -> None:
        self.namespace = namespace
        self.use_jedi = use_jedi
        self._key: Optional[str] = None
        self._cache: FrozenSet[str] = frozenset()
        self.recomputed = 0

    def _boundary(self, code: str) -> str:
        """The part of the code that decides the names: up to the last completed line, or the `obj.` in front."""
        m = _dotted_tail(code)
        if m:
            return "attr:" + code[: m.start()] + m.group(1)
        return "stmt:" + code[: code.rfind("\n") + 1]

    def names(self, code: str) -> FrozenSet[str]:
        key = self._boundary(code)
        if key != self._key:
            self._key = key
            self._cache = frozenset(self._compute(code, key))
            self.recomputed += 1
        return self._cache

    def _compute(self, code: str, key: str) -> Set[str]:
        if key.startswith("attr:"):
            dotted = _dotted_tail(code).group(1)  # type: ignore[union-attr]
            return self._attributes(code, dotted)
        names = set(keyword.kwlist) | set(dir(builtins)) | _static_names(code)
        if self.namespace is not None:
            names |= set(self.namespace)
        return names

    def _attributes(self, code: str, dotted: str) -> Set[str]:
        if self.namespace is not None:
            parts = dotted.split(".")
            if parts[0] in self.namespace:
                obj = self.namespace[parts[0]]
                try:
                    for p in parts[1:]:
                        obj = getattr(obj, p)
                    return set(dir(obj))
                except AttributeError:
                    return set()
        if self.use_jedi:
            try:
                import jedi
            except ImportError:
                return set()
            prefix = code[: code.rfind(".") + 1]
            line = prefix.count("\n") + 1
            col = len(prefix) - (prefix.rfind("\n") + 1)
            try:
                return {c.name for c in jedi.Script(prefix).complete(line, col)}
            except Exception:
                return set()
        return set()
