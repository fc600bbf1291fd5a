"""The package's shape: families over a core, doors over the families, no import cycle (lazy imports included)."""

from __future__ import annotations

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
        "splice.core.low (line 2) imports splice.doors.high: layer 0 core -> layer 4 doors"]


def _run(code: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=str(REPO),
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_module_paths_from_before_the_families_are_gone():
    """0.1.0 was never released: the flat paths (`splice.tools`) and `splice.checks.testrun` do not import."""
    code = ("import importlib\nfor name in ('splice.tools', 'splice.cli', 'splice.checks.testrun', "
            "'splice.checks.pytest_suspects', 'splice._moved'):\n"
            "    try:\n        importlib.import_module(name)\n    except ModuleNotFoundError:\n        print(name)\n")
    assert _run(code).split() == ["splice.tools", "splice.cli", "splice.checks.testrun",
                                  "splice.checks.pytest_suspects", "splice._moved"]


def test_importing_splice_loads_its_public_names_on_first_use():
    """A process that needs a part of splice (the pytest plugins, the test runs' subprocesses) does not load the
    whole API; every public name still imports from the package, and `dir` lists them."""
    code = ("import sys, splice; print('splice.api' in sys.modules); from splice import edit, SpliceError, test; "
            "print('splice.api' in sys.modules, edit.__module__, SpliceError.__module__, test.__module__); "
            "print(sorted(set(splice.__all__) - set(dir(splice))), splice.edit is edit)")
    assert _run(code).split() == ["False", "True", "splice.api", "splice.core.errors", "splice.testing.runner", "[]",
                                  "True"]
    assert "no attribute 'nope'" in _run("import splice\ntry:\n    splice.nope\nexcept AttributeError as e:\n"
                                         "    print(e)")


@pytest.mark.parametrize("front", ["splice", "splice.api"])
def test_importing_the_library_loads_no_door_and_no_subprocess_machinery(front):
    """Beyond what the interpreter itself loaded at start (site may load tempfile): no door, no subprocess, no
    tempfile, no extra."""
    code = ("import sys; start = set(sys.modules); import %s; import splice; "
            "[getattr(splice, name) for name in splice.__all__]; "  # every public name, each loading on first use
            "print(sorted(m for m in set(sys.modules) - start if not m.startswith('splice.') or "
            "m.startswith('splice.doors')))" % front)
    loaded = set(eval(_run(code)))
    assert not loaded & {"subprocess", "tempfile", "mcp", "jedi", "IPython", "numpy"}, loaded
    assert not [m for m in loaded if m.startswith("splice.doors")], loaded
