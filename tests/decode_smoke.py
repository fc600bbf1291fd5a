"""The early stop (stdlib-only: it asks the running interpreter's own parser) under whatever Python runs this file:
no stop on any character prefix of real functions from that interpreter's standard library, a stop with its line on
broken code. Used once per Python 3.8–3.13 by test_runtime_versions."""

import sys
import sysconfig

import splice
from splice.decode.core import EarlyStop, NameBias

FUNCTIONS = [("textwrap.py", "indent"), ("bisect.py", "insort_right"), ("shlex.py", "split"), ("heapq.py", "merge"),
             ("functools.py", "lru_cache"), ("fnmatch.py", "translate"), ("string.py", "Template")]
PARTIAL = [  # code that is only unfinished: never a stop
    "def inden", "class Fo", "x = y if z", "print(f'{x", "for i in ra", "def f():\n    try:\n        pass\n    exc",
    "x = [1,\n     2 +",
    "f(**{'maxsize': maxsize, '",  # a dict key cut off inside its quote
    "try:\n    a()\nexcept E:\n    pass\ntry:\n    nxt =",  # a second try at the same depth
    "x = 1 if y ",  # 3.10+ reads the sentinel as "expected 'else'"
    "size = 32 if sys.maxsize == (",  # ... also inside brackets
    "def is",  # a keyword that is the start of a longer name (isdir)
    "def f():\n    return 1\n  ",  # indentation still being typed
    "if a:\n# note\n",  # a comment line before the block's body
    "x = 0x",  # a number still being typed
    "def f() -",  # an operator still being typed (->)
    "s = '''doc\n\nmore",  # inside a triple-quoted string
    "x = [1,\n     2,\n",
    "p = re.compile(\n    r'(?P<m>\\w+)'\n    r",  # a string prefix after an implicit concatenation
]
if sys.version_info >= (3, 10):
    PARTIAL.append("match x:\n    case 1:\n        pass\n    c")  # a soft keyword being typed (`case`)
if sys.version_info >= (3, 12):
    PARTIAL.append("def reveal_type[")  # type parameters (before 3.12 this is a stop)
BROKEN = [  # code no continuation can save, with the line of the stop
    ("x = )", 1), ("def f(:", 1), ("x = 1 2", 1), ("return return 1", 1), ("x = 1\ny = 2 3\nz = 4", 2),
    ("def f():\nx = 1", 2), ("if a:\n    b\n  c", 3), ("x = (1 + 2))", 1), ("print x y", 1),
    ("import os\nos.path.join(a b, c)", 2),
]


def main() -> None:
    lib = sysconfig.get_paths()["stdlib"]
    checked = 0
    for name, symbol in FUNCTIONS:
        text = "import os\n\n" + splice.show("%s/%s::%s" % (lib, name, symbol)) + "\n\nvalue = 1\n"
        stop = EarlyStop(check_names=False)
        for i in range(1, len(text) + 1):
            reason = stop.check(text[:i])
            assert reason is None, "false stop in %s::%s at %r: %s" % (name, symbol, text[max(0, i - 60):i], reason)
            checked += 1
    for partial in PARTIAL:
        assert EarlyStop().check(partial) is None, partial
    for broken, line in BROKEN:
        reason = EarlyStop().check(broken)
        assert reason is not None and reason.line == line, (broken, reason)
    assert EarlyStop().check("import os\nx = undefined_thing\n").kind == "undefined-name"
    assert NameBias(["s", "path", " json", "x", "pen"]).token_ids("import os\nresult = o") == [0, 4]  # os, open
    print("decode ok on", sys.version.split()[0], checked, "prefixes")


if __name__ == "__main__":
    main()
