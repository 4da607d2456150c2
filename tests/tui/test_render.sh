#!/usr/bin/env bash
# The conversation pane shows exactly the model's text after ASCII is painted
# over rows that held wide characters (CJK) or grapheme clusters (ZWJ emoji,
# flags), on new messages, on switching windows and on scrolling; and the
# character after each cluster sits where the terminal (tmux here) put it.
# One viewer per TERM, all fed by batch senders.
source "$(dirname "$0")/lib.sh"

keygen_and_start
TERMS="xterm-256color tmux-256color screen linux"
viewer() {  # TERM -> user name
    case $1 in xterm-256color) echo vx ;; tmux-256color) echo vt ;; screen) echo vs ;; linux) echo vl ;; esac
}
for term in $TERMS; do
    register_client "$(viewer "$term")" "$term" || { echo "FAIL setup: $(viewer "$term") under $term$(dump "$(viewer "$term")")"; exit 1; }
done

# batch_send USER LINE...: USER (registered on first use) sends each LINE to
# every viewer, in order.
batch_send() {
    local user=$1 line term
    shift
    {
        echo "register $user $user-password"
        echo "login $user $user-password"
        for line in "$@"; do
            for term in $TERMS; do echo "send $(viewer "$term") $line"; done
        done
        echo quit
    } | env XDG_DATA_HOME="$TMP/$user/data" "$TACIT" --batch --server "127.0.0.1:$PORT" \
        --server-key "$TMP/keys/server.pub" >> "$TMP/$user.out" 2>&1
}

