"""Linear `# %%` scripts: cells, what they define and read, incremental runs, notebook conversion.

The script is the source of truth and the kernel its runner. A re-run executes cells whose source changed, cells
that failed last time, and the later cells that read a name a re-run cell defines (ast def/use analysis); cells
before the first change are skipped. Each cell's result is one line.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from splice.core.budget import clip
from splice.core.cellmarks import cell_starts


@dataclass
class Cell:
    index: int
    name: str
    kind: str  # code | markdown | raw
    source: str  # the body, without the marker line
    line: int  # 1-based line of the first body line

    @property
    def label(self) -> str:
        return "cell[%d]%s" % (self.index, " " + self.name if self.name else "")


def parse_cells(text: str) -> List[Cell]:
    """Cells of a percent-format script; text before the first marker (if any) is cell 0."""
    from splice.core.text import split_lines

    lines = split_lines(text)
    found = cell_starts(lines)
    cells: List[Cell] = []
    for n, (m, kind, name) in enumerate(found):
        end = found[n + 1][0] if n + 1 < len(found) else len(lines)
        body = "".join(lines[m + 1:end])
        if kind == "markdown":
            body = "".join(re.sub(r"^# ?", "", line) for line in lines[m + 1:end])
        cells.append(Cell(len(cells), name, kind, body, m + 2))
    return cells


# ---------------------------------------------------------------------------------------------------- def/use


def defs_uses(source: str) -> Tuple[Set[str], Set[str]]:
    """Names a cell binds (or mutates: `df["x"] = …`, `obj.attr = …`) and names it reads from outside itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    defs: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defs.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defs.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                defs.add(base.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, ast.Name) and node.func.attr in ("append", "extend", "update", "pop", "add",
                                                                    "insert", "remove", "clear", "setdefault"):
            defs.add(node.func.value.id)  # obvious in-place mutation
    try:
        from splice.core.names import free_names

        uses = set(free_names(source))
    except SyntaxError:
        uses = set()
    return defs, uses


# ---------------------------------------------------------------------------------------------------- runs


@dataclass
class CellResult:
    cell: Cell
    status: str  # ok | error | skipped | not run | markdown
    reason: str = ""
    output: str = ""
    error: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        head = "%s: %s" % (self.cell.label, self.status)
        if self.reason:
            head += " (%s)" % self.reason
        if self.status == "ok" and self.seconds >= 0.1:
            head += " %.1fs" % self.seconds
        if self.error:
            head += " — " + self.error
        elif self.output:
            text = self.output.strip().replace("\n", " ⏎ ")
            head += " → " + clip(text, 100)
        return head


@dataclass
class RunState:
    """What ran last time for one script in this process."""

    sources: List[str] = field(default_factory=list)
    ok: List[Optional[bool]] = field(default_factory=list)  # None: did not run (an earlier cell failed)


STATES: Dict[str, RunState] = {}


def plan(cells: List[Cell], state: Optional[RunState]) -> Dict[int, str]:
    """index -> why it must run; cells not listed are skipped as unchanged."""
    code = [c for c in cells if c.kind == "code"]
    if state is None or not state.sources:
        return {c.index: "first run" for c in code}
    why: Dict[int, str] = {}
    dirty_defs: Set[str] = set()
    for pos, c in enumerate(code):
        before = state.sources[pos] if pos < len(state.sources) else None
        defs, uses = defs_uses(c.source)
        last = state.ok[pos] if pos < len(state.ok) else True
        if before is None:
            why[c.index] = "new"
        elif before != c.source:
            why[c.index] = "changed"
        elif uses & dirty_defs:
            why[c.index] = "reads %s" % ", ".join(sorted(uses & dirty_defs)[:3])
        elif last is False:
            why[c.index] = "failed last time"
        elif last is None:
            why[c.index] = "did not run last time"
        if c.index in why:
            dirty_defs |= defs
    return why


def run_script(path: str, execute: Callable[[Cell], Tuple[bool, str, str]], everything: bool = False
               ) -> List[CellResult]:
    """Run the cells that need it; execute(cell) -> (ok, output, one-line error). Stops at the first error."""
    with open(path, encoding="utf-8") as f:
        cells = parse_cells(f.read())
    key = os.path.realpath(path)
    state = None if everything else STATES.get(key)
    todo = plan(cells, state)
    results: List[CellResult] = []
    failed = False
    new_state = RunState()
    for c in cells:
        if c.kind != "code":
            results.append(CellResult(c, c.kind))
            continue
        pos = len(new_state.sources)
        new_state.sources.append(c.source)
        if failed:
            results.append(CellResult(c, "not run", "an earlier cell failed"))
            new_state.ok.append(None)
            continue
        if c.index not in todo:
            results.append(CellResult(c, "skipped", "unchanged"))
            new_state.ok.append(state.ok[pos] if state and pos < len(state.ok) else True)
            continue
        start = time.perf_counter()
        ok, output, error = execute(c)
        results.append(CellResult(c, "ok" if ok else "error", todo[c.index], output, error,
                                  time.perf_counter() - start))
        new_state.ok.append(ok)
        failed = not ok
    STATES[key] = new_state
    return results


