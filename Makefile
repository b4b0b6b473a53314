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

.PHONY: install book test pytest explore build-strict notebooks-live bundle-test browser-test browser-test-if-available pdf pdf-deps bench mutants clean help chapter

help:
	@echo "make book   - install into $(VENV), execute every chapter, write the site to _build/html"
	@echo "make test   - install, run pytest, then build the book with warnings as errors"
	@echo "make notebooks-live - execute every chapter headless in a live kernel (nbclient, ipywidgets), both ways"
	@echo "make bundle-test - run the course bundle's notebooks in a fresh environment, offline (make book first)"
	@echo "make explore - the property tests with 10x the examples, drawn at random (NNTHEORY_HYPOTHESIS=explore)"
	@echo "make browser-test - open every page of _build/html in headless Chromium, network off, and check it"
	@echo "make pdf    - the whole book as one PDF (_build/latex/nntheory.pdf); needs TeX Live (make pdf-deps)"
	@echo "make bench  - time each chapter and the whole build; figures in benchmarks/results/"
	@echo "make mutants - plant each fault of benchmarks/mutants.yml and check that its chapter's checks catch it"
	@echo "make clean  - remove _build (keeps the venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nntheory)"
	touch $@

install: $(STAMP)

# --all: Sphinx would otherwise re-read (and so re-execute) only the pages whose source changed,
# and a change in src/nntheory or requirements.txt would leave stale numbers in the other chapters.
book: install
	$(JB) build . --all --builder html
	@echo "The site is in _build/html/index.html"

pytest: install
	$(BIN)/python -m pytest

explore: install
	NNTHEORY_HYPOTHESIS=explore $(BIN)/python -m pytest -m "not slow"

# Every chapter in a live kernel (NNTHEORY_STATIC unset: sliders are ipywidgets), as papermill, nbval or
# an autograder runs it: whole-notebook and cell by cell, 60 s per cell; a cell timeout or a stall fails.
notebooks-live: install
	$(BIN)/python scripts/notebooks_live.py --timeout 60

build-strict: install
	$(JB) build . --all --builder html -W -n --keep-going

# The browser test runs inside `make test` wherever Chromium and its driver are installed
# (.ci/run installs Debian's chromium and chromium-driver when they are missing).
# The course bundle, unpacked in a fresh environment (cached under ~/.cache/nntheory) with no package index:
# every notebook runs, and its first cell installs nntheory from the wheel beside it.
bundle-test: install
	test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python scripts/bundle_test.py _build/html

test: pytest build-strict notebooks-live bundle-test browser-test-if-available

browser-test: install
	test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python scripts/browser_test.py _build/html

browser-test-if-available: install
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		$(BIN)/python scripts/browser_test.py _build/html; \
	else echo "browser test skipped: install Debian's chromium and chromium-driver to run it"; fi

# TeX Live from Debian's packages (run as root, or prefix with sudo).
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-xetex latexmk lmodern fonts-freefont-otf tex-gyre
pdf-deps:
	@command -v latexmk >/dev/null 2>&1 && command -v xelatex >/dev/null 2>&1 || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEX_PACKAGES))

pdf: install pdf-deps
	$(JB) build . --all --builder pdflatex
	@echo "The PDF is _build/latex/nntheory.pdf"

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
