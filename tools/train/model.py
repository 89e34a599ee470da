"""A Qwen2-architecture decoder in torch, laid out as GGUF stores it.

Per layer: RMSNorm -> attention (grouped-query, biases on Q, K and V only,
NEOX rotary embedding: dimension i pairs with i + head_dim/2) -> residual ->
RMSNorm -> SwiGLU feed-forward -> residual.  Final RMSNorm and an untied
output head.  Parameter names map one to one onto GGUF tensor names
(see export.py).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, n_vocab, n_embd=192, n_layer=4, n_head=6, n_head_kv=2, n_ff=512,
                 rope_theta=10000.0, eps=1e-6, n_ctx=512):
        self.n_vocab, self.n_embd, self.n_layer = n_vocab, n_embd, n_layer
        self.n_head, self.n_head_kv, self.n_ff = n_head, n_head_kv, n_ff
        self.rope_theta, self.eps, self.n_ctx = rope_theta, eps, n_ctx
        self.head_dim = n_embd // n_head


def add_shape_args(ap):
    """The model-shape options of train.py, which evaluate.py repeats to
    rebuild the network a checkpoint came from."""
    ap.add_argument("--embd", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ff", type=int, default=512)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--heads-kv", type=int, default=2)


def config_from_args(n_vocab, a):
    return Config(n_vocab, n_embd=a.embd, n_layer=a.layers, n_head=a.heads, n_head_kv=a.heads_kv, n_ff=a.ff)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n):
    half = cfg.head_dim // 2
    inv = cfg.rope_theta ** (-torch.arange(0, half, dtype=torch.float32) / half)
    ang = torch.arange(n, dtype=torch.float32)[:, None] * inv[None, :]  # (n, half)
    return torch.cos(ang), torch.sin(ang)


def rope(x, cos, sin):
    """x: (B, H, T, hd); NEOX rotation of the pairs (i, i + hd/2)."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, hd = cfg.n_embd, cfg.head_dim
        self.cfg = cfg
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.attn_q = nn.Linear(d, cfg.n_head * hd, bias=True)
        self.attn_k = nn.Linear(d, cfg.n_head_kv * hd, bias=True)
        self.attn_v = nn.Linear(d, cfg.n_head_kv * hd, bias=True)
        self.attn_output = nn.Linear(cfg.n_head * hd, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.ffn_gate = nn.Linear(d, cfg.n_ff, bias=False)
        self.ffn_up = nn.Linear(d, cfg.n_ff, bias=False)
        self.ffn_down = nn.Linear(cfg.n_ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        cfg = self.cfg
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.attn_q(h).view(B, T, cfg.n_head, cfg.head_dim).transpose(1, 2)
        k = self.attn_k(h).view(B, T, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        v = self.attn_v(h).view(B, T, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        g = cfg.n_head // cfg.n_head_kv
        k = k.repeat_interleave(g, dim=1)  # query head j reads KV head j // g, as llama.cpp does
        v = v.repeat_interleave(g, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(cfg.head_dim) + mask
        o = torch.softmax(att, dim=-1) @ v
        x = x + self.attn_output(o.transpose(1, 2).reshape(B, T, -1))
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class Qwen2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.token_embd = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        self.blk = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.output_norm = RMSNorm(cfg.n_embd, cfg.eps)
        self.output = nn.Linear(cfg.n_embd, cfg.n_vocab, bias=False)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if n.endswith("attn_output.weight") or n.endswith("ffn_down.weight"):
                    std = 0.02 / math.sqrt(2 * cfg.n_layer)
                nn.init.normal_(p, 0.0, std)
            elif n.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, ids):
        T = ids.shape[1]
        cos, sin = rope_tables(self.cfg, T)
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.token_embd(ids)
        for b in self.blk:
            x = b(x, cos, sin, mask)
        return self.output(self.output_norm(x))
