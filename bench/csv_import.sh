#!/bin/sh
# The users import at scale (`make bench-csv-import`, issue 15): writes a CSV file of ROWS users
# without passwords (username, first_name, last_name, email; platform staff), imports it with
# `gatehouse user import` into a fresh SQLite database (each row its own transaction: created,
# invited, its onboarding e-mail queued), then imports it again (every row unchanged), and prints
# the wall time and peak memory of each. Writes bench/out/csv-import.txt.
#
# Environment: ROWS (100000), DB (bench/out/import.db; removed first).
set -eu

cd "$(dirname "$0")/.."
BUILD=build
OUT=bench/out
ROWS=${ROWS:-100000}
DB=${DB:-$OUT/import.db}
CSV=$OUT/import.csv
RESULTS=$OUT/csv-import.txt
mkdir -p "$OUT"
: >"$RESULTS"
say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }
die() { printf 'bench-csv-import: %s\n' "$*" >&2; exit 1; }

cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null || die "build failed (run: cmake --build $BUILD)"
GH=$BUILD/gatehouse
SRC_STATE=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || SRC_STATE="$SRC_STATE + uncommitted src/ changes"

node -e '
  const n = Number(process.argv[1]);
  const out = ["username,first_name,last_name,email"];
  for (let i = 0; i < n; i++) {
    const u = `imp${String(i).padStart(7, "0")}`;
    out.push(`${u},First${i},Last${i},${u}@example.com`);
  }
  process.stdout.write(out.join("\r\n") + "\r\n");
' "$ROWS" >"$CSV"
rm -f "$DB" "$DB-wal" "$DB-shm"
"$GH" migrate --db "$DB" >/dev/null 2>&1 || die "migrate failed"

say "== gatehouse user import of $ROWS rows ($(du -k "$CSV" | cut -f1) kB) into an empty $DB, build $SRC_STATE"
say "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
for pass in first again; do
    /usr/bin/time -f '%e %M' -o "$OUT/.import-time" "$GH" user import "$CSV" --db "$DB" \
        2>"$OUT/import-$pass.log" || die "the import failed (see $OUT/import-$pass.log)"
    set -- $(cat "$OUT/.import-time")
    say "$pass: $(grep '^import:' "$OUT/import-$pass.log") in ${1}s, peak RSS ${2} kB"
done
say "results in $RESULTS"
