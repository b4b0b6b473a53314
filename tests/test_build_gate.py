"""The build is a gate: a throwaway book with a failing cell, or a failing assert, must not build.

Each case builds a one-page book with the same command and configuration that `make test` uses
(this repository's `_config.yml`, with `-W -n --keep-going`), and a control book that passes
proves the harness itself can succeed.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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

(sec-page)=
## Some prose

Some prose.

```{code-cell} ipython3
from nntheory import checks
```

"""


LEDGER_PAGE = """# Every check

```{check-ledger-summary}
```

## The page

```{check-ledger} chapters/01_page
```
"""


def _build(tmp_path: Path, cell: str, *, ledger: bool = False, student: bool = False, after: str = "",
           check: bool | None = None, before: str = "") -> subprocess.CompletedProcess:
    """Build a one-page book (with ``ledger``: the page as chapters/01_page, and a ledger appendix;
    ``student``: the student edition; ``before``/``after``: MyST text before and after the cell; ``check``: tag
    the cell ``check``, by default when it calls ``checks.``)."""
    if check is None:
        check = "checks." in cell
    book = tmp_path / "book"
    book.mkdir()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if student:
        config.setdefault("sphinx", {}).setdefault("config", {})["nntheory_edition"] = "student"
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(ROOT / "references.bib", book / "references.bib")
    for d in ("_ext", "_static"):  # the local Sphinx extension and the favicon that _config.yml names
        shutil.copytree(ROOT / d, book / d)
    page = HEADER + before + "```{code-cell} ipython3\n" + (":tags: [check]\n" if check else "") + cell + "\n```\n" + after
    if ledger:
        (book / "chapters").mkdir()
        (book / "chapters" / "01_page.md").write_text(page)
        (book / "checks.md").write_text(LEDGER_PAGE)
        (book / "index.md").write_text("# Index\n")
        (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: chapters/01_page\n"
                                     "  - file: checks\n")
    else:
        (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
        (book / "index.md").write_text(page)
    env = dict(os.environ, NNTHEORY_STATIC="1")
    return subprocess.run(
        [str(JB), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=600, env=env,
    )


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not JB.exists(), reason="jupyter-book not installed beside python")]


def test_passing_book_builds(tmp_path):
    res = _build(tmp_path, "checks.check_le('x', 1.0, 2.0, kind='inequality');")
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
    res = _build(tmp_path, "checks.check_le('residual', 1.0, 1e-9, kind='round-off')")
    assert res.returncode != 0
    assert "check failed: residual" in res.stdout + res.stderr


def test_loose_check_without_a_reason_fails_build(tmp_path):
    res = _build(tmp_path, "checks.check_le('residual', 1e-12, 1.0, kind='round-off')")
    assert res.returncode != 0
    assert "below 0.001" in res.stdout + res.stderr


