"""The reader notebooks (_ext/nntheory_readernb.py) on a fixture page with every construct the chapters use.

A one-chapter book is built with this repository's configuration and extensions; the notebook the site offers
for download must read like the page, in plain Jupyter Markdown: numbered headings, theorems, proofs, exercises
and figures, references as their numbered text linking to the site, citations with a References cell, glued
values, the notation macros expanded, check cells collapsed, and no MyST left anywhere.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")
BASE = "https://nntheory.github.io/nntheory/"

PAGE = r'''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# The fixture chapter

The norm $\norm{x}$ and the risk $\Risk(w)$ and the pairing $\ip{a}{b}$, after {cite:t}`du2018` and
{cite}`wilson2017`.

```{code-cell} ipython3
:tags: [hide-cell]
from nntheory import checks
from nntheory.publish import glue
```

```{code-cell} ipython3
:tags: [remove-cell]
hidden_value = 0.125
```

(sec-fix-first)=
## A first section

```{prf:definition} Balanced
:label: def-fix

A pair is *balanced* if $\norm{a} = \norm{b}$ and
$$
\sum_{k=1}^n a_k = 1
$$
```

```{prf:theorem} A fixture theorem
:label: thm-fix

For all $x \in \R$, $\relu(x) \ge 0$.
```

```{prf:proof}
Obvious from $\max(x, 0) \ge 0$.
```

The main equation is

$$
\cd f(x) = \conv\{\nabla f(y)\}
$$ (eq-fix)

and {eq}`eq-fix` holds. See {prf:ref}`thm-fix`, {prf:ref}`def-fix`, {ref}`sec-fix-second` and {numref}`fig-fix`.
The glued value is {glue:text}`fix_value:.3f`.

:::{note}
A short aside.
:::

:::{admonition} A longer aside
:class: dropdown
Hidden until opened, with $\fro{W}$.
:::

| method | rate |
| --- | --- |
| GD | $1/t$ |
| Nesterov | $1/t^2$ |

```{code-cell} ipython3
value = hidden_value * 2
glue("fix_value", value, display=False)
```

:::{check-derivation}
The value is exact in binary, so the tolerance is $0$.
:::

```{code-cell} ipython3
:tags: [check]
checks.check_close("twice an eighth is a quarter", value, 0.25, 0.0, kind="exact", reason="exact in floating point");
```

(sec-fix-second)=
## A second section

```{code-cell} ipython3
---
tags: [hide-input]
mystnb:
  image:
    alt: A line.
  figure:
    caption: A fixture figure with $\norm{x}$ in its caption.
    name: fig-fix
---
import matplotlib.pyplot as plt
from nntheory import viz
slope = 2 * value
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1], [0, slope])
viz.show(fig, alt=f"A line of slope {slope}.")
```

## Exercises

```{exercise} ★★ A fixture exercise
:label: ex-fix

Prove {prf:ref}`thm-fix` again.
```

```{solution-start} ex-fix
:class: dropdown
```

The SOLUTION-TEXT is short.

```{code-cell} ipython3
:tags: [check]
checks.check_le("a solution's check", 1.0, 2.0, kind="inequality");
```

```{solution-end}
```
'''


def _build(tmp_path: Path, student: bool) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("sphinx", {}).setdefault("config", {})["nntheory_edition"] = "student" if student else "full"
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(ROOT / "references.bib", book / "references.bib")
    shutil.copy(ROOT / "bibliography.md", book / "bibliography.md")
    for d in ("_ext", "_static"):
        shutil.copytree(ROOT / d, book / d)
    (book / "chapters").mkdir()
    (book / "chapters" / "01_fixture.md").write_text(PAGE)
    (book / "index.md").write_text("# Index\n")
    toc = {"format": "jb-book", "root": "index",
           "parts": [{"caption": "Chapters", "numbered": True, "chapters": [{"file": "chapters/01_fixture"}]},
                     {"caption": "Back matter", "chapters": [{"file": "bibliography"}]}]}
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    res = subprocess.run([str(JB), "build", str(book), "-W", "-n", "--keep-going"], capture_output=True, text=True,
                         timeout=600, env=dict(os.environ, NNTHEORY_STATIC="1"))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return book / "_build" / "html" / "_sources" / "chapters" / "01_fixture.ipynb"


RAW_MYST = re.compile(r"\{(prf|glue|cite|doc|ref|eq|numref|exercise|solution|admonition|check-derivation|note)"
                      r"(:[a-z-]+)?\}|^\s*:label:|^\s*:::|^\s*```\s*\{", re.M)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not JB.exists(), reason="jupyter-book not installed beside python")]


def test_the_fixture_notebook_reads_like_its_page(tmp_path):
    path = _build(tmp_path, student=False)
    nb = nbformat.read(path, as_version=4)
    md = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not RAW_MYST.search(md), RAW_MYST.search(md).group(0)
    assert "# 1. The fixture chapter" in md and "## 1.1 A first section" in md
    assert r"\lVert x \rVert" in md and r"\widehat{\mathcal{R}}(w)" in md and r"\langle a, b \rangle" in md
    assert not re.search(r"\\(norm|Risk|ip|relu|cd|conv|fro|R)(?![A-Za-z])", md)
    assert "> **Definition 1.1 (Balanced).** A pair is *balanced*" in md
    # display math in a quoted theorem sits on one line (a "> " inside it would become part of the formula)
    assert "> $$\\sum_{k=1}^n a_k = 1$$" in md
    assert "> **Theorem 1.1 (A fixture theorem).** For all $x \\in \\mathbb{R}$" in md
    assert re.search(r"\*Proof\.\* Obvious .* ∎", md)
    assert r"\tag{1.1}" in md and f"[(1.1)]({BASE}chapters/01_fixture.html#equation-eq-fix)" in md
    assert f"[Theorem 1.1]({BASE}chapters/01_fixture.html#thm-fix)" in md
    assert f"[Section 1.2]({BASE}chapters/01_fixture.html#sec-fix-second)" in md
    assert f"[Figure 1.1]({BASE}chapters/01_fixture.html#fig-fix)" in md
    assert "The glued value is 0.250." in md
    assert "Du *et al.*" in md and f"{BASE}bibliography.html#" in md
    refs = next(c.source for c in nb.cells if c.source.startswith("## References"))
    assert "Algorithmic regularization" in refs and "marginal value of adaptive" in refs
    assert "> **Note.** A short aside." in md
    assert "| GD | $1/t$ |" in md and "| --- | --- |" in md
    assert "### Exercise 1.1 (★★ A fixture exercise)" in md and "#### Solution to Exercise 1.1" in md
    assert "SOLUTION-TEXT" in md
    by_source = {c.source: c for c in nb.cells}
    aside = next(c for c in nb.cells if c.source.startswith("**A longer aside.**"))
    assert aside.metadata["jupyter"]["source_hidden"] and r"\lVert W \rVert_F" in aside.source
    removed = by_source["hidden_value = 0.125"]
    assert removed.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    check = next(c for c in nb.cells if c.cell_type == "code" and "twice an eighth" in c.source)
    assert check.metadata["jupyter"]["source_hidden"] and "check" in check.metadata["tags"]
    assert any("\u2713 twice an eighth is a quarter" in o.get("text", "") for o in check.outputs)
    assert not any("vnd.nntheory.check" in k for o in check.outputs for k in o.get("data", {}))
    derivation = nb.cells[nb.cells.index(check) - 1]
    assert derivation.cell_type == "markdown" and derivation.metadata["jupyter"]["source_hidden"]
    assert "exact in binary" in derivation.source
    page = (path.parent.parent.parent / "chapters" / "01_fixture.html").read_text()
    assert 'alt="A line of slope 0.5."' in page  # the alt text the cell computed, not the typed "A line."
    figure = next(c for c in nb.cells if c.cell_type == "code" and "ax.plot" in c.source)
    assert figure.metadata["jupyter"]["source_hidden"] and any("image/png" in o.get("data", {}) for o in figure.outputs)
    caption = nb.cells[nb.cells.index(figure) + 1]
    assert caption.source.startswith("**Figure 1.1.** A fixture figure with $\\lVert x \\rVert$")
    code_order = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "code"]
    assert code_order.index("hidden_value = 0.125") < code_order.index("value = hidden_value * 2")


def test_the_student_fixture_notebook_has_no_solutions(tmp_path):
    nb = nbformat.read(_build(tmp_path, student=True), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### Exercise 1.1 (★★ A fixture exercise)" in text
    assert "SOLUTION-TEXT" not in text and "Solution to" not in text and "a solution's check" not in text
