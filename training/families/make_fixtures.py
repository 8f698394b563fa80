"""Write tiny randomly initialised checkpoints of the HF MoE families, with reference outputs.

  training/fixtures/tiny-<family>/hf/              config.json + model.safetensors (exact HF tensor names)
                                                    + tokenizer.json / tokenizer_config.json (from tiny-mixtral)
  training/fixtures/tiny-<family>/reference.json   router logits, selections, gates, final logits, loss

Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 training/families/make_fixtures.py [family ...]
The reference forward is training/families/hf_moe.py (float32, eval mode). A seed is accepted only when
every routing decision has a margin (so float32 differences between PyTorch and ONNX Runtime cannot flip it).
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
sys.path.insert(0, HERE)

from hf_io import write_safetensors  # noqa: E402
from hf_moe import CausalLM  # noqa: E402
from deepseek_v3 import DeepseekCausalLM  # noqa: E402
import gpt_oss  # noqa: E402

MIXTRAL = os.path.join(TRAINING, "fixtures", "tiny-mixtral")

COMMON = dict(vocab_size=299, hidden_size=32, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
              rope_theta=10000.0, rope_scaling=None, bos_token_id=1, eos_token_id=2, initializer_range=0.2,
              hidden_act="silu", attention_dropout=0.0, torch_dtype="float32", use_cache=True)

CONFIGS = {
    "qwen3_moe": dict(architectures=["Qwen3MoeForCausalLM"], model_type="qwen3_moe", num_hidden_layers=3, head_dim=16,
                      num_experts=8, num_experts_per_tok=2, moe_intermediate_size=24, intermediate_size=48,
                      decoder_sparse_step=1, mlp_only_layers=[1], norm_topk_prob=True, rms_norm_eps=1e-6,
                      attention_bias=False, tie_word_embeddings=False, router_aux_loss_coef=0.001,
                      use_sliding_window=False, sliding_window=None),
    "olmoe": dict(architectures=["OlmoeForCausalLM"], model_type="olmoe", num_hidden_layers=2, num_experts=8,
                  num_experts_per_tok=2, intermediate_size=24, norm_topk_prob=False, clip_qkv=1.5, rms_norm_eps=1e-5,
                  attention_bias=False, tie_word_embeddings=False, router_aux_loss_coef=0.01),
    "granitemoe": dict(architectures=["GraniteMoeForCausalLM"], model_type="granitemoe", num_hidden_layers=2,
                       num_local_experts=6, num_experts_per_tok=2, intermediate_size=24, embedding_multiplier=12.0,
                       attention_multiplier=0.1, residual_multiplier=0.22, logits_scaling=6.0, rms_norm_eps=1e-6,
                       attention_bias=False, tie_word_embeddings=True, position_embedding_type="rope"),
    "qwen2_moe": dict(architectures=["Qwen2MoeForCausalLM"], model_type="qwen2_moe", num_hidden_layers=4, num_experts=6,
                      num_experts_per_tok=2, moe_intermediate_size=16, shared_expert_intermediate_size=40,
                      intermediate_size=48, decoder_sparse_step=2, mlp_only_layers=[], norm_topk_prob=False,
                      rms_norm_eps=1e-6, tie_word_embeddings=False, use_sliding_window=False, sliding_window=None),
    "phimoe": dict(architectures=["PhimoeForCausalLM"], model_type="phimoe", num_hidden_layers=2, num_local_experts=4,
                   num_experts_per_tok=2, intermediate_size=32, attention_bias=True, lm_head_bias=True,
                   router_jitter_noise=0.25, input_jitter_noise=0.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
                   sliding_window=None),
    # 1 dense layer, then MoE; 4 groups of 2 experts, 2 groups kept, top-3; YaRN as DeepSeek-V3's config (scaled down)
    "deepseek_v3": dict(architectures=["DeepseekV3ForCausalLM"], model_type="deepseek_v3", num_hidden_layers=3,
                        num_key_value_heads=4, q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8,
                        v_head_dim=12, intermediate_size=48, moe_intermediate_size=16, n_routed_experts=8,
                        n_shared_experts=1, num_experts_per_tok=3, n_group=4, topk_group=2, routed_scaling_factor=2.5,
                        norm_topk_prob=True, scoring_func="sigmoid", topk_method="noaux_tc", first_k_dense_replace=1,
                        moe_layer_freq=1, rms_norm_eps=1e-6, attention_bias=False, tie_word_embeddings=False,
                        rope_theta=100.0, max_position_embeddings=256,
                        rope_scaling=dict(type="yarn", factor=4.0, original_max_position_embeddings=64, beta_fast=32,
                                          beta_slow=1, mscale=1.0, mscale_all_dim=1.0)),
    # DeepSeek-V2-Lite style: q_proj (no q LoRA), softmax greedy top-k, 2 shared experts, attention biases, YaRN
    # with mscale ≠ mscale_all_dim so the rope's attention factor is not 1
    "deepseek_v2": dict(architectures=["DeepseekV2ForCausalLM"], model_type="deepseek_v2", num_hidden_layers=2,
                        num_key_value_heads=4, q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8,
                        qk_rope_head_dim=4, v_head_dim=8, intermediate_size=40, moe_intermediate_size=12,
                        n_routed_experts=6, n_shared_experts=2, num_experts_per_tok=2, n_group=1, topk_group=1,
                        routed_scaling_factor=1.0, norm_topk_prob=False, scoring_func="softmax", topk_method="greedy",
                        first_k_dense_replace=1, moe_layer_freq=1, rms_norm_eps=1e-6, attention_bias=True,
                        tie_word_embeddings=False, rope_theta=100.0, max_position_embeddings=256,
                        rope_scaling=dict(type="yarn", factor=4.0, original_max_position_embeddings=64, beta_fast=32,
                                          beta_slow=1, mscale=1.0, mscale_all_dim=0.707)),
}


def f32list(t):
    a = t.detach().to(torch.float32).numpy()
    return [float(x) for x in a.reshape(-1)] if a.ndim == 1 else [f32list(torch.from_numpy(r)) for r in a]


def margin(model, out) -> float:
    """Smallest routing margin of a forward (≥ 1 means safe): top-k gap in the quantity each router sorts, and
    for sparsemixer also the distance of every relative gap from the 2ε mask threshold."""
    fam, worst = model.fam, float("inf")
    for l, rl in enumerate(out["router_logits"]):
        if rl is None:
            continue
        z = rl[0].float()
        k = model.config["num_experts_per_tok"]
        if fam == "phimoe":
            eps2 = 2 * model.config["router_jitter_noise"]
            s, _ = z.sort(-1, descending=True)
            worst = min(worst, ((s[:, 0] - s[:, 1]).min() / 1e-3).item(), ((s[:, 1] - s[:, 2]).min() / 1e-3).item())
            for r in range(2):
                thr = s[:, r:r + 1]
                rel = (thr - z) / z.abs().clamp(min=thr)
                worst = min(worst, ((rel - eps2).abs().min() / 1e-3).item())
            continue
        q = z if fam == "granitemoe" else torch.softmax(z, -1)
        s, _ = q.sort(-1, descending=True)
        worst = min(worst, ((s[:, k - 1] - s[:, k]).min() / 1e-3).item())
        for j in range(k - 1):  # order within the top-k (selected lists are best first)
            worst = min(worst, ((s[:, j] - s[:, j + 1]).min() / 1e-4).item())
    return worst


@torch.no_grad()
def case(model, name, text, ids):
    out = model(torch.tensor([ids]))
    per_layer = lambda key: [None if v is None else f32list(v[0]) for v in out[key]]  # noqa: E731
    lp = torch.log_softmax(out["logits"][0].float(), -1)
    return {
        "name": name,
        "text": text,
        "input_ids": ids,
        "router_logits": per_layer("router_logits"),
        "selected": [None if v is None else v[0].tolist() for v in out["selected"]],
        "gates": per_layer("gates"),
        "hidden_out": per_layer("hidden_out"),
        "logits": f32list(out["logits"][0]),
        "loss": [float(-lp[t, ids[t + 1]]) for t in range(len(ids) - 1)],
    }


def make(fam: str):
    cfg = {**COMMON, **CONFIGS[fam]}
    mix = json.load(open(os.path.join(MIXTRAL, "reference.json")))
    cases = [(c["name"], c.get("text"), c["input_ids"]) for c in mix["cases"]]
    for attempt in range(300):
        seed = 4321 + attempt
        g = torch.Generator().manual_seed(seed)
        model = (DeepseekCausalLM if fam.startswith("deepseek") else CausalLM)(cfg)
        model.init_weights(cfg["initializer_range"], g)
        model.eval()
        with torch.no_grad():
            m = margin if not fam.startswith("deepseek") else lambda _, out: out["margin"]  # noqa: E731
            if min(m(model, model(torch.tensor([ids]))) for _, _, ids in cases) >= 1.0:
                break
    else:
        raise SystemExit(f"{fam}: no seed gave well-separated routing")
    out_dir = os.path.join(TRAINING, "fixtures", f"tiny-{fam}")
    hf = os.path.join(out_dir, "hf")
    os.makedirs(hf, exist_ok=True)
    sd = model.hf_state_dict()
    write_safetensors(os.path.join(hf, "model.safetensors"), {k: v.numpy() for k, v in sd.items()})
    with open(os.path.join(hf, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    for n in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(MIXTRAL, "hf", n), os.path.join(hf, n))
    ref = {
        "format": "moe-lab-reference/1",
        "model": f"tiny-{fam}",
        "generator": "training/families/make_fixtures.py (forward: training/families/"
                     f"{'deepseek_v3' if fam.startswith('deepseek') else 'hf_moe'}.py)",
        "seed": seed,
        "dtype": "float32",
        "layer_kinds": ["moe" if layer.sparse else "dense" for layer in model.model.layers],
        "notes": [
            "Layer-indexed arrays are [L][T][...]; a dense layer's router_logits / selected / gates are null.",
            "router_logits = the layer's router Linear on moe_in (raw); selected = expert ids best first; gates = "
            "the family's routing weights for them; hidden_out = residual stream after the layer.",
            "logits [T][V] are the model's final logits (Granite: after / logits_scaling). loss[t] = -log p(ids[t+1]).",
            "Inputs are the two cases of tiny-mixtral/reference.json (same tokenizer).",
        ],
        "cases": [case(model, n, t, ids) for n, t, ids in cases],
    }
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, fs in os.walk(out_dir) for n in fs)
    print(f"{fam}: seed {seed} (attempt {attempt}), {len(sd)} tensors, fixture {total / 1e6:.3f} MB")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for fam in sys.argv[1:] or [*CONFIGS, "gpt_oss"]:
        if fam == "gpt_oss":  # writes tiny-gpt_oss and tiny-gpt_oss-mxfp4 (training/families/gpt_oss.py)
            mix = json.load(open(os.path.join(MIXTRAL, "reference.json")))
            gpt_oss.make(TRAINING, [(c["name"], c.get("text"), c["input_ids"]) for c in mix["cases"]])
        else:
            make(fam)
