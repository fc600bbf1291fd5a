"""The stdlib-only parts (splice core) run on every Python 3.8–3.13 found here."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers import REPO
from test_bootstrap import PYENV_VERSIONS, _pyenv_python


@pytest.mark.parametrize("minor", PYENV_VERSIONS)
def test_core_runs_on_each_python(minor, tmp_path):
    exe = _pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), PYTHONNOUSERSITE="1")
    env.pop("PYENV_VERSION", None)
    proc = subprocess.run(
        [str(exe), "-s", str(REPO / "tests" / "core_smoke.py")], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("core ok on %s" % minor)
