"""`splice-bundle`: build, inspect, verify and extract single-file bundles."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import click

from bundler import __version__
from bundler.buildcache import default_dir as default_cache_dir
from bundler.render import runtime
from bundler.resources import DEFAULT_OUTPUT, payload_dir, project_version
from bundler.targets import PROFILES, Target, incompatible, make_target, make_targets
from bundler.wheels import BuildError


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1000.0
    return str(n)


def _flag_options(func: Callable, versions_help: str, many: bool) -> Callable:
    opts = [
        click.option("--python-version", "python_versions", multiple=many, help=versions_help),
        click.option("--platform", "platforms", multiple=True, help="Target platform tag (repeatable)."),
        click.option("--implementation", help="Target implementation: cp, pp, py."),
        click.option("--abi", "abis", multiple=True, help="Target ABI tag, e.g. cp311 (repeatable)."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


PROFILE_HELP = "; ".join("%s = %s" % (k, v.notes) for k, v in PROFILES.items())


def targets_options(func: Callable) -> Callable:
    """build: --target repeatable (one bundle for several interpreters); flags shape one target per version."""
    func = _flag_options(
        func, "Target Python, e.g. 3.11 (overrides the profile; repeatable: one target per version).", True
    )
    return click.option(
        "--target",
        "--profile",
        "profiles",
        multiple=True,
        type=click.Choice(sorted(PROFILES)),
        help="Named target (repeatable: the bundle picks at import the one that fits): " + PROFILE_HELP,
    )(func)


def target_options(func: Callable) -> Callable:
    """verify: one target, a profile or the name of one of the bundle's targets."""
    func = _flag_options(func, "Target Python, e.g. 3.11 (overrides the profile).", False)
    return click.option(
        "--target",
        "--profile",
        "profile",
        help="A target of the bundle (see inspect) or a profile: " + PROFILE_HELP,
    )(func)


def _targets(
    profiles: Tuple[str, ...],
    python_versions: Tuple[str, ...],
    platforms: Tuple[str, ...],
    implementation: Optional[str],
    abis: Tuple[str, ...],
) -> List[Target]:
    try:
        return make_targets(profiles, python_versions, platforms, implementation, abis)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    payload = payload_dir()
    bundled = "splice %s, from %s" % (project_version(payload), payload) if payload else "no splice payload"
    click.echo("splice-bundle %s (bundles %s)" % (__version__, bundled))
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the bundler's version and the splice version it bundles.",
)
def main() -> None:
    """Pack splice and chosen wheels into ONE importable .py that installs itself offline.

    \b
    splice-bundle build                          # dist/splice_bootstrap.py: splice for this interpreter
    splice-bundle build rich jedi --target chatgpt --compression xz
    splice-bundle build msgpack --target chatgpt --target aarch64   # one file for both; picked at import
    splice-bundle build --find-links wheels/ -r requirements.txt    # offline build
    splice-bundle build -r pylock.toml --target chatgpt             # exactly the locked wheels, hash-checked
    splice-bundle inspect dist/splice_bootstrap.py [--json | --sbom]
    splice-bundle verify dist/splice_bootstrap.py --target chatgpt
    """


