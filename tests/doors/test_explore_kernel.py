"""%outline %show %find %refs %doc in a real kernel, executed the way a model executes cells."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import REPO, Kernel

pytest.importorskip("ipykernel")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    work = tmp_path_factory.mktemp("kernel")
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(work / "journal"))
    k = Kernel(Path(sys.executable), env, work)
    assert k.execute("%load_ext splice").error is None
    (work / "shop.py").write_text('class Cart:\n    """A cart."""\n\n    def total(self):\n        return 0\n')
    yield k, work
    k.close()


def test_outline_show_find_magics(kernel):
    k, work = kernel
    r = k.execute("%outline shop.py")
    assert "Cart.total  L4-5  (self)" in r.stdout
    r = k.execute("%show shop.py::Cart.total")
    assert r.stdout.splitlines()[0] == "4      def total(self):"
    r = k.execute("%find 'return 0' .")
    assert "Cart.total  5: return 0" in r.stdout
    r = k.execute("%show shop.py::Cart.nope")
    assert r.error is None and r.stdout.startswith("splice: NotFound: no 'Cart.nope'") and "Cart.total" in r.stdout
    # several at once, each under its name, one budget
    r = k.execute("%show shop.py::Cart.total shop.py::Cart")
    assert r.stdout.startswith("== shop.py::Cart.total\n4      def total(self):") and "== shop.py::Cart\n" in r.stdout
    r = k.execute("import json\n%show json.dumps shop.py::Cart.nope")  # a live object's source among targets
    assert r.stdout.startswith("== json.dumps\n") and "def dumps(obj" in r.stdout
    assert "== shop.py::Cart.nope\nNotFound: no 'Cart.nope'" in r.stdout
    r = k.execute("%outline shop.py shop.py::Cart")
    assert r.stdout.startswith("== shop.py\n") and "== shop.py::Cart\n" in r.stdout
    r = k.execute("%find -e 'return 0' -e 'A cart' .")
    assert r.stdout.startswith("== return 0\n") and "== A cart\n" in r.stdout


def test_show_and_doc_of_notebook_code(kernel):
    k, _ = kernel
    k.execute("class Basket:\n    def count(self):\n        '''How many.'''\n        return 1\n")
    r = k.execute("%show Basket.count")
    assert "def count(self):" in r.stdout and "return 1" in r.stdout
    r = k.execute("%doc Basket.count")
    assert "Basket.count(self)" in r.stdout and "How many." in r.stdout
    r = k.execute("%doc json.dumps")
    assert r.stdout.startswith("function dumps(")


def test_refs_magic(kernel):
    k, work = kernel
    (work / "use.py").write_text("from shop import Cart\n\nCart().total()\n")
    r = k.execute("%refs shop.py::Cart.total")
    assert "use.py" in r.stdout and "L3" in r.stdout


def test_magics_take_file_qualname_targets_and_word_their_hints(kernel):
    k, work = kernel
    (work / "shadow").mkdir()
    (work / "shadow" / "argparse.py").write_text(
        "class ArgumentParser:\n    def parse_known_args(self, local_copy=True):\n        return local_copy\n"
    )
    r = k.execute("%outline shadow/argparse.py::ArgumentParser")
    assert "ArgumentParser.parse_known_args  L2-3  (self, local_copy=True)" in r.stdout
    r = k.execute("%find local_copy shadow/argparse.py::ArgumentParser.parse_known_args")
    assert r.stdout.splitlines() == [  # one file: no file line, the symbol once for its run of hits
        "  ArgumentParser.parse_known_args  2: def parse_known_args(self, local_copy=True):",
        "    3: return local_copy",
    ]
    r = k.execute("%outline argparse --max-lines 12")
    assert len(r.stdout.splitlines()) <= 12 and "%outline argparse::" in r.stdout
