"""Tests of the book's build helpers: the LaTeX macro bridge and the browser test's link checker."""

import importlib.util
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_latex_macros_cover_every_mathjax_macro():
    ext = _load(ROOT / "_ext" / "nntheory_book.py")
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    macros = cfg["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    tex = ext.latex_macros(macros)
    for name in macros:
        assert f"\\providecommand{{\\{name}}}" in tex
    assert "\\providecommand{\\ip}[2]{\\langle #1, #2 \\rangle}" in tex
    assert ext.latex_macros({"R": "\\mathbb{R}"}).splitlines()[0] == "\\providecommand{\\R}{\\mathbb{R}}"


def test_link_checker_finds_missing_files_and_anchors(tmp_path):
    bt = _load(ROOT / "scripts" / "browser_test.py")
    (tmp_path / "a.html").write_text('<html><body><h1 id="top">A</h1></body></html>')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("<html></html>")
    base = "http://127.0.0.1:1/"
    hrefs = [base + "a.html#top", base + "sub/", base + "a.html#nope", base + "missing.html", "https://example.org/x"]
    bad = bt.check_links(tmp_path, base, base + "a.html", hrefs)
    assert len(bad) == 2
    assert any("broken anchor" in b and "#nope" in b for b in bad)
    assert any("missing.html" in b for b in bad)


def test_stream_merging_does_not_touch_the_notebook():
    # myst-nb merges a cell's stream chunks for display; our wrapper must leave the notebook's own
    # outputs (written to the .ipynb download) as they were, so no printed line is repeated
    from nbformat.v4 import new_output

    ext = _load(ROOT / "_ext" / "nntheory_book.py")
    outs = [new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n")]
    merged = ext._coalesce_streams_copy(outs)
    assert [o["text"] for o in merged] == ["a\nb\n"]
    assert [o["text"] for o in outs] == ["a\n", "b\n"]


def test_setup_cell_is_valid_python_first_and_idempotent():
    ext = _load(ROOT / "_ext" / "nntheory_notebooks.py")
    src = ext.setup_cell_source("9.9.9", "https://example.org/book/")
    compile(src, "setup-cell", "exec")
    assert "nntheory[live] @ https://example.org/book/_downloads/nntheory-9.9.9-py3-none-any.whl" in src
    assert "nntheory[live]==9.9.9" in src and "./{WHEEL}[live]" in src
    assert "https://" not in ext.setup_cell_source("9.9.9", "")  # no site: wheel beside, then PyPI only
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("x = 1")])
    once = ext.with_setup_cell(nb, "9.9.9", "")
    twice = ext.with_setup_cell(once, "9.9.9", "")
    assert [c.source for c in once.cells] == [c.source for c in twice.cells]  # one set-up cell, first
    assert once.cells[0].metadata["tags"] == ["nntheory-setup", "hide-input"]
    assert once.cells[1].source == "x = 1" and nb.cells[0].source == "x = 1" and len(nb.cells) == 1


def test_bundle_requirements_pin_the_build_environment():
    import importlib.metadata as md

    ext = _load(ROOT / "_ext" / "nntheory_notebooks.py")
    req = ext.pinned_requirements("nntheory-9.9.9-py3-none-any.whl").splitlines()
    assert f"numpy=={md.version('numpy')}" in req
    assert any(r.startswith("torch==") and "+" not in r for r in req)
    assert req[-1] == "./nntheory-9.9.9-py3-none-any.whl"


def _prose_lines(text: str):
    """(line number, line) of a MyST chapter's prose: outside code cells, code fences and $$ blocks.

    Directive fences other than code cells (```{prf:theorem}, ```{exercise}, ...) hold prose: only their
    fence lines are skipped.
    """
    stack: list[bool] = []  # open ``` fences: True for code, False for a directive holding prose
    display = False
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            if stripped.rstrip("`") == "" and stack:
                stack.pop()  # a closing fence
            else:
                stack.append(not stripped.startswith("```{") or stripped.startswith("```{code-cell}"))
            continue
        if any(stack):
            continue
        if stripped == "$$" or (stripped.startswith("$$") and not stripped.endswith("$$", 2)):
            display = not display
            continue
        if not display:
            yield i, line


