#!/usr/bin/env bash
# hazards.sh — `make bench-hazards`: the hidden-danger ledger's three named
# queries for a scoped user over HTTP on 1,000,000 hazards, on SQLite and on
# PostgreSQL, next to the same SQL run directly against the same database in
# the same run (the ceiling).
#
# Per backend:
#  1. a plant through the real code: `worksafe init`, then over the API 4
#     sites, 40 areas (10 a site), 200 grids (5 an area), a safety officer
#     scoped to the first site (a quarter of the plant), and one hazard
#     reported through POST /hazards (it makes the hazard lifecycle's first
#     definition version, which the generated instances pin);
#  2. the server stopped, N hazards generated with set-based SQL by
#     bench/hazards.c `seed` (workflow instances, hazard rows, search terms
#     from the server's own tokeniser; see that file), then `serve` again;
#  3. per query, HTTP: C threads with keep-alive libcurl handles as the
#     officer, page size 50 (the default), WS_BENCH_CONNECTIONS clients for
#     WS_BENCH_DURATION seconds after a 1 s warm-up:
#       state    GET /api/v1/hazards?state=rectifying&unit_id=<the first area>
#       overdue  GET /api/v1/hazards?overdue=1
#       search   GET /api/v1/hazards?q=储罐 泄漏
#     ceiling: the same SQL text (Q_HAZARD_LIST_STATE / _OVERDUE / _TERMS from
#     src/store/q_hazard.c) with the parameters the server binds, with the
#     same number of clients and duration: on SQLite C threads on their own
#     connections (bench/hazards.c ceiling-sqlite), on PostgreSQL pgbench -f
#     with the parameters as literals.
# PostgreSQL is the test cluster of scripts/pg-test.sh (started when needed and
# then stopped again), in a database of its own that is dropped at the end.
# Every line "bench-hazards: <backend> <query> ..." gives rps, p99 and the
# ceiling's rps; the last line is
#     hazards rows=N rps=N p99_ms=N ceiling_ratio=N
# aggregated over the six (backend, query) pairs: the lowest rps, the highest
# p99 and the lowest ratio (worksafe rps / ceiling rps), i.e. the worst query.
#
# WS_BENCH_KEEP=1 keeps the data directory, the PostgreSQL database and the
# passwords for a look at the plans afterwards.
# Knobs (environment): WS_BENCH_ROWS (1000000), WS_BENCH_DURATION (10),
# WS_BENCH_CONNECTIONS (2, one a CPU here), WS_BENCH_PORT (18190), WS_BENCH_BACKENDS
# ("sqlite postgres"), WS_SERVE_ARGS (extra arguments for serve).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/worksafe
TOOL=$ROOT/build/bench/hazards
ROWS=${WS_BENCH_ROWS:-1000000}
DUR=${WS_BENCH_DURATION:-10}
CONC=${WS_BENCH_CONNECTIONS:-2}
PORT=${WS_BENCH_PORT:-18190}
BACKENDS=${WS_BENCH_BACKENDS:-sqlite postgres}
PGBIN=/usr/lib/postgresql/15/bin
STATE=rectifying
QTEXT="储罐 泄漏"
QURL="%E5%82%A8%E7%BD%90%20%E6%B3%84%E6%BC%8F"

