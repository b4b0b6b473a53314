"""The check ledger: every ``nntheory.checks`` call of every chapter, collected at build time.

Each check emits a record (MIME type ``application/vnd.nntheory.check+json``) into its cell's outputs.
After a chapter is executed and read, this extension reads the executed notebook that myst-nb wrote,
gives each check's cell an anchor (``check-<k>``), and keeps the records in the environment. Then:

* the directive ``check-ledger`` (argument: a chapter's docname) becomes a table of that chapter's
  checks: a link to where each runs, the claim, the measured value, the tolerance, their ratio, the
  kind of tolerance, the theorem it backs and the reason a loose check is loose;
* ``check-ledger-summary`` becomes one row per chapter (checks, by kind, loosest ratio);
* in the student edition, checks inside the removed solutions are left out (their numbers keep the full
  edition's, so a check is ``check-k`` in both);
* a record whose ratio is below ``TIGHT`` without a reason, a chapter with checks that no
  ``check-ledger`` directive lists, and a directive naming a chapter without checks are warnings
  (errors under ``-W``);
* the build writes all records to ``_build/checks.json``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import nbformat
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import make_refnode

from nntheory_checkblocks import ledger_row_id  # _ext is on sys.path (local_extensions)
from nntheory_editions import is_student

MIME = "application/vnd.nntheory.check+json"
TIGHT = 1e-3
KIND_NAMES = {"exact": "exact", "round-off": "round-off", "truncation": "truncation", "statistical": "statistical",
              "asymptotic": "asymptotic", "inequality": "inequality"}
logger = logging.getLogger(__name__)


class ledger_node(nodes.General, nodes.Element):
    """Placeholder for a chapter's table (``docname``) or the summary (``docname`` None)."""


class ledger_code(nodes.General, nodes.Element):
    """A check cell's code on the ledger page: collapsed on the site, printed in the PDF."""


def visit_code_html(self, node: ledger_code) -> None:
    self.body.append('<details class="nnt-ledger-code">\n<summary>Code</summary>\n')


def depart_code_html(self, node: ledger_code) -> None:
    self.body.append("</details>\n")


def _noop(self, node: nodes.Node) -> None:
    pass


def _executed(app: Sphinx, docname: str) -> Path:
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def read_records(path: Path) -> list[tuple[int, dict]]:
    """``(cell index, record)`` for every check record in an executed notebook, in order."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = o.get("data", {})
            if MIME in data:
                rec = data[MIME]
                out.append((i, json.loads(rec) if isinstance(rec, str) else dict(rec)))
    return out


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """After a notebook page is read: anchor each check's cell and remember its records."""
    env = app.env
    if not hasattr(env, "nntheory_checks"):
        env.nntheory_checks = {}
    env.nntheory_checks.pop(env.docname, None)
    path = _executed(app, env.docname)
    if not path.exists():
        return
    records = read_records(path)
    if not records:
        return
    cells = {n["cell_index"]: n for n in doctree.findall(nodes.container) if n.get("nb_element") == "cell_code"}
    student = is_student(app.config)
    kept = []
    for k, (i, rec) in enumerate(records, start=1):
        anchor = f"check-{k}"
        if i not in cells:
            if not student:  # in the full edition every check's cell is on its page
                logger.warning(f"check {k} ({rec.get('claim')!r}) runs in cell {i}, which is not on the page",
                               location=env.docname)
            continue  # the student edition removed the solution that holds it: no row, no broken link
        cells[i]["ids"].append(anchor)
        if "nnt-check-cell" not in cells[i]["classes"]:
            cells[i]["classes"].append("nnt-check-cell")  # the PDF prints a check cell's result, not its code
        kept.append(dict(rec, number=k, anchor=anchor, cell=i, docname=env.docname))
        if rec.get("reason") is None and (rec.get("ratio") is None or rec["ratio"] < TIGHT):
            logger.warning(f"check {k} ({rec.get('claim')!r}) has ratio {rec.get('ratio')} below {TIGHT} and no reason",
                           location=env.docname)
    env.nntheory_checks[env.docname] = kept


def _purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "nntheory_checks", {}).pop(docname, None)
    getattr(env, "nntheory_ledger_pages", {}).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "nntheory_checks"):
        env.nntheory_checks = {}
    env.nntheory_checks.update(getattr(other, "nntheory_checks", {}))
    if not hasattr(env, "nntheory_ledger_pages"):
        env.nntheory_ledger_pages = {}
    env.nntheory_ledger_pages.update(getattr(other, "nntheory_ledger_pages", {}))


