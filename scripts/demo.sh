#!/usr/bin/env bash
# demo.sh — `make demo`: a demo chemical park and enterprise under ./data,
# served on http://127.0.0.1:8080 (and https://127.0.0.1:8443). The first run
# creates the data and prints the demo accounts and their passwords; later
# runs reuse ./data and print them again. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/worksafe demo --data ./data --web build/web "$@"
