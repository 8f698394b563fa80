"""Write public/models/deepseek-moe/README.md from the recorded artefacts: training/runs/<id>/{config.json,
log.jsonl,cli_eval.json,bias.json}, babel-moe's cli_eval.json for the comparison, and the shared corpus record.

  /usr/bin/python3 training/write_card_deepseek.py --run-id deepseek-moe-v1 --baseline babel-moe-v2
  node training/js/card_cli_section.mjs training/runs/deepseek-moe-v1/cli_eval.json public/models/deepseek-moe/README.md

Every quality number comes from the lab's CLI (training/js/cli_eval.mjs runs `moe-lab trace --loss`, `analyze`,
`align` on the shipped bundle), so anyone can rerun it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from sources import LANGS  # noqa: E402
from write_card import data_section, write_card  # noqa: E402


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def maxvio(counts):
    return max(counts) / (sum(counts) / len(counts)) - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-id", default="deepseek-moe-v1")
    ap.add_argument("--baseline", default="babel-moe-v2", help="babel-moe's run, for the comparison tables")
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "deepseek-moe", "README.md"))
    args = ap.parse_args()
    run = os.path.join(HERE, "runs", args.run_id)
    base = os.path.join(HERE, "runs", args.baseline)
    rcfg, bcfg = load_json(os.path.join(run, "config.json")), load_json(os.path.join(base, "config.json"))
    log = [json.loads(x) for x in open(os.path.join(run, "log.jsonl"))]
    steps = [r for r in log if "loss" in r]
    vals = [r for r in log if r.get("event") == "val"]
    done = [r for r in log if r.get("event") == "done"][-1]
    ev, bev = load_json(os.path.join(run, "cli_eval.json")), load_json(os.path.join(base, "cli_eval.json"))
    bias = load_json(os.path.join(run, "bias.json"))
    stats = load_json(os.path.join(HERE, "corpus", "stats.json"))
    meta = load_json(os.path.join(HERE, "work", "data", "meta.json"))
    m, a, p, bp = rcfg["model"], rcfg["args"], rcfg["params"], bcfg["params"]
    blog = [json.loads(x) for x in open(os.path.join(base, "log.jsonl"))]
    bdone = [r for r in blog if r.get("event") == "done"][-1]
    nstep = done["step"]
    L = []
    w = L.append
    w("# deepseek-moe — fine-grained and shared experts with loss-free balancing, beside babel-moe\n")
    w("The lab's second shipped model: the DeepSeek-V3 design (multi-head latent attention, the first layer dense, "
      "then many small routed experts plus an always-on shared expert, a sigmoid router balanced by a learned bias "
      "instead of an auxiliary loss) trained on exactly babel-moe's corpus, tokenizer and token budget, so the two "
      "router designs can be put side by side on the same text. Like babel-moe it is a toy in quality terms.\n")
    w("## Model\n")
    w("| | |\n|---|---|")
    w("| architecture | `deepseek_v3` (HF `DeepseekV3ForCausalLM` semantics; the trainer runs the parity reference "
      "`training/families/deepseek_v3.py`) |")
    w(f"| layers / hidden / heads | {m['num_hidden_layers']} / {m['hidden_size']} / {m['num_attention_heads']} |")
    w(f"| attention | MLA: kv_lora_rank {m['kv_lora_rank']}, no q LoRA, qk_nope {m['qk_nope_head_dim']} + qk_rope "
      f"{m['qk_rope_head_dim']} per head, v_head_dim {m['v_head_dim']}, RoPE θ={m['rope_theta']:g} (interleaved) |")
    w(f"| layer 0 | dense SwiGLU MLP, width {m['intermediate_size']} (`first_k_dense_replace` = {m['first_k_dense_replace']}) |")
    w(f"| layers 1–{m['num_hidden_layers'] - 1} | {m['n_routed_experts']} routed experts, top-{m['num_experts_per_tok']}, "
      f"+ {m['n_shared_experts']} shared expert; every expert SwiGLU of width {m['moe_intermediate_size']} |")
    w("| router | s = sigmoid(W·x); the top-4 are chosen on s + b (`e_score_correction_bias`, selection only); gates = "
      "the chosen s renormalised to sum 1 (`norm_topk_prob`), × routed_scaling_factor 1.0; no group limit "
      "(`n_group` = `topk_group` = 1: on one device there is no node traffic to limit) |")
    w(f"| vocabulary | {m['vocab_size']}: babel-moe's byte-level BPE, unchanged |")
    w(f"| parameters | {p['total']:,} total; {p['active']:,} active per token ({p['active_no_embed']:,} without the "
      f"embedding table). babel-moe: {bp['total']:,} total, {bp['active']:,} active "
      f"({(p['active'] / bp['active'] - 1) * 100:+.1f} %) |")
    w("| dtype | float16 weights (float32 compute; router and correction bias float32), `moe-lab convert --dtype fp16` |")
    w("| licence | Weights: GPL-2.0-or-later, as babel-moe (the most restrictive licence among the training texts; a "
      "conservative choice, not legal advice). The probes are the UDHR (copyright-free). |\n")
    L.extend(data_section(stats, meta))
    w("## Tokenizer\n")
    w("babel-moe's `tokenizer.json`, used as is (`training/tokenize_corpus.py --tokenizer "
      "public/models/babel-moe/tokenizer.json`): the token arrays are byte-identical to babel-moe's (same counts "
      "per language and split), so the two models read the same token ids and `moe-lab compare` works across them.\n")
    w("## Training\n")
    w("| | |\n|---|---|")
    w(f"| steps | {nstep} × {a['batch']} sequences × {a['ctx']} tokens = {nstep * a['batch'] * a['ctx'] / 1e6:.2f} M "
      f"tokens, the same as babel-moe (whose run was stopped by its 58-minute limit at step {bdone['step']}); LR schedule "
      f"planned for {a['steps']} steps, as babel-moe's |")
    w(f"| optimiser | AdamW (β 0.9/0.95, wd {a['wd']}), peak LR {a['lr']}, {a['warmup']} warm-up steps, cosine to "
      f"{a['min_lr_frac']}×, grad clip 1.0 (babel-moe's settings) |")
    w(f"| loss | cross-entropy only: no auxiliary balancing loss, not even DeepSeek-V3's tiny sequence-wise one, so "
      f"what balances the experts is the bias alone |")
    w(f"| balancing | after every optimiser step, per MoE layer: b_i += u · sign(mean load − load_i) over the batch's "
      f"selections, u = {a['bias_rate']} (Wang et al. 2024, *Auxiliary-Loss-Free Load Balancing*; DeepSeek-V3 §2.1.2). "
      f"A first run with their u = 0.001 (`training/runs/deepseek-moe-v0-u1e-3`, stopped at step 260) still had 32 of "
      f"the 160 routed experts under 0.5 % of the validation selections at step 250: over 3 000 steps, rather than "
      f"DeepSeek's hundreds of thousands, the bias must move five times faster |")
    w(f"| seed | {a['seed']} (data sampling, init; the data order is babel-moe's) |")
    w(f"| time / machine | {done['elapsed_s'] / 60:.0f} min wall clock on a shared 2-core AMD EPYC VM (no GPU), PyTorch "
      f"1.13 (Debian), 1 torch thread + OpenBLAS 2 threads; babel-moe's same token budget took "
      f"{bdone['elapsed_s'] / 60:.0f} min. Other engineers' builds and tests shared the cores during this run |")
    if vals:
        v = vals[-1]
        w(f"| validation loss (step {v['step']}) | {v['val_ce_mean']:.3f} nats/token mean over languages (babel-moe "
          f"at its last evaluation: {[r for r in blog if r.get('event') == 'val'][-1]['val_ce_mean']:.3f}) |")
        w(f"| router load on validation batches (step {v['step']}) | min expert share over all MoE layers "
          f"{v['min_load']:.4f} (uniform = {1 / m['n_routed_experts']:.4f}) |")
    w(f"| log | `training/runs/{args.run_id}/log.jsonl`: loss every 10 steps with the batch's MaxVio (mean over MoE "
      f"layers), validation every {a['eval_every']} steps with the load of every expert |")
    w(f"| final bias | per MoE layer, min … max of b: " + "; ".join(
        f"L{x['layer']} {x['min']:+.3f} … {x['max']:+.3f}" for x in bias["layers"]) + " |\n")

    w("## Against babel-moe\n")
    w("Held-out UDHR bits per byte (`npx moe-lab trace --loss`, articles 1–10 of each language, from each model's "
      "`cli_eval.json`; lower is better). The issue's bar: no language worse than babel-moe by more than 3 %.\n")
    w("| language | deepseek-moe | babel-moe | change |")
    w("|---|---|---|---|")
    deltas = []
    for lang in LANGS:
        d, b = ev["bitsPerByte"][lang]["bitsPerByte"], bev["bitsPerByte"][lang]["bitsPerByte"]
        deltas.append(d / b - 1)
        w(f"| {lang} | {d:.3f} | {b:.3f} | {(d / b - 1) * 100:+.1f} % |")
    md = sum(ev["bitsPerByte"][g]["bitsPerByte"] for g in LANGS) / len(LANGS)
    mb = sum(bev["bitsPerByte"][g]["bitsPerByte"] for g in LANGS) / len(LANGS)
    w(f"| **mean** | **{md:.3f}** | **{mb:.3f}** | **{(md / mb - 1) * 100:+.1f} %** |\n")
    w(f"Every language is better than on babel-moe: the changes run from {max(deltas) * 100:+.1f} % to "
      f"{min(deltas) * 100:+.1f} %.\n")
    w("Expert load on the same probe traces (`npx moe-lab analyze`). MaxVio = max load ÷ mean load − 1 (0 = perfectly "
      "even); smallest share is the least-used routed expert's share of the layer's selections (uniform: 1/32 = "
      "3.1 % here, 1/8 = 12.5 % for babel-moe).\n")
    w("| layer | deepseek-moe MaxVio | smallest share | babel-moe MaxVio | smallest share |")
    w("|---|---|---|---|---|")
    dl = {x["index"]: x for x in ev["load"]["layers"]}
    bl = {x["index"]: x for x in bev["load"]["layers"]}
    for i in range(m["num_hidden_layers"]):
        def cell(x):
            if x is None or not x.get("counts"):
                return "dense | –"
            return f"{maxvio(x['counts']):.3f} | {min(x['counts']) / sum(x['counts']) * 100:.2f} %"
        w(f"| {i} | {cell(dl.get(i))} | {cell(bl.get(i))} |")
    w("")
    if vals:
        v = vals[-1]
        bv = [r for r in blog if r.get("event") == "val"][-1]
        w(f"The same measures on held-out validation text of the training distribution (the trainer's last evaluation, "
          f"step {v['step']}: 4 sequences × 256 tokens per language), which is what the bias balances:\n")
        w("| layer | deepseek-moe MaxVio | smallest share | babel-moe MaxVio | smallest share |")
        w("|---|---|---|---|---|")
        for i in range(m["num_hidden_layers"]):
            bl_ = bv["expert_load"][i]
            bcell = f"{max(bl_) / (sum(bl_) / len(bl_)) - 1:.3f} | {min(bl_) * 100:.2f} %"
            if i < m["first_k_dense_replace"]:
                w(f"| {i} | dense | – | {bcell} |")
                continue
            dl_ = v["expert_load"][i - m["first_k_dense_replace"]]
            w(f"| {i} | {max(dl_) / (sum(dl_) / len(dl_)) - 1:.3f} | {min(dl_) * 100:.2f} % | {bcell} |")
        w("")
        w("So the bias does its job on the text it was trained on (no routed expert under "
          f"{min(min(r) for r in v['expert_load']) * 100:.1f} % of a layer's selections, against a uniform 3.1 %), "
          "but the UDHR is a different register (legal prose, no commands or code), and there the fine-grained experts' "
          "load is less even: in layers 3–5 a few experts get under 1 % of the probe selections (layer 5: 0.25 %), "
          "and MaxVio is about twice babel-moe's. None is dead: every routed expert is "
          "chosen on the probes. The issue's bar (≥ 1 % in every MoE layer) holds on the validation text and not on "
          "the UDHR probes.\n")
    w("## Rebuild\n")
    w("```sh\nbash training/build_deepseek.sh   # corpus, babel-moe's tokenizer, training, export, reference (2-core machine)\n"
      "npx moe-lab convert training/work/deepseek-moe-hf public/models/deepseek-moe --dtype fp16 --id deepseek-moe --probes training/work/deepseek-moe-hf/probes \\\n"
      "  --name 'deepseek-moe (12 languages, 32 experts top-4 + 1 shared, sigmoid + bias)' \\\n"
      "  --license 'see README.md: trained on Debian documentation under GPL-2+, CC-BY-SA-3.0 and other free licences' --source 'training/build_deepseek.sh (this repository)'\n"
      f"node training/js/cli_eval.mjs public/models/deepseek-moe training/runs/{args.run_id}/cli_eval.json\n"
      f"/usr/bin/python3 training/write_card_deepseek.py --run-id {args.run_id}\n"
      f"node training/js/card_cli_section.mjs training/runs/{args.run_id}/cli_eval.json public/models/deepseek-moe/README.md\n```\n")
    w("Recipe and code: `training/` (one model file, `model.py`, holds both decoders; one trainer, `train.py --arch`).")
    write_card(args.out, L)


if __name__ == "__main__":
    main()
