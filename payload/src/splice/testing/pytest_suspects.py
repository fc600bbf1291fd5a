"""A pytest plugin that ends a run with failures with the suspects: the failures grouped (one line a group) and per
group the library lines ranked by fault localization, as targets — what `splice.test` prints, wherever pytest runs.

Where splice is loaded into an interpreter (`%load_ext splice`, the bundle's import), `pytest_shim.enable()` puts a
stdlib-only shim (`pytest_shim/splice_suspects.py`) on PYTHONPATH and into PYTEST_PLUGINS, so `!pytest`,
`!python -m pytest` and `subprocess.run([... "pytest" ...])` get it, and a pytest of another interpreter that cannot
import splice runs as if it were not there. Elsewhere: `pytest -p splice.testing.pytest_suspects`. Off:
`-p no:splice_suspects` (or `-p no:splice.testing.pytest_suspects`).

This module imports only the standard library and pytest at first, so a green run pays one fork for splice (a
standby child, `splice.testing.standby`, forked after collection and told to exit when the run ends green); the rest
of splice (the coverage pass over the failing tests and up to 50 passing tests of their files, chosen by rule, under
per-test line coverage, then the ranking) loads only when tests failed. That pass runs in the standby, still in its
fresh post-collection state, so it costs no second interpreter, pytest start-up or collection; where a fork is not
sound (Windows, threads, xdist, --collect-only, a debugger or tracer running, a pass that must run from the project's
root elsewhere, SPLICE_SUSPECTS_STANDBY=0) a second pytest process runs it instead, with the same tests in the same
order and the same section. What the pass covers is a count, never a clock, so the same code and tests give the same
section on an idle or a busy machine. Its time limit is only an outer guard against a hang (`--splice-budget SECONDS`
or SPLICE_SUSPECTS_BUDGET; by default 30 s or three times the run's own time, whichever is more, at most 10 minutes);
when it cuts, the section says so in one line. Anything going wrong there is one line in the section; pytest's own
output and exit status never change.
"""

from __future__ import annotations

import linecache
import os
import shlex
import time
from typing import Any, Callable, Dict, List, Optional

import pytest

NAME = "splice.testing.pytest_suspects"
SHIM = "splice_suspects"  # the module PYTEST_PLUGINS names (pytest_shim/); `-p no:splice_suspects` switches it off
BUDGET_ENV = "SPLICE_SUSPECTS_BUDGET"
MAX_BUDGET = 600.0
MIN_BUDGET = 30.0  # the guard is well above a normal coverage run (a few seconds): it only stops a hang
GUARD_FACTOR = 3.0
GRACE = 5.0  # past its budget, the second run still gets this long to finish the test it is in, then it is killed
_MESSAGE_CHARS = 2000


# ---------------------------------------------------------------------------------------------------- recording


def record(tests: Dict[str, Dict[str, Any]], item: Any, call: Any, rep: Any, rel: Callable[[str], str]) -> None:
    """One test report into `tests` (node id -> record): its outcome, for a failure the exception, the test's own
    failing line and the traceback's frames. Shared with the JSON plugin `splice.test` loads."""
    rec = tests.get(rep.nodeid)
    if rec is None:
        rec = tests[rep.nodeid] = {"id": rep.nodeid, "outcome": "passed", "file": rel(_path(item)), "pos": _pos(item)}
        indices = getattr(getattr(item, "callspec", None), "indices", None)
        if isinstance(indices, dict):
            rec["params"] = [int(v) for v in indices.values() if isinstance(v, int)]
    if rep.when == "call":
        if hasattr(rep, "wasxfail"):
            rec["outcome"] = "xfailed" if rep.skipped else ("failed" if rep.failed else "xpassed")
        else:
            rec["outcome"] = rep.outcome
    elif rep.skipped and rec["outcome"] == "passed":
        rec["outcome"] = "skipped"
    elif rep.failed and rec["outcome"] != "failed":
        rec["outcome"] = "error"
    if not rep.failed or "exc" in rec:
        return
    rec["when"] = rep.when
    excinfo = call.excinfo
    if excinfo is None:  # e.g. a strict xpass
        rec.update(exc="", message=str(getattr(rep, "longreprtext", ""))[:_MESSAGE_CHARS])
        return
    frames = []
    tb = excinfo.tb
    while tb is not None:
        frames.append([tb.tb_frame.f_code.co_filename, tb.tb_lineno])
        tb = tb.tb_next
    test_file = os.path.realpath(_path(item))
    own = [f for f in frames if os.path.realpath(f[0]) == test_file]
    rec["exc"] = excinfo.typename
    try:
        rec["message"] = str(excinfo.value)[:_MESSAGE_CHARS]
    except Exception as exc:  # a broken __str__ is the test's problem, not the record's
        rec["message"] = "<unprintable: %s>" % type(exc).__name__
    rec["frames"] = [[rel(f), n] for f, n in frames]
    if own:
        rec["line"] = own[-1][1]
        rec["text"] = linecache.getline(own[-1][0], own[-1][1]).strip()


