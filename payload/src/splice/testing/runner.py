"""`splice.test`: run pytest and say what failed first, in a few lines, then which library lines look guilty.

pytest runs in a subprocess with `splice.testing.pytest_plugin`, which writes outcomes and failure details as JSON (no
parsing of pytest's console). A run of test files or node ids records per-test line coverage where that is cheap
(the coverage map, `splice.testing.covmap`); a folder or the whole suite runs untraced. When tests fail, that coverage
(or, without it, a pass over the failing tests and passing tests of the same files under `splice.testing.linetrace`:
in the first run's own standby child, forked after collection, `splice.testing.standby`, else a second pytest run)
lets `splice.testing.suspects` rank the lines per group of alike failures. The summary
stays within a budget and names the call that shows more.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

from splice.core import SOURCE_ROOT
from splice.core.budget import clip
from splice.core.errors import BadTarget
from splice.core.files import project_root
from splice.testing.failures import FailGroup, Failure, group, shapes, suspect_lines
from splice.testing.linetrace import is_test_file
from splice.testing.root import caller_id, suite_roots, test_root

TIMEOUT = 300.0
_ORDER = ("failed", "error", "passed", "skipped", "xfailed", "xpassed")
# quiet, no console tracebacks (the plugin reads the exceptions), and a collection error does not stop the rest
_PYTEST_FLAGS: Tuple[str, ...] = ("-q", "--tb=no", "--no-header", "--color=no", "-p", "no:cacheprovider")
_PYTEST_FLAGS += ("-p", "splice.testing.pytest_plugin", "--continue-on-collection-errors")
_PROGRESS = re.compile(r"^([.sxXFE]+)\s*(?:\[\s*\d+%\])?$", re.M)  # -q progress lines
_MARKS = {".": "passed", "s": "skipped", "x": "xfailed", "X": "xpassed", "F": "failed", "E": "error"}
_PLUGIN_PATH = SOURCE_ROOT  # the pytest subprocess imports splice.testing.pytest_plugin from here


@dataclass
class TestReport:
    """What a test run found. `str()` is the budgeted summary; the fields are there for programs."""

    __test__ = False  # not a pytest test class

    scope: str
    root: str
    counts: Counter = field(default_factory=Counter)
    failures: List[Failure] = field(default_factory=list)
    seconds: float = 0.0
    problem: str = ""  # pytest could not run, or timed out
    suspects: List[Any] = field(default_factory=list)  # suspects.Group
    suspect_note: str = ""
    call: str = "splice.test({opts})"  # the call that runs this again: Python (splice.…) or a command line
    max_failures: int = 5
    top: int = 5
    max_groups: int = 3

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problem and sum(self.counts.values()) > 0

    @property
    def status(self) -> str:
        if self.problem:
            return "timeout" if self.problem.startswith("timeout") else "failed"
        return "failed" if self.failures else "ok"  # no tests at all is no failure for a check

    def tally(self) -> str:
        if self.problem:
            return "%s (%s)" % (self.problem, self.scope)
        parts = [
            "%d %s" % (self.counts[k], k + ("s" if k == "error" and self.counts[k] > 1 else ""))
            for k in _ORDER
            if self.counts[k]
        ]
        if not parts:
            return "no tests ran: pytest found none in %s (name a test file, folder or node id)" % self.scope
        return "%s (%s)" % (", ".join(parts), self.scope)

    def for_command(self, command: str, targets: Sequence[str]) -> "TestReport":
        """The calls it names written as a command line (`splice test`, `%test`) with these targets."""
        import shlex

        self.call = " ".join([command] + [shlex.quote(t) for t in targets] + ["{opts}"])
        return self

    def more(self, option: str, value: int) -> str:
        """The call that shows more, in the door's own syntax (`call` has `{opts}` where the option goes)."""
        if self.call.startswith("splice."):
            return self.call.replace("{opts}", "%s=%d" % (option, value))
        return self.call.replace("{opts}", "--%s %d" % (option.replace("_", "-"), value))

    def groups(self) -> List[FailGroup]:
        """The failures grouped: by localization when it ran, else by what they look like."""
        return group(self.failures, self.suspects, self.root)

    def summary(self, indent: str = "") -> str:
        """Tally, then per group of alike failures: the representative (id, its failing line, the exception with
        its values), the other ids, the group's suspects. `max_failures` counts groups, `max_groups` the groups
        whose suspects are listed."""
        out = [self.tally()]
        groups = self.groups()
        cache: Dict[str, object] = {}
        for n, g in enumerate(groups[: self.max_failures]):
            out += g.first.lines(self.root)
            if len(g.failures) > 1:
                out.append("  " + g.alike())
            if n < self.max_groups:
                sus = suspect_lines(g, self.root, self.top, cache)
                if sus:
                    out += ["  suspects:"] + ["    " + s for s in sus]
        hidden = groups[self.max_failures :]
        if hidden:
            tests = sum(len(g.failures) for g in hidden)
            what = "failure%s" % ("s" if tests > 1 else "")
            if tests > len(hidden):
                what = "group%s of failures (%d tests)" % ("s" if len(hidden) > 1 else "", tests)
            out.append("… %d more %s: %s" % (len(hidden), what, self.more("max_failures", len(groups))))
        unlisted = [g for g in groups[self.max_groups : self.max_failures] if g.ranked is not None]
        if unlisted:
            out.append(
                "… suspects of %d more group%s: %s"
                % (len(unlisted), "s" if len(unlisted) > 1 else "", self.more("max_groups", len(groups)))
            )
        if self.suspect_note:
            out.append(self.suspect_note)
        return ("\n" + indent).join(out)

    def suspect_summary(self) -> List[str]:
        """Just the suspects, per group whose suspects the summary lists (or the note saying why there are none)."""
        if self.suspect_note:
            return [self.suspect_note]
        out: List[str] = []
        cache: Dict[str, object] = {}
        for g in self.groups()[: min(self.max_groups, self.max_failures)]:
            if g.ranked is not None:
                out.append(g.line(root=self.root))
                out += ["  " + s for s in suspect_lines(g, self.root, self.top, cache)]
        return out

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:  # what a notebook or REPL shows for `splice.test(...)`
        return self.summary()


