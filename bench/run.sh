#!/bin/sh
# Gatehouse benchmarks (`make bench`). See BENCHMARKS.md for what each figure means.
#
# Builds, seeds a database with USERS generated users (once; it is kept under bench/out/), creates
# the superadmin "bench" and a token, then measures against `gatehouse serve`:
#   (a) start-up time until /healthz answers (median of STARTUP_RUNS),
#   (b) resident memory (VmRSS) idle after start-up and again after the load,
#   (c) keep-alive throughput with wrk for GET /healthz, GET /api/v1/users/{random id} (bearer
#       token) and GET /api/v1/session (session cookie of the bench user, signed in once),
#   (d) latency of GET /api/v1/users?q=TERM for substring terms taken from the data.
# Prints everything and writes it to bench/out/results.txt.
#
# Environment: USERS (1000000), DB (bench/out/bench.db, or bench/out/bench-USERS.db when USERS is
# not the default), PORT (18457), DURATION (10s), CONNECTIONS (32), WRK_THREADS (2),
# SERVER_THREADS (2), STARTUP_RUNS (5), WRK_RUNS (3), SEARCH_REQUESTS (3000), SHORT_REQUESTS (120),
# SORTED_REQUESTS (300).
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build
OUT=bench/out
USERS=${USERS:-1000000}
DEFAULT_DB=$OUT/bench.db
[ "$USERS" = 1000000 ] || DEFAULT_DB=$OUT/bench-$USERS.db
DB=${DB:-$DEFAULT_DB}
PORT=${PORT:-18457}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
STARTUP_RUNS=${STARTUP_RUNS:-5}
WRK_RUNS=${WRK_RUNS:-3}
SEARCH_REQUESTS=${SEARCH_REQUESTS:-3000}
SHORT_REQUESTS=${SHORT_REQUESTS:-120}
SORTED_REQUESTS=${SORTED_REQUESTS:-300}
BASE=http://127.0.0.1:$PORT
RESULTS=$OUT/results.txt
SERVER_LOG=$OUT/server.log
mkdir -p "$OUT"

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------------
missing=""
command -v wrk >/dev/null || missing="$missing wrk"
command -v node >/dev/null || missing="$missing nodejs"
command -v curl >/dev/null || missing="$missing curl"
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # one word per package
    scripts/apt-ensure $missing || die "needs:$missing"
fi
node -e 'process.exit(typeof fetch === "function" ? 0 : 1)' || die "needs Node.js 18 or later"

# --- build ---------------------------------------------------------------------------------------
# Configure (keeps the cached build type) so that a newly added bench/seed.c gets its target.
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed (run: cmake --build $BUILD)"
GH=$BUILD/gatehouse
# What was built: the commit, and a digest of uncommitted changes to src/ when there are any.
SRC_STATE=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- src 2>/dev/null; then
    SRC_STATE="$SRC_STATE + uncommitted src/ changes (diff sha256 $(git diff HEAD -- src | sha256sum | cut -c1-12))"
fi
[ -x "$BUILD/gh-seed" ] || die "$BUILD/gh-seed was not built"

# --- data ----------------------------------------------------------------------------------------
# DB.seeded holds the user count and a digest of the schema's migrations once gh-seed has finished:
# without it the file is partial; with other values it was seeded for another count or schema
# (a migration edited in place would not be re-applied to an existing file).
STAMP="$USERS $(cat src/db/migrations/sqlite/*.sql | sha256sum | cut -c1-16)"
if [ -e "$DB" ] && [ "$(cat "$DB.seeded" 2>/dev/null || true)" != "$STAMP" ]; then
    [ "$DB" = "$DEFAULT_DB" ] || die "$DB exists but was not seeded with $USERS users by this script"
    say "removing $DB: it does not hold a finished seed of $USERS users with the current schema"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.seeded"
