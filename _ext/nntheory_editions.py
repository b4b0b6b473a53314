"""Editions of the book: the full book, and a student edition with every exercise solution removed.

``nntheory_edition = "student"`` (set by ``make book-student`` / ``make pdf-student`` through
``scripts/book_config.py``) removes every solution from the pages (plain and gated ``solution-start`` /
``solution-end`` solutions, with the code cells inside them), shows a banner saying so, and makes the
notebook downloads and the course bundle drop solutions too (``strip_solutions``). sphinx-exercise's
own ``hide_solutions`` is not used: it leaves the end marker of gated solutions behind.
"""

from __future__ import annotations

import re

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx_exercise.nodes import solution_node

BANNER = "Student edition: the exercises are here, their solutions are not."
_GATED = re.compile(r"(```|:::)\{solution-start\}.*?(```|:::)\{solution-end\}\s*(```|:::)?", re.S)
_PLAIN = re.compile(r"(`{3,}|:{3,})\{solution\}.*?\n\1[ \t]*(\n|$)", re.S)


def is_student(config) -> bool:
    return getattr(config, "nntheory_edition", "full") == "student"


def _remove_solutions(app: Sphinx, doctree: nodes.document) -> None:
    if not is_student(app.config):
        return
    for node in list(doctree.findall(solution_node)):
        node.parent.remove(node)


def _banner(app: Sphinx, config) -> None:
    if is_student(config):
        options = dict(config.html_theme_options or {})
        options["announcement"] = BANNER
        config.html_theme_options = options


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A notebook without its solutions: gated ones span cells (the code cells between are dropped)."""
    cells, inside = [], False
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown":
            if inside:
                if "{solution-end}" not in src:
                    continue
                src, inside = src.split("{solution-end}", 1)[1].lstrip("`: \n"), False
            src = _PLAIN.sub("", _GATED.sub("", src))
            if "{solution-start}" in src:
                src, inside = src.split("{solution-start}", 1)[0].rstrip("`: \n"), True
            if src.strip():
                cells.append(nbformat.v4.new_markdown_cell(src) if src != cell.source else cell)
        elif not inside:
            cells.append(cell)
    out = nbformat.from_dict(dict(nb))
    out.cells = cells
    return out


def setup(app: Sphinx) -> dict:
    """Register the edition switch, the solution removal and the banner."""
    app.add_config_value("nntheory_edition", "full", "env")
    app.connect("config-inited", _banner)
    app.connect("doctree-read", _remove_solutions, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
