#!/usr/bin/env bash
# Signals of the logged-in screen (tacit(1), THE SCREEN; issue 13 item 1):
# they reach the session's event loop through its signalfd. SIGWINCH lays
# the screen out for the new size; SIGINT and SIGTERM end the session as
# /quit does: logged out at the server, exit status 0.
source "$(dirname "$0")/lib.sh"

keygen_and_start

# tacit's pid: the child of the tmux pane's shell.
pid_of() { pgrep -P "$(tm display-message -p -t "$1" '#{pane_pid}')" -x tacit; }
logged_out() { grep -q "^tacitd: conn=[0-9]* logout user=$1$" "$TMP/tacitd.log"; }

register_client alice "xterm-256color" || fail "alice registers" "$(dump alice)"
CHECK_SESSION=alice

# 30 rows -> 20: the status bar and the input line sit in the bottom rows,
# so they are on screen again only if the screen was laid out anew.
tm resize-window -t alice -x 80 -y 20
last_rows_hold() { screen alice | tail -n 3 | grep -q "connected"; }
check "SIGWINCH lays the screen out for the new size" wait_until 5 last_rows_hold
keys alice -l "still typing"
check "and typing goes on" wait_for alice "still typing"

PID=$(pid_of alice)
[ -n "$PID" ] || fail "alice's pid" "$(dump alice)"
kill -INT "$PID"
check "SIGINT ends the session with status 0" wait_for alice "EXITED rc=0" 10
check "after logging out at the server" wait_until 5 logged_out alice

# The same account again (start_client ends the old tmux session).
start_client alice "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user alice
wait_for alice "password" || fail "alice's form again" "$(dump alice)"
type_line alice "alice-password"
wait_for alice "logged in as alice" 20 || fail "alice logs in again" "$(dump alice)"
PID=$(pid_of alice)
[ -n "$PID" ] || fail "alice's pid" "$(dump alice)"
kill -TERM "$PID"
check "SIGTERM ends the session with status 0" wait_for alice "EXITED rc=0" 10
check "logged out again" wait_until 5 eval '[ "$(grep -c "logout user=alice$" "$TMP/tacitd.log")" -ge 2 ]'

finish
