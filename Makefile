# The two commands of the README: `make run` and `make test`. Both install what is missing from
# Debian's packages first (as root, or through sudo), so they work on a fresh Debian 12 machine.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
FUZZ_SECONDS ?= 60
DB         ?= gatehouse.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)
# The builds of the test targets (unit, asan, tsan, fuzz-build, so all of `make test` and CI) treat
# warnings as errors; `make build` and `make run` do not, so that a release builds on a compiler
# newer than ours. `make test TEST_WERROR=OFF` when a new compiler's warning is in the way.
TEST_WERROR ?= ON

BUILD_PKGS := cmake gcc make pkg-config libmicrohttpd-dev libjansson-dev libsodium-dev \
              libsqlite3-dev liboath-dev libqrencode-dev libcrack2-dev cracklib-runtime wamerican \
              tzdata libcurl4-openssl-dev libpq-dev libcjose-dev libunistring-dev libsystemd-dev \
              libfido2-dev libcbor-dev libssl-dev
TEST_PKGS  := $(BUILD_PKGS) libcmocka-dev nodejs sqlite3 sqlmap curl oathtool python3-aiosmtpd \
              postgresql postgresql-contrib chromium fonts-wqy-zenhei nginx caddy \
              clang-format prometheus debhelper dpkg-dev fakeroot lintian systemd

.PHONY: all build run test test-suites deps test-deps unit api api-alone e2e pg pg-plain asan tsan \
        tsan-build sqlmap bench \
        bench-signin bench-pg bench-reset bench-csv bench-csv-import format check-format clean fuzz fuzz-smoke fuzz-build \
        lint-js format-js deb pkg

all: build

deps:
	@scripts/apt-ensure $(BUILD_PKGS)

test-deps:
	@scripts/apt-ensure $(TEST_PKGS)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_WERROR=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Builds the server only (not the tests), quietly: cmake's output goes to $(BUILD)/run-build.log,
# shown only when the build fails, and one progress line stands for it. An existing build folder
# keeps its settings (no re-configure that would rebuild everything). Then serve greets with its
# banner at a terminal and logs text; LOG_FORMAT=json for JSON lines, RUN_ARGS= for more options.
LOG_FORMAT ?=
RUN_ARGS   ?=
run: deps
	@mkdir -p $(BUILD)
	@printf 'Building gatehouse... '; \
	{ test -f $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_WERROR=OFF; } \
	  >$(BUILD)/run-build.log 2>&1 && \
	cmake --build $(BUILD) -j $(JOBS) --target gatehouse >>$(BUILD)/run-build.log 2>&1 \
	&& echo done || { echo failed; cat $(BUILD)/run-build.log; exit 1; }
	@exec $(BUILD)/gatehouse serve --db $(DB) --listen $(LISTEN) \
		$(if $(LOG_FORMAT),--log-format $(LOG_FORMAT)) $(RUN_ARGS)

