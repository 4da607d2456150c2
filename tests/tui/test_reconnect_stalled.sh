#!/usr/bin/env bash
# Reconnecting never freezes the screen (issue 13 items 3 and 5; tacit(1),
# THE SCREEN): tacitd is stopped and a listener that accepts connections but
# never answers takes its port, so the client's reconnect attempt sends its
# HELLO and waits. Meanwhile the status bar says it is reconnecting, and
# typing, Alt-N and /help still answer within a redraw. Once tacitd is back
# on the port the client reconnects and a message gets through. A client
# that waited for the attempt (Client::reconnect) would sit frozen for the
# request timeout (15 s) and fail the 2 s checks.
source "$(dirname "$0")/lib.sh"

alice_and_bob "xterm-256color"
type_line alice "/query bob"
wait_for alice "[bob]" || fail "alice opens bob's window" "$(dump alice)"

MUTE=""
stop_mute() { [ -n "$MUTE" ] && kill "$MUTE" 2> /dev/null && wait "$MUTE" 2> /dev/null; MUTE=""; }
trap 'stop_mute; cleanup' EXIT

stop_server
# Listens and never accepts: the kernel completes the TCP handshake and
# keeps the HELLO in the backlog, as a stopped server would.
python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
time.sleep(120)' "$PORT" &
MUTE=$!
check "the status bar says a reconnect is waiting" wait_for_re alice "waiting . reconnecting [0-9]+s" 10
check "and its seconds go on" wait_for_re alice "reconnecting [1-9][0-9]*s" 3
keys alice -l "typed while reconnecting"
check "typing goes on while the reconnect waits" wait_for alice "typed while reconnecting" 2
keys alice M-1
check "Alt-1 switches windows" wait_for alice "[(status)] typed while reconnecting" 2
keys alice M-2
check "nothing failed yet" eval '! has alice "reconnect failed"'

stop_mute
start_server "$PORT" || fail "server restart" "tacitd did not start again on $PORT"
check "once tacitd is back the client reconnects" wait_for alice "[connected]" 40
keys alice Enter
batch_as bob 'login bob bob-password\nupdate\nquit\n'
check "and the message typed meanwhile reaches bob" grep -q "typed while reconnecting" "$TMP/bob.out"

finish
