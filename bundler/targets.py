"""Which interpreter a bundle is built for: profiles, pip download flags and wheel-tag compatibility."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

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

    @property
    def is_wasm(self) -> bool:
        """A WebAssembly target (Pyodide): only pure wheels and wheels built for it can run there."""
        return any(p.startswith(WASM_PLATFORMS) for p in self.platforms)

    def resolved(self) -> "Target":
        """The same target with the host's fields filled in: what a manifest records, so that `verify` judges a
        bundle by the interpreter it was built for, on any machine."""
        if not self.is_host:
            return self
        impl = ptags.interpreter_name()
        return Target(
            self.name,
            "%d.%d" % sys.version_info[:2],
            tuple(ptags.platform_tags()),
            impl,
            tuple(dict.fromkeys(t.abi for t in ptags.sys_tags() if t.abi not in ("none", "abi3", "abi3t"))),
            self.notes,
        )

    def spec(self) -> Dict[str, object]:
        """The manifest's record of this target (resolved), read back by from_spec."""
        full = self.resolved()
        return dict(
            name=self.name,
            describe=self.describe(),
            python_version=full.python_version,
            implementation=full.implementation,
            abis=list(full.abis),
            platforms=list(full.platforms),
        )

    @classmethod
    def from_spec(cls, spec: Dict) -> "Target":
        return cls(
            spec["name"],
            spec["python_version"],
            tuple(spec["platforms"]),
            spec["implementation"],
            tuple(spec["abis"]),
        )

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


WASM_PLATFORMS = ("pyemscripten_", "pyodide_", "emscripten_")


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
    "aarch64": Target(
        "aarch64",
        "3.11",
        _manylinux("aarch64", (2, 31)),
        "cp",
        ("cp311",),
        notes="ARM sandboxes (Graviton, Ampere, Apple-silicon Linux VMs): CPython 3.11, manylinux aarch64",
    ),
    "pyodide": Target(
        "pyodide",
        "3.14",
        ("pyemscripten_2026_0_wasm32", "pyodide_2026_0_wasm32", "emscripten_5_0_3_wasm32"),
        "cp",
        ("cp314",),
        notes="Pyodide 314 (npm pyodide 314.x, JupyterLite, in-browser runners): CPython 3.14 on WebAssembly; "
        "pure wheels and Pyodide-tagged ones only",
    ),
    "pyodide-2024": Target(
        "pyodide-2024",
        "3.12",
        ("pyodide_2024_0_wasm32", "emscripten_3_1_58_wasm32"),
        "cp",
        ("cp312",),
        notes="Pyodide 0.27 (CPython 3.12, WebAssembly)",
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
    impl = implementation or base.implementation
    if not abis and python_version and python_version != base.python_version and base.abis and impl in (None, "cp"):
        abis = ("cp" + "".join(python_version.split(".")[:2]),)  # the profile's ABI belongs to its own Python
    return Target(
        name=(profile or "custom") + ("+flags" if profile else ""),
        python_version=python_version or base.python_version,
        platforms=tuple(platforms) or base.platforms,
        implementation=impl,
        abis=tuple(abis) or base.abis,
    )


def make_targets(
    profiles: Sequence[str],
    python_versions: Sequence[str],
    platforms: Tuple[str, ...],
    implementation: Optional[str],
    abis: Tuple[str, ...],
) -> List[Target]:
    """The targets of a build: one per --target, or one per --python-version with the other flags shaping each.

    Flags shape one profile at most (which of several would they override?).
    """
    profiles = list(dict.fromkeys(profiles))
    flags = bool(python_versions or platforms or implementation or abis)
    if flags and len(profiles) > 1:
        raise ValueError(
            "--python-version/--platform/--implementation/--abi shape one target; they came with %d --target "
            "profiles (%s): give them with at most one" % (len(profiles), ", ".join(profiles))
        )
    if not flags:
        return [make_target(p, None, (), None, ()) for p in profiles or ["host"]]
    profile = profiles[0] if profiles else None
    versions = list(dict.fromkeys(python_versions)) or [None]
    out = []
    for version in versions:
        target = make_target(profile, version, platforms, implementation, abis)
        if len(versions) > 1:
            target = replace(target, name="%s-%s" % (profile or "custom", version))
        out.append(target)
    return out


def wheel_tags(filename: str) -> List[str]:
    """The expanded tags of a wheel file name, as strings ('py3-none-any')."""
    return sorted(str(t) for t in parse_wheel_filename(filename)[3])


def incompatible(filename: str, target: Target) -> Optional[str]:
    """None when the wheel runs on target, else a one-line reason."""
    mine = parse_wheel_filename(filename)[3]
    if mine & target.supported():
        return None
    if target.is_wasm:
        return "%s (%s) is neither a pure wheel nor one built for %s (%s): it cannot run on WebAssembly" % (
            parse_wheel_filename(filename)[0],
            filename,
            target.name,
            target.platforms[0],
        )
    return "%s does not run on %s (wheel tags: %s)" % (
        filename,
        target.describe(),
        ", ".join(sorted(str(t) for t in mine)[:3]),
    )
