# Two entry points for a fresh machine: `make repro` (the default experiment) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
# Stage commands in dvc.yaml call `python`; the venv must come first on PATH for dvc and its queue workers.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install repro test clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

repro: install
	$(BIN)/seqpipe validate
	# Re-hash plugin sources so upgraded plugin packages are noticed (in-tree files are deps anyway).
	$(BIN)/dvc repro -f fingerprint
	$(BIN)/dvc repro

test: install
	$(BIN)/python -m pytest -n 2

clean:
	rm -rf $(VENV)
