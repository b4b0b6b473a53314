"""Notebooks that run anywhere: a set-up first cell, the package wheel, and an offline course bundle.

After an HTML build this extension

* builds the wheel of ``src/nntheory`` (``_build/html/_downloads/nntheory-<version>-py3-none-any.whl``,
  offline: ``pip wheel --no-build-isolation`` on a copy of the project, with a fixed timestamp);
* puts a short set-up cell first in every chapter notebook the site offers for download
  (``_sources/chapters/*.ipynb``): if ``nntheory`` at this book's version is not importable it
  installs it from the wheel beside the notebook, else from the wheel the published site hosts
  (``html_baseurl``), else from PyPI; the MyST sources never contain it and the book's own build never runs it;
* writes the course bundle ``_downloads/nntheory-notebooks-<version>.zip``: every chapter notebook
  (with the set-up cell, without outputs), the wheel, a ``requirements.txt`` pinned to the versions
  this book was built with, and a README with the two commands that set up a venv and open JupyterLab.

The version comes from ``pyproject.toml`` and is offered to pages as the substitution
``{{ nntheory_version }}``; the directive ``notebook-downloads`` links the bundle and the wheel.
"""

from __future__ import annotations

import copy
import importlib.metadata as md
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
SETUP_TAG = "nntheory-setup"
# what a reader's environment needs beside nntheory itself (the wheel declares the same), pinned in the bundle
RUNTIME = ["numpy", "scipy", "matplotlib", "scikit-learn", "threadpoolctl", "torch", "ipywidgets", "ipykernel"]
JUPYTERLAB = "4.6.6"  # the JupyterLab the bundle pins, and the one scripts/lab_test.py reads the notebooks in
EPOCH = "315532800"  # 1980-01-01: zip timestamps, so two builds give the same wheel and bundle


def project_root(app: Sphinx) -> Path | None:
    """The folder holding the package's ``pyproject.toml`` (the book's folder or a parent), or None."""
    for folder in (Path(app.srcdir), *Path(app.srcdir).parents):
        if (folder / "pyproject.toml").exists() and (folder / "src" / "nntheory").is_dir():
            return folder
    return None


def version(app: Sphinx) -> str:
    """The package version declared in ``pyproject.toml`` (outside the repository: the installed package's)."""
    root = project_root(app)
    if root is None:
        return md.version("nntheory")
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def book_title(config) -> str:
    """The book's title (``title`` in ``_config.yml``; Jupyter Book passes it to Sphinx as ``html_title``)."""
    return config.html_title or config.project


def wheel_name(ver: str) -> str:
    return f"nntheory-{ver}-py3-none-any.whl"


def bundle_name(ver: str) -> str:
    return f"nntheory-notebooks-{ver}.zip"


def setup_cell_source(ver: str, baseurl: str) -> str:
    """The code of the set-up cell (short: a reader sees it once per notebook)."""
    remote = ([f"nntheory[live] @ {baseurl.rstrip('/')}/_downloads/{wheel_name(ver)}"] if baseurl else []) \
        + [f"nntheory[live]=={ver}"]
    return f'''# Set-up: this chapter needs the book's package nntheory {ver}. Inside the book's repository (or after
# `pip install -r requirements.txt` from the course bundle) it is already there and this cell does nothing.
# Otherwise it installs it: from the wheel beside this notebook, else from the book's site, else from PyPI;
# pip also installs what nntheory needs and your environment lacks (numpy, scipy, matplotlib, scikit-learn,
# torch, ipywidgets) from your usual package index. On Colab torch is already installed.
import importlib, importlib.metadata, subprocess, sys
from pathlib import Path

NNTHEORY, WHEEL = "{ver}", "{wheel_name(ver)}"
try:
    installed = importlib.metadata.version("nntheory")
except importlib.metadata.PackageNotFoundError:
    installed = None
if installed != NNTHEORY:
    sources = [f"./{{WHEEL}}[live]"] if Path(WHEEL).exists() else {remote!r}
    for source in sources:
        print(f"installing nntheory {{NNTHEORY}} from {{source}} ...")
        if subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source]).returncode == 0:
            break
    else:
        raise RuntimeError(f"could not install nntheory {{NNTHEORY}} from {{sources}}; see the book's README")
    importlib.invalidate_caches()
print("nntheory", importlib.metadata.version("nntheory"))'''


