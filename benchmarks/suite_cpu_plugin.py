"""A pytest plugin for benchmarks/bench_suite.py: each test's CPU (its worker's own and that of the processes it
waited for, from getrusage) and wall time, written per worker as JSON into SUITE_CPU_DIR at the end of the run.
Loaded with `-p suite_cpu_plugin` (bench_suite puts a copy alone on PYTHONPATH); it changes nothing in the run."""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any, Dict, List, Tuple

import pytest

_rows: Dict[str, List[float]] = {}


def _cpu() -> Tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any):  # type: ignore[no-untyped-def]
    before, start = _cpu(), time.perf_counter()
    yield
    after = _cpu()
    _rows[item.nodeid] = [after[0] - before[0], after[1] - before[1], time.perf_counter() - start]


def pytest_sessionfinish(session: Any) -> None:
    folder = os.environ.get("SUITE_CPU_DIR")
    if folder:
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(_rows, f)
