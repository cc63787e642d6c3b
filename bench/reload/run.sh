#!/usr/bin/env bash
# run.sh — `make bench-reload`: what making points costs, and what it costs
# the ingest of the same moment. Starts worksafe (release build) on a fresh
# data directory, makes WS_BENCH_POINTS (3,000) points one by one through the
# API and as many again in one imported file (both timed), then runs
# bench/reload/stall.py: one-reading ingest POSTs on 6 connections, first
# alone (the ceiling), then while 150 more points are made one by one (each
# makes the engine reload its register). One line:
#     reload points=N made=K alone_p50_ms=… … during_best_p50_ms=…
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${WS_BENCH_BIN:-$ROOT/build/worksafe}
PORT=${WS_BENCH_PORT:-18390}
POINTS=${WS_BENCH_POINTS:-3000}
[ -x "$BIN" ] || { echo "bench-reload: $BIN not built" >&2; exit 1; }
TMP=$(mktemp -d /tmp/ws-bench-reload.XXXXXX)
WS_PID=""
cleanup() { [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PW="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$BIN" init --data "$TMP/data" --admin-password "$PW" >"$TMP/init.log" 2>&1
"$BIN" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
WS_PID=$!
for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PW\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | grep -o '"token":"[0-9a-f]\{64\}"' | cut -d'"' -f4)
UNIT=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/units" |
    grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2)
UCODE=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/units/$UNIT" |
    grep -o '"code":"[^"]*"' | head -n 1 | cut -d'"' -f4)
# The register: POINTS made one by one through POST /api/v1/points, then as
# many more in one file through POST /api/v1/imports/points; both timed:
#     reload-make one_by_one_s=… import_s=… points=N
python3 - "$PORT" "$TOKEN" "$UNIT" "$POINTS" "$UCODE" <<'PY'
import http.client, json, sys, time
port, tok, unit, n, ucode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
t0 = time.time()
for i in range(n):
    c.request("POST", "/api/v1/points", json.dumps({"unit_id": unit, "tag": "RL-%05d" % i, "name": "p%d" % i,
                                                    "kind": "combustible"}), h)
    r = c.getresponse(); r.read()
    if r.status != 201: sys.exit("points answered %d" % r.status)
one = time.time() - t0
body = "位号,名称,类型,单位编码\n" + "".join("IM-%05d,p%d,可燃气体,%s\n" % (i, i, ucode) for i in range(n))
t0 = time.time()
c.request("POST", "/api/v1/imports/points", body.encode(), dict(h, **{"Content-Type": "text/csv"}))
r = c.getresponse(); out = r.read()
if r.status != 200: sys.exit("import answered %d %s" % (r.status, out[:300]))
print("reload-make one_by_one_s=%.2f import_s=%.2f points=%d" % (one, time.time() - t0, n))
PY
python3 "$ROOT/bench/reload/stall.py" "$PORT" "$TOKEN" "$UNIT" "$POINTS" 150 6 2
