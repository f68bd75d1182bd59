# The two commands of the README:
#   make example   builds the library (release) and compiles and runs examples-c/tutorial.c
#   make test      runs every test: format, lints, Rust tests, C/C++ tests (also against an installed
#                  prefix, through pkg-config and CMake), then the Python package's tests
# For C and C++ users:
#   make lib       builds the C library as shipped (release, mimalloc) into target/release
#   make install   installs it: PREFIX=/usr/local, DESTDIR= (staging), LIBDIR=$(PREFIX)/lib,
#                  INCLUDEDIR=$(PREFIX)/include; libdeeptrack.so.X.Y.Z with its SONAME, libdeeptrack.a,
#                  the headers, deeptrack.pc and a CMake package (packaging/install.sh); make uninstall
# and for the Python package and maintainers:
#   make python-test  the package's unittest suite against the installed wheel: a venv in target/pyvenv
#                     (VENV=...) with numpy, `pip install ./python` (setuptools-rust runs cargo, release),
#                     the same wheel into target/wheels (`pip wheel`, for auditwheel), then
#                     tests/python/test_*.py run from tests/python so that python/ is not on the path
#   make python-dev   builds the debug library and prints the PYTHONPATH line that uses python/ directly
#   make tutorials    DeepTrack2's tutorial notebooks (DT2_REPO=a DeepTrack2 checkout; docs/tutorials.md)
#   make dt2-tests    DeepTrack2 2.0.1's own unit tests against the installed deeptrack_native
#                     (tests/dt2/run_dt2_tests.py, docs/dt2-tests.md): fails when a module that
#                     tests/dt2/modules.toml says must pass does not; run by `make test`
#   make header       regenerates include/deeptrack.h after a change to the C API
#   make docs         regenerates the README's table of built-in kinds from the registry
#   make simulate     renders examples-c/simulate.c's images (fluorescence and EMCCD camera frames,
#                     brightfield; PNGs)
#   make optics       renders examples-c/optics.c's images (Mie spheres in the coherent systems, aberrated
#                     pupils) and prints a random Mie sphere's ground truth
#   make movie        renders examples-c/movie.c's time-lapse (a PNG per frame and a multi-page TIFF,
#                     positions printed)
#   make pictures     renders the README's pictures (docs/images/) from the current code
#   make test-tools   installs what the tests need when missing (cmake, pkg-config, valgrind)
#   make fixtures     regenerates tests/fixtures/deeptrack-2.0.1 by running the real DeepTrack2 2.0.1 in
#                     a venv of its own (target/fixtures-venv); FIXTURES_OUT=DIR writes into DIR instead

CC ?= cc
PYTHON ?= python3
RELEASE := $(CURDIR)/target/release
VENV ?= $(CURDIR)/target/pyvenv
override VENV := $(abspath $(VENV))
PIP := $(VENV)/bin/pip --quiet --disable-pip-version-check
# The C library is built with mimalloc as its allocator (Cargo feature `mimalloc`, src/alloc.rs); the
# Rust crate alone leaves the allocator to the program that uses it.
FEATURES := --features mimalloc
# The library's SONAME (build.rs): libdeeptrack.so.<major>, or .0.<minor> while the major version is 0.
VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
SONAME := libdeeptrack.so.$(if $(filter 0.%,$(VERSION)),0.$(word 2,$(subst ., ,$(VERSION))),$(firstword $(subst ., ,$(VERSION))))
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=

.PHONY: example simulate optics movie pictures lib install uninstall test test-tools python-test python-dev header dt2-tests docs tutorials

# The release library, as installed: `cargo rustc` so that rustc also reports the system libraries a
# static link needs (native-static-libs, for deeptrack.pc and the CMake package); cargo replays that
# note when nothing changed. The SONAME link lets programs linked in target/release run from there.
lib:
	cargo rustc --release --lib $(FEATURES) -- --print native-static-libs
	ln -sf libdeeptrack.so $(RELEASE)/$(SONAME)

install: lib
	PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' DESTDIR='$(DESTDIR)' BUILD_DIR='$(RELEASE)' \
	NATIVE_STATIC_LIBS="$$(cargo rustc --release --lib $(FEATURES) -- --print native-static-libs 2>&1 \
		| sed -n 's/.*native-static-libs: //p' | tail -n 1)" sh packaging/install.sh install

