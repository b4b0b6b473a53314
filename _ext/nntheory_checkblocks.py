"""The book's two layers: a check cell is a quiet block of one-line results, its code and derivation one click away.

A *check cell* is a code cell tagged ``check``. It holds only ``nntheory.checks`` calls and the code that
computes their tolerances. The derivation of those tolerances is written just before it, in the directive

    :::{check-derivation}
    Why the tolerance is what it is (MyST: math, references, citations).
    :::

and this extension attaches it to the cell. On the site the cell becomes one block: a line per check
(a passed mark, the claim, the measured value against its bound or target, the kind of tolerance, a
link to its row in the ledger), then one collapsed element holding the derivation and the code. In LaTeX
the block prints its result lines only; the ledger (the appendix) holds the derivations and the code.

The build warns (an error under ``-W``) when

* a code cell calls ``checks.*`` but is not tagged ``check``, or runs a check without the tag;
* a check cell holds anything but checks and tolerance code (a print, a plot, an import, a bare
  expression), prints anything but its check lines, or runs no check;
* a derivation does not stand immediately before a check cell;
* a chapter still has a separate "How this is checked" note.
"""

from __future__ import annotations

import ast
import re
from html import escape

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from nntheory.checks import PASS_MARK, measure_text, result_line

logger = logging.getLogger(__name__)
CHECK_TAG = "check"
# what a check cell may call besides checks.*: arithmetic for tolerances, never output
_FORBIDDEN_CALLS = {"print", "display", "glue", "plt", "viz", "input", "open", "exec", "eval"}


class check_derivation(nodes.General, nodes.Element):
    """The derivation of a check cell's tolerances (parsed MyST), attached to the cell that follows it."""


class check_block(nodes.General, nodes.Element):
    """A check cell as the reader meets it: result lines, then the derivation and the code, collapsed.

    Attributes: ``records`` (the ledger records of its checks), ``chapter`` (the chapter number),
    ``docname``; children: an optional ``check_derivation`` and the cell's source container.
    """


class CheckDerivation(SphinxDirective):
    """``check-derivation``: the derivation of the tolerances of the check cell right after it."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        node = check_derivation()
        node.source, node.line = self.get_source_info()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


# ---------------------------------------------------------------------------------------------------------------
# What a check cell may hold


def _is_checks_call(node: ast.AST) -> bool:
    """``checks.something(...)`` or a bare ``check_*(...)``."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "checks") or \
        (isinstance(f, ast.Name) and f.id.startswith("check_"))


def _call_root(node: ast.Call) -> str | None:
    f = node.func
    while isinstance(f, ast.Attribute):
        f = f.value
    return f.id if isinstance(f, ast.Name) else None


