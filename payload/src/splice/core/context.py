"""What one call works on, worked out once and handed down: the target, its real file, the project, the text read.

`splice.api` builds one per call; the planners read its Doc, the checks, the related tests and the journal use its
path and root, so nothing below the api looks the file or the project up again. Its `write` holds the file's lock
while it checks the file against the hash read, plans again by name if another writer changed it (or refuses), and
writes the undo entry before the file (files.write_ahead).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Optional

from splice.core import faults, files
from splice.core.edit import Doc
from splice.core.errors import Conflict
from splice.core.targets import Target
from splice.core.text import Source


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

    def write(self, text: str, op: str, replan: Optional[Callable[[Doc], str]] = None) -> bytes:
        """Write `text` in the file's encoding, journal first, under the file's lock; returns the bytes written.

        Under the lock the file is read again: if another writer changed it since this call read it, `replan` (the
        edit planned again on the current text, or Conflict) gives the text to write; without it the write is
        refused (Conflict, nothing written). A file to create is refused if it exists by then."""
        with files.locked(self.path, files.journal_folder(self.path, self.root)):
            faults.point("locked")
            current = files.read_bytes(self.path)
            source = self.doc.source
            if self.loaded is None and current is not None:
                raise Conflict("%s was created since this call looked; nothing was written (read it again)"
                               % self.path)
            if self.loaded is not None and current is None:
                raise Conflict("%s was deleted since this call read it; nothing was written" % self.path)
            if self.loaded is not None and current is not None and files.sha(current) != self.loaded.digest:
                if replan is None:
                    raise Conflict("%s changed on disk since this call read it; nothing was written (read it again)"
                                   % self.path)
                try:
                    source = Source.decode(current)
                except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
                    raise Conflict("%s changed on disk since this call read it and cannot be decoded now (%s); "
                                   "nothing was written" % (self.path, exc)) from None
                text = replan(Doc(source, self.doc.path))
            data = source.encode(text)
            if data != current:
                files.write_ahead(self.path, current, data, op, str(self.target), self.root)
        files.sweep_once(os.path.dirname(os.path.abspath(self.path)))
        return data