# ---------------------------------------------------------------------------------------------------- selection


def select(targets: Union[None, str, Sequence[str]], root: Optional[str] = None) -> tuple:
    """(root, pytest args relative to root, scope) for node ids, test files/folders, or library targets.

    A library target (`pkg/core.py`, `pkg/core.py::Cls.meth`, `pkg.core:func`) stands for its related tests
    (the files `related_tests` finds); when none match, the whole suite runs.
    """
    items = [targets] if isinstance(targets, str) else list(targets or [])
    if not items:
        here = os.getcwd()
        root = root or test_root(here) or project_root(os.path.join(here, "x.py"))
        return root, [], "whole suite"
    args: List[str] = []
    notes: List[str] = []
    for item in items:
        path, _, rest = item.partition("::")
        if not os.path.exists(path):
            from splice.core.targets import parse_target

            path = parse_target(item).path  # a module name; raises a teaching error otherwise
            rest = ""
        root = root if args or notes else (test_root(path, root) or root)  # the project's own root, as its developer
        root = root or project_root(os.path.abspath(path) if os.path.isfile(path) else os.path.join(path, "x.py"))
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        if os.path.isdir(path) or is_test_file(path):
            args.append(rel + ("::" + rest if rest else ""))
            notes.append(caller_id(args[-1], root))
            continue
        related = related_tests(path, root)
        args += [os.path.relpath(f, root).replace(os.sep, "/") for f in related]
        notes.append(
            "%d file%s related to %s" % (len(related), "" if len(related) == 1 else "s", rel)
            if related
            else "whole suite: nothing related to %s" % rel
        )
        if not related:
            return root, [], notes[-1]
    scope = notes[0] if len(notes) == 1 else "%d targets" % len(notes)
    return root, list(dict.fromkeys(args)), scope


def related_tests(path: str, root: Optional[str] = None) -> List[str]:
    """Test files that import the module or are named after it; empty when none match (what `check=` runs and a
    library target of `splice.test` stands for)."""
    root = root or project_root(path)
    real = os.path.realpath(path)
    rel = os.path.relpath(real, root)
    mod = rel[:-3].replace(os.sep, ".") if rel.endswith(".py") else rel
    parts = mod.split(".")
    if parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    dotted = ".".join(parts)
    stem = parts[-1] if parts else ""
    heads = "|".join(re.escape(p) for p in [dotted] + _reexporting(real, parts))
    pattern = re.compile(
        r"^\s*(?:from\s+(?:%s)(?:\s|\.)|import\s+(?:%s)\b|from\s+%s\s+import\s+[^#\n]*\b%s\b)"
        % (heads, heads, re.escape(".".join(parts[:-1]) or "\0"), re.escape(stem)),
        re.M,
    )
    from splice.core.walk import iter_files

    found = []
    for file in iter_files(root, "*.py"):
        name = os.path.basename(file)
        if not (name.startswith("test_") or name.endswith("_test.py")) or os.path.realpath(file) == real:
            continue
        if name in ("test_%s.py" % stem, "%s_test.py" % stem):
            found.append(file)
            continue
        try:
            with open(file, encoding="utf-8", errors="replace") as f:
                if pattern.search(f.read()):
                    found.append(file)
        except OSError:
            continue
    return sorted(found)


