# The two commands of the README:
#   make example   builds the library (release) and compiles and runs examples-c/tutorial.c
#   make test      runs every test: format, lints, Rust tests, C/C++ tests, the Python package's tests
#                  (python-test: a venv in target/pyvenv with numpy, `pip install ./python`, unittest)
#   make simulate  renders examples-c/simulate.c's images (fluorescence and brightfield PNGs)
# and one for maintainers:
#   make header    regenerates include/deeptrack.h after a change to the C API

CC ?= cc
PYTHON ?= python3
RELEASE := $(CURDIR)/target/release
VENV := $(CURDIR)/target/pyvenv
PIP := $(VENV)/bin/pip --quiet --disable-pip-version-check

.PHONY: example simulate test python-test header

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

# The Python package as users install it: a wheel built by `pip install ./python` (which runs cargo),
# in a virtual environment of its own holding numpy; the tests import the installed package, not python/.
python-test:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install numpy
	$(PIP) install --force-reinstall --no-deps ./python
	cd tests/python && $(VENV)/bin/python -m unittest discover -s . -p 'test_*.py'

header:
	DEEPTRACK_UPDATE_HEADER=1 cargo build
