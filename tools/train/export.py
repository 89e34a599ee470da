"""Writes the torch model and its tokenizer as a qwen2 GGUF (F32) with gguf-py.

gguf-py comes with the llama.cpp reference source (make parity-fetch puts it
in build/reference/llama.cpp/gguf-py); GGUF_PY overrides the path.
"""
import os
import sys

import numpy as np

import bpe

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("GGUF_PY", os.path.join(HERE, "..", "..", "build", "reference", "llama.cpp",
                                                          "gguf-py")))
import gguf  # noqa: E402

# The DeepSeek-R1 family's format; the generation prompt opens the thinking.
CHAT_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}"
    "{% elif message['role'] == 'assistant' %}{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}")


def write_gguf(path, net, cfg, tok):
    w = gguf.GGUFWriter(path, "qwen2")
    w.add_name("l1 reasoner (arithmetic)")
    w.add_context_length(cfg.n_ctx)
    w.add_embedding_length(cfg.n_embd)
    w.add_block_count(cfg.n_layer)
    w.add_feed_forward_length(cfg.n_ff)
    w.add_head_count(cfg.n_head)
    w.add_head_count_kv(cfg.n_head_kv)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_layer_norm_rms_eps(cfg.eps)
    w.add_file_type(0)  # all F32
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tok.tokens)
    w.add_token_types(tok.token_types())
    w.add_token_merges(["%s %s" % m for m in tok.merges])
    w.add_bos_token_id(tok.id[bpe.BOS])
    w.add_eos_token_id(tok.id[bpe.EOS])
    w.add_pad_token_id(tok.id[bpe.EOS])
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)
    for name, p in net.state_dict().items():
        w.add_tensor(name, p.detach().to("cpu").float().numpy().astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