def _reexporting(real: str, parts: List[str]) -> List[str]:
    """The packages above the module whose `__init__.py` imports the next step down towards it (`pkg` for
    pkg/a/b.py when pkg/__init__.py imports from `a`): a test importing such a package runs the module too."""
    out: List[str] = []
    folder = os.path.dirname(real)
    if os.path.basename(real) == "__init__.py":
        folder = os.path.dirname(folder)
    for k in range(len(parts) - 1, 0, -1):  # the package parts[:k] lives in `folder`
        try:
            with open(os.path.join(folder, "__init__.py"), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            break
        if re.search(r"^\s*(?:from|import)\b[^#\n]*\b%s\b" % re.escape(parts[k]), text, re.M):
            out.append(".".join(parts[:k]))
        folder = os.path.dirname(folder)
    return out


# ---------------------------------------------------------------------------------------------------- running


def run_pytest(
    args: Sequence[str],
    root: str,
    *,
    only: Optional[Sequence[str]] = None,
    trace: Optional[str] = None,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
    deadline: Optional[float] = None,
    cwd: Optional[str] = None,
    standby: Optional[str] = None,
) -> Dict[str, Any]:
    """One pytest subprocess with the plugin; returns its JSON (plus `returncode`, `seconds`, `output`).

    `deadline`: seconds after which the run starts no further test (it ends with what it has; tests of `only` run
    in that order). `cwd`: where pytest starts (default `root`; node ids stay relative to `root`). `standby`: a
    tracer name: when tests fail, the process traces the tests a second run would in a child it forked after
    collection (splice.testing.standby) and its JSON holds that run as `spectrum`."""
    return PytestRun(
        args, root, only=only, trace=trace, timeout=timeout, extra=extra, deadline=deadline, cwd=cwd, standby=standby
    ).result()


class PytestRun:
    """`run_pytest` started now and read later (`result()`), so a caller can do other work while it runs."""

    def __init__(
        self,
        args: Sequence[str],
        root: str,
        *,
        only: Optional[Sequence[str]] = None,
        trace: Optional[str] = None,
        timeout: float = TIMEOUT,
        extra: Sequence[str] = (),
        deadline: Optional[float] = None,
        cwd: Optional[str] = None,
        standby: Optional[str] = None,
    ) -> None:
        import subprocess  # here, not at import: `import splice` stays light
        import tempfile

        self.tmp = tempfile.mkdtemp(prefix="splice-test-")
        self.out = os.path.join(self.tmp, "out.json")
        self.timeout = timeout
        env = dict(os.environ, SPLICE_TEST_OUT=self.out, SPLICE_TEST_ROOT=root)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), _PLUGIN_PATH) if p)
        env.pop("SPLICE_TEST_TRACE", None)
        env.pop("SPLICE_TEST_DEADLINE", None)
        env.pop("SPLICE_TEST_STANDBY", None)
        env.pop("SPLICE_TEST_STANDBY_UNTIL", None)
        if standby and trace is None and only is None:
            env["SPLICE_TEST_STANDBY"] = standby
            # the standby's pass ends in time for the process to write its JSON within this run's timeout
            env["SPLICE_TEST_STANDBY_UNTIL"] = repr(time.time() + timeout - min(max(2.0, 0.05 * timeout), 15.0))
        if deadline is not None:
            env["SPLICE_TEST_DEADLINE"] = repr(time.time() + deadline)
        if trace:
            env["SPLICE_TEST_TRACE"] = trace
        if only is not None:
            env["SPLICE_TEST_ONLY"] = os.path.join(self.tmp, "only.json")
            with open(env["SPLICE_TEST_ONLY"], "w", encoding="utf-8") as f:
                json.dump(list(only), f)
        cmd = [sys.executable, "-m", "pytest", *_PYTEST_FLAGS, "--rootdir", root, *extra, *args]
        self.start = time.perf_counter()
        self.log = open(os.path.join(self.tmp, "output.txt"), "w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by result()
        # a file, not a pipe: a long output never blocks the run while the caller is busy elsewhere
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd or root, env=env)

    def result(self) -> Dict[str, Any]:
        import shutil
        import subprocess

        try:
            try:
                self.proc.wait(max(self.timeout - (time.perf_counter() - self.start), 0.01))
            except subprocess.TimeoutExpired:  # the JSON is written at the end: count pytest's progress marks
                self.proc.kill()
                self.proc.wait()
                marks = "".join(m.group(1) for m in _PROGRESS.finditer(self._output()))
                return {
                    "problem": "timeout after %ds" % self.timeout,
                    "seconds": time.perf_counter() - self.start,
                    "marks": marks,
                }
            data: Dict[str, Any] = {}
            if os.path.exists(self.out):
                with open(self.out, encoding="utf-8") as f:
                    data = json.load(f)
            code = self.proc.returncode
            data.update(returncode=code, seconds=time.perf_counter() - self.start, output=self._output().strip())
            if not os.path.exists(self.out) or code in (3, 4):
                lines = [ln for ln in data["output"].splitlines() if ln.strip()]
                data["problem"] = "pytest exited with code %d: %s" % (code, clip(" ".join(lines[-2:]), 300))
            return data
        finally:
            self.log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


