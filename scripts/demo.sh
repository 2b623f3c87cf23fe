#!/bin/bash
# demo.sh: builds netiquetted and runs the main job on this machine: the
# fake Mastodon server seeded with a German ministry's thread (comments and
# direct messages, most of them fine, some violating the netiquette in every
# category), netiquetted screening and acting on it with a demo
# configuration and a temporary state directory.  It prints what was done
# and where to look, and stops cleanly on Ctrl-C.
#   scripts/demo.sh [--once]     --once: stop after the summary
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
once=0
[[ "${1:-}" == "--once" || -n "${CI:-}" ]] && once=1

scripts/deps.sh demo
echo "building ..."
cmake -S . -B "${NQ_BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "${NQ_BUILD_DIR:-build}" -j"$(nproc)" --target netiquetted netiquettectl >/dev/null

work=$(mktemp -d /tmp/netiquetted-demo.XXXXXX)
fake_pid=""
daemon_pid=""
cleanup() {
	[[ -n "$daemon_pid" ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
	[[ -n "$fake_pid" ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true
	echo "stopped cleanly; state kept in $work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

python3 tests/fake/fake_mastodon.py --port 0 --seed tests/fake/demo_thread.jsonl \
	>"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 50); do grep -q LISTENING "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
fake_port=$(awk '/LISTENING/ {print $2}' "$work/fake.out")
api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo test-token >"$work/mastodon.token"
chmod 600 "$work/mastodon.token"
cat >"$work/netiquetted.conf" <<CONF
# demo configuration: one Mastodon account on the local fake server
state-dir = $work/state
rules-dir = $root/rules
listen = 127.0.0.1:$api_port
poll-interval = 5s

[account bmi]
platform = mastodon
base-url = http://127.0.0.1:$fake_port
token-file = $work/mastodon.token
mode = auto
backfill = yes
CONF

# an editor for the web UI (the password is for this demo only)
mkdir -p "$work/state"
echo "demo-passwort" | "${NQ_BUILD_DIR:-build}"/netiquettectl user add redaktion --role admin \
	--state "$work/state" --password-stdin >/dev/null
"${NQ_BUILD_DIR:-build}"/netiquetted -f "$work/netiquetted.conf" 2>"$work/netiquetted.log" &
daemon_pid=$!
total=$(python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:$fake_port/_fake/state'))['mentions'])")
echo "fake Mastodon on 127.0.0.1:$fake_port with $total comments and DMs; netiquetted screening ..."
metric() { { curl -s "http://127.0.0.1:$api_port/metrics" 2>/dev/null || true; } | awk -v k="$1" '$1 == k {print $2}'; }
for _ in $(seq 600); do
	new=$(metric 'netiquetted_items_total{outcome="new"}')
	pending=$(metric netiquetted_outbox_pending)
	[[ "${new:-0}" -ge "$total" && "${pending:-1}" == 0 ]] && break
	kill -0 "$daemon_pid" 2>/dev/null || { echo "netiquetted exited:"; tail -20 "$work/netiquetted.log"; exit 1; }
	sleep 0.2
done

echo
echo "screened: ${new:-0} items"
echo "flagged per netiquette category:"
curl -s "http://127.0.0.1:$api_port/metrics" | awk -F'[{}"= ]+' '/^netiquetted_flagged_total/ && $NF > 0 {printf "  %-16s %d\n", $3, $NF}'
echo "actions confirmed by the platform:"
curl -s "http://127.0.0.1:$api_port/metrics" | awk -F'[{}"=, ]+' '/^netiquetted_actions_total/ && /result="done"/ && $NF > 0 {printf "  %-16s %d\n", $3, $NF}'
echo "in the editors' queue: $(sqlite3 "$work/state/netiquetted.db" "SELECT COUNT(*) FROM queue WHERE state IN ('open','escalated')" 2>/dev/null || echo '?') (escalated for criminal review: $(sqlite3 "$work/state/netiquetted.db" "SELECT COUNT(*) FROM queue WHERE state='escalated'" 2>/dev/null || echo '?'))"
"${NQ_BUILD_DIR:-build}"/netiquettectl audit verify --state "$work/state" | sed 's/^/audit: /'
echo
echo "where to look:"
echo "  web UI:    http://127.0.0.1:$api_port/   (login: redaktion / demo-passwort)"
echo "  metrics:   curl http://127.0.0.1:$api_port/metrics"
echo "  health:    curl http://127.0.0.1:$api_port/healthz"
echo "  audit:     ${NQ_BUILD_DIR:-build}/netiquettectl audit show --state $work/state --limit 20"
echo "  evidence:  ${NQ_BUILD_DIR:-build}/netiquettectl evidence export ID --state $work/state"
echo "  log:       $work/netiquetted.log"
if [[ $once == 1 ]]; then
	exit 0
fi
echo "netiquetted keeps running; Ctrl-C stops it."
wait "$daemon_pid"
