#!/usr/bin/env python3
"""Capture a Hugging Face MoE model's router logits for `moe-lab import --format hf`.

For users who have `transformers` (and the model) locally:

    python tools/capture/hf_router_logits.py --model Qwen/Qwen1.5-MoE-A2.7B \
        --text "Alle Menschen sind frei" -o capture.json
    npx moe-lab import capture.json --format hf -o trace.json

It runs the model once with output_router_logits=True and writes (format "hf-router-logits/1"):
  model, transformers (version), config (the bits the importer needs to reproduce the routing
  and to place the layers), kind ("logits" or "probs"), tokens {ids, texts},
  router_logits [n_moe][T][E] (one entry per MoE layer: dense layers are absent from the tuple),
  correction_bias [n_moe][E] (DeepSeek-V3 only), loss [T-1] (per-token NLL in nats) and the top-10
  next tokens.

`kind`: some transformers versions return post-softmax values in router_logits (Qwen-MoE's
router in v5 returns softmax(z)); the script checks every row (non-negative, sums to 1) and
records "probs" so the importer converts them back (log p routes like z under softmax routers).
"""
import argparse
import json

CONFIG_KEYS = [
    "model_type", "num_hidden_layers", "num_experts_per_tok", "num_local_experts", "num_experts",
    "n_routed_experts", "norm_topk_prob", "mlp_only_layers", "decoder_sparse_step",
    "first_k_dense_replace", "moe_layer_freq", "n_group", "topk_group", "routed_scaling_factor",
    "scoring_func", "topk_method", "router_jitter_noise", "input_jitter_noise",
]


def looks_like_probs(rows):
    """True when every row is a probability vector (what a post-softmax router returns)."""
    import torch

    return bool((rows >= 0).all()) and bool(torch.allclose(rows.sum(-1), torch.ones(rows.shape[0], dtype=rows.dtype), atol=1e-3))


def main():
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="HF model id or local folder")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--text-file")
    p.add_argument("-o", "--out", required=True)
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    text = a.text if a.text is not None else open(a.text_file, encoding="utf-8").read()

    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=getattr(torch, a.dtype)).to(a.device).eval()
    ids = tok(text, return_tensors="pt").input_ids.to(a.device)  # [1, T]
    with torch.no_grad():
        out = model(input_ids=ids, output_router_logits=True)
    # One [B*T, E] tensor per MoE layer (batch 1 here); dense layers are not in the tuple.
    router = [r.float().reshape(ids.shape[1], -1).cpu() for r in out.router_logits]
    kind = "probs" if router and all(looks_like_probs(r) for r in router) else "logits"

    cfg = model.config.to_dict()
    config = {k: cfg[k] for k in CONFIG_KEYS if k in cfg}
    logits = out.logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    loss = (-logp[:-1].gather(1, ids[0, 1:, None])).squeeze(1).tolist()
    top = torch.softmax(logits[-1], dim=-1).topk(10)
    capture = {
        "format": "hf-router-logits/1",
        "model": a.model,
        "transformers": transformers.__version__,
        "config": config,
        "kind": kind,
        "tokens": {"ids": ids[0].tolist(), "texts": [tok.decode([i]) for i in ids[0].tolist()]},
        "router_logits": [r.tolist() for r in router],
        "loss": loss,
        "next": [{"id": int(i), "text": tok.decode([int(i)]), "p": float(v)} for v, i in zip(top.values, top.indices)],
    }
    if config.get("model_type") == "deepseek_v3":
        gates = [m.mlp.gate for m in model.model.layers if hasattr(m.mlp, "gate")]
        capture["correction_bias"] = [g.e_score_correction_bias.float().cpu().tolist() for g in gates]
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(capture, f)
    print(f"{a.out}: {ids.shape[1]} tokens, {len(router)} MoE layers of {config.get('num_hidden_layers')}, kind {kind}")


if __name__ == "__main__":
    main()
