"""The package as a reader's tool: the API appendix, its rules, and links from the chapters' code into it.

* ``api-summary`` (argument: a module, e.g. ``nntheory.optim``) becomes a table of the module's public names
  (its ``__all__``), each linking to its entry (written by autodoc below it) with the first line of its docstring.
* Every public function, method and class constructor documents each of its parameters: a NumPy-style
  ``Parameters`` section that leaves one out is a build warning (an error under ``-W``), and so is a public name
  of ``__all__`` that autodoc did not document.
* On the site, every name of the package in a chapter's code (``optim.run``, ``dyn.train_gd``, ``relu_net``
  after ``from nntheory.nets import relu_net``) and in its inline code (``dyn.teacher_data``) links to its entry.
  The chapter's own ``import`` lines say which alias is which module.
"""

from __future__ import annotations

import html
import importlib
import inspect
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
PACKAGE = "nntheory"


# ---------------------------------------------------------------------------------------------------------------
# The summary table


def public_names(module: str) -> list[str]:
    """A module's public names: its ``__all__``."""
    mod = importlib.import_module(module)
    return list(getattr(mod, "__all__", []))


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


class ApiSummary(SphinxDirective):
    """``api-summary``: one row per public name of a module, linking to its entry."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0].strip()
        mod = importlib.import_module(module)
        table = nodes.table(classes=["nnt-api-summary", "colwidths-given"])
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=30)
        group += nodes.colspec(colwidth=70)
        body = nodes.tbody()
        group += body
        for name in public_names(module):
            obj = getattr(mod, name, None)
            row = nodes.row()
            ref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=f"{module}.{name}",
                                        refexplicit=True, refwarn=True, **{"py:module": module})
            ref += nodes.literal(name, name)
            row += nodes.entry("", nodes.paragraph("", "", ref))
            summary = self.parse_text_to_nodes(_first_line(obj)) if obj is not None else []
            row += nodes.entry("", *(summary or [nodes.paragraph()]))
            body += row
        return [table]


# ---------------------------------------------------------------------------------------------------------------
# Every parameter documented, every public name documented


def _documented_params(lines: list[str]) -> set[str]:
    """Parameter names of a NumPy-style ``Parameters`` section (as napoleon turned it into ``:param x:``)."""
    names = set()
    for ln in lines:
        m = re.match(r"\s*:(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:", ln)
        if m:
            names.add(m.group(1))
    return names


def _check_docstring(app: Sphinx, what: str, name: str, obj: object, options, lines: list[str]) -> None:
    if not name.startswith(PACKAGE + ".") or what not in ("function", "method", "class"):
        return
    leaf = name.rsplit(".", 1)[-1]
    if leaf.startswith("_"):
        return
    target = obj.__init__ if what == "class" else obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return
    params = [p for p in sig.parameters.values()
              if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if what == "class" and target is object.__init__:
        return
    missing = [p.name for p in params if p.name not in _documented_params(lines)]
    if missing:
        logger.warning(f"{name}: parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)} not documented "
                       "(a 'Parameters' section in the docstring)", type="nntheory", subtype="api")


def _check_coverage(app: Sphinx, env) -> None:
    documented = {name for (name, _) in env.domaindata.get("py", {}).get("objects", {}).items()}
    pages = [d for d in env.found_docs if d.startswith("api/")]
    if not pages:
        return
    for module in sorted({f"{PACKAGE}.{d[4:]}" for d in pages if d != "api/index"}):
        try:
            names = public_names(module)
        except ImportError:
            continue
        for n in names:
            if f"{module}.{n}" not in documented:
                logger.warning(f"{module}.{n} is public (in __all__) but has no entry in the API reference",
                               type="nntheory", subtype="api")


# ---------------------------------------------------------------------------------------------------------------
# Links from the chapters' code into the reference


_IMPORT_FROM = re.compile(r"^\s*from\s+nntheory(\.\w+)?\s+import\s+\(?([^)#\n]+)", re.M)
_IMPORT = re.compile(r"^\s*import\s+nntheory\.(\w+)(?:\s+as\s+(\w+))?", re.M)


def aliases(source: str) -> dict[str, str]:
    """What each name a chapter imports from the package stands for: ``{'dyn': 'nntheory.dynamics', ...}``."""
    out: dict[str, str] = {}
    for m in _IMPORT_FROM.finditer(source):
        base = PACKAGE + (m.group(1) or "")
        for part in m.group(2).split(","):
            bits = part.split()
            if not bits:
                continue
            name, alias = bits[0], bits[2] if len(bits) >= 3 and bits[1] == "as" else bits[0]
            out[alias] = f"{base}.{name}"
    for m in _IMPORT.finditer(source):
        out[m.group(2) or m.group(1)] = f"{PACKAGE}.{m.group(1)}"
    return out


_SPAN = r'<span class="(?:n|nn|nc|nf)">{}</span>'


def link_code(body: str, names: dict[str, str], modules: set[str], url_of) -> tuple[str, int]:
    """``body`` (HTML) with every package name in highlighted code and inline code linked; (new body, links).

    ``names`` maps each imported alias to its full name, ``modules`` are the aliases that name modules, and
    ``url_of(full_name)`` is the URL of a documented object's entry (None if it has none).
    """
    count = 0

    def attr_link(m: re.Match) -> str:
        nonlocal count
        alias, attr = m.group("alias"), m.group("attr")
        url = url_of(f"{names[alias]}.{attr}")
        if url is None:
            return m.group(0)
        count += 1
        return (f'{m.group("head")}<a class="nnt-api" href="{html.escape(url)}" title="{names[alias]}.{attr}">'
                f'{m.group("tail")}</a>')

    if modules:
        alt = "|".join(re.escape(a) for a in sorted(modules, key=len, reverse=True))
        pattern = re.compile(rf'(?P<head>)(?P<tail><span class="n">(?P<alias>{alt})</span><span class="o">\.</span>'
                             rf'<span class="n">(?P<attr>\w+)</span>)')
        body = pattern.sub(attr_link, body)

    def name_link(m: re.Match) -> str:
        nonlocal count
        url = url_of(names[m.group("name")])
        if url is None:
            return m.group(0)
        count += 1
        return f'<a class="nnt-api" href="{html.escape(url)}" title="{names[m.group("name")]}">{m.group(0)}</a>'

    direct = [a for a, full in names.items() if a not in modules and url_of(full) is not None]
    if direct:
        alt = "|".join(re.escape(a) for a in sorted(direct, key=len, reverse=True))
        body = re.sub(rf'(?<!">)<span class="n">(?P<name>{alt})</span>(?!<span class="o">\.)', name_link, body)

    def literal_link(m: re.Match) -> str:
        nonlocal count
        text = m.group("text")
        head, _, attr = text.partition(".")
        full = names.get(head)
        if full is None and text.startswith(PACKAGE + "."):
            full, attr = text.rsplit(".", 1)[0], text.rsplit(".", 1)[1]
        url = url_of(f"{full}.{attr}".rstrip("(") if full and attr else (full or ""))
        if url is None:
            return m.group(0)
        count += 1
        return f'<a class="nnt-api" href="{html.escape(url)}">{m.group(0)}</a>'

    body = re.sub(r'<code class="docutils literal notranslate"><span class="pre">(?P<text>[\w.]+)\(?\)?</span></code>',
                  literal_link, body)
    return body, count


def _link_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format != "html" or doctree is None or not pagename.startswith("chapters/"):
        return
    objects = app.env.domaindata.get("py", {}).get("objects", {})
    if not objects:
        return
    source = "\n".join(n.astext() for n in doctree.findall(nodes.literal_block))
    names = aliases(source)
    if not names:
        return

    def url_of(full: str) -> str | None:
        entry = objects.get(full)
        if entry is None:
            return None
        return app.builder.get_relative_uri(pagename, entry.docname) + "#" + entry.node_id

    modules = {a for a, full in names.items() if full in objects and objects[full].objtype == "module"}
    context["body"], _ = link_code(context.get("body", ""), names, modules, url_of)


def setup(app: Sphinx) -> dict:
    """Register the summary directive, the documentation checks and the code links."""
    app.add_directive("api-summary", ApiSummary)
    app.connect("autodoc-process-docstring", _check_docstring)
    app.connect("env-check-consistency", _check_coverage)
    app.connect("html-page-context", _link_page, priority=700)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
