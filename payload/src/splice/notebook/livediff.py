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

from splice.core.locate.nodes import DEF_KINDS

_DEFS = tuple(DEF_KINDS)  # the definitions a chunk can be, as the locator names them


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
    shift: int = 0  # "moved" after the edited region: lines further (old node's lines as they were: start, end)
    start: int = 0
    end: int = 0
    branches: Tuple[int, ...] = ()  # a def under if/try/with, or one of several of its name (a property's
    # accessors, @overload stubs): the first lines of every def of its name there, to tell which one ran

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
    inside = _compound_pairs(old_stmts, new_stmts, matched)
    seen: Dict[str, int] = {}
    used = set()
    for node in new_body:
        if not isinstance(node, _DEFS):
            if id(node) in inside:
                changes += _inside(inside[id(node)], node, old_lines, new_lines, path)
            elif id(node) not in matched:
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
        same_name = tuple(first_line(n) for (nm, _), n in old_defs.items() if nm == node.name)
        changes.append(Change("function", action, path, node.name, old, node, index, counts[node.name],
                              same_name if len(same_name) > 1 else ()))
    kept = set(matched.values()) | {id(o) for o in inside.values()}
    for node, _ in old_stmts:
        if id(node) not in kept:
            changes.append(Change("statement", "removed", path, "", node, None))
    for (name, index), node in old_defs.items():
        if (name, index) not in used:
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            changes.append(Change(kind, "removed", path, name, node, None, index, counts[name]))
    return changes


def _blocks(node: ast.stmt) -> List[List[ast.stmt]]:
    """The statement lists of an if/try/with (where libraries define functions under a condition)."""
    if isinstance(node, ast.If):
        return [node.body, node.orelse]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [node.body]
    if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        return [node.body] + [h.body for h in node.handlers] + [node.orelse, node.finalbody]  # type: ignore
    return []


def _skeleton(node: ast.stmt) -> str:
    """A compound statement with each function in it reduced to its name: equal skeletons differ only inside
    functions (a class in it, or any other statement changed, makes them differ)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "def %s" % node.name
    blocks = _blocks(node)
    if not blocks:
        return _dump(node)
    head = [_dump(getattr(node, f, None)) for f in ("test", "items")]
    head += ["%s %s" % (_dump(h.type), h.name) for h in getattr(node, "handlers", [])]
    return "%s(%s){%s}" % (type(node).__name__, "|".join(head),
                          "}{".join(";".join(_skeleton(s) for s in block) for block in blocks))


def _functions_under(node: ast.stmt) -> List[ast.stmt]:
    out: List[ast.stmt] = []
    for block in _blocks(node):
        for s in block:
            out += [s] if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) else _functions_under(s)
    return out


def _compound_pairs(old: List[Tuple[ast.stmt, str]], new: List[Tuple[ast.stmt, str]],
                    matched: Dict[int, int]) -> Dict[int, ast.stmt]:
    """id(new if/try/with) -> the old one it is, changed only inside functions (paired in order)."""
    kept = set(matched.values())
    olds = [n for n, _ in old if id(n) not in kept and _blocks(n)]
    out: Dict[int, ast.stmt] = {}
    for node, _ in new:
        if id(node) in matched or not _blocks(node) or not olds:
            continue
        if _skeleton(olds[0]) == _skeleton(node):
            out[id(node)] = olds.pop(0)
    return out


def _inside(old: ast.stmt, new: ast.stmt, old_lines: Sequence[str], new_lines: Sequence[str],
            path: Tuple[str, ...]) -> List[Change]:
    """The functions changed inside an if/try/with whose other statements are the same."""
    changes = []
    olds, news = _functions_under(old), _functions_under(new)
    for o, n in zip(olds, news):
        lines = tuple(first_line(x) for x in olds if x.name == n.name)  # type: ignore[attr-defined]
        name = n.name  # type: ignore[attr-defined]
        if _text(old_lines, o) == _text(new_lines, n) or _dump(o) == _dump(n):
            if first_line(o) != first_line(n):
                changes.append(Change("function", "moved", path, name, o, n, branches=lines))
            continue
        action = "changed" if _decorators(o) == _decorators(n) else "redecorated"
        changes.append(Change("function", action, path, name, o, n, branches=lines))
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


def region(body: List[ast.stmt], old_lines: Sequence[str], new_lines: Sequence[str]) -> Tuple[int, int, int, int]:
    """The top-level statements an edit touched: (i, j, a, b) — old statements body[i:j] and old lines a..b
    (1-based, inclusive; the changed lines widened to whole statements). New lines a..b+delta replaced them."""
    from splice.core.text import common_ends

    pre, suf = common_ends(old_lines, new_lines)
    lo, hi = pre + 1, len(old_lines) - suf  # hi < lo: lines only inserted (before old line lo)
    i = next((k for k, s in enumerate(body) if s.end_lineno >= lo), len(body))  # type: ignore[operator]
    j = i
    while j < len(body) and first_line(body[j]) <= max(hi, lo):
        j += 1
    a = min([lo] + [first_line(s) for s in body[i:j]])
    b = max([hi] + [s.end_lineno for s in body[i:j]])  # type: ignore[misc]
    return i, j, a, b


def moved_after(body: List[ast.stmt], delta: int) -> List[Change]:
    """Every definition in statements after an edit, `delta` lines further (functions under if/try/with too)."""
    out = []
    for node in body:
        defs = [node] if isinstance(node, _DEFS) else _functions_under(node)
        for d in defs:
            kind = "class" if isinstance(d, ast.ClassDef) else "function"
            out.append(Change(kind, "moved", (), d.name, d, None, shift=delta, start=first_line(d),  # type: ignore
                              end=d.end_lineno))  # type: ignore[attr-defined]
    return out
