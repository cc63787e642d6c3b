#!/usr/bin/env bash
# run.sh — `make bench-audit`: what a regulator's check of one record costs
# on a large evidence log. A fresh data directory (release build) gets
# WS_BENCH_LEAVES (1,000,000) leaves written straight into its SQLite file
# (random hashes, with the head's frontier computed for them, so the server
# accepts the log and appends to it), 20 of them for one record; then, in
# the same run:
#   record  GET /api/v1/audit/record for that record: all its inclusion
#           proofs from one pass up the tree (audit_inclusion_paths);
#   peer    the same proofs one GET /api/v1/audit/proof/inclusion each,
#           as the page would have to ask without the record route.
# Best of WS_BENCH_ROUNDS (3) each. One line:
#     audit leaves=N record_leaves=K record_ms=… single_proofs_ms=… ratio=…
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${WS_BENCH_BIN:-$ROOT/build/worksafe}
PORT=${WS_BENCH_PORT:-18391}
LEAVES=${WS_BENCH_LEAVES:-1000000}
ROUNDS=${WS_BENCH_ROUNDS:-3}
[ -x "$BIN" ] || { echo "bench-audit: $BIN not built" >&2; exit 1; }
TMP=$(mktemp -d /tmp/ws-bench-audit.XXXXXX)
WS_PID=""
cleanup() { [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PW="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"$BIN" init --data "$TMP/data" --admin-password "$PW" >"$TMP/init.log" 2>&1
# The leaves and the head, in one transaction, before the server starts.
python3 - "$TMP/data/worksafe.db" "$LEAVES" <<'PY'
import hashlib, os, sqlite3, struct, sys
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
n0 = c.execute("SELECT size FROM audit_head WHERE id = 1").fetchone()[0]
step = max(1, (n - n0) // 20)
rows = ((i, 1700000000000 + i, 'system', *(('hazard', 999999) if (i - n0) % step == step // 2 else ('session', i % 500)),
         'update', os.urandom(32), os.urandom(32)) for i in range(n0, n))
c.executemany("INSERT INTO audit_leaf (seq, ts, actor, entity, entity_id, action, content_hash, leaf_hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
# the frontier (docs/internals/audit.md §5): the right edge's perfect subtrees
f = []
for (h,) in c.execute("SELECT leaf_hash FROM audit_leaf ORDER BY seq"):
    f.append([1, bytes(h)])
    while len(f) >= 2 and f[-1][0] == f[-2][0]:
        r, l = f.pop(), f.pop()
        f.append([l[0] * 2, hashlib.sha256(b'\x01' + l[1] + r[1]).digest()])
c.execute("UPDATE audit_head SET size = ?, frontier = ? WHERE id = 1",
          (n, b'\x01' + b''.join(struct.pack('>Q', s) + h for s, h in f)))
c.commit()
PY
"$BIN" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" --listen-tls "" >"$TMP/serve.log" 2>&1 &
WS_PID=$!
for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
API="http://127.0.0.1:$PORT/api/v1"
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PW\"}" \
    "$API/auth/login" | grep -o '"token":"[0-9a-f]\{64\}"' | cut -d'"' -f4)
[ -n "$TOKEN" ] || { echo "bench-audit: login failed" >&2; tail -5 "$TMP/serve.log" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"
REC="$API/audit/record?entity=hazard&id=999999&size=$LEAVES"
curl -fsS -H "$AUTH" "$REC" >"$TMP/rec.json"
SEQS=$(python3 -c 'import json,sys; print(" ".join(str(i["seq"]) for i in json.load(open(sys.argv[1]))["items"]))' "$TMP/rec.json")
K=$(echo "$SEQS" | wc -w)
ms() { python3 -c 'import sys; print(round(float(sys.argv[1]) * 1000, 1))' "$1"; }
best_rec=""; best_one=""
for _ in $(seq 1 "$ROUNDS"); do
    t=$(curl -fsS -o /dev/null -w '%{time_total}' -H "$AUTH" "$REC")
    t=$(ms "$t"); [ -z "$best_rec" ] || python3 -c "import sys; sys.exit(0 if $t < $best_rec else 1)" && best_rec=$t
    s=$(date +%s%N)
    for q in $SEQS; do curl -fsS -o /dev/null -H "$AUTH" "$API/audit/proof/inclusion?index=$q&size=$LEAVES"; done
    t=$(( ($(date +%s%N) - s) / 100000 )); t=$(python3 -c "print($t / 10)")
    [ -z "$best_one" ] || python3 -c "import sys; sys.exit(0 if $t < $best_one else 1)" && best_one=$t
done
echo "audit leaves=$LEAVES record_leaves=$K record_ms=$best_rec single_proofs_ms=$best_one ratio=$(python3 -c "print(round($best_one / $best_rec, 1))")"
