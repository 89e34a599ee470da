"""Byte-level BPE for the reasoner model, as llama.cpp's gpt2/qwen2 vocabularies work.

Bytes map to printable code points with the GPT-2 table; each pre-token (the
Qwen2 pre-tokenizer regex, restricted here to ASCII text: every letter is
A-Z/a-z and every number 0-9, which the corpus guarantees) starts as its
mapped characters and the pair of lowest merge rank is merged until none
applies.  Special tokens are matched as whole strings before pre-tokenizing.
"""
import re
from collections import Counter

# The Qwen2 pre-tokenizer, with \p{L} = [A-Za-z] and \p{N} = [0-9] (ASCII corpus).
PRE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]"
    r"| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK = "<think>"
THINK_END = "</think>"
# Control tokens (type 3) and user-defined ones (type 4), as in the R1 distills.
CONTROL = [EOS, USER, ASSISTANT, BOS]
USER_DEFINED = [THINK, THINK_END]
SPECIALS = CONTROL + USER_DEFINED


def byte_table():
    """GPT-2's reversible byte -> printable character table."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars = keep[:]
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


BYTE2CH = byte_table()


def pretokenize(text):
    if not text.isascii():
        raise ValueError("the corpus is ASCII by construction")
    return PRE.findall(text)


def mapped(piece):
    return "".join(BYTE2CH[b] for b in piece.encode("utf-8"))


def train(texts, n_merges):
    """Learns up to n_merges merges from the texts (special strings removed)."""
    words = Counter()
    for t in texts:
        for s in SPECIALS:
            t = t.replace(s, "\n")
        for p in pretokenize(t):
            words[tuple(mapped(p))] += 1
    words = {w: c for w, c in words.items()}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        # Most frequent pair; ties broken by the pair itself, so runs repeat.
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if best[1] < 2:
            break
        a, b = best[0]
        merges.append((a, b))
        nw = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] = nw.get(tuple(out), 0) + c
        words = nw
    return merges


class Tokenizer:
    def __init__(self, merges):
        self.merges = merges
        self.rank = {m: i for i, m in enumerate(merges)}
        # Ids: the 256 byte characters in byte order, then merge results in
        # merge order, then the special tokens.
        self.tokens = [BYTE2CH[b] for b in range(256)]
        seen = set(self.tokens)
        for a, b in merges:
            if a + b not in seen:
                seen.add(a + b)
                self.tokens.append(a + b)
        self.n_normal = len(self.tokens)
        self.tokens += SPECIALS
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.cache = {}

    def token_types(self):
        types = [1] * self.n_normal
        types += [3] * len(CONTROL) + [4] * len(USER_DEFINED)
        return types

    def _word(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        w = list(mapped(piece))
        while len(w) > 1:
            best, bi = None, -1
            for i in range(len(w) - 1):
                r = self.rank.get((w[i], w[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            w[bi:bi + 2] = [w[bi] + w[bi + 1]]
        ids = [self.id[x] for x in w]
        self.cache[piece] = ids
        return ids

    def encode(self, text, special=True):
        """Token ids of text; special strings are recognised when special is true."""
        out = []
        if special:
            pat = "(" + "|".join(re.escape(s) for s in SPECIALS) + ")"
            parts = re.split(pat, text)
        else:
            parts = [text]
        for part in parts:
            if not part:
                continue
            if special and part in SPECIALS:
                out.append(self.id[part])
                continue
            for p in pretokenize(part):
                out += self._word(p)
        return out

    def decode(self, ids):
        inv = {c: b for b, c in BYTE2CH.items()}
        bs = bytearray()
        for i in ids:
            t = self.tokens[i]
            if i >= self.n_normal:
                bs += t.encode("utf-8")
            else:
                bs += bytes(inv[c] for c in t)
        return bs.decode("utf-8", errors="replace")
