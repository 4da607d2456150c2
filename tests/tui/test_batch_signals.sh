#!/usr/bin/env bash
# Batch mode's signals (tacit(1), BATCH MODE; issue 13 item 1): SIGTERM
# reaches it through a signalfd, ends a running `wait` early, logs the
# session out at the server and exits 0 with a "stopped" event; so does
# SIGINT between commands, with more input still to come.
source "$(dirname "$0")/lib.sh"

keygen_and_start
batch_as bob 'register bob bob-password\nquit\n'
grep -q '"ok":true' "$TMP/bob.out" || fail "bob registers" "$(cat "$TMP/bob.out")"
logouts() { grep -c "logout user=bob$" "$TMP/tacitd.log"; }

# run_stopped SIGNAL LINES: LINES into a batch run whose stdin stays open;
# once logged in, SIGNAL; the run's output goes to $TMP/run.out, its exit
# status to $TMP/run.rc.
run_stopped() {
    rm -f "$TMP/run.out" "$TMP/run.rc" "$TMP/in"
    mkfifo "$TMP/in"
    (env XDG_DATA_HOME="$TMP/bob/data" "$TACIT" --batch --server "127.0.0.1:$PORT" \
        --server-key "$TMP/keys/server.pub" < "$TMP/in" > "$TMP/run.out" 2>&1
     echo $? > "$TMP/run.rc") &
    exec 7> "$TMP/in"
    printf '%b' "$2" >&7
    wait_until 20 grep -q '"cmd":"login".*"ok":true' "$TMP/run.out" || fail "$1: login" "$(cat "$TMP/run.out")"
    sleep 0.3
    local pid
    pid=$(pgrep -P $! -x tacit)
    [ -n "$pid" ] && kill "-$1" "$pid"
    wait_until 5 test -s "$TMP/run.rc"
    exec 7>&-
}

before=$(logouts)
run_stopped TERM 'login bob bob-password\nwait 60\n'
check "SIGTERM ends a wait and the run, exit status 0" eval '[ "$(cat "$TMP/run.rc" 2>/dev/null)" = 0 ]'
check "with a stopped event naming it" grep -q '"event":"stopped".*"signal":"SIGTERM"' "$TMP/run.out"
check "after logging out at the server" wait_until 5 eval '[ "$(logouts)" -gt "$before" ]'

before=$(logouts)
run_stopped INT 'login bob bob-password\n'
check "SIGINT between commands ends the run, exit status 0" eval '[ "$(cat "$TMP/run.rc" 2>/dev/null)" = 0 ]'
check "logged out again" wait_until 5 eval '[ "$(logouts)" -gt "$before" ]'

finish