def _report(data: Dict[str, Any], root: str, scope: str) -> TestReport:
    report = TestReport(scope, root, seconds=data.get("seconds", 0.0), problem=data.get("problem", ""))
    report.counts.update(_MARKS[m] for m in data.get("marks", ""))  # a run cut by its timeout: what it got through
    for rec in data.get("collect", []) + data.get("tests", []):
        report.counts[rec["outcome"]] += 1
        if rec["outcome"] in ("failed", "error"):
            report.failures.append(
                Failure(
                    rec["id"],
                    rec["outcome"],
                    rec.get("when", "call"),
                    rec.get("exc", ""),
                    rec.get("message", ""),
                    rec.get("line", 0),
                    rec.get("text", ""),
                    rec.get("frames", []),
                    rec.get("pos", 0),
                    rec.get("params", []),
                )
            )
    return report


@dataclass
class Spectrum:
    """Per-test line coverage of the second run, with which of its tests failed and passed."""

    coverage: Dict[str, set]
    failing: List[str]
    passing: List[str]
    frames: Dict[str, List[tuple]]  # library frames of each failure's traceback
    seconds: float = 0.0
    tracer: str = ""
    skipped: int = 0  # tests asked for that the run left out (its deadline came first)
    asked: int = 0


def spectrum(
    report: TestReport,
    args: Sequence[str],
    data: Dict[str, Any],
    *,
    tracer: Optional[str] = None,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
    deadline: Optional[float] = None,
    cwd: Optional[str] = None,
) -> Union[Spectrum, str]:
    """Second run: the failing tests and the passing tests of their files, each under line coverage.

    The same test files are where the passing tests that share code with a failure mostly are; the whole suite
    under coverage would cost more than the first run. Returns a problem text when the run fails.
    """
    return SpectrumRun(
        report, args, data, tracer=tracer, timeout=timeout, extra=extra, deadline=deadline, cwd=cwd
    ).result()


# passing tests a coverage run traces beside the failures: a count, never a clock. 50: on 15 bug lines (planted and
# mutants in click and boltons; benchmarks/bench_passing_cap.py, docs/benchmarks/passing_cap.md) 25, 50, 100, 200 and
# every passing test of the failing files ranked them alike, and each traced test costs (click: 200 of them ~0.3x its
# plain run)
PASSING_CAP = 50


