"""The forked standby (splice.testing.standby): the coverage pass run in a child forked after collection gives the
section and report the second process gives, leaves the user's output, files and options as they were, and gives
way to the second process where a fork would not be sound — real pytest runs on small generated projects."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_pytest_plugin import LEDGER, plant, without_times
from test_suspects_rules import SHOP, env_for, plant_two, section

from helpers import write_files

pytestmark = pytest.mark.slow  # pytest runs in subprocesses

# which process ran the coverage pass: the standby (forked after collection: the conftest was imported before the
# pass's SPLICE_TEST_OUT was set) or a second pytest started for the pass (SPLICE_TEST_ONLY)
WHERE = """\
import os

import pytest

IMPORTED_WITH = os.environ.get("SPLICE_TEST_OUT")


@pytest.fixture(autouse=True)
def _where():
    now = os.environ.get("SPLICE_TEST_OUT")
    if now and os.environ.get("WHERE_LOG"):
        with open(os.environ["WHERE_LOG"], "a") as f:
            if now != IMPORTED_WITH:  # the module was imported before the pass began
                f.write("standby\\n")
            elif os.environ.get("SPLICE_TEST_ONLY"):  # a pytest started for the pass
                f.write("second process\\n")
    yield
"""


def where(log: Path) -> set:
    found = set(log.read_text().split("\n")) - {""} if log.exists() else set()
    if log.exists():
        log.unlink()
    return found


def run(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=180)


@pytest.fixture()
def shop(tmp_path):
    root = write_files(tmp_path / "proj", SHOP)
    plant_two(root)
    (root / "tests" / "conftest.py").write_text((root / "tests" / "conftest.py").read_text() + "\n\n" + WHERE)
    write_files(root, MONEY)
    return root


# a failing assert that pytest's rewriting explains with the library's own __repr__: lines only failing tests run
# there, which the second process (--assert=plain) never runs
MONEY = {
    "shop/money.py": """\
        class Money:
            def __init__(self, cents):
                self.cents = cents

            def __eq__(self, other):
                return self.cents == other.cents

            def __repr__(self):
                return "Money(%d)" % self.cents


        def add(a, b):
            return Money(a.cents + b.cents + (a.cents > 0))
        """,
    "tests/test_money.py": """\
        from shop.money import Money, add


        def test_add():
            assert add(Money(1), Money(2)) == Money(3)


        def test_add_zero():
            assert add(Money(0), Money(2)) == Money(2)
        """,
}


def test_the_standby_gives_the_section_and_report_of_the_second_process(shop, tmp_path, monkeypatch):
    log = tmp_path / "where.txt"
    standby = run(shop, env_for(shop, WHERE_LOG=str(log)), "-p", "no:cacheprovider")
    assert where(log) == {"standby"}
    second = run(shop, env_for(shop, WHERE_LOG=str(log), SPLICE_SUSPECTS_STANDBY="0"), "-p", "no:cacheprovider")
    assert where(log) == {"second process"}
    assert standby.returncode == second.returncode == 1
    assert section(standby.stdout) == section(second.stdout)
    assert section(standby.stdout)[1] == "  shop/prices.py::gross  L6  return round(amount * (1 + rate) + 0.01, 2)"
    assert "Money(%d)" not in "\n".join(section(standby.stdout))
    assert "splice" not in standby.stderr

    import splice

    monkeypatch.chdir(shop)
    monkeypatch.syspath_prepend(str(shop))
    monkeypatch.setenv("WHERE_LOG", str(log))
    first = splice.test("tests").summary()
    assert where(log) == {"standby"}  # splice test's own run forked it: no second pytest
    monkeypatch.setenv("SPLICE_SUSPECTS_STANDBY", "0")
    fallback = splice.test("tests").summary()
    assert where(log) == {"second process"}
    assert first == fallback and "shop/prices.py::label  L10" in first


CHATTY = """\
import logging

import pytest


@pytest.fixture(autouse=True)
def _chat(request):
    logging.getLogger("ledger").warning("ran %s", request.node.nodeid)
    print("printed by", request.node.nodeid)
    yield
"""


# a plugin of the user's that writes its own report as the run goes (as pytest-reportlog does), from hooks that fire
# around every test, and a warning in every test that says which process it came from
REPORTER = """\

import os
import warnings

_report = []


def pytest_configure(config):
    _report.append(open(os.path.join(str(config.rootpath), "report.txt"), "w", buffering=1))


def pytest_runtest_logstart(nodeid):
    _report[0].write("start %s\\n" % nodeid)


def pytest_warning_recorded(warning_message, nodeid):
    _report[0].write("warning %s %s\\n" % (warning_message.message, nodeid))


@pytest.fixture(autouse=True)
def _warn():
    warnings.warn("from the %s" % ("standby" if os.environ.get("SPLICE_TEST_OUT") else "run"))
    yield