def _parse(source: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python; a cell with them is not a check cell anyway
    lines = [("pass  # " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def calls_checks(source: str) -> bool:
    """Whether the code calls ``checks.*`` (or a bare ``check_*``) anywhere."""
    tree = _parse(source)
    if tree is None:
        return bool(re.search(r"\bchecks\.\w+\s*\(", source))
    return any(_is_checks_call(n) for n in ast.walk(tree))


def check_cell_problems(source: str) -> list[str]:
    """What, in a check cell's code, is not a check or the computation of a tolerance (empty: nothing)."""
    tree = _parse(source)
    if tree is None:
        return ["the code does not parse as Python"]
    problems: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for st in body:
            where = f"line {st.lineno}"
            if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                pass
            elif isinstance(st, ast.Expr):
                if not _is_checks_call(st.value):
                    if not (isinstance(st.value, ast.Call) and _call_root(st.value) in _FORBIDDEN_CALLS):
                        problems.append(f"{where}: an expression that is not a checks.* call (its value would be "
                                        "shown)")
                        continue
            elif isinstance(st, (ast.For, ast.If)):
                visit(st.body)
                visit(st.orelse)
                continue
            elif isinstance(st, ast.Pass):
                continue
            else:
                problems.append(f"{where}: a {type(st).__name__} statement (a check cell holds checks and tolerance "
                                "code only)")
                continue
            for sub in ast.walk(st):
                if isinstance(sub, ast.Call) and _call_root(sub) in _FORBIDDEN_CALLS:
                    problems.append(f"{where}: calls {_call_root(sub)}(...), which shows or records something: "
                                    "that belongs in the experiment cell")

    visit(tree.body)
    if not any(_is_checks_call(n) for n in ast.walk(tree)):
        problems.append("it calls no checks.* function")
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Result lines: the same text the check prints in a notebook (nntheory.checks.result_line)

# ---------------------------------------------------------------------------------------------------------------
# Building the blocks


def _cell_source(cell: nodes.Element) -> str:
    for child in cell.children:
        if child.get("nb_element") == "cell_code_source":
            return child.astext()
    return ""


def _output_lines(cell: nodes.Element) -> list[str]:
    """The lines a cell printed (stdout and stderr streams, error text)."""
    out = []
    for child in cell.children:
        if child.get("nb_element") == "cell_code_output":
            for lit in child.findall(nodes.literal_block):
                out += [ln for ln in lit.astext().splitlines() if ln.strip()]
    return out


def _tags(cell: nodes.Element) -> list[str]:
    return list((cell.get("cell_metadata") or {}).get("tags", []))


def _next_sibling(node: nodes.Node) -> nodes.Node | None:
    parent = node.parent
    i = parent.index(node) + 1
    while i < len(parent) and isinstance(parent[i], (nodes.target, nodes.comment, nodes.system_message)):
        i += 1
    return parent[i] if i < len(parent) else None


def chapter_number(docname: str) -> str:
    """``chapters/04_regions`` -> ``4``."""
    m = re.search(r"(\d+)_[^/]*$", docname)
    return str(int(m.group(1))) if m else docname


def _build_blocks(app: Sphinx, doctree: nodes.document) -> None:
    """After the ledger has read a chapter's records: enforce the rules and turn check cells into blocks."""
    env = app.env
    docname = env.docname
    recs_by_cell: dict[int, list[dict]] = {}
    for rec in getattr(env, "nntheory_checks", {}).get(docname, []):
        recs_by_cell.setdefault(rec["cell"], []).append(rec)
    derivations = getattr(env, "nntheory_derivations", None)
    if derivations is None:
        derivations = env.nntheory_derivations = {}
    derivations[docname] = {}

    for adm in doctree.findall(nodes.admonition):
        title = next(iter(adm.findall(nodes.title)), None)
        if title is not None and title.astext().strip().lower().startswith("how this is checked"):
            logger.warning("a separate 'How this is checked' note: put the derivation in a check-derivation "
                           "directive right before its check cell", location=adm)

    for der in list(doctree.findall(check_derivation)):
        nxt = _next_sibling(der)
        if not (isinstance(nxt, nodes.container) and nxt.get("nb_element") == "cell_code"
                and CHECK_TAG in _tags(nxt)):
            logger.warning("a check-derivation must stand immediately before the check cell (tag 'check') whose "
                           "tolerances it derives", location=der)
            continue
        der.parent.remove(der)
        nxt["nnt_derivation"] = der

    cells = [n for n in doctree.findall(nodes.container) if n.get("nb_element") == "cell_code"]
    for cell in cells:
        index, tags, source = cell["cell_index"], _tags(cell), _cell_source(cell)
        recs = recs_by_cell.get(index, [])
        where = f"{docname}, cell {index}"
        if CHECK_TAG not in tags:
            if calls_checks(source):
                logger.warning(f"{where}: checks.* called outside a check cell (split the cell: the experiment, then "
                               f"a cell tagged '{CHECK_TAG}' with the checks)", location=cell)
            elif recs:
                logger.warning(f"{where}: runs checks but is not tagged '{CHECK_TAG}'", location=cell)
            continue
        for problem in check_cell_problems(source):
            logger.warning(f"{where}: check cell: {problem}", location=cell)
        if not recs:
            logger.warning(f"{where}: a cell tagged '{CHECK_TAG}' that ran no check", location=cell)
        stray = [ln for ln in _output_lines(cell) if not ln.startswith(PASS_MARK)]
        if stray:
            logger.warning(f"{where}: check cell printed something besides its check lines: {stray[0][:80]!r} "
                           "(end the cell with ';' so that the last check's value is not shown)",
                           location=cell)
        code = ""
        block = check_block(records=recs, chapter=chapter_number(docname), docname=docname,
                            ids=list(cell["ids"]), classes=["cell", "tag_check", "nnt-check"],
                            cell_index=index)
        der = cell.get("nnt_derivation")
        if der is not None:
            block += der
        for child in cell.children:
            if child.get("nb_element") == "cell_code_source":
                block += child.deepcopy()
                code = child.astext()
        derivations[docname][index] = {"derivation": None if der is None else der.deepcopy(), "code": code,
                                       "numbers": [r["number"] for r in recs]}
        cell.replace_self(block)


def _purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "nntheory_derivations", {}).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "nntheory_derivations"):
        env.nntheory_derivations = {}
    env.nntheory_derivations.update(getattr(other, "nntheory_derivations", {}))


# ---------------------------------------------------------------------------------------------------------------
# HTML and LaTeX


def ledger_docname(env, docname: str) -> str | None:
    """The page whose ledger table lists ``docname``'s checks (``checks``), if any."""
    for page, listed in sorted(getattr(env, "nntheory_ledger_pages", {}).items()):
        if docname in listed:
            return page
    return None


def ledger_row_id(chapter: str, number: int) -> str:
    """The id of a check's row on the ledger page."""
    return f"ledger-{chapter}-{number}"


def visit_block_html(self, node: check_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS=""))
    builder = self.builder
    page = ledger_docname(builder.env, node["docname"])
    n = len(node["records"])
    self.body.append(f'<ul class="nnt-check-results" aria-label="{"Check" if n == 1 else f"{n} checks"}, all passed">\n')
    for rec in node["records"]:
        label = f"check {node['chapter']}.{rec['number']}"
        link = ""
        if page is not None:
            uri = builder.get_relative_uri(builder.current_docname, page) + "#" + \
                ledger_row_id(node["chapter"], rec["number"])
            link = f' <a class="nnt-check-link" href="{escape(uri)}">{escape(label)}</a>'
        self.body.append(
            f'<li><span class="nnt-check-mark" aria-hidden="true">{PASS_MARK}</span>'
            f'<span class="nnt-visually-hidden">Passed: </span>'
            f'<span class="nnt-check-claim">{escape(rec["claim"])}</span>: '
            f'<span class="nnt-check-measure">{escape(measure_text(rec))}</span> '
            f'<span class="nnt-check-kind">{escape(rec["kind"])}</span>{link}</li>\n')
    self.body.append("</ul>\n")
    has_der = any(isinstance(c, check_derivation) for c in node.children)
    summary = "Code and derivation of the tolerances" if has_der else "Code"
    self.body.append(f'<details class="nnt-check-audit">\n<summary>{summary}</summary>\n')


