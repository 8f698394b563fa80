"""Export a training checkpoint as a Hugging Face checkpoint folder (+ tokenizer, probes): Mixtral for
babel-moe, DeepSeek-V3 (HF tensor names, the e_score_correction_bias buffer included) for deepseek-moe.

  /usr/bin/python3 training/export.py --run-id babel-moe-v1 [--ckpt final|ckpt] \
      [--out training/work/babel-moe-hf] [--probes public/models/babel-moe/probes]

Writes config.json, model.safetensors (per-expert layout, F32), tokenizer.json, tokenizer_config.json,
and verifies that the exported folder reloads to identical logits. Then `npx moe-lab convert
training/work/babel-moe-hf public/models/babel-moe` makes the bundle.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from hf_io import load_checkpoint, read_safetensors, save_checkpoint, write_safetensors  # noqa: E402
from model import DeepseekCausalLM, MixtralConfig, MixtralForCausalLM, deepseek_num_params  # noqa: E402


def export_deepseek(ck, out_dir: str, tj: dict, tc: dict):
    """config.json + model.safetensors (F32) + tokenizer; reloads the folder and checks the logits are identical."""
    model = DeepseekCausalLM(ck["config"])
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(ck["config"], f, indent=2)
    write_safetensors(os.path.join(out_dir, "model.safetensors"),
                      {k: v.contiguous().numpy() for k, v in model.hf_state_dict().items()}, {"format": "pt"})
    for name, obj in (("tokenizer.json", tj), ("tokenizer_config.json", tc)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False)
    m2 = DeepseekCausalLM(ck["config"])
    m2.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in read_safetensors(os.path.join(out_dir, "model.safetensors")).items()})
    m2.eval()
    x = torch.tensor([[1, 100, 200, 300, 400, 500]])
    with torch.no_grad():
        if not torch.equal(model(x)["logits"], m2(x)["logits"]):
            raise SystemExit("export check failed: reloaded logits differ")
    return deepseek_num_params(model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-id", default="babel-moe-v1")
    ap.add_argument("--ckpt", default="final", choices=["final", "ckpt"])
    ap.add_argument("--out", default=os.path.join(HERE, "work", "babel-moe-hf"))
    ap.add_argument("--probes", default=None, help="also write UDHR probe files here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    path = os.path.join(HERE, "work", "runs", args.run_id, f"{args.ckpt}.pt")
    ck = torch.load(path)
    tokdir = os.path.join(HERE, "work", "tokenizer")
    with open(os.path.join(tokdir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    with open(os.path.join(tokdir, "tokenizer_config.json"), encoding="utf-8") as f:
        tc = json.load(f)
    if ck["config"].get("model_type") == "deepseek_v3":
        params = export_deepseek(ck, args.out, tj, tc)
        # the learned correction bias per MoE layer, for the card (training/runs is tracked)
        layers = [{"layer": int(k.split(".")[2]), "min": float(v.min()), "max": float(v.max()),
                   "bias": [round(float(x), 5) for x in v]}
                  for k, v in ck["model"].items() if k.endswith("e_score_correction_bias")]
        with open(os.path.join(HERE, "runs", args.run_id, "bias.json"), "w") as f:
            json.dump({"step": ck.get("step"), "layers": layers}, f, indent=1)
    else:
        cfg = MixtralConfig.from_dict(ck["config"])
        model = MixtralForCausalLM(cfg)
        model.load_state_dict(ck["model"])
        model.eval()
        save_checkpoint(model, args.out, layout="per_expert", shards=1, tokenizer_json=tj, tokenizer_config=tc)
        m2 = load_checkpoint(args.out)
        x = torch.tensor([[1, 100, 200, 300, 400, 500]])
        with torch.no_grad():
            if not torch.equal(model(x)["logits"], m2(x)["logits"]):
                raise SystemExit("export check failed: reloaded logits differ")
        params = model.num_params()
    with open(os.path.join(args.out, "training_state.json"), "w") as f:
        json.dump({"run_id": args.run_id, "checkpoint": args.ckpt, "step": ck.get("step")}, f)
    print(f"exported step {ck.get('step')} to {args.out}; params {params}")
    if args.probes:
        from udhr import write_probes
        write_probes(args.probes)
        print(f"probes written to {args.probes}")


if __name__ == "__main__":
    main()