fi
if [ ! -e "$DB" ]; then
    say "== seeding $DB with $USERS users"
    # (no pipefail in sh: success is read from the seeder's last line)
    "$BUILD/gh-seed" --db "$DB" --users "$USERS" 2>>"$OUT/seed.log" | tee "$OUT/seed.txt"
    grep -q "^inserted $USERS users" "$OUT/seed.txt" || die "seeding failed (see $OUT/seed.log)"
    echo "$STAMP" >"$DB.seeded"
fi
BENCH_PASSWORD=Correct-Horse-Battery-Staple-42
if ! "$GH" user show bench --db "$DB" >/dev/null 2>&1; then
    echo "$BENCH_PASSWORD" |
        "$GH" admin create --username bench --email bench@example.com --password-stdin \
            --db "$DB" 2>>"$OUT/cli.log" >/dev/null || die "admin create failed (see $OUT/cli.log)"
fi
TOKEN=$("$GH" token create --user bench --db "$DB" 2>>"$OUT/cli.log") ||
    die "token create failed (see $OUT/cli.log)"
DB_MB=$(du -m "$DB" | cut -f1)
# Read the file once so that the OS page cache holds it, as on a server that has run a while: this
# machine's VM gives unused page cache back, and the GET figure at 1M users then measured random
# reads from the virtual disk (about 1,100 req/s) instead of the server.
cat "$DB" >/dev/null

# --- machine ---------------------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
RAM_GB=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
DEBIAN=$(cat /etc/debian_version 2>/dev/null || echo "not Debian")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# processes above 10 % CPU over half a second (the second frame of top; the first is not a rate)
BUSY_BEFORE=$(top -bn2 -d0.5 -w 200 2>/dev/null |
    awk '$1 == "PID" {frame++; next} frame == 2 && $9 + 0 >= 10 {printf "%s(%s%%) ", $12, $9}')

# --- server --------------------------------------------------------------------------------------
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

if curl -s -o /dev/null "$BASE/healthz"; then
    die "something already answers on port $PORT; set PORT"
fi

rss_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# CPU accounting, to tell whether something else ran during the measurements: the machine's busy
# time (user + nice + system, all CPUs) minus the server's and this script's children's (wrk,
# node, curl) is what other processes used. Softirq time (loopback networking) is left out.
TCK=$(getconf CLK_TCK)
cpu_mark() { # sets CPU_MACHINE, CPU_OURS (seconds)
    CPU_MACHINE=$(awk -v t="$TCK" '/^cpu / {print ($2 + $3 + $4) / t}' /proc/stat)
    times >"$OUT/.times" # a builtin: must run in this shell, not in $( )
    CPU_OURS=$(awk -v t="$TCK" -v pid_stat="/proc/$SERVER_PID/stat" 'NR == 2 {
        for (i = 1; i <= NF; i++) { split($i, p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] } }
        END { getline line < pid_stat; split(line, f, ") "); split(f[2], g, " ");
              print s + (g[12] + g[13]) / t }' "$OUT/.times")
}
grab() { # file name: value of "RESULT name value"
    awk -v n="$2" '$1 == "RESULT" && $2 == n {print $3}' "$1"
}

say "== (a) start-up time on $DB ($DB_MB MB), $STARTUP_RUNS runs"
node bench/startup.mjs --bin "$GH" --db "$DB" --port "$PORT" --runs "$STARTUP_RUNS" \
    --log "$SERVER_LOG" >"$OUT/startup.txt" || { cat "$OUT/startup.txt"; die "start-up runs failed"; }
cat "$OUT/startup.txt"
R_startup_ms="$(grab "$OUT/startup.txt" startup_median_ms)"

say "== starting the server for the load tests"
"$GH" serve --db "$DB" --listen "127.0.0.1:$PORT" --threads "$SERVER_THREADS" \
    --per-ip-connection-limit 256 >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
i=0
until curl -s -o /dev/null "$BASE/healthz"; do
    i=$((i + 1))
    [ $i -lt 300 ] || die "the server did not start (see $SERVER_LOG)"
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $SERVER_LOG)"
    sleep 0.1
