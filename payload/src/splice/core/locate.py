"""Where each addressable chunk of a module is: one `ast.parse`, then a walk over statements only.

Chunk rule: a class, function or assignment chunk runs from its first decorator — extended upward over comment
lines directly attached to it (no blank line between, same indentation, not a section or cell marker) — to the
end of its last statement, extended downward over comment lines indented deeper than its header (trailing
comments inside its body). Statements that share a line with another statement are reached through their parent.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from splice.core.cellmarks import MARKER, marker_info, marker_lines
from splice.core.errors import Ambiguous, BadTarget, NotFound, SpliceError
from splice.core.sections import find_sections, is_marker
from splice.core.text import indent_of, is_blank, is_comment

DEF_KINDS = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}
_COMPOUND = tuple(
    getattr(ast, n)
    for n in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
    if hasattr(ast, n)
)
_DEFS_AND_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef) + _COMPOUND
_INDEX = re.compile(r"\[(\d+)\]")
_PROPERTY_ROLES = ("getter", "setter", "deleter")


@dataclass
class Chunk:
    """One addressable region. Line indexes are 0-based; `end` and `body_end` are exclusive."""

    qualname: str
    kind: str  # class | def | async def | assign | imports | main | section | module | property | overloaded
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


def plain(qualname: str) -> str:
    return _INDEX.sub("", qualname)


def _first_line(doc: Optional[str]) -> str:
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""


class Index:
    """All chunks of one module text, by qualified name."""

    def __init__(self, lines: List[str], tree: ast.Module) -> None:
        self.lines = lines
        self.tree = tree
        self.chunks: Dict[str, Chunk] = {}
        self.top: List[str] = []
        self.section_problems: List[str] = []
        self._signatures: Dict[Tuple[str, int], str] = {}  # outlines ask again as they fit their budget
        n = len(lines)
        self.chunks["<module>"] = Chunk(
            "<module>", "module", "<module>", 0, n, "", body_start=0, body_end=n, body_indent="", scope="module"
        )
        self._imports(tree)
        self._block(tree.body, None, "module", 0)
        self._main(tree)
        self._sections()
        self._cells()

    # ------------------------------------------------------------------------------------------------ building

    def _add(self, chunk: Chunk, parent: Optional[str]) -> None:
        self.chunks[chunk.qualname] = chunk
        chunk.parent = parent
        if parent is None:
            self.top.append(chunk.qualname)
        else:
            self.chunks[parent].children.append(chunk.qualname)

    def _attached_start(self, header: int, floor: int, indent: str) -> int:
        start = header
        while start - 1 >= floor:
            line = self.lines[start - 1]
            if not is_comment(line) or indent_of(line) != indent or is_marker(line):
                break
            if start - 1 <= 1 and (line.startswith("#!") or re.match(r"^[ \t\f]*#.*?coding[:=]", line)):
                break
            start -= 1
        return start

    def _trailing_end(self, end: int, ceiling: int, indent: str) -> int:
        i, last = end, end
        while i < ceiling:
            line = self.lines[i]
            if is_blank(line):
                i += 1
                continue
            if is_comment(line) and len(indent_of(line)) > len(indent) and not is_marker(line):
                i += 1
                last = i
                continue
            break
        return last

    def _body(self, node: ast.AST, header_line: int) -> Tuple[Optional[int], str]:
        body = node.body  # type: ignore[attr-defined]
        decorators = getattr(body[0], "decorator_list", None)
        first = (decorators[0].lineno if decorators else body[0].lineno) - 1  # a decorated first statement
        if first == header_line or self._shares_line(first, body[0]):
            return None, ""
        i = first
        while i - 1 > header_line and (is_blank(self.lines[i - 1]) or is_comment(self.lines[i - 1])):
            i -= 1
        return i, indent_of(self.lines[first])

    def _shares_line(self, index: int, node: ast.AST) -> bool:
        return indent_of(self.lines[index]) != self.lines[index][: node.col_offset]  # type: ignore[attr-defined]

    def signature(self, chunk: Chunk) -> str:
        """`def name(args) -> ret`, `class Name(bases)`, `NAME = value…` as written, on one line (computed on demand,
        once: editing never needs it; a warm outline asks for every one)."""
        key = (chunk.qualname, chunk.start)
        if key not in self._signatures:
            self._signatures[key] = self._signature(chunk)
        return self._signatures[key]

    def _signature(self, chunk: Chunk) -> str:
        node = chunk.node
        if chunk.kind in ("imports", "main", "section", "module") or node is None:
            return self.lines[chunk.header].strip() if chunk.kind != "module" else ""
        if chunk.kind == "assign":
            text = self.lines[node.lineno - 1].strip()  # type: ignore[attr-defined]
            return (text.split("  #", 1)[0] if "'" not in text and '"' not in text else text)[:80]
        stop = chunk.body_start if chunk.body_start is not None else node.lineno  # type: ignore[attr-defined]
        text = " ".join(self.lines[i].strip() for i in range(node.lineno - 1, max(stop, node.lineno)))  # type: ignore
        return _cut_header(text)

    def doc(self, chunk: Chunk) -> str:
        """First line of the docstring, if any."""
        if chunk.kind in ("class", "def", "async def", "property", "overloaded") and chunk.node is not None:
            return _first_line(ast.get_docstring(chunk.node, clean=False))  # type: ignore[arg-type]
        return ""

    def _block(self, stmts: Sequence[ast.stmt], parent: Optional[str], scope: str, floor: int) -> None:
        """Index a statement list; compound statements (if/try/with/for/while/match) are looked through."""
        found: List[Tuple[str, Chunk, ast.AST]] = []
        self._collect(stmts, parent, scope, floor, None, found)
        by_name: Dict[str, List[Tuple[Chunk, ast.AST]]] = {}
        for name, chunk, node in found:
            by_name.setdefault(name, []).append((chunk, node))
        prefix = parent + "." if parent else ""
        for name, entries in by_name.items():
            if len(entries) == 1:
                self._finish(entries[0][0], entries[0][1], prefix + name, parent, scope)
                continue
            group = _group_roles(name, [node for _, node in entries])
            if group is None:
                for i, (chunk, node) in enumerate(entries):
                    self._finish(chunk, node, "%s%s[%d]" % (prefix, name, i), parent, scope)
                continue
            kind, roles = group
            first = entries[0][0]
            whole = Chunk(
                prefix + name,
                kind,
                name,
                first.start,
                entries[-1][0].end,
                first.indent,
                header=first.header,
                line=first.line,
                scope=scope,
                node=first.node,
            )
            self._add(whole, parent)
            for (chunk, node), role in zip(entries, roles):
                self._finish(chunk, node, "%s.%s" % (whole.qualname, role), whole.qualname, scope)
                whole.parts.append(chunk)

    def _finish(self, chunk: Chunk, node: ast.AST, qualname: str, parent: Optional[str], scope: str) -> None:
        chunk.qualname = qualname
        self._add(chunk, parent)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = "class" if isinstance(node, ast.ClassDef) else "function"
            self._block(node.body, qualname, inner, (chunk.body_start or chunk.header + 1))

    def _collect(
        self,
        stmts: Sequence[ast.stmt],
        parent: Optional[str],
        scope: str,
        floor: int,
        ceiling: Optional[int],
        found: List[Tuple[str, Chunk, ast.AST]],
        nested: bool = False,
    ) -> None:
        n = len(self.lines)
        block_span = (
            (stmts[0].lineno - 1, stmts[-1].end_lineno)  # type: ignore[attr-defined]
            if stmts and (nested or scope != "module")
            else None
        )
        for i, node in enumerate(stmts):
            if scope == "function" and not isinstance(node, _DEFS_AND_BLOCKS):
                continue  # inside functions only nested definitions are addressable
            prev_end = stmts[i - 1].end_lineno if i else floor  # type: ignore[attr-defined]
            nxt = stmts[i + 1].lineno - 1 if i + 1 < len(stmts) else (ceiling if ceiling is not None else n)
            first = node.decorator_list[0].lineno - 1 if getattr(node, "decorator_list", None) else node.lineno - 1
            last = node.end_lineno - 1  # type: ignore[attr-defined]
            inline = (
                bool(i and stmts[i - 1].end_lineno - 1 == first)
                or (  # type: ignore[attr-defined]
                    i + 1 < len(stmts) and stmts[i + 1].lineno - 1 == last
                )
                or self._shares_line(node.lineno - 1, node)
            )
            if isinstance(node, _COMPOUND):
                block_floor = node.lineno  # 0-based: the line after the compound statement's header
                for block in _blocks(node):
                    if block:
                        self._collect(block, parent, scope, block_floor, nxt, found, nested=True)
                        block_floor = block[-1].end_lineno  # type: ignore[attr-defined]
                continue
            if inline:
                continue
            kind = DEF_KINDS.get(type(node))
            names: List[str] = []
            if kind:
                names = [node.name]  # type: ignore[attr-defined]
            elif scope != "function":
                names = _assigned_names(node)
                kind = "assign" if names else None
            if not kind:
                continue
            indent = indent_of(self.lines[first])
            start = self._attached_start(first, max(prev_end, floor), indent)
            end = self._trailing_end(last + 1, nxt, indent)
            chunk = Chunk("", kind, names[0], start, end, indent, header=first, line=node.lineno, scope=scope)
            if block_span is not None:
                chunk.block = block_span
            chunk.node = node
            if kind != "assign":
                chunk.body_start, chunk.body_indent = self._body(node, node.lineno - 1)
                chunk.body_end = end
            for name in names:
                found.append((name, chunk if name == names[0] else _copy(chunk, name), node))

    def _imports(self, tree: ast.Module) -> None:
        body = tree.body
        i = 1 if body and _is_docstring(body[0]) else 0
        # the first run of top-level imports before the first definition (`__all__` may come first)
        while i < len(body) and not _is_import_stmt(body[i]) and not isinstance(body[i], tuple(DEF_KINDS)):
            i += 1
        if i < len(body) and not _is_import_stmt(body[i]):
            i = 1 if body and _is_docstring(body[0]) else 0
        start_i = i
        while i < len(body) and _is_import_stmt(body[i]):
            i += 1
        if i > start_i:
            start, end = body[start_i].lineno - 1, body[i - 1].end_lineno  # type: ignore[attr-defined]
            floor = body[start_i - 1].end_lineno if start_i else 0  # type: ignore[attr-defined]
            start = self._attached_start(start, floor, "")
            end = self._trailing_end(end, body[i].lineno - 1 if i < len(body) else len(self.lines), "")
        else:  # no import block: an empty chunk where one belongs (after the docstring or leading comments)
            if body and _is_docstring(body[0]):
                start = body[0].end_lineno  # type: ignore[attr-defined]
            else:
                start = 0
                while start < len(self.lines) and is_comment(self.lines[start]):
                    start += 1
            end = start
        chunk = Chunk(
            "imports",
            "imports",
            "imports",
            start,
            end,
            "",
            header=start,
            line=start + 1,
            body_start=start,
            body_end=end,
            body_indent="",
        )
        self._add(chunk, None)

    def _main(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.If) and _is_main_test(node.test):
                first, last = node.lineno - 1, node.end_lineno  # type: ignore[attr-defined]
                last = self._trailing_end(last, len(self.lines), "")
                chunk = Chunk(
                    "__main__",
                    "main",
                    "__main__",
                    self._attached_start(first, 0, ""),
                    last,
                    "",
                    header=first,
                    line=node.lineno,
                )
                chunk.body_start, chunk.body_indent = self._body(node, first)
                chunk.body_end = last
                self._add(chunk, None)
                return

    def _sections(self) -> None:
        sections, self.section_problems = find_sections(self.lines)
        seen: Dict[str, int] = {}
        for s in sections:
            seen[s.name] = seen.get(s.name, 0) + 1
        counts: Dict[str, int] = {}
        for s in sections:
            name = s.name
            if seen[name] > 1:
                name = "%s[%d]" % (name, counts.get(s.name, 0))
                counts[s.name] = counts.get(s.name, 0) + 1
            chunk = Chunk(
                "section:" + name,
                "section",
                s.name,
                s.start,
                s.end + 1,
                s.indent,
                header=s.start,
                line=s.start + 1,
                body_start=s.start + 1,
                body_end=s.end,
                body_indent=s.indent,
            )
            self.chunks[chunk.qualname] = chunk
            self.top.append(chunk.qualname)

    def _cells(self) -> None:
        """`# %%` cells: `cell[i]` (0-based; text before the first marker is cell 0) and `cell:NAME` when named."""
        if not any(line.startswith("#") and "%%" in line for line in self.lines):
            return
        marks = marker_lines(self.lines)
        if not marks:
            return
        starts = ([] if not "".join(self.lines[: marks[0]]).strip() else [-1]) + marks
        for n, m in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(self.lines)
            while end > m + 1 and is_blank(self.lines[end - 1]):
                end -= 1  # blank lines between cells stay separators
            start = max(m, 0)
            name = marker_info(MARKER.match(self.lines[m].rstrip("\r\n")).group("rest"))[1] if m >= 0 else ""
            chunk = Chunk("cell[%d]" % n, "cell", name or "cell[%d]" % n, start, end, "", header=start,
                          line=start + 1, body_start=m + 1, body_end=end, body_indent="")
            self.chunks[chunk.qualname] = chunk
            self.top.append(chunk.qualname)
            if name and "cell:" + name not in self.chunks:
                self.chunks["cell:" + name] = chunk  # an alias: the same chunk, not listed twice

    # ------------------------------------------------------------------------------------------------ lookup

    def resolve(self, qualname: str, path: str = "") -> Chunk:
        q = qualname.strip()
        if q in ("", "<module>"):
            return self.chunks["<module>"]
        if q.lower().startswith("section:"):
            if self.section_problems:
                raise SpliceError("%s: sections are broken: %s" % (path or "file", "; ".join(self.section_problems)))
            q = "section:" + q.split(":", 1)[1].strip()
            lowered = {k.lower(): k for k in self.chunks if k.startswith("section:")}
            q = lowered.get(q.lower(), q)
        if q in self.chunks:
            return self.chunks[q]
        want = plain(q)
        matches = [c for c in self.chunks.values() if plain(c.qualname) == want and _indices_agree(q, c.qualname)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise Ambiguous(self._ambiguous_message(q, matches, path), [m.qualname for m in matches])
        raise NotFound(self._not_found_message(q, path))

    def _ambiguous_message(self, q: str, matches: List[Chunk], path: str) -> str:
        where = (path + "::") if path else ""
        lines = ["%r matches %d definitions%s; name one:" % (q, len(matches), " in " + path if path else "")]
        for m in matches:
            lines.append("  %s%s  (%s, line %d)" % (where, m.qualname, m.kind, m.line))
        return "\n".join(lines)

    def _not_found_message(self, q: str, path: str) -> str:
        names = [k for k in self.chunks if k != "<module>"]
        close = difflib.get_close_matches(q, names, n=4, cutoff=0.5)
        tail = plain(q).rsplit(".", 1)[-1]
        close += [k for k in names if plain(k).rsplit(".", 1)[-1] == tail and k not in close][:4]
        msg = ["no %r in %s" % (q, path or "this module")]
        if close:
            msg.append("closest: " + ", ".join("%s (line %d)" % (k, self.chunks[k].line) for k in close[:6]))
        parent = q
        while "." in parent:
            parent = parent.rsplit(".", 1)[0]
            try:
                chunk = self.resolve(parent, path)
            except SpliceError:
                continue
            msg.append("%s has: %s" % (chunk.qualname, _brief(self, chunk.children)))
            break
        else:
            msg.append("top level: %s" % _brief(self, self.top))
        return "\n".join(msg)


def _brief(index: Index, names: List[str], budget: int = 12) -> str:
    items = [
        "%s %s" % (index.chunks[n].kind, n.rsplit(".", 1)[-1] if not n.startswith("section:") else n) for n in names
    ]
    if not items:
        return "(nothing addressable)"
    more = len(items) - budget
    return ", ".join(items[:budget]) + ("  … %d more (see outline)" % more if more > 0 else "")


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


def _cut_header(text: str) -> str:
    """Cut a joined header at the colon that ends it; collapse spaces."""
    pos = header_colon(text)
    sig = re.sub(r"\s+", " ", text if pos is None else text[:pos]).strip()
    return sig.replace("( ", "(").replace(" )", ")").replace(",)", ")")


def _indices_agree(user: str, qualname: str) -> bool:
    """The indices the user gave ('f[1]') must be in the candidate at the same component."""
    u, c = user.split("."), qualname.split(".")
    if len(u) != len(c):
        return False
    return all(_INDEX.search(a) is None or a == b for a, b in zip(u, c))


def _copy(chunk: Chunk, name: str) -> Chunk:
    twin = Chunk(**{k: getattr(chunk, k) for k in chunk.__dataclass_fields__})  # type: ignore[attr-defined]
    twin.name, twin.children, twin.parts = name, [], []
    return twin


def _blocks(node: ast.AST) -> List[List[ast.stmt]]:
    blocks = [getattr(node, "body", []), getattr(node, "orelse", []), getattr(node, "finalbody", [])]
    blocks += [h.body for h in getattr(node, "handlers", [])]
    blocks += [c.body for c in getattr(node, "cases", [])]
    return blocks


def _assigned_names(node: ast.AST) -> List[str]:
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


def _decorator_name(dec: ast.AST) -> str:
    if isinstance(dec, ast.Call):
        dec = dec.func
    parts = []
    while isinstance(dec, ast.Attribute):
        parts.append(dec.attr)
        dec = dec.value
    if isinstance(dec, ast.Name):
        parts.append(dec.id)
    return ".".join(reversed(parts))


def _group_roles(name: str, nodes: List[ast.AST]) -> Optional[Tuple[str, List[str]]]:
    """Property getter/setter/deleter or @overload stubs + implementation: parts named by meaning."""
    if not all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in nodes):
        return None
    roles: List[Optional[str]] = []
    for n in nodes:
        decs = [_decorator_name(d) for d in n.decorator_list]  # type: ignore[attr-defined]
        role = None
        for d in decs:
            if d in ("property", "builtins.property", "abc.abstractproperty"):
                role = "getter"
            elif d.startswith(name + ".") and d.split(".", 1)[1] in _PROPERTY_ROLES:
                role = d.split(".", 1)[1]
            elif d.rsplit(".", 1)[-1] == "overload":
                role = "overload"
        roles.append(role)
    if all(r in _PROPERTY_ROLES for r in roles) and len(set(roles)) == len(roles):
        return "property", [r for r in roles if r]
    overloads = [r for r in roles if r == "overload"]
    if overloads and len(overloads) >= len(roles) - 1 and (roles[-1] is None or len(overloads) == len(roles)):
        names = ["overload[%d]" % i for i in range(len(overloads))]
        return "overloaded", names + (["implementation"] if roles[-1] is None else [])
    return None


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_import_stmt(node: ast.AST) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, (ast.Try, ast.If)) and not (isinstance(node, ast.If) and _is_main_test(node.test)):
        inner = [s for block in _blocks(node) for s in block]
        has_import = any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in inner)
        simple = all(
            isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign)) or _is_import_stmt(s) for s in inner
        )
        return has_import and simple
    return False


def _is_main_test(test: ast.AST) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def parse_index(lines: List[str], text: str, path: str = "") -> Index:
    try:
        tree = ast.parse(text, filename=path or "<string>")
    except SyntaxError as exc:
        raise SpliceError(
            "%s does not parse (line %s: %s): only whole-module edits work on it, e.g. edit(%r, old, new)"
            % (path or "the code", exc.lineno, exc.msg, path or "file.py")
        ) from None
    return Index(lines, tree)


def check_target(qualname: str) -> str:
    if not re.match(r"^(section:.+|cell:.+|[A-Za-z_<][\w<>]*(\[\d+\])?(\.[A-Za-z_]\w*(\[\d+\])?)*)$", qualname.strip()):
        raise BadTarget(
            "not a qualified name: %r (write Class.method, func, CONSTANT, section:NAME, imports)" % qualname
        )
    return qualname.strip()
