"""Properties: generated modules (hypothesis) and the real standard library."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import roundtrip
from splice.core.edit import Doc, apply_splices, check_syntax, plan_append, plan_remove, plan_replace
from splice.core.errors import SpliceError

names = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega"])


@st.composite
def defs(draw, depth=0):
    kind = draw(st.sampled_from(["def", "class", "assign"] if depth else ["def", "class"]))
    name = draw(names)
    if kind == "assign":
        return ["%s = %d" % (name.upper(), draw(st.integers(0, 9)))]
    head = ["# about %s" % name] if draw(st.booleans()) else []
    if draw(st.booleans()) and kind == "def":
        head.append("@decorator")
    head.append("%s %s%s:" % (kind, name, "(x)" if kind == "def" else ""))
    body: list = []
    if depth < 2:
        for child in draw(st.lists(defs(depth + 1), max_size=3)):
            body += child + ([""] if draw(st.booleans()) else [])
    if not body or kind == "def":
        body.append("return x" if kind == "def" else "pass")
    return head + ["    " + line if line else "" for line in body]


@st.composite
def modules(draw):
    lines = ['"""Generated."""', "import os", ""]
    blocks = draw(st.lists(defs(), min_size=1, max_size=5))
    for i, block in enumerate(blocks):
        wrap = draw(st.booleans())
        if wrap:
            lines.append("# section: part%d" % i)
        lines += block
        if wrap:
            lines.append("# endsection")
        lines += [""] * draw(st.integers(0, 2))
    return "\n".join(lines).rstrip("\n") + ("\n" if draw(st.booleans()) else "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_generated_modules_round_trip(text):
    ast.parse(text)
    doc = Doc.from_text(text)
    for q, chunk in doc.index.chunks.items():
        if q == "<module>" or (chunk.kind == "imports" and chunk.start == chunk.end):
            continue
        shown = "".join(doc.lines[chunk.start : chunk.end])
        if not chunk.parts:
            new, placed = apply_splices(doc, plan_replace(doc, chunk, shown))
            assert "".join(new) == text, q
        new, placed = apply_splices(doc, plan_remove(doc, chunk))
        ast.parse("".join(new))
        if chunk.kind in ("def", "class"):
            new, placed = apply_splices(doc, plan_replace(doc, chunk, "value = 42\nreturn value"))
            check_syntax(doc, new, placed)
            assert "value = 42" in "".join(new)
        if chunk.kind in ("class", "section"):
            new, placed = apply_splices(doc, plan_append(doc, chunk, "def appended(self):\n    return 1"))
            after = "".join(new)
            ast.parse(after)
            again = Doc.from_text(after)
            assert any(c.name == "appended" for c in again.index.chunks.values())


SHARDS = 8  # the sample in eight parts of about equal work, so that xdist spreads it over its workers


def _sample():
    files = roundtrip.stdlib_files()
    every = int(os.environ.get("SPLICE_STDLIB_EVERY", "12"))
    return files[::every]


def _shard(files, shard: int):
    """One of SHARDS parts of the work on `files`, as (files, {file: (piece, pieces)}). The work of a file grows about
    with its size squared (every symbol's removal re-reads the whole file); a file with more than half a part's share
    is checked in pieces (every n-th symbol) spread over the parts. Largest first, each to the part with the least
    work so far."""
    weight = {p: p.stat().st_size ** 2 for p in files}
    share = sum(weight.values()) / SHARDS
    jobs = []
    for path in files:
        n = max(1, min(SHARDS, round(2 * weight[path] / share)))
        jobs += [(weight[path] / n, path, (i, n)) for i in range(n)]
    parts = [[] for _ in range(SHARDS)]
    work = [0.0] * SHARDS
    for w, path, piece in sorted(jobs, key=lambda j: (-j[0], str(j[1]), j[2])):
        i = min(range(SHARDS), key=lambda k: (work[k], len(parts[k])))
        parts[i].append((path, piece))
        work[i] += w
    return sorted(p for p, _ in parts[shard]), dict(parts[shard])


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_stdlib_round_trip_sample(shard):
    """A spread sample of the stdlib here (SPLICE_STDLIB_EVERY=1 for all; benchmarks/stdlib_roundtrip.py), checked
    in SHARDS parts side by side (the next test: together they are the whole sample, of more than 1000 symbols)."""
    files, pieces = _shard(_sample(), shard)
    tried, failures, skipped = roundtrip.run(files, workers=1, parts=pieces)  # one fresh process per part
    print(
        "stdlib sample, part %d of %d: %d files, %d symbols tried, %d failures, %d skipped"
        % (shard + 1, SHARDS, len(files), tried, len(failures), skipped)
    )
    assert tried > 0
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.slow
def test_the_stdlib_parts_cover_the_sample_once_and_it_has_more_than_1000_symbols():
    """The parts above together: every file of the sample, each piece of a split file once, > 1000 symbols."""
    sample = _sample()
    pieces = {}
    for shard in range(SHARDS):
        files, split = _shard(sample, shard)
        for path in files:
            pieces.setdefault(path, []).append(split[path])
    assert sorted(pieces) == sorted(sample)
    assert all(sorted(got) == [(i, got[0][1]) for i in range(got[0][1])] for got in pieces.values())
    assert sum(roundtrip.symbols(path) for path in sample) > 1000


def test_replace_fails_cleanly_on_unparseable_file(tmp_path):
    p = tmp_path / "broken.py"
    p.write_text("def f(:\n    pass\n")
    import splice

    with pytest.raises(SpliceError) as err:
        splice.show("%s::f" % p)
    assert "does not parse" in str(err.value) and "edit(" in str(err.value)
    splice.edit(str(p), "def f(:", "def f():")
    assert Path(p).read_text() == "def f():\n    pass\n"
