#!/bin/sh
# Gatehouse benchmarks on PostgreSQL (`make bench-pg`): the figures of bench/run.sh, measured the
# same way, with the database in a local PostgreSQL cluster instead of a SQLite file, and one more:
# how GET /api/v1/users/{id} req/s grows from one instance to two on the same database.
#
# Keeps a cluster of its own under bench/out/pg-USERS (created with Debian's initdb, run as the
# postgres user when this runs as root, on 127.0.0.1:PGPORT, on disk, with fsync and
# synchronous_commit on), seeds it with USERS users through gh-seed (once: bench/out/pg-USERS.seeded
# records the count and a digest of the migrations), then measures against `gatehouse serve`:
#   (a) start-up time until /healthz answers (median of STARTUP_RUNS),
#   (b) resident memory (VmRSS) idle after start-up and after the load,
#   (c) keep-alive throughput with wrk for GET /healthz and GET /api/v1/users/{random id},
#   (d) latency of GET /api/v1/users?q=TERM for substring terms taken from the data,
#   (e) GET /api/v1/users/{id} req/s of one instance, then of two instances at once (each with
#       half of the connections), WRK_RUNS runs each, alternating.
# The cluster is stopped at the end (its data stays for the next run). Prints everything and
# writes it to bench/out/pg-results.txt.
#
# Environment: USERS (1000000), PGPORT (18460), PORT (18457; the second instance uses PORT + 1),
# DURATION (10s), CONNECTIONS (32), WRK_THREADS (2), SERVER_THREADS (2), STARTUP_RUNS (5),
# WRK_RUNS (3), SEARCH_REQUESTS (3000), SHORT_REQUESTS (120), SORTED_REQUESTS (300),
# SHARED_BUFFERS (1GB).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build
OUT=bench/out
USERS=${USERS:-1000000}
PGPORT=${PGPORT:-18460}
PORT=${PORT:-18457}
PORT2=$((PORT + 1))
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
STARTUP_RUNS=${STARTUP_RUNS:-5}
WRK_RUNS=${WRK_RUNS:-3}
SEARCH_REQUESTS=${SEARCH_REQUESTS:-3000}
SHORT_REQUESTS=${SHORT_REQUESTS:-120}
SORTED_REQUESTS=${SORTED_REQUESTS:-300}
SHARED_BUFFERS=${SHARED_BUFFERS:-1GB}
PGDATA_DIR=$ROOT/$OUT/pg-$USERS
DBURL=postgresql://gatehouse@127.0.0.1:$PGPORT/gatehouse
KEY=$ROOT/$OUT/pg-$USERS.key
BASE=http://127.0.0.1:$PORT
BASE2=http://127.0.0.1:$PORT2
RESULTS=$OUT/pg-results.txt
SERVER_LOG=$OUT/pg-server.log
mkdir -p "$OUT"
export GATEHOUSE_SECRET_KEY_FILE="$KEY" # bench/startup.mjs's servers need it too

