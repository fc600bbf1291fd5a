"""The build pipeline: payload wheel → downloaded wheels → compatibility → payload tar → bundle .py."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bundler import __version__, buildcache
from bundler.archive import ZIP_EPOCH, file_entries, write_payload
from bundler.locks import fetch_locked, is_lock
from bundler.render import header, render, runtime
from bundler.resources import DEFAULT_OUTPUT, payload_dir, tomllib
from bundler.targets import Target, incompatible
from bundler.wheels import BuildError, WheelInfo, build_project, download, is_project


@dataclass
class BuildOptions:
    requirements: Sequence[str] = ()
    requirement_files: Sequence[Path] = ()
    find_links: Sequence[Path] = ()
    add: Sequence[Path] = ()
    payload: Optional[Path] = field(default_factory=payload_dir)  # None: no splice payload
    output: Path = DEFAULT_OUTPUT
    targets: Sequence[Target] = (Target(),)  # several: each distinct wheel stored once, the bootstrap picks one
    compression: str = "gz"
    extensions: Sequence[str] = ()
    extras: Sequence[str] = ()  # extras of the splice payload whose requirements are packed too (mcp: a server)
    cache: Optional[Path] = field(default_factory=buildcache.default_dir)  # None: build local projects afresh

    @property
    def target(self) -> Target:
        return self.targets[0]


@dataclass
class BuildResult:
    output: Path
    wheels: List[WheelInfo]
    files: List[str]
    payload_size: int
    final_size: int
    cold_seconds: float  # the slowest target's
    meta: Dict
    cold_by_target: Dict[str, float] = field(default_factory=dict)
    served: Dict[str, List[str]] = field(default_factory=dict)  # wheel file -> the targets it serves

    @property
    def wheel_total(self) -> int:
        return sum(w.size for w in self.wheels)


def source_date_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return ZIP_EPOCH
    try:
        return max(int(value), ZIP_EPOCH)
    except ValueError:
        raise BuildError("SOURCE_DATE_EPOCH must be an integer, not %r" % value) from None


def module_name(output: Path) -> str:
    name = output.name[:-3] if output.name.endswith(".py") else ""
    if not name.isidentifier():
        raise BuildError("output %s must be NAME.py with NAME a Python identifier (it is imported)" % output)
    return name


def extra_requirements(payload: Optional[Path], extras: Sequence[str], target: Target) -> List[str]:
    """The requirements of the payload's extras (`splice[mcp]`) that apply on the target, markers judged there."""
    if not extras:
        return []
    if payload is None:
        raise BuildError("--extra %s names extras of the splice payload; it is left out (--no-payload)" % extras[0])
    from packaging.requirements import Requirement

    with open(payload / "pyproject.toml", "rb") as f:
        declared = tomllib.load(f).get("project", {}).get("optional-dependencies", {})
    env = target.marker_environment()
    out: List[str] = []
    for extra in extras:
        if extra not in declared:
            raise BuildError("splice has no extra %r; it has: %s" % (extra, ", ".join(sorted(declared))))
        for line in declared[extra]:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(env):
                req.marker = None
                out.append(str(req))
    return out


def _collect(
    opts: BuildOptions, work: Path, progress: Callable[[str], None], epoch: int
) -> Tuple[List[WheelInfo], List[Path], Dict[str, List[str]]]:
    """Every distinct wheel once (sorted by file name), the plain files, and each target's wheel files."""
    wheels: List[Path] = []
    plain: List[Path] = []
    if opts.payload is not None:
        if not is_project(opts.payload):
            raise BuildError("payload project not found at %s" % opts.payload)
        wheels.append(build_project(opts.payload, work / "local", progress, epoch, opts.cache))
    for path in opts.add:
        if not path.exists():
            raise BuildError("--add %s: no such file or folder" % path)
        if path.suffix == ".whl":
            wheels.append(path)
        elif is_project(path):
            wheels.append(build_project(path, work / "local", progress, epoch, opts.cache))
        else:
            plain.append(path)
    local = [WheelInfo.read(p) for p in wheels]
    names = [t.name for t in opts.targets]
    if len(set(names)) != len(names):
        raise BuildError("two targets named %s: give each once" % next(n for n in names if names.count(n) > 1))
    by_file: Dict[str, WheelInfo] = {}
    per_target: Dict[str, List[str]] = {}
    for i, target in enumerate(opts.targets):
        # one folder per target: pip resolves each on its own, and a file both fetch is stored once below
        fetched = _fetch(opts, target, work / ("t%d" % i), progress)
        by_name: Dict[str, WheelInfo] = {}
        for info in local + [WheelInfo.read(p) for p in fetched]:
            other = by_name.setdefault(info.name, info)
            if other is not info and other.path.name != info.path.name:
                raise BuildError("two wheels for %s: %s and %s" % (info.name, other.path.name, info.path.name))
        bad = [reason for reason in (incompatible(w.path.name, target) for w in by_name.values()) if reason]
        if len(bad) == 1:
            raise BuildError(bad[0])
        if bad:
            raise BuildError("incompatible wheels for the target:\n  " + "\n  ".join(bad))
        for info in by_name.values():
            same = by_file.setdefault(info.path.name, info)
            if same.sha256 != info.sha256:
                raise BuildError("two different files named %s (targets fetched different bytes)" % info.path.name)
        per_target[target.name] = sorted(w.path.name for w in by_name.values())
    return sorted(by_file.values(), key=lambda w: w.path.name), plain, per_target


