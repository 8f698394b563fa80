"""Train the babel-moe Mixtral-style model (training/model.py) on the tokenised corpus.

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 training/train.py --run-id babel-moe-v1 --steps 2400

Inputs (from training/corpus/build_corpus.py + training/tokenize_corpus.py):
  training/work/data/{train,val}.<lang>.u16   token ids (uint16), documents separated by </s>
  training/work/data/meta.json
Outputs:
  training/runs/<id>/log.jsonl      one JSON object per logged step (loss curves), val evals, timing
  training/runs/<id>/config.json    run config (hyper-parameters, model config, data)
  training/work/runs/<id>/ckpt.pt   latest checkpoint (model + optimiser + rng + step), every --ckpt-min
  training/work/runs/<id>/final.pt  final weights
Resume: rerun the same command; it continues from ckpt.pt if present.

Sampling: each sequence is <s> followed by 255 tokens of one language, the language drawn uniformly
(balanced); the start is a random line start (a token right after a newline) with prob. 0.75, else
a random position. Fixed seeds (torch, numpy) -> deterministic given the same thread settings.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import (MixtralConfig, MixtralForCausalLM, DeepseekCausalLM, deepseek_init, deepseek_loss,  # noqa: E402
                   deepseek_num_params, deepseek_v3_config, expert_counts, loss_free_update)

DATA = os.path.join(HERE, "work", "data")


def model_config(vocab_size: int, args) -> MixtralConfig:
    return MixtralConfig(
        vocab_size=vocab_size, hidden_size=args.hidden, intermediate_size=args.inter,
        num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
        max_position_embeddings=args.ctx, rms_norm_eps=1e-5, rope_theta=10000.0,
        num_local_experts=args.experts, num_experts_per_tok=args.topk, router_aux_loss_coef=args.aux,
        tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, initializer_range=0.02,
    )


class Sampler:
    def __init__(self, split: str, langs, ctx: int, seed: int, nl_token_mask: np.ndarray):
        self.ctx = ctx
        self.rng = np.random.default_rng(seed)
        self.langs = langs
        self.streams = {}
        self.starts = {}
        for lang in langs:
            a = np.fromfile(os.path.join(DATA, f"{split}.{lang}.u16"), dtype=np.uint16)
            self.streams[lang] = a
            ok = np.flatnonzero(nl_token_mask[a[:-ctx]]) + 1  # token after a newline-ending token
            self.starts[lang] = ok[ok < len(a) - ctx]

    def batch(self, bsz: int, lang=None):
        x = np.empty((bsz, self.ctx), dtype=np.int64)
        for b in range(bsz):
            lg = lang or self.langs[self.rng.integers(len(self.langs))]
            a = self.streams[lg]
            st = self.starts[lg]
            if len(st) and self.rng.random() < 0.75:
                s = int(st[self.rng.integers(len(st))])
            else:
                s = int(self.rng.integers(0, len(a) - self.ctx))
            x[b, 0] = 1
            x[b, 1:] = a[s:s + self.ctx - 1]
        t = torch.from_numpy(x)
        labels = torch.cat([t[:, 1:], torch.full((bsz, 1), -100, dtype=torch.long)], dim=1)
        return t, labels


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))


class Arch:
    """What differs between the two shipped designs: building, the loss, the expert count, the config dump."""

    def __init__(self, args, vocab_size: int):
        self.deepseek = args.arch == "deepseek_v3"
        g = torch.Generator().manual_seed(args.seed)
        if self.deepseek:
            c = deepseek_v3_config(vocab_size, hidden=args.hidden, layers=args.layers, heads=args.heads,
                                   dense_inter=args.dense_inter, moe_inter=args.inter, experts=args.experts,
                                   topk=args.topk, shared=args.shared, ctx=args.ctx)
            self.model = DeepseekCausalLM(c)
            deepseek_init(self.model, c["initializer_range"], g)
            self.num_experts, self.hf_config = c["n_routed_experts"], c
        else:
            cfg = model_config(vocab_size, args)
            self.model = MixtralForCausalLM(cfg)
            self.model.init_weights(cfg.initializer_range, generator=g)
            with torch.no_grad():  # GPT-2 style: shrink residual-branch output projections by 1/sqrt(2L)
                for L in self.model.layers:
                    L.self_attn.o_proj.weight.mul_(1 / math.sqrt(2 * cfg.num_hidden_layers))
                    L.block_sparse_moe.w2.mul_(1 / math.sqrt(2 * cfg.num_hidden_layers))
            self.num_experts, self.hf_config = cfg.num_local_experts, cfg.to_hf_dict()

    def loss(self, x, y, args):
        if self.deepseek:
            return deepseek_loss(self.model, x, y)
        return self.model(x, labels=y, aux_per_layer=args.aux_mode == "per_layer")

    def num_params(self):
        return deepseek_num_params(self.model) if self.deepseek else self.model.num_params()


@torch.no_grad()
def evaluate(arch, val_batches):
    model = arch.model
    model.eval()
    res = {}
    loads = None
    for lang, (x, y) in val_batches.items():
        out = arch.loss(x, y, None) if arch.deepseek else model(x, labels=y)
        res[lang] = out["ce"].item()
        cnt = expert_counts(out["selected"], arch.num_experts)
        loads = cnt if loads is None else loads + cnt
    model.train()
    frac = (loads / loads.sum(1, keepdim=True)).tolist()
    return res, frac


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-id", default="babel-moe-v1")
    ap.add_argument("--arch", choices=["mixtral", "deepseek_v3"], default="mixtral",
                    help="mixtral: babel-moe (softmax top-k, aux loss); deepseek_v3: deepseek-moe (MLA, dense layer 0, "
                         "shared expert, sigmoid router balanced by the loss-free bias)")
    ap.add_argument("--dense-inter", type=int, default=384, help="deepseek_v3: the dense first layer's MLP width")
    ap.add_argument("--shared", type=int, default=1, help="deepseek_v3: shared experts")
    ap.add_argument("--bias-rate", type=float, default=1e-3,
                    help="deepseek_v3: loss-free balancing update rate u (b_i += u·sign(mean load − load_i) per step)")
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=192)
    ap.add_argument("--inter", type=int, default=192)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--experts", type=int, default=8)
    ap.add_argument("--topk", type=int, default=2)
    ap.add_argument("--aux", type=float, default=0.05)
    ap.add_argument("--aux-mode", choices=["per_layer", "hf"], default="per_layer",
                    help="per_layer: mean over layers of the HF formula per layer; hf: HF's concatenated form")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--ckpt-min", type=float, default=4.0)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (and save) after this wall time; 0 = no limit")
    ap.add_argument("--stop-step", type=int, default=0,
                    help="stop (and save) at this step while keeping the LR schedule of --steps (reproduces a time-limited run)")
    ap.add_argument("--probe", action="store_true", help="throughput probe: no logs/checkpoints")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    with open(os.path.join(DATA, "meta.json")) as f:
        meta = json.load(f)
    langs = meta["langs"]
    V = meta["vocab_size"]
    nl_mask = np.zeros(V, dtype=bool)
    nl_mask[meta["newline_token_ids"]] = True
    arch = Arch(args, V)
    model = arch.model
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    train = Sampler("train", langs, args.ctx, args.seed, nl_mask)
    val = Sampler("val", langs, args.ctx, args.seed + 1, nl_mask)
    val_batches = {lg: val.batch(4, lang=lg) for lg in langs}

    run_dir = os.path.join(HERE, "runs", args.run_id)
    work_dir = os.path.join(HERE, "work", "runs", args.run_id)
    ckpt_path = os.path.join(work_dir, "ckpt.pt")
    step0 = 0
    elapsed0 = 0.0
    if not args.probe:
        os.makedirs(run_dir, exist_ok=True)
        os.makedirs(work_dir, exist_ok=True)
        with open(os.path.join(run_dir, "config.json"), "w") as f:
            json.dump({"args": vars(args), "model": arch.hf_config, "params": arch.num_params(),
                       "langs": langs, "data": meta.get("tokens"), "torch": torch.__version__,
                       "threads": {"torch": 1, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}},
                      f, indent=2)
        if os.path.exists(ckpt_path):
            ck = torch.load(ckpt_path)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            train.rng = np.random.default_rng()
            train.rng.bit_generator.state = ck["np_rng"]
            torch.set_rng_state(ck["torch_rng"])
            step0 = ck["step"]
            elapsed0 = ck["elapsed"]
            print(f"resumed at step {step0}", flush=True)
    logf = None if args.probe else open(os.path.join(run_dir, "log.jsonl"), "a")

    def log(obj):
        print(json.dumps(obj), flush=True)
        if logf:
            logf.write(json.dumps(obj) + "\n")
            logf.flush()

    def save(path, step, elapsed):
        tmp = path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "np_rng": train.rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "step": step, "elapsed": elapsed,
                    "config": arch.hf_config}, tmp)
        os.replace(tmp, path)

    if step0 == 0 and not args.probe:
        log({"event": "start", "params": arch.num_params(), "langs": langs, "steps": args.steps,
             "tokens_per_step": args.batch * args.ctx})
    model.train()
    t_start = time.time() - elapsed0
    last_ckpt = time.time()
    acc = {"loss": 0.0, "ce": 0.0, "aux": 0.0, "n": 0}
    step = step0
    while step < args.steps:
        for gr in opt.param_groups:
            gr["lr"] = lr_at(step, args)
        x, y = train.batch(args.batch)
        out = arch.loss(x, y, args)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if arch.deepseek:  # the bias moves after the gradient step, from this batch's loads
            cnt = loss_free_update(model, out["selected"], args.bias_rate)
            # MaxVio of the batch (max load / mean load − 1), averaged over MoE layers, logged in the aux column
            out["aux"] = (cnt.max(1).values / cnt.mean(1) - 1).mean()
        step += 1
        acc["loss"] += out["loss"].item()
        acc["ce"] += out["ce"].item()
        acc["aux"] += float(out["aux"])
        acc["n"] += 1
        el = time.time() - t_start
        if step % args.log_every == 0 or step == args.steps:
            n = acc["n"]
            log({"step": step, "loss": acc["loss"] / n, "ce": acc["ce"] / n,
                 ("maxvio_batch" if arch.deepseek else "aux"): acc["aux"] / n,
                 "lr": lr_at(step - 1, args), "grad_norm": float(gn), "elapsed_s": round(el, 1),
                 "tokens": step * args.batch * args.ctx, "steps_per_s": round((step - step0) / max(el - elapsed0, 1e-9), 4)})
            acc = {"loss": 0.0, "ce": 0.0, "aux": 0.0, "n": 0}
        if args.probe:
            continue
        if step % args.eval_every == 0 or step == args.steps:
            v, load = evaluate(arch, val_batches)
            log({"event": "val", "step": step, "val_ce": v, "val_ce_mean": sum(v.values()) / len(v),
                 "expert_load": [[round(f, 4) for f in row] for row in load],
                 "min_load": round(min(min(r) for r in load), 4), "elapsed_s": round(el, 1)})
        if time.time() - last_ckpt > args.ckpt_min * 60 or step == args.steps:
            save(ckpt_path, step, el)
            last_ckpt = time.time()
        if args.stop_step and step >= args.stop_step:
            save(ckpt_path, step, el)
            log({"event": "stop_step", "step": step, "elapsed_s": round(el, 1)})
            break
        if args.max_minutes and el > args.max_minutes * 60:
            save(ckpt_path, step, el)
            log({"event": "time_limit", "step": step, "elapsed_s": round(el, 1)})
            break
    if not args.probe:
        torch.save({"model": model.state_dict(), "config": arch.hf_config, "step": step}, os.path.join(work_dir, "final.pt"))
        log({"event": "done", "step": step, "elapsed_s": round(time.time() - t_start, 1)})


if __name__ == "__main__":
    main()
