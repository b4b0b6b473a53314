"""`make bench`: time each chapter's execution and the whole book build; write figures to benchmarks/results/.

Topic benchmarks live beside this file as `bench_<topic>.py`, each defining `run(out: Path) -> dict`;
their results are merged into `benchmarks/results/bench.json`.

Timings are written, never asserted: a slow machine must not fail the tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
BUDGET_S = 60.0


def chapter_times() -> dict[str, float]:
    """Execute every chapter in a fresh kernel and return wall-clock seconds per chapter."""
    times = {}
    for path in sorted((ROOT / "chapters").glob("*.md")):
        nb = jupytext.read(path)
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        client.execute()
        times[path.stem] = time.perf_counter() - t0
        print(f"{path.stem:28s} {times[path.stem]:7.1f} s", flush=True)
    return times


def build_time() -> float:
    """Seconds for a full `jupyter-book build` (every notebook executed)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    t0 = time.perf_counter()
    subprocess.run([str(jb), "build", str(ROOT), "--all", "--builder", "html", "-q"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _preview() -> float:
    """Seconds for one `make preview` (scripts/preview.py); fails loudly if the build fails."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "preview.py")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _edited(path: Path, suffix: str):
    """Context manager: ``path`` with ``suffix`` appended, restored afterwards byte for byte."""
    import contextlib

    @contextlib.contextmanager
    def cm():
        original = path.read_bytes()
        try:
            path.write_bytes(original + suffix.encode())
            yield
        finally:
            path.write_bytes(original)

    return cm()


def preview_times(full: float) -> dict:
    """The preview after no change, after a prose edit of one chapter, and after an edit of src/, vs the full build."""
    _preview()  # warm: the cache holds every chapter for the current inputs
    chapter = sorted((ROOT / "chapters").glob("*.md"))[0]
    results = {"no change": _preview()}
    with _edited(chapter, "\n<!-- preview benchmark: a prose edit -->\n"):
        results["one chapter edited"] = _preview()
    with _edited(ROOT / "src" / "nntheory" / "viz.py", "\n# preview benchmark: an edit of src/\n"):
        results["src/ edited"] = _preview()
    _preview()  # back to the committed inputs
    out = {k: {"seconds": round(v, 1), "fraction_of_full_build": round(v / full, 3)} for k, v in results.items()}
    out["full build seconds"] = round(full, 1)
    for k, v in results.items():
        print(f"preview, {k:20s} {v:7.1f} s  ({v / full:.0%} of the full build)")
    return out


def main() -> None:
    """Run the benchmarks, then write results JSON and a bar chart."""
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NNTHEORY_STATIC", "1")
    times = chapter_times()
    total = build_time()
    print(f"{'whole build':28s} {total:7.1f} s")
    preview = preview_times(total)
    (OUT / "preview.json").write_text(json.dumps(preview, indent=2))
    extra = {}
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        # each topic benchmark is a module with run() -> dict of JSON-able results (and may save figures to OUT)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        extra[script.stem] = module.run(OUT)
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "chapter_seconds": times,
        "build_seconds": total,
        "preview": preview,
        "budget_seconds_per_chapter": BUDGET_S,
        **extra,
    }
    (OUT / "bench.json").write_text(json.dumps(result, indent=2))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(times) + 1.5))
    names = list(times)
    ax.barh(names, [times[n] for n in names], color="#0072B2")
    ax.axvline(BUDGET_S, color="#D55E00", ls="--", label=f"budget {BUDGET_S:.0f} s")
    ax.invert_yaxis()
    ax.set_xlabel("execution time (s)")
    ax.set_title(f"Chapter execution times (whole build {total:.0f} s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "chapter_times.png", dpi=120, facecolor="white")
    print(f"wrote {OUT / 'bench.json'} and {OUT / 'chapter_times.png'}")


if __name__ == "__main__":
    main()
