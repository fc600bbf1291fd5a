"""The framework-neutral core: a token-string vocabulary and a logits vector in, a bias or a stop decision out."""

from __future__ import annotations

import bisect
import builtins
import keyword
import re
import symtable
import sys
import warnings
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from splice.decode.scope import ScopeNames

_IDENT = re.compile(r"[A-Za-z_0-9]*")
_IDENT_END = re.compile(r"[A-Za-z_][A-Za-z_0-9]*$")


class VocabTrie:
    """Tokens by their leading identifier characters, precomputed once per vocabulary.

    `tokens_towards(suffixes)` returns every token whose identifier part is a prefix of one of the suffixes
    (continuing a partial name), walking the trie along each suffix: cost in the length of the names, not the
    vocabulary.
    """

    def __init__(self, vocab: Sequence[str]) -> None:
        self.plain: Dict = {}  # tokens starting with an identifier character
        self.spaced: Dict = {}  # tokens " name…" (a space, then an identifier)
        for tid, text in enumerate(vocab):
            if not text:
                continue
            if text[0] == " " and len(text) > 1 and (text[1].isalpha() or text[1] == "_"):
                self._add(self.spaced, text[1:], tid)
            elif text[0].isalpha() or text[0] == "_":
                self._add(self.plain, text, tid)

    @staticmethod
    def _add(trie: Dict, text: str, tid: int) -> None:
        ident = _IDENT.match(text).group(0)  # type: ignore[union-attr]
        complete = len(ident) < len(text)  # the token goes on past the name: the name must end there
        node = trie
        for ch in ident:
            node = node.setdefault(ch, {})
        node.setdefault(None, []).append((tid, complete))

    @staticmethod
    def _walk(trie: Dict, suffix: str, out: Set[int]) -> None:
        node = trie
        for i, ch in enumerate(suffix):
            node = node.get(ch)
            if node is None:
                return
            for tid, complete in node.get(None, ()):
                if not complete or i == len(suffix) - 1:
                    out.add(tid)

    def tokens_towards(self, suffixes: Sequence[str], spaced: bool = False) -> Set[int]:
        out: Set[int] = set()
        for suffix in suffixes:
            if suffix:
                self._walk(self.spaced if spaced else self.plain, suffix, out)
        return out


class CodeState:
    """Where the end of the code is, lexically, fed incrementally: 'code', 'string' or 'comment', plus what a
    completion check needs without rescanning — the brackets still open, where the open string or comment began,
    and the identifier being typed."""

    def __init__(self) -> None:
        self.text = ""
        self.quote: Optional[str] = None
        self.quote_start = -1  # index of the open string's first quote character
        self.comment_start = -1  # index of the open comment's '#', -1 outside a comment
        self.escape = False
        self.closers: List[str] = []  # what closes each open bracket, outermost first
        self.tops: List[int] = []  # where lines that start a top-level statement begin (column 0, no bracket open)
        self.starts: List[int] = []  # where every line that starts a statement has its first token, at any depth
        self._bol = True

    def feed(self, more: str) -> str:
        base = len(self.text)
        self.text += more
        text = self.text
        for pos in range(base, len(text)):
            ch = text[pos]
            if self.comment_start >= 0:
                if ch == "\n":
                    self.comment_start = -1
                    self._bol = True
            elif self.quote is not None:
                if self.escape:
                    self.escape = False
                elif ch == "\\":
                    self.escape = True
                elif ch == self.quote[0] and text.startswith(self.quote, pos + 1 - len(self.quote)) and (
                        pos + 1 - len(self.quote) >= self.quote_start + len(self.quote)):
                    self.quote = None
                elif ch == "\n" and len(self.quote) == 1:
                    self.quote = None  # an unterminated one-line string: the parser will say so
            else:
                if self._bol and ch in " \t\f":
                    continue  # the line's indentation: its first token is still to come
                if self._bol and ch not in "\r\n#\\" and not self.closers:
                    self.starts.append(pos)
                    if pos == 0 or text[pos - 1] == "\n":
                        self.tops.append(pos)
                # a new line, unless after a line continuation (`\` before "\n" or "\r\n")
                self._bol = ch == "\n" and text[pos - 1: pos] != "\\" and text[pos - 2: pos] != "\\\r"
                if ch == "#":
                    self.comment_start = pos
                elif ch in "\"'":
                    if text[pos - 2:pos] == ch * 2 and pos - 2 == self.quote_start:
                        self.quote = ch * 3  # '' was an empty string: with this quote it opens a triple-quoted one
                    else:
                        self.quote, self.quote_start = ch, pos
                elif ch in _CLOSE:
                    self.closers.append(_CLOSE[ch])
                elif ch in ")]}" and self.closers:
                    self.closers.pop()
        return self.state

    def reset(self, text: str) -> None:
        self.__init__()  # type: ignore[misc]
        self.feed(text)

    def sync(self, text: str) -> str:
        """Feed what `text` adds to the text seen so far, or start over when it is not a continuation."""
        if text.startswith(self.text):
            return self.feed(text[len(self.text):])
        self.reset(text)
        return self.state

    @property
    def state(self) -> str:
        if self.comment_start >= 0:
            return "comment"
        return "string" if self.quote is not None else "code"


