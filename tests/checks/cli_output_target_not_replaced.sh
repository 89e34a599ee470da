#!/usr/bin/env bash
# `l1 synth -o OUT` and `l1 quantize IN OUT TYPE` write a temporary file and
# rename it over OUT, so they refuse an OUT that exists and is not a regular
# file: a symbolic link (even to a regular file or a device), a directory, a
# named pipe.  Each refusal exits 1 with one line on stderr and leaves OUT as
# it was; an existing regular file is still replaced.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "cli_output_target_not_replaced: $L1 not built"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "cli_output_target_not_replaced: $*"; fail=1; }
"$L1" synth --preset tiny -o "$d/m.gguf" 2>/dev/null || { bad "synth of a fresh file failed"; exit 1; }
echo old > "$d/file"
ln -s "$d/file" "$d/link_file"
ln -s /dev/null "$d/link_dev"
ln -s "$d/nowhere" "$d/link_dangling"
mkdir "$d/dir"
mkfifo "$d/fifo"
for t in link_file link_dev link_dangling dir fifo; do
    for cmd in synth quantize; do
        if [ $cmd = synth ]; then args=(synth --preset tiny -o "$d/$t"); else args=(quantize "$d/m.gguf" "$d/$t" Q8_0); fi
        err=$(timeout 20 "$L1" "${args[@]}" 2>&1 >/dev/null); rc=$?
        [ $rc -eq 1 ] || bad "$cmd onto $t: exit $rc, want 1"
        [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"refusing to replace"* ]] ||
            bad "$cmd onto $t: want one 'refusing to replace' line, got: $err"
    done
done
[ -L "$d/link_file" ] && [ -L "$d/link_dev" ] && [ -L "$d/link_dangling" ] || bad "a symbolic link was replaced"
[ "$(cat "$d/file")" = old ] || bad "the symbolic link's target was written"
[ -d "$d/dir" ] && [ -p "$d/fifo" ] || bad "the directory or the pipe was replaced"
[ ! -e "$d/nowhere" ] || bad "the dangling link's target was created"
# A regular file is replaced, as before.
"$L1" synth --preset tiny -o "$d/file" 2>/dev/null && [ "$(head -c 4 "$d/file")" = GGUF ] ||
    bad "synth did not replace a regular file"
"$L1" quantize "$d/m.gguf" "$d/file" Q8_0 2>/dev/null && [ "$(head -c 4 "$d/file")" = GGUF ] ||
    bad "quantize did not replace a regular file"
ls "$d" | grep -q 'synth-tmp\|\.tmp\.' && bad "a temporary file was left behind: $(ls "$d")"
[ $fail -eq 0 ] && echo "cli_output_target_not_replaced: ok"
exit $fail
