"""Code that lives in a running interpreter: code defined in cells as edit targets (`cellsource`), live patching of
running modules and objects (`live`), and linear `# %%` scripts run cell by cell (`cells`).

Imports `splice.core` and its own modules only; it never imports IPython (the door in `splice.doors` does).
"""
