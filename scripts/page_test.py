"""Read the built chapter pages as a reader does, with nothing expanded, and hold them to the two layers.

Usage: .venv/bin/python scripts/page_test.py [_build/html]

For each chapter page it measures what a reader meets with every collapsed element closed: prose words,
visible code lines and how many of them are check code (``check_*`` calls, tolerance arithmetic), collapsed
notes that are not part of a check block or a solution, and sentences that announce checks. It fails when

* check code is visible with nothing expanded;
* a check's derivation stands apart from its check (a derivation outside a check block, or a separate
  "How this is checked" note);
* a chapter has more than ``MAX_ANNOUNCE`` sentences announcing checks;
* a chapter has more than ``MAX_NOTES`` collapsed notes that are not check blocks or solutions;
* a check block lacks its result lines or its collapsed code;
* (when the site has the API appendix) a name of the package in a code cell is not linked to its entry.

Prints one line per chapter; exits non-zero on any failure.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
MAX_ANNOUNCE = 2
MAX_NOTES = 3
CHECKY = re.compile(r"check_[a-z_]+\(|\btol[_a-z0-9]*\s*=|U_ROUND|EPS\b|reason=|kind=\"")
ANNOUNCE = re.compile(r"[^.!?]*\b(the check|this check|checks? (below|above|confirms?)|is checked|are checked|"
                      r"checked (below|above))\b[^.!?]*[.!?]", re.I)
HIDDEN_TAGS = ("tag_hide-input", "tag_hide-cell", "tag_remove-input", "tag_remove-cell")
IMPORT_FROM = re.compile(r"^\s*from\s+nntheory(\.\w+)?\s+import\s+\(?([^)#\n]+)", re.M)
IMPORT = re.compile(r"^\s*import\s+nntheory\.(\w+)(?:\s+as\s+(\w+))?", re.M)


@dataclass
class Page:
    """What a reader meets on one page with nothing expanded."""

    words: int = 0
    code: int = 0
    check_code: int = 0
    notes: int = 0
    announcing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _collapsed(el) -> bool:
    """Whether ``el`` sits inside a closed ``<details>`` (or a myst-nb hidden cell)."""
    return any(d.name == "details" and not d.has_attr("open") for d in el.parents)


def measure(html: str) -> Page:
    """Measure one page (the HTML of a chapter)."""
    soup = BeautifulSoup(html, "html.parser")
    art = soup.select_one("article") or soup.body
    page = Page()
    for cell in art.select("div.cell"):
        if cell.find_parent(class_="dropdown") is not None or _collapsed(cell):
            continue
        cls = cell.get("class", [])
        inp = cell.select_one("div.cell_input")
        if inp is None or any(c in cls for c in HIDDEN_TAGS) or _collapsed(inp):
            continue
        lines = [ln for pre in inp.select("pre") for ln in pre.get_text().splitlines() if ln.strip()]
        page.code += len(lines)
        page.check_code += sum(bool(CHECKY.search(ln)) for ln in lines)
    for block in art.select("div.nnt-check"):
        if not block.select("ul.nnt-check-results > li"):
            page.problems.append(f"a check block without result lines (id {block.get('id')})")
        audit = block.select_one("details.nnt-check-audit")
        if audit is None or audit.select_one("div.cell_input") is None:
            page.problems.append(f"a check block whose code is not behind its one collapsible (id {block.get('id')})")
    for der in art.select("div.nnt-check-derivation"):
        if der.find_parent("div", class_="nnt-check") is None:
            page.problems.append("a derivation outside its check block")
    for title in art.select(".admonition-title, summary"):
        if title.get_text(" ", strip=True).lower().startswith("how this is checked"):
            page.problems.append("a separate 'How this is checked' note")
    page.notes = len([d for d in art.select("div.dropdown.admonition, details.dropdown")
                      if "solution" not in d.get("class", []) and d.find_parent(class_="nnt-check") is None
                      and d.select_one("div.cell") is None])
    for bad in art.select("div.cell, div.dropdown, details, div.solution, script, style, nav, .headerlink, "
                          "div.toggle"):
        bad.decompose()
    text = " ".join(p.get_text(" ") for p in art.select("p, li"))
    page.words = len(re.findall(r"[A-Za-z]{2,}", text))
    page.announcing = [" ".join(m.group(0).split()) for m in ANNOUNCE.finditer(text)]
    return page


def _on_import_line(span) -> bool:
    """Whether a highlighted token sits on an ``import`` line (its names there need no link)."""
    el = span.find_parent("a", class_="nnt-api") or span
    for sib in el.previous_siblings:
        text = sib.get_text() if hasattr(sib, "get_text") else str(sib)
        if "\n" in text:
            return False
        if "kn" in (getattr(sib, "get", lambda *_: [])("class") or []) and text in ("import", "from"):
            return True
    return False


def unlinked_api_names(html: str) -> tuple[int, list[str]]:
    """Uses of the package's names in the page's code cells: (how many are linked, the ones that are not).

    A use is ``alias.attr`` where ``alias`` is a module the page imports from ``nntheory`` (``optim.run``), or a
    name imported from one of its modules (``relu_net``); the page's own import lines say which is which.
    """
    soup = BeautifulSoup(html, "html.parser")
    art = soup.select_one("article") or soup.body
    pres = art.select("div.cell div.highlight pre")
    source = "\n".join(pre.get_text() for pre in pres)
    modules, direct = set(), set()
    for m in IMPORT_FROM.finditer(source):
        for part in m.group(2).split(","):
            bits = part.split()
            if not bits:
                continue
            alias = bits[2] if len(bits) >= 3 and bits[1] == "as" else bits[0]
            (direct if m.group(1) else modules).add(alias)
    for m in IMPORT.finditer(source):
        modules.add(m.group(2) or m.group(1))
    linked, missing = 0, []
    for pre in pres:
        spans = pre.find_all("span")
        for i, span in enumerate(spans):
            if "n" not in span.get("class", []) and "nn" not in span.get("class", []):
                continue
            name = span.get_text()
            nxt = spans[i + 1] if i + 1 < len(spans) else None
            dotted = nxt is not None and nxt.get_text() == "." and "o" in nxt.get("class", [])
            prev = spans[i - 1] if i else None
            after_dot = prev is not None and prev.get_text() == "." and "o" in prev.get("class", [])
            if after_dot or _on_import_line(span):
                continue
            if name in modules and dotted and i + 2 < len(spans):
                use = f"{name}.{spans[i + 2].get_text()}"
            elif name in direct and not dotted:
                use = name
            else:
                continue
            if span.find_parent("a", class_="nnt-api") is not None:
                linked += 1
            else:
                missing.append(use)
    return linked, missing


def verdict(page: Page) -> list[str]:
    """The page's failures against the two-layer rules."""
    out = list(page.problems)
    if page.check_code:
        out.append(f"{page.check_code} lines of check code visible with nothing expanded")
    if len(page.announcing) > MAX_ANNOUNCE:
        out.append(f"{len(page.announcing)} sentences announce checks (at most {MAX_ANNOUNCE}): "
                   + " | ".join(s[:90] for s in page.announcing))
    if page.notes > MAX_NOTES:
        out.append(f"{page.notes} collapsed notes besides check blocks and solutions (at most {MAX_NOTES})")
    return out


def main(site: Path) -> int:
    pages = sorted((site / "chapters").glob("*.html"))
    if not pages:
        print(f"no chapter pages under {site}/chapters: build the site first")
        return 2
    failed = 0
    api = (site / "api" / "index.html").exists()
    for path in pages:
        html = path.read_text(encoding="utf-8")
        page = measure(html)
        bad = verdict(page)
        if api:
            linked, missing = unlinked_api_names(html)
            if missing:
                bad.append(f"{len(missing)} uses of the package not linked to the API reference: "
                           + ", ".join(sorted(set(missing))[:12]))
        failed += bool(bad)
        print(f"{'FAIL' if bad else 'ok  '} {path.stem:22s} prose words {page.words:6d}  visible code {page.code:4d} "
              f"(check code {page.check_code})  notes {page.notes}  announcing {len(page.announcing)}"
              + (f"  API links {linked}" if api else ""))
        for b in bad:
            print(f"       {b}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "html"))
