#!/usr/bin/env bash
# An account belongs to the server's key, not to its address (tacit(1)
# FILES): alice registers and sends over TCP with a client of the old layout
# (her directory moved to DATA/127.0.0.1_PORT/alice), then opens the
# full-screen client on the same tacitd's Unix socket. The form offers to
# log in, not to register, and her history is there. A user this machine
# has no key for is still offered registration.
source "$(dirname "$0")/lib.sh"

"$TACITD" keygen --keys "$TMP/keys" > "$TMP/keygen.out" 2>&1 || { echo "FAIL setup: keygen"; exit 1; }
SOCKET="$TMP/tacitd.sock"
TACITD_ARGS="--listen unix:$SOCKET"
start_server || { echo "FAIL setup: tacitd did not start"; cat "$TMP/tacitd.log"; exit 1; }

batch_as bob 'register bob bob-password\nquit\n'
batch_as alice 'register alice alice-password\nlogin alice alice-password\nsend bob sent over tcp\nquit\n'
check "alice registered and sent over TCP" grep -q '"cmd":"send".*"ok":true' "$TMP/alice.out"

data="$TMP/alice/data/tacit"
mkdir -p "$data/127.0.0.1_$PORT"
mv "$data"/servers/*/alice "$data/127.0.0.1_$PORT/alice" && rm -r "$data/servers"
check "her directory is in the old layout" test -f "$data/127.0.0.1_$PORT/alice/identity.key"

# socket_client NAME USER: the full-screen client on the Unix socket, with alice's data dir.
socket_client() {
    tm kill-session -t "$1" 2> /dev/null
    tm new-session -d -s "$1" -x 100 -y 30 \
        "env TERM=xterm-256color XDG_DATA_HOME=$TMP/alice/data XDG_CONFIG_HOME=$TMP/alice/cfg \
         $TACIT --server unix:$SOCKET --server-key $TMP/keys/server.pub --user $2; echo EXITED rc=\$?; sleep 600"
}

socket_client carol carol
CHECK_SESSION=carol
check "a user with no key here is offered registration" wait_for carol "again"
tm kill-session -t carol

socket_client alice alice
CHECK_SESSION=alice
check "over the socket the form offers to log in" eval 'wait_for alice "password" && ! has alice "again" && ! has alice "A new account"'
type_line alice "alice-password"
check "and the login works" eval 'wait_for alice "[connected]" 20 && has alice "[alice]"'
type_line alice "/query bob"
check "with the history written over TCP" wait_for alice "sent over tcp"
check "the directory moved to the server key's place" eval 'ls -d "$data"/servers/*/alice/identity.key > /dev/null'
check "a link is left where it was" test -L "$data/127.0.0.1_$PORT/alice"
type_line alice "/quit"
check "/quit leaves cleanly" wait_for alice "EXITED rc=0"

finish
