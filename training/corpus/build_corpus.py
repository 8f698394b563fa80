"""Build the multilingual training corpus from installed Debian packages.

  /usr/bin/python3 training/corpus/build_corpus.py            (after install_packages.sh)

Steps per language: extract text from each source package (HTML, man pages, fortunes, text), one
paragraph per line; normalise whitespace; drop short/markup-ish lines; paragraph-level language ID
(script ratios for ru/ja/zh, function-word scores among the Latin-script languages) so untranslated
English strings in translated docs are not counted as e.g. Indonesian; exact dedupe of paragraphs;
remove every paragraph sharing an n-gram with the held-out UDHR probe texts (word 8-grams, or character
12-grams for ja/zh); cap each source and each language (balance); split documents into train/val
(hash-based, ~2% val).

Outputs (git-ignored): training/work/corpus/{train,val}.<lang>.txt — documents separated by a line
holding only "\\f" (form feed). Tracked: training/corpus/stats.json (per language: sources, packages,
versions, licences, bytes, paragraphs, UDHR overlap check).
"""
from __future__ import annotations

import gzip
import hashlib
import html.parser
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sources import LANGS, SOURCES, UDHR_CODE  # noqa: E402
from udhr import load_udhr  # noqa: E402

OUT = os.path.join(HERE, "..", "work", "corpus")
SOURCE_CAP = 1_000_000  # bytes of clean text per (language, package)
LANG_CAP = 5_000_000  # bytes of clean text per language
VAL_FRAC = 0.02
CHUNK = 24  # paragraphs per train/val unit
DOC_SEP = "\f"

# ------------------------------------------------------------------ extraction
BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "td", "th", "dt", "dd",
         "table", "title", "blockquote", "section", "article", "header", "footer", "figcaption", "caption",
         "dl", "hr", "body", "head", "span_block"}
SKIP = {"script", "style", "pre", "screen", "programlisting", "synopsis", "nav", "head"}  # inline <code> is kept


