from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, made_once, splice_bundle

sys.path.insert(0, str(REPO / "payload" / "src"))


def _download(folder: Path, *reqs: str) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "-q", "-d", str(folder)]
    subprocess.run(cmd + list(reqs), check=True)


def _build(out: Path, *args: str) -> None:
    proc = splice_bundle("build", *args, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """Real wheels from PyPI: tabulate (pure Python, with a console script), markupsafe (compiled, this machine).
    Downloaded once per test run, for every worker."""
    return made_once(tmp_path_factory, "wheelhouse", lambda d: _download(d, "tabulate==0.9.0", "markupsafe==2.1.5"))


@pytest.fixture(scope="session")
def old_wheelhouse(tmp_path_factory) -> Path:
    """An older tabulate, preinstalled to test the bundle's policy toward installed versions."""
    return made_once(tmp_path_factory, "old-wheelhouse", lambda d: _download(d, "tabulate==0.8.10"))


@pytest.fixture(scope="session")
def bundle(tmp_path_factory, wheelhouse) -> Path:
    """The real payload plus the real wheels, built offline from the wheelhouse; once per test run. Tests that damage
    or rebuild a bundle work on a copy or in a folder of their own."""
    folder = made_once(
        tmp_path_factory,
        "bundle",
        lambda d: _build(d / "splice_bootstrap.py", "tabulate", "markupsafe", "--find-links", str(wheelhouse)),
    )
    return folder / "splice_bootstrap.py"


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory) -> Path:
    """Just the payload: small enough to paste into a cell."""
    return made_once(tmp_path_factory, "small", lambda d: _build(d / "splice_small.py")) / "splice_small.py"
