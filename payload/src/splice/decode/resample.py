"""Generate with the early stop acting on its answer: at a stop, drop the token that broke the code, ban it at that
position and generate on from there, so what comes back never ends in broken code.

`hf_generate` drives a Hugging Face model, `llama_generate` a llama-cpp-python `Llama`; both return a `Generation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set

from splice.decode.core import EarlyStop, NameBias, StopReason
from splice.decode.scope import ScopeNames


@dataclass
class Generation:
    text: str  # the generated code; never ends in a token after which it stopped
    stops: List[StopReason] = field(default_factory=list)  # every stop on the way, in order: each was resampled
    tokens: int = 0  # tokens generated in all, the dropped ones included
    finished: bool = True  # False when the retries ran out at a stop: `text` ends before the offending token

    def stopped(self, reason: StopReason, generated: List[int], decode: Callable[[List[int]], str], prefix: str,
                retries: int) -> Optional[int]:
        """Record a stop. The index to cut the generated ids back to (the caller bans the token there and goes on),
        or None when the retries have run out (then `text` is set, ending before the offending token)."""
        again = 0
        for earlier in reversed(self.stops):
            if earlier.offset != reason.offset:
                break
            again += 1
        self.stops.append(reason)
        k = rewind_index(reason, generated, decode, prefix, again)
        if len(self.stops) > retries:
            self.text, self.finished = decode(generated[:k]), False
            return None
        return k


def rewind_index(reason: StopReason, ids: Sequence[int], decode: Callable[[List[int]], str], prefix: str,
                 again: int = 0) -> int:
    """Index into the generated `ids` of the token to drop and ban. A syntax stop fires right after the token that
    broke the code: the last one. An undefined name is seen when its statement ends: the token where the name
    starts. `again`: how many earlier stops in a row were at this same place. From the third stop there (`again`
    2), the trouble began earlier (a blank line after `if x:`, say): go back to the start of the line, one more
    line each time."""
    last = len(ids) - 1
    if reason.kind == "undefined-name" and reason.offset >= len(prefix):
        last = _token_at(ids, decode, reason.offset - len(prefix))
    if again < 2:
        return last
    text = decode(list(ids[:last]))
    start = len(text)
    for _ in range(again - 1):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return min(last, _token_at(ids, decode, start))


def _token_at(ids: Sequence[int], decode: Callable[[List[int]], str], offset: int) -> int:
    """The first token whose text reaches past character `offset` of the generated text (a binary search)."""
    lo, hi = 0, len(ids) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if len(decode(list(ids[: mid + 1]))) > offset:
            hi = mid
        else:
            lo = mid + 1
    return lo


def hf_generate(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int = 128, retries: int = 8,
                code_prefix: Optional[str] = None, bias: float = 3.0, namespace: Optional[Dict[str, Any]] = None,
                check_names: bool = True, names: Optional[NameBias] = None, **generate_kwargs: Any) -> Generation:
    """`model.generate` with the name bias and the early stop, resampling at each stop (up to `retries` times).
    The code checked is `code_prefix` (default: the prompt) plus the generated text."""
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteriaList

    from splice.decode.adapters import decoder_of, hf, vocab_of

    prefix = prompt if code_prefix is None else code_prefix
    names = names or NameBias(vocab_of(tokenizer), ScopeNames(namespace), bias)
    decode = decoder_of(tokenizer)
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    n_prompt = ids.shape[1]
    bans: Dict[int, Set[int]] = {}
    extra = list(generate_kwargs.pop("logits_processor", None) or [])  # the caller's own, applied first

    class Ban(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            banned = bans.get(input_ids.shape[1])
            if banned:
                scores[:, sorted(banned)] = -float("inf")
            return scores

    result = Generation("")
    while True:
        proc, crit = hf(tokenizer, n_prompt, prefix, namespace=namespace, check_names=check_names, names=names)
        budget = max_new_tokens - (ids.shape[1] - n_prompt)
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=budget,
                             logits_processor=LogitsProcessorList([*extra, proc, Ban()]),
                             stopping_criteria=StoppingCriteriaList([crit]), **generate_kwargs)
        result.tokens += out.shape[1] - ids.shape[1]
        generated = out[0, n_prompt:].tolist()
        reason = crit.reasons[0] if crit.reasons else None
        if reason is None:
            result.text = decode(generated)
            return result
        k = result.stopped(reason, generated, decode, prefix, retries)
        if k is None:
            return result
        bans.setdefault(n_prompt + k, set()).add(generated[k])
        ids = out[:, : n_prompt + k]


def llama_generate(llm: Any, prompt: str, max_tokens: int = 128, retries: int = 8, code_prefix: Optional[str] = None,
                   bias: float = 2.0, namespace: Optional[Dict[str, Any]] = None, check_names: bool = True,
                   names: Optional[NameBias] = None, stop: Sequence[str] = ()) -> Generation:
    """Greedy generation on a llama-cpp-python `Llama` with the name bias and the early stop, resampling at each
    stop. `stop`: strings that end the generation (cut before them), as in `Llama.__call__`."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    from splice.decode.adapters import llama_cpp, llama_vocab, memo

    prefix = prompt if code_prefix is None else code_prefix
    names = names or NameBias(llama_vocab(llm), ScopeNames(namespace), bias)
    prompt_ids = list(llm.tokenize(prompt.encode("utf-8"), add_bos=True))
    n_prompt = len(prompt_ids)
    text_of = memo(lambda ids: llm.detokenize(ids, prev_tokens=prompt_ids).decode("utf-8", "replace"))
    name_bias, _ = llama_cpp(text_of, None, n_prompt, prefix, namespace=namespace, names=names)
    bans: Dict[int, Set[int]] = {}

    def ban(input_ids: Any, scores: Any) -> Any:
        banned = bans.get(len(input_ids) - n_prompt)
        if banned:
            scores[sorted(banned)] = -np.inf
        return scores

    result = Generation("")
    generated: List[int] = []
    checker = EarlyStop(namespace, check_names)
    while True:
        resample = False
        for token in llm.generate(prompt_ids + generated, top_k=1, temp=0.0, repeat_penalty=1.0,
                                  logits_processor=LogitsProcessorList([name_bias, ban])):
            if token == llm.token_eos():
                break
            generated.append(token)
            result.tokens += 1
            text = text_of(generated)
            cut = min((text.find(s) for s in stop if s in text), default=-1)
            if cut >= 0:
                result.text = text[:cut]
                return result
            reason = checker.check(prefix + text)
            if reason is not None:
                k = result.stopped(reason, generated, text_of, prefix, retries)
                if k is None:
                    return result
                bans.setdefault(k, set()).add(generated[k])
                generated = generated[:k]
                checker = EarlyStop(namespace, check_names)
                resample = True
                break
            if len(generated) >= max_tokens:
                break
        if not resample:
            result.text = text_of(generated)
            return result