class _HTMLText(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(raw: str) -> str:
    p = _HTMLText()
    try:
        p.feed(raw)
        p.close()
    except Exception:
        return ""
    return "".join(p.parts)


_ROFF_FONT = re.compile(r"\\f(\[[^\]]*\]|\(..|.)")
_ROFF_SIZE = re.compile(r"\\s[+-]?\d+")
_ROFF_NAMED = re.compile(r"\\\[([^\]]*)\]|\\\((..)")
_ROFF_STR = re.compile(r"\\\*(\[[^\]]*\]|\(..|.)")
_ROFF_MISC = re.compile(r"\\[&|^~0c%:!\-e ]")
_ROFF_NAMES = {"em": "—", "en": "–", "aq": "'", "lq": "“", "rq": "”", "oq": "‘", "cq": "’", "dq": '"', "bu": "•",
               "hy": "-", "co": "©", "rg": "®", "tm": "™", "mi": "-", "pl": "+", "mu": "×", "de": "°", "ha": "^",
               "ti": "~", "rs": "\\", "dg": "†", "ga": "`", "aa": "´", "ua": "↑", "da": "↓", "ra": "→", "la": "←",
               "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "sh": "#", "at": "@", "ba": "|", "lh": "", "rh": ""}
_TEXT_MACROS = {"B", "I", "SM", "SB", "SH", "SS"}
_ALT_MACROS = {"BR", "BI", "IB", "IR", "RB", "RI"}
_PARA_MACROS = {"PP", "LP", "P", "TP", "IP", "SH", "SS", "HP", "sp", "br", "RS", "RE", "TH", "Dd", "Sh", "Pp"}


def _roff_inline(s: str) -> str:
    s = _ROFF_FONT.sub("", s)
    s = _ROFF_SIZE.sub("", s)
    s = _ROFF_STR.sub("", s)

    def named(m):
        k = m.group(1) or m.group(2)
        if k and k.startswith("u") and len(k) in (5, 6) and all(c in "0123456789ABCDEFabcdef" for c in k[1:]):
            return chr(int(k[1:], 16))
        return _ROFF_NAMES.get(k, "")
    s = _ROFF_NAMED.sub(named, s)
    s = s.replace("\\-", "-").replace("\\e", "\\")
    s = _ROFF_MISC.sub(lambda m: " " if m.group(0) == "\\ " else "", s)
    return s


def _split_args(s: str):
    out, cur, q = [], "", False
    for ch in s:
        if ch == '"':
            q = not q
        elif ch == " " and not q:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def roff_to_text(raw: str) -> str:
    paras, cur = [], []
    in_nofill = False
    for line in raw.split("\n"):
        if line.startswith(('.\\"', "'\\\"", '.\\#')):
            continue
        if line.startswith((".", "'")):
            parts = line[1:].strip().split(None, 1)
            if not parts:
                continue
            mac = parts[0]
            args = parts[1] if len(parts) > 1 else ""
            if mac in ("nf", "EX"):
                in_nofill = True
            elif mac in ("fi", "EE"):
                in_nofill = False
            if mac in _PARA_MACROS:
                if cur:
                    paras.append(cur)
                cur = []
            if mac in _TEXT_MACROS and args:
                txt = " ".join(_split_args(args))
            elif mac in _ALT_MACROS and args:
                txt = "".join(_split_args(args))
            else:
                continue
            if mac in ("SH", "SS"):
                continue  # headings ("NAME", "SYNOPSIS") are boilerplate
            cur.append(_roff_inline(txt))
            continue
        if in_nofill:
            continue  # code examples
        t = _roff_inline(line).strip()
        if not t:
            if cur:
                paras.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        paras.append(cur)
    return "\n".join(join_lines(p) for p in paras)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F


def join_lines(lines) -> str:
    out = ""
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        if out and not (_is_cjk(out[-1]) and _is_cjk(ln[0])):
            out += " "
        out += ln
    return out


def read_file(path: str):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except Exception:
            return None
    for enc in ("utf-8",):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    # legacy man pages / fortunes: try the html/meta charset or give up (a .u8 twin usually exists)
    m = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", data[:2000])
    if m:
        try:
            return data.decode(m.group(1).decode())
        except (LookupError, UnicodeDecodeError):
            return None
    return None


def extract_file(path: str):
    """Returns list of documents (each a list of paragraph strings)."""
    low = path.lower()
    if "/usr/share/games/fortunes/" in path:
        if low.endswith(".dat") or "/off/" in path:
            return []
        raw = read_file(path)
        if raw is None:
            return []
        docs = []
        for fort in re.split(r"\n%\n", raw):
            lines = [ln.strip() for ln in fort.split("\n")]
            txt = join_lines(ln for ln in lines if ln)
            if txt:
                docs.append([txt])
        return docs
    if "/usr/share/man/" in path:
        raw = read_file(path)
        if raw is None or raw.startswith(".so "):
            return []
        return [roff_to_text(raw).split("\n")]
    if low.endswith((".html", ".htm", ".html.gz", ".xhtml")):
        raw = read_file(path)
        if raw is None:
            return []
        txt = html_to_text(raw)
        paras = []
        block = []
        for ln in txt.split("\n"):
            if ln.strip():
                block.append(ln)
            elif block:
                paras.append(join_lines(block))
                block = []
        if block:
            paras.append(join_lines(block))
        return [paras]
    if low.endswith((".txt", ".txt.gz")) and "_sources" not in path:
        raw = read_file(path)
        if raw is None:
            return []
        paras = [join_lines(p.split("\n")) for p in re.split(r"\n\s*\n", raw)]
        return [paras]
    return []


# ------------------------------------------------------------------ cleaning / language id
_WS = re.compile(r"\s+")
_STOP = {
    "en": "the of and to in is that for it with as are on be this by not or from you can which an",
    "de": "der die und das ist nicht ein eine zu den von mit sich des auf für im dem werden wird auch sie",
    "fr": "le la les de des et est une un pour dans que qui du en pas sur par au avec ce sont vous",
    "es": "el la los las de del y que en es un una por para con se no su al lo como más",
    "it": "il di che la è per un una non del della con sono si le gli da nel alla questo anche",
    "pt": "o a os as de do da que em um uma para com não é se no na dos das por mais ao",
    "nl": "de het een van en is dat niet op te zijn met voor die er ook als aan worden wordt je",
    "pl": "i w nie na się z do że jest to o jak od po dla lub przez są może być",
    "id": "yang dan di untuk dengan ini itu dari dalam tidak pada akan adalah atau ke dapat juga anda",
}
_STOPSETS = {k: set(v.split()) for k, v in _STOP.items()}
_WORD = re.compile(r"\w+", re.UNICODE)


def script_counts(s: str):
    c = Counter()
    for ch in s:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF:
            c["kana"] += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            c["han"] += 1
        elif 0x0400 <= o <= 0x04FF:
            c["cyr"] += 1
        elif ch.isalpha():
            c["lat"] += 1
    return c


def lang_ok(p: str, lang: str) -> bool:
    c = script_counts(p)
    letters = sum(c.values())
    if letters < 8:
        return False
    if lang == "ja":
        return (c["kana"] + c["han"]) / letters > 0.4 and c["kana"] > 0
    if lang == "zh":
        return c["han"] / letters > 0.4 and c["kana"] == 0
    if lang == "ru":
        return c["cyr"] / letters > 0.6
    if (c["lat"]) / letters < 0.9:
        return False
    words = [w.lower() for w in _WORD.findall(p)]
    if len(words) < 4:
        return False
    scores = {k: sum(1 for w in words if w in s) for k, s in _STOPSETS.items()}
    best = max(scores.values())
    if best == 0:
        return False
    return scores[lang] == best and scores[lang] >= max(1, len(words) // 25)


def clean_para(p: str):
    p = unicodedata.normalize("NFC", p)
    p = _WS.sub(" ", p).strip()
    if "\ufffd" in p or len(p) < 20:
        return None
    if sum(ch.isalpha() for ch in p) < 0.5 * len(p):
        return None
    return p


# ------------------------------------------------------------------ UDHR overlap
def ngrams(text: str, lang: str):
    t = _WS.sub(" ", text.lower())
    if lang in ("ja", "zh"):
        t = t.replace(" ", "")
        n = 12
        return {t[i:i + n] for i in range(len(t) - n + 1)}
    w = _WORD.findall(t)
    n = 8
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


# ------------------------------------------------------------------ packages
def pkg_files(pkg: str):
    try:
        out = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True, check=True).stdout
    except subprocess.CalledProcessError:
        return None
    return [f for f in out.split("\n") if f and os.path.isfile(f)]


def pkg_version(pkg: str):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                              check=True).stdout
    except subprocess.CalledProcessError:
        return None


_LIC_PAT = [("GPL-3", r"GPL-?3|GNU General Public License,? version 3|version 3 of the License"),
            ("GPL-2", r"GPL-?2|version 2 of the License|GNU General Public License,? version 2"),
            ("GPL", r"GNU General Public License|\bGPL\b"), ("LGPL", r"LGPL|Lesser General Public"),
            ("GFDL", r"GFDL|GNU Free Documentation License"), ("CC-BY-SA", r"CC-BY-SA|Creative Commons Attribution-ShareAlike"),
            ("MIT/Expat", r"\bExpat\b|\bMIT\b"), ("BSD", r"\bBSD\b"), ("public-domain", r"public[ -]domain"),
            ("verbatim-and-modified-copying permission notice", r"Permission is granted to make and distribute verbatim copies"),
            ("same licences as the original man pages (per page, DFSG-free)", r"same license as the original"),
            ("Artistic", r"Artistic"), ("MPL", r"Mozilla Public License"), ("Apache-2.0", r"Apache")]


def pkg_licences(pkg: str):
    path = f"/usr/share/doc/{pkg}/copyright"
    if not os.path.exists(path):
        # some doc packages share a doc dir (e.g. debian-faq-* -> /usr/share/doc/debian)
        return {"file": None, "licenses": []}
    with open(path, encoding="utf-8", errors="replace") as f:
        txt = f.read()
    dep5 = sorted({m.strip() for m in re.findall(r"^License:\s*(.+)$", txt, re.M)})
    found = [name for name, pat in _LIC_PAT if re.search(pat, txt)]
    return {"file": path, "licenses": dep5 if dep5 else found}


# ------------------------------------------------------------------ main
def main():
    os.makedirs(OUT, exist_ok=True)
    udhr = load_udhr()
    stats = {"langs": {}, "params": {"source_cap_bytes": SOURCE_CAP, "lang_cap_bytes": LANG_CAP,
                                     "val_fraction": VAL_FRAC, "udhr_ngram": "word 8-grams; ja/zh: char 12-grams"}}
    for lang in LANGS:
        udhr_ng = set()
        for art in udhr[lang]:
            udhr_ng |= ngrams(art["text"], lang)
        seen = set()
        lang_docs = []  # (source, doc paragraphs)
        src_stats = []
        total = 0
        for pkg, filt in SOURCES[lang]:
            files = pkg_files(pkg)
            info = {"package": pkg, "version": pkg_version(pkg), "filter": filt, **pkg_licences(pkg)}
            if files is None:
                info["missing"] = True
                src_stats.append(info)
                print(f"[{lang}] {pkg}: NOT INSTALLED", flush=True)
                continue
            if filt:
                files = [f for f in files if filt in f]
            files.sort()
            nb = npara = nfile = drop_lang = drop_dup = drop_udhr = 0
            for path in files:
                if nb >= SOURCE_CAP or total >= LANG_CAP:
                    break
                docs = extract_file(path)
                if docs:
                    nfile += 1
                for doc in docs:
                    keep = []
                    for p in doc:
                        p = clean_para(p)
                        if p is None:
                            continue
                        if not lang_ok(p, lang):
                            drop_lang += 1
                            continue
                        h = hashlib.sha1(p.lower().encode()).digest()[:10]
                        if h in seen:
                            drop_dup += 1
                            continue
                        seen.add(h)
                        if ngrams(p, lang) & udhr_ng:
                            drop_udhr += 1
                            continue
                        keep.append(p)
                    if keep:
                        b = sum(len(p.encode()) + 1 for p in keep)
                        nb += b
                        total += b
                        npara += len(keep)
                        lang_docs.append((pkg, keep))
            info.update(files_used=nfile, bytes=nb, paragraphs=npara, dropped_language_id=drop_lang,
                        dropped_duplicate=drop_dup, dropped_udhr_overlap=drop_udhr)
            src_stats.append(info)
            print(f"[{lang}] {pkg}: {nfile} files, {nb/1e6:.2f} MB, {npara} paras "
                  f"(-lang {drop_lang}, -dup {drop_dup}, -udhr {drop_udhr})", flush=True)
        # train/val split by hash of chunks of up to CHUNK paragraphs (documents are cut into chunks)
        tr, va = [], []
        chunks = [(pkg, doc[i:i + CHUNK]) for pkg, doc in lang_docs for i in range(0, len(doc), CHUNK)]
        for pkg, doc in chunks:
            h = int(hashlib.md5(("\n".join(doc[:3])).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            (va if h < VAL_FRAC else tr).append("\n".join(doc))
        for split, docs in (("train", tr), ("val", va)):
            with open(os.path.join(OUT, f"{split}.{lang}.txt"), "w", encoding="utf-8") as f:
                f.write(f"\n{DOC_SEP}\n".join(docs))
        # final overlap check on what was written
        overlap = 0
        for d in tr + va:
            overlap += len(ngrams(d, lang) & udhr_ng)
        stats["langs"][lang] = {
            "udhr_code": UDHR_CODE[lang],
            "train_bytes": sum(len(d.encode()) + 3 for d in tr), "val_bytes": sum(len(d.encode()) + 3 for d in va),
            "train_docs": len(tr), "val_docs": len(va),
            "udhr_ngram_overlap_after_filter": overlap, "udhr_ngrams": len(udhr_ng),
            "sources": src_stats,
        }
        print(f"[{lang}] total {total/1e6:.2f} MB; train {len(tr)} docs, val {len(va)} docs; overlap {overlap}", flush=True)
    with open(os.path.join(HERE, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
