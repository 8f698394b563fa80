"""RoPE-scaling variants of family fixtures: the same weights under each rope_type, with reference outputs.

  training/fixtures/tiny-qwen3_moe/rope_variants.json   every rope_type
  training/fixtures/tiny-phimoe/rope_variants.json      longrope as Phi-3.5-MoE ships it (original_max_position_embeddings
                                                        at the top level, short_mscale / long_mscale)
  per variant: the config.json patch, the smallest routing margin, and per case the input ids, selections, gates,
  logits and loss

The forward is training/families/hf_moe.py, whose RoPE is rope_reference.rope_cos_sin (modeling_rope_utils semantics).
qwen3_moe has head_dim 16 ≠ hidden/heads 8, so the rotary dim comes from head_dim. The 12-token case runs past the
variants' original context of 8 positions (dynamic: max_position_embeddings 8; longrope and yarn: original 8), so
dynamic and longrope switch frequencies there; the 5-token case stays below it.
Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 training/families/rope_fixture.py
"""
from __future__ import annotations

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
sys.path.insert(0, HERE)

from hf_io import read_safetensors  # noqa: E402
from hf_moe import CausalLM  # noqa: E402
from make_fixtures import MIXTRAL, case, margin  # noqa: E402

SHORT = [1.0 + 0.05 * i for i in range(8)]
LONG = [1.0 + 1.5 * i for i in range(8)]
# factors chosen so that every routing decision keeps a margin (see make_fixtures.margin)
VARIANTS = {
    "linear": dict(rope_scaling={"type": "linear", "factor": 3.0}),
    "dynamic": dict(max_position_embeddings=8, rope_scaling={"rope_type": "dynamic", "factor": 4.0}),
    "yarn": dict(rope_scaling={"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 8}),
    # transformers v5 form: rope_theta inside rope_parameters, no top-level rope_theta / rope_scaling
    "yarn rope_parameters": dict(rope_theta=None, rope_scaling=None,
                                 rope_parameters={"rope_type": "yarn", "rope_theta": 500.0, "factor": 8.0, "beta_fast": 4,
                                                  "truncate": False, "original_max_position_embeddings": 8}),
    "llama3": dict(rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 64}),
    "longrope": dict(rope_scaling={"rope_type": "longrope", "short_factor": SHORT, "long_factor": LONG,
                                   "original_max_position_embeddings": 8}),
}


# Phi-3.5-MoE's rope_scaling: longrope with per-call mscales; its head dim is 8 here (4 factors per list)
PHIMOE_VARIANTS = {
    "longrope mscale": dict(original_max_position_embeddings=8,
                            rope_scaling={"type": "longrope", "short_factor": [1.0, 1.1, 1.3, 1.6],
                                          "long_factor": [1.0, 2.0, 5.0, 9.0], "short_mscale": 1.0,
                                          "long_mscale": 1.25}),
}
FAMILIES = {"qwen3_moe": VARIANTS, "phimoe": PHIMOE_VARIANTS}


def g7(x):
    return float(f"{x:.7g}")


def make(family, variants):
    fdir = os.path.join(TRAINING, "fixtures", f"tiny-{family}")
    base = json.load(open(os.path.join(fdir, "hf", "config.json")))
    weights = {k: torch.from_numpy(v) for k, v in read_safetensors(os.path.join(fdir, "hf", "model.safetensors")).items()}
    mix = json.load(open(os.path.join(MIXTRAL, "reference.json")))
    cases = [(c["name"], c.get("text"), c["input_ids"]) for c in mix["cases"]]
    out = []
    for name, patch in variants.items():
        cfg = {**base, **patch}
        model = CausalLM(cfg)
        missing, unexpected = model.load_state_dict(weights, strict=False)
        assert not unexpected and all(".ffn." in k for k in missing), (missing, unexpected)
        model.eval()
        with torch.no_grad():
            worst = min(margin(model, model(torch.tensor([ids]))) for _, _, ids in cases)
        if worst < 1.0:
            raise SystemExit(f"{name}: routing margin {worst:.3f} < 1 (a float32 difference could flip a selection)")
        runs = []
        for n, t, ids in cases:
            c = case(model, n, t, ids)
            runs.append({"name": n, "input_ids": ids, "selected": c["selected"], "gates": [None if g is None else [[g7(x) for x in r] for r in g] for g in c["gates"]],
                         "logits": [[g7(x) for x in r] for r in c["logits"]], "loss": [g7(x) for x in c["loss"]]})
        out.append({"name": name, "config_patch": patch, "margin": round(worst, 3), "cases": runs})
        print(f"{family} {name}: margin {worst:.2f}")
    with open(os.path.join(fdir, "rope_variants.json"), "w") as f:
        json.dump({"format": "moe-lab-rope-variants/1", "model": f"tiny-{family}",
                   "generator": "training/families/rope_fixture.py (forward: hf_moe.py + rope_reference.py)",
                   "notes": ["Same weights as hf/; each variant patches config.json with config_patch (null = remove).",
                             "Values rounded to 7 significant digits; selected = expert ids best first, null for dense layers."],
                   "variants": out}, f)
        f.write("\n")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for fam in sys.argv[1:] or list(FAMILIES):
        make(fam, FAMILIES[fam])
