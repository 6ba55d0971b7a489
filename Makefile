# The two commands a newcomer needs (see README.md):
#   make lab   -- set up .venv/ and open the notebooks in JupyterLab
#   make test  -- set up .venv/ and run every test: unit, fault and nbval
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: lab test bench sync chapter clean

lab: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/

test: $(VENV)/.installed
	$(BIN)/python -m pytest --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=60

# After editing a chapter: its Markdown text for review (notebooks/text/).
sync: $(VENV)/.installed
	$(BIN)/python tools/sync_text.py

# Re-run one chapter top to bottom and store it: make chapter NB=notebooks/05_pools.ipynb
chapter: $(VENV)/.installed
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NB)
	$(BIN)/python tools/finish_notebook.py $(NB)
	$(BIN)/python tools/sync_text.py

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_pool.py
	$(BIN)/python bench/bench_widgets.py

# Re-install only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
