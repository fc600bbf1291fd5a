"""The package's shape: families over a core, doors over the families, no import cycle (lazy imports included)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from helpers import REPO
from layers import cycles, edges, graph_of, layer_of, modules, violations

SRC = REPO / "payload" / "src"
PKG = SRC / "splice"


def test_every_module_has_a_layer():
    for name in modules(PKG):
        layer_of(name)


def test_no_import_cycle_anywhere():
    found = edges(PKG)
    assert len(found) > 100  # the walk sees the package's imports, lazy ones included
    assert cycles(graph_of(found)) == []


def test_no_module_imports_a_higher_layer_or_a_sibling_family():
    assert violations(edges(PKG), layer_of) == []


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    """The same walk over a small package with both faults, made through a lazy and a relative import."""
    pkg = tmp_path / "splice"
    for folder in ("core", "doors"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "low.py").write_text(textwrap.dedent("""\
        def helper():
            from ..doors import high
            return high
        """))
    (pkg / "doors" / "high.py").write_text("from splice.core import low\n")
    found = edges(pkg)
    assert cycles(graph_of(found)) == [["splice.core.low", "splice.doors.high"]]
    assert violations(found, layer_of) == [
        "splice.core.low (line 2) imports splice.doors.high: layer 0 core -> layer 3 doors"]


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(REPO),
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_old_module_paths_import_the_moved_module_with_a_deprecation_warning():
    code = textwrap.dedent("""\
        import importlib, json, warnings
        from splice._moved import MOVED
        out = {}
        for old, new in MOVED.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mod = importlib.import_module("splice." + old)
            out[old] = [mod is importlib.import_module("splice." + new), [str(w.message) for w in caught]]
        from splice.tools import run_call, schemas  # the path docs/agents.md gave
        import splice
        out["api"] = [callable(splice.edit), callable(splice.outline), run_call.__module__]
        print(json.dumps(out))
        """)
    out = json.loads(_run(code))
    assert out.pop("api") == [True, True, "splice.doors.tools"]
    for old, (same, messages) in out.items():
        assert same, old
        assert any(m.startswith("splice.%s moved to splice." % old) for m in messages), (old, messages)


def test_a_name_that_never_existed_is_still_not_found():
    proc = subprocess.run([sys.executable, "-c", "import splice.nothing_here"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and "ModuleNotFoundError: No module named 'splice.nothing_here'" in proc.stderr


@pytest.mark.parametrize("front", ["splice", "splice.api"])
def test_importing_the_library_loads_no_door(front):
    loaded = _run("import sys, %s; print(sorted(m for m in sys.modules if m.startswith('splice.doors')))" % front)
    assert loaded.strip() == "[]"
