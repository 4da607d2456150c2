#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on a Unix socket only.
#   cluster.sh start DIR   initdb in DIR/data, start postgres with its socket
#                          in DIR and no TCP listener, wait until it accepts
#                          connections, print a libpq conninfo on stdout
#   cluster.sh stop DIR    stop it by the PID in DIR/data/postmaster.pid
#                          (SIGINT: fast shutdown), wait until it is gone
# PostgreSQL refuses to run as root, so as root the server runs as the
# postgres user through runuser, and DIR is handed to that user. Output of
# initdb and the server goes to DIR/initdb.log and DIR/server.log.
set -eu
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/postgres" ] || { echo "$0: PostgreSQL 15 is not installed (make deps)" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_with() {  # signal: INT is PostgreSQL's fast shutdown
    local pidfile=$dir/data/postmaster.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(head -1 "$pidfile")
    case $pid in ''|*[!0-9]*) echo "$0: bad pid file $pidfile" >&2; exit 1 ;; esac
    kill "-$1" "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "$0: postgres $pid did not stop" >&2
    exit 1
}

case $cmd in
start)
    mkdir -p "$dir"
    chmod 0700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U tacit --auth=trust -E UTF8 --no-locale \
            > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # fsync stays on: what COMMIT acknowledged must survive a crash of the
    # test server as it would in production.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses= -k $dir -c max_connections=60 -c shared_buffers=16MB" start \
        > /dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir port=5432 user=tacit dbname=postgres"
    ;;
stop) stop_with INT ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
