#!/bin/sh
# The users export at scale (`make bench-csv`, issue 15): seeds USERS users with gh-seed (the same
# file as `make bench`, bench/out/bench.db, kept between runs), creates the superadmin "bench" and
# a token, starts `gatehouse serve`, then downloads GET /api/v1/users.csv RUNS times with curl and
# prints for each run its time, bytes and rows, and the server's resident memory: VmRSS idle before
# the runs, and VmHWM (the peak since start-up) and VmRSS after each. Writes bench/out/csv.txt.
#
# Environment: USERS (1000000), DB (bench/out/bench.db, or bench/out/bench-USERS.db when USERS is
# not the default), PORT (18458), SERVER_THREADS (2), RUNS (2), QUERY (extra query, e.g. "bom=1").
set -eu

cd "$(dirname "$0")/.."
BUILD=build
OUT=bench/out
USERS=${USERS:-1000000}
DEFAULT_DB=$OUT/bench.db
[ "$USERS" = 1000000 ] || DEFAULT_DB=$OUT/bench-$USERS.db
DB=${DB:-$DEFAULT_DB}
PORT=${PORT:-18458}
SERVER_THREADS=${SERVER_THREADS:-2}
RUNS=${RUNS:-2}
QUERY=${QUERY:-}
BASE=http://127.0.0.1:$PORT
RESULTS=$OUT/csv.txt
SERVER_LOG=$OUT/csv-server.log
mkdir -p "$OUT"

say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }
die() { printf 'bench-csv: %s\n' "$*" >&2; exit 1; }
: >"$RESULTS"

cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed (run: cmake --build $BUILD)"
GH=$BUILD/gatehouse
SRC_STATE=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || SRC_STATE="$SRC_STATE + uncommitted src/ changes"

# --- data (as bench/run.sh: DB.seeded says the seed of this count and schema finished) ----------
STAMP="$USERS $(cat src/db/migrations/sqlite/*.sql | sha256sum | cut -c1-16)"
if [ -e "$DB" ] && [ "$(cat "$DB.seeded" 2>/dev/null || true)" != "$STAMP" ]; then
    [ "$DB" = "$DEFAULT_DB" ] || die "$DB exists but was not seeded with $USERS users by gh-seed"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.seeded"
fi
if [ ! -e "$DB" ]; then
    say "== seeding $DB with $USERS users"
    "$BUILD/gh-seed" --db "$DB" --users "$USERS" 2>>"$OUT/seed.log" | tee "$OUT/seed.txt"
    grep -q "^inserted $USERS users" "$OUT/seed.txt" || die "seeding failed (see $OUT/seed.log)"
    echo "$STAMP" >"$DB.seeded"
fi
BENCH_PASSWORD=Correct-Horse-Battery-Staple-42
if ! "$GH" user show bench --db "$DB" >/dev/null 2>&1; then
    echo "$BENCH_PASSWORD" |
        "$GH" admin create --username bench --email bench@example.com --password-stdin \
            --db "$DB" >/dev/null 2>>"$OUT/cli.log" || die "admin create failed (see $OUT/cli.log)"
fi
TOKEN=$("$GH" token create --user bench --db "$DB" 2>>"$OUT/cli.log") || die "token create failed"
cat "$DB" >/dev/null # into the OS page cache, as on a server that has run a while

# --- server ---------------------------------------------------------------------------------------
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM
curl -s -o /dev/null "$BASE/healthz" && die "something already answers on port $PORT; set PORT"
"$GH" serve --db "$DB" --listen "127.0.0.1:$PORT" --threads "$SERVER_THREADS" >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
i=0
until curl -s -o /dev/null "$BASE/healthz"; do
    i=$((i + 1))
    [ $i -lt 300 ] || die "the server did not start (see $SERVER_LOG)"
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $SERVER_LOG)"
    sleep 0.1
done
sleep 1
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }

say "== GET /api/v1/users.csv?$QUERY on $DB ($(du -m "$DB" | cut -f1) MB, $USERS users), build $SRC_STATE"
say "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "server idle: VmRSS $(kb VmRSS) kB, VmHWM $(kb VmHWM) kB"
i=1
while [ "$i" -le "$RUNS" ]; do
    W=$(curl -s -f -H "Authorization: Bearer $TOKEN" -o "$OUT/export.csv" \
        -w '%{time_starttransfer} %{time_total} %{size_download}' "$BASE/api/v1/users.csv?$QUERY") ||
        die "the export failed (see $SERVER_LOG)"
    ROWS=$(($(wc -l <"$OUT/export.csv") - 1))
    set -- $W
    say "run $i: first byte ${1}s, total ${2}s, $3 bytes, $ROWS rows; server VmHWM $(kb VmHWM) kB, VmRSS $(kb VmRSS) kB"
    i=$((i + 1))
done
rm -f "$OUT/export.csv"
say "results in $RESULTS"
