"""`make preview`: a fast rebuild of the site for authors, re-executing only what an edit can change.

Usage: .venv/bin/python scripts/preview.py [--time LABEL]

Builds into ``_build/preview/_build/html`` with myst-nb's execution cache
(``scripts/book_config.py --cache auto``): a chapter whose cells are unchanged is not executed again,
and Sphinx re-reads only the pages whose source changed. The cache folder is named by a hash of
``src/``, ``requirements.txt``, ``_config.yml`` and ``_ext/``; when that hash differs from the last
preview's, every page is re-read (``--all``) and every chapter re-executes (correct before fast).
``make book`` and ``make test`` never use this: they execute everything from scratch.
With ``--time LABEL`` the wall-clock seconds are added to ``benchmarks/results/preview.json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "preview"
_spec = importlib.util.spec_from_file_location("book_config", ROOT / "scripts" / "book_config.py")
book_config = importlib.util.module_from_spec(_spec)  # the sibling script that writes derived configurations
_spec.loader.exec_module(book_config)


def main(argv: list[str]) -> int:
    """Build the preview; return the build's exit code."""
    label = argv[argv.index("--time") + 1] if "--time" in argv else None
    OUT.mkdir(parents=True, exist_ok=True)
    digest = book_config.inputs_hash()
    stamp = OUT / "inputs-hash"
    changed = not stamp.exists() or stamp.read_text() != digest
    config = OUT / "_config.yml"
    book_config.main([str(config), "--cache", "auto"])
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--config", str(config), "--path-output", str(OUT), "--builder", "html"]
    cmd += ["--all"] if changed else []
    env = dict(os.environ, NNTHEORY_STATIC="1", PYTHONHASHSEED="0")
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    executed = [ln.split(":")[0] for ln in res.stdout.splitlines() if "Executed notebook" in ln]
    if res.returncode == 0:
        stamp.write_text(digest)
    print(res.stdout[-1500:] if res.returncode else "")
    print(f"preview: {seconds:.1f} s, {'every page re-read (inputs changed)' if changed else 'changed pages only'}; "
          f"executed: {[Path(e).stem for e in executed] or 'none (all from the cache)'}; "
          f"site {OUT / '_build' / 'html' / 'index.html'}")
    if label:
        results = ROOT / "benchmarks" / "results" / "preview.json"
        results.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(results.read_text()) if results.exists() else {}
        data[label] = {"seconds": round(seconds, 2), "executed": [Path(e).stem for e in executed]}
        results.write_text(json.dumps(data, indent=1))
    return res.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
