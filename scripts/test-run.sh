#!/usr/bin/env bash
# test-run.sh — run every test and end with one line "N passed, N failed".
#
# Order: the browser tests in headless Chromium start first and run beside
# everything else (they are reported last); beside them the rest of the test
# build, the layer check, then in one pool the cmocka tests (unit, and
# integration against the real server over loopback, each on SQLite and
# PostgreSQL; the longest first) and the fuzzers for a few seconds each. A
# throwaway PostgreSQL cluster is started on a loopback port and stopped at
# the end. Called by `make test` once the test server and the pages are
# built; sanitizers are on in every binary.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; failures=()
log_dir=build/test/logs; mkdir -p "$log_dir"
# ASan keeps freed memory poisoned until 256 MB more has been freed, so a
# server process faults in fresh pages for nearly all it allocates: the
# suite spent about 40 % of its CPU in the kernel, most of it page faults.
# 32 MB still catches a use after free of anything freed in the last many
# requests, and the cmocka tests run about a tenth faster.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:quarantine_size_mb=32}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

pg_started=0
cleanup() {
    [ -n "${browser_pid:-}" ] && pkill -P "$browser_pid" 2>/dev/null
    [ $pg_started -eq 1 ] && scripts/pg-test.sh stop >/dev/null 2>&1
}
trap cleanup EXIT

# Leave a cluster that was already running (a developer's) as it was.
was_running=0; /usr/lib/postgresql/15/bin/pg_isready -q -h 127.0.0.1 -p 25432 2>/dev/null && was_running=1
if url=$(scripts/pg-test.sh start 2>"$log_dir/pg.log"); then
    export WS_TEST_PG_URL=$url; [ $was_running -eq 1 ] || pg_started=1
    echo "postgres: $url"
else
    echo "postgres: could not start a test cluster (see $log_dir/pg.log)"; cat "$log_dir/pg.log"
    failed=$((failed + 1)); failures+=("postgres cluster")
fi

# Tests run three at a time (WS_TEST_JOBS): the machine has two cores, but
# many tests wait on servers, fsync and sockets, and the cores were busy
# about half of a two-at-a-time run (this script alone: 9 min 9 s with two,
# 8 min 15 s with three, 2026-11-30). Each job writes its log and a result
# file; the results are read back in a fixed order, so the output and the
# counts do not depend on which finished first.
JOBS=${WS_TEST_JOBS:-3}
pool_pids=()
pool() { # run "$@" in the background, at most JOBS at a time (the browser job aside)
    while [ "$(jobs -rp | grep -vxc "${browser_pid:-none}")" -ge "$JOBS" ]; do wait -n; done
    "$@" &
    pool_pids+=($!)
}
pool_wait() { wait "${pool_pids[@]}"; pool_pids=(); }

