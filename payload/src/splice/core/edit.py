"""The pure core: text in, text out. Every operation is planned as line splices against the original lines.

Planning against the original is what makes a batch atomic and position-safe: all splices are located first,
checked for overlap, then applied bottom-up. The syntax check parses only the new chunk (dedented) when that is
equivalent to parsing the file — a statement list replaced by a statement list at the same block level — and the
whole file otherwise, or when the chunk alone does not parse, so the error is located exactly.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from splice.core.elision import marker_lines
from splice.core.errors import Ambiguous, BadTarget, Conflict, ElidedCode, NotFound, WouldBreakSyntax
from splice.core.locate import DEF_KINDS, Chunk, Index, header_colon, parse_index
from splice.core.reindent import dedented_text, normalize, reindent
from splice.core.sections import START
from splice.core.text import Source, common_ends, indent_of, indent_unit, is_blank, is_comment, parse, split_lines

_DEF_LINE = re.compile(r"^\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")
DIFF_BUDGET = 40


@dataclass
class Splice:
    """Replace lines [start, end) of the original with `lines`."""

    start: int
    end: int
    lines: List[str]
    standalone: bool = True  # the new lines form a statement list that can be parsed on its own
    context: Optional[Tuple[int, int]] = None  # the original chunk around [start, end): parsed as a whole


@dataclass
class Edit:
    """What an operation did (or would do): ranges are 1-based inclusive line numbers."""

    op: str
    target: str
    path: str
    old_range: Tuple[int, int]
    new_range: Tuple[int, int]
    before: str
    after: str
    diff: str
    written: bool = False
    notes: List[str] = field(default_factory=list)
    checks: Optional[object] = None  # a splice.checks.stages.CheckReport when checks were asked for

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def summary(self) -> str:
        span = lambda r: "L%d-%d" % r if r[1] >= r[0] else "L%d (empty)" % r[0]  # noqa: E731
        verb = "ok" if self.written else "dry run"
        line = "%s %s %s: %s → %s" % (verb, self.op, self.target, span(self.old_range), span(self.new_range))
        return line + ("".join("; " + n for n in self.notes))

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:  # IPython shows the verdict, not the texts
        printer.text(str(self))  # type: ignore[attr-defined]

    def __str__(self) -> str:
        text = self.summary() + ("\n" + self.diff if self.diff else "")
        if self.checks is not None:
            text += "\nchecks:\n" + str(self.checks)
            if self.written and not getattr(self.checks, "ok", True):
                text += "\nchecks found problems; the edit is written and kept: fix it with another edit, or undo it"
        return text


class Doc:
    """One module's text, its lines and (lazily) its index: what every planner reads."""

    def __init__(self, source: Source, path: str = "") -> None:
        self.source = source
        self.path = path
        self.lines = split_lines(source.text)
        self.newline = source.newline
        self._index: Optional[Index] = None
        self._unit: Optional[str] = None
        self._gaps: Dict[str, int] = {}

    @classmethod
    def from_text(cls, text: str, path: str = "") -> "Doc":
        return cls(Source(text), path)

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = parse_index(self.lines, self.source.text, self.path)
        return self._index

    @property
    def unit(self) -> str:
        if self._unit is None:
            self._unit = indent_unit(self.lines)
        return self._unit

    def chunk(self, qualname: str) -> Chunk:
        return self.index.resolve(qualname, self.path)

    def gap(self, scope: str) -> int:
        """Blank lines the file puts before a definition in this kind of block (PEP 8 when it cannot tell)."""
        if scope not in self._gaps:
            counts: Dict[int, int] = {}
            for c in self.index.chunks.values():
                if c.scope == scope and c.kind in ("class", "def", "async def") and c.start > 0:
                    i, n = c.start, 0
                    while i > 0 and is_blank(self.lines[i - 1]):
                        i, n = i - 1, n + 1
                    if i > 0 and not self.lines[i - 1].rstrip().endswith(":"):
                        counts[n] = counts.get(n, 0) + 1
            default = 2 if scope == "module" else 1
            self._gaps[scope] = max(counts, key=lambda k: (counts[k], k == default)) if counts else default
        return self._gaps[scope]


