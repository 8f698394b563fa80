"""PyTorch reference activations of the shipped deepseek-moe on real text, for the lab's parity test
(tools/shippedDeepseek.test.ts): router logits, selections and gates of the first layers, and every token's
loss through the whole model.

  /usr/bin/python3 training/make_shipped_reference.py --hf training/work/deepseek-moe-hf --dtype fp16 \
      --probes public/models/deepseek-moe/probes --out training/fixtures/deepseek-moe/reference.json

With --dtype fp16 every matrix but the router's is first rounded to float16 (what `moe-lab convert --dtype fp16`
stores; the bundle computes in float32 on those values), so the reference is the shipped checkpoint, not the fp32
export.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import ByteBPE  # noqa: E402
from hf_io import read_safetensors  # noqa: E402
from model import DeepseekCausalLM  # noqa: E402


def f32(t):
    return [round(float(x), 7) for x in t.reshape(-1).tolist()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hf", required=True)
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp16")
    ap.add_argument("--probes", required=True)
    ap.add_argument("--langs", default="en,ja")
    ap.add_argument("--layers", type=int, default=3, help="keep per-layer arrays for layers 0..N-1")
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(args.hf, "config.json")))
    sd = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(os.path.join(args.hf, "model.safetensors")).items()}
    if args.dtype == "fp16":
        # the converter stores matrices as float16 (the graph casts them back); vectors (norms, the correction
        # bias) and the router matrix (routers.bin) stay float32 in every dtype
        sd = {k: v.half().float() if v.dim() >= 2 and not k.endswith("mlp.gate.weight") else v for k, v in sd.items()}
    model = DeepseekCausalLM(cfg)
    model.load_state_dict(sd)
    model.eval()
    tok = ByteBPE.load(os.path.join(args.hf, "tokenizer.json"))
    cases = []
    for lang in args.langs.split(","):
        art = json.load(open(os.path.join(args.probes, f"{lang}.json"), encoding="utf-8"))["articles"]
        text = next(a["text"] for a in art if a["id"] == "1")
        ids = tok.encode(text, add_bos=True)[: args.tokens]
        with torch.no_grad():
            out = model(torch.tensor([ids]))
        lp = torch.log_softmax(out["logits"][0].float(), -1)
        keep = range(args.layers)
        cases.append({
            "name": f"udhr-{lang}-1",
            "input_ids": ids,
            "router_logits": [None if out["router_logits"][l] is None else f32(out["router_logits"][l][0]) for l in keep],
            "selected": [None if out["selected"][l] is None else out["selected"][l][0].tolist() for l in keep],
            "gates": [None if out["gates"][l] is None else f32(out["gates"][l][0]) for l in keep],
            "loss": [float(-lp[t, ids[t + 1]]) for t in range(len(ids) - 1)],
            "margin": out["margin"],
        })
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"format": "moe-lab-reference/1", "model": cfg.get("_name", "deepseek-moe"), "dtype": args.dtype,
                   "generator": "training/make_shipped_reference.py (forward: training/families/deepseek_v3.py)",
                   "layers": args.layers, "notes": ["Per-layer arrays cover layers 0..layers-1 (flattened [T][...]); "
                   "dense layers are null. loss[t] = -log p(ids[t+1]) through the whole model."], "cases": cases}, f)
        f.write("\n")
    print(f"wrote {args.out}: {len(cases)} cases, margin {min(c['margin'] for c in cases):.2f}")


if __name__ == "__main__":
    main()
