"""Train the byte-level BPE tokenizer on the balanced corpus and tokenise the corpus for training.

  /usr/bin/python3 training/tokenize_corpus.py [--vocab 8192] [--per-lang-bytes 1200000]

Reads training/work/corpus/{train,val}.<lang>.txt (documents separated by "\\n\\f\\n").
Tokenizer training text: the first --per-lang-bytes of every language's training split (so CJK and
Latin scripts get merges in proportion to bytes, not to raw corpus size).
Writes
  training/work/tokenizer/tokenizer.json, tokenizer_config.json   (HF format, see bpe.py)
  training/work/data/{train,val}.<lang>.u16   token ids (uint16), documents separated by </s> (id 2)
  training/work/data/meta.json               langs, vocab, newline token ids, token/byte counts
  training/work/data/roundtrip_cases.json    per-language texts + Python ids for the JS check
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from bpe import ByteBPE, train_bpe, word_counts  # noqa: E402
from sources import LANGS  # noqa: E402
from udhr import load_udhr  # noqa: E402

CORPUS = os.path.join(HERE, "work", "corpus")
TOK = os.path.join(HERE, "work", "tokenizer")
DATA = os.path.join(HERE, "work", "data")


def read_docs(split, lang):
    with open(os.path.join(CORPUS, f"{split}.{lang}.txt"), encoding="utf-8") as f:
        return [d for d in f.read().split("\n\f\n") if d.strip()]


def train_tokenizer(args) -> ByteBPE:
    """Byte-level BPE on the first --per-lang-bytes of every language's training split."""
    t0 = time.time()
    counts = None
    for lang in LANGS:
        docs = read_docs("train", lang)
        take, n = [], 0
        for d in docs:
            if n >= args.per_lang_bytes:
                break
            take.append(d)
            n += len(d.encode())
        counts = word_counts(take, counts=counts)
        print(f"tokenizer text {lang}: {n/1e6:.2f} MB", flush=True)
    print(f"{len(counts)} distinct pre-tokens; training BPE to {args.vocab}", flush=True)
    tok = ByteBPE(train_bpe(counts, args.vocab, min_count=2, log_every=1000))
    print(f"BPE trained: vocab {tok.vocab_size} in {time.time()-t0:.0f}s", flush=True)
    return tok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--per-lang-bytes", type=int, default=1_200_000)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--tokenizer", default=None,
                    help="use this tokenizer.json instead of training one (e.g. public/models/babel-moe/tokenizer.json)")
    args = ap.parse_args()
    os.makedirs(TOK, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)

    t0 = time.time()
    tok = ByteBPE.load(args.tokenizer) if args.tokenizer else train_tokenizer(args)
    if args.tokenizer:
        print(f"tokenizer: {args.tokenizer} (vocab {tok.vocab_size})", flush=True)
    tok.save(os.path.join(TOK, "tokenizer.json"))
    with open(os.path.join(TOK, "tokenizer_config.json"), "w") as f:
        json.dump(ByteBPE.tokenizer_config(args.ctx), f, indent=2)

    meta = {"langs": LANGS, "vocab_size": tok.vocab_size, "eos_id": 2, "bos_id": 1, "tokens": {}, "bytes": {}}
    meta["newline_token_ids"] = [i for i in range(3, tok.vocab_size) if tok.token_bytes(i).endswith(b"\n")]
    cases = []
    udhr = load_udhr()
    for lang in LANGS:
        for split in ("train", "val"):
            docs = read_docs(split, lang)
            ids = []
            nbytes = 0
            for d in docs:
                ids.extend(tok.encode(d))
                ids.append(2)
                nbytes += len(d.encode())
            arr = np.array(ids, dtype=np.uint16)
            arr.tofile(os.path.join(DATA, f"{split}.{lang}.u16"))
            meta["tokens"][f"{split}.{lang}"] = len(ids)
            meta["bytes"][f"{split}.{lang}"] = nbytes
            if split == "val":
                # round trip on the whole validation split
                for d in docs:
                    if tok.decode(tok.encode(d)) != d:
                        raise SystemExit(f"round trip failed for {lang}: {d[:80]!r}")
                for d in docs[:3]:
                    cases.append({"name": f"val.{lang}", "text": d[:2000], "ids": tok.encode(d[:2000], add_bos=True)})
        for art in udhr[lang][:4]:
            cases.append({"name": f"udhr.{lang}.{art['id']}", "text": art["text"],
                          "ids": tok.encode(art["text"], add_bos=True)})
        tr = meta["tokens"][f"train.{lang}"]
        print(f"{lang}: train {tr} tokens, {meta['bytes'][f'train.{lang}']/max(tr,1):.2f} bytes/token", flush=True)
    with open(os.path.join(DATA, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(DATA, "roundtrip_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"add_special_tokens": True, "cases": cases}, f, ensure_ascii=False)
    print(f"done in {time.time()-t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
