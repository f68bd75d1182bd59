# The two commands of the README:
#   make example   builds the library (release) and compiles and runs examples-c/tutorial.c
#   make test      runs every test: format, lints, Rust tests, C/C++ tests, Python ctypes test
# and one for maintainers:
#   make header    regenerates include/deeptrack.h after a change to the C API

CC ?= cc
RELEASE := $(CURDIR)/target/release

.PHONY: example test header

example:
	cargo build --release --lib
	$(CC) -std=c11 -Wall -Wextra -O2 -Iinclude examples-c/tutorial.c -o $(RELEASE)/tutorial \
		-L$(RELEASE) -Wl,-rpath,$(RELEASE) -ldeeptrack -lm
	$(RELEASE)/tutorial

test:
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo test

header:
	DEEPTRACK_UPDATE_HEADER=1 cargo build
