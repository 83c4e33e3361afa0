#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test run, from Debian's packages.
#
#   pg_env="$(bash .ci/postgres.sh start)" && eval "$pg_env"   # exports HUBSCAN_TEST_POSTGRES_URL (+ _DIR)
#   bash .ci/postgres.sh stop                                  # stops it and removes its data directory
#
# The cluster lives in a fresh temporary directory owned by the `postgres` user (initdb refuses to
# run as root), listens on 127.0.0.1 only, on a free port, with trust authentication (loopback, a
# scratch cluster). Only the export lines go to standard output; progress goes to standard error.
set -euo pipefail

STATE_FILE="${TMPDIR:-/tmp}/hubscan-ci-postgres.state"
PG_USER=postgres
DB_NAME=hubscan_test

log() { echo "postgres.sh: $*" >&2; }

bindir() {
    # The newest installed major version.
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
        log "installing PostgreSQL from the Debian packages"
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2
    fi
    local bin dir port
    bin="$(bindir)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/hubscan-pg.XXXXXX")"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$PG_USER:" "$dir"
    else
        PG_USER="$(id -un)"
    fi
    chmod 700 "$dir"
    (cd "$dir" && as_pg_user "$bin/initdb" -D "$dir/data" -U "$PG_USER" -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1) || {
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    }
    # A free port can be taken between the check and the start: try a few.
    for _ in 1 2 3 4 5; do
        port="$(free_port)"
        if (cd "$dir" && as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >&2); then
            break
        fi
        port=""
    done
    if [ -z "$port" ]; then
        log "the server did not start:"
        tail -n 30 "$dir/server.log" >&2 || true
        rm -rf "$dir"
        exit 1
    fi
    printf 'PG_BIN=%q\nPG_RUN_USER=%q\n' "$bin" "$PG_USER" >"$dir/ci.env"
    echo "$dir" >"$STATE_FILE"
    if ! (cd "$dir" && as_pg_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" "$DB_NAME" >&2); then
        log "createdb failed; stopping the server"
        HUBSCAN_TEST_POSTGRES_DIR="$dir" stop
        exit 1
    fi
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
    echo "export HUBSCAN_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER@127.0.0.1:$port/$DB_NAME"
    echo "export HUBSCAN_TEST_POSTGRES_DIR=$dir"
}

stop() {
    # The server `start` exported in this shell, else the last one started on this machine.
    local dir="${HUBSCAN_TEST_POSTGRES_DIR:-}" bin=""
    if [ -z "$dir" ] && [ -f "$STATE_FILE" ]; then
        dir="$(cat "$STATE_FILE")"
    fi
    if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
        log "no server to stop"
        return 0
    fi
    if [ -f "$dir/ci.env" ]; then
        # shellcheck disable=SC1091
        . "$dir/ci.env"
        bin="${PG_BIN:-}"
        PG_USER="${PG_RUN_USER:-$PG_USER}"
    fi
    bin="${bin:-$(bindir)}"
    (cd "$dir" && as_pg_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2) || log "pg_ctl stop failed (already stopped?)"
    rm -rf "$dir"
    if [ -f "$STATE_FILE" ] && [ "$(cat "$STATE_FILE")" = "$dir" ]; then
        rm -f "$STATE_FILE"
    fi
    log "stopped and removed $dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
