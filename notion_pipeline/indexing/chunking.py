"""Split a rendered page into chunks that follow its structure and fit the embedding model.

Sections are grouped by heading path, small neighbours are merged, and a section too big for one
chunk is split by its kind: tables between rows (repeating the header row), code between lines,
prose by paragraphs, lines, sentences and words. Sizes are counted in word pieces of the
embedding model's own tokenizer, on the final text including its context line.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from notion_pipeline.errors import ConfigurationError
from notion_pipeline.notion.document import RenderedDocument, Section

if TYPE_CHECKING:
    from notion_pipeline.indexing.embedding import Embedder
    from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)

# Bump when the output of ``Chunker.chunk`` changes for the same input, so points are rebuilt.
CHUNKER_ALGORITHM_VERSION = "structure-1"

CONTEXT_SEPARATOR = " > "
MIN_CHUNK_TOKENS = 16

_TABLE_DIVIDER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PROSE_SEPARATORS = ["\n\n", "\n", ". ", "。", "! ", "? ", "; ", ", ", " "]


@dataclass(frozen=True)
class Chunk:
    """One unit of embedding: ``text`` is the model input, ``body`` the text shown in results."""

    text: str
    body: str
    heading_path: tuple[str, ...]
    block_ids: tuple[str, ...]


@dataclass(frozen=True)
class _Piece:
    markdown: str
    block_ids: tuple[str, ...]


class Chunker:
    """Turns a ``RenderedDocument`` into chunks of at most ``max_tokens`` word pieces each."""

    def __init__(self, tokenizer: Any, max_tokens: int, overlap_tokens: int) -> None:
        if max_tokens < MIN_CHUNK_TOKENS:
            raise ConfigurationError(
                f"CHUNK_MAX_TOKENS must be at least {MIN_CHUNK_TOKENS}, got {max_tokens}."
            )
        if not 0 <= overlap_tokens < max_tokens // 2:
            raise ConfigurationError(
                f"CHUNK_OVERLAP_TOKENS must be between 0 and half of CHUNK_MAX_TOKENS "
                f"({max_tokens // 2}), got {overlap_tokens}."
            )
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

        settings_key = "|".join(
            [
                CHUNKER_ALGORITHM_VERSION,
                str(max_tokens),
                str(overlap_tokens),
                type(tokenizer).__name__,
                str(len(tokenizer)),
            ]
        )
        self.version = hashlib.sha256(settings_key.encode("utf-8")).hexdigest()[:16]

    @classmethod
    def for_embedder(cls, embedder: Embedder, max_tokens: int, overlap_tokens: int) -> Chunker:
        """Build a chunker whose chunks never exceed the embedder's input limit."""
        limit = min(max_tokens, embedder.max_tokens)
        if limit < max_tokens:
            logger.info(
                "CHUNK_MAX_TOKENS %d exceeds the %d word pieces model %s reads; using %d",
                max_tokens, embedder.max_tokens, embedder.model_id, limit,
            )
        # The chunker gets its own copy of the tokenizer: a fast tokenizer's padding and
        # truncation settings are shared state, and the model may encode in another thread
        # while pages are chunked.
        tokenizer = copy.deepcopy(embedder.tokenizer)
        return cls(tokenizer, limit, min(overlap_tokens, limit // 2 - 1))

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> Chunker:
        """Build a chunker from ``CHUNK_MAX_TOKENS`` and ``CHUNK_OVERLAP_TOKENS``."""
        return cls.for_embedder(embedder, settings.chunk_max_tokens, settings.chunk_overlap_tokens)

    def count_tokens(self, text: str) -> int:
        """Count the word pieces of ``text``, without the model's special tokens."""
        return len(self._encode(text)["input_ids"])

    def chunk(self, document: RenderedDocument) -> list[Chunk]:
        """Split ``document`` into chunks in reading order; a page without text has none."""
        chunks: list[Chunk] = []
        for heading_path, sections in _group_sections(document.sections):
            prefix = self._context_line(document.title, heading_path)
            pieces: list[_Piece] = []
            for section in sections:
                for markdown in self._split_section(prefix, section):
                    pieces.append(_Piece(markdown, section.block_ids))
            for body, block_ids in self._pack(prefix, pieces):
                chunks.append(
                    Chunk(
                        text=_join_context(prefix, body),
                        body=body,
                        heading_path=heading_path,
                        block_ids=block_ids,
                    )
                )
        return chunks

    # Context line

    def _context_line(self, title: str, heading_path: tuple[str, ...]) -> str:
        parts = [" ".join(part.split()) for part in (title, *heading_path)]
        line = CONTEXT_SEPARATOR.join(part for part in parts if part)

        # A very long title or heading path must still leave most of the chunk to the body.
        limit = self.max_tokens // 4
        if self.count_tokens(line) > limit:
            offsets = self._encode(line)["offset_mapping"]
            line = line[: offsets[limit - 2][1]].rstrip() + " …"
        return line

    def _fits(self, prefix: str, body: str) -> bool:
        return self.count_tokens(_join_context(prefix, body)) <= self.max_tokens

    def _body_budget(self, prefix: str) -> int:
        return self.max_tokens - self.count_tokens(prefix)

    # Splitting one section

    def _split_section(self, prefix: str, section: Section) -> list[str]:
        markdown = section.markdown.strip()
        if self._fits(prefix, markdown):
            return [markdown]

        if section.kind == "table" or _looks_like_table(markdown):
            pieces = self._split_table(prefix, markdown)
        elif section.kind == "code" or markdown.startswith("```"):
            pieces = self._split_code(prefix, markdown)
        else:
            pieces = self._split_prose(prefix, markdown)

        fitted: list[str] = []
        for piece in pieces:
            fitted.extend(self._split_hard(prefix, piece))
        return fitted

    def _split_table(self, prefix: str, markdown: str) -> list[str]:
        lines = markdown.split("\n")
        header_size = 2 if len(lines) > 1 and _TABLE_DIVIDER.match(lines[1]) else 1
        header, rows = lines[:header_size], lines[header_size:]

        # A header that fills most of a chunk leaves no room for rows, so repeat it no more.
        if self.count_tokens("\n".join(header)) > self._body_budget(prefix) // 2:
            return self._split_prose(prefix, markdown)

        pieces: list[str] = []
        current: list[str] = []
        for row in rows:
            if self._fits(prefix, "\n".join(header + current + [row])):
                current.append(row)
                continue
            if current:
                pieces.append("\n".join(header + current))
            if self._fits(prefix, "\n".join(header + [row])):
                current = [row]
            else:
                # NOTE: one row longer than a chunk is split like prose, without the header.
                pieces.extend(self._split_prose(prefix, row))
                current = []
        if current:
            pieces.append("\n".join(header + current))
        return pieces

    def _split_code(self, prefix: str, markdown: str) -> list[str]:
        lines = markdown.split("\n")
        opening = closing = ""
        if lines[0].startswith("```"):
            opening, lines = lines[0], lines[1:]
        if lines and lines[-1].strip() == "```":
            closing, lines = lines[-1], lines[:-1]

        def fence(code_lines: list[str]) -> str:
            parts = list(code_lines)
            if opening:
                parts.insert(0, opening)
            if closing:
                parts.append(closing)
            return "\n".join(parts)

        pieces: list[str] = []
        current: list[str] = []
        for line in lines:
            if self._fits(prefix, fence(current + [line])):
                current.append(line)
                continue
            if current:
                pieces.append(fence(current))
            if self._fits(prefix, fence([line])):
                current = [line]
            else:
                # A single line longer than a chunk has to be cut, at spaces where it has any.
                budget = self._body_budget(prefix) - self.count_tokens(fence([]))
                pieces.extend(fence([part]) for part in self._split_words(line, budget))
                current = []
        if current:
            pieces.append(fence(current))
        return pieces

    def _split_prose(self, prefix: str, text: str) -> list[str]:
        budget = self._body_budget(prefix)
        return self._split_words(text, budget)

    def _split_words(self, text: str, budget: int) -> list[str]:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap_tokens, budget // 2),
            length_function=self.count_tokens,
            separators=_PROSE_SEPARATORS,
            keep_separator="end",
        )
        return [piece for piece in splitter.split_text(text) if piece.strip()]

    def _split_hard(self, prefix: str, text: str) -> list[str]:
        """Cut ``text`` at token boundaries until every piece fits, preferring whitespace."""
        pieces: list[str] = []
        rest = text.strip()
        budget = max(1, self._body_budget(prefix))
        while rest:
            if self._fits(prefix, rest):
                pieces.append(rest)
                break
            offsets = self._encode(rest)["offset_mapping"]
            window = min(budget, len(offsets))
            while True:
                cut = offsets[window - 1][1]
                # Back up to whitespace in the second half of the window, to keep words whole.
                space = max(rest.rfind(" ", 0, cut + 1), rest.rfind("\n", 0, cut + 1))
                if space > offsets[window // 2][0]:
                    cut = space
                head = rest[:cut].rstrip()
                # Re-tokenizing a cut word can yield more pieces than the window counted.
                if head and self._fits(prefix, head):
                    break
                if window == 1:
                    raise ValueError(f"Cannot fit text starting {rest[:40]!r} into a chunk.")
                window = max(1, window - max(1, window // 10))
            pieces.append(head)
            rest = rest[cut:].strip()
        return pieces

    # Merging pieces into chunks

    def _pack(self, prefix: str, pieces: list[_Piece]) -> list[tuple[str, tuple[str, ...]]]:
        packed: list[tuple[str, tuple[str, ...]]] = []
        bodies: list[str] = []
        block_ids: list[str] = []
        for piece in pieces:
            if bodies and not self._fits(prefix, "\n\n".join(bodies + [piece.markdown])):
                packed.append(("\n\n".join(bodies), tuple(block_ids)))
                bodies, block_ids = [], []
            bodies.append(piece.markdown)
            block_ids.extend(block_id for block_id in piece.block_ids if block_id not in block_ids)
        if bodies:
            packed.append(("\n\n".join(bodies), tuple(block_ids)))
        return packed

    def _encode(self, text: str) -> dict:
        return self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )


def _join_context(prefix: str, body: str) -> str:
    return f"{prefix}\n{body}" if prefix else body


def _looks_like_table(markdown: str) -> bool:
    lines = markdown.split("\n")
    return len(lines) > 1 and all(line.lstrip().startswith("|") for line in lines)


def _group_sections(sections: tuple[Section, ...]) -> list[tuple[tuple[str, ...], list[Section]]]:
    """Group consecutive sections by heading path, folding headings into what they introduce.

    A heading's text is already in the context line of the sections below it, so only its
    block id moves to the first of them. A heading with nothing nested below it keeps its own
    text as a section, so it stays searchable.
    """
    groups: list[tuple[tuple[str, ...], list[Section]]] = []
    pending: list[Section] = []

    def add(section: Section) -> None:
        if groups and groups[-1][0] == section.heading_path:
            groups[-1][1].append(section)
        else:
            groups.append((section.heading_path, [section]))

    def flush_empty_headings(next_path: tuple[str, ...] | None) -> list[str]:
        # Headings whose path the next section extends introduce it; the others are empty.
        introducing: list[str] = []
        for heading in pending:
            depth = len(heading.heading_path)
            nested = (
                next_path is not None
                and len(next_path) > depth
                and next_path[:depth] == heading.heading_path
            )
            if nested:
                introducing.extend(heading.block_ids)
            else:
                add(heading)
        pending.clear()
        return introducing

    for section in sections:
        if not section.markdown.strip():
            continue
        if section.is_heading and "\n" not in section.markdown.strip():
            # A heading at the same or a higher level ends the previous empty heading.
            still_open = [
                heading for heading in pending
                if len(heading.heading_path) < len(section.heading_path)
            ]
            closed = [heading for heading in pending if heading not in still_open]
            pending[:] = closed
            flush_empty_headings(None)
            pending[:] = still_open + [section]
            continue
        heading_ids = flush_empty_headings(section.heading_path)
        if heading_ids:
            section = Section(
                markdown=section.markdown,
                kind=section.kind,
                heading_path=section.heading_path,
                block_ids=tuple(heading_ids) + section.block_ids,
            )
        add(section)

    flush_empty_headings(None)
    return groups
