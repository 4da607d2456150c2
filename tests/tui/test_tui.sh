#!/usr/bin/env bash
# The full-screen client in real terminals: a real tacitd on a loopback
# port, tacit clients in tmux sessions of fixed size on a private tmux
# socket, keys sent with send-keys, assertions on capture-pane. Prints
# "PASS name" / "FAIL name: why"; exits non-zero if anything failed.
# Run from the repo root; BUILD names the build directory (default build).
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- server

keygen_and_start

# ---------------------------------------------------------------- first run

start_client alice "TERM=xterm-256color"
if wait_for alice "Trust this server" && has alice "$FP"; then
    pass "first run shows the server fingerprint for pinning"
else
    fail "first run shows the server fingerprint for pinning" "no prompt with $FP$(dump alice)"
fi
keys alice y
if wait_for alice "password" && wait_for alice "account"; then
    type_line alice alice
    wait_until 5 has_re alice "register" > /dev/null
    type_line alice "alice-password"
    type_line alice "alice-password"
fi
if wait_for alice "logged in as alice" 20 && has alice "[connected]"; then
    pass "register in the form, then the conversation view"
else
    fail "register in the form, then the conversation view" "no conversation view$(dump alice)"
fi
if grep -q "127.0.0.1:$PORT" "$TMP/alice/data/tacit/known_servers" 2> /dev/null; then
    pass "the confirmed server key is pinned"
else
    fail "the confirmed server key is pinned" "no known_servers entry"
fi

# Bob: key given on the command line, so no question; user from --user.
start_client bob "TERM=tmux-256color" --server-key "$TMP/keys/server.pub" --user bob
if wait_for bob "password" && ! has bob "Trust this server"; then
    pass "--server-key pins without asking"
else
    fail "--server-key pins without asking" "unexpected screen$(dump bob)"
fi
type_line bob "bob-password-1"
type_line bob "bob-password-1"
if wait_for bob "logged in as bob" 20; then
    pass "second user registers"
else
    fail "second user registers" "$(dump bob)"
fi
if wait_for_re alice "● bob" 10 && wait_for alice "Online 2"; then
    pass "online pane lists users with a live session"
else
    fail "online pane lists users with a live session" "$(dump alice)"
fi

# ---------------------------------------------------------------- messages

type_line bob "/msg alice hello from bob"
if wait_for_re alice "^ *2 bob +1 " 10 && has_re alice "Act: 2"; then
    pass "unread mark and activity for a conversation not in view"
else
    fail "unread mark and activity for a conversation not in view" "$(dump alice)"
fi
keys alice M-2
if wait_for alice "hello from bob" && has_re alice "✓ +bob │ hello from bob" && ! has_re alice "^ *2 bob +1 "; then
    pass "direct message seen in the other client, verified, unread cleared"
else
    fail "direct message seen in the other client, verified, unread cleared" "$(dump alice)"
fi

type_line alice "/group create ops bob"
if wait_for alice "#ops" && wait_for_re alice "#ops +2 " 10; then
    pass "group created, groups pane shows the member count"
else
    fail "group created, groups pane shows the member count" "$(dump alice)"
fi
type_line alice "hello ops team"
if wait_for_re bob "#ops +[0-9]+ " 10; then
    type_line bob "/query #ops"
fi
if wait_for bob "hello ops team" && has bob "alice added bob to #ops"; then
    pass "group message seen in the other client"
else
    fail "group message seen in the other client" "$(dump bob)"
fi

type_line bob "emoji 😀 and 你好世界 and café done"
if wait_for alice "emoji 😀 and 你好世界 and café done" && [ "$(widest alice)" -le 100 ] &&
    has alice "[connected]"; then
    pass "emoji and CJK text shown intact, screen within its width"
else
    fail "emoji and CJK text shown intact, screen within its width" "widest $(widest alice)$(dump alice)"
fi

