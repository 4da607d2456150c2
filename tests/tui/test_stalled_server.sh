#!/usr/bin/env bash
# Nothing blocks the user (issue 13 item 5; tacit(1), THE SCREEN): tacitd is
# stopped with SIGSTOP, so it takes connections' bytes but answers nothing.
# Alice sends a message and runs /who; typing, Alt-N window switching and
# PgUp still answer within a redraw, and the status bar says what waits.
# After SIGCONT both requests complete. A client that waited for each reply
# would sit frozen (up to its 15 s request timeout) and fail the 2 s checks.
source "$(dirname "$0")/lib.sh"

keygen_and_start

batch_as bob 'register bob bob-password\nquit\n'
grep -q '"ok":true' "$TMP/bob.out" || fail "bob registers" "$(cat "$TMP/bob.out")"
register_client alice "xterm-256color" || fail "alice registers" "$(dump alice)"
CHECK_SESSION=alice

# Window 2 is bob's; the status window gets enough lines to scroll.
type_line alice "/query bob"
wait_for alice "[bob]" || fail "alice opens bob's window" "$(dump alice)"
keys alice M-1
for _ in 1 2 3; do type_line alice "/help"; done
wait_for alice "[(status)]" || fail "alice back in the status window" "$(dump alice)"
sleep 1  # let the ONLINE and counts of the login go out and come back

kill -STOP "$SRV"
type_line alice "/msg bob hello while stopped"
type_line alice "/who"
check "the status bar says a request is waiting" wait_for_re alice "waiting . sending to bob [0-9]+s \+1" 2
keys alice -l "typing goes on"
check "typing goes on while the server is silent" wait_for alice "typing goes on" 2
keys alice M-2
check "Alt-2 switches windows" wait_for alice "[bob] typing goes on" 2
keys alice M-1
keys alice PPage
check "PgUp scrolls" wait_for alice "[more " 2
keys alice NPage NPage NPage
check "still waiting (nothing timed out or failed)" eval '! has_re alice "failed|not sent"'

kill -CONT "$SRV"
check "after SIGCONT /who completes" wait_for_re alice "[0-9]+ online: .*alice" 10
check "and the status bar no longer waits" wait_until 5 eval '! has alice "waiting "'
keys alice M-2
check "the message was sent" wait_for alice "hello while stopped" 5
batch_as bob 'login bob bob-password\nupdate\nquit\n'
check "and bob gets it" grep -q "hello while stopped" "$TMP/bob.out"

# Key generation runs off the loop: the status bar counts it, typing goes on.
keys alice M-1
keys alice C-c  # "typing goes on" is still in the input line
type_line alice "/rekey"
check "/rekey shows its progress in the status bar" wait_for_re alice "waiting . /rekey: new keys [0-9]+s" 2
keys alice -l "typed during rekey"
check "typing goes on during key generation" wait_for alice "typed during rekey" 2
check "and /rekey completes" wait_until 30 eval 'has alice "/rekey: " && ! has alice "waiting "'
check "without failing" eval '! has alice "/rekey failed"'

finish
