#!/usr/bin/env bash
# /group members marks the owner (tacit(1) Commands), batch mode's members
# names it, and /help group says ownership cannot be transferred.
source "$(dirname "$0")/lib.sh"

alice_and_bob screen-256color
batch_as bob "login bob bob-password\ngroup-create ops\ngroup-add ops alice\nmembers ops\nquit\n"
check "batch members names the owner" grep -q '"cmd":"members".*"owner":"bob"' "$TMP/bob.out"
check "alice is told she was added" wait_for alice "#ops"
type_line alice "/group members ops"
check "/group members marks the owner" wait_for alice "#ops: 2 members: alice, bob (owner)"
type_line alice "/query #ops"
type_line alice "/group members"
check "... in the group's window too" wait_until 10 eval '[ "$(screen alice | grep -c "bob (owner)")" -ge 1 ]'
check "alice is not marked" eval '! has alice "alice (owner)"'
type_line alice "/clear"
type_line alice "/help group"
keys alice PgUp
check "/help group: ownership cannot be transferred" \
    wait_until 5 pane_says alice "Ownership cannot be transferred: the owner stays the owner until the group is dissolved."
finish
