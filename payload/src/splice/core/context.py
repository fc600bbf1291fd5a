"""What one call works on, worked out once and handed down: the target, its real file, the project, the text read.

`splice.api` builds one per call; the planners read its Doc, the checks, the related tests and the journal use its
path and root, and its `write` refuses a file changed on disk since it was read (its hash), so nothing below the api
looks the file or the project up again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

from splice.core import files
from splice.core.edit import Doc
from splice.core.errors import Conflict
from splice.core.targets import Target


@dataclass(frozen=True, eq=False)
class FileContext:
    target: Target
    doc: Doc
    loaded: Optional[files.Loaded]  # the file as read (bytes, hash); None for a file to create or a notebook cell
    path: str = field(init=False)  # the real file (links resolved): what is written, journaled and checked
    text: str = field(init=False)  # the text as read, before any edit

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.loaded.path if self.loaded else self.target.path)
        object.__setattr__(self, "text", self.doc.source.text)

    @cached_property
    def root(self) -> str:
        """The project root (files.project_root), worked out on first need and only once."""
        return files.project_root(self.path)

    def write(self, text: str, op: str) -> bytes:
        """Write `text` atomically in the file's encoding and journal the step; refused (Conflict, nothing written)
        when the file changed on disk since it was read (or appeared, for a file to create). Returns the bytes."""
        data = self.doc.source.encode(text)
        if self.loaded is None and os.path.exists(self.path):
            raise Conflict("%s was created since this call looked; nothing was written (read it again)" % self.path)
        files.write_atomic(self.path, data, self.loaded.digest if self.loaded else None)
        files.record(self.path, self.loaded.raw if self.loaded else None, data, op, str(self.target), root=self.root)
        return data
