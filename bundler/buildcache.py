"""The build cache: a local project's wheel, kept under a key of everything the build reads, so building the same
project again is a file copy. Builds are reproducible (SOURCE_DATE_EPOCH, sorted members), so a wheel taken from
the cache is byte for byte the wheel a rebuild makes; pex and shiv keep a cache of the same kind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from bundler.resources import tomllib

ENV = "SPLICE_BUNDLE_CACHE"
FORMAT = "splice-bundle wheel cache 1"  # part of every key: a change of layout or key starts a new cache
BUILD_TOOLS = ("build", "setuptools", "wheel", "packaging")  # what `python -m build --no-isolation` runs on


def default_dir() -> Path:
    """SPLICE_BUNDLE_CACHE, else the user cache folder ($XDG_CACHE_HOME or ~/.cache)/splice-bundle."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "splice-bundle"


def _installed(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _declared_requires(tree: Path) -> List[str]:
    """The names in [build-system] requires: the backend and its plugins, run as installed here (no isolation)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        with open(tree / "pyproject.toml", "rb") as f:
            requires = tomllib.load(f).get("build-system", {}).get("requires", [])
    except (OSError, tomllib.TOMLDecodeError):
        return []
    names = []
    for line in requires if isinstance(requires, list) else []:
        try:
            names.append(Requirement(str(line)).name)
        except InvalidRequirement:
            names.append(str(line))
    return names


def tools(tree: Path) -> List[Tuple[str, str]]:
    """Everything outside the tree that shapes the wheel: this Python, its platform, and the installed versions of
    the build frontend and of the backend the project declares."""
    names = sorted(set(BUILD_TOOLS) | set(_declared_requires(tree)))
    return [("python", sys.version), ("platform", sysconfig.get_platform())] + [(n, _installed(n)) for n in names]


def key(tree: Path, source_date_epoch: int, tools: List[Tuple[str, str]]) -> str:
    """sha256 of the format, the epoch, the tools, and every file of the tree (relative path and bytes, in sorted
    order): the tree is the clean copy the build reads, so what it leaves out is left out of the key too."""
    digest = hashlib.sha256()

    def feed(*parts: str) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape")
            digest.update(b"%d:" % len(data) + data)

    feed(FORMAT, str(source_date_epoch), *("%s=%s" % t for t in tools))
    files = sorted(p for p in tree.rglob("*") if p.is_file() or p.is_symlink())
    for path in files:
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        kind = "link" if path.is_symlink() else "exec" if os.access(path, os.X_OK) else "file"  # the mode goes in
        feed(path.relative_to(tree).as_posix(), kind)
        digest.update(b"%d:" % len(data) + data)
    return digest.hexdigest()


def lookup(cache: Path, entry: str) -> Optional[Path]:
    """The cached wheel, or None. An entry folder appears whole (a rename), so one that exists is complete; one
    damaged since (not one readable zip) is removed, so the build that follows stores a good one."""
    folder = cache / "wheels" / entry
    found = sorted(folder.glob("*.whl"))
    if len(found) == 1 and _readable(found[0]):
        return found[0]
    if found:
        shutil.rmtree(folder, ignore_errors=True)
    return None


def _readable(wheel: Path) -> bool:
    """Whether every member of the zip reads back with its CRC (a wheel of splice's size: milliseconds)."""
    import zipfile

    try:
        with zipfile.ZipFile(wheel) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def store(cache: Path, entry: str, wheel: Path) -> None:
    """Put the wheel in the cache: copied into a temporary folder beside the entry, then renamed into place, so a
    concurrent build never sees half a wheel. Another build storing the same entry first is no error: same bytes."""
    root = cache / "wheels"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=str(root)))
    try:
        shutil.copy2(wheel, tmp / wheel.name)
        try:
            os.replace(tmp, root / entry)
        except OSError:
            if lookup(cache, entry) is None:
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def locked(cache: Path, entry: str) -> Iterator[None]:
    """Hold the entry's lock while looking it up and building: a second build of the same project waits for the
    first and copies its wheel instead of building it again. Where no lock can be had (no fcntl, a cache that
    cannot be written), builds just do not wait for each other."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        (cache / "locks").mkdir(parents=True, exist_ok=True)
        handle = open(cache / "locks" / entry, "a")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()
