#!/usr/bin/env bash
# run.sh — `make bench-sse`: alarm events on the live stream under load.
#
# Starts worksafe (release build) on a fresh data directory, logs in as
# admin, and runs bench/sse/sse_bench twice — 1,000 and 10,000 streams, each
# with 10 probe streams — while the bench's load thread ingests 100,000
# readings a second through POST /api/v1/ingest. sse_bench creates its
# points first (1,000 load tags under every limit, 50 alarm tags it drives
# over H 25 %LEL and back). Each run ends with
#     sse p99_ms=N clients=N all_ms=N
# and is followed by the same client against the ceiling, bench/sse/raw_fanout
# (a bare epoll server writing one frame to every stream, on port + 1):
#     sse-ceiling p99_ms=N clients=N all_ms=N
# With WS_BENCH_TLS=1 worksafe also listens for HTTPS on port + 2 and each
# run is followed by the same streams over HTTPS (the POSTs stay plain):
#     sse-tls p99_ms=N clients=N all_ms=N tls=1
# (the ceiling has no TLS: compare it with the plain line of the same run).
# Knobs (environment): WS_BENCH_PORT (18190), WS_BENCH_RATE (100000),
# WS_BENCH_EVENTS (100), WS_BENCH_CLIENTS ("1000 10000"), WS_BENCH_BIN,
# WS_BENCH_TLS.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${WS_BENCH_BIN:-$ROOT/build/worksafe}
TOOL=$ROOT/build/bench/sse_bench
RAW=$ROOT/build/bench/raw_fanout
PORT=${WS_BENCH_PORT:-18190}
RATE=${WS_BENCH_RATE:-100000}
EVENTS=${WS_BENCH_EVENTS:-100}
CLIENTS=${WS_BENCH_CLIENTS:-"1000 10000"}

die() { echo "bench-sse: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not built (make build/worksafe)"
[ -x "$TOOL" ] || die "$TOOL not built (make build/bench/sse_bench)"
[ -x "$RAW" ] || die "$RAW not built (make build/bench/raw_fanout)"

TMP=$(mktemp -d /tmp/ws-bench-sse.XXXXXX)
WS_PID=""
RAW_PID=""
cleanup() {
    local rc=$?
    [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null || true
    [ -n "$RAW_PID" ] && kill "$RAW_PID" 2>/dev/null && wait "$RAW_PID" 2>/dev/null || true
    [ $rc -ne 0 ] && [ -s "$TMP/serve.log" ] && { echo "--- serve.log" >&2; tail -n 20 "$TMP/serve.log" >&2; }
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$PORT" || die "port $PORT is in use (set WS_BENCH_PORT)"
port_free "$((PORT + 1))" || die "port $((PORT + 1)) is in use (set WS_BENCH_PORT)"
"$RAW" "$((PORT + 1))" &
RAW_PID=$!

PW="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$BIN" init --data "$TMP/data" --admin-password "$PW" >"$TMP/init.log" 2>&1 || die "init failed"
TLS_ARGS=""
if [ "${WS_BENCH_TLS:-}" = 1 ]; then
    port_free "$((PORT + 2))" || die "port $((PORT + 2)) is in use (set WS_BENCH_PORT)"
    TLS_ARGS="--listen-tls 127.0.0.1:$((PORT + 2))"
fi
# shellcheck disable=SC2086
"$BIN" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" $TLS_ARGS ${WS_SERVE_ARGS:-} >"$TMP/serve.log" 2>&1 &
WS_PID=$!
for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    sleep 0.1
done
LOGIN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PW\"}" "http://127.0.0.1:$PORT/api/v1/auth/login") ||
    die "login failed"
TOKEN=$(printf '%s' "$LOGIN" | grep -o '"token":"[0-9a-f]\{64\}"' | cut -d'"' -f4)
[ -n "$TOKEN" ] || die "no token in the login reply"
UNIT=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/units" |
    grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
[ -n "$UNIT" ] || die "no unit to put the bench points in"

for n in $CLIENTS; do
    "$TOOL" --port "$PORT" --token "$TOKEN" --unit "$UNIT" --clients "$n" --events "$EVENTS" --rate "$RATE"
    "$TOOL" --port "$((PORT + 1))" --token x --clients "$n" --events "$EVENTS" --rate "$RATE" |
        sed 's/^sse /sse-ceiling /'
    if [ -n "$TLS_ARGS" ]; then
        "$TOOL" --port "$PORT" --tls-port "$((PORT + 2))" --token "$TOKEN" --clients "$n" --events "$EVENTS" \
            --rate "$RATE" | sed 's/^sse /sse-tls /'
    fi
done
