"""References as numbers: "Section 3.4" for a section, "Corollary 2.1 in Chapter 2" across chapter PDFs.

* On the site and in the PDFs, a ``{ref}`` to a section without an explicit text prints "Section 3.4" (Sphinx
  would print the section's title, and a title with math prints its raw TeX: "an exact \\eta^2 drift").
* ``external_text`` gives the text of a reference that a chapter PDF cannot resolve, because its target is in
  another chapter: "Corollary 2.1 in Chapter 2", "Figure 4.3 in Chapter 4", "Section 2.3 in Chapter 2",
  "Equation (5.2) in Chapter 5", "Chapter 2". The chapter PDFs use it (``nntheory_pdf``).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

PROOF_NAMES = {"theorem": "Theorem", "lemma": "Lemma", "definition": "Definition", "corollary": "Corollary",
               "proposition": "Proposition", "remark": "Remark", "example": "Example", "conjecture": "Conjecture",
               "axiom": "Axiom", "criterion": "Criterion", "algorithm": "Algorithm", "observation": "Observation",
               "property": "Property", "assumption": "Assumption", "notation": "Notation"}


def _join(num) -> str:
    return ".".join(map(str, num)) if num else ""


def chapter_of(env, docname: str) -> int | None:
    """The chapter number the site gives ``docname`` (None for front and back matter)."""
    num = env.toc_secnumbers.get(docname, {}).get("")
    return num[0] if num else None


def _section_ids(env, docname: str) -> dict[str, str]:
    """Every id of every numbered section of ``docname`` -> that section's number (``3.4``)."""
    cache = env.__dict__.setdefault("_nnt_section_ids", {})
    if docname in cache:
        return cache[docname]
    numbers = env.toc_secnumbers.get(docname, {})
    out: dict[str, str] = {}
    try:
        tree = env.get_doctree(docname)
    except Exception:  # noqa: BLE001 - not a document of this book
        tree = None
    if tree is not None:
        for sec in tree.findall(nodes.section):
            if not sec["ids"]:
                continue
            num = numbers.get(f"#{sec['ids'][0]}")
            if num is None and sec.parent is tree:
                num = numbers.get("")
            if num:
                for ident in sec["ids"]:
                    out[ident] = _join(num)
    cache[docname] = out
    return out


def section_number(env, docname: str, anchor: str) -> str:
    """``3.4`` for the section of ``docname`` with the id ``anchor`` ('' if it has no number)."""
    return _section_ids(env, docname).get(anchor, "")


def target_doc(env, refdoc: str, domain: str, reftype: str, target: str) -> str | None:
    """The document a reference points into (None when unknown)."""
    if domain == "prf":
        match = getattr(env, "proof_list", {}).get(target)
        return match["docname"] if match else None
    if domain == "std" and reftype == "doc":
        from sphinx.util import docname_join

        return docname_join(refdoc, target)
    if domain == "std" and reftype in ("ref", "numref"):
        std = env.domaindata.get("std", {})
        hit = std.get("labels", {}).get(target) or std.get("anonlabels", {}).get(target)
        return hit[0] if hit else None
    if domain == "math" and reftype in ("numref", "eq"):
        hit = env.domaindata.get("math", {}).get("objects", {}).get(target)
        return hit[0] if hit else None
    return None


def external_text(env, domain: str, reftype: str, target: str, refdoc: str = "") -> str | None:
    """The printed text of a reference into another chapter, e.g. "Corollary 2.1 in Chapter 2" (None: unknown)."""
    if domain == "prf":
        match = getattr(env, "proof_list", {}).get(target)
        if not match:
            return None
        doc = match["docname"]
        num = _join(env.toc_fignumbers.get(doc, {}).get(match["countertype"], {}).get(target))
        name = PROOF_NAMES.get(match["realtype"], match["realtype"].title())
        return _in_chapter(env, doc, f"{name} {num}".strip())
    if domain == "std" and reftype == "doc":
        doc = target_doc(env, refdoc, domain, reftype, target) or target.lstrip("/")
        ch = chapter_of(env, doc)
        if ch is not None:
            return f"Chapter {ch}"
        title = env.titles.get(doc)
        return title.astext() if title is not None else None
    if domain == "std" and reftype in ("ref", "numref"):
        labels = env.domaindata.get("std", {}).get("labels", {})
        anon = env.domaindata.get("std", {}).get("anonlabels", {})
        doc, labelid = (labels.get(target) or (None, None, None))[:2] if target in labels else \
            (anon.get(target) or (None, None))
        if doc is None:
            return None
        for kind, name in (("figure", "Figure"), ("table", "Table"), ("code-block", "Listing"),
                           ("exercise", "Exercise")):
            num = env.toc_fignumbers.get(doc, {}).get(kind, {}).get(labelid)
            if num:
                return _in_chapter(env, doc, f"{name} {_join(num)}")
        sec = section_number(env, doc, labelid)
        if sec:
            return _in_chapter(env, doc, f"Section {sec}")
        return None
    if domain == "math" and reftype in ("numref", "eq"):
        eqs = env.domaindata.get("math", {}).get("objects", {})
        if target not in eqs:
            return None
        doc, number = eqs[target]
        ch = chapter_of(env, doc)
        return _in_chapter(env, doc, f"Equation ({ch}.{number})" if ch else f"Equation ({number})")
    return None


def _in_chapter(env, doc: str, text: str) -> str:
    ch = chapter_of(env, doc)
    return f"{text} in Chapter {ch}" if ch is not None else text


class SectionNumbers(SphinxPostTransform):
    """A reference to a section, with the section's title as its text, prints as "Section 3.4"."""

    default_priority = 20  # after the references are resolved (10)

    def run(self, **kwargs) -> None:
        env = self.env
        labels = env.domaindata.get("std", {}).get("labels", {})
        titles = {(doc, labelid): sectname for doc, labelid, sectname in labels.values()}
        here = env.docname  # the page being written (for a PDF: its root document)
        for ref in list(self.document.findall(nodes.reference)):
            inner = ref.next_node(nodes.inline)
            if inner is None or "std-ref" not in inner["classes"] or inner.parent is not ref:
                continue
            doc, anchor = self._target(ref, here)
            if not doc or not anchor:
                continue
            title = titles.get((doc, anchor))
            number = section_number(env, doc, anchor)
            if title is None or not number or inner.astext().strip() != title.strip():
                continue  # an explicit text, or not a numbered section: keep it
            inner.children = [nodes.Text(f"Section {number}")]

    @staticmethod
    def _target(ref: nodes.reference, here: str) -> tuple[str | None, str | None]:
        if ref.get("refid"):
            return here, ref["refid"]
        uri = ref.get("refuri", "")
        if uri.startswith("%"):  # LaTeX: %docname#anchor
            doc, _, anchor = uri[1:].partition("#")
            return doc, anchor
        if "://" in uri or "#" not in uri:
            return None, None
        path, anchor = uri.split("#", 1)
        if not path:
            return here, anchor
        import posixpath

        doc = posixpath.normpath(posixpath.join(posixpath.dirname(here), path))
        return (doc[:-5] if doc.endswith(".html") else doc), anchor


def setup(app: Sphinx) -> dict:
    """Register the section-number transform."""
    app.add_post_transform(SectionNumbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
