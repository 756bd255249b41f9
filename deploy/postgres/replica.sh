#!/bin/sh
# Compose profile `cluster`: `postgres-replica`, a streaming replica of `postgres` (PRIMARY_HOST)
# for DATABASE_READ_URL. Its first start clones the primary with pg_basebackup -R, which also
# writes primary_conninfo and standby.signal; every start then runs the server as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -q -h "$PRIMARY_HOST" -U postgres; do sleep 1; done
  pg_basebackup -h "$PRIMARY_HOST" -U postgres -D "$PGDATA" -R -X stream -c fast
fi
chmod 0700 "$PGDATA"
exec postgres
