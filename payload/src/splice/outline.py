"""Compact outlines: every entry starts with the exact target `show`/`replace` accept, then its signature, lines,
and the first line of its docstring. A package outline lists modules with symbol counts first."""

from __future__ import annotations

import os
from typing import List, Optional

from splice.budget import DEFAULT_LINES, clip, cut
from splice.edit import Doc
from splice.errors import SpliceError
from splice.files import load_doc
from splice.locate import Chunk, Index
from splice.search import iter_files

DOC_WIDTH = 60


def _entry(index: Index, chunk: Chunk, depth: int, docs: bool) -> str:
    span = "L%d" % (chunk.start + 1) if chunk.end - chunk.start <= 1 else "L%d-%d" % (chunk.start + 1, chunk.end)
    sig = index.signature(chunk)
    if chunk.kind in ("def", "async def"):
        pos = sig.find("(")
        sig = ("async " if chunk.kind == "async def" else "") + (sig[pos:] if pos >= 0 else "")
    elif chunk.kind == "class":
        pos = sig.find("(")
        sig = "class" + (sig[pos:] if pos >= 0 else "")
    elif chunk.kind == "assign":
        sig = "= " + sig.split("=", 1)[1].strip() if "=" in sig else sig
    elif chunk.kind in ("property", "overloaded"):
        sig = chunk.kind + " (" + ", ".join(p.qualname.rsplit(".", 1)[-1] for p in chunk.parts) + ")"
    elif chunk.kind in ("cell", "section"):
        sig = sig if chunk.kind == "cell" else ""
    elif chunk.kind == "imports":
        sig = "(%d lines)" % (chunk.end - chunk.start) if chunk.end > chunk.start else "(none)"
    else:
        sig = ""
    doc = index.doc(chunk) if docs else ""
    text = "%s%s  %s  %s" % ("  " * depth, chunk.qualname, span, clip(sig, 70))
    return text.rstrip() + ("  — " + clip(doc, DOC_WIDTH) if doc else "")


def module_lines(doc: Doc, depth: int = 2, docs: bool = True, counts: bool = False) -> List[str]:
    index = doc.index
    out: List[str] = []

    def walk(names: List[str], level: int) -> None:
        for q in names:
            chunk = index.chunks[q]
            if chunk.kind == "imports" and chunk.start == chunk.end:
                continue
            kids = [c for p in chunk.parts for c in p.children] if chunk.parts else chunk.children
            entry = _entry(index, chunk, level, docs)
            if counts and kids and level + 1 >= depth:
                entry += "  [%d members]" % len(kids)
            out.append(entry)
            if level + 1 < depth and kids:
                walk(kids, level + 1)

    walk(index.top, 0)
    if index.section_problems:
        out.append("! sections: " + "; ".join(index.section_problems))
    return out


def _count(index: Index, names: List[str], depth: int) -> int:
    total = 0
    for q in names:
        chunk = index.chunks[q]
        total += 1
        if depth > 1:
            kids = [c for p in chunk.parts for c in p.children] if chunk.parts else chunk.children
            total += _count(index, kids, depth - 1)
    return total


def outline(path: str, depth: int = 2, docs: bool = True, max_lines: int = DEFAULT_LINES) -> str:
    """Outline of a file, a module name (pkg.mod) or a package folder."""
    if os.path.isdir(path):
        return package_outline(path, depth=depth, max_lines=max_lines)
    if not path.endswith((".py", ".pyi", ".pyw")) and not os.path.exists(path):
        from splice.targets import find_module_file

        path = find_module_file(path)
        if os.path.basename(path) == "__init__.py" and depth > 1:
            return package_outline(os.path.dirname(path), depth=depth, max_lines=max_lines)
    doc = load_doc(path)[0]
    head = "%s  (%d lines)  targets: %s::NAME" % (path, len(doc.lines), path)
    if depth > 1 and _count(doc.index, doc.index.top, depth) + 1 > max_lines:
        lines = module_lines(doc, 1, docs, counts=True)  # too big for the budget: top level with member counts
        head += "  (depth 1 to fit; outline(%r, depth=2, max_lines=N) for members)" % path
    else:
        lines = module_lines(doc, depth, docs)
    return cut([head] + lines, max_lines, max_chars=max_lines * 160, hint="a smaller depth, docs=False, or find()")


def package_outline(folder: str, depth: int = 1, max_lines: int = DEFAULT_LINES) -> str:
    """Modules first, with line and symbol counts and their top-level names; depth ≥ 2 adds each module's outline."""
    rows: List[str] = []
    detail: List[str] = []
    total_lines = 0
    files = sorted(iter_files(folder, "*.py"))
    for path in files:
        rel = os.path.relpath(path, os.path.dirname(os.path.abspath(folder)))
        try:
            doc = load_doc(path)[0]
            top = [q for q in doc.index.top if q != "imports"]
            n_symbols = len(doc.index.chunks) - 2
        except SpliceError as exc:
            rows.append("  %s  (does not parse: %s)" % (rel, str(exc).split("(", 1)[-1][:60]))
            continue
        total_lines += len(doc.lines)
        rows.append("  %s  %d lines, %d symbols: %s" % (rel, len(doc.lines), n_symbols, clip(", ".join(top), 80)))
        if depth >= 2:
            detail.append(rel)
            detail += ["  " + line for line in module_lines(doc, depth - 1, docs=False)]
    head = "%s/  (%d modules, %d lines)" % (folder.rstrip("/"), len(files), total_lines)
    return cut([head] + rows + detail, max_lines, max_chars=max_lines * 160,
               hint="outline one module: outline('pkg/mod.py')")


def show_numbered(doc: Doc, chunk: Chunk, context: int = 0, max_lines: Optional[int] = None) -> str:
    pieces: List[str] = []
    for start, end in chunk.spans:
        lo, hi = max(start - context, 0), min(end + context, len(doc.lines))
        width = len(str(hi))
        pieces += ["%*d  %s" % (width, lo + i + 1, line.rstrip("\r\n")) for i, line in enumerate(doc.lines[lo:hi])]
    if max_lines is None:
        return "\n".join(pieces)
    hint = "a member" if chunk.children else "context=0"
    return cut(pieces, max_lines, max_chars=max_lines * 200, hint="show %s" % hint)
