#!/usr/bin/env bash
# Keys and passwords in the full-screen client: /passwd asks for the
# current password and keeps the key (contacts see no change), a key change
# is warned about once, a draft it blocks is set aside for /accept-key and
# comes back for Enter, hints name the slash command, and /rekey does not
# ask for a login it already did.
source "$(dirname "$0")/lib.sh"

keygen_and_start

# bob LINES: one batch session of bob's; its output is appended to bob.out.
bob() { batch_as bob "login bob bob-password\n$1quit\n"; }
batch_as bob "register bob bob-password\nquit\n"

register_client alice xterm-256color || { fail "alice logs in" "$(dump alice)"; finish; exit 1; }
CHECK_SESSION=alice
bob "send alice hello alice\n"  # each pins the other's key
check "bob's first message arrives" wait_for_re alice "bob +@?1 "

# ---------------------------------------------------------------- /passwd

input_row() { screen alice | tail -1; }
input_is() { [[ "$(input_row)" =~ $1 ]]; }

type_line alice "/passwd"
check "/passwd asks for the current password first" wait_until 5 input_is '^current password: *$'
type_line alice "not-my-password"
type_line alice "alice-new-password"
type_line alice "alice-new-password"
check "a wrong current password is refused" wait_for alice "/passwd failed: wrong password"

type_line alice "/passwd"
type_line alice "alice-password"
type_line alice "alice-new-password"
type_line alice "alice-new-password"
if wait_for alice "/passwd: password changed; your key is unchanged" 20 && ! has alice "log in again"; then
    pass "/passwd with the current password changes only the password"
else
    fail "/passwd with the current password changes only the password" "$(dump alice)"
fi

: > "$TMP/bob.out"
bob "send alice did it work\n"
if has alice "password changed" && grep -q -E '"cmd":"send".*"ok":true' "$TMP/bob.out" &&
    ! grep -q key_changed "$TMP/bob.out"; then
    pass "after /passwd the contact sees no key change"
else
    fail "after /passwd the contact sees no key change" "$(cat "$TMP/bob.out")"
fi

type_line alice "/quit"
wait_for alice "EXITED rc=0" > /dev/null
start_client alice "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user alice
wait_for alice "password" && type_line alice "alice-new-password"
check "the new password logs in" wait_for alice "[connected]" 20

# ---------------------------------------------------------------- key change

# The restart opens the window last used, the status window; bob's is 2.
keys alice M-2
bob "rekey\nsend alice k1\nsend alice k2\nsend alice k3\nsend alice k4\nsend alice k5\n"
check "messages signed with bob's new key arrive" wait_for alice "k5" 20
warnings=$(screen alice | grep -c -E "WARNING: the key of bob changed|KEY CHANGED: bob's key")
if [ "$warnings" -eq 1 ]; then pass "a key change is warned about once, not per message"
else fail "a key change is warned about once, not per message" "$warnings warnings$(dump alice)"; fi

type_line alice "are you still bob?"
if wait_for alice "type /accept-key bob" && wait_until 5 input_is '^\[bob\] *$'; then
    pass "a draft blocked by a key change is set aside; the hint names /accept-key bob"
else
    fail "a draft blocked by a key change is set aside; the hint names /accept-key bob" "$(dump alice)"
fi

type_line alice "/accept-key bob"
check "/accept-key puts the draft back in the input line" \
    wait_until 5 input_is '^\[bob\] are you still bob\? *$'
keys alice Enter
if wait_for_re alice "alice │ are you still bob\?" && wait_until 5 input_is '^\[bob\] *$'; then
    pass "one Enter then sends the draft"
else
    fail "one Enter then sends the draft" "$(dump alice)"
fi

# ---------------------------------------------------------------- /rekey

type_line alice "/rekey"
if wait_for alice "/rekey: new key published" 20 && ! has alice "log in again" && has alice "[connected]"; then
    pass "/rekey's reply does not ask for a login it already did"
else
    fail "/rekey's reply does not ask for a login it already did" "$(dump alice)"
fi

finish
