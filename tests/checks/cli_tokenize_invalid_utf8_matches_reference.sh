#!/usr/bin/env bash
# `l1 tokenize -f FILE` on invalid UTF-8 gives llama.cpp's ids, not a
# byte-exact round trip: the reference decodes leniently (one U+FFFD per byte
# that starts no well-formed sequence; payload bits of any well-formed
# pattern, so an overlong or surrogate form decodes to its code point) and
# l1 matches it, because token ids must equal the reference's on every input.
# The expected ids were produced by the reference build (build/reference,
# llama_tokenize with add_special and parse_special false, vocab_only load of
# ggml-vocab-qwen2.gguf), one call per case below.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
M=build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf
if [ ! -f "$M" ]; then
    echo "SKIP cli_tokenize_invalid_utf8_matches_reference: reference vocabulary absent (make parity-fetch)"
    exit 77
fi
[ -x "$L1" ] || { echo "cli_tokenize_invalid_utf8_matches_reference: $L1 not built"; exit 1; }
f=$(mktemp)
trap 'rm -f "$f"' EXIT
fail=0
n=0
# hex bytes | the reference's ids
while read -r hex want; do
    n=$((n + 1))
    printf "$(echo "$hex" | sed 's/../\\x&/g')" > "$f"
    got=$("$L1" tokenize -m "$M" -f "$f" 2>&1); rc=$?
    if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
        echo "cli_tokenize_invalid_utf8_matches_reference: bytes $hex: got '$got' (exit $rc), want '$want'"
        fail=1
    fi
done <<'CASES'
8b 5691
418b42 32 5691 33
e282 9973
41e28242 32 9973 33
ff 5691
c0af 14
eda080 169 63219
efbfbd 5691
CASES
[ $fail -eq 0 ] && echo "cli_tokenize_invalid_utf8_matches_reference: $n cases ok"
exit $fail