# A peer sends terminal escape sequences (through the batch client, which
# sends the bytes as they are): they must show up as text, not act.
printf 'register carol carol-password\nlogin carol carol-password\nsend alice esc \033[31mRED\033[0m \033]2;pwned\007 \033[2J end\nquit\n' |
    env XDG_DATA_HOME="$TMP/carol/data" "$TACIT" --batch --server "127.0.0.1:$PORT" \
        --server-key "$TMP/keys/server.pub" > "$TMP/carol.out" 2>&1
type_line alice "/query carol"
if wait_for alice 'esc ^[[31mRED^[[0m ^[]2;pwned^G ^[[2J end' &&
    [ "$(tm display -p -t alice '#{pane_title}')" != "pwned" ] && has alice "[connected]"; then
    pass "escape sequences from the network are shown, not interpreted"
else
    fail "escape sequences from the network are shown, not interpreted" "$(cat "$TMP/carol.out")$(dump alice)"
fi

# ---------------------------------------------------------------- input

keys alice C-u
tm send-keys -t alice -l "/he"
keys alice Tab
if wait_until 5 has_re alice '^\[carol\] /help *$'; then
    pass "Tab completes commands"
else
    fail "Tab completes commands" "$(dump alice)"
fi
keys alice C-u
tm set-buffer -b tacit "pasted line one
pasted line two"
tm paste-buffer -p -b tacit -t alice
if wait_until 5 has alice "[carol] pasted line one pasted line two" && ! has alice "│ pasted line one"; then
    pass "a bracketed paste with newlines lands in the input line, unsent"
else
    fail "a bracketed paste with newlines lands in the input line, unsent" "$(dump alice)"
fi
keys alice C-u
type_line alice "/help"
if wait_for alice "/accept-key USER" && has alice "/passwd" && has alice "/search TEXT"; then
    pass "/help lists the commands"
else
    fail "/help lists the commands" "$(dump alice)"
fi

# ---------------------------------------------------------------- resize

keys alice M-3  # #ops
tm resize-window -t alice -x 40 -y 12
if wait_until 5 has alice "Chats" && [ "$(widest alice)" -le 40 ] && has_re alice "^\[#ops\]" &&
    [ "$(screen alice | wc -l)" -eq 12 ]; then
    pass "resize to 40x12 keeps every pane"
else
    fail "resize to 40x12 keeps every pane" "widest $(widest alice)$(dump alice)"
fi
tm resize-window -t alice -x 30 -y 8
if wait_until 5 has_re alice "^\[#ops\]" && ! has alice "Chats" && [ "$(widest alice)" -le 30 ] &&
    wait_until 5 has alice "[connected]"; then
    pass "below 40x12: single-pane mode"
else
    fail "below 40x12: single-pane mode" "$(dump alice)"
fi
tm resize-window -t alice -x 100 -y 30
if wait_until 5 has alice "Conversations" && has alice "hello ops team" && [ "$(widest alice)" -le 100 ] &&
    has_re alice "^ #ops  group · 2 members"; then
    pass "resize back to 100x30 reflows cleanly"
else
    fail "resize back to 100x30 reflows cleanly" "$(dump alice)"
fi

# ---------------------------------------------------------------- reconnect

stop_server
if wait_for_re alice "\[(offline|reconnecting|disconnected)" 10; then
    pass "a dropped connection shows in the status bar"
else
    fail "a dropped connection shows in the status bar" "$(dump alice)"
fi
type_line alice "typed while offline"
if wait_for alice "kept in the input line" && has alice "[#ops] typed while offline"; then
    pass "a message that cannot be sent stays in the input line"
else
    fail "a message that cannot be sent stays in the input line" "$(dump alice)"
fi
start_server "$PORT" || fail "server restart" "tacitd did not start again on $PORT"
if wait_for alice "[connected]" 40 && wait_for bob "[connected]" 40; then
    pass "both clients reconnect after a server restart"
else
    fail "both clients reconnect after a server restart" "$(dump alice)$(dump bob)"
