"""Edits through the Python API reach the running code (issue 24): in a real kernel that imported a package from a
folder, `splice.edit` on a method changes what a `from … import` name and an instance made before run; what cannot
be patched in place (a constant's copies, a changed base) is said in one line with the call that reloads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import REPO, Kernel

pytestmark = pytest.mark.slow  # a real kernel per test

pytest.importorskip("ipykernel")

MOD = '''\
LIMIT = 3


class Base:
    pass


class Other:
    pass


class Shape(Base):
    def area(self):
        return 1


def double(x):
    return x * 2
'''


@pytest.fixture()
def kernel(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(MOD)
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(tmp_path / "journal"))
    k = Kernel(Path(sys.executable), env, tmp_path)
    r = k.execute(
        "import sys; sys.path.insert(0, '.')\nimport splice\nfrom pkg.mod import Shape, double, LIMIT\ns = Shape()\n"
        "print(splice.__file__)"
    )
    assert r.error is None, r.traceback
    assert r.stdout.startswith(str(REPO)), r.stdout  # this worktree's splice
    yield k
    k.close()


def test_api_edits_patch_the_imported_module(kernel):
    r = kernel.execute("print(splice.edit('pkg/mod.py::Shape.area', 'return 1', 'return 7'))")
    assert r.error is None, r.traceback
    assert "live: pkg.mod: patched Shape.area" in r.stdout.splitlines()[0]
    r = kernel.execute("print(s.area(), Shape().area())")
    assert r.stdout.split() == ["7", "7"]  # the instance made before, and the class bound by `from … import`
    r = kernel.execute("e = splice.batch('pkg/mod.py', [('edit', 'double', 'x * 2', 'x * 3')]); print(double(2))")
    assert r.stdout.strip() == "6", r.stdout + r.traceback
    r = kernel.execute("print(splice.undo('pkg/mod.py')[0]); print(double(2))")
    assert "undid batch of pkg/mod.py; live: pkg.mod: patched double" in r.stdout and r.stdout.split()[-1] == "4"


def test_what_cannot_be_patched_is_said_with_the_reload_call(kernel):
    r = kernel.execute("print(splice.edit('pkg/mod.py', 'LIMIT = 3', 'LIMIT = 5'))")
    first = r.stdout.splitlines()[0]
    assert "LIMIT rebound in the module only" in first and "importlib.reload(sys.modules['pkg.mod'])" in first
    assert kernel.execute("import pkg.mod; print(pkg.mod.LIMIT, LIMIT)").stdout.split() == ["5", "3"]
    r = kernel.execute("print(splice.edit('pkg/mod.py::Shape', 'class Shape(Base):', 'class Shape(Other):'))")
    first = r.stdout.splitlines()[0]
    assert "not patched (Shape: its bases changed): the program still runs the old code" in first, first
    assert "importlib.reload(sys.modules['pkg.mod']) brings it in line" in first, first
    r = kernel.execute("print(pkg.mod.Shape.__bases__[0].__name__, Shape.__bases__[0].__name__)")
    assert r.stdout.split() == ["Base", "Base"]  # nothing of the edit reached the program


def test_no_line_when_nothing_imported_the_file(tmp_path):
    sys.path.insert(0, str(REPO / "payload" / "src"))
    import splice

    f = tmp_path / "alone.py"
    f.write_text("def f():\n    return 1\n")
    edit = splice.edit(str(f) + "::f", "return 1", "return 2")
    assert edit.written and not any(n.startswith("live:") for n in edit.notes)
