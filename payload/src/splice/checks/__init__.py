"""Does the code still hold after an edit: the check stages (`stages`), missing imports (`autoimport`, `resolve`),
and test runs that point at the bug (`testrun`, `failures`, `suspects`, `linetrace`, the subprocess's `pytest_plugin`,
and `pytest_suspects` with its `pytest_shim`, which end plain pytest runs with the suspects).

Imports `splice.core` and its own modules only; linters, type checkers and pytest run as subprocesses.
"""