def choose_passing(failing: Sequence[str], records: Sequence[Dict[str, Any]], cap: int = PASSING_CAP) -> List[str]:
    """The passing tests of the failing tests' files that a coverage run traces, by rule and count (so the same
    code and tests choose the same ones whatever the machine's load): a failing test's parametrized siblings first,
    then the tests of its class, then the rest of its file, each tier nearest to a failure in the file first (by
    where the tests are defined), ties by id; at most `cap`."""
    from splice.testing.suspects import natural

    def base(t: str) -> str:
        return t.split("[")[0]

    def parent(t: str) -> str:
        return base(t).rsplit("::", 1)[0]

    bases = {base(t) for t in failing}
    parents = {parent(t) for t in failing}
    pos = {r["id"]: int(r.get("pos") or 0) for r in records}
    near: Dict[str, List[int]] = {}
    for t in failing:
        near.setdefault(t.split("::")[0], []).append(pos.get(t, 0))
    candidates = [
        r["id"] for r in records if r.get("outcome") == "passed" and r["id"].split("::")[0] in near
    ]

    def key(t: str) -> tuple:
        tier = 0 if base(t) in bases else 1 if parent(t) in parents else 2
        distance = min(abs(pos.get(t, 0) - p) for p in near[t.split("::")[0]])
        return (tier, distance, natural(t))

    return sorted(candidates, key=key)[: max(cap, 0)]


def plan(report: TestReport, records: Sequence[Dict[str, Any]], cap: int = PASSING_CAP) -> Tuple[List[str], List[str]]:
    """(the failing tests, every test a coverage run traces): the failures in the order of the code, then the
    passing tests `choose_passing` picks — by priority, so a guard that cuts leaves out the least useful. The one
    rule of the second process and of the forked standby (splice.testing.standby)."""
    failures = sorted((f for f in report.failures if f.when != "collect"), key=Failure.key)
    failing = [f.id for f in failures]
    return failing, failing + choose_passing(failing, records, cap)


class SpectrumRun:
    """`spectrum` started now and read later with `result()`. The failing tests run first, then the passing tests
    `choose_passing` picks (a count, by rule): the same tests every time, so the same suspects. A `deadline` is only
    an outer guard (a hang, a suite far slower traced); when it cuts, `skipped` says how many tests it left out.

    With a `standby` (splice.testing.standby, forked by the pytest process after collection) those tests run there,
    with no second start-up; the second process is the fallback, started whenever the standby cannot run them."""

    def __init__(
        self,
        report: TestReport,
        args: Sequence[str],
        data: Dict[str, Any],
        *,
        tracer: Optional[str] = None,
        timeout: float = TIMEOUT,
        extra: Sequence[str] = (),
        deadline: Optional[float] = None,
        cwd: Optional[str] = None,
        cap: int = PASSING_CAP,
        standby: Any = None,
    ) -> None:
        self.report = report
        self.failing, self.asked = plan(report, data.get("tests", []), cap)
        self.second = dict(args=args, tracer=tracer, timeout=timeout, extra=extra, deadline=deadline, cwd=cwd)
        self.run: Any = None
        if standby is not None:
            self.run = standby.start(self.asked, root=report.root, tracer=tracer or "auto", timeout=timeout,
                                     deadline=deadline, cwd=cwd)
        if self.run is None:
            self.run = self._second_process()

    def _second_process(self) -> "PytestRun":
        o = self.second
        return PytestRun(
            o["args"],
            self.report.root,
            only=self.asked,
            trace=o["tracer"] or "auto",
            timeout=o["timeout"],
            # the failures' details come from the first run: no assertion rewriting to pay for (its outcomes are
            # the same), the test files import as plain modules; no unraisable-exception plugin either, whose
            # clean-up (pytest 9) forces five full garbage collections after the run for warnings no one reads
            extra=["--assert=plain", "-p", "no:unraisableexception", *o["extra"]],
            deadline=o["deadline"],
            cwd=o["cwd"],
        )

    def result(self) -> Union[Spectrum, str]:
        run = self.run.result()
        if "fallback" in run:  # the standby failed in its own code, not in a test: the second process after all
            self.run = self._second_process()
            run = self.run.result()
        return spectrum_of(self.report, self.failing, self.asked, run)


def spectrum_of(report: TestReport, failing: Sequence[str], asked: Sequence[str], run: Dict[str, Any]) -> Union[
        Spectrum, str]:
    """A coverage run's JSON (the second process's or the standby's) as the spectrum; its problem text when it
    failed. Its coverage refreshes the project's coverage map."""
    if run.get("problem"):
        return run["problem"]
    remember(report.root, run)
    outcomes = {r["id"]: r["outcome"] for r in run.get("tests", [])}
    return Spectrum(
        _line_sets(run["coverage"]),
        [t for t in failing if outcomes.get(t) in ("failed", "error")],
        [t for t, o in outcomes.items() if o == "passed"],
        _frames(report),
        run["seconds"],
        run.get("tracer", ""),
        len(set(asked) - set(outcomes)),
        len(asked),
    )


