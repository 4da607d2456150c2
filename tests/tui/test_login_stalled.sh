#!/usr/bin/env bash
# The login form never waits on the network (issue 13 items 3 and 5;
# tacit(1), THE SCREEN): tacitd is stopped with SIGSTOP after the form is
# up, so it takes the login's bytes but answers nothing. While the login
# waits, the form says so and counts, typing goes on, a resize lays the
# card out again, and Ctrl-C quits at once; after SIGCONT the login
# completes, and /quit does not wait for a silent server. The first
# connect is the same: against a stopped tacitd the
# card counts, q gives up (exit 1), and SIGCONT brings the form. A form
# that waited for the reply (Client::login, Client::connect) would sit
# frozen until the server answered and fail the 2 s checks.
source "$(dirname "$0")/lib.sh"

keygen_and_start
for u in alice bob; do
    batch_as "$u" "register $u $u-password\nquit\n"
    grep -q '"ok":true' "$TMP/$u.out" || fail "$u registers" "$(cat "$TMP/$u.out")"
done

# The column the card's title starts in (the card is centred).
title_col() { screen "$1" | awk '{ i = index($0, "end-to-end encrypted chat"); if (i) { print i; exit } }'; }
stars() { screen "$1" | grep -o -E '\*+' | awk '{ print length($0) }' | sort -n | tail -1; }

start_client alice "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user alice
CHECK_SESSION=alice
wait_for alice "password" || fail "alice sees the form" "$(dump alice)"
was_col=$(title_col alice)

kill -STOP "$SRV"
type_line alice "alice-password"
check "the form says the login waits, and counts" wait_for_re alice "logging in as alice: logging in [0-9]+s" 2
check "the seconds go on" wait_for_re alice "logging in as alice: logging in [1-9][0-9]*s" 3
keys alice -l "xyz"
check "typing goes on while the server is silent" wait_until 2 eval '[ "$(stars alice)" = 17 ]'
tm resize-window -t alice -x 80 -y 30
check "a resize lays the card out again" wait_until 2 eval '[ -n "$(title_col alice)" ] && [ "$(title_col alice)" != "$was_col" ]'
check "nothing failed meanwhile" eval '! has alice "failed"'

kill -CONT "$SRV"
check "after SIGCONT the login completes" wait_for alice "logged in as alice" 10

# Quitting never waits on a silent server either: LOGOUT goes out at once,
# ahead of the outstanding /who, and the server gets a second to close.
sleep 1  # login's own requests (ONLINE, group counts) answered first
kill -STOP "$SRV"
type_line alice "/who"
check "the /who waits" wait_for_re alice "waiting . /who [0-9]+s" 2
type_line alice "/quit"
check "/quit with a request outstanding on a silent server exits within 3 s" wait_for alice "EXITED rc=0" 3
kill -CONT "$SRV"

# Quitting does not wait for the reply either.
start_client bob "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user bob
CHECK_SESSION=bob
wait_for bob "password" || fail "bob sees the form" "$(dump bob)"
kill -STOP "$SRV"
type_line bob "bob-password"
check "bob's login waits" wait_for_re bob "logging in as bob: logging in [0-9]+s" 2
keys bob C-c
check "Ctrl-C quits while the login waits" wait_for bob "EXITED rc=0" 2
kill -CONT "$SRV"

# The first connect, against a stopped tacitd: the HELLO waits.
for u in carol dave; do batch_as "$u" "register $u $u-password\nquit\n"; done
kill -STOP "$SRV"
start_client carol "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user carol
CHECK_SESSION=carol
check "the connect card counts while the server is silent" wait_for_re carol "Connecting to .* [1-9][0-9]*s" 4
start_client dave "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user dave
CHECK_SESSION=dave
wait_for_re dave "Connecting to .* [0-9]+s" 4 || fail "dave's connect waits" "$(dump dave)"
keys dave q
check "q gives up on a silent server at once (exit 1)" wait_for dave "EXITED rc=1" 2
kill -CONT "$SRV"
CHECK_SESSION=carol
check "after SIGCONT the connect completes and the form is up" wait_for carol "password" 10

finish
