"""`splice.test`: failures first, suspects by fault localization, the tracers, the budget — real pytest runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import splice
from helpers import REPO, write_files
from splice.doors import magics
from splice.testing.linetrace import available, make_tracer
from splice.testing.suspects import localize

pytestmark = pytest.mark.slow  # pytest runs in subprocesses

SRC = str(REPO / "payload" / "src")

SHOP = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/money.py": """\
        def cents(amount):
            return round(amount * 100)


        def fmt(amount):
            sign = "-" if amount < 0 else ""
            return "%s$%d.%02d" % (sign, abs(cents(amount)) // 100, abs(cents(amount)) % 100)
        """,
    "shop/cart.py": """\
        from shop.money import cents


        class Cart:
            def __init__(self):
                self.items = []

            def add(self, name, price, qty=1):
                if qty <= 0:
                    raise ValueError("qty must be positive")
                self.items.append((name, price, qty))

            def total(self):
                return sum(price * qty for _, price, qty in self.items)

            def discount(self, pct):
                if pct > 100:
                    pct = 100
                return self.total() * (100 - pct) / 100

            def count(self):
                return sum(qty for _, _, qty in self.items)

            def total_cents(self):
                return cents(self.total())
        """,
    "tests/test_cart.py": """\
        import pytest

        from shop.cart import Cart


        def cart():
            c = Cart()
            c.add("apple", 2.0, 3)
            c.add("pear", 1.5)
            return c


        def test_total():
            assert cart().total() == 7.5


        def test_total_cents():
            assert cart().total_cents() == 750


        def test_discount():
            assert cart().discount(10) == 6.75


        def test_discount_capped():
            assert cart().discount(150) == 0


        def test_count():
            assert cart().count() == 4


        def test_empty():
            assert Cart().count() == 0


        def test_bad_qty():
            with pytest.raises(ValueError):
                Cart().add("x", 1.0, 0)
        """,
    "tests/test_money.py": """\
        from shop.money import cents, fmt


        def test_cents():
            assert cents(1.25) == 125


        def test_fmt():
            assert fmt(1.5) == "$1.50"


        def test_fmt_negative():
            assert fmt(-2.25) == "-$2.25"
        """,
}


def plant(root, rel, old, new):
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


@pytest.fixture()
def shop(tmp_path, monkeypatch):
    write_files(tmp_path, SHOP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("SPLICE_JOURNAL_DIR", str(tmp_path / ".j"))
    return tmp_path


# ---------------------------------------------------------------------------------------------------- summary


def test_all_passing(shop):
    report = splice.test("tests")
    assert report.ok and str(report) == "10 passed (tests)"


def test_failure_shows_own_line_and_values_and_counts_the_rest(shop):
    plant(shop, "shop/cart.py", "return sum(qty for _, _, qty", "return sum(1 for _, _, qty")
    text = str(splice.test("tests/test_cart.py", suspects=False))
    lines = text.splitlines()
    assert lines[0] == "1 failed, 6 passed (tests/test_cart.py)"
    assert lines[1] == "FAILED tests/test_cart.py::test_count — tests/test_cart.py:30: assert cart().count() == 4"
    assert lines[2] == "  AssertionError: assert 2 == 4"
    assert "where 2 = count()" in lines[3]
    assert "passed" not in "\n".join(lines[1:])  # passing tests only as a count


def test_exception_in_library_names_the_raising_line(shop):
    plant(shop, "shop/cart.py", 'raise ValueError("qty must be positive")', "return self.items[5]")
    plant(shop, "tests/test_cart.py", 'c.add("pear", 1.5)', 'c.add("pear", 1.5, 0)')
    report = splice.test(["tests/test_cart.py::test_total", "tests/test_cart.py::test_count"], suspects=False)
    first = str(report).splitlines()[1:3]
    assert first[0] == 'FAILED tests/test_cart.py::test_total — tests/test_cart.py:9: c.add("pear", 1.5, 0)'
    assert first[1] == "  IndexError: list index out of range  (raised at shop/cart.py:10)"
    assert report.counts == {"failed": 2}


def test_error_in_setup(shop):
    (shop / "tests" / "test_fixture.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef db():\n    raise RuntimeError('no database')\n\n\n"
        "def test_query(db):\n    assert db\n"
    )
    text = str(splice.test("tests/test_fixture.py"))
    assert text.splitlines() == [
        "1 error (tests/test_fixture.py)",
        "ERROR tests/test_fixture.py::test_query (setup) — tests/test_fixture.py:6: raise RuntimeError('no database')",
        "  RuntimeError: no database",
        "suspects: none (the failing tests ran no library line of this project)",
    ]


def test_collection_error(shop):
    (shop / "tests" / "test_broken.py").write_text("from shop.cart import Basket\n\n\ndef test_x():\n    pass\n")
    report = splice.test("tests")
    lines = str(report).splitlines()
    assert lines[0] == "1 error, 10 passed (tests)"
    assert lines[1] == "ERROR collecting tests/test_broken.py — tests/test_broken.py:1: from shop.cart import Basket"
    assert lines[2].startswith("  ImportError: cannot import name 'Basket' from 'shop.cart'")
    assert not report.ok and not report.suspects


def test_no_tests_found(shop):
    (shop / "empty").mkdir()
    (shop / "empty" / "test_nothing.py").write_text("x = 1\n")
    report = splice.test("empty")
    assert not report.ok
    assert str(report) == "no tests ran: pytest found none in empty (name a test file, folder or node id)"


def test_a_library_target_runs_its_related_tests(shop, monkeypatch):
    monkeypatch.syspath_prepend(str(shop))
    report = splice.test("shop/money.py")
    assert str(report) == "3 passed (1 file related to shop/money.py)"
    report = splice.test("shop.cart:Cart.total")
    assert str(report) == "7 passed (1 file related to shop/cart.py)"


# ---------------------------------------------------------------------------------------------------- suspects


def test_suspects_point_at_a_planted_bug(shop):
    plant(shop, "shop/cart.py", "pct = 100", "pct = 99")
    report = splice.test("tests")
    assert [g.tests for g in report.suspects] == [["tests/test_cart.py::test_discount_capped"]]
    lines = str(report).splitlines()
    assert lines[1].startswith("FAILED tests/test_cart.py::test_discount_capped — tests/test_cart.py:26:")
    at = lines.index("  suspects:")
    assert lines[at + 1] == "    shop/cart.py::Cart.discount  L18  pct = 99"
    assert len(lines) == at + 6  # the top five


def test_two_planted_bugs_each_in_its_own_group(shop):
    plant(shop, "shop/money.py", 'sign = "-" if amount < 0 else ""', 'sign = "-" if amount > 0 else ""')
    plant(shop, "shop/cart.py", "return sum(qty for _, _, qty", "return sum(1 for _, _, qty")
    for formula in ("ochiai", "dstar"):
        report = splice.test("tests", formula=formula)
        assert len(report.suspects) == 2
        tops = {g.tests[0].split("::")[1]: g.ranked[0][0] for g in report.suspects}
        assert tops == {"test_fmt": ("shop/money.py", 6), "test_count": ("shop/cart.py", 22)}
    lines = str(report).splitlines()
    # one representative per group, the group with the most suspicious line first, the other ids, the suspects
    assert [ln for ln in lines if not ln.startswith("    ")] == [
        "3 failed, 7 passed (tests)",
        'FAILED tests/test_money.py::test_fmt — tests/test_money.py:9: assert fmt(1.5) == "$1.50"',
        "  AssertionError: assert '-$1.50' == '$1.50'",
        "  +1 alike: ::test_fmt_negative",
        "  suspects:",
        "FAILED tests/test_cart.py::test_count — tests/test_cart.py:30: assert cart().count() == 4",
        "  AssertionError: assert 2 == 4",
        "   +  where 2 = count()",
        "  suspects:",
    ]
    text = "\n".join(lines)
    assert '    shop/money.py::fmt  L6-7 (2 tied)  sign = "-" if amount > 0 else ""' in text  # only failures run both
    assert "    shop/cart.py::Cart.count  L22  return sum(1 for _, _, qty in self.items)" in text


def test_a_traced_first_run_serves_the_suspects_without_a_second_run(shop, monkeypatch):
    """Test files as targets: the first run records the coverage map when tracing is cheap and its coverage is the
    spectrum (one pytest session); a folder (or the whole suite) runs untraced, and its own standby (forked after
    collection) traces the failing tests' files (still one session; two with the standby switched off), with the
    same suspects here; asking for another tracer runs the failing tests again."""
    (shop / "tests" / "conftest.py").write_text(
        "def pytest_sessionstart(session):\n    open(%r, 'a').write('session\\n')\n" % str(shop / "sessions")
    )
    plant(shop, "shop/cart.py", "pct = 100", "pct = 99")
    report = splice.test(["tests/test_cart.py", "tests/test_money.py"])
    if available("coverage") or available("monitoring"):
        assert (shop / "sessions").read_text().count("session") == 1
    assert report.suspects[0].ranked[0][0] == ("shop/cart.py", 18)
    (shop / "sessions").unlink()
    folder = splice.test("tests")
    assert (shop / "sessions").read_text().count("session") == 1
    assert folder.suspects[0].ranked[0][0] == ("shop/cart.py", 18)
    (shop / "sessions").unlink()
    monkeypatch.setenv("SPLICE_SUSPECTS_STANDBY", "0")
    assert str(splice.test("tests")) == str(folder)
    assert (shop / "sessions").read_text().count("session") == 2
    monkeypatch.delenv("SPLICE_SUSPECTS_STANDBY")
    (shop / "sessions").unlink()
    again = splice.test("tests/test_cart.py", tracer="settrace")
    assert (shop / "sessions").read_text().count("session") == 2
    assert again.suspects[0].ranked[0][0] == ("shop/cart.py", 18)


def test_ranking_groups_alike_failures_and_leaves_the_others_out():
    a, b, shared = ("m.py", 1), ("m.py", 2), ("m.py", 3)
    cov = {"fa1": {a, shared}, "fa2": {a, shared}, "fb": {b, shared}, "ok1": {shared}, "ok2": {shared, b}}
    groups = localize(cov, ["fa1", "fa2", "fb"], ["ok1", "ok2"])
    assert [g.tests for g in groups] == [["fa1", "fa2"], ["fb"]]
    assert groups[0].ranked[0] == (a, 1.0) and groups[1].ranked[0][0] == b


# ---------------------------------------------------------------------------------------------------- tracers


def test_settrace_fallback_gives_the_same_suspects(shop):
    plant(shop, "shop/money.py", "return round(amount * 100)", "return round(amount * 10)")
    report = splice.test("tests", tracer="settrace")
    assert report.suspects[0].ranked[0][0] == ("shop/money.py", 2)
    if available("coverage"):
        assert splice.test("tests").suspect_summary() == report.suspect_summary()


TRACER_SCRIPT = """
import os, sys
sys.path.insert(0, %(src)r)
sys.path.insert(0, %(root)r)
from splice.testing.linetrace import available, make_tracer
from lib import work
import test_x
print("%%d.%%d" %% sys.version_info[:2])
names = ["settrace"] + (["monitoring"] if available("monitoring") else [])
for name in names:
    t = make_tracer(%(root)r, name)
    for i in (1, -1):
        t.begin("t%%d" %% i)
        test_x.run(i)
        t.end()
    t.finish()
    got = {k: {os.path.basename(f): sorted(v) for f, v in per.items()} for k, per in t.lines.items()}
    print(name, got)
print("coverage" in sys.modules)
"""


@pytest.mark.parametrize("version", ["3.8", "3.12", "3.13"])
def test_stdlib_tracers_record_library_lines_per_test_on_bare_pythons(tmp_path, version):
    """No coverage, no pytest: the fallbacks on the oldest and the sys.monitoring Pythons, library files only."""
    (tmp_path / "lib.py").write_text("def work(x):\n    if x > 0:\n        return 1\n    return 2\n")
    (tmp_path / "test_x.py").write_text("from lib import work\n\n\ndef run(x):\n    return work(x)\n")
    env = dict(
        os.environ,
        PYENV_VERSION=next(
            v
            for v in subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
            if v.startswith(version)
        ),
    )
    proc = subprocess.run(
        ["pyenv", "exec", "python", "-c", TRACER_SCRIPT % {"src": SRC, "root": str(tmp_path)}],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    want = "{'t1': {'lib.py': [2, 3]}, 't-1': {'lib.py': [2, 4]}}"
    lines = proc.stdout.splitlines()
    assert lines[0] == version and lines[1] == "settrace " + want
    if version != "3.8":
        assert lines[2] == "monitoring " + want
    assert lines[-1] == "False"


def test_splice_never_imports_coverage_itself():
    code = ("import sys, splice, splice.testing.runner, splice.testing.suspects, splice.testing.linetrace; "
            "print('coverage' in sys.modules)")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC)
    )
    assert proc.stdout.strip() == "False"


def test_unknown_tracer_is_one_clear_line(tmp_path):
    with pytest.raises(ValueError, match="tracer 'nope' is not available here; choose from"):
        make_tracer(str(tmp_path), "nope")


# ---------------------------------------------------------------------------------------------------- budget, doors


def test_budget_counts_groups_and_names_the_call_that_shows_more(shop):
    """Eight cases of one parametrized test are one group; six other tests failing each their own way are six more;
    without suspects the groups come from the failures' look (the same test, or the same raising line)."""
    others = "".join(
        "def test_%s():\n    %s\n\n\n" % (name, stmt)
        for name, stmt in [
            ("key", "{}['k']"),
            ("index", "[][1]"),
            ("zero", "1 / 0"),
            ("type", "len(3)"),
            ("attr", "None.x"),
        ]
    )
    (shop / "tests" / "test_many.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', range(8))\ndef test_n(n):\n    assert n < 0\n\n\n"
        "def test_long():\n    assert '\\n'.join('line %d' % i for i in range(30)) == 'x'\n\n\n" + others
    )
    report = splice.test("tests/test_many.py", suspects=False)
    lines = str(report).splitlines()
    assert lines[:5] == [
        "14 failed (tests/test_many.py)",
        "FAILED tests/test_many.py::test_n[0] — tests/test_many.py:6: assert n < 0",
        "  AssertionError: assert 0 < 0",
        "  +7 alike: [1], [2], [3], [4], [5], [6], [7]",
        "FAILED tests/test_many.py::test_long — tests/test_many.py:10: "
        "assert '\\n'.join('line %d' % i for i in range(30)) == 'x'",
    ]
    assert lines[5].startswith("  AssertionError: assert 'line 0")
    assert sum(ln.startswith("FAILED") for ln in lines) == 5
    assert lines[-1] == "… 2 more failures: splice.test('tests/test_many.py', max_failures=7)"
    full = str(splice.test("tests/test_many.py", suspects=False, max_failures=7))
    assert sum(ln.startswith("FAILED") for ln in full.splitlines()) == 7 and "… " not in full.splitlines()[-1]


def test_cli_and_magic(shop):
    plant(shop, "shop/money.py", "return round(amount * 100)", "return round(amount * 10)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, str(shop)]))
    proc = subprocess.run(
        [sys.executable, "-m", "splice", "test", "tests", "--max-failures", "1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    # one group (all four run the bad line): the representative, the other ids, its suspects
    assert "  +3 alike: tests/test_money.py::test_cents, ::test_fmt, ::test_fmt_negative\n" in proc.stdout
    assert "  suspects:\n    shop/money.py::cents  L2  return round(amount * 10)\n" in proc.stdout
    text = magics._test_magic(["tests/test_money.py", "--no-suspects", "-n", "1"])
    assert text.splitlines()[-1] == "… 2 more failures: %test tests/test_money.py --max-failures 3"
    ok = subprocess.run(
        [sys.executable, "-m", "splice", "test", "tests/test_cart.py::test_total"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0 and ok.stdout == "1 passed (tests/test_cart.py::test_total)\n"


def test_check_after_an_edit_shows_failures_first_and_offers_suspects(shop):
    e = splice.edit("shop/money.py::cents", "* 100", "* 10", check="tests")
    stage = e.checks.stages[-1]
    assert stage.status == "failed"
    lines = stage.line().splitlines()
    assert lines[0] == "tests: 3 failed (1 related file by import: no coverage map yet)"
    assert lines[1].startswith("    FAILED tests/test_money.py::test_cents — tests/test_money.py:5:")
    assert lines[-2:] == [
        "    … 1 more failure: splice.test('shop/money.py', max_failures=3)",
        "    suspects: splice.test('shop/money.py')",
    ]
