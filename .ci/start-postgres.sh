#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 on a free loopback port in a temp dir (installing it from Debian if
# needed) and prints its admin URL on the last line. Stop it with: .ci/start-postgres.sh stop DIR
set -euo pipefail

if [ "${1:-}" = "stop" ]; then
  dir="$2"
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 0
fi

PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/postgres" ]; then
  echo "installing PostgreSQL 15 from Debian..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
fi

dir=$(mktemp -d /tmp/flotilla-pg.XXXXXX)
chown postgres "$dir"
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -U flotilla --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null
echo "$dir"
echo "postgres://flotilla@127.0.0.1:$port/postgres"
