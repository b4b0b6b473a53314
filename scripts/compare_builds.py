"""Compare the executed notebooks of two builds, output by output: are the numbers and figures the same?

Usage: .venv/bin/python scripts/compare_builds.py [--outputs-only] DIR_A DIR_B
Each DIR holds executed chapter notebooks (e.g. a copy of `_build/html/_sources/chapters/` from one
build). Prints, for every notebook, the cells whose outputs differ (text, or image bytes), and exits
non-zero if any differ. Normally both builds must come from the same sources; with `--outputs-only`
(after a refactor that changed code but should not change what the chapters show) cells are paired
by position, their sources may differ, and each differing text output is printed as a diff. Cells whose source mentions timing (`perf_counter`, `timeit`) are reported
separately: wall-clock measurements are expected to change from build to build.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

TIMING = ("perf_counter", "timeit", "time.time(")


def outputs(cell: dict) -> list[tuple[str, str]]:
    """A cell's outputs as (kind, content) pairs, ignoring execution counts and metadata."""
    out: list[tuple[str, str]] = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":  # a stream may arrive in chunks that split differently
            if out and out[-1][0] == o["name"]:
                out[-1] = (o["name"], out[-1][1] + o["text"])
            else:
                out.append((o["name"], o["text"]))
        elif o["output_type"] in ("execute_result", "display_data"):
            for mime, data in sorted(o["data"].items()):
                out.append((mime, data if isinstance(data, str) else "".join(data)))
        elif o["output_type"] == "error":
            out.append(("error", o["ename"] + ": " + o["evalue"]))
    return out


def _show(i: int, x: dict, y: dict) -> None:
    """Print a unified diff of two cells' text outputs (images are only named)."""
    import difflib

    ta = [f"[{k}] {t}" for k, t in outputs(x) if not k.startswith("image/")]
    tb = [f"[{k}] {t}" for k, t in outputs(y) if not k.startswith("image/")]
    print(f"  cell {i}:")
    for line in difflib.unified_diff("".join(ta).splitlines(), "".join(tb).splitlines(), lineterm="", n=0):
        if not line.startswith(("---", "+++", "@@")):
            print("    " + line[:200])
    if ta == tb:
        print("    (only image outputs differ)")


def main(a: str, b: str, outputs_only: bool = False) -> int:
    """Compare every notebook present in both folders; return the exit code."""
    differing = 0
    for pa in sorted(Path(a).glob("*.ipynb")):
        pb = Path(b) / pa.name
        if not pb.exists():
            print(f"{pa.name}: missing in {b}")
            differing += 1
            continue
        ca = [c for c in nbformat.read(pa, 4).cells if c.cell_type == "code"]
        cb = [c for c in nbformat.read(pb, 4).cells if c.cell_type == "code"]
        if [c.source for c in ca] != [c.source for c in cb] and not (outputs_only and len(ca) == len(cb)):
            print(f"{pa.name}: the sources differ; compare builds of the same commit"
                  + (f" (or --outputs-only; here {len(ca)} and {len(cb)} code cells)" if outputs_only else ""))
            differing += 1
            continue
        diffs, timed = [], []
        for i, (x, y) in enumerate(zip(ca, cb)):
            if outputs(x) != outputs(y):
                (timed if any(t in x.source for t in TIMING) else diffs).append(i)
        status = "identical" if not diffs else f"{len(diffs)} cells differ: {diffs}"
        extra = f" (timing cells that differ, as expected: {timed})" if timed else ""
        print(f"{pa.name}: {len(ca)} code cells, {status}{extra}")
        if outputs_only:
            for i in diffs:
                _show(i, ca[i], cb[i])
        differing += bool(diffs)
    return 1 if differing else 0


if __name__ == "__main__":
    args = [x for x in sys.argv[1:] if x != "--outputs-only"]
    if len(args) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(args[0], args[1], outputs_only="--outputs-only" in sys.argv[1:]))
