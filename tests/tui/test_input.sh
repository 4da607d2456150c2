#!/usr/bin/env bash
# The input line under four terminal types: Home/End and word motion keys,
# unknown escape sequences dropped whole (not typed as "4~"), Tab cycling
# without stealing the focus, an oversized paste refused, blank lines not
# sent. Each key goes through tmux, which sends what a real terminal would.
source "$(dirname "$0")/lib.sh"

keygen_and_start

# One account per terminal type, registered side by side.
declare -A TERM_OF=([xt]=xterm-256color [tt]=tmux-256color [sc]=screen [li]=linux)
USERS="xt tt sc li"
for u in $USERS; do
    start_client "$u" "TERM=${TERM_OF[$u]}" --server-key "$TMP/keys/server.pub" --user "$u"
done
for u in $USERS; do
    wait_for "$u" "password" && type_line "$u" "$u-password" && type_line "$u" "$u-password"
done
for u in $USERS; do
    wait_for "$u" "logged in as $u" 20 || { echo "FAIL setup: $u did not log in$(dump "$u")"; exit 1; }
done
type_line xt "/group create ops tt sc li"
wait_for xt "xt added li to #ops" || { echo "FAIL setup: no group ops$(dump xt)"; exit 1; }
type_line xt "/group create ops2 tt sc li"
wait_for xt "#ops2" || { echo "FAIL setup: no group ops2$(dump xt)"; exit 1; }

# The input line is the bottom row of the screen.
input_line() { screen "$1" | tail -n 1 | sed 's/ *$//'; }
input_is() { [ "$(input_line "$1")" = "$2" ]; }
wait_input() { wait_until 5 input_is "$1" "$2"; }
raw() { tm send-keys -t "$1" -H "${@:2}"; }
clear_line() { keys "$1" C-e C-u; }

for u in $USERS; do
    t=${TERM_OF[$u]}
    CHECK_SESSION=$u
    wait_for_re "$u" "#ops2 +4" 10 > /dev/null
    type_line "$u" "/query #ops"
    wait_input "$u" "[#ops]" > /dev/null

    tm send-keys -t "$u" -l "abc"
    keys "$u" Home
    tm send-keys -t "$u" -l "X"
    keys "$u" End
    tm send-keys -t "$u" -l "Y"
    check "$t: Home and End move, and type nothing" wait_input "$u" "[#ops] XabcY"

    clear_line "$u"
    tm send-keys -t "$u" -l "aa bb cc"
    keys "$u" M-b M-b
    tm send-keys -t "$u" -l "1"
    keys "$u" C-Left C-Left
    tm send-keys -t "$u" -l "2"
    keys "$u" M-f
    tm send-keys -t "$u" -l "3"
    keys "$u" C-Right
    tm send-keys -t "$u" -l "4"
    check "$t: Alt-B, Alt-F, Ctrl-Left and Ctrl-Right move by words" wait_input "$u" "[#ops] 2aa3 1bb4 cc"

    # F12, Ctrl-F5, Ctrl-F1 the xterm way, focus-in, SS3 F1, a private CSI,
    # and keys tmux knows (F12, Insert): none of it may reach the line.
    clear_line "$u"
    tm send-keys -t "$u" -l "p"
    raw "$u" 1b 5b 32 34 7e
    raw "$u" 1b 5b 31 35 3b 35 7e
    raw "$u" 1b 5b 31 3b 35 50
    raw "$u" 1b 5b 49
    raw "$u" 1b 4f 50
    raw "$u" 1b 5b 3f 31 3b 32 63
    keys "$u" F12 IC
    tm send-keys -t "$u" -l "q"
    check "$t: unknown escape sequences are dropped whole" wait_input "$u" "[#ops] pq"

    clear_line "$u"
    tm send-keys -t "$u" -l "/query #o"
    keys "$u" Tab
    wait_input "$u" "[#ops] /query #ops" > /dev/null
    keys "$u" Tab
    check "$t: a second Tab cycles to the next match" wait_input "$u" "[#ops] /query #ops2"
    keys "$u" Enter
    check "$t: ... and leaves the focus on the input line" wait_input "$u" "[#ops2]"
done

# ---------------------------------------------------------------- paste and blank lines

CHECK_SESSION=xt
type_line xt "/query #ops"
wait_input xt "[#ops]" > /dev/null
head -c 70000 /dev/zero | tr '\0' a > "$TMP/big"
tm load-buffer -b big "$TMP/big"
tm paste-buffer -p -b big -t xt
check "a paste over 64 KiB is refused with a message" wait_for xt "paste refused: 70000 bytes"
check "... and nothing of it is put in the input line" input_is xt "[#ops]"

clear_line xt
type_line xt "   "
check "a blank line is not sent" wait_for xt "not sent: the line is blank"
type_line xt "after the blank line"
CHECK_SESSION=tt
keys tt M-2
check "the other member gets the next message" wait_for tt "after the blank line"
check "... and no blank message before it" eval '! has_re tt "xt │ *$"'

finish
