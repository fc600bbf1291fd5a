"""Does the code still hold after an edit: the check stages (`stages`), missing imports (`autoimport`, `resolve`),
and test runs that point at the bug (`testrun`, `suspects`, `linetrace`, the subprocess's `pytest_plugin`).

Imports `splice.core` and its own modules only; linters, type checkers and pytest run as subprocesses.
"""
