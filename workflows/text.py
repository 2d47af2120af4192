"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics, for search: "Ngày hội" and "ngay hoi" fold alike."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_words(text: str) -> list[str]:
    """The words a search must each find, folded, each once: "Ngày hội  2023" → ["ngay",
    "hoi", "2023"]. A title matches when it holds every one, in any order."""
    return list(dict.fromkeys(fold(text).split()))