def test_ledger_lists_every_check_with_link_ratio_and_reason(tmp_path):
    cell = ("checks.check_le('a bound that bites', 0.5, 1.0, kind='inequality', ref='sec-page')\n"
            "checks.check_close('an exact identity', 2.0, 2.0, 0.0, kind='exact', reason='exact in floating point');")
    res = _build(tmp_path, cell, ledger=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = tmp_path / "book" / "_build"
    records = json.loads((out / "checks.json").read_text())
    assert [r["claim"] for r in records] == ["a bound that bites", "an exact identity"]
    assert records[0]["ratio"] == 0.5 and records[1]["ratio"] == 0.0 and records[1]["kind"] == "exact"
    page = (out / "html" / "checks.html").read_text()
    assert 'href="chapters/01_page.html#check-1"' in page and 'href="chapters/01_page.html#check-2"' in page
    assert "exact in floating point" in page and "a bound that bites" in page
    chapter = (out / "html" / "chapters" / "01_page.html").read_text()
    assert 'id="check-1"' in chapter and 'id="check-2"' in chapter


SOLVED = """
```{exercise} An exercise
:label: ex-gate

Show that 1 <= 2.
```

```{solution-start} ex-gate
```

```{code-cell} ipython3
:tags: [check]
checks.check_le('a check inside a solution', 1.0, 2.0, kind='inequality');
```

```{solution-end}
```
"""


@pytest.mark.parametrize("student", [False, True])
def test_ledger_of_each_edition_links_only_checks_on_its_pages(tmp_path, student):
    cell = "checks.check_le('a check in the text', 0.5, 1.0, kind='inequality');"
    res = _build(tmp_path, cell, ledger=True, student=student, after=SOLVED)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = tmp_path / "book" / "_build"
    claims = [r["claim"] for r in json.loads((out / "checks.json").read_text())]
    chapter = (out / "html" / "chapters" / "01_page.html").read_text()
    page = (out / "html" / "checks.html").read_text()
    assert claims == ["a check in the text"] + ([] if student else ["a check inside a solution"])
    assert 'id="check-1"' in chapter and 'href="chapters/01_page.html#check-1"' in page
    assert ('id="check-2"' in chapter) != student and ('#check-2"' in page) != student
    assert ("a check inside a solution" in chapter) != student


# The two layers (_ext/nntheory_checkblocks.py): checks only in check cells, derivations beside their checks.

DERIVATION = """
:::{check-derivation}
The bound is $2^{-1}$ because *the derivation says so* (see {ref}`sec-page`).
:::

"""


def test_check_outside_a_check_cell_fails_build(tmp_path):
    res = _build(tmp_path, "x = 0.5\nchecks.check_le('x is small', x, 1.0, kind='inequality')", check=False)
    assert res.returncode != 0
    assert "checks.* called outside a check cell" in res.stdout + res.stderr


def test_check_cell_with_other_code_fails_build(tmp_path):
    res = _build(tmp_path, "print('an experiment')\nchecks.check_le('x is small', 0.5, 1.0, kind='inequality')")
    assert res.returncode != 0
    assert "calls print(...)" in res.stdout + res.stderr


def test_derivation_apart_from_its_check_fails_build(tmp_path):
    res = _build(tmp_path, "checks.check_le('x is small', 0.5, 1.0, kind='inequality')",
                 before=DERIVATION + "Some prose between the derivation and its check.\n\n")
    assert res.returncode != 0
    assert "must stand immediately before the check cell" in res.stdout + res.stderr


def test_separate_how_this_is_checked_note_fails_build(tmp_path):
    note = ":::{admonition} How this is checked\n:class: dropdown\nA derivation apart from its check.\n:::\n"
    res = _build(tmp_path, "checks.check_le('x is small', 0.5, 1.0, kind='inequality')", after="\n" + note)
    assert res.returncode != 0
    assert "separate 'How this is checked' note" in res.stdout + res.stderr


def test_check_block_shows_results_and_hides_code_and_derivation(tmp_path):
    res = _build(tmp_path, "tol = 2 * 0.5\nchecks.check_le('half is at most one', 0.5, tol, kind='inequality');",
                 before=DERIVATION, ledger=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    from bs4 import BeautifulSoup

    out = tmp_path / "book" / "_build" / "html"
    soup = BeautifulSoup((out / "chapters" / "01_page.html").read_text(), "html.parser")
    block = soup.select_one("div.nnt-check")
    line = block.select_one("ul.nnt-check-results > li").get_text(" ", strip=True)
    assert "half is at most one" in line and "0.5 ≤ 1" in line and "inequality" in line
    assert block.select_one("li a")["href"] == "../checks.html#ledger-1-1"
    audit = block.select_one("details.nnt-check-audit")
    assert "the derivation says so" in audit.select_one("div.nnt-check-derivation").get_text()
    assert "checks.check_le" in audit.select_one("div.cell_input").get_text()
    assert not block.select("div.cell_output") and "the derivation says so" not in soup.select_one(
        "article").get_text().replace(audit.get_text(), "")
    ledger = BeautifulSoup((out / "checks.html").read_text(), "html.parser")
    assert ledger.select_one("tr#ledger-1-1") is not None
    assert "the derivation says so" in ledger.select_one("div.nnt-ledger-cell").get_text()
    # a reference inside a derivation points into the chapter from the ledger page too
    hrefs = [a["href"] for a in ledger.select("div.nnt-ledger-cell a.reference")]
    assert "chapters/01_page.html#sec-page" in hrefs and "#sec-page" not in hrefs
