#!/bin/bash
# browser-at.sh — the browser tests against a demo plant whose clock reads
# another time, to find what depends on the hour before CI meets it at
# random (a patrol day or shift change during the run, a calendar day in
# Asia/Shanghai that is not UTC's). Not part of `make test`: it needs the
# Debian package faketime, and each run takes minutes.
#
#   scripts/browser-at.sh "2026-12-02 07:58" [test-name regex]
#
# The time is Asia/Shanghai local; the clock runs on from it. The server
# (the release build) reads it through faketime; the test process and its
# pages through WS_CLOCK_OFFSET_MS (tests/browser/run.mjs).
set -eu
cd "$(dirname "$0")/.."
at=${1:?usage: scripts/browser-at.sh "YYYY-MM-DD HH:MM" [regex]}
command -v faketime >/dev/null || { echo "needs faketime (apt-get install faketime)"; exit 2; }
fake=$(TZ=Asia/Shanghai date -d "$at" +%s) || exit 2
dir=$(mktemp -d /tmp/ws-at-XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
start=$(date +%s%3N)
# its own process group: faketime forks the server, and both must go at the end
FAKETIME_DONT_FAKE_MONOTONIC=1 setsid faketime -f "@$(date -u -d "@$fake" '+%Y-%m-%d %H:%M:%S')" \
    build/worksafe demo --data "$dir" --listen "127.0.0.1:$port" --listen-tls "" --web build/web --tick-seconds 2 \
    >"$dir/server.log" 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
WS_CLOCK_OFFSET_MS=$((start - fake * 1000)) WS_BROWSER_ONLY="${2:-}" WS_BASE_URL="http://127.0.0.1:$port" \
    WS_ADMIN_PASSWORD="$(awk '$1=="admin"{print $2}' "$dir/demo-accounts.txt")" \
    WS_DEMO_ACCOUNTS="$dir/demo-accounts.txt" node tests/browser/run.mjs
