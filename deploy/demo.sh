#!/usr/bin/env bash
# The main job: builds ldgs, starts a chapter node on loopback, loads the demo data set
# (a homelessness-reduction network of cities), lists it, and stops the node cleanly.
# Works on a fresh Debian 12 machine as root. Set LDGS_DEMO_DIR to keep the data elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-2}" --target ldgsd ldgsctl

ldgsd=$root/build/daemon/ldgsd
ldgsctl=$root/build/client/ldgsctl
demo=${LDGS_DEMO_DIR:-$root/.demo}
rm -rf "$demo"
mkdir -p "$demo"
data=$root/deploy/demo

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

# wait_for FILE: polls for a file the daemon writes once it serves (deadline 30 s).
wait_for() {
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo: $1 did not appear; see $demo/*.log" >&2
  return 1
}

echo "== a chapter node: Rockford, IL (midwest)"
$ldgsd init --data "$demo/rockford" --name "Rockford, IL" --region midwest --role chapter
$ldgsd run --data "$demo/rockford" --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 \
  2>"$demo/rockford.log" &
pid=$!
wait_for "$demo/rockford/admin.addr"
ctl() { $ldgsctl --data "$demo/rockford" "$@"; }

echo "== loading metric definitions, practices, stories and 12 months of metrics"
while IFS= read -r line; do ctl put metric --json - --visibility network <<<"$line" >/dev/null; done \
  <"$data/metrics.jsonl"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  # Most practices are shared with the network; a few stay with the hub or private.
  vis=network; [ $((n % 7)) -eq 0 ] && vis=hub; [ $((n % 11)) -eq 0 ] && vis=private
  ctl put practice --json - --visibility $vis <<<"$line" >/dev/null
done <"$data/practices.jsonl"
while IFS= read -r line; do ctl put story --json - --visibility network <<<"$line" >/dev/null; done \
  <"$data/stories.jsonl"
# Monthly counts trending down as people are housed; the by-name list itself stays private.
active=180
for month in 01 02 03 04 05 06 07 08 09 10 11 12; do
  inflow=$((20 + 10#$month % 5)); housed=$((28 + 10#$month % 4)); returns=$((2 + 10#$month % 3))
  active=$((active + inflow + returns - housed))
  for metric in actively_homeless:$active inflow:$inflow housed:$housed returns:$returns \
      veterans_actively_homeless:$(( (12 - 10#$month) / 2 )); do
    ctl put observation --metric "${metric%%:*}" --period "2026-$month" --value "${metric##*:}" \
      --region midwest --visibility hub >/dev/null
  done
done
ctl put story --title "Names on our by-name list" --body "Kept on this node only." \
  --tag by-name-list >/dev/null

echo "== status"
ctl status
echo "== practices tagged co-design-with-community"
ctl list --kind practice --tag co-design-with-community
echo "== metrics for December"
ctl list --kind observation | grep -E 'ID|2026-12'
echo "== private records (never leave this node)"
ctl list | awk 'NR == 1 || $3 == "private"'

echo "== stopping the node (SIGTERM)"
kill -TERM "$pid"
wait "$pid"
pid=
echo "demo: done; data kept in $demo"
