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
cmake --build "$build" -j2 --target sync_bench propagation_bench ldgsd ldgsctl
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
. bench/lib.sh

for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs" >&2
  measure "$run" "$bench" ceilings "$small"
  measure "$run" "$bench" sync "$records"
  measure "$run" "$bench" import "$work/small.jsonl"
  measure "$run" "$bench" import "$work/small.csv"
  measure "$run" "$bench" rss 100000
  measure "$run" "$bench" reconnect --plain 2> "$work/frames.txt"
  measure "$run" "$bench" reconnect
  measure "$run" "$build/bench/propagation_bench" steady 1000 20
  rm -rf "$work/pouch"
  measure "$run" node bench/peers/pouch_sync.js "$work/docs.jsonl" "$work/pouch" 1000
done

summarize
sync=$(value sync_mtls)
verify=$(value verify_all_cores)
pouch=$(value pouchdb_sync_batch_1000)
table=$(cat <<EOF
<!-- bench/run.sh $records:start -->
## Replication and bulk load, $records records (bench/run.sh, $(date -u +%Y-%m-%d))
\`bench/run.sh --records $records --runs $runs\` on $(machine),
$(basename "$build") build. Median of $runs runs, min-max.
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
$(row reconnect_plain_dialer_flights "no-op reconnect, plaintext: dialer flights carrying calls" "<= 2 round trips")
$(row reconnect_plain_bytes_up "no-op reconnect, plaintext: bytes up (all)" "")
$(row reconnect_plain_bytes_down "no-op reconnect, plaintext: bytes down (all)" "")
$(row reconnect_plain_call_bytes_up "no-op reconnect, plaintext: calls' frames up" "")
$(row reconnect_plain_call_bytes_down "no-op reconnect, plaintext: calls' frames down" "")
$(row reconnect_mtls_dialer_flights "no-op reconnect, mTLS: dialer flights (handshake too)" "")
$(row reconnect_mtls_bytes_up "no-op reconnect, mTLS: bytes up" "")
$(row reconnect_mtls_bytes_down "no-op reconnect, mTLS: bytes down" "")
$(row steady_delivered_rate "steady writes at chapter A, offered 1,000/s for 20 s: delivered to B" "1,000/s")
$(row steady_propagation_p50 "propagation A -> hub -> B under that load, mTLS: p50" "")
$(row steady_propagation_p99 "propagation under that load: p99" "")
$(row steady_write_ack_p99 "write acknowledged at A under that load: p99" "")

No-op reconnect, plaintext: $(awk -v a="$(value reconnect_plain_bytes_up)" -v b="$(value reconnect_plain_bytes_down)" 'BEGIN { print a + b }') bytes in all (target < 1 KiB).

Sync vs PouchDB: $(ratio "$sync" "$pouch")x. Sync vs the verification ceiling: $(ratio "$sync" "$verify").
<!-- bench/run.sh $records:end -->
EOF
)
echo "$table" | tee "$work/table.md"

write_table "bench/run.sh $records" "$work/table.md"
