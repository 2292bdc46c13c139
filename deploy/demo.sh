#!/usr/bin/env bash
# The main job: builds ldgs, then runs a federation on loopback with the demo data set, a
# homelessness-reduction network shaped like Built for Zero (see docs/demo.md):
#   a national hub, three regional hubs and the 35 communities of deploy/demo/chapters.tsv,
#   two of them also sister chapters peering directly. Chapters record practices, stories,
#   adaptations of each other's practices and 12 months of four metrics; hubs roll the
#   metrics up with small-number suppression; the demo shows where records went, that
#   private ones stayed home, a retraction reaching every copy, how one chapter compares,
#   and prints the national "State of the network" report (also written as HTML).
# Works on a fresh Debian 12 machine as root. LDGS_DEMO_DIR keeps the data elsewhere.
# --serve keeps the federation running after the tour, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
serve=0
case "${1:-}" in
  --serve) serve=1 ;;
  "") ;;
  *) echo "usage: deploy/demo.sh [--serve]" >&2; exit 2 ;;
esac

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

# wait_for FILE: polls for a file the daemon writes once it serves (deadline 60 s).
wait_for() {
  for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "demo: $1 did not appear; see $demo/*.log" >&2
  return 1
}
ctl() { local node=$1; shift; $ldgsctl --data "$demo/$node" "$@"; }
id_of() { cat "$demo/$1.id"; }
# init NODE "NAME" REGION ROLE: a node with a certificate from the federation CA (mTLS).
init() {
  $ldgsd init --data "$demo/$1" --name "$2" --region "$3" --role "$4" >"$demo/$1.id"
  $ldgsctl ca issue --ca "$demo/ca" --node-id "$(id_of "$1")" --out "$demo/$1/tls" \
    --host 127.0.0.1 >/dev/null
  printf '\n[tls]\nca = "%s"\ncert = "%s"\nkey = "%s"\n' "$demo/$1/tls/ca.crt" \
    "$demo/$1/tls/node.crt" "$demo/$1/tls/node.key" >>"$demo/$1/ldgsd.toml"
}
# dial NODE PEER RELATION [ENROLL FLAGS]: NODE dials PEER (its hub, or a sister); PEER
# enrolls NODE with the rights the flags give: --region R for a member chapter, --hub
# --region R for a member (regional) hub, --sister. Rights come from here, never from NODE.
dial() {
  local node=$1 peer=$2 relation=$3; shift 3
  ctl "$peer" enroll "$(id_of "$node")" "$@" --note "$node" >/dev/null
  set -- "$node" "$peer" "$relation"
  printf '\n[[peers]]\nnode_id = "%s"\naddress = "%s"\nrelation = "%s"\n' \
    "$(id_of "$2")" "$(cat "$demo/$2/listen.addr")" "$3" >>"$demo/$1/ldgsd.toml"
}
start() {
  $ldgsd run --data "$demo/$1" --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    2>"$demo/$1.log" &
  pids+=($!)
}

echo "== a federation CA (ldgsctl ca init); every node gets a certificate for its node ID"
$ldgsctl ca init "$demo/ca" >/dev/null
echo "== starting a national hub, 3 regional hubs and 35 chapters on 127.0.0.1 (mutual TLS)"
init national "National hub" national hub; start national; wait_for "$demo/national/listen.addr"
for region in midwest south west; do
  init "$region" "${region^} hub" "$region" hub
  dial "$region" national hub --hub --region "$region"
  start "$region"
done
for region in midwest south west; do wait_for "$demo/$region/listen.addr"; done
chapters=()
declare -A region_of size_of name_of
while IFS=$'\t' read -r name region size; do
  [ "$name" = name ] && continue
  node=$(echo "$name" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9]\+/-/g; s/-$//')
  chapters+=("$node"); region_of[$node]=$region; size_of[$node]=$size; name_of[$node]=$name
  init "$node" "$name" "$region" chapter
  # A small region of its own under the midwest hub: too few chapters to publish alone.
  hub=$region; [ "$region" = upper-peninsula ] && hub=midwest
  dial "$node" "$hub" hub --region "$region"
