"""Exploration without dumping files: `outline`, `find`, `refs`, `doc`, and the docs after an exception (`excdocs`).

Imports `splice.core` and its own modules only; every output keeps to a budget and names the call that shows more.
"""
