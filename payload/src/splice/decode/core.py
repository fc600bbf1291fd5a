"""The framework-neutral core: a token-string vocabulary and a logits vector in, a bias or a stop decision out."""

from __future__ import annotations

import builtins
import codeop
import re
import symtable
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
        self.size = len(vocab)
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
    """Where the end of the code is, lexically: 'code', 'string' or 'comment'; fed incrementally."""

    def __init__(self) -> None:
        self.text = ""
        self.quote: Optional[str] = None
        self.comment = False
        self.escape = False

    def feed(self, more: str) -> str:
        for ch in more:
            self.text += ch
            if self.comment:
                if ch == "\n":
                    self.comment = False
            elif self.quote is not None:
                if self.escape:
                    self.escape = False
                elif ch == "\\":
                    self.escape = True
                elif self.text.endswith(self.quote):
                    self.quote = None
                elif ch == "\n" and len(self.quote) == 1:
                    self.quote = None  # an unterminated one-line string: the parser will say so
            elif ch == "#":
                self.comment = True
            elif ch in "\"'":
                triple = self.text[-3:] == ch * 3 and self.text[-4:-3] != ch
                self.quote = ch * 3 if triple else ch
                if not triple and self.text[-2:] == ch * 2 and self.text[-3:-2] != ch:
                    self.quote = None  # an empty string "" (maybe the start of a triple quote: seen next char)
        return self.state

    def reset(self, text: str) -> None:
        self.__init__()  # type: ignore[misc]
        self.feed(text)

    @property
    def state(self) -> str:
        if self.comment:
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
        if not code.startswith(self.lex.text):
            self.lex.reset(code)
        else:
            self.lex.feed(code[len(self.lex.text):])
        if self.lex.state != "code":
            return []
        m = _IDENT_END.search(code)
        partial = m.group(0) if m else ""
        before = code[: len(code) - len(partial)][-1:] if code else ""
        if partial and partial[0].isdigit():
            return []
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


@dataclass
class StopReason:
    kind: str  # syntax | undefined-name
    message: str
    line: int

    def __str__(self) -> str:
        return "%s at line %d: %s" % (self.kind, self.line, self.message)


class EarlyStop:
    """After each token: can the code still be completed into valid Python? Did a completed top-level statement
    read a name that nothing defines? Returns the reason to stop, or None."""

    def __init__(self, namespace: Optional[Dict] = None, check_names: bool = True) -> None:
        self.namespace = namespace or {}
        self.check_names = check_names
        self._checked_upto = 0

    def check(self, code: str) -> Optional[StopReason]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                complete = codeop.compile_command(code, "<generated>", "exec") is not None
            except (SyntaxError, ValueError, OverflowError) as exc:
                line = getattr(exc, "lineno", 0) or 0
                start = _last_statement_start(code)
                if line >= start and _only_unfinished_token(code[_line_offset(code, start):]):
                    return None
                return StopReason("syntax", getattr(exc, "msg", str(exc)), line)
        if not (self.check_names and complete and code.endswith("\n")):
            return None
        return self._undefined(code)

    def _undefined(self, code: str) -> Optional[StopReason]:
        try:
            table = symtable.symtable(code, "<generated>", "exec")
        except SyntaxError:
            return None
        bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()
                 or s.is_namespace()}
        known = bound | set(dir(builtins)) | set(self.namespace)
        for s in table.get_symbols():  # module level runs at once; functions may use names defined later
            name = s.get_name()
            if s.is_referenced() and not s.is_assigned() and not s.is_imported() and name not in known:
                line = _first_line_of(code, name)
                if line > self._checked_upto:
                    return StopReason("undefined-name", "name %r is not defined" % name, line)
        self._checked_upto = code.count("\n")
        return None


_COMPOUND = re.compile(r"^\s*(?:async\s+)?(if|elif|while|for|with|def|class|try|except|finally|else|match|case)\b")
_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _open_brackets(code: str) -> Tuple[str, Optional[str]]:
    """The closing brackets the code still needs (innermost first) and the quote it is inside, if any."""
    lex = CodeState()
    stack: List[str] = []
    for ch in code:
        before = lex.state
        lex.feed(ch)
        if before == "code" and lex.state == "code":
            if ch in _CLOSE:
                stack.append(_CLOSE[ch])
            elif ch in ")]}" and stack:
                stack.pop()
    return "".join(reversed(stack)), lex.quote