done
sleep 1
R_rss_idle_kb="$(rss_kb "$SERVER_PID" VmRSS)"
say "(b) idle RSS after start-up: $R_rss_idle_kb kB"

wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
wrk_bad() { awk '/Non-2xx or 3xx responses:/ {n += $5} END {if (n) print n}' "$@"; }

say "== (c) wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, keep-alive, $WRK_RUNS runs each"
# The session cookie of the bench user: one sign-in through the API (a GET needs only the cookie;
# CSRF checks apply to state changes).
COOKIE=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$BENCH_PASSWORD\"}" "$BASE/api/v1/session" |
    sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p' | head -1)
[ -n "$COOKIE" ] || die "sign-in of the bench user for a session cookie failed"
cpu_mark
CPU_MACHINE0=$CPU_MACHINE CPU_OURS0=$CPU_OURS T0=$(date +%s.%N)
# A short unreported warm-up: opens the per-thread database connections, fills their caches.
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d3s -s bench/get_user.lua "$BASE" -- "$TOKEN" "$USERS" \
    >/dev/null
# The two tests alternate so that a slow phase of the machine hits both alike; the run with the
# median req/s of each is reported (its latency figures too).
rm -f "$OUT"/wrk_healthz.*.txt "$OUT"/wrk_get_user.*.txt "$OUT"/wrk_session.*.txt
i=1
while [ "$i" -le "$WRK_RUNS" ]; do
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/healthz" \
        >"$OUT/wrk_healthz.$i.txt"
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/get_user.lua "$BASE" \
        -- "$TOKEN" "$USERS" >"$OUT/wrk_get_user.$i.txt"
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $COOKIE" \
        "$BASE/api/v1/session" >"$OUT/wrk_session.$i.txt"
    say "  run $i: healthz $(wrk_rps "$OUT/wrk_healthz.$i.txt") req/s, get user $(wrk_rps "$OUT/wrk_get_user.$i.txt") req/s, session $(wrk_rps "$OUT/wrk_session.$i.txt") req/s"
    i=$((i + 1))
done
median_run() { # prefix -> the file of the run with the median req/s
    for f in "$OUT/$1".*.txt; do printf '%s %s\n' "$(wrk_rps "$f")" "$f"; done |
        sort -n | awk '{a[NR] = $2} END {print a[int((NR + 1) / 2)]}'
}
all_rps() { for f in "$OUT/$1".*.txt; do printf '%s ' "$(wrk_rps "$f")"; done; }
WRK_H=$(median_run wrk_healthz)
WRK_U=$(median_run wrk_get_user)
WRK_S=$(median_run wrk_session)
cp "$WRK_H" "$OUT/wrk_healthz.txt"
cp "$WRK_U" "$OUT/wrk_get_user.txt"
cp "$WRK_S" "$OUT/wrk_session.txt"
say "median runs:"
cat "$WRK_H" "$WRK_U" "$WRK_S"
R_healthz_all=$(all_rps wrk_healthz)
R_user_all=$(all_rps wrk_get_user)
R_healthz_rps="$(wrk_rps "$WRK_H")"
R_healthz_p50="$(wrk_pct "$WRK_H" 50%)"
R_healthz_p99="$(wrk_pct "$WRK_H" 99%)"
R_user_rps="$(wrk_rps "$WRK_U")"
R_user_p50="$(wrk_pct "$WRK_U" 50%)"
R_user_p99="$(wrk_pct "$WRK_U" 99%)"
R_healthz_bad="$(wrk_bad "$OUT"/wrk_healthz.*.txt)"
R_user_bad="$(wrk_bad "$OUT"/wrk_get_user.*.txt)"
R_session_all=$(all_rps wrk_session)
R_session_rps="$(wrk_rps "$WRK_S")"
R_session_p50="$(wrk_pct "$WRK_S" 50%)"
R_session_p99="$(wrk_pct "$WRK_S" 99%)"
R_session_bad="$(wrk_bad "$OUT"/wrk_session.*.txt)"
[ -z "$R_user_bad$R_healthz_bad" ] ||
    say "WARNING: non-2xx responses (healthz: ${R_healthz_bad:-0}, get user: ${R_user_bad:-0})"