fi
keys alice Enter  # send what was kept
type_line bob "after the restart"
if wait_for alice "after the restart" && wait_for bob "typed while offline"; then
    pass "messages get through after the restart"
else
    fail "messages get through after the restart" "$(dump alice)$(dump bob)"
fi

# ---------------------------------------------------------------- other terminals

type_line alice "/quit"
if wait_for alice "EXITED rc=0"; then
    pass "/quit leaves cleanly"
else
    fail "/quit leaves cleanly" "$(dump alice)"
fi
# Log in again on a Linux console without colours: ASCII marks, history back.
start_client alice "TERM=linux NO_COLOR=1" --user alice
wait_for alice "password" && type_line alice "alice-password"
if wait_for alice "[connected]" 20 && wait_for alice "after the restart" &&
    has_re alice '\+ +bob \| after the restart' && ! has alice "✓" && has alice "[e2e ok]"; then
    pass "TERM=linux: ASCII marks and lines"
else
    fail "TERM=linux: ASCII marks and lines" "$(dump alice)"
fi
if ! tm capture-pane -e -p -t alice | grep -E -q $'\033\\[[0-9;]*(3[0-7]|38;5;[0-9]+)m'; then
    pass "NO_COLOR: no colours drawn"
else
    fail "NO_COLOR: no colours drawn" "colour escapes in capture-pane -e"
fi
type_line alice "/query bob"
if wait_for alice "hello from bob" && has alice "1 (status)"; then
    pass "local history restored after logging in again"
else
    fail "local history restored after logging in again" "$(dump alice)"
fi
type_line bob "/quit"
wait_for bob "EXITED rc=0" > /dev/null
start_client bob "TERM=screen" --user bob
wait_for bob "password" && type_line bob "bob-password-1"
if wait_for bob "[connected]" 20 && has bob "#ops" && [ "$(widest bob)" -le 100 ]; then
    pass "TERM=screen (8 colours) logs in and draws"
else
    fail "TERM=screen (8 colours) logs in and draws" "$(dump bob)"
fi
# Window numbers are those of the last run (tacit(1), Unread state): name it.
type_line alice "/query #ops"
wait_until 5 has_re alice "^ #ops " > /dev/null
type_line bob "/msg alice ping alice"
if wait_for_re alice "Act: [0-9]" 10 && ! has alice "ping alice"; then
    pass "a message in another conversation raises activity"
else
    fail "a message in another conversation raises activity" "$(dump alice)"
fi

# Configuration file: server, user and colors = no, with no flags at all.
mkdir -p "$TMP/dave/cfg/tacit" "$TMP/dave/data"
printf 'server = 127.0.0.1:%s\nuser = dave\ncolors = no\nnotify = osc\n' "$PORT" > "$TMP/dave/cfg/tacit/config"
tm new-session -d -s dave -x 100 -y 30 \
    "env TERM=xterm-256color XDG_DATA_HOME=$TMP/dave/data XDG_CONFIG_HOME=$TMP/dave/cfg $TACIT; echo EXITED rc=\$?; sleep 600"
if wait_for dave "Trust this server" && has dave "127.0.0.1:$PORT" && keys dave y &&
    wait_for dave "password" && has_re dave "user +dave"; then
    pass "config file: server and user"
else
    fail "config file: server and user" "$(dump dave)"
fi
if ! tm capture-pane -e -p -t dave | grep -E -q $'\033\\[[0-9;]*(3[0-7]|38;5;[0-9]+)m'; then
    pass "config colors = no: no colours drawn"
else
    fail "config colors = no: no colours drawn" "colour escapes in capture-pane -e"
fi
if tm capture-pane -e -p -t bob | grep -E -q $'\033\\[[0-9;]*3[0-7]m'; then
    pass "TERM=screen draws in 8 colours"
else
    fail "TERM=screen draws in 8 colours" "no 8-colour escapes in capture-pane -e"
fi

finish
