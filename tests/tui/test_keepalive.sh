#!/usr/bin/env bash
# Keepalive (tacit(1) CONNECTION): a logged-in client that sits idle pings,
# so the server's idle timeout never cuts it; a connection the server closes
# before login (its login deadline, while the form is open) is reopened
# without a word when the user submits. tacitd runs with an idle timeout of
# 3 s (which also ends a pre-login connection that says nothing); the client pings after 1 s of quiet
# (TACIT_PING_INTERVAL, the test knob for the 25 s default), so a client that
# did not ping would be cut within the 8 s the test waits.
source "$(dirname "$0")/lib.sh"

TACITD_ARGS="--idle-timeout 3" keygen_and_start

# Carol opens the form first (connection 1) and leaves it open.
start_client carol "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user carol
wait_for carol "password" || fail "carol's form" "$(dump carol)"

register_client alice "xterm-256color TACIT_PING_INTERVAL=1" ||
    fail "alice registers" "$(dump alice)"

# Idle for well over the server's idle timeout.
sleep 8
CHECK_SESSION=alice
# The last login: registration logs in once first to publish prekeys.
conn_of() { sed -n "s/^tacitd: conn=\([0-9]*\) .* login user=$1 status=OK$/\1/p" "$TMP/tacitd.log" | tail -1; }
ALICE_CONN=$(conn_of alice)
never_closed() { [ -n "$1" ] && ! grep -q "^tacitd: conn=$1 .*clos" "$TMP/tacitd.log"; }
check "an idle logged-in client is never cut by the idle timeout" never_closed "$ALICE_CONN"
check "the status bar still says connected" has alice "[connected]"
check "no reconnect happened" eval '! has_re alice "reconnect|offline"'

batch_as bob 'register bob bob-password\nlogin bob bob-password\nsend alice still here?\nquit\n'
# bob registers first (an RSA-3072 key and PBKDF2): slow on a loaded machine.
wait_for_re alice "2 bob +1" 40
keys alice M-2
check "a message still gets through" wait_for alice "still here?" 10

# The server closed carol's pre-login connection (conn=1) long ago, as it
# would at --login-deadline; submitting the form opens a new one silently.
check "the server closed carol's connection before she logged in" \
    grep -q "^tacitd: conn=1 .*closed: idle timeout" "$TMP/tacitd.log"
type_line carol "carol-password"
type_line carol "carol-password"
CHECK_SESSION=carol
check "the form reopens a connection the server closed before login" wait_for carol "logged in as carol" 20
check "without a stale message" eval '! has_re carol "closed|disconnect|reconnect|cannot connect"'

finish