def _text_lines(lines: List[str]) -> str:
    return "".join(lines)


def _is_def_code(lines: Sequence[str]) -> bool:
    for line in lines:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        return s.startswith(("@", "def ", "class ", "async def"))
    return False


def _first_def_name(lines: Sequence[str]) -> Optional[str]:
    for line in lines:
        s = line.strip()
        if not s or s.startswith(("#", "@")):
            continue
        m = _DEF_LINE.match(line)
        return m.group(1) if m else None
    return None



# ---------------------------------------------------------------------------------------------------- planners


def plan_replace(
    doc: Doc, chunk: Chunk, code: str, keep_elided: bool = False, force: bool = False, notes: Optional[List[str]] = None
) -> List[Splice]:
    notes = notes if notes is not None else []
    if chunk.kind == "module":
        lines = normalize(code, doc.newline)
        return [Splice(0, len(doc.lines), _keep_final_newline(doc, len(doc.lines), lines), standalone=False)]
    raw = normalize(code, doc.newline)
    if not raw:
        raise BadTarget("no code given: to delete %s use remove" % chunk.qualname)
    whole = _is_whole(chunk, raw)
    if whole:
        indent, start, end = chunk.indent, chunk.start, chunk.end
        if chunk.kind == "section":
            indent = chunk.indent
        elif not is_comment(raw[0]):
            start = chunk.header  # new code without comments above it keeps the old attached comments
            if chunk.kind in DEF_KINDS.values() and not raw[0].lstrip().startswith("@"):
                start = chunk.line - 1  # ... and new code from its def/class line keeps the old decorators
        new = reindent(_text_lines(raw), indent, doc.unit, doc.newline)
        old = doc.lines[start:end]
    else:
        if chunk.body_indent is None or chunk.body_start is None:
            return _replace_inline_body(doc, chunk, raw)
        start, end = chunk.body_start, chunk.body_end if chunk.body_end is not None else chunk.end
        new = reindent(_text_lines(raw), chunk.body_indent, doc.unit, doc.newline)
        old = doc.lines[start:end]
    if not force:
        new = _guard_elision(doc, chunk, old, new, whole, keep_elided, notes)
    new = _keep_final_newline(doc, end, new)
    standalone = chunk.kind not in ("section", "cell")
    splices = [Splice(start, end, new, standalone)]
    if whole and chunk.parts and not _contiguous(doc, chunk.parts):
        # a property or overload group with other members between its parts: the first part's place takes the
        # new code, the other parts go
        splices = [Splice(start, chunk.parts[0].end, new, standalone)]
        splices += _clipped([_removal(doc, p.start, p.end, p.indent) for p in chunk.parts[1:]], chunk.parts[0].end)
    return splices


def _contiguous(doc: Doc, parts: List[Chunk]) -> bool:
    """Only blank lines and comments between the parts of a group."""
    return all(
        is_blank(line) or is_comment(line) for a, b in zip(parts, parts[1:]) for line in doc.lines[a.end : b.start]
    )


def _clipped(splices: List[Splice], floor: int) -> List[Splice]:
    """Removals of separate parts must not overlap each other (or what lies before `floor`)."""
    out: List[Splice] = []
    for sp in sorted(splices, key=lambda s: s.start):
        lo = max(sp.start, out[-1].end if out else floor)
        out.append(Splice(lo, max(lo, sp.end), sp.lines, sp.standalone))
    return out


def _is_whole(chunk: Chunk, raw: List[str]) -> bool:
    """Does the new code replace the whole chunk (header included) or only its body?"""
    if chunk.kind in ("assign", "imports", "property", "overloaded"):
        return True
    if chunk.kind == "section":
        first = next((line for line in raw if line.strip()), "")
        return bool(START.match(first.strip()))
    if chunk.kind == "cell":
        first = next((line for line in raw if line.strip()), "")
        return first.lstrip().startswith("#") and "%%" in first.split("#", 1)[1][:4]
    if chunk.kind == "main":
        first = next((line for line in raw if line.strip() and not is_comment(line)), "")
        return first.lstrip().startswith("if ") and "__name__" in first
    return _first_def_name(raw) is not None or raw[0].lstrip().startswith("@")


