#!/usr/bin/env bash
# /help COMMAND (tacit(1) Commands): the command's whole description and its
# examples, from the one table tacit(1)'s entries are checked against
# (tests/unit/test_commands.cpp); /help alone lists the commands.
source "$(dirname "$0")/lib.sh"

alice_and_bob xterm-256color

type_line alice "/help"
check "/help lists the commands" wait_for alice "/unignore USER  -  show USER's new messages again"
check "/help says how to get more" wait_for alice "/help COMMAND explains one command, with examples"
type_line alice "/clear"
type_line alice "/help ignore"
check "/help ignore starts with the usage" wait_for alice "/ignore [USER]"
# The end of the whole description, wrapped at the pane's width: the words
# of its last sentence, on whatever rows they fall.
check "/help ignore gives the whole description" \
    wait_until 5 pane_says alice "so it survives a restart. Alone, lists the users ignored."
check "/help ignore gives the examples" wait_for alice "/ignore mallory"
check "... under an Examples heading" wait_for alice "Examples:"
check "the summary line is not what /help ignore shows" eval '! has alice "/unignore USER  -  show"'
type_line alice "/clear"
type_line alice "/HELP /Group"
check "/help takes the name in any case, with or without the slash" wait_for alice "/group members ops"
check "/help group gives the paragraph after the sub-commands" \
    wait_until 5 pane_says alice "the client asks the server for your groups' latest records."
type_line alice "/help frobnicate"
check "an unknown command is named" wait_for alice "no such command: /frobnicate (/help lists them)"
finish
