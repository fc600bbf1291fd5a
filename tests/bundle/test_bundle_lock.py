"""Lock-file builds: a pylock.toml and a hashed requirements file, both written by uv, every wheel hash-checked."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from helpers import _dead_port, import_snippet, made_once, make_venv, offline_env, run_offline, splice_bundle

pytestmark = pytest.mark.slow  # uv and bundle builds

TABULATE = "024ca478df22e9340661486f85298cff5f6dcdba14f3813e8830015b9ed1948f"  # tabulate-0.9.0-py3-none-any.whl


def _uv_compile(wheelhouse: Path, out: Path, *args: str) -> Path:
    """uv resolves tabulate + markupsafe from the wheelhouse alone (no network) and writes the lock."""
    req_in = out.parent / "req.in"
    req_in.write_text("tabulate==0.9.0\nmarkupsafe==2.1.5\n")
    cmd = [sys.executable, "-m", "uv", "pip", "compile", str(req_in), "--no-index", "--find-links", str(wheelhouse)]
    subprocess.run(cmd + ["-q", "-o", str(out), *args], check=True, cwd=out.parent)
    return out


@pytest.fixture(scope="session")
def locks(tmp_path_factory, wheelhouse) -> Dict[str, Path]:
    def lock(folder: Path) -> None:
        _uv_compile(wheelhouse, folder / "pylock.toml", "--format", "pylock.toml")
        _uv_compile(wheelhouse, folder / "requirements.txt", "--generate-hashes")

    folder = made_once(tmp_path_factory, "locks", lock)
    return {"pylock": folder / "pylock.toml", "requirements": folder / "requirements.txt"}


def _changed(path: Path, dest: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text.replace(old, new))
    return dest


def _build_offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = offline_env(tmp_path / "cache")
    return splice_bundle("build", "--no-payload", *args, env=env)


def test_uv_pylock_builds_a_bundle_whose_wheels_match_the_lock(tmp_path, locks, wheelhouse):
    out = tmp_path / "locked.py"
    proc = _build_offline(tmp_path, "-r", str(locks["pylock"]), "--find-links", str(wheelhouse), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "pylock.toml: 2 locked packages" in proc.stderr
    meta = json.loads(splice_bundle("inspect", str(out), "--json").stdout)
    lock = tomllib.loads(locks["pylock"].read_text())
    locked = {p["name"]: p["wheels"][0]["hashes"]["sha256"] for p in lock["packages"]}
    assert {w["name"]: w["sha256"] for w in meta["wheels"]} == locked and locked["tabulate"] == TABULATE
    py = make_venv(tmp_path / "venv")
    proc = run_offline(
        [py, "-c", import_snippet(out, "import tabulate; print(tabulate.__version__)")], offline_env(tmp_path / "c")
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "0.9.0", proc.stderr


def test_hashed_requirements_build_the_same_bundle_as_the_pylock(tmp_path, locks, wheelhouse):
    a, b = tmp_path / "a" / "locked.py", tmp_path / "b" / "locked.py"
    for lock, out in ((locks["pylock"], a), (locks["requirements"], b)):
        proc = _build_offline(tmp_path, "-r", str(lock), "--find-links", str(wheelhouse), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("kind", ["pylock", "requirements"])
def test_one_changed_hash_is_one_line_and_writes_nothing(tmp_path, locks, wheelhouse, kind):
    wrong = TABULATE[:-1] + ("0" if TABULATE[-1] != "0" else "1")
    lock = _changed(locks[kind], tmp_path / "lock" / locks[kind].name, TABULATE, wrong)
    out = tmp_path / "out" / "locked.py"
    proc = _build_offline(tmp_path, "-r", str(lock), "--find-links", str(wheelhouse), "-o", str(out))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: hash mismatch: tabulate 0.9.0 (tabulate-0.9.0-py3-none-any.whl): %s expects sha256:%s, actual sha256:%s"
        % (lock.name, wrong, TABULATE)
    ]
    assert "Traceback" not in proc.stderr and not out.parent.exists()


def test_a_hashed_requirements_file_needs_every_hash_and_a_pin(tmp_path, locks, wheelhouse):
    text = locks["requirements"].read_text()
    no_hash = tmp_path / "nohash" / "requirements.txt"
    no_hash.parent.mkdir()
    no_hash.write_text(re.sub(r"tabulate==0.9.0 \\\n\s+--hash=sha256:[0-9a-f]+", "tabulate==0.9.0", text))
    proc = _build_offline(tmp_path, "-r", str(no_hash), "--find-links", str(wheelhouse), "-o", str(tmp_path / "x.py"))
    assert proc.returncode == 1 and not (tmp_path / "x.py").exists()
    assert "Error: tabulate 0.9.0 (tabulate-0.9.0-py3-none-any.whl): requirements.txt has no hash" in proc.stderr
    assert "actual sha256:" + TABULATE in proc.stderr
    unpinned = _changed(
        locks["requirements"], tmp_path / "loose" / "requirements.txt", "tabulate==0.9.0", "tabulate>=0.9"
    )
    proc = _build_offline(tmp_path, "-r", str(unpinned), "--find-links", str(wheelhouse), "-o", str(tmp_path / "x.py"))
    assert proc.returncode == 1 and "tabulate>=0.9 must pin one version with ==" in proc.stderr


def test_a_lock_entry_that_does_not_fit_the_target_is_named(tmp_path, locks, wheelhouse):
    proc = _build_offline(
        tmp_path,
        "-r",
        str(locks["pylock"]),
        "--find-links",
        str(wheelhouse),
        "--python-version",
        "3.12",
        "-o",
        str(tmp_path / "x.py"),
    )
    assert proc.returncode == 1 and not (tmp_path / "x.py").exists()
    line = next(line for line in proc.stderr.splitlines() if line.startswith("Error:"))
    assert "'markupsafe'" in line and "No wheel found" in line and "3.12" in line


def test_wheels_come_from_the_lock_urls_else_the_index(tmp_path, locks, wheelhouse):
    # uv wrote file:// URLs into the wheelhouse: fetched as they are, no pip at all, no network.
    out = tmp_path / "url" / "locked.py"
    proc = _build_offline(tmp_path, "-r", str(locks["pylock"]), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "pip download" not in proc.stderr
    # URLs on a host that cannot be reached: the same wheels through pip (here its --find-links), hashes checked.
    dead = "http://127.0.0.1:%d/wheels" % _dead_port()
    lock = _changed(locks["pylock"], tmp_path / "dead" / "pylock.toml", wheelhouse.as_uri(), dead)
    again = tmp_path / "dead" / "locked.py"
    env = offline_env(tmp_path / "cache", PIP_FIND_LINKS=str(wheelhouse))  # pip's own sources stand in for the index
    proc = splice_bundle("build", "--no-payload", "-r", str(lock), "-o", str(again), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "unreachable" in proc.stderr and "pip download markupsafe==2.1.5 tabulate==0.9.0" in proc.stderr
    assert again.read_bytes() == out.read_bytes()


def _wheel(folder: Path, name: str, requires: str) -> Path:
    """A minimal real wheel with one dependency, for the resolver to follow."""
    path = folder / ("%s-1.0-py3-none-any.whl" % name)
    files = {
        "%s/__init__.py" % name: "",
        "%s-1.0.dist-info/METADATA" % name: "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\nRequires-Dist: %s\n"
        % (name, requires),
        "%s-1.0.dist-info/WHEEL"
        % name: "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,,\n" % n for n in files) + "%s-1.0.dist-info/RECORD,,\n" % name
    with zipfile.ZipFile(path, "w") as zf:
        for n, text in files.items():
            zf.writestr(n, text)
        zf.writestr("%s-1.0.dist-info/RECORD" % name, record)
    return path


def test_a_dependency_the_hashed_file_does_not_list_is_named(tmp_path, wheelhouse):
    links = tmp_path / "links"
    shutil.copytree(wheelhouse, links)
    wheel = _wheel(links, "needsmarkup", "markupsafe")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("needsmarkup==1.0 --hash=sha256:%s\n" % hashlib.sha256(wheel.read_bytes()).hexdigest())
    proc = _build_offline(tmp_path, "-r", str(reqs), "--find-links", str(links), "-o", str(tmp_path / "x.py"))
    assert proc.returncode == 1 and not (tmp_path / "x.py").exists()
    assert "Error: markupsafe 2.1.5 (" in proc.stderr and "not in requirements.txt, so no hash" in proc.stderr


def test_markers_are_evaluated_for_the_target_not_the_builder(tmp_path):
    from bundler.locks import read_requirements
    from bundler.targets import PROFILES

    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        'tomli==2.0.1 ; python_version < "3.11" \\\n    --hash=sha256:aa\n'
        "rich[jupyter]==13.7.1 --hash=sha256:bb  # a comment\n"
    )
    legacy, _ = read_requirements(reqs, PROFILES["chatgpt-legacy"])
    assert [(e.pin, e.hashes) for e in legacy] == [
        ("tomli==2.0.1", [("sha256", "aa")]),
        ("rich[jupyter]==13.7.1", [("sha256", "bb")]),
    ]
    assert [e.name for e in read_requirements(reqs, PROFILES["chatgpt"])[0]] == ["rich"]


def test_a_lock_entry_with_only_an_sdist_is_named(tmp_path):
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "hand"\n[[packages]]\nname = "foo"\nversion = "1.0"\n'
        'sdist = { url = "https://example.invalid/foo-1.0.tar.gz", hashes = { sha256 = "00" } }\n'
    )
    proc = _build_offline(tmp_path, "-r", str(lock), "-o", str(tmp_path / "x.py"))
    assert proc.returncode == 1 and not (tmp_path / "x.py").exists()
    assert "Error: pylock.toml: foo 1.0 has no wheel that runs on host" in proc.stderr
    assert "the lock offers only an sdist" in proc.stderr