def _replace_inline_body(doc: Doc, chunk: Chunk, raw: List[str]) -> List[Splice]:
    """`def f(): return 1` with a new body: the header keeps its line, the body moves below it."""
    header_line = doc.lines[chunk.header if chunk.kind != "main" else chunk.start]
    lead = header_line.rstrip("\r\n")
    cut = header_colon(lead) if lead.lstrip().startswith(("def", "async", "class", "if")) else None
    if cut is None:
        raise BadTarget("cannot find the end of %s's header; replace the whole definition instead" % chunk.qualname)
    body = reindent(_text_lines(raw), chunk.indent + doc.unit, doc.unit, doc.newline)
    new = [lead[: cut + 1] + doc.newline] + body
    start = chunk.header
    return [Splice(start, chunk.end, _keep_final_newline(doc, chunk.end, new))]


def _guard_elision(
    doc: Doc, chunk: Chunk, old: List[str], new: List[str], whole: bool, keep: bool, notes: List[str]
) -> List[str]:
    markers = [(i, t) for i, t in marker_lines(new) if t not in {line.strip() for line in old}]
    if not markers:
        return new
    if chunk.kind == "class" and whole:
        members = [doc.index.chunks[c] for c in chunk.children]
        new_text = _text_lines(new)
        lost = [
            m
            for m in members
            if not re.search(
                r"(?m)^\s*(?:async\s+def|def|class)\s+%s\b|^\s*%s\s*[:=]" % (re.escape(m.name), re.escape(m.name)),
                new_text,
            )
        ]
        if not lost:
            return new
        if keep:
            return _restore_members(doc, new, markers, lost, notes)
        names = ", ".join("%s (line %d)" % (m.qualname, m.line) for m in lost)
        raise ElidedCode(
            "new code for %s elides code with %r (new line %d): it would lose %s.\n"
            "Replace only what changed (e.g. %s), or pass keep_elided=True to keep the missing members."
            % (chunk.qualname, markers[0][1], markers[0][0] + 1, names, lost[0].qualname)
        )
    kept = {line.strip() for line in new}
    lost_lines = [line.strip() for line in old if line.strip() and line.strip() not in kept and not is_comment(line)]
    if not lost_lines:
        return new
    raise ElidedCode(
        "new code for %s elides code with %r (new line %d): %d old line(s) have no counterpart, first: %r.\n"
        "Send the full code, or use edit(target, old, new) to change a few lines in place%s."
        % (
            chunk.qualname,
            markers[0][1],
            markers[0][0] + 1,
            len(lost_lines),
            lost_lines[0],
            "" if chunk.kind != "class" else ", or replace a single method",
        )
    )


def _restore_members(
    doc: Doc, new: List[str], markers: List[Tuple[int, str]], lost: List[Chunk], notes: List[str]
) -> List[str]:
    at = markers[0][0]
    indent = indent_of(new[at])
    blocks: List[str] = []
    for m in lost:
        text = doc.lines[m.start : m.end]
        blocks += reindent(_text_lines(text), indent, doc.unit, doc.newline) + [doc.newline]
    drop = {i for i, _ in markers}
    out = (
        [line for i, line in enumerate(new[:at]) if i not in drop]
        + blocks[:-1]
        + [line for i, line in enumerate(new[at:], at) if i not in drop]
    )
    notes.append("kept from the old code: " + ", ".join(m.name for m in lost))
    return out


def _keep_final_newline(doc: Doc, end: int, new: List[str]) -> List[str]:
    """A file that ended without a newline still does when the splice reaches its end."""
    if end >= len(doc.lines) and doc.lines and not doc.lines[-1].endswith(("\n", "\r")) and new:
        new = new[:-1] + [new[-1].rstrip("\r\n")]
    return new


