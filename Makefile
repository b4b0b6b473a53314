# The book's two commands are `make book` and `make test`; both set everything up from scratch.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JB     := $(BIN)/jupyter-book
# Figures with sliders are precomputed during the build (see nntheory.viz.interactive).
export NNTHEORY_STATIC := 1
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS ?= 2
# Property tests: `ci` draws the same examples on every run; NNTHEORY_HYPOTHESIS=explore draws 10x, at random.
export NNTHEORY_HYPOTHESIS ?= ci

# The builds read a configuration derived from _config.yml (scripts/book_config.py): an execution cache
# named by a hash of src/, requirements.txt, _config.yml and _ext/, so that the builds of one run (PDFs,
# site, student edition) execute each chapter once. `make book` and `make test` empty it first.
CONFIG      := _build/config/full.yml
STUDENT_CFG := _build/config/student.yml
CACHE       := _build/.jupyter_cache
STUDENT     := _build/student

.PHONY: install book test pytest explore fresh configs build-strict page-test pdf-test notebooks-live bundle-test lab-test browser-test \
        browser-test-if-available pdf pdf-if-available pdf-deps book-student build-student pdf-student preview \
        bench mutants clean help chapter axe

help:
	@echo "make book    - install into $(VENV), execute every chapter, write the site to _build/html"
	@echo "make test    - install, pytest, PDFs (if TeX Live is there), the strict build, live kernels, the bundle,"
	@echo "               the student edition and the browser test"
	@echo "make preview - fast rebuild for authors (execution cache; re-executes only what an edit can change)"
	@echo "make chapter CH=01_clarke - build some chapters strictly, without the others"
	@echo "make pdf     - the book and each chapter as PDFs (_build/latex/*.pdf); needs TeX Live (make pdf-deps)"
	@echo "make book-student / pdf-student - the student edition (no solutions) in $(STUDENT)/_build/"
	@echo "make page-test - read the built chapter pages with nothing expanded: the two layers (no visible check code)"
	@echo "make notebooks-live - execute every chapter headless in a live kernel (nbclient, ipywidgets), both ways"
	@echo "make bundle-test - open the course bundle's notebooks in JupyterLab, offline, read and run them (make book first)"
	@echo "make pdf-test - read the PDFs as text: no raw labels, no check code"
	@echo "make explore - the property tests with 10x the examples, drawn at random (NNTHEORY_HYPOTHESIS=explore)"
	@echo "make browser-test - open every page of _build/html in headless Chromium, network off, and check it"
	@echo "make bench   - time each chapter, the full build and the preview; figures in benchmarks/results/"
	@echo "make mutants - plant each fault of benchmarks/mutants.yml and check that its chapter's checks catch it"
	@echo "make clean   - remove _build (keeps the venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nntheory)"
	touch $@

install: $(STAMP)

configs: install
	$(BIN)/python scripts/book_config.py $(CONFIG) --cache auto
	$(BIN)/python scripts/book_config.py $(STUDENT_CFG) --edition student --cache auto

# Execution from scratch: no cached outputs survive from an earlier run.
fresh:
	rm -rf $(CACHE)

# --all: Sphinx would otherwise re-read only the pages whose source changed.
book: install fresh configs
	$(JB) build . --config $(CONFIG) --all --builder html
	@echo "The site is in _build/html/index.html"

pytest: install
	$(BIN)/python -m pytest

explore: install
	NNTHEORY_HYPOTHESIS=explore $(BIN)/python -m pytest -m "not slow"

build-strict: configs
	$(JB) build . --config $(CONFIG) --all --builder html -W -n --keep-going

# The chapter pages as a reader meets them, nothing expanded: no visible check code, every derivation inside its
# check block, at most 2 sentences announcing checks and 3 collapsed asides per chapter (scripts/page_test.py).
page-test: install
	$(BIN)/python scripts/page_test.py _build/html

# Every chapter in a live kernel (NNTHEORY_STATIC unset: sliders are ipywidgets), as papermill, nbval or
# an autograder runs it: whole-notebook and cell by cell, 60 s per cell; a cell timeout or a stall fails.
notebooks-live: install
	$(BIN)/python scripts/notebooks_live.py --timeout 60

