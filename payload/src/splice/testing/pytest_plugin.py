"""The pytest plugin `splice.test` loads into its pytest subprocess (`-p splice.testing.pytest_plugin`); never imported
by splice itself. It writes one JSON file: each test's outcome, for failures the exception, the test's own failing
line and the traceback's frames; collection errors; and, when asked, per-test line coverage of library files.

Environment: SPLICE_TEST_OUT (the JSON path), SPLICE_TEST_ROOT (the project), SPLICE_TEST_ONLY (a JSON file of node
ids to keep, run in that order), SPLICE_TEST_TRACE (a tracer name, or "auto"; unset: no coverage),
SPLICE_TEST_DEADLINE (a time.time() by which the run should be over: no further test starts once what is left is less
than the run's own start-up took, about what finishing takes); SPLICE_TEST_STANDBY (a tracer name: an untraced run
forks a standby after collection, `splice.testing.standby`, and when tests failed it traces there the tests the second
run would, `runner.plan`, and writes that run into the JSON as `spectrum`, so `add_suspects` starts no second
pytest), SPLICE_TEST_STANDBY_UNTIL (the time.time() by which that pass must be over).
"""

from __future__ import annotations

import json
import linecache
import os
import re
import time
from typing import Any, Dict, List

import pytest

from splice.testing import standby as _standby_mod
from splice.testing.linetrace import make_tracer
from splice.testing.pytest_suspects import record, relative_to

_ROOT = os.path.realpath(os.environ.get("SPLICE_TEST_ROOT") or os.getcwd())
_DEADLINE = float(os.environ.get("SPLICE_TEST_DEADLINE") or 0)
_STARTED = time.time()
_first: Any = None
_tests: Dict[str, Dict[str, Any]] = {}
_collect: List[Dict[str, Any]] = []
_tracer: Any = None
_standby: Any = None
_rel = relative_to(_ROOT)


def pytest_configure(config: Any) -> None:
    global _tracer
    trace = os.environ.get("SPLICE_TEST_TRACE")
    if trace:
        _tracer = make_tracer(_ROOT, trace)


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    only_file = os.environ.get("SPLICE_TEST_ONLY")
    if not only_file:
        return
    with open(only_file, encoding="utf-8") as f:
        order = {t: n for n, t in enumerate(json.load(f))}
    keep = sorted((i for i in items if i.nodeid in order), key=lambda i: order[i.nodeid])  # the caller's order
    dropped = [i for i in items if i.nodeid not in order]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: Any) -> None:
    global _standby
    if os.environ.get("SPLICE_TEST_STANDBY") and _tracer is None and not os.environ.get("SPLICE_TEST_ONLY"):
        _standby = _standby_mod.fork(session, record, relative_to)


def _spectrum(exitstatus: int) -> Any:
    """The standby's pass when tests failed (the JSON's `spectrum`), else None; the standby ends either way."""
    global _standby
    standby, _standby = _standby, None
    if standby is None:
        return None
    try:
        if int(exitstatus) == 2:  # interrupted: no pass after the user asked to stop
            return None
        from splice.testing.runner import _report, plan

        records = list(_tests.values())
        report = _report({"tests": records}, _ROOT, "")
        if not any(f.when != "collect" for f in report.failures):
            return None
        _, asked = plan(report, records)
        until = float(os.environ.get("SPLICE_TEST_STANDBY_UNTIL") or 0) or time.time() + 300
        pending = standby.start(asked, root=_ROOT, tracer=os.environ["SPLICE_TEST_STANDBY"],
                                timeout=max(until - time.time(), 1.0), cwd=_ROOT)
        if pending is None:
            return None
        run = pending.result()
        return None if "fallback" in run else dict(run, asked=asked)
    except Exception:  # the second process instead
        return None
    finally:
        standby.close()


def pytest_unconfigure(config: Any) -> None:
    global _standby
    if _standby is not None:
        _standby.close()
        _standby = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any):  # type: ignore[no-untyped-def]
    if _tracer is not None:
        _tracer.begin(item.nodeid)
    yield
    if _tracer is not None:
        _tracer.end()
    global _first
    if _first is None:
        _first = time.time() - _STARTED  # start-up: about what finishing (coverage's data, the JSON) takes too
    if _DEADLINE and time.time() + _first > _DEADLINE and nextitem is not None:
        item.session.shouldstop = "splice: time budget"  # the JSON says what ran; the caller counts the rest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any):  # type: ignore[no-untyped-def]
    outcome = yield
    record(_tests, item, call, outcome.get_result(), _rel)


def pytest_collectreport(report: Any) -> None:
    if not report.failed:
        return
    text = str(report.longrepr)
    errors = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    rec: Dict[str, Any] = {
        "id": report.nodeid or ".",
        "outcome": "error",
        "when": "collect",
        "message": errors[-1] if errors else (text.strip().splitlines() or [""])[-1],
    }
    spots = list(re.finditer(r"^(\S+\.py):(\d+)(?::| in )", text, re.M))
    if spots:
        where = spots[-1]
        path = os.path.join(os.getcwd(), where.group(1))  # absolute paths stay as they are
        rec["frames"] = [[_rel(path), int(where.group(2))]]
        rec["text"] = linecache.getline(path, int(where.group(2))).strip()
    _collect.append(rec)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("SPLICE_TEST_OUT")
    if not out:
        return
    coverage: Dict[str, Dict[str, List[int]]] = {}
    if _tracer is not None:
        _tracer.finish()
        coverage = {t: {_rel(f): sorted(ls) for f, ls in files.items()} for t, files in _tracer.lines.items()}
    spectrum = _spectrum(exitstatus)
    data = {
        "tests": list(_tests.values()),
        "collect": _collect,
        "exitstatus": int(exitstatus),
        "tracer": getattr(_tracer, "name", ""),
        "coverage": coverage,
    }
    if spectrum:
        data["spectrum"] = spectrum
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f)
