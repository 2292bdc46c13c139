#!/usr/bin/env bash
# The replication and bulk-load benchmarks in one command, beside PouchDB on the same
# documents in the same run. Prints a table (median of the runs, min-max) and writes it
# into bench/RESULTS.md, replacing the previous table of this script.
#
#   bench/run.sh [--records N] [--runs R] [--build DIR]
#
# Defaults: 1,000,000 records, 5 runs, build dir build/ (built here, RelWithDebInfo unless
# it exists already). PouchDB 9 with express-pouchdb (leveldb) is installed by npm into
# bench/peers/node_modules on the first run. Ceilings and imports use at most 200,000
# records (their rates do not depend on the count); RSS of a chapter holding records uses
# 100,000 (the target's size).
set -euo pipefail

records=1000000
runs=5
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "usage: bench/run.sh [--records N] [--runs R] [--build DIR]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target sync_bench ldgsd ldgsctl
if [[ ! -d bench/peers/node_modules/pouchdb ]]; then
  (cd bench/peers && npm install --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d /tmp/ldgs-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
small=$(( records < 200000 ? records : 200000 ))
bench="$build/bench/sync_bench"
"$bench" docs "$records" "$work/docs.jsonl"
"$bench" docs "$small" "$work/small.jsonl"
"$bench" docs "$small" "$work/small.csv"
results="$work/results.txt"
: > "$results"

measure() {  # measure RUN COMMAND...: keeps the RESULT lines, tagged with the run
  local run="$1"; shift
  "$@" | awk -v run="$run" '/^RESULT / { print run, $2, $3, $4 }' | tee -a "$results"
}

for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs" >&2
  measure "$run" "$bench" ceilings "$small"
  measure "$run" "$bench" sync "$records"
  measure "$run" "$bench" import "$work/small.jsonl"
  measure "$run" "$bench" import "$work/small.csv"
  measure "$run" "$bench" rss 100000
  rm -rf "$work/pouch"
  measure "$run" node bench/peers/pouch_sync.js "$work/docs.jsonl" "$work/pouch" 1000
done

# Median and range of each figure over the runs (awk only: nothing to install).
summary="$work/summary.txt"
sort -k2,2 -k3,3g "$results" | awk '
  { name = $2; v[name, ++n[name]] = $3; unit[name] = $4; if (!(name in seen)) { seen[name] = 1; order[++k] = name } }
  END {
    for (i = 1; i <= k; i++) {
      name = order[i]; c = n[name]
      median = (c % 2) ? v[name, (c + 1) / 2] : (v[name, c / 2] + v[name, c / 2 + 1]) / 2
      printf "%s %.3f %.3f %.3f %s %d\n", name, median, v[name, 1], v[name, c], unit[name], c
    }
  }' > "$summary"

value() { awk -v n="$1" '$1 == n { print $2 }' "$summary"; }
row() {  # row NAME LABEL TARGET
  awk -v n="$1" -v label="$2" -v target="$3" '$1 == n {
    printf "| %s | %s %s | %s-%s | %s |\n", label, fmt($2), $5, fmt($3), fmt($4), target }
    function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }' "$summary"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

sync=$(value sync_mtls)
verify=$(value verify_all_cores)
pouch=$(value pouchdb_sync_batch_1000)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
table=$(cat <<EOF
<!-- bench/run.sh $records:start -->
## Replication and bulk load, $records records (bench/run.sh, $(date -u +%Y-%m-%d))
\`bench/run.sh --records $records --runs $runs\` on $(nproc) cores ($cpu), $mem,
$(. /etc/os-release && echo "$PRETTY_NAME"), $(basename "$build") build. Median of $runs runs, min-max.
Sender and receiver share the machine. Sync: one chapter to one hub, real ldgsd processes,
mutual TLS, every signature verified; records of $(value record_bytes | cut -d. -f1) bytes signed.

| figure | median | min-max | target |
|---|---|---|---|
$(row verify_all_cores "Ed25519 verification, all cores (ceiling)" "")
$(row verify_one_core "Ed25519 verification, one core" "")
$(row sign_all_cores "Ed25519 signing, all cores (ceiling of a local write)" "")
$(row rocksdb_writebatch_ingest "RocksDB WriteBatch ingest, synced batches of 500 (ceiling)" "")
$(row sync_mtls "initial sync of $records records, mTLS" ">= 3x PouchDB")
$(row pouchdb_sync_batch_1000 "PouchDB replication, same documents, batch_size 1000" "")
$(row sync_mtls_hub_cpu_per_record "hub CPU per record synced" "")
$(row sync_mtls_chapter_cpu_per_record "chapter CPU per record synced" "")
$(row import_ldgsctl_jsonl "ldgsctl import, JSON lines ($small records)" ">= 50,000")
$(row import_ldgsctl_csv "ldgsctl import, CSV ($small records)" ">= 50,000")
$(row preload_storage_library "storage library, LocalWriter::PutMany of 1,000 ($records records)" "")
$(row pouchdb_bulk_load "PouchDB bulkDocs of 1,000 into leveldb" "")
$(row rss_idle_chapter "RSS, fresh idle chapter" "< 40 MB")
$(row rss_chapter_100000 "RSS, chapter holding 100,000 records" "< 64 MB")
$(row sync_mtls_hub_rss "RSS, hub after syncing $records records" "< 512 MB at 1,000,000")
$(row sync_mtls_chapter_rss "RSS, chapter after syncing $records records" "")
$(row pouchdb_sync_batch_1000_server_rss "RSS, PouchDB server after the replication" "")

Sync vs PouchDB: $(ratio "$sync" "$pouch")x. Sync vs the verification ceiling: $(ratio "$sync" "$verify").
<!-- bench/run.sh $records:end -->
EOF
)
echo "$table" | tee "$work/table.md"

# Replace this script's previous table for this record count in RESULTS.md (or add it
# after the header).
results_md=bench/RESULTS.md
start="<!-- bench/run.sh $records:start -->"
end="<!-- bench/run.sh $records:end -->"
if grep -qF "$start" "$results_md"; then
  awk -v table="$work/table.md" -v start="$start" -v end="$end" '
    $0 == start { while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end { skip = 0; next }
    !skip { print }' "$results_md" > "$work/RESULTS.md"
else
  awk -v table="$work/table.md" '
    NR == 5 { while ((getline line < table) > 0) print line; print "" }
    { print }' "$results_md" > "$work/RESULTS.md"
fi
cp "$work/RESULTS.md" "$results_md"
echo "written to $root/$results_md" >&2