unit: test-deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_WERROR=$(TEST_WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure

api: unit
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node --test --test-concurrency=2 tests/api/

# Every API test alone (`node --test --test-name-pattern='^<name>$' <file>` for each top-level
# test, 2 at a time): no test may depend on what another one left behind (STYLE §11). FILES=
# limits it to some files (paths), ALONE_JOBS= runs more at a time.
ALONE_JOBS ?= 2
api-alone: unit
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node tests/api/lib/each-alone.mjs -j $(ALONE_JOBS) $(FILES)

# The web console in Debian's chromium, driven by playwright-core (npm ci installs it and axe-core
# from package-lock.json when node_modules is missing; no browser is downloaded). One file at a
# time: each starts its own server and browser. Screenshots land in tests/e2e/artifacts/.
e2e: unit node_modules/.package-lock.json
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node --test --test-concurrency=1 tests/e2e/

# The driver, store, search and core tests (ctest's *_pg entries) and every API test again on
# PostgreSQL, in a throwaway cluster on a free loopback port (scripts/pg-test-cluster installs
# postgresql when missing and removes the cluster afterwards, whatever the outcome). The API
# suite runs here against the ThreadSanitizer build: one pass proves both the PostgreSQL paths
# and the threads (thread pool, hash workers, mail sender, throttle), which make test would
# otherwise pay for twice. make pg-plain does the same with the ordinary build.
pg: unit tsan-build
	scripts/pg-test-cluster run sh -c 'rc=0; \
		(cd $(BUILD) && ctest --output-on-failure -R "_pg$$") || rc=1; \
		TSAN_OPTIONS="halt_on_error=1" GATEHOUSE_BIN=$(CURDIR)/$(TSAN_BUILD)/gatehouse \
		node --test --test-concurrency=2 tests/api/ || rc=1; \
		exit $$rc'

pg-plain: unit
	scripts/pg-test-cluster run sh -c 'rc=0; \
		(cd $(BUILD) && ctest --output-on-failure -R "_pg$$") || rc=1; \
		GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node --test --test-concurrency=2 tests/api/ || rc=1; \
		exit $$rc'

asan: test-deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON \
		-DGH_WERROR=$(TEST_WERROR) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		GATEHOUSE_BIN=$(CURDIR)/$(ASAN_BUILD)/gatehouse node --test --test-concurrency=2 tests/api/

# Every API test against a ThreadSanitizer build of the server: libmicrohttpd's thread pool, the
# hash workers, the mail sender, the throttle and the request reaper. The first report ends the
# server (halt_on_error), which fails the test that started it with the report in its message.
# No suppressions: the first full run gave no report, from our code or the libraries. About 4
# minutes on 2 busy cores at --test-concurrency=2.
tsan-build: test-deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_TSAN=ON \
		-DGH_WERROR=$(TEST_WERROR) >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target gatehouse

# The API suite on SQLite against the ThreadSanitizer build (make test runs it on PostgreSQL,
# in make pg).
tsan: tsan-build
	TSAN_OPTIONS="halt_on_error=1" \
		GATEHOUSE_BIN=$(CURDIR)/$(TSAN_BUILD)/gatehouse node --test --test-concurrency=2 tests/api/

sqlmap: unit
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse tests/sqlmap/run.sh

# The format check comes first, before anything builds, and fails when clang-format is missing
# (test-deps installs it). The suites then run in a make of their own so that `make -j test`
# cannot start a build before the check has passed.
test: check-format
	@$(MAKE) --no-print-directory test-suites

test-suites:
	@MAKE='$(MAKE)' scripts/run-suites api e2e pg asan sqlmap fuzz-smoke pkg

check-format: test-deps node_modules/.package-lock.json
	@scripts/check-format

# The npm packages of package-lock.json (playwright-core and axe-core for the browser tests,
# prettier and eslint for the JavaScript): npm ci installs them when node_modules is missing or
# older than the lock file (npm ci writes node_modules/.package-lock.json last).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || scripts/apt-ensure npm
	npm ci --no-audit --no-fund

# The JavaScript of web/, tests/ and bench/ (JS_FILES): `make lint-js` checks its format (prettier,
# .prettierrc.json: 100 columns) and runs eslint (eslint.config.mjs); `make format-js` rewrites it
# in that format. scripts/check-format runs the same checks with clang-format's.
lint-js: node_modules/.package-lock.json
	@scripts/check-format js

format-js: node_modules/.package-lock.json
	node_modules/.bin/prettier --write --log-level warn $$(scripts/check-format js-files)

# libFuzzer targets of fuzz/ (SECURITY.md I7), built by clang with ASan and UBSan into
# $(FUZZ_BUILD): `make fuzz` runs each one for FUZZ_SECONDS, `make fuzz-smoke` for 10 s (40 s in
# all). fuzz/run.sh says how: seed corpora, dictionaries, crashes saved in fuzz/artifacts/.
fuzz-build: deps
	@scripts/apt-ensure clang libclang-rt-14-dev
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DGH_FUZZ=ON -DGH_WERROR=$(TEST_WERROR) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	FUZZ_JOBS=2 fuzz/run.sh $(FUZZ_BUILD) 10

# The Debian package (debian/): gatehouse_<version>_<arch>.deb with its .buildinfo and .changes
# in $(DEB_OUT)/, built by dpkg-buildpackage on a copy of the tree (scripts/make-deb), so the tree
# stays clean. `dpkg -i $(DEB_OUT)/gatehouse_*.deb` installs it (README, Operations).
DEB_OUT ?= build-deb
deb: deps
	@scripts/apt-ensure debhelper dpkg-dev fakeroot
	scripts/make-deb $(DEB_OUT)

# The package's test (tests/pkg/): lintian, the layout, systemd-analyze verify and security on
# the unit, and the installed program serving from an extracted root. About 30 s with the build.
pkg: deb test-deps
	GATEHOUSE_DEB="$$(ls $(CURDIR)/$(DEB_OUT)/gatehouse_*.deb)" node --test tests/pkg/

bench: build
	bench/run.sh

bench-signin: build
	bench/signin.sh

bench-pg: build
	bench/pg.sh

# The users export at 1M users (issue 15): time, bytes, rows and the server's peak memory.
bench-csv: build
	bench/csv_export.sh

# The users import: 100,000 rows into an empty SQLite database, then the same file again.
bench-csv-import: build
	bench/csv_import.sh

# Forgot-password timing for known and unknown names (SECURITY A6): medians and p90 of each.
bench-reset: build
	@command -v node >/dev/null || scripts/apt-ensure nodejs python3-aiosmtpd
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse node bench/reset_timing.mjs

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD) $(DEB_OUT)
