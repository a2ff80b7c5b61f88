"""Chinese tokenisation for the search index.

Index side: a field becomes one space-separated token stream the database tokenises on spaces:
  1. character grams: each CJK run gives its overlapping bigrams plus its last character
     (身份证 → 身份 份证 证), so every character starts exactly one gram and any substring of two or
     more characters is a phrase of consecutive grams; Latin letters and digits give whole words;
  2. then " | " and the whole words: Latin/digit words and the jieba search-mode words
     (cut_for_search, government dictionary) of two or more CJK characters, which ranking uses to
     prefer real words over accidental substrings (低保 in 低保金, not in 降低保费).
Query side: jieba (precise mode, government dictionary) splits the query into terms that are ANDed;
each term is matched as a phrase of grams, so matching never depends on how jieba happened to
segment the document. See docs/adr/0009-chinese-search.md.
"""

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GOV_DICT = DATA_DIR / "gov_dict.txt"

MAX_QUERY_CHARS = 100
MAX_TERMS = 8
# PostgreSQL clamps tsvector positions at 16383; a field of N characters yields about 1.7 N tokens.
MAX_FIELD_CHARS = 8000
WORDS_MARK = "|"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
_CJK_ONLY = re.compile(rf"[{_CJK}]+")
_NON_TOKEN = re.compile(r"[\W_]+")  # \w is exactly CJK characters plus letters and digits

_lock = threading.Lock()
_tokenizer = None


def _lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def tokenizer():
    """The process-wide jieba tokenizer with the government dictionary, built on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.initialize()  # jieba caches the parsed main dictionary under the temp directory
                for line in _lines(GOV_DICT):
                    word, _, freq = line.partition(" ")
                    instance.add_word(word, int(freq) if freq.strip().isdigit() else None)
                _tokenizer = instance
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width forms to ASCII (NFKC) and lower case: the form both index and queries use."""
    return unicodedata.normalize("NFKC", text or "").lower()


def runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) pairs of an already normalised text; everything else separates runs."""
    return [(match.lastgroup == "cjk", match.group()) for match in _RUN.finditer(text)]


def squash(text: str) -> str:
    """The normalised text with everything but CJK characters, letters and digits removed."""
    return _NON_TOKEN.sub("", normalise(text))


def grams_of_run(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def grams(text: str) -> list[str]:
    tokens: list[str] = []
    for is_cjk, run in runs(text):
        tokens.extend(grams_of_run(run) if is_cjk else [run])
    return tokens


def index_tokens(text: str) -> str:
    """The token stream stored for one field (title or body): grams, then " | ", then whole words.

    The bar is not a token to either database; it only lets ranking read the words back cheaply.
    """
    text = normalise(text)[:MAX_FIELD_CHARS]
    pieces = runs(text)
    if not pieces:
        return ""
    grams: list[str] = []
    words = [run for is_cjk, run in pieces if not is_cjk]
    for is_cjk, run in pieces:
        grams.extend(grams_of_run(run) if is_cjk else [run])
    words.extend(w for w in tokenizer().cut_for_search(text, HMM=False) if len(w) >= 2 and _CJK_ONLY.fullmatch(w))
    return f"{' '.join(grams)} {WORDS_MARK} {' '.join(words)}".rstrip()


def stored_words(stream: str) -> set[str]:
    """The whole words of a field read back from its stored stream (low-level 低保 in 低保金, not in 降低保费)."""
    return set(stream.partition(f" {WORDS_MARK} ")[2].split())


@cache
def stopwords() -> frozenset[str]:
    return frozenset(_lines(DATA_DIR / "stopwords.txt"))


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {}
    for line in _lines(DATA_DIR / "synonyms.txt"):
        group = tuple(dict.fromkeys(normalise(word) for word in line.split()))
        for word in group:
            groups[word] = (word, *(other for other in group if other != word))
    return groups


@dataclass(frozen=True)
class Term:
    """One required query term; it matches when any of its alternatives (itself or a synonym) does."""

    text: str
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]
    phrase: str  # the query without stopwords and punctuation: an exact occurrence of it ranks highest


def _segment(text: str) -> list[tuple[bool, str]]:
    pieces: list[tuple[bool, str]] = []
    for chunk in text.split():
        for is_cjk, run in runs(chunk):
            if is_cjk:
                pieces.extend((True, word) for word in tokenizer().cut(run, HMM=False))
            else:
                pieces.append((False, run))
        pieces.append((False, ""))  # a space the user typed: never merge single characters across it
    return pieces


def _terms(pieces: list[tuple[bool, str]], stop: frozenset[str]) -> list[str]:
    """Drop stopwords; rejoin runs of single characters jieba did not know (网/约/车 → 网约车)."""
    terms: list[str] = []
    singles: list[str] = []

    def flush() -> None:
        if singles:
            terms.append("".join(singles))
            singles.clear()

    for is_cjk, piece in pieces:
        if piece in stop:
            flush()
        elif is_cjk and len(piece) == 1:
            singles.append(piece)
        else:
            flush()
            if piece:
                terms.append(piece)
    flush()
    # An isolated single character next to real words is noise (办护照 → 护照); alone it is the query.
    if any(len(term) > 1 for term in terms):
        terms = [term for term in terms if len(term) > 1 or not _CJK_ONLY.fullmatch(term)]
    return terms


def parse_query(query: str) -> ParsedQuery:
    """Split a user's query into ANDed terms. Anything that is not a letter, digit or CJK character is ignored."""
    text = normalise(query)[:MAX_QUERY_CHARS]
    pieces = _segment(text)
    stop = stopwords()
    terms = _terms(pieces, stop)
    if not terms:  # only stopwords: search for them after all
        stop = frozenset()
        terms = _terms(pieces, stop)
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    table = synonyms()
    return ParsedQuery(
        terms=tuple(Term(term, table.get(term, (term,))) for term in unique),
        phrase="".join(piece for _, piece in pieces if piece not in stop),
    )
