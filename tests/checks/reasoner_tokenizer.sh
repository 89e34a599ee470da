#!/usr/bin/env bash
# l1's tokenizer on the reasoner model against the Python tokenizer it was
# trained with (tools/train/bpe.py, rebuilt from the merges in the file):
# the vocabulary is the one the merges imply, and `l1 tokenize --special`
# gives the same ids on 300 training-format texts (prompts with the LCPO
# sentence, every scratchpad route, answers) and on a few odd strings.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
M=${REASONER:-examples/reasoner.gguf}
[ -x "$L1" ] || { echo "reasoner_tokenizer: $L1 not built"; exit 1; }
[ -f "$M" ] || { echo "reasoner_tokenizer: $M missing"; exit 1; }
L1="$L1" M="$M" python3 - <<'PY' || exit 1
import os, random, subprocess, sys, tempfile
sys.path.insert(0, "tools/train")
import bpe, data, gguf_vocab
l1, m = os.environ["L1"], os.environ["M"]
kv = gguf_vocab.read_kv(m)
merges = [tuple(x.split(" ")) for x in kv["tokenizer.ggml.merges"]]
tok = bpe.Tokenizer(merges)
if tok.tokens != kv["tokenizer.ggml.tokens"]:
    print("reasoner_tokenizer: the file's tokens are not the ones its merges imply")
    sys.exit(1)
rng = random.Random(7)
texts = []
for _ in range(75):
    a, op, b = data.sample_problem(rng)
    c, routes = data.routes(a, op, b)
    n = data.sample_budget(rng)
    texts += [data.prompt(a, op, b, n) + data.response(r, c) for r in routes]
texts += ["It's  12,345 apples;\n\n  tabs\there?? \\boxed{-3}.", "   ", "a\r\nb", "x" * 50]
bad = 0
with tempfile.TemporaryDirectory() as d:
    for t in texts:
        p = os.path.join(d, "t")
        open(p, "w").write(t)
        r = subprocess.run([l1, "tokenize", "-m", m, "-f", p, "--special"], capture_output=True, text=True)
        got = [int(x) for x in r.stdout.split()]
        want = tok.encode(t)
        if r.returncode != 0 or got != want:
            bad += 1
            if bad <= 3:
                print("mismatch on %r:\n  l1     %s\n  python %s" % (t[:120], got[:40], want[:40]))
print("reasoner_tokenizer: %d of %d texts differ" % (bad, len(texts)))
sys.exit(1 if bad else 0)
PY
