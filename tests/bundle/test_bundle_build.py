"""The bundler CLI: offline builds, reproducibility, targeting, inspect/verify/extract."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from helpers import splice_bundle

pytestmark = pytest.mark.slow  # bundle builds


def _corrupt(src: Path, dest: Path) -> Path:
    text = src.read_text()
    lines = text.splitlines(keepends=True)
    i = len(lines) - 3  # a payload line
    body = lines[i]
    lines[i] = body[:40] + ("A" if body[40] != "A" else "B") + body[41:]
    dest.write_text("".join(lines))
    return dest


def test_build_is_reproducible(tmp_path, wheelhouse, bundle):
    again = tmp_path / "splice_bootstrap.py"
    args = ["tabulate", "markupsafe", "--find-links", str(wheelhouse), "-o", str(again), "--no-cache"]
    proc = splice_bundle("build", *args)
    assert proc.returncode == 0, proc.stderr
    assert "building wheel of" in proc.stderr  # really built, not taken from the build cache
    assert again.read_bytes() == bundle.read_bytes()


def test_a_cached_wheel_is_the_wheel_a_fresh_build_makes(tmp_path):
    """The build cache hands out what a rebuild would make, byte for byte; a cache that cannot be written costs a
    progress line and the build goes on."""
    from bundler.archive import ZIP_EPOCH
    from bundler.wheels import build_project
    from helpers import REPO

    payload, cache, lines = REPO / "payload", tmp_path / "cache", []
    build_project(payload, tmp_path / "first", lines.append, ZIP_EPOCH, cache)  # a miss: built, then stored
    hit = build_project(payload, tmp_path / "hit", lines.append, ZIP_EPOCH, cache)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    fresh = build_project(payload, tmp_path / "fresh", lines.append, ZIP_EPOCH, blocked)  # nothing to read or fill
    assert hit.name == fresh.name and hit.read_bytes() == fresh.read_bytes()
    entry = next((cache / "wheels").iterdir())
    assert lines[:2] == [
        "building wheel of %s" % payload,
        "wheel of %s from the build cache (%s)" % (payload, entry),
    ]
    assert lines[2] == "building wheel of %s" % payload
    assert lines[3].startswith("build cache %s not written (" % blocked) and len(lines) == 4
    assert [p.name for p in entry.iterdir()] == [hit.name]  # no temporary folder left beside the entry
    assert [p.name for p in (cache / "wheels").iterdir()] == [entry.name]
    (entry / hit.name).write_bytes(hit.read_bytes()[:-100])  # damaged on disk: rebuilt, and the entry mended
    lines.clear()
    again = build_project(payload, tmp_path / "again", lines.append, ZIP_EPOCH, cache)
    assert lines == ["building wheel of %s" % payload] and again.read_bytes() == fresh.read_bytes()
    assert (entry / hit.name).read_bytes() == fresh.read_bytes()


def test_the_cache_key_is_the_files_the_epoch_and_the_build_tools(tmp_path):
    from bundler.buildcache import key, tools
    from helpers import write_files

    tree = write_files(tmp_path / "p", {"pyproject.toml": "[build-system]\nrequires = ['hatchling>=1']\n",
                                        "src/m.py": "A = 1\n"})  # fmt: skip
    found = tools(tree)
    assert [n for n, _ in found] == ["python", "platform", "build", "hatchling", "packaging", "setuptools", "wheel"]
    base = key(tree, 1, found)
    assert key(tree, 1, found) == base  # the same inputs, the same key
    assert key(tree, 2, found) != base  # another SOURCE_DATE_EPOCH builds anew
    assert key(tree, 1, found[:-1] + [("wheel", "0.0")]) != base  # another wheel version too
    (tree / "src" / "m.py").write_text("A = 2\n")
    assert key(tree, 1, found) != base  # a changed byte
    (tree / "src" / "m.py").write_text("A = 1\n")
    assert key(tree, 1, found) == base
    (tree / "src" / "m.py").chmod(0o755)
    assert key(tree, 1, found) != base  # an executable bit goes into the wheel: into the key too
    (tree / "src" / "m.py").rename(tree / "src" / "n.py")
    assert key(tree, 1, found) != base  # a renamed file


def test_source_date_epoch_is_honoured(tmp_path, wheelhouse, bundle):
    out = tmp_path / "splice_bootstrap.py"
    import os

    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    first = splice_bundle("build", "tabulate", "--find-links", str(wheelhouse), "-o", str(out), env=env)
    assert first.returncode == 0, first.stderr
    data = out.read_bytes()
    again = splice_bundle("build", "tabulate", "--find-links", str(wheelhouse), "-o", str(out), "--no-cache", env=env)
    assert "building wheel of" in again.stderr  # a second real build under the epoch, not a copy from the cache
    assert out.read_bytes() == data
    meta = json.loads(splice_bundle("inspect", str(out), "--json").stdout)
    assert meta["source_date_epoch"] == 1700000000


def test_build_summary_lists_wheels_sizes_and_measured_cold_start(bundle):
    out = (bundle.parent / "build.stdout").read_text()  # what `splice-bundle build` printed making the bundle
    assert "tabulate 0.9.0" in out and "splice 0.1.0" in out and "markupsafe 2.1.5" in out
    assert "× the wheels" in out
    cold = re.search(r"^cold start: verify \+ unpack (\d+) ms here", out, re.M)  # milliseconds, never "0.00 s"
    assert cold and int(cold.group(1)) > 0, out
    assert "pip download" in (bundle.parent / "build.stderr").read_text()  # progress goes to stderr


def test_inspect_reads_manifest_without_extracting(bundle, wheelhouse):
    proc = splice_bundle("inspect", str(bundle), "--json")
    meta = json.loads(proc.stdout)
    assert {w["name"] for w in meta["wheels"]} == {"splice", "tabulate", "markupsafe"}
    assert meta["name"] == "splice_bootstrap" and meta["extensions"] == ["splice"]
    tab = next(w for w in meta["wheels"] if w["name"] == "tabulate")  # the wheel file's sha256, to diff with a lock
    assert tab["sha256"] == hashlib.sha256((wheelhouse / tab["file"]).read_bytes()).hexdigest()
    text = splice_bundle("inspect", str(bundle)).stdout
    assert "markupsafe 2.1.5" in text and meta["sha256"] in text


def test_verify_ok_and_target_mismatch(bundle):
    ok = splice_bundle("verify", str(bundle))
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")
    assert splice_bundle("verify", str(bundle), "--target", "chatgpt").returncode == 0
    bad = splice_bundle("verify", str(bundle), "--target", "chatgpt-legacy")
    assert bad.returncode == 1
    assert "markupsafe-2.1.5-cp311" in bad.stderr.lower() and "does not run on chatgpt-legacy" in bad.stderr


def test_verify_detects_corruption(tmp_path, bundle):
    broken = _corrupt(bundle, tmp_path / "broken.py")
    proc = splice_bundle("verify", str(broken))
    assert proc.returncode == 1 and "sha256" in proc.stderr


def test_extract_writes_valid_wheels_and_files(tmp_path, bundle, wheelhouse):
    proc = splice_bundle("extract", str(bundle), str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    wheels = sorted(p.name for p in (tmp_path / "out" / "wheels").glob("*.whl"))
    assert "tabulate-0.9.0-py3-none-any.whl" in wheels and len(wheels) == 3
    for whl in (tmp_path / "out" / "wheels").glob("*.whl"):
        with zipfile.ZipFile(whl) as zf:
            assert zf.testzip() is None
            assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
            record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
            for row in zf.read(record).decode().splitlines():
                name, digest, _ = row.split(",")
                if digest:
                    algo, want = digest.split("=")
                    got = base64.urlsafe_b64encode(hashlib.new(algo, zf.read(name)).digest()).rstrip(b"=")
                    assert got.decode() == want, name
    # members match the original wheel, in the original order
    with zipfile.ZipFile(wheelhouse / "tabulate-0.9.0-py3-none-any.whl") as orig, zipfile.ZipFile(
        tmp_path / "out" / "wheels" / "tabulate-0.9.0-py3-none-any.whl"
    ) as new:
        assert [i.filename for i in orig.infolist() if not i.is_dir()] == new.namelist()
        assert all(orig.read(n) == new.read(n) for n in new.namelist())


def test_incompatible_wheel_fails_the_build(tmp_path, wheelhouse):
    whl = next(p for p in wheelhouse.glob("*.whl") if p.name.lower().startswith("markupsafe-"))
    proc = splice_bundle(
        "build", "--no-payload", "--add", str(whl), "--target", "chatgpt-legacy", "-o", str(tmp_path / "x.py")
    )
    assert proc.returncode != 0
    assert "does not run on chatgpt-legacy" in proc.stderr
    assert not (tmp_path / "x.py").exists()


def test_offline_build_cannot_reach_missing_version(tmp_path, wheelhouse):
    proc = splice_bundle("build", "tabulate==0.8.1", "--find-links", str(wheelhouse), "-o", str(tmp_path / "x.py"))
    assert proc.returncode != 0 and "pip download failed" in proc.stderr


def test_bad_output_name_is_one_clear_line(tmp_path):
    proc = splice_bundle("build", "-o", str(tmp_path / "not-a-module.py"))
    assert proc.returncode != 0 and "Python identifier" in proc.stderr and "Traceback" not in proc.stderr


def test_xz_is_smaller_than_gz(tmp_path, wheelhouse, bundle):
    out = tmp_path / "splice_xz.py"
    proc = splice_bundle(
        "build", "tabulate", "markupsafe", "--find-links", str(wheelhouse), "-o", str(out), "--compression", "xz"
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size < bundle.stat().st_size
    assert splice_bundle("verify", str(out)).returncode == 0
