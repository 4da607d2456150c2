#!/usr/bin/env bash
# Builds every libFuzzer target in tests/fuzz (fuzz_*.cpp) with clang and
# ASan+UBSan into $BUILD (default build-fuzz), then runs each for
# $FUZZ_SECONDS (default 60) on a temporary copy of its seed corpus
# (tests/fuzz/corpus/<name>/), so the committed corpus never grows. Prints
# "PASS fuzz-<name>" or "FAIL fuzz-<name>: ..." per target; exits non-zero
# on any failure. Crashing inputs are kept in $BUILD/fuzz-artifacts/.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CXX=${FUZZ_CXX:-clang++}

if ! command -v "$CXX" > /dev/null 2>&1; then
    echo "FAIL fuzz: clang++ missing"
    exit 1
fi

COMMON="-std=c++20 -g -O1 -Wall -Wextra -Werror -I. -fno-omit-frame-pointer -fno-sanitize-recover=all"
LIB_FLAGS="$COMMON -fsanitize=fuzzer-no-link,address,undefined"
TARGET_FLAGS="$COMMON -fsanitize=fuzzer,address,undefined"
LIBS="-lmbedcrypto -lfmt -llmdb -licuuc -licudata"
OBJ=$BUILD/fuzz-obj
ART=$BUILD/fuzz-artifacts
mkdir -p "$OBJ" "$ART"

# The sources each target needs besides shared/ (all targets link shared).
extra_sources() {
    case $1 in
    formatted) echo tui/client/e2e.cpp ;;
    direct_message) echo tui/client/dm_sessions.cpp ;;
    sanitize) echo tui/ui/sanitize.cpp tui/ui/utf8.cpp tui/ui/width.cpp tui/ui/graphemes.cpp ;;
    esac
}

# Rebuilds obj from src when either, or a header it includes, is newer.
stale() {  # src obj
    local src=$1 o=$2 d=${2%.o}.d h
    [ -f "$o" ] && [ -f "$d" ] || return 0
    [ "$src" -nt "$o" ] && return 0
    for h in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$d"); do
        [ -f "$h" ] && [ "$h" -nt "$o" ] && return 0
    done
    return 1
}

needs_link() {  # bin inputs...
    local bin=$1 f
    shift
    [ -x "$bin" ] || return 0
    for f in "$@"; do [ "$f" -nt "$bin" ] && return 0; done
    return 1
}

build_failed=0
compile() {  # src flags...
    local src=$1
    shift
    local o=$OBJ/${src%.cpp}.o
    stale "$src" "$o" || return 0
    mkdir -p "$(dirname "$o")"
    if ! "$CXX" "$@" -MMD -MP -c "$src" -o "$o" 2> "$o.log"; then
        cat "$o.log" >&2
        rm -f "$o"
        return 1
    fi
}

# shared/ once, as an archive; two compiles at a time (the machine is shared).
pids=()
for src in shared/*.cpp; do
    compile "$src" $LIB_FLAGS &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || build_failed=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || build_failed=1; done
if [ $build_failed -ne 0 ]; then
    echo "FAIL fuzz: shared/ does not build with $CXX and the sanitizers"
    exit 1
fi
rm -f "$BUILD/libfuzzshared.a"
ar rcs "$BUILD/libfuzzshared.a" "$OBJ"/shared/*.o

status=0
for t in tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$t" .cpp)
    name=${name#fuzz_}
    bin=$BUILD/fuzz_$name
    objs=()
    ok=1
    for src in $(extra_sources "$name"); do
        compile "$src" $LIB_FLAGS || ok=0
        objs+=("$OBJ/${src%.cpp}.o")
    done
    if [ $ok -eq 1 ] && needs_link "$bin" "$t" "$BUILD/libfuzzshared.a" "${objs[@]}"; then
        "$CXX" $TARGET_FLAGS "$t" "${objs[@]}" "$BUILD/libfuzzshared.a" $LIBS -o "$bin" 2> "$bin.build.log" || ok=0
        [ $ok -eq 1 ] || cat "$bin.build.log" >&2
    fi
    if [ $ok -eq 0 ]; then
        echo "FAIL fuzz-$name: does not build"
        status=1
        continue
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/tacit-fuzz-$name-XXXXXX")
    mkdir -p "$work/corpus"
    if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$work/corpus/"; fi
    log=$BUILD/fuzz_$name.log
    ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -detect_leaks=1 \
        -print_final_stats=1 -artifact_prefix="$ART/$name-" "$work/corpus" > "$log" 2>&1
    rc=$?
    rm -rf "$work"
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    if [ $rc -eq 0 ]; then
        echo "PASS fuzz-$name (${runs:-?} runs in ${FUZZ_SECONDS}s)"
    else
        why=$(grep -E -m1 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|deadly signal|out-of-memory|timeout' "$log")
        echo "FAIL fuzz-$name: ${why:-exit $rc} (log $log; input in $ART/)"
        grep -E -A12 'ERROR:|runtime error' "$log" | head -30
        status=1
    fi
done
exit $status
