"""Tests run where each project runs them: the whole suite asked from a folder above one or more projects runs each
project's suite from its own root, in every door (splice.test, `splice test`, `%test`, the agent's `test` tool over
the official MCP client), with one summary as the caller's folder sees it. Real layouts, real pytest runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import splice
from helpers import REPO, write_files
from splice.doors import magics
from splice.testing.root import projects_below, suite_roots

pytestmark = pytest.mark.slow  # pytest runs in subprocesses

SRC = str(REPO / "payload" / "src")

# a project whose test runs its CLI as a developer does (`python -m pkg.cli` finds pkg only from the project's root)
PROJ = {
    "proj/pyproject.toml": "[project]\nname = 'pkg'\nversion = '0.1'\n",
    "proj/pkg/__init__.py": "",
    "proj/pkg/core.py": """\
        def double(n):
            return n * 2
        """,
    "proj/pkg/cli.py": """\
        import sys

        from pkg.core import double

        if __name__ == "__main__":
            print(double(int(sys.argv[1])))
        """,
    "proj/tests/test_cli.py": """\
        import subprocess
        import sys


        def test_cli_doubles():
            out = subprocess.run([sys.executable, "-m", "pkg.cli", "2"], capture_output=True, text=True)
            assert out.stdout.strip() == "4", out.stderr[-300:]
        """,
    "proj/tests/test_core.py": """\
        from pkg.core import double


        def test_double():
            assert double(3) == 6


        def test_double_zero():
            assert double(0) == 0
        """,
}

# a second project beside it, configured by pytest.ini, with a planted bug
OTHER = {
    "other/pytest.ini": "[pytest]\n",
    "other/lib/__init__.py": "",
    "other/lib/ops.py": """\
        def inc(n):
            return n + 2
        """,
    "other/tests/test_ops.py": """\
        from lib.ops import inc


        def test_inc():
            assert inc(1) == 2


        def test_inc_zero():
            assert inc(0) == 1
        """,
}


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    """workspace/proj: the usual layout after an upload; the caller sits in workspace. No PYTHONPATH: what imports
    pkg is where it runs."""
    ws = tmp_path / "workspace"
    write_files(ws, PROJ)
    monkeypatch.chdir(ws)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / ".j"))
    return ws


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run([sys.executable, "-m", "splice", *args], capture_output=True, text=True, cwd=cwd, env=env)


# ---------------------------------------------------------------------------------------------------- finding them


def test_projects_below_need_a_config_and_tests_and_the_outermost_wins(tmp_path):
    write_files(tmp_path, PROJ)
    write_files(tmp_path, OTHER)
    write_files(tmp_path, {"notes/pyproject.toml": "", "notes/readme.py": "x = 1\n"})  # a config, no tests: no project
    write_files(tmp_path, {"proj/vendor/dep/setup.cfg": "", "proj/vendor/dep/test_dep.py": "def test_d():\n    pass\n"})
    write_files(tmp_path, {".venv/pyvenv.cfg": "", ".venv/lib/site-packages/x/setup.cfg": "",
                     ".venv/lib/site-packages/x/test_x.py": ""})
    write_files(tmp_path, {"site/lib/site-packages/y/tox.ini": "", "site/lib/site-packages/y/test_y.py": ""})
    write_files(tmp_path, {"scripts/test_glue.py": "def test_glue():\n    pass\n"})
    projects, loose = projects_below(str(tmp_path))
    assert projects == [str(tmp_path / "other"), str(tmp_path / "proj")]  # proj/vendor/dep is inside proj
    assert loose == [str(tmp_path / "scripts" / "test_glue.py")]


def test_a_project_root_or_a_folder_inside_one_runs_as_before(workspace):
    assert suite_roots(str(workspace / "proj")) is None
    assert suite_roots(str(workspace / "proj" / "tests")) is None
    assert suite_roots(str(workspace)) == ([str(workspace / "proj")], [])
    # a server's root inside a project: the project above it is out of reach, nothing below: as before
    assert suite_roots(str(workspace / "proj" / "tests"), within=str(workspace / "proj" / "tests")) is None


# ---------------------------------------------------------------------------------------------------- every door


def test_the_whole_suite_from_above_runs_from_the_projects_root(workspace):
    report = splice.test()
    assert report.ok, str(report)
    assert str(report) == "3 passed (whole suite of proj/, run from there)"
    # plain pytest from the workspace: pkg is not importable there (the CLI test and the import fail)
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "proj"],
                           capture_output=True, text=True, cwd=workspace)
    assert plain.returncode != 0 and "No module named 'pkg'" in plain.stdout


def test_a_failure_from_above_is_shown_from_the_callers_folder(workspace):
    (workspace / "proj" / "pkg" / "core.py").write_text("def double(n):\n    return n * 2 + 1\n")
    report = splice.test()
    lines = str(report).splitlines()
    assert lines[0] == "3 failed (whole suite of proj/, run from there)"
    assert lines[1].startswith("FAILED proj/tests/test_")
    assert "    proj/pkg/core.py::double  L2  return n * 2 + 1" in lines  # a target from the caller's folder
    files = [f.id.split("::")[0] for f in report.failures]
    assert files == ["proj/tests/test_cli.py"] + ["proj/tests/test_core.py"] * 2
    assert report.root == str(workspace) and not report.ok
    assert splice.show("proj/pkg/core.py::double").startswith("def double")  # the suspect resolves from here


def test_two_projects_side_by_side_give_one_summary(workspace):
    write_files(workspace, OTHER)
    report = splice.test()
    lines = str(report).splitlines()
    assert lines[0] == "2 failed, 3 passed (whole suites of other/, proj/, each run from its root)"
    assert lines[1] == "FAILED other/tests/test_ops.py::test_inc — other/tests/test_ops.py:5: assert inc(1) == 2"
    assert "  +1 alike: ::test_inc_zero" in lines
    assert "    other/lib/ops.py::inc  L2  return n + 2" in lines
    assert report.status == "failed" and report.counts == {"passed": 3, "failed": 2}
    assert [name for name, _ in report.parts] == ["other/", "proj/"]
    # targets in both projects: each from its own root too
    report = splice.test(["proj/tests/test_cli.py", "other/tests/test_ops.py::test_inc_zero"])
    assert str(report).splitlines()[0] == (
        "1 failed, 1 passed (2 targets in proj/, other/, each run from its project's root)"
    )


def test_a_folder_above_projects_named_as_a_target_runs_each_projects_suite(workspace):
    write_files(workspace, OTHER)
    first = "2 failed, 3 passed (whole suites of other/, proj/, each run from its root)"
    assert str(splice.test(".", suspects=False)).splitlines()[0] == first
    # a project's own target and the folder above it: that project's whole suite runs once
    report = splice.test(["proj/tests/test_cli.py", "."], suspects=False)
    assert str(report).splitlines()[0] == "2 failed, 3 passed (whole suites of proj/, other/, each run from its root)"


def test_many_projects_below_are_asked_for_not_run(workspace):
    for n in range(9):
        write_files(workspace, {"p%d/setup.cfg" % n: "", "p%d/test_p.py" % n: "def test_p():\n    pass\n"})
    with pytest.raises(splice.SpliceError) as err:
        splice.test()
    assert str(err.value).startswith("10 projects below this folder (p0/, p1/, p2/, p3/, …): name the ones to test")
    assert str(splice.test(["p0", "p1"])) == "2 passed (2 targets in p0/, p1/, each run from its project's root)"


def test_a_project_pytest_cannot_run_is_its_own_line_and_the_others_count(workspace):
    write_files(workspace, OTHER)
    (workspace / "other" / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option\n")
    report = splice.test(suspects=False)
    lines = str(report).splitlines()
    assert lines[0] == "3 passed (whole suites of other/, proj/, each run from its root)"
    assert lines[1].startswith("other/: pytest exited with code 4")
    assert not report.ok and report.status == "failed"


def test_tests_in_no_project_run_from_the_callers_folder(workspace):
    write_files(workspace, {"glue/test_glue.py": "def test_glue():\n    assert 1 + 1 == 2\n"})
    report = splice.test()
    assert str(report) == "4 passed (whole suite of proj/, run from there, and 1 test file in no project)"


def test_cli_and_magic_from_above(workspace):
    r = cli("test", cwd=workspace)
    assert r.returncode == 0 and r.stdout == "3 passed (whole suite of proj/, run from there)\n", r.stdout + r.stderr
    (workspace / "proj" / "pkg" / "core.py").write_text("def double(n):\n    return n * 2 + 1\n")
    r = cli("test", "--max-failures", "1", cwd=workspace)
    assert r.returncode == 1 and r.stdout.startswith("3 failed (whole suite of proj/, run from there)\n")
    assert "proj/pkg/core.py::double  L2" in r.stdout
    text = magics._test_magic(["--no-suspects"])
    assert text.startswith("3 failed (whole suite of proj/, run from there)\nFAILED proj/tests/test_")


def test_the_agent_test_tool_served_from_above_runs_the_projects_suite(workspace):
    if sys.version_info < (3, 10):
        pytest.skip("the mcp SDK 2.x needs Python 3.10+")
    from mcp_client import Conn

    write_files(workspace, OTHER)
    conn = Conn(workspace)
    try:
        text = conn.ok("test", {})
        assert text.splitlines()[0] == "2 failed, 3 passed (whole suites of other/, proj/, each run from its root)"
        assert "other/lib/ops.py::inc  L2  return n + 2" in text
        assert "proj/tests/test_cli.py" not in text  # the phantom failure of a run from the served folder
        shown = conn.ok("show", {"targets": ["other/lib/ops.py::inc"]})  # the suspect is a target from the root
        assert "return n + 2" in shown
    finally:
        conn.close()
    r = cli("call", "test", "{}", "--root", str(workspace), cwd=workspace.parent)
    assert r.stdout.splitlines()[0] == "2 failed, 3 passed (whole suites of other/, proj/, each run from its root)"


def test_the_plugins_own_pass_runs_from_the_projects_root_and_says_what_passed_there(workspace):
    """pytest started above the project (the user's choice) fails the CLI test; the plugin's coverage pass runs from
    the project's root, where it passes, and the section says so in one line."""
    env = dict(os.environ, PYTHONPATH=SRC)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "splice.testing.pytest_suspects",
           "--splice-budget", "60"]  # the pass is not cut on a busy machine: this test is about where it runs
    r = subprocess.run(cmd + ["proj/tests/test_cli.py"], capture_output=True, text=True, cwd=workspace, env=env)
    assert r.returncode == 1  # the user's run and exit status are untouched
    section = r.stdout.split("splice suspects")[1].splitlines()
    assert ("1 of the failing tests passed when run from proj/, the project's root: it fails only from where pytest "
            "started; run there: cd proj && python -m pytest") in section
    (workspace / "proj" / "pkg" / "core.py").write_text("def double(n):\n    return n * 2 + 1\n")
    r = subprocess.run(cmd + ["tests"], capture_output=True, text=True, cwd=workspace / "proj", env=env)
    section = r.stdout.split("splice suspects")[1]
    assert "pkg/core.py::double  L2" in section and "passed when run from" not in section
