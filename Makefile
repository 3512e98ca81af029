# The two commands of the README: `make run` and `make test`. Both install what is missing from
# Debian's packages first (as root, or through sudo), so they work on a fresh Debian 12 machine.

BUILD      ?= build
ASAN_BUILD ?= build-asan
DB         ?= gatehouse.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)

BUILD_PKGS := cmake gcc make pkg-config libmicrohttpd-dev libjansson-dev libsodium-dev \
              libsqlite3-dev liboath-dev libqrencode-dev libcrack2-dev cracklib-runtime wamerican \
              tzdata
TEST_PKGS  := $(BUILD_PKGS) libcmocka-dev nodejs sqlite3 sqlmap curl oathtool

.PHONY: all build run test deps test-deps unit api asan sqlmap bench format clean

all: build

deps:
	@scripts/apt-ensure $(BUILD_PKGS)

test-deps:
	@scripts/apt-ensure $(TEST_PKGS)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/gatehouse serve --db $(DB) --listen $(LISTEN)

unit: test-deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure

api: unit
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node --test tests/api/

asan: test-deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		GATEHOUSE_BIN=$(CURDIR)/$(ASAN_BUILD)/gatehouse node --test tests/api/

sqlmap: unit
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse tests/sqlmap/run.sh

test: api asan sqlmap
	@scripts/check-format

bench: build
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
