"""The `splice` command line: same operations, stdin or --code, exit codes, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow  # the CLI in subprocesses


def run(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(cwd / ".j"))
    return subprocess.run(
        [sys.executable, "-m", "splice", *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env
    )


def test_cli_round_trip(tmp_path):
    p = tmp_path / "app.py"
    p.write_text("class Cart:\n    def total(self):\n        return 0\n")
    r = run("show", "app.py::Cart.total", "-n", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("2      def total(self):")
    r = run("replace", "app.py::Cart.total", stdin="def total(self):\n    return 1\n", cwd=tmp_path)
    assert (
        r.returncode == 0 and r.stdout.startswith("ok replace app.py::Cart.total") and "+        return 1" in r.stdout
    )
    r = run("edit", "app.py::Cart.total", "--old", "return 1", "--new", "return 2", "--json", cwd=tmp_path)
    data = json.loads(r.stdout)
    assert data["written"] and data["old_range"] == [3, 3]
    r = run("append", "app.py::Cart", "--code", "def empty(self):\\n    return True", cwd=tmp_path)
    assert r.returncode == 0 and "def empty" in p.read_text()
    r = run("insert", "app.py::Cart", "--before", "--code", "TAX = 0.2", cwd=tmp_path)
    assert p.read_text().startswith("TAX = 0.2\n")
    r = run("imports", "app.py", "--add", "import decimal", cwd=tmp_path)
    assert "import decimal" in p.read_text()
    r = run("chunks", "app.py", cwd=tmp_path)
    assert r.stdout.split() == ["imports", "TAX", "Cart", "Cart.total", "Cart.empty"]
    r = run("undo", "app.py", "--steps", "4", cwd=tmp_path)
    assert r.returncode == 0 and p.read_text() == "class Cart:\n    def total(self):\n        return 1\n"


def test_cli_exit_codes_and_one_line_errors(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("def f():\n    return 1\n\n\nif 1:\n    def g(): pass\nelse:\n    def g(): pass\n")
    cases = {
        ("show", "m.py::h"): 3,
        ("show", "m.py::g"): 4,
        ("show", "nofile"): 2,
        ("remove", "m.py"): 2,
    }
    for args, code in cases.items():
        r = run(*args, cwd=tmp_path)
        assert r.returncode == code, (args, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.startswith("splice: ")
    r = run("replace", "m.py::f", "--code", "def f(:\\n    pass", cwd=tmp_path)
    assert r.returncode == 5 and "new code" in r.stderr
    r = run("replace", "m.py::f", "--code", "def f():\\n    # rest unchanged\\n    pass", cwd=tmp_path)
    assert r.returncode == 7
    r = run("--help", cwd=tmp_path)
    assert "exit codes" in r.stdout and "examples" in r.stdout


def test_cli_reads_several_targets_in_one_call(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    (tmp_path / "b.py").write_text("class C:\n    def g(self):\n        return 2\n")
    r = run("show", "a.py::f", "b.py::C.g", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == (
        "== a.py::f\n1  def f():\n2      return 1\n== b.py::C.g\n2      def g(self):\n3          return 2\n"
    )
    r = run("outline", "a.py", "b.py", cwd=tmp_path)
    assert r.stdout.startswith("== a.py\na.py  (2 lines)") and "\n== b.py\nb.py  (3 lines)" in r.stdout
    r = run("find", "-e", "return 1", "-e", "def g", ".", cwd=tmp_path)
    assert r.stdout == "== return 1\na.py\n  f  2: return 1\n== def g\nb.py\n  C.g  2: def g(self):\n"
    r = run("find", "-e", "return", "a.py", "b.py", cwd=tmp_path)
    assert r.returncode == 2 and "find with -e takes one PATH" in r.stderr
    r = run("show", "a.py::nope", "b.py::nah", cwd=tmp_path)
    assert r.returncode == 3 and r.stderr.startswith("splice: NotFound: no 'nope'")


def test_version_names_splice_its_python_and_where_it_is(tmp_path):
    import platform

    from splice._version import __version__

    r = run("--version", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.startswith("splice %s (Python %s, " % (__version__, platform.python_version()))
    assert r.stdout.rstrip().endswith(os.path.join("payload", "src", "splice") + ")")


def test_check_none_means_no_checks_in_every_door(tmp_path):
    import splice

    p = tmp_path / "app.py"
    p.write_text("def f():\n    return 1\n")
    r = run("edit", "app.py::f", "--old", "1", "--new", "2 + missing", "--check", "none", cwd=tmp_path)
    assert r.returncode == 0 and "checks" not in r.stdout and "missing" in p.read_text()
    r = run("edit", "app.py::f", "--old", "missing", "--new", "gone", "--check", "none", "--no-tests", cwd=tmp_path)
    assert r.returncode == 0 and "checks" not in r.stdout
    r = run("check", "app.py", "--stages", "none", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "checks app.py:\n  (no checks)\n"
    r = run("call", "edit", '{"target": "app.py::f", "old": "gone", "new": "3", "check": "none"}', cwd=tmp_path)
    assert r.returncode == 0 and "checks" not in r.stdout
    r = run("call", "edit", '{"op": "check", "target": "app.py", "check": "none"}', cwd=tmp_path)
    assert r.stdout == "checks app.py:\n  (no checks)\n"
    for n, none in enumerate(("none", "None", "off", "", False, None, [])):
        e = splice.replace(str(p) + "::f", "return undefined_name + %d" % n, check=none)
        assert e.written and e.checks is None, none
    e = splice.replace(str(p) + "::f", "return other_missing", check="names")
    assert not e.checks.ok
    r = run("edit", "app.py::f", "--old", "other_missing", "--new", "4", "--check", "nonsense", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().endswith("or default, fast, all, none")


def test_a_batch_op_without_a_target_acts_on_the_calls_target(tmp_path):
    p = tmp_path / "app.py"
    p.write_text("class Cart:\n    def total(self):\n        return 1\n\n    def count(self):\n        return 2\n\n\n"
                 "def count():\n    return 0\n")
    call = '{"target": "app.py::Cart.total", "ops": [{"op": "edit", "old": "1", "new": "10"}], "check": "none"}'
    r = run("call", "edit", call, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("ok batch app.py") and "edit Cart.total" in r.stdout
    assert "        return 10\n" in p.read_text()
    # inside a class target: a name not in the file is looked for in the class; one in the file is the file's
    call = ('{"target": "app.py::Cart", "ops": [{"op": "replace", "target": "total", "code": "return 11"}, '
            '{"op": "edit", "target": "count", "old": "0", "new": "5"}, '
            '{"op": "append", "code": "def empty(self):\\n    return not self.count()"}]}')
    r = run("call", "edit", call, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "replace Cart.total; edit count; append Cart" in r.stdout
    text = p.read_text()
    assert "return 11" in text and "def count():\n    return 5" in text
    assert "        return not self.count()\n\n\ndef count():" in text
    r = run("call", "edit", '{"target": "app.py", "ops": [{"op": "edit", "target": 3, "old": "a", "new": "b"}]}',
            cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.startswith("BadCall: edit ops[0] (edit) needs target as string")
    assert len(r.stderr.strip().splitlines()) == 1
    r = run("call", "edit", '{"target": "app.py::Cart", "ops": [{"op": "remove", "target": "nope"}]}', cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.startswith("NotFound: no 'nope'")
