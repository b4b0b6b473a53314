"""Read the PDFs as text, as a reader of the course readings does, and find what must not be there.

Usage: .venv/bin/python scripts/pdf_test.py [_build/latex]

For the whole book (``nntheory.pdf``) and every chapter PDF (``NN_topic.pdf``), ``pdftotext`` gives the text,
and the test fails on
* a raw label where a reference should print its number: ``thm-``, ``cor-``, ``lem-``, ``def-``, ``prop-``,
  ``rem-``, ``sec-``, ``fig-``, ``eq-``, ``ex-`` names, or a chapter's file name (``02_homogeneity``);
* a "How this is checked" note: in the PDFs a check cell prints its result lines only;
* a check cell's code: no ``checks.check_`` call prints before the appendix.
The whole book's appendices "The nntheory package" and "Every check in this book" hold package examples and the
checks' code and derivations on purpose, so the whole-book PDF is read up to the first of them. Exits non-zero on any finding.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEL = re.compile(r"(?<![\w-])(?:thm|cor|lem|def|prop|rem|sec|fig|eq|ex)-[a-z0-9]+(?:-[a-z0-9]+)*(?![\w-])")
FILE = re.compile(r"(?<![\w/])0\d_[a-z]+(?:_[a-z]+)*(?![\w])")
APPENDIX = "Each claim in this book that code can check is checked by a cell beside it"  # the appendix opens so
API_APPENDIX = "Every chapter computes with one small package"  # the package's appendix opens so (its examples
# call checks.check_* on purpose)


def pdf_text(path: Path) -> str:
    """The text of a PDF, as pdftotext gives it (layout off: words in reading order)."""
    res = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return res.stdout


def findings(text: str, *, whole_book: bool = False) -> list[str]:
    """What a reader must not meet in this text."""
    if whole_book:
        cut = text.find(APPENDIX)
        if cut < 0:
            return ["the whole book has no appendix 'Every check in this book'"]
        api = text.find(API_APPENDIX)
        text = text[:min(cut, api) if api >= 0 else cut]
    out = []
    for m in LABEL.finditer(text):
        out.append(f"raw label {m.group(0)!r}: …{' '.join(text[max(0, m.start() - 60):m.end() + 20].split())}…")
    for m in FILE.finditer(text):
        out.append(f"file name {m.group(0)!r}: …{' '.join(text[max(0, m.start() - 60):m.end() + 20].split())}…")
    if "How this is checked" in text:
        out.append("a 'How this is checked' note")
    if "checks.check_" in text:
        out.append("a check cell's code")
    return out


def main(folder: Path) -> int:
    if shutil.which("pdftotext") is None:
        print("pdftotext not found (Debian: poppler-utils)")
        return 2
    pdfs = sorted(folder.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {folder}: run make pdf first")
        return 2
    bad = 0
    for pdf in pdfs:
        found = findings(pdf_text(pdf), whole_book=pdf.name == "nntheory.pdf")
        bad += bool(found)
        print(f"{'FAIL' if found else 'ok  '} {pdf.name:28s} {len(found)} findings")
        for f in found[:15]:
            print(f"       {f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "latex"))
