#!/usr/bin/env bash
# install.sh DESTDIR PREFIX — put the binary, the built web assets, a config
# file and a systemd unit in place; create the unprivileged `worksafe` user
# when installing into the live system. Called by `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
destdir=${1:-}; prefix=${2:-/usr/local}
bindir=$prefix/bin; share=$prefix/share/worksafe
install -d "$destdir$bindir" "$destdir$share/web" "$destdir/etc/worksafe" "$destdir/lib/systemd/system"
install -m 0755 build/worksafe "$destdir$bindir/worksafe"
cp -r build/web/. "$destdir$share/web/"
rm -f "$destdir$share/web/.stamp"
# Keep an existing config: it is the administrator's.
if [ ! -f "$destdir/etc/worksafe/worksafe.conf" ]; then
    sed "s|/usr/local/share/worksafe/web|$share/web|" dist/worksafe.conf > "$destdir/etc/worksafe/worksafe.conf"
    chmod 0644 "$destdir/etc/worksafe/worksafe.conf"
fi
sed "s|@BINDIR@|$bindir|" dist/worksafe.service > "$destdir/lib/systemd/system/worksafe.service"
if [ -z "$destdir" ] && [ "$(id -u)" -eq 0 ]; then
    id worksafe >/dev/null 2>&1 || useradd --system --home-dir /var/lib/worksafe --shell /usr/sbin/nologin worksafe
    install -d -o worksafe -g worksafe -m 0700 /var/lib/worksafe
    command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
    echo "installed. Next: sudo -u worksafe $bindir/worksafe init --config /etc/worksafe/worksafe.conf"
    echo "      then: systemctl enable --now worksafe"
fi
