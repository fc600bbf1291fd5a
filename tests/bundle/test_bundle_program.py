"""The bundle as a program: `python BUNDLE.py -m MODULE` / `-c CONSOLE_SCRIPT` with the program's own stdin, stdout
and exit status; and a bundle built with `--extra mcp` serving MCP from a fresh venv with no network."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from helpers import NO_NET, UNSHARE, made_once, make_venv, offline_env, run_offline, splice_bundle

pytestmark = pytest.mark.slow

ECHO = """\
import sys


def main():
    data = sys.stdin.buffer.read()
    sys.stdout.buffer.write(b"argv=" + repr(sys.argv[1:]).encode() + b"\\n" + data[::-1])
    sys.stdout.flush()
    return int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0


if __name__ == "__main__":
    sys.exit(main())
"""


@pytest.fixture(scope="session")
def echo_bundle(tmp_path_factory) -> Path:
    def build(base: Path) -> None:
        project = base / "proj"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires=["setuptools>=61"]\nbuild-backend="setuptools.build_meta"\n'
            '[project]\nname="echoer"\nversion="1.0"\n[project.scripts]\necho-back="echoer:main"\n'
            '[tool.setuptools]\npy-modules=["echoer"]\n'
        )
        (project / "echoer.py").write_text(ECHO)
        proc = splice_bundle("build", "--add", str(project), "-o", str(base / "echo_bundle.py"))
        assert proc.returncode == 0, proc.stdout + proc.stderr

    return made_once(tmp_path_factory, "echo", build) / "echo_bundle.py"


def _raw(cmd, env, data: bytes):
    import subprocess

    full = ([UNSHARE, "-n"] if NO_NET else []) + [str(c) for c in cmd]
    return subprocess.run(full, env=env, input=data, capture_output=True, timeout=120)


@pytest.mark.parametrize("kind,name", [("-m", "echoer"), ("-c", "echo-back")])
def test_module_and_console_script_own_stdin_stdout_and_status(tmp_path, echo_bundle, kind, name):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    data = bytes(range(256)) * 3 + b"\r\nend"
    for cold in (True, False):  # the first run extracts: its note goes to stderr, never stdout
        proc = _raw([py, echo_bundle, kind, name, "3", "--x", "-m"], env, data)
        assert proc.returncode == 3, proc.stderr
        assert proc.stdout == b"argv=['3', '--x', '-m']\n" + data[::-1]
        assert (b"extracted" in proc.stderr) is cold
    assert _raw([py, echo_bundle, kind, name], env, b"").returncode == 0


def test_unknown_program_is_one_line_on_stderr(tmp_path, echo_bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    proc = run_offline([py, echo_bundle, "-m", "no_such_module"], env)
    assert proc.returncode == 1 and proc.stdout == "" and "no module named no_such_module" in proc.stderr
    proc = run_offline([py, echo_bundle, "-c", "no-such-script"], env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "no console script 'no-such-script'; there are:" in proc.stderr and "echo-back" in proc.stderr
    assert "splice" in proc.stderr.split("there are:")[1]  # the payload's own script


@pytest.fixture(scope="session")
def server_bundle(tmp_path_factory) -> Path:
    """Built with the mcp extra's wheels, then moved away from where it was built."""

    def build(folder: Path) -> None:
        built = folder / "build" / "splice_bootstrap.py"
        proc = splice_bundle("build", "--extra", "mcp", "-o", str(built))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for name in ("mcp", "jupyter-client", "ipykernel", "splice"):
            assert "\n  %s " % name in proc.stdout, proc.stdout
        (folder / "elsewhere").mkdir()
        shutil.copy(built, folder / "elsewhere" / "splice_bootstrap.py")
        shutil.rmtree(built.parent)

    return made_once(tmp_path_factory, "server", build) / "elsewhere" / "splice_bootstrap.py"


@pytest.mark.skipif(sys.version_info < (3, 10), reason="the mcp SDK 2.x needs Python 3.10+")
def test_the_bundle_is_an_offline_mcp_server_with_run(tmp_path, server_bundle):
    from mcp_client import Conn

    root = tmp_path / "work"
    root.mkdir()
    (root / "app.py").write_text("def total(items):\n    return sum(items)\n")
    py = make_venv(tmp_path / "venv")  # nothing installed: everything comes from the bundle
    # SPLICE_NO_COMPILE: the cold start's detached byte-compile of the 57 packages (4.4 s of CPU, in a process the
    # test never waits for) is not what this test is about, and competes with the server it starts
    env = offline_env(tmp_path / "cache", SPLICE_NO_COMPILE="1")
    cmd = ([UNSHARE, "-n"] if NO_NET else []) + [
        str(py),
        str(server_bundle),
        "-c",
        "splice",
        "mcp",
        "--root",
        str(root),
    ]
    c = Conn(root, cmd=cmd, env=env)
    try:
        names = [t.name for t in c.run(c.client.list_tools()).tools]
        assert {"outline", "edit", "run", "test"} <= set(names)
        reply = c.ok("edit", {"target": "app.py::total", "old": "sum(items)", "new": "sum(items) * 2"})
        assert reply.startswith("ok edit") and "+    return sum(items) * 2" in reply
        assert c.ok("run", {"code": "from app import total\ntotal([1, 2])"}) == "Out: 6"
        where = c.ok("run", {"code": "import sys, splice, ipykernel\nprint(sys.executable)\nprint(splice.__file__)"})
        exe, splice_file = where.splitlines()
        assert exe == str(py) and splice_file.startswith(str(tmp_path / "cache"))
        assert "'splice'" in c.ok("run", {"code": "get_ipython().extension_manager.loaded"})
    finally:
        c.close()


def test_extra_requirements_are_judged_on_the_target():
    from bundler.build import extra_requirements
    from bundler.targets import make_target
    from bundler.wheels import BuildError
    from helpers import REPO

    payload = REPO / "payload"
    chatgpt = extra_requirements(payload, ["mcp"], make_target("chatgpt", None, (), None, ()))
    assert chatgpt == ["mcp<3,>=2", "jupyter_client>=7", "ipykernel>=6"]  # the marker held on cp311: dropped
    old = extra_requirements(payload, ["mcp"], make_target(None, "3.8", ("manylinux2014_x86_64",), "cp", ()))
    assert old == ["jupyter_client>=7", "ipykernel>=6"]  # the SDK needs 3.10+: not packed for 3.8
    with pytest.raises(BuildError, match="splice has no extra 'nope'; it has: check, decode, explore, mcp"):
        extra_requirements(payload, ["nope"], make_target("chatgpt", None, (), None, ()))
    with pytest.raises(BuildError, match="--no-payload"):
        extra_requirements(None, ["mcp"], make_target("chatgpt", None, (), None, ()))
