#!/usr/bin/env bash
# tacit(1) EXIT STATUS of the full-screen client: 1 when it could not get
# in (server unreachable at start, pinned key does not match, server key
# declined), 0 when the user quits the login form.
source "$(dirname "$0")/lib.sh"

keygen_and_start
"$TACITD" keygen --keys "$TMP/otherkeys" > /dev/null 2>&1 || fail "setup" "second keygen"

exited() { wait_for "$1" "EXITED rc=$2" 10; }

# Declined: first contact, the user answers n.
start_client decline "TERM=xterm-256color"
wait_for decline "Trust this server" || fail "declined key prompt" "$(dump decline)"
keys decline n
CHECK_SESSION=decline
check "declining the server key exits 1" exited decline 1
check "and nothing was pinned" eval '! grep -qs . "$TMP/decline/data/tacit/known_servers"'

# Pinned key does not match: --server-key names another server's key.
start_client changed "TERM=xterm-256color" --server-key "$TMP/otherkeys/server.pub"
wait_for changed "SERVER KEY CHANGED" || fail "key mismatch notice" "$(dump changed)"
keys changed q
CHECK_SESSION=changed
check "a server key that does not match the pinned one exits 1" exited changed 1

# Quitting the form is not an error.
start_client quitter "TERM=xterm-256color" --server-key "$TMP/keys/server.pub"
wait_for quitter "password" || fail "form" "$(dump quitter)"
keys quitter C-c
CHECK_SESSION=quitter
check "quitting the login form exits 0" exited quitter 0

# Unreachable: nothing listens on the port any more.
stop_server
start_client gone "TERM=xterm-256color" --server-key "$TMP/keys/server.pub"
wait_for gone "cannot connect" || fail "unreachable notice" "$(dump gone)"
keys gone q
CHECK_SESSION=gone
check "a server that cannot be reached at start exits 1" exited gone 1

finish
