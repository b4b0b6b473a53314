"""Open every page of the built site in headless Chromium, with the network off, and check it as a reader.

Usage: .venv/bin/python scripts/browser_test.py [--student [--sources chapters/]] [_build/html]

For every HTML page: no console errors; every figure in the text has alt text; math rendered by the local MathJax (no raw TeX left, MathJax
output present wherever the page has math); every image loaded; every internal link resolves (file
and anchor); on every interactive figure, moving each slider changes the picture; the page's .ipynb
download is a valid notebook (nbformat); the landing page links the course bundle, whose notebooks
validate and which holds the wheel, requirements.txt and a README; axe-core (WCAG 2.1 A and AA rules)
finds no violation in the light or the dark colour mode; every formula has assistive MathML; every
slider has an accessible name and moves its figure with the arrow keys; theorems, exercises and figures of
chapter N are numbered N.k; where the site has chapter PDFs, every chapter page links its own.
With ``--student`` (the student edition): every page shows the banner, and no text of any exercise
solution (taken from the MyST sources) appears in any page, notebook download or the course bundle. A screenshot of each page goes to _build/screenshots/ (chapters also in the dark theme).
The site is served on 127.0.0.1 only, and Chromium resolves no other host, so anything the site
tried to fetch from the internet would fail here, as it would on a reader's offline laptop.
Exits non-zero if any check fails.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on a free loopback port; return the server and its base URL."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def make_driver(profile: str) -> webdriver.Chrome:
    """Headless Chromium that resolves no host but the loopback one (the network is off for it)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1600", f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def page_ids(path: Path) -> frozenset[str]:
    """All element ids (and anchor names) of an HTML file."""
    p = _Ids()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(p.ids)


def check_links(site: Path, base: str, page_url: str, hrefs: list[str]) -> list[str]:
    """Internal links of one page whose file or anchor does not exist."""
    bad = []
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue
        parsed = urllib.parse.urlparse(href)
        rel = urllib.parse.unquote(parsed.path[len(urllib.parse.urlparse(base).path):])
        target = site / rel
        if target.is_dir() or rel == "":
            target = target / "index.html"
        if not target.exists():
            bad.append(f"broken link {href} (no file {target.relative_to(site)})")
        elif parsed.fragment and target.suffix == ".html":
            frag = urllib.parse.unquote(parsed.fragment)
            if frag not in page_ids(target):
                bad.append(f"broken anchor {href}")
    return bad


def _invalid_notebook(name: str, data: bytes) -> list[str]:
    """[] if ``data`` is a valid notebook (nbformat), else the problem."""
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
    except (nbformat.ValidationError, ValueError) as err:
        return [f"{name} is not a valid notebook: {getattr(err, 'message', err)}"]
    return []


def check_bundle(href: str, student: list[str] | None = None) -> tuple[int, list[str]]:
    """Download a course bundle: every notebook in it must validate, and the wheel must be there."""
    import io
    import zipfile

    with urllib.request.urlopen(href) as resp:
        z = zipfile.ZipFile(io.BytesIO(resp.read()))
    names = z.namelist()
    nbs = [n for n in names if n.endswith(".ipynb")]
    problems = [p for n in nbs for p in _invalid_notebook(f"{href}!{n}", z.read(n))]
    if student is not None:
        problems += [f"solution text in {href}!{n}: {t!r}" for n in nbs for t in leaked(notebook_text(z.read(n)), student)]
    if not nbs:
        problems.append(f"{href} holds no notebooks")
    for need in (".whl", "requirements.txt", "README.md"):
        if not any(n.endswith(need) for n in names):
            problems.append(f"{href} lacks its {need}")
    return len(nbs), problems


