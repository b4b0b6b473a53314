"""PDFs that read like readings: one per chapter as well as the whole book, cell tags honoured, site numbers.

* ``latex_documents`` gets, beside the whole book, one document per chapter (``<chapter>.tex``, e.g.
  ``04_regions.tex``), each followed by the bibliography of the works that chapter cites;
* in LaTeX, a ``hide-input`` cell prints its output only, a ``hide-cell`` cell prints nothing, and a
  check cell (one that ran ``nntheory.checks``) prints its one-line result without its code;
* front and back matter are unnumbered chapters and every chapter starts at the number the site
  gives it, so "Chapter 4" and "Theorem 4.2" in a PDF are the site's chapter 4 and Theorem 4.2;
* on the HTML site, a chapter page links its own PDF from the download menu when ``make pdf`` has
  built it (the PDFs are copied to ``_downloads/pdf/``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex import LaTeXBuilder
from sphinx.util.console import darkgreen
from sphinx.util.nodes import inline_all_toctrees
from sphinx.util.docutils import new_document
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from nntheory_refs import external_text, target_doc  # _ext is on sys.path (local_extensions)

logger = logging.getLogger(__name__)
CHECK_CELL = "nnt-check-cell"  # class the ledger extension gives every cell that ran a check


def toc_chapters(srcdir: Path) -> list[tuple[str, str]]:
    """``(docname, title)`` of every chapter listed in ``_toc.yml`` under ``chapters/``, in order."""
    toc = yaml.safe_load((srcdir / "_toc.yml").read_text())
    files = [c["file"] for part in toc.get("parts", [toc]) for c in part.get("chapters", [])]
    out = []
    for f in files:
        if f.startswith("chapters/"):
            text = (srcdir / f"{f}.md").read_text() if (srcdir / f"{f}.md").exists() else ""
            title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), f)
            out.append((f, title))
    return out


def _documents(app: Sphinx, env) -> None:
    """One LaTeX document per chapter beside the whole book's (after Jupyter Book's own latex_documents update)."""
    config = app.config
    if app.builder.name != "latex" or not config.nntheory_chapter_pdfs:
        return
    docs = list(config.latex_documents or [])
    if not docs:
        return
    author = docs[0][3]
    listed = {d[0] for d in docs}
    for n, (docname, title) in enumerate(toc_chapters(Path(app.srcdir)), start=1):
        if docname not in listed:
            docs.append((docname, f"{Path(docname).name}.tex", f"Chapter {n}: {title}", author, "manual"))
    config.latex_documents = docs
    config.nntheory_chapter_docnames = [d[0] for d in docs[1:]]


_assemble = LaTeXBuilder.assemble_doctree


def _assemble_with_bibliography(self: LaTeXBuilder, indexfile: str, toctree_only: bool,
                                appendices: list[str]) -> nodes.document:
    """A chapter document: the chapter as its one chapter (as in the whole book), then the works it cites."""
    if indexfile not in getattr(self.config, "nntheory_chapter_docnames", []):
        return _assemble(self, indexfile, toctree_only, appendices)
    bib = ["bibliography"] if "bibliography" in self.env.all_docs else []
    self.docnames = {indexfile, *appendices, *bib}
    # like toctree_only: a placeholder root (its title becomes the document title) whose toctree holds the
    # chapter, so the chapter is a \chapter with \section-s, numbered as in the book
    tree = new_document("<latex output>")
    root = nodes.section()
    root += nodes.title("chapter", "chapter")
    toc = addnodes.toctree(entries=[(None, indexfile)], includefiles=[indexfile], maxdepth=-1, glob=False)
    root += toc
    tree += root
    tree = inline_all_toctrees(self, self.docnames, indexfile, tree, darkgreen, [])
    tree["docname"] = indexfile
    for docname in [*appendices, *bib]:
        appendix = self.env.get_doctree(docname)
        appendix["docname"] = docname
        tree.append(appendix)
    # references into other chapters, before Sphinx replaces the ones it cannot resolve by their raw label:
    # "Corollary 2.1 in Chapter 2", "Chapter 2"
    for pending in list(tree.findall(addnodes.pending_xref)):
        domain, reftype, target = pending.get("refdomain", ""), pending.get("reftype", ""), pending.get("reftarget", "")
        if domain == "cite":
            continue
        doc = target_doc(self.env, pending.get("refdoc", indexfile), domain, reftype, target)
        if doc is None or doc in self.docnames:
            continue
        if pending.get("refexplicit"):
            pending.replace_self(nodes.Text(pending.astext()))
            continue
        text = external_text(self.env, domain, reftype, target, pending.get("refdoc", indexfile))
        if text is None:
            logger.warning(f"chapter PDF: no text for the reference {target!r} into another chapter", location=pending)
            text = pending.astext()
        pending.replace_self(nodes.Text(text))
    self.env.resolve_references(tree, indexfile, self)
    # sphinxcontrib-bibtex writes a citation in LaTeX as raw \hyperlink{cite.<doc>:<id>}{...}
    raw = (n.rawsource for n in tree.findall(nodes.FixedTextElement) if "hyperlink" in (n.rawsource or ""))
    cited = {m.group(1) for text in raw for m in re.finditer(r"cite\.[^:}]*:([^}]*)\}", text)}
    for cit in list(tree.findall(nodes.citation)):
        if not set(cit["ids"]) & cited:
            cit.parent.remove(cit)
    from sphinx.builders.latex.nodes import thebibliography

    for bib in list(tree.findall(thebibliography)):  # a chapter that cites nothing: no empty bibliography
        if not bib.children:
            bib.parent.remove(bib)
    return tree


class LatexReading(SphinxPostTransform):
    """LaTeX only: drop code the site hides, and number chapters as the site does."""

    default_priority = 5
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        for cell in list(self.document.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code":
                continue
            tags = (cell.get("cell_metadata") or {}).get("tags", [])
            if "hide-cell" in tags:
                cell.parent.remove(cell)
                continue
            if "hide-input" in tags or CHECK_CELL in cell["classes"]:
                for child in list(cell.children):
                    if child.get("nb_element") == "cell_code_source":
                        cell.remove(child)
        secnumbers = self.env.toc_secnumbers
        root = self.config.root_doc
        starts = list(self.document.findall(addnodes.start_of_file))
        appended = [d for d in self.document.findall(nodes.document) if d is not self.document]  # appendices
        targets = [(s["docname"], s) for s in starts] + [(d.get("docname", ""), d) for d in appended]
        for docname, holder in targets:
            if not docname or docname == root:
                continue
            section = next((c for c in holder.children if isinstance(c, nodes.section)), None)
            if section is None:
                continue
            number = secnumbers.get(docname, {}).get("")
            if _holds_bibliography(section):
                # the bibliography: LaTeX's thebibliography makes its own unnumbered chapter and contents line
                for child in list(section.children):
                    if not _holds_bibliography(child):
                        section.remove(child)
                continue
            if number:
                holder.insert(holder.index(section), nodes.raw(
                    "", f"\\setcounter{{secnumdepth}}{{2}}\\setcounter{{chapter}}{{{number[0] - 1}}}\n", format="latex"))
            elif isinstance(section[0], nodes.title):
                # front and back matter: their sections are unnumbered too (not "0.1" or "7.8")
                holder.insert(holder.index(section), nodes.raw("", "\\setcounter{secnumdepth}{-1}\n", format="latex"))
                title = section[0].astext()
                section.replace(section[0], nodes.raw(
                    "", f"\\chapter*{{{_tex(title)}}}\\addcontentsline{{toc}}{{chapter}}{{{_tex(title)}}}"
                        f"\\markboth{{{_tex(title)}}}{{{_tex(title)}}}\n", format="latex"))


def _holds_bibliography(node: nodes.Node) -> bool:
    """Whether ``node`` holds a bibliography (sphinxcontrib-bibtex's node, or the citations it becomes)."""
    from sphinxcontrib.bibtex.nodes import bibliography

    return any(True for _ in node.findall(lambda n: isinstance(n, (bibliography, nodes.citation))))


def _no_domain_indices(app: Sphinx, config) -> None:
    """No "Proof Index" chapter in the PDFs (sphinx-proof's domain index): theorems are numbered by chapter."""
    config.latex_domain_indices = False


def _tex(text: str) -> str:
    return re.sub(r"([#$%&_{}])", r"\\\1", text)


def pdf_path(app: Sphinx, docname: str) -> Path:
    """Where ``make pdf`` leaves a chapter's PDF."""
    return Path(app.srcdir) / app.config.nntheory_pdf_dir / f"{Path(docname).name}.pdf"


def _pdf_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    if not pagename.startswith("chapters/") or not pdf_path(app, pagename).exists():
        return
    url = f"{context['pathto']('_downloads', 1)}/pdf/{Path(pagename).name}.pdf"
    for group in context.get("header_buttons", []):
        if isinstance(group, dict) and group.get("label") == "download-buttons":
            group["buttons"].insert(1, {"type": "link", "url": url, "text": "chapter PDF", "icon": "fas fa-file-pdf",
                                        "tooltip": "Download this chapter as PDF", "label": "download-chapter-pdf"})


def _copy_pdfs(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    copied = 0
    for docname, _ in toc_chapters(Path(app.srcdir)):
        src = pdf_path(app, docname)
        if src.exists():
            dest = Path(app.outdir) / "_downloads" / "pdf" / src.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
            copied += 1
    book = Path(app.srcdir) / app.config.nntheory_pdf_dir / "nntheory.pdf"
    if book.exists():
        shutil.copy(book, Path(app.outdir) / "_downloads" / "pdf" / book.name)
    if copied:
        logger.info(f"pdf: {copied} chapter PDFs linked from their pages")


def setup(app: Sphinx) -> dict:
    """Register the LaTeX documents, the LaTeX transform and the HTML links."""
    app.add_config_value("nntheory_chapter_pdfs", True, "env")
    app.add_config_value("nntheory_chapter_docnames", [], "env")
    app.add_config_value("nntheory_pdf_dir", "_build/latex", "html")
    LaTeXBuilder.assemble_doctree = _assemble_with_bibliography
    app.connect("env-updated", _documents)
    app.connect("config-inited", _no_domain_indices)
    app.add_post_transform(LatexReading)
    app.connect("html-page-context", _pdf_button, priority=600)
    app.connect("build-finished", _copy_pdfs)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
