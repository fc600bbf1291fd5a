# This file is a splice bundle. Do not print it or edit it: import it, run it, or paste it whole into a cell.
# `python THIS.py --info` describes it. Its payload (base64 in the comment lines at the end) is checked
# against the sha256 below before anything touches the disk.
"""Self-extracting bundle made by splice-bundle (stdlib only, Python 3.8+).

Four ways in:
  import NAME                                  (this file on sys.path)
  python NAME.py [--info|--extract-to DIR|--uninstall] [--json]
  python NAME.py -m MODULE [ARGS...]           (or -c CONSOLE_SCRIPT [ARGS...]: run a program from the bundle;
                                                its stdin, stdout and exit status are its own)
  paste the whole text into an IPython cell    (no __file__ needed)

On first use it verifies the payload, extracts it into a cache keyed by the payload hash, installs the wheels
offline and, inside IPython, loads the extensions and prints a cheat sheet. Later uses find the cache warm.

Environment: SPLICE_CACHE_DIR (cache root), SPLICE_INSTALL_MODE (auto|unpack|pip),
SPLICE_POLICY (keep|replace: what wins when a bundled distribution is already installed), SPLICE_QUIET=1.
Runtime API: info(), cleanup(), extract(path), activate().
"""

import os
import sys
import time

# Only os, sys and time load on the warm path; everything else is imported where the cold path needs it.

BUNDLE = {}  # @@BUNDLE@@ (the bundler writes the manifest here)

PAYLOAD_MARKER = "# ---- splice payload: base64, do not edit below this line ----"
_STATE_MODULE = "_splice_bundle_state"
_COMPLETE = ".complete"
# WebAssembly (Pyodide, WASI): one process, no subprocesses, no threads, no file locks. The bootstrap then unpacks
# without a lock and compiles nothing in the background.
_WASM = sys.platform in ("emscripten", "wasi")


class BundleError(ImportError):
    """A bundle that cannot be used; the message is one line that names the problem."""


# ---------------------------------------------------------------------------------------------------- reading


def read_source(filename, module_globals=None):
    """Return this bundle's text: from the file when there is one, else from linecache (IPython cells)."""
    if filename and os.path.isfile(filename):
        with open(filename, "rb") as f:
            return f.read().decode("utf-8")
    import linecache

    lines = linecache.getlines(filename, module_globals) if filename else []
    if lines:
        return "".join(lines)
    raise BundleError(
        "bundle source not found (%r): import the file, run it, or paste its whole text into an IPython cell"
        % (filename,)
    )


def parse_header(text):
    """Find the BUNDLE manifest line without executing anything (used on untrusted files)."""
    import ast

    for line in text.splitlines():
        if line.startswith("BUNDLE = "):
            try:
                return ast.literal_eval(line[len("BUNDLE = ") :].split("  # @@BUNDLE@@")[0])
            except (ValueError, SyntaxError) as exc:
                raise BundleError("bundle header is damaged: %s" % exc) from None
        if line.startswith(PAYLOAD_MARKER):
            break
    raise BundleError("not a splice bundle: no BUNDLE header line")


def decode_payload(text, meta):
    """Base64-decode the payload and check its length and sha256; nothing is written."""
    import base64
    import hashlib

    pos = text.find("\n" + PAYLOAD_MARKER + "\n")
    if pos < 0:
        raise BundleError("bundle payload missing: the file is truncated before its payload marker")
    chunks = []
    for line in text[pos + len(PAYLOAD_MARKER) + 2 :].splitlines():
        line = line.strip()
        if line.startswith("#"):
            chunks.append(line[1:].strip())
        elif line:
            raise BundleError("bundle payload damaged: a non-comment line follows the payload marker")
    b64 = "".join(chunks)
    if len(b64) != meta["b64_len"]:
        raise BundleError(
            "bundle truncated or edited: payload has %d base64 characters, the header says %d"
            % (len(b64), meta["b64_len"])
        )
    try:
        data = base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise BundleError("bundle payload corrupted: not valid base64 (%s)" % exc) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        raise BundleError(
            "bundle payload corrupted: sha256 %s… does not match the header's %s…" % (digest[:12], meta["sha256"][:12])
        )
    return data


class Member(object):
    """One tar entry as the strict reader sees it."""

    __slots__ = ("name", "mode", "kind", "mtime", "linkname")

    def __init__(self, name, mode, kind, mtime, linkname=""):
        self.name, self.mode, self.kind, self.mtime, self.linkname = name, mode, kind, mtime, linkname

    def isfile(self):
        return self.kind == "0"

    def isdir(self):
        return self.kind == "5"

    def tarinfo(self):
        import tarfile

        info = tarfile.TarInfo(self.name)
        info.mode, info.mtime, info.type, info.linkname = self.mode, self.mtime, self.kind.encode(), self.linkname
        return info


def _octal(field):
    if field[:1] and ord(field[:1]) & 0x80:  # base-256 (GNU) for large numbers
        return int.from_bytes(field[1:], "big")
    field = field.split(b"\0", 1)[0].strip()
    return int(field, 8) if field else 0


