"""The course bundle works outside this repository: a fresh environment, no package index, every chapter runs.

Usage: .venv/bin/python scripts/bundle_test.py [_build/html]

1. Takes ``_downloads/nntheory-notebooks-<version>.zip`` from the built site.
2. Uses a virtual environment that has the book's third-party requirements (the bundle's pinned
   ``requirements.txt``) but not ``nntheory``: created once under ``$NNTHEORY_CACHE`` (default
   ``~/.cache/nntheory``), keyed by those pins, and reused by later runs (seconds, not minutes).
3. Unzips the bundle into a temporary folder and, with the package index switched off
   (``PIP_NO_INDEX=1``) and ``NNTHEORY_STATIC`` unset, executes every notebook headless in a live
   kernel of that environment (nbclient, 120 s per cell).
4. Passes if every cell of every notebook ran and ``nntheory`` was installed by the first cell, from
   the wheel beside the notebooks; then uninstalls it again, so the cached environment stays clean.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ["nbclient", "nbformat"]  # what this script needs inside the test environment to run notebooks


def cached_env(requirements: list[str]) -> Path:
    """A venv with ``requirements`` and the notebook runner, made once per set of pins."""
    key = hashlib.sha256("\n".join(sorted(requirements) + TOOLS).encode()).hexdigest()[:12]
    home = Path(os.environ.get("NNTHEORY_CACHE", Path.home() / ".cache" / "nntheory"))
    env = home / f"bundle-venv-{key}"
    stamp = env / ".complete"
    if not stamp.exists():
        print(f"creating the test environment {env} (once; later runs reuse it)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True)
        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        for args in (["--upgrade", "pip"], requirements + TOOLS):
            res = subprocess.run(pip + args, capture_output=True, text=True)
            if res.returncode != 0:
                raise RuntimeError(f"pip install {' '.join(args)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
        stamp.write_text("\n".join(requirements))
    return env


def _pins(bundle: zipfile.ZipFile) -> list[str]:
    name = next(n for n in bundle.namelist() if n.endswith("/requirements.txt"))
    lines = [ln.strip() for ln in bundle.read(name).decode().splitlines()]
    # the third-party requirements only (JupyterLab included, for scripts/lab_test.py): not nntheory's wheel, which
    # the notebooks' first cells must install
    return [ln for ln in lines if ln and not ln.startswith("#") and not ln.endswith(".whl")]


def _child(folder: Path) -> int:
    """Inside the test environment: run every notebook of the unpacked bundle; print a JSON line."""
    import importlib.metadata as md

    import nbformat
    from nbclient import NotebookClient

    results = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3", raise_on_iopub_timeout=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        results.append({"notebook": path.name, "seconds": round(time.perf_counter() - t0, 1)})
    dist = md.distribution("nntheory")
    origin = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    print(json.dumps({"results": results, "version": dist.version, "origin": origin}))
    return 0


def main(argv: list[str]) -> int:
    """Build (or reuse) the environment, unpack the bundle, run it offline; non-zero exit on failure."""
    if argv[:1] == ["--child"]:
        return _child(Path(argv[1]))
    site = Path(argv[0] if argv else ROOT / "_build" / "html").resolve()
    bundles = sorted((site / "_downloads").glob("nntheory-notebooks-*.zip"))
    if len(bundles) != 1:
        print(f"expected one course bundle in {site / '_downloads'}, found {[b.name for b in bundles]}")
        return 2
    with zipfile.ZipFile(bundles[0]) as z:
        env = cached_env(_pins(z))
        py = str(env / "bin" / "python")
        subprocess.run([py, "-m", "pip", "uninstall", "--quiet", "-y", "nntheory"], capture_output=True)
        with tempfile.TemporaryDirectory(prefix="nnt-bundle-") as tmp:
            z.extractall(tmp)
            folder = next(Path(tmp).iterdir())
            run_env = {k: x for k, x in os.environ.items() if k not in ("NNTHEORY_STATIC", "PYTHONPATH", "VIRTUAL_ENV")}
            run_env.update(PIP_NO_INDEX="1", PATH=f"{env / 'bin'}:{os.environ.get('PATH', '')}")
            t0 = time.perf_counter()
            res = subprocess.run([py, __file__, "--child", str(folder)], capture_output=True, text=True, env=run_env,
                                 cwd=folder)
            subprocess.run([py, "-m", "pip", "uninstall", "--quiet", "-y", "nntheory"], capture_output=True)
            lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
            if res.returncode != 0 or not lines:
                print(f"FAILED: the bundle's notebooks did not all run:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
                return 1
            out = json.loads(lines[-1])
            wheel_dir = folder.resolve().as_uri()
    for r in out["results"]:
        print(f"ok   {r['notebook']:28s} {r['seconds']:6.1f} s")
    if not out["origin"].startswith(wheel_dir):
        print(f"FAILED: nntheory came from {out['origin'] or 'an unknown place'}, not from the wheel in the bundle")
        return 1
    print(f"{len(out['results'])} notebooks of {bundles[0].name} ran in a fresh environment with no package index "
          f"in {time.perf_counter() - t0:.0f} s; nntheory {out['version']} was installed by their first cell from "
          "the wheel beside them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
