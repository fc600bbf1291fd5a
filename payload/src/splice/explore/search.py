"""Search grouped by file and enclosing symbol: grep's hits, plus where each one lives.

Matching runs on bytes (a file without the needle costs one `in`), lines are counted as grep counts them (on \\n).
Only files with hits are scanned for their definitions, by a line scanner that tracks indentation, brackets and
triple-quoted strings instead of parsing: the enclosing name of a hit is its innermost class or function under the
chunk rule (decorators and directly attached comments belong to the definition below them).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from splice.core.budget import DEFAULT_LINES, clip
from splice.core.walk import iter_files

_HEADER = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)")
FEW = 10  # up to this many hits, `find` shows them all in full even where that is longer than grep's output
_STRINGS = re.compile(r"""[rbuRBUfF]{0,2}(?:'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")""")


@dataclass(frozen=True)
class Hit:
    path: str
    line: int  # 1-based
    text: str
    symbol: str  # innermost class/function qualified name, "" at module level


# ---------------------------------------------------------------------------------------------------- symbols


def _first_triple(code: str) -> int:
    """Index of the first triple quote that is not inside a one-line string, or -1."""
    for m in re.finditer(r"'''|\"\"\"|(?P<s>%s)" % _STRINGS.pattern, code):
        if m.group("s") is None:
            return m.start()
        body = m.group("s").lstrip("rbuRBUfF")  # r"" followed by " is the start of r"""
        if body in ('""', "''") and code[m.end() : m.end() + 1] == body[0]:
            return m.end() - 2
    return -1


def _brackets(code: str, depth: int) -> Tuple[int, Optional[str]]:
    """Bracket depth after a piece of code, and the triple quote it leaves open (if any)."""
    pos = _first_triple(code) if ('"""' in code or "'''" in code) else -1
    if pos >= 0:
        quote = code[pos:pos + 3]
        depth = _brackets(code[:pos], depth)[0]
        rest = code[pos + 3:]
        end = rest.find(quote)
        if end >= 0:  # opened and closed on this line: go on after it
            return _brackets(rest[end + 3:], depth)
        return depth, quote
    code = _STRINGS.sub("", code)
    if "#" in code:
        code = code.split("#", 1)[0]
    return max(depth + code.count("(") + code.count("[") + code.count("{") - code.count(")") - code.count("]")
               - code.count("}"), 0), None


def enclosing_names(lines: List[str], upto: int) -> List[str]:
    """The innermost class/function qualified name of each line (0-based) up to `upto`, by scanning lines.

    Comment lines are settled by the next code line, as the chunk rule says: directly above a definition at their
    indentation they belong to it; deeper than a definition that just ended they are its trailing comments;
    otherwise they belong to the scope that goes on.
    """
    names: List[str] = []
    stack: List[Tuple[int, str]] = []
    comments: List[Tuple[int, int, bool]] = []  # unsettled comment lines: (index, indent, touches next line)
    decorators: List[int] = []
    before_decorators: List[Tuple[int, str]] = []
    quote: Optional[str] = None
    depth = 0

    def settle(before: List[Tuple[int, str]], after: List[Tuple[int, str]], header: Optional[Tuple[int, str]]) -> None:
        popped = before[len(after):]
        for idx, ind, attached in comments:
            name = after[-1][1] if after else ""
            if header is not None and attached and ind == header[0]:
                name = header[1]
            else:
                for hind, hname in reversed(popped):
                    if hind < ind:
                        name = hname
                        break
            names[idx] = name
        comments.clear()

    i = 0
    n = len(lines)
    while i < n and (i <= upto or comments or decorators):
        line = lines[i]
        if quote is not None:
            names.append(stack[-1][1] if stack else "")
            if quote in line:  # the string closes here: count what follows it
                depth, quote = _brackets(line.split(quote, 1)[1], depth)
            i += 1
            continue
        stripped = line.lstrip(" \t\f")
        if depth > 0:
            if decorators:  # a decorator spanning lines: all of it goes with its definition
                decorators.append(i)
            names.append(stack[-1][1] if stack else "")
        elif not stripped or stripped.isspace():
            names.append(stack[-1][1] if stack else "")
            if comments:
                comments[:] = [(c, ind, False) for c, ind, _ in comments]  # a blank line detaches them
            decorators = []
            i += 1
            continue
        elif stripped[0] == "#":
            names.append(stack[-1][1] if stack else "")
            comments.append((i, len(line) - len(stripped), True))
            i += 1
            continue
        else:
            indent = len(line) - len(stripped)
            first = stripped[0]
            is_decorator = first == "@"
            before = list(stack) if not decorators else before_decorators
            if is_decorator and not decorators:
                before_decorators = list(stack)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            m = _HEADER.match(stripped) if first in "dca" else None
            header = None
            if m:
                header = (indent, (stack[-1][1] + "." if stack else "") + m.group(1))
            elif is_decorator:
                decorators.append(i)
            if not is_decorator or m:  # decorators wait for the definition they decorate
                if comments:
                    settle(before, list(stack), header)
                if header:
                    if decorators and len(lines[decorators[0]]) - len(lines[decorators[0]].lstrip(" \t")) == indent:
                        for d in decorators:
                            names[d] = header[1]
                    stack.append(header)
                decorators = []
            names.append(stack[-1][1] if stack else "")
        if "'" in stripped or '"' in stripped or "#" in stripped:
            depth, quote = _brackets(stripped, depth)
        elif depth or "(" in stripped or "[" in stripped or "{" in stripped:
            depth = max(depth + stripped.count("(") + stripped.count("[") + stripped.count("{") - stripped.count(")")
                        - stripped.count("]") - stripped.count("}"), 0)
        i += 1
    if comments:
        settle(list(stack), [], None)
    return names[: upto + 1] if len(names) > upto else names


# ---------------------------------------------------------------------------------------------------- searching


def _matcher(pattern: str, regex: bool, word: bool, ignore_case: bool):
    """(does the file match, iterator over match start offsets)."""
    if not regex and not word and not ignore_case:
        needle = pattern.encode("utf-8")

        def starts(data: bytes) -> Iterator[int]:
            pos = data.find(needle)
            while pos >= 0:
                yield pos
                pos = data.find(needle, pos + 1)

        return (lambda data: needle in data), starts
    rx = pattern if regex else re.escape(pattern)
    if word:
        rx = r"(?<![\w])(?:%s)(?![\w])" % rx
    compiled = re.compile(rx.encode("utf-8"), (re.IGNORECASE if ignore_case else 0) | re.MULTILINE)
    return (lambda data: compiled.search(data) is not None), (lambda data: (m.start() for m in compiled.finditer(data)))


_SYMBOLS: "Dict[str, Tuple[int, int, List[str]]]" = {}  # path -> (mtime_ns, size, enclosing name per line)
_SYMBOLS_MAX = 4000


def _symbols_for(path: str, data: bytes) -> List[str]:
    """Enclosing names for every line of a file, cached by mtime and size: repeated searches skip the scan."""
    try:
        st = os.stat(path)
        key: Optional[Tuple[int, int]] = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    cached = _SYMBOLS.get(path)
    if key is not None and cached is not None and cached[:2] == key:
        return cached[2]
    lines = data.decode("utf-8", "replace").split("\n")
    names = enclosing_names(lines, len(lines) - 1)
    if key is not None:
        if len(_SYMBOLS) >= _SYMBOLS_MAX:
            _SYMBOLS.pop(next(iter(_SYMBOLS)))
        _SYMBOLS[path] = (key[0], key[1], names)
    return names


def find_hits(pattern: str, path: str = ".", regex: bool = False, word: bool = False, glob: str = "*.py",
              ignore_case: bool = False, symbols: bool = True, counts: Optional[Dict[str, int]] = None,
              keep: Optional[int] = None) -> List[Hit]:
    """Every matching line under path (files in walk order, lines in file order), as grep -rn counts lines.

    symbols=False leaves `symbol` empty (see with_symbols: the budgeted `find` fills in only what it shows).
    keep: stop materialising hits after this many, only count them into `counts` (path -> hits)."""
    in_file, starts = _matcher(pattern, regex, word, ignore_case)
    hits: List[Hit] = []
    for file in iter_files(path, glob):
        try:
            with open(file, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data[:8192] or not in_file(data):
            continue
        if keep is not None and len(hits) >= keep and counts is not None:
            n_lines, line_no, counted_to, last = 0, 0, 0, -1
            for pos in starts(data):
                line_no += data.count(b"\n", counted_to, pos)
                counted_to = pos
                if line_no != last:
                    n_lines, last = n_lines + 1, line_no
            counts[file] = n_lines
            continue
        found: List[Tuple[int, int, int]] = []  # (line index, line start, line end)
        line_no, counted_to, last_line = 0, 0, -1
        for pos in starts(data):
            line_no += data.count(b"\n", counted_to, pos)
            counted_to = pos
            if line_no == last_line:
                continue
            begin = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            found.append((line_no, begin, end if end >= 0 else len(data)))
            last_line = line_no
        if not found:
            continue
        if counts is not None:
            counts[file] = len(found)
        names = _symbols_for(file, data) if symbols and file.endswith((".py", ".pyi", ".pyw")) else []
        for i, begin, end in found:
            text = data[begin:end].decode("utf-8", "replace").rstrip("\r")
            hits.append(Hit(file, i + 1, text, names[i] if i < len(names) else ""))
    return hits


def with_symbols(hits: List[Hit]) -> List[Hit]:
    """Fill in the enclosing symbols of hits found with symbols=False."""
    out: List[Hit] = []
    names: List[str] = []
    current = None
    for h in hits:
        if h.path != current:
            current = h.path
            try:
                with open(h.path, "rb") as f:
                    names = _symbols_for(h.path, f.read()) if h.path.endswith((".py", ".pyi", ".pyw")) else []
            except OSError:
                names = []
        out.append(Hit(h.path, h.line, h.text, names[h.line - 1] if h.line - 1 < len(names) else ""))
    return out


def _scope(path: str) -> Tuple[str, Optional[List[Tuple[int, int]]]]:
    """`find` takes any target as its path: a folder or file as is, a module name, or `FILE::Qual` (its lines)."""
    from splice.core.files import load_doc
    from splice.core.targets import parse_target

    t = parse_target(path, folders=True)  # a path on disk, file or folder, is taken as it is
    if not t.qualname:
        return t.path, None
    return t.path, load_doc(t.path)[0].chunk(t.qualname).spans


def _in_full(by_file: Dict[str, List[Hit]], symbols: Callable[[str], List[Hit]], shown: Callable[[str], str],
             budget: int) -> Tuple[List[str], int, List[Tuple[str, int]]]:
    """Hits in full within `budget` lines: (lines, hits shown, [(file, index of its first hit not shown)]).

    A file line (none when the search was one file, as grep), then per hit `  12: text` at module level,
    `  Sym  12: text` opening a symbol's run and `    15: text` going on with it."""
    out: List[str] = []
    full = 0
    rest: List[Tuple[str, int]] = []
    for file in by_file:
        label = shown(file)
        if rest or len(out) + 1 + bool(label) > budget:
            rest.append((file, 0))
            continue
        if label:
            out.append(label)
        named = symbols(file)
        for i, h in enumerate(named):
            if len(out) >= budget:
                rest.append((file, i))
                break
            text = clip(h.text.strip(), 100)
            if not h.symbol:
                out.append("  %d: %s" % (h.line, text))
            elif i and named[i - 1].symbol == h.symbol:
                out.append("    %d: %s" % (h.line, text))
            else:
                out.append("  %s  %d: %s" % (h.symbol, h.line, text))
            full += 1
    return out, full, rest


def _counted(pattern: str, again: Callable[[int], str], by_file: Dict[str, List[Hit]],
             symbols: Callable[[str], List[Hit]], counts: Dict[str, int], shown: Callable[[str], str], budget: int,
             max_lines: int) -> str:
    """The first hits in full within `budget` lines, then hit counts per symbol, file by file, then the call that
    shows everything (`again` of its max_lines): at most max_lines + 1 lines."""
    total = sum(counts.values())
    out, full, rest = _in_full(by_file, symbols, shown, budget)
    lines = ["%d hits in %d file%s for %r: %d in full, then counts per symbol"
             % (total, len(counts), "" if len(counts) == 1 else "s", pattern, full)] + out
    listed = set(by_file) - {f for f, skip in rest if not skip}  # files with hits in full
    unread = [(f, 0) for f in counts if f not in by_file]  # found, counted, not materialised
    for file, skip in (rest + unread)[: max(max_lines - len(lines), 0)]:
        per: Dict[str, int] = {}
        for h in symbols(file)[skip:] if file in by_file else []:
            per[h.symbol or "(module)"] = per.get(h.symbol or "(module)", 0) + 1
        left = counts[file] - len(by_file.get(file, []))
        if left > 0:
            per["hits" if not per else "more"] = left
        line = (shown(file) or "more:") + (" (more)" if file in listed and shown(file) else "") + " "
        items = list(per.items())
        while items and len(line) + len(items[0][0]) < 140:
            key, n = items.pop(0)
            line += " %s %d," % (key, n)
        lines.append(line.rstrip(",") + (", … %d" % sum(n for _, n in items) if items else ""))
        listed.add(file)
    unlisted = len(set(counts) - listed)
    not_listed = " (%d files not listed)" % unlisted if unlisted else ""
    lines.append("… %d not in full%s: %s shows all" % (total - full, not_listed, again(total + len(counts))))
    return "\n".join(lines)


def _again(door: str, pattern: str, path: str, **given: Any) -> Callable[[int], str]:
    """The call that shows every hit: the same query as given (options, a FILE::Qual path) with a larger budget,
    written for the door the user came through ("python", "cli", "magic", "tool")."""
    defaults = {"regex": False, "word": False, "glob": "*.py", "ignore_case": False}
    opts = [(k, v) for k, v in given.items() if v != defaults[k]]
    if door == "tool":
        head = [("patterns", [pattern]), ("path", path)]
        return lambda n: "find " + json.dumps(dict(head + opts + [("max_lines", n)]))
    if door in ("cli", "magic"):
        head = "splice find" if door == "cli" else "%find"
        flags = "".join(" --%s" % k.replace("_", "-") if v is True else " --glob %s" % shlex.quote(v) for k, v in opts)
        words = " ".join(shlex.quote(w) for w in (pattern, path))
        return lambda n: "%s %s%s --max-lines %d" % (head, words, flags, n)
    args = "".join(", %s=%r" % kv for kv in opts)
    return lambda n: "find(%r, %r%s, max_lines=%d)" % (pattern, path, args, n)


def find(pattern: str, path: str = ".", regex: bool = False, word: bool = False, glob: str = "*.py",
         ignore_case: bool = False, max_lines: Optional[int] = None, door: str = "python") -> str:
    """Hits grouped by file and enclosing symbol: `file`, then `  Sym  12: text` (see _in_full).

    No larger than `grep -rn` for the same query: a path once per file and a symbol once per run instead of a path
    per hit, code without its indentation; when that is still longer than grep's output (every hit in another
    symbol) for more than FEW hits, or over `max_lines`, the first hits in full, then hit counts per symbol, then
    the call for the rest. An explicit `max_lines` lifts the grep-size cap: every hit that fits is shown in full.
    `path`: a folder, a file, a module name, or `FILE::Qual.name` for the hits inside one chunk. `door` words the
    call for the rest ("python", "cli", "magic", "tool"). Several patterns in one budget: `splice.api.find`.
    """
    asked = max_lines is not None
    max_lines = max_lines if max_lines is not None else DEFAULT_LINES
    counts: Dict[str, int] = {}
    again = _again(door, pattern, path, regex=regex, word=word, glob=glob, ignore_case=ignore_case)
    path, spans = _scope(path)
    keep = max_lines * 4 if spans is None else None  # one chunk of one file: filter every hit of the file
    hits = find_hits(pattern, path, regex, word, glob, ignore_case, symbols=False, counts=counts, keep=keep)
    if spans is not None:
        hits = [h for h in hits if any(a < h.line <= b for a, b in spans)]
        counts = {path: len(hits)} if hits else {}
    if not hits:
        return "no hits for %r under %s (%s)" % (pattern, path, glob)
    one_file = os.path.isfile(path)
    shown = (lambda f: "") if one_file else (lambda f: f) if os.path.isabs(path) else os.path.relpath
    total = sum(counts.values())
    by_file: Dict[str, List[Hit]] = {}
    for h in hits:
        by_file.setdefault(h.path, []).append(h)
    named: Dict[str, List[Hit]] = {}

    def symbols(file: str) -> List[Hit]:  # each file read for its symbols once, only when its hits are shown
        if file not in named:
            named[file] = with_symbols(by_file[file])
        return named[file]

    if total > len(hits):
        return _counted(pattern, again, by_file, symbols, counts, shown, max_lines * 2 // 3, max_lines)
    out, full, rest = _in_full(by_file, symbols, shown, max_lines)
    text = "\n".join(out)
    grep = sum(len(h.text) + len(str(h.line)) + 2 + (0 if one_file else len(h.path) + 1) for h in hits)
    if not rest and (len(text) <= grep or total <= FEW or asked):  # a few hits: in full, even if longer
        return text
    budget = min(len(out) - 1, max_lines * 2 // 3)
    best = _counted(pattern, again, by_file, symbols, counts, shown, budget, max_lines)
    while len(best) > grep and budget > 1:
        budget = budget * 3 // 4
        best = _counted(pattern, again, by_file, symbols, counts, shown, budget, max_lines)
    return best
