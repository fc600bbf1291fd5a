"""The stdlib-only parts (splice core) run on every Python 3.8–3.13 found here."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers import PYENV_VERSIONS, REPO, pyenv_python

pytestmark = pytest.mark.slow  # every pyenv Python, each a subprocess


def _run_smoke(minor: str, script: str, cwd) -> str:
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    env = dict(os.environ, PYTHONPATH=str(REPO / "payload" / "src"), PYTHONNOUSERSITE="1")
    env.pop("PYENV_VERSION", None)
    proc = subprocess.run([str(exe), "-s", str(REPO / "tests" / script)], env=env, capture_output=True, text=True,
                          cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("minor", PYENV_VERSIONS)
def test_core_runs_on_each_python(minor, tmp_path):
    assert _run_smoke(minor, "core_smoke.py", tmp_path).startswith("core ok on %s" % minor)


@pytest.mark.parametrize("minor", PYENV_VERSIONS)
def test_early_stop_is_right_on_each_python(minor, tmp_path):
    """Each version's own parser (3.8's LL(1), 3.9's PEG, 3.10+ with its peeking error rules) answers the check."""
    out = _run_smoke(minor, "decode_smoke.py", tmp_path)
    assert out.startswith("decode ok on %s" % minor) and int(out.split()[4]) > 10000
