"""Write a derived Jupyter Book configuration: an edition, an execution cache, and absolute paths.

Usage: .venv/bin/python scripts/book_config.py OUT.yml [--edition full|student] [--cache DIR|auto]

``_config.yml`` stays the one configuration a plain ``jupyter-book build .`` reads (it executes every
notebook: ``force``). The Makefile's builds use a derived copy written here: the same settings, with

* ``--cache DIR``: ``execute_notebooks: cache`` in DIR, so the builds of one ``make`` run (PDF, site,
  student edition) execute each chapter once. jupyter-cache matches a notebook by its cells' source
  only, so ``--cache auto`` names the folder by a hash of everything else the outputs depend on
  (``src/``, ``requirements.txt``, ``_config.yml``, ``_ext/``): change one and every chapter re-executes.
  ``make book`` and ``make test`` empty the cache first (execution from scratch); ``make preview`` keeps it;
* ``--edition student``: ``nntheory_edition: student`` (no solutions, a banner);
* paths that Jupyter Book resolves against the configuration file's folder made absolute.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPENDS = ["src", "requirements.txt", "_config.yml", "_ext"]  # what a chapter's outputs depend on beside itself


def inputs_hash() -> str:
    """A hash of every file the notebooks' outputs depend on, other than the notebooks themselves."""
    h = hashlib.sha256()
    for name in DEPENDS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() \
            else [path]
        for f in files:
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def cache_dir(spec: str | None) -> str | None:
    """``auto``: ``_build/.jupyter_cache/<inputs hash>``; otherwise the folder given (or None)."""
    return str(ROOT / "_build" / ".jupyter_cache" / inputs_hash()) if spec == "auto" else spec


def derived(edition: str, cache: str | None) -> dict:
    """The configuration of ``_config.yml`` with the edition and the cache applied."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {k: str(ROOT / v) for k, v in sphinx.get("local_extensions", {}).items()}
    if config.get("html", {}).get("favicon"):
        config["html"]["favicon"] = str(ROOT / config["html"]["favicon"])
    config["bibtex_bibfiles"] = [str(ROOT / f) for f in config.get("bibtex_bibfiles", [])]
    sphinx.setdefault("config", {})["nntheory_edition"] = edition
    if edition == "student":
        sphinx["config"]["nntheory_pdf_dir"] = "_build/student/_build/latex"
    if cache:
        config.setdefault("execute", {}).update(execute_notebooks="cache", cache=str(Path(cache).resolve()))
    return config


def main(argv: list[str]) -> int:
    """Write the derived configuration."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--edition", choices=["full", "student"], default="full")
    ap.add_argument("--cache")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Written by scripts/book_config.py from _config.yml: do not edit.\n"
                   + yaml.safe_dump(derived(args.edition, cache_dir(args.cache)), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
