"""What a chunk says of itself on one line, for outlines and messages: its signature as written and the first
line of its docstring. Editing never needs these, so they are computed on demand."""

from __future__ import annotations

import ast
import re
from typing import List, Optional

from splice.core.locate.chunk import Chunk

_DOCUMENTED = ("class", "def", "async def", "property", "overloaded")


def signature(lines: List[str], chunk: Chunk) -> str:
    """`def name(args) -> ret`, `class Name(bases)`, `NAME = value…` as written, on one line."""
    node = chunk.node
    if chunk.kind == "imports" and chunk.start == chunk.end:
        return "(no imports yet)"  # the empty place where they belong, maybe past the last line
    if chunk.kind in ("imports", "main", "section", "module") or node is None:
        return lines[chunk.header].strip() if chunk.kind != "module" and chunk.header < len(lines) else ""
    if chunk.kind == "assign":
        text = lines[node.lineno - 1].strip()  # type: ignore[attr-defined]
        return (text.split("  #", 1)[0] if "'" not in text and '"' not in text else text)[:80]
    stop = chunk.body_start if chunk.body_start is not None else node.lineno  # type: ignore[attr-defined]
    text = " ".join(lines[i].strip() for i in range(node.lineno - 1, max(stop, node.lineno)))  # type: ignore
    return cut_header(text)


def doc_line(chunk: Chunk) -> str:
    """First line of the docstring of a class, function or group, if any."""
    if chunk.kind in _DOCUMENTED and chunk.node is not None:
        return first_line(ast.get_docstring(chunk.node, clean=False))  # type: ignore[arg-type]
    return ""


def header_colon(text: str) -> Optional[int]:
    """Index of the colon that ends a header (outside brackets and strings), or None."""
    depth, quote = 0, ""
    for pos, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return pos
    return None


def cut_header(text: str) -> str:
    """Cut a joined header at the colon that ends it; collapse spaces."""
    pos = header_colon(text)
    sig = re.sub(r"\s+", " ", text if pos is None else text[:pos]).strip()
    return sig.replace("( ", "(").replace(" )", ")").replace(",)", ")")


def first_line(doc: Optional[str]) -> str:
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""
