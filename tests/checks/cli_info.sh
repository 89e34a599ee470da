#!/usr/bin/env bash
# `l1 info` on the reference Qwen2 vocabulary file: the token and merge
# counts and the pre-tokenizer name as the reference reader reports them,
# valid JSON, and a clean one-line failure on a truncated copy.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
VOCAB=build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf
if [ ! -d build/reference ]; then
    echo "SKIP cli_info: build/reference absent (make parity-fetch)"
    exit 77
fi
fail() { echo "cli_info: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
[ -f "$VOCAB" ] || fail "$VOCAB missing although build/reference exists"

out=$("$L1" info "$VOCAB") || fail "l1 info exited with $?"
echo "$out" | grep -Eq '^ +tokens +151936$' || fail "token count 151936 not printed"
echo "$out" | grep -Eq '^ +merges +151387$' || fail "merge count 151387 not printed"
echo "$out" | grep -Eq '^ +pre +qwen2$' || fail "pre = qwen2 not printed"

json=$("$L1" info "$VOCAB" --json --tensors) || fail "l1 info --json exited with $?"
echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["tokenizer"]
assert t["tokens"] == 151936 and t["merges"] == 151387 and t["pre"] == "qwen2", t
assert d["architecture"] == "qwen2" and d["n_tensors"] == 0 and d["tensors"] == []
' || fail "--json output does not parse or holds wrong values"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 100000 "$VOCAB" >"$tmp/truncated.gguf"
"$L1" info "$tmp/truncated.gguf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "truncated file accepted"
[ "$rc" -lt 128 ] || fail "l1 info crashed on a truncated file (status $rc)"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "expected one stderr line, got: $(cat "$tmp/err")"
grep -q 'tokenizer.ggml.tokens' "$tmp/err" || fail "message does not name the key: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "stdout not empty on failure"

# A tiny file built here by hand: F32 [4], F16 [2, 2] and IQ2_XXS [256]
# (a valid type l1 cannot dequantize), to check --tensors and --dump.
python3 - "$tmp/tiny.gguf" <<'PY' || fail "cannot build the tiny file"
import struct, sys
def s(x): return struct.pack('<Q', len(x)) + x
kv = s(b'general.architecture') + struct.pack('<I', 8) + s(b'qwen2')
kv += s(b'general.name') + struct.pack('<I', 8) + s(b'n\xe4\n"\\')  # invalid UTF-8, newline, quote
ts = [(b'a', [4], 0, struct.pack('<4f', 1.5, -2.0, 0.25, 1e30)),
      (b'h', [2, 2], 1, struct.pack('<4H', 0x3c00, 0xc000, 0x3800, 0x7c00)),  # 1, -2, 0.5, inf
      (b'q', [256], 16, bytes(66)),
      (b'w\x01\xff"', [1], 0, bytes(4))]
head = b'GGUF' + struct.pack('<IQQ', 3, len(ts), 2) + kv
data, infos = b'', b''
for name, ne, ty, raw in ts:
    infos += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne)
    infos += struct.pack('<IQ', ty, len(data))
    data += raw + bytes(-len(raw) % 32)
out = head + infos
out += bytes(-len(out) % 32) + data
open(sys.argv[1], 'wb').write(out)
PY
"$L1" info "$tmp/tiny.gguf" --tensors >"$tmp/t.txt" || fail "tiny file refused"
grep -Eq '^h F16 \[2, 2\] 8 32$' "$tmp/t.txt" || fail "--tensors line for h wrong: $(cat "$tmp/t.txt")"
"$L1" info "$tmp/tiny.gguf" --json --tensors | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["name"] == "n\ufffd\n\"\\", d["name"]
assert [t["name"] for t in d["tensors"]] == ["a", "h", "q", "w\x01\ufffd\""], d["tensors"]
assert d["bytes_by_type"] == {"F32": 20, "F16": 8, "IQ2_XXS": 66}, d["bytes_by_type"]
' || fail "--json escaping of odd names is wrong"
"$L1" info "$tmp/tiny.gguf" --dump h -o "$tmp/h.f32" 2>/dev/null || fail "--dump h failed"
python3 -c '
import struct, sys
v = struct.unpack("<4f", open(sys.argv[1], "rb").read())
assert v[:3] == (1.0, -2.0, 0.5) and v[3] == float("inf"), v
' "$tmp/h.f32" || fail "--dump h wrote wrong values"
"$L1" info "$tmp/tiny.gguf" --dump a -o "$tmp/a.f32" 2>/dev/null || fail "--dump a failed"
cmp -s "$tmp/a.f32" <(python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<4f", 1.5, -2.0, 0.25, 1e30))') \
    || fail "--dump a wrote wrong bytes"
# Without dequantization traits for IQ2_XXS the refusal must say so by name.
if ! "$L1" info "$tmp/tiny.gguf" --dump q -o "$tmp/q.f32" 2>"$tmp/err"; then
    grep -q 'tensor q has type IQ2_XXS, which l1 cannot dequantize' "$tmp/err" \
        || fail "IQ2_XXS message: $(cat "$tmp/err")"
fi

"$L1" info --help | grep -q -- '--dump' || fail "--help does not explain --dump"
"$L1" info "$VOCAB" --bogus 2>/dev/null
[ $? -eq 2 ] || fail "unknown option not rejected with status 2"
echo "cli_info: ok"
