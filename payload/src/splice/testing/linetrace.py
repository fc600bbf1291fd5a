"""Per-test line coverage of a project's library files, for ranking suspicious lines.

Three tracers behind one interface (`begin(test)`, `end()`, `lines`): `coverage` with dynamic contexts when it is
installed (its C tracer), else `sys.monitoring` on 3.12+, else `sys.settrace`. The stdlib ones record only files
`is_library` accepts, so a bare sandbox gets the same data, slower. Nothing here imports coverage unless asked.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Dict, Optional, Set

TRACERS = ("coverage", "monitoring", "settrace")
_NOT_LIBRARY_DIRS = {
    "tests",
    "test",
    "testing",
    "site-packages",
    "dist-packages",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "build",
    "node_modules",
    "__pycache__",
}

Lines = Dict[str, Set[int]]  # file -> line numbers


def is_test_file(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def is_library(path: str, root: str) -> bool:
    """A project source file that is not a test: under `root`, outside test folders, environments and builds."""
    if not path.endswith(".py") or is_test_file(path):
        return False
    rel = os.path.relpath(os.path.realpath(path), root)
    if rel.startswith(".."):
        return False
    return not any(part in _NOT_LIBRARY_DIRS for part in rel.split(os.sep)[:-1])


def _filter(root: str) -> Callable[[str], bool]:
    real_root = os.path.realpath(root)
    cache: Dict[str, bool] = {}

    def wanted(filename: str) -> bool:
        ok = cache.get(filename)
        if ok is None:
            ok = cache[filename] = is_library(filename, real_root)
        return ok

    return wanted


class _Tracer:
    name = ""

    def __init__(self, root: str) -> None:
        self.wanted = _filter(root)
        self.lines: Dict[str, Lines] = {}  # test -> file -> lines
        self._current: Set = set()
        self._test = ""

    def begin(self, test: str) -> None:
        self._test, self._current = test, set()

    def end(self) -> None:
        per_file: Lines = {}
        for file, line in self._current:
            per_file.setdefault(os.path.realpath(file), set()).add(line)
        self.lines[self._test] = per_file

    def finish(self) -> None:
        """Stop for good (the session is over)."""


class SettraceTracer(_Tracer):
    """sys.settrace: a local tracer only for frames of library files, so other code runs at near full speed."""

    name = "settrace"

    def _call(self, frame, event, arg):  # type: ignore[no-untyped-def]
        return self._line if self.wanted(frame.f_code.co_filename) else None

    def _line(self, frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "line":
            self._current.add((frame.f_code.co_filename, frame.f_lineno))
        return self._line

    def begin(self, test: str) -> None:
        super().begin(test)
        threading.settrace(self._call)
        sys.settrace(self._call)

    def end(self) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        super().end()


class MonitoringTracer(_Tracer):
    """sys.monitoring (3.12+): each line reports once per test, then is disabled until the next test restarts it."""

    name = "monitoring"

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.mon = mon = sys.monitoring  # type: ignore[attr-defined]  # novermin (only made where available)
        self.tool = next(i for i in (mon.COVERAGE_ID, 3, 4) if mon.get_tool(i) is None)
        mon.use_tool_id(self.tool, "splice")
        mon.register_callback(self.tool, mon.events.LINE, self._line)

    def _line(self, code, line):  # type: ignore[no-untyped-def]
        if self.wanted(code.co_filename):
            self._current.add((code.co_filename, line))
        return self.mon.DISABLE

    def begin(self, test: str) -> None:
        super().begin(test)
        self.mon.restart_events()
        self.mon.set_events(self.tool, self.mon.events.LINE)

    def end(self) -> None:
        self.mon.set_events(self.tool, 0)
        super().end()

    def finish(self) -> None:
        self.mon.register_callback(self.tool, self.mon.events.LINE, None)
        self.mon.free_tool_id(self.tool)


class CoverageTracer(_Tracer):
    """coverage.py with one dynamic context per test: its C tracer is the fastest where it is installed."""

    name = "coverage"

    def __init__(self, root: str) -> None:
        super().__init__(root)
        import coverage

        base = os.path.realpath(root)
        names = ["%s/*" % d for d in sorted(_NOT_LIBRARY_DIRS)] + ["test_*.py", "*_test.py", "conftest.py"]
        omit = [os.path.join(base, n) for n in names] + [os.path.join(base, "*", n) for n in names]
        # test files untraced (never library lines), so tests that loop run at the speed of their library code
        self.cov = coverage.Coverage(data_file=None, config_file=False, source=[root], omit=omit)
        self._started = False

    def begin(self, test: str) -> None:
        if not self._started:
            # started at the first test, not at pytest's start: collection (test modules' imports, assertion
            # rewriting's walk over their trees) runs untraced; what it runs belongs to no test, so the per-test
            # lines are the same, and the C tracer's call events over pytest's own code are not paid for
            self._started = True
            self.cov.start()
        self.cov.switch_context(test)

    def end(self) -> None:
        self.cov.switch_context("")

    def finish(self) -> None:
        if not self._started:
            return
        self.cov.stop()
        data = self.cov.get_data()
        for file in data.measured_files():
            if not self.wanted(file):
                continue
            real = os.path.realpath(file)
            for line, contexts in data.contexts_by_lineno(file).items():
                for test in contexts:
                    if test:
                        self.lines.setdefault(test, {}).setdefault(real, set()).add(line)


def available(name: str) -> bool:
    if name == "coverage":
        import importlib.util

        return importlib.util.find_spec("coverage") is not None
    return name == "settrace" or (name == "monitoring" and hasattr(sys, "monitoring"))


def best() -> str:
    """The cheapest sound tracer here, as measured (docs/testing.md, where the time goes): coverage's C tracer where
    installed; else sys.monitoring on 3.12+ (each line once per test; but restarting the events for every test costs
    far more than coverage on suites that run much code per test, click 5x untraced against 2.3x); else settrace."""
    return next(n for n in TRACERS if available(n))


def make_tracer(root: str, name: Optional[str] = None) -> _Tracer:
    """The named tracer, or the best available (`best`)."""
    choice = name if name and name != "auto" else best()
    if choice not in TRACERS or not available(choice):
        raise ValueError(
            "tracer %r is not available here; choose from %s" % (choice, ", ".join(n for n in TRACERS if available(n)))
        )
    cls = {"coverage": CoverageTracer, "monitoring": MonitoringTracer, "settrace": SettraceTracer}[choice]
    return cls(root)