@main.command("build")
@click.argument("requirements", nargs=-1)
@click.option(
    "-r",
    "--requirement",
    "requirement_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Requirements file for pip download, or a lock: pylock.toml or requirements with --hash lines, "
    "every wheel checked against its hash (repeatable).",
)
@click.option(
    "--find-links",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Take wheels only from this folder (offline build; repeatable).",
)
@click.option(
    "--add",
    "add",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A local project (built into a wheel), a .whl, or plain files/folders to ship (repeatable).",
)
@click.option(
    "--extra",
    "extras",
    multiple=True,
    help="Pack the wheels of a splice extra for the target too (repeatable): --extra mcp makes the bundle a full "
    "MCP server, `python BUNDLE.py -c splice mcp`.",
)
@click.option("--no-payload", is_flag=True, help="Leave the splice library out: a bundle of wheels only.")
@click.option(
    "--payload-dir",
    "payload_project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The splice payload project to build (default: the one packed with splice-bundle).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Bundle file; its name is the module name.",
)
@click.option(
    "--compression",
    type=click.Choice(["gz", "xz"]),
    default="gz",
    show_default=True,
    help="gz extracts fastest; xz makes the smallest file.",
)
@click.option(
    "--extension",
    "extensions",
    multiple=True,
    help="IPython extension to load at import (default: splice when the payload is included).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Build local projects afresh: neither read nor fill the build cache (SPLICE_BUNDLE_CACHE, else "
    "~/.cache/splice-bundle), where a project built before with the same files and build tools is copied from.",
)
@targets_options
def build_cmd(
    requirements: Tuple[str, ...],
    requirement_files: Tuple[Path, ...],
    find_links: Tuple[Path, ...],
    add: Tuple[Path, ...],
    extras: Tuple[str, ...],
    no_payload: bool,
    payload_project: Optional[Path],
    output: Path,
    compression: str,
    extensions: Tuple[str, ...],
    no_cache: bool,
    **target_opts: object,
) -> None:
    """Build a bundle from the splice payload plus REQUIREMENTS (pip requirement specifiers).

    \b
    Examples:
      splice-bundle build tabulate 'rich>=13' --target chatgpt
      splice-bundle build msgpack tabulate --target chatgpt --target chatgpt-legacy --target pyodide
      splice-bundle build --add ./myproject --add notes/ -o dist/tools.py
      splice-bundle build --no-payload numpy --python-version 3.8 --platform manylinux2014_x86_64
    """
    from bundler.build import BuildOptions, build  # here: inspect, verify and extract need none of the build's modules

    payload = None if no_payload else payload_project or _default_payload()
    opts = BuildOptions(
        requirements,
        requirement_files,
        find_links,
        add,
        payload,
        output,
        _targets(**target_opts),  # type: ignore[arg-type]
        compression,
        extensions,
        extras,
        None if no_cache else default_cache_dir(),
    )
    try:
        result = build(opts, progress=lambda msg: click.echo("… " + msg, err=True))
    except BuildError as exc:
        raise click.ClickException(str(exc)) from None
    lines = ["built %s for %s" % (result.output, "; ".join(t.describe() for t in opts.targets))]
    width = max([len("%s %s" % (w.name, w.version)) for w in result.wheels] + [10])
    several = len(opts.targets) > 1
    for w in result.wheels:
        serves = "  " + _serves(result.served[w.path.name], len(opts.targets)) if several else ""
        lines.append("  %-*s %9s%s" % (width, "%s %s" % (w.name, w.version), _size(w.size), serves))
    for name in result.files:
        lines.append("  file %s" % name)
    wt = result.wheel_total
    lines.append(
        "wheels %s, payload %s (%s), bundle %s = %.2f× the wheels"
        % (
            _size(wt),
            _size(result.payload_size),
            compression,
            _size(result.final_size),
            result.final_size / wt if wt else 0,
        )
    )
    times = ", ".join(
        "%s%s" % ("%.0f ms" % (s * 1e3) if s < 1 else "%.1f s" % s, " (%s)" % name if several else "")
        for name, s in result.cold_by_target.items()
    )
    lines.append(
        "cold start: verify + unpack %s here (a first import's extra work; later imports find the cache)" % times
    )
    click.echo("\n".join(lines))


def _serves(names: List[str], total: int) -> str:
    return "all targets" if len(names) == total else ", ".join(names)


def _served(meta: Dict) -> Dict[str, List[str]]:
    """Wheel file -> the names of the targets it serves (a bundle made before targets: the one it was built for)."""
    targets = meta.get("targets") or [{"name": meta.get("target", "?"), "wheels": [w["file"] for w in meta["wheels"]]}]
    return {w["file"]: [t["name"] for t in targets if w["file"] in t["wheels"]] for w in meta["wheels"]}


def _default_payload() -> Path:
    found = payload_dir()
    if found is None:
        raise click.UsageError("this splice-bundle carries no splice payload: pass --payload-dir DIR or --no-payload")
    return found


