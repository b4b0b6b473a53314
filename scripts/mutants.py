"""Planted faults: does a chapter's own checks catch a small wrong change to the package or to its formula?

Usage: .venv/bin/python scripts/mutants.py [--file benchmarks/mutants.yml] [--jobs 2] [ID ...]

Each entry of the mutants file names a ``file`` (under ``src/nntheory/`` or ``chapters/``), a line
fragment to ``find`` (it must occur exactly once), its ``replace``-ment, the ``chapter`` expected to
catch it and a one-line ``what``. For each entry this script copies ``src/`` and ``chapters/`` to a
temporary folder, applies the change there, and executes only that chapter in a fresh kernel whose
``PYTHONPATH`` puts the mutated package first (the repository is never modified). A fault is
*caught* when a chapter check fails (``nntheory.checks.CheckFailed``, or an ``assert`` in a check
cell); unit tests do not count here. A fault that makes the chapter crash some other way, or that
no check notices, is reported as *missed*. Results go to ``benchmarks/results/mutants.json`` and a
table is printed; the exit code is non-zero if any fault was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("id", "chapter", "file", "find", "replace", "what")


def load(path: Path) -> list[dict]:
    """The mutants file's entries, checked for their fields and unique ids."""
    entries = yaml.safe_load(path.read_text())
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path} must hold a non-empty list of mutants")
    seen = set()
    for e in entries:
        missing = [f for f in FIELDS if f not in e]
        if missing:
            raise ValueError(f"mutant {e.get('id', e)!r} lacks {missing}")
        if e["id"] in seen:
            raise ValueError(f"mutant id {e['id']!r} appears twice")
        seen.add(e["id"])
    return entries


def apply(entry: dict, tree: Path) -> None:
    """Apply one mutant to the copy in ``tree``; the fragment must occur exactly once."""
    target = tree / entry["file"]
    text = target.read_text()
    n = text.count(entry["find"])
    if n != 1:
        raise ValueError(f"mutant {entry['id']}: {entry['find']!r} occurs {n} times in {entry['file']} (need 1)")
    target.write_text(text.replace(entry["find"], entry["replace"]))


def run_one(entry: dict, timeout: float) -> dict:
    """Execute the entry's chapter against the mutated copy; classify the outcome."""
    with tempfile.TemporaryDirectory(prefix="nnt-mutant-") as tmp:
        tree = Path(tmp)
        for d in ("src", "chapters"):
            shutil.copytree(ROOT / d, tree / d)
        apply(entry, tree)
        env = dict(os.environ, PYTHONPATH=str(tree / "src"), OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
        env.pop("NNTHEORY_STATIC", None)  # live figures: one frame per slider figure, the fastest way to run
        cmd = [sys.executable, __file__, "--child", str(tree / "chapters" / f"{entry['chapter']}.md"),
               "--timeout", str(timeout)]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tree / "chapters")
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        out = json.loads(lines[-1]) if lines else {"outcome": "crashed", "detail": res.stderr[-500:]}
    out.update(id=entry["id"], chapter=entry["chapter"], what=entry["what"], seconds=round(time.perf_counter() - t0, 1))
    return out


def _child(path: Path, timeout: float) -> int:
    """Execute one notebook; print a JSON line: caught (which check), survived, or crashed."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        caught = err.ename in ("CheckFailed", "AssertionError")
        detail = (err.evalue or "").splitlines()[0][:300] if err.evalue else err.ename
        print(json.dumps({"outcome": "caught" if caught else "crashed", "by": detail, "error": err.ename}))
        return 0
    print(json.dumps({"outcome": "survived", "by": None}))
    return 0


def main(argv: list[str]) -> int:
    """Run the chosen mutants (default: all) and report; non-zero exit if one was not caught."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--file", default=str(ROOT / "benchmarks" / "mutants.yml"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per cell")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(Path(args.child), args.timeout)
    entries = load(Path(args.file))
    if args.ids:
        entries = [e for e in entries if e["id"] in set(args.ids)]
    for e in entries:  # fail fast on a mutant that does not apply to the current sources
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(ROOT / Path(e["file"]).parent, Path(tmp) / Path(e["file"]).parent)
            apply(e, Path(tmp))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda e: run_one(e, args.timeout), entries))
    out = ROOT / "benchmarks" / "results" / "mutants.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    missed = [r for r in results if r["outcome"] != "caught"]
    width = max(len(r["id"]) for r in results)
    for r in results:
        print(f"{r['id']:{width}s}  {r['chapter']:20s} {r['outcome']:8s} {r['seconds']:6.1f} s  {r.get('by') or ''}")
    print(f"{len(results) - len(missed)} of {len(results)} planted faults caught by a chapter check "
          f"in {time.perf_counter() - t0:.0f} s; results in {out.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
