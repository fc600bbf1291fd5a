"""The payload: a deterministic tar (manifest, wheel members stored uncompressed, plain files), gz or xz."""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from bundler.wheels import BuildError, WheelInfo

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest date a zip (a rebuilt wheel) can hold
SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def _tarinfo(name: str, size: int, mode: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _wheel_members(wheel: WheelInfo) -> Iterator[Tuple[str, bytes, int]]:
    """Members in the wheel's own order, so a rebuilt .whl lists them as the original did."""
    with zipfile.ZipFile(wheel.path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            unix = (info.external_attr >> 16) & 0o777
            yield info.filename, zf.read(info), 0o755 if unix & 0o111 else 0o644


def _plain_files(path: Path) -> Iterator[Tuple[str, Path]]:
    if path.is_symlink():
        raise BuildError("--add %s: links are not bundled; pass the real file or folder" % path)
    if path.is_file():
        yield path.name, path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = Path(root) / name
            if full.is_symlink():
                raise BuildError("--add %s: %s is a link; links are not bundled" % (path, full))
            if name.endswith(".pyc"):
                continue
            yield str(Path(path.name) / full.relative_to(path)).replace(os.sep, "/"), full


def file_entries(paths: Sequence[Path]) -> List[Tuple[str, Path]]:
    entries: List[Tuple[str, Path]] = []
    for path in paths:
        entries.extend(_plain_files(path))
    names = [n for n, _ in entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BuildError("--add paths collide in the bundle: %s" % ", ".join(dupes))
    return entries


def _compress(raw: bytes, compression: str) -> bytes:
    if compression == "xz":
        return lzma.compress(raw, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
    if compression == "gz":
        out = io.BytesIO()
        # level 6 (zlib's default): the tar is mostly wheels, already deflated, so 9 gained 0.9 % of an 88 MB
        # payload for three times the time (6.9 s against 2.2 s); --compression xz is the smallest
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as gz:
            gz.write(raw)
        return out.getvalue()
    raise BuildError("unknown compression %r (gz or xz)" % compression)


def write_payload(
    manifest: Dict,
    wheels: Sequence[WheelInfo],
    files: Sequence[Tuple[str, Path]],
    compression: str,
    mtime: int,
    served: Optional[Dict[str, List[str]]] = None,
    targets: Sequence[str] = (),
) -> Tuple[bytes, List[Dict]]:
    """Same inputs, same bytes: wheels in manifest order (sorted), files sorted, fixed owners and mtimes,
    gzip header mtime 0.

    served (wheel file -> targets) with more than one group of targets: the tar is cut at member boundaries into
    groups, the manifest, the wheels every target uses and the files first, then the wheels of each other set of
    targets; each group is compressed on its own and the streams concatenated (one valid gz/xz file, read whole by
    verify and extract). Returned with the groups' byte ranges, so a target decompresses only its own groups.
    targets: the target names in build order (served lists them in that order)."""
    served = served or {}
    everyone = list(targets)
    order = sorted(
        {tuple(served.get(w.path.name, everyone)) for w in wheels} - {tuple(everyone)},
        key=lambda names: [everyone.index(n) for n in names],
    )
    raw = io.BytesIO()
    cuts: List[int] = []
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        blob = json.dumps(manifest, sort_keys=True, indent=1).encode()
        tar.addfile(_tarinfo("manifest.json", len(blob), 0o644, mtime), io.BytesIO(blob))
        # w/<index in manifest["wheels"]>/<member>: short names keep almost every header a plain ustar one
        for group in [tuple(everyone)] + order:
            if group != tuple(everyone):
                cuts.append(raw.tell())
            for index, wheel in enumerate(wheels):
                if tuple(served.get(wheel.path.name, everyone)) != group:
                    continue
                for name, data, mode in _wheel_members(wheel):
                    tar.addfile(_tarinfo("w/%d/%s" % (index, name), len(data), mode, mtime), io.BytesIO(data))
            if group == tuple(everyone):
                for name, path in sorted(files):
                    data = path.read_bytes()
                    mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
                    tar.addfile(_tarinfo("files/" + name, len(data), mode, mtime), io.BytesIO(data))
    tar_bytes = raw.getvalue()
    if not cuts:
        return _compress(tar_bytes, compression), []
    bounds = [0] + cuts + [len(tar_bytes)]
    payload, groups = b"", []
    for i, names in enumerate([tuple(everyone)] + order):
        part = _compress(tar_bytes[bounds[i] : bounds[i + 1]], compression)
        groups.append(dict(targets=list(names), start=len(payload), end=len(payload) + len(part)))
        payload += part
    return payload, groups