def _removal(doc: Doc, start: int, end: int, indent: str, block: Optional[Tuple[int, int]] = None) -> Splice:
    """Remove lines [start, end) and the blank lines that separated them, keeping the block parseable."""
    n = len(doc.lines)
    if block is not None and start <= block[0] and end >= block[1]:
        return Splice(start, end, [indent + "pass" + doc.newline])  # the block would be empty
    after = end
    while after < n and is_blank(doc.lines[after]):
        after += 1
    before = start
    while before > 0 and is_blank(doc.lines[before - 1]):
        before -= 1
    sibling_follows = after < n and len(indent_of(doc.lines[after])) >= len(indent)
    if sibling_follows or before == 0:
        return Splice(start, after, [])
    if end >= n and doc.lines and not doc.lines[-1].endswith(("\n", "\r")) and before > 0:
        return Splice(before - 1, end, [doc.lines[before - 1].rstrip("\r\n")])
    return Splice(before, end, [])



def plan_remove(doc: Doc, chunk: Chunk) -> List[Splice]:
    if chunk.kind == "module":
        raise BadTarget("removing a whole module is not an edit: delete the file")
    if chunk.kind == "imports" and chunk.start == chunk.end:
        raise NotFound("%s has no import block to remove" % (doc.path or "the module"))
    parts = chunk.parts or [chunk]
    if len(parts) == 1 or _contiguous(doc, parts):
        first = parts[0]
        sp = _removal(doc, first.start, parts[-1].end, first.indent, first.block)
        return [Splice(sp.start, sp.end, sp.lines, standalone=False)]
    block = parts[0].block
    removals = _clipped([_removal(doc, p.start, p.end, p.indent) for p in parts], 0)
    if block is not None and parts[0].start <= block[0] and parts[-1].end >= block[1]:
        last = parts[-1]  # the group filled its block: keep it parseable
        removals[-1] = Splice(removals[-1].start, last.end, [last.indent + "pass" + doc.newline])
    return [Splice(s.start, s.end, s.lines, standalone=False) for s in removals]


def _insertion(doc: Doc, at: int, indent: str, code: str, scope: str, before: bool, neighbour_is_def: bool) -> Splice:
    new = reindent(code, indent, doc.unit, doc.newline)
    if not new:
        raise BadTarget("no code given")
    gap = doc.gap(scope) if (_is_def_code(new) or neighbour_is_def) else 0
    if before:
        return Splice(at, at, new + [doc.newline] * gap)
    lines = list(new)
    prefix: List[str] = []
    if at >= len(doc.lines) and doc.lines and not doc.lines[-1].endswith(("\n", "\r")):
        # the file ended without a newline: end the old last line, and the new last line stays without one
        prefix = [doc.lines[-1] + doc.newline]
        lines[-1] = lines[-1].rstrip("\r\n")
        at -= 1
        return Splice(at, at + 1, prefix + [doc.newline] * gap + lines)
    trailing = 0
    while at - trailing - 1 >= 0 and is_blank(doc.lines[at - trailing - 1]) and at >= len(doc.lines):
        trailing += 1
    return Splice(at, at, [doc.newline] * max(gap - trailing, 0) + lines)


def plan_append(doc: Doc, chunk: Chunk, code: str) -> List[Splice]:
    """Append to the end of a class, function or `__main__` body, a section, the module or the import block."""
    if chunk.kind == "module":
        last_def = bool(doc.index.top) and doc.index.chunks[doc.index.top[-1]].kind in ("class", "def", "async def")
        return [_insertion(doc, len(doc.lines), "", code, "module", False, last_def)]
    if chunk.kind == "section":
        at = chunk.end - 1
        prev_def = _is_def_code(doc.lines[chunk.body_start or at : at][-1:]) or any(
            doc.index.chunks[q].kind in ("class", "def") and chunk.start < doc.index.chunks[q].start < at
            for q in doc.index.top
        )
        new = reindent(code, chunk.indent, doc.unit, doc.newline)
        gap = doc.gap("module" if not chunk.indent else "class") if (_is_def_code(new) or prev_def) else 0
        blank_before = 0
        while at - blank_before - 1 > chunk.start and is_blank(doc.lines[at - blank_before - 1]):
            blank_before += 1
        sep = [doc.newline] * max(gap - blank_before, 0) if at - blank_before - 1 > chunk.start else []
        return [Splice(at, at, sep + new + ([doc.newline] * gap if gap else []), standalone=False)]
    if chunk.kind == "imports":
        return plan_add_import(doc, code)
    if chunk.kind == "cell":
        return [Splice(chunk.end, chunk.end, reindent(code, "", doc.unit, doc.newline), standalone=False)]
    if chunk.body_indent is None or chunk.body_start is None:
        raise BadTarget("%s has a one-line body; replace it instead of appending" % chunk.qualname)
    last_child = doc.index.chunks[chunk.children[-1]] if chunk.children else None
    neighbour_def = bool(
        last_child and last_child.kind in ("class", "def", "async def") and last_child.end == chunk.end
    )
    scope = "class" if chunk.kind == "class" else "function"
    return [_insertion(doc, chunk.end, chunk.body_indent, code, scope, False, neighbour_def)]


