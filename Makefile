PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint train sample bench scale-demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/saring demo

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check saring flows classifiers tests sample scripts
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=6 saring

train: $(STAMP)
	$(BIN)/python classifiers/train.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py --write
	@for f in benchmarks/bench_*.py; do [ "$$f" = benchmarks/bench_ingest.py ] || $(BIN)/python $$f; done

scale-demo: $(STAMP)
	$(BIN)/python scripts/scale_demo.py

sample: $(STAMP)
	$(BIN)/python sample/build_sample.py

clean:
	rm -rf $(VENV) data/demo
