"""The everyday cases of issue 29, each run with three live reloaders: splice (`splice.edit` on the file), IPython's
autoreload (`superreload` after the file is written, what `%autoreload 2` does) and jurigged (`CodeFile.refresh`
after the file is written, what its watcher does). Each case and tool runs in a fresh process: a module is written
and imported, objects are made from it, one change is made to the file, then a check says whether the running
program does what the new code says and kept what it had.

Used by bench_live.py (the table in docs/benchmarks/live.md). Run alone: python benchmarks/live_cases.py
jurigged is installed into benchmarks/.work/jurigged on first use (pip install --target); without it, its column
says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
JURIGGED = REPO / "benchmarks" / ".work" / "jurigged"

# name, module source, setup (m: the module), old, new, check (True: right)
CASES: List[Tuple[str, str, str, str, str, str]] = [
    ("`__slots__` class, method edited", """
class Tokens:
    __slots__ = ("tokens", "pos")

    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def method(self):
        return self.tokens[self.pos] + 1
""", "t = m.Tokens([10])", "+ 1", "+ 2", "t.method() == 12 and m.Tokens([5]).method() == 7"),
    ("`@dataclass(slots=True)`, method edited", """
from dataclasses import dataclass


@dataclass(slots=True)
class Point:
    x: int
    y: int

    def norm(self):
        return abs(self.x) + abs(self.y)
""", "p = m.Point(1, -2)", "abs(self.x) + abs(self.y)", "max(abs(self.x), abs(self.y))",
     "p.norm() == 2 and m.Point(3, 4).norm() == 4"),
    ("class-level state filled at run time", """
class Counter:
    seen = []

    def add(self, x):
        Counter.seen.append(x)
        return x
""", "c = m.Counter(); c.add(1); c.add(2)", "return x", "return x * 10",
     "m.Counter.seen == [1, 2] and c.add(3) == 30"),
    ("`Enum`, method edited", """
import enum


class Color(enum.Enum):
    RED = 1

    def label(self):
        return self.name.lower()
""", "red = m.Color.RED", ".lower()", ".title()", "m.Color(1) is red and red.label() == 'Red'"),
    ("`__init_subclass__` registry", """
class Plugin:
    subclasses = []

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        Plugin.subclasses.append(cls)


class Csv(Plugin):
    def run(self):
        return "csv"
""", "subs = m.Plugin.subclasses; csv = m.Csv", '"csv"', '"CSV"',
     "subs == [csv] and csv().run() == 'CSV' and m.Csv is csv"),
    ("metaclass registry", """
class Meta(type):
    made = []

    def __new__(mcs, name, bases, ns):
        Meta.made.append(name)
        return super().__new__(mcs, name, bases, ns)


class Csv(metaclass=Meta):
    def run(self):
        return "csv"
""", "made = m.Meta.made; csv = m.Csv", '"csv"', '"CSV"', "made == ['Csv'] and csv().run() == 'CSV'"),
    ("class decorator registry", """
REGISTRY = []


def register(cls):
    REGISTRY.append(cls)
    return cls


@register
class Csv:
    def run(self):
        return "csv"
""", "reg = m.REGISTRY", '"csv"', '"CSV"', "len(reg) == 1 and reg[0]().run() == 'CSV'"),
    ("`functools.wraps` decorator, `from m import f` copy", """
import functools


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*a):
        return fn(*a)
    return wrapper


@logged
def area(r):
    return 3 * r * r
""", "area = m.area", "3 * r", "4 * r", "area(1) == 4"),
    ("`lru_cache`, `from m import f` copy, cache cleared", """
import functools


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
""", "fib = m.fib; fib(10)", "n if n < 2", "1 if n < 2", "fib(10) == 89"),
    ("classmethod", """
class Shop:
    @classmethod
    def make(cls):
        return 1
""", "Shop = m.Shop", "return 1", "return 2", "Shop.make() == 2"),
    ("staticmethod", """
class Shop:
    @staticmethod
    def tax(x):
        return x * 2
""", "Shop = m.Shop", "x * 2", "x * 3", "Shop.tax(1) == 3"),
    ("nested class's method", """
class Shop:
    class Item:
        def price(self):
            return 1
""", "item = m.Shop.Item()", "return 1", "return 2", "item.price() == 2"),
    ("`super()` already in the method", """
class Base:
    def greet(self):
        return "base"


class Shop(Base):
    def greet(self):
        return "shop " + super().greet()
""", "s = m.Shop()", '"shop "', '"SHOP "', "s.greet() == 'SHOP base'"),
    ("`super()` added to an override", """
class Base:
    def greet(self):
        return "base"


class Shop(Base):
    def greet(self):
        return "shop"
""", "s = m.Shop()", 'return "shop"', 'return "shop " + super().greet()', "s.greet() == 'shop base'"),
    ("decorator storing the function in a registry dict", """
HANDLERS = {}
CALLS = []


def handler(fn):
    CALLS.append(fn.__name__)
    HANDLERS[fn.__name__] = fn
    return fn


@handler
def on_save():
    return "saved"