def plan_insert(doc: Doc, chunk: Chunk, code: str, where: str) -> List[Splice]:
    if chunk.kind == "module":
        raise BadTarget("insert needs a symbol to insert beside; use append for the end of the module")
    if where not in ("before", "after"):
        raise BadTarget("insert where must be 'before' or 'after', not %r" % where)
    is_def = chunk.kind in ("class", "def", "async def", "property", "overloaded")
    at = chunk.start if where == "before" else chunk.end
    return [_insertion(doc, at, chunk.indent, code, chunk.scope, where == "before", is_def)]


def plan_edit(doc: Doc, chunk: Chunk, old: str, new: str) -> List[Splice]:
    """Scoped search/replace: `old` must occur exactly once inside the chunk (not the file)."""
    if not old:
        raise BadTarget("edit needs the old text to find (it must occur once inside the target)")
    nl = doc.newline
    old_n = old.replace("\r\n", "\n").replace("\n", nl)
    new_n = new.replace("\r\n", "\n").replace("\n", nl)
    spans = chunk.spans
    lo, hi = spans[0][0], spans[-1][1]
    region = doc.lines[lo:hi]
    text = _text_lines(region)
    count = text.count(old_n)
    if count == 1:
        pos = text.index(old_n)
        replaced = text[:pos] + new_n + text[pos + len(old_n) :]
    elif count > 1:
        at = []
        pos = text.find(old_n)
        while pos >= 0:
            at.append(lo + text.count(nl, 0, pos) + 1)
            pos = text.find(old_n, pos + 1)
        raise Ambiguous(
            "old text occurs %d times in %s (lines %s): include more of the surrounding code"
            % (count, chunk.qualname, ", ".join(map(str, at))),
            [],
        )
    else:
        replaced = _edit_by_lines(region, old_n, new_n, nl, chunk, lo)
    new_region = split_lines(replaced)
    # keep the splice to the lines that changed, so the diff and the ranges are exact
    a, b = common_ends(region, new_region)
    standalone = chunk.kind not in ("module", "section")
    return [
        Splice(
            lo + a,
            lo + len(region) - b,
            new_region[a : len(new_region) - b],
            standalone,
            context=(lo, lo + len(region)),
        )
    ]  # parse the whole chunk on its own, not a fragment of it


def _edit_by_lines(region: List[str], old: str, new: str, nl: str, chunk: Chunk, lo: int) -> str:
    """`old` not found verbatim: match line by line ignoring indentation, re-indent `new` to what it matched."""
    want = [line.strip() for line in split_lines(old) if line.strip()]
    have = [line.strip() for line in region]
    hits = []
    if want:
        for i in range(len(have)):
            j, k = i, 0
            while j < len(have) and k < len(want):
                if not have[j]:
                    j += 1
                    continue
                if have[j] != want[k]:
                    break
                j, k = j + 1, k + 1
            if k == len(want) and have[i]:
                hits.append((i, j))
    if len(hits) > 1:
        raise Ambiguous(
            "old text occurs %d times in %s (lines %s, ignoring indentation): include more context"
            % (len(hits), chunk.qualname, ", ".join(str(lo + i + 1) for i, _ in hits)),
            [],
        )
    if not hits:
        needle = want[0] if want else old.strip()
        close = difflib.get_close_matches(needle, have, n=3, cutoff=0.6) or difflib.get_close_matches(
            needle, [h for h in have if h], n=1, cutoff=0
        )  # always name at least the nearest line
        hint = "; closest lines: " + " | ".join("L%d %r" % (lo + have.index(c) + 1, c) for c in close) if close else ""
        raise NotFound("old text not found in %s (lines %d-%d)%s" % (chunk.qualname, lo + 1, lo + len(region), hint))
    i, j = hits[0]
    old_lines = [line for line in split_lines(old) if line.strip()]
    base = indent_of(region[i])
    shift = len(indent_of(old_lines[0]))
    new_lines = []
    for line in split_lines(new.rstrip("\r\n") + nl) if new else []:
        body = line[shift:] if line[:shift].strip() == "" else line.lstrip(" \t")
        new_lines.append(base + body if body.strip() else body.lstrip(" \t"))
    return _text_lines(region[:i] + new_lines + region[j:])


