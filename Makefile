# The two commands a newcomer needs (see README.md):
#   make lab   -- set up .venv/ and open the notebooks in JupyterLab
#   make test  -- set up .venv/ and run every test: unit, fault and nbval
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Binder's environment: the Python of binder/runtime.txt where this machine has it.
BINDER_VENV   := .venv-binder
BINDER_PYTHON ?= $(shell command -v python$(subst python-,,$(shell cat binder/runtime.txt)) || echo $(PYTHON))

.PHONY: lab test quick bench bench-readme sync chapter site site-publish wheel binder-pins chromium bytecode clean

# As root (a container, a workshop VM) JupyterLab refuses to start unless told --allow-root.
lab: $(VENV)/.installed bytecode
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/

# nbval runs the chapters with a kernel from Binder's environment
# (MINIMP_KERNEL_PYTHON, read by notebooks/conftest.py): a pin in
# binder/requirements.txt that breaks a chapter fails here, not in a workshop.
# The environments are set up side by side; the tests run on $(WORKERS)
# pytest-xdist workers, a file at a time (conftest.py says in which order).
WORKERS ?= 2
ifeq ($(MAKECMDGOALS),test)
MAKEFLAGS += -j3
endif
test: $(VENV)/.installed $(BINDER_VENV)/.installed chromium bytecode
	MINIMP_KERNEL_PYTHON=$(CURDIR)/$(BINDER_VENV)/bin/python \
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 \
		--nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=60

# While you work: the unit tests alone, under the default start method (fork), in about
# two minutes. Not the fault tests (marked `fault`: they kill, crash and starve processes
# on purpose), nor the spawn and forkserver variants of each test (twice as long again),
# nor the chapters (nbval), nor what needs the wheel's environment (the browser test),
# nor the soak's minute of random faults (tests/test_soak.py): make test runs them all.
# More workers do not help: the tests wait more than they compute (118 s on 3 or on 4).
QUICK_WORKERS ?= 3
quick: $(VENV)/.installed bytecode
	$(BIN)/python -m pytest -n $(QUICK_WORKERS) --dist loadfile -m "not wheel and not soak and not fault" \
		-k "not spawn and not forkserver" tests

# After editing a chapter: its Markdown text for review (notebooks/text/).
sync: $(VENV)/.installed
	$(BIN)/python tools/sync_text.py

# Re-run one chapter top to bottom and store it: make chapter NB=notebooks/05_pools.ipynb
chapter: $(VENV)/.installed
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NB)
	$(BIN)/python tools/finish_notebook.py $(NB)
	$(BIN)/python tools/sync_text.py

# Every benchmark, each against the standard library (or its peers) in the same run;
# the output is kept in build/bench/, and `make bench-readme` writes it into README.md.
bench: $(VENV)/.installed $(VENV)/.bench-installed bytecode
	$(BIN)/python bench/all.py

bench-readme:
	$(BIN)/python tools/bench_readme.py

# The course as a website, each chapter shown with its stored outputs (tools/build_site.py),
# in build/site/. REF is the git ref each page's Binder button opens: a workshop's tag.
REF ?= main
site: $(VENV)/.installed
	$(BIN)/python tools/build_site.py build/site --ref $(REF)

# Publish it as the repository's GitHub Pages: build/site/ becomes its gh-pages branch, pushed.
site-publish: site
	$(BIN)/ghp-import --no-jekyll --push --force build/site

# The wheel a workshop can hand out: it carries the chapters (python -m minimp.course).
wheel: $(VENV)/.installed
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

# After changing the dependencies: pin Binder's environment again.
binder-pins:
	$(BINDER_PYTHON) tools/pin_binder.py

# minimp's bytecode, as `pip install` of the wheel leaves it: the editable install does not,
# and where PYTHONDONTWRITEBYTECODE is set (containers often set it) every spawned child
# would compile minimp again, some 35 ms each. Only what changed is compiled again.
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q src

# The peers bench_peers.py measures (loky, mpire): installed for the benchmarks only.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@

# Re-install only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Binder's environment as Binder builds it: a new one whenever the pins
# change, with exactly binder/requirements.txt installed from this folder.
$(BINDER_VENV)/.pins: binder/requirements.txt binder/runtime.txt
	rm -rf $(BINDER_VENV)
	$(BINDER_PYTHON) -m venv $(BINDER_VENV)
	$(BINDER_VENV)/bin/python -m pip install --quiet -r binder/requirements.txt
	touch $@

# Its last line, `.`, is minimp itself, which changes more often than the
# pins: then reinstall only minimp, from a freshly built wheel as pip does.
$(BINDER_VENV)/.installed: $(BINDER_VENV)/.pins pyproject.toml $(shell git ls-files src notebooks 2>/dev/null)
	$(BINDER_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .
	touch $@

# The browser test (tests/test_browser.py) drives Debian's Chromium. Install
# it when missing and this user may (with an emoji font, so that the
# checkers' ticks show in the screenshots); otherwise the test says so.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	    echo "make: Chromium is not installed and this user cannot install it: the browser test will say so"; exit 0; fi; \
	  echo "make: installing Debian's chromium for the browser test"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null \
	    || echo "make: could not install chromium: the browser test will say so"; }

clean:
	rm -rf $(VENV) $(BINDER_VENV) build dist src/*.egg-info .pytest_cache
