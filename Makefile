# The two commands of the README:
#   make example   builds the library (release) and compiles and runs examples-c/tutorial.c
#   make test      runs every test: format, lints, Rust tests, C/C++ tests, then the Python package's tests
#   make simulate  renders examples-c/simulate.c's images (fluorescence and brightfield PNGs)
# and for the Python package and maintainers:
#   make python-test  the package's unittest suite against the installed wheel: a venv in target/pyvenv
#                     (VENV=...) with numpy, `pip install ./python` (setuptools-rust runs cargo, release),
#                     the same wheel into target/wheels (`pip wheel`, for auditwheel), then
#                     tests/python/test_*.py run from tests/python so that python/ is not on the path
#   make python-dev   builds the debug library and prints the PYTHONPATH line that uses python/ directly
#   make header       regenerates include/deeptrack.h after a change to the C API
#   make fixtures     regenerates tests/fixtures/deeptrack-2.0.1 by running the real DeepTrack2 2.0.1 in
#                     a venv of its own (target/fixtures-venv); FIXTURES_OUT=DIR writes into DIR instead

CC ?= cc
PYTHON ?= python3
RELEASE := $(CURDIR)/target/release
VENV ?= $(CURDIR)/target/pyvenv
override VENV := $(abspath $(VENV))
PIP := $(VENV)/bin/pip --quiet --disable-pip-version-check

.PHONY: example simulate test python-test python-dev header

example:
	cargo build --release --lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/tutorial.c -o $(RELEASE)/tutorial \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/tutorial

# Renders examples-c/simulate.c's fluorescence and brightfield images into target/release/.
simulate:
	cargo build --release --lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/simulate.c -o $(RELEASE)/simulate \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/simulate $(RELEASE)

test:
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo test
	$(MAKE) python-test

# The Python package as users install it: a wheel built by `pip install ./python` (python/setup.py:
# setuptools-rust runs cargo, auditwheel tags the wheel manylinux; pip fetches them from PyPI into its
# isolated build environment), in a virtual environment of its own holding numpy (the only place numpy
# is installed); the tests import the installed package, not python/ (they run from tests/python;
# test_packaging.py checks it). --force-reinstall: the wheel just built, with the library just built, is
# the one tested, even when the version is unchanged; --no-deps: numpy is already there. `pip wheel`
# then writes the same wheel (cargo has nothing left to build) to target/wheels, where
# test_packaging.py runs `auditwheel show` on it and checks that it holds the installed files.
python-test:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install numpy "dask[distributed]" "auditwheel>=6.8"
	$(PIP) install --force-reinstall --no-deps ./python
	rm -rf $(CURDIR)/target/wheels
	$(PIP) wheel --no-deps --wheel-dir $(CURDIR)/target/wheels ./python
	cd tests/python && DEEPTRACK_WHEEL_DIR=$(CURDIR)/target/wheels \
		$(VENV)/bin/python -m unittest discover -s . -p 'test_*.py' -v

# The development path: no install; the package in python/ loads target/debug's library (or
# target/release's, whichever was built last). Any python3 with numpy will do, e.g. $(VENV)/bin/python.
python-dev:
	cargo build --lib
	@echo 'export PYTHONPATH=$(CURDIR)/python'

header:
	DEEPTRACK_UPDATE_HEADER=1 cargo build

# The conformance fixtures (tests/fixtures/README.md): tests/fixtures/generate.py builds every case of
# the manifest with the real DeepTrack2 2.0.1 and writes the .npy files and manifest.json. Its venv holds
# only what 2.0.1 imports, pinned to the versions that made the committed files; deeptrack goes in with
# --no-deps, as its other requirements (pandas, tqdm, rich, gdown, more_itertools) are never imported.
FIXTURES_VENV := $(CURDIR)/target/fixtures-venv
FIXTURES_PIP := $(FIXTURES_VENV)/bin/pip --quiet --disable-pip-version-check
.PHONY: fixtures
fixtures:
	test -x $(FIXTURES_VENV)/bin/python || $(PYTHON) -m venv $(FIXTURES_VENV)
	$(FIXTURES_PIP) install numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 pint==0.25.3 \
		lazy_import==0.2.2 matplotlib
	$(FIXTURES_PIP) install --no-deps deeptrack==2.0.1
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT))