_STDLIB_FALLBACK = {
    "abc", "argparse", "ast", "asyncio", "base64", "bisect", "builtins", "collections", "contextlib", "copy", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "enum", "fractions", "functools", "glob", "gzip", "hashlib",
    "heapq", "importlib", "inspect", "io", "itertools", "json", "logging", "math", "operator", "os", "pathlib",
    "pickle", "pprint", "queue", "random", "re", "shutil", "signal", "socket", "sqlite3", "statistics", "string",
    "struct", "subprocess", "sys", "tempfile", "textwrap", "threading", "time", "traceback", "types", "typing",
    "unittest", "urllib", "uuid", "warnings", "weakref", "zipfile", "zlib",
}


def _group(module: str) -> int:
    """0 __future__, 1 standard library, 2 third party, 3 local (relative)."""
    import sys

    if module == "__future__":
        return 0
    if module.startswith("."):
        return 3
    top = module.split(".")[0]
    names = getattr(sys, "stdlib_module_names", None) or _STDLIB_FALLBACK
    return 1 if top in names or top in sys.builtin_module_names else 2


def _import_module(node: ast.AST) -> str:
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    return node.names[0].name  # type: ignore[attr-defined]


def plan_add_import(doc: Doc, statement: str) -> List[Splice]:
    """Add imports to the import block: merged into a one-line `from X import …` that exists, else placed after the
    last import of the same group (stdlib, third party, local; after `__future__`), skipping ones already there."""
    imports = doc.index.chunks["imports"]
    existing = {line.strip() for line in doc.lines[imports.start:imports.end]}
    wanted = [line.strip() for line in normalize(statement, doc.newline)
              if line.strip() and line.strip() not in existing]
    nodes: List[Tuple[str, ast.stmt]] = []
    for line in wanted:
        try:
            tree = parse(line)
        except SyntaxError:
            raise BadTarget("not an import statement: %r" % line) from None
        if not all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body):
            raise BadTarget("not an import statement: %r" % line)
        nodes += [(line if len(tree.body) == 1 else _render(n), n) for n in tree.body]
    if not nodes:
        return []
    block = [n for n in doc.index.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
             and imports.start <= n.lineno - 1 < max(imports.end, imports.start + 1)]
    merged: Dict[int, Tuple[ast.ImportFrom, List[str]]] = {}
    placed: Dict[int, List[str]] = {}
    for text, node in nodes:
        module = _import_module(node)
        if isinstance(node, ast.ImportFrom):
            target = next((b for b in block if isinstance(b, ast.ImportFrom) and _import_module(b) == module
                           and b.lineno == b.end_lineno and "(" not in doc.lines[b.lineno - 1]
                           and "#" not in doc.lines[b.lineno - 1] and "\\" not in doc.lines[b.lineno - 1]), None)
            if target is not None:
                have = {(a.name, a.asname) for a in target.names}
                entry = merged.setdefault(target.lineno - 1, (target, []))
                entry[1].extend(a.name + (" as " + a.asname if a.asname else "") for a in node.names
                                if (a.name, a.asname) not in have)
                continue
        group = _group(module)
        same = [b for b in block if _group(_import_module(b)) == group]
        if same:
            at = same[-1].end_lineno  # type: ignore[attr-defined]
        else:
            later = [b for b in block if _group(_import_module(b)) > group]
            earlier = [b for b in block if _group(_import_module(b)) < group]
            at = (later[0].lineno - 1 if later else earlier[-1].end_lineno if earlier  # type: ignore[attr-defined]
                  else imports.end)
        placed.setdefault(at, []).append(text)
    splices: List[Splice] = []
    for index, (_node, names) in merged.items():
        if not names:
            continue
        line = doc.lines[index].rstrip("\r\n")
        splices.append(Splice(index, index + 1, [line + ", " + ", ".join(names) + doc.newline]))
    if imports.start == imports.end:  # no import block yet
        at = imports.start
        lines = [s + doc.newline for stmts in placed.values() for s in stmts]
        before = [doc.newline] if at > 0 and not is_blank(doc.lines[at - 1]) else []
        after = ([doc.newline] * (2 if _is_def_code(doc.lines[at:at + 1]) else 1)
                 if at < len(doc.lines) and not is_blank(doc.lines[at]) else [])
        return splices + [Splice(at, at, before + lines + after)]
    for at, stmts in placed.items():
        splices.append(Splice(at, at, _keep_final_newline(doc, at, [s + doc.newline for s in stmts])))
    return splices


