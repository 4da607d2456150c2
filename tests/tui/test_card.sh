#!/usr/bin/env bash
# First contact in a small terminal: the server-key card shows the whole
# fingerprint (wrapped) and the question at 40x12 and at 30x8, keeps them on
# screen when resized and when scrolled, and still takes the answer.
source "$(dirname "$0")/lib.sh"

keygen_and_start

# The card's text with the rows' indents dropped and the rows joined, so a
# fingerprint wrapped over rows reads as one string.
joined() { screen "$1" | sed -e 's/^ *//' -e 's/ *$//' | tr -d '\n'; }
shows_card() {  # SESSION: the whole fingerprint and the whole question
    joined "$1" | grep -F -q -- "$FP" && has "$1" "y: yes  n: no" && has "$1" "Trust this server"
}

for size in 40x12 30x8; do
    s=small${size%x*}
    start_client "$s" "TERM=xterm-256color"
    tm resize-window -t "$s" -x "${size%x*}" -y "${size#*x}"
    wait_for "$s" "n: no" > /dev/null
    CHECK_SESSION=$s check "at $size the card shows the whole fingerprint and the question" \
        wait_until 5 shows_card "$s"
done

tm resize-window -t small40 -x 30 -y 8
CHECK_SESSION=small40 check "resized from 40x12 to 30x8, the card still shows both" \
    wait_until 5 shows_card small40
keys small30 Down Down Down Down Down
keys small30 Up
CHECK_SESSION=small30 check "scrolling keeps the fingerprint and the question on screen" \
    wait_until 5 shows_card small30
keys small30 y
CHECK_SESSION=small30 check "the answer is taken at 30x8" wait_for small30 "password"
# The login form that follows keeps its fields on screen too.
form_fields() { has small30 "user" && has small30 "password" && has small30 "again"; }
CHECK_SESSION=small30 check "at 30x8 the login form shows its fields" wait_until 5 form_fields
CHECK_SESSION=small30 check "the pinned key is stored" \
    grep -q "127.0.0.1:$PORT" "$TMP/small30/data/tacit/known_servers"

finish
