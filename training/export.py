"""Export a training checkpoint as a Hugging Face Mixtral checkpoint folder (+ tokenizer, probes).

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
from hf_io import load_checkpoint, save_checkpoint  # noqa: E402
from model import MixtralConfig, MixtralForCausalLM  # noqa: E402


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
    cfg = MixtralConfig.from_dict(ck["config"])
    model = MixtralForCausalLM(cfg)
    model.load_state_dict(ck["model"])
    model.eval()
    tokdir = os.path.join(HERE, "work", "tokenizer")
    with open(os.path.join(tokdir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    with open(os.path.join(tokdir, "tokenizer_config.json"), encoding="utf-8") as f:
        tc = json.load(f)
    save_checkpoint(model, args.out, layout="per_expert", shards=1, tokenizer_json=tj, tokenizer_config=tc)
    with open(os.path.join(args.out, "training_state.json"), "w") as f:
        json.dump({"run_id": args.run_id, "checkpoint": args.ckpt, "step": ck.get("step")}, f)
    m2 = load_checkpoint(args.out)
    x = torch.tensor([[1, 100, 200, 300, 400, 500]])
    with torch.no_grad():
        same = torch.equal(model(x)["logits"], m2(x)["logits"])
    if not same:
        raise SystemExit("export check failed: reloaded logits differ")
    print(f"exported step {ck.get('step')} to {args.out}; params {model.num_params()}")
    if args.probes:
        from udhr import write_probes
        write_probes(args.probes)
        print(f"probes written to {args.probes}")


if __name__ == "__main__":
    main()