def _render(node: ast.AST) -> str:
    names = ", ".join(a.name + (" as " + a.asname if a.asname else "") for a in node.names)  # type: ignore
    if isinstance(node, ast.ImportFrom):
        return "from %s import %s" % (_import_module(node), names)
    return "import " + names


def plan_drop_import(doc: Doc, name: str) -> List[Splice]:
    """Drop one imported name (`os`, `path` of `from os import path`, or an alias) from the import block."""
    imports = doc.index.chunks["imports"]
    tree = doc.index.tree
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not (imports.start <= node.lineno - 1 < imports.end):
            continue
        names = [a for a in node.names if (a.asname or a.name) == name or a.name == name]
        if not names:
            continue
        first, last = node.lineno - 1, node.end_lineno  # type: ignore[attr-defined]
        rest = [a for a in node.names if a not in names]
        if not rest:
            return [Splice(first, last, [])]
        indent = indent_of(doc.lines[first])
        parts = ", ".join(a.name + (" as " + a.asname if a.asname else "") for a in rest)
        head = (
            ("from %s%s import " % ("." * node.level, node.module or ""))
            if isinstance(node, ast.ImportFrom)
            else "import "
        )
        comment = doc.lines[last - 1].rstrip("\r\n")
        tail = ("  #" + comment.split("#", 1)[1]) if "#" in comment and "'" not in comment else ""
        return [Splice(first, last, [indent + head + parts + tail + doc.newline])]
    raise NotFound("no import of %r in the import block of %s" % (name, doc.path or "the module"))


# ---------------------------------------------------------------------------------------------------- applying


def apply_splices(doc: Doc, splices: Sequence[Splice]) -> Tuple[List[str], List[Tuple[int, int, Splice]]]:
    """New lines plus, for each splice, its [start, end) in the new text. Overlaps are a Conflict."""
    ordered = sorted(enumerate(splices), key=lambda p: (p[1].start, p[1].end, p[0]))
    for (_, a), (_, b) in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise Conflict(
                "edits overlap: lines %d-%d and %d-%d of the original" % (a.start + 1, a.end, b.start + 1, b.end)
            )
    out: List[str] = []
    placed: List[Tuple[int, int, Splice]] = []
    pos = 0
    for _, sp in ordered:
        out.extend(doc.lines[pos : sp.start])
        placed.append((len(out), len(out) + len(sp.lines), sp))
        out.extend(sp.lines)
        pos = sp.end
    out.extend(doc.lines[pos:])
    return out, placed


def check_syntax(doc: Doc, new_lines: List[str], placed: List[Tuple[int, int, Splice]]) -> None:
    """Refuse a result that does not parse, pointing at the offending line of the NEW code."""
    if placed and all(sp.standalone and (sp.lines or sp.context) for _, _, sp in placed):
        try:
            for a, b, sp in placed:
                if sp.context:
                    a, b = a - (sp.start - sp.context[0]), b + (sp.context[1] - sp.end)
                parse(dedented_text(new_lines[a:b]))
            return
        except SyntaxError:
            pass  # parse the whole file to locate the error exactly
    text = "".join(new_lines)
    try:
        parse(text, filename=doc.path or "<string>")
    except SyntaxError as exc:
        raise WouldBreakSyntax(_syntax_message(doc, new_lines, placed, exc)) from None