uninstall:
	PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' DESTDIR='$(DESTDIR)' \
		sh packaging/install.sh uninstall

example: lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/tutorial.c -o $(RELEASE)/tutorial \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/tutorial

# Renders examples-c/simulate.c's fluorescence and brightfield images into target/release/.
simulate: lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/simulate.c -o $(RELEASE)/simulate \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/simulate $(RELEASE)

# Renders examples-c/movie.c's frames (PNGs, movie.tif) into target/release/movie/ and prints every
# frame's positions.
# The program is movie-example: an executable named movie would take the place of the directory.
movie: lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/movie.c -o $(RELEASE)/movie-example \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	mkdir -p $(RELEASE)/movie
	$(RELEASE)/movie-example $(RELEASE)/movie

# Renders examples-c/optics.c's images into target/release/.
OPTICS_PICTURES := mie_aberrated.png mie_brightfield.png darkfield.png iscat.png holography.png \
	aberrated_fluorescence.png
optics: lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/optics.c -o $(RELEASE)/optics \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/optics $(RELEASE)

# The README's pictures, from the current code (tests/c_api.rs fails when they are stale).
pictures: simulate optics
	cp $(RELEASE)/fluorescence.png $(RELEASE)/brightfield.png docs/images/
	cp $(addprefix $(RELEASE)/,$(OPTICS_PICTURES)) docs/images/
	cp $(RELEASE)/emccd.png docs/images/
	PYTHONPATH=$(CURDIR)/python DEEPTRACK_LIBRARY=$(RELEASE)/libdeeptrack.so $(VENV)/bin/python \
		examples-python/training_batch.py docs/images/training_batch.png
	PYTHONPATH=$(CURDIR)/python DEEPTRACK_LIBRARY=$(RELEASE)/libdeeptrack.so $(VENV)/bin/python \
		examples-python/movie_strip.py docs/images/movie_strip.png

test: test-tools
	cargo fmt --check
	cargo clippy --all-targets $(FEATURES) --quiet -- -D warnings
	cargo test $(FEATURES)
	$(MAKE) python-test
	$(MAKE) dt2-tests

# cmake, pkg-config and valgrind, from the system's packages when missing (the install tests build
# programs against an installed prefix through pkg-config and CMake).
test-tools:
	sh packaging/test-tools.sh

# The Python package as users install it: a wheel built by `pip install ./python` (python/setup.py:
# setuptools-rust runs cargo, auditwheel tags the wheel manylinux; pip fetches them from PyPI into its
# isolated build environment), in a virtual environment of its own holding numpy (the only place numpy
# is installed) and pint (the package's other dependency, for deeptrack_native.units); the tests import
# the installed package, not python/ (they run from tests/python; test_packaging.py checks it).
# --force-reinstall: the wheel just built, with the library just built, is the one tested, even when
# the version is unchanged; --no-deps: numpy and pint are already there. `pip wheel`
# then writes the same wheel (cargo has nothing left to build) to target/wheels, where
# test_packaging.py runs `auditwheel show` on it and checks that it holds the installed files. Last, the
# sdist is built into target/sdist and a wheel is built from it alone (test_packaging.py compares it).
# tests/dt2/run_dt2_tests.py --setup creates target/dt2-venv (DeepTrack2 2.0.1 from PyPI, which
# test_dt2_converter.py reads) and installs what DeepTrack2's tests import into the venv
# (tests/dt2/requirements.txt).
python-test:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install numpy "pint>=0.20" "dask[distributed]" "auditwheel>=6.8"
	$(PIP) install zarr tifffile tqdm "matplotlib>=3.5"  # data/plot extras; TIFFs read back
	$(PIP) install --force-reinstall --no-deps ./python
	rm -rf $(CURDIR)/target/wheels $(CURDIR)/target/sdist
	$(PIP) wheel --no-deps --wheel-dir $(CURDIR)/target/wheels ./python
	$(PIP) install build
	$(VENV)/bin/python -m build --sdist --outdir $(CURDIR)/target/sdist python >/dev/null
	CARGO_TARGET_DIR=$(CURDIR)/target $(PIP) wheel --no-deps --wheel-dir $(CURDIR)/target/sdist/wheel \
		$(CURDIR)/target/sdist/deeptrack_native-*.tar.gz
	$(VENV)/bin/python tests/dt2/run_dt2_tests.py --setup --python $(VENV)/bin/python
	cd tests/python && DEEPTRACK_WHEEL_DIR=$(CURDIR)/target/wheels DEEPTRACK_SDIST_DIR=$(CURDIR)/target/sdist \
		$(VENV)/bin/python -m unittest discover -s . -p 'test_*.py' -v