def _logical_line_start(code: str) -> str:
    """The physical line where the last logical line begins (bracket depth 0 at its start, not in a string)."""
    lex = CodeState()
    depth = 0
    start = 0
    for pos, ch in enumerate(code):
        if ch == "\n" and depth == 0 and lex.state != "string":
            start = pos + 1
        before = lex.state
        lex.feed(ch)
        if before == "code" and lex.state == "code":
            depth += ch in "([{"
            depth -= ch in ")]}" and depth > 0
    end = code.find("\n", start)
    line = code[start:] if end < 0 else code[start:end]
    return line if end >= 0 else code[code.rfind("\n") + 1:]


def _only_unfinished_token(code: str) -> bool:
    """Could some continuation still make this valid? Try finishing the last line: a placeholder name, the open
    brackets and quote closed, a block body for a compound header. The REPL's test (codeop) calls `x = 1 +`
    invalid; while tokens stream in, it is only unfinished."""
    close, quote = _open_brackets(code)
    tail = code[code.rfind("\n") + 1:]
    qclose = quote or ""
    bodies = [""]
    ind = tail[: len(tail) - len(tail.lstrip())]
    first = _logical_line_start(code)  # a header spanning lines (`def f(a,\n b`): its body goes at its level
    if first is not tail and _COMPOUND.match(first):
        ind = first[: len(first) - len(first.lstrip())]
    if _COMPOUND.match(tail) or tail.rstrip().endswith(":") or (first is not tail and _COMPOUND.match(first)):
        bodies = [":\n%s pass\n" % ind, "\n%s pass\n" % ind,
                  ":\n%s pass\n%sexcept Exception:\n%s pass\n" % (ind, ind, ind), ""]
    head = tail.lstrip()
    heads = [code]
    if head.startswith(("else", "elif", "except", "finally")):  # maybe its `if`/`try` is not in the probed code
        word = head.split()[0].rstrip(":") if head.split() else "else"
        opener = {"else": "if _:", "elif": "if _:", "except": "try:", "finally": "try:"}.get(word, "if _:")
        heads.append(code[: len(code) - len(tail)] + ind + opener + "\n" + ind + " pass\n" + tail)
    m = _IDENT_END.search(code)
    if m:  # a name cut short may be a keyword on its way: `exc` -> `except`
        import keyword

        heads += [code[: m.start()] + k for k in keyword.kwlist if k.startswith(m.group(0)) and k != m.group(0)]
    quotes = [qclose, "}" + qclose] if qclose else [""]
    # `try:` blocks above that still need a handler, innermost first, each at its own indentation
    tries = [m.group(1) for m in re.finditer(r"(?m)^([ \t]*)try[ \t]*:", code)]
    open_tries = "".join("\n%sexcept Exception:\n%s pass" % (t, t) for t in sorted(set(tries), key=len, reverse=True)
                         if len(t) < len(ind) or (t == ind and not head.startswith("try")))
    for n, head_code in enumerate(heads):
        b = bodies if n < 2 else [":\n%s pass\n" % ind, ""]
        for filler in ("", "_", " _", "()", "_()", " _()", " else _", " _ else _", " _ import _", "_ import _",
                       " _: _", "=_", "_=_", " _ in _", "_ in _", " in _", "*_", "= _ else _", "=_ else _"):
            for q in quotes:
                for body in b:
                    for handlers in ("", open_tries):
                        try:
                            middle = (filler + q) if not q or not filler.startswith(" ") else (q + filler)
                            compile(head_code + middle + close + body + handlers + "\n", "<probe>", "exec",
                                    dont_inherit=True)
                            return True
                        except (SyntaxError, ValueError):
                            continue
                        except RecursionError:
                            return True
    return False


def _last_statement_start(code: str) -> int:
    """1-based line where the last top-level statement starts (earlier ones are finished: errors there are final)."""
    lex = CodeState()
    depth = 0
    start = 1
    line = 1
    at_line_start = True
    for ch in code:
        if (at_line_start and lex.state == "code" and depth == 0 and ch not in " \t\n#)"
                and not code_at_keyword(code, line)):
            start = line
        at_line_start = ch == "\n"
        before = lex.state
        lex.feed(ch)
        if before == "code" and lex.state == "code":
            depth += ch in "([{"
            depth -= ch in ")]}" and depth > 0
        if ch == "\n":
            line += 1
    return start


def code_at_keyword(code: str, line: int) -> bool:
    """Lines that continue the statement above (else/elif/except/finally/case) or decorate the next one."""
    text = code.split("\n")[line - 1].lstrip() if line - 1 < code.count("\n") + 1 else ""
    return text.startswith(("else", "elif", "except", "finally"))


def _line_offset(code: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = code.index("\n", pos) + 1
    return pos


def _first_line_of(code: str, name: str) -> int:
    for i, line in enumerate(code.splitlines(), 1):
        if re.search(r"(?<![\w.])%s\b" % re.escape(name), line.split("#", 1)[0]):
            return i
    return 0
