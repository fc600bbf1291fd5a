"""The walk over statements that makes the definition chunks: classes, functions and (outside functions)
assignments, nested ones under their parent, compound statements (if/try/with/for/while/match) looked through,
and same-named definitions of one block made a property or overload group, or else numbered `name[i]`."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Sequence, Tuple

from splice.core.locate.chunk import Chunk, Table, twin
from splice.core.locate.extent import attached_start, body_extent, shares_line, trailing_end
from splice.core.locate.nodes import COMPOUND, DEF_KINDS, DEFS_AND_BLOCKS, assigned_names, blocks, group_roles
from splice.core.text import indent_of

Found = List[Tuple[str, Chunk, ast.AST]]  # (name, its chunk, the statement) in the order of the source


def add_statements(table: Table, lines: List[str], body: Sequence[ast.stmt]) -> None:
    """Add the chunks of a module's statements, depth first."""
    _block(table, lines, body, None, "module", 0)


def _block(
    table: Table, lines: List[str], stmts: Sequence[ast.stmt], parent: Optional[str], scope: str, floor: int
) -> None:
    """Add the chunks of one block's statements under `parent`, naming them by what else in the block has their name."""
    found: Found = []
    _collect(lines, stmts, scope, floor, None, found)
    by_name: Dict[str, List[Tuple[Chunk, ast.AST]]] = {}
    for name, chunk, node in found:
        by_name.setdefault(name, []).append((chunk, node))
    prefix = parent + "." if parent else ""
    for name, entries in by_name.items():
        if len(entries) == 1:
            _finish(table, lines, entries[0][0], entries[0][1], prefix + name, parent, scope)
            continue
        group = group_roles(name, [node for _, node in entries])
        if group is None:
            for i, (chunk, node) in enumerate(entries):
                _finish(table, lines, chunk, node, "%s%s[%d]" % (prefix, name, i), parent, scope)
        else:
            _group(table, lines, prefix + name, entries, group, parent, scope)


def _group(
    table: Table,
    lines: List[str],
    qualname: str,
    entries: List[Tuple[Chunk, ast.AST]],
    group: Tuple[str, List[str]],
    parent: Optional[str],
    scope: str,
) -> None:
    """One chunk over a property's or an overload set's definitions, each of them a part named by its role."""
    kind, roles = group
    first = entries[0][0]
    whole = Chunk(
        qualname,
        kind,
        first.name,
        first.start,
        entries[-1][0].end,
        first.indent,
        header=first.header,
        line=first.line,
        scope=scope,
        node=first.node,
    )
    table.add(whole, parent)
    for (chunk, node), role in zip(entries, roles):
        _finish(table, lines, chunk, node, "%s.%s" % (qualname, role), qualname, scope)
        whole.parts.append(chunk)


def _finish(
    table: Table, lines: List[str], chunk: Chunk, node: ast.AST, qualname: str, parent: Optional[str], scope: str
) -> None:
    """Name and add a chunk; a class's or function's own block follows it."""
    chunk.qualname = qualname
    table.add(chunk, parent)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        inner = "class" if isinstance(node, ast.ClassDef) else "function"
        _block(table, lines, node.body, qualname, inner, (chunk.body_start or chunk.header + 1))


def _collect(
    lines: List[str],
    stmts: Sequence[ast.stmt],
    scope: str,
    floor: int,
    ceiling: Optional[int],
    found: Found,
    nested: bool = False,
) -> None:
    """Unnamed chunks of a statement list and of the compound statements in it, in order, into `found`."""
    span = bool(stmts) and (nested or scope != "module")
    block_span: Optional[Tuple[int, int]] = (stmts[0].lineno - 1, stmts[-1].end_lineno) if span else None  # type: ignore
    for i, node in enumerate(stmts):
        if scope == "function" and not isinstance(node, DEFS_AND_BLOCKS):
            continue  # inside functions only nested definitions are addressable
        nxt = stmts[i + 1].lineno - 1 if i + 1 < len(stmts) else (ceiling if ceiling is not None else len(lines))
        if isinstance(node, COMPOUND):
            block_floor = node.lineno  # 0-based: the line after the compound statement's header
            for block in blocks(node):
                if block:
                    _collect(lines, block, scope, block_floor, nxt, found, nested=True)
                    block_floor = block[-1].end_lineno  # type: ignore[assignment]
            continue
        decorators = getattr(node, "decorator_list", None)
        first = decorators[0].lineno - 1 if decorators else node.lineno - 1
        if _inline(lines, stmts, i, first):
            continue
        prev_end: int = stmts[i - 1].end_lineno if i else floor  # type: ignore[assignment]
        made = _chunk(lines, node, scope, first, max(prev_end, floor), nxt)
        if made is None:
            continue
        names, chunk = made
        chunk.block = block_span
        for name in names:
            found.append((name, chunk if name == names[0] else twin(chunk, name), node))


def _inline(lines: List[str], stmts: Sequence[ast.stmt], i: int, first: int) -> bool:
    """Whether statement `i` shares a line with a neighbour or with its block's header (it is reached through
    its parent then)."""
    node = stmts[i]
    return (
        bool(i and stmts[i - 1].end_lineno - 1 == first)  # type: ignore[operator]
        or (i + 1 < len(stmts) and stmts[i + 1].lineno - 1 == node.end_lineno - 1)  # type: ignore[operator]
        or shares_line(lines, node.lineno - 1, node)
    )


def _chunk(
    lines: List[str], node: ast.stmt, scope: str, first: int, floor: int, ceiling: int
) -> Optional[Tuple[List[str], Chunk]]:
    """The chunk of a definition or (outside functions) an assignment, from its attached comments to its trailing
    ones, and the names it binds; None for any other statement."""
    kind = DEF_KINDS.get(type(node))  # type: ignore[call-overload]
    names: List[str] = []
    if kind:
        names = [node.name]  # type: ignore[attr-defined]
    elif scope != "function":
        names = assigned_names(node)
        kind = "assign" if names else None
    if not kind:
        return None
    indent = indent_of(lines[first])
    start = attached_start(lines, first, floor, indent)
    end = trailing_end(lines, node.end_lineno, ceiling, indent)  # type: ignore[arg-type]
    chunk = Chunk("", kind, names[0], start, end, indent, header=first, line=node.lineno, scope=scope)
    chunk.node = node
    if kind != "assign":
        chunk.body_start, chunk.body_indent = body_extent(lines, node, node.lineno - 1)
        chunk.body_end = end
    return names, chunk
