"""The early stop (stdlib-only: it asks the running interpreter's own parser) under whatever Python runs this file:
no stop on any character prefix of real functions from that interpreter's standard library, a stop with its line on
broken code. Used once per Python 3.8–3.13 by test_runtime_versions."""

import ast
import io
import sys
import sysconfig

from splice.decode.core import EarlyStop, NameBias

FUNCTIONS = [("textwrap.py", "indent"), ("bisect.py", "insort_right"), ("shlex.py", "split"), ("heapq.py", "merge"),
             ("functools.py", "lru_cache"), ("fnmatch.py", "translate"), ("string.py", "Template")]
PARTIAL = ["f(**{'maxsize': maxsize, '", "x = 1 if y ", "size = 32 if sys.maxsize == (", "def is",
           "def f():\n    return 1\n  ", "if a:\n# note\n", "x = 0x", "def f() -",
           "try:\n    a()\nexcept E:\n    pass\ntry:\n    nxt ="]
BROKEN = [("def f():\nx = 1", 2), ("if a:\n    b\n  c", 3), ("x = (1 + 2))", 1), ("x = 1\ny = 2 3", 2)]


def main() -> None:
    lib = sysconfig.get_paths()["stdlib"]
    checked = 0
    for name, symbol in FUNCTIONS:
        with open("%s/%s" % (lib, name), encoding="utf-8") as f:
            src = f.read()
        lines = io.StringIO(src).readlines()
        node = next(n for n in ast.parse(src).body if getattr(n, "name", None) == symbol)
        first = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        text = "import os\n\n" + "".join(lines[first: node.end_lineno]) + "\n\nvalue = 1\n"
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