class NameBias:
    """Add `bias` to the logits of tokens that extend the partial identifier at the cursor towards a valid name."""

    def __init__(self, vocab: Sequence[str], scope: Optional[ScopeNames] = None, bias: float = 3.0) -> None:
        self.trie = VocabTrie(vocab)
        self.scope = scope or ScopeNames()
        self.bias = bias
        self.lex = CodeState()
        self._cache: Dict[Tuple[str, FrozenSet[str]], List[int]] = {}

    def token_ids(self, code: str) -> List[int]:
        """The token ids to favour after `code` (empty where nothing should change)."""
        if self.lex.sync(code) != "code":
            return []
        partial = _name_at_end(code)
        before = code[len(code) - len(partial) - 1: len(code) - len(partial)]
        names = self.scope.names(code)
        key = (partial + "|" + before, names)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        suffixes = [n[len(partial):] for n in names if n.startswith(partial) and len(n) > len(partial)]
        ids = self.trie.tokens_towards(suffixes)
        if not partial and before not in (" ", "\n", "\t", "(", "[", "{", ".", ""):
            ids |= self.trie.tokens_towards(suffixes, spaced=True)  # " name" right after an operator or a name
        result = sorted(ids)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = result
        return result

    def apply(self, code: str, logits):  # type: ignore[no-untyped-def]
        """logits[ids] += bias, in place, for any indexable vector (list, numpy array, torch tensor row)."""
        ids = self.token_ids(code)
        if ids:
            try:
                logits[ids] += self.bias  # numpy / torch fancy indexing
            except TypeError:
                for i in ids:
                    logits[i] += self.bias
        return logits


def _name_at_end(code: str) -> str:
    """The identifier the code ends with ('' if none); looks at the tail only, so it costs nothing per token."""
    window = max(0, len(code) - 80)
    m = _IDENT_END.search(code, window)
    if m and m.start() == window > 0:
        m = _IDENT_END.search(code)  # a name longer than the window
    return m.group(0) if m else ""


@dataclass
class StopReason:
    kind: str  # syntax | undefined-name
    message: str
    line: int
    offset: int = -1  # where in the code: the error's position for syntax, the name's use for undefined-name

    def __str__(self) -> str:
        return "%s at line %d: %s" % (self.kind, self.line, self.message)


_SENTINEL = "$"  # a character no Python token contains: the parser asks for it only when all before it fits
# what the 3.10+ message rules peek for: nothing more than an operand and closed brackets (`def f[` then "expected
# '('"), 'else', a dict value, a block colon
_BRIDGES = ("", "else _", ": _", ":")


