"""Does the code still hold after an edit: the check stages (`stages`: syntax, names, ruff, types, related tests) and
missing imports (`autoimport`, `resolve`).

Imports `splice.core` and, for the tests stage, `splice.testing` (the family below it); linters, type checkers and
pytest run as subprocesses.
"""
