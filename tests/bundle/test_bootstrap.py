"""The generated module at run time: offline install, warm cache, concurrency, corruption, hostile tars, Pythons."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from helpers import NO_NET, PYENV_VERSIONS, import_snippet, make_venv, offline_env, pyenv_python, run_offline

pytestmark = pytest.mark.slow  # a fresh venv per test, bundles imported in subprocesses


def _info(py, bundle, env, body=""):
    proc = run_offline([py, "-c", import_snippet(bundle, body + "\nimport json; print(json.dumps(B.info()))")], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def test_network_is_really_off_in_these_tests(tmp_path):
    env = offline_env(tmp_path)
    code = (
        "import urllib.request\ntry:\n urllib.request.urlopen('https://pypi.org/simple/', timeout=5)\n"
        " print('REACHED')\nexcept Exception as e:\n print('blocked', type(e).__name__)"
    )
    proc = run_offline(["python3", "-c", code], env)
    assert "blocked" in proc.stdout, proc.stdout + proc.stderr


def test_import_installs_offline_in_fresh_venv(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    body = (
        "import tabulate, markupsafe._speedups, splice, subprocess, sys\n"
        "from importlib.metadata import version\n"
        "print('in-process', version('tabulate'), markupsafe._speedups.__file__.endswith('.so'))\n"
        "r = subprocess.run([sys.executable, '-c', 'import tabulate, markupsafe; print(tabulate.__version__)'],"
        " capture_output=True, text=True); print('subprocess', r.stdout.strip(), r.stderr[-200:])\n"
        "r = subprocess.run(['tabulate', '--help'], capture_output=True, text=True)\n"
        "print('script', r.returncode, 'usage' in r.stdout.lower())\n"
        "import os; print('plugins', os.environ.get('PYTEST_PLUGINS'))\n"
        "r = subprocess.run([sys.executable, '-c', 'import splice_suspects, importlib.util as u;"
        " print(u.find_spec(splice_suspects._NAME).origin)'],"
        " capture_output=True, text=True); print('shim', r.stdout.strip(), r.stderr[-200:])\n"
    )
    info, proc = _info(py, bundle, env, body)
    # outside IPython the import switches the pytest plugin on itself; a pytest started from here would load it
    assert "plugins splice_suspects" in proc.stdout
    assert re.search(r"shim \S+/splice/testing/pytest_suspects\.py", proc.stdout), proc.stdout
    assert "in-process 0.9.0 True" in proc.stdout
    assert "subprocess 0.9.0" in proc.stdout
    assert "script 0 True" in proc.stdout
    assert info["cold"] is True  # this process extracted
    assert "splice_bootstrap: ready (" in proc.stderr and "extracted in" in proc.stderr
    assert proc.stderr.count("\n") == 1  # outside IPython: one status line, nothing else
    # a new process with a warm cache does no extraction
    info2, proc2 = _info(py, bundle, env)
    assert info2["cold"] is False and "warm" in proc2.stderr
    # new processes that never import the bundle see the packages too (.pth in the venv)
    plain = run_offline([py, "-c", "import tabulate, splice; print('ok')"], env)
    assert plain.stdout.strip() == "ok", plain.stderr


def test_second_activation_in_same_process_is_noop(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    code = (
        "import runpy, sys\nfirst = runpy.run_path(%r)\nsecond = runpy.run_path(%r)\n"
        "print(first['activate']() is second['activate']())" % (str(bundle), str(bundle))
    )
    proc = run_offline([py, "-c", code], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_concurrent_imports_all_succeed_and_extract_once(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    code = import_snippet(bundle, "import tabulate, json; print(json.dumps(B.info()['cold']))")
    procs = [
        subprocess.Popen(
            (["unshare", "-n"] if NO_NET else []) + [str(py), "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    assert all(rc == 0 for rc, _, _ in results), results
    colds = [json.loads(out.strip()) for _, out, _ in results]
    assert colds.count(True) == 1
    entries = [p.name for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1  # one cache entry, no leftovers
    assert not [p for p in (tmp_path / "cache").iterdir() if ".tmp-" in p.name]


def test_a_deleted_package_with_only_bytecode_left_is_not_taken_for_there(tmp_path, bundle):
    """The detached byte-compile after a cold start may still be running when part of the cache is deleted: it makes
    the package's folder again, with only `__pycache__` in it. That folder is not the package: the entry is redone."""
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache", SPLICE_NO_COMPILE="1")
    _info(py, bundle, env)
    entry = next(p for p in (tmp_path / "cache").iterdir() if not p.name.startswith("."))
    shutil.rmtree(entry / "site" / "tabulate")
    (entry / "site" / "tabulate" / "__pycache__").mkdir(parents=True)  # what a compile still running writes
    (entry / "site" / "tabulate" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"")
    info, proc = _info(py, bundle, env, "import tabulate")
    assert info["cold"] is True, proc.stderr