""", "h = m.HANDLERS; calls = m.CALLS", '"saved"', '"SAVED"', "h['on_save']() == 'SAVED' and calls == ['on_save']"),
    ("default value naming a class constant", """
class Config:
    LIMIT = 3

    def get(self, n=1):
        return n
""", "c = m.Config()", "def get(self, n=1):", "def get(self, n=LIMIT):", "c.get() == 3"),
    ("closure a factory made before the edit", """
def factory(k):
    def inner(x):
        return x + k
    return inner
""", "add2 = m.factory(2)", "x + k", "x * k", "add2(5) == 10"),
    ("property setter", """
class Box:
    @property
    def v(self):
        return self._v

    @v.setter
    def v(self, x):
        self._v = x
""", "b = m.Box()", "self._v = x", "self._v = x * 10", "(setattr(b, 'v', 2), b.v)[1] == 20"),
    ("`Enum` member added as an int: refused, program unchanged", """
import enum


class Color(enum.Enum):
    RED = 1
""", "red = m.Color.RED", "    RED = 1\n", "    RED = 1\n    BLUE = 2\n",
     "list(m.Color) == [red] and m.Color(1) is red and not isinstance(getattr(m.Color, 'BLUE', None), int)"),
]

CHILD = r'''
import importlib, json, sys, textwrap, traceback
tool, root, source, setup, old, new, check = json.loads(sys.argv[1])
sys.path.insert(0, root)
path = root + "/casemod.py"
open(path, "w").write(source)
m = importlib.import_module("casemod")
ns = {"m": m}
exec(setup, ns)
note = ""
try:
    text = open(path).read()
    assert text.count(old) == 1, "the edit's old text is not unique"
    if tool == "splice":
        import splice
        edit = splice.edit(path, old, new)
        note = " / ".join(n for n in edit.notes if n.startswith("live:"))
    else:
        if tool == "jurigged":
            from jurigged import registry
            registry.prepare("casemod", path)
            cf = registry.get(path)
        open(path, "w").write(text.replace(old, new))
        if tool == "autoreload":
            from IPython.extensions.autoreload import superreload
            superreload(m)
        else:
            cf.refresh()
    ok = bool(eval(check, ns))
    print(json.dumps({"ok": ok, "note": note}))
except Exception as exc:
    first = str(exc).splitlines()[0][:120] if str(exc) else ""
    print(json.dumps({"ok": False, "note": "%s: %s" % (type(exc).__name__, first)}))
'''


def jurigged_path() -> str:
    if not (JURIGGED / "jurigged").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(JURIGGED), "jurigged==0.6.1"],
                       capture_output=True)
    return str(JURIGGED) if (JURIGGED / "jurigged").is_dir() else ""


def run_case(tool: str, case: Tuple[str, str, str, str, str, str], extra_path: str) -> Dict[str, object]:
    name, source, setup, old, new, check = case
    with tempfile.TemporaryDirectory(prefix="live-case-") as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [str(REPO / "payload" / "src"), extra_path] if p),
                   SPLICE_JOURNAL_DIR=os.path.join(tmp, "journal"))
        arg = json.dumps([tool, tmp, textwrap.dedent(source).lstrip(), setup, old, new, check])
        proc = subprocess.run([sys.executable, "-c", CHILD, arg], env=env, cwd=tmp, capture_output=True, text=True,
                              timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"ok": False, "note": "crashed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(lines[-1])


def run_all() -> Dict[str, Dict[str, Dict[str, object]]]:
    jur = jurigged_path()
    out: Dict[str, Dict[str, Dict[str, object]]] = {}
    for case in CASES:
        out[case[0]] = {}
        for tool in ("splice", "autoreload", "jurigged"):
            if tool == "jurigged" and not jur:
                out[case[0]][tool] = {"ok": False, "note": "jurigged could not be installed"}
                continue
            out[case[0]][tool] = run_case(tool, case, jur if tool == "jurigged" else "")
        print(case[0], {t: r["ok"] for t, r in out[case[0]].items()}, flush=True)
    return out


def table(results: Dict[str, Dict[str, Dict[str, object]]]) -> List[str]:
    def cell(r: Dict[str, object]) -> str:
        mark = "right" if r["ok"] else "**wrong**"
        note = str(r.get("note") or "")
        if note and not note.startswith("live:"):
            mark += " (%s)" % note.replace("|", "/")
        return mark

    rows = ["| case | splice | IPython autoreload (superreload) | jurigged 0.6.1 |", "|---|---|---|---|"]
    for name, by_tool in results.items():
        rows.append("| %s | %s | %s | %s |" % (name, cell(by_tool["splice"]), cell(by_tool["autoreload"]),
                                              cell(by_tool["jurigged"])))
    wins = {t: sum(1 for r in results.values() if r[t]["ok"]) for t in ("splice", "autoreload", "jurigged")}
    rows.append("| **right, of %d** | **%d** | **%d** | **%d** |" % (len(results), wins["splice"], wins["autoreload"],
                                                                    wins["jurigged"]))
    return rows


if __name__ == "__main__":
    print("\n".join(table(run_all())))
