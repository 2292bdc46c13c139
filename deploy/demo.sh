#!/usr/bin/env bash
# The main job: builds ldgs, then runs a small federation on loopback with the demo data set
# (a homelessness-reduction network of cities, see docs/demo.md):
#   a national hub, two regional hubs (midwest, south) and four chapters, two of which are
#   also sister chapters peering directly. Chapters write practices, stories and monthly
#   metrics; the demo shows where each record arrived and that private ones stayed home,
#   then stops every node cleanly (SIGTERM).
# Works on a fresh Debian 12 machine as root. LDGS_DEMO_DIR keeps the data elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-2}" --target ldgsd ldgsctl

ldgsd=$root/build/daemon/ldgsd
ldgsctl=$root/build/client/ldgsctl
demo=${LDGS_DEMO_DIR:-$root/.demo}
data=$root/deploy/demo
rm -rf "$demo"
mkdir -p "$demo"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# wait_for FILE: polls for a file the daemon writes once it serves (deadline 30 s).
wait_for() {
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo: $1 did not appear; see $demo/*.log" >&2
  return 1
}
ctl() { local node=$1; shift; $ldgsctl --data "$demo/$node" "$@"; }
id_of() { cat "$demo/$1.id"; }
addr_of() { cat "$demo/$1/listen.addr"; }

# init NODE "NAME" REGION ROLE
init() { $ldgsd init --data "$demo/$1" --name "$2" --region "$3" --role "$4" >"$demo/$1.id"; }
# dial NODE PEER RELATION: NODE dials PEER (its hub, or a sister); PEER enrolls NODE.
dial() {
  local flag=; [ "$3" = sister ] && flag=--sister
  ctl "$2" enroll "$(id_of "$1")" $flag --note "$1" >/dev/null
  printf '\n[[peers]]\nnode_id = "%s"\naddress = "%s"\nrelation = "%s"\n' \
    "$(id_of "$2")" "$(addr_of "$2")" "$3" >>"$demo/$1/ldgsd.toml"
}
start() {
  $ldgsd run --data "$demo/$1" --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 \
    2>"$demo/$1.log" &
  pids+=($!)
  wait_for "$demo/$1/admin.addr"
}

echo "== starting the federation on 127.0.0.1"
init national "National hub" national hub;  start national
init midwest "Midwest hub" midwest hub;     dial midwest national hub; start midwest
init south "South hub" south hub;           dial south national hub;   start south
init rockford "Rockford, IL" midwest chapter;       dial rockford midwest hub
init des-moines "Des Moines, IA" midwest chapter;   dial des-moines midwest hub
init chattanooga "Chattanooga, TN" south chapter;   dial chattanooga south hub
init gulfport "Gulfport, MS" south chapter;         dial gulfport south hub
start chattanooga
dial rockford chattanooga sister   # sister chapters across regions, peering directly
for n in rockford des-moines gulfport; do start $n; done
chapters=(rockford des-moines chattanooga gulfport)
hubs=(national midwest south)

echo "== the national hub publishes the metric catalogue (network-wide)"
while IFS= read -r line; do ctl national put metric --json - --visibility network <<<"$line" >/dev/null; done \
  <"$data/metrics.jsonl"

echo "== chapters record practices, stories and 12 months of metrics"
n=0
while IFS= read -r line; do
  chapter=${chapters[$((n % 4))]}
  n=$((n + 1))
  # Most practices are shared with the network; some stay with the hub, a few private.
  vis=network; [ $((n % 7)) -eq 0 ] && vis=hub; [ $((n % 11)) -eq 0 ] && vis=private
  ctl "$chapter" put practice --json - --visibility $vis <<<"$line" >/dev/null
done <"$data/practices.jsonl"
n=0
while IFS= read -r line; do
  ctl "${chapters[$((n % 4))]}" put story --json - --visibility network <<<"$line" >/dev/null
  n=$((n + 1))
done <"$data/stories.jsonl"
for c in "${chapters[@]}"; do
  # Counts go to the chapter's hub only; the person-level by-name list never leaves.
  active=$((100 + ${#c} * 20))
  for month in 01 02 03 04 05 06 07 08 09 10 11 12; do
    m=$((10#$month))
    inflow=$((15 + m % 5)); housed=$((20 + m % 4)); returns=$((1 + m % 3))
    active=$((active + inflow + returns - housed))
    for metric in actively_homeless:$active inflow:$inflow housed:$housed returns:$returns; do
      ctl "$c" put observation --metric "${metric%%:*}" --period "2026-$month" \
        --value "${metric##*:}" --visibility hub >/dev/null
    done
  done
  ctl "$c" put story --id by-name-list --title "By-name list of $c" \
    --body "Person-level data: stays on this node." --tag by-name-list >/dev/null
done

echo "== waiting for every node to catch up (ldgsctl sync --wait)"
for node in "${chapters[@]}" midwest south; do ctl "$node" sync --wait --timeout 60 >/dev/null; done
# A last network record from each chapter, awaited at the far side of the tree, is a barrier:
# the feed is ordered, so everything written before it that may travel has travelled.
for c in "${chapters[@]}"; do
  ctl "$c" put story --id demo-done --title "$c is done loading" --visibility network >/dev/null
done
for c in "${chapters[@]}"; do
  for far in national gulfport rockford; do
    ctl "$far" get demo-done --origin "$(id_of "$c")" --wait 30000 >/dev/null 2>&1 || \
      [ "$far" = "$c" ]
  done
done

echo
echo "== what each node holds (records by origin node)"
printf '%-13s' "held at"; for o in "${hubs[@]}" "${chapters[@]}"; do printf '%-13s' "$o"; done; echo
for node in "${hubs[@]}" "${chapters[@]}"; do
  printf '%-13s' "$node"
  json=$(ctl "$node" -o json list --limit 100000)
  for o in "${hubs[@]}" "${chapters[@]}"; do
    printf '%-13s' "$(grep -o "\"origin\":\"$(id_of "$o")\"" <<<"$json" | wc -l)"
  done
  echo
done
echo "(chapters hold every network record; a hub also holds its members' hub-only metrics;"
echo " sister chapters Rockford and Chattanooga also exchange their own records directly)"

echo
echo "== private records stay home: who holds each chapter's by-name list?"
for c in "${chapters[@]}"; do
  holders=()
  for node in "${hubs[@]}" "${chapters[@]}"; do
    ctl "$node" get by-name-list --origin "$(id_of "$c")" >/dev/null 2>&1 && holders+=("$node")
  done
  echo "  $c: ${holders[*]}"
done

echo
echo "== Chattanooga narrows a practice to hub-only: the network gets a tombstone"
p=$(ctl chattanooga -o json list --kind practice | grep -o '"id":"practice-[a-z0-9]*","version":"[0-9]*","kind":"KIND_PRACTICE","visibility":"VISIBILITY_NETWORK"' | head -1 | cut -d'"' -f4)
v=$(ctl chattanooga -o json share "$p" hub | grep -o '"version":"[0-9]*"' | cut -d'"' -f4)
for node in south national rockford; do
  state=$(ctl "$node" -o json get "$p" --origin "$(id_of chattanooga)" --wait 30000)
  case "$state" in *'"deleted":true'*) echo "  $node: tombstone (body dropped)";; *) echo "  $node: holds the body (hub-only, for aggregation)";; esac
done

echo
echo "== replication peers of the national hub"
ctl national peers
echo
echo "== practices at Gulfport tagged co-design-with-community (from across the network)"
ctl gulfport list --kind practice --tag co-design-with-community

echo
echo "== stopping every node (SIGTERM)"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
echo "demo: done; data and logs kept in $demo"