class EarlyStop:
    """After each token: can the code still be completed into valid Python? Did a completed top-level statement
    read a name that nothing defines? Returns the reason to stop, or None.

    "Still completable" is asked of CPython's own parser: the code, with an open string emptied, an open comment
    dropped and the open brackets closed, is compiled with a sentinel character at the cursor. If the parser's error
    is at the sentinel, everything before it was accepted — the code is a prefix of some valid program. An error
    before it is final, after two checks for what a sentinel cannot show: a token still being typed (`exc` →
    `except`, `is` → `isdir`, `-` → `->`, `0x` → `0x1`), and the 3.10+ message rules that peek at the next token
    (`x if y` then the sentinel reads "expected 'else'"), asked again with the token they wanted.
    One compile per token in the common case, fed by an incremental lexer: no rescans of the text in Python. The
    compile covers only the innermost statement being written, not the whole function or class around it: the blocks
    that enclose it stand in as `if 1:` lines at their indentation (`_Region`).
    """

    def __init__(self, namespace: Optional[Dict] = None, check_names: bool = True) -> None:
        self.namespace = namespace or {}
        self.check_names = check_names
        self.lex = CodeState()
        self._checked_upto = 0
        self._top = 0  # where the last top-level statement that a check has seen begin starts
        self._region = _Region()

    def check(self, code: str) -> Optional[StopReason]:
        if not code.startswith(self.lex.text):
            self._top = 0  # not a continuation of what came before: start over
            self._region = _Region()
        state = self.lex.sync(code)
        lex = self.lex
        if state == "string":
            head = code[: lex.quote_start] + lex.quote + lex.quote  # type: ignore[operator]
        elif state == "comment":
            head = code[: lex.comment_start]
        else:
            head = code + "\n" if code.endswith("\\") else code
        last_nl = head.rfind("\n")
        if not head[last_nl + 1:].strip():
            head = head[: last_nl + 1]  # partial indentation: any line may still become blank
        closers = "".join(reversed(lex.closers))
        # only the code from the last statement on: what came before it was accepted by an earlier check that also
        # saw this statement begin, so the parser's answer about the rest cannot depend on it; a nested statement
        # gets its enclosing blocks' indentation from `if 1:` lines (`synthetic`), a top-level one needs none
        nested = self._region.start(code, lex.starts)
        top, synthetic = nested if nested is not None and nested[0] < len(head) else (min(self._top, len(head)), "")
        region = synthetic + head[top:]
        error = _probe(region, closers)
        if error is not None and all(_probe(h, closers) is not None for h in _retyped(region)):
            lines_before = head.count("\n", 0, top) - synthetic.count("\n")
            offset = max(error.offset - len(synthetic), 0) + top
            message = _LINE_IN_MESSAGE.sub(lambda m: "line %d" % (int(m.group(1)) + lines_before), error.message)
            return StopReason(error.kind, message, error.line + lines_before, offset)
        self._top = _last_top(lex.tops, code, self._top)
        self._region.accepted = len(code)
        if self.check_names and state == "code" and code.endswith("\n") and not lex.closers:
            return self._undefined(code)
        return None

    def _undefined(self, code: str) -> Optional[StopReason]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = symtable.symtable(code, "<generated>", "exec")
        except (SyntaxError, ValueError):
            return None  # not a complete module yet (an open block)
        symbols = table.get_symbols()  # module level runs at once; functions may use names defined later
        known = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported() or s.is_namespace()}
        for s in symbols:
            name = s.get_name()
            if s.is_referenced() and name not in known and name not in _BUILTINS and name not in self.namespace:
                line, offset = _first_use(code, name, _offset_of(code, self._checked_upto + 1, 1))
                if line:
                    return StopReason("undefined-name", "name %r is not defined" % name, line, offset)
        self._checked_upto = code.count("\n")
        return None


_CLOSE = {"(": ")", "[": "]", "{": "}"}
_BUILTINS = frozenset(dir(builtins))
_OPERATOR_TAIL = re.compile(r"[-+*/%&|^<>=!:.@]$")
_NUMBER_TAIL = re.compile(r"(?<![\w.])(?:\d[\w.]*|\.\d[\w]*)(?:[eE][+-]?)?$")


def _probe(head: str, closers: str) -> Optional[StopReason]:
    """None if CPython's parser accepts all of `head`, else the error. '$' is a token nothing matches, so a plain
    'invalid syntax' before it is final. On 3.10+ an error with its own message may come from a rule that peeked at
    the sentinel (`x if y` then '$' reads "expected 'else'"): then the code is asked again with the token that rule
    wanted, after an operand and after each number of the open brackets closed; any answer at the sentinel means
    `head` is a prefix of valid code."""
    error = _compile_at(head, closers)
    if error is None or error.message == "invalid syntax" or sys.version_info < (3, 10):
        return error
    gap = "" if head.endswith("\n") or not head else " "
    for bridge in _BRIDGES:
        for operand in ("", gap + "_"):
            for k in range(len(closers) + 1):
                if _compile_at(head + operand + closers[:k] + " " + bridge, closers[k:]) is None:
                    return None
    return error


def _compile_at(head: str, closers: str) -> Optional[StopReason]:
    line = head.count("\n") + 1
    col = len(head) - head.rfind("\n")  # the sentinel's 1-based column
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(head + _SENTINEL + closers + "\n", "<generated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        at = (exc.lineno or 0, exc.offset or 0)
        dedent_mismatch = isinstance(exc, IndentationError) and head[head.rfind("\n") + 1:].strip()
        # at the sentinel or later; on a line of its own, anywhere on that line (its indentation is still open)
        if (at >= (line, col) or (col == 1 and at[0] == line)) and not (dedent_mismatch and at[0] == line):
            return None
        offset = _offset_of(head, exc.lineno or 1, exc.offset or 1)
        return StopReason("syntax", exc.msg, exc.lineno or line, offset)
    except (ValueError, OverflowError) as exc:  # null bytes, a number too large
        return StopReason("syntax", str(exc), line, len(head))
    except (RecursionError, MemoryError):
        return None  # too deeply nested for this check: not a reason to stop
    return None  # unreachable in practice: the sentinel never compiles


_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)")  # "(detected at line 3)", "after 'if' statement on line 2"
_KEYWORDS = keyword.kwlist + getattr(keyword, "softkwlist", [])  # `c` may become `case` under a `match` (3.10+)
_CONTINUATIONS = ("else", "elif", "except", "finally")
_CLAUSES = _CONTINUATIONS + ("case",)  # lines that belong to the statement before them (`case` to its `match`)
_STRING_PREFIXES = {"r", "u", "b", "f", "br", "rb", "fr", "rf"}
_WORD = re.compile(r"[A-Za-z_]\w*")


