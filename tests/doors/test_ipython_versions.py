"""The extension on other IPython lines than the test environment's: 7.x on Python 3.8, 9.x on Python 3.11."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import REPO, Kernel, make_venv, pyenv_python

pytestmark = pytest.mark.slow  # pip-installs other IPython lines into fresh venvs

CASES = [("3.8", "7", ["ipython==7.34.0", "ipykernel==6.29.5"]), ("3.11", "9", ["ipython>=9,<10", "ipykernel>=6.29"])]


@pytest.mark.parametrize("minor,major,pins", CASES, ids=["ipython7-py38", "ipython9-py311"])
def test_extension_on_other_ipython_versions(tmp_path, minor, major, pins):
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    py = make_venv(tmp_path / "venv", python=str(exe) if minor != "3.11" else sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_FIND_LINKS", "UV_"))}
    # uv (in the test extra) installs into the venv: the same packages as pip would, in a fraction of pip's time,
    # from its own cache on a second run
    install = [sys.executable, "-m", "uv", "pip", "install", "-q", "--python", str(py), *pins]
    proc = subprocess.run(install, capture_output=True, text=True, env=env)
    if proc.returncode:
        pytest.skip("could not install %s: %s" % (pins, proc.stderr.strip().splitlines()[-1:]))
    (tmp_path / "shop.py").write_text("class Cart:\n    def total(self):\n        return 1\n")
    kenv = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), SPLICE_JOURNAL_DIR=str(tmp_path / "j"))
    k = Kernel(py, kenv, tmp_path)
    try:
        version = k.execute("import IPython; print(IPython.__version__)").stdout.strip()
        assert version.split(".")[0] == major, version
        assert k.execute("%load_ext splice\nimport sys; sys.path.insert(0, '.')").error is None
        r = k.execute("# save it\n%%writefile note.txt\nhello\n")
        assert r.error is None and (tmp_path / "note.txt").read_text() == "hello\n"
        k.execute("import shop\ncart = shop.Cart()")
        r = k.execute("%%splice shop.py::Cart.total\nreturn 2\n")
        assert "live: shop: patched Cart.total" in r.stdout, r.stdout
        assert k.execute("print(cart.total())").stdout.strip() == "2"
        k.execute("class Shelf:\n    def size(self):\n        return 1\n\nshelf = Shelf()")
        r = k.execute('import splice\nsplice.edit("Shelf.size", "return 1", "return 3")')
        assert r.error is None and k.execute("print(shelf.size())").stdout.strip() == "3", r.traceback
        r = k.execute('splice.show("Shelf.nope")')  # splice's own error: three lines at most, no frames
        assert r.traceback.startswith("NotFound: no 'Shelf.nope'") and len(r.traceback.splitlines()) <= 3
        r = k.execute("{}.itms()")
        assert "close: items" in r.traceback
        r = k.execute("print(defaultdict(int)['x'])")
        assert "auto-imported: from collections import defaultdict" in r.stdout
    finally:
        k.close()
