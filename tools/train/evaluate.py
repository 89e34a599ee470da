"""Greedy accuracy of a training checkpoint on fresh problems, in torch.

  /usr/bin/python3 tools/train/evaluate.py OUT.gguf.pt [-n 200] [--budget 256]

A quick check while training runs (the tokenizer is rebuilt from the same
seed as train.py's); bench/budget_eval measures the exported model through
l1.  The expected answers are computed here with Python integers.
"""
import argparse
import os
import random
import re
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import data  # noqa: E402
import model  # noqa: E402
from model import Qwen2  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--budget", type=int, default=256)
    ap.add_argument("--seed", type=int, default=4321, help="train.py's --seed (the tokenizer)")
    ap.add_argument("--merges", type=int, default=300, help="train.py's --merges")
    ap.add_argument("--problem-seed", type=int, default=7)
    model.add_shape_args(ap)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--show", type=int, default=0, help="print the first SHOW responses")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tok = bpe.Tokenizer(data.tokenizer(a.seed, a.merges))
    cfg = model.config_from_args(len(tok.tokens), a)
    net = Qwen2(cfg)
    net.load_state_dict(torch.load(a.checkpoint))
    net.eval()
    eos = tok.encode(bpe.EOS)[0]
    rng = random.Random(a.problem_seed)
    probs = []
    while len(probs) < a.n:
        x, op, y = data.sample_problem(rng)
        probs.append((x, op, y))
    groups = defaultdict(list)
    for i, (x, op, y) in enumerate(probs):
        groups[len(tok.encode(data.prompt(x, op, y, a.budget)))].append(i)
    texts = [None] * len(probs)
    with torch.no_grad():
        for plen, idx in groups.items():
            ids = torch.tensor([tok.encode(data.prompt(*probs[i], a.budget)) for i in idx])
            done = torch.zeros(len(idx), dtype=torch.bool)
            out = [[] for _ in idx]
            for _ in range(a.budget):
                nxt = net(ids)[:, -1].argmax(-1)
                for k in range(len(idx)):
                    if not done[k]:
                        out[k].append(int(nxt[k]))
                done |= nxt == eos
                if bool(done.all()):
                    break
                ids = torch.cat([ids, nxt[:, None]], dim=1)
            for k, i in enumerate(idx):
                texts[i] = tok.decode([t for t in out[k] if t != eos])
    for (x, op, y), t in list(zip(probs, texts))[:a.show]:
        print("%d %s %d:\n%s\n" % (x, op, y, t))
    right = defaultdict(lambda: [0, 0])
    for (x, op, y), t in zip(probs, texts):
        want = x + y if op == "+" else x - y if op == "-" else x * y
        m = re.search(r"\\boxed\{(-?\d+)\}", t)
        key = (op, max(len(str(x)), len(str(y))))
        right[key][1] += 1
        right[key][0] += bool(m) and int(m.group(1)) == want
    tot = [sum(v[0] for v in right.values()), sum(v[1] for v in right.values())]
    print("N=%d: %d/%d right (%.1f%%)" % (a.budget, tot[0], tot[1], 100.0 * tot[0] / tot[1]))
    for key in sorted(right):
        print("  %s %d digits: %d/%d" % (key[0], key[1], right[key][0], right[key][1]))


if __name__ == "__main__":
    main()