def test_half_deleted_cache_is_detected_and_redone(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    _info(py, bundle, env)
    entry = next(p for p in (tmp_path / "cache").iterdir() if not p.name.startswith("."))
    shutil.rmtree(entry / "site" / "tabulate")
    info, _ = _info(py, bundle, env, "import tabulate")
    assert info["cold"] is True
    # a half-written extraction (no completion record) is never taken for done
    (entry / ".complete").unlink()
    info, _ = _info(py, bundle, env, "import tabulate")
    assert info["cold"] is True


@pytest.mark.parametrize("damage", ["flip", "truncate", "truncate-before-payload"])
def test_damaged_bundle_extracts_nothing(tmp_path, bundle, damage):
    text = bundle.read_text()
    bad = tmp_path / "splice_bootstrap.py"
    if damage == "flip":
        lines = text.splitlines(keepends=True)
        lines[-2] = lines[-2][:100] + ("Q" if lines[-2][100] != "Q" else "R") + lines[-2][101:]
        bad.write_text("".join(lines))
    elif damage == "truncate":
        bad.write_text(text[: len(text) - len(text) // 3])
    else:
        bad.write_text(text[: text.index("\n# ---- splice payload")])
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    proc = run_offline([py, "-c", import_snippet(bad)], env)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    expected = {"flip": "sha256", "truncate": "truncated", "truncate-before-payload": "truncated"}[damage]
    assert expected in last and last.startswith("splice_bootstrap.BundleError: splice_bootstrap:")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    cli = run_offline([py, str(bad), "--info"], env)
    assert cli.returncode == 2 and len(cli.stderr.strip().splitlines()) == 1


def _hostile_bundle(tmp_path: Path, bundle: Path, entry: str) -> Path:
    from bundler import render

    rt = render.runtime()
    meta = rt.parse_header(bundle.read_text())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        if entry == "symlink":
            info = tarfile.TarInfo("files/link")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        else:
            data = b"owned"
            info = tarfile.TarInfo(entry)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    import gzip

    payload = gzip.compress(raw.getvalue())
    manifest = {k: v for k, v in meta.items() if k not in ("sha256", "size", "b64_len")}
    manifest.update(wheels=[], files=["x"], name="hostile")
    out = tmp_path / "hostile.py"
    out.write_text(render.render(render.header(manifest, payload), payload))
    return out


@pytest.mark.parametrize("entry", ["files/../../evil.txt", "/tmp/evil-abs.txt", "symlink"])
def test_hostile_tar_entries_are_refused(tmp_path, bundle, entry):
    hostile = _hostile_bundle(tmp_path, bundle, entry)
    py = make_venv(tmp_path / "venv")
    cache = tmp_path / "deep" / "cache"
    env = offline_env(cache)
    proc = run_offline([py, "-c", import_snippet(hostile)], env)
    assert proc.returncode != 0
    assert "bundle refused" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "deep" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not Path("/tmp/evil-abs.txt").exists()
    assert not [p for p in cache.iterdir() if not p.name.startswith(".")]  # nothing counted as done
    assert not [p for p in cache.iterdir() if ".tmp-" in p.name]  # the temporary folder is cleaned up


def test_unwritable_home_falls_back_to_temp(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = offline_env(None, HOME=str(blocker / "home"), TMPDIR=str(tmpdir))
    env.pop("XDG_CACHE_HOME", None)
    info, _ = _info(py, bundle, env, "import tabulate")
    assert info["folder"].startswith(str(tmpdir / "splice-cache-"))


@pytest.mark.parametrize("minor", PYENV_VERSIONS)
def test_bootstrap_on_each_python(tmp_path, bundle, minor):
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip("Python %s is not installed here" % minor)
    py = make_venv(tmp_path / "venv", python=str(exe))
    env = offline_env(tmp_path / "cache")
    info, proc = _info(py, bundle, env, "import tabulate, splice")
    skipped = [s.lower() for s in info["skipped"]]
    if minor == "3.11":
        assert skipped == []
        assert run_offline([py, "-c", "import markupsafe._speedups"], env).returncode == 0
    else:
        assert len(skipped) == 1 and skipped[0].startswith("markupsafe-2.1.5-cp311")
        assert "skipped incompatible" in proc.stderr


def test_runtime_api_extract_and_uninstall(tmp_path, bundle):
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    out = run_offline([py, str(bundle), "--extract-to", str(tmp_path / "x"), "--json"], env)
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "x" / "wheels").glob("*.whl"))) == 3
    assert run_offline([py, str(bundle)], env).returncode == 0
    site = Path(
        run_offline([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env).stdout.strip()
    )
    assert (site / "splice_bundle_splice_bootstrap.pth").exists()
    gone = run_offline([py, str(bundle), "--uninstall", "--json"], env)
    assert gone.returncode == 0, gone.stderr
    assert not (site / "splice_bundle_splice_bootstrap.pth").exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert run_offline([py, "-c", "import tabulate"], env).returncode != 0


def test_files_and_local_projects_are_shipped(tmp_path, wheelhouse):
    from helpers import splice_bundle

    project = tmp_path / "proj"
    (project / "src" / "helperpkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires=["setuptools>=61"]\nbuild-backend="setuptools.build_meta"\n'
        '[project]\nname="helperpkg"\nversion="1.2"\n[tool.setuptools.packages.find]\nwhere=["src"]\n'
    )
    (project / "src" / "helperpkg" / "__init__.py").write_text("ANSWER = 42\n")
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "sub" / "data.csv").write_text("a,b\n1,2\n")
    (notes / "tool.py").write_text("X = 'plain file'\n")
    out = tmp_path / "mybundle.py"
    proc = splice_bundle("build", "--no-payload", "--add", str(project), "--add", str(notes), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    py = make_venv(tmp_path / "venv")
    env = offline_env(tmp_path / "cache")
    info, run = _info(py, out, env, "import helperpkg, os\nprint(helperpkg.ANSWER, os.environ['SPLICE_BUNDLE_FILES'])")
    files = Path(info["files"])
    assert (files / "notes" / "sub" / "data.csv").read_text() == "a,b\n1,2\n"
    assert run.stdout.startswith("42 " + str(files))


def test_pip_mode_installs_into_the_environment(tmp_path, bundle):
    py = make_venv(tmp_path / "venv", with_pip=True)
    env = offline_env(tmp_path / "cache", SPLICE_INSTALL_MODE="pip")
    info, _ = _info(py, bundle, env, "import tabulate")
    assert info["mode"] == "pip"
    listed = run_offline([py, "-m", "pip", "list", "--format", "json"], env)
    names = {d["name"].lower(): d["version"] for d in json.loads(listed.stdout)}
    assert names.get("tabulate") == "0.9.0" and names.get("splice") == "0.1.0"


def test_preinstalled_versions_are_kept_unless_replace(tmp_path, bundle, old_wheelhouse):
    py = make_venv(tmp_path / "venv", with_pip=True)
    env = offline_env(tmp_path / "cache")
    old = next(old_wheelhouse.glob("*.whl"))
    assert run_offline([py, "-m", "pip", "install", "-q", "--no-index", str(old)], env).returncode == 0
    info, proc = _info(py, bundle, env, "import tabulate; print('using', tabulate.__version__)")
    assert "using 0.8.10" in proc.stdout
    assert "kept preinstalled tabulate 0.8.10 (bundle has 0.9.0)" in proc.stderr
    env_replace = dict(env, SPLICE_POLICY="replace")
    info, proc = _info(py, bundle, env_replace, "import tabulate; print('using', tabulate.__version__)")
    assert info["mode"] == "pip" and "using 0.9.0" in proc.stdout