def test_no_list_marker_inside_inline_math():
    # A prose line that starts with "- " or "+ " while an inline $...$ is still open becomes a Markdown list
    # item, and the formula's TeX is shown raw (this hid in collapsed notes, out of the browser test's sight).
    problems = []
    for md in sorted((ROOT / "chapters").glob("*.md")):
        open_math = False
        for i, line in _prose_lines(md.read_text()):
            if open_math and line.lstrip().startswith(("- ", "+ ")):
                problems.append(f"{md.name}:{i}: {line.strip()[:60]}")
            dollars = line.replace("$$", "").replace("\\$", "").count("$")
            open_math = open_math ^ (dollars % 2 == 1) if line.strip() else False
    assert not problems, problems


def _checkblocks():
    sys.path.insert(0, str(ROOT / "_ext"))  # the extensions import each other as Sphinx loads them
    try:
        return _load(ROOT / "_ext" / "nntheory_checkblocks.py")
    finally:
        sys.path.remove(str(ROOT / "_ext"))


def test_check_cells_hold_checks_and_tolerances_only():
    cb = _checkblocks()
    ok = ("tol = 2 * n * U_ROUND * np.max(abs_out)\n"
          "for k in range(3):\n    checks.check_le(f'layer {k}', err[k], tol, kind='round-off')\n"
          "checks.check_close('rate', slope, 0.5, 0.01, kind='asymptotic');")
    assert cb.check_cell_problems(ok) == []
    assert any("print" in p for p in cb.check_cell_problems("print(x)\nchecks.check_le('a', 1, 2, kind='exact')"))
    assert any("expression" in p for p in cb.check_cell_problems("x\nchecks.check_le('a', 1, 2, kind='exact')"))
    assert any("Import" in p for p in cb.check_cell_problems("import numpy\nchecks.check_le('a', 1, 2, kind='exact')"))
    assert any("viz" in p for p in cb.check_cell_problems("f = viz.figure()\nchecks.check_le('a', 1, 2, kind='exact')"))
    assert any("FunctionDef" in p for p in cb.check_cell_problems("def f():\n    pass\nchecks.check_le('a', 1, 2, kind='exact')"))
    assert cb.check_cell_problems("tol = 1e-3") == ["it calls no checks.* function"]


def test_calls_to_checks_are_found_anywhere_in_a_cell():
    cb = _checkblocks()
    assert cb.calls_checks("x = 1\nif x:\n    checks.check_le('a', x, 2, kind='exact')")
    assert cb.calls_checks("y = [check_le('a', 1, 2, kind='exact')]")
    assert not cb.calls_checks("from nntheory import checks\nprint(checks.TIGHT)")
    assert not cb.calls_checks("%matplotlib inline\nx = 1")


PAGE = """<html><body><article>
<p>The theorem holds. The check below confirms it. The check confirms it again. This check confirms it thrice.</p>
<div class="cell docutils container"><div class="cell_input"><pre>x = run()</pre></div></div>
<div class="cell tag_check nnt-check" id="check-1"><ul class="nnt-check-results"><li>ok</li></ul>
<details class="nnt-check-audit"><summary>Code</summary><div class="nnt-check-derivation">why</div>
<div class="cell_input"><pre>checks.check_le('a', x, tol, kind="exact")</pre></div></details></div>
{extra}
</article></body></html>"""


def test_page_test_counts_what_a_reader_meets_with_nothing_expanded():
    pt = _load(ROOT / "scripts" / "page_test.py")
    page = pt.measure(PAGE.format(extra=""))
    assert (page.code, page.check_code, page.notes, len(page.announcing)) == (1, 0, 0, 3)
    assert page.words == 18 and page.problems == []
    assert len(pt.verdict(page)) == 1 and "3 sentences announce checks" in pt.verdict(page)[0]
    visible = pt.measure(PAGE.format(extra='<div class="cell"><div class="cell_input"><pre>tol = 1\n'
                                           'checks.check_le("a", 1, tol)</pre></div></div>'))
    assert visible.check_code == 2 and any("check code visible" in v for v in pt.verdict(visible))
    apart = pt.measure(PAGE.format(extra='<div class="nnt-check-derivation">why, alone</div>'
                                         '<details class="dropdown admonition"><summary>How this is checked</summary>'
                                         '</details>'))
    assert "a derivation outside its check block" in apart.problems
    assert "a separate 'How this is checked' note" in apart.problems and apart.notes == 1
    bare = pt.measure(PAGE.format(extra='<div class="cell nnt-check"><ul class="nnt-check-results"></ul></div>'))
    assert len(bare.problems) == 2


