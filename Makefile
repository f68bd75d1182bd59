# The two commands of the README:
#   make example   builds the library (release) and compiles and runs examples-c/tutorial.c
#   make test      runs every test: format, lints, Rust tests, C/C++ tests, Python ctypes test
#   make simulate  renders examples-c/simulate.c's images (fluorescence and brightfield PNGs)
# and one for maintainers:
#   make header    regenerates include/deeptrack.h after a change to the C API

CC ?= cc
RELEASE := $(CURDIR)/target/release

.PHONY: example simulate test header

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

header:
	DEEPTRACK_UPDATE_HEADER=1 cargo build