def _pos(item: Any) -> int:
    """The 1-based line the test is defined at (0 when pytest cannot tell): a place in its file that does not
    depend on the order tests ran in."""
    try:
        line = item.location[1]
    except Exception:
        return 0
    return line + 1 if isinstance(line, int) else 0


def _path(item: Any) -> str:
    return str(getattr(item, "path", None) or item.fspath)  # pytest 7+ has .path; older only .fspath


def relative_to(root: str) -> Callable[[str], str]:
    real_root = os.path.realpath(root)
    seen: Dict[str, str] = {}  # every test of a file asks for the same path: realpath once

    def rel(path: str) -> str:
        out = seen.get(path)
        if out is None:
            real = os.path.realpath(path)
            out = os.path.relpath(real, real_root)
            out = seen[path] = real if out.startswith("..") else out.replace(os.sep, "/")
        return out

    return rel


# ---------------------------------------------------------------------------------------------------- hooks


class _State:
    def __init__(self, config: Any) -> None:
        self.start = time.perf_counter()
        self.root = str(getattr(config, "rootpath", None) or config.rootdir)
        self.cwd = str(getattr(getattr(config, "invocation_params", None), "dir", None) or os.getcwd())
        self.rel = relative_to(self.root)
        self.tests: Dict[str, Dict[str, Any]] = {}
        self.done = False
        self.standby: Any = None  # splice.testing.standby.Standby, forked after collection


def _state(config: Any) -> Optional[_State]:
    return getattr(config, "_splice_suspects", None)


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("splice", "splice suspects")
    group.addoption(
        "--splice-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="outer time guard of the coverage run that ranks suspects (default: 3x the run's own time, at least "
        "30 s, at most 600 s; env %s); it covers a fixed set of tests, so only a hang meets it" % BUDGET_ENV,
    )


def _blocked(config: Any) -> bool:
    pm = config.pluginmanager
    return any(pm.is_blocked(n) for n in (NAME, SHIM))


def pytest_configure(config: Any) -> None:
    if getattr(config, "_splice_suspects", None) is not None:
        return  # registered twice (the shim and -p): one state
    active = not (
        os.environ.get("SPLICE_TEST_OUT")  # splice.test's own subprocess (its JSON plugin, or our second run)
        or hasattr(config, "workerinput")  # an xdist worker: its controller never sees the tracebacks
        or _blocked(config)
    )
    config._splice_suspects = _State(config) if active else False


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: Any) -> None:
    """Fork the standby that will trace the coverage pass if tests fail (splice.testing.standby): after every other
    plugin's collection, before the first test. None where it would not be sound: the second process then."""
    state = _state(session.config)
    if not state:
        return
    try:
        from splice.testing import standby

        state.standby = standby.fork(session, record, relative_to)
    except Exception:  # the second process instead
        state.standby = None


def pytest_unconfigure(config: Any) -> None:
    state = _state(config)
    if state and state.standby is not None:
        state.standby.close()  # a green run: the child exits at once
        state.standby = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any):  # type: ignore[no-untyped-def]
    outcome = yield
    state = _state(item.config)
    if not state:
        return
    try:
        record(state.tests, item, call, outcome.get_result(), state.rel)
    except Exception:  # never the user's run
        pass


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any):  # type: ignore[no-untyped-def]
    """Outermost: the second run starts before pytest prints its failures (it runs while they print), and what
    follows the yield comes after pytest's short summary, just before its final counts line."""
    state = _state(config)
    failed = state and not state.done and any(r["outcome"] in ("failed", "error") for r in state.tests.values())
    pending: Any = None
    if failed:
        state.done = True
        try:
            budget = _budget(config, time.perf_counter() - state.start)
            pending = Section(
                list(state.tests.values()), state.root, budget, int(exitstatus) == 2, state.cwd, state.standby
            )
            state.standby = None  # the section's now (it starts it or ends it)
        except Exception as exc:  # one line, never the user's run
            pending = exc
    yield
    if pending is None:
        return
    try:
        if isinstance(pending, Exception):
            raise pending
        call = " ".join(["splice test"] + [shlex.quote(a) for a in config.args if not a.startswith("-")])
        lines = pending.lines(call)
    except Exception as exc:  # one line, never the user's run
        text = str(exc).splitlines()[0][:150] if str(exc) else ""
        lines = ["suspects: not found (%s: %s)" % (type(exc).__name__, text)]
    if lines:
        terminalreporter.write_sep("=", "splice suspects")
        for line in lines:
            terminalreporter.write_line(line)


