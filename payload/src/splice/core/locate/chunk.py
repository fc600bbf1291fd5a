"""What a chunk is (`Chunk`), the table that holds a module's chunks (`Table`), and names without their `[i]`."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

INDEXED = re.compile(r"\[(\d+)\]")  # `f[1]`: one of several definitions of the same name


@dataclass
class Chunk:
    """One addressable region. Line indexes are 0-based; `end` and `body_end` are exclusive."""

    qualname: str
    kind: str  # class | def | async def | assign | imports | main | section | module | property | overloaded | cell
    name: str
    start: int
    end: int
    indent: str
    header: int = 0  # first decorator or def line (the chunk without its attached comments)
    line: int = 0  # 1-based line of the def/class/assignment itself, for messages
    body_start: Optional[int] = None  # None: the body shares the header line (`def f(): return 1`)
    body_end: Optional[int] = None
    body_indent: Optional[str] = None
    scope: str = "module"  # module | class | function: the kind of block the chunk sits in
    node: Optional[ast.AST] = field(default=None, repr=False, compare=False)
    block: Optional[Tuple[int, int]] = None  # [first, end) lines of the enclosing block's statements (not module)
    parts: List["Chunk"] = field(default_factory=list)  # property / overload groups
    children: List[str] = field(default_factory=list)
    parent: Optional[str] = None

    @property
    def spans(self) -> List[Tuple[int, int]]:
        return [(p.start, p.end) for p in self.parts] if self.parts else [(self.start, self.end)]


class Table:
    """A module's chunks by qualified name in the order they were found, and its top level in outline order."""

    def __init__(self) -> None:
        self.chunks: Dict[str, Chunk] = {}
        self.top: List[str] = []
        self.section_problems: List[str] = []

    def add(self, chunk: Chunk, parent: Optional[str] = None) -> None:
        """File the chunk under its qualified name, as a child of `parent` or at the top level."""
        self.chunks[chunk.qualname] = chunk
        chunk.parent = parent
        if parent is None:
            self.top.append(chunk.qualname)
        else:
            self.chunks[parent].children.append(chunk.qualname)


def plain(qualname: str) -> str:
    """The name without its `[i]` indices: `f[1].g` -> `f.g`."""
    return INDEXED.sub("", qualname)


def twin(chunk: Chunk, name: str) -> Chunk:
    """The same region under another name (`a, b = …` makes one chunk per name), with no children or parts."""
    copy = Chunk(**{k: getattr(chunk, k) for k in chunk.__dataclass_fields__})  # type: ignore[attr-defined]
    copy.name, copy.children, copy.parts = name, [], []
    return copy
