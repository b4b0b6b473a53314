"""Reader notebooks: each chapter as a Jupyter notebook in plain Markdown and standard LaTeX, made from the
resolved document.

A chapter's MyST source is for the book's build; a reader opens the notebook in JupyterLab, Notebook 7, VS Code,
Colab or GitHub's viewer, none of which know MyST roles, directives or the book's notation macros. After Sphinx
has resolved a chapter's references, numbers, citations and glued values (``doctree-resolved``), this extension
translates its doctree into a notebook:

* Markdown cells in plain Jupyter Markdown; math as ``$...$`` and ``$$...$$`` with the notation macros of
  ``mathjax3_config`` expanded (``\\norm{x}`` becomes ``\\lVert x \\rVert``);
* headings numbered as on the site; theorem-like blocks as numbered quotes ("**Theorem 3.1 (Automatic
  balancing).** ..."), proofs ending in ∎; exercises as numbered headings with their difficulty, solutions after
  them (the student edition has none: they are gone from its doctrees);
* references as their numbered text ("Theorem 3.1", "Figure 3.2", "Section 3.4", "Corollary 2.1 (Chapter 2)"),
  each linking to its place on the published site (``html_baseurl``); citations as on the site, and a final
  *References* cell with the chapter's entries;
* code cells with the source, tags and outputs of the executed notebook (check and glue records dropped); hidden
  inputs become ``source_hidden``, a check cell's derivation a collapsed Markdown cell before its collapsed code,
  and each figure's caption a Markdown cell under the figure.

The notebooks replace the theme's copies in ``_sources/chapters/`` (the download button, the course bundle and
the Colab branch all use those). A node the translator has no rule for is a build warning (an error under
``-W``): nothing passes through as raw MyST.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx_exercise.nodes import (exercise_enumerable_node, exercise_node, exercise_subtitle, exercise_title,
                                   solution_node, solution_title)
from sphinx_proof.nodes import proof_node

from nntheory_checkblocks import check_block, check_derivation  # _ext is on sys.path (local_extensions)

logger = logging.getLogger(__name__)

PROOF_NAMES = {"theorem": "Theorem", "lemma": "Lemma", "definition": "Definition", "corollary": "Corollary",
               "proposition": "Proposition", "remark": "Remark", "example": "Example", "conjecture": "Conjecture",
               "axiom": "Axiom", "criterion": "Criterion", "algorithm": "Algorithm", "observation": "Observation",
               "property": "Property", "assumption": "Assumption", "notation": "Notation"}
KEEP_MIME = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/svg+xml",
             "image/gif", "application/json", "application/vnd.jupyter.widget-view+json")
ANCHOR_NAMES = {"std-ref": "Section", "std-numref": None, "std-doc": None}


# ---------------------------------------------------------------------------------------------------------------
# Math: the book's notation macros, expanded


def _macro_table(config) -> dict[str, tuple[str, int]]:
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {}) or {}
    out = {}
    for name, spec in macros.items():
        body, nargs = (spec, 0) if isinstance(spec, str) else (spec[0], int(spec[1]))
        out[name] = (body, nargs)
    return out


def _group(tex: str, i: int) -> tuple[str, int] | None:
    """The argument starting at ``tex[i]`` (after spaces): a ``{...}`` group or one token; (text, end index)."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return None
    if tex[i] == "{":
        depth = 0
        for j in range(i, len(tex)):
            if tex[j] == "\\":
                continue
            if tex[j] == "{" and (j == 0 or tex[j - 1] != "\\"):
                depth += 1
            elif tex[j] == "}" and tex[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return tex[i + 1:j], j + 1
        return None
    if tex[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
        return m.group(0), i + len(m.group(0))
    return tex[i], i + 1


def expand_macros(tex: str, table: dict[str, tuple[str, int]], *, depth: int = 0) -> str:
    """``tex`` with every macro of ``table`` (MathJax-style: body with #1..#9, number of arguments) expanded."""
    if not table or depth > 8:
        return tex
    names = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"\\(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])")
    out, pos, changed = [], 0, False
    for m in pattern.finditer(tex):
        if m.start() < pos:
            continue
        # an escaped backslash before the macro (\\norm) is a line break followed by text, not a macro
        k, slashes = m.start() - 1, 0
        while k >= 0 and tex[k] == "\\":
            slashes, k = slashes + 1, k - 1
        if slashes % 2:
            continue
        body, nargs = table[m.group(1)]
        end, args = m.end(), []
        for _ in range(nargs):
            g = _group(tex, end)
            if g is None:
                break
            args.append(g[0])
            end = g[1]
        if len(args) < nargs:
            continue
        text = body
        for a in range(nargs, 0, -1):
            text = text.replace(f"#{a}", args[a - 1])
        # keep a space between a control word and a following letter (\partial f, not \partialf)
        if re.search(r"\\[A-Za-z]+$", text) and end < len(tex) and tex[end].isalpha():
            text += " "
        out.append(tex[pos:m.start()])
        out.append(text)
        pos, changed = end, True
    out.append(tex[pos:])
    result = "".join(out)
    return expand_macros(result, table, depth=depth + 1) if changed else result


# ---------------------------------------------------------------------------------------------------------------
# Markdown text


_ESCAPE = re.compile(r"([\\`*_\[\]$|<>#])")


def escape_md(text: str) -> str:
    """Plain text made safe for Jupyter Markdown (no accidental emphasis, math, HTML or headings)."""
    return _ESCAPE.sub(r"\\\1", text)


def _code_span(text: str) -> str:
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _quote(block: str) -> str:
    # display math inside a quote goes on one line: a "> " in front of its inner lines would become part of it
    block = re.sub(r"\$\$\n(.*?)\n\$\$", lambda m: "$$" + " ".join(m.group(1).split("\n")) + "$$", block, flags=re.S)
    return "\n".join(("> " + ln) if ln.strip() else ">" for ln in block.splitlines())


def _indent(block: str, n: int) -> str:
    return "\n".join((" " * n + ln) if ln.strip() else "" for ln in block.splitlines())


# ---------------------------------------------------------------------------------------------------------------
# The translator


class Untranslatable(Exception):
    """A node the translator has no rule for."""


class Translator:
    """One chapter's resolved doctree -> a list of notebook cells."""

    def __init__(self, app: Sphinx, docname: str, executed: nbformat.NotebookNode | None) -> None:
        self.app, self.env, self.docname = app, app.env, docname
        self.executed = executed
        self.macros = _macro_table(app.config)
        base = (app.config.html_baseurl or "").rstrip("/") + "/"
        self.page_url = urllib.parse.urljoin(base, docname + ".html")
        self.base = base
        self.secnumbers = self.env.toc_secnumbers.get(docname, {})
        self.fignumbers = self.env.toc_fignumbers.get(docname, {})
        self.chapter = (self.secnumbers.get("") or (None,))[0]
        self.cells: list[nbformat.NotebookNode] = []
        self.md: list[str] = []
        self.citations: dict[str, str] = {}
        self.problems: list[tuple[nodes.Node, str]] = []
        self.last_index = -1  # the last executed-notebook cell placed

    # -- output ---------------------------------------------------------------------------------------------
    def flush(self) -> None:
        text = "\n\n".join(b for b in self.md if b.strip())
        if text.strip():
            self.cells.append(nbformat.v4.new_markdown_cell(text))
        self.md = []

    def hidden_md(self, text: str) -> None:
        self.flush()
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["jupyter"] = {"source_hidden": True}
        self.cells.append(cell)

    def problem(self, node: nodes.Node, what: str) -> None:
        self.problems.append((node, what))

    # -- numbers and links ----------------------------------------------------------------------------------
    def number(self, kind: str, ident: str) -> str:
        num = self.fignumbers.get(kind, {}).get(ident)
        return ".".join(map(str, num)) if num else ""

    def url(self, node: nodes.reference) -> str:
        if node.get("refuri") is not None:
            uri = node["refuri"]
            if urllib.parse.urlparse(uri).scheme or uri.startswith("mailto:"):
                return uri
            return urllib.parse.urljoin(self.page_url, uri)
        if node.get("refid"):
            return f"{self.page_url}#{node['refid']}"
        return self.page_url

    def _target_doc(self, node: nodes.reference) -> str | None:
        if node.get("refid") or not node.get("refuri"):
            return self.docname
        uri = node["refuri"]
        if urllib.parse.urlparse(uri).scheme:
            return None
        path = urllib.parse.urljoin("/" + self.docname, uri.split("#")[0])
        doc = path.lstrip("/")
        return doc[:-5] if doc.endswith(".html") else doc

    def _chapter_of(self, docname: str | None) -> int | None:
        if docname is None:
            return None
        num = self.env.toc_secnumbers.get(docname, {}).get("")
        return num[0] if num else None

    def _section_number(self, docname: str, anchor: str) -> str:
        """``3.4`` for the section of ``docname`` that carries the id ``anchor``."""
        numbers = self.env.toc_secnumbers.get(docname, {})
        if f"#{anchor}" in numbers:
            return ".".join(map(str, numbers[f"#{anchor}"]))
        try:
            tree = self.env.get_doctree(docname)
        except Exception:  # noqa: BLE001 - a page outside the book
            return ""
        for sec in tree.findall(nodes.section):
            if anchor in sec["ids"]:
                num = numbers.get(f"#{sec['ids'][0]}")
                return ".".join(map(str, num)) if num else ""
        return ""

    # -- inline ---------------------------------------------------------------------------------------------
    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return escape_md(node.astext().replace("\n", " "))
        if isinstance(node, nodes.math):
            tex = expand_macros(node.astext(), self.macros).strip()
            return f"${tex}$"
        if isinstance(node, nodes.math_block):  # $$...$$ inside a paragraph: display math there
            return "\n$$\n" + self.display_tex(node) + "\n$$\n"
        if isinstance(node, nodes.emphasis):
            inner = self.inlines(node).strip()
            return f"*{inner}*" if inner else ""
        if isinstance(node, nodes.strong):
            inner = self.inlines(node).strip()
            return f"**{inner}**" if inner else ""
        if isinstance(node, nodes.literal):
            return _code_span(node.astext())
        if isinstance(node, nodes.reference):
            return self.reference(node)
        if isinstance(node, (nodes.inline, nodes.abbreviation)):
            return self.inlines(node)
        if isinstance(node, (nodes.target, nodes.comment, nodes.system_message, addnodes.index)):
            return ""
        if isinstance(node, nodes.image):
            return f"![{escape_md(node.get('alt', ''))}]({node.get('uri', '')})"
        if isinstance(node, nodes.footnote_reference):
            return f"[{escape_md(node.astext())}]"
        if isinstance(node, addnodes.pending_xref):
            self.problem(node, f"an unresolved reference {node.get('reftarget')!r}")
            return escape_md(node.astext())
        if isinstance(node, nodes.raw) and node.get("format") == "html":
            return node.astext()
        self.problem(node, f"no rule for the inline node {type(node).__name__}")
        return escape_md(node.astext())

    def inlines(self, node: nodes.Element) -> str:
        return "".join(self.inline(c) for c in node.children)

    def reference(self, node: nodes.reference) -> str:
        url = self.url(node)
        text = self.inlines(node)
        classes = set()
        for n in node.findall(nodes.inline):
            classes.update(n["classes"])
        target = self._target_doc(node)
        if "bibliography" in (target or "") and node.get("reftitle"):
            self.citations[url] = node["reftitle"]
            return f"[{text}]({url})"
        if node.get("internal") or node.get("refid") or (target is not None and not urllib.parse.urlparse(
                node.get("refuri", "")).scheme):
            anchor = url.split("#", 1)[1] if "#" in url else ""
            if "std-ref" in classes and target and anchor and not node.get("refexplicit"):
                number = self._section_number(target, anchor)
                if number and node.astext().strip() == self._section_title(target, anchor):
                    text = f"Section {number}"
            chapter = self._chapter_of(target)
            if chapter is not None and target != self.docname and chapter != self.chapter and "std-doc" not in classes:
                text += f" (Chapter {chapter})"
            elif "std-doc" in classes and chapter is not None:
                text = f"Chapter {chapter} ({text})"
        return f"[{text}]({url})"

    def _section_title(self, docname: str, anchor: str) -> str:
        labels = self.env.domaindata.get("std", {}).get("labels", {})
        for _label, (doc, labelid, sectname) in labels.items():
            if doc == docname and labelid == anchor:
                return sectname
        return ""

    # -- blocks ---------------------------------------------------------------------------------------------
    def capture(self, children) -> str:
        """Markdown of block nodes that must not hold code cells (a theorem's body, a list item)."""
        saved, self.md = self.md, []
        n_cells = len(self.cells)
        for c in children:
            self.block(c, 0)
        text = "\n\n".join(b for b in self.md if b.strip())
        self.md = saved
        if len(self.cells) != n_cells:
            self.problem(children[0].parent if children else None, "a code cell inside a block that must be Markdown")
        return text

    def heading(self, level: int, text: str) -> None:
        self.md.append("#" * max(1, min(level, 6)) + " " + text)

    def block(self, node: nodes.Node, level: int) -> None:  # noqa: C901 - one rule per node type
        if isinstance(node, (nodes.target, nodes.comment, nodes.system_message, addnodes.index, nodes.substitution_definition)):
            return
        if isinstance(node, nodes.section):
            title = node.next_node(nodes.title)
            number = self.secnumbers.get("#" + node["ids"][0]) if node["ids"] else None
            text = self.inlines(title) if title is not None else ""
            if level == 0 and self.chapter is not None:
                text = f"{self.chapter}. {text}"
            elif number:
                text = f"{'.'.join(map(str, number))} {text}"
            self.heading(level + 1, text)
            if level == 0:
                book = self.app.config.html_title or self.app.config.project
                self.md.append(f"*A chapter of {escape_md(book)}. Read it [on the site]({self.page_url}); "
                               "run it here.*")
            for c in node.children:
                if c is not title:
                    self.block(c, level + 1)
            return
        if isinstance(node, nodes.paragraph):
            self.md.append(self.inlines(node).strip())
            return
        if isinstance(node, nodes.math_block):
            self.md.append(f"$$\n{self.display_tex(node)}\n$$")
            return
        if isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            items = []
            for k, item in enumerate(node.children, start=1):
                marker = "- " if isinstance(node, nodes.bullet_list) else f"{k}. "
                body = self.capture(item.children)
                first, _, rest = body.partition("\n")
                items.append(marker + first + ("\n" + _indent(rest, len(marker)) if rest else ""))
            self.md.append("\n".join(items))
            return
        if isinstance(node, nodes.definition_list):
            parts = []
            for item in node.children:
                term = next(item.findall(nodes.term), None)
                definition = next(item.findall(nodes.definition), None)
                parts.append(f"**{self.inlines(term).strip()}**" + ("\n\n" + _indent(self.capture(definition.children), 4)
                                                                    if definition is not None else ""))
            self.md.append("\n\n".join(parts))
            return
        if isinstance(node, nodes.literal_block):
            lang = node.get("language", "") or ""
            lang = "python" if lang in ("ipython3", "ipython", "python3") else lang
            body = node.astext()
            fence = "```"
            while fence in body:
                fence += "`"
            self.md.append(f"{fence}{lang}\n{body}\n{fence}")
            return
        if isinstance(node, nodes.block_quote):
            self.md.append(_quote(self.capture(node.children)))
            return
        if isinstance(node, nodes.table):
            self.md.append(self.table(node))
            return
        if isinstance(node, nodes.figure):
            self.md.append(self.figure_md(node))
            return
        if isinstance(node, nodes.image):
            self.md.append(self.inline(node))
            return
        if isinstance(node, nodes.rubric):
            self.md.append(f"**{self.inlines(node).strip()}**")
            return
        if isinstance(node, nodes.transition):
            self.md.append("---")
            return
        if isinstance(node, nodes.raw):
            if node.get("format") == "html" and "<script" in node.astext():
                return  # the theme's page scripts (thebe's configuration), not content
            if node.get("format") == "html":
                self.md.append(node.astext())
            elif node.get("format") != "latex":
                self.problem(node, f"raw {node.get('format')} content")
            return
        if isinstance(node, check_block):
            self.check(node)
            return
        if isinstance(node, check_derivation):
            self.problem(node, "a derivation outside its check block")
            return
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            self.code(node)
            return
        if isinstance(node, proof_node):
            self.proof(node)
            return
        if type(node).__module__.startswith("sphinx_proof") and hasattr(node, "get") and node.get("realtype"):
            self.theorem(node)
            return
        if isinstance(node, (exercise_enumerable_node, exercise_node)):
            self.exercise(node, level)
            return
        if isinstance(node, solution_node):
            self.solution(node, level)
            return
        if isinstance(node, nodes.admonition) or isinstance(node, nodes.Admonition):
            self.admonition(node)
            return
        if isinstance(node, nodes.container) or isinstance(node, nodes.compound):
            for c in node.children:
                self.block(c, level)
            return
        if isinstance(node, (nodes.Inline, nodes.Text)):
            self.md.append(self.inline(node))
            return
        self.problem(node, f"no rule for the block node {type(node).__name__}")

    def display_tex(self, node: nodes.math_block) -> str:
        """A display formula's TeX for ``$$...$$``: macros expanded, amsmath environments made nestable, numbered."""
        tex = expand_macros(node.astext(), self.macros).strip()
        inner = {"align": "aligned", "gather": "gathered", "multline": "gathered", "equation": ""}
        tex = re.sub(r"\\(begin|end)\{(align|gather|multline|equation)\*?\}",
                     lambda m: "" if not inner[m.group(2)] else f"\\{m.group(1)}{{{inner[m.group(2)]}}}", tex)
        if node.get("number") is not None:
            num = f"{self.chapter}.{node['number']}" if self.chapter else str(node["number"])
            tex += f" \\tag{{{num}}}"
        return tex

    def table(self, node: nodes.table) -> str:
        rows = []
        for row in node.findall(nodes.row):
            cells = [" ".join(self.capture(e.children).split("\n")).replace("|", "\\|") for e in row.children]
            rows.append("| " + " | ".join(cells) + " |")
        head = next(node.findall(nodes.thead), None)
        n_head = len(list(head.findall(nodes.row))) if head is not None else 0
        cols = len(next(node.findall(nodes.row)).children) if rows else 0
        sep = "| " + " | ".join("---" for _ in range(cols)) + " |"
        if n_head == 0:
            rows.insert(0, "| " + " | ".join(" " for _ in range(cols)) + " |")
            n_head = 1
        rows.insert(n_head, sep)
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        caption = ""
        if title is not None:
            number = self.number("table", node["ids"][0]) if node["ids"] else ""
            caption = f"**Table {number}.** " if number else ""
            caption = caption + self.inlines(title) + "\n\n"
        return caption + "\n".join(rows)

    def figure_md(self, node: nodes.figure) -> str:
        parts = []
        for img in node.findall(nodes.image):
            parts.append(self.inline(img))
        cap = self.caption(node)
        if cap:
            parts.append(cap)
        return "\n\n".join(parts)

    def caption(self, fig: nodes.figure) -> str:
        cap = next(fig.findall(nodes.caption), None)
        if cap is None:
            return ""
        number = self.number("figure", fig["ids"][0]) if fig["ids"] else ""
        lead = f"**Figure {number}.** " if number else ""
        legend = next(fig.findall(nodes.legend), None)
        extra = ("\n\n" + self.capture(legend.children)) if legend is not None else ""
        return lead + self.inlines(cap).strip() + extra

    def admonition(self, node: nodes.Element) -> None:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        body = [c for c in node.children if c is not title]
        if title is not None:
            head = f"**{self.inlines(title).strip()}.** "
        elif type(node) is not nodes.admonition:  # note, warning, tip, seealso, ...: named by their kind
            head = f"**{type(node).__name__.replace('seealso', 'see also').capitalize()}.** "
        else:
            head = ""
        text = self.capture(body)
        if "dropdown" in node.get("classes", []):
            self.hidden_md(head + text)
        else:
            self.md.append(_quote(head + text))

    def theorem(self, node: nodes.Element) -> None:
        kind = node.get("realtype") or node.get("countertype") or "theorem"
        name = PROOF_NAMES.get(kind, kind.title())
        number = self.number(node.get("countertype", kind), node["ids"][0]) if node["ids"] else ""
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        subtitle = self.inlines(title).strip() if title is not None else ""
        subtitle = subtitle.strip()
        if subtitle and not subtitle.startswith("("):
            subtitle = f"({subtitle})"
        head = " ".join(x for x in (name, number, subtitle) if x)
        body = [c for c in node.children if c is not title]
        content = body[0].children if len(body) == 1 and isinstance(body[0], nodes.section) else body
        text = self.capture(content)
        self.md.append(_quote(f"**{head}.** " + text))

    def proof(self, node: nodes.Element) -> None:
        inner = node.children[0] if len(node.children) == 1 and isinstance(node.children[0], nodes.Element) else node
        text = self.capture(list(inner.children))
        text = re.sub(r"^Proof\.\s*", "*Proof.* ", text)
        if not text.startswith("*Proof.*"):
            text = "*Proof.* " + text
        text = text.rstrip()
        text += " ∎" if not text.endswith("$$") else "\n\n∎"
        self.md.append(text)

    def _titled_body(self, node: nodes.Element, level: int) -> None:
        """The children of an exercise or a solution, without its title, at ``level``."""
        for c in node.children:
            if isinstance(c, nodes.title):
                continue
            if isinstance(c, nodes.section):
                for cc in c.children:
                    self.block(cc, level)
            else:
                self.block(c, level)

    def exercise(self, node: nodes.Element, level: int) -> None:
        number = self.number("exercise", node.get("label", "")) or (self.number("exercise", node["ids"][0])
                                                                    if node["ids"] else "")
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        sub = next(title.findall(nodes.subtitle), None) if title is not None else None
        # sphinx-exercise resolves the title to " (subtitle)" before the page is written
        subtitle = self.inlines(sub if sub is not None else title).strip() if title is not None else ""
        subtitle = subtitle[1:-1].strip() if subtitle.startswith("(") and subtitle.endswith(")") else subtitle
        subtitle = re.sub(r"^Exercise\s*[\d.]*\s*", "", subtitle)
        self.heading(level + 1, f"Exercise {number}".strip() + (f" ({subtitle})" if subtitle else ""))
        self._titled_body(node, level + 1)

    def solution(self, node: nodes.Element, level: int) -> None:
        number = self.number("exercise", node.get("target_label", ""))
        self.heading(level + 2, f"Solution to Exercise {number}" if number else "Solution")
        self._titled_body(node, level + 2)

    # -- code -----------------------------------------------------------------------------------------------
    def _executed_cell(self, index: int) -> nbformat.NotebookNode | None:
        if self.executed is None or index is None or index >= len(self.executed.cells):
            return None
        return self.executed.cells[index]

    def _code_cell(self, index: int, fallback_source: str) -> nbformat.NotebookNode:
        src = self._executed_cell(index)
        cell = nbformat.v4.new_code_cell(src.source if src is not None else fallback_source)
        if src is not None:
            cell.metadata = copy.deepcopy(dict(src.get("metadata", {})))
            for key in ("execution", "mystnb"):
                cell.metadata.pop(key, None)
            cell.outputs = [o for o in (_clean_output(o) for o in src.get("outputs", [])) if o is not None]
            cell.execution_count = src.get("execution_count")
        return cell

    def removed_before(self, index: int | None) -> None:
        """Cells tagged ``remove-cell`` are not in the doctree, but the notebook needs them to run: hidden."""
        if self.executed is None:
            return
        stop = len(self.executed.cells) if index is None else index
        for i in range(self.last_index + 1, stop):
            cell = self.executed.cells[i]
            if cell.cell_type == "code" and "remove-cell" in cell.get("metadata", {}).get("tags", []):
                self.flush()
                out = self._code_cell(i, cell.source)
                out.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
                self.cells.append(out)
        if index is not None:
            self.last_index = max(self.last_index, index)

    def code(self, node: nodes.Element) -> None:
        self.flush()
        index = node.get("cell_index")
        self.removed_before(index)
        source = next((c.astext() for c in node.children if c.get("nb_element") == "cell_code_source"), "")
        cell = self._code_cell(index, source)
        tags = list(cell.metadata.get("tags", []))
        jup = dict(cell.metadata.get("jupyter", {}))
        if any(t in tags for t in ("hide-input", "hide-cell", "remove-input", "remove-cell")):
            jup["source_hidden"] = True
        if any(t in tags for t in ("hide-output", "hide-cell", "remove-output", "remove-cell")):
            jup["outputs_hidden"] = True
        if jup:
            cell.metadata["jupyter"] = jup
        self.cells.append(cell)
        captions = [self.caption(f) for f in node.findall(nodes.figure)]
        for cap in captions:
            if cap:
                self.md.append(cap)
        self.flush()

    def check(self, node: nodes.Element) -> None:
        self.flush()
        self.removed_before(node.get("cell_index"))
        der = next((c for c in node.children if isinstance(c, check_derivation)), None)
        numbers = [r["number"] for r in node["records"]]
        chapter = node.get("chapter")
        span = (f"{chapter}.{numbers[0]}" if len(numbers) == 1 else f"{chapter}.{numbers[0]}–{chapter}.{numbers[-1]}") \
            if numbers else ""
        if der is not None:
            text = self.capture(der.children)
            self.hidden_md(f"**How the tolerances of check{'s' if len(numbers) > 1 else ''} {span} are derived.** "
                           + text)
        source = next((c.astext() for c in node.children if c.get("nb_element") == "cell_code_source"), "")
        cell = self._code_cell(node.get("cell_index"), source)
        jup = dict(cell.metadata.get("jupyter", {}))
        jup["source_hidden"] = True
        cell.metadata["jupyter"] = jup
        self.cells.append(cell)

    # -- the whole chapter ----------------------------------------------------------------------------------
    def run(self, doctree: nodes.document) -> list[nbformat.NotebookNode]:
        for child in doctree.children:
            self.block(child, 0)
        self.removed_before(None)
        self.flush()
        if self.citations:
            bib = urllib.parse.urljoin(self.base, "bibliography.html")
            entries = sorted(set(self.citations.values()), key=str.lower)
            self.cells.append(nbformat.v4.new_markdown_cell(
                "## References\n\n" + "\n".join(f"- {escape_md(e)}" for e in entries)
                + f"\n\nThe book's whole bibliography is [on the site]({bib})."))
        return self.cells


def _clean_output(out: dict) -> dict | None:
    """An output as a reader's notebook keeps it: without the book's check and glue records."""
    out = copy.deepcopy(dict(out))
    if out.get("output_type") in ("display_data", "execute_result"):
        data = {k: v for k, v in out.get("data", {}).items() if k in KEEP_MIME}
        if not data:
            return None
        out["data"] = data
        meta = dict(out.get("metadata", {}))
        meta.pop("scrapbook", None)
        out["metadata"] = {k: v for k, v in meta.items() if k in data}
    return nbformat.from_dict(out)


def translate(app: Sphinx, doctree: nodes.document, docname: str) -> nbformat.NotebookNode:
    """The reader notebook of a chapter (no set-up cell: nntheory_notebooks adds it)."""
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    executed = nbformat.read(path, as_version=4) if path.exists() else None
    tr = Translator(app, docname, executed)
    cells = tr.run(doctree)
    for node, what in tr.problems:
        logger.warning(f"reader notebook: {what}", location=node if isinstance(node, nodes.Node) else docname)
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    return nb


def _is_chapter(app: Sphinx, docname: str) -> bool:
    return docname.startswith("chapters/") and (Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb").exists()


def _translate(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or not _is_chapter(app, docname):
        return
    nb = translate(app, doctree, docname)
    store = app.__dict__.setdefault("_nntheory_reader_nbs", {})
    store[docname] = nbformat.writes(nb)


def _write(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    store = app.__dict__.get("_nntheory_reader_nbs", {})
    for docname, text in sorted(store.items()):
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if store:
        logger.info(f"reader notebooks: {len(store)} chapters translated to plain Markdown")


def setup(app: Sphinx) -> dict:
    """Register the translation (after references resolve) and the writer (before the bundle is made)."""
    app.connect("doctree-resolved", _translate, priority=900)
    app.connect("build-finished", _write, priority=100)  # before nntheory_notebooks adds the set-up cell (500)
    return {"parallel_read_safe": True, "parallel_write_safe": False, "version": "0.1"}