def _syntax_message(doc: Doc, new_lines: List[str], placed: List[Tuple[int, int, Splice]], exc: SyntaxError) -> str:
    line = (exc.lineno or 1) - 1
    where = "line %d of the file" % (line + 1)
    for a, b, _ in placed:
        if a <= line < max(b, a + 1):
            where = "line %d of the new code (file line %d)" % (line - a + 1, line + 1)
            break
    text = new_lines[line].rstrip("\r\n") if 0 <= line < len(new_lines) else ""
    caret = " " * max((exc.offset or 1) - 1, 0) + "^"
    already = ""
    try:
        parse(doc.source.text)
    except SyntaxError as old:
        already = " (the file did not parse before either: line %s)" % old.lineno
    return (
        "edit refused, the result would not parse: %s at %s%s\n    %s\n    %s\nnothing was written; "
        "fix the code or pass force=True" % (exc.msg, where, already, text, caret)
    )


def make_diff(doc: Doc, new_lines: List[str], placed: List[Tuple[int, int, Splice]], budget: int = DIFF_BUDGET) -> str:
    """A compact unified diff of just the spliced regions, capped at `budget` lines with a visible marker."""
    out: List[str] = []
    for a, b, sp in placed:
        old = doc.lines[sp.start : sp.end]
        new = new_lines[a:b]
        offset_old, offset_new = sp.start, a
        hunk = list(
            difflib.unified_diff(
                [line.rstrip("\r\n") for line in old], [line.rstrip("\r\n") for line in new], lineterm="", n=2
            )
        )[2:]
        for h in hunk:
            if h.startswith("@@"):
                m = re.match(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@", h)
                if m:
                    h = "@@ -%d%s +%d%s @@" % (
                        int(m.group(1)) + offset_old,
                        m.group(2) or "",
                        int(m.group(3)) + offset_new,
                        m.group(4) or "",
                    )
            out.append(h)
    if len(out) > budget:
        more = len(out) - budget
        out = out[:budget] + ["… %d more diff lines (show the target to see all)" % more]
    return "\n".join(out)


def ranges(placed: List[Tuple[int, int, Splice]]) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    old = (min(sp.start for _, _, sp in placed) + 1, max(sp.end for _, _, sp in placed))
    new = (min(a for a, _, _ in placed) + 1, max(b for _, b, _ in placed))
    return old, new


def planned(
    op: str, target: str, doc: Doc, splices: Sequence[Splice], force: bool = False, notes: Sequence[str] = ()
) -> Edit:
    """The Edit the splices make, not written yet: the new text, its line ranges and diff, in one step. A result that
    does not parse is refused (WouldBreakSyntax) unless `force`; no splices is "nothing to change"."""
    if not splices:
        text = doc.source.text
        return Edit(op, target, doc.path, (1, 0), (1, 0), text, text, "", notes=list(notes) + ["nothing to change"])
    new_lines, placed = apply_splices(doc, splices)
    if not force:
        check_syntax(doc, new_lines, placed)
    old_range, new_range = ranges(placed)
    diff = make_diff(doc, new_lines, placed)
    after = "".join(new_lines)
    return Edit(op, target, doc.path, old_range, new_range, doc.source.text, after, diff, notes=list(notes))


def with_imports(edit: Edit, doc: Doc, statements: Sequence[str]) -> None:
    """Add import statements to an edit's new text (the auto-import step), their diff shown first."""
    if not statements:
        return
    doc2 = Doc(Source(edit.after, doc.source.encoding, doc.source.bom), doc.path)
    lines2, placed2 = apply_splices(doc2, plan_add_import(doc2, "\n".join(statements)))
    edit.after = "".join(lines2)
    edit.diff = make_diff(doc2, lines2, placed2) + ("\n" + edit.diff if edit.diff else "")
