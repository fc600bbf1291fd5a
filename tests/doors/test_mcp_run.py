"""The agent door runs code and tests: `run` (a persistent IPython kernel behind the server, with the splice extension)
and `test` (splice.test), through the official SDK's stdio client; the kernel dies with the server."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

if sys.version_info < (3, 10):
    pytest.skip("the mcp SDK 2.x needs Python 3.10+", allow_module_level=True)

from mcp_client import ENV, SRC, Conn  # noqa: E402 - after the version gate

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead; it waits for a parent that may be gone too
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone(pid: int, within: float = 15) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def pids(conn: Conn) -> tuple:
    """(kernel pid, its parent: the server) as the kernel sees them."""
    text = conn.ok("run", {"code": "import os; print(os.getpid(), os.getppid())"})
    kernel, server = map(int, text.split())
    return kernel, server


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("run")
    (base / "app.py").write_text("class Cart:\n    def total(self):\n        return 2\n")
    (base / "test_app.py").write_text(
        "from app import Cart\n\n\ndef test_total():\n    assert Cart().total() == 3\n\n\ndef test_ok():\n"
        "    assert Cart().total() > 0\n"
    )
    return base.resolve()


@pytest.fixture(scope="module")
def conn(root):
    c = Conn(root)
    yield c
    c.close()


def test_run_keeps_state_in_the_root_with_the_extension(conn, root):
    assert conn.ok("run", {"code": "x = 40"}) == "ok (no output)"
    assert conn.ok("run", {"code": "x + 2"}) == "Out: 42"
    assert conn.ok("run", {"code": "import os; print(os.getcwd())"}) == str(root)
    text = conn.ok("run", {"code": "import sys; print('out'); print('err', file=sys.stderr); 7"})
    assert text == "out\n[stderr]\nerr\nOut: 7"
    assert "'splice'" in conn.ok("run", {"code": "get_ipython().extension_manager.loaded"})
    assert conn.ok("run", {"code": "from app import Cart\nCart().total()"}) == "Out: 2"


def test_an_exception_carries_the_docs_lines(conn):
    text, err = conn.call("run", {"code": "import json\njson.dumps({1, 2})"})
    assert err
    assert text.startswith("[error]") and "TypeError: Object of type set is not JSON serializable" in text
    assert "Serialize ``obj`` to a JSON formatted ``str``" in text  # the doc block of the call that failed
    assert conn.ok("run", {"code": "x"}) == "Out: 40"  # the kernel lives on


def test_long_output_keeps_head_and_tail(conn):
    text = conn.ok("run", {"code": "for i in range(5000): print('line', i)"})
    lines = text.splitlines()
    assert lines[0] == "line 0" and lines[-1] == "line 4999"
    assert any(line.startswith("… ") and "lines" in line and "cut from the middle" in line for line in lines)
    assert len(text) <= 8200


def test_a_plot_comes_back_as_an_image(conn):
    pytest.importorskip("matplotlib")
    result = conn.raw("run", {"code": "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()"})
    assert not result.is_error, result.content[0].text
    images = [c for c in result.content if c.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    assert base64.b64decode(images[0].data).startswith(b"\x89PNG\r\n\x1a\n")
    assert "[image 1: image/png, sent as image content]" in result.content[0].text
    assert "iVBOR" not in result.content[0].text  # no base64 in the text


def test_a_timeout_interrupts_and_the_next_call_works(conn):
    conn.ok("run", {"code": "y = 1"})
    start = time.monotonic()
    text, err = conn.call("run", {"code": "import time\ny = 2\ntime.sleep(60)", "timeout": 2})
    assert err and time.monotonic() - start < 20
    assert "timeout: still running after 2 s, interrupted" in text and "KeyboardInterrupt" in text
    assert conn.ok("run", {"code": "y"}) == "Out: 2"


def test_restart_gives_a_fresh_kernel(conn):
    conn.ok("run", {"code": "z = 5"})
    old, _ = pids(conn)
    text = conn.ok("run", {"code": "'z' in dir()", "restart": True})
    assert text.startswith("restarted: a fresh kernel") and text.endswith("Out: False")
    assert gone(old)
    assert "run needs 'code'" in conn.error("run", {})


def test_the_test_tool_puts_failures_first(conn):
    text, err = conn.call("test", {"targets": ["test_app.py"], "suspects": False})
    assert not err
    assert text.startswith("1 failed, 1 passed")
    assert "test_app.py::test_total" in text and "assert 2 == 3" in text
    assert "test_ok" not in text  # passes are a count
    assert conn.error("test", {"targets": ["../elsewhere/test_x.py"]}).startswith("OutsideRoot:")


def test_pytest_from_the_run_kernel_ends_with_the_suspects(conn):
    """The kernel loads the splice extension, which switches the pytest plugin on for what it starts."""
    code = (
        "import subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_app.py'],"
        " capture_output=True, text=True)\nprint(p.stdout[-600:])"
    )
    text = conn.ok("run", {"code": code, "timeout": 120})
    lines = text.splitlines()
    at = lines.index("test_app.py::test_total — AssertionError: assert 2 == 3")
    assert lines[at + 1].startswith("  app.py::Cart.total  L3  return 2") and "1 failed, 1 passed" in lines[-1]


def test_closing_the_client_ends_the_kernel(root):
    c = Conn(root)
    kernel, server = pids(c)
    c.close()
    assert gone(kernel) and gone(server)


def test_sigterm_to_the_server_ends_the_kernel(root):
    c = Conn(root)
    try:
        kernel, server = pids(c)
        os.kill(server, signal.SIGTERM)
        assert gone(kernel) and gone(server)
    finally:
        try:
            c.close()
        except Exception:  # the server is gone: the session ends with an error
            pass


def test_a_killed_client_process_leaves_no_kernel(root, tmp_path):
    """The client process dies hard (SIGKILL): the server sees its stdin close and takes the kernel with it."""
    script = tmp_path / "client.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, anyio
            from mcp import Client
            from mcp.client.stdio import StdioServerParameters

            async def main():
                params = StdioServerParameters(command=sys.executable, args=["-m", "splice", "mcp", "--root", %r],
                                               env={"PYTHONPATH": %r})
                async with Client(params) as c:
                    r = await c.call_tool("run", {"code": "import os; print(os.getpid(), os.getppid())"})
                    print(r.content[0].text, flush=True)
                    await anyio.sleep(600)

            anyio.run(main)
            """
            % (str(root), SRC)
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=dict(os.environ, **ENV)
    )
    try:
        kernel, server = map(int, proc.stdout.readline().split())
        assert alive(kernel) and alive(server)
    finally:
        proc.kill()
        proc.wait()
    assert gone(kernel) and gone(server)


def test_a_cell_that_ignores_the_interrupt_gets_a_fresh_kernel(conn):
    old, _ = pids(conn)
    code = "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except KeyboardInterrupt:\n        pass"
    text, err = conn.call("run", {"code": code, "timeout": 1})
    assert err and "the kernel did not stop 10 s after the interrupt: restarted it" in text
    assert gone(old)
    assert conn.ok("run", {"code": "1 + 1"}) == "Out: 2"


def test_python_picks_the_kernels_interpreter(root, tmp_path):
    from helpers import make_venv

    project_py = make_venv(tmp_path / "project-venv", inherit=True)  # sees the test environment's ipykernel
    bare_py = make_venv(tmp_path / "bare-venv")
    for py, works in ((project_py, True), (bare_py, False)):
        c = Conn(root, cmd=[sys.executable, "-m", "splice", "mcp", "--root", str(root), "--python", str(py)])
        try:
            if works:
                assert c.ok("run", {"code": "import sys, splice; print(sys.executable)"}) == str(py)
            else:
                text = c.error("run", {"code": "1"})
                assert text.startswith("SpliceError: the kernel did not start with %s" % py), text
                assert "it needs ipykernel there" in text
        finally:
            c.close()
