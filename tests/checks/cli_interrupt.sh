#!/usr/bin/env bash
# Ctrl-C during `l1 run`: SIGINT stops the generation at the next token;
# the text so far stays on stdout, the summary line (finish aborted) is
# printed, and the status is 130.  The same for a turn of `l1 chat`.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
fail() { echo "cli_interrupt: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/small.gguf"
"$L1" synth --preset small -o "$M" 2>/dev/null || fail "l1 synth failed"
# An exact budget of 3000 tokens runs for seconds on this model.
"$L1" run -m "$M" -p hello --think 3000 --budget exact -n 3000 --temp 1 >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/out" ] && break; sleep 0.1; done
[ -s "$tmp/out" ] || fail "no output to interrupt"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "status $rc after SIGINT, expected 130; stderr: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq '^l1 run: load .* \| finish aborted$' "$tmp/err" ||
    fail "no summary after SIGINT: $(cat "$tmp/err")"
n=$(sed -n 's/.* decode \([0-9]*\) tok .*/\1/p' "$tmp/err")
[ -n "$n" ] && [ "$n" -lt 3000 ] || fail "the generation was not cut short: $(cat "$tmp/err")"

# l1 chat: stdin stays open (a fifo held by this script), the turn is cut short.
mkfifo "$tmp/in"
"$L1" chat -m "$M" --think 3000 --budget exact -n 3000 --temp 1 <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 3>"$tmp/in"
echo hello >&3
for _ in $(seq 50); do [ -s "$tmp/out" ] && break; sleep 0.1; done
[ -s "$tmp/out" ] || fail "chat: no output to interrupt"
kill -INT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fail "chat did not stop on SIGINT"; fi
wait "$pid"
rc=$?
exec 3>&-
[ "$rc" -eq 130 ] || fail "chat: status $rc after SIGINT, expected 130; stderr: $(cat "$tmp/err")"
grep -Eq '^l1 chat: load .* \| finish aborted$' "$tmp/err" || fail "chat: no summary after SIGINT: $(cat "$tmp/err")"
exit 0
