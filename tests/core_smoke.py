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
    _writers_at_once(path)


def _writers_at_once(path: str) -> None:
    """Threads on different chunks of one file all land (the file's lock, planning again by name), with the lock's
    fallback (an exclusive-create lock file) as well as the system's."""
    import threading

    from splice.core import lock

    for fallback in (False, True):
        if fallback:
            lock.fcntl = lock.msvcrt = None
        targets = [("A.f", "return 1", "return 11"), ("A.x.setter", "pass", "self.w = v"), ("g[0]", "1", "10")]
        errors: list = []

        def edit(t: str, old: str, new: str, errors: list = errors) -> None:
            try:
                splice.edit(path + "::" + t, old, new)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=edit, args=a) for a in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open(path, "rb") as f:
            data = f.read()
        assert not errors and all(new.encode() in data for _, _, new in targets), (errors, data)
        splice.undo(path, steps=3)
        with open(path, "rb") as f:
            assert f.read() == SRC.encode(), "undo restores the bytes"
    print("core ok on", sys.version.split()[0])


if __name__ == "__main__":
    main()
