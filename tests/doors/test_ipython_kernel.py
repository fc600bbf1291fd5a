"""The IPython extension in a real kernel, cell by cell as a model works (issue: IPython integration)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import REPO, Kernel

pytestmark = pytest.mark.slow  # a real kernel per test

pytest.importorskip("ipykernel")

SHOP = '''\
from dataclasses import dataclass


def helper():
    return 1


class Cart:
    def __init__(self):
        self.items = [3, 4]

    def total(self):
        return sum(self.items)


@dataclass
class Item:
    price: int
'''


@pytest.fixture()
def kernel(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(tmp_path / "journal"))
    (tmp_path / "shop.py").write_text(SHOP)
    k = Kernel(Path(sys.executable), env, tmp_path)
    r = k.execute("%load_ext splice\nimport sys; sys.path.insert(0, '.')")
    assert r.error is None, r.traceback
    yield k, tmp_path
    k.close()


def test_comment_before_cell_magic(kernel):
    k, work = kernel
    r = k.execute("# write the module\n%%writefile m.py\nX = 1\n")
    assert r.error is None and (work / "m.py").read_text() == "X = 1\n"


def test_edit_magics_with_verdict_and_diff(kernel):
    k, work = kernel
    r = k.execute("%%splice shop.py::Cart.total\nreturn sum(self.items) * 2\n")
    assert r.stdout.startswith("ok replace shop.py::Cart.total: L13-13 → L13-13")
    assert "+        return sum(self.items) * 2" in r.stdout
    r = k.execute("%%splice --append shop.py::Cart\ndef count(self):\n    return len(self.items)\n")
    assert "ok append" in r.stdout and "def count(self):" in (work / "shop.py").read_text()
    r = k.execute("%%splice --insert-after shop.py::helper\ndef helper2():\n    return 2\n")
    assert "ok insert_after" in r.stdout
    r = k.execute("%splice --remove shop.py::helper2")
    assert "ok remove" in r.stdout and "helper2" not in (work / "shop.py").read_text()
    r = k.execute("%%splice shop.py::Cart.nope\nreturn 1\n")
    assert r.error is None and r.stdout.startswith("splice: NotFound: no 'Cart.nope'")
    r = k.execute("%splice_undo shop.py --steps 4")
    assert r.stdout.count("undid") == 4 and (work / "shop.py").read_text() == SHOP


def test_the_checks_switch_reports_the_checks_of_an_edit_written_and_kept(kernel):
    k, work = kernel
    assert k.execute("%splice_config checks=syntax,names").error is None
    r = k.execute("%%splice shop.py::Cart.total\nreturn sum(self.items) + missing\n")
    assert "checks:\n  syntax: ok\n  names (pyflakes): 1 new issue: L13 F821 undefined name 'missing'" in r.stdout
    assert "the edit is written and kept" in r.stdout and "missing" in (work / "shop.py").read_text()
    r = k.execute("%splice_config checks=bogus")
    r = k.execute("%%splice shop.py::Cart.total\nreturn 0\n")
    assert r.stdout.startswith("splice: BadTarget: unknown check stage bogus") and "return 0" not in (
        work / "shop.py").read_text()
    k.execute("%splice_config checks=off")
    r = k.execute("%%splice shop.py::Cart.total\nreturn sum(self.items)\n")
    assert "ok replace" in r.stdout and "checks:" not in r.stdout
    r = k.execute("%%splice --check names shop.py::Cart.total\nreturn sum(self.items) + missing_too\n")
    assert "names (pyflakes): 1 new issue" in r.stdout  # one edit's checks, whatever the switch says
    k.execute("%splice_config checks=syntax,names")
    r = k.execute("%%splice --check none shop.py::Cart.total\nreturn sum(self.items) + still_missing\n")
    assert "ok replace" in r.stdout and "checks:" not in r.stdout


def test_live_patch_of_imported_module_keeps_identities(kernel):
    k, _ = kernel
    k.execute("import shop\ncart = shop.Cart()\nf = shop.helper\nCartClass = shop.Cart")
    r = k.execute("%%splice shop.py::Cart.total\nreturn sum(self.items) * 10\n")
    assert "live: shop: patched Cart.total" in r.stdout
    r = k.execute("print(cart.total(), shop.Cart is CartClass)")
    assert r.stdout.strip() == "70 True"  # an instance made before the edit sees the new method
    r = k.execute("%%splice shop.py::helper\ndef helper():\n    return 41 + 1\n")
    assert "patched helper" in r.stdout
    assert k.execute("print(f(), f is shop.helper)").stdout.strip() == "42 True"
    r = k.execute("%%splice --insert-after shop.py::helper\nLIMIT = 5\n")
    assert "added LIMIT" in r.stdout and k.execute("print(shop.LIMIT)").stdout.strip() == "5"
    r = k.execute("%splice --remove shop.py::LIMIT")
    assert "removed LIMIT" in r.stdout and k.execute("print(hasattr(shop, 'LIMIT'))").stdout.strip() == "False"


def test_unsafe_change_changes_nothing_and_says_why(kernel):
    k, _ = kernel
    k.execute("import shop")
    r = k.execute("%%splice shop.py::Item\n@dataclass\nclass Item:\n    price: int\n    qty: int = 1\n")
    assert "live: shop: not patched (Item: its dataclass fields changed (qty))" in r.stdout, r.stdout
    assert "importlib.reload(sys.modules['shop']) brings it in line" in r.stdout
    assert k.execute("print(hasattr(shop.Item(3), 'qty'))").stdout.strip() == "False"
    k.execute("import importlib, sys; importlib.reload(sys.modules['shop'])")
    assert k.execute("print(shop.Item(3).qty)").stdout.strip() == "1"


def test_patch_class_and_function_defined_in_the_notebook(kernel):
    k, _ = kernel
    k.execute("class Base:\n    def greet(self):\n        return 'base'\n\n"
              "class Child(Base):\n    def greet(self):\n        return 'child'\n\nobj = Child()\nChildClass = Child")
    r = k.execute("%%splice Child.greet\ndef greet(self):\n    return 'new ' + super().greet()\n")
    assert "live: notebook: patched Child.greet" in r.stdout
    assert k.execute("print(obj.greet(), Child is ChildClass)").stdout.strip() == "new base True"
    r = k.execute("%show Child.greet")
    assert "return 'new ' + super().greet()" in r.stdout
    k.execute("def square(x):\n    return x * x\nalias = square")
    k.execute("%%splice square\ndef square(x):\n    return x ** 2 + 1\n")
    assert k.execute("print(alias(3), alias is square)").stdout.strip() == "10 True"
    r = k.execute("%%splice --append Child\ndef wave(self):\n    return 'hi'\n")
    assert "added Child.wave" in r.stdout and k.execute("print(obj.wave())").stdout.strip() == "hi"


def test_exception_block_after_tracebacks(kernel):
    k, _ = kernel
    r = k.execute("d = {'a': 1}\nd.itms()")
    assert r.error and r.error["ename"] == "AttributeError"
    assert "AttributeError" in r.traceback and "[splice] docs for the failing line: d.itms()" in r.traceback
    assert "dict has no 'itms'; close: items" in r.traceback
    r = k.execute("import json\njson.dumps({}, indnt=2)")
    assert "dumps(obj, *, skipkeys=False" in r.traceback and "TypeError" in r.traceback
    r = k.execute("def total(items, tax=0):\n    return sum(items)\ntotal([1], taxes=1)")
    assert "expected: total(items, tax=0)" in r.traceback and "did you mean tax" in r.traceback
    r = k.execute("lenn([1, 2])")
    assert "close names in scope: len" in r.traceback
    r = k.execute("dumps({'a': 1})")  # json and pickle both have dumps: not auto-imported, listed
    assert "from json import dumps" in r.traceback and "from pickle import dumps" in r.traceback
    k.execute("%splice_config exc_docs=off")
    r = k.execute("d.itms()")
    assert r.error and "[splice]" not in r.traceback


def test_auto_imports_unambiguous_names(kernel):
    k, _ = kernel
    r = k.execute("counts = defaultdict(int)\ncounts['a'] += 1\nprint(dict(counts), Path('x').name)")
    assert r.error is None, r.traceback
    assert "splice: auto-imported: from collections import defaultdict; from pathlib import Path" in r.stdout
    assert "{'a': 1} x" in r.stdout
    r = k.execute("print(np.arange(3).sum())")
    assert "import numpy as np" in r.stdout and r.stdout.strip().endswith("3")
    k.execute("%splice_config autoimport=off")
    r = k.execute("OrderedDict()")
    assert r.error and r.error["ename"] == "NameError"


def test_elided_class_redefinition_keeps_live_members(kernel):
    k, _ = kernel
    k.execute("class Shape:\n    def area(self):\n        return 1\n\n    def name(self):\n        return 'shape'\n")
    r = k.execute("class Shape:\n    def area(self):\n        return 2\n\n    # ... (same as above)\n")
    assert r.error is None, r.traceback
    assert "splice: Shape: kept from the old code: name" in r.stdout
    assert k.execute("print(Shape().area(), Shape().name())").stdout.strip() == "2 shape"


def test_help_magic(kernel):
    k, _ = kernel
    r = k.execute("%splice_help")
    assert "edit code by name" in r.stdout and "splice.batch(" in r.stdout and len(r.stdout.strip().splitlines()) <= 22
