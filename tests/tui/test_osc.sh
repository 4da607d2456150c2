#!/usr/bin/env bash
# What the client writes for notifications that survive ssh and tmux
# (tacit(1), Notifications and FILES notify): the terminal title with the
# unread count (OSC 2), and with notify = osc, OSC 777 (OSC 9 for iTerm2),
# wrapped for tmux's passthrough since $TMUX is set in the pane. The bytes
# are recorded with tmux pipe-pane -O.
source "$(dirname "$0")/lib.sh"

T=xterm-256color
keygen_and_start
for u in alice carol; do
    mkdir -p "$TMP/$u/cfg/tacit"
    printf 'notify = osc\n' > "$TMP/$u/cfg/tacit/config"
done
batch_as bob "register bob bob-password\nquit\n"
register_client alice $T || { fail "alice logs in" "$(dump alice)"; finish; exit 1; }
# carol's terminal says it is iTerm2 (one TERM still: xterm-256color).
register_client carol "$T TERM_PROGRAM=iTerm.app" || { fail "carol logs in" "$(dump carol)"; finish; exit 1; }
CHECK_SESSION=alice
for u in alice carol; do tm pipe-pane -O -t $u "cat >> $TMP/$u.bytes"; done
sleep 0.5
bytes_have() { grep -a -F -q -- "$2" "$TMP/$1.bytes"; }

batch_as bob "login bob bob-password\nsend alice hello alice\nsend carol hello carol\nquit\n"
wait_for alice "bob" || fail "bob's message" "$(dump alice)"
E=$'\e' BEL=$'\a'
check "the title shows the unread count" wait_until 10 bytes_have alice "${E}]2;tacit: 1 unread$BEL"
check "OSC 777 wrapped for tmux (inner ESC doubled)" \
    wait_until 5 bytes_have alice "${E}Ptmux;$E$E]777;notify;tacit bob;bob: hello alice$BEL$E\\"
check "no bare OSC 777 inside tmux" eval '! grep -a -q "[^$E]$E]777" "$TMP/alice.bytes"'
check "OSC 9 for iTerm2, wrapped too" \
    wait_until 10 bytes_have carol "${E}Ptmux;$E$E]9;tacit bob: bob: hello carol$BEL$E\\"
check "no OSC 777 for iTerm2" eval '! grep -a -q "777;notify" "$TMP/carol.bytes"'
keys alice M-2
check "read: the title has no count" wait_until 5 bytes_have alice "${E}]2;tacit$BEL"
type_line alice "/quit"
wait_for alice "EXITED rc=0" || fail "alice quits" "$(dump alice)"
check "at exit the title saved at start is put back (XTWINOPS 23;2)" bytes_have alice "$E[23;2t"
finish
