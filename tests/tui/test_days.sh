#!/usr/bin/env bash
# Dates (tacit(1) THE SCREEN, Commands): a line at each change of day in a
# conversation, /search results with their date, and Enter on a result
# showing the message in its conversation.
# Two messages a few seconds apart straddle a midnight when the client runs
# in a time zone whose midnight falls between them: TZ is chosen after they
# are sent, so no clock is faked.
source "$(dirname "$0")/lib.sh"

T=xterm-256color
alice_and_bob $T
type_line alice "/quit"
wait_for alice "EXITED rc=0" || fail "alice quits" "$(dump alice)"

batch_as bob "login bob bob-password\nsend alice before midnight\nquit\n"
sleep 1
MIDNIGHT=$(($(date +%s) + 1))  # after the first message was sent, before the second
sleep 2
fillers=""
for i in $(seq 1 40); do fillers+="send alice filler $i\n"; done
batch_as bob "login bob bob-password\nsend alice after midnight\n${fillers}quit\n"
test "$(grep -c '"cmd":"send".*"ok":true' "$TMP/bob.out")" = 42 || fail "bob's sends" "$(cat "$TMP/bob.out")"

# local time = UTC + offset; POSIX TZ writes the offset with the sign flipped.
off=$(((86400 - MIDNIGHT % 86400) % 86400))
if [ $off -gt 43200 ]; then sign=+ off=$((86400 - off)); else sign=-; fi
ZONE=$(printf 'TST%s%02d:%02d:%02d' $sign $((off / 3600)) $((off / 60 % 60)) $((off % 60)))
DAY1=$(TZ=$ZONE date -d @$((MIDNIGHT - 1)) +%F)
DAY2=$(TZ=$ZONE date -d @$MIDNIGHT '+%a %F')
[ "$(TZ=$ZONE date -d @$MIDNIGHT +%T)" = 00:00:00 ] || fail "the zone's midnight" "$ZONE"

login_client alice "TERM=$T TZ=$ZONE" || fail "alice logs in again" "$(dump alice)"
type_line alice "/query bob"
check "bob's messages are there" wait_for alice "filler 40"
check "the older ones are scrolled off" eval '! has alice "before midnight"'

type_line alice "/search midnight"
check "/search: 2 found" wait_for alice '"midnight": 2 found'
check "a result shows its date (the day before)" wait_for_re alice "$DAY1 [0-9:]{5} \[bob\] bob: before midnight"
check "a result shows its date (the day after)" wait_for_re alice "${DAY2#* } [0-9:]{5} \[bob\] bob: after midnight"
check "the results hold the focus" wait_for alice "[Enter: go to it, Esc: back]"
keys alice Up Enter
check "Enter goes to the result's conversation, scrolled back to it" wait_for alice "before midnight"
check "... and the window is scrolled up" wait_for_re alice "more [0-9]+"
check "the input line has the keys again" eval '! has alice "[Enter: go to it"'
# The day line sits between the two messages.
rows=$(screen alice | grep -n -E "before midnight|day changed to|after midnight" | cut -d: -f1 | tr '\n' ' ')
day_row=$(screen alice | grep -n -F -- "-- day changed to $DAY2 --" | cut -d: -f1)
before_row=$(screen alice | grep -n "bob . before midnight" | cut -d: -f1)
after_row=$(screen alice | grep -n "bob . after midnight" | cut -d: -f1)
check "a day-change line between the two days' messages (rows: $rows)" \
    test -n "$day_row" -a -n "$before_row" -a -n "$after_row" -a "${before_row:-0}" -lt "${day_row:-0}" \
    -a "${day_row:-0}" -lt "${after_row:-0}"
check "one day-change line only" test "$(screen alice | grep -c 'day changed to')" = 1
[ -n "${SHOW:-}" ] && dump alice
keys alice PgDn PgDn PgDn PgDn
check "PgDn back to the newest" wait_for alice "filler 40"
finish
