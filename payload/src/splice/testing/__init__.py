"""Test runs that point at the bug: the runner (`runner`: `splice.test`, related tests, where a suite runs from
`root`), failures and their groups (`failures`), fault localization (`suspects`, over `linetrace`'s line coverage),
the per-test coverage map (`covmap`), the subprocess's plugin (`pytest_plugin`), and `pytest_suspects` with its
stdlib-only `pytest_shim`, which end plain pytest runs with the suspects.

Imports `splice.core` only: the checks after an edit (`splice.checks`) sit above it and run its tests stage; pytest
runs as a subprocess or as the user's own run.
"""
