"""Checks after an edit and missing imports, with the real tools (pyflakes, ruff, mypy, pytest) on a small project."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import splice
from helpers import REPO, make_venv
from splice.checks.autoimport import plan_imports
from splice.checks.stages import builtin_names
from splice.testing.runner import related_tests

pytestmark = pytest.mark.slow  # ruff, mypy and pytest in subprocesses


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / ".j"))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n[tool.ruff.lint]\nselect = ['F', 'E']\n")
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "cart.py").write_text(
        "import os\n\n\ndef total(prices: list) -> int:\n    return sum(prices)\n\n\n"
        "def tax(amount: int) -> int:\n    return amount // 10\n"
    )
    (pkg / "money.py").write_text("def cents(x: int) -> int:\n    return x * 100\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_cart.py").write_text(
        "from shop.cart import tax, total\n\n\ndef test_total():\n"
        "    assert total([1, 2]) == 3\n\n\ndef test_tax():\n    assert tax(100) == 10\n"
    )
    (tests / "test_other.py").write_text("def test_unrelated():\n    assert True\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_checks_tell_new_issues_from_old_ones(project):
    e = splice.replace("shop/cart.py::total", "unused = 1\nreturn sum(prices) + missing_name", check=True)
    text = str(e.checks)
    assert "names (pyflakes): 2 new issues" in text and "F821 undefined name 'missing_name'" in text
    assert "F841" in text and "(+1 old)" in text  # `import os` was unused before the edit too
    assert not e.checks.ok
    lines = [s.line() for s in e.checks.stages]
    assert lines[0] == "syntax: ok" and len(lines) == 3  # stopped at the first failing stage, and says so
    assert lines[2] == "not run: ruff, types, tests (stopped at the first failing stage)"


def test_all_stages_with_real_tools_and_a_failing_test(project):
    splice.drop_import("shop/cart.py", "os")
    e = splice.replace("shop/cart.py::tax", "return amount // 5", check="all")
    names = [s.name for s in e.checks.stages]
    assert names == ["syntax", "names (pyflakes)", "ruff", "mypy", "tests"]
    tests = e.checks.stages[-1]
    assert tests.status == "failed"
    assert "1 failed" in tests.summary and "tests/test_cart.py::test_tax" in tests.summary
    assert "assert 20 == 10" in tests.summary and "(1 related file by import: no coverage map yet)" in tests.summary
    e = splice.replace("shop/cart.py::tax", "return amount // 10", check="all")  # that run recorded who runs tax
    assert e.checks.ok and "1 passed (1 test that runs tax, from the last run's coverage)" in str(e.checks)
    e = splice.replace("shop/cart.py::tax", 'return "x"', check="syntax,types")
    assert 'Incompatible return value type (got "str", expected "int")' in str(e.checks)


def test_related_tests_by_import_or_name(project):
    assert [os.path.basename(p) for p in related_tests("shop/cart.py")] == ["test_cart.py"]
    assert related_tests("shop/money.py") == []  # none match: the whole suite runs
    report = splice.check("shop/money.py", ["tests"])
    assert "3 passed (whole suite: none imports the module or is named after it: no coverage map yet)" in str(report)


def test_missing_tools_are_skipped_not_passed(project, tmp_path):
    py = make_venv(tmp_path / "bare")  # no pyflakes, ruff, mypy, pytest
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(PYTHONPATH=str(REPO / "payload" / "src"), PATH=str(py.parent) + ":/usr/bin:/bin")
    code = "import splice; print(splice.check('shop/cart.py', 'all', keep_going=True))"
    proc = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=project, env=env)
    out = proc.stdout
    assert "names (built-in):" in out and "'os' imported but unused" in out
    assert "ruff: skipped (ruff not installed)" in out
    assert "types: skipped (neither mypy nor pyright installed)" in out
    assert "tests: skipped (pytest not installed)" in out


def test_builtin_names_check():
    found = builtin_names(
        "import os, sys\nfrom typing import List\n\n__all__ = ['List']\n\n"
        "def f(x):\n    global G\n    G = 1\n    return sys.argv, undefined(x), len(x)\n"
    )
    assert [(d.code, d.message) for d in found] == [
        ("F401", "'os' imported but unused"),
        ("F821", "undefined name 'undefined'"),
    ]


def test_fix_imports_merges_and_places_by_group(project):
    path = project / "shop" / "report.py"
    path.write_text(
        '"""Report."""\nfrom __future__ import annotations\n\nimport os\nfrom collections import '
        "OrderedDict\n\nimport click\n\nfrom .money import cents\n\n\ndef report(rows):\n"
        "    d = defaultdict(list)\n    p = Path(os.getcwd())\n    return OrderedDict(), d, p, total(rows), "
        "cents(1), dumps(rows), click\n"
    )
    plan = plan_imports(str(path))
    assert sorted(plan.add) == [
        "from .cart import total",
        "from collections import defaultdict",
        "from pathlib import Path",
    ]
    assert set(plan.ambiguous["dumps"]) >= {"from json import dumps", "from pickle import dumps"}
    e = splice.fix_imports(str(path))
    text = path.read_text()
    assert "from collections import OrderedDict, defaultdict\n" in text
    assert (
        "import os\nfrom collections import OrderedDict, defaultdict\nfrom pathlib import Path\n\nimport click" in text
    )
    assert "from .money import cents\nfrom .cart import total\n" in text
    assert "ambiguous: dumps" in e.summary()
    assert text.count("import") == 7


def test_cli_check_and_fix(project):
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"))

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "splice", *args], capture_output=True, text=True, env=env, cwd=project
        )

    r = run("check", "shop/money.py", "--stages", "names,tests")
    assert r.returncode == 0 and "tests: 3 passed (whole suite: " in r.stdout
    r = run("replace", "shop/cart.py::tax", "--code", "return amount // 10 + undefined_x", "--check")
    assert "names (pyflakes): 1 new issue: L9 F821 undefined name 'undefined_x'" in r.stdout
    r = run("check", "shop/money.py", "--stages", "tests")
    assert (
        r.returncode == 8 and "NameError: name 'undefined_x' is not de" in r.stdout and "at shop/cart.py:9" in r.stdout
    )
    (project / "shop" / "u.py").write_text("def f():\n    return defaultdict(int)\n")
    r = run("imports", "shop/u.py", "--fix")
    assert "from collections import defaultdict" in (project / "shop" / "u.py").read_text()


def test_related_tests_run_by_default_and_only_when_there_are_some(project):
    splice.drop_import("shop/cart.py", "os")
    e = splice.replace("shop/cart.py::tax", "return amount // 5", check=True)
    assert [s.name for s in e.checks.stages][-1] == "tests" and not e.checks.ok
    assert "1 failed" in e.checks.stages[-1].summary and "(1 related file by import" in e.checks.stages[-1].summary
    assert "the edit is written and kept" in str(e) and "amount // 5" in (project / "shop" / "cart.py").read_text()
    e = splice.replace("shop/cart.py::tax", "return amount // 10", check="fast")  # the flag that leaves them out
    assert e.checks.ok and "tests" not in [s.name for s in e.checks.stages]
    report = splice.check("shop/money.py")  # no related test: said, not run, not a failure
    assert report.ok and "tests: skipped: no related tests" in str(report)
    assert "3 passed (whole suite: " in str(splice.check("shop/money.py", "all"))


def test_related_tests_stop_at_their_time_budget_and_say_so(project, monkeypatch):
    from splice.checks import stages as checks

    (project / "tests" / "test_cart.py").write_text(
        "import time\nfrom shop.cart import tax\n\n\ndef test_tax():\n    assert tax(100) == 10\n\n\n"
        "def test_slow():\n    time.sleep(60)\n"
    )
    monkeypatch.setitem(checks.TIMEOUTS, "related", 5.0)
    stage = splice.check("shop/cart.py", keep_going=True).stages[-1]
    assert stage.status == "cut" and not stage.failed
    assert stage.summary.startswith("cut at the 5s budget after ")
    assert " passed, no failure so far (1 related file by import" in stage.summary


def test_cli_exit_codes_tell_refused_from_written_with_problems(project):
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"))

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "splice", *args], capture_output=True, text=True, env=env, cwd=project
        )

    cart = project / "shop" / "cart.py"
    r = run("edit", "shop/cart.py::tax", "--old", "// 10", "--new", "// 5", "--check")
    assert r.returncode == 8 and "tests: 1 failed" in r.stdout and "the edit is written and kept" in r.stdout
    assert "// 5" in cart.read_text()
    r = run("edit", "shop/cart.py::tax", "--old", "// 5", "--new", "// 10", "--check", "--no-tests", "--json")
    assert r.returncode == 0 and '"ok": true' in r.stdout and "tests" not in r.stdout
    before = cart.read_text()
    r = run("edit", "shop/cart.py::tax", "--old", "// 10", "--new", "// (", "--check")
    assert r.returncode == 5 and cart.read_text() == before  # refused: nothing written, no checks run
    r = run("edit", "shop/cart.py::tax", "--old", "no such text", "--new", "x", "--check")
    assert r.returncode not in (0, 8) and cart.read_text() == before
    r = run("edit", "shop/cart.py::tax", "--old", "// 10", "--new", "// 10 + nope", "--check", "--json")
    assert r.returncode == 8 and '"ok": false' in r.stdout
    assert run("check", "shop/cart.py", "--stages", "bogus").returncode == 2
