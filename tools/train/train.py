"""Trains the reasoner model and writes it as an F32 GGUF.

  /usr/bin/python3 tools/train/train.py --out build/reasoner-f32.gguf

Fixed seeds throughout: the tokenizer corpus, the training stream and the
initial weights come from --seed.  See README.md for the hyper-parameters.
"""
import argparse
import contextlib
import json
import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import data  # noqa: E402
import export  # noqa: E402
import model  # noqa: E402
from model import Qwen2  # noqa: E402


def make_batch(exs):
    """Right-padded ids (n, T), targets with -100 outside the responses."""
    n = len(exs)
    T = max(len(p) + len(r) for p, r in exs) - 1
    ids = torch.zeros((n, T), dtype=torch.long)
    tgt = torch.full((n, T), -100, dtype=torch.long)
    for i, (p, r) in enumerate(exs):
        s = p + r
        ids[i, :len(s) - 1] = torch.tensor(s[:-1])
        # Predict every response token (position len(p)-1 predicts r[0]).
        tgt[i, len(p) - 1:len(s) - 1] = torch.tensor(r)
    return ids, tgt


def batches(rng, tok, n, group=16):
    """Endless batches of n examples; each group of batches is cut from
    group*n examples sorted by length, so little of a batch is padding."""
    while True:
        exs = sorted((data.example(rng, tok) for _ in range(n * group)), key=lambda e: len(e[0]) + len(e[1]))
        chunks = [exs[i:i + n] for i in range(0, len(exs), n)]
        rng.shuffle(chunks)
        for c in chunks:
            yield make_batch(c)


def cpu_has_bf16():
    """Whether the CPU multiplies bfloat16 matrices natively (AVX512_BF16 or
    AMX), where torch's bfloat16 matrix products run about 3x faster than
    its float32 ones; elsewhere bfloat16 is emulated and slower."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--merges", type=int, default=300)
    ap.add_argument("--steps", type=int, default=0,
                    help="training steps; 0: as many as --minutes allows (timed over the warm-up)")
    ap.add_argument("--minutes", type=float, default=43.0,
                    help="wall-time budget of the whole run when --steps is 0 (tokenizer and export included)")
    ap.add_argument("--max-steps", type=int, default=8000, help="cap on the steps --minutes may choose")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="matrix products in bfloat16 (weights, optimizer and loss stay float32); "
                         "auto: on where the CPU has AVX512_BF16 or AMX")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    model.add_shape_args(ap)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--save-every", type=int, default=200, help="checkpoint OUT.pt every this many steps")
    ap.add_argument("--from-checkpoint", help="skip training: export the weights of this OUT.pt")
    ap.add_argument("--init-from", help="start from the weights of this OUT.pt (a second phase; fresh optimizer)")
    ap.add_argument("--stream-seed", type=int, help="seed of the training stream (default seed + 1)")
    a = ap.parse_args()
    if a.steps == 0 and a.warmup < 20 and not a.from_checkpoint:
        ap.error("--steps 0 times the warm-up steps: give --warmup 20 or more, or --steps")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.time()
    merges = data.tokenizer(a.seed, a.merges)
    tok = bpe.Tokenizer(merges)
    print("vocabulary: %d tokens (%d merges) in %.1f s" % (len(tok.tokens), len(merges), time.time() - t0),
          flush=True)

    cfg = model.config_from_args(len(tok.tokens), a)
    net = Qwen2(cfg)
    n_par = sum(p.numel() for p in net.parameters())
    print("model: %d parameters" % n_par, flush=True)
    decay = [p for n, p in net.named_parameters() if p.dim() == 2]
    other = [p for n, p in net.named_parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-8)
    if a.from_checkpoint:
        net.load_state_dict(torch.load(a.from_checkpoint))
        a.steps = 0
    if a.init_from:
        net.load_state_dict(torch.load(a.init_from))
    stream_seed = a.stream_seed if a.stream_seed is not None else a.seed + 1
    stream = batches(random.Random(stream_seed), tok, a.batch)
    bf16 = a.bf16 == "on" or (a.bf16 == "auto" and cpu_has_bf16())
    print("matrix products in %s" % ("bfloat16" if bf16 else "float32"), flush=True)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    # --steps 0: the warm-up steps are timed (their first products of each
    # shape included, so the estimate errs long), and the total is what the
    # rest of the budget holds, less a margin for the export.
    auto_steps = a.steps == 0 and not a.from_checkpoint
    if auto_steps:
        a.steps = a.max_steps
    avg = None
    step = 0
    t_train = time.time()
    while step < a.steps:
        if auto_steps and step == a.warmup:
            per_step = (time.time() - t_train) / a.warmup
            left = a.minutes * 60 - (time.time() - t0) - 60
            a.steps = max(a.warmup + 1, min(a.max_steps, a.warmup + int(left / per_step)))
            print("%.2f s a step over the warm-up: %d steps in %.0f minutes" % (per_step, a.steps, a.minutes),
                  flush=True)
        if step < a.warmup:
            lr = a.lr * (step + 1) / a.warmup
        else:
            f = (step - a.warmup) / max(1, a.steps - a.warmup)
            lr = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * f)))
        for g in opt.param_groups:
            g["lr"] = lr
        ids, tgt = next(stream)
        with autocast():
            logits = net(ids)
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, cfg.n_vocab), tgt.reshape(-1),
                                                 ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % a.log_every == 0 or step == a.steps - 1:
            print("step %5d  loss %.4f  lr %.2e  %.0f s" % (step, avg, lr, time.time() - t0), flush=True)
        if a.save_every and (step + 1) % a.save_every == 0:
            torch.save(net.state_dict(), a.out + ".pt")
        step += 1

    export.write_gguf(a.out, net, cfg, tok)
    with open(a.out + ".json", "w") as f:
        json.dump({"merges": [list(m) for m in merges], "args": vars(a), "parameters": n_par,
                   "seconds": time.time() - t0}, f)
    print("wrote %s in %.0f s total" % (a.out, time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
