"""The file layer: read with a hash, write atomically (permissions kept), and a small undo journal.

The journal lives in `.splice/journal/` at the project root (the nearest folder with .git, pyproject.toml,
setup.py or setup.cfg; else the file's folder), never inside the user's sources; SPLICE_JOURNAL_DIR overrides.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from splice.core.errors import Conflict, SpliceError
from splice.core.text import Source

if TYPE_CHECKING:
    from splice.core.edit import Doc

JOURNAL_KEEP = 100
DOC_CACHE = 16  # parsed files kept by content hash: an agent works on a handful at a time
_ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Loaded:
    path: str  # the real file (links resolved)
    raw: bytes
    source: Source
    digest: str


def load(path: str) -> Loaded:
    real = os.path.realpath(path)
    try:
        with open(real, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise SpliceError("no file %s (create it with create(%r, code))" % (path, path)) from None
    except IsADirectoryError:
        raise SpliceError("%s is a folder; name a .py file" % path) from None
    try:
        source = Source.decode(raw)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        raise SpliceError("%s cannot be decoded: %s" % (path, exc)) from None
    return Loaded(real, raw, source, sha(raw))


_DOCS: "OrderedDict[Tuple[str, str], Doc]" = OrderedDict()


def load_doc(path: str) -> "Tuple[Doc, Loaded]":
    """The file as read now, and its Doc shared by every call on the same bytes: a second call on an unchanged file
    reuses the lines and the index instead of parsing again (the bytes are always re-read and re-hashed, so a file
    changed on disk is never served from a stale copy)."""
    from splice.core.edit import Doc

    loaded = load(path)
    key = (path, loaded.digest)
    doc = _DOCS.pop(key, None) or Doc(loaded.source, path)
    _DOCS[key] = doc
    while len(_DOCS) > DOC_CACHE:
        _DOCS.popitem(last=False)
    return doc, loaded


def write_atomic(path: str, data: bytes, expect: Optional[str]) -> None:
    """Temp file + rename in the same folder; refuse if the file changed since it was read (hash `expect`)."""
    mode = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            current = f.read()
        if expect is not None and sha(current) != expect:
            raise Conflict("%s changed on disk since it was read; nothing was written (read it again)" % path)
        mode = stat.S_IMODE(os.stat(path).st_mode)
    elif expect is not None:
        raise Conflict("%s was deleted since it was read; nothing was written" % path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, ".%s.splice-%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def project_root(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while True:
        if any(os.path.exists(os.path.join(probe, m)) for m in _ROOT_MARKERS):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent


def journal_dir(path: str, root: Optional[str] = None) -> str:
    """`.splice/journal` at the project root (`root` when the caller has worked it out already)."""
    override = os.environ.get("SPLICE_JOURNAL_DIR")
    if override:
        return override
    return os.path.join(root or project_root(path), ".splice", "journal")


def record(path: str, before: Optional[bytes], after: bytes, op: str, target: str, root: Optional[str] = None) -> None:
    """One undo step: the bytes before (None: the file did not exist) and the hash after."""
    folder = journal_dir(path, root)
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(os.path.dirname(folder), ".gitignore")
    if os.path.basename(os.path.dirname(folder)) == ".splice" and not os.path.exists(ignore):
        with open(ignore, "w") as f:
            f.write("*\n")
    entry = {
        "time": time.time(),
        "op": op,
        "target": target,
        "path": os.path.abspath(path),
        "before": None if before is None else base64.b64encode(before).decode("ascii"),
        "after": sha(after),
    }
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    number = int(names[-1].split(".")[0]) + 1 if names else 1
    tmp = os.path.join(folder, ".%06d.tmp" % number)
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(entry, f)
    os.replace(tmp, os.path.join(folder, "%06d.json" % number))
    for old in names[: max(len(names) + 1 - JOURNAL_KEEP, 0)]:
        os.remove(os.path.join(folder, old))


def entries(folder: str) -> List[str]:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return []


def newest_time(folder: str) -> float:
    """When the newest journal entry was written (0 for none)."""
    names = entries(folder)
    if not names:
        return 0.0
    with open(os.path.join(folder, names[-1]), encoding="utf-8") as f:
        return float(json.load(f)["time"])


def undo_one(folder: str, path: Optional[str] = None, force: bool = False) -> Dict:
    """Restore the newest journal entry (for `path`, when given); returns the entry."""
    want = os.path.realpath(path) if path else None
    for name in reversed(entries(folder)):
        full = os.path.join(folder, name)
        with open(full, encoding="utf-8") as f:
            entry = json.load(f)
        if want and os.path.realpath(entry["path"]) != want:
            continue
        target = entry["path"]
        current = None
        if os.path.exists(target):
            with open(target, "rb") as f:
                current = f.read()
        if current is not None and sha(current) != entry["after"] and not force:
            raise Conflict(
                "%s changed after the %s of %s; undo would lose that change (force=True to undo anyway)"
                % (target, entry["op"], entry["target"])
            )
        if entry["before"] is None:
            if current is not None:
                os.remove(target)
        else:
            write_atomic(target, base64.b64decode(entry["before"]), None)
        os.remove(full)
        entry["current"] = current
        return entry
    raise SpliceError("nothing to undo%s" % (" for " + path if path else ""))
