#!/usr/bin/env bash
# Checks the man pages against mandoc and against the programs' --help.
# Run from the repository root: BUILD=build bash tests/man/check_man.sh
#   - mandoc -Tlint -W warning reports nothing for each page;
#   - every long option printed by --help appears in the page, and every
#     option the page's OPTIONS list documents is one --help prints, so the
#     page lists exactly the program's options.
# Prints `PASS name` or `FAIL name: reason` per check (`SKIP name: reason`
# when the program isn't built yet); exits 1 if any check failed.
set -u

BUILD=${BUILD:-build}
PAGES=(man/tacit.1 man/tacitd.8 man/tacit-protocol.7)
failed=0

pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    # Further lines of a report, indented so they read as part of this FAIL.
    if [ $# -gt 2 ] && [ -n "$3" ]; then printf '%s\n' "$3" | sed 's/^/    /'; fi
    failed=1
}
skip() { echo "SKIP $1: $2"; }

if ! command -v mandoc >/dev/null 2>&1; then
    fail mandoc "mandoc is not installed (make deps installs it)"
    exit 1
fi

# (a) lint
for page in "${PAGES[@]}"; do
    name="lint $(basename "$page")"
    if [ ! -f "$page" ]; then
        fail "$name" "$page is missing"
        continue
    fi
    report=$(mandoc -Tlint -W warning "$page" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || [ -n "$report" ]; then
        fail "$name" "mandoc -Tlint -W warning exit $rc" "$report"
    else
        pass "$name"
    fi
done

# Long options (--xxx) in a program's --help output, one per line, sorted.
help_options() {
    grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The page rendered on one very wide line per paragraph, so no option is
# split at a hyphen or a line end.
rendered() {
    MANWIDTH= mandoc -Tascii -O width=1000 "$1" | col -b
}

# Options the page documents: `Fl -xxx` on the .It lines of its OPTIONS section.
page_options() {
    awk '/^\.Sh /{ in_opts = ($0 == ".Sh OPTIONS") } in_opts && /^\.It /' "$1" |
        grep -oE -- 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl /-/' | sort -u
}

# (b) options: check_options NAME BINARY PAGE
check_options() {
    local prog=$1 bin=$2 page=$3 name="options $1"
    if [ ! -x "$bin" ]; then
        if [ "$prog" = tacit ]; then
            skip "$name" "$bin not built yet"
        else
            fail "$name" "$bin not found (build it with make BUILD=$BUILD $bin)"
        fi
        return
    fi
    [ -f "$page" ] || { fail "$name" "$page is missing"; return; }
    local help rc
    help=$("$bin" --help 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$name" "$bin --help exited $rc" "$help"
        return
    fi
    local opts text missing=() extra=() o
    opts=$(printf '%s\n' "$help" | help_options)
    if [ -z "$opts" ]; then
        fail "$name" "$bin --help printed no long options"
        return
    fi
    text=$(rendered "$page")
    for o in $opts; do
        printf '%s\n' "$text" | grep -qE -- "(^|[^A-Za-z0-9-])${o}([^A-Za-z0-9-]|\$)" || missing+=("$o")
    done
    for o in $(page_options "$page"); do
        printf '%s\n' "$opts" | grep -qxF -- "$o" || extra+=("$o")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        fail "$name" "in $bin --help but not in $page: ${missing[*]}"
    elif [ ${#extra[@]} -gt 0 ]; then
        fail "$name" "in the OPTIONS of $page but not in $bin --help: ${extra[*]}"
    else
        pass "$name"
    fi
}

check_options tacitd "$BUILD/tacitd" man/tacitd.8
check_options tacit "$BUILD/tacit" man/tacit.1

# make install / uninstall into a scratch DESTDIR: binaries, pages and the
# unit land where man(1) and systemd look, and uninstall removes them.
check_install() {
    local dest
    dest=$(mktemp -d /tmp/tacit-install-XXXXXX)
    local out
    if ! out=$(make --no-print-directory install BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local 2>&1); then
        fail install "make install failed" "$out"
        rm -rf "$dest"
        return
    fi
    local m=$dest/usr/local/share/man missing=()
    for f in bin/tacit bin/tacitd share/man/man1/tacit.1 share/man/man8/tacitd.8 \
             share/man/man7/tacit-protocol.7 lib/systemd/system/tacitd.service; do
        [ -e "$dest/usr/local/$f" ] || missing+=("$f")
    done
    if command -v man >/dev/null; then
        MANPATH=$m man -w tacit >/dev/null 2>&1 || missing+=("man tacit")
        MANPATH=$m man -w 8 tacitd >/dev/null 2>&1 || missing+=("man 8 tacitd")
        MANPATH=$m man -w 7 tacit-protocol >/dev/null 2>&1 || missing+=("man 7 tacit-protocol")
    fi
    grep -q '@PREFIX@' "$dest/usr/local/lib/systemd/system/tacitd.service" 2>/dev/null && missing+=("unit still has @PREFIX@")
    make --no-print-directory uninstall BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
    local left
    left=$(find "$dest" -type f | head -5)
    if [ ${#missing[@]} -gt 0 ]; then
        fail install "missing after install: ${missing[*]}"
    elif [ -n "$left" ]; then
        fail install "left after uninstall: $left"
    else
        pass install
    fi
    rm -rf "$dest"
}
check_install

exit $failed