def _line_sets(coverage: Dict[str, Dict[str, List[int]]]) -> Dict[str, Set[Tuple[str, int]]]:
    """A run's per-test coverage ({test: {file: [lines]}}) as the (file, line) sets the ranking counts."""
    return {t: {(f, n) for f, lines in per_file.items() for n in lines} for t, per_file in coverage.items()}


def _frames(report: TestReport) -> Dict[str, List[Tuple[Any, ...]]]:
    """Each failure's library frames (where it raised), which the ranking weighs."""
    return {f.id: [tuple(x) for x in f.library_frames(report.root)] for f in report.failures}


def add_suspects(
    report: TestReport,
    data: Dict[str, Any],
    *,
    formula: str = "ochiai",
    tracer: Optional[str] = None,
    timeout: float = TIMEOUT,
) -> None:
    from splice.testing.suspects import localize

    if not any(f.when != "collect" for f in report.failures):
        return
    # not traced first (a whole suite or a folder): the second run collects only the failing tests' files
    files = sorted({f.id.split("::")[0] for f in report.failures if f.when != "collect"})
    spec = (
        _traced_already(report, data, tracer)
        or _from_standby(report, data)
        or spectrum(report, files, data, tracer=tracer, timeout=timeout)
    )
    if isinstance(spec, str):
        report.suspect_note = "suspects: not found (%s)" % spec
        return
    report.suspects = localize(
        spec.coverage, spec.failing, spec.passing, formula, spec.frames, shapes(report.failures, report.root)
    )
    if not report.suspects:
        report.suspect_note = "suspects: none (the failing tests ran no library line of this project)"


def _from_standby(report: TestReport, data: Dict[str, Any]) -> Union[Spectrum, str, None]:
    """The spectrum the first run's forked standby traced once its tests had failed (`pytest_plugin`, asked with
    SPLICE_TEST_STANDBY): the tests the second process would trace, with no second start-up. None: none ran."""
    run = data.get("spectrum")
    if not run:
        return None
    failing, _ = plan(report, data.get("tests", []))
    return spectrum_of(report, failing, run.get("asked", []), run)


def _traced_already(report: TestReport, data: Dict[str, Any], tracer: Optional[str]) -> Optional[Spectrum]:
    """The first run's own coverage as the spectrum, when it traced every failing test (it records the coverage map
    when tracing is cheap): no second run, and every passing test of the run counts, not only those of the failing
    tests' files. None when a second run is needed (no coverage, another tracer asked for, a failure not traced)."""
    cov = data.get("coverage") or {}
    failing = [f.id for f in report.failures if f.when != "collect"]
    if not cov or (tracer and tracer != data.get("tracer")) or any(t not in cov for t in failing):
        return None
    return Spectrum(
        _line_sets(cov),
        failing,
        [r["id"] for r in data.get("tests", []) if r["outcome"] == "passed" and r["id"] in cov],
        _frames(report),
        float(data.get("seconds", 0.0)),
        data.get("tracer", ""),
    )


def test(
    targets: Union[None, str, Sequence[str]] = None,
    *,
    suspects: bool = True,
    max_failures: int = 5,
    top: int = 5,
    max_groups: int = 3,
    formula: str = "ochiai",
    tracer: Optional[str] = None,
    timeout: float = TIMEOUT,
    root: Optional[str] = None,
) -> TestReport:
    """Run pytest on node ids, test files/folders, or the tests related to a library target (none: the whole suite).

    The report (its str) lists failures first, grouped: per group of alike failures one representative (test id, the
    test's own failing line, the exception with its values) and the other ids; passing tests as a count.
    `max_failures` counts groups. With `suspects`, each group of alike failures gets its most suspicious library lines
    as targets (`pkg/mod.py::Cls.meth  L12  <line>`), ranked over per-test line coverage: the first run's own for test
    files or node ids (`traced_first`), else a second run of the failing tests' files under coverage.

    No targets, from a folder that is no project's root nor inside one (`root`, else the current folder): each
    project below it runs its whole suite from its own root, as its developer runs it; one report adds them up, ids
    and suspects as that folder sees them (`splice.testing.root.suite_roots`).
    """
    base = os.path.abspath(root or os.getcwd())  # the caller's folder: ids and suspects are shown from it
    runs = project_runs(targets, base, root)
    if runs is not None:
        opts = dict(suspects=suspects, max_failures=max_failures, top=top, max_groups=max_groups,
                    formula=formula, tracer=tracer, timeout=timeout)
        return several(runs, base, **opts)
    root, args, scope = select(targets, root)
    from splice.testing import covmap  # the map's code loads with the first test run, not with splice

    traced = traced_first(args, root)
    # not traced first: when tests fail, the run's own standby traces the second pass's tests (no second start-up)
    standby = (tracer or "auto") if suspects and not traced else None
    data = run_pytest(args, root, timeout=timeout, trace=covmap.tracer() if traced else None, standby=standby)
    remember(root, data)
    report = _report(data, root, scope)
    report.max_failures, report.top, report.max_groups = max_failures, top, max_groups
    shown = repr(targets if targets is None or isinstance(targets, str) else list(targets))
    report.call = "splice.test(%s, {opts})" % shown
    if suspects and report.failures and not report.problem:
        add_suspects(report, data, formula=formula, tracer=tracer, timeout=timeout)
    return rebased(report, base)


