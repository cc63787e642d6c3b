#!/usr/bin/env bash
# deps.sh — install the Debian packages of deps/debian-packages.txt that are
# missing, then the npm packages of package.json (build- and test-time only).
# Needs root or sudo for apt-get; does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
while read -r p; do
    p=${p%%#*}; p=${p// /}
    [ -n "$p" ] || continue
    # a Node.js installed outside dpkg (as on the CI image) is as good as Debian's
    case $p in nodejs|npm) command -v "${p/nodejs/node}" >/dev/null && continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done < deps/debian-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# npm: when node_modules is missing or older than package.json/package-lock.json,
# or a package named there is absent (a dependency added since the last install).
npm_stale() {
    [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ] ||
        ! node -e 'const p=require("./package.json");for(const n of Object.keys(Object.assign({},p.dependencies,p.devDependencies)))require("fs").accessSync("node_modules/"+n+"/package.json")' 2>/dev/null
}
if [ -f package.json ] && npm_stale; then
    echo "deps: npm install" >&2
    npm install --no-audit --no-fund --loglevel=error >&2
    touch node_modules
fi
