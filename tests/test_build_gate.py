"""The build is a gate: a throwaway book with a failing cell, or a failing assert, must not build.

Each case builds a one-page book with the same command and configuration that `make test` uses
(this repository's `_config.yml`, with `-W -n --keep-going`), and a control book that passes
proves the harness itself can succeed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Gate test

Some prose.

```{code-cell} ipython3
"""


def _build(tmp_path: Path, cell: str) -> subprocess.CompletedProcess:
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy(ROOT / "references.bib", book / "references.bib")
    for d in ("_ext", "_static"):  # the local Sphinx extension and the favicon that _config.yml names
        shutil.copytree(ROOT / d, book / d)
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (book / "index.md").write_text(HEADER + cell + "\n```\n")
    env = dict(os.environ, NNTHEORY_STATIC="1")
    return subprocess.run(
        [str(JB), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=600, env=env,
    )


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not JB.exists(), reason="jupyter-book not installed beside python")]


def test_passing_book_builds(tmp_path):
    res = _build(tmp_path, "from nntheory import checks\nchecks.check_le('x', 1.0, 2.0)\nassert 1 + 1 == 2")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert (tmp_path / "book" / "_build" / "html" / "index.html").exists()


def test_failing_cell_fails_build(tmp_path):
    res = _build(tmp_path, "raise RuntimeError('this cell fails on purpose')")
    assert res.returncode != 0
    assert "this cell fails on purpose" in res.stdout + res.stderr


def test_failing_assert_fails_build(tmp_path):
    res = _build(tmp_path, "import math\nassert math.pi < 3, 'a false claim must stop the build'")
    assert res.returncode != 0
    assert "a false claim must stop the build" in res.stdout + res.stderr


def test_failing_check_helper_fails_build(tmp_path):
    res = _build(tmp_path, "from nntheory import checks\nchecks.check_le('residual', 1.0, 1e-9)")
    assert res.returncode != 0
    assert "exceeds its tolerance" in res.stdout + res.stderr
