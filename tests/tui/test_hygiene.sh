#!/usr/bin/env bash
# Secret hygiene that shows from outside (tacit(1), tacitd(8) SECURITY):
# neither program can leave a core file, and the client refuses to keep
# keys and history without a private data directory.
source "$(dirname "$0")/lib.sh"

keygen_and_start

core_off() { grep -Eq '^Max core file size +0 +0 ' "/proc/$1/limits"; }
check "tacitd runs with RLIMIT_CORE 0" core_off "$SRV"

start_client alice "TERM=xterm-256color" --server-key "$TMP/keys/server.pub" --user alice
wait_for alice "password" || fail "alice's form" "$(dump alice)"
CLIENT_PID=$(pgrep -P "$(tm display -p -t alice '#{pane_pid}')" -x tacit | head -1)
check "the full-screen client runs with RLIMIT_CORE 0" core_off "${CLIENT_PID:-none}"
# PR_SET_DUMPABLE 0 does not show in /proc to root, which runs this in CI;
# tests/unit/test_paths.cpp "[core]" checks it with PR_GET_DUMPABLE.

# No HOME and no XDG_DATA_HOME: refused with a reason, nothing made in /tmp.
rm -rf "$TMP/cwd" && mkdir "$TMP/cwd"
(cd "$TMP/cwd" && env -u HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME "$OLDPWD/$TACIT" --batch \
    --server "127.0.0.1:$PORT" < /dev/null > "$TMP/nohome.out" 2>&1)
rc=$?
check "without HOME the client refuses to run (exit 2)" [ "$rc" -eq 2 ]
check "and says why" grep -q "no private data directory" "$TMP/nohome.out"

# A data directory others can write to is refused, in the full-screen client too.
mkdir -p "$TMP/open/data/tacit" && chmod 0777 "$TMP/open/data/tacit"
env XDG_DATA_HOME="$TMP/open/data" XDG_CONFIG_HOME="$TMP/open/cfg" "$TACIT" --server "127.0.0.1:$PORT" \
    < /dev/null > "$TMP/open.out" 2>&1
rc=$?
check "a data directory writable by others is refused (exit 2)" [ "$rc" -eq 2 ]
check "naming the directory and its mode" grep -q "tacit is writable by group or others (mode 0777)" "$TMP/open.out"

finish
