"""Lock files: a PEP 751 pylock.toml, or a requirements file with --hash lines (pip-compile / uv --generate-hashes).

A lock names exact versions and the hashes of their files. The bundle packs the locked wheels that apply to the
target and nothing else, fetched from the lock's URLs, --find-links folders or the index, and every one is checked
against its locked hash before anything is written.
"""

from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from packaging.pylock import PackageWheel, Pylock, PylockSelectError, PylockValidationError
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from bundler.resources import tomllib
from bundler.targets import Target
from bundler.wheels import BuildError, Progress, download, file_hash

INDEX_OPTIONS = {"-i": "--index-url", "--index-url": "--index-url", "--extra-index-url": "--extra-index-url"}
INDEX_OPTIONS.update({"-f": "--find-links", "--find-links": "--find-links", "--trusted-host": "--trusted-host"})
URL_TIMEOUT = 20


@dataclass
class Locked:
    """One package a lock pins for the target."""

    name: str
    version: str
    lock: str  # the lock file's name, for messages
    hashes: List[Tuple[str, str]] = field(default_factory=list)  # requirements: (algo, hex), any one accepts a file
    files: Dict[str, Dict[str, str]] = field(default_factory=dict)  # pylock: wheel file → {algo: hex}
    source: Optional[str] = None  # pylock: URL or local path of the target's best wheel
    filename: Optional[str] = None  # pylock: that wheel's file name
    extras: str = ""  # requirements: "[a,b]", so pip resolves the extra's dependencies

    @property
    def pin(self) -> str:
        return "%s%s==%s" % (self.name, self.extras, self.version)


def is_lock(path: Path) -> bool:
    """A pylock file (PEP 751: pylock.toml, pylock.NAME.toml; any .toml is read as one) or a requirements file
    with at least one --hash."""
    return path.suffix == ".toml" or "--hash" in path.read_text(encoding="utf-8")


def read_pylock(path: Path, target: Target) -> List[Locked]:
    """The packages the lock selects for the target, each with the best-fitting locked wheel (packaging.pylock)."""
    try:
        with open(path, "rb") as f:
            lock = Pylock.from_dict(tomllib.load(f))
        chosen = list(lock.select(environment=target.marker_environment(), tags=target.tags()))
    except (tomllib.TOMLDecodeError, PylockValidationError, PylockSelectError) as exc:
        raise BuildError("%s: %s (target %s)" % (path.name, exc, target.describe())) from None
    out = []
    for package, dist in chosen:
        version = str(package.version or "")
        if not isinstance(dist, PackageWheel):
            kind = {"PackageSdist": "only an sdist", "PackageVcs": "a VCS source"}.get(
                type(dist).__name__, "a %s" % type(dist).__name__[len("Package") :].lower()
            )
            raise BuildError(
                "%s: %s %s has no wheel that runs on %s (the lock offers %s; a bundle packs wheels)"
                % (path.name, package.name, version, target.describe(), kind)
            )
        source = dist.url
        if dist.path:
            source = str((path.parent / dist.path).resolve())
        out.append(
            Locked(
                name=str(package.name),
                version=version or str(parse_wheel_filename(dist.filename)[1]),
                lock=path.name,
                files={w.filename: dict(w.hashes) for w in package.wheels or ()},
                source=source,
                filename=dist.filename,
            )
        )
    return out


