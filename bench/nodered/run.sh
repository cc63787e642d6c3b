#!/usr/bin/env bash
# run.sh — the Node-RED peer of the MQTT numbers (issue 4): messages per second
# a Node-RED flow (flow.json: mqtt in → function with the same threshold →
# append to a file, one message per reading) takes from the same publisher
# (build/bench/mqtt_bench pub) through a mosquitto started here, on loopback.
# Installs node-red@4 into bench/nodered/node_modules on first use (npm; not
# part of `make test`; 5.x needs a newer Node.js than Debian 12 has).
# Prints: nodered msgs_per_s=N          Knobs: N (messages, default 100000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
N=${N:-100000}
if [ ! -f "$here/node_modules/node-red/red.js" ]; then
    echo "nodered: npm install node-red@4" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$here" node-red@4 >&2
fi
make -s -C "$root" build/bench/mqtt_bench >&2
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
tmp=$(mktemp -d /tmp/ws-bench-nodered-XXXXXX)
bpid=""; npid=""
cleanup() {
    [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
export MQTT_PORT; MQTT_PORT=$(free_port)
nr_port=$(free_port)
export NR_OUT="$tmp/alarms.log"
{
    echo "listener $MQTT_PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "max_queued_messages 1000000"
    echo "persistence false"
    echo "log_dest none"
    [ "$(id -u)" -eq 0 ] && echo "user root"
} > "$tmp/mosquitto.conf"
/usr/sbin/mosquitto -c "$tmp/mosquitto.conf" 2>/dev/null & bpid=$!
cat > "$tmp/settings.js" <<JS
module.exports = { uiHost: "127.0.0.1", uiPort: $nr_port, flowFile: "$here/flow.json",
  userDir: "$tmp", credentialSecret: false, editorTheme: { tours: false },
  logging: { console: { level: "warn" } } };
JS
node "$here/node_modules/node-red/red.js" --settings "$tmp/settings.js" --userDir "$tmp" "$here/flow.json" \
    > "$tmp/nodered.out" 2>&1 & npid=$!
# ready when a probe reaches the file
: > "$NR_OUT"
for i in $(seq 1 300); do
    mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t bench/probe -m "PROBE-1 0" 2>/dev/null || true
    sleep 0.2
    [ -s "$NR_OUT" ] && break
done
[ -s "$NR_OUT" ] || { echo "nodered: flow never wrote a probe" >&2; cat "$tmp/nodered.out" >&2; exit 1; }
sleep 1
base=$(wc -l < "$NR_OUT")
t0=$(date +%s.%N)
"$root/build/bench/mqtt_bench" pub -p "$MQTT_PORT" -n "$N" >&2 &
pub=$!
last=$base; tlast=$t0; idle=0
while :; do
    sleep 0.1
    c=$(wc -l < "$NR_OUT")
    if [ "$c" -gt "$last" ]; then last=$c; tlast=$(date +%s.%N); idle=0; else idle=$((idle + 1)); fi
    [ $((last - base)) -ge "$N" ] && break
    [ $idle -ge 50 ] && break # 5 s without a line: the rest is lost
done
wait $pub
got=$((last - base))
rate=$(python3 -c "print(round($got / ($tlast - $t0)))")
echo "nodered: $got/$N messages in $(python3 -c "print(round($tlast - $t0, 2))") s" >&2
echo "nodered msgs_per_s=$rate"
