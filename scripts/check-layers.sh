#!/usr/bin/env bash
# check-layers.sh — the dependency rules of docs/ARCHITECTURE.md, checked on
# every test run:
#   core <- anomaly (pure detectors), store <- audit, auth <- org <- domain modules (risk, workflow, attach,
#   ledger, …) <- modules built on them (hazard, warn) <- permit (uses warn) <- api
#   <- http <- cli, main.c
# A module may include headers of its own layer's peers only where listed,
# and of layers below. SQL text may appear only under src/store/.
set -u
cd "$(dirname "$0")/.."
rank() {
    case $1 in
        core) echo 0 ;; anomaly) echo 1 ;; store) echo 1 ;; audit) echo 2 ;; auth) echo 3 ;;
        org) echo 4 ;; hazard|warn|duty) echo 6 ;; permit|taskforce|dashboard|patrol|voice|dynrisk|handover) echo 7 ;; api) echo 8 ;; http) echo 9 ;; cli) echo 10 ;; *) echo 5 ;;
    esac
}
bad=0
for f in $(git ls-files 'src/*/*.c' 'src/*/*.h' 2>/dev/null || find src -mindepth 2 -name '*.[ch]'); do
    mod=$(echo "$f" | cut -d/ -f2); r=$(rank "$mod")
    while read -r inc; do
        dep=${inc%%/*}
        [ "$dep" = "$mod" ] && continue
        d=$(rank "$dep")
        if [ "$d" -ge "$r" ]; then echo "layer violation: $f includes $inc ($mod may not depend on $dep)"; bad=1; fi
    done < <(grep -oE '^#include "[a-z_]+/[a-z_0-9]+\.h"' "$f" | sed -E 's/#include "(.*)"/\1/')
done
# SQL only in src/store: look for SQL statements in string literals elsewhere.
if grep -nE '"[^"]*\b(SELECT [a-z_*]|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE TABLE)' \
        $(find src -name '*.c' -not -path 'src/store/*') 2>/dev/null; then
    echo "SQL outside src/store (above)"; bad=1
fi
[ $bad -eq 0 ] && echo "layers ok"
exit $bad
