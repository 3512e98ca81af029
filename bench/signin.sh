#!/bin/sh
# Sign-in benchmarks (`make bench-signin`), figures for BENCHMARKS.md:
#   (a) sign-ins per second with the right password, against the ideal of CORES / (time of one
#       Argon2id verification, measured in the same run by gh-hashtime): the ratio shows how much
#       of the machine's hashing capacity the sign-in path turns into sign-ins;
#   (b) GET /api/v1/session with a session cookie, against GET /healthz (keep-alive);
#   (c) GET /api/v1/users/{id} latency (p50, p99) with a bearer token while 200 connections flood
#       POST /api/v1/session with wrong passwords, once with the per-address throttle off (every
#       attempt reaches the Argon2id pool, which is full: the worst case) and once with defaults.
# Uses a fresh database under bench/out/signin/. Environment: PORT (18461), USERS (64),
# DURATION (10s), FLOOD (200), SERVER_THREADS (2).
set -eu
cd "$(dirname "$0")/.."
BUILD=build
OUT=bench/out/signin
PORT=${PORT:-18461}
USERS=${USERS:-64}
DURATION=${DURATION:-10s}
FLOOD=${FLOOD:-200}
SERVER_THREADS=${SERVER_THREADS:-2}
BASE=http://127.0.0.1:$PORT
PASSWORD="Qpw7-zorbel-bench-fentrax"
say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || scripts/apt-ensure wrk
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed"
GH=$BUILD/gatehouse
CORES=$(nproc)
rm -rf "$OUT" && mkdir -p "$OUT"
DB=$OUT/signin.db