def _fetch(opts: BuildOptions, target: Target, work: Path, progress: Callable[[str], None]) -> List[Path]:
    requirements = list(opts.requirements) + extra_requirements(opts.payload, opts.extras, target)
    locks = [f for f in opts.requirement_files if is_lock(f)]
    if locks:
        unlocked = requirements + [str(f) for f in opts.requirement_files if f not in locks]
        if unlocked:
            raise BuildError("a lock file packs exactly what it locks: add %s to the lock" % ", ".join(unlocked))
        return fetch_locked(locks, opts.find_links, target, work / "locked", progress)
    return download(requirements, opts.requirement_files, opts.find_links, target, work / "downloaded", progress)


def measure_cold(text: str, meta: Dict) -> Dict[str, float]:
    """Decode, verify and unpack the bundle once per target into a temporary folder: each target's cold start,
    measured here."""
    rt = runtime()
    out: Dict[str, float] = {}
    for target in meta.get("targets") or [None]:
        start = time.perf_counter()
        data = rt.decode_payload(text, meta)
        with tempfile.TemporaryDirectory(prefix="splice-measure-") as tmp:
            rt.unpack(data, meta, tmp, all_wheels=True, target=target)
            out[target["name"] if target else "host"] = time.perf_counter() - start
    return out


def build(opts: BuildOptions, progress: Callable[[str], None] = lambda msg: None) -> BuildResult:
    name = module_name(opts.output)
    epoch = source_date_epoch()
    with tempfile.TemporaryDirectory(prefix="splice-bundle-") as tmp:
        wheels, plain, per_target = _collect(opts, Path(tmp), progress, epoch)
        files = file_entries(plain)
        extensions = list(opts.extensions) or (["splice"] if opts.payload is not None else [])
        manifest = {
            "format": 1,
            "name": name,
            "builder": "splice-bundle %s" % __version__,
            "source_date_epoch": epoch,
            "compression": opts.compression,
            "target": "; ".join(t.describe() for t in opts.targets),
            "targets": [dict(t.spec(), wheels=per_target[t.name]) for t in opts.targets],
            "extensions": extensions,
            "cheatsheet": "splice.doors.cheatsheet:text" if "splice" in extensions else None,
            "wheels": [
                dict(
                    file=w.path.name,
                    name=w.name,
                    version=w.version,
                    tags=w.tags,
                    size=w.size,
                    data_dir=w.data_dir,
                    dist_info=w.dist_info,
                    top_level=w.top_level,
                    members=w.members,
                    sha256=w.sha256,
                )
                for w in wheels
            ],
            "files": sorted(n for n, _ in files),
        }
        progress("writing payload (%d wheels, %d files, %s)" % (len(wheels), len(files), opts.compression))
        served = {w.path.name: [t.name for t in opts.targets if w.path.name in per_target[t.name]] for w in wheels}
        names = [t.name for t in opts.targets]
        payload, groups = write_payload(manifest, wheels, files, opts.compression, epoch, served, names)
        meta = header(manifest, payload)
        if groups:  # where each target's wheels are: the bootstrap decompresses only those (header only)
            meta["groups"] = groups
        text = render(meta, payload)
        opts.output.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = opts.output.with_name(opts.output.name + ".tmp")
        tmp_out.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp_out, opts.output)
        progress("measuring cold start")
        cold = measure_cold(text, meta)
        return BuildResult(
            opts.output,
            wheels,
            [n for n, _ in files],
            len(payload),
            len(text.encode()),
            max(cold.values()),
            meta,
            cold,
            served,
        )
