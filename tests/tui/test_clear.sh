#!/usr/bin/env bash
# /clear (tacit(1) Commands): the active window's lines leave the screen,
# other windows keep theirs, going back to the window does not refill it,
# the local history still has the lines (/search), and new lines show.
source "$(dirname "$0")/lib.sh"

alice_and_bob screen-256color

type_line alice "/query bob"
type_line alice "first words zebra"
# In the messages pane, not the input line: the send is answered first.
wait_for_re alice "alice . first words zebra" || fail "alice's line shows" "$(dump alice)"
type_line alice "/clear"
check "/clear empties the window" wait_until 5 eval '! has alice "first words zebra"'
keys alice M-1
check "the status window keeps its lines" wait_for alice "logged in as alice"
keys alice M-2
sleep 0.5
check "back in the window, it stays clear" eval '! has alice "first words zebra"'
# From the list too (Tab, Enter on the window), which loads history into empty windows.
keys alice Tab Down Enter
sleep 0.5
check "opened from the list, it stays clear" eval '! has alice "first words zebra"'
type_line alice "/search zebra"
check "the history keeps the line (/search finds it)" wait_for alice "1 found"
type_line alice "after the clear"
check "new lines show" wait_for alice "after the clear"
finish