def _last_top(tops: List[int], code: str, current: int) -> int:
    """The start of the last line that begins a new top-level statement (`_opens_statement`), never before
    `current`."""
    for i in range(len(tops) - 1, -1, -1):
        if tops[i] <= current:
            break
        if _opens_statement(code, tops[i], tops[i - 1] if i else -1):
            return tops[i]
    return current


class _Region:
    """Where a check may begin inside a function or class: the deepest statement on the current line's chain of
    enclosing blocks that an accepted check saw begin and that continues no earlier statement (`else:`, `except`,
    `case`, or a word that may still become one). Every line after it is indented deeper, so its text parses alone
    under `if 1:` lines at the indentation of each block around it — the parser does not tell a function's body from
    an `if`'s (`return` outside a function is the compiler's error, which the sentinel never lets it reach)."""

    def __init__(self) -> None:
        self.accepted = 0  # the length of the code the last accepted check saw
        self.chain: List[Tuple[int, int]] = []  # (column, start) of the last statement and of each block around it
        self.fed = 0  # how many of the lexer's statement starts are in the chain

    def start(self, code: str, starts: List[int]) -> Optional[Tuple[int, str]]:
        """(where the check begins: the start of that statement's line, the `if 1:` lines that stand for its
        enclosing blocks), or None."""
        for pos in starts[self.fed:]:
            column = len(code[code.rfind("\n", 0, pos) + 1: pos].expandtabs(8))  # as the tokenizer counts tabs
            while self.chain and self.chain[-1][0] >= column:
                self.chain.pop()
            self.chain.append((column, pos))
        self.fed = len(starts)
        for i in range(len(self.chain) - 1, 0, -1):  # the chain's first is top level: EarlyStop._top serves it
            pos = self.chain[i][1]
            before = bisect.bisect_left(starts, pos) - 1
            # judged on the text the last accepted check saw: a word that could then still become a clause (`f` ->
            # `finally`) was checked with the statement before it, and must be until a check accepts it grown past
            if pos < self.accepted and _opens_statement(code, pos, starts[before] if before >= 0 else -1,
                                                        self.accepted):
                outer = (code[code.rfind("\n", 0, p) + 1: p] for _, p in self.chain[:i])
                return code.rfind("\n", 0, pos) + 1, "".join(indent + "if 1:\n" for indent in outer)
        return None


def _opens_statement(code: str, pos: int, previous: int, end: Optional[int] = None) -> bool:
    """Whether the line starting at `pos` begins a statement of its own: not a clause of the one before it, nor what
    a decorator on the line before (`previous`, the start of the statement line before it) decorates, which must be a
    `def` or a `class`."""
    if previous >= 0 and code.startswith("@", previous):
        return False
    end = len(code) if end is None else end  # the code as a check saw it: only its first `end` characters
    m = _WORD.match(code, pos, end)
    if not m:
        return True
    word = m.group(0)
    if word in _CLAUSES:
        return False
    return not (m.end() == end and any(k.startswith(word) for k in _CLAUSES))


def _retyped(head: str) -> List[str]:
    """The code with its last token still being typed, grown into each longer token it may become."""
    out: List[str] = []
    name = _name_at_end(head)
    if name:
        out.append(head + "_")  # a longer name (`is` → `isdir`, `None` → `Nonelike`)
        if name.lower() in _STRING_PREFIXES:
            out.append(head + "''")  # the prefix of a string (`'a' r` → `'a' r'b'`)
        out += [head[: len(head) - len(name)] + k for k in _KEYWORDS if k.startswith(name) and k != name]
    if _NUMBER_TAIL.search(head[-40:]):
        out.append(head + "1")
    if _OPERATOR_TAIL.search(head):
        out += [head + t for t in ("=", ">", "*", "/", "<", "..")]
    return out


def _offset_of(code: str, line: int, col: int) -> int:
    """A 1-based (line, column) as an index into `code`, clamped to its length."""
    pos = 0
    for _ in range(line - 1):
        nl = code.find("\n", pos)
        if nl < 0:
            return len(code)
        pos = nl + 1
    return min(len(code), pos + max(col - 1, 0))


def _first_use(code: str, name: str, start: int) -> Tuple[int, int]:
    """(line, offset) of the first use of `name` at or after `start` outside comments, or (0, -1)."""
    for m in re.compile(r"(?<![\w.])%s\b" % re.escape(name)).finditer(code, start):
        line_start = code.rfind("\n", 0, m.start()) + 1
        if "#" not in code[line_start: m.start()]:
            return code.count("\n", 0, m.start()) + 1, m.start()
    return 0, -1
