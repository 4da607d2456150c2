#!/usr/bin/env bash
# /me (tacit(1) Commands): an action is sent in CTCP ACTION form and shows
# as "* alice waves" on both screens, with no trace of its marker; batch
# mode reports it as "action": true with the bare text, and a batch bot's
# action shows on the screen as one. Refused in the status window.
source "$(dirname "$0")/lib.sh"

alice_and_bob xterm-256color

type_line alice "/me waves"
check "/me in the status window is refused" wait_for alice "no conversation here: /me acts"

type_line alice "/query bob"
type_line alice "/me waves hello"
check "alice's own action shows as '* alice ...'" wait_for_re alice "\* │ alice waves hello"
check "with no marker on the screen" eval '! has alice "ACTION"'

batch_as bob "login bob bob-password\nupdate\nsend alice $(printf '\\x01')ACTION nods$(printf '\\x01')\nquit\n"
check "batch mode gets it as an action, marker gone" \
    grep -q '"action":true,"body":"waves hello","event":"message","from":"alice"' "$TMP/bob.out"
check "a batch bot's CTCP ACTION shows as one" wait_for_re alice "\* │ bob nods"
check "and nothing of its marker" eval '! has alice "^A"'

finish