class CheckLedger(SphinxDirective):
    """``.. check-ledger:: chapters/01_clarke``: the table of that chapter's checks."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        node = ledger_node(docname=self.arguments[0].strip(), fromdoc=self.env.docname)
        if not hasattr(self.env, "nntheory_ledger_pages"):
            self.env.nntheory_ledger_pages = {}
        self.env.nntheory_ledger_pages.setdefault(self.env.docname, set()).add(node["docname"])
        return [node]


class CheckLedgerSummary(SphinxDirective):
    """``.. check-ledger-summary::``: one row per chapter."""

    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        return [ledger_node(docname=None, fromdoc=self.env.docname)]


def chapter_number(docname: str) -> str:
    """``chapters/04_regions`` -> ``4``."""
    m = re.search(r"(\d+)_[^/]*$", docname)
    return str(int(m.group(1))) if m else docname


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"


def _table(headers: list[str], rows: list[list[nodes.Node]], widths: list[int],
           row_ids: list[str] | None = None) -> nodes.table:
    table = nodes.table(classes=["nnt-ledger", "colwidths-given", "longtable"])  # LaTeX: wrapped p-columns
    group = nodes.tgroup(cols=len(headers))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    row = nodes.row()
    for h in headers:
        row += nodes.entry("", nodes.paragraph(text=h))
    head += row
    group += head
    body = nodes.tbody()
    for k, cells in enumerate(rows):
        row = nodes.row(ids=[row_ids[k]] if row_ids else [])
        for c in cells:
            row += nodes.entry("", c if isinstance(c, nodes.paragraph) else nodes.paragraph("", "", c))
        body += row
    group += body
    return table


def _ref_node(app: Sphinx, fromdoc: str, label: str | None) -> nodes.Node:
    """The theorem or section a check backs, as a link (``Theorem 3.2``) when the label resolves."""
    if not label:
        return nodes.Text("")
    env = app.env
    proofs = getattr(env, "proof_list", {})
    if label in proofs:
        match = proofs[label]
        number = ""
        try:
            number = ".".join(map(str, env.toc_fignumbers[match["docname"]][match["countertype"]][label]))
        except KeyError:
            pass
        title = f"{match['realtype'].title()} {number}".strip()
        return make_refnode(app.builder, fromdoc, match["docname"], label, nodes.Text(title))
    std = env.domaindata.get("std", {}).get("labels", {})
    if label in std:
        docname, labelid, sectname = std[label]
        return make_refnode(app.builder, fromdoc, docname, labelid, nodes.Text(sectname or label))
    logger.warning(f"check ledger: ref {label!r} is not a known label", location=fromdoc)
    return nodes.Text(label)


def _chapter_table(app: Sphinx, fromdoc: str, docname: str) -> list[nodes.Node]:
    """A chapter's checks: one row each, then every check cell's derivation and code."""
    recs = getattr(app.env, "nntheory_checks", {}).get(docname, [])
    if not recs:
        logger.warning(f"check ledger: {docname} has no checks (is it a chapter of this book?)", location=fromdoc)
        return [nodes.paragraph(text="(no checks)")]
    ch = chapter_number(docname)
    cells = getattr(app.env, "nntheory_derivations", {}).get(docname, {})
    rows, ids = [], []
    for r in recs:
        link = make_refnode(app.builder, fromdoc, docname, r["anchor"], nodes.Text(f"{ch}.{r['number']}"))
        if r["relation"] == "close":
            measured = f"{_fmt(r['value'])} (|error| {_fmt(r['error'])})"
            tol = f"{_fmt(r['target'])} ± {_fmt(r['tolerance'])}"
        else:
            measured, tol = _fmt(r["value"]), f"{r['relation'].replace('all ', '')} {_fmt(r['tolerance'])}"
        note = " ".join(x for x in (r.get("reason") or "", f"({r['note']})" if r.get("note") else "") if x)
        how = nodes.Text("")
        if r["cell"] in cells:
            how = make_refnode(app.builder, fromdoc, fromdoc, _cell_id(ch, r["cell"]),
                               nodes.Text("derivation" if cells[r["cell"]]["derivation"] is not None else "code"))
        rows.append([link, nodes.Text(r["claim"]), nodes.Text(measured), nodes.Text(tol), nodes.Text(_fmt(r["ratio"])),
                     nodes.Text(KIND_NAMES.get(r["kind"], r["kind"])), _ref_node(app, fromdoc, r.get("ref")),
                     nodes.Text(note), how])
        ids.append(ledger_row_id(ch, r["number"]))
    out: list[nodes.Node] = [_table(["Check", "Claim", "Measured", "Tolerance", "Ratio", "Kind", "Backs", "Why this loose",
                                     "How"], rows, [6, 28, 11, 11, 6, 9, 9, 22, 8], ids)]
    for index in sorted(cells):
        info = cells[index]
        numbers = info["numbers"]
        if not numbers:
            continue
        span = f"{ch}.{numbers[0]}" if len(numbers) == 1 else f"{ch}.{numbers[0]}\u2013{ch}.{numbers[-1]}"
        box = nodes.container(ids=[_cell_id(ch, index)], classes=["nnt-ledger-cell"])
        head = nodes.paragraph(classes=["nnt-ledger-cell-title"])
        head += nodes.strong(text=f"Check{'s' if len(numbers) > 1 else ''} {span}")
        head += nodes.Text(" (")
        anchor = next((r["anchor"] for r in recs if r["cell"] == index), "")
        head += make_refnode(app.builder, fromdoc, docname, anchor, nodes.Text("where it runs"))
        head += nodes.Text(")")
        box += head
        if info["derivation"] is not None:
            der = info["derivation"].deepcopy()
            for n in der.findall(nodes.Element):
                n["ids"] = []
            for ref in der.findall(addnodes.pending_xref):  # resolve from this page, not from the chapter's
                ref["refdoc"] = fromdoc
            box += der.children
        else:
            box += nodes.paragraph(text="No derivation: every tolerance here is exact or stated in the code.")
        code = ledger_code()
        code += nodes.literal_block(info["code"], info["code"], language="ipython3")
        box += code
        out.append(box)
    return out


def _cell_id(chapter: str, cell_index: int) -> str:
    """The id of a check cell's derivation on the ledger page."""
    return f"ledger-{chapter}-cell-{cell_index}"