"""


def _files(root: Path) -> dict:
    """What a run leaves behind: junitxml less its times, the --lf cache, the log file, the user's plugin's report."""
    junit = without_times(re.sub(r' (time|timestamp|hostname)="[^"]*"', "", (root / "junit.xml").read_text()))
    return {"junit": junit, "lastfailed": (root / ".pytest_cache" / "v" / "cache" / "lastfailed").read_text(),
            "log": (root / "log.txt").read_text(), "report": (root / "report.txt").read_text()}


@pytest.mark.parametrize("extra", [[], ["-x"], ["-s"]])
def test_the_users_output_files_and_options_are_as_without_it(tmp_path, extra):
    root = write_files(tmp_path / "proj", dict(LEDGER, **{"tests/conftest.py": CHATTY + REPORTER}))
    plant(root)
    args = ["--junitxml=junit.xml", "--log-file=log.txt", "--log-file-level=WARNING", *extra]
    plain = run(root, env_for(root, PYTEST_PLUGINS=""), *args)
    files = _files(root)
    with_it = run(root, env_for(root), *args)
    assert with_it.returncode == plain.returncode == 1
    lines = with_it.stdout.splitlines()
    at = next(i for i, t in enumerate(lines) if "splice suspects" in t)
    end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith("!!") or i == len(lines) - 1)
    assert without_times("\n".join(lines[:at] + lines[end:])) == without_times(plain.stdout.rstrip("\n"))
    assert with_it.stderr == plain.stderr
    assert _files(root) == files  # the standby wrote nothing into them, nor did it run the session's end
    assert "from the run" in files["report"] and "standby" not in files["report"]
    assert "ledger/" in "\n".join(lines[at:end])
    if extra == ["-x"]:
        assert lines[-1].startswith("1 failed")


THREAD = """\
import threading
import time

threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
"""


def test_where_a_fork_is_not_sound_the_second_process_runs_and_says_nothing(shop, tmp_path):
    """A thread alive at the fork (Python 3.12+ warns on such a fork: never in the user's output). Switched off
    (SPLICE_SUSPECTS_STANDBY=0), the first test of this file compares the two."""
    log = tmp_path / "where.txt"
    env = env_for(shop, WHERE_LOG=str(log))
    args = ["-p", "no:cacheprovider"]
    reference = run(shop, env, *args)
    assert where(log) == {"standby"}
    (shop / "conftest.py").write_text(THREAD)
    proc = run(shop, env, *args)
    assert where(log) == {"second process"}
    assert proc.returncode == 1 and "fork" not in proc.stdout + proc.stderr
    assert section(proc.stdout) == section(reference.stdout)


def test_no_standby_under_xdist(shop, tmp_path):
    """xdist's controller sees no test run (nor a section, as before) and its workers are no user's run."""
    pytest.importorskip("xdist")
    log = tmp_path / "where.txt"
    proc = run(shop, env_for(shop, WHERE_LOG=str(log)), "-p", "no:cacheprovider", "-p", "xdist.plugin", "-n", "2")
    assert proc.returncode == 1 and "standby" not in where(log)


def test_a_failing_test_the_standby_does_not_have_sends_the_pass_to_the_second_process():
    """`Standby.start` refuses tests it did not collect and a pass that must run from another folder (the child is
    told to exit and reaped), so the caller starts the second process."""
    from splice.testing.standby import Standby

    for asked, cwd in ((["tests/test_x.py::test_gone"], os.getcwd()), (["tests/test_x.py::test_a"], "/")):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # a stand-in child: exits at EOF, as the standby does
            os.close(w)
            while os.read(r, 1024):
                pass
            os._exit(0)
        os.close(r)
        standby = Standby(pid, w, {"tests/test_x.py::test_a"}, os.getcwd())
        assert standby.start(asked, root=os.getcwd(), timeout=5, cwd=cwd) is None
        assert standby.pid is None
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left


SLOW_IN_THE_STANDBY = {
    "tests/test_slow.py": """\
        import os
        import time


        def test_fails():
            assert 1 == 2


        def test_slow_only_in_the_standby():
            if os.environ.get("SPLICE_TEST_OUT"):
                time.sleep(30)
        """,
}


def test_a_killed_run_takes_its_standby_with_it_and_holds_no_pipe_open(tmp_path):
    """The pytest process killed while its standby traces: the child ends too (Linux), and it never held the
    caller's stdout or stderr (pytest's own copies of them are pointed at /dev/null in the child), so a harness
    reading the run's output is not kept waiting."""
    import signal
    import time

    root = write_files(tmp_path / "proj", SLOW_IN_THE_STANDBY)
    env = env_for(root, SPLICE_SUSPECTS_BUDGET="60")
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(4)  # the run is over in about 1 s; its standby sleeps in its second test
    assert proc.poll() is None  # the parent waits for the standby's pass
    proc.send_signal(signal.SIGKILL)
    start = time.monotonic()
    proc.communicate(timeout=20)  # EOF on both pipes: no process left holding them
    assert time.monotonic() - start < 10
