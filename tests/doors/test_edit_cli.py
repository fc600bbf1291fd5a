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
