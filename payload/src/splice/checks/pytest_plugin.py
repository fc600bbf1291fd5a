"""The pytest plugin `splice.test` loads into its pytest subprocess (`-p splice.checks.pytest_plugin`); never imported
by splice itself. It writes one JSON file: each test's outcome, for failures the exception, the test's own failing
line and the traceback's frames; collection errors; and, when asked, per-test line coverage of library files.

Environment: SPLICE_TEST_OUT (the JSON path), SPLICE_TEST_ROOT (the project), SPLICE_TEST_ONLY (a JSON file of node
ids to keep), SPLICE_TEST_TRACE (a tracer name, or "auto"; unset: no coverage).
"""

from __future__ import annotations

import json
import linecache
import os
import re
from typing import Any, Dict, List

import pytest

from splice.checks.linetrace import make_tracer

_ROOT = os.path.realpath(os.environ.get("SPLICE_TEST_ROOT") or os.getcwd())
_MESSAGE_CHARS = 2000
_tests: Dict[str, Dict[str, Any]] = {}
_collect: List[Dict[str, Any]] = []
_tracer: Any = None


def _rel(path: str) -> str:
    real = os.path.realpath(path)
    rel = os.path.relpath(real, _ROOT)
    return real if rel.startswith("..") else rel.replace(os.sep, "/")


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
        only = set(json.load(f))
    keep = [i for i in items if i.nodeid in only]
    dropped = [i for i in items if i.nodeid not in only]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any):  # type: ignore[no-untyped-def]
    if _tracer is not None:
        _tracer.begin(item.nodeid)
    yield
    if _tracer is not None:
        _tracer.end()


def _path(item: Any) -> str:
    return str(getattr(item, "path", None) or item.fspath)  # pytest 7+ has .path; older only .fspath


def _frames(tb: Any) -> List[List[Any]]:
    out = []
    while tb is not None:
        out.append([tb.tb_frame.f_code.co_filename, tb.tb_lineno])
        tb = tb.tb_next
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any):  # type: ignore[no-untyped-def]
    outcome = yield
    rep = outcome.get_result()
    rec = _tests.setdefault(rep.nodeid, {"id": rep.nodeid, "outcome": "passed", "file": _rel(_path(item))})
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
    frames = _frames(excinfo.tb)
    test_file = os.path.realpath(_path(item))
    own = [f for f in frames if os.path.realpath(f[0]) == test_file]
    rec["exc"] = excinfo.typename
    rec["message"] = str(excinfo.value)[:_MESSAGE_CHARS]
    rec["frames"] = [[_rel(f), n] for f, n in frames]
    if own:
        rec["line"] = own[-1][1]
        rec["text"] = linecache.getline(own[-1][0], own[-1][1]).strip()


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
    data = {
        "tests": list(_tests.values()),
        "collect": _collect,
        "exitstatus": int(exitstatus),
        "tracer": getattr(_tracer, "name", ""),
        "coverage": coverage,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f)
