"""The course bundle read as a reader reads it: every notebook opened in a real JupyterLab, rendered and run.

Usage: .venv/bin/python scripts/lab_test.py [--student] [_build/html]

1. Takes the course bundle ``_downloads/nntheory-notebooks-<version>.zip`` of the built site (``--student``:
   the student edition's site) and unpacks it into a temporary folder.
2. Uses the virtual environment of ``scripts/bundle_test.py``: the bundle's pinned ``requirements.txt``
   (JupyterLab at the pinned version included) without ``nntheory``, created once under ``$NNTHEORY_CACHE``.
3. Starts that JupyterLab on 127.0.0.1 with the package index switched off (``PIP_NO_INDEX=1``),
   ``NNTHEORY_STATIC`` unset, notebook windowing off (every cell is in the page) and nothing fetched from the
   internet; opens each notebook in headless Chromium, which resolves no other host.
4. For every notebook it requires: every Markdown cell rendered, with hidden cells shown, and
   * 0 MathJax errors, and rendered math wherever the notebook has formulas;
   * 0 raw MyST constructs in the rendered text (roles such as ``{prf:ref}``, directive fences, ``:label:``
     lines, glue references);
   * "Run all" finishes with no error, and ``nntheory`` was installed by the first cell from the wheel beside
     the notebooks;
   * moving one slider (by keyboard, in the live ipywidgets) changes its figure, where the notebook has one.
5. Saves a screenshot of each notebook's first screen to ``_build/screenshots/lab/``.
Exits non-zero if any requirement fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

from browser_test import make_driver  # a sibling script: Python puts this script's folder first on its path
from bundle_test import _pins, cached_env

ROOT = Path(__file__).resolve().parents[1]

RAW_MYST = re.compile(r"\{(prf|glue|cite|doc|ref|eq|numref|numref|math|exercise|solution|admonition|check-derivation|"
                      r"code-cell|dropdown|figure|note|warning)(:[a-z-]+)?\}|^\s*:label:|^\s*:::|^\s*```\s*\{",
                      re.M)
TIMEOUT_RUN = 600  # seconds for "Run all" of one notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(env: Path, folder: Path, settings: Path) -> tuple[subprocess.Popen, str]:
    """JupyterLab of ``env`` serving ``folder`` on loopback, offline, windowing off; (process, base URL)."""
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = settings / "@jupyterlab" / "apputils-extension"  # no "get notified about Jupyter news?" prompt
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port = _free_port()
    run_env = {k: v for k, v in os.environ.items() if k not in ("NNTHEORY_STATIC", "PYTHONPATH", "VIRTUAL_ENV")}
    run_env.update(PIP_NO_INDEX="1", PATH=f"{env / 'bin'}:{os.environ.get('PATH', '')}",
                   JUPYTER_CONFIG_DIR=str(settings.parent / "config"), JUPYTER_RUNTIME_DIR=str(settings.parent / "rt"))
    cmd = [str(env / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={folder}", f"--LabApp.user_settings_dir={settings}",
           f"--LabServerApp.user_settings_dir={settings}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--LabApp.collaborative=False", "--allow-root"]
    proc = subprocess.Popen(cmd, cwd=folder, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "api/status", timeout=2)
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {proc.stderr.read()[-3000:]}")
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("JupyterLab did not start in 60 s")


OPEN_JS = """
const done = arguments[arguments.length - 1];
(async () => {
  const t0 = Date.now();
  while (!window.jupyterapp || !window.jupyterapp.shell || !window.jupyterapp.shell.currentWidget
         || !window.jupyterapp.shell.currentWidget.content || !window.jupyterapp.shell.currentWidget.content.widgets) {
    if (Date.now() - t0 > 60000) { done({error: 'the notebook did not open'}); return; }
    await new Promise(r => setTimeout(r, 250));
  }
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.revealed;
  const nb = panel.content;
  while (nb.widgets.length === 0) await new Promise(r => setTimeout(r, 100));
  for (const cell of nb.widgets) { if (cell.model.type === 'markdown') cell.rendered = true; }
  await Promise.all(nb.widgets.map(c => c.ready));
  done({cells: nb.widgets.length});
})().catch(e => done({error: String(e)}));
"""

UNHIDE_JS = """
const nb = window.jupyterapp.shell.currentWidget.content;
for (const cell of nb.widgets) {
  cell.inputHidden = false;
  if (cell.model.type === 'code') cell.outputHidden = false;
  if (cell.model.type === 'markdown') cell.rendered = true;
}
return nb.widgets.length;
"""

COUNT_JS = """
const nb = window.jupyterapp.shell.currentWidget.content;
const md = nb.widgets.filter(c => c.model.type === 'markdown');
const notRendered = md.filter(c => !c.rendered).length;
const texts = md.map(c => { const n = c.node.querySelector('.jp-RenderedMarkdown'); return n ? n.innerText : ''; });
const sources = md.map(c => c.model.sharedModel.getSource());
const tex = sources.filter(s => /\\$/.test(s)).length;
return {notRendered: notRendered, errors: nb.node.querySelectorAll('mjx-merror').length,
        math: nb.node.querySelectorAll('mjx-container').length, mdWithTex: tex,
        texts: texts, rawDollar: texts.filter(t => /\\$[^$\\n]{1,80}\\$/.test(t)).length};
