#!/usr/bin/env bash
# `make bench`: runs tacit-bench against its own tacitd processes on
# loopback. The bench binary starts and stops every tacitd; this script owns
# the temporary directory and, on any exit, kills whatever tacitd the bench
# recorded in it and removes it.
#   BUILD=build bash tests/bench/run.sh [tacit-bench options, e.g. --runs 5]
# BENCH_ARGS in the environment is passed on as well.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
bin=$BUILD/tacit-bench
tacitd=$BUILD/tacitd
for f in "$bin" "$tacitd"; do
    if [ ! -x "$f" ]; then
        echo "missing $f (make BUILD=$BUILD $tacitd $bin)" >&2
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tacit-bench.XXXXXX")
all_args=" ${BENCH_ARGS:-} $* "
cleanup() {
    if [ -f "$tmp/pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
        done < "$tmp/pids"
    fi
    case "$all_args" in
        *" --keep "*) echo "kept $tmp" ;;
        *) rm -rf "$tmp" ;;
    esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The bench raises its own soft limit to the hard one; say so if that is low.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 10200 ]; then
    echo "note: hard RLIMIT_NOFILE is $hard; 10,000 connections need about 10,100 fds in the bench and in tacitd" >&2
fi

# shellcheck disable=SC2086
"$bin" --tacitd "$tacitd" --tmp "$tmp" ${BENCH_ARGS:-} "$@"