def depart_block_html(self, node: check_block) -> None:
    self.body.append("</details>\n</div>\n")


def visit_derivation_html(self, node: check_derivation) -> None:
    self.body.append('<div class="nnt-check-derivation">\n')


def depart_derivation_html(self, node: check_derivation) -> None:
    self.body.append("</div>\n")


def visit_block_latex(self, node: check_block) -> None:
    lines = [result_line(r).replace(PASS_MARK + " ", "", 1) for r in node["records"]]
    self.body.append("\n\\begin{quote}\\small\n")
    for line in lines:
        self.body.append("$\\checkmark$\\ " + self.encode(line) + "\\par\n")
    self.body.append("\\end{quote}\n")
    raise nodes.SkipNode


def visit_derivation_latex(self, node: check_derivation) -> None:
    pass  # inside the ledger (the appendix): its paragraphs print as they are


def depart_noop(self, node: nodes.Node) -> None:
    pass


def visit_block_text(self, node: check_block) -> None:
    self.new_state(0)
    self.add_text("\n".join(result_line(r) for r in node["records"]))
    self.end_state()
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    """Register the directive, the nodes and the doctree step."""
    app.add_node(check_derivation, html=(visit_derivation_html, depart_derivation_html),
                 latex=(visit_derivation_latex, depart_noop), text=(visit_derivation_latex, depart_noop))
    app.add_node(check_block, html=(visit_block_html, depart_block_html), latex=(visit_block_latex, depart_noop),
                 text=(visit_block_text, depart_noop))
    app.add_directive("check-derivation", CheckDerivation)
    app.add_css_file("nntheory-checks.css")
    app.connect("doctree-read", _build_blocks, priority=960)  # after the ledger read the records (950)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
