"""HTML-safe highlighting: <mark> around matched terms, everything else escaped."""

import re
import unicodedata
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Characters NFKC may compose with their neighbour (combining marks, jamo, kana sound marks).
_COMPOSING_CLASS = (
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0dff"
    "\u1100-\u11ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u302a-\u302f\u3099\u309a\ufe20-\ufe2f"
    "\uff9e\uff9f]"
)
_COMPOSING = re.compile(_COMPOSING_CLASS)
_CLUSTER = re.compile(f"(?s).{_COMPOSING_CLASS}*")  # a character with whatever may compose onto it
SNIPPET_CHARS = 120
SNIPPET_LEAD = 30  # characters of context shown before the first match


def _normalised_with_map(text: str) -> tuple[str, list[int], list[int]]:
    """The text as the index sees it (NFKC, lower case) and, per normalised character, the start and end
    of the original characters it came from."""
    normal = unicodedata.normalize("NFKC", text).lower()
    if len(normal) == len(text) and not _COMPOSING.search(text):
        # Nothing composes (shrinks) and the length is unchanged, so nothing expanded either: one to one.
        return normal, list(range(len(text))), list(range(1, len(text) + 1))
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for cluster in _CLUSTER.finditer(text):
        piece = unicodedata.normalize("NFKC", cluster.group()).lower()
        chars.append(piece)
        starts.extend([cluster.start()] * len(piece))
        ends.extend([cluster.end()] * len(piece))
    return "".join(chars), starts, ends


def find_spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) spans where any needle occurs in the text as given."""
    spans: list[tuple[int, int]] = []
    for needle in {n for n in needles if n}:
        start = text.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = text.find(needle, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def match_spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of the original text where a (normalised) needle occurs in its normalised form."""
    normal, starts, ends = _normalised_with_map(text)
    return [(starts[start], ends[end - 1]) for start, end in find_spans(normal, needles)]


def _marked(text: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if end <= cursor or start >= len(text):
            continue
        start = max(start, cursor)
        parts.append(escape(text[cursor:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)


def highlight(text: str, needles: Iterable[str]) -> SafeString:
    return mark_safe(_marked(text, match_spans(text, needles)))  # every piece is escaped


def snippet(text: str, needles: Iterable[str], length: int = SNIPPET_CHARS) -> SafeString:
    """A window of the text around its first match (or its beginning), highlighted, on one line."""
    text = " ".join(text.split())
    spans = match_spans(text, needles)
    start = max(spans[0][0] - min(SNIPPET_LEAD, length // 4), 0) if spans else 0
    start = max(min(start, len(text) - length), 0)
    window = text[start : start + length]
    html = _marked(window, spans, offset=start)
    if start > 0:
        html = "…" + html
    if start + length < len(text):
        html += "…"
    return mark_safe(html)  # every piece is escaped
