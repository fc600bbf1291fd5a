"""Several targets in one bundle: per-target wheels stored once, the bootstrap's stdlib tags, the pick at import,
inspect/verify per target, the SBOM, and builds for Pyodide refusing what cannot run there."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import (
    PYENV_VERSIONS,
    REPO,
    import_snippet,
    made_once,
    make_venv,
    offline_env,
    pyenv_python,
    run_offline,
    splice_bundle,
)

pytestmark = pytest.mark.slow  # bundle builds, every pyenv Python

TEMPLATE = REPO / "templates" / "bootstrap.py"


@pytest.fixture(scope="session")
def legacy_wheelhouse(tmp_path_factory) -> Path:
    """markupsafe built for CPython 3.8 manylinux: what the chatgpt-legacy target resolves to."""

    def download(dest: Path) -> None:
        cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "-q", "-d", str(dest)]
        cmd += ["--python-version", "3.8", "--platform", "manylinux2014_x86_64", "--abi", "cp38", "markupsafe==2.1.5"]
        subprocess.run(cmd, check=True)

    return made_once(tmp_path_factory, "legacy-wheelhouse", download)


def _build_two(out: Path, wheelhouse: Path, legacy: Path) -> subprocess.CompletedProcess:
    return splice_bundle(
        "build", "tabulate", "markupsafe", "--find-links", str(wheelhouse), "--find-links", str(legacy),
        "--target", "chatgpt", "--target", "chatgpt-legacy", "-o", str(out),
    )  # fmt: skip


@pytest.fixture(scope="session")
def two_targets(tmp_path_factory, wheelhouse, legacy_wheelhouse) -> Path:
    def build(folder: Path) -> None:
        proc = _build_two(folder / "two_targets.py", wheelhouse, legacy_wheelhouse)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    return made_once(tmp_path_factory, "two-targets", build) / "two_targets.py"


@pytest.fixture(scope="session")
def packaging_wheel(tmp_path_factory):
    """The newest packaging wheel from PyPI that a Python version can run (the test environment's own may need a
    newer Python than the oldest ones here: packaging 26.4 uses `match`)."""

    def get(minor: str) -> Path:
        def download(dest: Path) -> None:
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
            subprocess.run(cmd + ["--python-version", minor, "-d", str(dest), "packaging"], check=True)

        return next(made_once(tmp_path_factory, "packaging-" + minor, download).glob("packaging-*.whl"))

    return get


def _without_bare_platform(tags: list) -> list:
    """The tags less the bare `linux_<arch>` ones: packaging 26.4 ranks those first in each group, 26.2 after the
    manylinux ones; the template keeps 26.2's order (it matters only for a locally built wheel beside a manylinux
    one of the same package), and the set is the same."""
    return [t for t in tags if not re.search(r"-linux_[^-]+$", t)]


@pytest.mark.parametrize("minor", PYENV_VERSIONS)
def test_template_tags_match_packaging(tmp_path, minor, packaging_wheel):
    """The bootstrap's stdlib sys_tags() lists exactly packaging.tags.sys_tags(), in order, on every Python here."""
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    code = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('bt', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "from packaging.tags import sys_tags\n"
        "print(json.dumps([[str(t) for t in sys_tags()], m.sys_tags()]))\n"
    )
    env = offline_env(PYTHONPATH=str(packaging_wheel(minor)))
    proc = subprocess.run([str(exe), "-c", code, str(TEMPLATE)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    want, got = json.loads(proc.stdout)
    assert len(want) > 100 and sorted(got) == sorted(want)
    assert _without_bare_platform(got) == _without_bare_platform(want)


@pytest.mark.slow
def test_wheels_are_stored_once_and_listed_per_target(two_targets, wheelhouse, legacy_wheelhouse, tmp_path):
    meta = json.loads(splice_bundle("inspect", str(two_targets), "--json").stdout)
    assert [t["name"] for t in meta["targets"]] == ["chatgpt", "chatgpt-legacy"]
    files = [w["file"] for w in meta["wheels"]]
    assert len(files) == len(set(files)) == 4  # splice and tabulate shared, markupsafe once per Python
    serves = {w["file"]: w["targets"] for w in meta["wheels"]}
    assert serves["tabulate-0.9.0-py3-none-any.whl"] == ["chatgpt", "chatgpt-legacy"]
    assert serves["splice-0.1.0-py3-none-any.whl"] == ["chatgpt", "chatgpt-legacy"]
    ms = {f: t for f, t in serves.items() if f.lower().startswith("markupsafe")}
    assert sorted(ms.values()) == [["chatgpt"], ["chatgpt-legacy"]]
    assert any("cp38" in f for f, t in ms.items() if t == ["chatgpt-legacy"])
    # each target's own wheels are a compressed stream of their own: a cold start decompresses only its groups
    groups = [(g["targets"], g["start"], g["end"]) for g in meta["groups"]]
    assert [g[0] for g in groups] == [["chatgpt", "chatgpt-legacy"], ["chatgpt"], ["chatgpt-legacy"]]
    assert groups[0][1] == 0 and groups[-1][2] == meta["size"]  # contiguous, covering the whole payload
    assert all(a[2] == b[1] for a, b in zip(groups, groups[1:]))
    text = splice_bundle("inspect", str(two_targets)).stdout
    assert "2 targets" in text and "target chatgpt-legacy (cp 3.8" in text and "all targets" in text
    # reproducible: same inputs, same bytes
    again = tmp_path / "two_targets.py"
    assert _build_two(again, wheelhouse, legacy_wheelhouse).returncode == 0
    assert again.read_bytes() == two_targets.read_bytes()


@pytest.mark.slow
def test_verify_checks_one_target_or_all(two_targets):
    ok = splice_bundle("verify", str(two_targets))
    assert ok.returncode == 0 and "chatgpt-legacy" in ok.stdout, ok.stderr
    one = splice_bundle("verify", str(two_targets), "--target", "chatgpt-legacy")
    assert one.returncode == 0 and "all runnable on chatgpt-legacy (cp 3.8" in one.stdout
    arm = splice_bundle("verify", str(two_targets), "--target", "aarch64")
    assert arm.returncode == 1 and "does not run on aarch64" in arm.stderr
    unknown = splice_bundle("verify", str(two_targets), "--target", "nope")
    assert unknown.returncode == 2 and "the bundle has chatgpt, chatgpt-legacy" in unknown.stderr
    assert "Traceback" not in unknown.stderr


@pytest.mark.slow
@pytest.mark.parametrize("minor,target", [("3.11", "chatgpt"), ("3.8", "chatgpt-legacy"), ("3.12", None)])
def test_import_picks_the_target_that_fits(tmp_path, two_targets, minor, target):
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    py = make_venv(tmp_path / "venv", python=str(exe))
    cache = tmp_path / "cache"
    env = offline_env(cache)
    body = "import markupsafe._speedups, tabulate, json\nprint(json.dumps(B.info()['target']))"
    proc = run_offline([py, "-c", import_snippet(two_targets, body)], env)
    if target:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.strip().splitlines()[-1]) == target
        assert "skipped" not in proc.stderr
        return
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode != 0
    assert "no target of this bundle fits this interpreter (cp312-cp312-" in last
    assert "the bundle has: chatgpt (cp 3.11" in last and "chatgpt-legacy (cp 3.8" in last
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.startswith(".")]  # nothing extracted


