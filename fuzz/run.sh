#!/bin/sh
# Runs the libFuzzer targets, SECONDS each (make fuzz: 60, make fuzz-smoke: 10), FUZZ_JOBS of them
# side by side (default 1, one after the other; make fuzz-smoke runs 2, one per core). Usage:
# fuzz/run.sh BUILD_DIR SECONDS [TARGET...] with targets among json route scim cookie http.
#
# Each target starts from its seeds (fuzz/corpus/<target>, only read) and from what earlier runs
# kept (BUILD_DIR/corpus/<target>, where new inputs go), with the dictionary fuzz/dict/<target>.dict.
# A crash, leak, sanitizer report or failed check is saved as fuzz/artifacts/<target>-crash-<sha1>
# (replay: BUILD_DIR/fuzz/<target>_fuzz <file>) and fails the run. The targets that run a server
# get -close_fd_mask=2 (their own reports and the sanitizers' still show).
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
build=$1
seconds=$2
shift 2
targets=${*:-json route scim cookie http}
mkdir -p fuzz/artifacts
jobs=${FUZZ_JOBS:-1}

run_one() { # run_one TARGET: one target's run and its line of results; fails when it fails
    t=$1
    corpus=$build/corpus/$t
    log=$build/fuzz-$t.log
    mkdir -p "$corpus"
    extra=
    case $t in
    json) extra=-max_len=65536 ;;               # GH_MAX_BODY_BYTES: bodies up to the limit
    cookie | http) extra=-close_fd_mask=2 ;;    # the server's log lines would drown the output
    esac
    if UBSAN_OPTIONS=print_stacktrace=1 "$build/fuzz/${t}_fuzz" "$corpus" "fuzz/corpus/$t" \
        -dict="fuzz/dict/$t.dict" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t-" $extra >"$log" 2>&1; then
        last=$(grep -a '#[0-9]*.*DONE' "$log" | tail -n 1)
        echo "fuzz $t: $(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}') exec/s," \
            "$(echo "$last" | grep -o 'cov: [0-9]*') edges, $(echo "$last" | grep -o 'corp: [^ ]*')" \
            "inputs/bytes ($log)"
    else
        echo "fuzz $t: FAILED (full log: $log; input saved in fuzz/artifacts/)"
        tail -n 80 "$log"
        return 1
    fi
}

status=0
running=0
pids=
for t in $targets; do
    run_one "$t" &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || status=1; done
        pids=
        running=0
    fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
