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

.PHONY: install book test pytest build-strict bench clean help

help:
	@echo "make book   - install into $(VENV), execute every chapter, write the site to _build/html"
	@echo "make test   - install, run pytest, then build the book with warnings as errors"
	@echo "make bench  - time each chapter and the whole build; figures in benchmarks/results/"
	@echo "make clean  - remove _build (keeps the venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nntheory)"
	touch $@

install: $(STAMP)

book: install
	$(JB) build . --builder html
	@echo "The site is in _build/html/index.html"

pytest: install
	$(BIN)/python -m pytest

build-strict: install
	$(JB) build . --builder html -W -n --keep-going

test: pytest build-strict

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build

# Strict build of a few chapters only, e.g. `make chapter CH="01_clarke 02_homogeneity"`.
chapter: install
	$(BIN)/python scripts/build_subset.py $(CH)
