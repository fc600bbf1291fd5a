"""Exercise the stdlib-only core under whatever interpreter runs this file (used once per Python 3.8–3.13)."""

import os
import sys
import tempfile

import splice
from splice.core.errors import Ambiguous, ElidedCode, NotFound, WouldBreakSyntax

SRC = (
    "import os\r\n\r\n\r\nclass A:\r\n    @property\r\n    def x(self):\r\n        return 1\r\n\r\n"
    "    @x.setter\r\n    def x(self, v):\r\n        pass\r\n\r\n    def f(self):\r\n        return 1\r\n\r\n\r\n"
    "if os.name:\r\n    def g():\r\n        return 1\r\nelse:\r\n    def g():\r\n        return 2\r\n"
)


def main() -> None:
    folder = tempfile.mkdtemp()
    os.environ["SPLICE_JOURNAL_DIR"] = os.path.join(folder, "journal")
    path = os.path.join(folder, "m.py")
    with open(path, "wb") as f:
        f.write(SRC.encode())
    splice.replace(path + "::A.f", "return 2")
    splice.edit(path + "::A.x.setter", "pass", "self.v = v")
    splice.append(path + "::A", "def h(self):\n    return 3")
    splice.replace(path + "::g[1]", "def g():\n    return 4")
    for exc, call in (
        (Ambiguous, lambda: splice.show(path + "::g")),
        (NotFound, lambda: splice.show(path + "::A.q")),
        (WouldBreakSyntax, lambda: splice.replace(path + "::A.f", "return (")),
        (ElidedCode, lambda: splice.replace(path + "::A", "class A:\n    # ... rest unchanged\n")),
    ):
        try:
            call()
        except exc:
            pass
        else:
            raise AssertionError("expected %s" % exc.__name__)
    with open(path, "rb") as f:
        data = f.read()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), "CRLF kept"
    assert b"        return 2\r\n" in data and b"self.v = v" in data and b"def h(self):" in data
    splice.undo(path, steps=4)
    with open(path, "rb") as f:
        assert f.read() == SRC.encode(), "undo restores the bytes"
    print("core ok on", sys.version.split()[0])


if __name__ == "__main__":
    main()
