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
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from splice.core.budget import clip
from splice.core.errors import BadTarget
from splice.core.files import project_root
from splice.core.names import free_names

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


def ruff_check(path: str, text: Optional[str] = None) -> Optional[List[Diagnostic]]:
    cmd = _tool("ruff")
    if cmd is None:
        return None
    args = cmd + ["check", "--output-format", "json", "--no-fix", "--quiet"]
    args += ["--stdin-filename", path, "-"] if text is not None else [path]
    proc = subprocess.run(args, input=text, capture_output=True, text=True, timeout=TIMEOUTS["ruff"],
                          cwd=project_root(path))
    try:
        rows = json.loads(proc.stdout or "[]")
    except ValueError:
        return []
    return [Diagnostic(r["location"]["row"], r.get("code") or "ruff", r["message"]) for r in rows]


def type_check(path: str) -> Optional[Tuple[str, List[Diagnostic]]]:
    root = project_root(path)
    for tool in ("mypy", "pyright"):
        cmd = _tool(tool)
        if cmd is None:
            continue
        if tool == "mypy":
            args = cmd + ["--no-error-summary", "--hide-error-context", "--no-color-output", "--show-error-codes",
                          os.path.abspath(path)]
        else:
            args = cmd + ["--outputjson", os.path.abspath(path)]
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
                data = json.loads(proc.stdout)
            except ValueError:
                data = {}
            for d in data.get("generalDiagnostics", []):
                if d.get("severity") == "error":
                    found.append(Diagnostic(d["range"]["start"]["line"] + 1, d.get("rule", "pyright"), d["message"]))
        return tool, found
    return None


# ---------------------------------------------------------------------------------------------------- tests


def run_tests(path: str, timeout: float = TIMEOUTS["tests"], suite: bool = True) -> Stage:
    """The related tests (the whole suite when none are related and `suite`); without `suite`, a run that reaches
    `timeout` is reported as cut, not failed (it found no failure before the cut)."""
    from splice.checks.testrun import related_tests, tests_stage_report

    root = project_root(path)
    if _tool("pytest") is None:
        return Stage("tests", "skipped", "skipped (pytest not installed)")
    files = related_tests(path, root)
    if not files and not suite:
        return Stage("tests", "skipped", "skipped: no related tests (none imports the module or is named after it; "
                                         "stages 'all' runs the whole suite)")
    scope = ("%d related file%s" % (len(files), "s" if len(files) > 1 else "")) if files else "whole suite"
    report = tests_stage_report(files, root, scope, path, timeout)  # failures first; names the suspects call
    if report.status == "timeout" and not suite and not (report.counts["failed"] or report.counts["error"]):
        return Stage("tests", "cut", "cut at the %ds budget after %d passed, no failure so far (%s; 'all' runs "
                                     "them without the budget)" % (timeout, report.counts["passed"], scope))
    return Stage("tests", report.status, report.summary(indent="    "))


# ---------------------------------------------------------------------------------------------------- pipeline


def _compare(name: str, before: Optional[List[Diagnostic]], after: List[Diagnostic]) -> Stage:
    if before is None:
        return Stage(name, "issues" if after else "ok", new=after)
    left = Counter(d.key for d in before)
    new: List[Diagnostic] = []
    for d in after:
        if left[d.key] > 0:
            left[d.key] -= 1
        else:
            new.append(d)
    return Stage(name, "issues" if new else "ok", new=new, old=len(after) - len(new))


@dataclass
class Baseline:
    """Diagnostics of the file before an edit, taken by `baseline()` (for what needs the file on disk)."""

    names: Optional[List[Diagnostic]] = None
    ruff: Optional[List[Diagnostic]] = None
    types: Optional[List[Diagnostic]] = None


def normalize_stages(check: object) -> Tuple[str, ...]:
    """True/"default": every stage, tests only when related and within a budget; "fast": no tests; "all": every
    stage, the whole suite when no test is related; or a comma list / sequence of stage names."""
    if check is True or check == "default":
        return DEFAULT_STAGES
    if check == "fast":
        return FAST_STAGES
    if check == "all":
        return STAGES
    if isinstance(check, str):
        check = [s.strip() for s in check.split(",") if s.strip()]
    stages = tuple(check)  # type: ignore[arg-type]
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise BadTarget("unknown check stage %s; choose from %s, or default, fast, all" % (", ".join(bad),
                                                                                          ", ".join(STAGES)))
    return tuple(s for s in STAGES if s in stages or s == "syntax")


def baseline(path: str, text: str, stages: Sequence[str]) -> Baseline:
    base = Baseline()
    if "names" in stages:
        base.names = names_check(text, path)[0]
    if "ruff" in stages:
        try:
            base.ruff = ruff_check(path, text)
        except subprocess.TimeoutExpired:
            base.ruff = None
    if "types" in stages and os.path.exists(path):
        try:
            got = type_check(path)
            base.types = got[1] if got else None
        except subprocess.TimeoutExpired:
            base.types = None
    return base


def run_checks(path: str, stages: Iterable[str] = DEFAULT_STAGES, before: Optional[Baseline] = None,
               keep_going: bool = False, suite: bool = True) -> CheckReport:
    """Run the stages on the file as it is now, comparing with `before` when given. `suite` False: tests only when
    related, within TIMEOUTS["related"] (what check=True asks for)."""
    stages = normalize_stages(list(stages))
    report = CheckReport(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for name in stages:
        if name == "syntax":
            try:
                ast.parse(text, path)
                stage = Stage("syntax", "ok")
            except SyntaxError as exc:
                stage = Stage("syntax", "failed", "line %s: %s" % (exc.lineno, exc.msg))
        elif name == "names":
            found, how = names_check(text, path)
            stage = _compare("names (%s)" % how, before.names if before else None, found)
        elif name == "ruff":
            try:
                found_r = ruff_check(path)
                stage = (Stage("ruff", "skipped", "skipped (ruff not installed)") if found_r is None
                         else _compare("ruff", before.ruff if before else None, found_r))
            except subprocess.TimeoutExpired:
                stage = Stage("ruff", "timeout", "timeout after %ds" % TIMEOUTS["ruff"])
        elif name == "types":
            try:
                got = type_check(path)
                stage = (Stage("types", "skipped", "skipped (neither mypy nor pyright installed)") if got is None
                         else _compare(got[0], before.types if before else None, got[1]))
            except subprocess.TimeoutExpired:
                stage = Stage("types", "timeout", "timeout after %ds" % TIMEOUTS["types"])
        else:
            stage = run_tests(path, TIMEOUTS["tests" if suite else "related"], suite)
        report.stages.append(stage)
        if stage.failed and not keep_going:
            rest = stages[stages.index(name) + 1:]
            if rest:
                report.stages.append(Stage("not run", "skipped", "%s (stopped at the first failing stage)"
                                           % ", ".join(rest)))
            break
    return report
