#!/usr/bin/env bash
# Small things the screen must get right: notices stamped with the real
# time, /group create naming an unknown user, /query of a name nobody
# has, PgUp stopping at the top, groups left or removed from leaving the
# lists, singular counts, /mute and /unmute answering, and tacit(1)'s
# FILES naming the files the client really writes.
source "$(dirname "$0")/lib.sh"

keygen_and_start
start_client ann "TERM=tmux-256color" --server-key "$TMP/keys/server.pub" --user ann
start_client ben "TERM=tmux-256color" --server-key "$TMP/keys/server.pub" --user ben
for u in ann ben; do
    wait_for "$u" "password" && type_line "$u" "$u-password" && type_line "$u" "$u-password"
done
for u in ann ben; do
    wait_for "$u" "logged in as $u" 20 || { echo "FAIL setup: $u did not log in$(dump "$u")"; exit 1; }
done
input_is() { [ "$(screen "$1" | tail -n 1 | sed 's/ *$//')" = "$2" ]; }

# ---------------------------------------------------------------- time stamps

CHECK_SESSION=ann
before=$(date +%H:%M)
type_line ann "/nosuchcommand"
wait_for ann "unknown command /nosuchcommand" > /dev/null
after=$(date +%H:%M)
stamp=$(screen ann | sed -n 's/.* \([0-9][0-9]:[0-9][0-9]\) .*unknown command \/nosuchcommand.*/\1/p')
check "a local notice is stamped with the real time ($stamp)" \
    test -n "$stamp" -a \( "$stamp" = "$before" -o "$stamp" = "$after" \)

# ---------------------------------------------------------------- groups

type_line ann "/group create ops ben nosuchuser"
check "/group create reports the unknown user" wait_for ann "/group add nosuchuser failed: no such user"
check "... where the user is looking, in the new group" has_re ann "^\[#ops\]"
type_line ann "/group create dev ben"
wait_for ann "/group add ben: added ben to dev" > /dev/null
type_line ann "/group create solo"
check "a group of one has 1 member" wait_for ann "group · 1 member ·"
type_line ann "/group members"
check "/group members says 1 member" wait_for ann "#solo: 1 member: ann"

CHECK_SESSION=ben
wait_for_re ben "^ #dev +2" 10 > /dev/null
type_line ben "/group leave ops"
check "leaving a group says its window closes" wait_for ben "you are no longer in #ops"
type_line ann "/group remove dev ben"
check "being removed says so too" wait_for ben "you are no longer in #dev"
in_lists() { has_re "$1" "^ +[0-9]+ $2 " || has_re "$1" "^ $2 +[0-9]"; }
check "groups left or removed from leave the Conversations and Groups lists" \
    eval '! in_lists ben "#ops" && ! in_lists ben "#dev"'
type_line ben "/quit"
wait_for ben "EXITED rc=0" > /dev/null
start_client ben "TERM=tmux-256color" --user ben
wait_for ben "password" && type_line ben "ben-password"
wait_for ben "logged in as ben" 20 > /dev/null
check "... and stay out of them after logging in again" \
    eval 'wait_for ben "Online 2" && ! in_lists ben "#ops" && ! in_lists ben "#dev"'

# ---------------------------------------------------------------- /query

CHECK_SESSION=ann
type_line ann "/query ghost"
check "/query of an unknown user says so" wait_for ann "/query ghost: no such user"
check "... and stays in the window it came from" has_re ann "^\[#solo\]"
check "... with no window for the name" eval '! has_re ann "^ +[0-9]+ ghost "'
type_line ann "/query #nowhere"
check "/query of a group you are not in says so" wait_for ann "/query #nowhere: "
check "... with no window for it" eval '! has_re ann "^ +[0-9]+ #nowhere "'

# ---------------------------------------------------------------- /mute

type_line ann "/mute"
check "/mute answers" wait_for ann "#solo: notify none (muted"
type_line ann "/unmute"
check "/unmute answers" wait_for ann "#solo: notify mentions ("
type_line ann "/mute #nowhere"
check "/mute of a conversation not open answers" wait_for ann "#nowhere: notify none ("

# ---------------------------------------------------------------- PgUp

type_line ann "/query ben"
for i in $(seq -w 1 40); do type_line ann "scroll line $i"; done
wait_for ann "scroll line 40" > /dev/null
keys ann PPage PPage PPage PPage PPage PPage
top_row() { screen ann | sed -n 2p; }
check "PgUp stops with the first line on the top row" wait_until 5 eval 'top_row | grep -q "scroll line 01"'

# ---------------------------------------------------------------- FILES

files=$(sed -n '/^\.Sh FILES/,/^\.Sh /p' man/tacit.1)
acct=$(ls -d "$TMP"/ann/data/tacit/servers/*/ann)
missing=""
for f in "$acct"/* "$TMP/ann/data/tacit/known_servers"; do
    grep -qE "^\.It Pa (.*/)?$(basename "$f")( |$)" <<< "$files" || missing="$missing $(basename "$f")"
done
check "tacit(1) FILES names every file the client writes${missing:+ (missing:$missing)}" test -z "$missing"
absent=""
for f in $(sed -n '/^\.Bl -tag -width "identity.key"/,/^\.El/s/^\.It Pa \([^ ]*\).*/\1/p' <<< "$files"); do
    [ -e "$acct/$f" ] || absent="$absent $f"
done
check "every account file tacit(1) names exists${absent:+ (absent:$absent)}" test -z "$absent"

finish
