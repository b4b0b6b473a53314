"""Execute every chapter headless in a live kernel, as papermill, nbval or a course autograder would.

Usage: .venv/bin/python scripts/notebooks_live.py [--mode both|whole|cells] [--timeout 60] [CHAPTER|PATH ...]

Each chapter (``chapters/NN_topic.md``, read with jupytext) runs in a fresh ``python3`` kernel with
``NNTHEORY_STATIC`` unset, so the figures with sliders are live ipywidgets, exactly as in JupyterLab:

* ``whole``: ``NotebookClient(...).execute()``, one event loop for the whole notebook;
* ``cells``: ``setup_kernel()`` and then ``execute_cell`` cell by cell (a "run all" that steps).

A run fails on any cell error, on a cell timeout (``--timeout`` seconds per cell), on an IOPub
timeout, and on a *stall*: a cell whose reply arrives only at its timeout deadline, the signature
of a client that lost its wake-up on the shell socket (see ``nntheory.viz._live``). Each run is a
child process with a hard wall-clock limit, so a client that waits forever also fails. Per-chapter
seconds are printed and written to ``_build/notebooks-live.json``. By default it runs the regression
notebook ``tests/notebooks/widget_stall.md`` (six live sliders: the reduction of that stall) and
then every chapter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGRESSION = ROOT / "tests" / "notebooks" / "widget_stall.md"
STALL_FRACTION = 0.95  # a cell that took this fraction of its timeout returned at the deadline, not before


class StallError(RuntimeError):
    """A cell whose execution reply came only at the per-cell timeout."""


def _notebook(path: Path):
    import jupytext

    return jupytext.read(path)


def _client(nb, timeout: float, cwd: Path):
    from nbclient import NotebookClient

    return NotebookClient(nb, timeout=timeout, kernel_name="python3", raise_on_iopub_timeout=True,
                          resources={"metadata": {"path": str(cwd)}})


def run_cells(path: Path, timeout: float) -> list[float]:
    """Execute a notebook cell by cell in a live kernel; return each code cell's seconds."""
    nb = _notebook(path)
    client = _client(nb, timeout, path.parent)
    seconds = []
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, i)
            seconds.append(_checked(time.perf_counter() - t0, timeout, path, i))
    return seconds


def run_whole(path: Path, timeout: float) -> list[float]:
    """Execute a notebook with one ``execute()`` call; return each code cell's seconds."""
    nb = _notebook(path)
    client = _client(nb, timeout, path.parent)
    seconds: list[float] = []
    start: dict[int, float] = {}
    client.on_cell_execute = lambda cell, cell_index: start.__setitem__(cell_index, time.perf_counter())
    client.on_cell_executed = lambda cell, cell_index, execute_reply: seconds.append(
        _checked(time.perf_counter() - start[cell_index], timeout, path, cell_index))
    client.execute()
    return seconds


def _checked(dt: float, timeout: float, path: Path, index: int) -> float:
    if dt >= STALL_FRACTION * timeout:
        raise StallError(f"{path.name}, cell {index}: the reply came after {dt:.1f} s of a {timeout:.0f} s timeout "
                         "(a stalled client: the kernel was idle, the client was not woken)")
    return dt


def _child(mode: str, path: Path, timeout: float) -> int:
    """Run one chapter one way (in this process) and print a JSON line with its timings."""
    os.environ.pop("NNTHEORY_STATIC", None)  # a live kernel: the figures with sliders are ipywidgets
    t0 = time.perf_counter()
    try:
        cells = (run_whole if mode == "whole" else run_cells)(path, timeout)
    except Exception as exc:  # noqa: BLE001 - report any failure of the run, then fail
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {str(exc)[-2000:]}"}))
        return 1
    print(json.dumps({"ok": True, "seconds": time.perf_counter() - t0, "slowest_cell": max(cells, default=0.0),
                      "cells": len(cells)}))
    return 0


def main(argv: list[str]) -> int:
    """Run the chosen chapters both ways (or one way); return non-zero if any run failed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter names such as 01_clarke (default: every chapter)")
    ap.add_argument("--mode", choices=["both", "whole", "cells"], default="both")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per cell")
    ap.add_argument("--limit", type=float, default=300.0, help="hard wall-clock seconds per chapter run")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child[0], Path(args.child[1]), args.timeout)

    names = args.chapters or [str(REGRESSION)] + sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    modes = ["whole", "cells"] if args.mode == "both" else [args.mode]
    results, failed = [], 0
    for name in names:
        path = Path(name).resolve() if name.endswith(".md") else ROOT / "chapters" / f"{name}.md"
        name = path.stem
        if not path.exists():
            print(f"no chapter {path}")
            return 2
        for mode in modes:
            cmd = [sys.executable, __file__, "--timeout", str(args.timeout), "--child", mode, str(path)]
            t0 = time.perf_counter()
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=args.limit, cwd=path.parent)
                lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
                rec = json.loads(lines[-1]) if lines else {"ok": False, "error": res.stderr[-2000:]}
            except subprocess.TimeoutExpired:
                rec = {"ok": False, "error": f"no result after {args.limit:.0f} s (the client hung)"}
            rec.update(chapter=name, mode=mode, wall=time.perf_counter() - t0)
            results.append(rec)
            if rec["ok"]:
                print(f"{name:24s} {mode:5s} {rec['seconds']:6.1f} s  (slowest cell {rec['slowest_cell']:.1f} s)")
            else:
                failed += 1
                print(f"{name:24s} {mode:5s} FAILED: {rec['error']}")
    out = ROOT / "_build" / "notebooks-live.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"{len(results) - failed} of {len(results)} live-kernel runs passed; timings in {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