def _read_bundle(path: Path) -> Tuple[str, Dict]:
    rt = runtime()
    try:
        text = path.read_text(encoding="utf-8")
        return text, rt.parse_header(text)
    except (UnicodeDecodeError, rt.BundleError) as exc:
        raise click.ClickException("%s: %s" % (path, exc)) from None


@main.command("inspect")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON (each wheel with its targets).")
@click.option(
    "--sbom", is_flag=True, help="Print a CycloneDX 1.6 JSON SBOM: every wheel (purl, SHA-256) and the bundle itself."
)
def inspect_cmd(bundle: Path, as_json: bool, sbom: bool) -> None:
    """Show a bundle's manifest without extracting anything.

    Example: splice-bundle inspect dist/splice_bootstrap.py --json
    """
    _text, meta = _read_bundle(bundle)
    served = _served(meta)
    if sbom:
        from bundler.sbom import sbom_json

        try:
            click.echo(sbom_json(meta, served, hashlib.sha256(bundle.read_bytes()).hexdigest()))
        except BuildError as exc:
            raise click.ClickException(str(exc)) from None
        return
    if as_json:
        shown = dict(meta, wheels=[dict(w, targets=served[w["file"]]) for w in meta["wheels"]])
        click.echo(json.dumps(shown, indent=1, sort_keys=True))
        return
    targets = meta.get("targets") or []
    click.echo("%s  (%s, format %s)" % (meta["name"], meta["builder"], meta["format"]))
    click.echo(
        "%s; payload %s %s, sha256 %s"
        % (
            "%d targets" % len(targets) if len(targets) > 1 else "target %s" % meta["target"],
            _size(meta["size"]),
            meta["compression"],
            meta["sha256"],
        )
    )
    if len(targets) > 1:
        for t in targets:
            click.echo("  target %s: %d wheels" % (t["describe"], len(t["wheels"])))
    for w in meta["wheels"]:
        click.echo(
            "  %s %s  %s  [%s%s]%s"
            % (
                w["name"],
                w["version"],
                _size(w["size"]),
                w["tags"][0],
                " +%d tags" % (len(w["tags"]) - 1) if len(w["tags"]) > 1 else "",
                "  " + _serves(served[w["file"]], len(targets)) if len(targets) > 1 else "",
            )
        )
    for name in meta["files"]:
        click.echo("  file %s" % name)
    click.echo("extensions: %s" % (", ".join(meta["extensions"]) or "none"))


def verify_bundle(text: str, meta: Dict, target: Optional[Target] = None) -> List[str]:
    """Every problem found: hash, member safety, manifest agreement, wheel RECORD hashes, target compatibility.

    target None: each of the bundle's targets against the wheels it lists; a target of the bundle (Target.name
    matches): that one; any other target: it must be served by one of the bundle's targets.
    """
    rt = runtime()
    problems: List[str] = []
    try:
        data = rt.decode_payload(text, meta)
    except rt.BundleError as exc:
        return [str(exc)]
    records: Dict[str, Dict[str, str]] = {}
    contents: Dict[str, Dict[str, bytes]] = {}
    files = [w["file"] for w in meta["wheels"]]
    try:
        for member, blob in rt.iter_payload(data, meta["compression"]):
            rt.check_member(member)
            if not member.isfile():
                continue
            if member.name == "manifest.json":
                inner = json.loads(blob)
                outer = {k: v for k, v in meta.items() if k not in ("sha256", "size", "b64_len", "groups")}
                if inner != outer:
                    problems.append("header manifest differs from the payload's manifest.json (header edited)")
                continue
            head, _, rest = member.name.partition("/")
            index, _, inner_name = rest.partition("/")
            if head == "w" and index.isdigit() and int(index) < len(files):
                wheel = files[int(index)]
                contents.setdefault(wheel, {})[inner_name] = blob
                if inner_name.endswith(".dist-info/RECORD"):
                    rows = [line.split(",") for line in blob.decode("utf-8").splitlines() if line]
                    records[wheel] = {r[0]: r[1] for r in rows if len(r) >= 2 and r[1]}
    except rt.BundleError as exc:
        return problems + [str(exc)]
    for w in meta["wheels"]:
        record, members = records.get(w["file"]), contents.get(w["file"], {})
        if record is None:
            problems.append("%s: no RECORD in the payload" % w["file"])
            continue
        for name, hashspec in record.items():
            algo, _, want = hashspec.partition("=")
            if name not in members:
                problems.append("%s: %s listed in RECORD but missing" % (w["file"], name))
                continue
            got = base64.urlsafe_b64encode(hashlib.new(algo, members[name]).digest()).rstrip(b"=").decode()
            if got != want:
                problems.append("%s: %s does not match its RECORD hash" % (w["file"], name))
    return problems + _fit_problems(meta, target)


