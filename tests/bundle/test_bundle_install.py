"""splice-bundle as a user gets it: built with `python -m build`, installed into a fresh venv far from the checkout,
building and importing bundles from there with no network. And the splice library built as its own project."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from bundler.resources import IGNORED
from helpers import REPO, import_snippet, inherit_test_env, made_once, make_venv, offline_env, run_offline

pytestmark = pytest.mark.slow


def _build(project: Path, outdir: Path) -> None:
    """`python -m build` (sdist, then the wheel from the sdist); no isolation, so no network for setuptools."""
    cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(project)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> Path:
    return made_once(tmp_path_factory, "dist", lambda out: _build(REPO, out))


def test_wheel_and_sdist_carry_template_and_payload(dists):
    (wheel,) = dists.glob("splice_bundle-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        template = zf.read("bundler/_data/templates/bootstrap.py")
    assert {"bundler/_data/templates/bootstrap.py", "bundler/_data/payload/pyproject.toml"} <= names
    assert "bundler/_data/payload/src/splice/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or ".egg-info" in n]
    assert template == (REPO / "templates" / "bootstrap.py").read_bytes()
    (sdist,) = dists.glob("splice_bundle-*.tar.gz")
    with tarfile.open(sdist) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    assert {"setup.py", "templates/bootstrap.py", "payload/pyproject.toml", "payload/src/splice/api.py"} <= members


def test_installed_wheel_builds_the_same_bundle_far_from_the_checkout_offline(tmp_path, dists, wheelhouse, bundle):
    far = tmp_path / "far"
    assert REPO not in far.resolve().parents
    venv = far / "venv"
    py = make_venv(venv)
    (wheel,) = dists.glob("splice_bundle-*.whl")
    # what `venv/bin/pip install splice_bundle-….whl` does; its dependencies come from the environment running the
    # tests (a .pth file), so the venv needs no index and builds with the same setuptools as the checkout did
    env = offline_env()
    install = [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)]
    proc = run_offline(install, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inherit_test_env(py)
    exe = venv / "bin" / "splice-bundle"
    work = far / "work"
    work.mkdir()

    version = run_offline([exe, "--version"], env, cwd=work)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("splice-bundle 0.1.0 (bundles splice 0.1.0, from %s" % venv), version.stdout

    out = work / "dist" / "splice_bootstrap.py"
    # --no-cache: the installed copy of the payload really builds here (and the developer's cache stays untouched)
    args = ["build", "tabulate", "markupsafe", "--find-links", str(wheelhouse), "-o", str(out), "--no-cache"]
    proc = run_offline([exe, *args], env, cwd=work, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes() == bundle.read_bytes()  # the same options from the checkout: byte for byte

    inspect = run_offline([exe, "inspect", str(out)], env, cwd=work)
    assert inspect.returncode == 0 and "splice 0.1.0" in inspect.stdout
    verify = run_offline([exe, "verify", str(out)], env, cwd=work)
    assert verify.returncode == 0 and verify.stdout.startswith("ok:"), verify.stderr
    extract = run_offline([exe, "extract", str(out), str(work / "x")], env, cwd=work)
    assert extract.returncode == 0 and len(list((work / "x" / "wheels").glob("*.whl"))) == 3

    bare = make_venv(far / "bare")
    body = "import splice, tabulate; print(splice.__file__); print(tabulate.tabulate([[1, 2]]))"
    proc = run_offline([bare, "-c", import_snippet(out, body)], offline_env(far / "cache"), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(str(far / "cache")) and "1  2" in proc.stdout


def test_the_splice_library_builds_as_its_own_project_with_its_extras(tmp_path):
    src = tmp_path / "payload"
    shutil.copytree(REPO / "payload", src, ignore=shutil.ignore_patterns(*IGNORED))
    _build(src, tmp_path / "dist")
    (wheel,) = (tmp_path / "dist").glob("splice-*.whl")
    assert list((tmp_path / "dist").glob("splice-*.tar.gz"))
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        assert "splice/api.py" in zf.namelist()
    extras = {line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Provides-Extra:")}
    assert {"explore", "check", "decode"} <= extras
    assert 'Requires-Dist: jedi; extra == "explore"' in meta
