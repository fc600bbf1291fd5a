"""The agent door over a workspace holding a project (issue 24): an edit through the `edit` tool reaches the `run`
kernel of the same server, and the `test` tool runs pytest from the project's own root, where a test that runs
`python -m pkg.cli` passes, with ids the workspace can use."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

if sys.version_info < (3, 10):
    pytest.skip("the mcp SDK 2.x needs Python 3.10+", allow_module_level=True)

from mcp_client import Conn  # noqa: E402 - after the version gate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("workspace")
    proj = base / "proj"
    (proj / "pkg").mkdir(parents=True)
    (proj / "tests").mkdir()
    (proj / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (proj / "pkg" / "__init__.py").write_text("")
    (proj / "pkg" / "mod.py").write_text("class Cart:\n    def total(self):\n        return 2\n\n\n"
                                          "def double(x):\n    return x * 2\n")
    (proj / "pkg" / "cli.py").write_text("print('hello from cli')\n")
    (proj / "tests" / "test_cli.py").write_text(textwrap.dedent("""\
        import subprocess
        import sys


        def test_cli_runs_as_a_module():
            out = subprocess.run([sys.executable, "-m", "pkg.cli"], capture_output=True, text=True)
            assert out.stdout == "hello from cli\\n", out.stderr


        def test_fails():
            assert 1 == 2
        """))
    return base.resolve()


@pytest.fixture(scope="module")
def conn(workspace):
    c = Conn(workspace)
    yield c
    c.close()


def test_an_edit_reaches_the_run_kernel(conn):
    conn.ok("run", {"code": "import sys; sys.path.insert(0, 'proj')\nfrom pkg.mod import Cart, double\nc = Cart()"})
    text = conn.ok("edit", {"target": "proj/pkg/mod.py::Cart.total", "old": "return 2", "new": "return 5"})
    assert "live: pkg.mod: patched Cart.total (run kernel)" in text.splitlines()[0], text
    assert conn.ok("run", {"code": "c.total(), Cart().total()"}) == "Out: (5, 5)"
    text = conn.ok("edit", {"target": "proj/pkg/mod.py::double", "old": "x * 2", "new": "x * 3"})
    assert conn.ok("run", {"code": "double(2)"}) == "Out: 6"
    assert "live: pkg.mod: patched double (run kernel)" in conn.ok("edit", {"op": "undo", "target": "proj/pkg/mod.py"})
    assert conn.ok("run", {"code": "double(2)"}) == "Out: 4"


def test_the_test_tool_runs_from_the_project_root(conn):
    text, err = conn.call("test", {"targets": ["proj/tests/test_cli.py"]})
    assert err or "1 failed" in text
    lines = text.splitlines()
    assert lines[0] == "1 failed, 1 passed (proj/tests/test_cli.py)", text  # the module run from proj/ passed
    assert lines[1].startswith("FAILED proj/tests/test_cli.py::test_fails — proj/tests/test_cli.py:11:"), text
    again = conn.ok("test", {"targets": ["proj/tests/test_cli.py::test_cli_runs_as_a_module"]})
    assert again == "1 passed (proj/tests/test_cli.py::test_cli_runs_as_a_module)", again