def _logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """(first line number, line) with comments dropped and backslash continuations joined, as pip reads them."""
    parts: List[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not parts:
            start = number
        parts.append(line[:-1] if line.endswith("\\") else line)
        if line.endswith("\\"):
            continue
        joined = " ".join(parts).strip()
        parts = []
        if joined:
            yield start, joined


def read_requirements(path: Path, target: Target) -> Tuple[List[Locked], List[str]]:
    """Pinned requirements with their hashes (requirement and marker syntax by packaging), plus index options."""
    env = target.marker_environment()
    locked: List[Locked] = []
    options: List[str] = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8")):
        where = "%s:%d" % (path.name, number)
        if line.startswith("-"):
            flag, _, value = line.replace("=", " ", 1).partition(" ")
            value = value.strip()
            if flag in ("-r", "--requirement"):
                more, more_options = read_requirements(path.parent / value, target)
                locked += more
                options += more_options
            elif flag in INDEX_OPTIONS:
                options += [INDEX_OPTIONS[flag], value]
            else:
                raise BuildError("%s: %s is not supported in a hashed requirements file" % (where, flag))
            continue
        text, *chunks = re.split(r"\s+(?=-)", line)  # the requirement, then its per-line options
        hashes = []
        for chunk in chunks:
            flag, _, value = chunk.replace("=", " ", 1).partition(" ")
            if flag != "--hash" or ":" not in value:
                raise BuildError("%s: only --hash=ALGO:HEX may follow a requirement, not %r" % (where, chunk))
            algo, _, digest = value.strip().partition(":")
            hashes.append((algo, digest))
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise BuildError("%s: %s" % (where, exc)) from None
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        pins = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        if req.url or len(req.specifier) != 1 or not pins:
            raise BuildError("%s: %s must pin one version with == to be locked" % (where, req))
        locked.append(
            Locked(
                name=canonicalize_name(req.name),
                version=pins[0],
                lock=path.name,
                hashes=hashes,
                extras="[%s]" % ",".join(sorted(req.extras)) if req.extras else "",
            )
        )
    return locked, options


def check_hash(wheel: Path, entry: Optional[Locked], locks: str) -> None:
    """One line naming the package, the expected and the actual hash when the wheel is not the locked file."""
    name, version = parse_wheel_filename(wheel.name)[:2]
    actual = "sha256:" + file_hash(wheel, "sha256")
    what = "%s %s (%s)" % (name, version, wheel.name)
    if entry is None:
        raise BuildError("%s: not in %s, so no hash to check it against; actual %s" % (what, locks, actual))
    if entry.files:
        if wheel.name not in entry.files:
            raise BuildError(
                "%s: %s lists no such file (it lists %s); actual %s"
                % (what, entry.lock, ", ".join(sorted(entry.files)), actual)
            )
        expected = sorted(entry.files[wheel.name].items())
    else:
        expected = entry.hashes
    if not expected:
        raise BuildError("%s: %s has no hash for it (expected one, got none); actual %s" % (what, entry.lock, actual))
    for algo, want in expected:
        try:
            if file_hash(wheel, algo) == want.lower():
                return
        except ValueError:  # an algorithm hashlib does not have
            continue
    raise BuildError(
        "hash mismatch: %s: %s expects %s, actual %s"
        % (what, entry.lock, " or ".join("%s:%s" % pair for pair in expected), actual)
    )


def _from_source(entry: Locked, dest: Path, dead_hosts: Set[str], progress: Progress) -> Optional[Path]:
    """The lock's own copy of the wheel (a URL or a path next to the lock), or None when it cannot be had."""
    assert entry.source and entry.filename
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / entry.filename
    if "://" not in entry.source:
        return Path(shutil.copy(entry.source, out)) if Path(entry.source).is_file() else None
    host = urllib.parse.urlsplit(entry.source).netloc
    if host in dead_hosts:
        return None
    try:
        with urllib.request.urlopen(entry.source, timeout=URL_TIMEOUT) as resp, open(out, "wb") as f:
            shutil.copyfileobj(resp, f)
        return out
    except (OSError, ValueError) as exc:
        dead_hosts.add(host)
        out.unlink(missing_ok=True)
        progress("lock URLs on %s unreachable (%s): asking the index instead" % (host or entry.source, exc))
        return None


def fetch_locked(
    lock_files: Sequence[Path], find_links: Sequence[Path], target: Target, dest: Path, progress: Progress
) -> List[Path]:
    """The locked wheels for the target, each checked against its hash. With --find-links, only those folders."""
    entries: List[Locked] = []
    options: List[str] = []
    resolve = False  # a hashed requirements file: pip resolves, and an unlisted dependency fails the hash check
    for path in lock_files:
        if path.suffix == ".toml":
            entries += read_pylock(path, target)
        else:
            more, more_options = read_requirements(path, target)
            entries += more
            options += more_options
            resolve = True
    names = ", ".join(p.name for p in lock_files)
    by_name: Dict[str, Locked] = {}
    for entry in entries:
        other = by_name.setdefault(entry.name, entry)
        if other.version != entry.version:
            raise BuildError(
                "%s locked twice: %s in %s, %s in %s"
                % (entry.name, other.version, other.lock, entry.version, entry.lock)
            )
    progress("%s: %d locked packages for %s" % (names, len(by_name), target.describe()))
    wheels: List[Path] = []
    rest: List[Locked] = []
    dead_hosts: Set[str] = set()
    for entry in by_name.values():
        local = entry.source and "://" not in entry.source
        got = (
            _from_source(entry, dest / "lock", dead_hosts, progress)
            if entry.source and (local or not find_links)
            else None
        )
        if got is None:
            rest.append(entry)
        else:
            wheels.append(got)
    if rest:
        wheels += download(
            [e.pin for e in rest],
            [],
            find_links,
            target,
            dest / "pip",
            progress,
            options + ([] if resolve else ["--no-deps"]),
        )
    for wheel in wheels:
        check_hash(wheel, by_name.get(canonicalize_name(parse_wheel_filename(wheel.name)[0])), names)
    return wheels
