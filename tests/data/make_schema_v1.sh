#!/usr/bin/env bash
# Made tests/data/schema_v1.tar.gz with the schema-1 build (commit fc3afdf): a hub and a
# chapter that synced, with enrollments, an unused and a used invite, aggregator rollups
# and cursor, and a chapter restored from a backup (markers "restored" and "resynced/HUB").
# Kept to say how the fixture was made; it needs that build's ldgsd and ldgsctl in $BIN.
set -euo pipefail
BIN=${BIN:?set BIN to a build dir of commit fc3afdf}
ldgsd=$BIN/daemon/ldgsd; ldgsctl=$BIN/client/ldgsctl
out=$(mktemp -d); cd "$out"
wait_for() { for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done; exit 1; }
$ldgsd init --data hub --name "Fixture hub" --region midwest --role hub >hub.id
$ldgsd init --data chapter --name "Fixture chapter" --region midwest >chapter.id
$ldgsd run --data hub --insecure --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 2>hub.log &
hub_pid=$!; wait_for hub/listen.addr
$ldgsctl --data hub enroll "$(cat chapter.id)" --note fixture >/dev/null
$ldgsctl --data hub invite --note unused >/dev/null
code=$($ldgsctl --data hub -o json invite --note used | sed -n 's/.*"code": *"\([^"]*\)".*/\1/p')
$ldgsd init --data joiner --name "Fixture joiner" --region midwest >joiner.id
$ldgsd run --data joiner --insecure --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 2>joiner.log &
joiner_pid=$!; wait_for joiner/admin.addr
$ldgsctl --data joiner join "$code" "$(cat hub/listen.addr)" >/dev/null
printf '\n[[peers]]\nnode_id = "%s"\naddress = "%s"\nrelation = "hub"\n' \
  "$(cat hub.id)" "$(cat hub/listen.addr)" >>chapter/ldgsd.toml
$ldgsd run --data chapter --insecure --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 2>chapter.log &
chapter_pid=$!; wait_for chapter/admin.addr
$ldgsctl --data chapter put practice --id practice-fixture --title "Fixture practice" \
  --visibility network >/dev/null
$ldgsctl --data chapter put story --id story-private --title "Private story" >/dev/null
$ldgsctl --data chapter put observation --metric actively_homeless --period 2026-03 --value 42 \
  --visibility hub >/dev/null
$ldgsctl --data chapter sync --wait --timeout 60 >/dev/null
$ldgsctl --data chapter backup "$out/chapter-backup" >/dev/null
kill $chapter_pid; wait $chapter_pid || true
$ldgsd restore --from chapter-backup --data restored >/dev/null
$ldgsd run --data restored --insecure --admin-listen 127.0.0.1:0 --listen 127.0.0.1:0 2>restored.log &
restored_pid=$!; wait_for restored/admin.addr
$ldgsctl --data restored sync --wait --timeout 60 >/dev/null
kill $restored_pid $joiner_pid; wait $restored_pid $joiner_pid || true
kill $hub_pid; wait $hub_pid || true
rm -f */admin.addr */listen.addr */db/LOG* */db/LOCK
tar czf schema_v1.tar.gz hub.id chapter.id joiner.id hub restored joiner
echo "$out/schema_v1.tar.gz"