def traced_first(args: Sequence[str], root: str) -> bool:
    """Whether `splice.test`'s first run traces per-test coverage: only when it names test files or node ids, no
    folder nor the whole suite. A narrow run traced costs little more than one untraced and saves the second run's
    start-up; over a whole suite coverage's tracer costs 0.5-1x the run itself (click, boltons), while a failing run's
    second pass traces only the failing tests and the passing tests `choose_passing` picks. By the arguments, never
    the clock, so the same call ranks over the same tests every time."""
    return bool(args) and all("::" in a or os.path.isfile(os.path.join(root, a)) for a in args)


def remember(root: str, data: Dict[str, Any]) -> None:
    """A run's per-test coverage goes into the project's coverage map (splice.testing.covmap), for the next edit's
    choice of tests; a map that cannot be written costs nothing but the note."""
    from splice.testing import covmap

    note = covmap.record(root, data.get("coverage") or {})
    if note:
        data.setdefault("notes", []).append(note)


def tests_stage_report(
    files: Sequence[str],
    root: str,
    scope: str,
    path: str,
    timeout: float = TIMEOUT,
    only: Optional[Sequence[str]] = None,
) -> TestReport:
    """The run `check=` does after an edit (`only`: these test ids of the files): the first two failures (a verdict,
    not a report), suspects left to a call the summary names. Its coverage refreshes the map."""
    args = [os.path.relpath(f, root) for f in files]
    from splice.testing import covmap

    data = run_pytest(args, root, timeout=timeout, only=only, trace=covmap.tracer())
    remember(root, data)
    report = _report(data, root, scope)
    report.max_failures = 2
    rel = os.path.relpath(path)
    path = path if rel.startswith("..") else rel.replace(os.sep, "/")
    report.call = "splice.test(%r, {opts})" % path
    if report.failures:
        report.suspect_note = "suspects: splice.test(%r)" % path
    return report


# ---------------------------------------------------------------------------------------------------- several projects


@dataclass
class SuiteReport(TestReport):
    """The whole suites of the projects below the caller's folder in one report: counts added up, the failures and
    suspects of all (ids as that folder sees them), one status; a project pytest could not run is a line of its own
    under the tally, the others' results stay."""

    __test__ = False
    parts: List[Tuple[str, TestReport]] = field(default_factory=list)  # (the project as the caller sees it, report)

    def tally(self) -> str:
        problems = ["%s: %s" % (name, r.problem) for name, r in self.parts if r.problem]
        if problems and not sum(self.counts.values()):
            return "\n".join(["no results (%s)" % self.scope] + problems)
        return "\n".join([TestReport(self.scope, self.root, counts=self.counts).tally()] + problems)


