#!/usr/bin/env bash
# Hub fan-in: the fan-in simulator at 1,000 and 10,000 chapters, and the replay of pre-signed
# batches against the verification ceiling measured in the same run. Prints a table (median
# of the runs, min-max) and writes it into bench/RESULTS.md.
#
#   bench/fanin.sh [--runs R] [--build DIR]
#
# Default: 3 runs (one run of 10,000 chapters takes about 5 minutes on 2 cores). The
# simulator speaks plaintext: see bench/fanin_bench.cc.
set -euo pipefail

runs=3
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "usage: bench/fanin.sh [--runs R] [--build DIR]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j2 --target fanin_bench sync_bench ldgsd ldgsctl

work=$(mktemp -d /tmp/ldgs-fanin-XXXXXX)
trap 'rm -rf "$work"' EXIT
results="$work/results.txt"
: > "$results"
. bench/lib.sh

fanin="$build/bench/fanin_bench"
tagged() {  # tagged PREFIX COMMAND...: RESULT lines with PREFIX_ before each name
  local prefix="$1"; shift
  "$@" | sed "s/^RESULT /RESULT ${prefix}_/"
}
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs" >&2
  measure "$run" "$build/bench/sync_bench" ceilings 100000
  measure "$run" "$fanin" replay 4 400000
  measure "$run" tagged c1000 "$fanin" fanin 1000 --steady-seconds 20 --rate 2000
  measure "$run" tagged c10000 "$fanin" fanin 10000 --steady-seconds 20 --rate 2000
done
summarize

fanin_rows() {  # fanin_rows N
  row "c$1_connect_all" "$1 chapters: Hello, Pull and Push open, all at once" ""
  row "c$1_wave_rate" "$1 chapters: one batch of 10 each at once, rate" ""
  row "c$1_wave_ack_p99" "$1 chapters: that wave, ack p99" ""
  row "c$1_steady_ack_p50" "$1 chapters: steady 2,000 rec/s in batches of 10, ack p50" ""
  row "c$1_steady_ack_p99" "$1 chapters: steady, ack p99" "< 1 s"
  row "c$1_steady_hub_cpu_per_record" "$1 chapters: steady, hub CPU per record" ""
  row "c$1_hub_peak_rss" "$1 chapters: hub peak RSS" "< 2 GiB"
}
replay=$(value replay_rate)
verify=$(value verify_all_cores)
table=$(cat <<EOF
<!-- bench/fanin.sh:start -->
## Hub fan-in (bench/fanin.sh, $(date -u +%Y-%m-%d))
\`bench/fanin.sh --runs $runs\` on $(machine), $(basename "$build") build. Median of $runs
runs, min-max. One real ldgsd hub; one simulator process holding every chapter (own key,
enrollment and connection each), plaintext, sharing the machine. Records of ~300 bytes for
the hub only (a chapter's metrics and stories mostly go no further), signed before the clock
starts. An ack is timed from when its batch is due to the hub's durable acknowledgement.

| figure | median | min-max | target |
|---|---|---|---|
$(row verify_all_cores "Ed25519 verification, all cores (ceiling)" "")
$(row replay_rate "replay of pre-signed batches, 4 chapters x 100,000, 4 x 500 in flight" ">= 80% of the ceiling")
$(row replay_hub_cpu_per_record "replay: hub CPU per record" "")
$(fanin_rows 1000)
$(fanin_rows 10000)

Replay vs the verification ceiling: $(ratio "$replay" "$verify").
<!-- bench/fanin.sh:end -->
EOF
)
echo "$table" | tee "$work/table.md"
write_table "bench/fanin.sh" "$work/table.md"