def _budget(config: Any, elapsed: float) -> float:
    given = config.getoption("splice_budget", None)
    if given is None and os.environ.get(BUDGET_ENV):
        given = float(os.environ[BUDGET_ENV])
    if given is not None:
        return max(float(given), 0.0)
    return min(max(GUARD_FACTOR * elapsed, MIN_BUDGET), MAX_BUDGET)


# ---------------------------------------------------------------------------------------------------- the section


class Section:
    """The section for a run's test records: the second run starts here, `lines()` waits for it and renders the
    groups, each with its top suspects, within ~300 o200k tokens a group and ~800 in all (counted as characters:
    900 a group, 2,400 in all)."""

    def __init__(
        self,
        tests: List[Dict[str, Any]],
        root: str,
        budget: float,
        interrupted: bool = False,
        cwd: str = "",
        standby: Any = None,
    ) -> None:
        from splice.testing.root import project_cwd
        from splice.testing.runner import SpectrumRun, _report

        self.root, self.budget = root, budget
        report = _report({"tests": tests}, root, "")
        self.failures = [f for f in report.failures if f.when != "collect"]
        self.notes: List[str] = []
        self.run: Any = None
        if interrupted:
            self.notes.append("suspects: not ranked (the run was interrupted; splice test reruns the failures)")
        elif self.failures:
            files = sorted({os.path.join(root, f.id.split("::")[0]) for f in self.failures})  # ids are root-relative
            self.cwd, self.invoked = project_cwd(files, root), cwd or root  # run where the project runs its tests
            self.run = SpectrumRun(
                report, files, {"tests": tests}, timeout=budget + GRACE, deadline=budget, cwd=self.cwd,
                standby=standby,
            )
            standby = None
        if standby is not None:
            standby.close()

    def lines(self, call: str = "splice test") -> List[str]:
        from splice.core.budget import clip
        from splice.testing.failures import group, shapes, suspect_lines
        from splice.testing.root import elsewhere_note
        from splice.testing.suspects import localize

        if not self.failures:
            return []
        root, notes = self.root, list(self.notes)
        ranked: List[Any] = []
        spec = self.run.result() if self.run is not None else None
        if isinstance(spec, str):
            notes.append("suspects: not found (coverage run: %s)" % clip(spec, 160))
        elif spec is not None:
            ranked = localize(
                spec.coverage, spec.failing, spec.passing, "ochiai", spec.frames, shapes(self.failures, root)
            )
            if spec.skipped:
                notes.append(
                    "coverage run cut by its %.0f s guard: %d of %d tests left out, suspects may differ "
                    "(--splice-budget SECONDS)" % (self.budget, spec.skipped, spec.asked)
                )
            if not ranked:
                notes.append("suspects: none (the failing tests ran no library line of this project)")
            passed = set(spec.passing)
            notes += [n for n in [elsewhere_note([f.id for f in self.failures if f.id in passed], self.cwd,
                                                 self.invoked)] if n]
        groups = group(self.failures, ranked, root)
        shown = groups[:3]
        top = {1: 5, 2: 4}.get(len(shown), 3)
        out: List[str] = []
        cache: Dict[str, object] = {}
        for g in shown:
            lines = [g.line(200)] + ["  " + clip(s, 160) for s in suspect_lines(g, root, top, cache)]
            while len(lines) > 1 and sum(len(x) + 1 for x in lines) > 900:
                lines.pop()
            out += lines
        if len(groups) > len(shown):
            rest = groups[len(shown) :]
            out.append(
                "… %d more group%s of failures (%d tests): %s"
                % (len(rest), "s" if len(rest) > 1 else "", sum(len(g.failures) for g in rest), clip(call, 80))
            )
        out += notes
        while sum(len(x) + 1 for x in out) > 2400 and len(out) > 1:
            out.pop(-1 - len(notes))
        return out