def _fit_problems(meta: Dict, target: Optional[Target]) -> List[str]:
    recorded = meta.get("targets") or [
        dict(Target().spec(), wheels=[w["file"] for w in meta["wheels"]])  # a bundle made before targets
    ]
    if target is None:
        checks = [(Target.from_spec(t), t) for t in recorded]
    else:
        same = [t for t in recorded if t["name"] == target.name]
        if same and Target.from_spec(same[0]) == target:
            checks = [(Target.from_spec(same[0]), same[0])]
        else:  # a target the bundle was not built for: some target of the bundle must run there
            tries = [[r for r in (incompatible(f, target) for f in t["wheels"]) if r] for t in recorded]
            return [] if any(not found for found in tries) else min(tries, key=len)
    return [r for target_, t in checks for r in (incompatible(f, target_) for f in t["wheels"]) if r]


@main.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@target_options
def verify_cmd(bundle: Path, **target_opts: object) -> None:
    """Check integrity (sha256, safe members, wheel RECORD hashes) and compatibility; exit 1 on any problem.

    Example: splice-bundle verify dist/splice_bootstrap.py --target chatgpt
    """
    text, meta = _read_bundle(bundle)
    target = _verify_target(meta, **target_opts)  # type: ignore[arg-type]
    problems = verify_bundle(text, meta, target)
    if problems:
        for p in problems:
            click.echo("FAIL %s" % p, err=True)
        sys.exit(1)
    names = [t["describe"] for t in meta.get("targets") or []]
    click.echo(
        "ok: %s, %d wheels, sha256 %s…, all runnable on %s"
        % (
            bundle.name,
            len(meta["wheels"]),
            meta["sha256"][:12],
            target.describe() if target else "; ".join(names) or "the host",
        )
    )


def _verify_target(
    meta: Dict,
    profile: Optional[str],
    python_versions: Optional[str],
    platforms: Tuple[str, ...],
    implementation: Optional[str],
    abis: Tuple[str, ...],
) -> Optional[Target]:
    recorded = {t["name"]: t for t in meta.get("targets") or []}
    flags = python_versions or platforms or implementation or abis
    if profile in recorded and not flags:
        return Target.from_spec(recorded[profile])
    if profile and profile not in PROFILES:
        raise click.UsageError(
            "no target %r: the bundle has %s; profiles: %s"
            % (profile, ", ".join(recorded) or "none recorded", ", ".join(PROFILES))
        )
    if not (profile or flags):
        return None if recorded else Target()
    try:
        return make_target(profile, python_versions, platforms, implementation, abis)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@main.command("extract")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def extract_cmd(bundle: Path, dest: Path) -> None:
    """Write the bundle's wheels (to DEST/wheels) and plain files (to DEST/files).

    Example: splice-bundle extract dist/splice_bootstrap.py out/ && pip install out/wheels/*.whl
    """
    text, meta = _read_bundle(bundle)
    rt = runtime()
    try:
        rt.extract(str(dest), text=text, meta=meta)
    except rt.BundleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("extracted %d wheels and %d files into %s" % (len(meta["wheels"]), len(meta["files"]), dest))
