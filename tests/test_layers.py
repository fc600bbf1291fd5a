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


def _run(code: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=str(REPO),
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# Every module path of the flat package before the families, and its home now.
OLD_PATHS = {
    "errors": "core.errors", "text": "core.text", "sections": "core.sections", "reindent": "core.reindent",
    "elision": "core.elision", "budget": "core.budget", "names": "core.names", "locate": "core.locate",
    "targets": "core.targets", "files": "core.files", "search": "explore.search", "references": "explore.references",
    "docs": "explore.docs", "excdocs": "explore.excdocs", "autoimport": "checks.autoimport",
    "resolve": "checks.resolve", "testrun": "checks.testrun", "suspects": "checks.suspects",
    "linetrace": "checks.linetrace", "pytest_plugin": "checks.pytest_plugin", "live": "notebook.live",
    "cells": "notebook.cells", "cli": "doors.cli", "tools": "doors.tools", "mcp_server": "doors.mcp_server",
    "confine": "doors.confine", "kernel": "doors.kernel", "ipython": "doors.ipython", "magics": "doors.magics",
    "cheatsheet": "doors.cheatsheet",
}


def test_old_module_paths_import_the_moved_module_with_a_deprecation_warning():
    code = textwrap.dedent("""\
        import importlib, json, sys, warnings
        out = {}
        for old, new in json.loads(sys.argv[1]).items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mod = importlib.import_module("splice." + old)
            out[old] = [mod is importlib.import_module("splice." + new), [str(w.message) for w in caught]]
        from splice.tools import run_call, schemas  # the path docs/agents.md gave
        import splice
        out["api"] = [callable(splice.edit), callable(splice.outline), run_call.__module__]
        print(json.dumps(out))
        """)
    out = json.loads(_run(code, json.dumps(OLD_PATHS)))
    assert out.pop("api") == [True, True, "splice.doors.tools"]
    assert sorted(out) == sorted(OLD_PATHS)
    for old, (same, messages) in out.items():
        assert same, old
        assert "splice.%s moved to splice.%s; import it from there" % (old, OLD_PATHS[old]) in messages, messages


def test_an_old_path_runs_as_a_program():
    proc = subprocess.run([sys.executable, "-m", "splice.cli", "outline", "payload/src/splice/_version.py"],
                          capture_output=True, text=True, cwd=str(REPO), env={"PYTHONPATH": str(SRC)})
    assert proc.returncode == 0 and "__version__" in proc.stdout, proc.stderr
    assert "splice.cli moved to splice.doors.cli; run that" in proc.stderr


@pytest.mark.parametrize("old, home", [("edit", "splice.core.edit"), ("outline", "splice.explore.outline"),
                                       ("nothing_here", None)])
def test_an_old_name_without_alias_says_where_it_went(old, home):
    proc = subprocess.run([sys.executable, "-c", "import splice.%s" % old], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and last.startswith("ModuleNotFoundError: No module named 'splice.%s'" % old)
    assert (home in last) if home else last.endswith("'splice.nothing_here'")


@pytest.mark.parametrize("front", ["splice", "splice.api"])
def test_importing_the_library_loads_no_door_and_no_subprocess_machinery(front):
    """Beyond what the interpreter itself loaded at start (site may load tempfile): no door, no subprocess, no
    tempfile, no extra."""
    code = ("import sys; start = set(sys.modules); import %s; "
            "print(sorted(m for m in set(sys.modules) - start if not m.startswith('splice.') or "
            "m.startswith('splice.doors')))" % front)
    loaded = set(eval(_run(code)))
    assert not loaded & {"subprocess", "tempfile", "mcp", "jedi", "IPython", "numpy"}, loaded
    assert not [m for m in loaded if m.startswith("splice.doors")], loaded
