"""Checks after an edit: in a few lines, does the code still hold? Stages run in order and stop at the first that
fails (unless asked to go on): syntax, names (pyflakes, else a built-in check), ruff, types (mypy or pyright), tests.

Diagnostics that existed before the edit are told apart from new ones (matched by code and message, since line
numbers move), so a model is not blamed for old problems. A tool that is not installed is reported as skipped,
never as passed.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar

from splice.core.budget import clip
from splice.core.context import FileContext
from splice.core.errors import BadTarget
from splice.core.files import TEMP_MARK, sweep_once
from splice.core.names import free_names
from splice.core.text import parse

_T = TypeVar("_T")

STAGES = ("syntax", "names", "ruff", "types", "tests")
DEFAULT_STAGES = STAGES  # tests: only the related ones, within TIMEOUTS["related"]; skipped when there are none
FAST_STAGES = ("syntax", "names", "ruff", "types")  # check="fast" / --no-tests
TIMEOUTS = {"ruff": 30.0, "types": 120.0, "tests": 300.0, "related": 60.0}


@dataclass(frozen=True)
class Diagnostic:
    line: int
    code: str
    message: str

    @property
    def key(self) -> Tuple[str, str]:
        return self.code, re.sub(r"\b(line|L)\s*\d+", "", self.message)

    def __str__(self) -> str:
        return "L%d %s %s" % (self.line, self.code, clip(self.message, 70))


@dataclass
class Stage:
    name: str
    status: str  # ok | issues | failed | skipped | timeout
    summary: str = ""
    new: List[Diagnostic] = field(default_factory=list)
    old: int = 0

    def line(self) -> str:
        if self.status in ("skipped", "timeout") or self.summary:
            return "%s: %s" % (self.name, self.summary or self.status)
        if not self.new:
            return "%s: ok%s" % (self.name, " (%d old issue%s unchanged)" % (self.old, "s" if self.old > 1 else "")
                                 if self.old else "")
        shown = ", ".join(str(d) for d in self.new[:3])
        more = " … %d more" % (len(self.new) - 3) if len(self.new) > 3 else ""
        old = " (+%d old)" % self.old if self.old else ""
        return "%s: %d new issue%s: %s%s%s" % (self.name, len(self.new), "s" if len(self.new) > 1 else "", shown,
                                               more, old)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "issues", "timeout")  # "cut" (tests stopped at their budget) is not


@dataclass
class CheckReport:
    path: str
    stages: List[Stage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(s.failed for s in self.stages)

    def __str__(self) -> str:
        return "\n".join("  " + s.line() for s in self.stages) if self.stages else "  (no checks)"


# ---------------------------------------------------------------------------------------------------- names


def builtin_names(text: str, filename: str = "<file>") -> List[Diagnostic]:
    """Undefined names and unused imports without pyflakes, from the symbol table."""
    try:
        table = symtable.symtable(text, filename, "exec")
        tree = ast.parse(text)
    except SyntaxError:
        return []
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree)):
        return []  # a star import can define anything
    module_names = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()
                    or s.is_namespace()}
    declared_global = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    known = module_names | declared_global | set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__",
                                                                  "__loader__", "__package__", "__builtins__",
                                                                  "__path__", "__annotations__", "__dict__"}
    lines = _first_use(tree)
    out = [Diagnostic(lines.get(name, 1), "F821", "undefined name %r" % name)
           for name in free_names(text, filename) if name not in known]
    exported = _all_names(tree)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                sym = table.lookup(name)
                used = sym.is_referenced() or any(name in _globals_used(c) for c in table.get_children())
                if not used and name not in exported and not filename.endswith("__init__.py"):
                    out.append(Diagnostic(node.lineno, "F401", "%r imported but unused" % (alias.asname or alias.name)))
    return sorted(out, key=lambda d: d.line)


def _globals_used(t: symtable.SymbolTable) -> set:
    names = {s.get_name() for s in t.get_symbols() if s.is_global() and s.is_referenced()}
    for child in t.get_children():
        names |= _globals_used(child)
    return names


def _first_use(tree: ast.AST) -> Dict[str, int]:
    first: Dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
                node.id not in first or node.lineno < first[node.id]):
            first[node.id] = node.lineno
    return first


def _all_names(tree: ast.Module) -> set:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                return set(ast.literal_eval(node.value))
            except ValueError:
                return set()
    return set()


def pyflakes_names(text: str, filename: str) -> Optional[List[Diagnostic]]:
    try:
        from pyflakes import api, messages, reporter
    except ImportError:
        return None
    found: List[Diagnostic] = []

    class Collect(reporter.Reporter):
        def __init__(self) -> None:
            pass

        def flake(self, message):  # type: ignore[no-untyped-def]
            code = {messages.UndefinedName: "F821", messages.UnusedImport: "F401",
                    messages.UnusedVariable: "F841"}.get(type(message), "F")
            found.append(Diagnostic(message.lineno, code, message.message % message.message_args))

        def syntaxError(self, *args):  # type: ignore[no-untyped-def]
            pass

        def unexpectedError(self, *args):  # type: ignore[no-untyped-def]
            pass

    api.check(text, filename, Collect())
    return found


def names_check(text: str, filename: str) -> Tuple[List[Diagnostic], str]:
    found = pyflakes_names(text, filename)
    if found is not None:
        return found, "pyflakes"
    return builtin_names(text, filename), "built-in"


# ---------------------------------------------------------------------------------------------------- tools


def _tool(name: str) -> Optional[List[str]]:
    exe = shutil.which(name)
    if exe:
        return [exe]
    try:
        import importlib.util

        if importlib.util.find_spec(name) is not None:
            return [sys.executable, "-m", name]
    except (ImportError, ValueError):
        pass
    return None


def ruff_check(path: str, text: str, root: str) -> Optional[List[Diagnostic]]:
    """ruff on `text` as the file `path` (stdin, so its configuration and per-file rules apply), from `root`."""
    cmd = _tool("ruff")
    if cmd is None:
        return None
    args = cmd + ["check", "--output-format", "json", "--no-fix", "--quiet", "--stdin-filename", path, "-"]
    proc = subprocess.run(args, input=text, capture_output=True, text=True, timeout=TIMEOUTS["ruff"], cwd=root)
    try:
        rows = json.loads(proc.stdout or "[]")
    except ValueError:
        return []
    return [Diagnostic(r["location"]["row"], r.get("code") or "ruff", r["message"]) for r in rows]


def type_check(path: str, root: str, data: Optional[bytes] = None,
               tools: Sequence[str] = ("mypy", "pyright")) -> Optional[Tuple[str, List[Diagnostic]]]:
    """The first installed type checker on the file, from `root`: its errors in that file. With `data` (the file's
    bytes at another time), those are checked in the file's place: mypy reads them through `--shadow-file`; pyright
    reads only files, so it gets a copy beside the file (`_NAME.splice-….py`, so relative imports resolve; removed
    right after)."""
    for tool in tools:
        cmd = _tool(tool)
        if cmd is None:
            continue
        with _stand_in(path, data, beside=tool == "pyright") as checked:
            if tool == "mypy":
                args = cmd + ["--no-error-summary", "--hide-error-context", "--no-color-output", "--show-error-codes"]
                if checked != path:
                    args += ["--shadow-file", os.path.abspath(path), checked]
                args.append(os.path.abspath(path))
            else:
                args = cmd + ["--outputjson", os.path.abspath(checked)]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUTS["types"], cwd=root)
        found: List[Diagnostic] = []
        if tool == "mypy":
            real = os.path.realpath(path)
            for line in proc.stdout.splitlines():
                m = re.match(r"(.+?):(\d+):(?:\d+:)? (error|note): (.*?)(?:  \[([\w-]+)\])?$", line)
                if m and m.group(3) == "error" and os.path.realpath(os.path.join(root, m.group(1))) == real:
                    found.append(Diagnostic(int(m.group(2)), m.group(5) or "mypy", m.group(4)))
        else:
            try:
                out = json.loads(proc.stdout)
            except ValueError:
                out = {}
            for d in out.get("generalDiagnostics", []):
                if d.get("severity") == "error":
                    found.append(Diagnostic(d["range"]["start"]["line"] + 1, d.get("rule", "pyright"), d["message"]))
        return tool, found
    return None


@contextmanager
def _stand_in(path: str, data: Optional[bytes], beside: bool) -> Iterator[str]:
    """`path` itself when `data` is None; else a temporary file holding `data` (beside `path`, or in a temporary
    folder), removed on exit. Its name carries splice's temporary mark and the pid, so the walk never reads it and
    one left by a killed process is swept the next time (files.sweep_temps)."""
    if data is None:
        yield path
        return
    folder = os.path.dirname(os.path.abspath(path)) if beside else None
    if folder is not None:
        sweep_once(folder)
    stem = os.path.splitext(os.path.basename(path))[0]
    fd, tmp = tempfile.mkstemp(suffix=".py", prefix="_%s%s%d-" % (stem, TEMP_MARK, os.getpid()), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield tmp
    finally:
        os.remove(tmp)


# ---------------------------------------------------------------------------------------------------- tests


def run_tests(ctx: FileContext, timeout: float = TIMEOUTS["tests"], suite: bool = True, text: Optional[str] = None,
              before: Optional[str] = None) -> Stage:
    """The tests that run the changed chunks by the project's coverage map, else the related tests by import (the
    whole suite when none are related and `suite`), from the project's own root; without `suite`, a run that
    reaches `timeout` is reported as cut, not failed (it found no failure before the cut)."""
    from splice.testing.runner import tests_stage_report

    if _tool("pytest") is None:
        return Stage("tests", "skipped", "skipped (pytest not installed)")
    root, files, only, scope = related_choice(ctx, text, before)
    if not files and not suite:
        return Stage("tests", "skipped", "skipped: no related tests (%s; stages 'all' runs the whole suite)" % scope)
    if not files:
        scope = "whole suite: " + scope
    report = tests_stage_report(files, root, scope, ctx.path, timeout, only)  # failures first; names the suspects
    if report.status == "timeout" and not suite and not (report.counts["failed"] or report.counts["error"]):
        return Stage("tests", "cut", "cut at the %ds budget after %d passed, no failure so far (%s; 'all' runs "
                                     "them without the budget)" % (timeout, report.counts["passed"], scope))
    return Stage("tests", report.status, report.summary(indent="    "))


def related_choice(ctx: FileContext, text: Optional[str] = None, before: Optional[str] = None
                   ) -> Tuple[str, List[str], Optional[List[str]], str]:
    """(the project's test root, test files, test ids to keep or None for all, how they were chosen): the tests
    that ran the changed chunks in the last recorded run (splice.testing.covmap), else those importing the module."""
    from splice.testing import covmap
    from splice.testing.root import test_root
    from splice.testing.runner import related_tests

    root = test_root(ctx.path, ctx.root) or ctx.root
    current = text if text is not None else ctx.text
    lines = covmap.changed_lines(before, current) if before is not None else None
    known = before if before is not None else current
    doc = ctx.doc if ctx.loaded is not None and ctx.text == known else None  # parsed already: the text read
    chosen = covmap.select(root, ctx.path, known, lines, doc)
    if chosen.tests:
        ids = [t for t in chosen.tests if os.path.isfile(os.path.join(root, t.split("::")[0]))]
        if ids:
            return root, sorted({os.path.join(root, t.split("::")[0]) for t in ids}), ids, chosen.how
    files = related_tests(ctx.path, root)
    how = ("%d related file%s by import" % (len(files), "s" if len(files) > 1 else "") if files
           else "none imports the module or is named after it")
    return root, files, None, "%s: %s" % (how, chosen.how)


# ---------------------------------------------------------------------------------------------------- pipeline


def _compare(name: str, after: List[Diagnostic], before: Callable[[], Optional[List[Diagnostic]]]) -> Stage:
    """New diagnostics are those the text before did not have (by code and message; line numbers move). `before` is
    asked only when there is something to tell apart: a clean result needs no look at the old text."""
    old = before() if after else None
    if old is None:
        return Stage(name, "issues" if after else "ok", new=after)
    left = Counter(d.key for d in old)
    new: List[Diagnostic] = []
    for d in after:
        if left[d.key] > 0:
            left[d.key] -= 1
        else:
            new.append(d)
    return Stage(name, "issues" if new else "ok", new=new, old=len(after) - len(new))


def _unless_timeout(run: Callable[[], _T]) -> Optional[_T]:
    """The old text's diagnostics, or None (nothing counted as old) when its run times out."""
    try:
        return run()
    except subprocess.TimeoutExpired:
        return None


def normalize_stages(check: object) -> Tuple[str, ...]:
    """True/"default": every stage, tests only when related and within a budget; "fast": no tests; "all": every
    stage, the whole suite when no test is related; "none" (or False, None, ""): no checks at all, as every door says
    it; or a comma list / sequence of stage names."""
    if check is None or check is False or (isinstance(check, str) and check.strip().lower() in ("none", "off", "")):
        return ()
    if check is True or check == "default":
        return DEFAULT_STAGES
    if check == "fast":
        return FAST_STAGES
    if check == "all":
        return STAGES
    if isinstance(check, str):
        check = [s.strip() for s in check.split(",") if s.strip()]
    stages = tuple(check)  # type: ignore[arg-type]
    if stages in ((), ("none",)):
        return ()
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise BadTarget("unknown check stage %s; choose from %s, or default, fast, all, none" % (", ".join(bad),
                                                                                                ", ".join(STAGES)))
    return tuple(s for s in STAGES if s in stages or s == "syntax")


def run_checks(ctx: FileContext, stages: object, text: str, before: Optional[str] = None,
               keep_going: bool = False, suite: bool = True) -> CheckReport:
    """The one check call: the stages on `text`, the file's content as it is on disk now (just written by an edit, or
    as found), from the project root of `ctx`. With `before` (the text the edit replaced), diagnostics it had too are
    counted as old, not new; names, ruff and the type checker look at it only for a stage that found something.
    `suite` False: tests only when related, within TIMEOUTS["related"] (what check=True asks for)."""
    stages = normalize_stages(stages)
    report = CheckReport(ctx.path)
    for name in stages:
        if name == "syntax":
            stage = _syntax_stage(ctx.path, text)
        elif name == "names":
            stage = _names_stage(ctx.path, text, before)
        elif name == "ruff":
            stage = _ruff_stage(ctx, text, before)
        elif name == "types":
            stage = _types_stage(ctx, before)
        else:
            stage = run_tests(ctx, TIMEOUTS["tests" if suite else "related"], suite, text, before)
        report.stages.append(stage)
        if stage.failed and not keep_going:
            rest = stages[stages.index(name) + 1:]
            if rest:
                report.stages.append(Stage("not run", "skipped", "%s (stopped at the first failing stage)"
                                           % ", ".join(rest)))
            break
    return report


def _syntax_stage(path: str, text: str) -> Stage:
    try:
        parse(text, path)
        return Stage("syntax", "ok")
    except SyntaxError as exc:
        return Stage("syntax", "failed", "line %s: %s" % (exc.lineno, exc.msg))


def _names_stage(path: str, text: str, before: Optional[str]) -> Stage:
    found, how = names_check(text, path)
    return _compare("names (%s)" % how, found, lambda: None if before is None else names_check(before, path)[0])


def _ruff_stage(ctx: FileContext, text: str, before: Optional[str]) -> Stage:
    try:
        found = ruff_check(ctx.path, text, ctx.root)
    except subprocess.TimeoutExpired:
        return Stage("ruff", "timeout", "timeout after %ds" % TIMEOUTS["ruff"])
    if found is None:
        return Stage("ruff", "skipped", "skipped (ruff not installed)")
    return _compare("ruff", found, lambda: None if before is None else _unless_timeout(
        lambda: ruff_check(ctx.path, before, ctx.root)))


def _types_stage(ctx: FileContext, before: Optional[str]) -> Stage:
    """The type checker on the file as it is on disk; the text before, when asked for, in the file's encoding."""
    try:
        got = type_check(ctx.path, ctx.root)
    except subprocess.TimeoutExpired:
        return Stage("types", "timeout", "timeout after %ds" % TIMEOUTS["types"])
    if got is None:
        return Stage("types", "skipped", "skipped (neither mypy nor pyright installed)")
    tool, found = got

    def old() -> Optional[List[Diagnostic]]:
        if before is None:
            return None
        again = _unless_timeout(lambda: type_check(ctx.path, ctx.root, ctx.doc.source.encode(before), (tool,)))
        return again[1] if again else None

    return _compare(tool, found, old)
