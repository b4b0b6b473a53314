"""Accessibility fixes at their source, for WCAG 2.1 AA (checked by axe-core in the browser test).

* Bibliography entries: docutils writes ``role="doc-biblioentry"`` (deprecated in ARIA) inside a
  ``role="list"``, which then has no ``listitem`` children; here each entry is a ``listitem``.
* ``_static/nntheory-a11y.css``: link and muted-text colours inside proof, exercise and solution boxes
  with at least 4.5:1 contrast in the light and the dark colour mode (the theme's blue link on the
  boxes' tinted backgrounds falls short).
* Collapsed code cells: myst-nb's summary carries an aria-label that differs from its visible text.
* The navigation's expand/collapse toggles (a ``<summary>`` holding only a decorative chevron, made by the theme
  for a toc entry with sections, e.g. the API appendix) get an accessible name: "Sections of <entry>".
* ``_templates/``: the theme's search field and colour-mode button, with an accessible name that
  contains their visible text (the search field) and decorative icons hidden (the colour-mode button).
"""

from __future__ import annotations

from html import escape

from docutils import nodes
from sphinx.application import Sphinx


def visit_citation(self, node: nodes.citation) -> None:
    """A bibliography entry as a list item of its list (docutils' own visitor uses a deprecated role)."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hidden_cell(self, node: nodes.Element) -> None:
    """myst-nb's collapsed cell, without the summary's aria-label ("Toggle hidden content"), which hid its
    visible text ("Show code cell source") from screen readers: the summary's own text names it."""
    self.body.append(f'<details class="admonition hide {" ".join(node["classes"])}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n</summary>\n')


def depart_hidden_cell(self, node: nodes.Element) -> None:
    self.body.append("</details>\n")


def name_nav_toggles(soup: object) -> object:
    """Give each navigation toggle with no text of its own (a ``<summary>`` around the theme's decorative chevron)
    an ``aria-label`` naming the entry whose sections it shows or hides; return ``soup`` (a BeautifulSoup)."""
    if not hasattr(soup, "select"):
        return soup
    for summary in soup.select("li > details > summary, li > a.reference + details > summary"):
        if summary.get("aria-label") or summary.get_text(strip=True):
            continue
        li = summary.find_parent("li")
        link = li.find("a", class_="reference") if li is not None else None
        name = link.get_text(" ", strip=True) if link is not None else "this entry"
        summary["aria-label"] = f"Sections of {name}"
    return soup


def _wrap_toctree(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    """Wrap the theme's ``generate_toctree_html`` (set by an earlier handler) so its toggles have names."""
    make = context.get("generate_toctree_html")
    if make is None or getattr(make, "_nnt_named", False):
        return

    def named(*args: object, **kwargs: object) -> object:
        return name_nav_toggles(make(*args, **kwargs))

    named._nnt_named = True  # type: ignore[attr-defined]
    context["generate_toctree_html"] = named


def setup(app: Sphinx) -> dict:
    """Register the bibliography-entry and hidden-cell visitors, the navigation toggles' names and the stylesheet."""
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell))
    app.add_css_file("nntheory-a11y.css")
    app.connect("html-page-context", _wrap_toctree, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
