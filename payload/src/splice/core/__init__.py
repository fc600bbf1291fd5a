"""The editing core: one document, text in and text out. Imports nothing of splice outside `splice.core`.

Source text that round-trips byte for byte (`text`), chunks by name (`locate`, with `sections` and `cellmarks`
for the marked regions), new code fitted to its place (`reindent`, `elision`), the operations planned as line
splices (`edit`), one target syntax (`targets`), the file layer with its parse cache and write-ahead undo journal
(`files`), one lock per file (`lock`), an edit planned again on a file another writer changed (`rebase`), what one
call works on, resolved once and handed down (`context`), which files a project has (`walk`), output budgets
(`budget`), the names code reads (`names`), the one exception hierarchy (`errors`), and the named points where the
fault-injection tests stop a writer (`faults`).
"""

import os

# The folder that holds the splice package (for a subprocess's PYTHONPATH) and the package's own folder (to tell
# splice's frames from user code), from one place rather than each module counting its own depth.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_ROOT = os.path.dirname(PACKAGE_DIR)
