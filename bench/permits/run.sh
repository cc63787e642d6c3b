#!/usr/bin/env bash
# run.sh — `make bench-permits`: a fresh demo plant (release build) on a free
# loopback port, then bench/permits/permit_bench.mjs against it; the server
# stops and its data goes at the end. Ends with the line
#   permits active=N precheck_p99_ms=N
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/worksafe
PORT=${WS_BENCH_PORT:-18291}
[ -x "$BIN" ] || { echo "bench-permits: build first (make bench-permits does)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/ws-bench-permits.XXXXXX)
PID=
cleanup() {
    local rc=$?
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    [ $rc -ne 0 ] && [ -s "$TMP/serve.log" ] && tail -n 20 "$TMP/serve.log" >&2
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
"$BIN" demo --data "$TMP/data" --listen "127.0.0.1:$PORT" --listen-tls "" --web "$ROOT/build/web" \
    >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
WS_BASE_URL="http://127.0.0.1:$PORT" WS_DEMO_ACCOUNTS="$TMP/data/demo-accounts.txt" \
    node "$ROOT/bench/permits/permit_bench.mjs"
