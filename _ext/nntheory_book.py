"""Sphinx glue for the book: notation macros for MathJax (web) and LaTeX (PDF), and two small fixes.

The macros are written once, in `_config.yml` under `mathjax3_config.tex.macros`; this extension
turns them into `\\providecommand` lines of the LaTeX preamble, so the PDF renders the same symbols.
"""

from __future__ import annotations

import copy

import myst_nb.core.render as _nb_render
from myst_nb.core.execute.cache import NotebookClientCache

from sphinx.application import Sphinx
from sphinx.config import Config


def latex_macros(macros: dict) -> str:
    """LaTeX `\\providecommand` lines for MathJax-style macros (`name: body` or `name: [body, nargs]`)."""
    lines = []
    for name, spec in macros.items():
        body, nargs = (spec, 0) if isinstance(spec, str) else (spec[0], int(spec[1]))
        args = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{args}{{{body}}}")
        lines.append(f"\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines)


def _add_preamble(app: Sphinx, config: Config) -> None:
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n\\usepackage{amssymb}\n" + latex_macros(macros) + "\n"
    config.latex_elements = elements


def _theme_defaults(app: Sphinx, config: Config) -> None:
    # an explicit default colour mode: without it the theme logs a console error on a reader's first visit
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    # sphinx-thebe and sphinx-togglebutton register inline scripts twice under Jupyter Book 1.x, which redeclares a `const`
    # and raises a SyntaxError in the browser; keep the first copy of each script
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (str(getattr(script, "filename", script) or ""), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


_render_image = _nb_render.NbElementRenderer.render_image


def _render_image_with_alt(self, data) -> list:
    """myst-nb's image rendering, with the alt text that the cell computed (``viz.show(fig, alt=...)`` puts it in
    the output's metadata); myst-nb itself only reads width and height from there."""
    out = _render_image(self, data)
    alt = (data.output_metadata.get(data.mime_type) or {}).get("alt")
    if alt:
        for node in out:
            node["alt"] = str(alt)
    return out


_coalesce_streams = _nb_render.coalesce_streams


def _coalesce_streams_copy(outputs: list) -> list:
    """myst-nb's stream merging, on copies: the original mutates the notebook's first stream output in
    place, so the executed .ipynb offered for download repeated every printed line after the first chunk."""
    return _coalesce_streams([copy.deepcopy(o) for o in outputs])


_start_cached = NotebookClientCache.start_client


def _start_cached_in_place(self: NotebookClientCache) -> None:
    """myst-nb's cached execution, keeping the notebook object: on a cache hit it merges the outputs into a
    new notebook, but writes the old one to jupyter_execute/ and the .ipynb download (without outputs)."""
    original = self._notebook
    _start_cached(self)
    if self._notebook is not original:
        original.cells, original.metadata = self._notebook.cells, self._notebook.metadata
        self._notebook = original


def setup(app: Sphinx) -> dict:
    """Register the config and page hooks."""
    _nb_render.coalesce_streams = _coalesce_streams_copy
    _nb_render.NbElementRenderer.render_image = _render_image_with_alt
    NotebookClientCache.start_client = _start_cached_in_place
    app.connect("config-inited", _add_preamble)
    app.connect("config-inited", _theme_defaults)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