def iter_payload(data, compression):
    """Yield (Member, bytes) from the verified payload: a small strict ustar/pax reader.

    tarfile parses every header in Python and, with its data filter, resolves each path through realpath; for
    thousands of small wheel members that is most of a cold start. This reader knows the subset splice-bundle
    writes and hands every other entry type to check_member, which refuses it.
    """
    import io

    if compression == "xz":
        import lzma

        stream = lzma.LZMAFile(io.BytesIO(data))  # noqa: SIM115 - closed below
    else:
        import gzip

        stream = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")  # noqa: SIM115 - closed below
    pax = {}
    try:
        while True:
            header = stream.read(512)
            if len(header) < 512 or header == b"\0" * 512:
                return
            kind = header[156:157].decode("ascii", "replace") or "0"
            size = _octal(header[124:136])
            name = header[0:100].split(b"\0", 1)[0]
            prefix = header[345:500].split(b"\0", 1)[0] if header[257:262] == b"ustar" else b""
            if prefix:
                name = prefix + b"/" + name
            if "size" in pax:
                size = int(pax["size"])
            blob = stream.read(size)
            if len(blob) < size:
                raise BundleError("bundle payload damaged: the archive ends inside %r" % name)
            stream.read(-size % 512)
            if kind in ("x", "g"):
                records, pos = {}, 0
                while pos < len(blob):
                    length = int(blob[pos : blob.index(b" ", pos)])
                    key, _, value = blob[blob.index(b" ", pos) + 1 : pos + length - 1].partition(b"=")
                    records[key.decode("utf-8")] = value.decode("utf-8")
                    pos += length
                if kind == "x":
                    pax = records
                continue
            kind = "0" if kind == "\0" else kind
            member = Member(
                pax.get("path") or name.decode("utf-8"),
                _octal(header[100:108]),
                kind,
                _octal(header[136:148]),
                pax.get("linkpath") or header[157:257].split(b"\0", 1)[0].decode(),
            )
            pax = {}
            yield member, blob
    finally:
        stream.close()


def check_member(member, root=None):
    """Strict member check: regular files and folders only, relative paths, no '..', no links.

    With root (a folder we did not just create), tarfile's data filter also runs where this Python has it.
    """
    name = member.name
    if not (member.isfile() or member.isdir()):
        raise BundleError("bundle refused: %r is not a regular file or folder (links are not allowed)" % name)
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or "\\" in name or "\0" in name:
        raise BundleError("bundle refused: %r is an absolute or non-portable path" % name)
    if ".." in name.split("/"):
        raise BundleError("bundle refused: %r escapes the extraction folder" % name)
    if root is not None:
        import tarfile

        data_filter = getattr(tarfile, "data_filter", None)
        if data_filter is not None:
            try:
                data_filter(member.tarinfo(), root)
            except tarfile.FilterError as exc:
                raise BundleError("bundle refused: %s" % exc) from None


# ---------------------------------------------------------------------------------------------------- tags
# This interpreter's wheel tags, computed with the standard library as packaging.tags.sys_tags() lists them (same
# tags, same order; tests compare the two on every Python found): a bundle picks its target by them at import.

_SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
_MANYLINUX_ARCHS = ("x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64")
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
_sys_tags = None


def _config(name):
    import sysconfig

    return sysconfig.get_config_var(name)


def _norm(text):
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _elf(path):
    """(bits, byte order, machine, flags, program interpreter) of an ELF file, else None: read from its headers."""
    import struct

    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
                return None
            bits, order = ident[4], "<" if ident[5] == 1 else ">"
            head = order + ("HHIIIIIHHHHHH" if bits == 1 else "HHIQQQIHHHHHH")
            prog = order + ("IIIIIIII" if bits == 1 else "IIQQQQQQ")
            fields = struct.unpack(head, f.read(struct.calcsize(head)))
            machine, phoff, flags, phentsize, phnum = fields[1], fields[4], fields[6], fields[8], fields[9]
            interp = None
            for i in range(phnum):
                f.seek(phoff + phentsize * i)
                ph = struct.unpack(prog, f.read(struct.calcsize(prog)))
                if ph[0] == 3:  # PT_INTERP
                    offset, size = (ph[1], ph[4]) if bits == 1 else (ph[2], ph[5])
                    f.seek(offset)
                    interp = f.read(size).strip(b"\0").decode("ascii", "replace")
                    break
            return bits, ident[5], machine, flags, interp
    except (OSError, ValueError, struct.error):
        return None


def _glibc():
    """The running glibc as (major, minor), (-1, -1) when there is none (musl, macOS, Windows, WebAssembly)."""
    try:
        ver = os.confstr("CS_GNU_LIBC_VERSION").rsplit()[1]
        major, minor = ver.split(".")[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or "x")
    except (AttributeError, ValueError, OSError, IndexError):
        return -1, -1


def _manylinux_ok(arch, version, glibc, _manylinux):
    if glibc < version:
        return False
    if _manylinux is None:
        return True
    if hasattr(_manylinux, "manylinux_compatible"):
        result = _manylinux.manylinux_compatible(version[0], version[1], arch)
        return True if result is None else bool(result)
    legacy = {(2, 5): "manylinux1_compatible", (2, 12): "manylinux2010_compatible", (2, 17): "manylinux2014_compatible"}
    return bool(getattr(_manylinux, legacy.get(version, ""), True))


def _manylinux_tags(archs):
    elf = _elf(sys.executable)
    if "armv7l" in archs:
        fits = bool(elf) and elf[:3] == (1, 1, 40) and elf[3] & 0xFF000000 == 0x05000000 and elf[3] & 0x400
    elif "i686" in archs:
        fits = bool(elf) and elf[:3] == (1, 1, 3)
    else:
        fits = any(arch in _MANYLINUX_ARCHS for arch in archs)
    if not fits:
        return []
    oldest = (2, 4) if set(archs) & {"x86_64", "i686"} else (2, 16)
    current = _glibc()
    try:
        import _manylinux  # a distributor's override (PEP 600), looked up once
    except ImportError:
        _manylinux = None
    maxima = [current] + [(major, 50) for major in range(current[0] - 1, 1, -1)]
    out = []
    for arch in archs:
        for major, top in maxima:
            for minor in range(top, oldest[1] if major == oldest[0] else -1, -1):
                if _manylinux_ok(arch, (major, minor), current, _manylinux):
                    out.append("manylinux_%d_%d_%s" % (major, minor, arch))
                    if (major, minor) in _LEGACY_MANYLINUX:
                        out.append("%s_%s" % (_LEGACY_MANYLINUX[(major, minor)], arch))
    return out


