#!/usr/bin/env bash
# Group member counts are fetched lazily (issue 13 item 5): each count is a
# signed GROUP_FETCH for the server, so logging in counts at most the group
# on screen, not every group; another group is counted when its window is
# looked at.
source "$(dirname "$0")/lib.sh"

keygen_and_start

register_client dora "xterm-256color" || fail "dora registers" "$(dump dora)"
CHECK_SESSION=dora
for g in one two three four; do
    type_line dora "/group create $g"
    wait_for dora "#$g" || fail "dora creates #$g" "$(dump dora)"
done
type_line dora "/quit"
wait_for dora "EXITED rc=0" 10 || fail "dora quits" "$(dump dora)"

fetches() { grep -c "group_fetch user=dora " "$TMP/tacitd.log"; }
BEFORE=$(fetches)
start_client dora "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user dora
wait_for dora "password" || fail "dora's form" "$(dump dora)"
type_line dora "dora-password"
wait_for dora "[connected]" 20 || fail "dora logs in again" "$(dump dora)"
sleep 1
AFTER=$(fetches)
check "logging in counts at most the group on screen ($((AFTER - BEFORE)) fetches for 4 groups)" \
    test $((AFTER - BEFORE)) -le 1

# Alt-1 is the status window; each of Alt-2..Alt-5 is a group: looking at
# each one counts it, once.
for n in 2 3 4 5; do keys dora "M-$n"; sleep 0.3; done
check "looking at a group counts it" wait_for dora "group · 1 member ·"
check "each group once" wait_until 5 eval '[ "$(fetches)" -eq $((BEFORE + 4)) ]'
for n in 2 3 4 5; do keys dora "M-$n"; sleep 0.3; done
sleep 1
check "and not again" test "$(fetches)" -eq $((BEFORE + 4))

finish
