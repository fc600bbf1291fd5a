"""One pass per checked edit: the project worked out once, the checks entered once after the write, each tool run at
most once per text, old diagnostics still told from new ones, and a call path that only goes down (tests/flowtrace.py
follows the call with sys.setprofile; the tools are the real ruff, mypy and pytest)."""

from __future__ import annotations

import shutil

import pytest
from flowtrace import describe, trace

import splice
from splice.checks.stages import type_check
from splice.core import files

pytestmark = pytest.mark.slow  # ruff, mypy and pytest in subprocesses


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("SPLICE_JOURNAL_DIR", raising=False)  # the journal finds the root too: it must reuse it
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n[tool.ruff.lint]\nselect = ['F', 'E']\n")
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "cart.py").write_text(
        "import os\n\n\ndef total(prices: list) -> int:\n    return sum(prices)\n\n\n"
        "def tax(amount: int) -> int:\n    return amount // 10\n\n\n"
        "def label(amount: int) -> str:\n    return amount\n"  # an old type error
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_cart.py").write_text(
        "from shop.cart import tax\n\n\ndef test_tax():\n    assert tax(100) == 10\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_checked_edit_resolves_once_writes_then_checks_once_going_only_down(project):
    flow = trace(lambda: splice.edit("shop/cart.py::tax", "// 10", "// 10 + 0", check=True))
    e = flow.result
    assert e.written and e.checks is not None and e.checks.ok, (str(e), describe(flow))
    assert flow.root_calls == 1, describe(flow)  # checks, related tests and journal share the context's root
    assert flow.calls("splice.api", "splice.checks") == ["normalize_stages", "run_checks"]  # validate, then one pass
    assert flow.callbacks == [], describe(flow)  # nothing below the api calls up into it (or a family into api)
    assert not [m for m in flow.modules if m.startswith("splice.doors")]
    tools = flow.tools
    assert tools["pytest"] == 1 and tools["ruff"] == 2 and tools["mypy"] == 2, describe(flow)
    text = str(e.checks)  # ruff, pyflakes and mypy each found an old issue: looked at the old text once, told apart
    assert "names (pyflakes): ok (1 old issue unchanged)" in text and "ruff: ok (1 old issue unchanged)" in text
    assert "mypy: ok (1 old issue unchanged)" in text
    assert "tests: 1 passed (1 related file by import: no coverage map yet)" in text


def test_a_clean_result_never_looks_at_the_old_text(project):
    (project / "shop" / "cart.py").write_text("def tax(amount: int) -> int:\n    return amount // 10\n")
    flow = trace(lambda: splice.edit("shop/cart.py::tax", "// 10", "// 10 + 0", check="fast"))
    assert flow.result.checks.ok and flow.tools == {"ruff": 1, "mypy": 1}, describe(flow)


def test_new_issues_are_told_from_old_ones_by_each_tool_on_the_old_text(project):
    flow = trace(lambda: splice.edit("shop/cart.py::tax", "return amount // 10",
                                     "unused = 1\n    return str(amount) + missing", check="fast", ))
    checks = flow.result.checks
    assert flow.result.written and not checks.ok
    names = checks.stages[1]
    assert names.name == "names (pyflakes)" and names.old == 1
    assert sorted(d.code for d in names.new) == ["F821", "F841"]
    flow = trace(lambda: splice.edit("shop/cart.py::tax", "unused = 1\n    return str(amount) + missing",
                                     "return str(amount)", check=["types"]))
    mypy = flow.result.checks.stages[-1]
    assert mypy.name == "mypy" and mypy.old == 1 and [d.code for d in mypy.new] == ["return-value"], str(mypy.line())
    assert flow.tools == {"mypy": 2}  # the file as written, then the text before through --shadow-file
    assert "return str(amount)" in (project / "shop" / "cart.py").read_text()


def test_no_checking_work_without_check_and_none_for_a_refused_edit(project):
    flow = trace(lambda: splice.edit("shop/cart.py::tax", "// 10", "// 10 + 0"))
    assert flow.result.written and flow.result.checks is None
    assert flow.commands == [] and not [m for m in flow.modules if m.startswith("splice.checks")]
    before = (project / "shop" / "cart.py").read_text()
    with pytest.raises(splice.WouldBreakSyntax):
        trace(lambda: splice.edit("shop/cart.py::tax", "// 10", "// (", check=True))
    with pytest.raises(splice.BadTarget):  # a stage name that does not exist: refused before anything is written
        splice.edit("shop/cart.py::tax", "+ 0", "+ 1", check="names,bogus")
    assert (project / "shop" / "cart.py").read_text() == before


def test_splice_check_on_a_file_goes_through_the_same_single_call(project):
    flow = trace(lambda: splice.check("shop/cart.py", "fast", keep_going=True))
    assert flow.calls("splice.api", "splice.checks") == ["run_checks"] and flow.root_calls == 1
    assert flow.tools == {"ruff": 1, "mypy": 1}  # no text before: nothing to compare, every issue counts
    assert "mypy: 1 new issue" in str(flow.result)


@pytest.mark.parametrize("tool", ["mypy", "pyright"])
def test_the_type_checker_reads_another_text_in_the_files_place(project, tool):
    if shutil.which(tool) is None:
        pytest.skip("%s not installed" % tool)
    path = str(project / "shop" / "cart.py")
    root = files.project_root(path)
    now = type_check(path, root, tools=(tool,))
    other = type_check(path, root, b"def label(amount: int) -> str:\n    return str(amount)\n", tools=(tool,))
    assert now is not None and other is not None
    assert [d.line for d in now[1]] == [13] and other[1] == []
    assert sorted(p.name for p in (project / "shop").iterdir()) == ["__init__.py", "cart.py"]  # no copy left