WAIT_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('.math, .MathJax, script[type^="math/tex"]')) { done('none'); return; }
let tries = 0;
(function wait() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('ok')).catch(e => done('error: ' + e));
  } else if (tries++ > 100) { done('MathJax never loaded'); } else { setTimeout(wait, 100); }
})();
"""

IMAGES = """
return Array.from(document.images).map(img => {
  img.loading = 'eager';
  const alt = (img.getAttribute('alt') || '').trim();
  const inArticle = !!img.closest('article');
  const altOk = !inArticle || (alt.length > 0 && !/\\.(png|svg|jpe?g)$/i.test(alt));
  return [img.getAttribute('src').slice(0, 80), img.complete && img.naturalWidth > 0, altOk];
});
"""

MATH = """
const maths = Array.from(document.querySelectorAll('.math'));
const unrendered = maths.filter(m => !m.querySelector('mjx-container') && !m.closest('mjx-container'));
const copy = (document.querySelector('article') || document.body).cloneNode(true);
copy.querySelectorAll('script, style, mjx-container, pre, code').forEach(e => e.remove());
const text = copy.textContent;  // collapsed notes and solutions too (innerText would skip them)
const raw = (text.match(/\\\\(begin|frac|mathbb|cd|sd|ip|norm|relu)\\b|\\$\\$/g) || []).slice(0, 5);
return [maths.length, document.querySelectorAll('mjx-container').length,
        unrendered.slice(0, 3).map(m => m.textContent.slice(0, 60)), raw];
"""

SLIDERS = """
const out = [];
for (const root of document.querySelectorAll('.nnt-interactive')) {
  const img = root.querySelector('img.nnt-frame');
  for (const s of root.querySelectorAll('input[type=range]')) {
    const before = img.src, label = s.nextElementSibling.textContent, v = parseInt(s.value);
    s.value = String(v === parseInt(s.max) ? parseInt(s.min) : v + 1);
    s.dispatchEvent(new Event('input', {bubbles: true}));
    out.push([root.id, s.getAttribute('aria-label'), before !== img.src, label !== s.nextElementSibling.textContent]);
    s.value = String(v); s.dispatchEvent(new Event('input', {bubbles: true}));
  }
}
return out;
"""


def solution_snippets(chapters: Path) -> list[str]:
    """Distinctive lines of every exercise solution in the MyST sources (prose and code inside them)."""
    snippets = []
    for md in sorted(chapters.glob("*.md")):
        text = md.read_text()
        blocks = re.findall(r"\{solution-start\}.*?\n(.*?)\{solution-end\}", text, re.S)
        blocks += re.findall(r"(`{3,}|:{3,})\{solution\}[^\n]*\n(.*?)\n\1", text, re.S)
        for block in blocks:
            body = block if isinstance(block, str) else block[1]
            lines = [ln.strip() for ln in body.splitlines()]
            good = [ln for ln in lines if len(ln) >= 40 and not ln.startswith((":", "`", "$", "#", "|"))
                    and "{" not in ln and "\\" not in ln and "$" not in ln]
            snippets += good[:2]
    return snippets


def notebook_text(data: bytes) -> str:
    """The sources of a notebook's cells, as a reader of it would see them."""
    return "\n".join(c.source for c in nbformat.reads(data.decode("utf-8"), as_version=4).cells)


def leaked(text: str, snippets: list[str]) -> list[str]:
    """The solution snippets that occur in ``text`` (whitespace-insensitive)."""
    flat = " ".join(text.split())
    return [s[:60] for s in snippets if " ".join(s.split()) in flat]


AXE_VERSION = "4.14.1"  # the npm package axe-core, installed by `make axe` into _build/tools (not committed)
AXE_JS = ROOT / "_build" / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                   resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.slice(0, 5).map(n => {
      const d = (n.any[0] || {}).data || {};
      return [n.target.join(' '), d.contrastRatio ? `${d.fgColor} on ${d.bgColor} is ${d.contrastRatio}:1, `
              + `needs ${d.expectedContrastRatio}` : (n.failureSummary || '').slice(0, 160)];
  }), v.nodes.length])))
  .catch(e => done([['axe-error', 'critical', [[String(e), '']], 1]]));
