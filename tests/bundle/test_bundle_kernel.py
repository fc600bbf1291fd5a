"""The bundle inside a real IPython kernel: import, paste into a cell, magics, cheat sheet."""

from __future__ import annotations

import pytest

from helpers import Kernel, make_venv, offline_env

pytestmark = pytest.mark.slow  # a real kernel per test

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_client")


@pytest.fixture()
def kernel(tmp_path):
    py = make_venv(tmp_path / "venv", inherit=True)  # ipykernel from the environment running the tests
    env = offline_env(tmp_path / "cache")
    k = Kernel(py, env, tmp_path)
    yield k
    k.close()


def test_import_in_kernel_loads_extension_and_cheat_sheet(kernel, bundle, tmp_path):
    r = kernel.execute("import sys; sys.path.insert(0, %r)\nimport splice_bootstrap" % str(bundle.parent))
    assert r.error is None, r.traceback
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("splice_bootstrap: ready (")
    assert any(line.startswith("splice") and "edit code by name" in line for line in lines)
    assert len(lines) <= 7  # status line + the short cheat sheet (at most 6 lines)
    assert "splice.help()" in lines[-1]
    r = kernel.execute("%splice_help")
    assert r.error is None and "edit code by name" in r.stdout and "splice.batch(" in r.stdout
    # the literal failure case: a comment before a cell magic
    r = kernel.execute("# write the module\n%%writefile m.py\nVALUE = 41 + 1\n")
    assert r.error is None, r.traceback
    assert (tmp_path / "m.py").read_text() == "VALUE = 41 + 1\n"
    r = kernel.execute("import m; print(m.VALUE)")
    assert r.stdout.strip() == "42"
    # a second import is a no-op: nothing printed
    r = kernel.execute("import importlib, splice_bootstrap; importlib.reload(splice_bootstrap)")
    assert r.error is None and r.stdout == ""


def test_pasted_whole_into_a_cell(kernel, small_bundle):
    r = kernel.execute(small_bundle.read_text())
    assert r.error is None, r.traceback
    assert "splice_small: ready (" in r.stdout and "edit code by name" in r.stdout
    r = kernel.execute("import splice; print(splice.__file__)")
    assert "splice_small-" in r.stdout