@pytest.mark.slow
def test_flags_make_one_target_per_python_version(tmp_path, wheelhouse):
    out = tmp_path / "versions.py"
    proc = splice_bundle(
        "build", "--no-payload", "tabulate", "--find-links", str(wheelhouse), "--python-version", "3.10",
        "--python-version", "3.12", "--platform", "manylinux2014_x86_64", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(splice_bundle("inspect", str(out), "--json").stdout)
    assert [(t["name"], t["abis"]) for t in meta["targets"]] == [("custom-3.10", []), ("custom-3.12", [])]
    assert len(meta["wheels"]) == 1 and meta["wheels"][0]["targets"] == ["custom-3.10", "custom-3.12"]
    clash = splice_bundle("build", "--target", "chatgpt", "--target", "aarch64", "--python-version", "3.12")
    assert clash.returncode == 2 and "at most one" in clash.stderr and "Traceback" not in clash.stderr


@pytest.mark.slow
def test_pyodide_build_refuses_binary_packages_in_one_line(tmp_path, wheelhouse):
    whl = next(p for p in wheelhouse.glob("*.whl") if p.name.lower().startswith("markupsafe-"))
    added = splice_bundle("build", "--add", str(whl), "--target", "pyodide", "-o", str(tmp_path / "a.py"))
    error = [line for line in added.stderr.splitlines() if line.startswith("Error")]
    assert added.returncode == 1 and len(error) == 1
    assert (
        "markupsafe (MarkupSafe-2.1.5-cp311" in error[0]
        and "neither a pure wheel nor one built for pyodide" in error[0]
    )
    fetched = splice_bundle(
        "build", "markupsafe", "--find-links", str(wheelhouse), "--target", "pyodide", "-o", str(tmp_path / "b.py")
    )
    error = [line for line in fetched.stderr.splitlines() if line.startswith("Error")]
    assert fetched.returncode == 1 and error == [
        "Error: markupsafe has no pure wheel and none built for pyodide (pyemscripten_2026_0_wasm32): "
        "it cannot go into a WebAssembly bundle"
    ]
    assert not (tmp_path / "a.py").exists() and not (tmp_path / "b.py").exists()


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info < (3, 9), reason="cyclonedx-python-lib needs Python 3.9+")
def test_sbom_is_valid_cyclonedx_with_every_wheel(two_targets):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    proc = splice_bundle("inspect", str(two_targets), "--sbom")
    assert proc.returncode == 0, proc.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(proc.stdout) is None
    sbom = json.loads(proc.stdout)
    meta = json.loads(splice_bundle("inspect", str(two_targets), "--json").stdout)
    comps = {c["bom-ref"]: c for c in sbom["components"]}
    assert set(comps) == {w["file"] for w in meta["wheels"]}
    for w in meta["wheels"]:
        c = comps[w["file"]]
        assert (c["name"], c["version"]) == (w["name"], w["version"])
        assert c["purl"].startswith("pkg:pypi/%s@%s?file_name=" % (w["name"], w["version"]))
        assert c["hashes"] == [{"alg": "SHA-256", "content": w["sha256"]}]  # the hash inspect --json shows
    top = sbom["metadata"]["component"]
    assert top["name"] == "two_targets"
    assert top["hashes"][0]["content"] == hashlib.sha256(two_targets.read_bytes()).hexdigest()
    deps = {d["ref"]: d.get("dependsOn", []) for d in sbom["dependencies"]}
    assert sorted(deps[top["bom-ref"]]) == sorted(comps)
    assert splice_bundle("inspect", str(two_targets), "--sbom").stdout == proc.stdout  # same bundle, same SBOM