done <"$data/chapters.tsv"
# Two communities in different regions also peer directly as sister chapters.
sister_a=${chapters[0]}; sister_b=$(for c in "${chapters[@]}"; do [ "${region_of[$c]}" = south ] && echo "$c" && break; done)
start "$sister_b"; wait_for "$demo/$sister_b/listen.addr"
dial "$sister_a" "$sister_b" sister --sister
for c in "${chapters[@]}"; do [ "$c" != "$sister_b" ] && start "$c"; done
for c in "${chapters[@]}"; do wait_for "$demo/$c/admin.addr"; done
echo "   sister chapters: ${name_of[$sister_a]} <-> ${name_of[$sister_b]}"

echo "== the national hub publishes the metric catalogue; chapters load their practices"
# The core metrics are public (their published figures are open data); the rest network.
sed 's/^/{"kind":"metric","visibility":"network","body":/; s/$/}/' "$data/metrics.jsonl" \
  | sed '/"code": "\(actively_homeless\|housed\)"/s/"visibility":"network"/"visibility":"public"/' \
  | ctl national import - >/dev/null
n=0
while IFS= read -r line; do
  c=${chapters[$((n % ${#chapters[@]}))]}; n=$((n + 1))
  vis=network; [ $((n % 3)) -eq 1 ] && vis=public
  [ $((n % 7)) -eq 0 ] && vis=hub; [ $((n % 11)) -eq 0 ] && vis=private
  echo "{\"kind\":\"practice\",\"visibility\":\"$vis\",\"body\":$line}" >>"$demo/$c.practices.jsonl"
done <"$data/practices.jsonl"
n=0
while IFS= read -r line; do
  c=${chapters[$(( (n * 5) % ${#chapters[@]}))]}; n=$((n + 1))
  vis=network; [ $((n % 2)) -eq 1 ] && vis=public
  echo "{\"kind\":\"story\",\"visibility\":\"$vis\",\"body\":$line}" >>"$demo/$c.practices.jsonl"
done <"$data/stories.jsonl"
for c in "${chapters[@]}"; do
  [ -s "$demo/$c.practices.jsonl" ] && ctl "$c" import "$demo/$c.practices.jsonl" >/dev/null
done
for c in "${chapters[@]}" midwest south west; do ctl "$c" sync --wait --timeout 120 >/dev/null; done

echo "== chapters adapt practices that worked elsewhere (naming the month), and say how it went"
# Four practices spread: the first two to every other community, the next two to every
# third, adopted between March and June. An adoption speeds up housing from that month on,
# so "what's working" has something to find.
declare -A first_adoption adoptions_of
adoptions=0
for k in 0 1 2 3; do
  origin=${chapters[$k]}
  found=$(ctl "$origin" -o json list --kind practice --origin "$(id_of "$origin")" \
    | grep -o '"id":"practice-[a-z0-9]*","version":"[0-9]*","kind":"KIND_PRACTICE","visibility":"VISIBILITY_\(NETWORK\|PUBLIC\)"' \
    | head -1)
  practice=$(cut -d'"' -f4 <<<"$found")
  [ -z "$practice" ] && continue
  # Adaptations of a public practice are public too: the public page shows its spread.
  shared=network; grep -q PUBLIC <<<"$found" && shared=public
  every=2; [ $k -ge 2 ] && every=3
  for i in "${!chapters[@]}"; do
    [ $(( (i + k) % every )) -ne 0 ] && continue
    adopter=${chapters[$i]}
    [ "$adopter" = "$origin" ] && continue
    month=$(( 3 + i % 4 ))
    ctl "$adopter" get "$practice" --origin "$(id_of "$origin")" --wait 30000 >/dev/null
    copy=$(ctl "$adopter" -o json adapt "$(id_of "$origin")/$practice" --visibility "$shared" \
      --period "$(printf '2026-%02d' $month)" | cut -d'"' -f8)
    outcome=worked; [ $(( (i + k) % 5 )) -eq 0 ] && outcome=did-not-work-here
    ctl "$adopter" outcome "$copy" $outcome --note "demo adaptation" >/dev/null
    adoptions=$((adoptions + 1))
    adoptions_of[$adopter]=$(( ${adoptions_of[$adopter]:-0} + 1 ))
    [ "${first_adoption[$adopter]:-13}" -gt $month ] && first_adoption[$adopter]=$month
  done
done
echo "   $adoptions adaptations"

echo "== chapters load 12 months of their metrics"
for c in "${chapters[@]}"; do
  # 12 months of counts, visible to the chapter's hub only: a community housing more people
  # than it identifies trends down. Small communities give small counts (suppressed).
  size=${size_of[$c]}; active=$size; seed=${#c}
  from=${first_adoption[$c]:-13}; boost=$(( ${adoptions_of[$c]:-0} * (size / 25 + 1) ))
  for m in 1 2 3 4 5 6 7 8 9 10 11 12; do
    period=$(printf '2026-%02d' $m)
    inflow=$(( size / 8 + (m * seed) % 7 )); housed=$(( size / 7 + (m + seed) % 5 ))
    [ $m -ge "$from" ] && housed=$(( housed + boost ))
    returns=$(( size / 60 + m % 3 )); active=$(( active + inflow + returns - housed ))
    [ $active -lt 0 ] && active=0
    for pair in actively_homeless:$active inflow:$inflow housed:$housed returns:$returns; do
      echo "{\"kind\":\"observation\",\"visibility\":\"hub\",\"body\":{\"metric\":\"${pair%%:*}\",\"period\":\"$period\",\"value\":${pair##*:}}}"
    done
  done >"$demo/$c.jsonl"
  echo '{"kind":"story","id":"by-name-list","body":{"title":"By-name list","body":"Person-level data: stays on this node.","tags":["by-name-list"]}}' >>"$demo/$c.jsonl"
  ctl "$c" import "$demo/$c.jsonl" >/dev/null
done
echo "   $(cat "$demo"/*.jsonl | wc -l) records written at the chapters"
for c in "${chapters[@]}" midwest south west; do ctl "$c" sync --wait --timeout 120 >/dev/null; done
# Every hub decides its figures once every member reported (aggregated_through catches up).
for h in midwest south west national; do
  for _ in $(seq 600); do
    status=$(ctl "$h" -o json status)
    last=$(grep -o '"last_sequence":"[0-9]*"' <<<"$status" | cut -d'"' -f4)
    done_=$(grep -o '"aggregated_through":"[0-9]*"' <<<"$status" | cut -d'"' -f4)
    [ "${done_:-0}" -ge "${last:-1}" ] && break
    sleep 0.1
  done
done
# A network record from the last chapter, awaited at the far side of the tree, is a barrier:
# feeds are ordered, so everything written before it that may travel has travelled.
last=${chapters[-1]}
ctl "$last" put story --id demo-done --title "done loading" --visibility network >/dev/null
for far in national "$sister_a" "${chapters[1]}"; do
  ctl "$far" get demo-done --origin "$(id_of "$last")" --wait 60000 >/dev/null
done

echo
echo "== what a few nodes hold"
printf '   %-28s %8s %8s %8s %8s %8s\n' node practices stories observ rollups private
for node in national midwest "$sister_a" "$sister_b" "${chapters[-1]}"; do
  json=$(ctl "$node" -o json list --limit 100000)
  count() { grep -o "$1" <<<"$json" | wc -l; }
  printf '   %-28s %8s %8s %8s %8s %8s\n' "$node" "$(count KIND_PRACTICE)" "$(count KIND_STORY)" \
    "$(count KIND_METRIC_OBSERVATION)" "$(count KIND_ROLLUP)" "$(count VISIBILITY_PRIVATE)"
done
echo "   (a regional hub holds its chapters' hub-only counts; chapters and the national hub"
echo "    hold network records and rollups; private records exist only at their chapter)"

echo
echo "== private records stay home: nodes holding any chapter's by-name list"
holders=0
for node in national midwest south west "${chapters[@]}"; do
  for c in "$sister_a" "$sister_b" "${chapters[-1]}"; do
    [ "$node" = "$c" ] && continue
    ctl "$node" get by-name-list --origin "$(id_of "$c")" >/dev/null 2>&1 && holders=$((holders + 1))
  done
done
echo "   foreign copies found: $holders (checked 3 chapters' lists on all 39 nodes)"

echo
echo "== ${name_of[$sister_b]} narrows a practice to hub-only: the network gets a tombstone"
p=$(ctl "$sister_b" -o json list --kind practice --origin "$(id_of "$sister_b")" \
  | grep -o '"id":"practice-[a-z0-9]*","version":"[0-9]*","kind":"KIND_PRACTICE","visibility":"VISIBILITY_NETWORK"' \
  | head -1 | cut -d'"' -f4)
v=$(ctl "$sister_b" -o json share "$p" hub | grep -o '"version":"[0-9]*"' | cut -d'"' -f4)
for node in south national "$sister_a" "${chapters[-1]}"; do
  state=$(ctl "$node" -o json get "$p" --origin "$(id_of "$sister_b")" --wait 30000)
  until grep -q "\"version\":\"$v\"" <<<"$state"; do
    state=$(ctl "$node" -o json get "$p" --origin "$(id_of "$sister_b")" --wait 1000)
  done
  case "$state" in
    *'"deleted":true'*) echo "   $node: tombstone, body dropped" ;;
    *) echo "   $node: keeps the body (hub-only, for aggregation)" ;;
  esac
done

echo
echo "== how ${name_of[$sister_a]} compares on actively homeless (its region, the network)"
ctl national sync >/dev/null
ctl "$sister_a" compare actively_homeless | tail -4

echo
echo "== what the midwest hub withheld for June, and why (no figure may give a chapter away)"
ctl midwest list --kind rollup --metric actively_homeless --period 2026-06 --origin "$(id_of midwest)" \
  | grep -o 'region:[a-z-]* (withheld[^)]*)' | sed 's/^/   /'
echo "   (upper-peninsula has 2 chapters, under the minimum of 3; the midwest is withheld too,"
echo "    or the midwest hub's total minus it would be upper-peninsula's)"

echo
echo "== the national hub's peers"
ctl national peers

# The regional hubs send their "what's working" figures up; the national hub pools them.
for _ in $(seq 300); do
  ctl national -o json practices top --limit 1 | grep -q '"adopters_change"' && break
  sleep 0.2
done

echo
ctl national report
ctl national -o html report --file "$demo/report.html" >/dev/null
echo "(HTML report: $demo/report.html)"

echo
url="http://$(cat "$demo/national/http.addr")"
echo "== the national hub's web page: $url/ (public view; the operator view is at $url/login)"
top=$(ctl national -o json practices top --limit 1)
origin=$(grep -o '"origin":"[A-Z2-7]*"' <<<"$top" | head -1 | cut -d'"' -f4)
pid=$(grep -o '"id":"[^"]*"' <<<"$top" | head -1 | cut -d'"' -f4)
shots=()
for page in overview:/ practices:/practices stories:/stories data:/data \
    practice:"/practice?origin=$origin&id=$pid" search:"/practices?q=housing+veterans"; do
  name=${page%%:*}; path=${page#*:}
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$demo/chromium" --window-size=1200,1400 \
    --screenshot="$demo/page-$name.png" "$url$path" >/dev/null 2>&1 || true
  [ -s "$demo/page-$name.png" ] && shots+=("$demo/page-$name.png")
done
echo "   screenshots: ${shots[*]:-none (is chromium installed?)}"
# What a person sees is what the hub published: the page's DOM holds the public report's
# latest network figure of the first metric.
figure=$(ctl national report --audience public | awk '$1 == "network" {print $4; exit}')
if chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$demo/chromium" \
    --dump-dom "$url/" 2>/dev/null | grep -q "data-field=\"value\" data-value=\"$figure\""; then
  echo "   the overview page shows the network figure $figure, as the report does"
else
  echo "demo: the overview page does not show the network figure $figure" >&2
  exit 1
fi
# A public practice adopted publicly shows what's working on its public page, pooled from
# the regional hubs.
if chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$demo/chromium" \
    --dump-dom "$url/practice?origin=$origin&id=$pid" 2>/dev/null | grep -q '% vs [+-]'; then
  echo "   its public practice page shows what's working (adopters vs others)"
else
  echo "   (the top practice's public page shows no what's-working figure)"
fi

if [ "$serve" = 1 ]; then
  echo
  echo "== serving: $url/ ; press Ctrl-C to stop the federation"
  trap 'echo; echo "== stopping every node (SIGTERM)"; for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait; exit 0' INT TERM
  wait
fi

echo
echo "== stopping every node (SIGTERM)"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
echo "demo: done; data and logs kept in $demo"
