"""Compact outlines: every entry starts with the exact target `show`/`replace` accept, then its signature, lines,
and the first line of its docstring. A package outline lists modules with symbol counts first."""

from __future__ import annotations

import json
import os
import shlex
from typing import Callable, List, Optional, Tuple

from splice.core.budget import DEFAULT_LINES, clip, cut
from splice.core.edit import Doc
from splice.core.errors import SpliceError
from splice.core.files import load_doc
from splice.core.locate import Chunk, Index
from splice.core.targets import parse_target
from splice.core.walk import iter_files

DOC_WIDTH = 60
CHARS_PER_LINE = 160  # the character budget of an outline: max_lines * this
PACKED_WIDTH = 150


def _span(chunk: Chunk) -> str:
    return "L%d" % (chunk.start + 1) if chunk.end - chunk.start <= 1 else "L%d-%d" % (chunk.start + 1, chunk.end)


def _sig(index: Index, chunk: Chunk) -> str:
    """The short signature an entry shows: `(args) -> ret`, `class(bases)`, `= value`, …"""
    sig = index.signature(chunk)
    if chunk.kind in ("def", "async def"):
        pos = sig.find("(")
        return ("async " if chunk.kind == "async def" else "") + (sig[pos:] if pos >= 0 else "")
    if chunk.kind == "class":
        pos = sig.find("(")
        return "class" + (sig[pos:] if pos >= 0 else "")
    if chunk.kind == "assign":
        return "= " + sig.split("=", 1)[1].strip() if "=" in sig else sig
    if chunk.kind in ("property", "overloaded"):
        return chunk.kind + " (" + ", ".join(p.qualname.rsplit(".", 1)[-1] for p in chunk.parts) + ")"
    if chunk.kind == "cell":
        return sig
    if chunk.kind == "imports":
        return "(%d lines)" % (chunk.end - chunk.start) if chunk.end > chunk.start else "(none)"
    return ""


def _entry(index: Index, chunk: Chunk, depth: int, docs: bool) -> str:
    doc = index.doc(chunk) if docs else ""
    text = "%s%s  %s  %s" % ("  " * depth, chunk.qualname, _span(chunk), clip(_sig(index, chunk), 70))
    return text.rstrip() + ("  — " + clip(doc, DOC_WIDTH) if doc else "")


def _kids(chunk: Chunk) -> List[str]:
    """The members an outline lists under a chunk."""
    return [c for p in chunk.parts for c in p.children] if chunk.parts else list(chunk.children)


def _inside(index: Index, region: Chunk) -> List[str]:
    """The outermost definitions inside a section or cell (listed when the region itself is outlined)."""
    return [
        q
        for q, c in index.chunks.items()
        if c.kind in ("class", "def", "async def", "assign", "property", "overloaded", "main")
        and region.start <= c.start < region.end
        and (c.parent is None or index.chunks[c.parent].start < region.start)
    ]


def _rows(index: Index, names: List[str], depth: int, level: int = 0) -> List[Tuple[int, str]]:
    """(level, qualname) of every entry down to `depth` levels, in file order."""
    out: List[Tuple[int, str]] = []
    for q in names:
        chunk = index.chunks[q]
        if chunk.kind == "imports" and chunk.start == chunk.end:
            continue
        out.append((level, q))
        if depth > 1:
            out += _rows(index, _kids(chunk), depth - 1, level + 1)
    return out


def _folded(index: Index, rows: List[Tuple[int, str]], i: int) -> int:
    """Members of row i that the rows do not show (0 when they are shown or there are none)."""
    level, q = rows[i]
    shown = i + 1 < len(rows) and rows[i + 1][0] > level
    return 0 if shown else len(_kids(index.chunks[q]))


def _render(index: Index, rows: List[Tuple[int, str]], mode: str, width: int = PACKED_WIDTH) -> List[str]:
    """mode: "docs" (one entry a line with its docstring line), "plain" (without it), "packed" (several a line,
    up to `width` characters)."""
    if mode != "packed":
        out = []
        for i, (level, q) in enumerate(rows):
            n = _folded(index, rows, i)
            out.append(_entry(index, index.chunks[q], level, mode == "docs") + ("  [%d members]" % n if n else ""))
        return out
    out, line, last = [], "", -1
    for i, (level, q) in enumerate(rows):
        chunk = index.chunks[q]
        sig = clip(_sig(index, chunk), 50) if chunk.kind in ("def", "async def", "class") else ""
        n = _folded(index, rows, i)
        item = "%s%s %s%s" % (
            q,
            sig[5:] if chunk.kind == "class" else sig,
            _span(chunk),
            " [%d members]" % n if n else "",
        )
        if line and level == last and len(line) + len(item) + 2 <= width:
            line += "; " + item
        else:
            if line:
                out.append(line)
            line = "  " * level + item
        last = level
    return out + ([line] if line else [])


def module_lines(doc: Doc, depth: int = 2, docs: bool = True) -> List[str]:
    """One entry a line down to `depth` levels (with `[N members]` on entries whose members are not shown)."""
    out = _render(doc.index, _rows(doc.index, doc.index.top, depth), "docs" if docs else "plain")
    return out + (["! sections: " + "; ".join(doc.index.section_problems)] if doc.index.section_problems else [])


def _call(door: str, target: str, depth: Optional[int] = None, max_lines: Optional[int] = None) -> str:
    """The outline call that shows what a cut left out, written for the door the user came through."""
    opts = [(k, v) for k, v in (("depth", depth), ("max_lines", max_lines)) if v is not None]
    if door == "cli":
        return "splice outline %s" % shlex.quote(target) + "".join(
            " --%s %d" % (k.replace("_", "-"), v) for k, v in opts
        )
    if door == "tool":  # the agent door: the tool call itself
        return "outline " + json.dumps(dict([("targets", [target])] + opts))
    if door == "magic":
        return "%%outline %s" % target + "".join(" --%s %d" % (k.replace("_", "-"), v) for k, v in opts)
    return "splice.outline(%r%s)" % (target, "".join(", %s=%d" % kv for kv in opts))