R_ratio_pct="$(awk -v a="$R_user_rps" -v b="$R_healthz_rps" 'BEGIN {printf "%.0f", 100 * a / b}')"
# each ratio from one run: that of the median /healthz run and the run of the same round
R_round=$(echo "$WRK_H" | sed 's/.*\.\([0-9]*\)\.txt$/\1/')
R_ratio_same_pct="$(awk -v a="$(wrk_rps "$OUT/wrk_get_user.$R_round.txt")" -v b="$R_healthz_rps" 'BEGIN {printf "%.0f", 100 * a / b}')"
R_session_ratio_pct="$(awk -v a="$(wrk_rps "$OUT/wrk_session.$R_round.txt")" -v b="$R_healthz_rps" 'BEGIN {printf "%.0f", 100 * a / b}')"
[ -z "$R_session_bad" ] || say "WARNING: non-2xx responses (session: $R_session_bad)"

say "== (d) search latency, sequential keep-alive requests"
node bench/search_latency.mjs --url "$BASE" --token "$TOKEN" --max-id "$USERS" \
    --requests "$SEARCH_REQUESTS" --short-requests "$SHORT_REQUESTS" \
    --sorted-requests "$SORTED_REQUESTS" --terms-out "$OUT/search_terms.tsv" >"$OUT/search.txt" ||
    { cat "$OUT/search.txt"; die "the search client failed"; }
cat "$OUT/search.txt"
R_search_requests=$(grab "$OUT/search.txt" search_requests)
R_search_errors=$(grab "$OUT/search.txt" search_errors)
R_search_p50_ms=$(grab "$OUT/search.txt" search_p50_ms)
R_search_p95_ms=$(grab "$OUT/search.txt" search_p95_ms)
R_search_p99_ms=$(grab "$OUT/search.txt" search_p99_ms)
R_search_short_p50_ms=$(grab "$OUT/search.txt" search_short_p50_ms)
R_search_short_p95_ms=$(grab "$OUT/search.txt" search_short_p95_ms)
R_search_short_p99_ms=$(grab "$OUT/search.txt" search_short_p99_ms)
R_search_sorted_p50_ms=$(grab "$OUT/search.txt" search_sorted_p50_ms)
R_search_sorted_p95_ms=$(grab "$OUT/search.txt" search_sorted_p95_ms)
R_search_sorted_p99_ms=$(grab "$OUT/search.txt" search_sorted_p99_ms)

cpu_mark
R_other_cpu=$(awk -v m0="$CPU_MACHINE0" -v m1="$CPU_MACHINE" -v o0="$CPU_OURS0" -v o1="$CPU_OURS" \
    -v t0="$T0" -v t1="$(date +%s.%N)" -v n="$(nproc)" 'BEGIN {
        other = (m1 - m0) - (o1 - o0)
        printf "%.1f CPU-seconds in %.0f s (%.0f %% of the machine)", other, t1 - t0, 100 * other / ((t1 - t0) * n) }')
