#!/usr/bin/env bash
# `make run`: a local tacitd on data/ with keys/, and the client against it.
# Quitting the client stops the server.
set -eu
BUILD=${BUILD:-build}
PORT=${PORT:-7700}
if [ ! -f keys/server.key ]; then
    "$BUILD/tacitd" keygen --keys keys
fi
mkdir -p data
"$BUILD/tacitd" --listen "127.0.0.1:$PORT" --data data --keys keys 2>> data/tacitd.log &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT INT TERM
# Wait until it listens (or died).
i=0
while ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "tacitd failed to start; see data/tacitd.log" >&2; tail -5 data/tacitd.log >&2; exit 1; }
    i=$((i + 1)); [ $i -gt 50 ] && { echo "tacitd did not start listening" >&2; exit 1; }
    sleep 0.1
done
"$BUILD/tacit" --server "127.0.0.1:$PORT" --server-key keys/server.pub
