#!/usr/bin/env bash
# /ignore and /unignore (tacit(1) Commands): an ignored user's messages are
# kept in the history (/search) but not shown, counted or rung, in direct
# conversations and groups; the list survives a restart; /unignore shows
# new ones again; /ignore alone lists.
source "$(dirname "$0")/lib.sh"

alice_and_bob tmux-256color
BELLS=$TMP/bells
: > "$BELLS"
bells() { wc -l < "$BELLS" | tr -d ' '; }
batch_as spam "register spam spam-password\nquit\n"
tm set-hook -g alert-bell "run-shell 'echo bell >> $BELLS'"
tm set -g monitor-bell on
tm set -g bell-action any

type_line alice "/ignore"
check "/ignore alone: nobody yet" wait_for alice "nobody is ignored"
type_line alice "/ignore Spam"
check "/ignore spam" wait_for alice "ignoring spam"
batch_as spam "login spam spam-password\ngroup-create ads\ngroup-add ads alice\nquit\n"
wait_for alice "#ads" || fail "alice is added to #ads" "$(dump alice)"
keys alice M-2  # looked at: its count and bell start again
sleep 0.5
keys alice M-1
batch_as bob "login bob bob-password\nsend alice hello from bob\nquit\n"
wait_for_re alice "bob +1" || fail "bob's message arrives" "$(dump alice)"
sleep 1
B=$(bells)
batch_as spam "login spam spam-password\nsend alice buy cheap watches alice\ngroup-send ads more watches alice\nquit\n"
batch_as bob "login bob bob-password\nsend alice second from bob\nquit\n"
check "bob's second message arrives" wait_for_re alice "bob +2"
check "spam's direct message opens no window" eval '! has_re alice "[0-9] spam( |$)"'
check "spam's group message is not counted" eval '! has_re alice "[0-9] #ads +@?[0-9]"'
check "and does not ring (a mention of alice)" test "$(sleep 1; bells)" -eq "$B"
keys alice M-2
check "the group shows spam's membership line" wait_for alice "spam added alice"
check "but not the message" eval '! has alice "more watches"'
type_line alice "/search watches"
check "the history keeps them (/search)" wait_for alice "2 found"

type_line alice "/quit"
wait_for alice "EXITED rc=0" || fail "alice quits" "$(dump alice)"
start_client alice "TERM=tmux-256color" --server-key "$TMP/keys/server.pub" --user alice
wait_for alice "password" || fail "alice's form" "$(dump alice)"
type_line alice "alice-password"
wait_for alice "[connected]" 20 || fail "alice logs in again" "$(dump alice)"
type_line alice "/ignore"
check "the list survives a restart" wait_for alice "ignored: spam"
check "spam's messages stay hidden after it" eval '! has_re alice "[0-9] spam( |$)"'

type_line alice "/unignore spam"
check "/unignore spam" wait_for alice "no longer ignoring spam"
batch_as spam "login spam spam-password\nsend alice now you see me\nquit\n"
check "spam's new message shows again" wait_for_re alice "spam +1"
finish