"""


def accessibility(driver: webdriver.Chrome) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations of the loaded page, in the light and the dark colour mode."""
    if not AXE_JS.exists():
        return [f"axe-core {AXE_VERSION} is not installed at {AXE_JS} (run `make axe`)"]
    problems = []
    driver.execute_script(AXE_JS.read_text())
    for mode in ("light", "dark"):
        driver.execute_script(f"document.documentElement.dataset.theme = '{mode}';"
                              f"document.documentElement.dataset.mode = '{mode}';")
        # let the theme's colour transitions finish: axe must see the colours a reader sees
        driver.execute_async_script("const done = arguments[arguments.length - 1]; setTimeout(done, 600);")
        for rule, impact, examples, count in driver.execute_async_script(AXE_RUN):
            shown = "; ".join(f"{target} ({detail})" for target, detail in examples)
            problems.append(f"axe {mode}: {rule} ({impact}, {count} elements): {shown}"[:700])
    driver.execute_script("document.documentElement.dataset.theme = 'light'; document.documentElement.dataset.mode = 'light';")
    return problems


KEYBOARD = """
const out = [];
for (const root of document.querySelectorAll('.nnt-interactive')) {
  const s = root.querySelector('input[type=range]');
  if (s) { out.push([root.id, s.id || s.getAttribute('aria-label'), root.querySelector('img.nnt-frame').src]); }
}
return out;
"""


def keyboard_sliders(driver: webdriver.Chrome) -> list[str]:
    """Every slider has an accessible name and moves with the arrow keys, changing its figure."""
    from selenium.webdriver.common.keys import Keys

    problems = []
    sliders = driver.find_elements("css selector", ".nnt-interactive input[type=range]")
    for s in sliders:
        name = s.get_attribute("aria-label") or ""
        if not name.strip():
            problems.append("a slider without an accessible name")
        root = s.find_element("xpath", "./ancestor::div[contains(@class, 'nnt-interactive')]")
        img = root.find_element("css selector", "img.nnt-frame")
        before, value = img.get_attribute("src"), s.get_attribute("value")
        key = Keys.ARROW_LEFT if value == s.get_attribute("max") else Keys.ARROW_RIGHT
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", s)
        s.send_keys(key)
        if img.get_attribute("src") == before or s.get_attribute("value") == value:
            problems.append(f"slider {name!r} does not move its figure with the arrow keys")
        s.send_keys(Keys.ARROW_RIGHT if key == Keys.ARROW_LEFT else Keys.ARROW_LEFT)
    return problems


NUMBERS = """
return Array.from(document.querySelectorAll('article span.caption-number')).map(e => e.textContent.trim());
"""


