# pg.sh -- a throwaway PostgreSQL 15 for a test (sourced after common.sh and
# broker.sh): a new cluster in its own directory, on a free port of
# 127.0.0.1 only, password (SCRAM) authentication, owned by an unprivileged
# user (PostgreSQL refuses to run as root, and CI runs as root: the
# postgres account that Debian's package makes). Stopped and removed when
# the test exits.
#
#   pg_start            starts it; sets PG_PORT, PG_URI (the coordinator's
#                       --db: postgresql://coordinator@127.0.0.1:PORT/outreach),
#                       PGPASSFILE (exported: libpq reads the password there)
#   pg_stop / pg_restart
#   pg_sql SQL          runs SQL as the coordinator role, prints rows (psql -At)
#   pg_up               0 when the server answers (pg_isready)

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as() { # COMMAND...: as the cluster's owner
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  [ -x "$PG_BIN/initdb" ] || fail "no PostgreSQL 15 in $PG_BIN (bash scripts/deps.sh installs postgresql-15)"
  # Not under $WORK: the owner must reach it, and $WORK is root's alone.
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/outreach-pg.XXXXXX")
  on_exit _pg_cleanup
  mkdir -p "$PG_DIR/data" "$PG_DIR/run"
  local super role
  super=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  role=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$super" >"$PG_DIR/super.pw"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$PG_DIR"
  chmod 700 "$PG_DIR"
  _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U pgadmin --pwfile="$PG_DIR/super.pw" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }
  PG_PORT=$(_pick_port)
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR/run'
max_connections = 50
EOF
  _pg_start_server
  PGPASSFILE=$WORK/pgpass
  printf '127.0.0.1:%s:*:pgadmin:%s\n127.0.0.1:%s:*:coordinator:%s\n' \
    "$PG_PORT" "$super" "$PG_PORT" "$role" >"$PGPASSFILE"
  chmod 600 "$PGPASSFILE"
  export PGPASSFILE
  _pg_admin -c "CREATE ROLE coordinator LOGIN PASSWORD '$role'" >/dev/null
  _pg_admin -c "CREATE DATABASE outreach OWNER coordinator" >/dev/null
  PG_URI="postgresql://coordinator@127.0.0.1:$PG_PORT/outreach"
  export PG_URI PG_PORT
}

_pg_start_server() {
  # -w: pg_ctl polls until the server accepts connections (at most -t s).
  _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null ||
    { tail -20 "$PG_DIR/server.log" >&2; fail "PostgreSQL did not start"; }
  wait_until 30 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_up
}

pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

_pg_admin() { # psql ARGS as the cluster's superuser
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U pgadmin -d postgres "$@"
}

pg_sql() {
  psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U coordinator -d outreach -c "$1"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
  _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

pg_restart() {
  pg_stop
  _pg_start_server
}

_pg_cleanup() {
  pg_stop
  if [ -n "${KEEP_WORK:-}" ]; then
    echo "PostgreSQL cluster kept in $PG_DIR" >&2
  else
    rm -rf -- "$PG_DIR"
  fi
}
