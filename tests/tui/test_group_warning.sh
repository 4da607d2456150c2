#!/usr/bin/env bash
# Signed group membership on screen (tacit(1), tacit-protocol(7) GROUPS):
# each change shows with its actor's mark, and when the server's member
# list differs from the group's signed records (here: the stopped server's
# LMDB store edited with mdb_load so that eve is listed in #ops), sending
# shows a warning line naming her in the group's window.
source "$(dirname "$0")/lib.sh"

command -v mdb_load > /dev/null || { echo "FAIL setup: mdb_load (lmdb-utils) is missing"; exit 1; }
keygen_and_start
batch_as bob "register bob bob-password\nquit\n"
batch_as eve "register eve eve-password\nquit\n"
register_client alice xterm-256color || { fail "alice logs in" "$(dump alice)"; finish; exit 1; }
CHECK_SESSION=alice

type_line alice "/group create ops bob"
check "the create and the add show, each marked with its signer" \
    wait_for alice "alice added bob to #ops [signed by alice]"

# The compromised server: eve appears as a member of ops.
stop_server
printf 'ops\neve\n' | mdb_load -T -s members "$TMP/data" || fail "mdb_load members" "exit $?"
printf 'eve\nops\n' | mdb_load -T -s member_of "$TMP/data" || fail "mdb_load member_of" "exit $?"
start_server "$PORT" || { fail "tacitd restarts" "$(tail -5 "$TMP/tacitd.log")"; finish; exit 1; }
wait_for alice "reconnected" 30 > /dev/null

type_line alice "to the team"
check "a warning line in #ops says the server lists members the records do not" \
    wait_for alice "warning: the server lists members that the group's signed" 20
check "the warning names eve" wait_for alice "records do not: eve"
check "the send reports that eve got nothing" wait_for alice "nothing sent to them"
finish