# DeepTrack2 2.0.1's own tests (deeptrack/tests/ of the PyPI package, in target/dt2-venv), their imports
# rewritten to deeptrack_native, run against the package python-test installed into $(VENV); the table
# is printed and the summary written to target/dt2-tests/summary.json. The modules run and those that
# must pass are listed in tests/dt2/modules.toml, the tests not counted in tests/dt2/exclusions.toml.
dt2-tests:
	$(VENV)/bin/python tests/dt2/run_dt2_tests.py --python $(VENV)/bin/python \
		--json $(CURDIR)/target/dt2-tests/summary.json

# DeepTrack2's tutorial notebooks against the package python-test installed (docs/tutorials.md), read
# from a DeepTrack2 checkout given by path: make tutorials DT2_REPO=/path/to/DeepTrack2.
tutorials:
	test -n "$(DT2_REPO)" || { echo "give DT2_REPO=/path/to/a/DeepTrack2/checkout"; exit 2; }
	$(PIP) install -r tests/tutorials/requirements.txt
	$(VENV)/bin/python tests/tutorials/run_tutorials.py --repo $(DT2_REPO) --python $(VENV)/bin/python

# The development path: no install; the package in python/ loads target/debug's library (or
# target/release's, whichever was built last). Any python3 with numpy will do, e.g. $(VENV)/bin/python.
python-dev:
	cargo build --lib $(FEATURES)
	@echo 'export PYTHONPATH=$(CURDIR)/python'

# Renders include/deeptrack.h with cbindgen (a dev-dependency; tests/header.rs checks it is current).
header:
	DEEPTRACK_UPDATE_HEADER=1 cargo test --quiet --test header

# The README's table of built-in kinds, from the registry (tests/registry.rs fails when it is stale).
docs:
	DEEPTRACK_UPDATE_DOCS=1 cargo test --quiet $(FEATURES) --test registry the_readme_table_of_kinds_is_current

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
		lazy_import==0.2.2 matplotlib opencv-python-headless==4.14.0.94 tifffile==2026.3.3 imageio==2.38.1
	$(FIXTURES_PIP) install --no-deps deeptrack==2.0.1
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT))
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py --manifest tests/fixtures/deeptrack-2.0.1/reductions/manifest.json \
		$(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/reductions)
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py --manifest tests/fixtures/deeptrack-2.0.1/files/manifest.json \
		$(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/files)
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py --manifest tests/fixtures/deeptrack-2.0.1/resize_u8/manifest.json \
		$(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/resize_u8)
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py --manifest tests/fixtures/deeptrack-2.0.1/resize_narrow/manifest.json \
		$(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/resize_narrow)
	$(FIXTURES_VENV)/bin/python tests/fixtures/generate.py --manifest tests/fixtures/deeptrack-2.0.1/params/manifest.json \
		$(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/params)
	$(FIXTURES_VENV)/bin/python tests/fixtures/subclasses.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/subclasses)
	$(FIXTURES_VENV)/bin/python tests/fixtures/api_surface.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/api_surface.json)
	$(FIXTURES_VENV)/bin/python tests/fixtures/typed_inputs.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/typed_inputs.json)
	cargo build $(FEATURES)   # defaults.py reads the list of kinds from the library's registry
	DEEPTRACK_LIBRARY=$(CURDIR)/target/debug/libdeeptrack.so PYTHONPATH=$(CURDIR)/python \
		$(FIXTURES_VENV)/bin/python tests/fixtures/defaults.py $(if $(FIXTURES_OUT),--out $(FIXTURES_OUT)/defaults.json)
