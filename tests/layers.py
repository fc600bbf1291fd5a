"""The import graph of a package from its source (`ast`, every import statement, lazy ones inside functions too),
and the two rules the splice package keeps: no cycle, and no module importing a higher layer or a sibling family."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Set, Tuple

FAMILIES = ("explore", "checks", "notebook", "decode")


def layer_of(module: str) -> Tuple[int, str]:
    """0 core, 1 test runs (the checks' tests stage runs them), 2 the families side by side, 3 the library's calls,
    4 the doors, 5 the package's front."""
    if module in ("splice", "splice.__main__"):
        return 5, "front"
    sub = module.split(".")[1]
    if sub in ("core", "_version"):
        return 0, "core"
    if sub == "testing":
        return 1, "testing"
    if sub in FAMILIES:
        return 2, sub
    if sub == "api":
        return 3, "api"
    if sub == "doors":
        return 4, "doors"
    raise AssertionError("%s is in no layer: put it in a family (and say so in layers.layer_of)" % module)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int


def module_name(root: Path, file: Path) -> str:
    parts = list(file.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> Dict[str, Path]:
    return {module_name(root, f): f for f in sorted(root.rglob("*.py"))}


def _resolve(known: Dict[str, Path], base: str, names: List[str]) -> Iterator[str]:
    """`from base import a, b`: an edge to base.a where that is a module (a submodule import), else to base."""
    subs = [base + "." + n for n in names if base + "." + n in known]
    yield from subs or [base]


def edges(root: Path) -> List[Edge]:
    known = modules(root)
    top = root.name
    found: List[Edge] = []
    for name, file in known.items():
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = list(_resolve(known, mod, [a.name for a in node.names]))
            for t in targets:
                if t == top or t.startswith(top + "."):
                    found.append(Edge(name, t, node.lineno))
    return found


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on: Set[str] = set()
    out: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def violations(found: List[Edge], layer_of: Callable[[str], Tuple[int, str]]) -> List[str]:
    """Each import of a higher layer, or of another family on the same layer, as one line naming both ends."""
    bad = []
    for e in found:
        (lo, fam_lo), (hi, fam_hi) = layer_of(e.source), layer_of(e.target)
        if hi > lo or (hi == lo and fam_hi != fam_lo):
            bad.append("%s (line %d) imports %s: layer %d %s -> layer %d %s"
                       % (e.source, e.line, e.target, lo, fam_lo, hi, fam_hi))
    return bad


def graph_of(found: List[Edge]) -> Dict[str, Set[str]]:
    graph: Dict[str, Set[str]] = {}
    for e in found:
        graph.setdefault(e.source, set()).add(e.target)
    return graph
