"""What the whole suite shares: the real wheels and bundles (made once per run, whichever xdist worker asks first),
which tests count as slow, and which must run on one worker in file order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import pytest

from helpers import REPO, made_once, run_folder, splice_bundle

sys.path.insert(0, str(REPO / "payload" / "src"))


def _room_in_memory(shm: Path) -> bool:
    """Whether `shm` is a tmpfs that can hold a run: not noexec (the venvs' scripts and compiled extensions run from
    there), 2 GiB free in it, and 4 GiB of memory available (tmpfs pages are never simply dropped)."""
    try:
        mounted = Path("/proc/self/mounts").read_text().split("\n")
        fs = os.statvfs(shm)
        meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        available = int(meminfo["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return False
    if not any(line.split()[1:3] == [str(shm), "tmpfs"] for line in mounted if line.strip()):
        return False
    if fs.f_flag & getattr(os, "ST_NOEXEC", 0) or not os.access(shm, os.W_OK):
        return False  # Docker's /dev/shm is noexec
    return fs.f_bavail * fs.f_frsize >= 2 << 30 and available >= 4 << 30  # a container's 64 MB /dev/shm: no


def _scratch_in_memory() -> Optional[Path]:
    """Put the run's temporary files (pytest's tmp_path, and TMPDIR for every process the tests start) on a RAM
    filesystem when there is one with room: the suite makes and removes hundreds of thousands of files (venvs, wheel
    installs, bundle extractions), and on this machine's ext4 disk creating a file cost 0.03-0.8 ms of system CPU
    (the more files a folder had seen removed, the more), against 0.01 ms on tmpfs.
    SPLICE_TEST_TMPDIR=<folder> picks another folder, SPLICE_TEST_TMPDIR=disk keeps the default; a TMPDIR the
    developer set is kept. Set here, at the conftest's import, so xdist's workers inherit it (pytest_configure then
    moves TMPDIR into the run's own folder). Returns the folder."""
    chosen = os.environ.get("SPLICE_TEST_TMPDIR", "")
    getuid = getattr(os, "getuid", None)
    if chosen == "disk" or (os.environ.get("TMPDIR") and not chosen) or getuid is None:
        return None
    if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("TMPDIR"):
        return None  # a worker keeps the folder its controller chose (inside the run's own)
    if not chosen:
        shm = Path("/dev/shm")
        if not _room_in_memory(shm):
            return None
        chosen = str(shm / ("splice-tests-%d" % getuid()))
    folder = Path(os.path.abspath(chosen))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.is_symlink() or folder.stat().st_uid != getuid():
            return None
    except OSError:
        return None
    _use_tmpdir(folder)
    return folder


def _use_tmpdir(folder: Path) -> None:
    """The temporary folder of this process (tempfile caches its choice) and of every process it starts."""
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)


SCRATCH = _scratch_in_memory()


def _temporary_files_in_the_run_folder(config) -> None:
    """With the scratch folder in memory, TMPDIR becomes a folder inside the run's own (pytest-N), before xdist
    starts its workers: what the processes the tests start leave there (their own pytest folders, mkdtemp folders
    nobody removes) goes with the run's folder at the end of a green run, instead of staying in RAM until a reboot."""
    factory = getattr(config, "_tmp_path_factory", None)
    if SCRATCH is None or factory is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    base = factory.getbasetemp()
    if SCRATCH in base.parents:
        (base / "tmp").mkdir(exist_ok=True)
        _use_tmpdir(base / "tmp")