say() { printf '%s\n' "$*"; }
die() { printf 'bench/pg: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------------
missing=""
command -v wrk >/dev/null || missing="$missing wrk"
command -v node >/dev/null || missing="$missing nodejs"
command -v curl >/dev/null || missing="$missing curl"
command -v psql >/dev/null || missing="$missing postgresql-client"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql postgresql-contrib"
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # one word per package
    scripts/apt-ensure $missing || die "needs:$missing"
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# --- build ---------------------------------------------------------------------------------------
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed (run: cmake --build $BUILD)"
GH=$BUILD/gatehouse
SRC_STATE=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- src 2>/dev/null; then
    SRC_STATE="$SRC_STATE + uncommitted src/ changes (diff sha256 $(git diff HEAD -- src | sha256sum | cut -c1-12))"
fi
[ -x "$BUILD/gh-seed" ] || die "$BUILD/gh-seed was not built"

# --- the cluster ---------------------------------------------------------------------------------
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_started=""
stop_cluster() {
    [ -z "$pg_started" ] || as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
    pg_started=""
}
if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    say "== creating the cluster $PGDATA_DIR"
    rm -rf "$PGDATA_DIR" "$PGDATA_DIR.seeded"
    mkdir -m 700 "$PGDATA_DIR"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$PGDATA_DIR"
    as_owner "$PGBIN/initdb" -D "$PGDATA_DIR" -U gatehouse --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$OUT/pg-initdb.log" 2>&1 || die "initdb failed (see $OUT/pg-initdb.log)"
    cat >>"$PGDATA_DIR/postgresql.conf" <<EOF
# bench/pg.sh: the settings of docs/deployment.md for a small machine
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA_DIR'
max_connections = 100
shared_buffers = $SHARED_BUFFERS
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 512MB
random_page_cost = 1.1
fsync = on
synchronous_commit = on
full_page_writes = on
max_wal_size = 4GB
EOF
fi
as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 120 start >/dev/null ||
    die "the cluster did not start (see $PGDATA_DIR/server.log)"
pg_started=1

SERVER_PID=""
SERVER2_PID=""
stop_servers() {
    for p in $SERVER_PID $SERVER2_PID; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    SERVER_PID=""
    SERVER2_PID=""
}
trap 'stop_servers; stop_cluster' EXIT
trap 'exit 130' INT TERM

# --- data ----------------------------------------------------------------------------------------
STAMP="$USERS $(cat src/db/migrations/postgres/*.sql | sha256sum | cut -c1-16)"
if [ "$(cat "$PGDATA_DIR.seeded" 2>/dev/null || true)" != "$STAMP" ]; then
    say "== seeding $DBURL with $USERS users (once; kept in $PGDATA_DIR)"
    psql "postgresql://gatehouse@127.0.0.1:$PGPORT/postgres" -qAtX \
        -c "DROP DATABASE IF EXISTS gatehouse WITH (FORCE)" -c "CREATE DATABASE gatehouse" ||
        die "cannot create the database"
    rm -f "$KEY"
    "$BUILD/gh-seed" --db "$DBURL" --users "$USERS" 2>>"$OUT/pg-seed.log" | tee "$OUT/pg-seed.txt"
    grep -q "^inserted $USERS users" "$OUT/pg-seed.txt" || die "seeding failed (see $OUT/pg-seed.log)"
    echo "$STAMP" >"$PGDATA_DIR.seeded"
fi
if ! "$GH" user show bench --db "$DBURL" >/dev/null 2>&1; then
    echo "Correct-Horse-Battery-Staple-42" |
        "$GH" admin create --username bench --email bench@example.com --password-stdin \
            --db "$DBURL" 2>>"$OUT/pg-cli.log" >/dev/null || die "admin create failed (see $OUT/pg-cli.log)"
fi
TOKEN=$("$GH" token create --user bench --db "$DBURL" 2>>"$OUT/pg-cli.log") ||
    die "token create failed (see $OUT/pg-cli.log)"
DB_MB=$(psql "$DBURL" -qAtX -c "SELECT pg_database_size('gatehouse') / 1048576")
# The cluster has just started (its shared buffers are empty) and this VM hands page cache back:
# without this, the first figures measure the disk. pg_prewarm (contrib) reads the users table
# and its indexes into shared buffers.
say "== reading the users table and its indexes into shared buffers (pg_prewarm)"
psql "$DBURL" -qAtX -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND (c.relname LIKE 'users%' OR c.relname LIKE 'user\_%')" \
    >/dev/null || die "pg_prewarm failed"
PG_VERSION=$(psql "$DBURL" -qAtX -c "SHOW server_version")
PG_SYNC=$(psql "$DBURL" -qAtX -c "SHOW synchronous_commit")

# --- machine ---------------------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
RAM_GB=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
DEBIAN=$(cat /etc/debian_version 2>/dev/null || echo "not Debian")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

for p in "$PORT" "$PORT2"; do
    if curl -s -o /dev/null "http://127.0.0.1:$p/healthz"; then
        die "something already answers on port $p; set PORT"
    fi
done

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
grab() { awk -v n="$2" '$1 == "RESULT" && $2 == n {print $3}' "$1"; }
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
wrk_bad() { awk '/Non-2xx or 3xx responses:/ {n += $5} END {if (n) print n}' "$@"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

serve() { # port -> pid in LAST_PID
    "$GH" serve --db "$DBURL" --listen "127.0.0.1:$1" --threads "$SERVER_THREADS" \
        --per-ip-connection-limit 256 >>"$SERVER_LOG" 2>&1 &
    LAST_PID=$!
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$1/healthz"; do
        i=$((i + 1))
        [ $i -lt 300 ] || die "the server did not start (see $SERVER_LOG)"
        kill -0 "$LAST_PID" 2>/dev/null || die "the server exited (see $SERVER_LOG)"
        sleep 0.1
    done
}

say "== (a) start-up time on $DBURL ($DB_MB MB), $STARTUP_RUNS runs"
node bench/startup.mjs --bin "$GH" --db "$DBURL" --port "$PORT" --runs "$STARTUP_RUNS" \
    --log "$SERVER_LOG" >"$OUT/pg-startup.txt" || { cat "$OUT/pg-startup.txt"; die "start-up runs failed"; }
cat "$OUT/pg-startup.txt"
R_startup_ms="$(grab "$OUT/pg-startup.txt" startup_median_ms)"

say "== starting the server for the load tests"
serve "$PORT"
SERVER_PID=$LAST_PID
sleep 1
R_rss_idle_kb="$(rss_kb "$SERVER_PID" VmRSS)"
say "(b) idle RSS after start-up: $R_rss_idle_kb kB"

say "== (c) wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, keep-alive, $WRK_RUNS runs each"
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d3s -s bench/get_user.lua "$BASE" -- "$TOKEN" "$USERS" >/dev/null
rm -f "$OUT"/pg-wrk_*.txt
i=1
while [ "$i" -le "$WRK_RUNS" ]; do
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/healthz" \
        >"$OUT/pg-wrk_healthz.$i.txt"
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/get_user.lua "$BASE" \
        -- "$TOKEN" "$USERS" >"$OUT/pg-wrk_get_user.$i.txt"
    say "  run $i: healthz $(wrk_rps "$OUT/pg-wrk_healthz.$i.txt") req/s, get user $(wrk_rps "$OUT/pg-wrk_get_user.$i.txt") req/s"
    i=$((i + 1))
done
median_run() {
    for f in "$OUT/$1".*.txt; do printf '%s %s\n' "$(wrk_rps "$f")" "$f"; done |
        sort -n | awk '{a[NR] = $2} END {print a[int((NR + 1) / 2)]}'
}
all_rps() { for f in "$OUT/$1".*.txt; do printf '%s ' "$(wrk_rps "$f")"; done; }
WRK_H=$(median_run pg-wrk_healthz)
WRK_U=$(median_run pg-wrk_get_user)
R_healthz_all=$(all_rps pg-wrk_healthz)
R_user_all=$(all_rps pg-wrk_get_user)
R_healthz_rps="$(wrk_rps "$WRK_H")"
R_healthz_p50="$(wrk_pct "$WRK_H" 50%)"
R_healthz_p99="$(wrk_pct "$WRK_H" 99%)"
R_user_rps="$(wrk_rps "$WRK_U")"
R_user_p50="$(wrk_pct "$WRK_U" 50%)"
R_user_p99="$(wrk_pct "$WRK_U" 99%)"
R_bad="$(wrk_bad "$OUT"/pg-wrk_*.txt)"
R_ratio_pct="$(awk -v a="$R_user_rps" -v b="$R_healthz_rps" 'BEGIN {printf "%.0f", 100 * a / b}')"

say "== (d) search latency, sequential keep-alive requests"
node bench/search_latency.mjs --url "$BASE" --token "$TOKEN" --max-id "$USERS" \
    --requests "$SEARCH_REQUESTS" --short-requests "$SHORT_REQUESTS" \
    --sorted-requests "$SORTED_REQUESTS" --terms-out "$OUT/pg-search_terms.tsv" >"$OUT/pg-search.txt" ||
    { cat "$OUT/pg-search.txt"; die "the search client failed"; }
cat "$OUT/pg-search.txt"
for k in search_requests search_errors search_p50_ms search_p95_ms search_p99_ms search_short_p50_ms \
    search_short_p95_ms search_short_p99_ms search_sorted_p50_ms search_sorted_p95_ms \
    search_sorted_p99_ms; do
    eval "R_$k=\$(grab \"\$OUT/pg-search.txt\" $k)"
done
sleep 2
R_rss_after_kb="$(rss_kb "$SERVER_PID" VmRSS)"
R_rss_peak_kb="$(rss_kb "$SERVER_PID" VmHWM)"

say "== (e) one instance against two: GET /api/v1/users/{id}, -c$CONNECTIONS in all, $WRK_RUNS runs each"
serve "$PORT2"
SERVER2_PID=$LAST_PID
HALF=$((CONNECTIONS / 2))
HALF_T=$(((WRK_THREADS + 1) / 2))
wrk -t"$HALF_T" -c"$HALF" -d3s -s bench/get_user.lua "$BASE2" -- "$TOKEN" "$USERS" >/dev/null
ONE="" TWO=""
i=1
while [ "$i" -le "$WRK_RUNS" ]; do
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" -s bench/get_user.lua "$BASE" \
        -- "$TOKEN" "$USERS" >"$OUT/pg-wrk_one.$i.txt"
    wrk -t"$HALF_T" -c"$HALF" -d"$DURATION" -s bench/get_user.lua "$BASE" -- "$TOKEN" "$USERS" \
        >"$OUT/pg-wrk_two_a.$i.txt" &
    W1=$!
    wrk -t"$HALF_T" -c"$HALF" -d"$DURATION" -s bench/get_user.lua "$BASE2" -- "$TOKEN" "$USERS" \
        >"$OUT/pg-wrk_two_b.$i.txt"
    wait "$W1"
    one=$(wrk_rps "$OUT/pg-wrk_one.$i.txt")
    two=$(awk -v a="$(wrk_rps "$OUT/pg-wrk_two_a.$i.txt")" -v b="$(wrk_rps "$OUT/pg-wrk_two_b.$i.txt")" \
        'BEGIN {printf "%.2f", a + b}')
    say "  run $i: one instance $one req/s, two instances $two req/s"
    ONE="$ONE $one"
    TWO="$TWO $two"
    i=$((i + 1))
done
R_one_rps=$(echo "$ONE" | median)
R_two_rps=$(echo "$TWO" | median)
R_scale=$(awk -v a="$R_one_rps" -v b="$R_two_rps" 'BEGIN {printf "%.2f", b / a}')
R_bad2="$(wrk_bad "$OUT"/pg-wrk_one.*.txt "$OUT"/pg-wrk_two_*.txt)"
stop_servers
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary -------------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
{
    say "Gatehouse benchmark results, PostgreSQL"
    say "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
    say "commit:    $SRC_STATE"
    say "machine:   $(nproc) CPUs, $CPU, $RAM_GB GiB RAM, Debian $DEBIAN, Linux $(uname -r)"
    say "libraries: PostgreSQL $PG_VERSION (synchronous_commit=$PG_SYNC, shared_buffers=$SHARED_BUFFERS, on disk), libpq $(pkg-config --modversion libpq), libmicrohttpd $(pkg-config --modversion libmicrohttpd)"
    say "load avg:  before $LOAD_BEFORE, after $LOAD_AFTER"
    say "database:  $DBURL, $USERS seeded users, $DB_MB MB; PostgreSQL, the servers and wrk share the machine"
    say "server:    --threads $SERVER_THREADS --per-ip-connection-limit 256; wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION"
    say ""
    say "(a) start-up until /healthz answers (median of $STARTUP_RUNS): $R_startup_ms ms"
    say "(b) RSS idle after start-up:   $(mb "$R_rss_idle_kb") MB; after the load $(mb "$R_rss_after_kb") MB; peak $(mb "$R_rss_peak_kb") MB"
    say "(c) GET /healthz:              $R_healthz_rps req/s (p50 $R_healthz_p50, p99 $R_healthz_p99); runs: $R_healthz_all"
    say "    GET /api/v1/users/{id}:    $R_user_rps req/s (p50 $R_user_p50, p99 $R_user_p99); runs: $R_user_all"
    say "    ratio users/healthz:       $R_ratio_pct %"
    [ -z "$R_bad$R_bad2" ] || say "    WARNING: non-2xx responses: ${R_bad:-0} in (c), ${R_bad2:-0} in (e)"
    say "(d) search q= 3-8 chars ($R_search_requests requests, $R_search_errors errors): p50 $R_search_p50_ms ms, p95 $R_search_p95_ms ms, p99 $R_search_p99_ms ms"
    say "    search q= 1-2 chars:       p50 $R_search_short_p50_ms ms, p95 $R_search_short_p95_ms ms, p99 $R_search_short_p99_ms ms"
    say "    search q= 3-8, sort=name:  p50 $R_search_sorted_p50_ms ms, p95 $R_search_sorted_p95_ms ms, p99 $R_search_sorted_p99_ms ms"
    say "(e) GET /api/v1/users/{id}, one instance:  $R_one_rps req/s (runs:$ONE)"
    say "    two instances, one database:           $R_two_rps req/s (runs:$TWO); x$R_scale"
    # issue 13: bearer GET on PostgreSQL against SQLite's on the same machine, from the last
    # `make bench` (bench/run.sh) run's results when there is one
    SQLITE_RESULTS=$OUT/results.txt
    if [ -f "$SQLITE_RESULTS" ]; then
        S_RPS=$(awk '$1 == "GET" && $2 == "/api/v1/users/{id}:" {print $3; exit}' "$SQLITE_RESULTS")
        S_WHEN=$(sed -n 's/^date: *//p' "$SQLITE_RESULTS" | head -1)
        S_COMMIT=$(sed -n 's/^commit: *//p' "$SQLITE_RESULTS" | head -1)
        S_DB=$(sed -n 's/^database: *//p' "$SQLITE_RESULTS" | head -1)
        R_pg_ratio=$(awk -v a="$R_user_rps" -v b="$S_RPS" 'BEGIN {if (b > 0) printf "%.2f", a / b}')
        say "(f) bearer GET, PostgreSQL / SQLite: $R_user_rps / ${S_RPS:-?} req/s = ${R_pg_ratio:-?}  [target >= 0.5: $(awk -v r="$R_pg_ratio" 'BEGIN {print (r != "" && r + 0 >= 0.5) ? "ok" : "MISSED"}')]"
        say "    compared with the SQLite run of $SQLITE_RESULTS: $S_WHEN, $S_COMMIT, $S_DB"
    else
        say "(f) bearer GET, PostgreSQL / SQLite: no $SQLITE_RESULTS (run make bench first)"
    fi
} >"$RESULTS"
say ""
cat "$RESULTS"
say ""
say "written: $ROOT/$RESULTS (raw outputs in $OUT/pg-*)"
