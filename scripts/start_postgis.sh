#!/bin/sh
# Start a throwaway PostgreSQL + PostGIS server for the database round-trip tests and print its URL.
#
#   sh scripts/start_postgis.sh          # prints e.g. postgresql://postgres@127.0.0.1:54329/geo_test
#
# Idempotent: a second call finds the server running and only prints the URL. The cluster lives in
# $GEO_PG_DIR (default /tmp/geo-postgis), listens on 127.0.0.1:$GEO_PG_PORT (default 54329) and its own unix
# socket only, trusts local connections (test data only, never real data), and holds one database geo_test
# with the postgis extension. Needs Debian's postgresql and postgresql-postgis (scripts/install_system_deps.sh).
# As root (CI) the server runs as the postgres user; otherwise as the calling user.
# Everything but the URL goes to stderr, so callers can read the URL from stdout.
set -eu
DIR="${GEO_PG_DIR:-/tmp/geo-postgis}"
PORT="${GEO_PG_PORT:-54329}"
DB=geo_test

log() { echo "start_postgis: $*" >&2; }
die() { log "$*"; exit 1; }

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] && [ -x "$BIN/initdb" ] || die "PostgreSQL server not found in /usr/lib/postgresql/*/bin: apt-get install postgresql"
VERSION=$(basename "$(dirname "$BIN")")
[ -f "/usr/share/postgresql/$VERSION/extension/postgis.control" ] ||
    die "PostGIS extension for PostgreSQL $VERSION missing: apt-get install postgresql-postgis"

if [ "$(id -u)" -eq 0 ]; then
    AS="runuser -u postgres --"
    mkdir -p "$DIR" && chown postgres "$DIR"
else
    AS=""
    mkdir -p "$DIR"
fi
chmod 700 "$DIR"
DATA="$DIR/data"

if [ ! -f "$DATA/PG_VERSION" ]; then
    log "creating cluster in $DATA (PostgreSQL $VERSION)"
    $AS "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
        die "initdb failed, see $DIR/initdb.log"
fi

if ! $AS "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "starting server on 127.0.0.1:$PORT"
    $AS "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >&2 ||
        die "server did not start, see $DIR/server.log"
fi

PSQL="$AS $BIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U postgres"
if [ "$($PSQL -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    $PSQL -d postgres -c "CREATE DATABASE $DB" >&2
fi
$PSQL -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
echo "postgresql://postgres@127.0.0.1:$PORT/$DB"