def _musl():
    """The musl version as (major, minor) when this Python is linked against musl, else None (asks its loader,
    as packaging does; only ever on Linux)."""
    elf = _elf(sys.executable)
    if not elf or not elf[4] or "musl" not in elf[4]:
        return None
    try:
        import subprocess

        out = subprocess.run([elf[4]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).stderr
        lines = [ln.strip() for ln in out.decode("utf-8", "replace").splitlines() if ln.strip()]
        if len(lines) < 2 or not lines[0].startswith("musl") or not lines[1].startswith("Version "):
            return None
        major, minor = lines[1][len("Version ") :].split(".")[:2]
        return int(major), int(minor)
    except (OSError, ValueError, ImportError):
        return None


def _linux_platforms():
    import sysconfig

    linux = _norm(sysconfig.get_platform())
    if not linux.startswith("linux_"):
        return [linux]
    if sys.maxsize <= 2**32:
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = {"armv8l": ["armv8l", "armv7l"]}.get(arch, [arch])
    out = _manylinux_tags(archs)
    musl = _musl()
    if musl:
        out += ["musllinux_%d_%d_%s" % (musl[0], minor, a) for a in archs for minor in range(musl[1], -1, -1)]
    return out + ["linux_" + a for a in archs]


def _mac_platforms():
    import platform

    version = tuple(int(p) for p in platform.mac_ver()[0].split(".")[:2])
    if len(version) == 1:
        version = (version[0], 0)
    arch = platform.mac_ver()[2] or platform.machine()
    if sys.maxsize <= 2**32:
        arch = "ppc" if arch.startswith("ppc") else "i386"
    if version == (10, 16):  # an old binary on a new macOS: ask the system for the real version
        import subprocess

        try:
            out = subprocess.run(
                [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                stdout=subprocess.PIPE,
                env={"SYSTEM_VERSION_COMPAT": "0"},
                universal_newlines=True,
            ).stdout
            version = tuple(int(p) for p in out.split(".")[:2])
        except (OSError, ValueError):
            pass

    def formats(ver, cpu):
        found = [cpu]
        if cpu == "x86_64":
            if ver < (10, 4):
                return []
            found += ["intel", "fat64", "fat32"]
        elif cpu == "i386":
            if ver < (10, 4):
                return []
            found += ["intel", "fat32", "fat"]
        elif cpu == "ppc64":
            if ver > (10, 5) or ver < (10, 4):
                return []
            found.append("fat64")
        elif cpu == "ppc":
            if ver > (10, 6):
                return []
            found += ["fat32", "fat"]
        if cpu in ("arm64", "x86_64"):
            found.append("universal2")
        if cpu in ("x86_64", "i386", "ppc64", "ppc", "intel"):
            found.append("universal")
        return found

    out = []
    if version >= (10, 0) and version < (11, 0):
        for minor in range(version[1], -1, -1):
            out += ["macosx_10_%d_%s" % (minor, f) for f in formats((10, minor), arch)]
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            out += ["macosx_%d_0_%s" % (major, f) for f in formats((major, 0), arch)]
        if arch == "x86_64":
            for minor in range(16, 3, -1):
                out += ["macosx_10_%d_%s" % (minor, f) for f in formats((10, minor), arch)]
        else:
            for minor in range(16, 3, -1):
                out.append("macosx_10_%d_universal2" % minor)
    return out


def _emscripten_platforms():
    """Pyodide: the PEP 783 tag, the name Pyodide 0.26-0.29 wheels carry (same ABI version), then the generic one."""
    import sysconfig

    out = []
    version = _config("PYEMSCRIPTEN_PLATFORM_VERSION")
    if version:
        out.append("pyemscripten_%s_wasm32" % version)
    abi = _config("PYODIDE_ABI_VERSION")
    if abi:
        out.append("pyodide_%s_wasm32" % abi)
    return out + [_norm(sysconfig.get_platform())]


def _platforms():
    import platform
    import sysconfig

    system = platform.system()
    if system == "Darwin":
        return _mac_platforms()
    if system == "Linux":
        return _linux_platforms()
    if system == "Emscripten":
        return _emscripten_platforms()
    return [_norm(sysconfig.get_platform())]


def _cpython_abis(version):
    import importlib.machinery

    nodot = "%d%d" % version
    debug = threading = ""
    with_debug = _config("Py_DEBUG")
    if with_debug or (
        with_debug is None and (hasattr(sys, "gettotalrefcount") or "_d.pyd" in importlib.machinery.EXTENSION_SUFFIXES)
    ):
        debug = "d"
    if version >= (3, 13) and _config("Py_GIL_DISABLED"):
        threading = "t"
    return ["cp%s%s%s" % (nodot, threading, debug)] + (["cp%s%s" % (nodot, threading)] if debug else [])


def _generic_abis():
    suffix = _config("EXT_SUFFIX")
    if not isinstance(suffix, str) or suffix[:1] != ".":
        return []
    parts = suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis(sys.version_info[:2])
    soabi = parts[1]
    if soabi.startswith("cpython"):
        return ["cp" + soabi.split("-")[1]]
    if soabi.startswith("cp"):
        return [_norm(soabi.split("-")[0])]
    if soabi.startswith("pypy"):
        return [_norm("-".join(soabi.split("-")[:2]))]
    if soabi.startswith("graalpy"):
        return [_norm("-".join(soabi.split("-")[:3]))]
    return [_norm(soabi)] if soabi else []


def sys_tags():
    """This interpreter's wheel tags ('cp311-cp311-manylinux_2_17_x86_64', ...), best first, computed once."""
    global _sys_tags
    if _sys_tags is not None:
        return _sys_tags
    name = sys.implementation.name
    short = _SHORT_NAMES.get(name) or name
    version = sys.version_info[:2]
    nodot = str(_config("py_version_nodot") or "%d%d" % version)
    plats = _platforms()
    tags = []
    if short == "cp":
        interp = "cp%d%d" % version
        abis = _cpython_abis(version)
        tags += ["%s-%s-%s" % (interp, abi, p) for abi in abis for p in plats]
        threaded = "t" in abis[0][len(interp) :]
        stable = "abi3t" if threaded else "abi3"
        tags += ["%s-%s-%s" % (interp, stable, p) for p in plats]
        tags += ["%s-none-%s" % (interp, p) for p in plats]
        tags += ["cp%d%d-%s-%s" % (version[0], m, stable, p) for m in range(version[1] - 1, 1, -1) for p in plats]
        compatible = "cp" + nodot
    else:
        abis = _generic_abis()
        tags += ["%s%s-%s-%s" % (short, nodot, abi, p) for abi in abis + ["none"] * ("none" not in abis) for p in plats]
        compatible = "pp3" if short == "pp" else None
    pys = ["py%d%d" % version, "py%d" % version[0]]
    pys += ["py%d%d" % (version[0], m) for m in range(version[1] - 1, -1, -1)]
    tags += ["%s-none-%s" % (py, p) for py in pys for p in plats]
    if compatible:
        tags.append("%s-none-any" % compatible)
    tags += ["%s-none-any" % py for py in pys]
    _sys_tags = tags
    return tags


def wheel_compatible(tags):
    """Can this interpreter use a wheel with these expanded tags ('py3-none-any', ...)? Stdlib-only check."""
    supported = set(sys_tags())
    return any(tag in supported for tag in tags)


def choose_target(meta):
    """The first of the bundle's targets (in build order) whose every wheel this interpreter can use.

    A bundle with one target keeps it whatever fits (the wheels that do not are skipped and reported); with several,
    none fitting is one line naming this interpreter's tags and the bundle's targets, before anything is extracted.
    None for a bundle made before targets were recorded.
    """
    targets = meta.get("targets") or []
    if len(targets) <= 1:
        return targets[0] if targets else None
    tags = {w["file"]: w["tags"] for w in meta["wheels"]}
    for target in targets:
        if all(wheel_compatible(tags[f]) for f in target["wheels"]):
            return target
    raise BundleError(
        "no target of this bundle fits this interpreter (%s and %d more tags); the bundle has: %s"
        % (sys_tags()[0], len(sys_tags()) - 1, "; ".join(t["describe"] for t in targets))
    )


# ---------------------------------------------------------------------------------------------------- cache


def _python_tag():
    short = {"cpython": "cp", "pypy": "pp"}.get(sys.implementation.name, sys.implementation.name)
    return "%s%d%d" % (short, sys.version_info[0], sys.version_info[1])


def cache_roots():
    """Candidate cache roots, best first: SPLICE_CACHE_DIR, the user cache, the temp dir (computed lazily)."""
    env = os.environ.get("SPLICE_CACHE_DIR")
    if env:
        yield os.path.abspath(os.path.expanduser(env))
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    if base and not base.startswith("~"):
        yield os.path.join(base, "splice")
    import tempfile

    yield os.path.join(tempfile.gettempdir(), "splice-cache-%s" % getattr(os, "getuid", lambda: "")())


def _writable(root):
    import tempfile

    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            return True
    except OSError:
        return False


def _key(meta):
    return "%s-%s-%s" % (meta["name"], meta["sha256"][:16], _python_tag())


def _format_record(record):
    """The completion record: 'key<TAB>value<TAB>value' lines (no json on the warm path)."""
    return "".join("\t".join([k] + list(v)) + "\n" for k, v in sorted(record.items()))


def _read_complete(folder):
    """The completion record of an extracted folder, or None when it is missing or half-deleted."""
    try:
        with open(os.path.join(folder, _COMPLETE), "r", encoding="utf-8") as f:
            record = {}
            for line in f.read().splitlines():
                parts = line.split("\t")
                record[parts[0]] = parts[1:]
        if record.get("sha256", [""])[0] not in folder:
            return None
        for rel in record["sentinels"]:
            if not os.path.exists(os.path.join(folder, rel)):
                return None
        return record
    except (OSError, KeyError, IndexError):
        return None


class _Lock(object):
    """An exclusive lock on a file next to the cache entry (flock / msvcrt); none where neither exists."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if _WASM:
            return self
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except ImportError:
            try:
                import msvcrt

                while True:
                    try:
                        msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
                        break
                    except OSError:
                        time.sleep(0.05)
            except ImportError:
                pass
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases flock/msvcrt locks


def _rmtree(path):
    import shutil
    import stat

    def onerror(func, p, exc_info):
        try:
            os.chmod(p, stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


# ---------------------------------------------------------------------------------------------------- install


def _script_text(spec, site):
    module, _, func = spec.partition(":")
    func = func.strip()
    attr = func.split(".")[0]
    return (
        "#!%s\n# generated by splice-bundle\nimport sys\nif %r not in sys.path:\n    sys.path.append(%r)\n"
        "from %s import %s\nif __name__ == '__main__':\n    sys.argv[0] = sys.argv[0].rsplit('/', 1)[-1]\n"
        "    sys.exit(%s())\n" % (sys.executable, site, site, module.strip(), attr, func)
    )


def _entry_points(path):
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return {}
    return dict(parser.items("console_scripts")) if parser.has_section("console_scripts") else {}


def _write(path, data, mode, made):
    parent = path.rpartition("/")[0]
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755 if mode & 0o111 else 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def unpack(data, meta, dest, wheels_too=False, install=True, all_wheels=False, fresh=True, target=None):
    """Extract the verified payload into dest: site/ (installed wheels), bin/, data/, files/, wheels/.

    Each wheel member goes straight to its installed place (purelib/platlib into site/, .data/scripts into bin/),
    so the cold start costs one decompression and one write per file. Only the target's wheels are installed (all
    of them for a bundle without targets); incompatible ones are skipped.
    fresh: dest is a private folder just created, so nothing in it can redirect a write.
    """
    import stat
    import zipfile

    wheels = meta.get("wheels", [])
    mine = [w for w in wheels if target is None or w["file"] in target["wheels"]]
    usable = {w["file"] for w in mine if all_wheels or wheel_compatible(w["tags"])}
    dest = dest.replace(os.sep, "/")
    site = dest + "/site/"
    made = set()
    zips = {}
    data_dirs = [w["data_dir"] + "/" for w in wheels]
    parts = [data]
    if target is not None and meta.get("groups"):  # several targets: decompress only this target's groups
        parts = [data[g["start"] : g["end"]] for g in meta["groups"] if target["name"] in g["targets"]]
    try:
        for member, blob in (m for part in parts for m in iter_payload(part, meta.get("compression", "gz"))):
            check_member(member, None if fresh else dest)
            if member.isdir():
                continue
            name = member.name
            head, _, rest = name.partition("/")
            if head == "files":
                _write(dest + "/" + name, blob, member.mode, made)
                continue
            index, _, inner = rest.partition("/")
            if head != "w" or not index.isdigit() or int(index) >= len(wheels) or not inner:
                if name == "manifest.json":
                    continue
                raise BundleError("bundle refused: unexpected payload entry %r" % name)
            wheel = wheels[int(index)]
            if wheels_too:
                zf = zips.get(wheel["file"])
                if zf is None:
                    os.makedirs(os.path.join(dest, "wheels"), exist_ok=True)
                    zf = zips[wheel["file"]] = zipfile.ZipFile(os.path.join(dest, "wheels", wheel["file"]), "w")
                info = zipfile.ZipInfo(inner, date_time=time.gmtime(member.mtime)[:6])
                info.external_attr = (member.mode & 0xFFFF | stat.S_IFREG) << 16
                zf.writestr(info, blob, compress_type=zipfile.ZIP_STORED)
            if not install or wheel["file"] not in usable:
                continue
            data_dir = data_dirs[int(index)]
            if inner.startswith(data_dir):
                kind, _, rest = inner[len(data_dir) :].partition("/")
                if kind in ("purelib", "platlib"):
                    target = site + rest
                elif kind == "scripts":
                    if blob.startswith(b"#!python"):
                        blob = ("#!" + sys.executable).encode() + blob[len(b"#!python") :]
                    target = dest + "/bin/" + rest
                    member.mode |= 0o111
                else:  # headers, data
                    target = dest + "/data/" + kind + "/" + rest
            else:
                target = site + inner
            _write(target, blob, member.mode, made)
    finally:
        for zf in zips.values():
            zf.close()
    if install:
        for wheel in wheels:
            if wheel["file"] in usable:
                eps = site + wheel["dist_info"] + "/entry_points.txt"
                for script, spec in _entry_points(eps).items():
                    _write(dest + "/bin/" + script, _script_text(spec, site.rstrip("/")).encode(), 0o755, made)
    return sorted(usable), sorted({w["file"] for w in mine} - usable)


def extract(path, text=None, meta=None):
    """Write the bundle's wheels (.whl, rebuilt member for member) and plain files into path."""
    meta = meta or BUNDLE
    data = decode_payload(text if text is not None else _own_text(), meta)
    os.makedirs(path, exist_ok=True)
    unpack(data, meta, path, wheels_too=True, install=False, fresh=False)
    return path


# ---------------------------------------------------------------------------------------------------- activation


def _state():
    mod = sys.modules.get(_STATE_MODULE)
    if mod is None:
        import types

        mod = types.ModuleType(_STATE_MODULE)
        mod.active = {}
        sys.modules[_STATE_MODULE] = mod
    return mod.active


def _own_text():
    return read_source(_SOURCE_FILE, globals())


def _pth_dir():
    import site
    import sysconfig

    for candidate in (
        sysconfig.get_paths()["purelib"],
        getattr(site, "ENABLE_USER_SITE", False) and site.getusersitepackages(),
    ):
        if candidate and _writable(candidate):
            return candidate
    return None


def _atomic_write(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _pth_name(meta):
    return "splice_bundle_%s.pth" % meta["name"]


def _installed_version(name):
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    try:
        return metadata.version(name)
    except Exception:
        return None


def _pip_install(folder, meta, wheel_files, replace):
    import subprocess

    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.pop("PIP_FIND_LINKS", None)
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "-q"]
    if replace:
        cmd.append("--force-reinstall")
    paths = [os.path.join(folder, "wheels", f) for f in wheel_files]
    proc = subprocess.run(cmd + paths, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise BundleError("pip install of the bundled wheels failed: %s" % (tail[0] if tail else proc.returncode))


def _choose_mode(policy):
    mode = os.environ.get("SPLICE_INSTALL_MODE", "auto").lower()
    if mode not in ("auto", "unpack", "pip"):
        raise BundleError("SPLICE_INSTALL_MODE must be auto, unpack or pip, not %r" % mode)
    if mode == "pip" and _WASM:
        raise BundleError("SPLICE_INSTALL_MODE=pip needs subprocesses, which %s has not: use unpack" % sys.platform)
    if mode == "auto":
        # Replacing installed distributions needs pip's uninstall; everything else is faster unpacked.
        mode = "unpack"
        if policy == "replace" and not _WASM:
            import importlib.util

            if importlib.util.find_spec("pip") is not None and _pth_dir():
                mode = "pip"
    return mode


def activate():
    """Verify, extract (once per cache), install and make importable; idempotent within a process."""
    meta = BUNDLE
    active = _state()
    if meta["sha256"] in active:
        return active[meta["sha256"]]
    start = time.perf_counter()
    policy = os.environ.get("SPLICE_POLICY", "keep").lower()
    if policy not in ("keep", "replace"):
        raise BundleError("SPLICE_POLICY must be keep or replace, not %r" % policy)
    mode = _choose_mode(policy)
    key = _key(meta)
    folder, record, cold = None, None, False
    for root in cache_roots():
        record = _read_complete(os.path.join(root, key))
        if record is not None:
            folder = os.path.join(root, key)
            break
    if folder is None:
        target = choose_target(meta)  # before anything is decoded or written: no fitting target, nothing extracted
        data = decode_payload(_own_text(), meta)  # verified before anything touches the disk
        root = next((r for r in cache_roots() if _writable(r)), None)
        if root is None:
            raise BundleError("no writable cache folder: set SPLICE_CACHE_DIR to a writable path")
        folder, record, cold = _extract_locked(data, meta, root, key, target)
        if cold:
            _compile_later(folder, os.path.join(root, ".%s.lock" % key))
    site = os.path.join(folder, "site")
    notes = []
    if mode == "pip":
        want = [
            w
            for w in meta["wheels"]
            if w["file"] in record["usable"] and (_installed_version(w["name"]) != w["version"])
        ]
        if policy == "keep":
            kept = [w for w in want if _installed_version(w["name"]) is not None]
            notes += [
                "kept preinstalled %s %s (bundle has %s)" % (w["name"], _installed_version(w["name"]), w["version"])
                for w in kept
            ]
            want = [w for w in want if w not in kept]
        if want:
            if not os.path.isdir(os.path.join(folder, "wheels")):
                extract(folder, meta=meta)
            _pip_install(folder, meta, [w["file"] for w in want], policy == "replace")
        import importlib

        importlib.invalidate_caches()
    else:
        _activate_site(meta, site, policy, notes, cold, record["usable"])
    bindir = os.path.join(folder, "bin")
    if os.path.isdir(bindir) and bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + bindir
    files = os.path.join(folder, "files")
    if os.path.isdir(files):
        os.environ["SPLICE_BUNDLE_FILES"] = files
        if files not in sys.path:
            sys.path.append(files)
    result = {
        "name": meta["name"],
        "sha256": meta["sha256"],
        "folder": folder,
        "mode": mode,
        "policy": policy,
        "cold": cold,
        "seconds": round(time.perf_counter() - start, 4),
        "notes": notes,
        "usable": record["usable"],
        "skipped": record["skipped"],
        "target": (record.get("target") or [None])[0],
        "files": files if os.path.isdir(files) else None,
    }
    active[meta["sha256"]] = result
    return result


def _sentinel(site, top):
    """What must still exist for `top` (a module or package folder in site) to count as there: for a folder, a file
    in it, not the folder itself. The detached byte-compile writes `__pycache__` folders, and one still running
    when part of the cache is deleted makes the deleted package's folder again, holding only bytecode."""
    path = os.path.join(site, top)
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n != "__pycache__" and os.path.isfile(os.path.join(path, n)))
        if names:
            return "site/%s/%s" % (top, names[0])
    return "site/" + top


def _extract_locked(data, meta, root, key, target=None):
    import tempfile

    final = os.path.join(root, key)
    with _Lock(os.path.join(root, ".%s.lock" % key)):
        record = _read_complete(final)
        if record is not None:  # another process finished while we waited
            return final, record, False
        if os.path.exists(final):  # half-written or half-deleted: move aside, then redo
            trash = tempfile.mkdtemp(prefix=".trash-%s-" % key, dir=root)
            os.rename(final, os.path.join(trash, "old"))
            _rmtree(trash)
        tmp = tempfile.mkdtemp(prefix=".%s.tmp-" % key, dir=root)
        try:
            usable, skipped = unpack(data, meta, tmp, target=target)
            site = os.path.join(tmp, "site")
            tops = sorted(os.listdir(site)) if os.path.isdir(site) else []
            record = {
                "sha256": [meta["sha256"][:16]],
                "usable": usable,
                "skipped": skipped,
                "sentinels": [_sentinel(site, t) for t in tops] + (["files"] if meta.get("files") else []),
                "python": [sys.version.split()[0]],
                "target": [target["name"]] if target else [],
            }
            _atomic_write(os.path.join(tmp, _COMPLETE), _format_record(record))
            try:
                os.rename(tmp, final)
            except OSError:  # a stray folder appeared at the final path (not a finished entry): set it aside once
                if _read_complete(final) is not None:
                    _rmtree(tmp)
                    return final, _read_complete(final), False
                trash = tempfile.mkdtemp(prefix=".trash-%s-" % key, dir=root)
                os.rename(final, os.path.join(trash, "old"))
                _rmtree(trash)
                os.rename(tmp, final)
        except BaseException:
            _rmtree(tmp)
            raise
    return final, record, True


def _compile_later(folder, lock):
    """Byte-compile the installed packages in a detached, low-priority process, as pip does at install time.

    Without bytecode every later import recompiles the sources; doing it here would double the cold start.
    The process holds the entry's lock and compiles only a complete entry, so it never writes into a folder that
    is being redone. SPLICE_NO_COMPILE=1 turns it off; .compiled in the cache entry marks it done.
    """
    if os.environ.get("SPLICE_NO_COMPILE", "") not in ("", "0") or not os.path.isdir(os.path.join(folder, "site")):
        return
    if _WASM:
        return
    import subprocess

    code = (
        "import compileall, os, sys\ntry:\n    os.nice(10)\nexcept Exception:\n    pass\n"
        "fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o644)\n"
        "try:\n    import fcntl\n    fcntl.flock(fd, fcntl.LOCK_EX)\nexcept ImportError:\n    pass\n"
        "if os.path.exists(os.path.join(sys.argv[1], '.complete')):\n"
        "    compileall.compile_dir(os.path.join(sys.argv[1], 'site'), quiet=2)\n"
        "    open(os.path.join(sys.argv[1], '.compiled'), 'w').close()\n"
    )
    try:
        subprocess.Popen(
            [sys.executable, "-c", code, folder, lock],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError:
        pass


def _write_own_pyc(cached, text):
    """Bytecode for this module from its code part only (the payload is comments): warm imports skip the parse."""
    import importlib.util
    import marshal

    try:
        st = os.stat(_SOURCE_FILE)
        pos = text.find("\n" + PAYLOAD_MARKER + "\n")
        code = compile(text[: pos + 1], _SOURCE_FILE, "exec", dont_inherit=True)
        data = b"".join(
            [
                importlib.util.MAGIC_NUMBER,
                b"\0\0\0\0",
                (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little"),
                (st.st_size & 0xFFFFFFFF).to_bytes(4, "little"),
                marshal.dumps(code),
            ]
        )
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        tmp = "%s.%d.tmp" % (cached, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, cached)
    except (OSError, ValueError, SyntaxError):
        pass


def _activate_site(meta, site, policy, notes, cold, usable):
    import importlib

    wheels = [w for w in meta["wheels"] if w["file"] in usable]  # this target's, installed in site
    replace = policy == "replace"
    if replace:
        clash = sorted({top for w in wheels for top in w["top_level"] if top in sys.modules})
        if clash:
            notes.append("already imported here, bundle versions not used until restart: %s" % ", ".join(clash))
            replace = False
    if site in sys.path:
        sys.path.remove(site)
    if replace:
        sys.path.insert(0, site)
    else:
        sys.path.append(site)  # preinstalled distributions come first: they win
    importlib.invalidate_caches()
    # Subprocesses (!python, !pytest) see the same packages through a .pth file, else PYTHONPATH.
    line = ("import sys; sys.path.insert(0, %r)\n" % site) if replace else site + "\n"
    if not _pth_current(meta, line):
        pth_dir = _pth_dir()
        if pth_dir:
            _atomic_write(os.path.join(pth_dir, _pth_name(meta)), line)
        else:
            parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            if site not in parts:
                parts = [site] + parts if replace else parts + [site]
                os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    if cold:  # preinstalled versions only change when someone installs something: report them once
        for w in wheels:
            have = _installed_version(w["name"])
            if have is not None and have != w["version"]:
                notes.append(
                    "%s %s %s (bundle has %s)"
                    % ("replaced" if replace else "kept preinstalled", w["name"], have, w["version"])
                )


def _pth_current(meta, line):
    """True when a .pth file with exactly this line is already in place (the warm path: no probing)."""
    import site
    import sysconfig

    for folder in (
        sysconfig.get_paths()["purelib"],
        getattr(site, "ENABLE_USER_SITE", False) and site.getusersitepackages(),
    ):
        try:
            with open(os.path.join(folder, _pth_name(meta)), "r", encoding="utf-8") as f:
                if f.read() == line:
                    return True
        except (OSError, TypeError):
            pass
    return False


def info():
    """What this bundle carries and where it is installed (activates it if needed)."""
    result = dict(activate())
    result["wheels"] = [
        dict(name=w["name"], version=w["version"], file=w["file"], size=w["size"], usable=w["file"] in result["usable"])
        for w in BUNDLE["wheels"]
    ]
    result["extensions"] = BUNDLE.get("extensions", [])
    result["bytecode"] = "compiled" if os.path.exists(os.path.join(result["folder"], ".compiled")) else "pending"
    result.pop("usable")
    return result


def cleanup():
    """Remove this bundle's cache entries and .pth file (the uninstall)."""
    removed = []
    pth_dir = _pth_dir()
    if pth_dir and os.path.exists(os.path.join(pth_dir, _pth_name(BUNDLE))):
        os.remove(os.path.join(pth_dir, _pth_name(BUNDLE)))
        removed.append(os.path.join(pth_dir, _pth_name(BUNDLE)))
    prefix = "%s-%s-" % (BUNDLE["name"], BUNDLE["sha256"][:16])
    for root in cache_roots():
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix):
                path = os.path.join(root, name)
                with _Lock(os.path.join(root, ".%s.lock" % name)):  # not while a background compile writes
                    try:
                        os.remove(os.path.join(path, _COMPLETE))  # first: a half-deleted entry never looks complete
                    except OSError:
                        pass
                    _rmtree(path)
                removed.append(path)
    site = None
    for path in list(sys.path):
        if path.startswith(tuple(os.path.join(r, prefix) for r in cache_roots())):
            sys.path.remove(path)
            site = path
    _state().pop(BUNDLE["sha256"], None)
    return {"removed": removed, "site_removed_from_path": site}


def _status_line(result):
    wheels = [w for w in BUNDLE["wheels"] if w["file"] in result["usable"]]
    names = ", ".join("%s %s" % (w["name"], w["version"]) for w in wheels)
    how = "extracted in %.2f s" % result["seconds"] if result["cold"] else "warm, %.0f ms" % (result["seconds"] * 1e3)
    line = "%s: ready (%s; %s)" % (BUNDLE["name"], names or "no wheels", how)
    if result["skipped"]:
        line += "; skipped incompatible: " + ", ".join(result["skipped"])
    if result["notes"]:
        line += "; " + "; ".join(result["notes"])
    if result["files"]:
        line += "; files in " + result["files"]
    return line


def _in_ipython():
    ipy = sys.modules.get("IPython")
    if ipy is None:
        return None
    try:
        return ipy.get_ipython()
    except Exception:
        return None


def _load_extensions(shell):
    out = []
    for ext in BUNDLE.get("extensions", []):
        try:
            shell.extension_manager.load_extension(ext)
        except Exception as exc:  # one line; the bundle stays usable
            out.append("could not load extension %s: %s: %s" % (ext, type(exc).__name__, exc))
    spec = BUNDLE.get("cheatsheet")
    if spec:
        module, _, func = spec.partition(":")
        try:
            import importlib

            text = getattr(importlib.import_module(module), func)()
            out.append(text.rstrip("\n"))
        except Exception as exc:
            out.append("(no cheat sheet: %s)" % exc)
    return out


def _startup(quiet=None):
    quiet = os.environ.get("SPLICE_QUIET", "") not in ("", "0") if quiet is None else quiet
    first = BUNDLE["sha256"] not in _state()
    result = activate()
    if not first:
        return result
    cached = globals().get("__cached__")
    if cached and sys.dont_write_bytecode and __name__ != "__main__" and not os.path.exists(cached):
        _write_own_pyc(cached, _own_text())  # Python would have written it, but was told not to
    shell = _in_ipython()
    if shell is not None:
        lines = _load_extensions(shell)
        if not quiet:
            print(_status_line(result))
            if lines:
                print("\n".join(lines))
    else:  # in IPython the extension does this when it loads
        _enable_pytest_suspects()
        if not quiet:
            sys.stderr.write(_status_line(result) + "\n")
    return result


def _enable_pytest_suspects():
    """pytests this process starts end with splice's suspects (PYTEST_PLUGINS names a shim other interpreters
    ignore); a bundle whose splice lacks the shim goes on without it."""
    try:
        from splice.testing.pytest_shim import enable
    except Exception:
        return
    enable()


def _console_script(name):
    """The entry point `name` of the console_scripts of the distributions now importable (the bundle's among them)."""
    from importlib import metadata

    eps = metadata.entry_points()
    group = eps.select(group="console_scripts") if hasattr(eps, "select") else eps.get("console_scripts", [])
    found = [ep for ep in group if ep.name == name]
    return found[0] if found else None, sorted({ep.name for ep in group})


def _run_program(kind, name, args):
    """`-m MODULE` / `-c SCRIPT`: install as on import, then hand the process over. Nothing goes to stdout (a stdio
    MCP server's channel); a cold start's status line goes to stderr."""
    try:
        result = activate()
    except BundleError as exc:
        sys.stderr.write("%s: %s\n" % (BUNDLE.get("name", "bundle"), exc))
        return 2
    if result["cold"] and os.environ.get("SPLICE_QUIET", "") in ("", "0"):
        sys.stderr.write(_status_line(result) + "\n")
    if kind == "-m":
        import importlib.util
        import runpy

        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            sys.stderr.write("%s: no module named %s\n" % (BUNDLE["name"], name))
            return 1
        sys.argv = [name] + list(args)
        runpy.run_module(name, run_name="__main__", alter_sys=True)
        return 0
    ep, names = _console_script(name)
    if ep is None:
        sys.stderr.write("%s: no console script %r; there are: %s\n" % (BUNDLE["name"], name, ", ".join(names)))
        return 2
    sys.argv = [name] + list(args)
    return ep.load()()


def _main(argv):
    if argv[:1] in (["-m"], ["-c"]):
        if len(argv) < 2:
            sys.stderr.write(
                "%s: %s needs a %s name\n"
                % (BUNDLE["name"], argv[0], "module" if argv[0] == "-m" else "console script")
            )
            return 2
        return _run_program(argv[0], argv[1], argv[2:])
    import argparse
    import json

    parser = argparse.ArgumentParser(prog=BUNDLE["name"], description="splice bundle %s" % BUNDLE["name"])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--info", action="store_true", help="install if needed and describe the bundle")
    group.add_argument("--extract-to", metavar="DIR", help="write the wheels and files into DIR")
    group.add_argument("--uninstall", action="store_true", help="remove the cache entry and .pth file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    try:
        if args.info:
            result = info()
        elif args.extract_to:
            result = {"extracted_to": extract(args.extract_to)}
        elif args.uninstall:
            result = cleanup()
        else:
            result = _startup(quiet=True)
            if not args.json:
                print(_status_line(result))
                return 0
    except BundleError as exc:
        sys.stderr.write("%s: %s\n" % (BUNDLE.get("name", "bundle"), exc))
        return 2
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        for k, v in sorted(result.items()):
            print("%s: %s" % (k, v))
    return 0


_SOURCE_FILE = sys._getframe(0).f_code.co_filename

if BUNDLE and __name__ == "__main__" and not _in_ipython():
    sys.exit(_main(sys.argv[1:]))
elif BUNDLE:
    try:
        _startup()
    except BundleError as _exc:
        _exc.__traceback__ = None
        raise BundleError("%s: %s" % (BUNDLE.get("name", "bundle"), _exc)) from None
