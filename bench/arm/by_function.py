#!/usr/bin/env python3
"""bench/arm/by_function.py - guest instructions per function from one or
two block profiles of an aarch64 program run under qemu (the plugin
bench/arm/insn_count.c with blocks=on).

  bench/arm/by_function.py PROGRAM A.blocks [B.blocks TOKENS] [-n TOP]

With one profile: each function's instructions and share.  With two and
a token count: (B - A) / TOKENS per function, the per-token split that
bench/arm/proxy.sh gives in total (for example A from pp32, B from pp64
and TOKENS 32).  Addresses are mapped with aarch64-linux-gnu-nm; qemu-user
loads a position-independent program at 0x5500000000 (a different base
can be given with --base).  Standard library only.
"""
import argparse
import bisect
import collections
import subprocess
import sys


def symbols(program):
    out = subprocess.run(["aarch64-linux-gnu-nm", "-n", "--defined-only", program], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    return syms


def by_function(path, syms, base):
    starts = [a for a, _ in syms]
    end = starts[-1] + 0x10000 if starts else 0
    total = collections.Counter()
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                print("%s: %s" % (path, line.strip()), file=sys.stderr)
                continue
            a, n, runs = line.split()
            off = int(a, 16) - base
            i = bisect.bisect_right(starts, off) - 1
            name = syms[i][1] if i >= 0 and off < end else "(outside the program)"
            total[name] += int(n) * int(runs)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("program")
    ap.add_argument("a")
    ap.add_argument("b", nargs="?")
    ap.add_argument("tokens", nargs="?", type=int)
    ap.add_argument("-n", type=int, default=15, help="functions to list (default 15)")
    ap.add_argument("--base", type=lambda s: int(s, 16), default=0x5500000000)
    args = ap.parse_args()
    if (args.b is None) != (args.tokens is None) or (args.tokens is not None and args.tokens < 1):
        ap.error("give one profile, or two and a token count >= 1")
    syms = symbols(args.program)
    a = by_function(args.a, syms, args.base)
    if args.b is None:
        total = sum(a.values())
        print("%d instructions" % total)
        for name, v in a.most_common(args.n):
            print("%14d %5.1f%%  %s" % (v, 100.0 * v / max(total, 1), name))
        return
    b = by_function(args.b, syms, args.base)
    diff = {k: (b.get(k, 0) - a.get(k, 0)) / args.tokens for k in set(a) | set(b)}
    print("%.3f M instructions per token" % (sum(diff.values()) / 1e6))
    for name in sorted(diff, key=lambda k: -diff[k])[:args.n]:
        print("%10.3f M  %s" % (diff[name] / 1e6, name))


if __name__ == "__main__":
    main()
