#!/bin/sh
# Debian packages the tests need: headless Chromium (HTML maps are checked in a real browser),
# a CJK font so Chromium draws Japanese, and PostgreSQL + PostGIS for the database round trip.
# Runs as root (CI and the development machines); does nothing when everything is present.
set -e
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -d /usr/share/fonts/opentype/noto ] || need="$need fonts-noto-cjk"
command -v pg_ctlcluster >/dev/null 2>&1 || need="$need postgresql"
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need="$need postgresql-postgis"
if [ -n "$need" ]; then
    echo "installing Debian packages:$need"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
