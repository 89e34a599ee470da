#!/usr/bin/env bash
# Progress goes to a terminal only.  On a pipe, `l1 synth`, `l1 quantize`
# and `l1 bench` write no carriage return and exactly one closing line on
# stderr; on a terminal (a pty from `script`), `l1 bench` draws its
# progress line (rewritten in place with \r, erased with ESC[K).
# Skipped (77) without util-linux `script`.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
fail() { echo "cli_progress: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/m.gguf"

oneline() { # NAME: stderr in $tmp/err is one line, no \r or escape
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1 on a pipe: $(wc -l <"$tmp/err") stderr lines: $(cat -A "$tmp/err")"
    if grep -q $'[\r\x1b]' "$tmp/err"; then fail "$1 on a pipe wrote progress: $(cat -A "$tmp/err")"; fi
}
"$L1" synth --preset small -o "$M" 2>&1 >/dev/null | cat >"$tmp/err"
oneline synth
grep -q '^l1 synth: wrote ' "$tmp/err" || fail "synth: $(cat "$tmp/err")"
"$L1" quantize "$M" "$tmp/q.gguf" Q4_0 2>&1 >/dev/null | cat >"$tmp/err"
oneline quantize
"$L1" bench -m "$tmp/q.gguf" -p 8 -n 2 -r 2 -t 1 2>&1 >/dev/null | cat >"$tmp/err"
oneline bench

command -v script >/dev/null || { echo "script (util-linux) not installed"; exit 77; }
# Two tests: the second runs after the first's bandwidth measurement (over
# a second), past the delay before progress is drawn.
script -qec "'$L1' bench -m '$tmp/q.gguf' -p 8 -n 2 -r 2 -t 1 >/dev/null" /dev/null >"$tmp/tty" 2>&1 </dev/null ||
    fail "bench under script failed: $(cat -A "$tmp/tty")"
grep -q $'\r\x1b\\[Kl1 bench: running .*test 2/2' "$tmp/tty" || fail "no progress line on a terminal: $(cat -A "$tmp/tty")"
grep -q 'l1 bench: 2 tests of ' "$tmp/tty" || fail "no closing line on a terminal: $(cat -A "$tmp/tty")"
exit 0