say "CPU used by other processes during (c) and (d): $R_other_cpu"
say "  (machine user+nice+system $(awk -v a="$CPU_MACHINE0" -v b="$CPU_MACHINE" 'BEGIN {print b - a}') s, server and this script's children $(awk -v a="$CPU_OURS0" -v b="$CPU_OURS" 'BEGIN {print b - a}') s)"
sleep 2
R_rss_after_kb="$(rss_kb "$SERVER_PID" VmRSS)"
R_rss_peak_kb="$(rss_kb "$SERVER_PID" VmHWM)"
stop_server
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary -------------------------------------------------------------------------------------
check() { # value op limit -> "ok" or "MISSED"
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = (op == "<") ? (v + 0 < l + 0) : (v + 0 >= l + 0); print (v != "" && ok) ? "ok" : "MISSED" }'
}
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
RSS_LIMIT_KB=20480
{
    say "Gatehouse benchmark results"
    say "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
    say "commit:    $SRC_STATE"
    say "machine:   $(nproc) CPUs, $CPU, $RAM_GB GiB RAM, Debian $DEBIAN, Linux $(uname -r)"
    say "libraries: SQLite $(pkg-config --modversion sqlite3), libmicrohttpd $(pkg-config --modversion libmicrohttpd)"
    say "load avg:  before $LOAD_BEFORE, after $LOAD_AFTER; busy before start: ${BUSY_BEFORE:-none}"
    say "others:    CPU used by other processes during (c) and (d): $R_other_cpu"
    say "database:  $DB, $USERS seeded users, $DB_MB MB"
    say "server:    --threads $SERVER_THREADS --per-ip-connection-limit 256; wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION on the same machine"
    say ""
    say "(a) start-up until /healthz answers (median of $STARTUP_RUNS): $R_startup_ms ms  [target < 200 ms: $(check "$R_startup_ms" '<' 200)]"
    say "(b) RSS idle after start-up:   $(mb "$R_rss_idle_kb") MB ($R_rss_idle_kb kB)  [target < 20 MB: $(check "$R_rss_idle_kb" '<' $RSS_LIMIT_KB)]"
    say "    RSS idle after the load:   $(mb "$R_rss_after_kb") MB ($R_rss_after_kb kB)  [target < 20 MB: $(check "$R_rss_after_kb" '<' $RSS_LIMIT_KB)]"
    say "    peak RSS (VmHWM):          $(mb "$R_rss_peak_kb") MB"
    say "(c) GET /healthz:              $R_healthz_rps req/s (p50 $R_healthz_p50, p99 $R_healthz_p99); runs: $R_healthz_all"
    say "    GET /api/v1/users/{id}:    $R_user_rps req/s (p50 $R_user_p50, p99 $R_user_p99); runs: $R_user_all"
    say "    ratio users/healthz:       $R_ratio_pct %  [target >= 50 %: $(check "$R_ratio_pct" '>=' 50)] (medians; within run $R_round: $R_ratio_same_pct %)"
    say "    GET /api/v1/session:       $R_session_rps req/s (p50 $R_session_p50, p99 $R_session_p99), cookie; runs: $R_session_all"
    say "    ratio session/healthz:     $R_session_ratio_pct % (run $R_round)  [target >= 60 %: $(check "$R_session_ratio_pct" '>=' 60)]"
    [ -z "$R_session_bad" ] || say "    WARNING: non-2xx responses: session $R_session_bad"
    [ -z "$R_user_bad$R_healthz_bad" ] || say "    WARNING: non-2xx responses: healthz ${R_healthz_bad:-0}, get user ${R_user_bad:-0}"
    say "(d) search q= 3-8 chars ($R_search_requests requests, $R_search_errors errors): p50 $R_search_p50_ms ms, p95 $R_search_p95_ms ms, p99 $R_search_p99_ms ms  [target p99 < 5 ms: $(check "$R_search_p99_ms" '<' 5)]"
    say "    search q= 1-2 chars:       p50 $R_search_short_p50_ms ms, p95 $R_search_short_p95_ms ms, p99 $R_search_short_p99_ms ms"
    say "    search q= 3-8, sort=name:  p50 $R_search_sorted_p50_ms ms, p95 $R_search_sorted_p95_ms ms, p99 $R_search_sorted_p99_ms ms"
} >"$RESULTS"
say ""
cat "$RESULTS"
say ""
say "written: $ROOT/$RESULTS (raw outputs in $OUT/)"
