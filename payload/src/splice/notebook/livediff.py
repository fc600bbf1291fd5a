"""What an edit changed, definition by definition: the pure half of live patching (`splice.notebook.live`).

Old and new source are compared scope by scope — the module, then the body of each class whose header is unchanged.
Functions and classes are paired by name (and by order when a name is defined more than once, as a property's getter
and setter are); other statements by their text, then by their syntax tree (a comment or a blank line changes
nothing). What comes out is a list of changes, each naming its scope (the enclosing classes), so the running program
is touched only where the code differs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Change:
    """One difference between old and new source, in one scope.

    kind: "function", "class" or "statement". action: "changed" (a function's body, arguments or docstring),
    "redecorated" (a function whose decorators changed), "header" (a class whose bases, keywords or decorators
    changed), "added", "removed"."""

    kind: str
    action: str  # also "moved": the same definition on other lines
    path: Tuple[str, ...]  # the enclosing classes, outermost first
    name: str  # the def's or class's name; "" for a statement
    old: Optional[ast.stmt] = None
    new: Optional[ast.stmt] = None
    index: int = 0  # which definition of `name` in its scope (a property's setter is the second `def x`)
    count: int = 1  # how many definitions of `name` the old scope has

    @property
    def qualname(self) -> str:
        return ".".join(self.path + ((self.name,) if self.name else ()))


def first_line(node: ast.stmt) -> int:
    """The line a definition starts on, its decorators included (what code objects record since Python 3.8)."""
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def _text(lines: Sequence[str], node: ast.stmt) -> str:
    return "".join(lines[first_line(node) - 1:node.end_lineno])  # type: ignore[attr-defined]


def _dump(node: Optional[ast.AST]) -> str:
    return ast.dump(node) if node is not None else ""


def header(node: ast.ClassDef) -> Dict[str, str]:
    """The parts of a class statement other than its body, each as a comparable string."""
    return {
        "bases": "|".join(_dump(b) for b in node.bases),
        "keywords (metaclass or class arguments)": "|".join(_dump(k) for k in node.keywords),
        "class decorators": "|".join(_dump(d) for d in node.decorator_list),
        "type parameters": "|".join(_dump(t) for t in getattr(node, "type_params", None) or []),
    }


def _decorators(node: ast.stmt) -> str:
    return "|".join(_dump(d) for d in getattr(node, "decorator_list", []))


def diff_scope(old_body: List[ast.stmt], new_body: List[ast.stmt], old_lines: Sequence[str],
               new_lines: Sequence[str], path: Tuple[str, ...] = ()) -> List[Change]:
    """The changes from one scope's statements to another's, added and changed ones in new source order, then the
    removed ones; a class whose header is unchanged is compared member by member (its changes carry its path)."""
    old_defs: Dict[Tuple[str, int], ast.stmt] = {}
    counts: Dict[str, int] = {}
    for node in old_body:
        if isinstance(node, _DEFS):
            old_defs[(node.name, counts.get(node.name, 0))] = node
            counts[node.name] = counts.get(node.name, 0) + 1
    old_stmts = [(n, _text(old_lines, n)) for n in old_body if not isinstance(n, _DEFS)]
    new_stmts = [(n, _text(new_lines, n)) for n in new_body if not isinstance(n, _DEFS)]
    matched = _match_statements(old_stmts, new_stmts)
    changes: List[Change] = []
    seen: Dict[str, int] = {}
    used = set()
    for node in new_body:
        if not isinstance(node, _DEFS):
            if id(node) not in matched:
                changes.append(Change("statement", "added", path, "", None, node))
            continue
        index = seen.get(node.name, 0)
        seen[node.name] = index + 1
        old = old_defs.get((node.name, index))
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        if old is None or isinstance(old, ast.ClassDef) != isinstance(node, ast.ClassDef):
            changes.append(Change(kind, "added", path, node.name, None, node, index))
            continue
        used.add((node.name, index))
        if _text(old_lines, old) == _text(new_lines, node) or _dump(old) == _dump(node):
            if first_line(old) != first_line(node):  # same code, other lines: tracebacks must say the new ones
                changes.append(Change(kind, "moved", path, node.name, old, node, index, counts[node.name]))
            continue
        if isinstance(node, ast.ClassDef):
            assert isinstance(old, ast.ClassDef)
            if header(old) != header(node):
                changes.append(Change("class", "header", path, node.name, old, node, index))
            else:
                changes += diff_scope(old.body, node.body, old_lines, new_lines, path + (node.name,))
            continue
        action = "changed" if _decorators(old) == _decorators(node) else "redecorated"
        changes.append(Change("function", action, path, node.name, old, node, index, counts[node.name]))
    kept = set(matched.values())
    for node, _ in old_stmts:
        if id(node) not in kept:
            changes.append(Change("statement", "removed", path, "", node, None))
    for (name, index), node in old_defs.items():
        if (name, index) not in used:
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            changes.append(Change(kind, "removed", path, name, node, None, index, counts[name]))
    return changes


def _match_statements(old: List[Tuple[ast.stmt, str]], new: List[Tuple[ast.stmt, str]]) -> Dict[int, int]:
    """id(new statement) -> id(old statement) for statements left as they were: same text, else same tree."""
    out: Dict[int, int] = {}
    for key in (lambda n, t: t, lambda n, t: _dump(n)):
        pool: Dict[str, List[ast.stmt]] = {}
        taken = set(out.values())
        for node, text in old:
            if id(node) not in taken:
                pool.setdefault(key(node, text), []).append(node)
        for node, text in new:
            if id(node) in out:
                continue
            candidates = pool.get(key(node, text))
            if candidates:
                out[id(node)] = id(candidates.pop(0))
    return out


def diff_module(old_tree: ast.Module, new_tree: ast.Module, old_text: str, new_text: str) -> List[Change]:
    return diff_scope(old_tree.body, new_tree.body, old_text.splitlines(True), new_text.splitlines(True))


def bound_names(node: ast.stmt) -> List[str]:
    """The names a statement binds in its own scope (not inside functions or classes it defines)."""
    names: List[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(n.name)
            return
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            names.extend((a.asname or a.name).split(".")[0] for a in n.names if a.name != "*")
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.append(n.id)
        if isinstance(n, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return list(dict.fromkeys(names))


def uses_of(tree: ast.AST, name: str) -> List[int]:
    """Lines where `name` is read as a plain name or an attribute (a removed name other code still uses)."""
    lines = []
    for node in ast.walk(tree):
        read = isinstance(getattr(node, "ctx", None), ast.Load)
        if read and (getattr(node, "id", None) == name or getattr(node, "attr", None) == name):
            lines.append(node.lineno)
    return sorted(set(lines))
