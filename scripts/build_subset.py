"""Build a few chapters as a throwaway book, strictly (-W -n --keep-going), and time it.

Usage: .venv/bin/python scripts/build_subset.py [--api] 01_clarke [02_homogeneity ...]
The book is assembled in a temporary folder (printed at the end) with this repository's
_config.yml, references.bib and bibliography page, so warnings, broken references, failing
cells and failing checks show up exactly as in `make test`, without executing every chapter.
The other chapters are included as stubs holding only their title and their section and `prf`
labels, so `{doc}`, `{ref}` and `{prf:ref}` links into them resolve. A cut-down ledger
page (`checks.html`) lists the checks of the chapters built, and `_build/checks.json` holds them.
With `--api` the appendix *The nntheory package* (api/) is built too, so the chapters' code links into it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


_TARGET = re.compile(r"^\(([\w-]+)\)=\s*$")
_PRF = re.compile(r"^(`{3,}|:{3,})\{(prf:\w+|exercise)\}")
_LABEL = re.compile(r"^:label:\s*([\w-]+)\s*$")


def stub(title: str, text: str) -> str:
    """A stand-in for a chapter not built: its title, and its section, ``prf`` and exercise labels as empty
    targets, so that ``{ref}`` and ``{prf:ref}`` links into it from the chapters built still resolve."""
    out = [f"# {title}", "", "(Not built in this subset.)", ""]
    in_prf = False
    for line in text.splitlines():
        if (m := _TARGET.match(line)):
            out += [f"({m[1]})=", f"## {m[1]}", ""]
        elif (d := _PRF.match(line)):
            in_prf = d[2]
        elif in_prf and (m := _LABEL.match(line)):
            kind = "exercise" if in_prf == "exercise" else "prf:remark"
            out += [f"```{{{kind}}}", f":label: {m[1]}", "", "(Not built in this subset.)", "```", ""]
            in_prf = False
        elif in_prf and not line.startswith(":"):
            in_prf = False  # the directive's options ended without a label
    return "\n".join(out) + "\n"


def subset_toc(api: bool = False) -> dict:
    """The book's table of contents with its numbered parts, so that chapters keep their numbers (Theorem 3.1 is
    Theorem 3.1 here too), without the front matter and with the two back-matter pages a subset has."""
    real = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = []
    for part in real.get("parts", []):
        chapters = [c for c in part.get("chapters", []) if c.get("file", "").startswith("chapters/")]
        if chapters:
            parts.append(dict(part, chapters=chapters))
    back = [{"file": "checks"}, {"file": "bibliography"}]
    if api:
        back = [c for part in real.get("parts", []) for c in part.get("chapters", [])
                if c.get("file") == "api/index"] + back
    parts.append({"caption": "Back matter", "chapters": back})
    return {"format": "jb-book", "root": "index", "parts": parts}


def main(names: list[str]) -> int:
    """Assemble and build the named chapters; return the build's exit code."""
    api = "--api" in names
    names = [n for n in names if n != "--api"]
    if not names:
        print(__doc__)
        return 2
    book = Path(tempfile.mkdtemp(prefix="nnt-subset-"))
    if api:
        shutil.copytree(ROOT / "api", book / "api")
    (book / "chapters").mkdir()
    for f in ("_config.yml", "references.bib", "bibliography.md"):
        shutil.copy(ROOT / f, book / f)
    for d in ("_ext", "_static", "_templates"):
        if (ROOT / d).is_dir():
            shutil.copytree(ROOT / d, book / d)
    for name in names:
        src = ROOT / "chapters" / f"{name}.md"
        if not src.exists():
            print(f"no chapter {src}")
            return 2
        shutil.copy(src, book / "chapters" / src.name)
    # the other chapters as stubs (title and labels), so that links into them resolve in a subset build
    others = sorted(p.stem for p in (ROOT / "chapters").glob("*.md") if p.stem not in names)
    for other in others:
        title = next((ln[2:].strip() for ln in (ROOT / "chapters" / f"{other}.md").read_text().splitlines()
                      if ln.startswith("# ")), other)
        (book / "chapters" / f"{other}.md").write_text(stub(title, (ROOT / "chapters" / f"{other}.md").read_text()))
    # the check ledger of the chapters built here (the appendix page of the full book, cut down)
    ledger = "".join(f"\n## {n}\n\n```{{check-ledger}} chapters/{n}\n```\n" for n in names)
    (book / "checks.md").write_text("# Every check in this subset\n\n```{check-ledger-summary}\n```\n" + ledger)
    (book / "_toc.yml").write_text(yaml.safe_dump(subset_toc(api), sort_keys=False))
    (book / "index.md").write_text("# Subset build\n\n" + "\n".join(f"- {{doc}}`chapters/{n}`" for n in names) + "\n")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = dict(os.environ, NNTHEORY_STATIC="1", PYTHONHASHSEED="0")
    t0 = time.perf_counter()
    res = subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going"], env=env,
                         capture_output=True, text=True)
    dt = time.perf_counter() - t0
    log = res.stdout + res.stderr
    (book / "build.log").write_text(log)
    for line in log.splitlines():
        if ("WARNING" in line or "ERROR" in line or "Error" in line) and "IPKernelApp" not in line:
            print(line)
    print(f"exit code {res.returncode}; {dt:.1f} s for {names}; site {book}/_build/html; log {book}/build.log")
    return res.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
