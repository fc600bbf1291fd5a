"""Which interpreter a bundle is built for: profiles, pip download flags and wheel-tag compatibility."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

from packaging import tags as ptags
from packaging.markers import default_environment
from packaging.utils import parse_wheel_filename


@dataclass(frozen=True)
class Target:
    """An interpreter to build for. Empty fields mean 'the interpreter running the bundler'."""

    name: str = "host"
    python_version: Optional[str] = None  # "3.11"
    platforms: Tuple[str, ...] = ()
    implementation: Optional[str] = None  # "cp"
    abis: Tuple[str, ...] = ()
    notes: str = field(default="", compare=False)

    @property
    def is_host(self) -> bool:
        return not (self.python_version or self.platforms or self.implementation or self.abis)

    def describe(self) -> str:
        if self.is_host:
            return "host (%s %d.%d, %s)" % (
                sys.implementation.name,
                *sys.version_info[:2],
                next(iter(ptags.platform_tags())),
            )
        bits = [self.implementation or "cp", self.python_version or "%d.%d" % sys.version_info[:2]]
        if self.platforms:
            bits.append(",".join(self.platforms[:2]) + ("…" if len(self.platforms) > 2 else ""))
        return "%s (%s)" % (self.name, " ".join(bits))

    def pip_args(self) -> List[str]:
        args: List[str] = []
        if self.python_version:
            args += ["--python-version", self.python_version]
        for plat in self.platforms:
            args += ["--platform", plat]
        if self.implementation:
            args += ["--implementation", self.implementation]
        for abi in self.abis:
            args += ["--abi", abi]
        return args

    def tags(self) -> List[ptags.Tag]:
        """The target's wheel tags, most preferred first (as pip ranks them)."""
        if self.is_host:
            return list(ptags.sys_tags())
        impl = self.implementation or "cp"
        version = tuple(int(p) for p in self._version().split("."))[:2]
        platforms = list(self.platforms) or list(ptags.platform_tags())
        found: List[ptags.Tag] = []
        if impl == "cp":
            found += ptags.cpython_tags(version, abis=list(self.abis) or None, platforms=platforms)
        else:
            found += ptags.generic_tags("%s%d%d" % (impl, *version), abis=list(self.abis) or None, platforms=platforms)
        found += ptags.compatible_tags(version, "%s%d%d" % (impl, *version), platforms=platforms)
        return found

    def supported(self) -> FrozenSet[ptags.Tag]:
        return frozenset(self.tags())

    def _version(self) -> str:
        return self.python_version or "%d.%d" % sys.version_info[:2]

    def marker_environment(self) -> Dict[str, str]:
        """Values for environment markers (PEP 508) on the target: the host's, with the target's Python,
        implementation and platform put in."""
        env = dict(default_environment())
        if self.is_host:
            return env
        version = self._version()
        if version != env["python_version"]:
            env["python_full_version"] = env["implementation_version"] = version + ".0" * (2 - version.count("."))
        env["python_version"] = ".".join(version.split(".")[:2])
        impl = self.implementation or "cp"
        env["implementation_name"] = {"cp": "cpython", "pp": "pypy"}.get(impl, impl)
        env["platform_python_implementation"] = {"cp": "CPython", "pp": "PyPy"}.get(impl, impl)
        plat = self.platforms[0] if self.platforms else ""
        for prefixes, system, sys_platform, os_name in (
            (("manylinux", "musllinux", "linux"), "Linux", "linux", "posix"),
            (("macosx",), "Darwin", "darwin", "posix"),
            (("win",), "Windows", "win32", "nt"),
        ):
            if plat.startswith(prefixes):
                env.update(platform_system=system, sys_platform=sys_platform, os_name=os_name)
                arch = plat.split("_", 1)[1] if plat.startswith(("win_", "linux_")) else plat
                for known in ("x86_64", "aarch64", "arm64", "i686", "amd64", "ppc64le", "s390x", "armv7l"):
                    if arch.endswith(known):
                        env["platform_machine"] = {"amd64": "AMD64"}.get(known, known)
        return env


def _manylinux(arch: str, glibc_max: Tuple[int, int]) -> Tuple[str, ...]:
    """All manylinux tags up to glibc_max, newest first (pip does not expand --platform by itself)."""
    plats = ["manylinux_2_%d_%s" % (minor, arch) for minor in range(glibc_max[1], 4, -1)]
    plats += ["manylinux2014_%s" % arch, "manylinux2010_%s" % arch, "manylinux1_%s" % arch]
    return tuple(plats)


PROFILES: Dict[str, Target] = {
    "host": Target(notes="the interpreter running splice-bundle"),
    "chatgpt": Target(
        "chatgpt",
        "3.11",
        _manylinux("x86_64", (2, 31)),
        "cp",
        ("cp311",),
        notes="ChatGPT code interpreter: CPython 3.11, manylinux x86_64 (glibc ≤ 2.31 assumed)",
    ),
    "chatgpt-legacy": Target(
        "chatgpt-legacy",
        "3.8",
        _manylinux("x86_64", (2, 31)),
        "cp",
        ("cp38",),
        notes="older ChatGPT snapshots: CPython 3.8, manylinux x86_64",
    ),
}


def make_target(
    profile: Optional[str],
    python_version: Optional[str],
    platforms: Tuple[str, ...],
    implementation: Optional[str],
    abis: Tuple[str, ...],
) -> Target:
    """A profile, with any explicit flag overriding the profile's field."""
    if profile and profile not in PROFILES:
        raise ValueError("unknown profile %r; choose from: %s" % (profile, ", ".join(PROFILES)))
    base = PROFILES[profile or "host"]
    if not (python_version or platforms or implementation or abis):
        return base
    return Target(
        name=(profile or "custom") + ("+flags" if profile else ""),
        python_version=python_version or base.python_version,
        platforms=tuple(platforms) or base.platforms,
        implementation=implementation or base.implementation,
        abis=tuple(abis) or base.abis,
    )


def wheel_tags(filename: str) -> List[str]:
    """The expanded tags of a wheel file name, as strings ('py3-none-any')."""
    return sorted(str(t) for t in parse_wheel_filename(filename)[3])


def incompatible(filename: str, target: Target) -> Optional[str]:
    """None when the wheel runs on target, else a one-line reason."""
    mine = parse_wheel_filename(filename)[3]
    if mine & target.supported():
        return None
    return "%s does not run on %s (wheel tags: %s)" % (
        filename,
        target.describe(),
        ", ".join(sorted(str(t) for t in mine)[:3]),
    )
