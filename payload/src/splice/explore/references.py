"""Where a symbol is used across a project: jedi when installed (exact), else an `ast` name match (approximate)."""

from __future__ import annotations

import ast
import os
from typing import Dict, List, Optional, Tuple

from splice.core.budget import DEFAULT_LINES, clip, cut
from splice.core.edit import Doc
from splice.core.files import load_doc, project_root
from splice.core.targets import parse_target
from splice.core.walk import iter_files
from splice.explore.search import Hit, enclosing_names


def _position(doc: Doc, qualname: str) -> Tuple[str, int, int]:
    chunk = doc.chunk(qualname)
    line = doc.lines[chunk.line - 1]
    col = line.find(chunk.name, len(line) - len(line.lstrip()))
    if chunk.kind in ("def", "async def", "class"):
        col = line.find(chunk.name, line.find("class" if chunk.kind == "class" else "def") + 3)
    return chunk.name, chunk.line, max(col, 0)


def _with_symbols(found: List[Tuple[str, int, str]]) -> List[Hit]:
    by_file: Dict[str, List[Tuple[int, str]]] = {}
    for path, line, text in found:
        by_file.setdefault(path, []).append((line, text))
    hits: List[Hit] = []
    for path, rows in by_file.items():
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").split("\n")
        names = enclosing_names(lines, max(r[0] for r in rows) - 1)
        for line, text in sorted(set(rows)):
            hits.append(Hit(path, line, text, names[line - 1] if line - 1 < len(names) else ""))
    return hits


def _jedi_refs(path: str, line: int, col: int, root: str) -> Optional[List[Hit]]:
    try:
        import jedi
    except ImportError:
        return None
    script = jedi.Script(path=path, project=jedi.Project(root))
    found = []
    inside = os.path.realpath(root) + os.sep
    for name in script.get_references(line, col, scope="project", include_builtins=False):
        # only the project's files: a local argparse.py must not pull in the stdlib's stub as its own
        if name.module_path is None or not os.path.realpath(str(name.module_path)).startswith(inside):
            continue
        found.append((str(name.module_path), name.line, name.get_line_code().rstrip("\r\n")))
    return _with_symbols(found)


def _ast_refs(name: str, root: str) -> List[Hit]:
    needle = name.encode()
    found = []
    for file in iter_files(root, "*.py"):
        with open(file, "rb") as f:
            data = f.read()
        if needle not in data:
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        lines = data.decode("utf-8", "replace").split("\n")
        for node in ast.walk(tree):
            hit = (isinstance(node, ast.Name) and node.id == name) or (
                isinstance(node, ast.Attribute) and node.attr == name) or (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name) or (
                isinstance(node, ast.alias) and (node.asname or node.name).split(".")[-1] == name)
            if hit and hasattr(node, "lineno"):
                found.append((file, node.lineno, lines[node.lineno - 1]))
            elif hit and isinstance(node, ast.alias):  # aliases have no position before 3.10: find the line
                for parent in ast.walk(tree):
                    if isinstance(parent, (ast.Import, ast.ImportFrom)) and node in parent.names:
                        found.append((file, parent.lineno, lines[parent.lineno - 1]))
    return _with_symbols(found)


def ref_hits(target: str, root: Optional[str] = None, use_jedi: bool = True) -> Tuple[List[Hit], bool]:
    """(hits, exact): exact when jedi answered."""
    t = parse_target(target)
    if not t.qualname:
        raise ValueError("refs needs a symbol: path.py::Name")
    doc = load_doc(t.path)[0]
    name, line, col = _position(doc, t.qualname)
    root = root or project_root(t.path)
    hits = _jedi_refs(os.path.abspath(t.path), line, col, root) if use_jedi else None
    if hits is not None:
        return hits, True
    return _ast_refs(name, root), False


def refs(target: str, root: Optional[str] = None, use_jedi: bool = True, max_lines: int = DEFAULT_LINES) -> str:
    hits, exact = ref_hits(target, root, use_jedi)
    head = "%d reference%s to %s%s" % (len(hits), "" if len(hits) == 1 else "s", target,
                                       "" if exact else " (approximate: same name; install jedi for exact)")
    out = [head]
    last_file = last_sym = None
    absolute = os.path.isabs(parse_target(target).path)  # paths as the user wrote them: absolute stay absolute
    for h in hits:
        if h.path != last_file:
            out.append(os.path.abspath(h.path) if absolute else os.path.relpath(h.path))
            last_file, last_sym = h.path, None
        label = h.symbol or "<module>"
        out.append("  %s  L%d: %s" % (label if label != last_sym else " " * len(label), h.line,
                                      clip(h.text.strip(), 100)))
        last_sym = label
    return cut(out, max_lines, hint="refs(..., root=a narrower folder)")
