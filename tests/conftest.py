from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, splice_bundle

sys.path.insert(0, str(REPO / "payload" / "src"))


def _download(dest: Path, *reqs: str) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "-q", "-d", str(dest)]
    subprocess.run(cmd + list(reqs), check=True)
    return dest


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """Real wheels from PyPI: tabulate (pure Python, with a console script), markupsafe (compiled, this machine)."""
    return _download(tmp_path_factory.mktemp("wheelhouse"), "tabulate==0.9.0", "markupsafe==2.1.5")


@pytest.fixture(scope="session")
def old_wheelhouse(tmp_path_factory) -> Path:
    """An older tabulate, preinstalled to test the bundle's policy toward installed versions."""
    return _download(tmp_path_factory.mktemp("old-wheelhouse"), "tabulate==0.8.10")


@pytest.fixture(scope="session")
def bundle(tmp_path_factory, wheelhouse) -> Path:
    """The real payload plus the real wheels, built offline from the wheelhouse."""
    out = tmp_path_factory.mktemp("bundle") / "splice_bootstrap.py"
    proc = splice_bundle("build", "tabulate", "markupsafe", "--find-links", str(wheelhouse), "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory) -> Path:
    """Just the payload: small enough to paste into a cell."""
    out = tmp_path_factory.mktemp("small") / "splice_small.py"
    proc = splice_bundle("build", "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out