def _summary(app: Sphinx, fromdoc: str) -> list[nodes.Node]:
    checks = getattr(app.env, "nntheory_checks", {})
    rows = []
    for docname in sorted(checks):
        recs = checks[docname]
        kinds = {k: sum(r["kind"] == k for r in recs) for k in KIND_NAMES}
        ratios = [r["ratio"] for r in recs if r["ratio"] is not None]
        title = app.env.titles[docname].astext() if docname in app.env.titles else docname
        rows.append([make_refnode(app.builder, fromdoc, docname, "", nodes.Text(title)), nodes.Text(str(len(recs))),
                     nodes.Text(", ".join(f"{n} {k}" for k, n in kinds.items() if n)),
                     nodes.Text(str(sum(r.get("reason") is not None for r in recs))),
                     nodes.Text(_fmt(min(ratios)) if ratios else "—")])
    return [_table(["Chapter", "Checks", "By kind", "With a reason", "Smallest ratio"], rows, [30, 8, 40, 10, 10])]


class LedgerTables(SphinxPostTransform):
    """Fill in the ledger's tables before references are resolved (the copied derivations hold references)."""

    default_priority = 5

    def run(self, **kwargs) -> None:
        fromdoc = self.env.docname if hasattr(self.env, "docname") else ""
        for node in list(self.document.findall(ledger_node)):
            doc = node.get("fromdoc") or fromdoc
            node.replace_self(_summary(self.app, doc) if node["docname"] is None else
                              _chapter_table(self.app, doc, node["docname"]))


def _consistency(app: Sphinx, env) -> None:
    listed = set().union(*getattr(env, "nntheory_ledger_pages", {}).values()) if getattr(
        env, "nntheory_ledger_pages", None) else set()
    for docname in sorted(getattr(env, "nntheory_checks", {})):
        if listed and docname not in listed:
            logger.warning(f"check ledger: the checks of {docname} are not listed by any check-ledger directive",
                           location=docname)


def _write(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None:
        return
    checks = getattr(app.env, "nntheory_checks", {})
    flat = [r for d in sorted(checks) for r in checks[d]]
    out = Path(app.outdir).parent / "checks.json"
    out.write_text(json.dumps(flat, indent=1, sort_keys=True))


def setup(app: Sphinx) -> dict:
    """Register the collector, the two directives and the writer."""
    app.add_node(ledger_node)
    app.add_node(ledger_code, html=(visit_code_html, depart_code_html), latex=(_noop, _noop), text=(_noop, _noop))
    app.add_directive("check-ledger", CheckLedger)
    app.add_directive("check-ledger-summary", CheckLedgerSummary)
    app.connect("doctree-read", _collect, priority=950)  # after the student edition removed solutions (900)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-check-consistency", _consistency)
    app.add_post_transform(LedgerTables)
    app.connect("build-finished", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