def compile_cell(cell: Cell, path: str, source: Optional[str] = None, flags: int = 0) -> Tuple[Any, Any]:
    """(statements code, last-expression code or None), with the script's real line numbers."""
    tree = ast.parse(source if source is not None else cell.source, path)
    ast.increment_lineno(tree, cell.line - 1)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), path, "eval", flags, dont_inherit=True)
    return compile(tree, path, "exec", flags, dont_inherit=True), last


def exec_in(namespace: Dict[str, Any], path: str, transform: Optional[Callable[[str], str]] = None,
            flags: int = 0) -> Callable[[Cell], Tuple[bool, str, str]]:
    """An `execute` for run_script: the cell runs in `namespace`; stdout and the last expression are its output."""
    import contextlib
    import io

    def execute(cell: Cell) -> Tuple[bool, str, str]:
        buf = io.StringIO()
        try:
            source = transform(cell.source) if transform else cell.source
            body, last = compile_cell(cell, path, source, flags)
            with contextlib.redirect_stdout(buf):
                exec(body, namespace)
                if last is not None:
                    value = eval(last, namespace)
                    if value is not None:
                        print(repr(value))
            return True, buf.getvalue(), ""
        except Exception as exc:
            tb = traceback.extract_tb(exc.__traceback__)
            here = [f for f in tb if os.path.realpath(f.filename) == os.path.realpath(path)]
            where = " (%s line %d)" % (os.path.basename(path), here[-1].lineno) if here else ""
            return False, buf.getvalue(), clip("%s: %s" % (type(exc).__name__, exc), 120) + where

    return execute


def report(path: str, results: List[CellResult]) -> str:
    ran = sum(1 for r in results if r.status in ("ok", "error"))
    head = "%s: %d cell%s ran, %d skipped" % (path, ran, "" if ran == 1 else "s",
                                              sum(1 for r in results if r.status == "skipped"))
    return "\n".join([head] + ["  " + r.line() for r in results if r.status != "markdown"])


# ---------------------------------------------------------------------------------------------------- convert


def to_notebook(text: str, old: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """nbformat 4 JSON; with `old` (the notebook being replaced), outputs of cells whose source is unchanged stay."""
    kept: Dict[str, Any] = {}
    if old:
        for c in old.get("cells", []):
            if c.get("cell_type") == "code":
                kept.setdefault("".join(c.get("source", [])), c)
    cells = []
    for c in parse_cells(text):
        src = c.source.strip("\n")
        meta: Dict[str, Any] = {"splice_name": c.name} if c.name else {}
        if c.kind == "code":
            prior = kept.get(src)
            cells.append({"cell_type": "code", "metadata": meta, "source": src.splitlines(keepends=True),
                          "execution_count": prior.get("execution_count") if prior else None,
                          "outputs": prior.get("outputs", []) if prior else []})
        else:
            cells.append({"cell_type": c.kind, "metadata": meta, "source": src.splitlines(keepends=True)})
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def from_notebook(nb: Dict[str, Any]) -> str:
    parts = []
    for c in nb.get("cells", []):
        src = "".join(c.get("source", [])).rstrip("\n")
        name = (c.get("metadata") or {}).get("splice_name", "")
        tag = {"markdown": " [markdown]", "raw": " [raw]"}.get(c.get("cell_type"), "")
        head = "# %%" + (" [%s]" % name if name and not tag else (" " + name if name else "")) + tag
        if c.get("cell_type") in ("markdown", "raw"):
            src = "\n".join(("# " + line).rstrip() for line in src.splitlines())
        parts.append(head + "\n" + src + ("\n" if src else ""))
    return "\n".join(parts)


def convert(src: str, dest: str, keep_outputs: bool = False) -> str:
    """script.py -> notebook.ipynb or back, by the file endings."""
    if src.endswith(".ipynb"):
        with open(src, encoding="utf-8") as f:
            text = from_notebook(json.load(f))
        with open(dest, "w", encoding="utf-8") as f:
            f.write(text)
        return "%s -> %s (%d cells)" % (src, dest, len(parse_cells(text)))
    with open(src, encoding="utf-8") as f:
        text = f.read()
    old = None
    if keep_outputs and os.path.exists(dest):
        with open(dest, encoding="utf-8") as f:
            old = json.load(f)
    nb = to_notebook(text, old)
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1)
        f.write("\n")
    return "%s -> %s (%d cells%s)" % (src, dest, len(nb["cells"]), ", outputs kept" if old else "")
