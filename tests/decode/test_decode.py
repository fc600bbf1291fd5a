"""Local-model helpers with a real (tiny, random) GPT-2 and a byte-level BPE tokenizer trained here: no downloads."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from helpers import DECODE_LEFT_OUT, Lazy, decode_left_out

pytestmark = [pytest.mark.slow, pytest.mark.decode]  # trains a tokenizer, runs a model

if decode_left_out():
    pytest.skip(DECODE_LEFT_OUT, allow_module_level=True)
# imported on first use, so that collecting the suite (every xdist worker does) does not pay 2 s for torch; never a
# silent skip when they are missing: CI has them, and a contributor without them is told how to leave these out
torch, transformers, tokenizers = Lazy("torch"), Lazy("transformers"), Lazy("tokenizers")

from decode_smoke import BROKEN, PARTIAL  # noqa: E402
from splice.decode import CodeState, EarlyStop, NameBias, ScopeNames  # noqa: E402
from splice.decode.adapters import hf, llama_cpp, vocab_of  # noqa: E402


@pytest.fixture(scope="module")
def tok():
    lib = Path(sysconfig.get_paths()["stdlib"])
    corpus = [str(lib / n) for n in ("json/encoder.py", "json/decoder.py", "textwrap.py", "string.py", "bisect.py")]
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train(corpus, vocab_size=800, min_frequency=2, special_tokens=["<|endoftext|>"])
    return transformers.PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer)


@pytest.fixture(scope="module")
def model(tok):
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=len(tok), n_positions=256, n_embd=32, n_layer=2, n_head=2,
                                  bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(cfg).eval()


def _force(tok, text):
    """A processor that makes generate() emit exactly `text` (teacher forcing through the real loop)."""
    ids = tok(text)["input_ids"]

    class Force(transformers.LogitsProcessor):
        def __init__(self):
            self.start = None

        def __call__(self, input_ids, scores):
            if self.start is None:
                self.start = input_ids.shape[1]
            k = input_ids.shape[1] - self.start
            out = torch.full_like(scores, -1e9)
            out[:, ids[k] if k < len(ids) else 0] = 0
            return out

    return Force(), ids


def test_bias_changes_the_winner_towards_a_valid_name(tok, model):
    prompt = "import json\nresult = js"
    enc = tok(prompt, return_tensors="pt")
    with torch.no_grad():
        scores = model(**enc).logits[:, -1, :].clone()
    proc, _ = hf(tok, prompt_length=enc["input_ids"].shape[1], code_prefix=prompt, bias=50.0)
    ids = NameBias(vocab_of(tok), ScopeNames(), 50.0).token_ids(prompt)
    assert ids, "some token continues 'js' towards 'json'"
    plain_winner = int(scores.argmax())
    boosted = proc(enc["input_ids"], scores.clone())
    winner = int(boosted.argmax())
    assert winner in ids and plain_winner not in ids
    assert ("js" + tok.decode([winner]).split("(")[0].split(".")[0]).startswith("js")
    assert "json".startswith("js" + "".join(ch for ch in tok.decode([winner]) if ch.isalnum() or ch == "_"))


def test_no_effect_inside_strings_and_comments(tok):
    core = NameBias(vocab_of(tok), ScopeNames(), 5.0)
    assert core.token_ids("import json\nx = 'js") == []
    assert core.token_ids("import json\n# js") == []
    assert core.token_ids("import json\nx = js") != []
    state = CodeState()
    assert state.feed('x = """doc') == "string" and state.feed('"""\n') == "code"


def test_scope_names_are_cached_between_statements():
    scope = ScopeNames(namespace={"live_df": object()})
    code = "import os\ndef f(alpha, beta):\n    gamma = 1\n    return al"
    names = scope.names(code)
    assert {"alpha", "beta", "gamma", "os", "f", "live_df", "len", "return"} <= names
    n = scope.recomputed
    scope.names(code + "p")
    scope.names(code + "ph")
    assert scope.recomputed == n  # same statement: no recomputation
    assert "getcwd" in scope.names("import os\nos.get")  # attributes after a dot (jedi or the namespace)


def test_stops_exactly_at_the_first_invalid_token(tok, model):
    text = "x = [1, 2]\ny = (x + ))\nz = 3\n"
    force, ids = _force(tok, text)
    prompt = tok("#", return_tensors="pt")
    _, crit = hf(tok, prompt_length=prompt["input_ids"].shape[1], code_prefix="")
    out = model.generate(**prompt, max_new_tokens=len(ids) + 2, do_sample=False,
                         logits_processor=transformers.LogitsProcessorList([force]),
                         stopping_criteria=transformers.StoppingCriteriaList([crit]), pad_token_id=0)
    generated = out[0, prompt["input_ids"].shape[1]:].tolist()
    expected = next(k for k in range(1, len(ids) + 1) if EarlyStop().check(tok.decode(ids[:k])))
    assert len(generated) == expected and tok.decode(generated).endswith("))")
    assert crit.reasons[0].kind == "syntax" and crit.reasons[0].line == 2


def test_stops_at_a_completed_statement_with_an_undefined_name(tok, model):
    text = "import os\nvalue = os.getcwd()\nsize = undefined_thing + 1\nmore = 2\n"
    force, ids = _force(tok, text)
    prompt = tok("#", return_tensors="pt")
    _, crit = hf(tok, prompt_length=prompt["input_ids"].shape[1])
    out = model.generate(**prompt, max_new_tokens=len(ids) + 2, do_sample=False,
                         logits_processor=transformers.LogitsProcessorList([force]),
                         stopping_criteria=transformers.StoppingCriteriaList([crit]), pad_token_id=0)
    code = tok.decode(out[0, prompt["input_ids"].shape[1]:])
    assert code.endswith("undefined_thing + 1\n") and crit.reasons[0].kind == "undefined-name"
    assert "undefined_thing" in crit.reasons[0].message and crit.reasons[0].line == 3


@pytest.mark.parametrize("partial", PARTIAL)
def test_unfinished_code_is_not_a_stop(partial):
    assert EarlyStop().check(partial) is None


@pytest.mark.parametrize("broken, line", BROKEN)
def test_impossible_code_is_a_stop_with_its_place(broken, line):
    reason = EarlyStop().check(broken)
    assert reason is not None and reason.kind == "syntax" and reason.line == line
    assert 0 <= reason.offset <= len(broken)




def test_llama_cpp_style_callables(tok):
    import numpy as np

    vocab = vocab_of(tok)
    proc, stop = llama_cpp(lambda ids: tok.decode(ids), vocab, prompt_length=0, code_prefix="import json\nv = js",
                           bias=7.0)
    scores = np.zeros(len(vocab), dtype=np.float32)
    out = proc(np.array([], dtype=np.int64), scores)
    assert out.max() == 7.0 and (out > 0).sum() == len(NameBias(vocab).token_ids("import json\nv = js"))
    assert not stop(np.array(tok("on\n")["input_ids"]), None)
    assert stop(np.array(tok("on )\n")["input_ids"]), None) and stop.state["reason"].kind == "syntax"


def test_checks_only_the_last_statement_but_stops_on_a_bad_transition():
    stop = EarlyStop(check_names=False)
    code = ""
    for piece in ["def f():\n", "    return 1\n", "\n", "x = f()\n", "def g():\n"]:
        code += piece
        assert stop.check(code) is None
    assert stop.check(code + "y = 2\n") is not None  # the new line cannot follow a header without a body
    assert stop._top > 0


def _first_stop(code: str):
    """Feed `code` one character at a time, as a model writes it; the first stop (None if none)."""
    stop = EarlyStop(check_names=False)
    for i in range(1, len(code) + 1):
        reason = stop.check(code[:i])
        if reason is not None:
            return reason
    return None


def test_a_nested_statement_is_checked_alone_under_its_blocks_and_clauses_still_see_theirs():
    """Inside a function only the statement being written is compiled, under `if 1:` lines for its blocks; a clause
    that dedents (`except`, `else`, `case`) is checked with the statement it belongs to, and messages name the
    file's lines, not the compiled piece's."""
    ok = "def f(x):\n    try:\n        a = 1\n    except E:\n        pass\n    else:\n        b = 2\n    return a\n"
    assert _first_stop(ok) is None
    stop = EarlyStop(check_names=False)
    for i in range(1, len(ok) + 1):
        stop.check(ok[:i])
    begin, synthetic = stop._region.start(ok, stop.lex.starts)
    assert ok[begin:] == "    return a\n" and synthetic == "if 1:\n"
    bad = _first_stop("class K:\n    def m(self):\n        with a:\n            x = 1\n        else:\n")
    assert bad is not None and bad.line == 5  # `with` has no else: only its statement can tell
    late = _first_stop("import os\n\nclass K:\n    def m(self):\n        if a:\n            y = 'abc\n")
    assert late is not None and late.line == 6 and "line 6" in late.message
    for decorated in ("@property\ncount = 1\n", "class K:\n    @property\n    ax = 1\n"):  # wants a def or class
        assert _first_stop(decorated) is not None
    assert _first_stop("@a\n@b(1,\n   2)\ndef f():\n    pass\nx = 1\n") is None
    # a word that could have become a clause, grown past it, is still checked with the statement it follows
    missing = _first_stop("def g():\n    try:\n        pass\n    found = 1\n")
    assert missing is not None and missing.line == 4
    assert _first_stop("def f():\r\n    y = a \\\r\n        .b\r\n    return y\r\n") is None  # \ then CRLF
    if sys.version_info >= (3, 10):
        match = "def f(x):\n    match x:\n        case 1:\n            pass\n        case _:\n            y = 1\n"
        assert _first_stop(match) is None
        assert _first_stop(match.replace("case _:\n            y = 1", "cat = 1")) is not None  # not a case


def test_resampling_drops_and_bans_the_token_that_broke_the_code(tok, model):
    from splice.decode.resample import hf_generate, rewind_index

    close = tok(")")["input_ids"][0]
    prompt = "x = (1 + 2"
    n_prompt = len(tok(prompt)["input_ids"])

    class TwoCloses(transformers.LogitsProcessor):
        """The model 'wants' `)` twice; the second one cannot be valid."""

        def __call__(self, input_ids, scores):
            if input_ids.shape[1] - n_prompt in (0, 1):
                scores[:, close] += 1e4
            return scores

    result = hf_generate(model, tok, prompt, max_new_tokens=6, retries=3, logits_processor=[TwoCloses()],
                         check_names=False, do_sample=False, pad_token_id=0)
    assert result.stops and result.stops[0].kind == "syntax"
    assert result.text.startswith(")") and not result.text.startswith("))")
    assert EarlyStop(check_names=False).check(prompt + result.text) is None
    assert result.tokens >= len(tok(result.text)["input_ids"]) + 1

    ids = tok("a = 1\nb = undefined_thing + 1\n")["input_ids"]
    reason = EarlyStop().check(tok.decode(ids))
    k = rewind_index(reason, ids, tok.decode, "")
    assert tok.decode(ids[k:]).lstrip().startswith("undefined")
    assert "undefined" not in tok.decode(ids[:k])