# A cmocka binary: count "[  PASSED  ] N" and "[  FAILED  ] N"; a crash or a
# non-zero exit with no failure counted is one failure.
# unit and integration tests may share a name (test_attach): logs are keyed by both
key_of() { local k=${1#build/test/}; echo "${k//\//-}"; }
cmocka_job() {
    local bin=$1 name; name=$(key_of "$bin")
    local out="$log_dir/$name.log" t0=$SECONDS
    "$bin" >"$out" 2>&1; local rc=$?
    local p f
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    echo "$p $f $((SECONDS - t0))" >"$log_dir/$name.res"
}
cmocka_report() {
    local name; name=$(key_of "$1")
    local out="$log_dir/$name.log" p f secs
    read -r p f secs <"$log_dir/$name.res" || { p=0; f=1; secs=0; }
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failures+=("$name"); echo "FAIL $name ($p passed, $f failed) — $out"
        grep -E '^\[  (FAILED|ERROR) +\]|ERROR: |runtime error|Sanitizer' "$out" | head -20
    else
        echo "ok   $name ($p passed, ${secs}s)"
    fi
}

one() { # name, command...
    local name=$1; shift
    if "$@" >"$log_dir/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name — $log_dir/$name.log"; tail -20 "$log_dir/$name.log"; fi
}

# Browser tests: a demo plant on a free port, driven by playwright-core. They
# start before the cmocka tests and run beside them, outside the pool: one
# Chromium that mostly waits on pages. Run alone after the rest they took 3 of
# the 9 min 51 s of a CI run; beside them this script went from 6 min 15 s to
# 4 min 52 s (2026-12-01). browser_job writes browser.log and browser.res;
# browser_report, at the end, counts them.
browser_job() {
    local bdir port pw brc line bp bf t0=$SECONDS
    bdir=$(mktemp -d /tmp/ws-browser-XXXXXX)
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    build/test/worksafe demo --data "$bdir" --listen "127.0.0.1:$port" --listen-tls "" --web build/web --tick-seconds 2 \
        >"$log_dir/browser-server.log" 2>&1 &
    local server=$!
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    pw=$(awk '$1=="admin"{print $2}' "$bdir/demo-accounts.txt" 2>/dev/null)
    WS_BASE_URL="http://127.0.0.1:$port" WS_ADMIN_PASSWORD="$pw" WS_DEMO_ACCOUNTS="$bdir/demo-accounts.txt" \
        node tests/browser/run.mjs >"$log_dir/browser.log" 2>&1
    brc=$?
    line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$log_dir/browser.log" | tail -1)
    bp=$(echo "$line" | awk '{print $2+0}'); bf=$(echo "$line" | awk '{print $4+0}')
    if [ -z "$line" ] || { [ "$brc" -ne 0 ] && [ "$bf" -eq 0 ]; }; then bf=$((bf + 1)); fi
    echo "$bp $bf $((SECONDS - t0))" >"$log_dir/browser.res"
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
    rm -rf "$bdir"
}
browser_report() {
    local bp bf secs
    read -r bp bf secs <"$log_dir/browser.res" 2>/dev/null || { bp=0; bf=1; }
    passed=$((passed + bp)); failed=$((failed + bf))
    if [ "$bf" -gt 0 ]; then failures+=("browser"); echo "FAIL browser ($bp passed, $bf failed)"; grep -E '^not ok' "$log_dir/browser.log"; tail -5 "$log_dir/browser.log"
    else echo "ok   browser ($bp passed, ${secs}s)"; fi
}
rm -f "$log_dir/browser.res"
if [ -f tests/browser/run.mjs ]; then browser_job & browser_pid=$!; fi

# The rest of the test build (make test-build: the release binary, the unit,
# integration and fuzz binaries) is made here, beside the browser tests,
# which need only the test server and the pages (`make test` builds those
# first); with nothing to build it is a no-op.
if ! make --no-print-directory test-build >"$log_dir/build.log" 2>&1; then
    echo "FAIL build — $log_dir/build.log"; tail -30 "$log_dir/build.log"
    [ -n "${browser_pid:-}" ] && { wait "$browser_pid"; browser_pid=; browser_report; }
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi
one check-layers scripts/check-layers.sh
# A clock that tests can move exists only in the test build, never in the
# binary `make install` installs (a movable clock in a permit system is a backdoor).
one release-has-no-test-clock sh -c '! nm build/worksafe | grep -q clock_test_advance && nm build/test/worksafe | grep -q clock_test_advance'
# The test build hashes passwords at libsodium's minimum cost (src/auth/password.c);
# the release binary must store the INTERACTIVE cost: 64 MiB, two passes.
hash_of() { # binary: the admin's stored password hash after `init`
    local d; d=$(mktemp -d /tmp/ws-hash-XXXXXX)
    "$1" init --data "$d" --admin-password 'Hash-Check-2026' >/dev/null 2>&1 &&
        python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:"+sys.argv[1]+"/worksafe.db?mode=ro",uri=True).execute("SELECT password_hash FROM accounts WHERE username=?",("admin",)).fetchone()[0])' "$d"
    rm -rf "$d"
}
full_cost() { case "$(hash_of "$1")" in '$argon2id$v=19$m=65536,t=2,p=1$'*) return 0;; *) return 1;; esac; }
one release-hashes-at-full-cost full_cost build/worksafe
# The proof fuzzer's seed is a proof it builds and checks at start-up with a
# fixed key: the committed seed is that proof, and the release CLI accepts it.
proof_seed() {
    local f k; f=$(mktemp /tmp/ws-proof-XXXXXX)
    k=$(WS_FUZZ_PROOF_SEED="$f" build/fuzz/fuzz_proof -runs=0 2>&1 | sed -n 's/.*its key: //p')
    cmp "$f" tests/fuzz/seeds-proof/valid.json && build/worksafe audit check-proof "$f" --key "$k"
    local rc=$?; rm -f "$f"; return $rc
}
one proof-seed-checks-with-cli proof_seed
tests=()
for t in build/test/integration/test_* build/test/unit/test_*; do [ -x "$t" ] && tests+=("$t"); done
# The longest start first, so that none of them begins near the end and
# runs on alone (longest-first scheduling; the times of a CI run, 2026-12-01:
# permissions 139 s, warn 72, ledger 61, org 58, evidence 44, hazard ledger 39).
# The fuzzers join the same pool; reports keep the fixed order.
slow=(build/test/integration/test_permissions build/test/unit/test_warn build/test/integration/test_ledger
      build/test/unit/test_org build/test/integration/test_evidence build/test/integration/test_hazard_ledger)
for t in "${slow[@]}"; do [ -x "$t" ] && pool cmocka_job "$t"; done
for t in "${tests[@]}"; do [[ " ${slow[*]} " == *" $t "* ]] || pool cmocka_job "$t"; done
fuzz_job() { # name, command...
    local name=$1; shift
    if "$@" >"$log_dir/$name.log" 2>&1; then echo 0 >"$log_dir/$name.res"; else echo 1 >"$log_dir/$name.res"; fi
}
fuzzers=()
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f"); corpus=build/fuzz/corpus-$name; mkdir -p "$corpus"; fuzzers+=("$name")
    seeds=(); [ -d "tests/fuzz/seeds-${name#fuzz_}" ] && seeds=("tests/fuzz/seeds-${name#fuzz_}")
    pool fuzz_job "$name" "$f" -max_total_time=5 -rss_limit_mb=2048 "$corpus" "${seeds[@]}"
done
pool_wait; pool_secs=$SECONDS
for t in "${tests[@]}"; do cmocka_report "$t"; done
for name in "${fuzzers[@]}"; do
    if [ "$(cat "$log_dir/$name.res" 2>/dev/null)" = 0 ]; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name — $log_dir/$name.log"; tail -20 "$log_dir/$name.log"; fi
done

if [ -n "${browser_pid:-}" ]; then wait "$browser_pid"; browser_pid=; browser_report; fi

[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "time: the pool's last test ended at ${pool_secs}s, everything at ${SECONDS}s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
