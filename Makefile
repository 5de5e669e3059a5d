# Two entry points for a fresh machine: `make repro` (the default experiment) and `make test`.
# `make check` is the fast lane of the edit-test loop (lint, types, TensorFlow-free tests).
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
# Stage commands in dvc.yaml call `python`; the venv must come first on PATH for dvc and its queue workers.
export PATH := $(abspath $(BIN)):$(PATH)
# mypy cannot follow setuptools' editable-install finder: it reads the package through a link
# named like the import package (pipeline/ is `seqpipe`).
TYPING  = .cache/typing

.PHONY: install repro test check lint types clean

install: $(VENV)/.installed

# Keras' backend, an extra of pyproject.toml: cpu (TensorFlow's CPU build, the default), gpu
# (TensorFlow's CUDA build: `make repro BACKEND=gpu` in a fresh clone) or jax (with KERAS_BACKEND=jax).
BACKEND ?= cpu
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(BACKEND),test]"
	touch $@

repro: install
	$(BIN)/seqpipe validate
	# Re-hash plugin sources so upgraded plugin packages are noticed (in-tree files are deps anyway).
	$(BIN)/dvc repro -f fingerprint
	$(BIN)/dvc repro

lint: install
	$(BIN)/ruff check .

types: install
	@mkdir -p $(TYPING) && ln -sfn ../../pipeline $(TYPING)/seqpipe
	MYPYPATH=$(TYPING) $(BIN)/mypy -p seqpipe -p plugins

check: lint types
	$(BIN)/python -m pytest -q -n 2 -m "not keras and not e2e"

# --maxschedchunk 1: tests are handed out one at a time, in the order tests/conftest.py gives (slowest first).
test: lint types
	$(BIN)/python -m pytest -n 2 --maxschedchunk 1

clean:
	rm -rf $(VENV) $(TYPING)