def with_setup_cell(nb: nbformat.NotebookNode, ver: str, baseurl: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose first cell is the set-up cell (replacing an earlier one)."""
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if SETUP_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(setup_cell_source(ver, baseurl))
    cell.metadata = {"tags": [SETUP_TAG, "hide-input"], "jupyter": {"source_hidden": True}, "collapsed": True}
    cell.pop("id", None)
    out.cells.insert(0, cell)
    for i, c in enumerate(out.cells):  # deterministic cell ids (nbformat 4.5)
        c["id"] = f"cell-{i}"
    out.nbformat, out.nbformat_minor = 4, max(out.get("nbformat_minor", 5), 5)
    return out


def build_wheel(app: Sphinx, dest: Path, ver: str) -> Path:
    """``pip wheel`` of a copy of the project (no network, no build/ folder left in the repository)."""
    root = project_root(app)
    with tempfile.TemporaryDirectory(prefix="nnt-wheel-") as tmp:
        proj = Path(tmp) / "project"
        proj.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).exists():
                shutil.copy(root / name, proj / name)
        shutil.copytree(root / "src", proj / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PIP_NO_INDEX="1")
        res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                              "-w", str(dest), str(proj)], capture_output=True, text=True, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"building the nntheory wheel failed:\n{res.stdout}\n{res.stderr}")
    return dest / wheel_name(ver)


def pinned_requirements(wheel: str) -> str:
    """``requirements.txt`` for the bundle: the runtime packages at the versions this build used."""
    lines = ["# The versions this book was built with. Install with:  pip install -r requirements.txt",
             "# (torch: the CPU build is enough; with a GPU install your CUDA build of the same version first)"]
    for name in RUNTIME:
        try:
            lines.append(f"{name}=={md.version(name).split('+')[0]}")
        except md.PackageNotFoundError:
            lines.append(name)
    lines += [f"jupyterlab=={JUPYTERLAB}", f"./{wheel}"]
    return "\n".join(lines) + "\n"


BUNDLE_README = """# {title}: notebooks (nntheory {ver})

Every chapter of the book as a Jupyter notebook, the book's package `nntheory` as a wheel
(`{wheel}`), and the versions the book was built with (`requirements.txt`).
Each notebook's first cell installs `nntheory` from the wheel beside it if it is missing.

On a machine with Python 3.11 and access to a package index (PyPI or a mirror), in this folder:

```bash
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/jupyter lab
```

With no network at all (a computer room): on a machine with network, with the same Python
version and platform, download everything once into a folder that you copy along:

```bash
pip download -r requirements.txt -d wheelhouse
```

and install with `.venv/bin/pip install --no-index --find-links wheelhouse -r requirements.txt`.
"""


def write_bundle(outdir: Path, notebooks: list[Path], wheel: Path, ver: str, title: str) -> Path:
    """The course bundle: notebooks without outputs, the wheel, requirements.txt and a README."""
    target = outdir / "_downloads" / bundle_name(ver)
    folder = f"nntheory-notebooks-{ver}"
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            z.writestr(info, data)

        for path in sorted(notebooks):
            nb = nbformat.read(path, as_version=4)
            for c in nb.cells:
                if c.cell_type == "code":
                    c.outputs, c.execution_count = [], None
            add(path.name, nbformat.writes(nb).encode())
        add(wheel.name, wheel.read_bytes())
        add("requirements.txt", pinned_requirements(wheel.name).encode())
        add("README.md", BUNDLE_README.format(title=title, ver=ver, wheel=wheel.name).encode())
    return target


def _finish(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html" or not app.config.nntheory_bundle or project_root(app) is None:
        return  # a throwaway book outside the repository (tests, build_subset) has no package to bundle
    out = Path(app.outdir)
    chapters = sorted((out / "_sources" / "chapters").glob("*.ipynb"))
    if not chapters:
        return
    ver = version(app)
    downloads = out / "_downloads"
    downloads.mkdir(exist_ok=True)
    wheel = build_wheel(app, downloads, ver)
    from nntheory_editions import is_student, strip_solutions  # _ext is on sys.path (local_extensions)

    for path in chapters:
        nb = nbformat.read(path, as_version=4)
        if is_student(app.config):
            nb = strip_solutions(nb)
        nb = with_setup_cell(nb, ver, app.config.html_baseurl or "")
        nbformat.validate(nb)
        path.write_text(nbformat.writes(nb))
    bundle = write_bundle(out, chapters, wheel, ver, book_title(app.config))
    logger.info(f"notebooks: set-up cell in {len(chapters)} downloads; {wheel.name} and {bundle.name} in _downloads/")


class NotebookDownloads(SphinxDirective):
    """``notebook-downloads``: links to the course bundle and the wheel of this version."""

    def run(self) -> list[nodes.Node]:
        ver = version(self.env.app)
        prefix = "../" * self.env.docname.count("/")
        para = nodes.paragraph()
        para += nodes.Text("Download all chapters as notebooks, with the package, for a course or a laptop: ")
        para += nodes.reference("", bundle_name(ver), refuri=f"{prefix}_downloads/{bundle_name(ver)}",
                                classes=["nnt-bundle"])
        para += nodes.Text("; the package alone: ")
        para += nodes.reference("", wheel_name(ver), refuri=f"{prefix}_downloads/{wheel_name(ver)}")
        para += nodes.Text(".")
        return [para]


def _colab_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    """Point the theme's Colab button at the generated notebook (with its set-up cell) on the notebooks branch.

    Colab opens only ``.ipynb`` files from a repository; the MyST sources are ``.md``. The release workflow
    publishes ``_build/html/_sources/chapters/*.ipynb`` to the branch ``nntheory_notebooks_branch``.
    """
    branch = app.config.nntheory_notebooks_branch
    repo = (app.config.html_theme_options or {}).get("repository_url", "").rstrip("/")
    if not branch or "github.com/" not in repo or not pagename.startswith("chapters/"):
        return
    org_repo = repo.split("github.com/", 1)[1]
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab":
                button["url"] = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{pagename}.ipynb"


def _substitutions(app: Sphinx, config) -> None:
    subs = dict(getattr(config, "myst_substitutions", {}) or {})
    subs.setdefault("nntheory_version", version(app))
    config.myst_substitutions = subs


def setup(app: Sphinx) -> dict:
    """Register the config value, the directive and the post-build step."""
    app.add_config_value("nntheory_bundle", True, "env")
    app.add_config_value("nntheory_notebooks_branch", "", "html")
    app.add_directive("notebook-downloads", NotebookDownloads)
    app.connect("config-inited", _substitutions)
    app.connect("build-finished", _finish)
    app.connect("html-page-context", _colab_button, priority=600)  # after the theme's launch buttons (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
