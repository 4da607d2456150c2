#!/usr/bin/env bash
# Unread state (tacit(1) THE SCREEN): the read marker, unread counts and
# window numbers that survive a restart, the window last used opened at
# login with nothing marked read, and Alt-A to the next window with
# activity, mentions first.
source "$(dirname "$0")/lib.sh"

T=tmux-256color
# Each say is a batch login: more than the default 10 a minute from one address.
TACITD_ARGS="--login-rate 100"
alice_and_bob $T
for u in carol dave; do batch_as $u "register $u $u-password\nquit\n"; done
say() { batch_as "$1" "login $1 $1-password\nsend alice $2\nquit\n"; }
title_is() { screen alice | head -1 | grep -q "^ $1 "; }
row_of() { screen alice | grep -n -F -- "$1" | head -1 | cut -d: -f1; }
# in_order A B C: the rows holding A, B and C come in that order.
in_order() {
    local a b c
    a=$(row_of "$1") b=$(row_of "$2") c=$(row_of "$3")
    [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ]
}

# carol's window first, then bob's: not their names' order.
say carol "c1 first from carol"
wait_for alice " 2 carol" || fail "carol's window" "$(dump alice)"
say bob "b1 first from bob"
wait_for alice " 3 bob" || fail "bob's window" "$(dump alice)"
keys alice M-3
wait_for alice "b1 first from bob" || fail "bob's window opens" "$(dump alice)"
keys alice M-2
wait_for alice "c1 first from carol" || fail "carol's window opens" "$(dump alice)"
say bob "b2 while you are in carol"
check "bob's unread count" wait_for_re alice " 3 bob +1"
type_line alice "/quit"
wait_for alice "EXITED rc=0" || fail "alice quits" "$(dump alice)"

say carol "c3 hey alice, while you were away"
say bob "b3 while you are away"
login_client alice "TERM=$T" || { fail "alice logs in again" "$(dump alice)"; cat $TMP/tacitd.log | tail -5; }
check "the window last used is open at login" wait_until 10 title_is carol
check "window numbers as before (carol 2)" wait_for alice " 2 carol"
check "window numbers as before (bob 3)" wait_for alice " 3 bob"
check "bob's unread count survived the restart (b2, b3)" wait_for_re alice " 3 bob +2"
check "carol's new line is under the read marker" \
    wait_until 5 in_order "c1 first from carol" "-- read marker --" "c3 hey alice"
# Ended by SIGTERM (as /quit, tacit(1)) before any key: nothing was read.
pane=$(tm display -p -t alice '#{pane_pid}')
kill -TERM "$(pgrep -P "$pane" -x tacit)"
wait_for alice "EXITED rc=0" || fail "alice ends on SIGTERM" "$(dump alice)"
login_client alice "TERM=$T" || fail "alice logs in a third time" "$(dump alice)"
check "nothing was marked read at login: the marker has not moved" \
    wait_until 10 in_order "c1 first from carol" "-- read marker --" "c3 hey alice"

keys alice M-a
check "Alt-A goes to the window with activity" wait_until 5 title_is bob
check "bob's read marker sits under what alice had read" \
    wait_until 5 in_order "b1 first from bob" "-- read marker --" "b2 while you"
check "bob's count is gone" eval '! has_re alice " 3 bob +[0-9]"'

say dave "d1 hello"
wait_for alice " 4 dave" || fail "dave's window" "$(dump alice)"
say carol "c4 alice, look"
check "carol's mention" wait_for_re alice " 2 carol +@"
keys alice M-a
check "Alt-A: mentions first (carol before dave)" wait_until 5 title_is carol
keys alice M-a
check "Alt-A: then activity (dave)" wait_until 5 title_is dave
keys alice M-a
sleep 0.5
check "Alt-A with no activity left stays" title_is dave
finish
