#!/usr/bin/env bash
# Runs every test suite and prints one line per suite plus a total, counting
# test cases. Used by `make test`, `make check` and .ci/run.
set -u
BUILD=${BUILD:-build}
export BUILD
export TACIT_BUILD=$BUILD
cd "$(dirname "$0")/.."
# Sanitized builds: leaks that only system libraries hold (tests/lsan.supp).
if [ -n "${TACIT_SANITIZED:-}" ]; then
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
summary=$BUILD/test-summary
mkdir -p "$BUILD"
: > "$summary"
total_pass=0
total_fail=0

record() {  # suite passed failed
    echo "$1 $2 $3" >> "$summary"
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
    printf '== %-14s %s passed, %s failed\n' "$1" "$2" "$3"
}

catch_suite() {  # name binary [args]
    local name=$1 bin=$2
    shift 2
    local log=$BUILD/$name.log
    if [ ! -x "$bin" ]; then
        echo "missing $bin" >&2
        record "$name" 0 1
        return
    fi
    "$bin" "$@" > "$log" 2>&1
    local rc=$?
    local line pass=0 fail=0
    line=$(grep -E '^(test cases:|All tests passed)' "$log" | tail -1)
    if [[ $line =~ All\ tests\ passed.*\ ([0-9]+)\ test\ case ]]; then
        pass=${BASH_REMATCH[1]}
    elif [[ $line =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
        pass=${BASH_REMATCH[2]}
        fail=${BASH_REMATCH[3]}
    elif [[ $line =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ failed ]]; then
        fail=${BASH_REMATCH[2]}
    fi
    if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
    if [ "$fail" -ne 0 ]; then
        grep -E -B2 -A12 'FAILED|failed with|due to unexpected|fatal error' "$log" | head -80
    fi
    record "$name" "$pass" "$fail"
}

script_suite() {  # name script: lines "PASS x" / "FAIL x"
    local name=$1 script=$2
    local log=$BUILD/$name.log
    bash "$script" > "$log" 2>&1
    local rc=$?
    local pass fail
    pass=$(grep -c '^PASS' "$log")
    fail=$(grep -c '^FAIL' "$log")
    if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
    [ "$fail" -ne 0 ] && grep -E -A5 '^FAIL' "$log" | head -40
    record "$name" "$pass" "$fail"
}

catch_suite unit "$BUILD/unit_tests"
# The whole suite with one crypto-pool worker, then the durability, abuse
# and authorization tests again with four (tacitd(8), --threads). The
# [threads] tests choose --threads 4 themselves, so they run once.
TACIT_TEST_THREADS=1 catch_suite integration "$BUILD/integration_tests"
TACIT_TEST_THREADS=4 catch_suite integration-4t "$BUILD/integration_tests" "[durability],[abuse],[authz]"
script_suite man tests/man/check_man.sh
script_suite crypto tests/crypto/test_crosscheck.sh
for t in tests/tui/test_*.sh; do
    [ -f "$t" ] || continue
    script_suite "tui-$(basename "$t" .sh | sed 's/^test_//')" "$t"
done
if [ -z "${TACIT_SANITIZED:-}" ] && [ -f tests/fuzz/run.sh ]; then
    FUZZ_SECONDS=${FUZZ_SECONDS:-10} script_suite fuzz tests/fuzz/run.sh
fi

echo "TOTAL: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