"""

THEOREM_JS = """
const nb = window.jupyterapp.shell.currentWidget.content.node;
const q = Array.from(nb.querySelectorAll('.jp-RenderedMarkdown blockquote'))
  .find(b => /^(Theorem|Lemma|Proposition|Corollary|Definition)\s/.test(b.innerText.trim()));
if (!q) return false;
q.scrollIntoView({block: 'start'});
return true;
"""

RUN_JS = """
const done = arguments[arguments.length - 1];
const app = window.jupyterapp;
const panel = app.shell.currentWidget;
(async () => {
  await panel.sessionContext.ready;
  const ok = await app.commands.execute('notebook:run-all-cells');
  const errors = [];
  const pending = [];
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    if (cell.model.executionCount === null && cell.model.sharedModel.getSource().trim()) pending.push(i);
    const outs = cell.model.outputs.toJSON();
    for (const o of outs) if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
  });
  done({ok: ok, errors: errors, pending: pending});
})().catch(e => done({ok: false, errors: [String(e)], pending: []}));
"""

SLIDER_JS = """
const nb = window.jupyterapp.shell.currentWidget.content.node;
const handles = Array.from(nb.querySelectorAll('.widget-slider .noUi-handle, .widget-slider input[type=range]'));
if (!handles.length) return null;
const h = handles[0];
let box = h.closest('.jp-OutputArea') || h.closest('.jp-Cell');
const img = box ? box.querySelector('.widget-html img, .widget-image, img') : null;
h.scrollIntoView({block: 'center'});
return {index: handles.indexOf(h), src: img ? (img.getAttribute('src') || '').slice(-200) : null};
"""

SRC_JS = """
const nb = window.jupyterapp.shell.currentWidget.content.node;
const h = Array.from(nb.querySelectorAll('.widget-slider .noUi-handle, .widget-slider input[type=range]'))[0];
let box = h.closest('.jp-OutputArea') || h.closest('.jp-Cell');
const img = box ? box.querySelector('.widget-html img, .widget-image, img') : null;
return img ? (img.getAttribute('src') || '').slice(-200) : null;
"""


def check_notebook(driver, base: str, name: str, shots: Path, edition: str) -> tuple[list[str], dict]:
    """Open, read, run and move one slider of a notebook; return its problems and some counts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    problems: list[str] = []
    driver.get(f"{base}lab/tree/{name}?reset")
    opened = driver.execute_async_script(OPEN_JS)
    if "error" in opened:
        return [f"{name}: {opened['error']}"], {}
    def settle() -> dict:
        counts: dict = {}
        for _ in range(120):  # MathJax typesets asynchronously: wait until the count of formulas is stable
            time.sleep(1.0)
            now = driver.execute_script(COUNT_JS)
            if now["notRendered"] == 0 and counts and now["math"] == counts.get("math") and now["math"] > 0:
                break
            counts = now
        return driver.execute_script(COUNT_JS)

    # as the reader first meets it (hidden cells collapsed): the first screen and the first theorem-like block
    settle()
    driver.save_screenshot(str(shots / f"{edition}-{Path(name).stem}.png"))
    if driver.execute_script(THEOREM_JS):
        time.sleep(1.0)
        driver.save_screenshot(str(shots / f"{edition}-{Path(name).stem}-theorem.png"))
    # then every cell shown (collapsed derivations and notes included), to read all of it
    driver.execute_script(UNHIDE_JS)
    counts = settle()
    if counts["notRendered"]:
        problems.append(f"{name}: {counts['notRendered']} Markdown cells did not render")
    if counts["errors"]:
        problems.append(f"{name}: {counts['errors']} MathJax errors")
    if counts["mdWithTex"] and not counts["math"]:
        problems.append(f"{name}: the notebook has formulas but no rendered math")
    raw = [m.group(0) for t in counts["texts"] for m in RAW_MYST.finditer(t)]
    if raw:
        problems.append(f"{name}: {len(raw)} raw MyST constructs in the rendered text, e.g. {raw[:5]}")
    if counts["rawDollar"]:
        problems.append(f"{name}: {counts['rawDollar']} Markdown cells show unrendered $...$")
    t0 = time.perf_counter()
    run = driver.execute_async_script(RUN_JS)
    seconds = time.perf_counter() - t0
    if run["errors"] or not run["ok"] or run["pending"]:
        problems.append(f"{name}: Run all failed: {run['errors'][:3]}, cells not run: {run['pending'][:5]}")
    moved = None
    slider = driver.execute_script(SLIDER_JS)
    if slider is not None:
        handles = driver.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle, .widget-slider input[type=range]")
        before = slider["src"]
        handles[0].click()
        handles[0].send_keys(Keys.ARROW_RIGHT)
        moved = False
        for _ in range(60):
            time.sleep(0.5)
            if driver.execute_script(SRC_JS) != before:
                moved = True
                break
        if not moved:
            problems.append(f"{name}: moving the first slider did not change its figure")
    return problems, {"math": counts["math"], "run_s": round(seconds, 1), "slider": moved}


