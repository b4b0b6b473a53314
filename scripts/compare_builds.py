"""Compare the executed notebooks of two builds, output by output: are the numbers and figures the same?

Usage: .venv/bin/python scripts/compare_builds.py DIR_A DIR_B
Each DIR holds executed chapter notebooks (e.g. a copy of `_build/html/_sources/chapters/` from one
build). Prints, for every notebook, the cells whose outputs differ (text, or image bytes), and exits
non-zero if any differ. Cells whose source mentions timing (`perf_counter`, `timeit`) are reported
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


def main(a: str, b: str) -> int:
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
        if [c.source for c in ca] != [c.source for c in cb]:
            print(f"{pa.name}: the sources differ; compare builds of the same commit")
            differing += 1
            continue
        diffs, timed = [], []
        for i, (x, y) in enumerate(zip(ca, cb)):
            if outputs(x) != outputs(y):
                (timed if any(t in x.source for t in TIMING) else diffs).append(i)
        status = "identical" if not diffs else f"{len(diffs)} cells differ: {diffs}"
        extra = f" (timing cells that differ, as expected: {timed})" if timed else ""
        print(f"{pa.name}: {len(ca)} code cells, {status}{extra}")
        differing += bool(diffs)
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