def project_runs(
    targets: Union[None, str, Sequence[str]], base: str, within: Optional[str] = None
) -> Optional[List[Tuple[str, str, Optional[List[str]]]]]:
    """The runs when the tests asked for lie in several projects, or below a folder in none (no targets: `base`, the
    caller's folder; or a folder named as a target): (the project as `base` sees it, its root, its targets or None
    for its whole suite) each. None: one run, as `select` plans it (`base` is a project's root or inside one, or all
    targets share one project)."""
    items = [targets] if isinstance(targets, str) else list(targets or [])
    by_root: Dict[str, Optional[List[str]]] = {}
    expanded = False
    for item in items or [base]:
        root = _item_root(item, within)
        if root is None and os.path.isdir(item):
            below = suite_roots(os.path.abspath(item), within)
            if below is not None:  # a folder above projects: each project's whole suite, its loose tests
                expanded = True
                for project in below[0]:
                    by_root[project] = None
                by_root.setdefault("", [])
                by_root[""] = (by_root[""] or []) + list(below[1])
                continue
        if not items:
            return None
        group = by_root.setdefault(root or "", [])
        if group is not None:  # None: the project's whole suite runs anyway
            group.append(item)
    if "" in by_root and not by_root[""]:
        del by_root[""]
    projects = [r for r in by_root if r]
    if len(projects) < 2 and not expanded:
        return None
    if len(projects) > MAX_PROJECTS:
        names = ", ".join(_shown(r, base) for r in projects[:4])
        raise BadTarget("%d projects below this folder (%s, …): name the ones to test as targets, or test from a "
                        "project's folder" % (len(projects), names))
    return [(_shown(r, base) if r else LOOSE, r or base, group) for r, group in by_root.items()]


MAX_PROJECTS = 8  # more below one folder is a home or a checkout of many: asked, not run for minutes
LOOSE = "tests in no project"


def _item_root(item: str, within: Optional[str]) -> Optional[str]:
    """The project root of one target (None: none, or a target `select` will refuse with its teaching error)."""
    path = item.partition("::")[0]
    if not os.path.exists(path):
        from splice.core.errors import SpliceError
        from splice.core.targets import parse_target

        try:
            path = parse_target(item).path
        except (SpliceError, OSError):
            return None
    return test_root(path, within)


def several(runs: Sequence[Tuple[str, str, Optional[List[str]]]], base: str, **opts: Any) -> TestReport:
    """Each project's tests from its own root, one project after the other (their tests may share ports, files,
    caches); one report (SuiteReport) as `base` sees it."""
    parts = [(name, test(targets, root=root, **opts)) for name, root, targets in runs]
    names = [name for name, _, _ in runs if name != LOOSE]
    listed = ", ".join(names[:3]) + (", … %d more" % (len(names) - 3) if len(names) > 3 else "")
    whole = all(targets is None for name, _, targets in runs if name != LOOSE)
    if not whole:
        count = sum(len(targets or ()) for _, _, targets in runs)
        scope = "%d targets in %s, each run from its project's root" % (count, listed)
    elif len(names) == 1:
        scope = "whole suite of %s, run from there" % listed
    else:
        scope = "whole suites of %s, each run from its root" % listed
    loose = next((targets for name, _, targets in runs if name == LOOSE), None)
    if loose and whole:
        scope += ", and %d test file%s in no project" % (len(loose), "" if len(loose) == 1 else "s")
    merged = SuiteReport(scope, base, parts=parts)
    merged.max_failures, merged.top, merged.max_groups = opts["max_failures"], opts["top"], opts["max_groups"]
    notes = []
    for name, r in parts:
        rebased(r, base)
        merged.counts.update(r.counts)
        merged.failures += r.failures
        merged.suspects += r.suspects
        merged.seconds += r.seconds
        if r.suspect_note:
            notes.append((name, r.suspect_note))
    merged.problem = "; ".join("%s: %s" % (name, r.problem) for name, r in parts if r.problem)
    if len({n for _, n in notes}) == 1:
        merged.suspect_note = notes[0][1]
    elif notes:
        merged.suspect_note = "; ".join("%s: %s" % pair for pair in notes)
    asked = None if whole else [t for _, _, targets in runs for t in targets or ()]
    merged.call = "splice.test(%r, {opts})" % asked
    return merged


def _shown(folder: str, base: str) -> str:
    return os.path.relpath(folder, base).replace(os.sep, "/") + "/"


def rebased(report: TestReport, base: str) -> TestReport:
    """The report of a run from a project root below `base` as `base` sees it: test ids, traceback files and
    suspects' files relative to `base` (so each is a target from there), and `base` as its root."""
    prefix = os.path.relpath(report.root, base)
    if prefix == "." or prefix.startswith(".."):
        return report
    prefix = prefix.replace(os.sep, "/") + "/"

    def move(path: str) -> str:
        return path if os.path.isabs(path) else prefix + path

    for f in report.failures:
        f.id = move(f.id)
        f.frames = [[move(file), line] for file, line in f.frames]
    for g in report.suspects:
        g.tests = [move(t) for t in g.tests]
        g.ranked = [((move(file), line), score) for (file, line), score in g.ranked]
    report.root = base
    return report