die() { echo "bench-hazards: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not built (make build/worksafe)"
[ -x "$TOOL" ] || die "$TOOL not built (make build/bench/hazards)"
command -v curl >/dev/null || die "curl is missing"
command -v sqlite3 >/dev/null || die "sqlite3 is missing"
command -v pgbench >/dev/null || [ -x "$PGBIN/pgbench" ] || die "pgbench is missing (postgresql-15)"
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")

TMP=$(mktemp -d /tmp/ws-bench-hazards.XXXXXX)
WS_PID=""
PG_STARTED=0
PG_DB=""
PG_ADMIN=""
cleanup() {
    local rc=$?
    [ -n "$WS_PID" ] && kill "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null || true
    if [ -n "$PG_DB" ] && [ -z "${WS_BENCH_KEEP:-}" ]; then
        "$PGBIN/psql" -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    [ $PG_STARTED -eq 1 ] && "$ROOT/scripts/pg-test.sh" stop >/dev/null 2>&1 || true
    if [ $rc -ne 0 ]; then
        for f in "$TMP"/*.log; do
            [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    if [ -n "${WS_BENCH_KEEP:-}" ]; then echo "bench-hazards: kept $TMP" >&2; else rm -rf "$TMP"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$PORT" || die "port $PORT is in use (set WS_BENCH_PORT)"
BASE="http://127.0.0.1:$PORT"

serve() { # data-dir [--db url]
    # shellcheck disable=SC2086
    "$BIN" serve --data "$@" --listen "127.0.0.1:$PORT" ${WS_SERVE_ARGS:-} >>"$TMP/serve.log" 2>&1 &
    WS_PID=$!
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
        sleep 0.1
    done
    die "worksafe did not answer /healthz"
}
stop_server() {
    kill "$WS_PID" && wait "$WS_PID" || true
    WS_PID=""
}

# POST JSON, print the id of the 201 reply.
post_id() { # token path body
    local out
    out=$(curl -sS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" \
        -w '\n%{http_code}' "$BASE$2") || die "POST $2 failed"
    [[ $out =~ ^\{\"id\":([0-9]+).*201$ ]] || die "POST $2: $out"
    printf '%s' "${BASH_REMATCH[1]}"
}
login() { # user password
    curl -fsS -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" \
        "$BASE/api/v1/auth/login" | grep -o '"token":"[0-9a-f]\{64\}"' | cut -d'"' -f4
}

# Prints "rps p99" of a "rps=.. p99_ms=.." line.
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

RESULTS=()
run_backend() { # sqlite|postgres
    local be=$1 data="$TMP/data-$1" dbargs=() dbq
    local pw="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$pw" >"$TMP/password-$be" # for WS_BENCH_KEEP
    if [ "$be" = postgres ]; then
        "$PGBIN/pg_isready" -q -h 127.0.0.1 -p 25432 2>/dev/null || PG_STARTED=1
        local url
        url=$("$ROOT/scripts/pg-test.sh" start 2>"$TMP/pg.log") || die "could not start the PostgreSQL test cluster"
        PG_ADMIN=$url
        PG_DB="ws_bench_hazards_$$"
        "$PGBIN/psql" -X -q "$url" -c "CREATE DATABASE $PG_DB" >/dev/null || die "CREATE DATABASE failed"
        DBURL="${url%/*}/$PG_DB"
        dbargs=(--db "$DBURL")
        dbq() { "$PGBIN/psql" -X -qAt "$DBURL" -c "$1"; }
    else
        DBURL="$data/worksafe.db"
        dbq() { sqlite3 "$DBURL" "$1"; }
    fi
    "$BIN" init --data "$data" "${dbargs[@]}" --admin-password "$pw" >"$TMP/init.log" 2>&1 || die "init failed"
    serve "$data" "${dbargs[@]}"
    local admin root sites=() areas=() units=() officer person
    admin=$(login admin "$pw")
    [ -n "$admin" ] || die "admin login failed"
    local me
    me=$(curl -fsS -H "Authorization: Bearer $admin" "$BASE/api/v1/me")
    [[ $me =~ \"scope\":\{[^}]*\"id\":([0-9]+) ]] || die "no scope in /me: $me"
    root=${BASH_REMATCH[1]}
    local t0=$SECONDS s a g sid aid
    for s in 1 2 3 4; do
        sid=$(post_id "$admin" /api/v1/units "{\"parent_id\":$root,\"kind\":\"site\",\"code\":\"S$s\",\"name\":\"第${s}厂区\"}")
        sites+=("$sid")
        for a in $(seq 1 10); do
            aid=$(post_id "$admin" /api/v1/units "{\"parent_id\":$sid,\"kind\":\"area\",\"code\":\"S$s-A$a\",\"name\":\"${s}厂${a}区\"}")
            areas+=("$aid")
            units+=("$aid")
            for g in $(seq 1 5); do
                units+=("$(post_id "$admin" /api/v1/units "{\"parent_id\":$aid,\"kind\":\"grid\",\"code\":\"S$s-A$a-G$g\",\"name\":\"${s}厂${a}区${g}号网格\"}")")
            done
        done
    done
    person=$(post_id "$admin" /api/v1/people "{\"unit_id\":${sites[0]},\"name\":\"李安全\"}")
    post_id "$admin" /api/v1/accounts "{\"username\":\"officer\",\"password\":\"$pw\",\"roles\":[\"safety_officer\"],\"scope_unit_id\":${sites[0]},\"person_id\":$person}" >/dev/null
    officer=$(login officer "$pw")
    [ -n "$officer" ] || die "officer login failed"
    post_id "$officer" /api/v1/hazards "{\"unit_id\":${areas[0]},\"title\":\"一号储罐法兰泄漏\",\"accident_type\":\"08\",\"location\":\"甲类罐区\"}" >/dev/null
    local defv
    defv=$(dbq "SELECT def_version FROM workflow_instances WHERE wf_key = 'hazard' LIMIT 1")
    [ -n "$defv" ] || die "no hazard instance after the report"
    echo "bench-hazards: $be: plant of ${#units[@]} areas and grids seeded through the API in $((SECONDS - t0)) s" >&2
    stop_server

    local seeded secs
    seeded=$("$TOOL" seed "$DBURL" "$ROWS" "$defv" "$(IFS=,; echo "${units[*]}")" 2>"$TMP/seed-$be.log") ||
        { cat "$TMP/seed-$be.log" >&2; die "seed failed"; }
    sed 's/^/  /' "$TMP/seed-$be.log" >&2
    secs=${seeded#* }
    local nrows=${seeded% *}
    echo "bench-hazards: $be: $nrows hazards generated in $secs s" >&2
    serve "$data" "${dbargs[@]}"

    local site_path area_path
    site_path=$(dbq "SELECT path FROM units WHERE id = ${sites[0]}")
    area_path=$(dbq "SELECT path FROM units WHERE id = ${areas[0]}")
    local q name url path arg http ceil rps p99 crps ratio
    for q in state overdue search; do
        case $q in
        state) url="/api/v1/hazards?state=$STATE&unit_id=${areas[0]}"; path=$area_path; arg=$STATE; name=state ;;
        overdue) url="/api/v1/hazards?overdue=1"; path=$site_path; arg=""; name=overdue ;;
        search) url="/api/v1/hazards?q=$QURL"; path=$site_path; arg=$QTEXT; name=terms ;;
        esac
        if [ $q = search ]; then
            local term0
            term0=$("$TOOL" term0 "$QTEXT")
            WS_BENCH_TERM_LO=$(dbq "SELECT hazard_id FROM hazard_terms WHERE term = '$term0' AND hazard_id < 9223372036854775807 ORDER BY hazard_id DESC LIMIT 1 OFFSET 1023")
            export WS_BENCH_TERM_LO
        fi
        http=$("$TOOL" http "$BASE" "$officer" "$url" "$CONC" "$DUR") || die "$be $q over HTTP: $http"
        if [ "$be" = sqlite ]; then
            ceil=$("$TOOL" ceiling-sqlite "$DBURL" "$name" "$CONC" "$DUR" "$path" ${arg:+"$arg"}) ||
                die "$be $q ceiling: $ceil"
            crps=$(field rps "$ceil")
            ceil="$ceil (C threads on sqlite3, same SQL)"
        else
            "$TOOL" sql "$name" "$path" ${arg:+"$arg"} >"$TMP/$q.sql"
            "$PGBENCH" -n -f "$TMP/$q.sql" -c "$CONC" -j "$CONC" -T 1 "$DBURL" >/dev/null 2>&1 || true
            "$PGBENCH" -n -f "$TMP/$q.sql" -c "$CONC" -j "$CONC" -T "$DUR" "$DBURL" >"$TMP/pgbench-$q.log" 2>&1 ||
                { cat "$TMP/pgbench-$q.log" >&2; die "pgbench failed"; }
            crps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$TMP/pgbench-$q.log")
            ceil="rps=$(printf '%.0f' "$crps") avg_ms=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$TMP/pgbench-$q.log") (pgbench -c $CONC, same SQL)"
        fi
        rps=$(field rps "$http")
        p99=$(field p99_ms "$http")
        ratio=$(awk -v a="$rps" -v b="$crps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        echo "bench-hazards: $be $q http: $http | ceiling: $ceil | ratio=$ratio"
        RESULTS+=("$rps $p99 $ratio")
    done
    ROWS_DONE=$nrows
    stop_server
    if [ "$be" = postgres ] && [ -z "${WS_BENCH_KEEP:-}" ]; then
        "$PGBIN/psql" -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
        PG_DB=""
    fi
}

echo "bench-hazards: $ROWS hazards per backend; $CONC clients, ${DUR} s per query; $(nproc) CPUs" >&2
ROWS_DONE=0
for be in $BACKENDS; do run_backend "$be"; done
printf '%s\n' "${RESULTS[@]}" | awk -v rows="$ROWS_DONE" '
    NR == 1 || $1 < rps { rps = $1 }
    NR == 1 || $2 > p99 { p99 = $2 }
    NR == 1 || $3 < ratio { ratio = $3 }
    END { printf "hazards rows=%d rps=%d p99_ms=%.2f ceiling_ratio=%.2f\n", rows, rps, p99, ratio }'