def check_page(driver: webdriver.Chrome, site: Path, base: str, rel: str, shots: Path,
               student: list[str] | None = None) -> tuple[list[str], dict]:
    """Run every check on one page; return its problems and a few counts."""
    url = base + rel
    problems: list[str] = []
    driver.get(url)
    status = driver.execute_async_script(WAIT_MATHJAX)
    if status not in ("ok", "none"):
        problems.append(f"MathJax: {status}")
    n_math, n_mjx, unrendered, raw = driver.execute_script(MATH)
    if n_math and not n_mjx:
        problems.append(f"{n_math} math elements but no MathJax output")
    if unrendered:
        problems.append(f"math left unrendered: {unrendered}")
    if raw:
        problems.append(f"raw TeX visible in the page text: {raw}")
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    for src, ok, alt_ok in driver.execute_script(IMAGES):
        if not ok:
            problems.append(f"image did not load: {src}")
        if not alt_ok:
            problems.append(f"figure without alt text: {src}")
    sliders = driver.execute_script(SLIDERS)
    for fig, name, img_changed, label_changed in sliders:
        if not (img_changed and label_changed):
            problems.append(f"slider {name!r} of {fig} does not change the figure")
    problems += keyboard_sliders(driver)
    n_math_all, n_assistive = driver.execute_script(
        "return [document.querySelectorAll('mjx-container').length,"
        " document.querySelectorAll('mjx-container mjx-assistive-mml').length];")
    if n_assistive < n_math_all:
        problems.append(f"{n_math_all - n_assistive} of {n_math_all} formulas lack assistive MathML")
    problems += accessibility(driver)
    hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    problems += check_links(site, base, url, hrefs)
    notebooks = 0
    for href in {h for h in hrefs if h.startswith(base) and h.endswith(".ipynb")}:
        with urllib.request.urlopen(href) as resp:
            data = resp.read()
        problems += _invalid_notebook(href, data)
        notebooks += 1
        if student is not None:
            problems += [f"solution text in {href}: {t!r}" for t in leaked(notebook_text(data), student)]
    for href in {h for h in hrefs if h.startswith(base) and h.endswith(".zip")}:
        n, bad = check_bundle(href, student)
        notebooks += n
        problems += bad
    if rel == "intro.html" and not driver.find_elements("css selector", "a.nnt-bundle[href$='.zip']"):
        problems.append("the landing page has no link to the course bundle (notebook-downloads)")
    m = re.match(r"chapters/(\d+)_[^/]*\.html$", rel)
    if m:
        number = int(m.group(1))
        for label in driver.execute_script(NUMBERS):
            if not re.search(rf"\b{number}\.\d+\b", label):
                problems.append(f"{label!r} on chapter {number}'s page is not numbered {number}.k")
        pdfs = site / "_downloads" / "pdf"
        if pdfs.is_dir():
            pdf = pdfs / (Path(rel).stem + ".pdf")
            links = [h for h in hrefs if h.endswith(f"/_downloads/pdf/{pdf.name}")]
            if not pdf.exists() or not pdf.read_bytes().startswith(b"%PDF"):
                problems.append(f"the site has chapter PDFs but no valid {pdf.name}")
            elif not links:
                problems.append(f"the page does not link its PDF {pdf.name}")
    if student is not None:
        body = driver.execute_script("return document.body.textContent;")  # collapsed dropdowns too
        if "Student edition" not in body:
            problems.append("the student-edition banner is missing")
        problems += [f"solution text in the page: {t!r}" for t in leaked(body, student)]
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console error: {entry['message'][:200]}")
    shot = shots / (rel.replace("/", "__").removesuffix(".html") + ".png")
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(str(shot))
    if rel.startswith("chapters/"):  # the same page in the dark theme, to check figures stay legible
        driver.execute_script("document.documentElement.dataset.theme = 'dark';")
        driver.save_screenshot(str(shot.with_name(shot.stem + "__dark.png")))
        driver.execute_script("document.documentElement.dataset.theme = 'light';")
    return problems, {"math": n_mjx, "sliders": len(sliders), "notebooks": notebooks}


def main(site_arg: str | None = None, student_edition: bool = False, sources: Path = ROOT / "chapters") -> int:
    """Check every page; print a line per page and a summary; return the exit code."""
    site = Path(site_arg or ROOT / "_build" / "html").resolve()
    student = solution_snippets(sources) if student_edition else None
    if student is not None and not student:
        print("no solution text found in chapters/*.md to look for")
        return 2
    if not (site / "index.html").exists():
        print(f"no built site at {site}: run `make book` first")
        return 2
    shots = ROOT / "_build" / ("screenshots-student" if student_edition else "screenshots")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts)
    server, base = serve(site)
    failures = 0
    totals = {"math": 0, "sliders": 0, "notebooks": 0}
    with tempfile.TemporaryDirectory() as profile:
        driver = make_driver(profile)
        try:
            for rel in pages:
                problems, counts = check_page(driver, site, base, rel, shots, student)
                for k in totals:
                    totals[k] += counts[k]
                mark = "ok  " if not problems else "FAIL"
                print(f"{mark} {rel}  (math {counts['math']}, sliders {counts['sliders']}, notebooks {counts['notebooks']})")
                for p in problems:
                    print(f"       - {p}")
                failures += bool(problems)
        finally:
            driver.quit()
            server.shutdown()
    print(f"{len(pages) - failures} passed, {failures} failed")
    print(f"checked {len(pages)} pages: {totals['math']} rendered formulas, {totals['sliders']} sliders moved, "
          f"{totals['notebooks']} notebooks validated; screenshots in {shots.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    argv = sys.argv[1:]
    sources = Path(argv[argv.index("--sources") + 1]) if "--sources" in argv else ROOT / "chapters"
    args = [a for i, a in enumerate(argv) if a not in ("--student", "--sources") and (i == 0 or argv[i - 1] != "--sources")]
    sys.exit(main(args[0] if args else None, student_edition="--student" in argv, sources=sources))
