"""Every ```python block in docs/*.md and README.md runs, in order, one namespace per file.

A block whose first line is ``>>>`` runs as a doctest (its output is checked). Two
markers, an HTML comment on the line before the block, change how a block runs:

* ``<!-- docs-test: raises NameOfError -->``: the block must raise that exception (a
  page that shows an error on purpose);
* ``<!-- docs-test: subprocess -->``: the block runs alone in a fresh Python process
  (code that must run before TensorFlow initialises, e.g. device or backend set-up);
* ``<!-- snippet: tests/path/script.py -->``: the block is a copy of that file, which its
  own test runs (in a subprocess); here the block must equal the file, character for
  character;
* ``<!-- docs-test: skip (reason) -->``: the block is not run; for code shown for
  reading only (a user's mistaken lines, code that needs a dataset). The reason is
  required.
"""

from __future__ import annotations

import doctest
import os
import pathlib
import re
import subprocess
import sys
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
_BLOCK = re.compile(
    r"(?:<!-- (?:docs-test: (?P<mode>skip|raises|subprocess)|(?P<snippet>snippet):)"
    r"(?P<arg>[^>]*)-->[ \t]*\n)?"
    r"^```python[ \t]*\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)

# The README's example names its data without making it: stand-ins of the right shape.
_SETUP = {
    "README.md": (
        "import numpy as np\n"
        "x = np.random.default_rng(0).normal(size=(64, 1000)).astype('float32')\n"
        "y_lists = [[i % 90, (7 * i) % 90] for i in range(64)]\n"
    ),
}


def _blocks(page: pathlib.Path) -> list[tuple[int, str, str | None, str | None]]:
    """``(line, code, skip reason, what it raises)`` per block.

    The last item is an exception name for ``raises``, ``"subprocess"`` for a block that
    runs in a fresh process, ``"snippet:PATH"`` for a copy of a file, else None.
    """
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        mode, arg = (
            match.group("mode") or match.group("snippet"),
            (match.group("arg") or "").strip(),
        )
        found.append(
            (line, match.group("code"), arg if mode == "skip" else None,
             {"subprocess": "subprocess", "raises": arg, "snippet": f"snippet:{arg}"}.get(mode))
        )  # fmt: skip
    return found


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_code_runs(
    page: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks(page)
    if any("plot_" in code for _, code, reason, _ in blocks if reason is None):
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # anything a block writes lands in a temporary folder
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    exec(_SETUP.get(page.name, ""), namespace)
    for line, code, reason, raises in blocks:
        if reason is not None:
            assert reason.startswith("(") and reason.endswith(")"), (
                f"{page.name}:{line}: a skipped block needs a reason in brackets"
            )
            continue
        where = f"{page.name}:{line}"
        if code.lstrip().startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(page), line)
            runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
            runner.run(test)
            assert runner.failures == 0, f"{where}: doctest failed"
            continue
        if raises is not None and raises.startswith("snippet:"):
            source = ROOT / raises.removeprefix("snippet:")
            assert source.is_file(), f"{where}: {source} does not exist"
            assert code == source.read_text(encoding="utf-8"), f"{where}: differs from {source}"
            continue
        if raises == "subprocess":
            script = tmp_path / f"block_{line}.py"
            script.write_text(code, encoding="utf-8")
            done = subprocess.run(
                [sys.executable, str(script)], capture_output=True, text=True, check=False,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600,
            )  # fmt: skip
            assert done.returncode == 0, f"{where}:\n{done.stderr[-3000:]}"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # docs code must not warn
            if raises is None:
                exec(compile(code, where, "exec"), namespace)
                continue
            with pytest.raises(Exception) as caught:
                exec(compile(code, where, "exec"), namespace)
            assert type(caught.value).__name__ == raises, f"{where}: {caught.value!r}"


def test_blocks_are_found() -> None:
    # The extraction itself: every page with code has its blocks found, skips are rare.
    counts = {page.name: _blocks(page) for page in PAGES}
    for name in ("index.md", "tasks.md", "labels.md", "plots.md", "migrating.md", "README.md"):
        assert any(reason is None for _, _, reason, _ in counts[name]), name
    skipped = sum(1 for blocks in counts.values() for _, _, r, _ in blocks if r)
    runnable = sum(1 for blocks in counts.values() for _, _, r, _ in blocks if not r)
    assert skipped < runnable / 2, (skipped, runnable)


def test_markers_are_parsed(tmp_path: pathlib.Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```python\nx = 1\n```\n"
        "<!-- docs-test: skip (needs data) -->\n```python\nload()\n```\n"
        "<!-- docs-test: raises ValueError -->\n```python\nint('a')\n```\n"
        "<!-- docs-test: subprocess -->\n```python\nimport os\n```\n"
        "<!-- snippet: tests/x.py -->\n```python\nx = 2\n```\n"
        "```bash\nls\n```\n",
        encoding="utf-8",
    )
    assert _blocks(page) == [
        (3, "x = 1\n", None, None),
        (7, "load()\n", "(needs data)", None),
        (11, "int('a')\n", None, "ValueError"),
        (15, "import os\n", None, "subprocess"),
        (19, "x = 2\n", None, "snippet:tests/x.py"),
    ]
