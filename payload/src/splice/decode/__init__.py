"""Help for local models: stop generation when the code is broken, favour tokens that spell names valid in scope.

Framework-neutral core (`core`) on a vocabulary (token strings) and a logits vector; names at the cursor from
`scope`; adapters for Hugging Face transformers and llama-cpp-python style callables in `adapters`; generation that
resamples at a stop in `resample`. A family of its own: it imports nothing of splice outside `splice.decode`.
"""

from splice.decode.core import CodeState, EarlyStop, NameBias, StopReason, VocabTrie
from splice.decode.scope import ScopeNames

__all__ = ["CodeState", "EarlyStop", "NameBias", "ScopeNames", "StopReason", "VocabTrie"]
