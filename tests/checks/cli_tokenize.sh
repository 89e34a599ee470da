#!/usr/bin/env bash
# `l1 tokenize -f FILE` against the reference tokenizer's own test vectors
# (models/ggml-vocab-qwen2.gguf.inp/.out from the llama.cpp tree): every case
# gives exactly the ids the reference recorded, reading each case's bytes
# exactly.  Also: --json parses, and bad usage exits 2.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
M=build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf
if [ ! -f "$M" ]; then
    echo "SKIP cli_tokenize: reference vocabulary absent (make parity-fetch)"
    exit 77
fi
[ -x "$L1" ] || { echo "cli_tokenize: $L1 not built"; exit 1; }
L1="$L1" M="$M" python3 - <<'PY' || exit 1
import os, subprocess, sys, tempfile, json
l1, m = os.environ["L1"], os.environ["M"]
sep = b"\n__ggml_vocab_test__\n"
inp = open(m + ".inp", "rb").read().split(sep)
out = open(m + ".out", "r", encoding="utf-8").read().split("\n")
cases = [c for c in inp][: len(inp) - 1] if inp[-1] == b"" else inp
bad = 0
with tempfile.TemporaryDirectory() as d:
    for i, text in enumerate(cases):
        p = os.path.join(d, "case")
        open(p, "wb").write(text)
        r = subprocess.run([l1, "tokenize", "-m", m, "-f", p], capture_output=True)
        got = r.stdout.decode().split()
        want = out[i].split()
        if r.returncode != 0 or got != want:
            bad += 1
            print(f"case {i} {text!r}: got {got} want {want} rc {r.returncode}", file=sys.stderr)
    r = subprocess.run([l1, "tokenize", "-m", m, "-p", "Hello world", "--json"], capture_output=True)
    j = json.loads(r.stdout)
    if r.returncode != 0 or j["n_tokens"] != len(j["tokens"]) or "".join(t["piece"] for t in j["tokens"]) != "Hello world":
        bad += 1
        print("--json output wrong:", r.stdout[:200], file=sys.stderr)
    r = subprocess.run([l1, "tokenize", "-m", m], capture_output=True)
    if r.returncode != 2 or not r.stderr:
        bad += 1
        print("missing -p/-f did not exit 2 with a message", file=sys.stderr)
print(f"cli_tokenize: {len(cases)} reference cases, {bad} failures")
sys.exit(1 if bad else 0)
PY
