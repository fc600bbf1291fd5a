"""Errors that teach: every message says what was wrong and what to do next, in a few lines."""

from __future__ import annotations


class SpliceError(Exception):
    """Base of every error splice raises on purpose; `str(err)` is meant to be shown to the model as is."""

    exit_code = 1


class BadTarget(SpliceError, ValueError):
    """The target string or the arguments cannot be understood."""

    exit_code = 2


class NotFound(SpliceError, LookupError):
    """No chunk by that name: the message lists the closest names and a short outline of the parent."""

    exit_code = 3


class Ambiguous(SpliceError, LookupError):
    """Several chunks match: the message lists each with its line and the exact target that picks it."""

    exit_code = 4

    def __init__(self, message: str, candidates: "list[str]") -> None:
        super().__init__(message)
        self.candidates = candidates


class WouldBreakSyntax(SpliceError, SyntaxError):
    """The edit would leave the file unparseable; nothing was written (force=True overrides)."""

    exit_code = 5


class Conflict(SpliceError):
    """The file changed on disk since it was read, or edits overlap; nothing was written."""

    exit_code = 6


class ElidedCode(SpliceError):
    """New code stands in for existing code with a marker such as `# ... (same as above)`; nothing was written."""

    exit_code = 7
