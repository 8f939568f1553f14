"""Every Python snippet of README.md and of the docs' front page runs as
written, each on its own (a new user copies one block, not the page).

The user guide's ``>>>`` snippets run as doctests under ``make docs``; these
pages hold plain code blocks, which doctest does not see.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def markdown_blocks(path):
    return re.findall(r"^```python\n(.*?)^```", path.read_text(),
                      flags=re.MULTILINE | re.DOTALL)


def rst_blocks(path):
    """The bodies of ``.. code-block:: python`` directives that hold plain
    code (``>>>`` blocks are doctests), dedented."""
    blocks, lines = [], path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        indent = len(line) - len(line.lstrip()) + 3
        body = []
        for text in lines[i + 1:]:
            if text.strip() and len(text) - len(text.lstrip()) < indent:
                break
            body.append(text[indent:])
        code = "\n".join(body).strip("\n") + "\n"
        if not code.lstrip().startswith(">>>"):
            blocks.append(code)
    return blocks


SNIPPETS = (
    [(f"README.md[{i}]", code)
     for i, code in enumerate(markdown_blocks(ROOT / "README.md"))]
    + [(f"docs/index.rst[{i}]", code)
       for i, code in enumerate(rst_blocks(ROOT / "docs" / "index.rst"))]
)


def test_snippets_are_found():
    # At least the quickstart, time series and text blocks of the README and
    # the front page's forecast: a parser that finds nothing tests nothing.
    readme = [code for name, code in SNIPPETS if name.startswith("README")]
    index = [code for name, code in SNIPPETS if name.startswith("docs/")]
    assert len(readme) >= 3 and len(index) >= 1
    assert any("recursive_forecast(reg" in code for code in readme)
    assert any("SequenceVectorizer()" in code for code in readme)
    assert "recursive_forecast(model" in index[0]


@pytest.mark.parametrize("name, code", SNIPPETS, ids=[n for n, _ in SNIPPETS])
def test_snippet_runs_as_written(name, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, name, "exec"), {"__name__": "__snippet__"})
