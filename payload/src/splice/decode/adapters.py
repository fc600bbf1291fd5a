"""Adapters: Hugging Face `LogitsProcessor` / `StoppingCriteria`, and llama-cpp-python style callables."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from splice.decode.core import EarlyStop, NameBias, StopReason
from splice.decode.scope import ScopeNames


def decoder_of(tokenizer: Any) -> Callable[[List[int]], str]:
    """ids -> text. A fast tokenizer's Rust decoder directly: `tokenizer.decode` first walks every id in Python (and
    may clean up spaces, which code must keep), a cost that grows with the sequence on every step."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return lambda ids: backend.decode(ids, skip_special_tokens=True)
    return lambda ids: tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)


def memo(decode: Callable[[List[int]], str]) -> Callable[[Sequence[int]], str]:
    """`decode` with recent answers kept: within one step the processor and the stop check ask for the same ids."""
    if getattr(decode, "memo", False):
        return decode
    cache: Dict[Tuple[int, ...], str] = {}

    def cached(ids: Sequence[int]) -> str:
        # the whole sequence (rows of a batch never share an entry by accident); a numpy array via C, not a loop
        key = tuple(ids.tolist() if hasattr(ids, "tolist") else ids)
        text = cache.get(key)
        if text is None:
            if len(cache) > 64:
                cache.clear()
            text = cache[key] = decode(list(key))
        return text

    cached.memo = True  # type: ignore[attr-defined]
    return cached


def vocab_of(tokenizer: Any) -> List[str]:
    """The text of every token id (what `decode([i])` gives)."""
    return [tokenizer.decode([i]) for i in range(len(tokenizer))]


def llama_vocab(llm: Any) -> List[str]:
    """The text of every token id of a llama-cpp-python `Llama`."""
    return [llm.detokenize([i]).decode("utf-8", "replace") for i in range(llm.n_vocab())]


def hf(tokenizer: Any, prompt_length: int, code_prefix: str = "", bias: float = 3.0,
       namespace: Optional[Dict[str, Any]] = None, vocab: Optional[Sequence[str]] = None, check_names: bool = True,
       names: Optional[NameBias] = None):
    """(logits processor, stopping criteria) for `model.generate`. The code is `code_prefix` plus what was generated
    after the first `prompt_length` tokens; `criteria.reasons[b]` says why row b stopped. Pass `names` (a NameBias)
    to reuse its vocabulary trie across calls."""
    import torch
    from transformers import LogitsProcessor, StoppingCriteria

    core = names or NameBias(vocab if vocab is not None else vocab_of(tokenizer), ScopeNames(namespace), bias)
    decode = memo(decoder_of(tokenizer))

    def code_of(row: Any) -> str:
        return code_prefix + decode(row[prompt_length:].tolist())

    class SpliceNames(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            for b in range(input_ids.shape[0]):
                ids = core.token_ids(code_of(input_ids[b]))
                if ids:
                    scores[b, ids] += core.bias
            return scores

    class SpliceStop(StoppingCriteria):
        def __init__(self) -> None:
            self.checkers: List[EarlyStop] = []
            self.reasons: List[Optional[StopReason]] = []

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            n = input_ids.shape[0]
            while len(self.checkers) < n:
                self.checkers.append(EarlyStop(namespace, check_names))
                self.reasons.append(None)
            done = []
            for b in range(n):
                if self.reasons[b] is None:
                    self.reasons[b] = self.checkers[b].check(code_of(input_ids[b]))
                done.append(self.reasons[b] is not None)
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return SpliceNames(), SpliceStop()


def llama_cpp(detokenize: Callable[[List[int]], str], vocab: Optional[Sequence[str]], prompt_length: int,
              code_prefix: str = "", bias: float = 3.0, namespace: Optional[Dict[str, Any]] = None,
              check_names: bool = True, names: Optional[NameBias] = None):
    """(logits_processor, stopping_criteria) callables on numpy arrays, as llama-cpp-python takes them; `vocab` may
    be None when `names` (a NameBias, reused with its trie) is given."""
    core = names or NameBias(vocab or [], ScopeNames(namespace), bias)
    stop = EarlyStop(namespace, check_names)
    state: Dict[str, Any] = {"reason": None}
    decode = memo(detokenize)

    def code_of(input_ids: Any) -> str:
        return code_prefix + decode(input_ids[prompt_length:])

    def logits_processor(input_ids: Any, scores: Any) -> Any:
        ids = core.token_ids(code_of(input_ids))
        if ids:
            scores[ids] += core.bias
        return scores

    def stopping_criteria(input_ids: Any, logits: Any) -> bool:
        if state["reason"] is None:
            state["reason"] = stop.check(code_of(input_ids))
        return state["reason"] is not None

    stopping_criteria.state = state  # type: ignore[attr-defined]
    return logits_processor, stopping_criteria
