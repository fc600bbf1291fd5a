"""Source text that round-trips byte for byte: encoding, BOM, newline style, missing final newline."""

from __future__ import annotations

import ast
import codecs
import io
import re
import threading
import tokenize
from dataclasses import dataclass
from typing import List, Sequence, Tuple

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_PARSE = threading.Lock()


def parse(text: str, filename: str = "<string>") -> ast.Module:
    """`ast.parse`, one thread at a time: CPython before 3.11.8/3.12.2 can fail two concurrent parses with
    "SystemError: AST constructor recursion depth mismatch" (gh-106905), and an MCP server or a script edits from
    threads. The lock costs well under a microsecond uncontended."""
    with _PARSE:
        return ast.parse(text, filename=filename)


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split only where Python's tokenizer breaks lines (not at \\f or \\u2028)."""
    return _LINE.findall(text)


@dataclass
class Source:
    """Decoded text plus what it takes to write the same bytes back."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False

    @classmethod
    def decode(cls, raw: bytes) -> "Source":
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        bom = raw.startswith(codecs.BOM_UTF8)
        if bom:
            raw = raw[len(codecs.BOM_UTF8) :]
            encoding = "utf-8"
        elif encoding == "utf-8-sig":
            encoding = "utf-8"
        return cls(raw.decode(encoding), encoding, bom)

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data

    @property
    def newline(self) -> str:
        """The file's dominant line ending, used for every line splice writes."""
        crlf = self.text.count("\r\n")
        lf = self.text.count("\n") - crlf
        cr = self.text.count("\r") - crlf
        if crlf > lf and crlf >= cr:
            return "\r\n"
        if cr > lf:
            return "\r"
        return "\n"


def common_ends(a: Sequence, b: Sequence) -> Tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping it): what a change left alone.
    Works on strings (characters) and lists (lines)."""
    p = 0
    n = min(len(a), len(b))
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return p, s


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def is_blank(line: str) -> bool:
    return not line.strip()


def is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def indent_unit(lines: List[str]) -> str:
    """The file's indentation step: a tab if indented lines start with tabs, else the smallest space step."""
    tabs = spaces = 0
    steps = {}
    seen = 0
    for line in lines:
        if line[:1] not in (" ", "\t") or is_blank(line):
            continue
        seen += 1
        if seen > 400:  # a sample decides: files do not change style halfway
            break
        ind = indent_of(line)
        if ind.startswith("\t"):
            tabs += 1
        else:
            spaces += 1
            steps[len(ind)] = steps.get(len(ind), 0) + 1
    if tabs > spaces:
        return "\t"
    if not steps:
        return "    "
    smallest = min(steps)
    return " " * (smallest if smallest in (2, 3, 4, 8) else 4)
