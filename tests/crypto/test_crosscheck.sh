#!/usr/bin/env bash
# Cross-checks X3DH, the Double Ratchet, group membership records, batch
# signatures and the preliminary frame against an independent Python implementation
# (tests/crypto/crosscheck.py, python3-cryptography): one "PASS x" /
# "FAIL x" line per recomputed value, for tests/run.sh.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/tacit-vectors
if [ ! -x "$bin" ]; then
    echo "FAIL crypto: $bin missing (make tests-bin)"
    exit 1
fi
if ! python3 -c 'import cryptography' 2> /dev/null; then
    echo "FAIL crypto: python3-cryptography missing (make deps)"
    exit 1
fi
out=$(mktemp "${TMPDIR:-/tmp}/tacit-vectors-XXXXXX")
trap 'rm -f "$out"' EXIT
if ! "$bin" > "$out"; then
    echo "FAIL crypto: $bin failed"
    exit 1
fi
python3 tests/crypto/crosscheck.py < "$out"
