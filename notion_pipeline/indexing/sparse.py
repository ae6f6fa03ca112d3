"""BM25-style sparse vectors computed locally; Qdrant adds the IDF part (``Modifier.IDF``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# Bump when tokenization, stemming or weighting changes, so stored sparse vectors are rebuilt.
SPARSE_ALGORITHM_VERSION = "bm25-1"

# Term ids live in [0, 2^31 - 1), which fits the unsigned 32-bit indices Qdrant accepts.
TERM_ID_MODULUS = 2**31 - 1

_WORD_PATTERN = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ational", "ization", "fulness", "ingly", "ments", "ment", "ness", "ings",
             "ing", "edly", "ies", "ied", "ly", "es", "ed", "s")
_MIN_STEM_LENGTH = 3


def _is_cjk(character: str) -> bool:
    name = unicodedata.name(character, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def _stem(word: str) -> str:
    # Light suffix stripping: enough to match "indexing" with "indexed", cheap, deterministic.
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM_LENGTH:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Split text into lowercase stemmed terms; CJK characters become one term each."""
    terms: list[str] = []
    for match in _WORD_PATTERN.finditer(unicodedata.normalize("NFKC", text).casefold()):
        word = match.group()
        if any(_is_cjk(character) for character in word):
            # CJK text has no spaces between words, so single characters are the terms.
            buffer = ""
            for character in word:
                if _is_cjk(character):
                    if buffer:
                        terms.append(_stem(buffer))
                        buffer = ""
                    terms.append(character)
                else:
                    buffer += character
            if buffer:
                terms.append(_stem(buffer))
        else:
            terms.append(_stem(word))
    return terms


def term_id(term: str) -> int:
    """Map a term to a stable id; Python's ``hash()`` is salted per process, so use BLAKE2."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % TERM_ID_MODULUS


@dataclass(frozen=True)
class SparseVector:
    """Term ids sorted ascending, with one weight each."""

    indices: list[int]
    values: list[float]


class SparseEncoder:
    """Weighs terms with the BM25 term-frequency part against an assumed average length."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, average_length: float = 120.0) -> None:
        if average_length <= 0:
            raise ValueError(f"average_length must be positive, got {average_length}.")
        self.k1 = k1
        self.b = b
        self.average_length = average_length
        self.version = f"{SPARSE_ALGORITHM_VERSION}:k1={k1}:b={b}:avg={average_length}"

    def encode_document(self, text: str) -> SparseVector:
        """Weigh each term of a chunk by its saturated, length-normalized frequency."""
        terms = tokenize(text)
        length_norm = 1 - self.b + self.b * len(terms) / self.average_length
        weights: dict[int, float] = {}
        for term, frequency in Counter(terms).items():
            weight = frequency * (self.k1 + 1) / (frequency + self.k1 * length_norm)
            # Two terms can share an id; their weights add up like one term's would.
            index = term_id(term)
            weights[index] = weights.get(index, 0.0) + weight
        return _to_vector(weights)

    def encode_query(self, text: str) -> SparseVector:
        """Give each distinct query term weight 1, so the score is the sum of IDF-weighted matches."""
        return _to_vector({term_id(term): 1.0 for term in set(tokenize(text))})


def _to_vector(weights: dict[int, float]) -> SparseVector:
    indices = sorted(weights)
    return SparseVector(indices=indices, values=[weights[index] for index in indices])