CODE_PAGE = """<html><body><article>
<div class="cell"><div class="highlight"><pre><span class="kn">from</span> <span class="nn">nntheory</span> \
<span class="kn">import</span> <span class="n">optim</span>
<span class="kn">from</span> <span class="nn">nntheory.nets</span> <span class="kn">import</span> \
<span class="n">relu_net</span>
{line}</pre></div></div></article></body></html>"""
RUN = '<span class="n">optim</span><span class="o">.</span><span class="n">run</span>'
NET = '<span class="n">relu_net</span><span class="p">(</span>'
NET_LINKED = ('<a class="nnt-api" href="../api/nets.html#nntheory.nets.relu_net"><span class="n">relu_net</span></a>'
              '<span class="p">(</span>')


def test_page_test_finds_package_names_not_linked_to_the_api_reference():
    pt = _load(ROOT / "scripts" / "page_test.py")
    linked = f'<a class="nnt-api" href="../api/optim.html#nntheory.optim.run">{RUN}</a>'
    assert pt.unlinked_api_names(CODE_PAGE.format(line=RUN + " " + NET)) == (0, ["optim.run", "relu_net"])
    n_linked, missing = pt.unlinked_api_names(CODE_PAGE.format(line=linked + " " + NET_LINKED))
    assert missing == [] and n_linked == 2
    # a local name that merely shares an attribute's spelling is not the package's
    assert pt.unlinked_api_names(CODE_PAGE.format(line='<span class="n">x</span><span class="o">.</span>'
                                                       '<span class="n">run</span>')) == (0, [])


def test_navigation_toggles_get_an_accessible_name():
    from bs4 import BeautifulSoup

    a11y = _load(ROOT / "_ext" / "nntheory_a11y.py")
    soup = BeautifulSoup('<ul><li class="toctree-l1 has-children"><a class="reference internal" href="api/index.html">'
                         'The nntheory package</a><details><summary><span class="toctree-toggle" role="presentation">'
                         '<i class="fa-solid fa-chevron-down"></i></span></summary><ul></ul></details></li>'
                         '<li><details><summary><p class="caption">Part</p></summary></details></li></ul>', "html.parser")
    a11y.name_nav_toggles(soup)
    summaries = soup.select("summary")
    assert summaries[0]["aria-label"] == "Sections of The nntheory package"
    assert not summaries[1].has_attr("aria-label")  # a caption in the summary names it already


def test_api_index_lists_the_chapters_that_import_each_module():
    import re

    table = {m: cell.strip() for m, cell in re.findall(r"^\| \{doc\}`(\w+)` \|[^|]*\|([^|]*)\|",
                                                       (ROOT / "api" / "index.md").read_text(), re.M)}
    assert table, "no module table in api/index.md"
    chapters = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    for module, cell in table.items():
        pat = re.compile(rf"^\s*(from nntheory import [^\n]*\b{module}\b|from nntheory\.{module} import|"
                         rf"import nntheory\.{module}\b)", re.M)
        users = [str(int(p.name[:2])) for p in chapters if pat.search(p.read_text())]
        expected = "all" if len(users) == len(chapters) else ", ".join(users)
        assert cell == expected, f"api/index.md says {module} serves chapters {cell!r}; the chapters' imports say {expected!r}"


def test_pdf_test_reads_the_whole_book_up_to_its_first_appendix():
    pt = _load(ROOT / "scripts" / "pdf_test.py")
    body = "Theorem 3.1 holds. "
    api = pt.API_APPENDIX + " >>> checks.check_le('a', 1, 2, kind='exact') "
    ledger = pt.APPENDIX + " checks.check_le(...) "
    assert pt.findings(body + api + ledger, whole_book=True) == []
    assert pt.findings(body + "checks.check_le(x) " + api + ledger, whole_book=True) == ["a check cell's code"]
    assert pt.findings(body + api, whole_book=True) == ["the whole book has no appendix 'Every check in this book'"]
