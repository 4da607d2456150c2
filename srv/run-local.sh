#!/usr/bin/env bash
# `make run`: a local tacitd on data/ with keys/, and the client against it
# over the server's Unix socket, data/tacitd.sock (TCP on 127.0.0.1:$PORT
# stays open for a second client elsewhere). Quitting the client stops the
# server.
set -eu
BUILD=${BUILD:-build}
PORT=${PORT:-7700}
SOCK=data/tacitd.sock
if [ ! -f keys/server.key ]; then
    "$BUILD/tacitd" keygen --keys keys
fi
mkdir -p data
rm -f data/tacitd.ready
"$BUILD/tacitd" --listen "unix:$SOCK" --listen "127.0.0.1:$PORT" --data data --keys keys \
    --port-file data/tacitd.ready 2>> data/tacitd.log &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT INT TERM
# The port file appears once every listener is bound (or the server died).
i=0
while [ ! -f data/tacitd.ready ]; do
    kill -0 "$pid" 2>/dev/null || { echo "tacitd failed to start; see data/tacitd.log" >&2; tail -5 data/tacitd.log >&2; exit 1; }
    i=$((i + 1)); [ $i -gt 50 ] && { echo "tacitd did not start listening" >&2; exit 1; }
    sleep 0.1
done
"$BUILD/tacit" --server "unix:$SOCK" --server-key keys/server.pub