# The text right of the separator on every message row, in screen order.
message_rows() { screen "$1" | sed -n 's/^.* [│|] //p' | sed 's/ *$//'; }
# last_rows_are SESSION LINE...: the last message rows are exactly LINE...
last_rows_are() {
    local s=$1
    shift
    diff <(message_rows "$s" | tail -n $#) <(printf '%s\n' "$@") > "$TMP/diff" 2>&1
}
every_viewer() {  # NAME COMMAND ARGS...: COMMAND SESSION ARGS for each viewer
    local name=$1 term s ok=1 why=""
    shift
    for term in $TERMS; do
        s=$(viewer "$term")
        if ! "$1" "$s" "${@:2}"; then
            ok=0
            why="$why
  under $term: $(cat "$TMP/diff" 2> /dev/null)$(dump "$s")"
        fi
    done
    if [ $ok -eq 1 ]; then pass "$name"; else fail "$name" "$why"; fi
}
wait_all() {  # TEXT
    local term
    for term in $TERMS; do wait_for "$(viewer "$term")" "$1" 20 || return 1; done
}
query_all() {  # PEER TEXT-TO-WAIT-FOR
    local term
    for term in $TERMS; do type_line "$(viewer "$term")" "/query $1"; done
    for term in $TERMS; do wait_for "$(viewer "$term")" "$2" 10; done
}

# scroll_up_and_back LINE...: PgUp, then PgDn until LINE... are back at the bottom.
scroll_up_and_back() {
    local term
    for term in $TERMS; do keys "$(viewer "$term")" PPage; done
    for term in $TERMS; do wait_for "$(viewer "$term")" "[more "; done
    for term in $TERMS; do keys "$(viewer "$term")" NPage; done
    for term in $TERMS; do wait_until 10 last_rows_are "$(viewer "$term")" "$@"; done
}

# ---------------------------------------------------------------- CJK

# 5 + 29*2 cells, then 31*2: the last row of each line is full of CJK.
cjk=$(printf '中文%.0s' $(seq 30))
batch_send carol "end1 $cjk" "end2 $cjk" "end3 $cjk" "end4 $cjk"
batch_send alice "end5 $cjk" "end6 $cjk" "end7 $cjk"
query_all alice "end7"
# ASCII lines of every length parity, so some end over the left half of a
# wide character and some over its right half.
ascii=()
for n in 35 34 33 36 37 38 39 40 41 42 43 44 45 46; do
    ascii+=("$(printf '%s' abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | cut -c1-$((n - 3)))$n.")
done
batch_send alice "${ascii[0]}"
wait_all "${ascii[0]:0:20}"
every_viewer "a new ASCII line painted over a CJK row shows every character" last_rows_are "${ascii[0]}"
batch_send alice "${ascii[@]:1}"
wait_all "${ascii[13]}"
every_viewer "new ASCII lines painted over CJK rows show every character" last_rows_are "${ascii[@]}"

query_all carol "end4"
query_all alice "${ascii[13]}"
every_viewer "switching windows paints ASCII over CJK rows intact" last_rows_are "${ascii[@]}"

scroll_up_and_back "${ascii[@]}"
every_viewer "scrolling back down paints ASCII over CJK rows intact" last_rows_are "${ascii[@]}"

# ---------------------------------------------------------------- clusters

# cells TEXT: how far tmux moves the cursor for TEXT, measured in a pane
# of its own (the terminal's rule, not the client's).
printf '' > "$TMP/meter.txt"
cells() {
    printf '%s' "$1" > "$TMP/meter.txt"
    tm respawn-pane -k -t meter "cat $TMP/meter.txt; tmux -L $SOCK wait-for -S metered; sleep 600"
    tm wait-for metered
    tm display -p -t meter '#{cursor_x}'
}
tm new-session -d -s meter -x 200 -y 3 "sleep 600"

family="👨‍👩‍👧" rainbow="🏳️‍🌈" flag="🇫🇷" thumb="👍🏽" acute="é"
clusters=("$family" "$rainbow" "$flag" "$thumb" "$acute" "中")
widths=(2 1 2 4 1 2)  # tmux 3.3a: see WidthRule in tui/ui/width.hpp
full=$(printf "x%.0s" $(seq 62))  # the whole text column
marked="A${family}B A${rainbow}B A${flag}B A${thumb}B A${acute}B A中B"
stray=$(printf 'join\u200dme zero\u200bwidth bom\ufeffhere')
batch_send alice "$full" "$marked" "$(printf "$stray")" "$(printf "$family %.0s" $(seq 30))"
wait_all "A中B"
fam_row() { printf "$family %.0s" $(seq "$1") | sed 's/ $//'; }
zwj_rows=("$full" "$marked" "join<U+200D>me zero<U+200B>width bom<U+FEFF>here" "$(fam_row 21)" "$(fam_row 9)")
every_viewer "ZWJ sequences and flags are drawn whole, wrapped whole, stray joiners shown" \
    last_rows_are "${zwj_rows[@]}"

# The column of each B is where the model puts it: the text column's start
# plus the clusters' widths under tmux's rule.
columns_right() {
    local s=$1 row start k=0 expect got prefix
    row=$(screen "$s" | grep -F "A${family}B")
    prefix=${row%%[│|] A*}
    start=$(($(cells "$prefix") + 2))
    expect=$start
    for k in "${!clusters[@]}"; do
        expect=$((expect + 1 + widths[k]))
        prefix=${row%%"${clusters[k]}B"*}${clusters[k]}
        got=$(cells "$prefix")
        if [ "$got" != "$expect" ]; then
            echo "after ${clusters[k]}: B at $got, model $expect" > "$TMP/diff"
            return 1
        fi
        expect=$((expect + 2))
    done
}
every_viewer "the character after each cluster is in the model's column" columns_right

# Typed one piece at a time, so ncurses redraws only what changed; then a
# message redraws another pane, and the cursor goes back to the input line
# by an absolute move to the column the client believes in.
for term in $TERMS; do
    typed=""
    for piece in A "$family" B "$rainbow" C; do
        typed+=$piece
        tm send-keys -t "$(viewer "$term")" -l "$piece"
        wait_until 5 has "$(viewer "$term")" "[alice] $typed" || break
    done
done
batch_send alice "while typing"
wait_all "while typing"
input_cursor_right() {
    local s=$1 want got
    if ! has_re "$s" "^\[alice\] A${family}B${rainbow}C *\$"; then
        echo "input row: $(screen "$s" | tail -1)" > "$TMP/diff"
        return 1
    fi
    want=$(cells "[alice] A${family}B${rainbow}C")
    got=$(tm display -p -t "$s" '#{cursor_x}')
    [ "$got" = "$want" ] || { echo "cursor at $got, model $want" > "$TMP/diff"; return 1; }
}
every_viewer "the input cursor sits right after typed clusters" input_cursor_right
for term in $TERMS; do keys "$(viewer "$term")" C-u; done

ascii2=("$full" "short" "$(printf 'y%.0s' $(seq 40))" "${full:0:61}" "z")
batch_send alice "${ascii2[@]}"
wait_all "${full:0:61}"
for term in $TERMS; do wait_until 5 last_rows_are "$(viewer "$term")" "${ascii2[@]}"; done
every_viewer "ASCII painted over ZWJ rows leaves no joiners or debris behind" last_rows_are "${ascii2[@]}"

scroll_up_and_back "${ascii2[@]}"
every_viewer "scrolling over ZWJ rows and back leaves no debris" last_rows_are "${ascii2[@]}"

finish