def _lines_for(lines: List[str]) -> int:
    """The line budget that holds these lines within both budgets."""
    return max(len(lines), -(-sum(len(x) + 1 for x in lines) // CHARS_PER_LINE)) + 2


def outline(
    path: str, depth: Optional[int] = None, docs: bool = True, max_lines: int = DEFAULT_LINES, door: str = "python"
) -> str:
    """Outline of a file, a module name (pkg.mod), a package folder, or one class/function/section in a file
    (`FILE::Qual.name`, `pkg.mod:Qual`). depth None: two levels when they fit the budget, else the top level with
    member counts and the one call that shows a class's members; a depth or budget you give is honoured (entries
    are packed several a line before anything is cut). `door` ("python", "cli", "magic", "tool") words those calls.
    Several targets in one budget: `splice.api.outline`."""
    target = path.strip()
    if os.path.isdir(target):
        return package_outline(target, depth=depth or 2, max_lines=max_lines)
    t = parse_target(target)
    if not t.qualname and os.path.basename(t.path) == "__init__.py" and not os.path.exists(target) and depth != 1:
        return package_outline(os.path.dirname(t.path), depth=depth or 2, max_lines=max_lines)
    doc = load_doc(t.path)[0]
    index = doc.index
    # how the user named the file, reused in the calls the output suggests ("argparse.py", "argparse", "pkg.mod")
    spec = target.split("::", 1)[0] if "::" in target else target.split(":", 1)[0] if t.qualname else target
    if t.qualname:
        chunk = doc.chunk(t.qualname)
        roots = _inside(index, chunk) if chunk.kind in ("section", "cell") else _kids(chunk)
        head = "%s::%s" % (t.path, _entry(index, chunk, 0, docs).lstrip())
        head += "  (%d members)" % len(roots) if roots else ""
    else:
        roots = index.top
        head = "%s  (%d lines)  targets: %s::NAME" % (t.path, len(doc.lines), t.path)
    max_chars = max_lines * CHARS_PER_LINE
    problems = ["! sections: " + "; ".join(index.section_problems)] if index.section_problems and not t.qualname else []
    here = "%s::%s" % (spec, t.qualname) if t.qualname else spec

    def fits(lines: List[str]) -> bool:
        return len(lines) <= max_lines and sum(len(x) + 1 for x in lines) <= max_chars

    full = _rows(index, roots, depth or 2)
    for d in [2, 1] if depth is None else [depth]:
        rows = _rows(index, roots, d)
        for mode, width in (("docs", 0), ("plain", 0), ("packed", PACKED_WIDTH), ("packed", 2 * PACKED_WIDTH)):
            if (mode == "docs" and not docs) or (depth is None and d > 1 and mode == "packed"):
                continue
            if mode != "packed" and len(rows) + 1 > max_lines:  # one entry a line cannot fit: skip rendering it
                continue
            body = _render(index, rows, mode, width)
            notes = []
            if mode != "docs" and docs:
                notes.append(
                    "docstring lines left out to fit (%s shows them)"
                    % _call(door, here, depth, _lines_for([head] + _render(index, rows, "docs")))
                )
            if mode == "packed":
                notes.append("entries packed several a line to fit")
            if len(rows) < len(full):
                folded = [(q, len(_kids(index.chunks[q]))) for i, (lv, q) in enumerate(rows) if _folded(index, rows, i)]
                q, n = max(folded, key=lambda x: x[1])
                notes.append(
                    "left out to fit: %d members of the %d entries marked [N members]; one: %s (%d members); all: %s"
                    % (
                        len(full) - len(rows),
                        len(folded),
                        _call(door, "%s::%s" % (spec, q)),
                        n,
                        _call(door, here, 2, _lines_for([head] + _render(index, full, "plain"))),
                    )
                )
            lines = [head] + body + ["… " + n for n in notes] + problems
            if fits(lines):
                return "\n".join(lines)
    return cut(
        [head] + body + problems,
        max_lines - 1,
        max_chars=max_chars - 200,
        hint="one: %s; or all: %s"
        % (
            _call(door, "%s::%s.NAME" % (spec, t.qualname) if t.qualname else "%s::NAME" % spec),
            _call(door, here, depth, _lines_for([head] + body)),
        ),
    )


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
    return cut(
        [head] + rows + detail,
        max_lines,
        max_chars=max_lines * CHARS_PER_LINE,
        hint="outline one module: outline('pkg/mod.py')",
    )


def show_numbered(
    doc: Doc, chunk: Chunk, context: int = 0, max_lines: Optional[int] = None,
    again: Optional[Callable[[int], str]] = None,
) -> str:
    """The chunk's lines numbered, within `max_lines`; a cut ends with the marker naming a member, and `again` of
    the line count: the call that shows them all."""
    pieces: List[str] = []
    for start, end in chunk.spans:
        lo, hi = max(start - context, 0), min(end + context, len(doc.lines))
        width = len(str(hi))
        pieces += ["%*d  %s" % (width, lo + i + 1, line.rstrip("\r\n")) for i, line in enumerate(doc.lines[lo:hi])]
    if max_lines is None:
        return "\n".join(pieces)
    whole = "all: " + (again(len(pieces) + 1) if again else "a larger max_lines")
    hint = ("one: show a member; or " if chunk.children else "") + whole
    return cut(pieces, max_lines, max_chars=max_lines * 200, hint=hint)