SERVER_PID=""
stop_server() {
    [ -z "$SERVER_PID" ] && return 0
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap stop_server EXIT
start_server() { # extra flags
    "$GH" serve --db "$DB" --listen "127.0.0.1:$PORT" --threads "$SERVER_THREADS" \
        --per-ip-connection-limit 1024 "$@" 2>>"$OUT/server.log" &
    SERVER_PID=$!
    i=0
    until curl -s -o /dev/null "$BASE/healthz"; do
        i=$((i + 1)); [ $i -lt 100 ] || die "server did not start (see $OUT/server.log)"; sleep 0.05
    done
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_errors() { awk '/Non-2xx/ {print $5} /Socket errors/ {print $0}' "$1" | head -1; }
# p50 and p99 from wrk --latency, in ms
wrk_pct() { awk -v p="$2" '$1 == p {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' "$1"; }

say "== Argon2id: one verification at the server's parameters"
"$BUILD/gh-hashtime" 21 | tee "$OUT/hashtime.txt"
HASH_MS=$(awk '$1 == "RESULT" && $2 == "argon2id_verify_ms" {print $3}' "$OUT/hashtime.txt")

say "== setting up $USERS users"
echo "$PASSWORD" | "$GH" admin create --username benchadmin --email benchadmin@example.com \
    --password-stdin --db "$DB" >/dev/null 2>>"$OUT/cli.log"
TOKEN=$("$GH" token create --user benchadmin --db "$DB" 2>>"$OUT/cli.log")
start_server --signin-rate-per-minute 10000
n=1
while [ $n -le "$USERS" ]; do
    curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench$n\",\"email\":\"bench$n@example.com\",\"password\":\"$PASSWORD\"}" \
        "$BASE/api/v1/users" || die "user create failed"
    n=$((n + 1))
done

say "== (a) sign-ins with the right password, wrk -t2 -c$((CORES * 4)) -d$DURATION"
wrk -t2 -c$((CORES * 4)) -d"$DURATION" -s bench/signin.lua "$BASE" -- bench "$USERS" "$PASSWORD" \
    >"$OUT/wrk_signin.txt"
cat "$OUT/wrk_signin.txt"
SIGNIN_RPS=$(wrk_rps "$OUT/wrk_signin.txt")
IDEAL=$(awk -v c="$CORES" -v t="$HASH_MS" 'BEGIN {printf "%.1f", c / (t / 1000)}')
RATIO=$(awk -v r="$SIGNIN_RPS" -v i="$IDEAL" 'BEGIN {printf "%.2f", r / i}')

say "== (b) GET /api/v1/session with a cookie vs GET /healthz"
COOKIE=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"benchadmin\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/session" |
    sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p' | head -1)
[ -n "$COOKIE" ] || die "sign-in for the cookie failed"
wrk -t2 -c32 -d"$DURATION" -H "Cookie: $COOKIE" "$BASE/api/v1/session" >"$OUT/wrk_session.txt"
wrk -t2 -c32 -d"$DURATION" "$BASE/healthz" >"$OUT/wrk_healthz.txt"
SESSION_RPS=$(wrk_rps "$OUT/wrk_session.txt")
HEALTH_RPS=$(wrk_rps "$OUT/wrk_healthz.txt")
SESSION_ERR=$(wrk_errors "$OUT/wrk_session.txt")

flood() { # label
    wrk -t1 -c"$FLOOD" -d15s -s bench/signin.lua "$BASE" -- bench "$USERS" "wrong-password-$1" \
        >"$OUT/wrk_flood_$1.txt" &
    FLOOD_PID=$!
    sleep 3
    wrk -t1 -c4 -d10s --latency -s bench/get_user.lua "$BASE" -- "$TOKEN" "$USERS" \
        >"$OUT/wrk_during_$1.txt"
    wait $FLOOD_PID
}
say "== (c) GET /api/v1/users/{id} while $FLOOD connections send wrong passwords"
flood nothrottle
stop_server
start_server
flood throttled
stop_server

P50_A=$(wrk_pct "$OUT/wrk_during_nothrottle.txt" 50%); P99_A=$(wrk_pct "$OUT/wrk_during_nothrottle.txt" 99%)
P50_B=$(wrk_pct "$OUT/wrk_during_throttled.txt" 50%); P99_B=$(wrk_pct "$OUT/wrk_during_throttled.txt" 99%)
ERR_A=$(wrk_errors "$OUT/wrk_during_nothrottle.txt"); ERR_B=$(wrk_errors "$OUT/wrk_during_throttled.txt")
FLOOD_A=$(wrk_rps "$OUT/wrk_flood_nothrottle.txt"); FLOOD_B=$(wrk_rps "$OUT/wrk_flood_throttled.txt")
{
    say ""
    say "Gatehouse sign-in benchmark"
    say "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    say "commit:   $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted src/ changes')"
    say "machine:  $CORES CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Debian $(cat /etc/debian_version)"
    say "load:     $(cut -d' ' -f1-3 /proc/loadavg) (after)"
    say "(a) Argon2id verify: $HASH_MS ms; ideal $CORES cores / that = $IDEAL sign-ins/s"
    say "    sign-ins/s (right password): $SIGNIN_RPS; ratio $RATIO  [target >= 0.8: $(awk -v r="$RATIO" 'BEGIN {print (r >= 0.8) ? "ok" : "MISSED"}')]"
    say "(b) GET /api/v1/session (cookie): $SESSION_RPS req/s${SESSION_ERR:+ (non-2xx: $SESSION_ERR)}; /healthz $HEALTH_RPS req/s; ratio $(awk -v a="$SESSION_RPS" -v b="$HEALTH_RPS" 'BEGIN {printf "%d %%", 100 * a / b}')  [target >= 50 %]"
    say "(c) GET /api/v1/users/{id} during a flood of $FLOOD connections of wrong passwords:"
    say "    throttle off: p50 $P50_A ms, p99 $P99_A ms${ERR_A:+ (non-2xx: $ERR_A)}; flood answered $FLOOD_A req/s (401/429)  [target p99 < 50 ms]"
    say "    defaults:     p50 $P50_B ms, p99 $P99_B ms${ERR_B:+ (non-2xx: $ERR_B)}; flood answered $FLOOD_B req/s (401/429)"
    say "RESULT signin_ratio $RATIO"
    say "RESULT session_get_rps $SESSION_RPS"
    say "RESULT healthz_rps $HEALTH_RPS"
    say "RESULT flood_get_p99_ms $P99_A"
} | tee "$OUT/results.txt"
