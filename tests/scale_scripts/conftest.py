"""The scale scripts set up devices and train when imported: pytest must not import them.

``--doctest-modules`` would otherwise import every file here while collecting; the scripts
run in subprocesses started by tests/test_scale.py, and the doc snippets among them are
executed there.
"""

collect_ignore_glob = ["*.py"]