def pytest_sessionfinish(session, exitstatus) -> None:
    """A green run leaves nothing in the in-memory scratch folder (see _temporary_files_in_the_run_folder): pytest
    keeps the folders of the last three runs, which on a disk cost nothing, here about 400 MB of memory each. A
    failed run's stays to be looked at. Only the process that made the run's folder removes it (xdist's controller)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if SCRATCH is None or exitstatus != 0 or os.environ.get("PYTEST_XDIST_WORKER") or factory is None:
        return
    base = getattr(factory, "_basetemp", None)  # None: no folder was made (getbasetemp() would make one)
    if base is not None and SCRATCH in base.parents:
        shutil.rmtree(base, ignore_errors=True)


# Fixtures that download real wheels or build bundles and dists: a test that takes one is an integration test.
BUILT = {
    "wheelhouse", "old_wheelhouse", "bundle", "small_bundle", "legacy_wheelhouse", "two_targets", "packaging_wheel",
    "wasm_bundle", "pyodide_dir", "dists", "locks", "echo_bundle", "server_bundle",
}  # fmt: skip


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: two workers per core. Most tests wait on a subprocess, a kernel or the network rather than compute,
    so one worker per core leaves the cores idle half the time. PYTEST_XDIST_AUTO_NUM_WORKERS still decides when
    set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    return 2 * len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2 * (os.cpu_count() or 1)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark slow what builds, downloads or shares a module-wide kernel, server or model; keep the tests that share
    a module-scoped fixture on one xdist worker, in file order (`--dist loadgroup`), so it is made once and the
    state they build up stays theirs. Runs before xdist reads the groups."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        shared = any(d.scope in ("module", "class", "package") for ds in defs for d in ds)
        if shared or BUILT & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if shared and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.hookimpl(trylast=True)  # after pytest's own tmp_path plugin has made its factory
def pytest_configure(config) -> None:
    """`--dist loadgroup` under pytest 9.2+: its structured node ids drop xdist's `@group` suffix (xdist #1386), so a
    module's tests would run beside their shared kernel or server on other workers and fail for no fault of their
    own. Say so in one line instead (the test extra pins pytest<9.2). Then, before xdist starts its workers: the
    temporary files into the run's folder, the asserts rewritten once."""
    grouped = config.getoption("dist", None) == "loadgroup" and config.getoption("numprocesses", None)
    if grouped and tuple(pytest.version_tuple[:2]) >= (9, 2):
        raise pytest.UsageError("pytest %s drops xdist's test groups (pytest-xdist #1386): install the test extra "
                                "(pytest<9.2), or run in one process: -n 0" % pytest.__version__)
    _temporary_files_in_the_run_folder(config)
    if config.getoption("numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        try:
            _rewrite_once(config)
        except Exception:  # only a speed-up: the workers rewrite what it did not
            pass


def _rewrite_once(config) -> None:
    """Rewrite the asserts of this suite's test modules once, in xdist's controller before it starts its workers,
    into pytest's own cache (`__pycache__/*-pytest-*.pyc`, which pytest reads even under PYTHONDONTWRITEBYTECODE): in
    a fresh clone every worker rewrote every module it collected, at the same time, about 2 s of CPU each. Only the
    files under tests/ that the run's arguments reach. Uses pytest's internals; where they differ, the workers
    rewrite as before."""
    from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc, assertstate_key, get_cache_dir

    if config.getoption("assertmode", "rewrite") != "rewrite":
        return
    state = config.stash[assertstate_key]
    here = Path(__file__).parent
    patterns = config.getini("python_files") + ["conftest.py"]
    for arg in config.args or [str(config.rootpath)]:
        folder = Path(os.path.abspath(str(arg).split("::")[0]))
        if folder in here.parents:
            folder = here  # the repository, or above: only tests/
        elif folder != here and here not in folder.parents:
            continue
        files = [folder] if folder.is_file() else [p for pat in patterns for p in folder.rglob(pat)]
        for path in sorted(set(files)):
            cache = get_cache_dir(path)
            pyc = cache / (path.name[:-3] + PYC_TAIL)
            if path.suffix != ".py" or "__pycache__" in path.parts or _read_pyc(path, pyc) is not None:
                continue
            try:
                cache.mkdir(parents=True, exist_ok=True)
                source_stat, code = _rewrite_test(path, config)
                _write_pyc(state, code, source_stat, pyc)
            except (OSError, SyntaxError, TypeError, ValueError):
                continue  # the worker that collects it says what is wrong


@pytest.fixture(scope="session", autouse=True)
def _child_process_environment(tmp_path_factory) -> Iterator[None]:
    """What the processes the tests start inherit, set in each test process after its own plugins loaded (never
    before xdist starts its workers), and put back at the end:

    - the pytest runs on small generated projects (directly or through splice.test, the CLI, the magics, a kernel or
      the MCP server) load no third-party plugins of the test environment (PYTEST_DISABLE_PLUGIN_AUTOLOAD): they
      need none, and xdist, hypothesis, anyio and platformdirs cost each run about 0.25 s of CPU, a quarter of a
      small run. splice's own plugin comes with `-p` or PYTEST_PLUGINS, as for a user;
    - Python writes its bytecode caches (PYTHONDONTWRITEBYTECODE removed, as on a stock machine): with it set, each
      of the hundreds of child Pythons compiled splice's modules again;
    - splice-bundle's build cache is a folder of this test run that every xdist worker shares
      (SPLICE_BUNDLE_CACHE), never the developer's: the payload wheel is built once per run, then copied."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPLICE_BUNDLE_CACHE", str(run_folder(tmp_path_factory) / "bundle-cache"))
        mp.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        yield


def _download(folder: Path, *reqs: str) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", "-q", "-d", str(folder)]
    subprocess.run(cmd + list(reqs), check=True)


def _build(out: Path, *args: str) -> None:
    """Build with the CLI, keeping what it printed beside the bundle (build.stdout, build.stderr) for the tests of
    the summary, which need no build of their own."""
    proc = splice_bundle("build", *args, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (out.parent / "build.stdout").write_text(proc.stdout)
    (out.parent / "build.stderr").write_text(proc.stderr)


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
