# Shared helpers for the tmux tests in tests/tui/test_*.sh: a private tmux
# socket, a temporary directory, a real tacitd, and capture-pane assertions.
# Source it from a test script run from anywhere; it cds to the repo root.
# Each script prints "PASS name" / "FAIL name: why" and ends with finish.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
TACIT=$BUILD/tacit
TACITD=$BUILD/tacitd
export LC_ALL=C.UTF-8 TACIT_KDF_ITERATIONS=1000

failures=0
pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

for bin in "$TACIT" "$TACITD"; do
    [ -x "$bin" ] || { echo "FAIL setup: $bin is missing (make BUILD=$BUILD)"; exit 1; }
done
command -v tmux > /dev/null || { echo "FAIL setup: tmux is not installed"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tacit-tui.XXXXXX")
SOCK="tacit-test-$$"
SRV=""
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    tm kill-server 2> /dev/null
    [ -n "$SRV" ] && kill "$SRV" 2> /dev/null && wait "$SRV" 2> /dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- helpers

# wait_until SECONDS COMMAND...: polls every 0.1 s; false on timeout.
wait_until() {
    local limit=$(($1 * 10)) i=0
    shift
    while ! "$@"; do
        i=$((i + 1))
        [ $i -ge $limit ] && return 1
        sleep 0.1
    done
}

screen() { tm capture-pane -p -t "$1" 2> /dev/null; }
has() { screen "$1" | grep -F -q -- "$2"; }
has_re() { screen "$1" | grep -E -q -- "$2"; }
# wait_for SESSION TEXT [SECONDS]
wait_for() { wait_until "${3:-10}" has "$1" "$2"; }
wait_for_re() { wait_until "${3:-10}" has_re "$1" "$2"; }
# The text column of SESSION's messages pane, its wrapped rows joined into
# one line; pane_says SESSION TEXT finds TEXT across the wrapping.
pane_text() { screen "$1" | sed -n 's/^.*│ //p' | tr -s ' \n' '  '; }
pane_says() { pane_text "$1" | grep -F -q -- "$2"; }
# The screen, indented, for FAIL messages.
dump() { echo; screen "$1" | sed 's/^/    | /'; }

keys() { tm send-keys -t "$1" "${@:2}"; }
# Types literal text (no key-name lookup), then optionally Enter.
type_line() { tm send-keys -t "$1" -l -- "$2" && tm send-keys -t "$1" Enter; }

# Widest line of the screen, in cells.
widest() { screen "$1" | wc -L; }

wait_port_file() {
    wait_until 10 test -s "$TMP/port" || return 1
    PORT=$(cat "$TMP/port")
}

# start_server [PORT]; TACITD_ARGS (word-split) adds options, e.g. timeouts.
start_server() {
    rm -f "$TMP/port"
    # shellcheck disable=SC2086
    "$TACITD" --listen "127.0.0.1:${1:-0}" --data "$TMP/data" --keys "$TMP/keys" \
        --port-file "$TMP/port" ${TACITD_ARGS:-} 2>> "$TMP/tacitd.log" &
    SRV=$!
    wait_port_file
}

stop_server() {
    kill "$SRV" 2> /dev/null
    wait "$SRV" 2> /dev/null
    SRV=""
}

# start_client NAME SESSION-ENV [ARGS...]: the client in its own tmux
# session at 100x30 with its own XDG dirs; the shell notes how it ended.
start_client() {
    local name=$1 envs=$2
    shift 2
    mkdir -p "$TMP/$name/data" "$TMP/$name/cfg"
    tm kill-session -t "$name" 2> /dev/null
    tm new-session -d -s "$name" -x 100 -y 30 \
        "env $envs XDG_DATA_HOME=$TMP/$name/data XDG_CONFIG_HOME=$TMP/$name/cfg \
         $TACIT --server 127.0.0.1:$PORT $*; echo EXITED rc=\$?; sleep 600"
}

# keygen_and_start: server keys in $TMP/keys, fingerprint in $FP, tacitd up.
keygen_and_start() {
    "$TACITD" keygen --keys "$TMP/keys" > "$TMP/keygen.out" 2>&1 || { echo "FAIL setup: keygen"; exit 1; }
    FP=$(sed -n 's/^fingerprint: //p' "$TMP/keygen.out")
    start_server || { echo "FAIL setup: tacitd did not start"; cat "$TMP/tacitd.log"; exit 1; }
}

# register_client NAME TERM [ARGS...]: a new account NAME (password
# NAME-password) registered through the form, the key pinned by
# --server-key; true once the conversation view is up.
register_client() {
    local name=$1 term=$2
    shift 2
    start_client "$name" "TERM=$term" --server-key "$TMP/keys/server.pub" --user "$name" "$@"
    wait_for "$name" "password" || return 1
    type_line "$name" "$name-password"
    type_line "$name" "$name-password"
    wait_for "$name" "logged in as $name" 20
}

# login_client NAME ENVS: NAME's existing account (password NAME-password)
# started again with ENVS ("TERM=... TZ=...") and logged in through the
# form; true once connected.
login_client() {
    start_client "$1" "$2" --server-key "$TMP/keys/server.pub" --user "$1"
    wait_for "$1" "password" || return 1
    type_line "$1" "$1-password"
    wait_for "$1" "[connected]" 20
}

# batch_as NAME LINES: LINES (printf %b escapes) through one `tacit --batch`
# run with NAME's data dir, pinned to the server's key; the JSON lines are
# appended to $TMP/NAME.out.
batch_as() {
    mkdir -p "$TMP/$1/data"
    printf '%b' "$2" |
        env XDG_DATA_HOME="$TMP/$1/data" "$TACIT" --batch --server "127.0.0.1:$PORT" \
            --server-key "$TMP/keys/server.pub" >> "$TMP/$1.out" 2>&1
}

# check NAME COMMAND...: PASS if COMMAND succeeds, else FAIL with a dump of
# the session named in $CHECK_SESSION (if set).
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "${CHECK_SESSION:+$(dump "$CHECK_SESSION")}"; fi
}

finish() {
    echo "$(basename "$0" .sh): $failures failed"
    [ "$failures" -eq 0 ]
}

# alice_and_bob TERM: tacitd up, bob registered through batch mode, alice
# registered on the screen under TERM and watched by check; exits if alice
# cannot log in.
alice_and_bob() {
    keygen_and_start
    batch_as bob "register bob bob-password\nquit\n"
    register_client alice "$1" || { fail "alice logs in" "$(dump alice)"; finish; exit 1; }
    CHECK_SESSION=alice
}
