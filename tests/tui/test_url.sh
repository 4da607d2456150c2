#!/usr/bin/env bash
# /url (tacit(1) Commands): the URLs seen in messages are listed newest
# first with numbers, as local lines that are not sent; /url N shows one
# alone. A URL with an escape in it shows the escape as text ("^[").
source "$(dirname "$0")/lib.sh"

alice_and_bob xterm-256color

type_line alice "/url"
check "with no URL yet, /url says so" wait_for alice "no URLs seen yet"

batch_as bob "login bob bob-password\nsend alice see https://example.org/first.\nsend alice then ftp://files.example.net/x and https://evil.example/$(printf '\\x1b')]0;pwned$(printf '\\x07')\nquit\n"
check "bob's messages arrive" wait_for_re alice "bob"
type_line alice "/query bob"
check "the conversation shows them" wait_for alice "files.example.net"
type_line alice "/url"
check "/url lists the newest first" wait_for alice "1 https://evil.example/^[]0;pwned^G"
check "then the one before it" has alice "2 ftp://files.example.net/x"
check "and the first, without its full stop" has_re alice "3 https://example\.org/first *$"
type_line alice "/url 2"
check "/url 2 shows that URL alone" wait_for_re alice "│ ftp://files\.example\.net/x *$"
type_line alice "/url 7"
check "a number past the list is refused" wait_for alice "no URL 7: there are 3 (/url lists them)"

batch_as bob "login bob bob-password\nupdate\nquit\n"
check "nothing of /url was sent to bob" eval '! grep -q "url" "$TMP/bob.out"'

finish