def main(argv: list[str]) -> int:
    student = "--student" in argv
    args = [a for a in argv if not a.startswith("--")]
    site = Path(args[0] if args else ROOT / ("_build/student/_build/html" if student else "_build/html")).resolve()
    edition = "student" if student else "full"
    bundles = sorted((site / "_downloads").glob("nntheory-notebooks-*.zip"))
    if len(bundles) != 1:
        print(f"expected one course bundle in {site / '_downloads'}, found {[b.name for b in bundles]}")
        return 2
    shots = ROOT / "_build" / "screenshots" / "lab"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with zipfile.ZipFile(bundles[0]) as z, tempfile.TemporaryDirectory(prefix="nnt-lab-") as tmp:
        env = cached_env(_pins(z))
        subprocess.run([str(env / "bin" / "python"), "-m", "pip", "uninstall", "--quiet", "-y", "nntheory"],
                       capture_output=True)
        z.extractall(tmp)
        folder = next(p for p in Path(tmp).iterdir() if p.is_dir())
        notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
        proc, base = start_lab(env, folder, Path(tmp) / "settings")
        driver = make_driver(str(Path(tmp) / "profile"))
        driver.set_script_timeout(TIMEOUT_RUN)
        try:
            for name in notebooks:
                bad, info = check_notebook(driver, base, name, shots, edition)
                problems += bad
                print(f"{'FAIL' if bad else 'ok  '} {edition:7s} {name:28s} formulas {info.get('math', 0):5d}  "
                      f"run all {info.get('run_s', 0):6.1f} s  slider {info.get('slider')}")
        finally:
            driver.quit()
            proc.terminate()
            proc.wait(timeout=30)
        py = str(env / "bin" / "python")
        origin = subprocess.run([py, "-c", "import importlib.metadata as m, json; d = m.distribution('nntheory'); "
                                 "print(json.loads(d.read_text('direct_url.json') or '{}').get('url', ''))"],
                                capture_output=True, text=True).stdout.strip()
        subprocess.run([py, "-m", "pip", "uninstall", "--quiet", "-y", "nntheory"], capture_output=True)
        if not origin.startswith(folder.resolve().as_uri()):
            problems.append(f"nntheory came from {origin or 'nowhere'}, not from the wheel in the bundle")
    for p in problems:
        print("   ", p)
    print(f"{len(notebooks)} notebooks of {bundles[0].name} ({edition} edition) opened in JupyterLab: "
          f"{'all good' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
