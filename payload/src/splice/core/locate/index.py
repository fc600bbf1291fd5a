"""`Index`: one module's chunk table together with the text and tree it was built from, the entry point the
rest of splice uses (`doc.index.resolve(name)`, `.chunks`, `.top`, `.signature(chunk)`, `.doc(chunk)`)."""

from __future__ import annotations

import ast
from typing import Dict, List, Tuple

from splice.core.errors import SpliceError
from splice.core.locate.build import fill
from splice.core.locate.chunk import Chunk, Table
from splice.core.locate.describe import doc_line, signature
from splice.core.locate.lookup import resolve
from splice.core.text import parse


class Index(Table):
    """All chunks of one module text, by qualified name."""

    def __init__(self, lines: List[str], tree: ast.Module) -> None:
        super().__init__()
        self.lines = lines
        self.tree = tree
        self._signatures: Dict[Tuple[str, int], str] = {}  # outlines ask again as they fit their budget
        fill(self, lines, tree)

    def resolve(self, qualname: str, path: str = "") -> Chunk:
        """The chunk a name means; NotFound / Ambiguous say which names there are."""
        return resolve(self, qualname, path)

    def signature(self, chunk: Chunk) -> str:
        """The chunk's header on one line (computed once per chunk: a warm outline asks for every one)."""
        key = (chunk.qualname, chunk.start)
        if key not in self._signatures:
            self._signatures[key] = signature(self.lines, chunk)
        return self._signatures[key]

    def doc(self, chunk: Chunk) -> str:
        """First line of the docstring, if any."""
        return doc_line(chunk)


def parse_index(lines: List[str], text: str, path: str = "") -> Index:
    """The index of a module's text; a text that does not parse is an error that says what still works."""
    try:
        tree = parse(text, filename=path or "<string>")
    except SyntaxError as exc:
        raise SpliceError(
            "%s does not parse (line %s: %s): only whole-module edits work on it, e.g. edit(%r, old, new)"
            % (path or "the code", exc.lineno, exc.msg, path or "file.py")
        ) from None
    return Index(lines, tree)
