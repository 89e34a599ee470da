#!/usr/bin/env bash
# Every command that reads -f FILE does it through one reader: a directory,
# a file that cannot be opened and anything over 64 MiB (/dev/zero) are
# refused with one line naming the file and exit 1; `l1 run` also refuses a
# prompt with a NUL byte (it would be cut there), while `l1 tokenize`, which
# reads bytes exactly, keeps it.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "cli_prompt_file_refuses_directory_and_nul: $L1 not built"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "cli_prompt_file_refuses_directory_and_nul: $*"; fail=1; }
"$L1" synth --preset tiny -o "$d/m.gguf" 2>/dev/null || { bad "synth failed"; exit 1; }
printf 'ab\0cd' > "$d/nul.txt"
# refused CMD FILE WORD: exit 1, one line on stderr naming FILE and containing WORD, nothing on stdout.
refused() {
    local cmd=$1 file=$2 word=$3 out err rc
    if [ $cmd = run ]; then out=$(timeout 20 "$L1" run -m "$d/m.gguf" -n 2 -f "$file" 2>"$d/err"); rc=$?
    else out=$(timeout 20 "$L1" tokenize -m "$d/m.gguf" -f "$file" 2>"$d/err"); rc=$?; fi
    err=$(cat "$d/err")
    [ $rc -eq 1 ] || bad "$cmd -f $file: exit $rc, want 1"
    [ -z "$out" ] || bad "$cmd -f $file: wrote to stdout: $out"
    [ "$(wc -l < "$d/err")" -eq 1 ] && [[ "$err" == *"$file"* && "$err" == *"$word"* ]] ||
        bad "$cmd -f $file: want one line naming the file with '$word', got: $err"
}
for cmd in run tokenize; do
    refused $cmd "$d" directory
    refused $cmd "$d/absent.txt" "cannot open"
    refused $cmd /dev/zero "larger than"
done
refused run "$d/nul.txt" "NUL byte at offset 2"
got=$("$L1" tokenize -m "$d/m.gguf" -f "$d/nul.txt" 2>/dev/null) || bad "tokenize refused a NUL byte"
[ "$(echo $got | wc -w)" -eq 5 ] || bad "tokenize -f: want 5 ids for 5 bytes, got '$got'"
# A plain prompt file still works, and '-' still reads stdin.
printf 'hello' > "$d/p.txt"
"$L1" run -m "$d/m.gguf" -n 2 -f "$d/p.txt" >/dev/null 2>&1 || bad "run -f FILE failed"
printf 'hello' | "$L1" run -m "$d/m.gguf" -n 2 -f - >/dev/null 2>&1 || bad "run -f - failed"
[ $fail -eq 0 ] && echo "cli_prompt_file_refuses_directory_and_nul: ok"
exit $fail
