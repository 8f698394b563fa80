"""Byte-level BPE: trainer with incremental pair counting, encoder, and HF tokenizer.json writer.

The tokenizer.json written here is the Hugging Face `tokenizers` format, loadable by the Rust/Python
library and by @huggingface/tokenizers (npm):
  model BPE (vocab + merges as [left, right] pairs), pre_tokenizer ByteLevel (add_prefix_space false,
  trim_offsets true, use_regex true = GPT-2 split regex), decoder ByteLevel, post_processor
  TemplateProcessing that prepends <s> (as Mixtral/Llama tokenizers do), added special tokens
  <unk>=0, <s>=1, </s>=2; the 256 byte symbols follow at ids 3..258, then one token per merge.

Note for JS users: @huggingface/tokenizers cleans up tokenization spaces on decode unless the
tokenizer config says `clean_up_tokenization_spaces: false` (we write that in tokenizer_config.json).
"""
from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_SPLIT = regex.compile(GPT2_PATTERN)
SPECIALS = ["<unk>", "<s>", "</s>"]


def bytes_to_unicode() -> Dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text: str) -> List[str]:
    return _SPLIT.findall(text)


def word_counts(texts: Iterable[str], weight: int = 1, counts: Optional[Counter] = None) -> Counter:
    counts = counts if counts is not None else Counter()
    for t in texts:
        for w in _SPLIT.findall(t):
            counts[w] += weight
    return counts


def train_bpe(counts: Dict[str, int], vocab_size: int, min_count: int = 2, log_every: int = 0) -> List[Tuple[int, int]]:
    """Learn merges over byte symbols 0..255 (new symbol ids 256, 257, ...).
    counts: pre-token string -> frequency. Returns list of merges (a, b) in symbol ids.
    Incremental: pair counts and a pair -> words index are updated only for words touched by a merge;
    a lazy max-heap picks the best pair (ties: smallest (a, b))."""
    n_merges = vocab_size - 256 - len(SPECIALS)
    words: List[List[int]] = []
    freqs: List[int] = []
    for w, c in counts.items():
        b = list(w.encode("utf-8"))
        if len(b) >= 2:
            words.append(b)
            freqs.append(c)
    pair_count: Dict[Tuple[int, int], int] = defaultdict(int)
    where: Dict[Tuple[int, int], set] = defaultdict(set)
    for wi, (sym, f) in enumerate(zip(words, freqs)):
        for p in zip(sym, sym[1:]):
            pair_count[p] += f
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges: List[Tuple[int, int]] = []
    next_id = 256
    while len(merges) < n_merges and heap:
        negc, p = heapq.heappop(heap)
        c = pair_count.get(p, 0)
        if c != -negc:
            if c > 0:
                heapq.heappush(heap, (-c, p))
            continue
        if c < min_count:
            break
        a, b = p
        new = next_id
        next_id += 1
        merges.append(p)
        changed = set()
        for wi in list(where[p]):
            sym = words[wi]
            f = freqs[wi]
            # remove old pairs
            for q in zip(sym, sym[1:]):
                pair_count[q] -= f
                changed.add(q)
                s = where.get(q)
                if s is not None:
                    s.discard(wi)
            out = []
            i = 0
            L = len(sym)
            while i < L:
                if i + 1 < L and sym[i] == a and sym[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            words[wi] = out
            for q in zip(out, out[1:]):
                pair_count[q] += f
                where[q].add(wi)
                changed.add(q)
        pair_count.pop(p, None)
        where.pop(p, None)
        for q in changed:
            cq = pair_count.get(q, 0)
            if cq > 0:
                heapq.heappush(heap, (-cq, q))
            elif q in pair_count:
                del pair_count[q]
                where.pop(q, None)
        if log_every and len(merges) % log_every == 0:
            print(f"  merge {len(merges)}/{n_merges} count={c}", flush=True)
    return merges


class ByteBPE:
    """Encoder over a trained merge list. Token id = symbol id + len(SPECIALS)."""

    def __init__(self, merges: Sequence[Tuple[int, int]]):
        self.merges = [tuple(m) for m in merges]
        self.off = len(SPECIALS)
        self.sym_bytes: List[bytes] = [bytes([i]) for i in range(256)]
        for a, b in self.merges:
            self.sym_bytes.append(self.sym_bytes[a] + self.sym_bytes[b])
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.cache: Dict[str, List[int]] = {}
        self.bos_id, self.eos_id, self.unk_id = 1, 2, 0

    @property
    def vocab_size(self) -> int:
        return self.off + len(self.sym_bytes)

    def _bpe(self, word: str) -> List[int]:
        r = self.cache.get(word)
        if r is not None:
            return r
        sym = list(word.encode("utf-8"))
        ranks = self.ranks
        while len(sym) > 1:
            best = None
            bi = -1
            for i in range(len(sym) - 1):
                rk = ranks.get((sym[i], sym[i + 1]))
                if rk is not None and (best is None or rk < best):
                    best, bi = rk, i
            if best is None:
                break
            a, b = self.merges[best]
            new = 256 + best
            out = []
            i = 0
            while i < len(sym):
                if i + 1 < len(sym) and sym[i] == a and sym[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            sym = out
        r = [s + self.off for s in sym]
        if len(self.cache) < 2_000_000:
            self.cache[word] = r
        return r

    def encode(self, text: str, add_bos: bool = False) -> List[int]:
        ids = [self.bos_id] if add_bos else []
        for w in _SPLIT.findall(text):
            ids.extend(self._bpe(w))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        bs = b"".join(self.sym_bytes[i - self.off] for i in ids if i >= self.off)
        return bs.decode("utf-8", errors="replace")

    def token_bytes(self, i: int) -> bytes:
        return self.sym_bytes[i - self.off] if i >= self.off else b""

    def token_str(self, sym: int) -> str:
        return "".join(B2U[x] for x in self.sym_bytes[sym])

    def to_hf_json(self) -> dict:
        vocab = {s: i for i, s in enumerate(SPECIALS)}
        for sym in range(len(self.sym_bytes)):
            tok = self.token_str(sym)
            if tok in vocab:
                raise ValueError(f"duplicate token {tok!r}")
            vocab[tok] = sym + self.off
        merges = [[self.token_str(a), self.token_str(b)] for a, b in self.merges]
        added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, s in enumerate(SPECIALS)]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
            },
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": vocab, "merges": merges,
            },
        }

    @staticmethod
    def tokenizer_config(model_max_length: int) -> dict:
        return {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
            "add_bos_token": True, "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "model_max_length": model_max_length,
        }

    @classmethod
    def from_hf_json(cls, tj: dict) -> "ByteBPE":
        vocab = tj["model"]["vocab"]
        merges_s = tj["model"]["merges"]
        tok2sym = {}
        for tok, i in vocab.items():
            if tok not in SPECIALS:
                tok2sym[tok] = i - len(SPECIALS)
        merges = []
        for m in merges_s:
            a, b = (m.split(" ") if isinstance(m, str) else m)
            merges.append((tok2sym[a], tok2sym[b]))
        bpe = cls(merges)
        # sanity: ids agree
        for sym in range(len(bpe.sym_bytes)):
            if vocab[bpe.token_str(sym)] != sym + bpe.off:
                raise ValueError("tokenizer.json vocab order differs from merge order")
        return bpe

    def save(self, path: str):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "ByteBPE":
        with open(path, encoding="utf-8") as f:
            return cls.from_hf_json(json.load(f))
