#!/usr/bin/env bash
# http.sh — `make bench-http`: requests per second and p99 latency of an
# authenticated GET /api/v1/me on worksafe under wrk, next to nginx serving a
# static file of the same size on the same machine in the same run.
#
# Steps: init a fresh data directory in a temp dir, serve it on a loopback
# port, log in as admin, save the /me reply as the file nginx serves (same
# bytes, same size), start nginx with bench/nginx.conf, warm both up, then
# run wrk with the same threads, connections and duration against each.
# The last line is
#     http rps=N p99_ms=N nginx_rps=N ratio=N
# (ratio = worksafe rps / nginx rps). Everything started here is stopped on
# exit, also on failure or Ctrl-C. Results are recorded by hand in
# bench/RESULTS.md together with the machine.
#
# Knobs (environment): WS_BENCH_PORT (18180), WS_BENCH_NGINX_PORT (18181),
# WS_BENCH_DURATION (10s), WS_BENCH_CONNECTIONS (64), WS_BENCH_THREADS (2),
# WS_BENCH_BIN (build/worksafe), WS_SERVE_ARGS (extra arguments for serve).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${WS_BENCH_BIN:-$ROOT/build/worksafe}
PORT=${WS_BENCH_PORT:-18180}
NGPORT=${WS_BENCH_NGINX_PORT:-18181}
DUR=${WS_BENCH_DURATION:-10s}
CONNS=${WS_BENCH_CONNECTIONS:-64}
THREADS=${WS_BENCH_THREADS:-2}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

die() { echo "bench-http: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not built (make build/worksafe)"
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"
[ -x "$NGINX" ] || die "nginx is missing (apt-get install nginx-light)"
command -v curl >/dev/null || die "curl is missing"

TMP=$(mktemp -d /tmp/ws-bench-http.XXXXXX)
WS_PID=""
NG_PID=""
cleanup() {
    local rc=$?
    [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null || true
    [ -n "$NG_PID" ] && kill "$NG_PID" 2>/dev/null && wait "$NG_PID" 2>/dev/null || true
    if [ $rc -ne 0 ]; then
        for f in "$TMP"/serve.log "$TMP"/init.log "$TMP"/nginx-error.log; do
            [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$PORT" || die "port $PORT is in use (set WS_BENCH_PORT)"
port_free "$NGPORT" || die "port $NGPORT is in use (set WS_BENCH_NGINX_PORT)"

wait_http() { # url: up to 15 s
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- worksafe -------------------------------------------------------------
PW="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$BIN" init --data "$TMP/data" --admin-password "$PW" >"$TMP/init.log" 2>&1 || die "init failed"
# shellcheck disable=SC2086
"$BIN" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" ${WS_SERVE_ARGS:-} >"$TMP/serve.log" 2>&1 &
WS_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" || die "worksafe did not answer /healthz"

LOGIN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PW\"}" "http://127.0.0.1:$PORT/api/v1/auth/login") ||
    die "login failed"
TOKEN=$(printf '%s' "$LOGIN" | grep -o '"token":"[0-9a-f]\{64\}"' | cut -d'"' -f4)
[ -n "$TOKEN" ] || die "no token in the login reply"
AUTH="Authorization: Bearer $TOKEN"
mkdir -p "$TMP/www" "$TMP/nginx-tmp"
STATUS=$(curl -sS -o "$TMP/www/me.json" -w '%{http_code}' -H "$AUTH" "http://127.0.0.1:$PORT/api/v1/me")
[ "$STATUS" = 200 ] || die "GET /api/v1/me answered $STATUS"
SIZE=$(wc -c <"$TMP/www/me.json")

# --- nginx ----------------------------------------------------------------
USER_LINE=""
[ "$(id -u)" -eq 0 ] && USER_LINE="user root;"
sed -e "s|@USER@|$USER_LINE|" -e "s|@TMP@|$TMP|g" -e "s|@PORT@|$NGPORT|g" -e "s|@ROOT@|$TMP/www|g" \
    "$ROOT/bench/nginx.conf" >"$TMP/nginx.conf"
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" 2>>"$TMP/nginx-error.log" &
NG_PID=$!
wait_http "http://127.0.0.1:$NGPORT/me.json" || die "nginx did not start"
NGSIZE=$(curl -fsS "http://127.0.0.1:$NGPORT/me.json" | wc -c)
[ "$NGSIZE" = "$SIZE" ] || die "nginx serves $NGSIZE bytes, worksafe $SIZE"

# --- measure --------------------------------------------------------------
run_wrk() { # out url [header]
    local out=$1 url=$2
    shift 2
    wrk -t"$THREADS" -c"$CONNS" -d1s "$@" "$url" >/dev/null # warm-up
    wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "$@" "$url" >"$out"
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "$url gave errors under load"
    fi
}
rps_of() { awk '/^Requests\/sec:/ {printf "%d", $2}' "$1"; }
p99_ms_of() { # "99%   3.21ms" / "812.00us" / "1.20s" -> milliseconds
    awk '$1 == "99%" {
        v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2f", v }' "$1"
}

echo "bench-http: GET /api/v1/me ($SIZE bytes) vs nginx static file; wrk -t$THREADS -c$CONNS -d$DUR; $(nproc) CPUs" >&2
run_wrk "$TMP/ws.txt" "http://127.0.0.1:$PORT/api/v1/me" -H "$AUTH"
run_wrk "$TMP/nginx.txt" "http://127.0.0.1:$NGPORT/me.json"
sed 's/^/  worksafe | /' "$TMP/ws.txt" >&2
sed 's/^/  nginx    | /' "$TMP/nginx.txt" >&2

RPS=$(rps_of "$TMP/ws.txt")
P99=$(p99_ms_of "$TMP/ws.txt")
NRPS=$(rps_of "$TMP/nginx.txt")
[ -n "$RPS" ] && [ -n "$NRPS" ] && [ "$NRPS" -gt 0 ] || die "could not read wrk's output"
RATIO=$(awk -v a="$RPS" -v b="$NRPS" 'BEGIN { printf "%.2f", a / b }')
echo "http rps=$RPS p99_ms=$P99 nginx_rps=$NRPS ratio=$RATIO"