# The course bundle, unpacked in a fresh environment (cached under ~/.cache/nntheory) with no package index:
# every notebook runs, and its first cell installs nntheory from the wheel beside it. With Chromium, this is
# the JupyterLab test (scripts/lab_test.py) of both editions: each notebook opened in the bundle's pinned
# JupyterLab, read (no MathJax error, no raw MyST), run all, one slider moved; without it, nbclient runs them.
bundle-test: install
	test -f _build/html/index.html || $(MAKE) book
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		$(MAKE) lab-test; \
	else echo "JupyterLab test skipped (no Chromium): running the bundle with nbclient"; \
		$(BIN)/python scripts/bundle_test.py _build/html; fi

lab-test: install
	$(BIN)/python scripts/lab_test.py _build/html
	@if test -f $(STUDENT)/_build/html/index.html; then $(BIN)/python scripts/lab_test.py --student $(STUDENT)/_build/html; fi

# PDFs first (they execute the chapters and fill the cache), so that the site links each chapter's PDF.
test: pytest fresh pdf-if-available build-strict page-test notebooks-live build-student bundle-test browser-test-if-available

# axe-core (the accessibility engine the browser test runs), pinned, from the npm registry; not committed.
AXE_VERSION := 4.14.1
AXE_DIR     := _build/tools/axe
axe:
	@test -f $(AXE_DIR)/node_modules/axe-core/axe.min.js && grep -q '"version": "$(AXE_VERSION)"' \
		$(AXE_DIR)/node_modules/axe-core/package.json || \
		(mkdir -p $(AXE_DIR) && npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION))

browser-test: install axe
	test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python scripts/browser_test.py _build/html
	@if test -f $(STUDENT)/_build/html/index.html; then \
		$(BIN)/python scripts/browser_test.py --student $(STUDENT)/_build/html; fi

# The browser test runs inside `make test` wherever Chromium and its driver are installed
# (.ci/run installs Debian's chromium and chromium-driver when they are missing).
browser-test-if-available: install
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		$(MAKE) browser-test; \
	else echo "browser test skipped: install Debian's chromium and chromium-driver to run it"; fi

# The student edition: every solution removed (pages, notebook downloads, course bundle), with a banner.
book-student: install configs
	$(JB) build . --config $(STUDENT_CFG) --path-output $(STUDENT) --all --builder html
	@echo "The student edition is in $(STUDENT)/_build/html/index.html"

build-student: configs
	$(JB) build . --config $(STUDENT_CFG) --path-output $(STUDENT) --all --builder html -W -n --keep-going

# TeX Live from Debian's packages (run as root, or prefix with sudo).
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-xetex latexmk lmodern fonts-freefont-otf tex-gyre poppler-utils
pdf-deps:
	@command -v latexmk >/dev/null 2>&1 && command -v xelatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEX_PACKAGES))

# The whole book (_build/latex/nntheory.pdf) and one PDF per chapter (_build/latex/NN_topic.pdf).
pdf: install pdf-deps configs
	$(JB) build . --config $(CONFIG) --all --builder pdflatex
	@echo "The PDFs are in _build/latex/: nntheory.pdf and one per chapter"

pdf-if-available: configs
	@if command -v latexmk >/dev/null 2>&1 && command -v xelatex >/dev/null 2>&1; then \
		$(JB) build . --config $(CONFIG) --all --builder pdflatex && $(MAKE) pdf-test; \
	else echo "PDFs skipped: install TeX Live (make pdf-deps) to build them"; fi

# The PDFs as text (pdftotext): no raw label or file name where a reference should print its number, no check
# code and no "How this is checked" note before the whole book's appendix (scripts/pdf_test.py).
pdf-test: install
	$(BIN)/python scripts/pdf_test.py _build/latex

pdf-student: install pdf-deps configs
	$(JB) build . --config $(STUDENT_CFG) --path-output $(STUDENT) --all --builder pdflatex
	@echo "The student edition's PDFs are in $(STUDENT)/_build/latex/"

# A fast rebuild for authors (see README, "Adding a chapter"): _build/preview/_build/html.
preview: install
	$(BIN)/python scripts/preview.py

bench: install
	$(BIN)/python benchmarks/run.py

# Planted faults (benchmarks/mutants.yml): each is applied to a copy of src/ or chapters/, and only its
# chapter is executed; every fault must make a chapter check fail. Results: benchmarks/results/mutants.json.
mutants: install
	$(BIN)/python scripts/mutants.py --jobs 2

clean:
	rm -rf _build

# Strict build of a few chapters only, e.g. `make chapter CH="01_clarke 02_homogeneity"`.
chapter: install
	$(BIN)/python scripts/build_subset.py $(CH)
