#!/usr/bin/env bash
# Notifications (tacit(1) /notify): the bell rings for direct messages and
# mentions, a burst rings once, highlight words count as mentions, and a
# conversation's level survives /close and a restart. Bells are counted by
# tmux itself: its alert-bell hook appends a line to a file per bell.
source "$(dirname "$0")/lib.sh"

keygen_and_start

BELLS=$TMP/bells
: > "$BELLS"
bells() { wc -l < "$BELLS" | tr -d ' '; }
more_bells_than() { [ "$(bells)" -gt "$1" ]; }
# settle: the hook runs a shell; let the last ones land before counting.
bells_after() {
    sleep 1
    bells
}

# bot LINES: one batch session of the bot account.
bot() { batch_as bot "login bot bot-password\n$1quit\n"; }
batch_as bot "register bot bot-password\nquit\n"

mkdir -p "$TMP/alice/cfg/tacit"
printf 'highlight = deploy, on call\n' > "$TMP/alice/cfg/tacit/config"
register_client alice xterm-256color || { fail "alice logs in" "$(dump alice)"; finish; exit 1; }
# Again after each start_client: killing the only session ends the tmux
# server, and its hooks with it.
arm_bells() {
    tm set-hook -g alert-bell "run-shell 'echo bell >> $BELLS'"
    tm set -g monitor-bell on
    tm set -g bell-action any
}
arm_bells
CHECK_SESSION=alice

# ---------------------------------------------------------------- a burst

# 220 direct messages from a bot while alice looks at the status window:
# a direct message rings, but the burst rings once, not 220 times.
burst=""
for i in $(seq 1 220); do burst+="send alice build $i passed\n"; done
bot "$burst"
check "220 messages from a bot arrive" wait_for_re alice "bot +220" 30
n=$(bells_after)
if [ "$n" -eq 1 ]; then pass "a burst of 220 direct messages rings the bell once"
else fail "a burst of 220 direct messages rings the bell once" "$n bells$(dump alice)"; fi

# ---------------------------------------------------------------- groups

bot "group-create ops\ngroup-add ops alice\n"
wait_for alice "#ops" || fail "alice is added to #ops" "$(dump alice)"
# Looking at #ops and back ends that burst (being added rang as a mention).
keys alice M-3
wait_for alice "added alice" > /dev/null
keys alice M-1
before=$(bells_after)
plain=""
for i in $(seq 1 20); do plain+="group-send ops status report $i\n"; done
bot "$plain"
wait_for_re alice "^ *3 #ops +20 " 20 > /dev/null
n=$(bells_after)
if [ "$n" -eq "$before" ]; then pass "plain group messages do not ring (groups default to mentions)"
else fail "plain group messages do not ring (groups default to mentions)" "$before -> $n bells$(dump alice)"; fi

bot "group-send ops alice: can you look at this\n"
wait_until 10 more_bells_than "$n"
n2=$(bells_after)
if [ "$n2" -eq $((n + 1)) ]; then pass "a mention in a group rings"
else fail "a mention in a group rings" "$n -> $n2 bells$(dump alice)"; fi

keys alice M-3
keys alice M-1
bot "group-send ops the Deploy is done\n"
wait_until 10 more_bells_than "$n2"
n3=$(bells_after)
if [ "$n3" -eq $((n2 + 1)) ]; then pass "a highlight word (config highlight) rings as a mention"
else fail "a highlight word (config highlight) rings as a mention" "$n2 -> $n3 bells$(dump alice)"; fi

# ---------------------------------------------------------------- levels

type_line alice "/notify none bot"
check "/notify none gives feedback" wait_for alice "bot: now notify none"
type_line alice "/notify all #ops"
check "/notify all on a group" wait_for alice "#ops: now notify all"
# Close the bot's window, then restart: the levels are kept.
keys alice M-2
type_line alice "/close"
type_line alice "/quit"
wait_for alice "EXITED rc=0" || fail "alice quits" "$(dump alice)"
start_client alice "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user alice
arm_bells
wait_for alice "password" && type_line alice "alice-password"
check "alice logs in again" wait_for alice "[connected]" 20
keys alice M-1  # the status window: /notify there lists the levels set
type_line alice "/notify"
if wait_for alice "#ops all" && has alice "bot none"; then pass "notify levels survive /close and a restart"
else fail "notify levels survive /close and a restart" "$(dump alice)"; fi

n=$(bells_after)
bot "send alice one more build passed\ngroup-send ops plain words, no mention\n"
wait_for_re alice "#ops +1 " 10 > /dev/null
n2=$(bells_after)
# bot is muted (no bell); #ops at level all rings for the plain message.
if [ "$n2" -eq $((n + 1)) ]; then pass "after the restart: muted bot silent, #ops at level all rings"
else fail "after the restart: muted bot silent, #ops at level all rings" "$n -> $n2 bells$(dump alice)"; fi

finish
