"""Questions about syntax-tree nodes alone (no text): what a statement defines, which blocks it holds, how a
group of same-named functions divides into roles."""

from __future__ import annotations

import ast
from typing import List, Optional, Tuple

DEF_KINDS = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}
COMPOUND = tuple(
    getattr(ast, n)
    for n in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
    if hasattr(ast, n)
)
DEFS_AND_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef) + COMPOUND
PROPERTY_ROLES = ("getter", "setter", "deleter")


def blocks(node: ast.AST) -> List[List[ast.stmt]]:
    """The statement lists of a compound statement: body, else, finally, each handler, each case."""
    found = [getattr(node, "body", []), getattr(node, "orelse", []), getattr(node, "finalbody", [])]
    found += [h.body for h in getattr(node, "handlers", [])]
    found += [c.body for c in getattr(node, "cases", [])]
    return found


def assigned_names(node: ast.AST) -> List[str]:
    """Plain names an assignment binds (`a = b = 1`, `a, b = …`, `a: int = 1`), first seen first."""
    targets: List[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        targets = [node.target]
    names: List[str] = []
    for t in targets:
        elts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
        names += [e.id for e in elts if isinstance(e, ast.Name) and e.id not in names]
    return names


def decorator_name(dec: ast.AST) -> str:
    """`@a.b.c(...)` -> `a.b.c`."""
    if isinstance(dec, ast.Call):
        dec = dec.func
    parts = []
    while isinstance(dec, ast.Attribute):
        parts.append(dec.attr)
        dec = dec.value
    if isinstance(dec, ast.Name):
        parts.append(dec.id)
    return ".".join(reversed(parts))


def group_roles(name: str, nodes: List[ast.AST]) -> Optional[Tuple[str, List[str]]]:
    """Property getter/setter/deleter or @overload stubs + implementation: parts named by meaning."""
    if not all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in nodes):
        return None
    roles: List[Optional[str]] = []
    for n in nodes:
        decs = [decorator_name(d) for d in n.decorator_list]  # type: ignore[attr-defined]
        role = None
        for d in decs:
            if d in ("property", "builtins.property", "abc.abstractproperty"):
                role = "getter"
            elif d.startswith(name + ".") and d.split(".", 1)[1] in PROPERTY_ROLES:
                role = d.split(".", 1)[1]
            elif d.rsplit(".", 1)[-1] == "overload":
                role = "overload"
        roles.append(role)
    if all(r in PROPERTY_ROLES for r in roles) and len(set(roles)) == len(roles):
        return "property", [r for r in roles if r]
    overloads = [r for r in roles if r == "overload"]
    if overloads and len(overloads) >= len(roles) - 1 and (roles[-1] is None or len(overloads) == len(roles)):
        names = ["overload[%d]" % i for i in range(len(overloads))]
        return "overloaded", names + (["implementation"] if roles[-1] is None else [])
    return None


def is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def is_import_stmt(node: ast.AST) -> bool:
    """An import, or an if/try holding only imports, assignments and pass (`try: import x except …: x = None`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, (ast.Try, ast.If)) and not (isinstance(node, ast.If) and is_main_test(node.test)):
        inner = [s for block in blocks(node) for s in block]
        has_import = any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in inner)
        simple = all(
            isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign)) or is_import_stmt(s) for s in inner
        )
        return has_import and simple
    return False


def is_main_test(test: ast.AST) -> bool:
    """`__name__ == "__main__"`."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
